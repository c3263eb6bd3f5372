#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# report: turns bench results (results.jsonl, machine.json) into a Markdown
# table of medians with min-max, and gnuplot PNGs; both harnesses' records
# (defragd-bench.py, and demand-bench.py: "kind": "demand-bench").
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


# ---------------------------------------------------------------- demand-bench
def _cpu_total(r):
    c = r["cpu_sec"]
    return c["kcompactd"] + c["kswapd"] + c.get("khugepaged", 0) + c["defragd"]


def _ms(v):
    return None if v is None else v / 1000


# (column title, function of one run record, format); None values are left out of the cell
DEMAND_METRICS = [
    ("THP share", lambda r: None if r["consumer"]["thp_share"] is None else 100 * r["consumer"]["thp_share"], "{:.1f}%"),
    ("fault p50 ms", lambda r: _ms(r["consumer"]["p50_usec"]), "{:.2f}"),
    ("fault p99 ms", lambda r: _ms(r["consumer"]["p99_usec"]), "{:.1f}"),
    ("fault max ms", lambda r: _ms(r["consumer"]["max_usec"]), "{:.0f}"),
    # the faulting thread's own CPU time: wall minus this is waiting (for a CPU, or asleep in the kernel)
    ("fault p99 CPU ms", lambda r: _ms(r["consumer"].get("cpu_p99_usec")), "{:.1f}"),
    ("consumer compaction stalls", lambda r: r["consumer"]["compact_count"], "{:.0f}"),
    ("consumer compaction ms", lambda r: _ms(r["consumer"]["compact_delay_usec"]), "{:.0f}"),
    ("consumer reclaim stalls", lambda r: r["consumer"]["reclaim_count"], "{:.0f}"),
    ("compact_stall (all)", lambda r: r["window"]["compact_stall"], "{:.0f}"),
    ("allocstall (all)", lambda r: r["window"]["allocstall"], "{:.0f}"),
    ("pgmigrate_success", lambda r: r["window"]["pgmigrate_success"], "{:.0f}"),
    ("pgsteal", lambda r: r["window"]["pgsteal"], "{:.0f}"),
    ("refaults", lambda r: r["window"]["refaults"], "{:.0f}"),
    ("kcompactd s", lambda r: r["cpu_sec"]["kcompactd"], "{:.2f}"),
    ("kswapd s", lambda r: r["cpu_sec"]["kswapd"], "{:.2f}"),
    ("khugepaged s", lambda r: r["cpu_sec"].get("khugepaged", 0), "{:.2f}"),
    ("defragd s", lambda r: r["cpu_sec"]["defragd"], "{:.2f}"),
    ("CPU total s", _cpu_total, "{:.2f}"),
    ("polluted blocks at start", lambda r: None if not r.get("blocks_start") else
        100 * r["blocks_start"]["all"]["polluted"] / max(1, r["blocks_start"]["all"]["total"] - r["blocks_start"]["all"].get("blank", 0)), "{:.0f}%"),
    ("other CPU %", lambda r: r["other_cpu_pct"], "{:.0f}"),
]


def _moved_per_thp(r):
    """Pages migrated + reclaimed (machine-wide, the window) per THP fault
    served: what producing the blocks cost, not a physical lower bound (a THP
    can also land in a block the consumer itself freed a round before)."""
    w = r["window"]
    thp = w.get("thp_fault_alloc", 0)
    return None if thp == 0 else (w["pgmigrate_success"] + w["pgsteal"]) / thp


