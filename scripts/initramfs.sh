#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build a guest initramfs around busybox-static for the end-to-end tests.
#
# Usage: initramfs.sh [-m MODULE.ko]... [-s SCRIPT] [-f SRC:DEST]... OUT
#
#   -m MODULE.ko   copied to /lib/modules/pvvf/ and insmod'ed at boot, in
#                  the order given (e.g. pvvf.ko, then a test consumer)
#   -s SCRIPT      copied to /test.sh and run after the modules; its exit
#                  status is printed as "initramfs: test.sh exit N"
#   -f SRC:DEST    any other file, copied to DEST (an absolute path)
#   OUT            the gzip-compressed newc cpio to write
#
# /init mounts proc, sys, devtmpfs and debugfs, loads the modules, runs
# /test.sh, then powers the machine off.  "initramfs.shell" on the kernel
# command line starts a shell on the console instead of powering off.
# Every line /init prints starts with "initramfs: ".
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

BUSYBOX=${BUSYBOX:-/bin/busybox}

usage() {
	sed -n '/^# Usage:/,/^# Every line/s/^# \{0,1\}//p' "$0"
}

modules=()
script=
files=()
while getopts "m:s:f:h" opt; do
	case $opt in
	m) [ -f "$OPTARG" ] || die "initramfs: no such module: $OPTARG"; modules+=("$OPTARG") ;;
	s) [ -f "$OPTARG" ] || die "initramfs: no such script: $OPTARG"; script=$OPTARG ;;
	f) case $OPTARG in
	   *:/*) [ -f "${OPTARG%%:*}" ] || die "initramfs: no such file: ${OPTARG%%:*}" ;;
	   *) die "initramfs: -f takes SRC:/ABSOLUTE/DEST" ;;
	   esac
	   files+=("$OPTARG") ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { usage >&2; die "initramfs: give exactly one output file"; }
out=$1
[ -x "$BUSYBOX" ] || die "initramfs: $BUSYBOX missing (apt-get install busybox-static)"
file -L "$BUSYBOX" | grep -q 'statically linked' ||
	die "initramfs: $BUSYBOX is not statically linked (busybox-static)"
command -v cpio >/dev/null || die "initramfs: cpio missing"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,run,lib/modules/pvvf}
cp "$BUSYBOX" "$root/bin/busybox"
for applet in $("$BUSYBOX" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done

: >"$root/lib/modules/pvvf/order"
for m in "${modules[@]}"; do
	cp "$m" "$root/lib/modules/pvvf/"
	basename "$m" >>"$root/lib/modules/pvvf/order"
done
[ -z "$script" ] || install -m 0755 "$script" "$root/test.sh"
for f in "${files[@]}"; do
	mkdir -p "$root$(dirname "${f#*:}")"
	cp "${f%%:*}" "$root${f#*:}"
done

cat >"$root/init" <<'INIT'
#!/bin/sh
export PATH=/bin
say() { echo "initramfs: $*"; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
while read -r m; do
	[ -n "$m" ] || continue
	if insmod "/lib/modules/pvvf/$m"; then
		say "insmod $m ok"
	else
		say "insmod $m FAILED"
	fi
done </lib/modules/pvvf/order
if [ -x /test.sh ]; then
	/test.sh
	say "test.sh exit $?"
fi
if grep -qw initramfs.shell /proc/cmdline; then
	say "shell (exit to power off)"
	setsid cttyhack sh
fi
say "power off"
sync
poweroff -f
INIT
chmod 0755 "$root/init"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet -R 0:0) | gzip -9 >"$out.tmp"
mv "$out.tmp" "$out"
log "initramfs: wrote $out (${#modules[@]} modules${script:+, test script})"
