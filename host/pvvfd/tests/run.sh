#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# pvvfd tests that need no QEMU: argument and configuration errors, start
# up, the control socket, stale and busy sockets, clean shutdown, and the
# kill loop (crash consistency, kill_loop.py).
# Usage: run.sh PATH_TO_PVVFD
# PVVFD_KILL_ITERATIONS=N sets the kill loop's iterations (default 20).
set -uo pipefail
pvvfd=${1:?usage: run.sh PATH_TO_PVVFD}
here=$(cd "$(dirname "$0")" && pwd)
ctl="/usr/bin/python3 $here/ctl.py"
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }

# expect CODE REGEX ARGS...: exit status CODE and stderr matching REGEX
expect() {
	local code=$1 re=$2 rc
	shift 2
	"$pvvfd" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -eq "$code" ] && grep -Eq -- "$re" "$tmp/err" "$tmp/out"; then
		ok "exit $code /$re/: $*"
	else
		not_ok "expected exit $code and /$re/, got $rc: $*"
		sed 's/^/#   /' "$tmp/err" "$tmp/out" | head -n 5
	fi
}

wait_for() {	# wait_for PATH: a socket appears (20 s bound: ASan, loaded CI)
	for _ in $(seq 400); do
		[ -S "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

listening() {	# listening PATH: a connection to the socket is accepted
	/usr/bin/python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])' "$1" 2>/dev/null
}

wait_listening() {	# wait_listening PATH: bounded like wait_for
	for _ in $(seq 400); do
		listening "$1" && return 0
		sleep 0.05
	done
	return 1
}

S=$tmp/a.sock
PF=sim:id=pf0,vfs=8
G="name=a,socket=$S,vf=pf0:0@0000:00:1c.0/00.0"

# ---- arguments ----
expect 0 'usage: pvvfd' --help
expect 0 'pvvfd [0-9.]+ \(virtio_pvvf device ID 63\)' --version
expect 2 'no PF' 
expect 2 'no guest' --pf "$PF"
expect 2 'unknown option --frob' --frob --pf "$PF" --guest "$G"
expect 2 '--guest needs a value' --pf "$PF" --guest
expect 2 "bad value for vfs" --pf sim:id=pf0,vfs=0 --guest "$G"
expect 2 "bad value for vfs" --pf sim:id=pf0,vfs=4097 --guest "$G"
expect 2 "unknown PF back-end 'vfio'" --pf vfio:id=pf0,vfs=8 --guest "$G"
expect 2 'unknown key' --pf sim:id=pf0,vfs=8,colour=red --guest "$G"
expect 2 'id= is required' --pf sim:vfs=8 --guest "$G"
expect 2 'id=pf0 given twice' --pf "$PF" --pf "$PF" --guest "$G"
expect 2 'bad value for pasid-width' --pf sim:id=pf0,vfs=8,pasid-width=21 --guest "$G"
expect 2 'no --pf with id=pf1' --pf "$PF" --guest "name=a,socket=$S,vf=pf1:0@00:01.0"
expect 2 'pf0 has 8 VFs' --pf "$PF" --guest "name=a,socket=$S,vf=pf0:8@00:01.0"
expect 2 'bad locator' --pf "$PF" --guest "name=a,socket=$S,vf=pf0:0@0000:00:20.0"
expect 2 'bad locator' --pf "$PF" --guest "name=a,socket=$S,vf=pf0:0@0000:00:01.8"
expect 2 'bad locator' --pf "$PF" --guest "name=a,socket=$S,vf=pf0:0@0000:100:01.0"
expect 2 'bad locator' --pf "$PF" --guest "name=a,socket=$S,vf=pf0:0@0000:00:"
expect 2 'bad locator' --pf "$PF" --guest "name=a,socket=$S,vf=pf0:0@0000:00:01.0//02.0"
expect 2 'bad locator' --pf "$PF" \
	--guest "name=a,socket=$S,vf=pf0:0@00:01.0/01.0/01.0/01.0/01.0/01.0/01.0/01.0/01.0"
expect 2 'cap= must be' --pf "$PF" --guest "name=a,socket=$S,vf=pf0:0@00:01.0+cap=0x101"
expect 2 'cap= must be' --pf "$PF" --guest "name=a,socket=$S,vf=pf0:0@00:01.0+cap=0xfec"
expect 2 'id= must be' --pf "$PF" --guest "name=a,socket=$S,vf=pf0:0@00:01.0+id=1af4"
expect 2 'socket= is required' --pf "$PF" --guest "name=a,vf=pf0:0@00:01.0"
expect 2 'name=a given twice' --pf "$PF" --guest "$G" --guest "name=a,socket=$tmp/b.sock"
expect 2 "also guest a's" --pf "$PF" --guest "$G" --guest "name=b,socket=$S"
expect 2 'VF pf0:0 is given to guest a and to guest b' --pf "$PF" --guest "$G" \
	--guest "name=b,socket=$tmp/b.sock,vf=pf0:0@00:02.0"