# The short table of docs/benchmarks.md: what the consumer felt, what it cost.
SUMMARY_METRICS = [
    ("THP %", DEMAND_METRICS[0][1], "{:.1f}"),
    ("fault p50 ms", DEMAND_METRICS[1][1], "{:.2f}"),
    ("fault p99 ms", DEMAND_METRICS[2][1], "{:.1f}"),
    ("fault max ms", DEMAND_METRICS[3][1], "{:.0f}"),
    ("consumer stalls (compaction + reclaim)", lambda r: r["consumer"]["compact_count"] + r["consumer"]["reclaim_count"],
     "{:.0f}"),
    ("consumer stall s", lambda r: (r["consumer"]["compact_delay_usec"] + r["consumer"]["reclaim_delay_usec"]) / 1e6,
     "{:.2f}"),
    ("CPU s defragd+kcompactd+kswapd", lambda r: r["cpu_sec"]["kcompactd"] + r["cpu_sec"]["kswapd"] + r["cpu_sec"]["defragd"],
     "{:.2f}"),
    ("refaults", lambda r: r["window"]["refaults"], "{:.0f}"),
    ("pages moved+reclaimed per THP served", _moved_per_thp, "{:.1f}"),
    # the state the contender was handed, and the lowest it let the machine fall to
    ("free order-9 blocks at t=0", lambda r: r["series"][0]["free_order9"] if r["series"] else None, "{:.0f}"),
    ("min free order-9 blocks", lambda r: min((x["free_order9"] for x in r["series"]), default=None), "{:.0f}"),
    # drain: the zone defragd watches (columns left out where no run has one)
    ("watched zone: free order-9 blocks at t=0", lambda r: _zone_blocks(r)[0] if _zone_blocks(r) else None, "{:.0f}"),
    ("watched zone: min free order-9 blocks", lambda r: min(_zone_blocks(r), default=None), "{:.0f}"),
    ("other CPU %", lambda r: r["other_cpu_pct"], "{:.0f}"),
]


def _zone_blocks(r):
    z = r.get("watched_zone")
    return [x["zones"][z] for x in r["series"] if z in x.get("zones", {})] if z else []


def _metrics_for(rs, metrics):
    """The metrics at least one of these runs has a value for."""
    return [m for m in metrics if any(m[1](r) is not None for r in rs)]


