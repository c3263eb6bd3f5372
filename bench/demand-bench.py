#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# demand-bench: what users feel (issue 11). A consumer maps MADV_HUGEPAGE
# regions every few seconds while memory is refragmented (demand) or polluted
# with unmovable kernel memory (polluted); each contender runs the same window
# in rotated order; per run: fault latency, THP share, stalls, and the cost.
# Workload drain (issue 12): the free 2 MiB blocks of Normal fall steadily
# through defragd's low mark while the consumer keeps taking huge pages.
"""Usage: demand-bench.py --build BUILD_DIR --out DIR [options]; see --help."""

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (Restoring, CHILDREN, DEFRAGD_CONFIGS, KNOBS, LOCK_PATH, USER_HZ, VM, Defragd,  # noqa: E402
                      buddy_free_kib, buddyinfo, compaction_scores, cpu_busy_ticks, delta, free_by_order,
                      free_suitable_blocks, kthread_ticks, kthreads, log, machine, meminfo_kib, on_signal,
                      fragment_compacted, parse_bytes, parse_kv_line, read_until, proc_children_ticks, proc_ticks,
                      stop_child, take_lock, vmstat, zone_present_pages)

WORKLOADS = ("demand", "polluted", "drain")
# Kernel contenders: name -> knobs written for the window (restored after).
KERNEL_CONTENDERS = {
    "kernel": {},
    "pro100": {"compaction_proactiveness": 100},
    "defrag_mode": {"defrag_mode": 1},
    "wbf0": {"watermark_boost_factor": 0},  # how several distributions run
}
# While the polluter sets up: kswapd and the per-CPU lists out of the way, so
# the pollution lands in every pageblock (docs/benchmarks.md, "polluted").
# All restored before the contender starts.
POLLUTE_SETUP_KNOBS = {
    "compaction_proactiveness": 0,
    "watermark_boost_factor": 0,
    "percpu_pagelist_high_fraction": 1000000,
}
# drain: the zone the drain targets and defragd watches (the THP faults of
# the drain, like every user allocation, take Normal's blocks first).
DRAIN_ZONE = "Normal"
# Latency histogram: 16 buckets per power of two from 1 us (bucket i holds
# [2^(i/16), 2^((i+1)/16)) us); 16 * 28 reaches 2^28 us (~4.5 min).
HIST_PER_OCTAVE = 16
HIST_BUCKETS = HIST_PER_OCTAVE * 28
# Metrics a run record must carry (the smoke test checks each).
REQUIRED = ("consumer.rounds", "consumer.thp_share", "consumer.p50_usec", "consumer.p99_usec", "consumer.max_usec",
            "consumer.cpu_p99_usec",
            "consumer.compact_count", "consumer.reclaim_count", "window.compact_stall", "window.allocstall",
            "window.pgmigrate_success", "window.pgsteal", "window.refaults", "cpu_sec.kcompactd", "cpu_sec.kswapd",
            "cpu_sec.khugepaged", "cpu_sec.defragd", "other_cpu_pct", "series", "latency_hist")


def hist_bucket(usec):
    return min(HIST_BUCKETS - 1, max(0, int(math.floor(math.log2(max(usec, 1.0)) * HIST_PER_OCTAVE))))


# ---------------------------------------------------------------- contenders
class Contender:
    def __init__(self, name, args, base_conf=""):
        self.name, self.args, self.base_conf = name, args, base_conf
        self.defragd = None

    def start(self):
        if self.name in KERNEL_CONTENDERS:
            for k, v in KERNEL_CONTENDERS[self.name].items():
                KNOBS.set(k, v)
            return
        self.defragd = Defragd(self.args.defragd, self.args.defragctl, self.base_conf + self.args.defragd_configs[self.name],
                               os.path.join(self.args.out, "tmp"), self.name)
        self.defragd.start()

    def stop(self):
        s = {}
        if self.defragd:
            s = self.defragd.stop()
        for k in KERNEL_CONTENDERS.get(self.name, {}):
            KNOBS.restore(k)
        return s


