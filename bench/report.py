#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# report: turns bench results (results.jsonl, machine.json) into a Markdown
# table of medians with min-max, and gnuplot PNGs.
"""Usage: report.py RESULTS_DIR [--no-plots]"""

import json
import os
import shutil
import statistics
import subprocess
import sys

# (column title, function of one run record, format)
METRICS = [
    ("score end", lambda r: r["score_end"], "{:.0f}"),
    ("order-9 free end", lambda r: r["free_order9_end"], "{:.0f}"),
    ("THP share", lambda r: 100 * r["thp_share"], "{:.0f}%"),
    ("THP fault ms", lambda r: r["thp_fault_usec"] / 1000, "{:.0f}"),
    ("hugetlb", lambda r: 100 * r["hugetlb_success"], "{:.0f}%"),
    ("hugetlb ms", lambda r: r["hugetlb_usec"] / 1000, "{:.0f}"),
    ("probe stalls", lambda r: r["thp_probe"]["compact_stall"] + r["hugetlb_probe"]["compact_stall"], "{:.0f}"),
    ("probe compact_fail", lambda r: r["thp_probe"]["compact_fail"] + r["hugetlb_probe"]["compact_fail"], "{:.0f}"),
    ("window stalls", lambda r: r["window"]["compact_stall"] + r["window"]["allocstall"], "{:.0f}"),
    ("thp_fault_fallback", lambda r: r["thp_probe"]["thp_fault_fallback"], "{:.0f}"),
    ("pgsteal", lambda r: r["window"]["pgsteal"] + r["thp_probe"]["pgsteal"] + r["hugetlb_probe"]["pgsteal"], "{:.0f}"),
    ("refaults", lambda r: sum(r[p].get("workingset_refault_anon", 0) + r[p].get("workingset_refault_file", 0)
                               for p in ("window", "thp_probe", "hugetlb_probe")), "{:.0f}"),
    ("kcompactd s", lambda r: r["cpu_sec"]["kcompactd"], "{:.2f}"),
    ("kswapd s", lambda r: r["cpu_sec"]["kswapd"], "{:.2f}"),
    ("defragd s", lambda r: r["cpu_sec"]["defragd"], "{:.2f}"),
    ("CPU total s", lambda r: r["cpu_sec"]["kcompactd"] + r["cpu_sec"]["kswapd"] + r["cpu_sec"]["defragd"], "{:.2f}"),
    ("defragd RSS KiB", lambda r: r["defragd_rss_kib"], "{:.0f}"),
    ("other CPU %", lambda r: r["other_cpu_pct"], "{:.0f}"),
]


def load(d):
    runs = [json.loads(line) for line in open(os.path.join(d, "results.jsonl")) if line.strip()]
    machine = json.load(open(os.path.join(d, "machine.json")))
    return runs, machine


def groups(runs):
    g = {}
    for r in runs:
        g.setdefault((r["workload"], r["contender"]), []).append(r)
    return g


def cell(values, fmt):
    med = statistics.median(values)
    if len(values) == 1 or min(values) == max(values):
        return fmt.format(med)
    return f"{fmt.format(med)} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def table(runs, machine):
    lines = [f"Machine: {machine['cpu']}, {machine['ncpu']} CPUs, {machine['mem_total_kib'] >> 20} GiB; "
             f"kernel {machine['kernel']}; THP enabled {machine['thp_enabled']}, defrag {machine['thp_defrag']}; "
             f"vm.compaction_proactiveness {machine['compaction_proactiveness']}, vm.defrag_mode {machine['defrag_mode']}; "
             f"{machine['date']}.", ""]
    g = groups(runs)
    for w in dict.fromkeys(r["workload"] for r in runs):
        rs = [r for r in runs if r["workload"] == w]
        lines.append(f"### Workload `{w}`: median (min–max) of {len(rs) // max(1, len({r['contender'] for r in rs}))} runs per contender; "
                     f"window {rs[0]['window_sec']:.0f} s, fill {statistics.median(r['fill_bytes'] for r in rs) / (1 << 30):.1f} GiB")
        lines.append("")
        lines.append("| contender | " + " | ".join(m[0] for m in METRICS) + " |")
        lines.append("|---" * (len(METRICS) + 1) + "|")
        for c in dict.fromkeys(r["contender"] for r in rs):
            lines.append(f"| {c} | " + " | ".join(cell([f(r) for r in g[(w, c)]], fmt) for _, f, fmt in METRICS) + " |")
        lines.append("")
    return "\n".join(lines)


