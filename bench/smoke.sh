#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Smoke test of the benchmark harness at its smallest setting: every workload,
# the kernel contenders and defragd (when built) once; checks the results
# have every row, sane values, and that every knob is back as it was.
set -u
build=${1:?usage: smoke.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
# shellcheck source=bench/smoke-lib.sh
. "$here/smoke-lib.sh"
hold_machine_lock "$0" "$@"
out=$(mktemp -d /tmp/defragd-bench-smoke.XXXXXX)
trap 'rm -rf "$out"' EXIT
knobs() { cat /proc/sys/vm/compaction_proactiveness /proc/sys/vm/nr_hugepages /proc/sys/vm/defrag_mode 2>/dev/null | tr '\n' ' '; }
before=$(knobs)
contenders=kernel,pro100
[ -e /proc/sys/vm/defrag_mode ] && contenders+=,defrag_mode
[ -x "$build/daemon/defragd" ] && contenders+=,defragd,defragd-pws
python3 "$here/defragd-bench.py" --build "$build" --out "$out" --smoke \
        --workloads anon,pagecache,unmovable,churn --contenders "$contenders" --pagecache-dir /var/tmp
rc=$?
[ "$rc" = 77 ] && exit 77
after=$(knobs)
check "harness exits 0 (got $rc)" test "$rc" = 0
check "knobs restored ($before -> $after)" test "$before" = "$after"
n_c=$(tr ',' '\n' <<<"$contenders" | wc -l)
check "one row per workload and contender ($((4 * n_c)) expected)" test "$(wc -l <"$out/results.jsonl" 2>/dev/null)" = $((4 * n_c))
python3 - "$out/results.jsonl" <<'PY'
import json, sys
bad = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    where = f"{r['workload']}/{r['contender']}"
    if not (0 <= r["thp_share"] <= 1 and 0 <= r["hugetlb_success"] <= 1): bad.append(f"{where}: shares out of range")
    if len(r["series"]) < 2: bad.append(f"{where}: fewer than 2 samples")
    if not 0 <= r["score_end"] <= 100: bad.append(f"{where}: score {r['score_end']}")
    if r["fill_info"]["FRAGMENTED"]["kept_pages"] == "0": bad.append(f"{where}: fragmenter kept nothing")
    if r["contender"].startswith("defragd") and (r["defragd_rss_kib"] <= 0 or r["defragd_exit"] != 0):
        bad.append(f"{where}: defragd RSS {r['defragd_rss_kib']} exit {r['defragd_exit']}")
    if r["workload"] == "unmovable" and "UNMOVABLE" not in r["fill_info"]: bad.append(f"{where}: no pipes")
    if r["workload"] == "pagecache" and "PAGECACHE" not in r["fill_info"]: bad.append(f"{where}: no page cache")
for b in bad: print("not ok -", b)
sys.exit(1 if bad else 0)
PY
check "every row sane" test $? = 0
check "Markdown table written" grep -q '^| contender |' "$out/results.md"
exit $fail
