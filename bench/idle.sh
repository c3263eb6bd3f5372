#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# defragd's idle cost: CPU and RSS of the daemon with shipped defaults over a
# window on an unfragmented machine, and the BPF probes' cost per run
# (kernel.bpf_stats_enabled, restored on exit) under an allocation load.
set -u
build=${1:?usage: idle.sh BUILD_DIR [SECONDS]}; secs=${2:-60}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
tmp=$(mktemp -d /tmp/defragd-idle.XXXXXX)
old_stats=$(cat /proc/sys/kernel/bpf_stats_enabled)
pid=
cleanup() {
        [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid"
        echo "$old_stats" >/proc/sys/kernel/bpf_stats_enabled
        rm -rf "$tmp"
}
trap cleanup EXIT
: >"$tmp/defragd.conf"
echo 1 >/proc/sys/kernel/bpf_stats_enabled
"$build/daemon/defragd" --config "$tmp/defragd.conf" --runtime-dir "$tmp" --log-target console >"$tmp/log" 2>&1 &
pid=$!
sleep 2
kill -0 "$pid" || { cat "$tmp/log"; exit 1; }
ticks() { awk '{ s = $0; sub(/.*\) /, "", s); split(s, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }
t0=$(ticks "$pid"); s0=$(date +%s.%N)
sleep "$secs"
t1=$(ticks "$pid"); s1=$(date +%s.%N)
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status"); hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
hz=$(getconf CLK_TCK)
echo "IDLE seconds=$secs cpu_pct=$(echo "scale=4; 100 * ($t1 - $t0) / $hz / ($s1 - $s0)" | bc) rss_kib=$rss hwm_kib=$hwm"
# BPF cost per program run, with an allocation load (page faults, page cache)
"$build/tests/helpers/fragmenter" --size 512M >/dev/null
dd if=/dev/zero of="$tmp/f" bs=1M count=256 status=none; rm -f "$tmp/f"
bpftool prog show -j 2>/dev/null | python3 -c '
import json, sys
pid = int(sys.argv[1])
for p in json.load(sys.stdin):
    # bpftool without pid iterators (Debian 12, 7.1) lists no pids: take every df_ program then
    mine = any(x.get("pid") == pid for x in p["pids"]) if "pids" in p else p.get("name", "").startswith("df_")
    if mine and p.get("run_cnt"):
        name, runs, ns = p["name"], p["run_cnt"], p["run_time_ns"]
        print(f"BPF prog={name} runs={runs} ns_per_run={ns / runs:.0f}")
' "$pid"
