#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end test of pvvf.ko: pvvfd serves one guest with one simulated-PF
# VF (a stand-in virtio-rng-pci behind a root port); the Debian 6.12 guest
# loads pvvf.ko and pvvf_test.ko and runs tests/consumer/e2e-guest.sh,
# while this script plays the host side with pvvfd's control socket.
#
# Usage: e2e.sh [PVVFD]   (default: host/build/pvvfd/pvvfd; make host)
# PVVF_E2E_KVER=61 boots the Debian 6.1 guest instead of 6.12; its virtio
# core is modular, so those modules go into the initramfs first.
# Needs scripts/build-qemu.sh to have run.  Prints "ok"/"not ok" lines and
# exits non-zero if any check failed; keeps its files then.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/lib.sh"

pvvfd=${1:-$top/host/build/pvvfd/pvvfd}
[ -x "$pvvfd" ] || die "e2e: no pvvfd at $pvvfd (make host)"
env=$(bash "$top/scripts/build-qemu.sh" --print-env) ||
	die "e2e: run scripts/build-qemu.sh first"
eval "$env"
resolve_kvers
case ${PVVF_E2E_KVER:-612} in
61) kver=$KVER_61 ;;
612) kver=$KVER_612 ;;
*) die "e2e: PVVF_E2E_KVER is 61 or 612" ;;
esac
kernel=$PVVF_CACHE/kernels/$kver/vmlinuz
[ -f "$kernel" ] || die "e2e: no guest kernel $kernel (make deps)"
# Modules the kernel's config leaves modular, in load order.
vmods=()
kmods=$PVVF_CACHE/kernels/$kver/modules/kernel/drivers/virtio
if grep -q '^CONFIG_VIRTIO_PCI=m' "$PVVF_CACHE/kernels/$kver/config"; then
	for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev \
		 virtio_pci; do
		[ -f "$kmods/$m.ko" ] || die "e2e: no $kmods/$m.ko (make deps)"
		vmods+=(-m "$kmods/$m.ko")
	done
fi

tmp=$(mktemp -d)
pid=
qpid=
finish() {
	[ -z "$qpid" ] || kill "$qpid" 2>/dev/null
	[ -z "$pid" ] || kill "$pid" 2>/dev/null
}
trap finish EXIT

mkdir -p "$tmp/mod"
cp -r "$top/Kbuild" "$top/guest" "$top/include" "$top/uapi" "$tmp/mod/"
mkdir -p "$tmp/mod/tests" && cp -r "$top/tests/consumer" "$tmp/mod/tests/"
make -s -C "/lib/modules/$kver/build" M="$tmp/mod" modules >"$tmp/build.log" 2>&1 ||
	{ cat "$tmp/build.log"; die "e2e: module build failed"; }
bash "$top/scripts/initramfs.sh" "${vmods[@]}" -m "$tmp/mod/pvvf.ko" -m "$tmp/mod/pvvf_test.ko" \
	-s "$top/tests/consumer/e2e-guest.sh" "$tmp/initrd.gz"

# Page requests take 3 s to complete by themselves, and a drain may last
# 5 s: long enough to quiesce with requests outstanding (step 2b).
"$pvvfd" --pf sim:id=pf0,vfs=8,prq-delay-us=3000000 --drain-timeout-ms 5000 \
	--guest "name=a,socket=$tmp/a.sock,vf=pf0:0@0000:00:1c.0/00.0+id=1af4:1044" \
	--control "$tmp/ctl" --log "$tmp/journal" &
pid=$!
for _ in $(seq 100); do [ -S "$tmp/a.sock" ] && break; sleep 0.05; done
[ -S "$tmp/a.sock" ] || die "e2e: pvvfd did not come up"

con=$tmp/console.log
touch "$con"
log "e2e: booting $kver under TCG (console: $con)"
timeout 300 "$QEMU" -L "$SEABIOS_DIR" -L "$QEMU_PC_BIOS" \
	-machine q35 -m 512M -nodefaults \
	-object memory-backend-memfd,id=mem,size=512M,share=on -numa node,memdev=mem \
	-display none -serial "file:$con" -nic none -no-reboot \
	-chardev "socket,id=pvvf0,path=$tmp/a.sock" \
	-device vhost-user-pvvf-pci,chardev=pvvf0 \
	-device pcie-root-port,id=rp1,chassis=1,bus=pcie.0,addr=1c.0 \
	-device virtio-rng-pci,bus=rp1,disable-legacy=on,ats=on \
	-kernel "$kernel" -initrd "$tmp/initrd.gz" \
	-append "console=ttyS0 panic=-1 loglevel=7" >"$tmp/qemu.log" 2>&1 &
