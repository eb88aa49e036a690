"""dedupe.py DIR — store byte-identical shared libraries under DIR once.

Wheels vendor their own copies of libraries (numpy.libs, scipy.libs, ...); where two copies
are byte for byte the same, the later one becomes a relative symlink to the first.
"""

import hashlib
import os
import sys


def is_shared_library(name: str) -> bool:
    return name.endswith(".so") or ".so." in name


def main(root: str) -> None:
    first_by_digest: dict[tuple[int, str], str] = {}
    saved = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if not is_shared_library(name) or os.path.islink(path):
                continue
            size = os.path.getsize(path)
            with open(path, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            key = (size, digest)
            original = first_by_digest.setdefault(key, path)
            if original == path:
                continue
            os.remove(path)
            os.symlink(os.path.relpath(original, dirpath), path)
            saved += size
            print(f"dedupe: {path} -> {original}")
    print(f"dedupe: {saved} bytes stored once instead of twice")


if __name__ == "__main__":
    main(sys.argv[1])
