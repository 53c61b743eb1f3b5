#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make e2e: pvvf end to end.  One pvvfd with one simulated PF (8 VFs, a
# page request pool of 16) serves three guests under TCG: a and b boot
# Debian 6.12, c boots Debian 6.1.  Each guest has a stand-in VF (a
# modern-only virtio-rng-pci with ats=on behind a root port: its own ATS
# capability, no PASID, no PRI); they are VFs 0, 1 and 2 of the one PF.
# Each guest loads pvvf.ko and the test consumer pvvf_test.ko and runs
# tests/e2e/agent.sh, through which this script drives it step by step,
# checking the guest's view (the consumer's results and events, sysfs)
# and the host's (pvvfd's control socket dump and journal).  Then faults
# (tests/e2e/faults.sh): PF faults on every guest, guest faults, a hostile
# host.
#
# Usage: run.sh   (after make qemu host; E2E_KEEP=1 keeps the files)
# Prints "ok N - ..." / "not ok N - ..." lines, then "N passed, M failed";
# on a failure also every guest's console and the daemon's log, and exits 1.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

# The guests run with the allocator debugging Debian's kernels allow from
# the command line: SLUB sanity checks, red zones, poisoning and owner
# tracking; KFENCE sampling every 10 ms (6.12: Debian's 6.1 has no KFENCE
# and ignores it); freed pages poisoned and checked.  List debugging is
# built in (CONFIG_DEBUG_LIST with CONFIG_BUG_ON_DATA_CORRUPTION, both
# kernels); Debian builds neither KASAN nor kmemleak.  Any report on a
# console fails the run.
E2E_KCMDLINE="slub_debug=FZPU kfence.sample_interval=10 page_poison=1"
KERNEL_BAD='WARNING:|BUG:|BUG [a-z]|Call Trace|general protection|Oops|Object already free|Redzone overwritten|Poison overwritten|Padding overwritten|Freepointer corrupt|list_(add|del) corruption|pagealloc: memory corruption|UBSAN:|refcount_t:'

e2e_init
start=$(date +%s)
log "e2e: building pvvf.ko and pvvf_test.ko for $KVER_612 and $KVER_61"
e2e_build "$KVER_612" &
b1=$!
e2e_build "$KVER_61" &
b2=$!
wait $b1 || exit 1
wait $b2 || exit 1
e2e_pvvfd
log "e2e: booting guests a, b ($KVER_612) and c ($KVER_61) under TCG"
for x in a b c; do e2e_boot $x; done

# ---- reporting ----
n=0
passed=0
failed=0
why=()
V=$E2E_VF

