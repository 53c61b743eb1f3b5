# SPDX-License-Identifier: GPL-2.0
#
# Crashes, end to end: sourced by tests/e2e/run.sh, with its reporting
# helpers (need, want, same, result, hostdo, wait_journal).  pvvfd starts
# again with a state journal (--state) and the simulated PF's registers in
# a file (state=); guests a and b boot again.  Then, a bounded number of
# times each (counted, not timed):
#
#   * pvvfd is SIGKILLed while a holds PASID, ATS and PRI and drains page
#     requests and b holds PASID, and started again: it takes every
#     reference over, counted once.  The guests' QEMUs reconnect by
#     themselves (-chardev ...,reconnect-ms=500, E2E_RECONNECT_MS;
#     host/qemu/patches/0005): each driver is resumed, gets RESYNC,
#     re-reads its VF with GET_STATE and sees what the daemon holds; the
#     consumers then tear everything down through the new daemon (a's
#     drain ends when its page requests are completed), nothing leaks.
#     Then pvvfd is killed again and b's consumer makes a request while
#     it is away: the request times out without hanging, QEMU offers it
#     again to the next daemon, which serves it once, and b's view
#     follows (E2E_CRASH_DAEMON_KILLS, default 1);
#   * pvvfd and both QEMUs are killed; a new QEMU for each within the
#     grace period is a fresh device: what the old one held is released
#     first; the PF's enables go off (the grace period's expiry is
#     kill_loop.py's: a TCG boot under load takes minutes);
#   * a's QEMU is SIGKILLed at a random moment of a consumer's enable and
#     teardown loop: what a held is released, b keeps its state and goes on
#     working; a boots again (E2E_CRASH_GUEST_KILLS, default 2).
#
# host/pvvfd/tests/kill_loop.py does the many-iteration version against a
# frontend in Python; host/qemu/tests/reconnect.sh checks QEMU's side
# alone; docs/design.md, "Restart and reconciliation", has the design.

CR_DAEMON_KILLS=${E2E_CRASH_DAEMON_KILLS:-1}
CR_GUEST_KILLS=${E2E_CRASH_GUEST_KILLS:-2}
CR_GRACE_S=900

# cr_counts LABEL: the PF's counts equal the sums over its VFs; no rule broken
cr_counts() {
	local d pasid held users
	d=$(ctl dump)
	pasid=$(grep -c '^vf pf=pf0 .* pasid=1 ' <<<"$d")
	users=$(grep -cE '^vf pf=pf0 .* (pri_enabled=1|pri_draining=1) ' <<<"$d")
	held=$(sed -n 's/^vf pf=pf0 .* pri_held=\([0-9]*\) .*/\1/p' <<<"$d" |
		awk '{ s += $1 } END { print s + 0 }')
	need "$1: PASID references counted once" "^pf name=pf0 .* pasid_refs=$pasid " "$d"
	need "$1: PRI users counted once" \
		"^pf name=pf0 .* pri_free=$((E2E_PRI_CAPACITY - held)) pri_users=$users " "$d"
	need "$1: no PCIe rule broken" "^sim pf=pf0 violations=0 " "$d"
}

# cr_boot X...: (re)boot guests and wait for their agents
cr_boot() {
	local x
	for x in "$@"; do
		[ -z "${E2E_QPID[$x]:-}" ] || e2e_kill "$x"
		cat "$E2E_DIR/$x.console" >>"$E2E_DIR/$x.console.all" 2>/dev/null
		e2e_boot "$x"
	done
	for x in "$@"; do
		e2e_ready "$x" 240 || why+=("$x: no agent within 240 s")
	done
}

# cr_pvvfd: start the daemon over what the last one left
cr_pvvfd() {
	rm -f "$E2E_DIR/ctl" "$E2E_DIR/a.sock" "$E2E_DIR/b.sock"
	e2e_pvvfd
}

# ---- set-up: a daemon with a journal; a and b boot again ----
for x in a b c; do [ -z "${E2E_QPID[$x]:-}" ] || e2e_kill "$x"; done
e2e_pvvfd_stop
E2E_GUESTS=(a b)
E2E_PF_MORE="state=$E2E_DIR/pf0.state"
E2E_PVVFD_MORE="--state $E2E_DIR/state --reconnect-grace-ms ${CR_GRACE_S}000"
E2E_RECONNECT_MS=500
rm -f "$E2E_DIR/state" "$E2E_DIR/pf0.state"
journal_mark
cr_pvvfd
cr_boot a b
need "daemon" "daemon event=state status=none" "$(journal_since)"
result "crash: pvvfd with a state journal and the PF's registers in a file; a and b booted again"

