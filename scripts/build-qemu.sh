#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build QEMU with pvvf's frontend device (host/qemu/patches) and
# libvhost-user, which pvvfd is built on.  The build lives in the cache,
# keyed by a hash of everything that goes into it: the QEMU source version,
# the patches, the uapi header (imported as a standard header), the header
# import script, the configure flags and this script.  A cache hit builds
# nothing.
#
# Usage:
#   build-qemu.sh              build if needed, then print the environment
#   build-qemu.sh --print-env  print the environment of an existing build;
#                              fails (exit 1) if it was not built yet
#   build-qemu.sh --help
#
# The environment is printed on stdout as KEY=value lines (no quoting: no
# value contains white space), usable by `eval` in shell and by make:
#   QEMU                 qemu-system-x86_64
#   QEMU_PC_BIOS         the build's pc-bios directory (option ROMs)
#   SEABIOS_DIR          SeaBIOS images; pass both with -L to QEMU
#   LIBVHOST_USER_DIR    directory holding libvhost-user.a
#   LIBVHOST_USER_INC    include directory for libvhost-user.h
#   QEMU_BUILD           the cache directory of this build
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

SEABIOS_DIR=/usr/share/seabios
CONFIGURE_FLAGS=(
	--target-list=x86_64-softmmu
	--without-default-features
	--enable-vhost-user
	--enable-tcg
	--enable-kvm
	--disable-docs
	--disable-werror
	--disable-download
	--disable-install-blobs
)
# Everything else the end-to-end setup needs (q35, pcie-root-port,
# pxb-pcie, intel-iommu, virtio-pci, vhost-user-base and the pvvf device)
# is a Kconfig default of the x86_64 target once vhost-user is enabled;
# build() checks the devices are really there.
REQUIRED_DEVICES=(vhost-user-pvvf-pci pcie-root-port pxb-pcie intel-iommu
	virtio-rng-pci)

usage() {
	sed -n '/^# Usage:/,/^# *QEMU_BUILD/s/^# \{0,1\}//p' "$0"
}

find_source() {
	local dirs
	if [ -n "${QEMU_SRC:-}" ]; then
		[ -f "$QEMU_SRC/VERSION" ] || die "QEMU_SRC=$QEMU_SRC is not a QEMU source tree"
		echo "$QEMU_SRC"
		return
	fi
	dirs=$(ls -d "$PVVF_CACHE"/src/qemu-10.0*/ 2>/dev/null || true)
	[ -n "$dirs" ] || die "no QEMU 10.0 source in $PVVF_CACHE/src (run make deps)"
	[ "$(echo "$dirs" | wc -l)" -eq 1 ] ||
		die "several QEMU sources in $PVVF_CACHE/src; set QEMU_SRC= to one"
	echo "${dirs%/}"
}