# need LABEL REGEX TEXT: a check of the current test
need() {
	grep -Eq -- "$2" <<<"$3" ||
		why+=("$1: no /$2/ in:" "$(sed 's/^/    /' <<<"$3")")
}
# same LABEL A B: a check that A and B are equal
same() {
	[ "$2" = "$3" ] || why+=("$1 changed:" "    before: $2" "    after:  $3")
}
# steps TEXT: the consumer's results in TEXT, "step=errno ..."
steps() {
	sed -n "s/.*pvvf_test: $V \([a-z_]*\) = \(-\{0,1\}[0-9]*\)$/\1=\2/p" <<<"$1" |
		tr '\n' ' ' | sed 's/ $//'
}
# want LABEL EXPECTED TEXT: the consumer's results in TEXT are EXPECTED
want() {
	local got
	got=$(steps "$3")
	[ "$got" = "$2" ] ||
		why+=("$1: expected '$2', got '$got' from:" "$(sed 's/^/    /' <<<"$3")")
}
result() {
	n=$((n + 1))
	if [ ${#why[@]} -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok $n - $1"
	else
		failed=$((failed + 1))
		echo "not ok $n - $1"
		printf '%s\n' "${why[@]}" | sed 's/^/#   /'
	fi
	why=()
}
# hostdo COMMAND: a control socket command that must succeed
hostdo() {
	local r
	r=$(ctl "$1" 2>&1) || why+=("control socket '$1' failed:" "$r")
}
# wait_journal REGEX SECS: wait for a daemon journal line after the mark
wait_journal() {
	local i
	for i in $(seq $(($2 * 10))); do
		journal_since | grep -Eq -- "$1" && return 0
		sleep 0.1
	done
	return 1
}

# ---- the guests come up ----
for x in a b c; do
	e2e_ready $x 180 || why+=("guest $x: no agent within 180 s")
done
result "three guests booted under TCG (a, b: $KVER_612; c: $KVER_61), agents up"
if [ $failed -ne 0 ]; then
	# Nothing else can run.
	for x in a b c; do echo "# --- console of $x"; sed 's/^/# /' "$E2E_DIR/$x.console"; done
	echo "$passed passed, $failed failed"
	exit 1
fi

# ---- single-guest scenarios, on each guest ----
single() {	# single GUEST
	local x=$1 i=${E2E_INDEX[$1]} k=${E2E_KVER[$1]} out d

	# discovery
	out=$(g "$x" 'grep -h "pvvf" /tmp/klog; sysfs' 2>&1)
	need "attach" "pvvf: VF $i of PF 0x1 \(slot 0\)" "$out"
	need "sysfs PF identity" "^pf_id=0x1$" "$out"
	need "sysfs VF index" "^vf_index=$i$" "$out"
	need "sysfs PASID" "^pasid_supported=1$" "$out"
	need "sysfs PRI" "^pri_supported=1$" "$out"
	d=$(ctl dump)
	need "daemon: guest connected" "^guest name=$x .*link=up driver=up" "$d"
	need "daemon: same PF" "^pf name=pf0 pf_id=0x1 " "$d"
	result "$x ($k) discovery: VF $i attached; sysfs pvvf/ shows pf_id=0x1, vf_index=$i"

	# PASID with exec and priv
	out=$(g "$x" 't pasid_on 6; sysfs' 2>&1)
	want "guest" "pasid_on=0" "$out"
	need "sysfs" "^pasid_enabled=1$" "$out"
	need "sysfs" "^pasid_features=0x6$" "$out"
	need "daemon VF" "pasid=1 pasid_features=0x6 " "$(vf_state "$i")"
	need "daemon PF" "pasid_enabled=1 pasid_features=0x6 .*pasid_refs=1 " "$(pf_state)"
	result "$x ($k) PASID enable with exec+priv through the API"
	out=$(g "$x" 't pasid_off; sysfs' 2>&1)
	want "guest" "pasid_off=0" "$out"
	need "sysfs" "^pasid_enabled=0$" "$out"
	need "daemon VF" "pasid=0 pasid_features=0x0 " "$(vf_state "$i")"
	need "daemon PF" "pasid_refs=0 " "$(pf_state)"
	result "$x ($k) PASID disable through the API; the PF's reference is dropped"

	# PASID vs ATS
	out=$(g "$x" 't ats_on 12; t pasid_on 6; t ats_off; t pasid_on 6; t ats_on 12; t pasid_off; sysfs' 2>&1)
	want "guest" "ats_on=0 pasid_on=-16 ats_off=0 pasid_on=0 ats_on=0 pasid_off=-16" "$out"
	need "sysfs" "^ats_enabled=1$" "$out"
	need "sysfs" "^pasid_enabled=1$" "$out"
	need "daemon VF" "ats=1 .*pasid=1 " "$(vf_state "$i")"
	out=$(g "$x" 't ats_off; t pasid_off' 2>&1)
	want "guest teardown" "ats_off=0 pasid_off=0" "$out"
	need "daemon VF" "ats=0 .*pasid=0 " "$(vf_state "$i")"
	result "$x ($k) PASID enable and disable refused with -EBUSY while the VF's ATS is enabled"

	# PRI: enable, disable with page requests outstanding, stopped, reset
	out=$(g "$x" 't pasid_on 6; t pri_on 4; sysfs' 2>&1)
	want "guest" "pasid_on=0 pri_on=0" "$out"
	need "sysfs" "^pri_enabled=1$" "$out"
	need "sysfs" "^pri_alloc=4$" "$out"
	need "daemon VF" "pri_enabled=1 .*pri_alloc=4 pri_held=4 " "$(vf_state "$i")"
	need "daemon PF pool" "pri_pool=16 pri_free=12 " "$(pf_state)"
	result "$x ($k) PRI enable with an allocation of 4; the PF's pool has 12 left"
	hostdo "inject pf=pf0 vf=$i n=2"
	need "daemon: outstanding" "pri_outstanding=2$" "$(vf_state "$i")"
	out=$(g "$x" 't pri_off; t wait_stopped 300; sysfs' 2>&1)
	want "guest" "pri_off=0 wait_stopped=-110" "$out"
	need "sysfs" "^pri_enabled=0$" "$out"
	need "sysfs" "^stopped=0$" "$out"
	need "daemon: draining" "pri_enabled=0 pri_draining=1 .*pri_outstanding=2$" "$(vf_state "$i")"
	result "$x ($k) PRI disable with 2 page requests outstanding: not stopped while they are"
	hostdo "complete pf=pf0 vf=$i n=2"
	out=$(g "$x" 't wait_stopped 10000; t pri_reset; sysfs' 2>&1)
	want "guest" "wait_stopped=0 pri_reset=0" "$out"
	need "sysfs" "^stopped=1$" "$out"
	need "sysfs" "^pri_alloc=0$" "$out"
	need "daemon VF" "pri_enabled=0 pri_draining=0 .*pri_held=0 pri_outstanding=0$" "$(vf_state "$i")"
	need "daemon PF pool" "pri_free=16 pri_users=0 " "$(pf_state)"
	result "$x ($k) PRI stopped once the host completed them; PRI reset; allocation back in the pool"
	out=$(g "$x" 't pri_on 17; sysfs; t pasid_off' 2>&1)
	want "guest" "pri_on=-28 pasid_off=0" "$out"
	need "sysfs" "^pri_enabled=0$" "$out"
	need "daemon PF pool" "pri_free=16 pri_users=0 " "$(pf_state)"
	result "$x ($k) PRI allocation beyond the pool (17 > 16) refused with -ENOSPC"
}
for x in a b c; do single $x; done

# The 6.1 guest is done: power it off (its agent exits), free the CPU.
g c exit >/dev/null 2>&1
for _ in $(seq 100); do kill -0 "${E2E_QPID[c]}" 2>/dev/null || break; sleep 0.1; done
kill "${E2E_QPID[c]}" 2>/dev/null
wait "${E2E_QPID[c]}" 2>/dev/null
E2E_QPID[c]=

# ---- two guests sharing the PF ----
# ATS on b's VF with the PF's PASID off: enabling PASID on the PF would
# change it under b's ATS, so the host refuses a's enable.
journal_mark
out=$(g b 't ats_on 12' 2>&1)
want "b" "ats_on=0" "$out"
out=$(g a 't pasid_on 6' 2>&1)
want "a" "pasid_on=-16" "$out"
need "daemon decision" "decision guest=a slot=0 op=pasid_enable status=16 qual=pf_ats" "$(journal_since)"
need "daemon PF" "pasid_enabled=0 .*ats_vfs=1$" "$(pf_state)"
out=$(g b 't ats_off' 2>&1)
want "b" "ats_off=0" "$out"
result "a's PASID enable refused with -EBUSY while b's VF has ATS on and the PF's PASID is off"

# The pool is shared: b takes 4, a cannot have 13 of the 12 left.
journal_mark
out=$(g b 't pasid_on 6; t pri_on 4' 2>&1)
want "b" "pasid_on=0 pri_on=0" "$out"
out=$(g a 't pasid_on 6; t pri_on 13; sysfs' 2>&1)
want "a" "pasid_on=0 pri_on=-28" "$out"
need "a sysfs" "^pri_enabled=0$" "$out"
need "daemon decision" "decision guest=a slot=0 op=pri_enable status=28 qual=pool" "$(journal_since)"
need "daemon PF" "pasid_refs=2 .*pri_free=12 pri_users=1 " "$(pf_state)"
result "shared pool: b holds 4 of 16; a's PRI allocation of 13 refused with -ENOSPC by the host"

# Isolation: a's PRI stop and reset, while b has a page request outstanding.
hostdo "inject pf=pf0 vf=1 n=1"
g b mark >/dev/null
b_before=$(vf_state 1)
bs_before=$(g b sysfs 2>&1)
out=$(g a 't pri_on 12' 2>&1)
want "a" "pri_on=0" "$out"
hostdo "inject pf=pf0 vf=0 n=2"
out=$(g a 't pri_off; t wait_stopped 300' 2>&1)
want "a" "pri_off=0 wait_stopped=-110" "$out"
hostdo "complete pf=pf0 vf=0 n=2"
out=$(g a 't wait_stopped 10000; t pri_reset' 2>&1)
want "a" "wait_stopped=0 pri_reset=0" "$out"
b_after=$(vf_state 1)
same "b's VF in the daemon" "$b_before" "$b_after"
need "b's VF in the daemon" "pri_enabled=1 .*pri_alloc=4 pri_held=[0-9]+ pri_outstanding=1$" "$b_after"
same "b's sysfs" "$bs_before" "$(g b sysfs 2>&1)"
out=$(g b 'since | grep pvvf' 2>&1)
[ -z "$out" ] || why+=("b got pvvf kernel messages:" "$out")
need "daemon PF" "pri_free=12 pri_users=1 " "$(pf_state)"
result "isolation: a's PRI stop and reset leave b's state unchanged (daemon, sysfs, no event)"

# a dies holding PASID, ATS and a PRI allocation of 8.
out=$(g a 't ats_on 12; t pri_on 8' 2>&1)
want "a" "ats_on=0 pri_on=0" "$out"
need "daemon PF before" "pasid_refs=2 .*pri_free=4 pri_users=2 " "$(pf_state)"
journal_mark
e2e_kill a
wait_journal "conn guest=a event=(disconnect|driver-down)" 20 ||
	why+=("no disconnect of a in the journal within 20 s")
d=$(ctl dump)
need "daemon guest a" "^guest name=a .*link=down" "$d"
need "daemon VF 0" "^vf pf=pf0 index=0 guest=a slot=0 ats=0 ats_stu=0 pasid=0 pasid_features=0x0 pri_enabled=0 pri_draining=0 .*pri_held=0 pri_outstanding=0$" "$d"
need "daemon PF" "pasid_enabled=1 .*pasid_refs=1 .*pri_free=12 pri_users=1 .*ats_vfs=0$" "$d"
result "a killed (SIGKILL to QEMU): the daemon releases its PASID reference, ATS and PRI allocation"

out=$(g b 't pri_off' 2>&1)
hostdo "complete pf=pf0 vf=1 n=1"
out+=$'\n'$(g b 't wait_stopped 10000; t pri_reset; t pri_on 12' 2>&1)
need "daemon PF" "pasid_refs=1 .*pri_free=4 pri_users=1 " "$(pf_state)"
out+=$'\n'$(g b 't pri_off; t wait_stopped 5000; t pri_reset; t pasid_off; t cycle 8' 2>&1)
want "b" "pri_off=0 wait_stopped=0 pri_reset=0 pri_on=0 pri_off=0 wait_stopped=0 pri_reset=0 pasid_off=0 info=0 pasid_on=0 ats_on=0 pri_on=0 pri_off=0 wait_stopped=0 pri_reset=0 ats_off=0 pasid_off=0" "$out"
need "daemon PF" "pasid_refs=0 .*pri_free=16 pri_users=0 " "$(pf_state)"
result "b keeps working after a died: drains, resets, takes 12 of the pool, runs a full cycle"

journal_mark
e2e_boot a
e2e_ready a 120 || why+=("a: no agent within 120 s")
wait_journal "conn guest=a event=driver-up" 20 || why+=("no driver-up of a in the journal")
need "daemon guest a" "^guest name=a .*link=up driver=up" "$(guest_state a)"
out=$(g a 'sysfs; t pasid_on 6; t pri_on 4' 2>&1)
need "a sysfs" "^vf_index=0$" "$out"
want "a" "pasid_on=0 pri_on=0" "$out"
need "daemon VF 0" "pasid=1 .*pri_enabled=1 .*pri_alloc=4 " "$(vf_state 0)"
result "a restarted: reconnects, VF 0 attached again, PASID and PRI work"

# A PF-side event: the host disables the PF's PASID under both guests.
out=$(g b 't pasid_on 6' 2>&1)
want "b" "pasid_on=0" "$out"
need "daemon PF" "pasid_refs=2 " "$(pf_state)"
g a mark >/dev/null
g b mark >/dev/null
journal_mark
hostdo "host-pasid pf=pf0 enable=off"
for x in a b; do
	out=$(g $x 'waitk "event pasid_revoked" 20 && sysfs' 2>&1)
	need "$x consumer" "pvvf_test: $V event pasid_revoked" "$out"
	need "$x sysfs" "^pasid_revoked=1$" "$out"
done
need "daemon journal" "host pf=0x1 action=pasid_revoked vfs=2" "$(journal_since)"
need "daemon PF" "pasid_enabled=0 .*pasid_refs=0 .*pasid_revoked=1 " "$(pf_state)"
result "host disables the PF's PASID: the event reaches both guests' consumers; sysfs shows it revoked"

out=$(g a 't pri_off; t wait_stopped 5000; t pri_reset; t pasid_off; t pasid_on 6; sysfs' 2>&1)
want "a" "pri_off=0 wait_stopped=0 pri_reset=0 pasid_off=0 pasid_on=-1" "$out"
need "a sysfs" "^pasid_revoked=0$" "$out"
out=$(g b 't pasid_off; t pasid_on 6' 2>&1)
want "b" "pasid_off=0 pasid_on=-1" "$out"
hostdo "host-pasid pf=pf0 enable=on features=exec+priv"
out=$(g a 't pasid_on 6' 2>&1)
want "a" "pasid_on=0" "$out"
out=$(g b 't pasid_on 6' 2>&1)
want "b" "pasid_on=0" "$out"
result "both consumers acknowledge; PASID refused (-EPERM) until the host enables it again"

. "$(dirname "$0")/faults.sh"
. "$(dirname "$0")/crash.sh"

# ---- what the whole run left behind ----
need "simulated PF" "violations=0 host_violations=0 " "$(sim_state)"
for x in a b c; do
	if grep -aEq "$KERNEL_BAD" "$E2E_DIR/$x.console.all" "$E2E_DIR/$x.console" 2>/dev/null; then
		why+=("guest $x: kernel report on the console:" "$(grep -ahE "$KERNEL_BAD" \
			"$E2E_DIR/$x.console.all" "$E2E_DIR/$x.console" | head -n 5)")
	fi
done
result "no PCIe rule broken in the simulated PF; no kernel warning or memory debugging report in any guest"

# Transparent mode under a vIOMMU: two more guests (tests/e2e/transparent.sh).
# Its guests boot as their scenarios were written, without the allocator
# debugging above.
E2E_KCMDLINE=
. "$(dirname "$0")/transparent.sh"

echo "# e2e run time: $(( $(date +%s) - start )) s"
if [ $failed -ne 0 ]; then
	for x in a b c; do
		echo "# --- console of guest $x (${E2E_KVER[$x]})"
		cat "$E2E_DIR/$x.console.all" "$E2E_DIR/$x.console" 2>/dev/null | tr -d '\r' | sed 's/^/# /'
	done
	echo "# --- pvvfd journal"
	sed 's/^/# /' "$E2E_DIR/journal"
	echo "# --- pvvfd stderr"
	sed 's/^/# /' "$E2E_DIR/pvvfd.stderr"
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
