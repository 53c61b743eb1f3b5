#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: every figure of docs/perf.md, measured in one run.
#
#   1. the host core (host/bench/bench.c): requests per second and
#      callgrind instructions per request, 8 to 4096 VFs, 1 and 64 guests;
#      its heap per VF and per guest; pvvfd's resident set with 8 and 4096
#      VFs, 1 and 64 guests
#   2-5. a Debian 6.12 guest under TCG (tests/bench/guest.sh)
#
# Writes docs/perf/results.csv (the results file), docs/perf/perf.svg (the
# plot) and the tables of docs/perf.md (between its bench: markers), and
# prints the tables.  BENCH_GUEST=0 skips the guest (host rows only).

set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/lib.sh"

results=$top/docs/perf/results.csv
bench=$top/host/build/bench/bench
pvvfd=$top/host/build/pvvfd/pvvfd
work=$(mktemp -d /tmp/pvvf-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
start=$(date +%s)

make -s -C "$top/host" all build/bench/bench

# daemon_rss VFS GUESTS: pvvfd's VmRSS in kB, once every socket is up;
# VFs 0 to 63 are given to the guests in turn, the others to none.
daemon_rss() {
	local vfs=$1 ng=$2 i v args=() pid rss
	local vf=()
	for ((v = 0; v < 64; v++)); do
		vf[v % ng]+=",vf=pf0:$v@0000:00:$(printf %02x $((8 + v / 8))).0/00.$((v % 8))+id=1af4:1044"
	done
	for ((i = 0; i < ng; i++)); do
		args+=(--guest "name=g$i,socket=$work/g$i.sock${vf[i]}")
	done
	"$pvvfd" --pf "sim:id=pf0,vfs=$vfs" "${args[@]}" --control "$work/ctl" \
		--log /dev/null 2>"$work/pvvfd.err" &
	pid=$!
	for _ in $(seq 200); do
		[ -S "$work/g$((ng - 1)).sock" ] && [ -S "$work/ctl" ] && break
		sleep 0.05
	done
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
	kill -TERM "$pid"
	wait "$pid" || true
	rm -rf "$work"/*.sock "$work/ctl"
	[ -n "$rss" ] || { cat "$work/pvvfd.err" >&2; die "bench: pvvfd ($vfs VFs, $ng guests) did not start"; }
	echo "daemon,rss,-,$vfs/$ng,$rss,kB"
}

{
	echo "section,metric,what,config,value,unit"
	log "bench: host core, wall clock"
	"$bench" --csv
	log "bench: host core, callgrind"
	bash "$top/host/bench/callgrind.sh" "$bench" --csv
	log "bench: pvvfd resident set"
	for c in 64/1 4096/1 64/64; do daemon_rss "${c%/*}" "${c#*/}"; done
	if [ "${BENCH_GUEST:-1}" != 0 ]; then
		log "bench: TCG guest"
		bash "$top/tests/bench/guest.sh"
	fi
} >"$work/results.csv"
mkdir -p "$top/docs/perf"
mv "$work/results.csv" "$results"

python3 "$top/tests/bench/report.py" "$results" "$top/docs/perf.md" "$work"
gnuplot -e "dir='$work'; out='$top/docs/perf/perf.svg'" "$top/tests/bench/plot.gp"
log "bench: wrote docs/perf/results.csv, docs/perf/perf.svg, docs/perf.md in $(( $(date +%s) - start )) s"
