# SPDX-License-Identifier: GPL-2.0
#
# Shared machinery of the end-to-end suite (tests/e2e/run.sh) and the demo
# (scripts/demo.sh): one pvvfd with one simulated PF, and guests under TCG,
# each with a stand-in VF of that PF and the agent (tests/e2e/agent.sh) on
# its second serial port.  Source it, then call e2e_init.
#
# Guests: a and b boot Debian 6.12, c boots Debian 6.1.  Each has one
# stand-in VF: a modern-only virtio-rng-pci with ats=on (its own ATS
# capability, no PASID, no PRI) behind the root port at 00:1c.0, so the
# guest sees it at 0000:01:00.0 and pvvfd locates it at 0000:00:1c.0/00.0.
# a is VF 0 of pf0, b VF 1, c VF 2.

E2E_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$E2E_TOP/scripts/lib.sh"

E2E_VF=0000:01:00.0			# the stand-in VF, as every guest sees it
E2E_LOCATOR=0000:00:1c.0/00.0		# ... and as pvvfd locates it
E2E_VF_ID=1af4:1044			# modern virtio-rng
E2E_PRI_CAPACITY=16			# the simulated PF's page request pool
declare -A E2E_KVER=() E2E_INDEX=() E2E_QPID=()
# Per-guest options, unset for the suite's guests a, b and c (used by
# tests/e2e/transparent.sh):
#   E2E_CAP[G]      +cap= for G's VF: free extended config space for the
#                   guest's synthesized PASID/PRI capabilities
#   E2E_VIOMMU[G]=1 an intel-iommu in scalable mode with PASID (see
#                   e2e_viommu_args), the guest kernel told to use it
#   E2E_INITRD[G]   G's initramfs instead of $E2E_DIR/initrd-KVER.gz
#   E2E_VF_MORE[G]  more vf= of G's for pvvfd, comma-separated (VFs that
#                   are not there at boot)
#   E2E_QEMU_MORE[G]  more QEMU arguments for G, words without spaces
declare -A E2E_CAP=() E2E_VIOMMU=() E2E_INITRD=() E2E_VF_MORE=() E2E_QEMU_MORE=()
E2E_VMODS=()
E2E_GUESTS=(a b c)
E2E_PID=
E2E_PY=/usr/bin/python3

# e2e_init: find pvvfd, QEMU and the guest kernels; make the work directory
# ($E2E_DIR) and the exit trap that stops everything started here.
e2e_init() {
	E2E_PVVFD=${E2E_PVVFD:-$E2E_TOP/host/build/pvvfd/pvvfd}
	[ -x "$E2E_PVVFD" ] || die "e2e: no pvvfd at $E2E_PVVFD (make host)"
	[ -x "$E2E_PY" ] || die "e2e: $E2E_PY missing"
	local env
	env=$(bash "$E2E_TOP/scripts/build-qemu.sh" --print-env) ||
		die "e2e: run scripts/build-qemu.sh (make qemu) first"
	eval "$env"
	resolve_kvers
	E2E_KVER=([a]=$KVER_612 [b]=$KVER_612 [c]=$KVER_61)
	E2E_INDEX=([a]=0 [b]=1 [c]=2)
	local k
	for k in "$KVER_612" "$KVER_61"; do
		[ -f "$PVVF_CACHE/kernels/$k/vmlinuz" ] ||
			die "e2e: no guest kernel $PVVF_CACHE/kernels/$k/vmlinuz (make deps)"
		[ -d "/lib/modules/$k/build" ] ||
			die "e2e: no headers for $k (make deps)"
	done
	E2E_DIR=$(mktemp -d /tmp/pvvf-e2e.XXXXXX)
	trap e2e_cleanup EXIT
	trap 'exit 130' INT TERM
}

# e2e_cleanup: stop every QEMU and pvvfd started here (the EXIT trap).
# Keeps $E2E_DIR if E2E_KEEP=1.
e2e_cleanup() {
	local g
	for g in "${!E2E_QPID[@]}"; do
		[ -z "${E2E_QPID[$g]}" ] || kill "${E2E_QPID[$g]}" 2>/dev/null
	done
	if [ -n "$E2E_PID" ]; then
		kill -TERM "$E2E_PID" 2>/dev/null
		wait "$E2E_PID" 2>/dev/null
	fi
	for g in "${!E2E_QPID[@]}"; do
		[ -z "${E2E_QPID[$g]}" ] || wait "${E2E_QPID[$g]}" 2>/dev/null
	done
	if [ "${E2E_KEEP:-0}" = 1 ]; then
		log "e2e: files kept in $E2E_DIR"
	else
		rm -rf "$E2E_DIR"
	fi
}

