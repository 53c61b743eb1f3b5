#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# make bench's report: reads the results file (docs/perf/results.csv, one
# "section,metric,what,config,value,unit" line each), writes the tables as
# Markdown between the "bench:begin" and "bench:end" markers of docs/perf.md
# and on stdout, and the plot's data for tests/bench/plot.gp.
#
#   report.py RESULTS.csv PERF.md PLOTDIR

import csv
import sys

CFGS = ["8/1", "8/64", "256/1", "256/64", "4096/1", "4096/64"]
GOAL_INSTR = 2000
GOAL_FLAT = 1.20


def load(path):
    r = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            # a "not_measured" line says why in its unit
            v = row["unit"] if row["metric"] == "not_measured" else row["value"]
            r[(row["section"], row["metric"], row["what"], row["config"])] = v
    return r


def num(r, *k):
    v = r.get(k)
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def fmt(v, nd=0):
    return "-" if v is None else f"{v:,.{nd}f}"


def host_tables(r, out):
    ops = []
    for (s, m, w, c) in r:
        if s == "host" and m == "instructions" and w not in ops:
            ops.append(w)
    out.append("### 1. Host core, per request\n")
    out.append("Callgrind instructions per request (building the request included), "
               "VFs/guests across; **spread** is the largest over the smallest "
               f"(goal: under {GOAL_INSTR} instructions, spread at most {GOAL_FLAT:.2f}). "
               "Then callgrind's simulated L1 data cache misses per request at 8/1 "
               "and 4096/64, the wall-clock rate at 8/1 (median round) and the rate "
               "at 4096/64 over it, measured side by side in the same run.\n")
    out.append("| request | " + " | ".join(CFGS) +
               " | spread | L1d misses 8/1, 4096/64 | Mreq/s 8/1 | rate 4096/64 : 8/1 |")
    out.append("|---" * (len(CFGS) + 5) + "|")
    misses = []
    for op in ops:
        v = [num(r, "host", "instructions", op, c) for c in CFGS]
        good = [x for x in v if x]
        spread = max(good) / min(good) if good else None
        r1 = num(r, "host", "rate", op, "8/1")
        r2 = num(r, "host", "rate", op, "4096/64")
        ratio = r2 / r1 if r1 and r2 else None
        why = []
        if spread and spread > GOAL_FLAT:
            why.append(f"spread {spread:.2f}")
        if good and max(good) > GOAL_INSTR:
            why.append(f"{max(good):,.0f} instructions")
        flag = " **missed**" if why else ""
        if why:
            misses.append(f"{op} ({', '.join(why)})")
        m1 = num(r, "host", "d1_misses", op, "8/1")
        m2 = num(r, "host", "d1_misses", op, "4096/64")
        out.append(f"| {op} | " + " | ".join(fmt(x) for x in v) +
                   f" | {fmt(spread, 2)}{flag} | {fmt(m1, 1)}, {fmt(m2, 1)} | "
                   f"{fmt(r1 and r1 / 1e6, 1)} | {fmt(ratio, 2)} |")
    out.append("")
    out.append("Goals missed: " + (", ".join(misses) if misses else "none") + ".\n")

    out.append("Memory, counted: the core's heap per VF and per guest (mallinfo2 "
               "around registering the PF and its VFs, and around creating the "
               "guests with 4096-entry event queues), and pvvfd's resident set "
               "(VmRSS) with one simulated PF of 64 or 4096 VFs, VFs 0-63 given "
               "to 1 or 64 guests.\n")
    out.append("| figure | " + " | ".join(CFGS) + " |")
    out.append("|---" * (len(CFGS) + 1) + "|")
    for m, name in (("heap_per_vf", "core heap per VF, B"),
                    ("heap_per_guest", "core heap per guest, B")):
        out.append(f"| {name} | " + " | ".join(fmt(num(r, "host", m, "-", c)) for c in CFGS) + " |")
    out.append("")
    rss = {c: num(r, "daemon", "rss", "-", c) for c in ("64/1", "4096/1", "64/64")}
    if all(rss.values()):
        out.append("| pvvfd VmRSS, kB | 64 VFs | 4096 VFs |")
        out.append("|---|---|---|")
        out.append(f"| 1 guest (with VFs 0-63) | {fmt(rss['64/1'])} | {fmt(rss['4096/1'])} |")
        out.append(f"| 64 guests (one VF each) | {fmt(rss['64/64'])} | |")
        per_vf = (rss["4096/1"] - rss["64/1"]) * 1024 / 4032
        per_g = (rss["64/64"] - rss["64/1"]) * 1024 / 63
        out.append("")
        out.append(f"pvvfd: {per_vf:,.0f} B per VF of the PF (the simulated PF's "
                   f"registers included), {per_g:,.0f} B per guest.\n")


def pair(r, what):
    g = {k: num(r, "guest", k, what, "1") for k in
         ("a_p50", "a_p99", "b_p50", "b_p99", "a_err", "b_err", "n",
          "a_errno", "b_errno")}
    nm = r.get(("guest", "not_measured", what, "1"))
    return g, nm


def void(g):
    """True if every call of A or of B failed: the pair measured nothing."""
    return g["n"] is not None and (g["a_err"] == g["n"] or g["b_err"] == g["n"])


def errs(g, side):
    n = g[side + "_err"]
    if not n:
        return fmt(n)
    return f"{fmt(n)} ({fmt(g[side + '_errno'])})"