expect 2 "--control $S is also guest a's socket" --control "$S" --pf "$PF" --guest "$G"
expect 2 'features= takes' --pf "$PF" --guest "$G,features=magic"
expect 2 '--log /nonexistent/dir/j' --log /nonexistent/dir/j --pf "$PF" --guest "$G"
expect 2 '--crash-after: expected' --crash-after pasid-write:0 --pf "$PF" --guest "$G"
expect 2 '--crash-after: expected' --crash-after frob:1 --pf "$PF" --guest "$G"
expect 2 'bad value for state' --pf "$PF,state=" --guest "$G"
printf 'pf %s\n# a comment\n\nguest name=a,socket=%s,vf=pf0:0@zz\n' "$PF" "$S" >"$tmp/bad.conf"
expect 2 "bad.conf:4: .*bad locator" --config "$tmp/bad.conf"
expect 2 'No such file' --config "$tmp/missing.conf"
# nothing of the failed runs is left behind
[ ! -e "$S" ] && ok "no socket left by failed runs" || not_ok "a failed run left $S"

# ---- a running daemon ----
printf 'pf %s,pri-capacity=64\nguest %s\nguest name=b,socket=%s,vf=pf0:1@00:02.0+id=1af4:1044+cap=0x100\ncontrol %s\n' \
	"$PF" "$G" "$tmp/b.sock" "$tmp/ctl" >"$tmp/good.conf"
"$pvvfd" --config "$tmp/good.conf" --log "$tmp/journal" 2>"$tmp/daemon.err" &
pid=$!
pids+=("$pid")
if wait_for "$tmp/ctl" && [ -S "$S" ] && [ -S "$tmp/b.sock" ]; then
	ok "daemon listens on both guest sockets and the control socket"
else
	not_ok "daemon did not come up"; cat "$tmp/daemon.err"
fi
$ctl "$tmp/ctl" dump >"$tmp/dump"
if grep -q '^pf name=pf0 pf_id=0x1 num_vfs=8 ' "$tmp/dump" &&
	grep -q '^guest name=a .*link=down driver=down .*num_vfs=1' "$tmp/dump" &&
	grep -q '^vf pf=pf0 index=1 guest=b slot=0 ' "$tmp/dump" &&
	tail -n1 "$tmp/dump" | grep -qx ok; then
	ok "dump shows PFs, guests and VFs"
else
	not_ok "dump"; sed 's/^/#   /' "$tmp/dump"
fi
if $ctl "$tmp/ctl" 'inject pf=pf0 vf=0 n=2' >"$tmp/r" && grep -q '^issued=' "$tmp/r"; then
	ok "inject answers issued="
else
	not_ok "inject"; cat "$tmp/r"
fi
for bad in 'inject pf=pf0 vf=8' 'inject pf=nope vf=0' 'fault pf=pf0 vf=0 bits=zz' 'frob' 'dump x'; do
	if $ctl "$tmp/ctl" "$bad" >"$tmp/r"; then
		# dump ignores arguments: only the real errors must fail
		[ "$bad" = 'dump x' ] && ok "ctl '$bad' accepted" || { not_ok "ctl '$bad' did not fail"; cat "$tmp/r"; }
	else
		grep -q '^error msg=' "$tmp/r" && ok "ctl '$bad' fails with error msg=" || not_ok "ctl '$bad' output"
	fi
done
grep -q '^ts=[0-9.]* ctl cmd=inject pf=pf0 vf=0 result=ok' "$tmp/journal" &&
	ok "control commands are journaled" || not_ok "no ctl line in the journal"

# a second daemon must not steal a live socket
expect 1 'another process serves it' --pf "$PF" --guest "$G"
[ -S "$S" ] && ok "the live socket survived" || not_ok "the second daemon removed $S"

kill -TERM "$pid"
wait "$pid"
rc=$?
[ $rc -eq 0 ] && ok "SIGTERM: exit 0" || not_ok "SIGTERM: exit $rc"
[ ! -e "$S" ] && [ ! -e "$tmp/b.sock" ] && [ ! -e "$tmp/ctl" ] &&
	ok "sockets removed on shutdown" || not_ok "sockets left after shutdown"
