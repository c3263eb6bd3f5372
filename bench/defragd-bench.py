#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# defragd-bench: runs the workloads against each contender (kernel settings,
# defragd configurations) alternately, samples the buddy allocator, writes results.
"""Usage: defragd-bench.py --build BUILD_DIR --out DIR [options]; see --help."""

import argparse
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (Restoring, CHILDREN, DEFRAGD_CONFIGS, KNOBS, LOCK_PATH, USER_HZ, VM, buddyinfo,  # noqa: E402
                      compaction_scores, cpu_busy_ticks, delta, free_by_order, free_suitable_blocks,
                      kthread_ticks, kthreads, log, machine, meminfo_kib, on_signal, parse_bytes,
                      proc_children_ticks, proc_ticks, read, status_kib, take_lock,
                      vmstat, zone_present_pages)


# ---------------------------------------------------------------- contenders
KERNEL_CONTENDERS = ("kernel", "pro100", "defrag_mode")
ALL_CONTENDERS = KERNEL_CONTENDERS + tuple(DEFRAGD_CONFIGS)


class Contender:
    def __init__(self, name, args):
        self.name, self.args = name, args
        self.proc = None
        self.ticks_start = 0

    def start(self):
        if self.name == "pro100":
            KNOBS.set("compaction_proactiveness", 100)
        elif self.name == "defrag_mode":
            KNOBS.set("defrag_mode", 1)
        elif self.name.startswith("defragd"):
            conf = os.path.join(self.args.out, "tmp", f"{self.name}.conf")
            os.makedirs(os.path.dirname(conf), exist_ok=True)
            with open(conf, "w") as f:
                f.write(DEFRAGD_CONFIGS[self.name])
            logf = open(os.path.join(self.args.out, "tmp", f"{self.name}.log"), "a")
            rt = os.path.join(self.args.out, "tmp", "runtime")  # not /run/defragd: another instance may own it
            os.makedirs(rt, exist_ok=True)
            self.proc = subprocess.Popen([self.args.defragd, "--config", conf, "--runtime-dir", rt,
                                          "--log-target", "console"], stdin=subprocess.DEVNULL,
                                         stdout=logf, stderr=logf)
            logf.close()
            CHILDREN.append(self.proc)
            time.sleep(0.5)
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.args.defragd} --config {conf} exited with {self.proc.returncode}; "
                                   f"see {logf.name}")

    def sample(self):
        if not self.proc:
            return {}
        return {"ticks": proc_ticks(self.proc.pid), "rss_kib": status_kib(self.proc.pid, "VmRSS"),
                "hwm_kib": status_kib(self.proc.pid, "VmHWM")}

    def stop(self):
        s = self.sample()
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            CHILDREN.remove(self.proc)
            s["exit"] = self.proc.returncode
            self.proc = None
        KNOBS.restore("compaction_proactiveness")
        KNOBS.restore("defrag_mode")
        return s


# ---------------------------------------------------------------- workloads
def workload_args(name, args, size):
    a = ["--size", str(size), "--keep-one-in", str(args.keep_one_in), "--hold"]
    if args.fill_huge:
        a.append("--fill-huge")
    if name == "pagecache":
        a += ["--pagecache", args.pagecache_dir, "--pagecache-size", str(args.pagecache_bytes)]
    elif name == "unmovable":
        a += ["--unmovable", str(args.unmovable_pages)]
    elif name == "churn":
        a += ["--churn", str(args.churn_rate)]
    return a


def fill_size(args):
    """All free memory (a high-order request is served by any unfragmented
    rest), minus a margin, capped so the held share stays under the cap."""
    if args.size:
        return args.size
    free = meminfo_kib("MemFree") * 1024 - args.margin_bytes
    cap = args.max_held_bytes * args.keep_one_in
    size = max(64 << 20, min(free, cap))
    return size // (64 << 20) * (64 << 20)


def start_fragmenter(args, workload, size, seed):
    cmd = [args.fragmenter] + workload_args(workload, args, size) + ["--seed", str(seed)]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    CHILDREN.append(p)
    info = {}
    while True:
        line = p.stdout.readline()
        if not line:
            raise RuntimeError(f"{' '.join(cmd)} exited with {p.wait()}: {p.stderr.read().strip()}")
        kind, *kv = line.split()
        info[kind] = dict(x.split("=", 1) for x in kv)
        if kind == "FRAGMENTED":
            return p, info


def stop_fragmenter(p):
    ticks = proc_ticks(p.pid)
    p.stdin.close()  # EOF ends --hold
    try:
        p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        p.terminate()
        p.wait()
    CHILDREN.remove(p)
    return ticks


# ---------------------------------------------------------------- probes
def thp_probe(args):
    out = subprocess.run([args.thp_probe, str(args.thp_bytes)], capture_output=True, text=True, check=True).stdout
    kv = dict(x.split("=", 1) for x in out.split()[1:])
    return {"thp_share": int(kv["huge"]) / int(kv["size"]), "thp_fault_usec": int(kv["fault_usec"])}