# vf_view G: guest G's view of its VF and the daemon's, as
# "pasid=N ats=N pri=N" lines: the guest's (sysfs), then the daemon's
vf_view() {
	local s d
	s=$(g "$1" sysfs 2>&1)
	printf 'pasid=%s ats=%s pri=%s\n' "$(sed -n 's/^pasid_enabled=//p' <<<"$s")" \
		"$(sed -n 's/^ats_enabled=//p' <<<"$s")" "$(sed -n 's/^pri_enabled=//p' <<<"$s")"
	d=$(vf_state "${E2E_INDEX[$1]}")
	printf 'pasid=%s ats=%s pri=%s\n' "$(field pasid "$d")" "$(field ats "$d")" \
		"$(field pri_enabled "$d")"
}
# cr_same_view G: guest G's view of its VF is the daemon's
cr_same_view() {
	local v
	v=$(vf_view "$1")
	same "$1's view of its VF (guest, then daemon)" "$(head -n1 <<<"$v")" "$(tail -n1 <<<"$v")"
}
# cr_resumed G: G's link came back by itself, its driver was resumed, got
# RESYNC and re-read its VF (GET_STATE), all after the journal mark
cr_resumed() {
	wait_journal "conn guest=$1 event=driver-resumed" 30 ||
		why+=("$1: no reconnection within 30 s:" "$(guest_state "$1")")
	wait_journal "event guest=$1 slot=none type=resync " 10 ||
		why+=("$1: no RESYNC queued")
	wait_journal "decision guest=$1 slot=0 op=get_state status=0 " 30 ||
		why+=("$1: no GET_STATE after the RESYNC within 30 s")
	need "$1: link" "^guest name=$1 .*link=up driver=up " "$(guest_state "$1")"
}

# ---- pvvfd killed, with references held and a drain running ----
for i in $(seq "$CR_DAEMON_KILLS"); do
	out=$(g a 't pasid_on 6; t ats_on 12; t pri_on 4' 2>&1)
	out+=$'\n'$(g b 't pasid_on 6' 2>&1)
	want "a and b" "pasid_on=0 ats_on=0 pri_on=0 pasid_on=0" "$out"
	hostdo "inject pf=pf0 vf=0 n=2"
	out=$(g a 't pri_off; t wait_stopped 300' 2>&1)
	want "a" "pri_off=0 wait_stopped=-110" "$out"
	need "daemon VF 0 draining" "pri_draining=1 .*pri_outstanding=2$" "$(vf_state 0)"
	before=$(ctl dump | grep -E '^(pf|vf) ')
	journal_mark
	kill -KILL "$E2E_PID"
	wait "$E2E_PID" 2>/dev/null
	cr_pvvfd
	j=$(journal_since)
	need "journal" "daemon event=state status=loaded" "$j"
	need "journal" "daemon event=pf-state pf=pf0 status=continued" "$j"
	need "journal" "guest guest=a action=restored" "$j"
	need "journal" "guest guest=b action=restored" "$j"
	same "daemon PF and VFs across the restart" "$before" "$(ctl dump | grep -E '^(pf|vf) ')"
	cr_counts "after restart $i"
	result "crash: pvvfd killed ($i of $CR_DAEMON_KILLS) with PASID, ATS, PRI and a drain held: the next one takes every reference over, counted once"

	# QEMU reconnects (reconnect-ms); the daemon resumes each driver
	for x in a b; do
		cr_resumed "$x"
		cr_same_view "$x"
	done
	cr_counts "reconnected $i"
	result "crash: a's and b's QEMU reconnect by themselves; each driver gets RESYNC, re-reads its VF, and sees what the daemon holds"

	out=$(g b 't pasid_off' 2>&1)
	want "b" "pasid_off=0" "$out"
	hostdo "complete pf=pf0 vf=0 n=2"
	out=$(g a 't wait_stopped 5000; t ats_off; t pasid_off' 2>&1)
	want "a" "wait_stopped=0 ats_off=0 pasid_off=0" "$out"
	need "daemon PF" "pasid_enabled=0 .*pasid_refs=0 .*pri_enabled=0 .*pri_free=$E2E_PRI_CAPACITY pri_users=0 " "$(pf_state)"
	for x in a b; do cr_same_view "$x"; done
	cr_counts "after teardown $i"
	result "crash: after the reconnection a's and b's consumers tear down what they held through the new daemon (a's drain ends), nothing leaks"

	# a request made while the daemon is away: served once it is back
	out=$(g b 't pasid_on 6' 2>&1)
	want "b" "pasid_on=0" "$out"
	journal_mark
	kill -KILL "$E2E_PID"
	wait "$E2E_PID" 2>/dev/null
	out=$(g b 't pasid_off' 60 2>&1)
	want "b, pvvfd away" "pasid_off=-110" "$out"
	cr_pvvfd
	cr_resumed b
	wait_journal "decision guest=b slot=0 op=pasid_disable status=0 " 30 ||
		why+=("b's request made while pvvfd was away was not served")
	[ "$(journal_since | grep -c 'decision guest=b slot=0 op=pasid_disable ')" = 1 ] ||
		why+=("b's request served more than once:" "$(journal_since | grep 'decision guest=b ')")
	cr_same_view b
	out=$(g b 't pasid_on 6; t pasid_off' 2>&1)
	want "b" "pasid_on=0 pasid_off=0" "$out"
	cr_counts "request while away $i"
	result "crash: b's request while pvvfd is away times out without hanging; QEMU offers it again to the next daemon, which serves it once; b's view follows"
