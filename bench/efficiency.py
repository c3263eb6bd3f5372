#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# efficiency: pages moved per free 2 MiB block produced, beside the planner's
# physical lower bound for the same state (issue 11). Every run starts from
# the same kind of state: memory compacted, then all free memory fragmented by
# two fragmenters of different density (one page kept in 8 over half of it,
# one in 64 over the other half), so blocks differ in what clearing them
# costs. At that moment `defragctl plan --json` reads every page's flags and
# gives each block's cost (its used pages); then one method acts alone:
#   node-compact   whole-node compaction (nodeN/compact: what defragd's
#                  compaction rung writes, and what an administrator would)
#   kcompactd      vm.compaction_proactiveness=100 for --kcompactd-sec
#   clear-offline  defragd, ladder clear-offline alone, asked for --want more
#                  free blocks in --zone (Normal)
#   clear-kmod     defragd, ladder clear-kmod alone (the companion module,
#                  where it is loaded: the guest benchmark), the same ask
# and the harness records the free order-9 blocks gained, pages migrated
# (pgmigrate_success) and reclaimed (pgsteal), the CPU, and the bound: the
# fewest pages that must move for that many blocks (the cheapest blocks'
# costs summed; block granularity, and memory-block granularity for what
# offlining can reach).
"""Usage: efficiency.py --build BUILD_DIR --out DIR [options]; efficiency.py --report DIR."""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (KNOBS, USER_HZ, Defragd, Restoring, buddyinfo, cpu_busy_ticks, delta,  # noqa: E402
                      fragment_compacted, free_suitable_blocks, kthread_ticks, kthreads, log, machine, meminfo_kib,
                      on_signal, parse_bytes, stop_children, take_lock, vmstat)

METHODS = ("node-compact", "kcompactd", "clear-offline", "clear-kmod")
NODE_COMPACT = "/sys/devices/system/node/node0/compact"
KMOD_SYSFS = "/sys/kernel/defragd_clear"
# defragd with one clearing rung alone, asked for `want` free blocks in `zone`
CLEAR_CONF = """[Daemon]
PollIntervalSec=1s
Zones={zone}
PressureGuardPercent=0
MaxActionsPerHour=0
[Ladder]
Order={method}
[Probes]
Enable=no
[Planner]
# the whole zone read in one evaluation: the choice rests on a full view
SlicePages=67108864
MaxAgeSec=0
[ClearOffline]
CooldownSec=1s
MaxActionsPerHour=0
[ClearKmod]
CooldownSec=1s
MaxActionsPerHour=0
[Order9]
Low={want}
High={want}
"""


# ---------------------------------------------------------------- state
def pcp_pages():
    """Free pages held in the per-CPU lists, per zone (/proc/zoneinfo
    "count:" of each CPU's pageset): free, yet not in the buddy lists, so
    they keep their 2 MiB blocks from merging until drained."""
    out, zone = {}, None
    for line in open("/proc/zoneinfo"):
        f = line.split()
        if line.startswith("Node"):
            zone = f[3]
        elif f[:1] == ["count:"] and zone:
            out[zone] = out.get(zone, 0) + int(f[1])
    return out


def fragment(args, seed):
    """Compacted, then all free memory (less the margin) fragmented: the first
    half one page kept in --dense, the second in --sparse (fresh THPs split
    and punched, 64 MiB at a time). Proactive compaction off while filling."""
    if args.pcp_fraction:
        # small per-CPU lists from the fill on, until the run is measured
        KNOBS.set("percpu_pagelist_high_fraction", args.pcp_fraction)
    total = args.fill_bytes or max(128 << 20, meminfo_kib("MemFree") * 1024 - args.margin_bytes)
    half = total // 2 // (64 << 20) * (64 << 20)
    layers = (("dense", args.dense, seed), ("sparse", args.sparse, seed + 1))
    started = fragment_compacted([[args.fragmenter, "--size", str(half), "--keep-one-in", str(keep), "--hold",
                                   "--seed", str(s), "--fill-huge"] for _, keep, s in layers])
    return [p for p, _ in started], {name: i.get("FRAGMENTED", {}) for (name, _, _), (_, i) in zip(layers, started)}


