"""prune.py DIR [--pyc keep|none|only] [--keep LIST] — remove what a running program never reads.

DIR is an install prefix (/root/.local) or a site-packages folder; every site-packages and
dist-packages folder under it is pruned. Removed:
  tests       directories named tests or test of installed packages, and directories named
              testing that the smoke test did not use (numpy.testing, matplotlib.testing):
              some packages import a testing module when they are imported themselves, and
              then it stays
  sources     C, C++, Cython and Fortran sources and headers, and static libraries
              (*.c *.cc *.cpp *.cxx *.h *.hh *.hpp *.pyx *.pxd *.pxi *.f *.f90 *.a)
  stubs       type stubs (*.pyi), read by type checkers, never by the interpreter
  docs        doc/ and docs/ folders that are not Python packages
Whatever LIST names (trace_files.py's list of the files the smoke test used) is never
removed, and neither is a directory holding such a file. *.dist-info is never touched.

Bytecode policy (--pyc):
  keep   keep the .pyc pip compiled (__pycache__); nothing of bytecode is removed
  none   remove every .pyc: sources only; each fresh container compiles what it imports
  only   compile to legacy .pyc beside each source (compileall -b), then remove the sources
         and __pycache__: bytecode only. A source that does not compile is kept, and so is a
         source the smoke test read as a file (LIST.opened), e.g. for inspect.getsource.
         The .pyc are unchecked-hash ones: a timestamp .pyc's header holds its source's mtime,
         which pip set to the install time, so two builds of the same requirements would
         differ in every .pyc (and a zip of them in size); sourceless bytecode is never checked
         against a source anyway.
"""

import compileall
import os
import py_compile
import shutil
import sys

SOURCE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".h", ".hh", ".hpp", ".pyx", ".pxd", ".pxi")
SOURCE_SUFFIXES += (".f", ".f90", ".a")


def site_dirs(root: str) -> list[str]:
    found = []
    for dirpath, dirnames, _ in os.walk(root):
        for name in list(dirnames):
            if name in ("site-packages", "dist-packages"):
                found.append(os.path.join(dirpath, name))
                dirnames.remove(name)
    return sorted(found) or [root]


def size_of(path: str) -> int:
    if os.path.islink(path) or not os.path.isdir(path):
        return os.lstat(path).st_size
    total = 0
    for dirpath, _, filenames in os.walk(path):
        for name in filenames:
            total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


class Pruner:
    def __init__(self, keep: set[str], dry_run: bool = False) -> None:
        self.keep = keep
        # Every directory that holds a file the test used.
        self.keep_dirs = set()
        for path in keep:
            d = os.path.dirname(path)
            while d not in self.keep_dirs and d not in ("/", ""):
                self.keep_dirs.add(d)
                d = os.path.dirname(d)
        self.removed: dict[str, int] = {}
        self.kept_used: list[str] = []
        self.dry_run = dry_run

    def used(self, path: str) -> bool:
        return path in self.keep or path in self.keep_dirs

    def remove(self, path: str, category: str) -> None:
        if self.used(path):
            self.kept_used.append(path)
            return
        self.removed[category] = self.removed.get(category, 0) + size_of(path)
        if self.dry_run:
            return
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)

    def prune(self, site: str, testing_needs_trace: bool) -> None:
        for dirpath, dirnames, filenames in os.walk(site, topdown=True):
            if dirpath == site:
                dirnames[:] = [d for d in dirnames if not d.endswith((".dist-info", ".egg-info"))]
            for name in sorted(dirnames):
                path = os.path.join(dirpath, name)
                category = None
                if name in ("tests", "test"):
                    category = "tests"
                elif name == "testing" and not testing_needs_trace:
                    category = "tests"
                elif name in ("doc", "docs") and not os.path.exists(os.path.join(path, "__init__.py")):
                    category = "docs"
                if category:
                    self.remove(path, category)
                    if not os.path.exists(path):
                        dirnames.remove(name)
            for name in filenames:
                path = os.path.join(dirpath, name)
                if name.endswith(SOURCE_SUFFIXES):
                    self.remove(path, "sources")
                elif name.endswith(".pyi"):
                    self.remove(path, "stubs")


def bytecode(site: str, policy: str, read_as_source: set[str]) -> dict[str, int]:
    removed = {"bytecode": 0, "sources (pyc only)": 0}
    if policy == "keep":
        return removed
    for dirpath, dirnames, filenames in os.walk(site):
        if "__pycache__" in dirnames:
            path = os.path.join(dirpath, "__pycache__")
            removed["bytecode"] += size_of(path)
            shutil.rmtree(path)
            dirnames.remove("__pycache__")
        if policy == "none":
            for name in filenames:
                if name.endswith(".pyc"):
                    removed["bytecode"] += size_of(os.path.join(dirpath, name))
                    os.remove(os.path.join(dirpath, name))
    if policy == "only":
        # force: a .pyc a wheel shipped is rewritten too, so every header is ours.
        compileall.compile_dir(
            site,
            quiet=2,
            legacy=True,
            workers=0,
            force=True,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
        for dirpath, _, filenames in os.walk(site):
            for name in filenames:
                if not name.endswith(".py"):
                    continue
                path = os.path.join(dirpath, name)
                if os.path.exists(path + "c") and path not in read_as_source:
                    removed["sources (pyc only)"] += size_of(path)
                    os.remove(path)
    return removed


def read_list(path: str | None) -> set[str]:
    if not path or not os.path.exists(path):
        return set()
    with open(path) as f:
        return {line for line in f.read().splitlines() if line}


def main(argv: list[str]) -> int:
    root, policy, keep_file = None, "keep", None
    args = iter(argv)
    for a in args:
        if a == "--pyc":
            policy = next(args, "")
        elif a == "--keep":
            keep_file = next(args, None)
        elif root is None:
            root = a
        else:
            root = None
            break
    if root is None or policy not in ("keep", "none", "only"):
        print("usage: prune.py DIR [--pyc keep|none|only] [--keep LIST]", file=sys.stderr)
        return 2
    keep = read_list(keep_file)
    pruner = Pruner(keep)
    totals: dict[str, int] = {}
    for site in site_dirs(os.path.abspath(root)):
        # Without a trace, testing/ folders stay: nothing proves them unused.
        pruner.prune(site, testing_needs_trace=not keep)
        for k, v in bytecode(site, policy, read_list(keep_file and keep_file + ".opened")).items():
            totals[k] = totals.get(k, 0) + v
    for k, v in {**pruner.removed, **totals}.items():
        print(f"prune: {k}: {v / 1e6:.1f} MB removed")
    for path in sorted(pruner.kept_used):
        print(f"prune: kept {path}: the smoke test used it")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
