# SPDX-License-Identifier: GPL-2.0
#
# Faults, end to end: sourced by tests/e2e/run.sh after its scenarios, with
# its reporting helpers (need, want, result, hostdo, wait_journal) and
# guests a and b up; guest c (Debian 6.1) is booted again here.
#
# PF faults, on every guest holding a VF of the PF: the host revokes the
# PF's PRI, resets the PF, and at the end removes it.  Guest faults: the VF
# removed and rescanned, the pvvf device reset behind its driver and
# unbound and rebound, suspend and resume, pvvf.ko unloaded while a
# consumer is loaded and after, the pvvf device unplugged (QEMU
# device_del) while a consumer loops requests.  A
# hostile host, through pvvfd's test-only control commands
# (host/pvvfd/README.md): requests left unanswered, replies spoiled every
# way, malformed and forged events, a config shrinking num_vfs.  None may
# crash, hang or leak in the guest: run.sh's last check scans every console.

# quiet X: bring guest X's VF back to nothing enabled, whatever it holds
quiet() {
	g "$1" 't pri_off; t wait_stopped 2000; t pri_reset; t ats_off; t pasid_off' >/dev/null 2>&1
}
# evhex TYPE FLAGS SLOT SEQ EPOCH DETAIL [LAST]: a 32-byte event, in hex;
# LAST is the last reserved byte
evhex() {
	local v out=
	le() { local i; for ((i = 0; i < $2; i++)); do printf '%02x' $(($1 >> (8 * i) & 255)); done; }
	out=$(le "$1" 2)$(le "$2" 2)
	for v in "$3" "$4" "$5" "$6"; do out+=$(le "$v" 4); done
	printf '%s%022d%02x\n' "$out" 0 "${7:-0}"
}
# wait_vf INDEX REGEX SECS: wait until the daemon's VF INDEX line matches
wait_vf() {
	local i
	for i in $(seq $(($3 * 10))); do
		vf_state "$1" | grep -Eq -- "$2" && return 0
		sleep 0.1
	done
	why+=("daemon VF $1: no /$2/ within $3 s in:" "    $(vf_state "$1")")
}
# count REGEX TEXT: how many lines of TEXT match
count() { grep -Ec -- "$1" <<<"$2"; }

# ---- c boots again; a and b let go of what run.sh left them holding ----
faults_start=$(date +%s)
cat "$E2E_DIR/c.console" >>"$E2E_DIR/c.console.all" 2>/dev/null
e2e_boot c
quiet a
quiet b
e2e_ready c 180 || why+=("c: no agent within 180 s")
need "daemon PF" "pasid_refs=0 .*pri_users=0 .*ats_vfs=0$" "$(pf_state)"
for x in a b c; do
	out=$(g $x 'cd /sys/kernel/slab/kmalloc-64 && echo slab=$(cat sanity_checks red_zone poison store_user); echo "kfence=$(cat /sys/module/kfence/parameters/sample_interval 2>/dev/null)"' 2>&1)
	need "$x: SLUB debugging on" "^slab=1 1 1 1$" "$out"
	[ "${E2E_KVER[$x]}" = "$KVER_61" ] || need "$x: KFENCE sampling" "^kfence=10$" "$out"
done
result "faults: c ($KVER_61) booted again; a and b hold nothing; SLUB debugging (and KFENCE on 6.12) on in every guest"

# ---- PF faults: every guest holding a VF of the PF ----
for x in a b c; do
	out=$(g $x 't pasid_on 6; t pri_on 4' 2>&1)
	want "$x" "pasid_on=0 pri_on=0" "$out"
	g $x mark >/dev/null
done
journal_mark
hostdo "host-pri-disable pf=pf0"
for x in a b c; do
	out=$(g $x 'waitk "event pri_revoked" 20 >/dev/null; since; sysfs; t pri_on 4; t pri_off; t pri_on 4' 2>&1)
	need "$x consumer" "pvvf_test: $V event pri_revoked" "$out"
	need "$x sysfs" "^pri_revoked=1$" "$out"
	need "$x sysfs" "^pri_enabled=0$" "$out"
	want "$x" "pri_on=-1 pri_off=0 pri_on=-1" "$out"
done
need "daemon journal" "host pf=0x1 action=pri_revoked vfs=3" "$(journal_since)"
need "daemon PF" "pri_enabled=0 .*pri_free=16 pri_users=0 pri_revoked=1 " "$(pf_state)"
result "host disables the PF's PRI: pri_revoked reaches all three guests; PRI refused (-EPERM) while revoked"

