#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The in-guest rows of make bench (docs/perf.md): one pvvfd with a
# simulated PF, Debian 6.12 guests under TCG (tests/e2e/lib.sh), the
# measurement module tests/consumer/pvvf_bench.c.  Prints the results file's
# lines, "guest,METRIC,WHAT,CONFIG,VALUE,UNIT", on stdout; progress on
# stderr.
#
#   attach       one guest with N stand-in VFs (N = 1, 8, 32: modern
#                virtio-rng-pci functions, eight to a multifunction slot,
#                each slot behind its own root port); pvvf.ko is loaded
#                after boot; the time from insmod to the last VF's
#                "pvvf: VF ... of PF" line (guest printk clock), and the
#                requests the daemon answered meanwhile (its journal)
#   rt           with PRI draining on the N = 1 guest: a PRI_STATUS round
#                trip through the explicit API (pvvf_pri_wait_stopped(pdev,
#                0)) against a NOP through the same request queue
#                (pvvf_ping()), interleaved
#   regs         synthesized PASID register reads against trapped reads:
#                transparent mode only (pvvf.ko reloaded with transparent=1,
#                if it has the parameter); otherwise "not measured" lines
#   pasid        pci_enable_pasid() against pvvf_pasid_enable(), in a second
#                guest with e2e's vIOMMU (E2E_VIOMMU), where transparent
#                mode re-enumerates the VF so the PCI core knows its
#                synthesized PASID capability
#   pri_stop     PRI disabled with page requests outstanding; the PF
#                completes them BENCH_DRAIN_MS later (the physical drain,
#                the lower bound); the time from the disable request to the
#                PRI_STOPPED event against that bound (daemon clock)
#
# BENCH_N: round trips per interleaved measurement (default 2000).

set -euo pipefail
. "$(dirname "$0")/../e2e/lib.sh"

BENCH_N=${BENCH_N:-2000}
BENCH_DRAIN_MS=${BENCH_DRAIN_MS:-1000}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}		# PRI stop measurements
M=/lib/modules/manual
# Free extended config space for transparent mode's synthesized
# capabilities: the stand-in's ATS ends at 0x108 (tests/e2e/transparent.sh).
BENCH_CAP=0x108
# A loaded TCG host can make the kernel's IO-APIC timer check fail.
# pci_enable_pasid() wants ACS Request Redirect and Upstream Forwarding
# on the VF's root port, which Linux enables only for an IOMMU, or when
# told to (pci=config_acs=, 6.12): one character per ACS Control bit,
# the rightmost for bit 0, so 1x1xx sets UF (bit 4) and RR (bit 2) and
# leaves the others.  The first VF is below the root port at 00:08.0.
E2E_KCMDLINE="pci=config_acs=1x1xx@0000:00:08.0${E2E_KCMDLINE:+ $E2E_KCMDLINE}"

# bench_pvvfd NVF: the daemon, one guest "a" with NVF stand-in VFs.
bench_pvvfd() {
	local n=$1 i vfs=
	for ((i = 0; i < n; i++)); do
		vfs+=",vf=pf0:$i@0000:00:$(printf %02x $((8 + i / 8))).0/00.$((i % 8))+id=$E2E_VF_ID+cap=$BENCH_CAP"
	done
	"$E2E_PVVFD" --pf "sim:id=pf0,vfs=64,pri-capacity=$E2E_PRI_CAPACITY,prq-delay-us=3600000000" \
		--guest "name=a,socket=$E2E_DIR/a.sock$vfs" \
		--control "$E2E_DIR/ctl" --log "$E2E_DIR/journal" \
		--drain-timeout-ms 600000 2>"$E2E_DIR/pvvfd.stderr" &
	E2E_PID=$!
	for _ in $(seq 600); do
		[ -S "$E2E_DIR/a.sock" ] && [ -S "$E2E_DIR/ctl" ] && return 0
		kill -0 "$E2E_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$E2E_DIR/pvvfd.stderr" >&2
	die "bench: pvvfd did not come up within 30 s ($(kill -0 "$E2E_PID" 2>/dev/null && echo running || echo exited))"
}

