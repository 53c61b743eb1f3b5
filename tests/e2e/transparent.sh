# SPDX-License-Identifier: GPL-2.0
#
# Transparent mode under a vIOMMU, end to end (issue #6; docs/design.md,
# "Transparent mode under a vIOMMU").  Sourced by tests/e2e/run.sh after
# its own scenarios, with its reporting helpers (need, result, hostdo,
# $KERNEL_BAD, ...): it powers the earlier guests off, restarts pvvfd
# with a PF whose PASID and PRI values differ from the defaults, and boots
# two guests with QEMU's intel-iommu in scalable mode with PASID: t on
# Debian 6.12 (VF 3) and u on Debian 6.1 (VF 4).  Their pvvf.ko is loaded by the test, after boot,
# as it would be on a real system, long after the IOMMU probed the VF.
#
# Checked on each guest: pvvf.ko synthesizes PASID and PRI capabilities
# at the offset pvvfd offers and re-enumerates the VF; the guest's IOMMU
# driver, probing the new pci_dev, enables PASID by itself (it never
# enables ATS: see e2e_viommu_args), and the daemon sees it; a consumer
# using only the PCI core API (tests/consumer/pcicore_test.c) reads the
# PF's values and its calls change the daemon's state, and a PASID enable
# the host refuses (under ATS) never shows in the register; PRI Control
# and Status, written and read from userspace through sysfs, do too.
#
# Then a VF hot-added after pvvf.ko loaded (QEMU's device_add into an
# empty root port, a slot pvvfd describes from the start): it is
# enumerated with its PASID and PRI capabilities the first time, the
# IOMMU enables PASID on it by itself, with no re-enumeration; the PCI
# core consumer works on it; device_del releases its state in the daemon;
# added again, it gets them again.

# The stand-in VF's real extended capabilities: QEMU's virtio-pci puts ATS
# (ats=on, 8 bytes) at 0x100 and nothing else (no AER, no SR-IOV), so the
# first free dword of its extended config space is 0x108 (also the
# simulated PF's VF layout, host/lib/pf_sim.c).
TP_CAP=0x108
TP_PF="pasid-width=16,pasid-features=priv"	# the PF's values the VF shows
TP_PF_MAX_PASIDS=65536				# 1 << pasid-width
TP_PF_FEATURES=4				# PCI_PASID_CAP_PRIV
TP_PRI_CAPACITY=24
# pvvf.ko's parameters for transparent mode (docs/design.md): re-enumerate
# the VF even though a driver is bound to it (virtio-pci binds the
# stand-in virtio-rng at boot).
TP_PARAMS="transparent=1 reenumerate_bound=1"
# The hot-add slot: a pcie-root-port at 00:1d.0 left empty at boot, and
# pvvfd's VF there (second in each guest's list: slot 1).  The locator
# names the root port and devfn 00.0 below it; the bus number the guest
# gives the port's secondary bus (2: after 00:1c.0's 1) does not matter.
# QEMU 10.0's q35 hot-plugs into its root ports through ACPI by default
# (ICH9 acpi-pci-hotplug-with-bridge-support): the guest's acpiphp scans
# the slot on device_add and removes the function, then ejects it, on
# device_del.
TP_HOT_PORT="-device pcie-root-port,id=rph,chassis=3,bus=pcie.0,addr=1d.0"
TP_HOT_DEV="virtio-rng-pci,bus=rph,disable-legacy=on,ats=on"
declare -A TP_HOT_INDEX=([t]=5 [u]=6)

# tp_missing: why this pvvf.ko cannot run the transparent checks, or "".
tp_missing() {
	local parm p
	parm=$(modinfo -F parm "$E2E_DIR/mod-$KVER_612/pvvf.ko" 2>/dev/null)
	for p in $TP_PARAMS; do
		grep -q "^${p%%=*}:" <<<"$parm" ||
			{ echo "pvvf.ko has no '${p%%=*}' parameter (transparent mode, issue #6 part 1, not in this tree)"; return; }
	done
}

# tpg G COMMAND [SECS]: run COMMAND in guest G with the helpers of
# tests/e2e/transparent-guest.sh.
tpg() { g "$1" ". /lib/transparent.sh; $2" "${3:-30}"; }

