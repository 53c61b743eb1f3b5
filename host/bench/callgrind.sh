#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Instructions per operation of the pvvf core, counted by callgrind (and
# its simulated first-level data cache's misses, in the CSV): runs
# "bench --callgrind" (one dump per configuration and operation) and
# prints Ir / n as a table, operations down, VFs/guests across; with
# --csv, one "host,instructions,op,cfg,value,instr" line each instead
# (tests/bench/run.sh's results file).
set -euo pipefail
bench=${1:?usage: callgrind.sh path/to/bench [--csv]}
csv=0
[ "${2:-}" = --csv ] && csv=1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

valgrind --tool=callgrind --cache-sim=yes --callgrind-out-file="$out/cg.out" \
	"$bench" --callgrind >/dev/null 2>"$out/valgrind.log" || {
	cat "$out/valgrind.log" >&2
	exit 1
}

for f in $(ls "$out"/cg.out.* | sort -V); do
	label=$(sed -n 's/^desc: Trigger: Client Request: //p' "$f")
	ir=$(sed -n 's/^summary: //p; s/^totals: //p' "$f" | head -1)
	echo "$label $ir"
done | awk -v csv=$csv '
{
	split($1, k, "/"); cfg = k[1] "/" k[2]; op = k[3];
	n = $2; sub("n=", "", n);
	# events: Ir Dr Dw I1mr D1mr D1mw ...; trailing zeros are left out
	v[op, cfg] = $3 / n;
	m[op, cfg] = ($7 + $8) / n;
	if (!(cfg in seen)) { seen[cfg] = 1; cfgs[++nc] = cfg }
	if (!(op in seeno)) { seeno[op] = 1; ops[++no] = op }
}
END {
	if (csv) {
		for (c = 1; c <= nc; c++)
			for (o = 1; o <= no; o++)
				printf "host,instructions,%s,%s,%.0f,instr\nhost,d1_misses,%s,%s,%.2f,misses\n",
					ops[o], cfgs[c], v[ops[o], cfgs[c]], ops[o], cfgs[c], m[ops[o], cfgs[c]]
		exit
	}
	printf "\ncallgrind, instructions per operation (VFs/guests), building the request included\n%-18s", "op"
	for (c = 1; c <= nc; c++) printf " %13s", cfgs[c]
	printf "\n"
	for (o = 1; o <= no; o++) {
		printf "%-18s", ops[o]
		for (c = 1; c <= nc; c++) printf " %13.0f", v[ops[o], cfgs[c]]
		printf "\n"
	}
}'
