#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make kunit: run pvvf's KUnit suites on UML.
#
# kunit.py cannot build external modules, so the guest's pure files and the
# suites are linked into a scratch copy of the kernel tree as obj-y, under
# drivers/pvvf/.  The tree and the UML build directory are cached outside the
# checkout, keyed by kernel version, so later runs are incremental.
#
# Exits non-zero if the build fails or any test fails.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

PY=/usr/bin/python3
ksrc=${PVVF_KSRC:-$PVVF_CACHE/linux-source}
jobs=${PVVF_JOBS:-$(nproc)}

[ -f "$ksrc/Makefile" ] || die "no kernel source at $ksrc (run make deps)"
kver=$(make -s -C "$ksrc" kernelversion 2>/dev/null) ||
	die "cannot read the kernel version of $ksrc"
cache=$PVVF_CACHE/kunit/$kver
src=$cache/src
build=$cache/build

# One run at a time per kernel version: the scratch tree is shared by every
# checkout on this machine.
mkdir -p "$cache"
exec 9>"$cache.lock"
flock 9

# One-time copy of the pristine tree; the copy gains a drivers/pvvf hook.
if [ ! -f "$src/.pvvf-ready" ]; then
	log "copying $ksrc to $src (once per kernel version)"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$cache"
	cp -a "$ksrc/." "$src.tmp"
	echo 'obj-y += pvvf/' >>"$src.tmp/drivers/Makefile"
	sed -i '/^endmenu/i source "drivers/pvvf/Kconfig"' "$src.tmp/drivers/Kconfig"
	mkdir -p "$src.tmp/drivers/pvvf"
	mv "$src.tmp" "$src"
	touch "$src/.pvvf-ready"
fi

# Refresh drivers/pvvf: copy a file only when it changed, keeping mtimes so
# make rebuilds only what changed.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/guest" "$stage/kunit" "$stage/include/linux" "$stage/uapi/linux"
cp -p "$top"/guest/*.[ch] "$stage/guest/"
cp -p "$top"/kunit/*_kunit.c "$stage/kunit/"
for f in "$top"/include/linux/*.h; do
	[ ! -e "$f" ] || cp -p "$f" "$stage/include/linux/"
done
cp -p "$top"/uapi/linux/virtio_pvvf.h "$stage/uapi/linux/"
cp -p "$top/kunit/Kconfig" "$stage/Kconfig"
cp -p "$top/kunit/Makefile" "$stage/Makefile"

dst=$src/drivers/pvvf
(cd "$stage" && find . -type f) | while read -r f; do
	if ! cmp -s "$stage/$f" "$dst/$f"; then
		mkdir -p "$(dirname "$dst/$f")"
		cp -p "$stage/$f" "$dst/$f"
		touch "$dst/$f"
	fi
done
# Drop files that left the checkout.
(cd "$dst" && find . -type f) | while read -r f; do
	[ -e "$stage/$f" ] || rm -f "$dst/$f"
done

mkdir -p "$build"
cd "$src"
log "kunit.py on UML, kernel $kver, build dir $build"
out=$cache/last-run.log
set +e
"$PY" tools/testing/kunit/kunit.py run \
	--kunitconfig="$top/kunit/.kunitconfig" \
	--build_dir="$build" --jobs "$jobs" --timeout 300 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
set -e
summary=$(grep -E 'Testing complete\. Ran [0-9]+ tests' "$out" | tail -n1 || true)
[ -n "$summary" ] || { log "kunit: no test summary (build failed?)"; exit 1; }
if [ "$rc" -ne 0 ] || ! grep -qE 'passed: [0-9]+$' <<<"$summary"; then
	log "kunit: FAILED: $summary"
	exit 1
fi
log "kunit: $summary"