# tp_steps TEXT: pcicore_test's results in TEXT, "step=errno ...".
tp_steps() {
	sed -n "s/.*pcicore_test: $V \([a-z_]*\) = \(-\{0,1\}[0-9]*\)$/\1=\2/p" <<<"$1" |
		tr '\n' ' ' | sed 's/ $//'
}
# tp_want LABEL EXPECTED TEXT: pcicore_test's results in TEXT are EXPECTED.
tp_want() {
	local got
	got=$(tp_steps "$3")
	[ "$got" = "$2" ] ||
		why+=("$1: expected '$2', got '$got' from:" "$(sed 's/^/    /' <<<"$3")")
}
# tp_skip LABEL: report the current test as skipped, for $tp_why.
tp_skip() {
	why=()
	result "$1 # SKIP $tp_why"
}

# tp_setup: every earlier guest off, the daemon restarted for t and u,
# both booted.
tp_setup() {
	local x
	for x in "${!E2E_QPID[@]}"; do
		[ -n "${E2E_QPID[$x]}" ] || continue
		g $x exit >/dev/null 2>&1
		for _ in $(seq 100); do kill -0 "${E2E_QPID[$x]}" 2>/dev/null || break; sleep 0.1; done
		kill "${E2E_QPID[$x]}" 2>/dev/null
		wait "${E2E_QPID[$x]}" 2>/dev/null
		E2E_QPID[$x]=
	done
	e2e_pvvfd_stop
	E2E_GUESTS=(t u)
	E2E_KVER[t]=$KVER_612 E2E_INDEX[t]=3
	E2E_KVER[u]=$KVER_61 E2E_INDEX[u]=4
	E2E_PRI_CAPACITY=$TP_PRI_CAPACITY
	E2E_PF_MORE=$TP_PF
	for x in t u; do
		E2E_CAP[$x]=$TP_CAP
		E2E_VF_MORE[$x]="vf=pf0:${TP_HOT_INDEX[$x]}@0000:00:1d.0/00.0+id=$E2E_VF_ID+cap=$TP_CAP"
		E2E_QEMU_MORE[$x]=$TP_HOT_PORT
		E2E_VIOMMU[$x]=1
		E2E_INITRD[$x]=$E2E_DIR/initrd-${E2E_KVER[$x]}-manual.gz
		e2e_initrd_manual "${E2E_KVER[$x]}"
	done
	e2e_pvvfd
	log "e2e: transparent mode: guests t ($KVER_612) and u ($KVER_61) with intel-iommu"
	for x in t u; do e2e_boot $x; done
}