# e2e_virtio_mods KVER: E2E_VMODS=(), the "-m MODULE.ko" arguments of
# scripts/initramfs.sh for the virtio core modules KVER needs first.
# Debian 6.1's virtio core is modular; 6.12's is built in.
e2e_virtio_mods() {
	local kver=$1 m
	local kmods=$PVVF_CACHE/kernels/$kver/modules/kernel/drivers/virtio
	E2E_VMODS=()
	grep -q '^CONFIG_VIRTIO_PCI=m' "$PVVF_CACHE/kernels/$kver/config" || return 0
	for m in virtio_ring virtio virtio_pci_legacy_dev \
		 virtio_pci_modern_dev virtio_pci; do
		[ -f "$kmods/$m.ko" ] || die "e2e: no $kmods/$m.ko (make deps)"
		E2E_VMODS+=(-m "$kmods/$m.ko")
	done
}

# e2e_build KVER: pvvf.ko, pvvf_test.ko and pcicore_test.ko for KVER (in
# a copy of the tree, like DKMS), and the initramfs $E2E_DIR/initrd-KVER.gz
# with the first two and the agent.
e2e_build() {
	local kver=$1 mod=$E2E_DIR/mod-$1
	e2e_virtio_mods "$kver"
	mkdir -p "$mod/tests"
	cp -r "$E2E_TOP/Kbuild" "$E2E_TOP/guest" "$E2E_TOP/include" "$E2E_TOP/uapi" "$mod/"
	cp -r "$E2E_TOP/tests/consumer" "$mod/tests/"
	make -s -C "/lib/modules/$kver/build" M="$mod" modules >"$mod/build.log" 2>&1 ||
		{ cat "$mod/build.log" >&2; die "e2e: module build for $kver failed"; }
	bash "$E2E_TOP/scripts/initramfs.sh" "${E2E_VMODS[@]}" \
		-m "$mod/pvvf.ko" -m "$mod/pvvf_test.ko" \
		-s "$E2E_TOP/tests/e2e/agent.sh" "$E2E_DIR/initrd-$kver.gz" 2>/dev/null ||
		die "e2e: initramfs for $kver failed"
}

# e2e_initrd_manual KVER: after e2e_build KVER, the initramfs
# $E2E_DIR/initrd-KVER-manual.gz: the agent runs with no pvvf module
# loaded; pvvf.ko, pvvf_test.ko and pcicore_test.ko are in
# /lib/modules/manual/ for the test to insmod, with parameters, and the
# agent's helpers for transparent mode are in /lib/transparent.sh.
e2e_initrd_manual() {
	local kver=$1 mod=$E2E_DIR/mod-$1 m files=()
	e2e_virtio_mods "$kver"
	for m in pvvf pvvf_test pcicore_test; do
		files+=(-f "$mod/$m.ko:/lib/modules/manual/$m.ko")
	done
	bash "$E2E_TOP/scripts/initramfs.sh" "${E2E_VMODS[@]}" "${files[@]}" \
		-f "$E2E_TOP/tests/e2e/transparent-guest.sh:/lib/transparent.sh" \
		-s "$E2E_TOP/tests/e2e/agent.sh" "$E2E_DIR/initrd-$kver-manual.gz" 2>/dev/null ||
		die "e2e: initramfs for $kver failed"
}

# e2e_pvvfd_args: the daemon's command line (one PF, the guests in
# E2E_GUESTS), one argument a line.  $E2E_PF_MORE: more sim: options;
# $E2E_PVVFD_MORE: more daemon options (words without spaces).
# Page requests are answered only by the control socket's "complete" (the
# simulated PF would answer each after 1 ms), and a PRI drain ends only
# when they are (the core would give up after 100 ms), or a guest goes away.
e2e_pvvfd_args() {
	local g
	printf '%s\n' --pf "sim:id=pf0,vfs=8,pri-capacity=$E2E_PRI_CAPACITY,prq-delay-us=3600000000${E2E_PF_MORE:+,$E2E_PF_MORE}"
	for g in "${E2E_GUESTS[@]}"; do
		printf '%s\n' --guest \
			"name=$g,socket=$E2E_DIR/$g.sock,vf=pf0:${E2E_INDEX[$g]}@$E2E_LOCATOR+id=$E2E_VF_ID${E2E_CAP[$g]:++cap=${E2E_CAP[$g]}}${E2E_VF_MORE[$g]:+,${E2E_VF_MORE[$g]}}"
	done
	printf '%s\n' --control "$E2E_DIR/ctl" --log "$E2E_DIR/journal" \
		--drain-timeout-ms 60000
	# shellcheck disable=SC2086 # words, split on purpose
	[ -z "${E2E_PVVFD_MORE:-}" ] || printf '%s\n' $E2E_PVVFD_MORE
}

