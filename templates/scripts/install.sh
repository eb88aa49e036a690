#!/bin/sh
# install.sh MODE REQUIREMENTS CONSTRAINTS — install into the user site (/root/.local).
#   pip    install from the index, no download cache kept
#   wheel  build or fetch every wheel into /wheels, then install only from there (--no-index)
set -eu
mode="$1"
req="$2"
con="$3"
case "$mode" in
pip)
	pip install --user --no-cache-dir --progress-bar off -r "$req" -c "$con"
	;;
wheel)
	pip wheel --no-cache-dir --progress-bar off -w /wheels -r "$req" -c "$con"
	pip install --user --no-index --find-links /wheels -r "$req" -c "$con"
	rm -rf /wheels
	;;
*)
	echo "install.sh: unknown mode '$mode' (expected pip or wheel)" >&2
	exit 2
	;;
esac
