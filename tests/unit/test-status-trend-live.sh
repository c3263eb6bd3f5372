#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The trend column of `defragctl status` end to end: the daemon on a fixture
# root whose buddyinfo loses 2 free order-9 blocks a second in Normal while
# DMA32 stays put; status must predict Normal's low mark and call DMA32 flat.
set -u
defragd=$1 defragctl=$2
fixture=${DEFRAGD_FIXTURES:?}/live-6.18-fragmented/proc

tmp=$(mktemp -d /tmp/defragd-trend.XXXXXX)
dpid= wpid=
fail() { echo "FAIL: $*"; [ -f "$tmp/log" ] && sed 's/^/  daemon: /' "$tmp/log" | tail -20; exit 1; }
cleanup() {
        [ -n "$wpid" ] && kill "$wpid" 2>/dev/null && wait "$wpid" 2>/dev/null
        [ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT

root=$tmp/root run=$tmp/run
mkdir -p "$root/proc/sys/vm" "$root/sys/devices/system/node/node0"
for f in buddyinfo pagetypeinfo zoneinfo vmstat; do cp "$fixture/$f" "$root/proc/$f"; done
echo 20 >"$root/proc/sys/vm/compaction_proactiveness"
: >"$root/sys/devices/system/node/node0/compact"
# WindowSec=60s is the shortest accepted: samples >= 1.875 s apart, a fit from 4.
printf '[Daemon]\nPollIntervalSec=250ms\nDryRun=yes\n[Probes]\nEnable=no\n[Trend]\nWindowSec=60s\n' >"$tmp/a.conf"

# Normal: order-10 count 100 - elapsed seconds (suitable order-9 blocks
# 2 x that + 1: 201 falling 2/s, by the clock, whatever the writer's pace);
# DMA32 and DMA as captured. Replaced by rename, so the daemon never reads
# half a file.
writer() {
        local t0=${EPOCHREALTIME/./} n
        while :; do
                n=$((100 - (${EPOCHREALTIME/./} - t0) / 1000000))
                awk -v n="$n" '$4 == "Normal" { $15 = n } { print }' "$fixture/buddyinfo" >"$root/proc/buddyinfo.new"
                mv "$root/proc/buddyinfo.new" "$root/proc/buddyinfo"
                sleep 0.2
        done
}
writer &
wpid=$!
"$defragd" --config "$tmp/a.conf" --root "$root" --runtime-dir "$run" --log-target console >"$tmp/log" 2>&1 &
dpid=$!
for _ in $(seq 100); do [ -S "$run/control" ] && break; sleep 0.1; done
[ -S "$run/control" ] || fail "no control socket after 10 s"

# Four samples 1.875 s apart: ~6 s; the fit may also need the first sample
# out of the step detector's way. Poll the JSON until Normal has a fit.
normal_json=
for _ in $(seq 60); do
        "$defragctl" status --json --runtime-dir "$run" >"$tmp/status.json" 2>"$tmp/err" || fail "status --json: $(cat "$tmp/err")"
        normal_json=$(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
for z in s["zones"]:
    for o in z["orders"]:
        if z["zone"] == "Normal" and o["order"] == 9 and o.get("trend"):
            print(json.dumps(o))
' "$tmp/status.json")
        [ -n "$normal_json" ] && break
        sleep 0.5
done
[ -n "$normal_json" ] || fail "no trend for Normal order 9 in 30 s: $(cat "$tmp/status.json")"
echo "ok: Normal order 9 in status --json: $normal_json"
python3 - "$normal_json" <<'EOF' || fail "Normal's trend is not the scripted fall"
import json, sys
o = json.loads(sys.argv[1])
t = o["trend"]
# 2 blocks/s down; low 64 from >= ~150 free: tens of seconds away, never null
assert -3.0 < t["slope_blocks_per_sec"] < -1.0, t
assert t["seconds_to_low"] is not None and 10 < t["seconds_to_low"] < 120, t
assert abs(t["seconds_to_low"] - (o["suitable_blocks"] - o["low_blocks"]) / -t["slope_blocks_per_sec"]) < 15, (o, t)
EOF
echo "ok: slope and time to low agree with the scripted series"

"$defragctl" status --runtime-dir "$run" >"$tmp/status.txt" 2>"$tmp/err" || fail "status: $(cat "$tmp/err")"
grep -q ' LOW_IN ' "$tmp/status.txt" || fail "no LOW_IN column: $(cat "$tmp/status.txt")"
low_in() { awk -v z="$1" '$2 == z && $3 == 9 { print $9 }' "$tmp/status.txt"; }
n=$(low_in Normal) d=$(low_in DMA32)
[[ $n =~ ^[0-9]+(s|min)$ ]] || fail "Normal LOW_IN is '$n', expected a time: $(cat "$tmp/status.txt")"
# DMA32 does not move: flat ("never"), or no fit yet ("-"), never a time
[[ $d == never || $d == - ]] || fail "DMA32 LOW_IN is '$d', expected never or -: $(cat "$tmp/status.txt")"
echo "ok: status text: Normal LOW_IN $n, DMA32 LOW_IN $d"
sed -n '/NODE/,/^$/p' "$tmp/status.txt"
exit 0
