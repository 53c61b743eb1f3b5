#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# pvvfctl against a running pvvfd (tests/pvvfctl_test.py), then the
# daemon's exit status: a sanitizer report in either fails the suite.
# Usage: run.sh PATH_TO_PVVFCTL PATH_TO_PVVFD
set -uo pipefail
pvvfctl=${1:?usage: run.sh PVVFCTL PVVFD}
pvvfd=${2:?usage: run.sh PVVFCTL PVVFD}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
failed=0

"$pvvfd" --pf sim:id=pf0,vfs=8 \
	--guest "name=a,socket=$tmp/a.sock,vf=pf0:0@0000:00:1c.0/00.0+id=1af4:1044" \
	--control "$tmp/ctl" --log "$tmp/journal" 2>"$tmp/daemon.err" &
pid=$!
for _ in $(seq 100); do
	[ -S "$tmp/ctl" ] && break
	sleep 0.05
done
timeout 300 /usr/bin/python3 "$here/pvvfctl_test.py" "$pvvfctl" "$tmp/ctl" "$tmp" || failed=1
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
if [ $rc -eq 0 ]; then
	echo "ok - pvvfd exit 0 after the tests"
else
	echo "not ok - pvvfd exit $rc"
	sed 's/^/#   /' "$tmp/daemon.err" | head -n 30
	failed=1
fi
# A real PF through sysfs, on a fake tree: its back-end's record too.
images=$here/../../tests/sysfs-images
python3 "$images/mktree.py" "$images/nic-sva.img" "$tmp/sys"
mkdir -p "$tmp/run"
"$pvvfd" --pf "sysfs:id=nic0,bdf=0000:3b:00.0,root=$tmp/sys,run-dir=$tmp/run" \
	--guest "name=s,socket=$tmp/s.sock,vf=nic0:1@0000:00:1c.0/00.0" \
	--control "$tmp/ctl2" 2>"$tmp/daemon2.err" &
pid=$!
for _ in $(seq 100); do
	[ -S "$tmp/ctl2" ] && break
	sleep 0.05
done
if "$pvvfctl" -s "$tmp/ctl2" --json show pf nic0 >"$tmp/nic0.json" &&
	/usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["name"] == "nic0" and isinstance(j["pasid_refs"], int), j
assert j["sysfs"]["bdf"] == "0000:3b:00.0" and "sim" not in j, j
' "$tmp/nic0.json" && "$pvvfctl" -s "$tmp/ctl2" show pf nic0 | grep -q '^sysfs back-end$'; then
	echo "ok - a sysfs PF: show pf --json carries its sysfs record"
else
	echo "not ok - a sysfs PF through pvvfctl"
	sed 's/^/#   /' "$tmp/nic0.json" "$tmp/daemon2.err" | head -n 20
	failed=1
fi
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ $rc -eq 0 ] && echo "ok - pvvfd (sysfs) exit 0" || { echo "not ok - pvvfd (sysfs) exit $rc"; failed=1; }

[ $failed -eq 0 ] && echo "pvvfctl: all passed" || echo "pvvfctl: FAILED"
exit $failed