grep -q 'daemon event=start pid=' "$tmp/journal" && grep -q 'daemon event=stop status=0' "$tmp/journal" &&
	ok "start and stop are journaled" || not_ok "journal lacks start/stop"
# every journal line is "ts=N.N KIND key=value..."
if awk '$1 !~ /^ts=[0-9]+\.[0-9][0-9][0-9][0-9][0-9][0-9]$/ || $2 ~ /=/ { bad = 1 }
	{ for (i = 3; i <= NF; i++) if ($i !~ /^[a-z_]+=[^ ]*$/) bad = 1 }
	END { exit bad }' "$tmp/journal"; then
	ok "journal lines parse as ts KIND key=value..."
else
	not_ok "journal format"; head -n 20 "$tmp/journal" | sed 's/^/#   /'
fi

# a stale socket (daemon killed) is replaced
"$pvvfd" --pf "$PF" --guest "$G" --log "$tmp/j2" &
pid=$!
wait_for "$S"
kill -KILL "$pid"; wait "$pid" 2>/dev/null
listening "$S" && not_ok "a killed daemon's socket still accepts"
"$pvvfd" --pf "$PF" --guest "$G" --log "$tmp/j2" &
pid=$!
pids+=("$pid")
if wait_listening "$S" && kill -0 "$pid" 2>/dev/null; then
	ok "a stale socket is replaced"
else
	not_ok "restart over a stale socket failed"
fi
kill -INT "$pid"; wait "$pid"
[ $? -eq 0 ] && ok "SIGINT: exit 0" || not_ok "SIGINT exit status"

# ---- the vhost-user link, driven by a minimal frontend ----
rm -f "$tmp/journal"
"$pvvfd" --pf "$PF" --guest "$G+id=1af4:1044" --control "$tmp/ctl" \
	--reset-ack-timeout-ms 2000 --log "$tmp/journal" &
pid=$!
pids+=("$pid")
wait_for "$tmp/ctl"
if timeout 60 /usr/bin/python3 "$here/vu_frontend.py" "$S" "$tmp/ctl" >"$tmp/vu.out" 2>&1; then
	ok "vhost-user frontend: $(grep -c '^ok' "$tmp/vu.out") checks"
else
	not_ok "vhost-user frontend"
	grep -v '^ok' "$tmp/vu.out" | sed 's/^/#   /'
fi
kill -0 "$pid" 2>/dev/null && ok "pvvfd survived every frontend" || not_ok "pvvfd died"
grep -q 'decision guest=a slot=0 op=get_vf status=0' "$tmp/journal" &&
	ok "decisions are journaled" || not_ok "no decision line"
grep -q 'conn guest=a event=refused reason=busy' "$tmp/journal" &&
	ok "busy refusal journaled" || not_ok "no busy refusal line"
kill -TERM "$pid"; wait "$pid"
[ $? -eq 0 ] && ok "SIGTERM after frontends: exit 0" || not_ok "exit status after frontends"

# ---- two guests on one PF ----
"$pvvfd" --pf "$PF" --guest "$G" --guest "name=b,socket=$tmp/b.sock,vf=pf0:1@0000:00:02.0" \
	--control "$tmp/ctl" --reset-ack-timeout-ms 5000 --log "$tmp/journal2" &
pid=$!
pids+=("$pid")
wait_for "$tmp/ctl"
if timeout 60 /usr/bin/python3 "$here/vu_frontend.py" --two "$S" "$tmp/b.sock" "$tmp/ctl" \
	>"$tmp/vu2.out" 2>&1; then
	ok "two guests on one PF: $(grep -c '^ok' "$tmp/vu2.out") checks"
else
	not_ok "two guests on one PF"
	grep -v '^ok' "$tmp/vu2.out" | sed 's/^/#   /'
fi
kill -TERM "$pid"; wait "$pid"
[ $? -eq 0 ] && ok "SIGTERM with two guests: exit 0" || not_ok "exit status with two guests"

# ---- test-only fault injection on a guest's link ----
"$pvvfd" --pf "$PF" --guest "$G" --control "$tmp/ctl" --log "$tmp/journal3" &
pid=$!
pids+=("$pid")
wait_for "$tmp/ctl"
if timeout 60 /usr/bin/python3 "$here/vu_frontend.py" --faults "$S" "$tmp/ctl" \
	>"$tmp/vu3.out" 2>&1; then
	ok "faults a test can inject: $(grep -c '^ok' "$tmp/vu3.out") checks"