out=$(g b 't ats_on 12' 2>&1)
want "b" "ats_on=0" "$out"
for x in a b c; do g $x mark >/dev/null; done
journal_mark
hostdo "pf-reset pf=pf0"
for x in a b c; do
	out=$(g $x 'waitk "event pf_reset_done" 30 >/dev/null; since' 2>&1)
	need "$x consumer" "pvvf_test: $V event pf_reset_begin" "$out"
	need "$x consumer" "pvvf_test: $V event pf_reset_done" "$out"
done
wait_journal "host pf=0x1 action=reset_done vfs=3" 10 ||
	why+=("no reset_done for 3 VFs in the journal")
need "daemon journal" "host pf=0x1 action=reset_begin vfs=3" "$(journal_since)"
need "daemon PF" "reset_pending=0 .*pasid_refs=0 .*pri_free=16 pri_users=0 pri_revoked=0 .*ats_vfs=0$" "$(pf_state)"
need "simulated PF" " resets=1 " "$(sim_state)"
for x in a b c; do
	i=${E2E_INDEX[$x]}
	need "daemon VF $i" "ats=0 .*pasid=0 .*pri_enabled=0 " "$(vf_state "$i")"
	out=$(g $x 'sysfs' 2>&1)
	need "$x sysfs" "^pasid_enabled=0$" "$out"
	need "$x sysfs" "^pri_enabled=0$" "$out"
	need "$x sysfs" "^pri_revoked=0$" "$out"
	# What a consumer does after a reset: acknowledge, enable again.
	out=$(g $x 't ats_off; t pasid_off; t pasid_on 6; t pri_on 4' 2>&1)
	need "$x" "pasid_on = 0$" "$out"
	need "$x" "pri_on = 0$" "$out"
	need "daemon VF $i" "pasid=1 .*pri_enabled=1 .*pri_alloc=4 " "$(vf_state "$i")"
done
result "PF reset: begin and done reach all three guests; PASID, PRI, ATS and the revocation are cleared; all enable again"

# a's consumer quiesces inside its PASID_REVOKED callback, on pvvf's event
# work: it disables PRI, with two page requests outstanding, and waits for
# Stopped, which no PRI_STOPPED event can report while that work is busy.
out=$(g a 't quiesce_on pasid_revoked' 2>&1)
hostdo "inject pf=pf0 vf=0 n=2"
for x in a b c; do g $x mark >/dev/null; done
hostdo "host-pasid pf=pf0 enable=off"
sleep 1
hostdo "complete pf=pf0 vf=0 n=2"
out=$(g a 'waitk "cb_wait_stopped" 15 >/dev/null; since' 20 2>&1)
need "a consumer" "pvvf_test: $V event pasid_revoked" "$out"
want "a, in the callback" "cb_pri_off=0 cb_wait_stopped=0" "$out"
for x in b c; do
	out=$(g $x 'waitk "event pasid_revoked" 10 >/dev/null; since' 2>&1)
	need "$x consumer" "pvvf_test: $V event pasid_revoked" "$out"
done
for x in a b c; do
	out=$(g $x 't pri_off; t wait_stopped 2000; t pri_reset; t pasid_off' 2>&1)
	need "$x: acknowledged" "pasid_off = 0$" "$out"
done
hostdo "host-pasid pf=pf0 enable=on features=exec+priv"
for x in a b c; do
	out=$(g $x 't pasid_on 6; t pri_on 4' 2>&1)
	want "$x" "pasid_on=0 pri_on=0" "$out"
done
result "a quiesces in its PASID_REVOKED callback: PRI disabled with requests outstanding, stopped without the event; b and c told"

