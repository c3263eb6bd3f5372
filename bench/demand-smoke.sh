#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Smoke test of demand-bench.py at its smallest setting, one workload: runs
# it under the machine lock, then fails if the consumer reported nothing, a
# metric is missing, a knob was left changed or a helper left files behind.
# `demand` also covers `drain` in the same two runs: demand with the kernel,
# drain with defragd (the defragd contender's code is the same for both).
set -u
workload=${1:?usage: demand-smoke.sh demand|polluted|drain BUILD_DIR}
build=${2:?usage: demand-smoke.sh demand|polluted|drain BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
# shellcheck source=bench/smoke-lib.sh
. "$here/smoke-lib.sh"
hold_machine_lock "$0" "$@"
out=$(mktemp -d /tmp/defragd-demand-smoke.XXXXXX)
dir=$(mktemp -d /var/tmp/defragd-demand-smoke.XXXXXX)
trap 'rm -rf "$out"; rmdir "$dir" 2>/dev/null' EXIT
knobs() {
        for k in vm/compaction_proactiveness vm/watermark_boost_factor vm/percpu_pagelist_high_fraction \
                 vm/lowmem_reserve_ratio vm/defrag_mode kernel/task_delayacct; do
                [ -e /proc/sys/$k ] && printf '%s=%s ' "$k" "$(tr -s '\t ' ' ' </proc/sys/$k)"
        done
}
before=$(knobs)
cells=$workload:kernel
if [ -x "$build/daemon/defragd" ]; then
        if [ "$workload" = demand ]; then cells+=,drain:defragd; else cells+=,$workload:defragd; fi
fi
python3 "$here/demand-bench.py" --build "$build" --out "$out" --smoke --dir "$dir" --cells "$cells"
rc=$?
[ "$rc" = 77 ] && exit 77
echo "# harness ran ${SECONDS}s with the machine lock held"
after=$(knobs)
check "harness exits 0 (got $rc)" test "$rc" = 0
check "knobs restored ($before -> $after)" test "$before" = "$after"
check "helpers left nothing in $dir" test -z "$(ls -A "$dir")"
n_c=$(tr ',' '\n' <<<"$cells" | wc -l)
check "one row per cell ($n_c expected: $cells)" test "$(wc -l <"$out/results.jsonl" 2>/dev/null)" = "$n_c"
python3 - "$here/demand-bench.py" "$out/results.jsonl" "$cells" <<'PY'
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("demand_bench", sys.argv[1])
db = importlib.util.module_from_spec(spec)
spec.loader.exec_module(db)
bad = []
rows = open(sys.argv[2]).readlines() if __import__("os").path.exists(sys.argv[2]) else []
if not rows:
    bad.append("no result rows at all")
for line in rows:
    r = json.loads(line)
    where = f"{r['workload']}/{r['contender']}"
    for k in db.REQUIRED:
        if db.get_path(r, k) is None:
            bad.append(f"{where}: metric {k} missing")
    c = r["consumer"] or {}
    if c.get("rounds", 0) < 3 or c.get("regions", 0) <= 0:
        bad.append(f"{where}: consumer reported {c.get('rounds')} rounds, {c.get('regions')} regions")
    if sum(r["latency_hist"]) != c.get("regions"):
        bad.append(f"{where}: latency histogram holds {sum(r['latency_hist'])} faults, consumer {c.get('regions')}")
    if not r.get("consumer_pid"):
        bad.append(f"{where}: no consumer pid")
    if len(r["series"]) < 3:
        bad.append(f"{where}: {len(r['series'])} buddyinfo samples")
    if r["workload"] == "demand" and int((r.get("churn") or {}).get("anon_faults", 0)) <= 0:
        bad.append(f"{where}: churn did nothing: {r.get('churn')}")
    if r["workload"] == "drain":
        d = (r.get("drain") or {}).get("end") or {}
        if int(d.get("huge_regions", 0)) + int(d.get("fallback_regions", 0)) + int(d.get("skipped_no_block", 0)) <= 0:
            bad.append(f"{where}: the drain did nothing: {r.get('drain')}")
        if "RESERVE" not in r["setup"] or not all(r["watched_zone"] in x["zones"] for x in r["series"]):
            bad.append(f"{where}: no RESERVE line or no {r['watched_zone']} series: {list(r['setup'])}")
        if r["contender"].startswith("defragd") and not any(x["cells"] for x in r["trend"]):
            bad.append(f"{where}: no trend recorded from defragctl status: {r['trend']}")
    if r["workload"] == "polluted" and ("POLLUTE" not in r["setup"] or not r["blocks_start"]):
        bad.append(f"{where}: no POLLUTE line or block scan: {list(r['setup'])}")
    if r["contender"].startswith("defragd") and (r["defragd_exit"] != 0 or r["defragd_rss_kib"] <= 0):
        bad.append(f"{where}: defragd exit {r['defragd_exit']} RSS {r['defragd_rss_kib']}")
    if f"{r['workload']}:{r['contender']}" not in sys.argv[3].split(","):
        bad.append(f"{where}: unexpected workload or contender")
for b in bad:
    print("not ok -", b)
sys.exit(1 if bad else 0)
PY
check "every row carries every metric, the consumer reported rounds" test $? = 0
check "Markdown table written" grep -q '^| contender |' "$out/results.md"
exit $fail