qpid=$!

ctl() { /usr/bin/python3 "$top/host/pvvfd/tests/ctl.py" "$tmp/ctl" "$@" >>"$tmp/ctl.log"; }
marker() {
	for _ in $(seq 1200); do
		grep -q "^e2e: $1" "$con" && return 0
		kill -0 "$qpid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
marker M1 && ctl "inject pf=pf0 vf=0 n=2"
marker M2 && sleep 1 && ctl "complete pf=pf0 vf=0 n=2"
marker M6 && ctl "inject pf=pf0 vf=0 n=2" && sleep 1 &&
	ctl "host-pasid pf=pf0 enable=off"
marker M7 && ctl "host-pasid pf=pf0 enable=on"
marker M3 && ctl "host-pri-disable pf=pf0"
marker M4 && ctl "pf-reset pf=pf0"
marker M5 && ctl "pf-remove pf=pf0"
wait "$qpid"
qpid=

fail=0
check() {	# check DESCRIPTION REGEX
	if grep -Eq -- "$2" "$con"; then
		echo "ok - $1"
	else
		echo "not ok - $1"
		fail=1
	fi
}
after() {	# after MARKER DESCRIPTION REGEX: REGEX below the marker
	# grep reads everything: with pipefail, grep -q could SIGPIPE sed.
	if sed -n "/^e2e: $1/,\$p" "$con" | grep -E -- "$3" >/dev/null; then
		echo "ok - $2"
	else
		echo "not ok - $2"
		fail=1
	fi
}
V=0000:01:00.0
check "VF attached by locator" "pvvf: VF 0 of PF 0x1 \(slot 0\)"
for s in pasid_on ats_on pri_on pri_off wait_stopped pri_reset ats_off pasid_off; do
	check "cycle: $s = 0" "pvvf_test: $V $s = 0"
done
check "sysfs group" "^e2e: sysfs pf_id=0x1"
after M2 "drain: stopped after the host completed" "pvvf_test: $V wait_stopped = 0"
after M6 "callback: PRI disabled" "pvvf_test: $V cb_pri_off = 0"
after M6 "callback: stopped without the event waking it" "pvvf_test: $V cb_wait_stopped = 0"
after M7 "PASID enabled again" "pvvf_test: $V pasid_on = 0"
check "host revokes PRI: event" "pvvf_test: $V event pri_revoked"
check "revoked PRI refused" "pvvf_test: $V pri_on = -1\b"
check "PF reset: begin event" "pvvf_test: $V event pf_reset_begin"
check "PF reset: done event" "pvvf_test: $V event pf_reset_done"
check "VF removed: detached" "pvvf: detached \(function removed\)"
check "pvvf unbound: detached" "pvvf: detached \(pvvf device removed\)"
check "pvvf unbound: VF driver unbound first" "^e2e: vf-driver=\s*$"
check "removed from the ATTACHED callback" "^e2e: removed-in-callback=yes"
after removed-in-callback "attached again after rescan" "pvvf_test: $V info = 0"
check "resume" "^e2e: resume rc=0"
after suspend "resume: lost PASID reported" "pvvf_test: $V event pasid_revoked"
after resume "resume: ATS and PASID torn down" "pvvf_test: $V pasid_off = 0"
check "PF removed: event" "pvvf_test: $V event pf_removed"
check "PF removed: detached" "pvvf: detached \(PF (removed|gone)\)"
check "PF removed: API says -ENODEV" "pvvf_test: $V info = -19"
check "guest script finished" "^e2e: END"
if grep -Eq "WARNING:|BUG:|Call Trace" "$con"; then
	echo "not ok - kernel warnings"; fail=1
else
	echo "ok - no kernel warnings"
fi
if [ $fail -ne 0 ]; then
	log "e2e: FAILED; files in $tmp"
	trap - EXIT
	kill "$pid" 2>/dev/null
	exit 1
fi
rm -rf "$tmp"
log "e2e: passed"
