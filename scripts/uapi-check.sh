#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The wire header must stand alone: only <linux/types.h>, no implicit
# padding, and its size asserts must hold in a userspace build (headers from
# linux-libc-dev) and in a kernel build (Kbuild, W=1).
# Usage: uapi-check.sh KVER...
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
[ $# -gt 0 ] || die "usage: uapi-check.sh KVER..."
hdr=uapi/linux/virtio_pvvf.h
fail=0

incs=$(grep -E '^#include' "$top/$hdr" | grep -v '<linux/types.h>' || true)
if [ -n "$incs" ]; then
	log "uapi: $hdr includes more than <linux/types.h>: $incs"
	fail=1
fi

# Userspace: C89 (what uapi headers promise) and C11 (asserts compiled in),
# gcc and clang, with -Wpadded so implicit padding is an error.
for cc in gcc clang; do
	for std in gnu89 c11 gnu17; do
		if ! echo '#include <linux/virtio_pvvf.h>' |
			$cc -std=$std -Wall -Wextra -Wpadded -Werror -fsyntax-only \
				-I"$top/uapi" -x c -; then
			log "uapi: $cc -std=$std failed"
			fail=1
		fi
	done
done
# The asserts must really be compiled in C11: a wrong size must fail.
if echo '#include <linux/virtio_pvvf.h>
_Static_assert(sizeof(struct virtio_pvvf_event) == 31, "probe");' |
	gcc -std=c11 -fsyntax-only -I"$top/uapi" -x c - 2>/dev/null; then
	log "uapi: size asserts are not effective"
	fail=1
fi

# Kernel: build a module that only includes the header, for each KVER.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/uapi_check.c" <<'SRC'
// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
#include <linux/virtio_pvvf.h>

static_assert(sizeof(struct virtio_pvvf_req_head) == 16);
MODULE_DESCRIPTION("pvvf uapi header check");
MODULE_LICENSE("GPL");
SRC
cat >"$tmp/Kbuild" <<SRC
obj-m := uapi_check.o
ccflags-y := -I$top/uapi
SRC
for kver in "$@"; do
	kdir=/lib/modules/$kver/build
	[ -d "$kdir" ] || die "no headers for $kver (run make deps)"
	if ! make -s -C "$kdir" M="$tmp" W=1 modules >"$tmp/log" 2>&1 ||
		grep -q 'warning:' "$tmp/log"; then
		tail -n 40 "$tmp/log" >&2
		log "uapi: kernel build against $kver failed or warned"
		fail=1
	fi
	make -s -C "$kdir" M="$tmp" clean >/dev/null 2>&1 || true
done
[ $fail -eq 0 ] && log "uapi: header checks passed (userspace gcc/clang; kernels $*)"
exit $fail