def hugetlb_probe(args):
    t0 = time.monotonic()
    KNOBS.set("nr_hugepages", args.hugetlb_pages)
    took = time.monotonic() - t0
    got = int(read(VM + "nr_hugepages"))
    KNOBS.restore("nr_hugepages")
    return {"hugetlb_success": got / args.hugetlb_pages, "hugetlb_usec": int(took * 1e6)}


# ---------------------------------------------------------------- one run
def one_run(args, workload, contender_name, rep, seed):
    pre = vmstat()
    # Start each run from the same kind of state: nothing of ours held, memory
    # compacted, then fragmented anew.
    with open(VM + "compact_memory", "w") as f:
        f.write("1")
    time.sleep(1)
    size = fill_size(args)
    t_fill = time.monotonic()
    # No proactive compaction while filling: every contender then starts from
    # the same score (~100), not from whatever kcompactd did during the fill.
    KNOBS.set("compaction_proactiveness", 0)
    try:
        frag, info = start_fragmenter(args, workload, size, seed)
    finally:
        KNOBS.restore("compaction_proactiveness")
    fill_sec = time.monotonic() - t_fill
    kt = kthreads()
    c = Contender(contender_name, args)
    v0, k0, busy0 = vmstat(), kthread_ticks(kt), cpu_busy_ticks()
    self0 = proc_ticks(os.getpid()) + proc_children_ticks(os.getpid())
    frag0 = proc_ticks(frag.pid)
    present = zone_present_pages()
    series = []
    # t=0 is sampled before the contender starts: defragd compacts within
    # its first half second, and that gain belongs to it.
    t0 = time.monotonic()
    started = False
    try:
        while True:
            t = time.monotonic() - t0
            bi = buddyinfo()
            sc = compaction_scores(bi, present)
            series.append({"t": round(t, 2), "free_order9": free_suitable_blocks(bi), "by_order": free_by_order(bi),
                           "score": max(sc.values()) if sc else 0})
            if not started:
                c.start()
                started = True
            if t >= args.window:
                break
            time.sleep(min(args.sample, max(0.0, args.window - t)))
        v1 = vmstat()
        mid = c.sample()
        probes = thp_probe(args)
        v2 = vmstat()
        probes.update(hugetlb_probe(args))
        v3 = vmstat()
        end = c.stop()
    finally:
        if c.proc or KNOBS.saved:
            c.stop()
    k1, busy1 = kthread_ticks(kt), cpu_busy_ticks()
    self1 = proc_ticks(os.getpid()) + proc_children_ticks(os.getpid())
    frag_ticks = stop_fragmenter(frag) - frag0
    defragd_ticks = end.get("ticks", 0)
    ours = (k1["kcompactd"] - k0["kcompactd"]) + (k1["kswapd"] - k0["kswapd"]) + defragd_ticks + frag_ticks + (self1 - self0)
    elapsed = time.monotonic() - t0
    ncpu = os.cpu_count()
    return {
        "workload": workload, "contender": contender_name, "rep": rep, "seed": seed,
        "fill_bytes": int(info["FRAGMENTED"]["size"]), "fill_sec": round(fill_sec, 2),
        "fill_info": info, "window_sec": args.window, "elapsed_sec": round(elapsed, 2),
        "series": series,
        "score_start": series[0]["score"], "score_end": series[-1]["score"],
        "free_order9_start": series[0]["free_order9"], "free_order9_end": series[-1]["free_order9"],
        "window": delta(v0, v1), "thp_probe": delta(v1, v2), "hugetlb_probe": delta(v2, v3),
        "before_fill": delta(pre, v0),
        **probes,
        "cpu_sec": {"kcompactd": (k1["kcompactd"] - k0["kcompactd"]) / USER_HZ,
                    "kswapd": (k1["kswapd"] - k0["kswapd"]) / USER_HZ,
                    "defragd": defragd_ticks / USER_HZ, "fragmenter": frag_ticks / USER_HZ},
        "defragd_rss_kib": mid.get("rss_kib", 0), "defragd_hwm_kib": end.get("hwm_kib", 0),
        "defragd_exit": end.get("exit"),
        "other_cpu_pct": round(100.0 * max(0, (busy1 - busy0) - ours) / (elapsed * USER_HZ * ncpu), 1),
    }