# tp_guest G: the scenario on guest G.
tp_guest() {
	local x=$1 i=${E2E_INDEX[$1]} k=${E2E_KVER[$1]} out d pri refs

	# Before pvvf.ko: the IOMMU probed the VF as QEMU made it.
	out=$(tpg "$x" 'grep -h "DMAR\|iommu" /tmp/klog; ls /sys/bus/pci/devices/$V/iommu_group/devices; for d in /sys/bus/pci/devices/*; do [ "$(cat $d/vendor):$(cat $d/device)" = 0x1af4:0x107f ] && echo "pvvf device $(basename $d) group=$(basename "$(readlink $d/iommu_group)")"; done; extcaps' 2>&1)
	need "scalable mode" "DMAR: Enable scalable mode if hardware supports" "$out"
	need "the VF is in an IOMMU group" "^$V$" "$out"
	need "the pvvf device is in none" "^pvvf device 0000:81:00.0 group=$" "$out"
	need "the VF's real chain: ATS alone" "^extcaps=0x000f@0x100$" "$out"
	need "daemon: the driver is not up yet" "^guest name=$x .*link=up driver=down" "$(guest_state "$x")"
	result "$x ($k) intel-iommu in scalable mode: the VF is under it, the pvvf device is not; the VF has ATS alone"

	if [ -n "$tp_why" ]; then
		out=$(tpg "$x" "mark; loadpvvf && waitk 'pvvf: VF $i of PF' 20 >/dev/null; c info; since" 2>&1)
		need "attach" "pvvf: VF $i of PF 0x1 \(slot 0\)" "$out"
		need "the PCI core sees no PASID, no PRI" "info pasid_cap=0x0 pasid_features=-22 max_pasids=-22 pasid_enabled=0 pri_cap=0x0 pri_supported=0 pri_enabled=0 ats_enabled=0" "$out"
		result "$x ($k) pvvf.ko and pcicore_test.ko load under the vIOMMU; the VF attaches; no PASID or PRI without transparent mode"
		tp_skip "$x ($k) transparent mode: re-enumerated VF, synthesized caps, the IOMMU enables PASID, the PCI core API"
		return
	fi

	# pvvf.ko: transparent mode re-enumerates the VF; the IOMMU sees the caps.
	refs=$(field pasid_refs "$(pf_state)")
	journal_mark
	tpg "$x" mark >/dev/null
	out=$(tpg "$x" "loadpvvf $TP_PARAMS && waitk 'pci $V: Adding to iommu group' 30 >/dev/null" 60 2>&1)
	wait_journal "decision guest=$x slot=0 op=pasid_enable " 30 ||
		why+=("no PASID enable from $x in the daemon's journal within 30 s")
	out+=$'\n'$(tpg "$x" 'extcaps; c info; since' 2>&1)
	need "attach" "pvvf: VF $i of PF 0x1 \(slot 0\)" "$out"
	need "re-probed by the IOMMU" "pci $V: Adding to iommu group" "$out"
	need "the synthesized caps follow ATS" "^extcaps=0x000f@0x100 0x001b@$TP_CAP 0x0013@0x[0-9a-f]{3}$" "$out"
	need "the PCI core found them" "info pasid_cap=$TP_CAP .* pri_cap=0x[0-9a-f]+ pri_supported=1 " "$out"
	result "$x ($k) pvvf.ko re-enumerates the VF: PASID at $TP_CAP and PRI follow its ATS; the IOMMU probes it again"

	need "the guest's PCI core" "info pasid_cap=$TP_CAP pasid_features=$TP_PF_FEATURES max_pasids=$TP_PF_MAX_PASIDS pasid_enabled=1 " "$out"
	need "daemon VF" "^vf pf=pf0 index=$i guest=$x .* ats=0 .*pasid=1 pasid_features=0x$TP_PF_FEATURES " "$(vf_state "$i")"
	need "daemon PF" "pasid_enabled=1 pasid_features=0x$TP_PF_FEATURES .*pasid_refs=$((refs + 1)) " "$(pf_state)"
	need "daemon decision" "decision guest=$x slot=0 op=pasid_enable status=0 " "$(journal_since)"
	need "no ATS request" "^$" "$(journal_since | grep "decision guest=$x .*op=ats")"
	need "VF's ATS Control: Enable clear" "^ats_ctrl=0x[0-7][0-9a-f]{3}$" "$(tpg "$x" 'show ats_ctrl 0x106 2' 2>&1)"
	result "$x ($k) the guest's IOMMU enables PASID on the VF by itself (the PF's features, 0x$TP_PF_FEATURES), ATS stays off; the daemon sees it"

	# The PCI core API: the consumer's calls change the daemon's state.
	out=$(tpg "$x" "c info; c pasid_off; show pasid_ctrl $TP_CAP+6 2; c pasid_on 2; c pasid_on 6; c pasid_on 4; show pasid_ctrl $TP_CAP+6 2; c info" 2>&1)
	tp_want "consumer" "info=0 pasid_off=0 pasid_on=-22 pasid_on=-22 pasid_on=0 info=0" "$out"
	need "the PF's values" "info pasid_cap=$TP_CAP pasid_features=$TP_PF_FEATURES max_pasids=$TP_PF_MAX_PASIDS pasid_enabled=1 pri_cap=0x[0-9a-f]+ pri_supported=1 pri_enabled=0 ats_enabled=0" "$out"
	need "PASID Control: off, then on with priv" "^0x0000 0x0005$" "$(sed -n 's/^pasid_ctrl=//p' <<<"$out" | tr '\n' ' ' | sed 's/ $//')"
	need "daemon VF" "pasid=1 pasid_features=0x4 " "$(vf_state "$i")"
	result "$x ($k) pci_pasid_features, pci_max_pasids, pci_pri_supported show the PF's; pci_disable_pasid and pci_enable_pasid reach the daemon"

	journal_mark
	out=$(tpg "$x" "c pasid_off" 2>&1)
	d=$(vf_state "$i")
	need "daemon VF after pci_disable_pasid" "pasid=0 pasid_features=0x0 " "$d"
	need "daemon PF after pci_disable_pasid" "pasid_refs=$refs " "$(pf_state)"
	out+=$'\n'$(tpg "$x" "c pasid_on 4" 2>&1)
	tp_want "consumer" "pasid_off=0 pasid_on=0" "$out"
	need "daemon decisions" "op=pasid_disable status=0 .*"$'\n'".*op=pasid_enable status=0 " "$(journal_since | grep "decision guest=$x")"
	need "daemon PF" "pasid_enabled=1 .*pasid_refs=$((refs + 1)) " "$(pf_state)"
	result "$x ($k) pci_disable_pasid drops the PF's reference in the daemon; pci_enable_pasid takes it again"

	# PCIe 7.8.9.3: PASID Enable must not change while ATS is enabled.  The
	# enable is refused (by pvvf's ordering rules, or else the host); the
	# PCI core does not read its write back, but the register never shows
	# it and the daemon never accepts it.
	journal_mark
	out=$(tpg "$x" "c pasid_off; c ats_on 12; c pasid_on 4; show pasid_ctrl $TP_CAP+6 2; show ats_ctrl 0x106 2" 2>&1)
	tp_want "consumer" "pasid_off=0 ats_on=0 pasid_on=0" "$out"
	need "PASID Control: the refused enable does not show" "^pasid_ctrl=0x0000$" "$out"
	need "ATS Control: Enable set" "^ats_ctrl=0x[89a-f][0-9a-f]{3}$" "$out"
	need "daemon VF" "ats=1 .*pasid=0 " "$(vf_state "$i")"
	need "daemon: ATS reported" "decision guest=$x slot=0 op=ats_set status=0 " "$(journal_since)"
	need "daemon: no PASID enable accepted" "^$" "$(journal_since | grep "decision guest=$x .*op=pasid_enable status=0 ")"
	out=$(tpg "$x" "c ats_off; c pasid_off; c pasid_on 4; show pasid_ctrl $TP_CAP+6 2" 2>&1)
	tp_want "consumer after" "ats_off=0 pasid_off=0 pasid_on=0" "$out"
	need "PASID Control" "^pasid_ctrl=0x0005$" "$out"
	need "daemon VF" "ats=0 .*pasid=1 pasid_features=0x4 " "$(vf_state "$i")"
	result "$x ($k) pci_enable_ats reaches the daemon; a PASID enable under ATS is refused and never shows in PASID Control"

	# PRI from userspace: what setpci does, through sysfs.
	pri=$(tpg "$x" 'capat 0x13' 2>&1)
	out=$(tpg "$x" "wr $pri+12 4 4; wr $pri+4 2 1; show pri_ctrl $pri+4 2; show pri_alloc $pri+12 4; show pri_capacity $pri+8 4" 2>&1)
	need "PRI Control reads enabled" "^pri_ctrl=0x0001$" "$out"
	need "PRI allocation reads 4" "^pri_alloc=0x00000004$" "$out"
	need "PRI capacity: the PF's" "^pri_capacity=$(printf '0x%08x' $TP_PRI_CAPACITY)$" "$out"
	need "daemon VF" "pri_enabled=1 .*pri_alloc=4 pri_held=4 " "$(vf_state "$i")"
	need "daemon PF pool" "pri_pool=$TP_PRI_CAPACITY pri_free=$((TP_PRI_CAPACITY - 4)) " "$(pf_state)"
	result "$x ($k) PRI enable written from userspace (sysfs config): allocation 4 of the PF's $TP_PRI_CAPACITY in the daemon"

	hostdo "inject pf=pf0 vf=$i n=2"
	out=$(tpg "$x" "wr $pri+4 2 0; show pri_ctrl $pri+4 2; show pri_status $pri+6 2" 2>&1)
	need "PRI Control reads disabled" "^pri_ctrl=0x0000$" "$out"
	need "PRI Status: not stopped" "^pri_status=0x[0-9a-f][02468ace][0-9a-f]{2}$" "$out"
	need "daemon: draining" "pri_enabled=0 pri_draining=1 .*pri_outstanding=2$" "$(vf_state "$i")"
	hostdo "complete pf=pf0 vf=$i n=2"
	out=$(tpg "$x" "n=50; while [ \$n -gt 0 ] && [ \$((\$(rd $pri+6 2) & 0x100)) = 0 ]; do sleep 0.2; n=\$((n - 1)); done; show pri_status $pri+6 2; wr $pri+4 2 2; show pri_ctrl $pri+4 2" 2>&1)
	need "PRI Status: stopped" "^pri_status=0x[0-9a-f][13579bdf][0-9a-f]{2}$" "$out"
	need "PRI Control after reset" "^pri_ctrl=0x0000$" "$out"
	need "daemon VF" "pri_enabled=0 pri_draining=0 .*pri_held=0 pri_outstanding=0$" "$(vf_state "$i")"
	need "daemon PF pool" "pri_free=$TP_PRI_CAPACITY pri_users=0 " "$(pf_state)"
	result "$x ($k) PRI disabled with 2 requests outstanding: Stopped only once the host completed them; PRI Reset returns the allocation"
}

