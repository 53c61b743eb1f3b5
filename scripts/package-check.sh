#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make package-check: what packaging/ and the man pages promise.
#
#   1. the man pages render without a warning (man --warnings -l)
#   2. the systemd unit passes systemd-analyze verify
#   3. pvvfd starts from the example configuration (paths moved to a
#      temporary directory) and pvvfctl lists its guest
#   4. `dkms build` of the guest module against the installed Debian 6.12
#      and 6.1 headers, in a temporary DKMS tree (the machine's DKMS state,
#      module trees and signing keys are left as they were)
#   5. for each, mkinitramfs with the hook and modprobe.d/pvvf.conf puts
#      pvvf.ko and the softdeps into an initramfs, in a private mount
#      namespace whose module tree, /etc/modprobe.d and /boot are overlays
#
# Needs root (dkms, unshare, overlayfs), pvvfd and pvvfctl built (make host)
# and the Debian 6.12 and 6.1 headers, and the guest kernels' modules
# (make deps).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/lib.sh

[ "$(id -u)" -eq 0 ] || die "package-check needs root (dkms, mount namespaces)"
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }
show() { sed 's/^/#   /' "$@" | head -n 20; }

# ---- 1. man pages ----
mkdir -p "$tmp/man/man8"
for page in host/pvvfd/pvvfd.8 host/pvvfctl/pvvfctl.8; do
	MANWIDTH=80 man --warnings -l "$page" >"$tmp/man.out" 2>"$tmp/man.err"
	if [ $? -eq 0 ] && [ ! -s "$tmp/man.err" ] && grep -q '^NAME' "$tmp/man.out"; then
		ok "man -l $page renders without warnings"
	else
		not_ok "man -l $page"; show "$tmp/man.err"
	fi
	cp "$page" "$tmp/man/man8/"
done

# ---- 2. systemd unit ----
pvvfd=$top/host/build/pvvfd/pvvfd
pvvfctl=$top/host/build/pvvfctl/pvvfctl
sed "s#/usr/local/sbin/pvvfd#$pvvfd#" packaging/host/pvvfd.service >"$tmp/pvvfd.service"
if MANPATH=$tmp/man systemd-analyze verify "$tmp/pvvfd.service" >"$tmp/verify" 2>&1 &&
	[ ! -s "$tmp/verify" ]; then
	ok "systemd-analyze verify pvvfd.service (and its man: documentation)"
else
	not_ok "systemd-analyze verify pvvfd.service"; show "$tmp/verify"
fi

# ---- 3. the example configuration ----
sed -e "s#/run/pvvf/#$tmp/run/#g" -e "s#/var/lib/pvvf/#$tmp/run/#g" \
	packaging/host/pvvfd.conf >"$tmp/pvvfd.conf"
mkdir -p "$tmp/run"
"$pvvfd" --config "$tmp/pvvfd.conf" 2>"$tmp/pvvfd.err" &
pid=$!
for _ in $(seq 100); do
	[ -S "$tmp/run/ctl" ] && break
	sleep 0.05
done
if "$pvvfctl" -s "$tmp/run/ctl" list guests >"$tmp/list" 2>&1 &&
	grep -q "^vm1 " "$tmp/list" && [ -S "$tmp/run/vm1.sock" ] &&
	[ -s "$tmp/run/pvvfd.state" ]; then
	ok "pvvfd runs from packaging/host/pvvfd.conf; pvvfctl lists vm1; the state journal is written"
else
	not_ok "pvvfd from the example configuration"; show "$tmp/pvvfd.err" "$tmp/list"
fi
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ $rc -eq 0 ] && ok "and stops with exit 0" || not_ok "pvvfd exit $rc"

# ---- 4. dkms build, 5. initramfs: for each Debian kernel ----
state() {	# what DKMS and the module trees look like outside our tree
	{ find /var/lib/dkms /usr/src /boot -maxdepth 3 2>/dev/null; \
	  find /lib/modules -name 'pvvf*' 2>/dev/null; } | sort
}
state >"$tmp/state.before"
packaging/guest/dkms-source.sh "$tmp/src/pvvf-0.1"
mkdir -p "$tmp/dkms"

dkms_build() {	# KVER: sets $ko
	local kver=$1
	# a key of our own, so DKMS neither uses nor creates the machine's
	local args=(-m pvvf -v 0.1 -k "$kver" --dkmstree "$tmp/dkms" --sourcetree "$tmp/src")

	ko=
	[ -d "$tmp/dkms/pvvf/0.1/source" ] ||
		dkms add "${args[@]}" >"$tmp/dkms.log" 2>&1
	if mok_signing_key=$tmp/mok.key mok_certificate=$tmp/mok.pub \
		dkms build "${args[@]}" >>"$tmp/dkms.log" 2>&1; then
		ko=$(find "$tmp/dkms/pvvf/0.1/$kver" -name 'pvvf.ko*' | head -n1)
		if [ -n "$ko" ] && modinfo -F vermagic "$ko" | grep -q "^$kver "; then
			ok "dkms build against linux-headers-$kver: $(basename "$ko")"
			return
		fi
	fi
	not_ok "dkms build for $kver"; show "$tmp/dkms.log"
	ko=
}