# ---------------------------------------------------------------- session
def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", required=True, help="meson build directory (fragmenter, thp-probe, defragd)")
    ap.add_argument("--out", required=True, help="results directory (results.jsonl, results.md, *.png)")
    ap.add_argument("--workloads", default="anon", help="comma list of anon,pagecache,unmovable,churn")
    ap.add_argument("--contenders", default="all", help="comma list of " + ",".join(ALL_CONTENDERS) + " or all")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--window", type=float, default=30.0, help="seconds each contender gets before the probes")
    ap.add_argument("--sample", type=float, default=1.0, help="buddyinfo sampling period, seconds")
    ap.add_argument("--size", type=parse_bytes, default=0, help="fragmenter --size; 0 = all free memory (default)")
    ap.add_argument("--keep-one-in", type=int, default=8)
    ap.add_argument("--no-fill-huge", dest="fill_huge", action="store_false")
    ap.add_argument("--margin-bytes", type=parse_bytes, default=parse_bytes("256M"))
    ap.add_argument("--max-held-bytes", type=parse_bytes, default=parse_bytes("3G"))
    ap.add_argument("--thp-bytes", type=parse_bytes, default=parse_bytes("512M"))
    ap.add_argument("--hugetlb-pages", type=int, default=256)
    ap.add_argument("--pagecache-dir", default="/var/tmp")
    ap.add_argument("--pagecache-bytes", type=parse_bytes, default=parse_bytes("1G"))
    ap.add_argument("--unmovable-pages", type=int, default=65536)
    ap.add_argument("--churn-rate", type=int, default=20000)
    ap.add_argument("--smoke", action="store_true", help="smallest setting (test suite): validates the pipeline, not the numbers")
    args = ap.parse_args()

    if os.geteuid() != 0:
        print("bench: SKIP: needs root (writes vm sysctls, nr_hugepages, compact_memory)")
        return 77
    for f in ("buddyinfo", "zoneinfo", "vmstat"):
        if not os.path.exists("/proc/" + f):
            print(f"bench: SKIP: /proc/{f} missing")
            return 77
    if args.smoke:
        args.reps, args.window, args.sample = 1, 2.0, 0.5
        args.size = args.size or (64 << 20)
        args.fill_huge = False
        args.keep_one_in = 4
        args.thp_bytes, args.hugetlb_pages = 16 << 20, 4
        args.pagecache_bytes, args.unmovable_pages, args.churn_rate = 16 << 20, 512, 1000

    args.fragmenter = os.path.join(args.build, "tests", "helpers", "fragmenter")
    args.thp_probe = os.path.join(args.build, "bench", "thp-probe")
    args.defragd = os.path.join(args.build, "daemon", "defragd")
    for p in (args.fragmenter, args.thp_probe):
        if not os.access(p, os.X_OK):
            print(f"bench: {p} is missing; build first (ninja -C {args.build})", file=sys.stderr)
            return 1

    workloads = args.workloads.split(",")
    for w in workloads:
        if w not in ("anon", "pagecache", "unmovable", "churn"):
            print(f"bench: --workloads: '{w}' unknown; accepted: anon, pagecache, unmovable, churn", file=sys.stderr)
            return 2
    contenders = list(ALL_CONTENDERS) if args.contenders == "all" else args.contenders.split(",")
    for c in list(contenders):
        if c not in ALL_CONTENDERS:
            print(f"bench: --contenders: '{c}' unknown; accepted: {', '.join(ALL_CONTENDERS)}, all", file=sys.stderr)
            return 2
        if c == "defrag_mode" and not os.path.exists(VM + "defrag_mode"):
            log("no /proc/sys/vm/defrag_mode on this kernel: contender defrag_mode left out")
            contenders.remove(c)
        if c.startswith("defragd") and not os.access(args.defragd, os.X_OK):
            log(f"{args.defragd} not built: contender {c} left out")
            contenders.remove(c)

    lock = take_lock(60 if args.smoke else 3600)
    if lock is None:
        print(f"bench: SKIP: another benchmark holds {LOCK_PATH}")
        return 77

    os.makedirs(os.path.join(args.out, "tmp"), exist_ok=True)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    results = os.path.join(args.out, "results.jsonl")
    m = machine()
    with open(os.path.join(args.out, "machine.json"), "w") as f:
        json.dump(m, f, indent=1)
    log(f"{m['kernel']} {m['ncpu']} CPUs {m['mem_total_kib'] >> 20} GiB; contenders {contenders}; workloads {workloads}")
    rc = 0
    with Restoring() as session:
        with open(results, "w") as out:
            for rep in range(args.reps):
                for w in workloads:
                    # rotate the order each repetition: no contender always runs first
                    order = contenders[rep % len(contenders):] + contenders[:rep % len(contenders)]
                    for c in order:
                        r = one_run(args, w, c, rep, seed=1000 + rep)
                        out.write(json.dumps(r) + "\n")
                        out.flush()
                        log(f"{w:9s} {c:15s} rep {rep}: fill {r['fill_bytes'] >> 20} MiB in {r['fill_sec']}s, "
                            f"score {r['score_start']}->{r['score_end']}, order-9 free {r['free_order9_start']}->{r['free_order9_end']}, "
                            f"THP {r['thp_share']:.2f}, hugetlb {r['hugetlb_success']:.2f}, "
                            f"stalls {r['thp_probe']['compact_stall']}+{r['hugetlb_probe']['compact_stall']}, other CPU {r['other_cpu_pct']}%")
    rc = 130 if session.interrupted else rc
    report = os.path.join(os.path.dirname(os.path.abspath(__file__)), "report.py")
    r = subprocess.run([sys.executable, report, args.out] + (["--no-plots"] if args.smoke else []))
    return rc or r.returncode


if __name__ == "__main__":
    sys.exit(main())
