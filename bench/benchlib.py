# SPDX-License-Identifier: GPL-2.0-or-later
# benchlib: what the benchmark harnesses share (defragd-bench.py, demand-bench.py):
# knobs restored on exit, children ended by pid, /proc readers, contenders.
"""Shared helpers of the defragd benchmark harnesses; not a program."""

import fcntl
import os
import platform
import subprocess
import sys
import time

PAGE = 4096
ORDER = 9  # COMPACTION_HPAGE_ORDER on x86-64: THP and pageblock order
USER_HZ = os.sysconf("SC_CLK_TCK")
VM = "/proc/sys/vm/"
LOCK_PATH = "/run/lock/defragd-bench.lock"

VMSTAT_KEYS = ("compact_stall", "compact_fail", "compact_success", "compact_migrate_scanned",
               "compact_free_scanned", "compact_daemon_wake", "compact_daemon_migrate_scanned",
               "compact_daemon_free_scanned", "pgmigrate_success", "pgmigrate_fail",
               "thp_fault_alloc", "thp_fault_fallback", "thp_collapse_alloc",
               "workingset_refault_anon", "workingset_refault_file", "kswapd_low_wmark_hit_quickly",
               "kswapd_high_wmark_hit_quickly", "pageoutrun", "slabs_scanned")
VMSTAT_PREFIXES = ("allocstall_", "pgsteal_", "pgscan_")
# kernel threads whose CPU is the price of defragmentation, by comm prefix
KTHREADS = ("kcompactd", "kswapd", "khugepaged")


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- knobs
class Knobs:
    """Every sysctl the harness writes, restored on exit (normal, exception
    or signal). A bare name is under /proc/sys/vm/, else a full path."""

    def __init__(self):
        self.saved = {}

    @staticmethod
    def path(name):
        return name if name.startswith("/") else VM + name

    def set(self, name, value):
        p = self.path(name)
        if name not in self.saved:
            with open(p) as f:
                self.saved[name] = f.read().strip()
        with open(p, "w") as f:
            f.write(str(value))

    def restore(self, name=None):
        for n in [name] if name else list(self.saved):
            if n in self.saved:
                try:
                    with open(self.path(n), "w") as f:
                        # lowmem_reserve_ratio reads back tab-separated, is written space-separated
                        f.write(" ".join(self.saved[n].split()))
                except OSError as e:
                    log(f"could not restore {self.path(n)} to {self.saved[n]}: {e}")
                del self.saved[n]


KNOBS = Knobs()
CHILDREN = []  # Popen objects this harness started; only these are ever signalled


def stop_children():
    for p in CHILDREN:
        if p.poll() is None:
            p.terminate()
    for p in CHILDREN:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    CHILDREN.clear()


def stop_child(p, timeout=60):
    """SIGTERM one child we started, wait, drop it from CHILDREN."""
    if p.poll() is None:
        p.terminate()
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    if p in CHILDREN:
        CHILDREN.remove(p)
    return p.returncode