# ---------------------------------------------------------------- setup
def fill_size(args):
    """All free memory (a high-order request is served by any unfragmented
    rest), minus a margin, capped so the held share stays under the cap."""
    if args.fill_bytes:
        return args.fill_bytes
    free = meminfo_kib("MemFree") * 1024 - args.margin_bytes
    size = max(64 << 20, min(free, args.max_held_bytes * args.keep_one_in))
    return size // (64 << 20) * (64 << 20)


def setup_fragmented(args, seed, extra=(), window_proactiveness=None, fill_huge=None):
    """Every run starts compacted, then all free memory is fragmented anew
    (fragmenter --fill-huge: also initialises deferred memory). No proactive
    compaction while filling (every contender starts from the same state);
    with window_proactiveness, the knob stays at that value for the window
    (one_run restores it when the window ends)."""
    cmd = [args.fragmenter, "--size", str(fill_size(args)), "--keep-one-in", str(args.keep_one_in), "--hold",
           "--seed", str(seed)] + (["--fill-huge"] if (args.fill_huge if fill_huge is None else fill_huge) else []) + list(extra)
    [(p, info)] = fragment_compacted([cmd])
    if window_proactiveness is not None:
        KNOBS.set("compaction_proactiveness", window_proactiveness)
    return p, info


def setup_demand(args, seed):
    return setup_fragmented(args, seed)


def drain_start_blocks(args):
    """Free blocks the drain starts from: the low mark plus what the drain
    eats until the crossing point of the window."""
    return args.drain_low + int(round(args.drain_rate * args.window * args.drain_cross))


def setup_drain(args, seed):
    """As demand, but the fill leaves drain_start_blocks() whole THPs of
    Normal (the zone it starts in) free, and the fragmenter then drains at
    --drain-rate from the first line on its stdin (the window's t=0)."""
    return setup_fragmented(args, seed, ["--reserve-blocks", str(drain_start_blocks(args)),
                                         "--drain-rate", f"{args.drain_rate:g}"],
                            None if args.drain_proactiveness == "keep" else int(args.drain_proactiveness),
                            fill_huge=True)  # the reserve is THPs of the fill


def drain_defragd_config(args):
    """What the drain workload gives every defragd contender, before the
    contender's own text: its watched zone and the marks the drain crosses.
    DMA32 is left out: the fill drains it too, and a short DMA32 at t=0 would
    make every daemon compact at once, whatever its trigger."""
    return f"[Daemon]\nZones={DRAIN_ZONE}\n[Order9]\nLow={args.drain_low}\nHigh={args.drain_high}\n"


SETUP = {"demand": setup_demand, "polluted": None, "drain": setup_drain}  # polluted: set below


def zone_blocks(bi):
    """Free order-9 blocks per zone (order >= 9 in order-9 units), DMA left out."""
    out = {}
    for row in bi:
        if row[1] != "DMA":
            out[row[1]] = out.get(row[1], 0) + free_suitable_blocks([row])
    return out


def sample(bi, present, t):
    return {"t": t, "free_order9": free_suitable_blocks(bi), "zones": zone_blocks(bi), "by_order": free_by_order(bi),
            "score": max(compaction_scores(bi, present).values(), default=0)}


def status_trend(st):
    """{zone: {blocks, state, slope, seconds_to_low}} of the order-9 cells
    in a `defragctl status --json` (seconds_to_low None: rising or flat;
    the trend None: no fit yet)."""
    out = {}
    for z in (st or {}).get("zones", []):
        for o in z.get("orders", []):
            if o.get("order") == 9 and "state" in o:
                t = o.get("trend")
                out[z["zone"]] = {"blocks": o["suitable_blocks"], "state": o["state"],
                                  "slope": t and t.get("slope_blocks_per_sec"),
                                  "seconds_to_low": t and t.get("seconds_to_low"), "fit": t is not None}
    return out


def setup_polluted(args, seed):
    cmd = [args.polluter, "--dir", args.dir, "--hold", "--seed", str(seed)] + args.polluter_args
    for k, v in POLLUTE_SETUP_KNOBS.items():
        KNOBS.set(k, v)
    # DMA32's lowmem protection off too: else Normal-zone allocations cannot
    # reach DMA32's holes and its pageblocks stay clean
    lrr = open(VM + "lowmem_reserve_ratio").read().split()
    if len(lrr) > 1:
        lrr[1] = "0"
        KNOBS.set("lowmem_reserve_ratio", " ".join(lrr))
    try:
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        CHILDREN.append(p)
        info = read_until(p, "READY", cmd)
    finally:
        for k in list(POLLUTE_SETUP_KNOBS) + ["lowmem_reserve_ratio"]:
            KNOBS.restore(k)
    return p, info