else
	not_ok "faults a test can inject"
	grep -v '^ok' "$tmp/vu3.out" | sed 's/^/#   /'
fi
grep -q 'fault guest=a what=corrupt-reply how=tag op=0x10 used=8 reported=8 left=0' "$tmp/journal3" &&
	grep -q 'fault guest=a what=raw-event len=2 used=40' "$tmp/journal3" &&
	grep -q 'ctl cmd=stall guest=a result=ok' "$tmp/journal3" &&
	ok "injected faults are journaled" || not_ok "injected faults are not journaled"
for bad in 'stall guest=zz enable=on' 'stall guest=a' 'corrupt-reply guest=a how=odd' \
	'corrupt-reply guest=a how=tag op=65536' 'inject-event guest=a raw=0g' \
	'inject-event guest=a raw=123' 'fake-config guest=a num_vfs=65536'; do
	if $ctl "$tmp/ctl" "$bad" >"$tmp/r"; then
		not_ok "ctl '$bad' did not fail"
	else
		grep -q '^error msg=bad_arguments' "$tmp/r" && ok "ctl '$bad' refused" ||
			not_ok "ctl '$bad' output: $(cat "$tmp/r")"
	fi
done
kill -TERM "$pid"; wait "$pid"
[ $? -eq 0 ] && ok "SIGTERM after injected faults: exit 0" || not_ok "exit status after injected faults"

# ---- a flooding guest: fairness, memory, journal, a chain in the wrong order ----
# ASan's quarantine keeps freed blocks on purpose; without it the peak RSS
# shows what the daemon itself keeps.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0 \
"$pvvfd" --pf "$PF" --guest "$G" --guest "name=b,socket=$tmp/b.sock,vf=pf0:1@0000:00:02.0" \
	--control "$tmp/ctl" --log "$tmp/journal4" &
pid=$!
pids+=("$pid")
wait_for "$tmp/ctl"
if timeout 120 /usr/bin/python3 "$here/vu_frontend.py" --flood "$S" "$tmp/b.sock" "$tmp/ctl" \
	"$tmp/journal4" "$pid" >"$tmp/vu4.out" 2>&1; then
	ok "flooding guest: $(grep -c '^ok' "$tmp/vu4.out") checks"
else
	not_ok "flooding guest"
fi
sed -n 's/^\(not \)\{0,1\}ok - /#   &/p' "$tmp/vu4.out"
kill -TERM "$pid"; wait "$pid"
[ $? -eq 0 ] && ok "SIGTERM after a flood: exit 0" || not_ok "exit status after a flood"

# ---- a real PF through sysfs, on a fake tree ----
images=$here/../../tests/sysfs-images
NIC="sysfs:id=nic0,bdf=0000:3b:00.0,root=$tmp/sys,run-dir=$tmp/run,poll-ms=20"
GN="name=a,socket=$S,vf=nic0:1@0000:00:1c.0/00.0"
expect 2 "unknown PF back-end 'vfio' \\(known: sim, sysfs\\)" --pf vfio:id=pf0 --guest "$G"
expect 2 'bdf= is required' --pf sysfs:id=nic0 --guest "$GN"
expect 2 'bdf=3b:00.0: expected SSSS:BB:DD.F' --pf sysfs:id=nic0,bdf=3b:00.0 --guest "$GN"
expect 2 "unknown key 'vfs'" --pf sysfs:id=nic0,bdf=0000:3b:00.0,vfs=4 --guest "$GN"
expect 2 'are both bdf=0000:3b:00.0' --pf "$NIC" --pf "${NIC/nic0/nic1}" --guest "$GN"
expect 1 'no such device' --pf "$NIC" --guest "$GN"
python3 "$images/mktree.py" "$images/bad-loop.img" "$tmp/sys"
expect 1 '--pf nic0: 0000:3b:00.0: extended capability chain loops' --pf "$NIC" --guest "$GN"
rm -rf "$tmp/sys"
python3 "$images/mktree.py" "$images/nic-sva.img" "$tmp/sys"
expect 1 'vf=nic0:4@0000:00:1c.0/00.0: nic0 has 4 VFs' --pf "$NIC" \
	--guest "name=a,socket=$S,vf=nic0:4@0000:00:1c.0/00.0"
"$pvvfd" --pf "$NIC" --guest "$GN" --control "$tmp/ctl" --reset-ack-timeout-ms 5000 \
	--log "$tmp/journal5" &
