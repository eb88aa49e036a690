"""pyzip.py — store pure-Python bytecode compressed, where Python reads it natively (zipimport).

    pyzip.py site SITE_DIR [--plan] [--deny NAME]...
    pyzip.py stdlib STDLIB_DIR ZIP [--plan] [--deny NAME]...

site    the top-level packages and modules of a site-packages folder that pass the rule below go
        into SITE_DIR/shrinkbench-bytecode.zip, which SITE_DIR/shrinkbench-bytecode.pth puts on
        sys.path (site.py reads .pth files at every start, as it did for zipped eggs);
stdlib  the standard library's modules and packages that pass it go into ZIP, the pythonXY.zip
        the interpreter already lists first on sys.path (sys.path[1] of a normal start). `os`
        stays a file: it is the landmark the interpreter finds its prefix by.

Only bytecode goes in, compressed (deflate): never a source, an extension module or a data
file. The unit is a top-level entry, because a regular package's modules are all found in one
place (its __path__ has one entry): a package is zipped whole or not at all. It is zipped only if
  - every file in it is bytecode or an empty marker (py.typed). In site-packages that is a legacy
    .pyc (prune.py --pyc only): a source still there was kept because a program reads it as a
    file, so its package stays. In the standard library a source goes in as its bytecode (the
    __pycache__ .pyc, or compiled here) and is dropped, as prune.py --pyc only does;
  - (site only) none of its code reads __file__, its own or another module's: code that builds
    a path from where a module lives may read files next to it, and inside a zip that path is
    not a folder (__file__ is ARCHIVE.zip/pkg/mod.pyc there). The standard library is zip-safe
    by design (CPython lists pythonXY.zip on sys.path for it), so only the file rule applies.
Everything else stays as files, and --plan prints why: extension modules, data files, sources
kept because a program read them as files (prune.py keeps those), symlinks, names in --deny.
Imports from the zip pay decompression (see the import time); tracebacks show no source lines,
as with prune.py --pyc only.
"""

import dis
import importlib.util
import json
import marshal
import os
import py_compile
import shutil
import sys
import tempfile
import zipfile

ZIP_NAME = "shrinkbench-bytecode.zip"
PTH_NAME = "shrinkbench-bytecode.pth"
# Files a package may hold besides bytecode and still be zipped: empty markers for type checkers.
MARKERS = {"py.typed"}
# Entries of a site-packages or stdlib folder that are never modules.
SKIP_SUFFIXES = (".dist-info", ".egg-info", ".libs", ".data", ".pth", ".zip", ".egg-link")
STDLIB_SKIP = {"lib-dynload", "site-packages", "dist-packages", "__pycache__", "os"}
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
# A member compiled from its source when the zip is written, not read from a .pyc.
FROM_SOURCE = "compile:"
LOADS = {"LOAD_NAME", "LOAD_GLOBAL", "LOAD_ATTR", "LOAD_METHOD", "LOAD_FROM_DICT_OR_GLOBALS"}


def loads_file(code) -> bool:
    """True when a code object, or code nested in it, reads a __file__ (its own or a module's)."""
    for ins in dis.get_instructions(code):
        if ins.opname in LOADS and ins.argval == "__file__":
            return True
    return any(loads_file(c) for c in code.co_consts if hasattr(c, "co_code"))


def reads_own_location(bytecode: bytes) -> bool:
    """True when the module's code reads __file__: it may build a path from where it lives."""
    try:
        code = marshal.loads(bytecode[16:])
    except (ValueError, EOFError, TypeError):
        return True  # not this interpreter's bytecode: nothing proves it safe
    return loads_file(code)


class Entry:
    """One top-level module or package: what would go into the zip, or why it cannot."""

    def __init__(self, name: str, path: str) -> None:
        self.name = name
        self.path = path
        self.members: list[tuple[str, str]] = []  # (archive name, file holding its bytecode or "")
        self.remove: list[str] = []  # files (and folders) that go once the zip is written
        self.reason = ""

    def refuse(self, reason: str) -> None:
        if not self.reason:
            self.reason = reason