def plan_costs(args):
    """Costs of every block the planner would clear, per zone, from one
    `defragctl plan --json` over every watched zone: block -> [cost] (each
    frees one block), memory_block -> [(cost, gain)]."""
    t = time.monotonic()
    r = subprocess.run([args.defragctl, "plan", "--json", "--costs", "--blocks", str(1 << 20)], capture_output=True,
                       text=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError(f"defragctl plan: exit {r.returncode}: {r.stderr.strip()}")
    d = json.loads(r.stdout)
    out = {"per_zone": {}, "zones": {}, "sec": round(time.monotonic() - t, 2), "scan_usec": d.get("scan_usec")}
    for z in d["zones"]:
        pz = out["per_zone"].setdefault(z["zone"], {"block": [], "memory_block": []})
        for p in z["plans"]:
            if p["granularity"] == "block":
                pz["block"] += [cost for cost, n in p["costs"] for _ in range(n)]
                out["zones"][z["zone"]] = {"blocks": z["blocks"], "already_free": p["already_free"],
                                           "candidates": p["candidates"], "skipped_unmovable": p["skipped_blocking"],
                                           "bound_blocks": p["bound_blocks"], "bound_pages": p["bound_pages"]}
            else:
                pz["memory_block"] += [(cost, gain) for cost, gain in p["costs"] if gain]
    return out


def costs_for(plan, zones):
    """Block costs (ascending) and memory-block (cost, gain) by cost per block, over these zones."""
    block, mb = [], []
    for z in zones:
        pz = plan["per_zone"].get(z, {"block": [], "memory_block": []})
        block += pz["block"]
        mb += pz["memory_block"]
    return sorted(block), sorted(mb, key=lambda cg: cg[0] / cg[1])


def bound_pages(costs, k):
    """Fewest pages moved for k more free blocks: the k cheapest blocks
    (None when fewer than k can be cleared)."""
    if k <= 0:
        return 0
    return sum(costs[:k]) if len(costs) >= k else None


def bound_memblock_pages(cg, k):
    """The same when only whole memory blocks can be cleared (offlining)."""
    moved = gained = 0
    for cost, gain in cg:
        if gained >= k:
            break
        moved, gained = moved + cost, gained + gain
    return moved if gained >= k else None


def free_blocks(zone=None):
    return free_suitable_blocks([b for b in buddyinfo() if zone is None or b[1] == zone])


# ---------------------------------------------------------------- methods
def act(args, method, tmp, free0_zone):
    """Runs one method; returns what it says of itself."""
    if method == "node-compact":
        t = time.monotonic()
        with open(NODE_COMPACT, "w") as f:
            f.write("1")
        return {"sec": round(time.monotonic() - t, 3)}
    if method == "kcompactd":
        KNOBS.set("compaction_proactiveness", 100)
        try:
            time.sleep(args.kcompactd_sec)
        finally:
            KNOBS.restore("compaction_proactiveness")
        return {"sec": args.kcompactd_sec}
    want = free0_zone + args.want
    d = Defragd(args.defragd, args.defragctl, CLEAR_CONF.format(want=want, zone=args.zone, method=method), tmp, method)
    t = time.monotonic()
    d.start()
    while time.monotonic() - t < args.clear_sec and free_blocks(args.zone) < want:
        time.sleep(0.5)
    sec = round(time.monotonic() - t, 1)
    st = d.status_json() or {}
    s = d.stop()
    c = (st.get("clearing") or {}).get(method) or {}
    return {"sec": sec, "want": want, "reached": free_blocks(args.zone) >= want, "exit": s.get("exit"),
            "cpu_sec": round(s.get("ticks", 0) / USER_HZ, 2), "runs": c.get("runs"), "cleared": c.get("cleared"),
            "lever_pages_moved": c.get("pages_moved"), "lever_planned_pages": c.get("planned_pages"),
            "lever_gain_blocks": c.get("gain_blocks"), "log": d.logpath}


def one_run(args, method, rep, seed):
    tmp = os.path.join(args.out, "tmp", f"{rep}-{method}")
    os.makedirs(tmp, exist_ok=True)
    t0 = time.monotonic()
    procs, info = fragment(args, seed)
    setup_sec = round(time.monotonic() - t0, 1)
    plan = plan_costs(args)
    time.sleep(1)
    kt = kthreads()
    b0 = {"all": free_blocks(), args.zone: free_blocks(args.zone)}
    pcp0 = pcp_pages()
    v0, k0, busy0 = vmstat(), kthread_ticks(kt), cpu_busy_ticks()
    res = act(args, method, tmp, b0[args.zone])
    time.sleep(1)  # pages freed by the last migrations reach the buddy lists
    v1, k1, busy1 = vmstat(), kthread_ticks(kt), cpu_busy_ticks()
    b1 = {"all": free_blocks(), args.zone: free_blocks(args.zone)}
    pcp1 = pcp_pages()
    KNOBS.restore("percpu_pagelist_high_fraction")
    for p in procs:
        p.stdin.close()
    stop_children()
    d = delta(v0, v1)
    zone = args.zone if method.startswith("clear-") else "all"
    gained = b1[zone] - b0[zone]
    moved, reclaimed = d.get("pgmigrate_success", 0), d.get("pgsteal", 0)
    # the bound for the blocks gained, over the zones the method could act in
    costs, cg = costs_for(plan, list(plan["per_zone"]) if zone == "all" else [zone])
    bound = bound_pages(costs, gained)
    bound_mb = bound_memblock_pages(cg, gained)
    kc = {k: round((k1[k] - k0[k]) / USER_HZ, 2) for k in k1}
    r = {"kind": "efficiency", "method": method, "rep": rep, "seed": seed, "setup_sec": setup_sec, "fill": info,
         "plan": {k: plan[k] for k in ("zones", "sec", "scan_usec")}, "zone": zone,
         "blocks_before": b0, "blocks_after": b1, "pcp_before": pcp0, "pcp_after": pcp1,
         "pcp_fraction": args.pcp_fraction, "gained": gained, "pages_migrated": moved, "pages_reclaimed": reclaimed,
         "compact_migrate_scanned": d.get("compact_migrate_scanned", 0),
         "compact_free_scanned": d.get("compact_free_scanned", 0),
         "bound_pages": bound, "bound_memblock_pages": bound_mb,
         "per_block": round((moved + reclaimed) / gained, 2) if gained > 0 else None,
         "bound_per_block": round(bound / gained, 2) if bound and gained > 0 else None,
         "ratio": round((moved + reclaimed) / bound, 3) if bound else None,
         "ratio_memblock": round((moved + reclaimed) / bound_mb, 3) if bound_mb else None,
         "cpu_sec": kc, "other_busy_sec": round((busy1 - busy0) / USER_HZ, 2), "method_result": res}
    return r


# ---------------------------------------------------------------- report
def fmt(xs, nd=1):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "–"
    m, lo, hi = statistics.median(xs), min(xs), max(xs)
    f = (lambda v: f"{v:,.{nd}f}") if nd else (lambda v: f"{v:,.0f}")
    return f(m) if lo == hi else f"{f(m)} ({f(lo)}–{f(hi)})"


def load_rows(path):
    return [json.loads(x) for x in open(os.path.join(path, "results.jsonl")) if x.strip()]


def report(rows):
    out = ["| method | runs | blocks gained | pages migrated | pages reclaimed | pages per block | bound per block "
           "(same blocks) | moved / bound | moved / memory-block bound | time s |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for m in METHODS:
        rs = [r for r in rows if r["method"] == m]
        if not rs:
            continue
        out.append(f"| {m} | {len(rs)} | {fmt([r['gained'] for r in rs], 0)} | {fmt([r['pages_migrated'] for r in rs], 0)} | "
                   f"{fmt([r['pages_reclaimed'] for r in rs], 0)} | {fmt([r['per_block'] for r in rs])} | "
                   f"{fmt([r['bound_per_block'] for r in rs])} | {fmt([r['ratio'] for r in rs], 2)} | "
                   f"{fmt([r['ratio_memblock'] for r in rs], 2)} | {fmt([r['method_result']['sec'] for r in rs])} |")
    return "\n".join(out) + "\n"


def plot(rows, path):
    """DIR/efficiency.png: pages per block gained per method (median, min-max)
    beside the bound for the same blocks; log scale (they differ by 10x+)."""
    import shutil
    gp = shutil.which("gnuplot")
    if not gp or not rows:
        log("no gnuplot or no rows: no plot")
        return
    dat = os.path.join(path, "efficiency.dat")
    n = 0
    with open(dat, "w") as f:
        for m in METHODS:
            rs = [r for r in rows if r["method"] == m and r["per_block"] and r["bound_per_block"]]
            if not rs:
                continue
            a, b = [r["per_block"] for r in rs], [r["bound_per_block"] for r in rs]
            f.write(f'{n} "{m}" {statistics.median(a)} {min(a)} {max(a)} {statistics.median(b)} {min(b)} {max(b)}\n')
            n += 1
    script = f"""
set terminal pngcairo size 900,500 noenhanced
set output '{path}/efficiency.png'
set title 'Pages moved per free 2 MiB block gained, and the planner bound (median, min-max)'
set key top right
set grid ytics
set logscale y
set xrange [-0.5:{n - 0.5}]
set style fill solid 0.5
set boxwidth 0.35
set ylabel 'pages per block (log)'
plot '{dat}' using ($1-0.18):3:4:5:(0.35):xtic(2) with boxerrorbars title 'moved', \\
     '{dat}' using ($1+0.18):6:7:8:(0.35) with boxerrorbars title 'bound (planner)'
"""
    r = subprocess.run([gp], input=script, text=True, capture_output=True)
    if r.returncode != 0:
        log(f"gnuplot failed: {r.stderr.strip()}")


# ---------------------------------------------------------------- main
def missing(method):
    """Why a method cannot run on this machine, or None."""
    if method == "node-compact" and not os.access(NODE_COMPACT, os.W_OK):
        return f"no {NODE_COMPACT} (CONFIG_NUMA=n)"
    if method == "clear-kmod" and not os.path.isdir(KMOD_SYSFS):
        return f"the companion module is not loaded ({KMOD_SYSFS} missing: modprobe defragd_clear)"
    if method == "clear-offline":
        mem = "/sys/devices/system/memory"
        try:
            removable = any(open(f"{mem}/{d}/removable").read().strip() == "1"
                            for d in os.listdir(mem) if d.startswith("memory"))
        except OSError:
            removable = False
        if not removable:
            return f"no memory block the kernel can offline ({mem}/memory*/removable)"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", help="meson build directory (fragmenter, defragd, defragctl)")
    ap.add_argument("--out", help="results directory (results.jsonl, results.md)")
    ap.add_argument("--report", metavar="DIR", help="only print the table of DIR/results.jsonl")
    ap.add_argument("--methods", default=",".join(METHODS), help="comma list of " + ", ".join(METHODS))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--first-rep", type=int, default=0)
    ap.add_argument("--fill-bytes", type=parse_bytes, default=0, help="both fragmenters together; 0 = all free memory")
    ap.add_argument("--margin-bytes", type=parse_bytes, default=parse_bytes("512M"))
    ap.add_argument("--dense", type=int, default=8, help="first half: one page kept in this many")
    ap.add_argument("--sparse", type=int, default=64, help="second half: one page kept in this many")
    ap.add_argument("--kcompactd-sec", type=float, default=60.0)
    ap.add_argument("--pcp-fraction", type=int, default=1000000,
                    help="vm.percpu_pagelist_high_fraction from the fill until the run is measured: the per-CPU "
                         "lists stay small, so free pages they hold do not hide blocks from the count (0: as configured)")
    ap.add_argument("--zone", default="Normal", help="clear-*: the zone defragd watches (DMA32 below 4 GiB)")
    ap.add_argument("--want", type=int, default=256, help="clear-*: free blocks asked of --zone above the start")
    ap.add_argument("--clear-sec", type=float, default=180.0, help="clear-*: give up after this")
    ap.add_argument("--fragmenter", help="default: BUILD/tests/helpers/fragmenter")
    ap.add_argument("--defragd", help="default: BUILD/daemon/defragd")
    ap.add_argument("--defragctl", help="default: BUILD/daemon/defragctl")
    ap.add_argument("--smoke", action="store_true", help="smallest setting (test suite): the pipeline, not the numbers")
    args = ap.parse_args()
    if args.report:
        rows = load_rows(args.report)
        print(report(rows), end="")
        plot(rows, args.report)
        return 0
    if not args.out or not (args.build or (args.fragmenter and args.defragd and args.defragctl)):
        ap.error("--out and --build (or --fragmenter, --defragd and --defragctl) are required, or --report DIR")
    explicit = args.methods != ap.get_default("methods")
    methods = args.methods.split(",")
    for m in methods:
        if m not in METHODS:
            print(f"efficiency: --methods: '{m}' unknown; accepted: {', '.join(METHODS)}", file=sys.stderr)
            return 2
    for m in list(methods):
        why = missing(m)
        if not why:
            continue
        if explicit:
            print(f"efficiency: SKIP: method {m}: {why}")
            return 77
        log(f"method {m} left out: {why}")
        methods.remove(m)
    if not methods:
        print("efficiency: SKIP: no method can run here")
        return 77
    if os.geteuid() != 0:
        print("efficiency: SKIP: needs root (compact, sysctls, kpageflags, memory offlining)")
        return 77
    if args.smoke:
        args.reps, args.fill_bytes, args.kcompactd_sec, args.want, args.clear_sec = 1, 512 << 20, 2.0, 64, 60.0
    args.fragmenter = args.fragmenter or os.path.join(args.build, "tests", "helpers", "fragmenter")
    args.defragd = args.defragd or os.path.join(args.build, "daemon", "defragd")
    args.defragctl = args.defragctl or os.path.join(args.build, "daemon", "defragctl")
    for p in (args.fragmenter, args.defragd, args.defragctl):
        if not os.access(p, os.X_OK):
            print(f"efficiency: {p} is missing or not executable; build first (meson compile -C BUILD)", file=sys.stderr)
            return 1
    lock = take_lock(60 if args.smoke else 3600)
    if lock is None:
        print("efficiency: SKIP: another benchmark holds the harness lock")
        return 77
    os.makedirs(os.path.join(args.out, "tmp"), exist_ok=True)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    with open(os.path.join(args.out, "machine.json"), "w") as f:
        json.dump(machine(), f, indent=1)
    rc = 0
    with Restoring() as session:
        with open(os.path.join(args.out, "results.jsonl"), "a") as out:
            for rep in range(args.first_rep, args.first_rep + args.reps):
                order = methods[rep % len(methods):] + methods[:rep % len(methods)]
                for m in order:
                    r = one_run(args, m, rep, seed=2000 + rep)
                    out.write(json.dumps(r) + "\n")
                    out.flush()
                    log(f"{m:13s} rep {rep}: setup {r['setup_sec']} s, +{r['gained']} blocks ({r['zone']}), "
                        f"{r['pages_migrated']} migrated + {r['pages_reclaimed']} reclaimed = {r['per_block']} per block; "
                        f"bound {r['bound_per_block']} per block, ratio {r['ratio']} (memory blocks {r['ratio_memblock']})")
    rc = 130 if session.interrupted else rc
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(report(load_rows(args.out)))
    return rc


if __name__ == "__main__":
    sys.exit(main())
