#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: two guests sharing one simulated PF, narrated.
#
# The same stack as the end-to-end suite (tests/e2e/lib.sh): pvvfd with a
# simulated PF, two Debian 6.12 guests under TCG, each with a stand-in VF
# of that PF, pvvf.ko and the test consumer pvvf_test.ko.  Every step shows
# the guest's view (what the consumer's API calls returned, the kernel log,
# the VF's pvvf/ sysfs group) and the host's (the daemon's decisions from
# its journal, and its state from the control socket).
#
# Usage: demo.sh   (make demo installs and builds what it needs first)
# PVVF_DEMO_PAUSE=1 waits for Enter between steps.  Exits non-zero if
# something did not go as narrated.
set -uo pipefail
. "$(dirname "$0")/../tests/e2e/lib.sh"

E2E_GUESTS=(a b)
V=$E2E_VF
unexpected=0

if [ -t 1 ]; then
	B=$'\e[1m' D=$'\e[2m' R=$'\e[0m' C=$'\e[36m' Y=$'\e[33m' M=$'\e[31m'
else
	B= D= R= C= Y= M=
fi

n=0
step() {
	n=$((n + 1))
	if [ "${PVVF_DEMO_PAUSE:-0}" = 1 ] && [ -t 0 ] && [ $n -gt 1 ]; then
		read -r -p "${D}(Enter for the next step)${R}" _
	fi
	printf '\n%s== %d. %s ==%s\n' "$B" "$n" "$1" "$R"
	journal_mark
}
say() { fmt -w 76 <<<"$*" | sed 's/^/   /'; echo; }
note() { printf '   %s-> %s%s\n' "$Y" "$*" "$R"; }
oops() { printf '   %s!! unexpected: %s%s\n' "$M" "$*" "$R"; unexpected=1; }
fatal() { oops "$*"; E2E_KEEP=1; exit 1; }

# The consumer's API calls, as pvvf_test names them.
declare -A API=(
	[pasid_on]="pvvf_pasid_enable(vf, features)" [pasid_off]="pvvf_pasid_disable(vf)"
	[ats_on]="pvvf_ats_enable(vf, page_shift)" [ats_off]="pvvf_ats_disable(vf)"
	[pri_on]="pvvf_pri_enable(vf, reqs)" [pri_off]="pvvf_pri_disable(vf)"
	[pri_reset]="pvvf_pri_reset(vf)" [wait_stopped]="pvvf_pri_wait_stopped(vf, ms)"
)
declare -A ERRNO=([0]=0 [-1]=-EPERM [-16]=-EBUSY [-28]=-ENOSPC [-110]=-ETIMEDOUT
	[-114]=-EALREADY [-22]=-EINVAL [-19]=-ENODEV)

