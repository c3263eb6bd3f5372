#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# procfs answers the daemon has never seen (issue 13), on a fixture root the
# test changes between polls: a truncated read skips the evaluation with ONE
# log line and the next poll works again, with one line saying so; an extra
# zone, an order count that changes, a node that goes offline and comes back
# are taken as they come (evaluations go on, status shows the new shape), each
# change said in one line however many polls it lasts. Nothing crashes (ASan).
set -u
defragd=$1 defragctl=$2
fixture=${DEFRAGD_FIXTURES:?}/numa-2node/proc

tmp=$(mktemp -d /tmp/defragd-procfs.XXXXXX)
dpid=
fail() { echo "FAIL: $*"; [ -f "$tmp/log" ] && sed 's/^/  daemon: /' "$tmp/log" | tail -20; exit 1; }
cleanup() { [ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

root=$tmp/root run=$tmp/run proc=$tmp/root/proc
mkdir -p "$proc/pressure" "$proc/sys/vm" "$root/sys/devices/system/node/node0" "$root/sys/devices/system/node/node1" "$tmp/orig"
for f in buddyinfo pagetypeinfo zoneinfo; do cp "$fixture/$f" "$proc/$f"; cp "$fixture/$f" "$tmp/orig/$f"; done
cp "$fixture/pressure/memory" "$proc/pressure/memory"
echo 20 >"$proc/sys/vm/compaction_proactiveness"
printf '[Daemon]\nPollIntervalSec=100ms\nZones=Normal Movable\nDryRun=yes\nPressureGuardPercent=0\n[Probes]\nEnable=no\n[Order9]\nLow=4\nHigh=8\n' >"$tmp/a.conf"

"$defragd" --config "$tmp/a.conf" --root "$root" --runtime-dir "$run" --log-target console >"$tmp/log" 2>&1 &
dpid=$!

status_json() { "$defragctl" status --json --runtime-dir "$run"; }
evals() { status_json | python3 -c 'import json,sys; print(json.load(sys.stdin)["evaluations"])'; }
# "node:zone:orders" of every zone status shows, sorted.
shape() { status_json | python3 -c 'import json,sys; print(" ".join(sorted("%d:%s:%d" % (z["node"], z["zone"], len(z["orders"])) for z in json.load(sys.stdin)["zones"])))'; }
# Replace a file whole (rename), as the kernel's files never change mid-read for us.
put() { cat >"$proc/$1.new" && mv "$proc/$1.new" "$proc/$1"; }
restore() { for f in buddyinfo zoneinfo; do put "$f" <"$tmp/orig/$f"; done; }
# Wait until evaluations pass $1; print the new count.
evals_beyond() {
        local n
        for _ in $(seq 100); do
                n=$(evals 2>/dev/null) && [ "$n" -gt "$1" ] && { echo "$n"; return 0; }
                sleep 0.1
        done
        return 1
}
log_lines() { grep -c "$1" "$tmp/log"; }

for _ in $(seq 100); do [ -S "$run/control" ] && evals_beyond 2 >/dev/null && break; sleep 0.1; done
n=$(evals_beyond 2) || fail "daemon not evaluating"
shape0=$(shape)
echo "start: $n evaluations, zones $shape0"

# 1. Truncated reads: each skips evaluations, with one log line however many
#    polls it lasts, and the next good read is evaluated.
truncated() { # $1 file, $2 bytes kept
        local before after n0 lines0
        lines0=$(log_lines "cannot read the buddy allocator's state")
        head -c "$2" "$tmp/orig/$1" | put "$1"
        sleep 0.3 # let a poll that was already reading finish
        before=$(evals)
        sleep 1.5 # ~15 polls
        after=$(evals)
        [ "$after" -eq "$before" ] || fail "$1 cut to $2 bytes: evaluations went on ($before -> $after) on a truncated file"
        [ $(($(log_lines "cannot read the buddy allocator's state") - lines0)) -eq 1 ] ||
                fail "$1 cut to $2 bytes: expected one log line over ~15 failed polls, got $(($(log_lines "cannot read the buddy allocator's state") - lines0))"
        restore
        n0=$(evals_beyond "$after") || fail "$1 restored: no evaluation since"
        [ "$(log_lines "the buddy allocator's state reads again")" -eq "$((++recovered))" ] ||
                fail "$1 restored: expected recovery line $recovered, got $(log_lines "the buddy allocator's state reads again")"
        echo "ok: $1 cut to $2 bytes: evaluations held at $after, one line: $(grep "cannot read the buddy allocator's state" "$tmp/log" | tail -1 | cut -c1-140); then $n0"
}
recovered=0
truncated buddyinfo 150
truncated buddyinfo 0
truncated zoneinfo 2005            # mid-line
truncated zoneinfo 2000            # at a line boundary: only the zones left out tell
truncated buddyinfo 100            # first line only: likewise

# 2. An extra zone appears (a Movable zone on node 1, as after movable_node
#    hotplug) and goes again.
n=$(evals)
{ cat "$tmp/orig/buddyinfo"; echo "Node 1, zone  Movable     10      5      3      2      1      1      1      1      1      9      2 "; } | put buddyinfo
{ cat "$tmp/orig/zoneinfo"; printf 'Node 1, zone  Movable\n  pages free     5157\n        min      10\n        low      20\n        high     30\n        spanned  65536\n        present  65536\n        managed  65536\n'; } | put zoneinfo
n=$(evals_beyond $((n + 2))) || fail "extra zone: evaluations stopped"
shape | grep -q "1:Movable:11" || fail "extra zone not in status: $(shape)"
changes=$(log_lines "the zones in procfs changed")
[ "$changes" -eq 1 ] || fail "extra zone: expected one 'zones changed' line over several polls, got $changes"
grep -q "the zones in procfs changed: node 1 Movable appeared, 11 orders" "$tmp/log" || fail "extra zone: the line does not say which"
echo "ok: extra zone: $(shape)"
restore
n=$(evals_beyond $((n + 2))) || fail "extra zone gone: evaluations stopped"
[ "$(shape)" = "$shape0" ] || fail "after the extra zone went: $(shape), expected $shape0"
[ "$(log_lines "the zones in procfs changed")" -eq 2 ] || fail "extra zone gone: expected one more 'zones changed' line"

# 3. The order count changes between reads: 12 orders, then 9 (below the
#    configured order 9 target), then 11 again.
changes=2
for orders in 12 9; do
        awk -v n="$orders" '{ line = $1 " " $2 " " $3 " " $4; for (i = 5; i < 5 + n; i++) line = line " " (i <= NF ? $i : 1); print line " " }' \
                "$tmp/orig/buddyinfo" | put buddyinfo
        n=$(evals_beyond $((n + 2))) || fail "$orders orders: evaluations stopped"
        shape | grep -q "0:Normal:$orders" || fail "$orders orders not in status: $(shape)"
        [ "$(log_lines "the zones in procfs changed")" -eq "$((changes += 1))" ] || fail "$orders orders: expected 'zones changed' line $changes"
        echo "ok: $orders orders: $(shape)"
done
restore
n=$(evals_beyond $((n + 2))) || fail "11 orders again: evaluations stopped"
[ "$(shape)" = "$shape0" ] || fail "after the order changes: $(shape), expected $shape0"
grep -q "node 0 Normal 9 orders, was 12; its order 9 target cannot be evaluated" "$tmp/log" ||
        fail "9 orders: the line does not say the order 9 target cannot be evaluated"
[ "$(log_lines "the zones in procfs changed")" -eq 5 ] || fail "11 orders again: expected 5 'zones changed' lines, got $(log_lines "the zones in procfs changed")"

# 4. Node 1 goes offline (gone from every file) and comes back.
grep -v "^Node 1," "$tmp/orig/buddyinfo" | put buddyinfo
awk '/^Node/ { skip = ($2 == "1,") } !skip' "$tmp/orig/zoneinfo" | put zoneinfo
n=$(evals_beyond $((n + 2))) || fail "node 1 offline: evaluations stopped"
shape | grep -q "1:" && fail "node 1 offline but in status: $(shape)"
echo "ok: node 1 offline: $(shape)"
restore
n=$(evals_beyond $((n + 2))) || fail "node 1 back: evaluations stopped"
[ "$(shape)" = "$shape0" ] || fail "node 1 back: $(shape), expected $shape0"
echo "ok: node 1 back: $(shape)"
[ "$(log_lines "the zones in procfs changed")" -eq 7 ] || fail "node 1 out and back: expected 7 'zones changed' lines, got $(log_lines "the zones in procfs changed")"
grep "the zones in procfs changed" "$tmp/log" | sed 's/^/  /' 

kill -TERM "$dpid"; wait "$dpid"; rc=$?; dpid=
[ $rc -eq 0 ] || fail "daemon exit status $rc"
grep -q "ERROR: \|runtime error" "$tmp/log" && fail "sanitizer report in the daemon log"
echo "daemon log: $(wc -l <"$tmp/log") lines over the run"
echo PASS