# ---- guest faults ----
# a's VF is removed while it holds PASID and PRI, then found again.
journal_mark
out=$(g a 't remove_on attached; echo 1 > /sys/bus/pci/devices/$V/remove; [ ! -e /sys/bus/pci/devices/$V ] || echo "still there"' 2>&1)
need "a" "pvvf: detached \(function removed\)" "$out"
need "a consumer" "pvvf_test: $V event detached" "$out"
grep -q "^still there$" <<<"$out" && why+=("a: $V still there after its removal")
need "daemon VF 0" "pasid=1 .*pri_enabled=1 .*pri_held=4 " "$(vf_state 0)"
# Found again, its consumer (armed before) removes it from the ATTACHED
# callback: no pvvf or PCI rescan lock may be held there.  Found once
# more, it stays.
out=$(g a 'mark; echo 1 > /sys/bus/pci/rescan; waitk "cb_remove" 10 >/dev/null; sleep 1; [ -e /sys/bus/pci/devices/$V ] || echo "removed in the callback"; since' 30 2>&1)
need "a consumer" "pvvf_test: $V cb_remove = 0" "$out"
need "a" "^removed in the callback$" "$out"
# pvvf attaches a hot-added VF from a work item once the rescan is over,
# then reads its state back.
out=$(g a 'mark; echo 1 > /sys/bus/pci/rescan; waitk "event attached" 10 >/dev/null; sleep 1; since; t info; sysfs' 2>&1)
need "a" "pvvf: VF 0 of PF 0x1 \(slot 0\)" "$out"
need "a consumer" "pvvf_test: $V event attached" "$out"
need "a sysfs read back" "^pasid_enabled=1$" "$out"
need "a sysfs read back" "^pri_enabled=1$" "$out"
need "a sysfs read back" "^pri_alloc=4$" "$out"
out=$(g a 't pri_off; t wait_stopped 2000; t pri_reset; t pasid_off' 2>&1)
want "a" "pri_off=0 wait_stopped=0 pri_reset=0 pasid_off=0" "$out"
need "daemon VF 0" "pasid=0 .*pri_enabled=0 .*pri_held=0 " "$(vf_state 0)"
result "a's VF removed while holding PASID and PRI; found, removed by its consumer's ATTACHED callback; found again with that state read back"

# a's pvvf device is reset behind its driver (a function reset through
# sysfs) while its consumer loops: the virtio-pci core of these kernels
# does not tell the driver, so the device stops answering.  Every call
# still returns within its bound, and rebinding the driver recovers.
journal_mark
out=$(g a 'mark; d=$(readlink -f /sys/bus/virtio/drivers/pvvf/virtio*); basename "$d" >/tmp/pvvf-dev; pci=$(basename "$(dirname "$d")"); (while :; do echo "$V pasid_on 6" > $T; echo "$V pasid_off" > $T; done) >/dev/null 2>&1 & loop=$!; sleep 1; echo 1 > /sys/bus/pci/devices/$pci/reset; echo "reset rc=$?"; sleep 6; kill $loop; wait $loop; since | grep -Ev " = (0|-114)$"' 40 2>&1)
need "a" "^reset rc=0$" "$out"
need "a: calls time out" "pvvf_test: $V pasid_o(n|ff) = -110$" "$out"
need "a: pvvf says what failed" "pvvf: GET_STATE failed \(-110\)" "$out"
wait_journal "conn guest=a event=driver-down" 10 || why+=("no driver-down of a in the journal")
need "daemon VF 0 released" "pasid=0 .*pri_enabled=0 " "$(vf_state 0)"
out=$(g a 'mark; n=$(cat /tmp/pvvf-dev); echo $n > /sys/bus/virtio/drivers/pvvf/unbind; echo $n > /sys/bus/virtio/drivers/pvvf/bind; waitk "VF 0 of PF" 10 >/dev/null; since; t pasid_on 6; t pasid_off' 30 2>&1)
need "a" "pvvf: VF 0 of PF 0x1 \(slot 0\)" "$out"
want "a: after a rebind" "pasid_on=0 pasid_off=0" "$out"
result "a's pvvf device reset behind its driver while its consumer loops: calls fail with -ETIMEDOUT, the host releases; a rebind recovers"

