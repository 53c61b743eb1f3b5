#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make modules-all KVER_61 KVER_612: build pvvf.ko for each kernel with W=1
# and sparse (C=2), then run checkpatch.pl --strict and kernel-doc -Wall on
# every guest, KUnit, test-consumer and consumer-header source.  Any
# compiler or sparse warning, any build error and any checkpatch or
# kernel-doc complaint fails the run.
#
# Each kernel builds in its own scratch copy under build/modules/<kver>, so
# objects of one kernel never leak into the other's build.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

if [ $# -eq 0 ]; then
	resolve_kvers
	set -- "$KVER_61" "$KVER_612"
fi
checkpatch=${PVVF_CHECKPATCH:-$PVVF_CACHE/linux-source/scripts/checkpatch.pl}
command -v sparse >/dev/null || die "sparse is not installed (run make deps)"
[ -x "$checkpatch" ] || [ -f "$checkpatch" ] || die "no checkpatch.pl at $checkpatch"

problems=0
fail() { log "FAIL: $*"; problems=$((problems + 1)); }

sources() {
	(cd "$top" && ls guest/*.[ch] kunit/*.c include/linux/*.h tests/consumer/*.c)
}

build_one() {
	local kver=$1 kdir=/lib/modules/$1/build dir=$top/build/modules/$1
	local out

	[ -d "$kdir" ] || { fail "$kver: no headers at $kdir"; return; }
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -r "$top/Kbuild" "$top/guest" "$top/include" "$top/uapi" "$dir/"
	mkdir -p "$dir/tests"
	cp -r "$top/tests/consumer" "$dir/tests/"
	log "$kver: W=1 C=2 build"
	out=$(make -C "$kdir" M="$dir" W=1 C=2 CHECK=sparse modules 2>&1)
	local rc=$?
	printf '%s\n' "$out" | sed "s|$dir/||g"
	[ $rc -eq 0 ] || fail "$kver: build failed"
	# Compiler and sparse diagnostics both say "warning:" or "error:".
	if printf '%s\n' "$out" | grep -qE '(warning|error):'; then
		fail "$kver: warnings"
	fi
	[ -f "$dir/pvvf.ko" ] || fail "$kver: no pvvf.ko"
	[ -f "$dir/pvvf_test.ko" ] || fail "$kver: no pvvf_test.ko"
}

for kver in "$@"; do
	build_one "$kver"
done

log "checkpatch --strict"
for f in $(sources); do
	if ! out=$(perl "$checkpatch" --strict --no-tree --quiet \
			--show-types -f "$top/$f" 2>&1); then
		printf '%s\n' "$out" | sed "s|$top/||g"
		fail "checkpatch: $f"
	elif [ -n "$out" ]; then
		printf '%s\n' "$out" | sed "s|$top/||g"
		fail "checkpatch: $f"
	fi
done

log "kernel-doc -Wall"
kdoc=$(dirname "$checkpatch")/kernel-doc
out=$(cd "$top" && perl "$kdoc" -none -Wall $(sources) 2>&1)
if [ -n "$out" ]; then
	printf '%s\n' "$out"
	fail "kernel-doc"
fi

if [ $problems -ne 0 ]; then
	echo "modules-all: FAILED ($problems problems)"
	exit 1
fi
echo "modules-all: OK ($*: W=1 and sparse clean; checkpatch --strict and kernel-doc clean)"