# api G "OP [ARG]" EXPECTED: one consumer call in guest G, shown with its
# result and the kernel lines it caused.
api() {
	local x=$1 op=${2%% *} arg= out ret
	[ "$op" = "$2" ] || arg=${2#* }
	[ "$op:$arg" != pasid_on:6 ] || arg="PCI_PASID_CAP_EXEC | PCI_PASID_CAP_PRIV"
	printf '   %sguest %s%s  %s' "$C" "$x" "$R" "${API[$op]/(vf, *)/(vf, $arg)}"
	out=$(g "$x" "t $2" 2>&1)
	ret=$(sed -n "s/.*pvvf_test: $V $op = \(-\{0,1\}[0-9]*\)$/\1/p" <<<"$out" | tail -n1)
	printf ' = %s\n' "${ERRNO[$ret]:-$ret}"
	grep -v "pvvf_test: $V $op = " <<<"$out" | sed "s/^/      $D$x kernel:$R /"
	[ "$ret" = "$3" ] || oops "expected ${ERRNO[$3]:-$3}"
}
# sysfs_view G: the VF's pvvf/ group, on two lines.
sysfs_view() {
	local out
	out=$(g "$1" sysfs 2>&1)
	printf '   %sguest %s%s  /sys/bus/pci/devices/%s/pvvf/:\n' "$C" "$1" "$R" "$V"
	grep -E '^(pf_id|vf_index|slot|ats_enabled|pasid_|pri_|stopped)' <<<"$out" |
		paste -sd' ' | fold -s -w 70 | sed 's/^/      /'
}
# klog_view G REGEX: kernel lines of guest G since boot matching REGEX.
klog_view() {
	g "$1" "grep -hE '$2' /tmp/klog" 2>&1 | sed "s/^/      $D$1 kernel:$R /"
}
# host_view [VF...]: the PF and the given VFs as pvvfd sees them.
host_view() {
	local d pf f i line
	d=$(ctl dump)
	pf=$(grep '^pf name=pf0 ' <<<"$d")
	printf '   %shost%s     pf0:' "$C" "$R"
	for f in pasid_enabled pasid_features pasid_refs pasid_revoked pri_pool pri_free pri_users ats_vfs; do
		printf ' %s=%s' "$f" "$(field $f "$pf")"
	done
	echo
	for i in "$@"; do
		line=$(grep "^vf pf=pf0 index=$i " <<<"$d")
		printf '            VF %s (guest %s):' "$i" "$(field guest "$line")"
		for f in ats pasid pasid_features pri_enabled pri_draining pri_held pri_outstanding; do
			printf ' %s=%s' "$f" "$(field $f "$line")"
		done
		echo
	done
}
# journal_view: the daemon's journal since the step began, without the
# read-backs the guests do after every change (get_vf, get_state).
journal_view() {
	journal_since | grep -vE 'op=(get_vf|get_state|get_opcodes) |ctl cmd=dump' |
		sed "s/^ts=[0-9.]* /      ${D}pvvfd:$R /"
}
hostctl() {
	printf '   %shost%s     control socket: %s\n' "$C" "$R" "$1"
	ctl "$1" >/dev/null || oops "control socket refused '$1'"
}

cat <<EOF
${B}pvvf demo: two guests sharing one SR-IOV Physical Function${R}

   A Virtual Function passed to a VM looks like any PCI function, but it
   has no PASID or PRI of its own: those live in its PF, shared by every VF
   and so by every guest holding one.  pvvf lets each guest's driver use
   them anyway: pvvf.ko in the guest forwards PASID and PRI requests over a
   small virtio device to pvvfd on the host, which arbitrates the PF's
   shared state.  Here the PF is simulated by pvvfd, and two guests get one
   VF each.  It all runs under TCG (no KVM needed).
EOF
e2e_init

step "Build the guest side"
say "pvvf.ko and a test consumer, pvvf_test.ko, are built against the
Debian $KVER_612 kernel headers, then packed with busybox into an
initramfs.  The consumer calls pvvf's API (include/linux/pvvf.h) on
command and logs every result and every event pvvf notifies it of."
start=$(date +%s)
e2e_build "$KVER_612"
note "built in $(( $(date +%s) - start )) s"

step "Start the host daemon with one simulated PF"
say "pvvfd owns the PF.  Its simulated PF has 8 VFs, PASID (exec and priv
modes), PRI with a pool of $E2E_PRI_CAPACITY outstanding page requests
shared by all VFs, and ATS.  Guest a gets VF 0, guest b VF 1; each VF is
named by where the guest will see it (its locator: below the root port at
00:1c.0)."
e2e_pvvfd
mapfile -t args < <(e2e_pvvfd_args)
printf '   $ pvvfd'
for a in "${args[@]}"; do
	case $a in --*) printf ' \\\n       %s' "$a" ;; *) printf ' %s' "${a//$E2E_DIR/\$DIR}" ;; esac
done
echo
journal_view

step "Boot two guests"
say "Each guest is QEMU q35 with the pvvf device (vhost-user-pvvf-pci,
served by pvvfd over a unix socket, which needs shared guest memory) and
a stand-in for its VF: a modern virtio-rng-pci with its own ATS
capability, behind a root port.  Both boot at once."
mapfile -t args < <(e2e_qemu_args a)
printf '   $ qemu-system-x86_64'
for a in "${args[@]}"; do
	case $a in
	-*) printf ' \\\n       %s' "$a" ;;
	*' '*) printf " '%s'" "$a" ;;
	*) printf ' %s' "${a//$E2E_DIR/\$DIR}" ;;
	esac
done
echo
start=$(date +%s)
e2e_boot a
e2e_boot b
e2e_ready a 120 || fatal "guest a did not boot"
e2e_ready b 120 || fatal "guest b did not boot"
note "both guests up in $(( $(date +%s) - start )) s"
journal_view

step "Discovery: each guest learns its function is a VF"
say "pvvf.ko asked the host which of the guest's PCI functions are VFs
(by locator), found the stand-in at $V and gave it VF semantics.  Its
sysfs group shows the PF's identity (the same in both guests: one PF)
and the VF's index in that PF."
for x in a b; do
	klog_view $x 'pvvf: (VF|detached)'
	sysfs_view $x
done
host_view 0 1

step "PASID: the PF's one PASID Enable, reference-counted"
say "A VF has no PASID capability; it uses its PF's.  pvvfd enables PASID
on the PF for the first VF that asks and keeps it on while any VF uses
it.  Guest a enables PASID with execute and privileged modes (features
0x6), then guest b, then a disables it again."
api a "pasid_on 6" 0
api b "pasid_on 6" 0
host_view 0 1
api a "pasid_off" 0
host_view 0 1
journal_view
note "refs went 1, 2, 1: the PF's PASID stayed on for guest b"

step "PASID must not change while ATS is enabled"
say "PCIe forbids changing PASID Enable while ATS is enabled.  Guest b
turns its VF's ATS on (4 KiB pages), then tries to disable PASID: pvvf.ko
refuses."
api b "ats_on 12" 0
api b "pasid_off" -16
api b "ats_off" 0
api b "pasid_off" 0
say "On the PF it is the host's call: with nobody using PASID the PF's
PASID is off, and turning it on would change it under the ATS of any VF
of the PF, in any guest.  Guest b turns ATS on again; guest a's enable
is refused by pvvfd (qualifier 'pf_ats')."
api b "ats_on 12" 0
api a "pasid_on 6" -16
host_view 0 1
api b "ats_off" 0
journal_view