def summary_table(runs):
    """Per workload: median (min–max) of the summary metrics per contender."""
    g, lines = groups(runs), []
    for w in dict.fromkeys(r["workload"] for r in runs):
        cs = list(dict.fromkeys(r["contender"] for r in runs if r["workload"] == w))
        ms = _metrics_for([r for r in runs if r["workload"] == w], SUMMARY_METRICS)
        lines.append(f"#### `{w}`: median (min–max) over {', '.join(f'{len(g[(w, c)])} {c}' for c in cs)} runs")
        lines.append("")
        lines.append("| contender | " + " | ".join(m[0] for m in ms) + " |")
        lines.append("|---" * (len(ms) + 1) + "|")
        for c in cs:
            cells = []
            for _, f, fmt in ms:
                v = [x for x in (f(r) for r in g[(w, c)]) if x is not None]
                cells.append(cell(v, fmt) if v else "–")
            lines.append(f"| {c} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def verdict(a, b, fmt):
    """The claim rule: a difference only where the min–max ranges of the
    repeated runs do not overlap."""
    if len(a) < 2 or len(b) < 2:
        return "too few runs"
    if max(a) < min(b):
        return "lower"
    if min(a) > max(b):
        return "higher"
    return "no difference shown"


def compare_table(runs):
    """Per workload, each contender against the first one of the session:
    lower / higher / no difference shown, per summary metric."""
    g, lines = groups(runs), []
    for w in dict.fromkeys(r["workload"] for r in runs):
        cs = list(dict.fromkeys(r["contender"] for r in runs if r["workload"] == w))
        if len(cs) < 2:
            continue
        base = cs[0]
        ms = _metrics_for([r for r in runs if r["workload"] == w], SUMMARY_METRICS)
        lines.append(f"#### `{w}`: each contender against `{base}` (ranges of repeated runs; "
                     "\"no difference shown\" where they overlap)")
        lines.append("")
        lines.append("| contender | " + " | ".join(m[0] for m in ms) + " |")
        lines.append("|---" * (len(ms) + 1) + "|")
        for c in cs[1:]:
            cells = []
            for _, f, fmt in ms:
                a = [x for x in (f(r) for r in g[(w, c)]) if x is not None]
                b = [x for x in (f(r) for r in g[(w, base)]) if x is not None]
                cells.append(verdict(a, b, fmt))
            lines.append(f"| {c} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def _acts(r, early=None):
    a = r.get("defragd_actions")
    return None if a is None else [x for x in a if early is None or x["early"] == early]


# defragd's own actions, from its log (bench/collect.py): how often it acted,
# how often early (started at or above the low mark), what it gained
ACTION_METRICS = [
    ("actions", lambda r: None if _acts(r) is None else len(_acts(r)), "{:.0f}"),
    ("of them early", lambda r: None if _acts(r) is None else len(_acts(r, True)), "{:.0f}"),
    ("blocks gained (sum)", lambda r: None if _acts(r) is None else
        sum(x["after"] - x["before"] for x in _acts(r) if x["after"] is not None), "{:.0f}"),
    ("action time s", lambda r: None if _acts(r) is None else sum(x["ms"] for x in _acts(r)) / 1000, "{:.2f}"),
    # from `defragctl status` at the end (its last 16 actions), against the window's start
    ("first action at s", lambda r: _first_action_sec(r), "{:.0f}"),
    ("defragd CPU s", lambda r: r["cpu_sec"]["defragd"], "{:.2f}"),
    ("evaluations", lambda r: (r.get("defragd_status") or {}).get("evaluations"), "{:.0f}"),
]


def _first_action_sec(r):
    st, t0 = r.get("defragd_status") or {}, r.get("t0_realtime")
    ts = [a["realtime_usec"] / 1e6 - t0 for a in st.get("recent_actions") or [] if not a.get("dry_run")]
    return min(ts) if ts and t0 else None


def actions_table(runs):
    rs = [r for r in runs if r.get("defragd_actions") is not None]
    if not rs:
        return ""
    g = groups(rs)
    lines = ["#### defragd's actions (its log): median (min–max)", "",
             "| workload | contender | " + " | ".join(m[0] for m in ACTION_METRICS) + " |",
             "|---|---" + "|---" * len(ACTION_METRICS) + "|"]
    for (w, c), grp in g.items():
        cells = []
        for _, f, fmt in ACTION_METRICS:
            v = [x for x in (f(r) for r in grp) if x is not None]
            cells.append(cell(v, fmt) if v else "–")
        lines.append(f"| {w} | {c} | " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)


def _trend_row(r):
    """drain: when the daemon's trend first predicted the low mark, what it
    predicted, and when the watched zone really crossed it."""
    z, low = r.get("watched_zone"), (r.get("drain") or {}).get("low")
    fits = [(x["t"], x["cells"][z]) for x in r.get("trend") or [] if z in x["cells"] and x["cells"][z]["fit"]]
    preds = [(t, c["seconds_to_low"]) for t, c in fits if c["seconds_to_low"] is not None]
    crossed = next((x["t"] for x in r["series"] if x.get("zones", {}).get(z, low) < low), None)
    acts = _acts(r) or []
    first = _first_action_sec(r)
    f = lambda v, fmt="{:.0f}": "–" if v is None else fmt.format(v)  # noqa: E731
    return (f"| {r['contender']} | {r['rep']} | {f(_zone_blocks(r)[0] if _zone_blocks(r) else None)} | "
            f"{f(fits[0][0] if fits else None)} | {f(preds[0][0] if preds else None)} | "
            f"{f(preds[0][0] + preds[0][1] if preds else None)} | "
            f"{', '.join(f'{s:.0f}' for _, s in preds[:8]) or '–'} | {f(crossed)} | {f(first)} | "
            f"{len([a for a in acts if a['early']])} | {len(acts)} |")


def trend_table(runs):
    rs = [r for r in runs if r.get("watched_zone") and r.get("trend")]
    if not rs:
        return ""
    lines = ["#### The trend as the daemon saw it (`defragctl status --json` every few seconds)", "",
             "| contender | rep | watched zone blocks at t=0 | first fit at s | first prediction at s | "
             "predicted crossing at s | seconds_to_low, first 8 predictions | crossed Low at s | first action at s | "
             "early actions | actions |",
             "|---" * 11 + "|"]
    lines += [_trend_row(r) for r in sorted(rs, key=lambda r: (r["workload"], r["contender"], r["rep"]))]
    lines.append("")
    return "\n".join(lines)


def demand_table(runs, machine):
    lines = [f"Machine: {machine['cpu']}, {machine['ncpu']} CPUs, {machine['mem_total_kib'] >> 20} GiB; "
             f"kernel {machine['kernel']}; THP enabled {machine['thp_enabled']}, defrag {machine['thp_defrag']}; "
             f"vm.compaction_proactiveness {machine['compaction_proactiveness']}, "
             f"vm.watermark_boost_factor {machine.get('watermark_boost_factor')}, vm.defrag_mode {machine['defrag_mode']}; "
             f"{machine['date']}.", ""]
    g = groups(runs)
    for w in dict.fromkeys(r["workload"] for r in runs):
        rs = [r for r in runs if r["workload"] == w]
        n_c = len({r["contender"] for r in rs})
        lines.append(f"### Workload `{w}`: median (min–max) of {len(rs) // max(1, n_c)} runs per contender; "
                     f"window {rs[0]['window_sec']:.0f} s, consumer {rs[0]['consumer']['regions'] // max(1, rs[0]['consumer']['rounds']) * 2} MiB "
                     f"per round")
        lines.append("")
        lines.append("| contender | " + " | ".join(m[0] for m in DEMAND_METRICS) + " |")
        lines.append("|---" * (len(DEMAND_METRICS) + 1) + "|")
        for c in dict.fromkeys(r["contender"] for r in rs):
            cells = []
            for _, f, fmt in DEMAND_METRICS:
                v = [x for x in (f(r) for r in g[(w, c)]) if x is not None]
                cells.append(cell(v, fmt) if v else "–")
            lines.append(f"| {c} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def demand_plots(runs, d):
    gp = shutil.which("gnuplot")
    if not gp:
        print("report: gnuplot not found; no plots", file=sys.stderr)
        return
    g = groups(runs)
    tmp = os.path.join(d, "tmp")
    os.makedirs(tmp, exist_ok=True)
    for w in dict.fromkeys(r["workload"] for r in runs):
        cs = list(dict.fromkeys(r["contender"] for r in runs if r["workload"] == w))
        # fault latency CDF: all runs of a contender pooled
        cdf = []
        for i, c in enumerate(cs):
            hist = [sum(col) for col in zip(*(r["latency_hist"] for r in g[(w, c)]))]
            per_octave = g[(w, c)][0]["latency_hist_per_octave"]
            fn = os.path.join(tmp, f"{w}-{c}-cdf.dat")
            total, acc = sum(hist), 0
            with open(fn, "w") as f:
                for b, n in enumerate(hist):
                    if n:
                        acc += n
                        f.write(f"{2 ** ((b + 1) / per_octave) / 1000:.6f} {acc / total:.6f}\n")
            cdf.append((c, i + 1, fn))
        # free order-9 blocks and THP share per round, every run
        series, rounds = [], []
        for i, c in enumerate(cs):
            for k, r in enumerate(sorted(g[(w, c)], key=lambda r: r["rep"])):
                fn = os.path.join(tmp, f"{w}-{c}-{r['rep']}-free.dat")
                with open(fn, "w") as f:
                    for smp in r["series"]:
                        f.write(f"{smp['t']} {smp['free_order9']}\n")
                series.append((c, i + 1, k == 0, fn))
                fn = os.path.join(tmp, f"{w}-{c}-{r['rep']}-rounds.dat")
                with open(fn, "w") as f:
                    for rd in r["rounds"]:
                        f.write(f"{rd['t_sec']} {100 * rd['huge'] / max(1, rd['regions'])} {rd['p99_usec'] / 1000}\n")
                rounds.append((c, i + 1, k == 0, fn))
        cost = os.path.join(tmp, f"{w}-cost.dat")
        with open(cost, "w") as f:
            for i, c in enumerate(cs):
                t = [_cpu_total(r) for r in g[(w, c)]]
                rf = [r["window"]["refaults"] for r in g[(w, c)]]
                f.write(f"{i} \"{c}\" {statistics.median(t)} {min(t)} {max(t)} {statistics.median(rf)} {min(rf)} {max(rf)}\n")
        plot_cdf = ", ".join(f"'{fn}' using 1:2 with steps lw 2 lc {i} title '{c}'" for c, i, fn in cdf)
        plot_free = ", ".join(f"'{fn}' using 1:2 with lines lw 2 lc {i} " + (f"title '{c}'" if first else "notitle")
                              for c, i, first, fn in series)
        plot_thp = ", ".join(f"'{fn}' using 1:2 with linespoints lw 1 pt 7 ps 0.4 lc {i} " + (f"title '{c}'" if first else "notitle")
                             for c, i, first, fn in rounds)
        script = f"""
set terminal pngcairo size 900,500 noenhanced
set key outside right
set grid
set output '{d}/{w}-latency-cdf.png'
set title 'Workload {w}: first-touch fault latency per 2 MiB, all runs pooled'
set xlabel 'latency, ms (log)'
set ylabel 'fraction of faults at or below'
set logscale x
set yrange [0:1.02]
plot {plot_cdf}
unset logscale x
set autoscale
set output '{d}/{w}-free-blocks.png'
set title 'Workload {w}: free blocks usable for order 9 (all zones), every run'
set xlabel 'seconds since the contender started'
set ylabel 'free order-9 blocks'
plot {plot_free}
set output '{d}/{w}-thp-rounds.png'
set title 'Workload {w}: THP share of each consumer round, every run'
set ylabel 'percent of 2 MiB regions backed by a THP'
set yrange [0:105]
plot {plot_thp}
set output '{d}/{w}-cost.png'
set title '{w}: CPU of kcompactd, kswapd, khugepaged, defragd; refaults (median, min-max)'
set offsets 0, 0, graph 0.08, 0
set yrange [0:*]
set xrange [-0.5:{len(cs) - 0.5}]
set style fill solid 0.5
set boxwidth 0.35
set xtics rotate by -20
unset xlabel
set ylabel 'CPU seconds in the window'
set y2label 'refaults (workingset_refault_*)'
set y2tics
set y2range [0:*]
plot '{cost}' using ($1-0.18):3:4:5:(0.35):xtic(2) axes x1y1 with boxerrorbars title 'CPU s', \\
     '{cost}' using ($1+0.18):6:7:8:(0.35) axes x1y2 with boxerrorbars title 'refaults'
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
    demand = [r for r in runs if r.get("kind") == "demand-bench"]
    classic = [r for r in runs if r.get("kind") != "demand-bench"]
    md = "\n".join(x for x in (table(classic, machine) if classic else "",
                               summary_table(demand) if demand else "",
                               compare_table(demand) if demand else "",
                               actions_table(demand) if demand else "",
                               trend_table(demand) if demand else "",
                               demand_table(demand, machine) if demand else "") if x)
    with open(os.path.join(d, "results.md"), "w") as f:
        f.write(md + "\n")
    print(md)
    if "--no-plots" not in sys.argv:
        if classic:
            plots(classic, d)
        if demand:
            demand_plots(demand, d)
    return 0


if __name__ == "__main__":
    sys.exit(main())
