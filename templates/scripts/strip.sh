#!/bin/sh
# strip.sh DIR — strip the extension modules under DIR, but not the vendored libraries in
# *.libs/ directories: auditwheel rewrote those with patchelf, and strip breaks them
# ("ELF load command address/offset not page-aligned").
set -eu
find "$1" -type f -name '*.so' ! -path '*.libs/*' -exec strip --strip-unneeded {} +
