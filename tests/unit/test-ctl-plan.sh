#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `defragctl plan --root` on the planner capture: text and JSON agree, the
# bound is stated, the spanning/slab blocks are skipped, bad options refused.
set -u
defragctl=$1 test_plan=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$test_plan" --make-root "$tmp/root" || fail "cannot build the fixture root"
"$defragctl" plan --root "$tmp/root" --blocks 8 >"$tmp/out.txt" 2>"$tmp/err.txt" || fail "plan failed: $(cat "$tmp/err.txt")"
cat "$tmp/out.txt"
grep -q "^Node 0, zone Normal" "$tmp/out.txt" || fail "no Normal zone"
grep -q "bound: 8 more free blocks of order 9 need at least [0-9]* pages moved" "$tmp/out.txt" || fail "no bound line"
grep -q "memory blocks: .*spanning zones" "$tmp/out.txt" || fail "no memory block plan"

"$defragctl" plan --root "$tmp/root" --blocks 8 --json >"$tmp/out.json" || fail "plan --json failed"
python3 - "$tmp/out.json" "$tmp/out.txt" <<'PY' || fail "JSON does not match the text"
import json, re, sys
d = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
normal = [z for z in d["zones"] if z["zone"] == "Normal"][0]
blk = [p for p in normal["plans"] if p["granularity"] == "block"][0]
mb = [p for p in normal["plans"] if p["granularity"] == "memory_block"][0]
assert blk["bound_blocks"] == 8 and blk["bound_pages"] == sum(c["cost_pages"] for c in blk["chosen"]), blk
assert f"need at least {blk['bound_pages']} pages moved" in text
assert all(c["memory_block"] not in (0, 32) for c in mb["chosen"]), "spanning or slab block chosen"
assert all(c["start_pfn"] != 0x102a00 for c in blk["chosen"]), "the one-slab-page block chosen"
costs = [c["cost_pages"] for c in blk["chosen"]]
assert costs == sorted(costs), costs
print("json ok:", blk["bound_pages"], "pages for 8 blocks;", mb["chosen"][0]["memory_block"] if mb["chosen"] else None)
PY

# --costs: every candidate once, cheapest first; the first N sum to the bound for N
"$defragctl" plan --root "$tmp/root" --blocks 8 --json --costs >"$tmp/costs.json" || fail "plan --json --costs failed"
python3 - "$tmp/costs.json" <<'PY' || fail "--costs does not give the bound"
import json, sys
d = json.load(open(sys.argv[1]))
for z in d["zones"]:
    for p in z["plans"]:
        c = p["costs"]
        if p["granularity"] == "block":
            flat = [cost for cost, n in c for _ in range(n)]
            assert len(flat) == p["candidates"], (z["zone"], len(flat), p["candidates"])
            assert flat == sorted(flat), z["zone"]
            assert all(c[i][0] < c[i + 1][0] for i in range(len(c) - 1)), "runs of one cost not merged"
            assert sum(flat[:8]) == p["bound_pages"] or len(flat) < 8, (z["zone"], sum(flat[:8]), p["bound_pages"])
        else:
            assert len(c) == p["candidates"], (z["zone"], len(c), p["candidates"])
            per = [cost / gain for cost, gain in c]
            assert per == sorted(per), z["zone"]
            got = moved = 0
            for cost, gain in c:
                if got >= 8:
                    break
                got, moved = got + gain, moved + cost
            assert moved == p["bound_pages"], (z["zone"], moved, p["bound_pages"])
        print("costs ok:", z["zone"], p["granularity"], len(c), "entries")
PY
"$defragctl" plan --root "$tmp/root" --costs >/dev/null 2>"$tmp/err.txt"
[ $? -eq 2 ] || fail "plan --costs without --json: not exit 2"
grep -q "expected --costs together with --json" "$tmp/err.txt" || fail "--costs without --json: $(cat "$tmp/err.txt")"

for bad in "--order x" "--order 99" "--blocks 0" "--budget -1" "--bogus"; do
        # shellcheck disable=SC2086
        "$defragctl" plan --root "$tmp/root" $bad >/dev/null 2>"$tmp/err.txt"
        rc=$?
        [ $rc -eq 2 ] || fail "plan $bad: exit $rc, expected 2"
        grep -q "expected" "$tmp/err.txt" || fail "plan $bad: no 'expected' in: $(cat "$tmp/err.txt")"
done
"$defragctl" plan --root "$tmp/nonexistent" >/dev/null 2>"$tmp/err.txt" && fail "plan on a missing root succeeded"
grep -q "nonexistent" "$tmp/err.txt" || fail "error does not name the path: $(cat "$tmp/err.txt")"
echo ok
