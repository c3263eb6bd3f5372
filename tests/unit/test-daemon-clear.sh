#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The clear-offline rung wired end to end on the planner capture made into a
# root (test-plan --make-root): in dry run the daemon reads page flags in
# slices, the ladder climbs past absent compaction to clear-offline, and the
# block it names is the planner's cheapest within MaxPagesPerAction=.
set -u
defragd=$1 defragctl=$2 test_plan=$3
tmp=$(mktemp -d /tmp/defragd-clear.XXXXXX)
dpid=
fail() { echo "FAIL: $*"; [ -f "$tmp/log" ] && sed 's/^/  daemon: /' "$tmp/log" | tail -30; exit 1; }
cleanup() { [ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

root=$tmp/root
"$test_plan" --make-root "$root" || fail "cannot build the fixture root"
mkdir -p "$tmp/run" "$tmp/textfile"
# Normal's order-9 blocks in the capture; ask for more so it is short.
normal9=$(awk '$1 == "Node" && $2 == "0," && $4 == "Normal" { s = 0; for (i = 14; i <= NF; i++) s += $i * 2 ^ (i - 14); print s }' "$root/proc/buddyinfo")
want=$((normal9 + 100))
budget=16384
cat >"$tmp/a.conf" <<EOF
[Daemon]
PollIntervalSec=200ms
Zones=Normal
PressureGuardPercent=0
DryRun=yes
[Probes]
Enable=no
[Metrics]
TextfileDirectory=$tmp/textfile
[Planner]
SlicePages=4194304
[ClearOffline]
MaxPagesPerAction=$budget
CooldownSec=1h
[Order9]
Low=$want
High=$want
EOF
# The planner's own answer, for the same budget (the cheapest memory block first).
"$defragctl" plan --root "$root" --budget "$budget" --json >"$tmp/plan.json" || fail "defragctl plan failed"
expect=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
z = [z for z in d["zones"] if z["zone"] == "Normal"][0]
mb = [p for p in z["plans"] if p["granularity"] == "memory_block"][0]
c = mb["chosen"][0]
print(c["memory_block"], c["start_pfn"], c["nr_pages"], c["cost_pages"])' "$tmp/plan.json") || fail "no memory block in the plan"
read -r mb pfn nr cost <<<"$expect"
echo "planner: memory$mb pfn $pfn+$nr, $cost pages"

"$defragd" --config "$tmp/a.conf" --root "$root" --runtime-dir "$tmp/run" --log-target console --log-level debug >"$tmp/log" 2>&1 &
dpid=$!
for _ in $(seq 300); do grep -q "would clear-offline" "$tmp/log" && break; sleep 0.1; done
grep "would clear-offline" "$tmp/log" | head -1
grep -q "dry run: would clear-offline node 0 memory$mb pfn $pfn+$nr ($cost pages to move planned, 0 moved) (Normal order 9" "$tmp/log" ||
        fail "the daemon did not name memory$mb pfn $pfn+$nr ($cost pages)"
grep -q "compact does not act: lever unavailable\|compact.*unavailable" "$tmp/log" || grep -q "lever compact unavailable" "$tmp/log" ||
        fail "compaction was not the absent rung it should be on this root"
[ "$(cat "$root/sys/devices/system/memory/memory$mb/state")" = online ] || fail "dry run wrote the block's state"

"$defragctl" status --runtime-dir "$tmp/run" >"$tmp/status.txt" || fail "defragctl status failed"
grep -q "clear-offline  present" "$tmp/status.txt" || { cat "$tmp/status.txt"; fail "status lacks the clear-offline rung"; }
grep -q "dry-run [1-9]" "$tmp/status.txt" || { cat "$tmp/status.txt"; fail "status lacks the dry-run counter"; }
grep -q "planner: [0-9]* memory blocks" "$tmp/status.txt" || { cat "$tmp/status.txt"; fail "status lacks the planner"; }
"$defragctl" status --json --runtime-dir "$tmp/run" | python3 -c '
import json, sys
d = json.load(sys.stdin)
c = d["clearing"]
assert c["clear-offline"]["present"] and c["clear-offline"]["dry_runs"] >= 1, c
assert not c["clear-kmod"]["present"], c
assert c["planner"]["on"] and c["planner"]["pages_read"] > 0, c["planner"]
' || fail "status JSON lacks the clearing section"

# Metrics: the socket answers, the textfile is written each evaluation, the
# dry run counted for the clear-offline lever.
"$defragctl" metrics --runtime-dir "$tmp/run" >"$tmp/metrics.txt" || fail "defragctl metrics failed"
grep -q '^defragd_actions_total{lever="clear-offline",result="dry-run"} [1-9]' "$tmp/metrics.txt" ||
        { grep actions_total "$tmp/metrics.txt"; fail "metrics lack the clear-offline dry runs"; }
grep -q '^defragd_free_blocks{node="0",zone="Normal",order="9"}' "$tmp/metrics.txt" || fail "metrics lack the Normal zone"
"$defragctl" metrics --openmetrics --runtime-dir "$tmp/run" | tail -1 | grep -qx "# EOF" || fail "OpenMetrics without # EOF"
[ -s "$tmp/textfile/defragd.prom" ] || fail "no textfile in [Metrics] TextfileDirectory="
grep -q '^defragd_evaluations_total [1-9]' "$tmp/textfile/defragd.prom" || fail "textfile lacks evaluations"

# A budget below every block's cost: no candidate, the rung does not act.
kill "$dpid"; wait "$dpid"; dpid=
[ ! -e "$tmp/textfile/defragd.prom" ] || fail "textfile left after a clean stop"
sed -i "s/^MaxPagesPerAction=.*/MaxPagesPerAction=1/" "$tmp/a.conf"
"$defragd" --config "$tmp/a.conf" --root "$root" --runtime-dir "$tmp/run" --log-target console --log-level debug >"$tmp/log" 2>&1 &
dpid=$!
for _ in $(seq 300); do grep -q "clear-offline does not act" "$tmp/log" && break; sleep 0.1; done
grep -q "clear-offline does not act: .*candidate" "$tmp/log" || fail "with MaxPagesPerAction=1 the rung was not skipped for want of a candidate"
grep -q "would clear-offline" "$tmp/log" && fail "acted beyond MaxPagesPerAction"
# The module rung: with the companion module's sysfs present (a capture
# from the guest, tests/fixtures/kmod-clear-6.12) clear-kmod comes first in
# the default ladder and names an aligned 2 MiB block, the planner's cheapest.
kill "$dpid"; wait "$dpid"; dpid=
sed -i "s/^MaxPagesPerAction=.*/MaxPagesPerAction=$budget/" "$tmp/a.conf"
mkdir -p "$root/sys/kernel"
cp -r "${DEFRAGD_FIXTURES:?}/kmod-clear-6.12/sys/kernel/defragd_clear" "$root/sys/kernel/"
"$defragctl" plan --root "$root" --json >"$tmp/plan.json" || fail "defragctl plan failed"
read -r bpfn bcost <<<"$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
z = [z for z in d["zones"] if z["zone"] == "Normal"][0]
b = [p for p in z["plans"] if p["granularity"] == "block"][0]
print(b["chosen"][0]["start_pfn"], b["chosen"][0]["cost_pages"])' "$tmp/plan.json")"
"$defragd" --config "$tmp/a.conf" --root "$root" --runtime-dir "$tmp/run" --log-target console --log-level debug >"$tmp/log" 2>&1 &
dpid=$!
for _ in $(seq 300); do grep -q "would clear-kmod" "$tmp/log" && break; sleep 0.1; done
grep "would clear-kmod" "$tmp/log" | head -1
grep -q "dry run: would clear-kmod node 0 pfn $bpfn+512 ($bcost pages to move planned" "$tmp/log" ||
        fail "clear-kmod did not name the planner's cheapest aligned block pfn $bpfn ($bcost pages)"
"$defragctl" status --json --runtime-dir "$tmp/run" | python3 -c '
import json, sys
c = json.load(sys.stdin)["clearing"]["clear-kmod"]
assert c["present"] and c["dry_runs"] >= 1, c' || fail "status does not show the module rung present"
echo ok