def plots(runs, d):
    gp = shutil.which("gnuplot")
    if not gp:
        print("report: gnuplot not found; no plots", file=sys.stderr)
        return
    g = groups(runs)
    for w in dict.fromkeys(r["workload"] for r in runs):
        cs = list(dict.fromkeys(r["contender"] for r in runs if r["workload"] == w))
        # free order-9 blocks and score over time: every run, one colour per contender
        series = []
        for i, c in enumerate(cs):
            for k, r in enumerate(sorted(g[(w, c)], key=lambda r: r["rep"])):
                fn = os.path.join(d, "tmp", f"{w}-{c}-{r['rep']}.dat")
                with open(fn, "w") as f:
                    for smp in r["series"]:
                        f.write(f"{smp['t']} {smp['free_order9']} {smp['score']}\n")
                series.append((c, i + 1, k == 0, fn))
        thp = os.path.join(d, "tmp", f"{w}-thp.dat")
        with open(thp, "w") as f:
            for i, c in enumerate(cs):
                v = [100 * r["thp_share"] for r in g[(w, c)]]
                h = [100 * r["hugetlb_success"] for r in g[(w, c)]]
                f.write(f"{i} \"{c}\" {statistics.median(v)} {min(v)} {max(v)} {statistics.median(h)} {min(h)} {max(h)}\n")
        cpu = os.path.join(d, "tmp", f"{w}-cpu.dat")
        with open(cpu, "w") as f:
            for i, c in enumerate(cs):
                t = [r["cpu_sec"]["kcompactd"] + r["cpu_sec"]["kswapd"] + r["cpu_sec"]["defragd"] for r in g[(w, c)]]
                dd = [r["cpu_sec"]["defragd"] for r in g[(w, c)]]
                f.write(f"{i} \"{c}\" {statistics.median(t)} {min(t)} {max(t)} {statistics.median(dd)} {min(dd)} {max(dd)}\n")
        script = f"""
set terminal pngcairo size 900,500 noenhanced
set output '{d}/{w}-order9.png'
set title 'Workload {w}: free order-9 blocks (all zones) during the window, every run'
set xlabel 'seconds since the contender started'
set ylabel 'free blocks usable for order 9'
set key outside right
set grid
plot {", ".join(f"'{fn}' using 1:2 with lines lw 2 lc {i} " + (f"title '{c}'" if first else "notitle") for c, i, first, fn in series)}
set output '{d}/{w}-score.png'
set title 'Workload {w}: kernel fragmentation score (node 0, order 9), every run'
set ylabel 'fragmentation_score_node'
plot {", ".join(f"'{fn}' using 1:3 with lines lw 2 lc {i} " + (f"title '{c}'" if first else "notitle") for c, i, first, fn in series)}
set output '{d}/{w}-thp.png'
set title 'Workload {w}: THP share and hugetlb success after the window (median, min-max)'
set ylabel 'percent'
set yrange [0:105]
set xrange [-0.5:{len(cs) - 0.5}]
set style fill solid 0.5
set boxwidth 0.35
set xtics rotate by -20
unset xlabel
plot '{thp}' using ($1-0.18):3:4:5:(0.35):xtic(2) with boxerrorbars title 'THP share', \\
     '{thp}' using ($1+0.18):6:7:8:(0.35) with boxerrorbars title 'hugetlb success'
set output '{d}/{w}-cpu.png'
set title 'Workload {w}: CPU seconds in window + probes (median, min-max)'
set ylabel 'CPU seconds'
set yrange [0:*]
plot '{cpu}' using ($1-0.18):3:4:5:(0.35):xtic(2) with boxerrorbars title 'kcompactd + kswapd + defragd', \\
     '{cpu}' using ($1+0.18):6:7:8:(0.35) with boxerrorbars title 'defragd alone'
"""
        r = subprocess.run([gp], input=script, text=True, capture_output=True)
        if r.returncode != 0:
            print(f"report: gnuplot failed: {r.stderr}", file=sys.stderr)
            sys.exit(1)


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    d = sys.argv[1]
    runs, machine = load(d)
    if not runs:
        print(f"report: {d}/results.jsonl has no runs", file=sys.stderr)
        return 1
    md = table(runs, machine)
    with open(os.path.join(d, "results.md"), "w") as f:
        f.write(md + "\n")
    print(md)
    if "--no-plots" not in sys.argv:
        plots(runs, d)
    return 0


if __name__ == "__main__":
    sys.exit(main())
