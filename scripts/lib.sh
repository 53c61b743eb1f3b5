# SPDX-License-Identifier: GPL-2.0
# Shared helpers for pvvf's scripts.  Source it; do not run it.

PVVF_CACHE=${PVVF_CACHE:-/var/cache/pvvf}

log() { printf 'pvvf: %s\n' "$*" >&2; }
die() { printf 'pvvf: error: %s\n' "$*" >&2; exit 1; }

# The ABI names of the newest 6.1 (bookworm) and 6.12 (bookworm-backports)
# kernels, from the linux-headers-amd64 meta packages of each suite.
abi_from_meta() {
	apt-cache show "linux-headers-amd64=$1" 2>/dev/null |
		sed -n 's/^Depends: .*linux-headers-\([0-9][^ ,]*-amd64\).*/\1/p' | head -n1
}

meta_version() {
	apt-cache madison linux-headers-amd64 2>/dev/null |
		awk -v s="$1" '$0 ~ s"/main" { print $3; exit }'
}

resolve_kvers() {
	if [ -n "${KVER_61:-}" ] && [ -n "${KVER_612:-}" ]; then
		return
	fi
	KVER_61=$(abi_from_meta "$(meta_version 'bookworm(-security|-updates)?')")
	KVER_612=$(abi_from_meta "$(meta_version 'bookworm-backports')")
	[ -n "$KVER_61" ] || die "cannot resolve the Debian 6.1 kernel ABI (run make deps)"
	[ -n "$KVER_612" ] || die "cannot resolve the Debian 6.12 kernel ABI (run make deps)"
	export KVER_61 KVER_612
}