# The hook needs pvvf.ko in /lib/modules/KVER: overlays in a private
# mount namespace give it one (over the image's modules: installed, or
# the guest kernel's from the cache), and modprobe.d/pvvf.conf and the
# kernel's config in /boot, without touching the real ones.
initramfs() {	# KVER MODULES_LOWERDIR CONFIG
	local kver=$1 lower=$2 config=$3 d=$tmp/ov-$1

	rm -rf "$tmp/itconf"
	cp -a /etc/initramfs-tools "$tmp/itconf"
	install -m 0755 packaging/guest/initramfs-tools/hooks/pvvf "$tmp/itconf/hooks/pvvf"
	# only the modules the hooks ask for: fast, and proves the hook works
	sed -i 's/^MODULES=.*/MODULES=list/' "$tmp/itconf/initramfs.conf"
	: >"$tmp/itconf/modules"
	mkdir -p "$d"/{mod,modw,etc,etcw,boot,bootw}
	cat >"$tmp/initramfs.sh" <<-EOF
	set -e
	mount -t overlay overlay -o lowerdir=$lower,upperdir=$d/mod,workdir=$d/modw /lib/modules/$kver
	mount -t overlay overlay -o lowerdir=/etc/modprobe.d,upperdir=$d/etc,workdir=$d/etcw /etc/modprobe.d
	mount -t overlay overlay -o lowerdir=/boot,upperdir=$d/boot,workdir=$d/bootw /boot
	[ -e /boot/config-$kver ] || cp "$config" /boot/config-$kver
	mkdir -p /lib/modules/$kver/updates/dkms
	cp "$ko" /lib/modules/$kver/updates/dkms/
	cp "$top/packaging/guest/modprobe.d/pvvf.conf" /etc/modprobe.d/pvvf.conf
	depmod "$kver"
	modprobe -S "$kver" --show-depends pvvf >"$tmp/depends"
	mkinitramfs -d "$tmp/itconf" -o "$tmp/initrd-$kver.img" "$kver"
	EOF
	if ! unshare -m bash "$tmp/initramfs.sh" >"$tmp/initramfs.log" 2>&1; then
		not_ok "mkinitramfs for $kver in a private namespace"; show "$tmp/initramfs.log"
		return
	fi
	lsinitramfs "$tmp/initrd-$kver.img" >"$tmp/initrd.list"
	if grep -q "lib/modules/$kver/updates/dkms/pvvf.ko" "$tmp/initrd.list" &&
		grep -q "etc/modprobe.d/pvvf.conf" "$tmp/initrd.list"; then
		ok "$kver: mkinitramfs with the hook puts pvvf.ko and modprobe.d/pvvf.conf in"
	else
		not_ok "$kver: the initramfs lacks pvvf.ko or pvvf.conf"
		grep -E 'pvvf|virtio' "$tmp/initrd.list" | show
	fi
	# the softdep: virtio_pci (a module on 6.1, built in on 6.12) first
	local v p
	v=$(grep -n 'virtio_pci' "$tmp/depends" | head -n1 | cut -d: -f1)
	p=$(grep -n '/pvvf\.ko' "$tmp/depends" | cut -d: -f1)
	if [ -n "$v" ] && [ -n "$p" ] && [ "$v" -lt "$p" ] &&
		{ grep -q '^builtin virtio_pci' "$tmp/depends" ||
		  grep -q '/virtio_pci\.ko' "$tmp/initrd.list"; }; then
		ok "$kver: modprobe pvvf loads virtio_pci first, and the initramfs has it ($(grep -o '^[a-z]* virtio_pci\|/virtio_pci\.ko[.a-z]*' "$tmp/depends" | head -n1))"
	else
		not_ok "$kver: virtio_pci before pvvf"; show "$tmp/depends"
	fi
}

resolve_kvers
for kver in "$KVER_612" "$KVER_61"; do
	dkms_build "$kver"
	[ -n "$ko" ] || { not_ok "$kver: no module from dkms for the initramfs"; continue; }
	if [ -d "/lib/modules/$kver/kernel" ]; then
		initramfs "$kver" "/lib/modules/$kver" "/boot/config-$kver"
	else
		initramfs "$kver" "/lib/modules/$kver:$PVVF_CACHE/kernels/$kver/modules" \
			"$PVVF_CACHE/kernels/$kver/config"
	fi
done

state >"$tmp/state.after"
if cmp -s "$tmp/state.before" "$tmp/state.after"; then
	ok "the machine's DKMS state, /boot, /usr/src and module trees are unchanged"
else
	not_ok "the checks changed the machine's state"
	diff "$tmp/state.before" "$tmp/state.after" | show
fi

echo "package-check: $passed passed, $failed failed"
[ $failed -eq 0 ]