def bytecode_for(source: str) -> str | None:
    """The __pycache__ bytecode of a source file, when it is there and this interpreter's."""
    cached = importlib.util.cache_from_source(source)
    if os.path.isfile(cached):
        with open(cached, "rb") as f:
            if f.read(4) == importlib.util.MAGIC_NUMBER:
                return cached
    return None


def scan(entry: Entry, base: str, allow_sources: bool) -> None:
    """Fills entry from the files under it; allow_sources: .py with bytecode may go (stdlib)."""
    if os.path.islink(entry.path):
        return entry.refuse("a symlink")
    if os.path.isfile(entry.path):
        files = [(os.path.dirname(entry.path), [], [os.path.basename(entry.path)])]
    else:
        files = os.walk(entry.path)
    for dirpath, dirnames, filenames in files:
        dirnames.sort()
        for name in dirnames:
            if os.path.islink(os.path.join(dirpath, name)):
                entry.refuse(f"symlink {os.path.relpath(os.path.join(dirpath, name), base)}")
        rel_dir = os.path.relpath(dirpath, base)
        if os.path.basename(dirpath) == "__pycache__":
            continue  # read through the sources they belong to
        if rel_dir != ".":
            entry.members.append((rel_dir.replace(os.sep, "/") + "/", ""))
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, base).replace(os.sep, "/")
            if os.path.islink(path):
                entry.refuse(f"symlink {rel}")
            elif name.endswith(".pyc"):
                if os.path.exists(path[:-1]) and not allow_sources:
                    continue  # its source is kept (read as a file): refused with the source
                entry.members.append((rel, path))
                entry.remove.append(path)
            elif name.endswith(".py"):
                if os.path.exists(path + "c"):
                    if allow_sources:
                        entry.remove.append(path)
                        continue
                    entry.refuse(f"source {rel} kept as a file (a program reads it)")
                elif not allow_sources:
                    entry.refuse(f"source {rel} kept as a file (a program reads it)")
                else:
                    entry.members.append((rel + "c", FROM_SOURCE + path))
                    entry.remove.append(path)
                    cached = importlib.util.cache_from_source(path)
                    if os.path.exists(cached):
                        entry.remove.append(cached)
                    continue
            elif name in MARKERS and os.path.getsize(path) == 0:
                entry.members.append((rel, path))
                entry.remove.append(path)
            elif ".so" in name or name.endswith((".pyd", ".dylib")):
                entry.refuse(f"extension module {rel}")
            else:
                entry.refuse(f"data file {rel}")
        if os.path.isdir(entry.path) and "__pycache__" in dirnames:
            entry.remove.append(os.path.join(dirpath, "__pycache__"))


def compiled(path: str) -> bytes:
    """The bytecode of a member: legacy .pyc, __pycache__ .pyc, or compiled from the source."""
    if path.startswith(FROM_SOURCE):
        source = path[len(FROM_SOURCE) :]
        cached = bytecode_for(source)
        if cached:
            with open(cached, "rb") as f:
                return f.read()
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "m.pyc")
            py_compile.compile(source, cfile=out, dfile=source, doraise=True)
            with open(out, "rb") as f:
                return f.read()
    with open(path, "rb") as f:
        return f.read()


