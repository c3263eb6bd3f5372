#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Smoke test of efficiency.py at its smallest setting (512 MiB fragmented,
# each method once): every method leaves a row with the blocks it gained,
# the pages it moved and the planner's bound; knobs as before, no memory
# block left offline. Validates the pipeline, not the numbers.
set -u
build=${1:?usage: efficiency-smoke.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
# shellcheck source=bench/smoke-lib.sh
. "$here/smoke-lib.sh"
hold_machine_lock "$0" "$@"
out=$(mktemp -d /tmp/defragd-efficiency-smoke.XXXXXX)
trap 'rm -rf "$out"' EXIT
knobs() {
        for k in vm/compaction_proactiveness vm/watermark_boost_factor vm/defrag_mode vm/percpu_pagelist_high_fraction; do
                [ -e /proc/sys/$k ] && printf '%s=%s ' "$k" "$(cat /proc/sys/$k)"
        done
}
offline() { grep -l offline /sys/devices/system/memory/memory*/state 2>/dev/null | tr '\n' ' '; }
before=$(knobs) off_before=$(offline)
python3 "$here/efficiency.py" --build "$build" --out "$out" --smoke
rc=$?
[ "$rc" = 77 ] && exit 77
check "harness exits 0 (got $rc)" test "$rc" = 0
check "knobs restored ($before -> $(knobs))" test "$before" = "$(knobs)"
check "no memory block left offline ($(offline))" test "$off_before" = "$(offline)"
python3 - "$out/results.jsonl" "$here/efficiency.py" <<'PY'
import json, os, sys
methods = ("node-compact", "kcompactd", "clear-offline") + (("clear-kmod",) if os.path.isdir("/sys/kernel/defragd_clear") else ())
rows = [json.loads(x) for x in open(sys.argv[1])] if os.path.exists(sys.argv[1]) else []
bad = []
if sorted(r["method"] for r in rows) != sorted(methods):
    bad.append(f"methods {[r['method'] for r in rows]}, expected one row each of {methods}")
for r in rows:
    m = r["method"]
    z = r["plan"]["zones"].get("Normal")
    if not z or z["candidates"] <= 0:
        bad.append(f"{m}: the plan at the start has no Normal candidates: {r['plan']}")
    if not r.get("pcp_before") or not r.get("pcp_after"):
        bad.append(f"{m}: per-CPU list counts missing: {r.get('pcp_before')} {r.get('pcp_after')}")
    if r["gained"] > 0 and r["bound_pages"] is None:
        bad.append(f"{m}: +{r['gained']} blocks but no bound")
    for k in ("pages_migrated", "pages_reclaimed", "blocks_before", "blocks_after", "cpu_sec"):
        if r.get(k) is None:
            bad.append(f"{m}: {k} missing")
    if int(r["fill"]["dense"].get("kept_pages", 1)) <= 0 or int(r["fill"]["sparse"].get("kept_pages", 1)) <= 0:
        bad.append(f"{m}: a fragmenter kept nothing: {r['fill']}")
    if m.startswith("clear-"):
        res = r["method_result"]
        if res.get("exit") != 0 or not res.get("runs"):
            bad.append(f"{m}: defragd exit {res.get('exit')}, {res.get('runs')} clearings: see {res.get('log')}")
for b in bad:
    print("not ok -", b)
sys.exit(1 if bad else 0)
PY
check "one row per method with the bound, the pages moved and a clearing" test $? = 0
check "Markdown table written" grep -q '^| method |' "$out/results.md"
exit $fail