SETUP["polluted"] = setup_polluted


def end_holder(p):
    """The fragmenter or polluter: EOF on stdin ends its hold; it cleans up."""
    ticks = proc_ticks(p.pid)
    try:
        p.stdin.close()
        p.wait(timeout=120)
    except subprocess.TimeoutExpired:
        p.terminate()
        p.wait()
    if p in CHILDREN:
        CHILDREN.remove(p)
    tail = {}
    for line in p.stdout.read().splitlines():
        kind, kv = parse_kv_line(line)
        tail[kind] = kv
    return ticks, tail


def blockscan(args):
    """Pageblocks free / movable-only / polluted (root; None if unavailable)."""
    r = subprocess.run([args.blockscan], capture_output=True, text=True)
    if r.returncode != 0:
        return None
    out = {}
    for line in r.stdout.splitlines():
        kind, kv = parse_kv_line(line)
        if kind == "BLOCKS":
            out["all"] = {k: float(v) if "." in v else int(v) for k, v in kv.items()}
        elif kind == "ZONE":
            name = kv.pop("name")
            out[name] = {k: int(v) for k, v in kv.items()}
    return out


# ---------------------------------------------------------------- one run
def read_consumer(path):
    rounds, summary, start = [], None, None
    hist = [0] * HIST_BUCKETS
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            if r["type"] == "start":
                start = r
            elif r["type"] == "round":
                for ns in r.pop("lat_ns"):
                    hist[hist_bucket(ns / 1000)] += 1
                r.pop("cpu_ns", None)
                rounds.append({k: r[k] for k in ("round", "t_sec", "regions", "huge", "p50_usec", "p99_usec",
                                                   "max_usec", "cpu_p99_usec", "compact_count", "compact_delay_usec",
                                                   "reclaim_count", "reclaim_delay_usec", "late_usec")})
            elif r["type"] == "summary":
                summary = r
    return start, rounds, summary, hist


def consumer_bytes(args, workload):
    """drain: small regions, so that a round moves the free count by tens of
    blocks, not hundreds (the trend cuts large jumps as steps)."""
    return args.drain_consumer_bytes if workload == "drain" else args.consumer_bytes


def consumer_interval(args, workload):
    return args.drain_interval if workload == "drain" else args.interval