def plan(
    base: str, allow_sources: bool, deny: set[str], skip: set[str], check_file: bool = True
) -> list[Entry]:
    entries = []
    for name in sorted(os.listdir(base)):
        path = os.path.join(base, name)
        if name in skip or name.endswith(SKIP_SUFFIXES) or name.startswith("."):
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            module = name
        elif name.endswith((".pyc", ".py")):
            module = name.rsplit(".", 1)[0]
            if name.endswith(".pyc") and os.path.exists(path[:-1]) and not allow_sources:
                continue  # judged with its source
            if name.endswith(".pyc") and allow_sources:
                continue  # stray legacy bytecode beside the standard library: leave it
        else:
            continue  # data files, extension modules at the top level: not modules to zip
        if not module.isidentifier() or module in skip:
            continue
        entry = Entry(module, path)
        if module in deny:
            entry.refuse("denied (--deny)")
        else:
            scan(entry, base, allow_sources)
            if not entry.reason and check_file:
                for arcname, member in entry.members:
                    if member and arcname.endswith(".pyc") and reads_own_location(compiled(member)):
                        entry.refuse(f"{arcname} reads __file__ (may read files beside it)")
                        break
            if not entry.reason and not any(a.endswith(".pyc") for a, _ in entry.members):
                entry.refuse("no bytecode")
        entries.append(entry)
    return entries


def write(entries: list[Entry], archive: str) -> int:
    """Writes the zip (deterministic: sorted, fixed times), removes what it replaced."""
    chosen = [e for e in entries if not e.reason]
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for entry in chosen:
            for arcname, member in entry.members:
                info = zipfile.ZipInfo(arcname, FIXED_TIME)
                if not member:
                    # Explicit folder entries: zipimport finds namespace packages by them.
                    info.external_attr = (0o40755 << 16) | 0x10
                    z.writestr(info, b"")
                    continue
                info.external_attr = 0o100644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, compiled(member), compresslevel=9)
    removed = 0
    for entry in chosen:
        for path in entry.remove:
            if os.path.isdir(path) and not os.path.islink(path):
                for dirpath, _, filenames in os.walk(path):
                    removed += sum(os.lstat(os.path.join(dirpath, n)).st_size for n in filenames)
                shutil.rmtree(path)
            elif os.path.lexists(path):
                removed += os.lstat(path).st_size
                os.remove(path)
        if os.path.isdir(entry.path):
            for dirpath, _, _ in os.walk(entry.path, topdown=False):
                if not os.listdir(dirpath):
                    os.rmdir(dirpath)
    return removed


def report(entries: list[Entry]) -> dict:
    return {
        "zipped": [e.name for e in entries if not e.reason],
        "kept": {e.name: e.reason for e in entries if e.reason},
    }


def main(argv: list[str]) -> int:
    deny: set[str] = set()
    args: list[str] = []
    dry = False
    it = iter(argv)
    for a in it:
        if a == "--deny":
            deny.add(next(it, ""))
        elif a == "--plan":
            dry = True
        else:
            args.append(a)
    if len(args) == 2 and args[0] == "site":
        base, archive, allow_sources, skip = args[1], None, False, set()
        archive = os.path.join(base, ZIP_NAME)
    elif len(args) == 3 and args[0] == "stdlib":
        base, archive, allow_sources, skip = args[1], args[2], True, STDLIB_SKIP
        skip = skip | {n for n in os.listdir(base) if n.startswith("config-")}
    else:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    # The standard library is zip-safe by design (CPython puts pythonXY.zip on sys.path for it):
    # only the structural rule applies there; third-party code must also not read __file__.
    entries = plan(base, allow_sources, deny, skip, check_file=args[0] == "site")
    summary = report(entries)
    if dry:
        print(json.dumps(summary, indent=1, sort_keys=True))
        return 0
    if not summary["zipped"]:
        print(f"pyzip: nothing in {base} is bytecode only: no zip")
        return 0
    removed = write(entries, archive)
    if args[0] == "site":
        with open(os.path.join(base, PTH_NAME), "w") as f:
            f.write(ZIP_NAME + "\n")
    size = os.path.getsize(archive)
    print(
        f"pyzip: {len(summary['zipped'])} of {len(entries)} entries of {base} in {archive}: "
        f"{removed / 1e6:.1f} MB of files -> {size / 1e6:.1f} MB zip"
    )
    for name, reason in sorted(summary["kept"].items()):
        print(f"pyzip: kept {name} as files: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