# b's pvvf device is unbound while the VF's own driver is bound.
journal_mark
out=$(g b 'echo "vf-driver=$(basename "$(readlink /sys/bus/pci/devices/$V/driver)")"; n=$(basename /sys/bus/virtio/drivers/pvvf/virtio*); echo $n >/tmp/pvvf-dev; echo $n > /sys/bus/virtio/drivers/pvvf/unbind; echo "vf-driver=$(readlink /sys/bus/pci/devices/$V/driver)"; t info' 2>&1)
need "b VF driver before" "^vf-driver=virtio-pci$" "$out"
need "b VF driver unbound first" "^vf-driver=$" "$out"
need "b" "pvvf: detached \(pvvf device removed\)" "$out"
need "b consumer" "pvvf_test: $V event detached" "$out"
want "b" "info=-19" "$out"
wait_journal "conn guest=b event=driver-down" 10 || why+=("no driver-down of b in the journal")
need "daemon VF 1 released" "ats=0 .*pasid=0 .*pri_enabled=0 .*pri_held=0 " "$(vf_state 1)"
need "daemon PF: only c's hold left" "pasid_refs=1 .*pri_free=12 pri_users=1 " "$(pf_state)"
out=$(g b 'mark; cat /tmp/pvvf-dev > /sys/bus/virtio/drivers/pvvf/bind; waitk "VF 1 of PF" 10 >/dev/null; since; t info; sysfs' 2>&1)
need "b" "pvvf: VF 1 of PF 0x1 \(slot 0\)" "$out"
want "b" "info=0" "$out"
need "b sysfs" "^pasid_enabled=0$" "$out"
need "daemon guest b" "^guest name=b .*link=up driver=up" "$(guest_state b)"
result "b's pvvf device unbound: the VF's driver is unbound first, the host releases b's state; bound again: attached"

# c suspends (s2idle, pm_test=devices: the device is frozen and restored).
out=$(g c 't pri_off; t wait_stopped 2000; t pri_reset; t ats_on 12' 2>&1)
want "c" "pri_off=0 wait_stopped=0 pri_reset=0 ats_on=0" "$out"
g c mark >/dev/null
journal_mark
out=$(g c 'echo devices > /sys/power/pm_test; echo freeze > /sys/power/state; echo "resume rc=$?"; echo none > /sys/power/pm_test; waitk "event pasid_revoked" 10 >/dev/null; since; sysfs' 60 2>&1)
need "c" "^resume rc=0$" "$out"
need "c consumer" "pvvf_test: $V event pasid_revoked" "$out"
need "c sysfs" "^pasid_revoked=1$" "$out"
need "c sysfs: ATS reported again" "^ats_enabled=1$" "$out"
need "daemon journal" "conn guest=c event=driver-down" "$(journal_since)"
need "daemon journal" "conn guest=c event=driver-up" "$(journal_since)"
need "daemon VF 2" "ats=1 .*pasid=0 .*pri_enabled=0 " "$(vf_state 2)"
out=$(g c 't ats_off; t pasid_off; t pasid_on 6; t pasid_off' 2>&1)
want "c" "ats_off=0 pasid_off=0 pasid_on=0 pasid_off=0" "$out"
result "c ($KVER_61) suspended and resumed: the device reset lost PASID, reported as revoked; ATS reported again"

# pvvf.ko cannot go while a consumer is loaded; once it is gone, it can.
out=$(g c 't pasid_on 6; rmmod pvvf; echo "rmmod rc=$?"; t info' 2>&1)
need "c: rmmod refused" "^rmmod rc=[1-9]" "$out"
want "c: consumer still served" "pasid_on=0 info=0" "$out"
journal_mark
out=$(g c 'rmmod pvvf_test && rmmod pvvf; echo "rmmod rc=$?"; ls /sys/bus/pci/devices/$V/' 2>&1)
need "c: rmmod" "^rmmod rc=0$" "$out"
need "c" "pvvf: detached \(pvvf device removed\)" "$out"
grep -q '^pvvf$' <<<"$out" && why+=("c: pvvf/ still in sysfs after rmmod")
wait_journal "conn guest=c event=driver-down" 10 || why+=("no driver-down of c in the journal")
need "daemon VF 2 released" "pasid=0 .*pri_enabled=0 " "$(vf_state 2)"
out=$(g c 'mark; insmod /lib/modules/pvvf/pvvf.ko && insmod /lib/modules/pvvf/pvvf_test.ko; waitk "VF 2 of PF" 10 >/dev/null; since; t info' 2>&1)
need "c" "pvvf: VF 2 of PF 0x1 \(slot 0\)" "$out"
want "c" "info=0" "$out"
result "c: rmmod pvvf refused while pvvf_test is loaded; after it, pvvf unloads, the host releases, and loads again"