# e2e_pvvfd: start the daemon; wait for its sockets.
e2e_pvvfd() {
	local args
	mapfile -t args < <(e2e_pvvfd_args)
	"$E2E_PVVFD" "${args[@]}" 2>"$E2E_DIR/pvvfd.stderr" &
	E2E_PID=$!
	local g ok
	for _ in $(seq 100); do
		ok=1
		for g in "${E2E_GUESTS[@]}" ; do [ -S "$E2E_DIR/$g.sock" ] || ok=0; done
		[ -S "$E2E_DIR/ctl" ] || ok=0
		[ $ok = 1 ] && return 0
		kill -0 "$E2E_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$E2E_DIR/pvvfd.stderr" >&2
	die "e2e: pvvfd did not come up"
}

# e2e_pvvfd_stop: stop the daemon (SIGTERM: it disconnects every guest and
# removes its sockets; the journal is appended to by the next one).
e2e_pvvfd_stop() {
	[ -n "$E2E_PID" ] || return 0
	kill -TERM "$E2E_PID" 2>/dev/null
	wait "$E2E_PID" 2>/dev/null
	E2E_PID=
}

# e2e_qemu_args G: guest G's QEMU command line, one argument a line.
# $E2E_KCMDLINE is added to the kernel's command line; the monitor (hmp)
# listens on $E2E_DIR/G.mon; $E2E_RECONNECT_MS, if set, is the pvvf
# chardev's reconnect-ms (QEMU reconnects to a restarted pvvfd).  no_timer_check: under TCG on a loaded host the
# kernel's IO-APIC timer check can miss its ticks and panic at boot.
e2e_qemu_args() {
	local g=$1 kver=${E2E_KVER[$1]} pvvf=() more=()
	local append="console=ttyS0 panic=-1 loglevel=7 no_timer_check${E2E_KCMDLINE:+ $E2E_KCMDLINE}"
	if [ "${E2E_VIOMMU[$g]:-0}" = 1 ]; then
		mapfile -t pvvf < <(e2e_viommu_args)
		append+=" intel_iommu=on,sm_on"
	else
		# in its own root port, so that device_del can unplug it
		pvvf=(-device pcie-root-port,id=rp2,chassis=2,bus=pcie.0,addr=1d.0
		      -device vhost-user-pvvf-pci,chardev=pvvf0,id=pvvf,bus=rp2)
	fi
	read -ra more <<<"${E2E_QEMU_MORE[$g]:-}"
	printf '%s\n' -L "$SEABIOS_DIR" -L "$QEMU_PC_BIOS" \
		-machine q35 -m 512M \
		-object memory-backend-memfd,id=mem,size=512M,share=on \
		-numa node,memdev=mem \
		-nodefaults -display none -nic none -no-reboot \
		-serial "file:$E2E_DIR/$g.console" \
		-chardev "socket,id=agent,path=$E2E_DIR/$g.agent,server=on,wait=off" \
		-serial chardev:agent \
		-monitor "unix:$E2E_DIR/$g.mon,server=on,wait=off" \
		-chardev "socket,id=pvvf0,path=$E2E_DIR/$g.sock${E2E_RECONNECT_MS:+,reconnect-ms=$E2E_RECONNECT_MS}" \
		"${pvvf[@]}" \
		-device pcie-root-port,id=rp1,chassis=1,bus=pcie.0,addr=1c.0 \
		-device virtio-rng-pci,bus=rp1,disable-legacy=on,ats=on \
		"${more[@]}" \
		-kernel "$PVVF_CACHE/kernels/$kver/vmlinuz" \
		-initrd "${E2E_INITRD[$g]:-$E2E_DIR/initrd-$kver.gz}" \
		-append "$append"
}

