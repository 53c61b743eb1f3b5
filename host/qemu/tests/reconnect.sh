#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The QEMU frontend reconnects to a restarted pvvfd
# (host/qemu/patches/0005): QEMU runs vhost-user-pvvf-pci with
# -chardev socket,...,reconnect-ms=200, its vCPUs stopped (-S: the device
# needs no driver to be connected), and
#
#   * QEMU started before pvvfd waits in realize for the socket, then
#     connects;
#   * pvvfd is SIGKILLed and started again, RECONNECT_KILLS times (default
#     3): each time QEMU sees the link go down ("info chardev"), stays up,
#     and connects to the new daemon by itself: the daemon's dump shows
#     guest a's link up again, its journal the connection, and QEMU's
#     chardev is connected;
#   * pvvfd announces a config change (VHOST_USER_BACKEND_CONFIG_CHANGE_MSG)
#     while no driver runs the device, first and after the reconnections:
#     QEMU stays up (host/qemu/patches/0006);
#   * QEMU quits cleanly over the reconnected device.
#
# The guest-visible half (a running driver resumed, RESYNC, its requests
# answered) is tests/e2e/crash.sh's.
#
# Usage: reconnect.sh [PVVFD]   (default: host/build/pvvfd/pvvfd)
# Needs scripts/build-qemu.sh to have run.  Keeps its files in a temporary
# directory, printed at the end if the test fails (E2E_KEEP=1: always).
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
. "$top/tests/e2e/lib.sh"

KILLS=${RECONNECT_KILLS:-3}
E2E_PVVFD=${1:-$top/host/build/pvvfd/pvvfd}
E2E_GUESTS=(a)
E2E_RECONNECT_MS=200
e2e_init
bash "$top/scripts/initramfs.sh" -s "$top/host/qemu/tests/smoke-guest.sh" \
	"$E2E_DIR/initrd-smoke.gz" || die "reconnect: initramfs failed"
E2E_INITRD[a]=$E2E_DIR/initrd-smoke.gz

n=0
fail=0
why=()
check() {	# check DESCRIPTION: ok if nothing was added to why
	n=$((n + 1))
	if [ ${#why[@]} -eq 0 ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		printf '#   %s\n' "${why[@]}"
		fail=$((fail + 1))
	fi
	why=()
}
# until_true SECS COMMAND...: poll COMMAND every 0.1 s; 1 if never true
until_true() {
	local i
	for i in $(seq $(($1 * 10))); do
		"${@:2}" && return 0
		sleep 0.1
	done
	return 1
}
linked() { ctl dump 2>/dev/null | grep -Eq '^guest name=a .*link=up '; }
chardev() { hmp a 'info chardev' 2>/dev/null | grep '^pvvf0:'; }
chr_connected() { chardev | grep -Eq '^pvvf0: filename=unix:'; }
chr_disconnected() { chardev | grep -Eq '^pvvf0: filename=disconnected:unix:'; }
qemu_alive() { kill -0 "${E2E_QPID[a]}" 2>/dev/null; }
# config_change WHEN: pvvfd announces a config change to the stopped device
config_change() {
	local r
	r=$(ctl "fake-config guest=a num_vfs=2" 2>&1) || why+=("fake-config: $r")
	sleep 1
	qemu_alive || why+=("QEMU exited: $(tail -n 5 "$E2E_DIR/a.qemu.log")")
	check "pvvfd announces a config change $1, no driver running: QEMU stays up"
}
# start_pvvfd: over the socket files the last one left
start_pvvfd() {
	rm -f "$E2E_DIR/ctl" "$E2E_DIR/a.sock"
	e2e_pvvfd
}

# ---- QEMU first: realize waits for the back-end ----
mapfile -t args < <(e2e_qemu_args a)
"$QEMU" "${args[@]}" -S >>"$E2E_DIR/a.qemu.log" 2>&1 &
E2E_QPID[a]=$!
sleep 2
qemu_alive || why+=("QEMU exited without a back-end: $(cat "$E2E_DIR/a.qemu.log")")
journal_mark
start_pvvfd
until_true 30 linked || why+=("no link within 30 s: $(ctl dump | grep '^guest ')")
grep -q 'conn guest=a event=connect' "$E2E_DIR/journal" ||
	why+=("no connection in the journal")
until_true 10 chr_connected || why+=("chardev: $(chardev)")
check "QEMU started before pvvfd waits for it, then connects"
config_change "at once"

# ---- pvvfd killed and started again ----
for i in $(seq "$KILLS"); do
	kill -KILL "$E2E_PID"
	wait "$E2E_PID" 2>/dev/null
	E2E_PID=
	until_true 10 chr_disconnected || why+=("chardev after the kill: $(chardev)")
	qemu_alive || why+=("QEMU exited: $(tail -n 5 "$E2E_DIR/a.qemu.log")")
	check "pvvfd killed ($i of $KILLS): QEMU sees the link go down and keeps running"

	journal_mark
	start_pvvfd
	until_true 30 linked || why+=("no link within 30 s: $(ctl dump | grep '^guest ')")
	journal_since | grep -q 'conn guest=a event=connect' ||
		why+=("no connection in the journal:" "$(journal_since)")
	until_true 10 chr_connected || why+=("chardev: $(chardev)")
	check "pvvfd started again ($i of $KILLS): QEMU reconnects by itself"
done

config_change "after the reconnections"

# ---- a clean exit over the reconnected device ----
hmp a quit >/dev/null 2>&1
until_true 20 eval '! qemu_alive' || why+=("QEMU did not quit within 20 s")
wait "${E2E_QPID[a]}"
rc=$?
E2E_QPID[a]=
[ $rc -eq 0 ] || why+=("QEMU exit status $rc: $(tail -n 5 "$E2E_DIR/a.qemu.log")")
grep -Eq 'assert|Assertion|Segmentation|Abort' "$E2E_DIR/a.qemu.log" &&
	why+=("QEMU log: $(cat "$E2E_DIR/a.qemu.log")")
check "QEMU quits cleanly after the reconnections (exit status 0)"

echo "$((n - fail)) passed, $fail failed"
if [ $fail -ne 0 ]; then
	E2E_KEEP=1
	log "reconnect: FAILED; files in $E2E_DIR"
	exit 1
fi
log "reconnect: passed"