# ---- a hostile host (pvvfd's test-only faults) ----
# A request left unanswered: the call fails within its bound, and the
# late answer brings the state back.
journal_mark
hostdo "stall guest=a enable=on"
t0=$(date +%s)
out=$(g a 't pasid_on 6; t info' 20 2>&1)
t1=$(date +%s)
want "a" "pasid_on=-110 info=0" "$out"
need "a: pvvf says what failed" "pvvf: GET_STATE failed \(-110\)" "$out"
[ $((t1 - t0)) -le 10 ] || why+=("a: the stalled call took $((t1 - t0)) s (bound: 2 x 2 s)")
need "daemon VF 0: not yet" "pasid=0 " "$(vf_state 0)"
hostdo "stall guest=a enable=off"
wait_vf 0 "pasid=1 " 5
out=$(g a 't pasid_off; sysfs' 2>&1)
want "a: read back, then disabled" "pasid_off=0" "$out"
need "a sysfs" "^pasid_enabled=0$" "$out"
need "daemon VF 0" "pasid=0 " "$(vf_state 0)"
result "requests unanswered: the call fails with -ETIMEDOUT in 4 s; answered late, the state is read back and converges"

# Replies spoiled after the host acted (PASID_ENABLE, opcode 0x10).
for how in short long zero tag status; do
	case $how in
	tag) err=-74 log="opcode 0x10: wrong-tag reply dropped" ;;
	status) err=-71 log= ;;
	*) err=-71 log="opcode 0x10: malformed reply dropped" ;;
	esac
	journal_mark
	hostdo "corrupt-reply guest=c how=$how op=0x10"
	out=$(g c 't pasid_on 6; t pasid_off; t pasid_on 6; t pasid_off' 2>&1)
	want "c, $how reply" "pasid_on=$err pasid_off=0 pasid_on=0 pasid_off=0" "$out"
	[ -z "$log" ] || need "c, $how reply" "pvvf: $log" "$out"
	need "daemon journal" "fault guest=c what=corrupt-reply how=$how op=0x10 " "$(journal_since)"
done
need "daemon VF 2" "pasid=0 " "$(vf_state 2)"
result "replies short, long, empty, with another tag or an unknown status: -EPROTO/-EBADMSG, logged; the next calls work"

# Events: malformed ones are logged and make pvvf read everything back;
# one for a slot it does not know is logged and ignored.
quiet b
g b mark >/dev/null
before=$(g b sysfs 2>&1)
for ev in "raw=$(evhex 99 0 0 0 0 0)" "raw=$(evhex 99 0 0 0 0 0)" \
	"raw=$(evhex 1 0 5 0 0 1)" "raw=$(evhex 1 0 0 0 0 1) used=16" \
	"raw=$(evhex 1 0 0 0 0 1) used=48" "raw=$(evhex 1 0 0 0 0 1 1)" \
	"raw=$(evhex 1 0 0 0 0 0x80)" "raw=$(evhex 1 4 0 0 0 1)"; do
	hostdo "inject-event guest=b $ev"
	sleep 0.3
done
out=$(g b 'sleep 1; since; t info' 2>&1)
[ "$(count "ignoring events of unknown type 99" "$out")" = 1 ] ||
	why+=("b: an unknown event type must be logged once:" "$out")
for e in -90 -90 -71 -22 -22; do
	need "b" "malformed event \($e\), resyncing" "$out"
done
[ "$(count "malformed event" "$out")" = 5 ] || why+=("b: expected 5 malformed events:" "$out")
# A slot beyond num_vfs, still beyond once num_vfs is read again: ignored.
need "b" "ignoring event type 1 for slot 5 \(num_vfs 1\)" "$out"
want "b" "info=0" "$out"
same "b's sysfs" "$before" "$(g b sysfs 2>&1)"
result "events of an unknown type (logged once), a slot out of range (logged, ignored), short, long, reserved or unknown bits (logged, resynced): harmless"

# A forged PF reset: pvvf believes it and tells its consumer; the host
# refuses the acknowledgement (no reset awaits it), so pvvf reads the
# state back (spec 6.9.3): no PF reset in progress, the consumer is told
# it is over and calls work at once.  A PF_RESET_DONE after it is harmless.
journal_mark
g b mark >/dev/null
hostdo "inject-event guest=b raw=$(evhex 2 1 0 777 0 0)"
out=$(g b 'waitk "event pf_reset_done" 10 >/dev/null; since; t pasid_on 6' 2>&1)
need "b consumer" "pvvf_test: $V event pf_reset_begin" "$out"
need "b" "EVENT_ACK 777 failed \(-22\)" "$out"
need "b" "pvvf: the host has no reset waiting on this VF; state read back, no reset in progress" "$out"
need "b consumer" "pvvf_test: $V event pf_reset_done" "$out"
want "b: once read back" "pasid_on=0" "$out"
need "daemon" "op=event_ack status=22 qual=seq" "$(journal_since)"
g b mark >/dev/null
hostdo "inject-event guest=b raw=$(evhex 3 0 0 778 0 0)"
out=$(g b 'waitk "event pf_reset_done" 10 >/dev/null; t pasid_off; t pasid_on 6; t pasid_off' 2>&1)
want "b: after a PF_RESET_DONE too" "pasid_off=0 pasid_on=0 pasid_off=0" "$out"
result "a forged PF reset: the refused acknowledgement is logged, the state read back ends it; a PF_RESET_DONE after it is harmless"

