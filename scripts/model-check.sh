#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check model/pvvf.pml with spin: every safety assertion over the whole
# state space, then the liveness property (a PRI stop eventually completes)
# under weak fairness.  Exits non-zero on any violation or on a search that
# was cut short (depth or memory), since a partial search proves nothing.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
command -v spin >/dev/null || die "spin is not installed (run make deps)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
spin -a "$top/model/pvvf.pml" >/dev/null

# pan's own result lines, and the verdict: errors: 0 and a complete search.
run() {
	local name=$1
	shift
	"$@" >"$name.out" 2>&1 || true
	grep -E 'errors:|states, stored|elapsed time|assertion violated|acceptance cycle|max search depth too small|out of memory' \
		"$name.out" | sed "s/^/model: $name: /" >&2
	grep -q 'errors: 0' "$name.out" || return 1
	! grep -q -E 'max search depth too small|out of memory' "$name.out"
}

gcc -O2 -DSAFETY -DNOCLAIM -DCOLLAPSE -w -o pan_safety pan.c
gcc -O2 -DCOLLAPSE -DNOREDUCE -DNFAIR=3 -w -o pan_liveness pan.c
ok=0
run safety ./pan_safety -m20000000 || ok=1
run liveness ./pan_liveness -a -f -m20000000 || ok=1
[ $ok -eq 0 ] && log "model: safety and liveness verified"
exit $ok
