#!/bin/sh
# musl-wheels.sh REQUIREMENTS CONSTRAINTS — the talk's "fixing the wheel", on Alpine (musl).
#   1. pip wheel every requirement into /wheels/built: musllinux wheels are downloaded where
#      they exist (--prefer-binary), the rest is compiled here (with CFLAGS/LDFLAGS as set);
#   2. auditwheel repair every wheel compiled here (tag linux_*): it grafts the shared libraries
#      the wheel links (OpenBLAS, libgfortran, libgomp, libstdc++) into <pkg>.libs and retags it
#      musllinux, so that the final stage needs no apk package; downloaded wheels are already so;
#   3. install from that wheelhouse only (--no-index) into the user site, and drop the wheels.
set -eu
req="$1"
con="$2"
pip install --no-cache-dir --progress-bar off auditwheel
pip wheel --no-cache-dir --prefer-binary --progress-bar off -w /wheels/built -r "$req" -c "$con"
mkdir -p /wheels/repaired
for w in /wheels/built/*.whl; do
	case "$w" in
	*-linux_*.whl) auditwheel repair --wheel-dir /wheels/repaired "$w" ;;
	*) cp "$w" /wheels/repaired/ ;;
	esac
done
pip install --user --no-cache-dir --no-index --find-links /wheels/repaired -r "$req" -c "$con"
rm -rf /wheels