# tp_hot_add G ID: device_add the stand-in VF as ID into G's empty root
# port; hv=its address in G, out=what G logged until pvvf attached it.
tp_hot_add() {
	local x=$1 i=${TP_HOT_INDEX[$1]} r
	tpg "$x" mark >/dev/null
	r=$(hmp "$x" "device_add $TP_HOT_DEV,id=$2" 2>&1)
	[ -z "$r" ] || why+=("device_add $2: $r")
	out=$(tpg "$x" "waitk 'pvvf: VF $i of PF' 60 >/dev/null; below 0000:00:1d.0; since" 90 2>&1)
	hv=$(sed -n 's/^below=//p' <<<"$out")
	[ -n "$hv" ] || why+=("no function below 00:1d.0 after device_add $2:" "$out")
}

# tp_hot_checks G: the hot-added VF $hv was enumerated with its
# capabilities and the IOMMU enabled PASID on it, as $out and the daemon
# say; the daemon's PF holds one more reference than $refs.
tp_hot_checks() {
	local x=$1 i=${TP_HOT_INDEX[$1]} more
	wait_journal "decision guest=$x slot=1 op=pasid_enable " 30 ||
		why+=("no PASID enable for slot 1 from $x in the daemon's journal within 30 s")
	# The kernel lines since tp_hot_add's mark, all of them.
	more=$(tpg "$x" "on $hv; extcaps; c info; cat /sys/bus/pci/devices/$hv/pvvf/cap_offset; since" 2>&1)
	out=$more
	need "attach" "pci $hv: pvvf: VF $i of PF 0x1 \(slot 1\)" "$out"
	need "enumerated with them" "pci $hv: pvvf: transparent: PASID/PRI capabilities at $TP_CAP, enumerated with them" "$out"
	need "not re-enumerated" "^0$" "$(grep -c "pci $hv: pvvf: transparent: re-enumerating" <<<"$out")"
	need "probed by the IOMMU once" "^1$" "$(grep -c "pci $hv: Adding to iommu group" <<<"$out")"
	need "the synthesized caps follow ATS" "^extcaps=0x000f@0x100 0x001b@$TP_CAP 0x0013@0x[0-9a-f]{3}$" "$more"
	need "sysfs cap_offset" "^$TP_CAP$" "$more"
	need "the guest's PCI core" "info pasid_cap=$TP_CAP pasid_features=$TP_PF_FEATURES max_pasids=$TP_PF_MAX_PASIDS pasid_enabled=1 pri_cap=0x[0-9a-f]+ pri_supported=1 " "$more"
	need "daemon VF" "^vf pf=pf0 index=$i guest=$x .* ats=0 .*pasid=1 pasid_features=0x$TP_PF_FEATURES " "$(vf_state "$i")"
	need "daemon PF" "pasid_enabled=1 .*pasid_refs=$((refs + 1)) " "$(pf_state)"
	need "daemon decision" "decision guest=$x slot=1 op=pasid_enable status=0 " "$(journal_since)"
}

