#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install every build and test dependency of pvvf on Debian 12 (bookworm).
# Idempotent: each step checks whether it is already done.  Run as root.
#
# What it does:
#   1. adds bookworm-backports (deb, deb-src) and trixie (deb-src only)
#   2. installs the build/test packages (see README.md for why each is there)
#   3. installs kernel headers for Debian's 6.1 and 6.12 kernels
#   4. downloads the matching guest kernel images into the cache
#   5. unpacks linux-source-6.12 into the cache (KUnit, checkpatch.pl)
#   6. fetches Debian's QEMU 10.0 source into the cache
#
# The cache lives outside the checkout: $PVVF_CACHE (default /var/cache/pvvf).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages with apt-get)"
[ -r /etc/debian_version ] || die "this script supports Debian 12 only"
case "$(cat /etc/debian_version)" in
12*) ;;
*) log "warning: expected Debian 12, found $(cat /etc/debian_version)" ;;
esac

export DEBIAN_FRONTEND=noninteractive
mkdir -p "$PVVF_CACHE"

add_sources() {
	local f=/etc/apt/sources.list.d/pvvf.sources
	local want
	want=$(cat <<-'SRC'
	# Added by pvvf scripts/deps.sh
	Types: deb deb-src
	URIs: http://deb.debian.org/debian
	Suites: bookworm-backports
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

	Types: deb-src
	URIs: http://deb.debian.org/debian
	Suites: trixie
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	SRC
	)
	if [ -f "$f" ] && [ "$(cat "$f")" = "$want" ] &&
	   [ -n "$(find /var/lib/apt/lists -name '*bookworm-backports*Packages*' -mmin -1440 2>/dev/null)" ]; then
		log "apt sources: up to date"
		return
	fi
	log "apt sources: adding bookworm-backports and trixie (deb-src)"
	printf '%s\n' "$want" >"$f"
	apt-get update -q >"$PVVF_CACHE/apt-update.log" 2>&1 ||
		log "warning: apt-get update reported errors (see $PVVF_CACHE/apt-update.log)"
	ls /var/lib/apt/lists/*bookworm-backports*Packages* >/dev/null 2>&1 ||
		die "cannot reach the Debian archive (no bookworm-backports index)"
}

# Build and test packages from bookworm.
PKGS=(
	build-essential bc bison flex kmod cpio xz-utils dpkg-dev git
	libelf-dev libssl-dev
	sparse
	libcmocka-dev pkg-config
	libjansson-dev
	dkms
	clang libclang-rt-14-dev
	valgrind
	spin
	busybox-static
	seabios ipxe-qemu
	ninja-build python3-venv libglib2.0-dev libpixman-1-dev libfdt-dev
	graphviz mscgen
	gnuplot-nox
)
# From bookworm-backports.
BPO_PKGS=(meson python3-pycotap linux-source-6.12)

install_pkgs() {
	local missing=()
	local p
	for p in "${PKGS[@]}" "${BPO_PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	# meson must come from backports (QEMU 10 needs >= 1.5).
	if dpkg-query -W -f='${Version}' meson 2>/dev/null | grep -q '^0\|^1\.0'; then
		missing+=(meson)
	fi
	if [ ${#missing[@]} -eq 0 ]; then
		log "packages: all installed"
		return
	fi
	log "packages: installing ${missing[*]}"
	apt-get install -y -q --no-install-recommends "${PKGS[@]}" >>"$PVVF_CACHE/apt-install.log" 2>&1 ||
		die "apt-get install failed (see $PVVF_CACHE/apt-install.log)"
	apt-get install -y -q --no-install-recommends -t bookworm-backports "${BPO_PKGS[@]}" \
		>>"$PVVF_CACHE/apt-install.log" 2>&1 ||
		die "apt-get install from bookworm-backports failed (see $PVVF_CACHE/apt-install.log)"
}

install_headers() {
	local kver
	for kver in "$KVER_61" "$KVER_612"; do
		if [ -e "/lib/modules/$kver/build/Makefile" ]; then
			log "headers: $kver installed"
			continue
		fi
		log "headers: installing linux-headers-$kver"
		apt-get install -y -q --no-install-recommends "linux-headers-$kver" \
			>>"$PVVF_CACHE/apt-install.log" 2>&1 ||
			die "cannot install linux-headers-$kver (see $PVVF_CACHE/apt-install.log)"
	done
}

fetch_images() {
	local kver dir tmp deb
	for kver in "$KVER_61" "$KVER_612"; do
		dir="$PVVF_CACHE/kernels/$kver"
		if [ -s "$dir/vmlinuz" ]; then
			log "guest kernel: $kver cached"
			continue
		fi
		log "guest kernel: downloading linux-image-$kver"
		tmp=$(mktemp -d)
		(cd "$tmp" && apt-get download -q "linux-image-$kver" >/dev/null 2>&1) ||
			{ rm -rf "$tmp"; die "cannot download linux-image-$kver"; }
		deb=$(ls "$tmp"/*.deb)
		dpkg-deb -x "$deb" "$tmp/x"
		mkdir -p "$dir"
		cp "$tmp/x/boot/vmlinuz-$kver" "$dir/vmlinuz"
		cp "$tmp/x/boot/config-$kver" "$dir/config"
		# Keep the in-tree modules the guest may need (virtio, PCI) as a tree.
		cp -a "$tmp/x/lib/modules/$kver" "$dir/modules" 2>/dev/null ||
			cp -a "$tmp/x/usr/lib/modules/$kver" "$dir/modules"
		rm -rf "$tmp"
	done
}

unpack_linux_source() {
	local tarball dir ver
	tarball=$(ls /usr/src/linux-source-6.12.tar.xz 2>/dev/null) ||
		die "linux-source-6.12 is not installed"
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
	dir="$PVVF_CACHE/linux-source-$ver"
	if [ -f "$dir/.unpacked" ]; then
		log "linux source: $ver unpacked"
	else
		log "linux source: unpacking $ver (about 15 s)"
		rm -rf "$dir"
		mkdir -p "$dir"
		tar -C "$dir" --strip-components=1 -xJf "$tarball"
		touch "$dir/.unpacked"
	fi
	ln -sfn "$dir" "$PVVF_CACHE/linux-source"
}

fetch_qemu() {
	local dir
	dir=$(ls -d "$PVVF_CACHE"/src/qemu-10.0*/ 2>/dev/null | head -n1 || true)
	if [ -n "$dir" ] && [ -f "$dir/.fetched" ]; then
		log "qemu source: cached in $(basename "$dir")"
		return
	fi
	log "qemu source: fetching Debian's QEMU 10.0 source from trixie"
	mkdir -p "$PVVF_CACHE/src"
	rm -rf "$PVVF_CACHE"/src/qemu-*
	(cd "$PVVF_CACHE/src" && apt-get source -q qemu/trixie >"$PVVF_CACHE/qemu-source.log" 2>&1) ||
		die "apt-get source qemu failed (see $PVVF_CACHE/qemu-source.log)"
	dir=$(ls -d "$PVVF_CACHE"/src/qemu-10.0*/ 2>/dev/null | head -n1) ||
		die "apt-get source qemu did not produce a qemu-10.0 tree"
	touch "$dir/.fetched"
}

add_sources
install_pkgs
resolve_kvers
install_headers
fetch_images
unpack_linux_source
fetch_qemu
log "done: kernels $KVER_61 and $KVER_612, cache in $PVVF_CACHE"