def on_signal(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


class Restoring:
    """`with Restoring() as r:` every child this harness started is stopped
    and every knob restored however the block ends; an interruption (^C, or
    SIGTERM/SIGHUP through on_signal) ends the block quietly with
    r.interrupted set (exit status 130), any other exception goes on."""

    def __init__(self):
        self.interrupted = False

    def __enter__(self):
        return self

    def __exit__(self, et, e, _tb):
        if et is KeyboardInterrupt:
            log(f"interrupted ({e}); restoring")
            self.interrupted = True
        stop_children()
        KNOBS.restore()
        return et is KeyboardInterrupt


def take_lock(deadline_sec):
    """One harness at a time on a machine: two would save and restore each
    other's knob values (and measure each other). Returns the file or None."""
    lock = open(LOCK_PATH, "w")
    deadline = time.monotonic() + deadline_sec
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return lock
        except BlockingIOError:
            if time.monotonic() > deadline:
                lock.close()
                return None
            time.sleep(2)


# ---------------------------------------------------------------- readers
def read(path):
    with open(path) as f:
        return f.read()


def buddyinfo():
    """[(node, zone, [free blocks per order])]"""
    out = []
    for line in read("/proc/buddyinfo").splitlines():
        f = line.split()
        if len(f) < 5:
            continue
        out.append((int(f[1].rstrip(",")), f[3], [int(x) for x in f[4:]]))
    return out


def zone_present_pages():
    present, node, zone = {}, None, None
    for line in read("/proc/zoneinfo").splitlines():
        f = line.split()
        if line.startswith("Node"):
            node, zone = int(f[1].rstrip(",")), f[3]
        elif len(f) == 2 and f[0] == "present" and zone:
            present[(node, zone)] = int(f[1])
    return present


def extfrag_for_order(blocks, order):
    """mm/vmstat.c extfrag_for_order(): percent of free memory unusable at order."""
    free_pages = sum(n << o for o, n in enumerate(blocks))
    suitable = sum(n << (o - order) for o, n in enumerate(blocks) if o >= order)
    if free_pages == 0:
        return 0
    return (free_pages - (suitable << order)) * 100 // free_pages


def compaction_scores(bi, present):
    """mm/compaction.c fragmentation_score_node() for each node."""
    node_present = {}
    for (node, _zone), p in present.items():
        node_present[node] = node_present.get(node, 0) + p
    scores = {}
    for node, zone, blocks in bi:
        p = present.get((node, zone), 0)
        if p == 0:
            continue
        scores[node] = scores.get(node, 0) + p * extfrag_for_order(blocks, ORDER) // (node_present[node] + 1)
    return scores


def vmstat():
    v = {}
    for line in read("/proc/vmstat").splitlines():
        k, val = line.split()
        if k in VMSTAT_KEYS or k.startswith(VMSTAT_PREFIXES):
            v[k] = int(val)
    return v


def delta(a, b):
    d = {k: b[k] - a.get(k, 0) for k in b}
    d["allocstall"] = sum(v for k, v in d.items() if k.startswith("allocstall_"))
    d["pgsteal"] = sum(v for k, v in d.items() if k.startswith("pgsteal_") and k not in ("pgsteal_anon", "pgsteal_file"))
    d["refaults"] = d.get("workingset_refault_anon", 0) + d.get("workingset_refault_file", 0)
    return d


def proc_ticks(pid):
    """utime + stime of a process (read-only /proc/<pid>/stat), in clock ticks."""
    try:
        s = read(f"/proc/{pid}/stat")
    except OSError:
        return 0
    f = s[s.rindex(")") + 2:].split()
    return int(f[11]) + int(f[12])


def proc_children_ticks(pid):
    try:
        s = read(f"/proc/{pid}/stat")
    except OSError:
        return 0
    f = s[s.rindex(")") + 2:].split()
    return int(f[13]) + int(f[14])


def kthreads():
    """{pid: comm} of the kernel threads in KTHREADS (kcompactd0, kswapd0, ...)."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            comm = read(f"/proc/{d}/comm").strip()
        except OSError:
            continue
        if comm.startswith(KTHREADS):
            out[int(d)] = comm
    return out


def kthread_ticks(kt):
    t = dict.fromkeys(KTHREADS, 0)
    for pid, comm in kt.items():
        t[next(k for k in KTHREADS if comm.startswith(k))] += proc_ticks(pid)
    return t


def cpu_busy_ticks():
    f = read("/proc/stat").splitlines()[0].split()[1:]
    vals = [int(x) for x in f]
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
    return sum(vals[:8]) - idle


def status_kib(pid, key):
    try:
        for line in read(f"/proc/{pid}/status").splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def meminfo_kib(key):
    for line in read("/proc/meminfo").splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def buddy_free_kib():
    return sum(n << o for _node, _zone, blocks in buddyinfo() for o, n in enumerate(blocks)) * PAGE // 1024


def free_suitable_blocks(bi, order=ORDER):
    return sum(n << (o - order) for _node, _zone, blocks in bi for o, n in enumerate(blocks) if o >= order)


def free_by_order(bi):
    n = max(len(b) for _, _, b in bi)
    return [sum(b[o] for _, _, b in bi if o < len(b)) for o in range(n)]


def read_until(p, last_kind, cmd):
    """key=value lines of a child's stdout until one of kind `last_kind`:
    {kind: {key: value}} of every line read."""
    info = {}
    while True:
        line = p.stdout.readline()
        if not line:
            raise RuntimeError(f"{' '.join(cmd)} exited with {p.wait()} before {last_kind}")
        kind, kv = parse_kv_line(line)
        info[kind] = kv
        if kind == last_kind:
            return info


def fragment_compacted(cmds):
    """Memory compacted, then each fragmenter command (`--hold`) started in
    turn until it reports FRAGMENTED, with no proactive compaction while they
    fill (every run starts from the same kind of state); the knob as before
    once they are done. Returns [(Popen, {kind: {key: value}})], in order."""
    with open(VM + "compact_memory", "w") as f:
        f.write("1")
    time.sleep(1)
    out = []
    KNOBS.set("compaction_proactiveness", 0)
    try:
        for cmd in cmds:
            p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            CHILDREN.append(p)
            out.append((p, read_until(p, "FRAGMENTED", cmd)))
    finally:
        KNOBS.restore("compaction_proactiveness")
    return out


def parse_kv_line(line):
    """'KIND a=1 b=x' -> ('KIND', {'a': '1', 'b': 'x'})"""
    kind, *kv = line.split()
    return kind, dict(x.split("=", 1) for x in kv if "=" in x)


# ---------------------------------------------------------------- contenders
# defragd configurations: contender name -> the config file's text (read over
# the shipped defaults; an empty text is the shipped defaults). A lever joins
# here, as "defragd-<lever>" with only that lever enabled, in the change that
# adds it; --defragd-config NAME=FILE adds one for a single session.
DEFRAGD_CONFIGS = {
    "defragd": "",
    # Each lever alone: the ladder holds that rung only. (Until 2026-12-03
    # defragd-compact was the shipped defaults, which also clear memory
    # blocks since clear-offline is on, and defragd-pws had [Compaction]
    # Enable=no, which since the ladder turns proactiveness off too: a
    # daemon with no lever. Neither ran in a campaign since the ladder.)
    "defragd-compact": "[Ladder]\nOrder=compact\n",
    "defragd-pws": "[Ladder]\nOrder=proactiveness\n[Compaction]\nProactivenessWhileShort=100\n",
    "defragd-offline": "[Ladder]\nOrder=clear-offline\n",
    "defragd-kmod": "[Ladder]\nOrder=clear-kmod\n",  # where the module is loaded
    # Acts only when free memory itself is short (fragmentation index <= 500)
    # or a cheaper rung ran without gain: alone, only the former.
    "defragd-reclaim-node": "[Ladder]\nOrder=reclaim-node\n[Reclaim]\nEnable=yes\nNodeReclaim=yes\n",
    # The whole ladder as a user turns it on: the shipped order with the
    # opt-in reclaim rungs enabled (node reclaim; reclaim-cgroup has no
    # Allow= here, so no candidate), every guard as shipped. On polluted
    # memory node reclaim is the rung that can shrink the slab (2026-12-03).
    "defragd-ladder": "[Reclaim]\nEnable=yes\nNodeReclaim=yes\n",
    # The same with the kernel's node-reclaim gate left alone (the behaviour
    # before NodeReclaimMinUnmappedRatio=, 2026-12-03): nodeN/reclaim does
    # nothing while the node's unmapped page cache is under 1% of it.
    "defragd-ladder-keep": "[Reclaim]\nEnable=yes\nNodeReclaim=yes\nNodeReclaimMinUnmappedRatio=\n",
    # The early trigger (issue 12): shipped defaults plus act when the trend
    # predicts the low mark within 120 s. Why 120 s: the shipped trend window
    # is 600 s with samples >= 18.75 s apart, so a prediction rests on >= 4
    # points (~75 s); a horizon of a fifth of the window reaches a few
    # evaluations and one compaction's cooldown ahead without acting on
    # slopes that would reach the mark only after the next window.
    "defragd-early": "[Trend]\nActBeforeSec=120s\n",
}


class Defragd:
    """One defragd process for one run: its own config file and runtime dir
    (not /run/defragd: another instance may own it)."""

    def __init__(self, exe, ctl, conf_text, tmpdir, name):
        self.exe, self.ctl, self.name = exe, ctl, name
        self.conf = os.path.join(tmpdir, f"{name}.conf")
        self.runtime = os.path.join(tmpdir, "runtime")
        self.logpath = os.path.join(tmpdir, f"{name}.log")
        os.makedirs(self.runtime, exist_ok=True)
        with open(self.conf, "w") as f:
            f.write(conf_text)
        self.proc = None

    def start(self):
        with open(self.logpath, "a") as logf:
            self.proc = subprocess.Popen([self.exe, "--config", self.conf, "--runtime-dir", self.runtime,
                                          "--log-target", "console"], stdin=subprocess.DEVNULL,
                                         stdout=logf, stderr=logf)
        CHILDREN.append(self.proc)
        time.sleep(0.5)
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.exe} --config {self.conf} exited with {self.proc.returncode}; see {self.logpath}")

    def status_json(self):
        """`defragctl status --json` of this instance (counters per lever,
        probe counters), or None when defragctl is missing or fails."""
        if not self.ctl or not os.access(self.ctl, os.X_OK):
            return None
        import json
        try:
            r = subprocess.run([self.ctl, "status", "--json", "--runtime-dir", self.runtime],
                               capture_output=True, text=True, timeout=10)
            return json.loads(r.stdout) if r.returncode == 0 else None
        except (subprocess.TimeoutExpired, ValueError):
            return None

    def sample(self):
        if not self.proc:
            return {}
        # its own time and its reaped lever workers' (a compaction's CPU is the worker's)
        return {"ticks": proc_ticks(self.proc.pid) + proc_children_ticks(self.proc.pid),
                "rss_kib": status_kib(self.proc.pid, "VmRSS"),
                "hwm_kib": status_kib(self.proc.pid, "VmHWM")}

    def stop(self):
        s = self.sample()
        if self.proc:
            s["exit"] = stop_child(self.proc, timeout=30)
            self.proc = None
        return s


# ---------------------------------------------------------------- session
def machine():
    model = "?"
    for line in read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {"kernel": platform.release(), "kernel_version": platform.version(), "cpu": model,
            "ncpu": os.cpu_count(), "mem_total_kib": meminfo_kib("MemTotal"),
            "thp_enabled": read("/sys/kernel/mm/transparent_hugepage/enabled").strip(),
            "thp_defrag": read("/sys/kernel/mm/transparent_hugepage/defrag").strip(),
            "compaction_proactiveness": read(VM + "compaction_proactiveness").strip(),
            "watermark_boost_factor": read(VM + "watermark_boost_factor").strip(),
            "defrag_mode": read(VM + "defrag_mode").strip() if os.path.exists(VM + "defrag_mode") else None,
            "date": time.strftime("%Y-%m-%d %H:%M:%S %z")}


def parse_bytes(s):
    import argparse
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    try:
        if s and s[-1].upper() in mult:
            return int(s[:-1]) * mult[s[-1].upper()]
        return int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{s}' is not a size; accepted: an integer with optional K, M or G")