# tp_hot G: a VF hot-added after pvvf.ko loaded gets its capabilities at
# its first enumeration; device_del releases it in the daemon.
tp_hot() {
	local x=$1 i=${TP_HOT_INDEX[$1]} k=${E2E_KVER[$1]} out hv refs d

	refs=$(field pasid_refs "$(pf_state)")
	journal_mark
	tp_hot_add "$x" hvf
	[ -z "$hv" ] || tp_hot_checks "$x"
	result "$x ($k) a VF hot-added after pvvf.ko loaded is enumerated with PASID at $TP_CAP and PRI the first time; the IOMMU enables PASID on it, the daemon sees it"
	[ -n "$hv" ] || return

	journal_mark
	out=$(tpg "$x" "on $hv; c pasid_off; c pasid_on 4; c info" 2>&1)
	V=$hv tp_want "consumer" "pasid_off=0 pasid_on=0 info=0" "$out"
	need "daemon decisions" "slot=1 op=pasid_disable status=0 .*"$'\n'".*slot=1 op=pasid_enable status=0 " "$(journal_since | grep "decision guest=$x")"
	need "daemon VF" "pasid=1 pasid_features=0x4 " "$(vf_state "$i")"
	result "$x ($k) the PCI core consumer on the hot-added VF: pci_disable_pasid and pci_enable_pasid reach the daemon"

	journal_mark
	tpg "$x" mark >/dev/null
	d=$(hmp "$x" "device_del hvf" 2>&1)
	[ -z "$d" ] || why+=("device_del: $d")
	out=$(tpg "$x" "waitk 'pci $hv: pvvf: detached' 60 >/dev/null; n=100; while [ \$n -gt 0 ] && [ -e /sys/bus/pci/devices/$hv ]; do sleep 0.2; n=\$((n - 1)); done; below 0000:00:1d.0; since" 90 2>&1)
	wait_journal "decision guest=$x slot=1 op=pasid_disable " 30 ||
		why+=("no PASID disable for slot 1 from $x in the daemon's journal within 30 s")
	need "detached" "pci $hv: pvvf: detached \(function removed\)" "$out"
	need "gone from the guest" "^below=$" "$out"
	need "daemon VF released" "^vf pf=pf0 index=$i guest=$x .*pasid=0 " "$(vf_state "$i")"
	need "daemon PF" "pasid_refs=$refs " "$(pf_state)"
	need "daemon decision" "decision guest=$x slot=1 op=pasid_disable status=0 " "$(journal_since)"
	result "$x ($k) device_del of the hot-added VF: the IOMMU's release disables PASID through pvvf, the daemon releases its reference"

	journal_mark
	tp_hot_add "$x" hvf2
	[ -z "$hv" ] || tp_hot_checks "$x"
	result "$x ($k) the VF added again into the same slot gets its capabilities at its first enumeration again"
}