done

# ---- a new QEMU within the grace period: a fresh device ----
out=$(g a 't pasid_on 6; t ats_on 12; t pri_on 4' 2>&1)
out+=$'\n'$(g b 't pasid_on 6' 2>&1)
want "a and b" "pasid_on=0 ats_on=0 pri_on=0 pasid_on=0" "$out"
kill -KILL "$E2E_PID"
wait "$E2E_PID" 2>/dev/null
for x in a b; do e2e_kill "$x"; done
cr_pvvfd
cr_counts "QEMU and pvvfd killed"
for x in a b; do
	journal_mark
	cr_boot "$x"
	wait_journal "conn guest=$x event=restored-released reason=fresh-device" 30 ||
		why+=("$x's new device did not release what the old one held")
	need "daemon VF ${E2E_INDEX[$x]}" "^vf pf=pf0 index=${E2E_INDEX[$x]} guest=$x slot=0 ats=0 ats_stu=0 pasid=0 pasid_features=0x0 pri_enabled=0 pri_draining=0 .*pri_held=0 pri_outstanding=0$" "$(vf_state "${E2E_INDEX[$x]}")"
	out=$(g "$x" 't pasid_on 6; t pasid_off' 2>&1)
	want "$x" "pasid_on=0 pasid_off=0" "$out"
done
need "daemon PF" "pasid_enabled=0 .*pasid_refs=0 .*pri_enabled=0 .*pri_free=$E2E_PRI_CAPACITY pri_users=0 " "$(pf_state)"
cr_counts "new devices"
result "crash: pvvfd and both QEMUs killed; a new QEMU for a and for b within the grace period is a fresh device: what the old one held is released, nothing leaks, both work"

# ---- a's QEMU killed at a random moment ----
for i in $(seq "$CR_GUEST_KILLS"); do
	out=$(g b 't pasid_on 6; t pri_on 4' 2>&1)
	want "b" "pasid_on=0 pri_on=0" "$out"
	b_before=$(vf_state 1)
	g a 'for n in $(seq 40); do t cycle 4; done' 120 >/dev/null 2>&1 &
	cyc=$!
	sleep "$(awk -v s="$RANDOM" 'BEGIN { printf "%.2f", 0.5 + s % 400 / 100 }')"
	journal_mark
	e2e_kill a
	wait "$cyc" 2>/dev/null
	wait_journal "conn guest=a event=(disconnect|driver-down)" 20 ||
		why+=("no disconnect of a in the journal within 20 s")
	need "daemon VF 0" "^vf pf=pf0 index=0 guest=a slot=0 ats=0 ats_stu=0 pasid=0 pasid_features=0x0 pri_enabled=0 pri_draining=0 .*pri_held=0 pri_outstanding=0$" "$(vf_state 0)"
	same "b's VF in the daemon" "$b_before" "$(vf_state 1)"
	cr_counts "a killed $i"
	out=$(g b 't pri_off; t wait_stopped 5000; t pri_reset; t pasid_off' 2>&1)
	want "b" "pri_off=0 wait_stopped=0 pri_reset=0 pasid_off=0" "$out"
	need "daemon PF" "pasid_refs=0 .*pri_free=$E2E_PRI_CAPACITY pri_users=0 " "$(pf_state)"
	cr_boot a
	result "crash: a's QEMU killed ($i of $CR_GUEST_KILLS) in an enable/teardown loop: its references released, b unaffected, a boots again"
done

# what follows starts its own daemon, without a journal
E2E_PVVFD_MORE=
E2E_PF_MORE=
E2E_RECONNECT_MS=
