"""trace_files.py OUT SMOKE_DIR [--allow-fail] — run the smoke test and list every file it used.

SMOKE_DIR holds the smoke test as shrinkbench puts it in the build context: shrinkbench_smoke.py
and argv.json (its arguments: the requirement names, or `--script shrinkbench_test.py`). It runs
as `python3 shrinkbench_smoke.py ARGS...` in that folder, exactly as the finished image runs it.

Every Python process of the test (the smoke test, the fresh interpreters it times, a user's
script) gets an audit hook (sys.addaudithook, PEP 578) through a sitecustomize module on
PYTHONPATH. Each process records:
  - every path passed to an `open` event (source, bytecode, data and metadata files),
  - the modules named by `import` events and everything in sys.modules at exit (their
    __file__ and __cached__, so that a module whose bytecode was read keeps its source too),
  - the file-backed mappings of /proc/self/maps at exit: the interpreter, every extension
    module and every shared library the dynamic loader brought in.
OUT gets the union, one absolute path per line, sorted; OUT.opened only the paths of `open`
events (a .py listed there was read as source, not just found by the import system). Files of
SMOKE_DIR and of the hook are left out. The list is only as complete as the test: a file it never touched is not in it.
Exits with the test's exit code (0 with --allow-fail, which still writes the list).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

HOOK = r'''
import os as _os
import sys as _sys


def _shrinkbench_trace():
    out_dir = _os.environ.get("SHRINKBENCH_TRACE_DIR")
    if not out_dir:
        return
    opened = set()
    imported = set()

    def hook(event, args):
        try:
            if event == "open":
                path = args[0]
                if isinstance(path, bytes):
                    path = _os.fsdecode(path)
                if isinstance(path, str):
                    opened.add(_os.path.abspath(path))
            elif event == "import":
                imported.add(args[0])
            elif event in ("os.exec", "os.posix_spawn", "subprocess.Popen", "ctypes.dlopen"):
                path = args[0]
                if isinstance(path, bytes):
                    path = _os.fsdecode(path)
                if isinstance(path, str) and _os.sep in path:
                    opened.add(_os.path.abspath(path))
        except Exception:
            pass

    _sys.addaudithook(hook)

    def dump():
        files = set(opened)
        files.add(_sys.executable)
        modules = list(_sys.modules.values())
        modules += [_sys.modules[n] for n in list(imported) if n in _sys.modules]
        for module in modules:
            for attr in ("__file__", "__cached__"):
                path = getattr(module, attr, None)
                if isinstance(path, str):
                    files.add(_os.path.abspath(path))
        try:
            with open("/proc/self/maps") as maps:
                for line in maps:
                    parts = line.rstrip("\n").split(None, 5)
                    if len(parts) == 6 and parts[5].startswith("/"):
                        files.add(parts[5].removesuffix(" (deleted)"))
        except OSError:
            pass
        name = _os.path.join(out_dir, "%d" % _os.getpid())
        with open(name + ".txt", "w") as f:
            f.write("\n".join(sorted(files)) + "\n")
        with open(name + ".opened", "w") as f:
            f.write("\n".join(sorted(opened)) + "\n")

    import atexit

    atexit.register(dump)


def _chain():
    # This module shadows the interpreter's own sitecustomize (Debian has one): run that too.
    import importlib.machinery
    import importlib.util

    here = _os.path.dirname(_os.path.abspath(__file__))
    rest = [p for p in _sys.path if _os.path.abspath(p or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec and spec.loader:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)


_shrinkbench_trace()
_chain()
'''


def main(out: str, smoke_dir: str, allow_fail: bool) -> int:
    smoke_dir = os.path.abspath(smoke_dir)
    with open(os.path.join(smoke_dir, "argv.json")) as f:
        argv = json.load(f)
    work = tempfile.mkdtemp(prefix="shrinkbench-trace-")
    hook_dir = os.path.join(work, "hook")
    lists = os.path.join(work, "lists")
    os.makedirs(hook_dir)
    os.makedirs(lists)
    with open(os.path.join(hook_dir, "sitecustomize.py"), "w") as f:
        f.write(HOOK)
    env = dict(os.environ)
    env["SHRINKBENCH_TRACE_DIR"] = lists
    env["PYTHONPATH"] = os.pathsep.join(p for p in (hook_dir, env.get("PYTHONPATH")) if p)
    # The trace must not change the tree it looks at.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    python = shutil.which("python3") or sys.executable
    cmd = [python, os.path.join(smoke_dir, "shrinkbench_smoke.py"), *argv]
    print("trace_files: " + " ".join(cmd), flush=True)
    code = subprocess.run(cmd, cwd=smoke_dir, env=env, stdin=subprocess.DEVNULL).returncode
    skip = (smoke_dir + os.sep, work + os.sep, "/proc/", "/dev/", "/sys/")
    for suffix, target in ((".txt", out), (".opened", out + ".opened")):
        files = set()
        for name in sorted(os.listdir(lists)):
            if name.endswith(suffix):
                with open(os.path.join(lists, name)) as f:
                    files.update(line for line in f.read().splitlines() if line)
        kept = sorted(p for p in files if not p.startswith(skip) and os.path.lexists(p))
        with open(target, "w") as f:
            f.write("\n".join(kept) + "\n")
        if target == out:
            total = len(kept)
    shutil.rmtree(work, ignore_errors=True)
    print(f"trace_files: {total} files used by the smoke test, exit code {code}")
    if code != 0 and not allow_fail:
        print("trace_files: the smoke test fails in the builder already: nothing to trace", file=sys.stderr)
        return code
    return 0


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--allow-fail"]
    if len(args) != 2:
        print(__doc__.splitlines()[0], file=sys.stderr)
        sys.exit(2)
    sys.exit(main(args[0], args[1], "--allow-fail" in sys.argv[1:]))