pid=$!
pids+=("$pid")
wait_for "$tmp/ctl"
if timeout 60 /usr/bin/python3 "$here/vu_frontend.py" --sysfs "$S" "$tmp/ctl" \
	"$tmp/sys/bus/pci/devices/0000:3b:00.0" >"$tmp/vu5.out" 2>&1; then
	ok "a real PF through sysfs: $(grep -c '^ok' "$tmp/vu5.out") checks"
else
	not_ok "a real PF through sysfs"
	grep -v '^ok' "$tmp/vu5.out" | sed 's/^/#   /'
fi
grep -q 'daemon event=pf pf=nic0 backend=sysfs bdf=0000:3b:00.0 driver=pci-pf-stub driver_owns=0 vfs=4 pasid=1 pasid_width=20 pasid_features=0x6 pri=1 pri_capacity=512 ats_stu=12 vf_ats=1$' \
	"$tmp/journal5" && ok "the real PF is journaled" || not_ok "no daemon event=pf line"
grep -q 'daemon event=pf-message pf=nic0 msg=0000:3b:00.0:_removed:_its_sysfs_directory_vanished' \
	"$tmp/journal5" && ok "the back-end's findings are journaled" || not_ok "no pf-message line"
kill -TERM "$pid"; wait "$pid"
[ $? -eq 0 ] && ok "SIGTERM with a removed real PF: exit 0" || not_ok "exit status with a real PF"

# ---- crash consistency ----
# A damaged journal is refused with a message; pvvfd reconciles from the PF.
printf 'PVVFDJNL\001\000\000\000\377\377\377\377junk' >"$tmp/state"
"$pvvfd" --pf "$PF,state=$tmp/pf.state" --guest "$G" --state "$tmp/state" \
	--control "$tmp/ctl" --log "$tmp/j3" 2>"$tmp/daemon.err" &
pid=$!
pids+=("$pid")
wait_for "$tmp/ctl"
if grep -q "state $tmp/state: refused, .*torn or truncated.*: reconciling from the PFs alone" "$tmp/daemon.err" &&
	grep -q 'daemon event=state status=refused why=' "$tmp/j3"; then
	ok "a torn journal is refused with a clear message"
else
	not_ok "torn journal"; sed 's/^/#   /' "$tmp/daemon.err"
fi
kill -TERM "$pid"; wait "$pid"
# A whole, checksummed record whose body lies (1000 PFs) is refused too.
/usr/bin/python3 -c '
import struct, sys, zlib
body = struct.pack("<I", 1000)
rec = b"PVVFDJNL" + struct.pack("<II", 1, len(body)) + body
open(sys.argv[1], "wb").write(rec + struct.pack("<I", zlib.crc32(rec)))' "$tmp/state"
"$pvvfd" --pf "$PF,state=$tmp/pf.state" --guest "$G" --state "$tmp/state" \
	--control "$tmp/ctl" --log "$tmp/j3" 2>"$tmp/daemon.err" &
pid=$!
pids+=("$pid")
wait_for "$tmp/ctl"
grep -q "refused, a field is out of range: reconciling from the PFs alone" "$tmp/daemon.err" &&
	ok "a checksummed journal with a lying body is refused" ||
	{ not_ok "lying journal body"; sed 's/^/#   /' "$tmp/daemon.err"; }
# The PF's state file belongs to one process.
expect 1 'another process drives this PF' --pf "$PF,state=$tmp/pf.state" \
	--guest "name=z,socket=$tmp/z.sock,vf=pf0:3@00:03.0"
kill -TERM "$pid"; wait "$pid"
[ $? -eq 0 ] && ok "SIGTERM with a state journal: exit 0" || not_ok "exit status with a journal"
[ -s "$tmp/state" ] && ! grep -q junk "$tmp/state" && ok "the journal was rewritten whole" ||
	not_ok "journal not rewritten"

mkdir -p "$tmp/kill"
if timeout 900 /usr/bin/python3 "$here/kill_loop.py" "$pvvfd" "$tmp/kill" \
	"${PVVFD_KILL_ITERATIONS:-20}" >"$tmp/kill.out" 2>&1; then
	ok "$(grep -h "^ok - [0-9]* kill iterations" "$tmp/kill.out" | sed "s/^ok - //"); $(tail -n1 "$tmp/kill.out" | sed 's/^ok - //')"
else
	not_ok "kill loop"
	grep -v '^ok' "$tmp/kill.out" | head -n 20 | sed 's/^/#   /'
	tail -n 20 "$tmp/kill/err" 2>/dev/null | sed 's/^/#   err: /'
fi

echo "pvvfd: $passed passed, $failed failed"
[ $failed -eq 0 ]