# e2e_viommu_args: the vIOMMU, and the pvvf device out of its scope, one
# argument a line (docs/design.md, "Transparent mode under a vIOMMU").
# intel-iommu in scalable mode with PASID: ECAP.SMTS and ECAP.PASID, no
# PRS (QEMU 10.0 has none), no device-iotlb (QEMU 10.0 refuses it with
# PASID), so the guest's IOMMU enables PASID on the VF and never ATS.  It
# comes before the devices it translates.  pvvfd (libvhost-user) cannot
# follow a vIOMMU's translations: the pvvf device sits behind a PCIe
# expander bridge with bypass_iommu=on, which leaves its bus out of the
# DMAR unit's scope.  Linux gives a device outside every remapping unit no
# MSI while interrupt remapping is on, hence intremap=off.  The stand-in
# VF stays at 00:1c.0/00.0, under the IOMMU.
e2e_viommu_args() {
	printf '%s\n' \
		-device intel-iommu,x-scalable-mode=on,x-pasid-mode=on,intremap=off \
		-device pxb-pcie,id=pxb1,bus_nr=0x80,bus=pcie.0,addr=10.0,bypass_iommu=on \
		-device pcie-root-port,id=rpx,chassis=2,bus=pxb1 \
		-device vhost-user-pvvf-pci,chardev=pvvf0,bus=rpx
}

# e2e_boot G: start guest G's QEMU (its console goes to $E2E_DIR/G.console,
# appended to across restarts).
e2e_boot() {
	local g=$1 args
	mapfile -t args < <(e2e_qemu_args "$g")
	echo "=== boot $(date +%T)" >>"$E2E_DIR/$g.console.all"
	rm -f "$E2E_DIR/$g.console" "$E2E_DIR/$g.agent"
	"$QEMU" "${args[@]}" >>"$E2E_DIR/$g.qemu.log" 2>&1 &
	E2E_QPID[$g]=$!
}

# e2e_ready G [SECS]: wait for guest G's agent; 1 if it did not come.
e2e_ready() {
	local g=$1 n=$(( ${2:-120} * 10 ))
	while [ "$n" -gt 0 ]; do
		grep -qa '^agent: ready' "$E2E_DIR/$g.console" 2>/dev/null && return 0
		kill -0 "${E2E_QPID[$g]}" 2>/dev/null || return 1
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# e2e_kill G: SIGKILL guest G's QEMU, as a crash would.
e2e_kill() {
	local g=$1
	kill -9 "${E2E_QPID[$g]}" 2>/dev/null
	wait "${E2E_QPID[$g]}" 2>/dev/null
	cat "$E2E_DIR/$g.console" >>"$E2E_DIR/$g.console.all" 2>/dev/null
	E2E_QPID[$g]=
}

# g G COMMAND [SECS]: run COMMAND in guest G (see agent.sh); prints what it
# printed and the kernel lines it caused; returns its status.
g() {
	"$E2E_PY" "$E2E_TOP/tests/e2e/agent.py" "$E2E_DIR/$1.agent" "${3:-30}" "$2"
}

# hmp G COMMAND: one command to guest G's QEMU monitor; prints its answer.
hmp() {
	"$E2E_PY" - "$E2E_DIR/$1.mon" "$2" <<-'EOF'
	import socket, sys
	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	s.settimeout(10)
	s.connect(sys.argv[1])
	def until_prompt():
	    buf = b""
	    while not buf.endswith(b"(qemu) "):
	        data = s.recv(4096)
	        if not data:
	            break
	        buf += data
	    return buf.decode(errors="replace")
	until_prompt()
	s.sendall(sys.argv[2].encode() + b"\n")
	out = until_prompt().replace("\r", "").splitlines()
	print("\n".join(l for l in out[1:] if not l.startswith("(qemu)")))
	EOF
}

# ctl COMMAND...: pvvfd's control socket; prints the answers.
ctl() {
	"$E2E_PY" "$E2E_TOP/host/pvvfd/tests/ctl.py" "$E2E_DIR/ctl" "$@"
}

# vf_state INDEX / pf_state / guest_state G: one line of the daemon's dump.
vf_state() { ctl dump | grep -E "^vf pf=pf0 index=$1 "; }
pf_state() { ctl dump | grep -E '^pf name=pf0 '; }
sim_state() { ctl dump | grep -E '^sim pf=pf0 '; }
guest_state() { ctl dump | grep -E "^guest name=$1 "; }

# journal_mark / journal_since: the daemon's journal lines after the mark.
journal_mark() { E2E_JMARK=$(cat "$E2E_DIR/journal" 2>/dev/null | wc -l); }
journal_since() { tail -n +$((E2E_JMARK + 1)) "$E2E_DIR/journal"; }

# field KEY LINE: the value of KEY=... in a "key=value ..." line.
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }
