#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end smoke test of the QEMU frontend and pvvfd: pvvfd serves one
# guest with one simulated-PF VF; QEMU (q35, TCG) runs vhost-user-pvvf-pci
# and a stand-in VF (virtio-rng-pci behind a root port at 00:1c.0); the
# Debian 6.12 guest kernel boots a busybox initramfs that finds 1af4:107f
# and reads its configuration from the virtio-pci config window.
#
# Usage: smoke.sh [PVVFD]   (default: host/build/pvvfd/pvvfd)
# Needs scripts/build-qemu.sh to have run.  Keeps its files in a temporary
# directory, printed at the end if the test fails.
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
. "$top/scripts/lib.sh"

pvvfd=${1:-$top/host/build/pvvfd/pvvfd}
[ -x "$pvvfd" ] || die "smoke: no pvvfd at $pvvfd (make -C host)"
env=$(bash "$top/scripts/build-qemu.sh" --print-env) || die "smoke: run scripts/build-qemu.sh first"
eval "$env"
kernel=$(ls "$PVVF_CACHE"/kernels/6.12*/vmlinuz 2>/dev/null | head -n1)
[ -n "$kernel" ] || die "smoke: no 6.12 guest kernel in $PVVF_CACHE/kernels (make deps)"

tmp=$(mktemp -d)
pid=
finish() {
	[ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null || true
	[ -z "$pid" ] || wait "$pid" 2>/dev/null || true
}
trap finish EXIT

bash "$top/scripts/initramfs.sh" -s "$top/host/qemu/tests/smoke-guest.sh" "$tmp/initrd.gz"

# The stand-in VF: virtio-rng-pci (modern: 1af4:1044) in the root port at
# 00:1c.0, so the guest sees it at 0000:00:1c.0/00.0.
"$pvvfd" --pf sim:id=pf0,vfs=8 \
	--guest "name=a,socket=$tmp/a.sock,vf=pf0:0@0000:00:1c.0/00.0+id=1af4:1044" \
	--control "$tmp/ctl" --log "$tmp/journal" &
pid=$!
for _ in $(seq 100); do [ -S "$tmp/a.sock" ] && break; sleep 0.05; done
[ -S "$tmp/a.sock" ] || die "smoke: pvvfd did not come up"

log "smoke: booting $kernel under TCG (console: $tmp/console.log)"
timeout 300 "$QEMU" -L "$SEABIOS_DIR" -L "$QEMU_PC_BIOS" \
	-machine q35 -m 512M -nodefaults \
	-object memory-backend-memfd,id=mem,size=512M,share=on -numa node,memdev=mem \
	-display none -serial "file:$tmp/console.log" -nic none -no-reboot \
	-chardev "socket,id=pvvf0,path=$tmp/a.sock" \
	-device vhost-user-pvvf-pci,chardev=pvvf0 \
	-device pcie-root-port,id=rp1,chassis=1,bus=pcie.0,addr=1c.0 \
	-device virtio-rng-pci,bus=rp1,disable-legacy=on,ats=on \
	-kernel "$kernel" -initrd "$tmp/initrd.gz" \
	-append "console=ttyS0 panic=-1 quiet" >"$tmp/qemu.log" 2>&1 ||
	{ cat "$tmp/qemu.log" >&2; die "smoke: QEMU failed (files in $tmp)"; }

tr -d '\r' <"$tmp/console.log" >"$tmp/console.txt"
grep -E '^(smoke|initramfs):' "$tmp/console.txt" || true
fail=0
check() {	# check DESCRIPTION FILE REGEX
	if grep -Eq -- "$3" "$2"; then
		echo "ok - $1"
	else
		echo "not ok - $1"
		fail=1
	fi
}
check "guest sees 1af4:107f, class 0x0880" "$tmp/console.txt" '^smoke: pvvf=[0-9a-f:.]+ class=0x0880'
check "guest reads config: epoch 1, one VF slot" "$tmp/console.txt" '^smoke: device_cfg=bar[0-9]+\+[0-9]+ epoch=1 num_vfs=1$'
check "stand-in VF behind the root port" "$tmp/console.txt" '^smoke: standin=0000:01:00.0'
check "guest test script passed" "$tmp/console.txt" '^initramfs: test.sh exit 0'
check "pvvfd saw the frontend connect" "$tmp/journal" 'conn guest=a event=connect'
check "pvvfd saw it go away" "$tmp/journal" 'conn guest=a event=disconnect reason='
python_ctl="/usr/bin/python3 $top/host/pvvfd/tests/ctl.py"
$python_ctl "$tmp/ctl" dump >"$tmp/dump"
check "guest link is down again after QEMU quit" "$tmp/dump" '^guest name=a .*link=down driver=down'
kill -TERM "$pid"
wait "$pid" && echo "ok - pvvfd exits 0 on SIGTERM" || { echo "not ok - pvvfd exit status"; fail=1; }
pid=
check "pvvfd journaled a clean stop" "$tmp/journal" 'daemon event=stop status=0'
if [ $fail -ne 0 ]; then
	log "smoke: FAILED; files in $tmp"
	trap - EXIT
	exit 1
fi
rm -rf "$tmp"
log "smoke: passed"
