#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs in the guest (busybox): find the virtio_pvvf function (1af4:107f)
# and read its device configuration straight from the virtio-pci
# device-specific config window, without any pvvf driver.  Prints
# "smoke: key=value" lines; exits non-zero if something is missing.
say() { echo "smoke: $*"; }

dev=
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat "$d/vendor")" = 0x1af4 ] && [ "$(cat "$d/device")" = 0x107f ]; then
		dev=$d
	fi
done
if [ -z "$dev" ]; then
	say "pvvf=missing"
	exit 1
fi
say "pvvf=$(basename "$dev") class=$(cat "$dev/class") revision=$(cat "$dev/revision")"

for v in /sys/bus/virtio/devices/*; do
	[ -e "$v/device" ] && [ "$(cat "$v/device")" = 0x003f ] &&
		say "virtio=$(basename "$v") device=0x003f driver=$(basename "$(readlink "$v/driver" 2>/dev/null || echo none)")"
done

# The config space as hex bytes; byte N is the (N+1)th word.
CFG=$(od -An -v -tx1 -N256 "$dev/config")
byte() { _i=$(($1 + 1)); set -- $CFG; eval echo "\${$_i}"; }
le32() { echo $((0x$(byte $(($1 + 3)))$(byte $(($1 + 2)))$(byte $(($1 + 1)))$(byte $1))); }

# Walk the capability list for the virtio-pci DEVICE_CFG window
# (vendor capability 0x09, cfg_type 4; virtio 1.3 section 4.1.4).
cap=$((0x$(byte 0x34)))
bar=
while [ "$cap" -ne 0 ]; do
	if [ "$(byte $cap)" = 09 ] && [ "$(byte $((cap + 3)))" = 04 ]; then
		bar=$((0x$(byte $((cap + 4)))))
		off=$(le32 $((cap + 8)))
		break
	fi
	cap=$((0x$(byte $((cap + 1)))))
done
if [ -z "$bar" ]; then
	say "device_cfg=missing"
	exit 1
fi
base=$(sed -n "$((bar + 1))p" "$dev/resource" | cut -d' ' -f1)
addr=$((base + off))
# The kernel's virtio-pci driver claims every 1af4:10xx function (and
# finds no virtio driver for ID 63).  With IO_STRICT_DEVMEM a claimed
# region reads as zero through /dev/mem: unbind it, then enable memory
# decoding by hand.
if [ -e "$dev/driver" ]; then
	say "unbind=$(basename "$(readlink "$dev/driver")")"
	echo "$(basename "$dev")" >"$dev/driver/unbind"
fi
echo 1 >"$dev/enable"
epoch=$(devmem $addr 32)
num_vfs=$(devmem $((addr + 4)) 16)
say "device_cfg=bar$bar+$off epoch=$((epoch)) num_vfs=$((num_vfs))"

# The stand-in VF the host named, if the test put one there.
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/device")" = 0x1044 ] && say "standin=$(basename "$d")"
done
exit 0
