# SPDX-License-Identifier: GPL-2.0
#
# Guest helpers for the transparent-mode scenario (tests/e2e/transparent.sh),
# busybox sh, sourced in an agent command (". /lib/transparent.sh; ...").
# The VF is $V (set by agent.sh).
#
#   c OP [ARG]        pcicore_test step on $V ("pcicore_test: $V OP = ERRNO")
#   rd OFF SIZE       config register of $V, read from userspace: 0x...
#   show NAME OFF SIZE  the same as "NAME=0x..."
#   wr OFF SIZE VAL   config register write from userspace, one access of
#                     SIZE (2 or 4) bytes: the path setpci takes
#                     (pci_user_write_config_*, under pci_lock, IRQs off)
#   extcaps           the VF's extended capability chain, "ID@OFFSET ..."
#   capat ID          the offset of extended capability ID, or 0
#   waitcap ID SECS   wait until extended capability ID is there
#   loadpvvf ARGS...  insmod pvvf.ko ARGS, then pcicore_test.ko
#   below BRIDGE      "below=BDF": the function below the bridge BRIDGE
#   on BDF            use the function BDF as $V from now on
CFG=/sys/bus/pci/devices/$V/config
MODS=/lib/modules/manual

c() { echo "$V $*" > /sys/kernel/debug/pcicore_test/cmd; }

rd() {
	v=$(od -A n -t "x$2" -j $(($1)) -N "$2" "$CFG" 2>/dev/null | tr -d ' ')
	[ -n "$v" ] || return 1
	echo "0x$v"
}

show() { echo "$1=$(rd "$2" "$3")"; }

wr() {
	v=$(($3)) o=''
	i=0
	while [ $i -lt "$2" ]; do
		o="$o\\$(printf '%03o' $(((v >> (8 * i)) & 255)))"
		i=$((i + 1))
	done
	printf "$o" >/tmp/wr
	dd if=/tmp/wr of="$CFG" bs="$2" seek=$((($1) / $2)) count=1 conv=notrunc 2>/dev/null
}

extcaps() {
	off=256 n=0 out=''
	while [ "$off" -ge 256 ] && [ $n -lt 64 ]; do
		h=$(($(rd $off 4)))
		[ $h -eq 0 ] && break
		out="$out $(printf '0x%04x@0x%03x' $((h & 0xffff)) "$off")"
		off=$(((h >> 20) & 0xffc))
		n=$((n + 1))
	done
	echo "extcaps=${out# }"
}

capat() {
	for e in $(extcaps | sed 's/^extcaps=//'); do
		[ $((${e%@*})) -eq $(($1)) ] && { echo "$((${e#*@}))"; return 0; }
	done
	echo 0
}

waitcap() {
	n=$(($2 * 5))
	while [ "$n" -gt 0 ]; do
		[ "$(capat "$1")" != 0 ] && return 0
		sleep 0.2
		n=$((n - 1))
	done
	echo "waitcap: no extended capability $1 within $2 s"
	return 1
}

loadpvvf() {
	insmod $MODS/pvvf.ko "$@" && insmod $MODS/pcicore_test.ko
}

below() {
	for d in /sys/bus/pci/devices/"$1"/0000:*; do
		[ -e "$d/config" ] && { echo "below=$(basename "$d")"; return 0; }
	done
	echo "below="
	return 1
}

on() { V=$1 CFG=/sys/bus/pci/devices/$1/config; }
