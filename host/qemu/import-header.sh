#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Import pvvf's uapi header into a QEMU tree as
# include/standard-headers/linux/virtio_pvvf.h, transformed exactly the way
# QEMU's scripts/update-linux-headers.sh imports a kernel uapi header: first
# what the kernel's headers_install.sh does (drop the _UAPI guard prefix;
# unifdef leaves this header unchanged), then update-linux-headers.sh's
# cp_portable (kernel types to <stdint.h> types, includes to
# standard-headers).  The uapi header stays the single source of truth: the
# patch series never carries a copy of it.
#
# Usage: import-header.sh UAPI_HEADER QEMU_TREE
set -eu

[ $# -eq 2 ] || { echo "usage: import-header.sh UAPI_HEADER QEMU_TREE" >&2; exit 2; }
src=$1
tree=$2
[ -f "$src" ] || { echo "import-header.sh: no such header: $src" >&2; exit 1; }
[ -d "$tree/include/standard-headers/linux" ] ||
	{ echo "import-header.sh: not a QEMU tree: $tree" >&2; exit 1; }

# cp_portable refuses headers that include anything but a few known files.
if grep '#include' "$src" | grep -v -e 'linux/types' >/dev/null; then
	echo "import-header.sh: unexpected #include in $src" >&2
	exit 1
fi

out=$tree/include/standard-headers/linux/$(basename "$src")
sed -E -e 's@#(ifndef|define|endif[[:space:]]*/[*])[[:space:]]*_UAPI@#\1 @' "$src" |
sed -e 's/__aligned_u64/__u64 __attribute__((aligned(8)))/g' \
    -e 's/__u\([0-9][0-9]*\)/uint\1_t/g' \
    -e 's/u\([0-9][0-9]*\)/uint\1_t/g' \
    -e 's/__s\([0-9][0-9]*\)/int\1_t/g' \
    -e 's/__le\([0-9][0-9]*\)/uint\1_t/g' \
    -e 's/__be\([0-9][0-9]*\)/uint\1_t/g' \
    -e 's/<linux\/\([^>]*\)>/"standard-headers\/linux\/\1"/' \
    -e '/<asm\/\([^>]*\)>/d' \
    -e 's/__bitwise//' \
    -e 's/__attribute__((packed))/QEMU_PACKED/' \
    -e 's/__inline__/inline/' \
    -e 's/__BITS_PER_LONG/HOST_LONG_BITS/' >"$out.tmp"

# Nothing kernel-typed may survive the transformation.
if grep -n -E '__(le|be|u|s)[0-9]+' "$out.tmp" >&2; then
	rm -f "$out.tmp"
	echo "import-header.sh: kernel types left in the imported header" >&2
	exit 1
fi
mv "$out.tmp" "$out"
