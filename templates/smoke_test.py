"""The default smoke test: import the top-level module of every requirement.

Run by shrinkbench inside the built image as `python smoke_test.py NAME...`, where each NAME is
a distribution name from the requirements file. Distribution names are mapped to import names
through the installed metadata (scikit-learn -> sklearn, python-dateutil -> dateutil).
The last line printed is a JSON summary that shrinkbench reads.

It also measures the import time of the requirements: the wall time of a fresh interpreter
(`sys.executable -c "import a, b, c"`), before this process imports anything, with
PYTHONDONTWRITEBYTECODE=1 so that a run never leaves bytecode for the next one: each run pays
what the first start of a fresh container pays. Two runs that agree within 10% give their
median; otherwise a third run decides (the median of 3). A timed run that imports everything is
also the test: the modules are imported one by one in this process only when a timed run failed
(to say which import breaks) or with `--import-runs=0` (no timing: pass/fail only).

`python smoke_test.py --script TEST.py` runs a user's test script instead (in a fresh
interpreter, output passed through) and reports its wall time and exit code the same way.
"""

import importlib
import importlib.metadata as md
import json
import os
import re
import statistics
import subprocess
import sys
import time

IMPORT_RUNS = 3
# Two runs within this relative difference of each other are taken as stable.
STABLE_WITHIN = 0.10


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def top_level_modules(dist: md.Distribution) -> list[str]:
    declared = (dist.read_text("top_level.txt") or "").split()
    if declared:
        return declared
    # No top_level.txt (or it was deleted): infer from the files the wheel installed.
    found = set()
    for f in dist.files or []:
        parts = f.parts
        if not parts or parts[0].endswith((".dist-info", ".data", "..")):
            continue
        if len(parts) > 1:
            found.add(parts[0])
        elif parts[0].endswith(".py"):
            found.add(parts[0][:-3])
        elif ".so" in parts[0] or parts[0].endswith(".pyd"):
            found.add(parts[0].split(".")[0])
    return sorted(found)


def import_names(requirement: str) -> list[str]:
    wanted = normalise(requirement)
    for dist in md.distributions():
        if normalise(dist.metadata["Name"] or "") != wanted:
            continue
        names = [n for n in top_level_modules(dist) if n.isidentifier() and not n.startswith("_")]
        same = [n for n in names if normalise(n) == wanted]
        return same or names
    raise LookupError(f"{requirement} is not installed")


def fresh_env() -> dict[str, str]:
    return dict(os.environ, PYTHONDONTWRITEBYTECODE="1")


def stable(times: list[float]) -> bool:
    """Whether two runs agree well enough that a third would not move the median much."""
    return len(times) == 2 and abs(times[0] - times[1]) <= STABLE_WITHIN * min(times)


def time_imports(modules: list[str], runs: int = IMPORT_RUNS) -> list[float] | None:
    """Wall times of fresh interpreters importing every module; None when that fails."""
    if not modules or runs < 1:
        return None
    code = "import " + ", ".join(modules)
    times: list[float] = []
    while len(times) < runs and not stable(times):
        t0 = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", code],
            env=fresh_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        elapsed = time.perf_counter() - t0
        if done.returncode != 0:
            return None  # the imports below say what is wrong
        times.append(round(elapsed, 4))
    return times


def run_script(path: str) -> int:
    """Runs a user's test script in a fresh interpreter and reports its wall time."""
    sys.stdout.flush()
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, path], stdin=subprocess.DEVNULL)
    elapsed = round(time.perf_counter() - t0, 4)
    summary = {"script": path, "exit_code": done.returncode, "script_seconds": elapsed}
    print("SHRINKBENCH_SMOKE " + json.dumps(summary), flush=True)
    return done.returncode


def main(requirements: list[str], import_runs: int = IMPORT_RUNS) -> int:
    results = {}
    failed = []
    started = time.perf_counter()
    planned: list[tuple[str, str]] = []
    for req in requirements:
        try:
            modules = import_names(req)
        except LookupError as e:
            failed.append(str(e))
            continue
        planned.extend((req, module) for module in modules)
    # Timed first, before this process imports anything (or writes bytecode for it).
    runs = time_imports([module for _, module in planned], import_runs)
    for req, module in planned:
        if runs:
            # A fresh interpreter imported every module: they all import.
            results[module] = None
            print(f"ok: import {module} ({req})")
            continue
        t0 = time.perf_counter()
        try:
            importlib.import_module(module)
        except Exception as e:  # any failure to import is what we are here to find
            failed.append(f"import {module} (from {req}) failed: {type(e).__name__}: {e}")
            continue
        results[module] = round(time.perf_counter() - t0, 4)
        print(f"ok: import {module} ({req})")
    for line in failed:
        print(f"FAILED: {line}")
    summary = {
        "imports": results,
        "failed": failed,
        "seconds": round(time.perf_counter() - started, 4),
        "import_seconds": statistics.median(runs) if runs else None,
        "import_runs": runs or [],
    }
    print("SHRINKBENCH_SMOKE " + json.dumps(summary))
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--script":
        sys.exit(run_script(sys.argv[2]))
    args = sys.argv[1:]
    runs = IMPORT_RUNS
    if args and args[0].startswith("--import-runs="):
        runs = int(args.pop(0).split("=", 1)[1])
    sys.exit(main(args, runs))
