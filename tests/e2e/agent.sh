#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of the end-to-end suite and the demo (busybox sh, run as
# /test.sh by the initramfs after pvvf.ko and pvvf_test.ko are loaded).
#
# The host drives the guest through its second serial port (ttyS1, a unix
# socket on the host, see tests/e2e/agent.py): it sends "ID COMMAND" lines;
# the agent runs COMMAND with sh, sends back its output, then the kernel
# log lines it produced, then "@@ID rc=STATUS".  Every kernel line also
# stays in /tmp/klog, so asynchronous events can be waited for (waitk).
# The console (ttyS0) keeps the whole kernel log for post-mortems.
#
# Helpers for COMMAND (the VF is $V unless given):
#   t OP [ARG]          pvvf_test step on $V: "pvvf_test: $V OP = ERRNO"
#   sysfs [VF]          the VF's pvvf/ sysfs group, one "name=value" a line
#   mark                remember how much of the kernel log has been seen
#   since               the kernel lines after the mark
#   waitk REGEX SECS    wait until a kernel line after the mark matches
V=${V:-0000:01:00.0}
T=/sys/kernel/debug/pvvf_test/cmd
PORT=/dev/ttyS1

t() { echo "$V $*" > "$T"; }
sysfs() {
	d=/sys/bus/pci/devices/${1:-$V}/pvvf
	[ -d "$d" ] || { echo "no $d"; return 1; }
	for f in "$d"/*; do echo "$(basename "$f")=$(cat "$f")"; done
}
klog() { dmesg -c >>/tmp/klog; }
mark() { klog; wc -l </tmp/klog >/tmp/mark; }
since() { klog; tail -n +$(($(cat /tmp/mark) + 1)) /tmp/klog; }
waitk() {
	n=$(($2 * 5))
	while [ "$n" -gt 0 ]; do
		if since | grep -E -- "$1"; then
			return 0
		fi
		sleep 0.2
		n=$((n - 1))
	done
	echo "waitk: no '$1' within $2 s"
	return 1
}

: >/tmp/klog
echo 0 >/tmp/mark
stty -F "$PORT" raw -echo 115200 || { echo "agent: no $PORT"; exit 1; }
exec 3<>"$PORT"
echo "agent: ready $(uname -r)"
while read -r id cmd <&3; do
	klog
	(eval "$cmd") >&3 2>&1
	rc=$?
	dmesg -c | tee -a /tmp/klog >&3
	echo "@@$id rc=$rc" >&3
	[ "$cmd" = exit ] && break
done
echo "agent: done"
