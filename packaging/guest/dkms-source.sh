#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lay out pvvf's DKMS source tree: what Kbuild needs to build pvvf.ko (and
# the test consumer it lists), and dkms.conf.  Usage:
#
#   dkms-source.sh DIR      e.g. /usr/src/pvvf-0.1 (DIR must not exist)
set -euo pipefail
dir=${1:?usage: dkms-source.sh DIR (e.g. /usr/src/pvvf-0.1)}
top=$(cd "$(dirname "$0")/../.." && pwd)
[ ! -e "$dir" ] || { echo "dkms-source.sh: $dir exists" >&2; exit 1; }
mkdir -p "$dir"
cp "$top/Kbuild" "$top/packaging/guest/dkms.conf" "$dir/"
# the sources Kbuild names, and the headers they include
for d in guest include/linux uapi/linux tests/consumer; do
	mkdir -p "$dir/$d"
	find "$top/$d" -maxdepth 1 -type f \( -name '*.c' -o -name '*.h' \) \
		-exec cp {} "$dir/$d/" \;
done