# The cache key: anything that changes the build changes the key.
build_key() {
	local src=$1
	{
		echo "source $(basename "$src")"
		head -n1 "$src/debian/changelog" 2>/dev/null || cat "$src/VERSION"
		echo "flags ${CONFIGURE_FLAGS[*]}"
		sha256sum "$0" "$top/uapi/linux/virtio_pvvf.h" \
			"$top/host/qemu/import-header.sh" | cut -d' ' -f1
		for p in "$top"/host/qemu/patches/*.patch; do
			echo "patch $(basename "$p") $(sha256sum <"$p" | cut -d' ' -f1)"
		done
	} | sha256sum | cut -c1-16
}

print_env() {
	local dir=$1
	cat <<-ENV
	QEMU=$dir/build/qemu-system-x86_64
	QEMU_PC_BIOS=$dir/build/pc-bios
	SEABIOS_DIR=$SEABIOS_DIR
	LIBVHOST_USER_DIR=$dir/build/subprojects/libvhost-user
	LIBVHOST_USER_INC=$dir/src/subprojects/libvhost-user
	QEMU_BUILD=$dir
	ENV
}

apply_patches() {
	local src=$1 p
	sh "$top/host/qemu/import-header.sh" "$top/uapi/linux/virtio_pvvf.h" "$src" ||
		die "cannot import the uapi header into the QEMU tree"
	for p in "$top"/host/qemu/patches/*.patch; do
		log "qemu: applying $(basename "$p")"
		# No fuzz: a patch that does not apply exactly is an error.
		patch -d "$src" -p1 -F0 --batch --forward --quiet \
			--no-backup-if-mismatch -i "$p" ||
			die "qemu: $(basename "$p") does not apply"
	done
}

# -kernel boots need linuxboot_dma.bin, and the +ds source ships no
# prebuilt option ROMs.  configure writes their config.mak only when the
# compiler can link 32-bit code against libgcc (gcc-multilib); the ROMs are
# freestanding 16-bit code linked with -nostdlib, so the host compiler
# builds them without it.
build_option_roms() {
	local dir=$1 rom=$1/build/pc-bios/optionrom
	[ -e "$rom/Makefile" ] || die "qemu: configure did not set up pc-bios/optionrom"
	if [ ! -e "$rom/config.mak" ]; then
		printf '%s\n' "TOPSRC_DIR=$dir/src" "EXTRA_CFLAGS=" "CC=cc" "CCAS=cc" \
			"LD=ld" "OBJCOPY=objcopy" >"$rom/config.mak"
	fi
	make -C "$rom" PYTHON=/usr/bin/python3 >>"$dir/build.log" 2>&1 ||
		die "qemu: option ROM build failed (log: $dir/build.log)"
}

build() {
	local src=$1 dir=$2 jobs dev
	jobs=$(nproc)
	rm -rf "$dir"
	mkdir -p "$dir/build"
	log "qemu: copying $(basename "$src") to $dir/src"
	cp -a "$src" "$dir/src"
	apply_patches "$dir/src"
	log "qemu: configuring (log: $dir/configure.log)"
	(cd "$dir/build" && ../src/configure --python=/usr/bin/python3 \
		"${CONFIGURE_FLAGS[@]}") >"$dir/configure.log" 2>&1 ||
		{ tail -n 30 "$dir/configure.log" >&2; die "qemu: configure failed (log: $dir/configure.log)"; }
	log "qemu: building qemu-system-x86_64 and libvhost-user with $jobs jobs (log: $dir/build.log)"
	ninja -C "$dir/build" -j "$jobs" qemu-system-x86_64 \
		subprojects/libvhost-user/libvhost-user.a >"$dir/build.log" 2>&1 ||
		{ grep -B2 -A8 -m5 'error' "$dir/build.log" >&2 || tail -n 30 "$dir/build.log" >&2
		  die "qemu: build failed (log: $dir/build.log)"; }
	build_option_roms "$dir"
	for f in qemu-system-x86_64 subprojects/libvhost-user/libvhost-user.a \
		pc-bios/optionrom/linuxboot_dma.bin; do
		[ -e "$dir/build/$f" ] || die "qemu: build did not produce $f"
	done
	# The option ROMs are looked up by name in the -L directories.
	ln -sf optionrom/linuxboot_dma.bin optionrom/kvmvapic.bin \
		optionrom/linuxboot.bin optionrom/multiboot.bin \
		optionrom/multiboot_dma.bin optionrom/pvh.bin "$dir/build/pc-bios/"
	for dev in "${REQUIRED_DEVICES[@]}"; do
		"$dir/build/qemu-system-x86_64" -device help 2>/dev/null |
			grep -q "name \"$dev\"" || die "qemu: the build has no $dev device"
	done
	touch "$dir/.complete"
}

main() {
	local mode=build src key dir
	case "${1:-}" in
	"") ;;
	--print-env) mode=print ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
	[ $# -le 1 ] || { usage >&2; die "too many arguments"; }
	case "$PVVF_CACHE" in
	*[[:space:]]*) die "PVVF_CACHE must not contain white space" ;;
	esac
	ls "$top"/host/qemu/patches/*.patch >/dev/null 2>&1 ||
		die "no patches in host/qemu/patches"

	src=$(find_source)
	key=$(build_key "$src")
	dir=$PVVF_CACHE/qemu-build/$key

	if [ "$mode" = print ]; then
		[ -e "$dir/.complete" ] ||
			die "QEMU is not built for the current inputs ($dir); run scripts/build-qemu.sh"
		print_env "$dir"
		return
	fi

	mkdir -p "$PVVF_CACHE/qemu-build"
	# One builder per key; a second caller waits, then finds a cache hit.
	exec 9>"$PVVF_CACHE/qemu-build/$key.lock"
	flock 9
	if [ -e "$dir/.complete" ]; then
		log "qemu: cached build $dir"
	else
		build "$src" "$dir"
		log "qemu: built $dir"
	fi
	print_env "$dir"
}

main "$@"
