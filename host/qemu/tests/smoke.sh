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
# directory, printed at the end if the test fails (E2E_KEEP=1: always).
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
. "$top/tests/e2e/lib.sh"

# The end-to-end suite's machinery (tests/e2e/lib.sh): its pvvfd command
# line with guest a alone, and its QEMU command line with this initramfs.
E2E_PVVFD=${1:-$top/host/build/pvvfd/pvvfd}
E2E_GUESTS=(a)
E2E_KCMDLINE=quiet
e2e_init
bash "$top/scripts/initramfs.sh" -s "$top/host/qemu/tests/smoke-guest.sh" \
	"$E2E_DIR/initrd-smoke.gz" || die "smoke: initramfs failed"
E2E_INITRD[a]=$E2E_DIR/initrd-smoke.gz
e2e_pvvfd
log "smoke: booting ${E2E_KVER[a]} under TCG"
e2e_boot a
# The initramfs powers the guest off once its script ran.
for _ in $(seq 3000); do kill -0 "${E2E_QPID[a]}" 2>/dev/null || break; sleep 0.1; done
if kill -0 "${E2E_QPID[a]}" 2>/dev/null; then
	e2e_kill a
	E2E_KEEP=1
	die "smoke: the guest did not power off within 300 s (files in $E2E_DIR)"
fi
wait "${E2E_QPID[a]}"
rc=$?
E2E_QPID[a]=
tmp=$E2E_DIR
[ $rc -eq 0 ] || { cat "$tmp/a.qemu.log" >&2; E2E_KEEP=1; die "smoke: QEMU failed (files in $tmp)"; }
cp "$tmp/a.console" "$tmp/console.log"

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
ctl dump >"$tmp/dump"
check "guest link is down again after QEMU quit" "$tmp/dump" '^guest name=a .*link=down driver=down'
kill -TERM "$E2E_PID"
wait "$E2E_PID" && echo "ok - pvvfd exits 0 on SIGTERM" || { echo "not ok - pvvfd exit status"; fail=1; }
E2E_PID=
check "pvvfd journaled a clean stop" "$tmp/journal" 'daemon event=stop status=0'
if [ $fail -ne 0 ]; then
	E2E_KEEP=1
	log "smoke: FAILED; files in $tmp"
	exit 1
fi
log "smoke: passed"