# The scenario: runs in run.sh's shell, after its last test.
tp_why=$(tp_missing)
tp_failed=$failed
tp_setup
tp_up=()
for x in t u; do
	if e2e_ready $x 300; then
		tp_up+=("$x")
	else
		why+=("guest $x: no agent within 300 s")
	fi
done
result "transparent mode: guests t ($KVER_612) and u ($KVER_61) booted with intel-iommu (scalable mode, PASID), agents up"
for x in "${tp_up[@]}"; do
	tp_guest "$x"
	[ -n "$tp_why" ] || tp_hot "$x"
done
need "simulated PF" "violations=0 host_violations=0 " "$(sim_state)"
for x in t u; do
	if grep -aEq "$KERNEL_BAD" "$E2E_DIR/$x.console" 2>/dev/null; then
		why+=("guest $x: kernel report on the console:" "$(grep -ahE "$KERNEL_BAD" "$E2E_DIR/$x.console" | head -n 5)")
	fi
done
result "transparent mode: no PCIe rule broken in the simulated PF; no kernel warning or memory debugging report in t or u"
if [ "$failed" -gt "$tp_failed" ]; then
	for x in t u; do
		echo "# --- console of guest $x (${E2E_KVER[$x]})"
		tr -d '\r' <"$E2E_DIR/$x.console" 2>/dev/null | sed 's/^/# /'
	done
fi