def one_run(args, workload, contender_name, rep, seed):
    raw = os.path.join(args.out, "raw")
    os.makedirs(raw, exist_ok=True)
    tag = f"{workload}-{contender_name}-{rep}"
    pre = vmstat()
    lazy_gap_kib = meminfo_kib("MemFree") - buddy_free_kib()
    t_setup = time.monotonic()
    holder, info = SETUP[workload](args, seed)
    setup_sec = time.monotonic() - t_setup
    blocks_start = blockscan(args)

    kt = kthreads()
    c = Contender(contender_name, args, drain_defragd_config(args) if workload == "drain" else "")
    present = zone_present_pages()
    consumer_out = os.path.join(raw, f"{tag}.consumer.jsonl")
    churn = consumer = None
    series = []
    v0, k0, busy0 = vmstat(), kthread_ticks(kt), cpu_busy_ticks()
    self0 = proc_ticks(os.getpid()) + proc_children_ticks(os.getpid())
    holder0 = proc_ticks(holder.pid)
    t0 = time.monotonic()
    status, stopped = None, False
    trend, next_status = [], 0.0
    t0_realtime = time.time()
    try:
        # t=0 is sampled before the contender starts: what it does at once belongs to it
        series.append(sample(buddyinfo(), present, 0.0))
        c.start()
        if workload == "drain":
            holder.stdin.write("drain\n")  # the drain starts now
            holder.stdin.flush()
        if workload == "demand":
            cmd = [args.churn, "--dir", args.dir, "--rate", str(args.churn_rate), "--anon-size", str(args.churn_anon_bytes),
                   "--cache-size", str(args.churn_cache_bytes), "--files", str(args.churn_files), "--seed", str(seed)]
            churn = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            CHILDREN.append(churn)
            read_until(churn, "READY", cmd)
        consumer = subprocess.Popen([args.consumer, "--size", str(consumer_bytes(args, workload)),
                                     "--interval", str(consumer_interval(args, workload)),
                                     "--duration", str(args.window), "--out", consumer_out],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        CHILDREN.append(consumer)
        while consumer.poll() is None:
            time.sleep(args.sample)
            series.append(sample(buddyinfo(), present, round(time.monotonic() - t0, 2)))
            # what the daemon predicts, as it goes (its trend is not in its log)
            if c.defragd and args.status_every > 0 and time.monotonic() - t0 >= next_status:
                trend.append({"t": round(time.monotonic() - t0, 2), "cells": status_trend(c.defragd.status_json())})
                next_status += args.status_every
            if time.monotonic() - t0 > args.window + 120:
                raise RuntimeError(f"consumer still running {args.window + 120:.0f} s into a {args.window:.0f} s window")
        CHILDREN.remove(consumer)
        if consumer.returncode != 0:
            raise RuntimeError(f"consumer exited with {consumer.returncode}: {consumer.stderr.read().strip()}")
        churn_ticks, churn_done = 0, {}
        if churn:
            churn_ticks = proc_ticks(churn.pid)
            churn.terminate()
            out, _ = churn.communicate(timeout=60)
            CHILDREN.remove(churn)
            for line in out.splitlines():
                kind, kv = parse_kv_line(line)
                churn_done[kind] = kv
        v1 = vmstat()
        if c.defragd:
            status = c.defragd.status_json()
        end = c.stop()
        stopped = True
        if workload == "drain":
            KNOBS.restore("compaction_proactiveness")
    finally:
        for p in (consumer, churn):
            if p is not None and p.poll() is None:
                stop_child(p)
        if not stopped:
            c.stop()
    elapsed = time.monotonic() - t0
    # consumer, churn and defragd are reaped children by now: all in here
    self1 = proc_ticks(os.getpid()) + proc_children_ticks(os.getpid())
    k1, busy1 = kthread_ticks(kt), cpu_busy_ticks()
    blocks_end = blockscan(args)
    holder_ticks, holder_tail = end_holder(holder)
    holder_ticks -= holder0
    start, rounds, summary, hist = read_consumer(consumer_out)
    if summary is None:
        raise RuntimeError(f"{consumer_out}: the consumer wrote no summary")
    defragd_ticks = end.get("ticks", 0)
    kd = {k: (k1[k] - k0[k]) / USER_HZ for k in k1}
    ours = sum(k1[k] - k0[k] for k in k1) + holder_ticks + (self1 - self0)
    ncpu = os.cpu_count()
    return {
        "kind": "demand-bench", "workload": workload, "contender": contender_name, "rep": rep, "seed": seed,
        "window_sec": args.window, "elapsed_sec": round(elapsed, 2), "setup_sec": round(setup_sec, 1),
        "setup": info, "holder_end": holder_tail, "lazy_init_gap_kib": lazy_gap_kib,
        "blocks_start": blocks_start, "blocks_end": blocks_end,
        "consumer_pid": start["pid"] if start else None, "consumer": summary, "rounds": rounds,
        "latency_hist": hist, "latency_hist_per_octave": HIST_PER_OCTAVE,
        "churn": churn_done.get("DONE"),
        "series": series, "t0_realtime": t0_realtime, "trend": trend,
        "drain": None if workload != "drain" else {
            "zone": DRAIN_ZONE, "rate_blocks_per_sec": args.drain_rate, "start_blocks": drain_start_blocks(args),
            "low": args.drain_low, "high": args.drain_high, "proactiveness": args.drain_proactiveness,
            "defragd_config": drain_defragd_config(args), "end": holder_tail.get("DRAINED")},
        "watched_zone": DRAIN_ZONE if workload == "drain" else None,
        "window": delta(v0, v1), "before_setup": delta(pre, v0),
        "cpu_sec": {**kd, "defragd": defragd_ticks / USER_HZ, "churn": churn_ticks / USER_HZ,
                    "holder": holder_ticks / USER_HZ,
                    # consumer, churn, defragd and the harness itself (reaped children)
                    "harness_and_children": (self1 - self0) / USER_HZ},
        "defragd_rss_kib": end.get("rss_kib", 0), "defragd_hwm_kib": end.get("hwm_kib", 0),
        "defragd_exit": end.get("exit"), "defragd_status": status,
        # machine noise: busy CPU in the window that none of the above used
        "other_cpu_pct": round(100.0 * max(0, (busy1 - busy0) - ours) / (elapsed * USER_HZ * ncpu), 1),
    }


# ---------------------------------------------------------------- session
def run_order(workloads, contenders, cells, rep):
    """The runs of one repetition: per workload every contender, or the
    --cells; rotated by the repetition, so no contender always runs first."""
    if cells:
        return cells[rep % len(cells):] + cells[:rep % len(cells)]
    order = contenders[rep % len(contenders):] + contenders[:rep % len(contenders)]
    return [(w, c) for w in workloads for c in order]


def get_path(r, dotted):
    for k in dotted.split("."):
        if not isinstance(r, dict) or k not in r:
            return None
        r = r[k]
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", required=True, help="meson build directory (helpers, defragd)")
    ap.add_argument("--out", required=True, help="results directory (results.jsonl, raw/, plots via report.py)")
    ap.add_argument("--workloads", default="demand,polluted", help="comma list of " + ", ".join(WORKLOADS))
    ap.add_argument("--contenders", default="kernel,pro100,defrag_mode,wbf0,defragd",
                    help="comma list of kernel contenders (" + ", ".join(KERNEL_CONTENDERS) +
                         "), defragd configurations (" + ", ".join(DEFRAGD_CONFIGS) + ", or --defragd-config), or all")
    ap.add_argument("--cells", default="",
                    help="comma list of WORKLOAD:CONTENDER pairs run instead of every workload x contender "
                         "(rotated per repetition as a whole)")
    ap.add_argument("--defragd-config", action="append", default=[], metavar="NAME=FILE",
                    help="add contender NAME: defragd with FILE as its config (a lever alone, say); repeatable")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--first-rep", type=int, default=0,
                    help="number of the first repetition (its seed and rotation): one invocation per run, as "
                         "bench/campaign.sh does, still gives each repetition its own seed")
    ap.add_argument("--no-report", dest="report", action="store_false", help="leave out bench/report.py at the end")
    ap.add_argument("--window", type=float, default=300.0, help="seconds the consumer runs per run (>= 300 for the campaign)")
    ap.add_argument("--sample", type=float, default=1.0, help="buddyinfo sampling period, seconds")
    ap.add_argument("--consumer-size", dest="consumer_bytes", type=parse_bytes, default=parse_bytes("1G"))
    ap.add_argument("--interval", type=float, default=5.0, help="consumer: a round every this many seconds")
    ap.add_argument("--dir", default="/var/tmp", help="disk directory for churn's and the polluter's files (not tmpfs)")
    ap.add_argument("--fill-bytes", type=parse_bytes, default=0, help="demand: fragmenter --size; 0 = all free memory")
    ap.add_argument("--keep-one-in", type=int, default=8)
    ap.add_argument("--no-fill-huge", dest="fill_huge", action="store_false")
    ap.add_argument("--margin-bytes", type=parse_bytes, default=parse_bytes("512M"))
    ap.add_argument("--max-held-bytes", type=parse_bytes, default=parse_bytes("3G"))
    ap.add_argument("--churn-rate", type=int, default=20000, help="churn --rate (anon pages/s; cache at rate/4)")
    ap.add_argument("--churn-anon-size", dest="churn_anon_bytes", type=parse_bytes, default=parse_bytes("512M"))
    ap.add_argument("--churn-cache-size", dest="churn_cache_bytes", type=parse_bytes, default=parse_bytes("1G"))
    ap.add_argument("--churn-files", type=int, default=2000)
    ap.add_argument("--drain-rate", type=float, default=6.0,
                    help="drain: free 2 MiB blocks of Normal the fragmenter eats per second in the window")
    ap.add_argument("--drain-low", type=int, default=64, help="drain: defragd's [Order9] Low= for both contenders")
    ap.add_argument("--drain-high", type=int, default=256, help="drain: defragd's [Order9] High= for both contenders")
    ap.add_argument("--drain-cross", type=float, default=0.5,
                    help="drain: where in the window the drain alone would cross Low (0..1; start = Low + rate * window * this)")
    ap.add_argument("--drain-proactiveness", default="0",
                    help="drain: vm.compaction_proactiveness for the window (0..100), or keep (as configured)")
    ap.add_argument("--drain-consumer-size", dest="drain_consumer_bytes", type=parse_bytes, default=parse_bytes("64M"),
                    help="drain: the consumer's region per round")
    ap.add_argument("--drain-interval", type=float, default=2.0, help="drain: a consumer round every this many seconds")
    ap.add_argument("--status-every", type=float, default=10.0,
                    help="defragd contenders: record `defragctl status --json` trend every this many seconds (0: only at the end)")
    ap.add_argument("--polluter-args", default="", help="extra polluter options, one string (e.g. '--negative 4000000')")
    ap.add_argument("--smoke", action="store_true", help="smallest setting (test suite): validates the pipeline, not the numbers")
    args = ap.parse_args()

    if os.geteuid() != 0:
        print("bench: SKIP: needs root (writes vm sysctls, compact_memory; reads kpageflags)")
        return 77
    args.polluter_args = args.polluter_args.split()
    if args.smoke:
        args.reps, args.window, args.sample, args.interval = 1, 6.0, 1.0, 1.0
        args.consumer_bytes = 16 << 20
        args.drain_interval, args.drain_consumer_bytes, args.status_every = 1.0, 16 << 20, 2.0
        args.drain_rate, args.drain_low, args.drain_high = 4.0, 8, 16
        args.fill_bytes = args.fill_bytes or (256 << 20)
        args.fill_huge, args.keep_one_in = False, 4
        args.churn_rate, args.churn_anon_bytes, args.churn_cache_bytes, args.churn_files = 2000, 16 << 20, 16 << 20, 50
        args.polluter_args = ["--fill", "256M", "--files", "2000", "--negative", "20000", "--pipe-pages", "256",
                              "--pagetables", "64"] + args.polluter_args

    h = os.path.join(args.build, "tests", "helpers")
    args.fragmenter, args.consumer, args.churn = os.path.join(h, "fragmenter"), os.path.join(h, "consumer"), os.path.join(h, "churn")
    args.polluter, args.blockscan = os.path.join(h, "polluter"), os.path.join(h, "blockscan")
    args.defragd = os.path.join(args.build, "daemon", "defragd")
    args.defragctl = os.path.join(args.build, "daemon", "defragctl")
    for p in (args.fragmenter, args.consumer, args.churn, args.polluter, args.blockscan):
        if not os.access(p, os.X_OK):
            print(f"bench: {p} is missing; build first (meson compile -C {args.build})", file=sys.stderr)
            return 1

    args.defragd_configs = dict(DEFRAGD_CONFIGS)
    for spec in args.defragd_config:
        name, _, path = spec.partition("=")
        if not name or not path or not os.path.isfile(path):
            print(f"bench: --defragd-config '{spec}': accepted: NAME=FILE with FILE a readable defragd config", file=sys.stderr)
            return 2
        args.defragd_configs[name] = open(path).read()
    known = list(KERNEL_CONTENDERS) + list(args.defragd_configs)
    if args.cells:
        cells = [x.partition(":")[::2] for x in args.cells.split(",")]
        for w, c in cells:
            if w not in WORKLOADS or not c:
                print(f"bench: --cells: '{w}:{c}': accepted: WORKLOAD:CONTENDER with WORKLOAD one of {', '.join(WORKLOADS)}",
                      file=sys.stderr)
                return 2
        workloads, contenders = list(dict.fromkeys(w for w, _ in cells)), list(dict.fromkeys(c for _, c in cells))
    else:
        workloads = args.workloads.split(",")
        contenders = known if args.contenders == "all" else args.contenders.split(",")
    for w in workloads:
        if w not in WORKLOADS:
            print(f"bench: --workloads: '{w}' unknown; accepted: {', '.join(WORKLOADS)}", file=sys.stderr)
            return 2
    for c in list(contenders):
        if c not in known:
            print(f"bench: --contenders: '{c}' unknown; accepted: {', '.join(known)}, all", file=sys.stderr)
            return 2
        if c == "defrag_mode" and not os.path.exists(VM + "defrag_mode"):
            log("no /proc/sys/vm/defrag_mode on this kernel: contender defrag_mode left out")
            contenders.remove(c)
        elif c in args.defragd_configs and not os.access(args.defragd, os.X_OK):
            log(f"{args.defragd} not built: contender {c} left out")
            contenders.remove(c)
    if not args.drain_rate > 0 or not 0 <= args.drain_cross <= 1 or not 0 < args.drain_low <= args.drain_high:
        print(f"bench: --drain-rate {args.drain_rate}, --drain-cross {args.drain_cross}, --drain-low {args.drain_low}, "
              f"--drain-high {args.drain_high}: accepted: rate > 0, cross in 0..1, 0 < low <= high", file=sys.stderr)
        return 2
    if args.drain_proactiveness != "keep" and not (args.drain_proactiveness.isdigit() and int(args.drain_proactiveness) <= 100):
        print(f"bench: --drain-proactiveness '{args.drain_proactiveness}': accepted: 0..100 or keep", file=sys.stderr)
        return 2
    if args.window < 300 and not args.smoke:
        log(f"window {args.window:.0f} s: shorter than the issue's 5 minutes (cooldowns and back-off barely act)")

    lock = take_lock(60 if args.smoke else 3600)
    if lock is None:
        print(f"bench: SKIP: another benchmark holds {LOCK_PATH}")
        return 77
    os.makedirs(os.path.join(args.out, "tmp"), exist_ok=True)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    # the consumer's stalls come from the kernel's delay accounting, per task
    KNOBS.set("/proc/sys/kernel/task_delayacct", 1)
    m = machine()
    with open(os.path.join(args.out, "machine.json"), "w") as f:
        json.dump(m, f, indent=1)
    if args.cells:
        cells = [(w, c) for w, c in cells if c in contenders]
    else:
        cells = None
    log(f"{m['kernel']} {m['ncpu']} CPUs {m['mem_total_kib'] >> 20} GiB; contenders {contenders}; workloads {workloads}; "
        f"{'cells ' + str(cells) + '; ' if cells else ''}window {args.window:.0f} s x {args.reps} reps")
    rc = 0
    with Restoring() as session:
        with open(os.path.join(args.out, "results.jsonl"), "w") as out:
            for rep in range(args.first_rep, args.first_rep + args.reps):
                for w, c in run_order(workloads, contenders, cells, rep):
                    r = one_run(args, w, c, rep, seed=1000 + rep)
                    missing = [k for k in REQUIRED if get_path(r, k) is None]
                    if missing and not (missing == ["consumer.thp_share"] and r["consumer"]["huge_unknown"]):
                        log(f"{w}/{c}: metrics missing: {', '.join(missing)}")
                        rc = rc or 3
                    out.write(json.dumps(r) + "\n")
                    out.flush()
                    s, b = r["consumer"], (r["blocks_start"] or {}).get("all", {})
                    log(f"{w:8s} {c:15s} rep {rep}: setup {r['setup_sec']} s, polluted blocks {b.get('polluted', '?')}/"
                        f"{b.get('total', '?')}, THP {s['thp_share']}, p50 {s['p50_usec']} us p99 {s['p99_usec']} us "
                        f"max {s['max_usec']} us, consumer stalls {s['compact_count']}+{s['reclaim_count']}, "
                        f"other CPU {r['other_cpu_pct']}%")
    rc = 130 if session.interrupted else rc
    if not args.report:
        return rc
    report = os.path.join(os.path.dirname(os.path.abspath(__file__)), "report.py")
    r = subprocess.run([sys.executable, report, args.out] + (["--no-plots"] if args.smoke else []))
    return rc or r.returncode


if __name__ == "__main__":
    sys.exit(main())