step "PRI: an allocation from the shared pool, and a faithful stop"
say "PRI is per PF too: each VF's page request allocation is carved from
the PF's pool.  Guest b enables PRI with 4, guest a with 8; the host then
makes both VFs issue page requests, as a device would on a fault."
api a "pasid_on 6" 0
api a "pri_on 8" 0
api b "pasid_on 6" 0
api b "pri_on 4" 0
hostctl "inject pf=pf0 vf=0 n=3"
hostctl "inject pf=pf0 vf=1 n=1"
host_view 0 1
b_before=$(vf_state 1)
g b mark >/dev/null
say "Guest a disables PRI.  Its page requests are still outstanding, so
PRI is not stopped yet (PCIe's PRI Stopped): the driver waits, and must
not reuse its PASIDs before.  The host then answers the three requests."
api a "pri_off" 0
api a "wait_stopped 300" -110
sysfs_view a
host_view 0 1
hostctl "complete pf=pf0 vf=0 n=3"
api a "wait_stopped 10000" 0
api a "pri_reset" 0
sysfs_view a
host_view 0 1
journal_view
say "Isolation: guest b's VF, with its own request outstanding, saw none
of it."
if [ "$(vf_state 1)" = "$b_before" ] && [ -z "$(g b 'since | grep pvvf' 2>&1)" ]; then
	note "b's VF state in pvvfd is unchanged, and pvvf in guest b logged nothing"
else
	oops "guest b's state changed"
fi

step "The pool is shared: the host refuses what is not there"
say "Guest b holds 4 of the $E2E_PRI_CAPACITY.  Guest a asks for 13; only
12 are left.  pvvfd refuses (ENOSPC, qualifier 'pool'), then grants 12."
api a "pri_on 13" -28
api a "pri_on 12" 0
host_view 0 1
journal_view

step "A guest dies"
say "Guest a's QEMU is killed (SIGKILL) while it holds PASID, ATS and 12
page requests of the pool.  pvvfd sees the vhost-user socket close and
releases everything guest a held; guest b is not disturbed."
api a "ats_on 12" 0
host_view 0 1
e2e_kill a
for _ in $(seq 100); do
	journal_since | grep -q 'conn guest=a event=disconnect' && break
	sleep 0.1
done
journal_view
host_view 0 1
say "Guest b finishes its drain and takes 12 of the pool, which only
works because guest a's allocation came back."
api b "pri_off" 0
hostctl "complete pf=pf0 vf=1 n=1"
api b "wait_stopped 10000" 0
api b "pri_reset" 0
api b "pri_on 12" 0
host_view 0 1

step "The guest comes back"
say "A new QEMU for guest a connects to the same socket; pvvf.ko finds
VF 0 again."
start=$(date +%s)
e2e_boot a
e2e_ready a 120 || fatal "guest a did not come back"
note "guest a back in $(( $(date +%s) - start )) s"
klog_view a 'pvvf: (VF|detached)'
api a "pasid_on 6" 0
host_view 0 1
journal_view

step "The host takes PASID away under both guests"
say "The host itself disables the PF's PASID (on real hardware: an admin
or the host's IOMMU driver).  Every VF that relied on it loses it; pvvfd
tells each guest with an event, and pvvf.ko passes it on to the VF's
driver (here the consumer logs it)."
g a mark >/dev/null
g b mark >/dev/null
hostctl "host-pasid pf=pf0 enable=off"
for x in a b; do
	g $x 'waitk "event pasid_revoked" 20' 2>&1 | sed "s/^/      $D$x kernel:$R /"
	sysfs_view $x
done
host_view 0 1
journal_view
say "The drivers acknowledge by disabling; PASID stays refused (EPERM)
until the host enables it again."
api a "pasid_off" 0
api a "pasid_on 6" -1
api b "pri_off" 0
api b "wait_stopped 5000" 0
api b "pasid_off" 0
hostctl "host-pasid pf=pf0 enable=on features=exec+priv"
api a "pasid_on 6" 0
host_view 0 1

step "Done"
sim=$(sim_state)
say "The simulated PF checks every PCIe rule on each access; it counted
$(field violations "$sim") violations over $(field prq_issued "$sim") page requests.
Next: 'make e2e' runs all of this as checked tests (with a Debian 6.1
guest too); docs/spec.md is the device, docs/design.md the design;
README.md shows the command lines to run it by hand."
[ "$(field violations "$sim")" = 0 ] || oops "simulated PF violations"
if [ $unexpected -ne 0 ]; then
	log "demo: something did not go as narrated (see '!!' above)"
	E2E_KEEP=1
	exit 1
fi
