#!/bin/sh
# cleanup.sh MODE DIR — delete what the talk deleted after installing (MODE "talk"), or nothing.
# Runs in the same RUN as the install, so the deleted bytes never reach a layer.
set -eu
mode="$1"
dir="$2"
case "$mode" in
none) exit 0 ;;
talk) ;;
*)
	echo "cleanup.sh: unknown mode '$mode' (expected none or talk)" >&2
	exit 2
	;;
esac
# A BuildKit cache mount there (slim-cache-mount) never reaches a layer and is kept for the next
# build; deleting it would fail (the mount point is busy) and throw away what it is for.
if ! grep -q ' /root/.cache/pip ' /proc/self/mountinfo 2>/dev/null; then
	rm -rf /root/.cache/pip
fi
[ -d "$dir" ] || exit 0
find "$dir" -follow -type f \( -name '*.a' -o -name '*.txt' -o -name '*.md' -o -name '*.png' \
	-o -name '*.jpg' -o -name '*.jpeg' -o -name '*.js.map' -o -name '*.pyc' -o -name '*.c' \
	-o -name '*.pxd' -o -name '*.pyd' \) -delete
find "$dir" -name '__pycache__' -type d -prune -exec rm -rf {} +
