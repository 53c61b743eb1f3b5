# SPDX-License-Identifier: BSD-3-Clause
#
# make bench's plot (docs/perf/perf.svg), from tests/bench/report.py's data:
#   gnuplot -e "dir='DATADIR'; out='OUT.svg'" tests/bench/plot.gp
# Left: the host core's instructions per request, per request type, for each
# VFs/guests configuration (flat is the goal).  Right: the in-guest pairs,
# A against B, p50 and p99.
set terminal svg size 1100,480 dynamic noenhanced font "sans,10" background rgb "white"
set output out
set multiplot layout 1,2
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top left font ",8"
set grid y
set xtics rotate by -40 font ",8"
set title "host core: callgrind instructions per request (VFs/guests)"
set ylabel "instructions"
set yrange [0:*]
plot for [c=2:7] dir."/host.dat" using c:xtic(1) title columnheader(c)
set title "TCG guest: A against B, interleaved"
set ylabel "microseconds"
set logscale y
set yrange [*:*]
set xtics rotate by 0 font ",8"
plot for [c=2:5] dir."/guest.dat" using c:xtic(1) title columnheader(c)
unset multiplot