# bench_boot NVF: guest a with NVF stand-in VFs, pvvf.ko not loaded.
bench_boot() {
	local n=$1 i s a all args=()
	# e2e's guest, without its one stand-in VF and its root port
	mapfile -t all < <(e2e_qemu_args a)
	for ((i = 0; i < ${#all[@]}; i++)); do
		a=${all[i]}
		if [ "$a" = -device ] && [[ "${all[i + 1]}" =~ ^(pcie-root-port,id=rp1|virtio-rng-pci,bus=rp1), ]]; then
			i=$((i + 1))
			continue
		fi
		args+=("$a")
	done
	for ((s = 0; s * 8 < n; s++)); do
		args+=(-device "pcie-root-port,id=rpb$s,chassis=$((10 + s)),bus=pcie.0,addr=$(printf %x $((8 + s))).0")
		for ((i = s * 8; i < n && i < s * 8 + 8; i++)); do
			# multifunction only if needed: pci_enable_pasid() also wants
			# ACS on a multifunction endpoint, which these have not
			args+=(-device "virtio-rng-pci,bus=rpb$s,addr=00.$((i % 8)),multifunction=$([ $((i % 8)) = 0 ] && [ "$n" -gt 1 ] && echo on || echo off),disable-legacy=on,ats=on")
		done
	done
	rm -f "$E2E_DIR/a.console" "$E2E_DIR/a.agent"
	"$QEMU" "${args[@]}" >>"$E2E_DIR/a.qemu.log" 2>&1 &
	E2E_QPID[a]=$!
	e2e_ready a 600 || { tail -n 30 "$E2E_DIR/a.console" >&2; die "bench: guest did not boot"; }
}

bench_stop() {
	g a exit >/dev/null 2>&1 || true
	for _ in $(seq 100); do kill -0 "${E2E_QPID[a]}" 2>/dev/null || break; sleep 0.1; done
	kill "${E2E_QPID[a]}" 2>/dev/null || true
	wait "${E2E_QPID[a]}" 2>/dev/null || true
	E2E_QPID[a]=
	e2e_pvvfd_stop
}

# ts LINE: the printk time of a kernel line, in microseconds.
ts_us() { sed -n 's/^\[ *\([0-9]*\)\.\([0-9]*\)\].*/\1\2/p' <<<"$1" | head -1; }
# jts LINE: the journal time of a journal line, in microseconds.
jts_us() { sed -n 's/^ts=\([0-9]*\)\.\([0-9]*\) .*/\1\2/p' <<<"$1" | head -1; }

# bench_attach NVF: boot, load pvvf.ko, report; leaves the guest up.
bench_attach() {
	local n=$1 out t0 t1 reqs
	log "bench: guest with $n stand-in VFs"
	bench_pvvfd "$n"
	bench_boot "$n"
	journal_mark
	out=$(g a "mark; echo 'pvvf_bench: attach start' >/dev/kmsg; insmod $M/pvvf.ko; insmod $M/pvvf_test.ko; insmod $M/pvvf_bench.ko; \
		i=0; while [ \$(since | grep -c 'pvvf: VF .* of PF') -lt $n ] && [ \$i -lt 600 ]; do sleep 0.5; i=\$((i + 1)); done; \
		since | grep -e 'attach start' -e 'pvvf: VF .* of PF'" 400)
	[ "$(grep -c 'pvvf: VF .* of PF' <<<"$out")" -eq "$n" ] ||
		die "bench: $n VFs did not all attach: $out"
	t0=$(ts_us "$(grep 'attach start' <<<"$out")")
	t1=$(ts_us "$(grep 'pvvf: VF .* of PF' <<<"$out" | tail -1)")
	sleep 1
	reqs=$(journal_since | grep -c '^ts=[0-9.]* decision guest=a ' || true)
	echo "guest,attach_time,attach,$n,$(( (t1 - t0) / 1000 )),ms"
	echo "guest,attach_requests,attach,$n,$reqs,requests"
}

# bench_pair WHAT LINE: the results file's lines of a pvvf_bench line.
bench_pair() {
	local what=$1 line=$2 k
	if grep -q 'not_measured' <<<"$line"; then
		echo "guest,not_measured,$what,1,0,\"${line#*not_measured: }\""
		return
	fi
	for k in a_p50 a_p99 b_p50 b_p99; do echo "guest,$k,$what,1,$(field "$k" "$line"),ns"; done
	for k in a_err b_err n; do echo "guest,$k,$what,1,$(field "$k" "$line"),count"; done
	for k in a_errno b_errno; do echo "guest,$k,$what,1,$(field "$k" "$line"),errno"; done
}

# bench_run WHAT: one pvvf_bench measurement on the first VF.
bench_run() {
	local out
	out=$(g a "V=\$(ls -d /sys/bus/pci/devices/*/pvvf | head -1 | cut -d/ -f6); echo \"\$V $1 $BENCH_N\" >/sys/kernel/debug/pvvf_bench/cmd" 600)
	out=$(grep -o "pvvf_bench: .* $1 .*" <<<"$out") || die "bench: no result for $1"
	log "$out"
	bench_pair "$1" "$out"
}

# bench_pri_stop ROUND: one PRI stop with BENCH_DRAIN_MS of drain.
bench_pri_stop() {
	local out d c s gd gs
	g a 't pri_on 4' | grep -q 'pri_on = 0' || die "bench: pri_on failed"
	ctl "inject pf=pf0 vf=0 n=2" >/dev/null
	journal_mark
	g a 'mark; t pri_off' | grep -q 'pri_off = 0' || die "bench: pri_off failed"
	sleep "$(awk -v ms="$BENCH_DRAIN_MS" 'BEGIN { print ms / 1000 }')"
	ctl "complete pf=pf0 vf=0 n=2" >/dev/null
	out=$(g a 't wait_stopped 30000; since' 60)
	grep -q 'wait_stopped = 0' <<<"$out" || die "bench: PRI did not stop: $out"
	sleep 0.5
	# the daemon's clock: the decision, the PF's completion, the event
	d=$(jts_us "$(journal_since | grep ' decision guest=a .* op=pri_disable ' | head -1)")
	c=$(jts_us "$(journal_since | grep ' ctl cmd=complete' | head -1)")
	s=$(jts_us "$(journal_since | grep ' event guest=a .* type=pri_stopped ' | head -1)")
	[ -n "$d" ] && [ -n "$c" ] && [ -n "$s" ] || die "bench: journal lacks the PRI stop: $(journal_since)"
	# the guest's: pvvf_pri_disable() returned, the consumer's notifier ran
	gd=$(ts_us "$(grep 'pvvf_test: .* pri_off = 0' <<<"$out" | head -1)")
	gs=$(ts_us "$(grep 'pvvf_test: .* event pri_stopped' <<<"$out" | head -1)")
	[ -n "$gd" ] && [ -n "$gs" ] || die "bench: the guest's log lacks the PRI stop: $out"
	echo "guest,pri_stop_time,pri_stop,$1,$((s - d)),us"
	echo "guest,pri_drain_bound,pri_stop,$1,$((c - d)),us"
	echo "guest,pri_stop_guest,pri_stop,$1,$((gs - gd)),us"
	g a 't pri_reset' >/dev/null
}

e2e_init
log "bench: building pvvf.ko, pvvf_test.ko, pvvf_bench.ko for $KVER_612"
e2e_build "$KVER_612"
bash "$E2E_TOP/scripts/initramfs.sh" "${E2E_VMODS[@]}" \
	-f "$E2E_DIR/mod-$KVER_612/pvvf.ko:$M/pvvf.ko" \
	-f "$E2E_DIR/mod-$KVER_612/pvvf_test.ko:$M/pvvf_test.ko" \
	-f "$E2E_DIR/mod-$KVER_612/pvvf_bench.ko:$M/pvvf_bench.ko" \
	-f "$E2E_TOP/tests/e2e/transparent-guest.sh:/lib/transparent.sh" \
	-s "$E2E_TOP/tests/e2e/agent.sh" "$E2E_DIR/initrd-$KVER_612.gz" 2>/dev/null ||
	die "bench: initramfs failed"

for n in ${BENCH_ATTACH:-32 8}; do
	bench_attach "$n"
	bench_stop
done

bench_attach 1
g a 't pasid_on 6' | grep -q 'pasid_on = 0' || die "bench: pasid_on failed"
bench_pri_stop 1
# rt: while PRI drains
g a 't pri_on 4' | grep -q 'pri_on = 0' || die "bench: pri_on failed"
ctl "inject pf=pf0 vf=0 n=2" >/dev/null
g a 't pri_off' | grep -q 'pri_off = 0' || die "bench: pri_off failed"
bench_run status_vs_ping
ctl "complete pf=pf0 vf=0 n=2" >/dev/null
g a 't wait_stopped 30000' 60 | grep -q 'wait_stopped = 0' || die "bench: PRI did not stop"
g a 't pri_reset' >/dev/null
for ((r = 2; r <= BENCH_ROUNDS; r++)); do bench_pri_stop "$r"; done
g a 't pasid_off' >/dev/null
# Transparent mode, if this pvvf.ko has it: reloaded with it, it
# re-enumerates the VF with synthesized PASID and PRI capabilities.
if modinfo -F parm "$E2E_DIR/mod-$KVER_612/pvvf.ko" | grep -q '^transparent:'; then
	log "bench: pvvf.ko reloaded in transparent mode"
	g a "rmmod pvvf_bench pvvf_test pvvf && insmod $M/pvvf.ko transparent=1 reenumerate_bound=1 && \
		. /lib/transparent.sh && V=\$(ls -d /sys/bus/pci/devices/*/pvvf | head -1 | cut -d/ -f6) && \
		waitcap 0x1b 120 && insmod $M/pvvf_bench.ko" 200 >"$E2E_DIR/transparent.log" 2>&1 ||
		die "bench: transparent mode did not come up: $(cat "$E2E_DIR/transparent.log")"
fi
bench_run regs
bench_stop
# pci_enable_pasid(): only a VF transparent mode re-enumerated has its
# PASID capability known to the PCI core, and pvvf re-enumerates only a
# VF an IOMMU translates for: a second guest with e2e's vIOMMU
# (e2e_viommu_args; docs/design.md, "Transparent mode under a vIOMMU").
# Its IOMMU driver enables PASID on the new pci_dev at probe; pvvf_bench
# disables it before its loop and enables it again after.
if modinfo -F parm "$E2E_DIR/mod-$KVER_612/pvvf.ko" | grep -q '^reenumerate_bound:'; then
	log "bench: guest with a vIOMMU, pvvf.ko in transparent mode"
	E2E_VIOMMU[a]=1
	bench_pvvfd 1
	bench_boot 1
	g a "mark; insmod $M/pvvf.ko transparent=1 reenumerate_bound=1 && \
		i=0; while ! since | grep -q 'Adding to iommu group' && [ \$i -lt 240 ]; do sleep 0.5; i=\$((i + 1)); done; \
		since | grep -q 'Adding to iommu group' && \
		while [ ! -d /sys/bus/pci/devices/*/pvvf ] && [ \$i -lt 240 ]; do sleep 0.5; i=\$((i + 1)); done; \
		insmod $M/pvvf_bench.ko; since" 200 >"$E2E_DIR/viommu.log" 2>&1 ||
		die "bench: transparent mode under the vIOMMU did not come up: $(cat "$E2E_DIR/viommu.log")"
	grep -q 'pvvf: transparent: re-enumerating' "$E2E_DIR/viommu.log" ||
		die "bench: the VF was not re-enumerated: $(cat "$E2E_DIR/viommu.log")"
fi
bench_run pasid
bench_stop