# The config shrinks num_vfs: a device error (spec 5.2), the VF in the
# slot above is detached and the slot unused until a device reset, even
# once num_vfs grows back.  Then it claims too many: refused.  A reset
# (pvvf unbound and bound) brings the VF back.
g b mark >/dev/null
hostdo "fake-config guest=b num_vfs=0"
out=$(g b 'waitk "event detached" 10 >/dev/null; since; t info' 2>&1)
need "b" "device error: num_vfs shrank from 1 to 0" "$out"
need "b" "pvvf: detached \(slot out of range\)" "$out"
want "b" "info=-19" "$out"
g b mark >/dev/null
hostdo "fake-config guest=b num_vfs=5000"
out=$(g b 'waitk "config refused \(-34\)" 10 >/dev/null; since; t info' 2>&1)
need "b" "config refused \(-34\): num_vfs kept at 0" "$out"
want "b" "info=-19" "$out"
hostdo "fake-config guest=b num_vfs=off"
out=$(g b 'sleep 2; mark; t info; since; n=$(cat /tmp/pvvf-dev); echo $n > /sys/bus/virtio/drivers/pvvf/unbind; mark; echo $n > /sys/bus/virtio/drivers/pvvf/bind; waitk "VF 1 of PF" 10 >/dev/null; since; t info' 2>&1)
want "b: back to 1, still unused; after a reset attached" "info=-19 info=0" "$out"
need "b" "pvvf: VF 1 of PF 0x1 \(slot 0\)" "$out"
result "config: num_vfs shrinking is a device error (VF detached, slot unused until a reset even when num_vfs grows back); above 4096 refused"

# b's pvvf device is unplugged (QEMU device_del) while its consumer loops.
journal_mark
out=$(g b 'mark; (while :; do echo "$V pasid_on 6" > $T; echo "$V pasid_off" > $T; done) >/dev/null 2>&1 & echo $! >/tmp/loop; sleep 1' 2>&1)
out=$(hmp b 'device_del pvvf' 2>&1)
[ -z "$out" ] || why+=("device_del: $out")
out=$(g b 'waitk "event detached" 30 >/dev/null; sleep 1; kill $(cat /tmp/loop); since | grep -E "pvvf device removed|event detached"; since | sed -n "/event detached/,\$p" | tail -n 5' 40 2>&1)
need "b" "pvvf: detached \(pvvf device removed\)" "$out"
need "b consumer" "pvvf_test: $V event detached" "$out"
after=$(steps "$(sed -n '/event detached/,$p' <<<"$out")")
[ -n "$after" ] && ! tr ' ' '\n' <<<"$after" | grep -qv '=-19$' ||
	why+=("b: every call after the detach must get -ENODEV, got '$after' from:" "$out")
wait_journal "conn guest=b event=driver-down" 10 || why+=("no driver-down of b in the journal")
need "daemon VF 1 released" "pasid=0 .*pri_enabled=0 " "$(vf_state 1)"
result "b's pvvf device unplugged while its consumer loops: detached, every later call -ENODEV, the host releases"

# ---- the PF goes: every guest still holding a VF of it is told ----
for x in a b c; do g $x mark >/dev/null; done
journal_mark
hostdo "pf-remove pf=pf0"
for x in a c; do
	out=$(g $x 'waitk "detached" 20 >/dev/null; since; t info' 2>&1)
	need "$x consumer" "pvvf_test: $V event pf_removed" "$out"
	need "$x" "pvvf: detached \(PF (removed|gone)\)" "$out"
	want "$x" "info=-19" "$out"
done
out=$(g b 'since' 2>&1)
[ -z "$(grep pvvf <<<"$out")" ] || why+=("b, without a pvvf device, heard of it:" "$out")
need "daemon PF" "gone=1 " "$(pf_state)"
result "PF removed: a and c get pf_removed and detach, the API says -ENODEV; b (unplugged) hears nothing"
echo "# faults run time: $(($(date +%s) - faults_start)) s"
