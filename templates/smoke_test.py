"""The default smoke test: import the top-level module of every requirement.

Run by shrinkbench inside the built image as `python smoke_test.py NAME...`, where each NAME is
a distribution name from the requirements file. Distribution names are mapped to import names
through the installed metadata (scikit-learn -> sklearn, python-dateutil -> dateutil).
The last line printed is a JSON summary that shrinkbench reads.
"""

import importlib
import importlib.metadata as md
import json
import re
import sys
import time


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


def main(requirements: list[str]) -> int:
    results = {}
    failed = []
    started = time.perf_counter()
    for req in requirements:
        try:
            modules = import_names(req)
        except LookupError as e:
            failed.append(str(e))
            continue
        for module in modules:
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
    summary = {"imports": results, "failed": failed, "seconds": round(time.perf_counter() - started, 4)}
    print("SHRINKBENCH_SMOKE " + json.dumps(summary))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