def guest_tables(r, out):
    if not any(k[0] == "guest" for k in r):
        out.append("### 2-5. In the guest\n\nNot run (BENCH_GUEST=0).\n")
        return
    out.append("### 2, 3. In a TCG guest, interleaved A B A B\n")
    out.append("Errors: how many of the n calls of A and of B failed, and the first "
               "errno.  A failed call is timed all the same.\n")
    out.append("| A | B | n | A p50 | A p99 | B p50 | B p99 | A/B p50 | errors A, B |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    rows = (("status_vs_ping", "PRI_STATUS round trip (pvvf_pri_wait_stopped)",
             "NOP round trip (pvvf_ping)"),
            ("regs", "synthesized PASID register read", "trapped config read"),
            ("pasid", "pci_enable_pasid()", "pvvf_pasid_enable()"))
    for what, a, b in rows:
        g, nm = pair(r, what)
        if nm is not None:
            out.append(f"| {a} | {b} | not measured: {nm} |||||||")
            continue
        us = [None if g[k] is None else g[k] / 1000 for k in ("a_p50", "a_p99", "b_p50", "b_p99")]
        ratio = (g["a_p50"] / g["b_p50"] if g["a_p50"] and g["b_p50"] and not void(g)
                 else None)
        out.append(f"| {a} | {b} | {fmt(g['n'])} | " +
                   " | ".join(fmt(x, 1) + " µs" for x in us) +
                   f" | {fmt(ratio, 2)} | {errs(g, 'a')}, {errs(g, 'b')} |")
    out.append("")
    g, nm = pair(r, "status_vs_ping")
    if (nm is None and not g["a_err"] and not g["b_err"] and g["a_p50"] and g["b_p50"]
            and g["a_p99"] and g["b_p99"]):
        p50, p99 = g["a_p50"] / g["b_p50"], g["a_p99"] / g["b_p99"]
        met = "met" if p50 <= GOAL_FLAT else "**missed**"
        out.append(f"Row 2 goal, pvvf's overhead over a bare `NOP` through the same "
                   f"virtqueue within {GOAL_FLAT - 1:.0%} (A/B at p50): {p50:.2f}, {met}; "
                   f"A/B at p99: {p99:.2f}.\n")
    out.append("### 4. Attach\n")
    out.append("| stand-in VFs | insmod to last VF attached | requests |")
    out.append("|---|---|---|")
    for n in ("1", "8", "32"):
        t = num(r, "guest", "attach_time", "attach", n)
        q = num(r, "guest", "attach_requests", "attach", n)
        per = f" ({q / int(n):.1f} per VF)" if q is not None else ""
        out.append(f"| {n} | {fmt(t)} ms | {fmt(q)}{per} |")
    out.append("")
    out.append("### 5. PRI stop\n")
    out.append("Daemon clock: from the PRI_DISABLE decision to the PRI_STOPPED event, "
               "against from that decision to the PF's completion of the last page "
               "request (the lower bound).  Guest clock: from pvvf_pri_disable()'s "
               "return to the consumer's PRI_STOPPED notifier, against the same bound.\n")
    out.append("| round | disable to PRI_STOPPED (daemon) | drain (lower bound) | ratio | "
               "in the guest | guest ratio |")
    out.append("|---|---|---|---|---|---|")
    rounds = sorted({k[3] for k in r if k[:3] == ("guest", "pri_stop_time", "pri_stop")}, key=int)
    for rd in rounds:
        s = num(r, "guest", "pri_stop_time", "pri_stop", rd)
        b = num(r, "guest", "pri_drain_bound", "pri_stop", rd)
        gs = num(r, "guest", "pri_stop_guest", "pri_stop", rd)
        out.append(f"| {rd} | {fmt(s / 1000, 1)} ms | {fmt(b / 1000, 1)} ms | "
                   f"{fmt(s / b, 3)} | {fmt(gs and gs / 1000, 1)} ms | "
                   f"{fmt(gs and gs / b, 3)} |")
    out.append("")


def plot_data(r, d):
    ops = []
    for (s, m, w, c) in r:
        if s == "host" and m == "instructions" and w not in ops:
            ops.append(w)
    with open(f"{d}/host.dat", "w") as f:
        f.write("op " + " ".join(f'"{c}"' for c in CFGS) + "\n")
        for op in ops:
            f.write(op + " " + " ".join(str(num(r, "host", "instructions", op, c) or 0)
                                        for c in CFGS) + "\n")
    with open(f"{d}/guest.dat", "w") as f:
        f.write('what "A p50" "A p99" "B p50" "B p99"\n')
        for what, label in (("status_vs_ping", '"A PRI_STATUS, B NOP"'),
                            ("regs", '"A synthesized, B trapped"'),
                            ("pasid", '"A pci_, B pvvf_pasid_enable"')):
            g, nm = pair(r, what)
            if nm is None and g["a_p50"] is not None and not void(g):
                f.write(label + " " + " ".join(str(g[k] / 1000) for k in
                                               ("a_p50", "a_p99", "b_p50", "b_p99")) + "\n")


def main():
    results, perf, plotdir = sys.argv[1:4]
    r = load(results)
    out = []
    host_tables(r, out)
    guest_tables(r, out)
    text = "\n".join(out)
    print(text)
    with open(perf) as f:
        doc = f.read()
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    i, j = doc.index(begin) + len(begin), doc.index(end)
    with open(perf, "w") as f:
        f.write(doc[:i] + "\n" + text + "\n" + doc[j:])
    plot_data(r, plotdir)


main()
