#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs in the guest (busybox) with pvvf.ko and pvvf_test.ko loaded; driven
# by tests/consumer/e2e.sh, which reacts on the host to each "e2e: Mn"
# marker.  Results come from pvvf_test's kernel log lines.
c() { echo "$*" > /sys/kernel/debug/pvvf_test/cmd; }
V=0000:01:00.0
sleep 1

# 1. The whole enable and teardown order.
c "$V cycle 4"
for f in /sys/bus/pci/devices/$V/pvvf/*; do
	echo "e2e: sysfs $(basename "$f")=$(cat "$f")"
done

# 2. A drain with page requests outstanding (the host injects two).
c "$V pasid_on 0"; c "$V pri_on 4"
echo "e2e: M1"; sleep 4
c "$V pri_off"
echo "e2e: M2"; c "$V wait_stopped 20000"
c "$V pri_reset"

# 2b. Quiescing inside a notifier callback, which runs on the event work:
# no PRI_STOPPED event can wake that wait.  On the PASID revocation (1 s
# after two page requests that complete 3 s after they were issued) the
# consumer disables PRI and waits for it to stop; then PASID is
# acknowledged and, once the host turned PF PASID on again, enabled again.
# (pvvfd also signals a config change when the drain ends, and the rescan
# that follows wakes the waiter too: this step shows the wait ends, the
# journal shows its PRI_STATUS every 100 ms, but it passes without them.)
c "$V pri_on 4"
c "$V quiesce_on pasid_revoked"
echo "e2e: M6"; sleep 6
c "$V pri_reset"; c "$V pasid_off"
echo "e2e: M7"; sleep 2
c "$V pasid_on 0"

# 3. The host revokes PF PRI, then resets the PF.
c "$V pri_on 4"
echo "e2e: M3"; sleep 4
c "$V pri_on 4"; c "$V pri_off"
echo "e2e: M4"; sleep 6
c "$V info"

# 4. The VF goes and comes back; the pvvf device is unbound and rebound.
echo 1 > /sys/bus/pci/devices/$V/remove
echo 1 > /sys/bus/pci/rescan
sleep 1
c "$V info"
for d in /sys/bus/virtio/drivers/pvvf/virtio*; do n=$(basename "$d"); done
echo "$n" > /sys/bus/virtio/drivers/pvvf/unbind
echo "e2e: vf-driver=$(basename "$(readlink /sys/bus/pci/devices/$V/driver)" 2>/dev/null)"
c "$V info"
echo "$n" > /sys/bus/virtio/drivers/pvvf/bind
sleep 1

# 4b. A consumer removes the VF from its ATTACHED callback: callbacks run
# with no pvvf (or PCI rescan) lock held.
c "$V remove_on attached"
echo 1 > /sys/bus/pci/devices/$V/remove
echo 1 > /sys/bus/pci/rescan
sleep 2
echo "e2e: removed-in-callback=$([ -e /sys/bus/pci/devices/$V ] && echo no || echo yes)"
echo 1 > /sys/bus/pci/rescan
sleep 2
c "$V info"

# 5. Suspend and resume: the device is reset, state is read back.
c "$V pasid_off"; c "$V pasid_on 0"; c "$V ats_on 12"
echo devices > /sys/power/pm_test
echo "e2e: suspend"
echo freeze > /sys/power/state
echo "e2e: resume rc=$?"
sleep 2
c "$V info"; c "$V ats_off"; c "$V pasid_off"

# 6. The host removes the PF.
echo "e2e: M5"; sleep 6
c "$V info"
echo "e2e: END"
