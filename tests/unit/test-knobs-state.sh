#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A truncated knob state file at start (issue 13): the daemon says so, runs
# without changing any knob (not even the one it would set), keeps the file
# for a human after it stops; --restore-knobs refuses too. Fixture root.
set -u
defragd=$1
fixture=${DEFRAGD_FIXTURES:?}/live-6.18-fragmented/proc
tmp=$(mktemp -d /tmp/defragd-state.XXXXXX)
dpid=
fail() { echo "FAIL: $*"; [ -f "$tmp/log" ] && sed 's/^/  daemon: /' "$tmp/log" | tail -20; exit 1; }
cleanup() { [ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

root=$tmp/root run=$tmp/run knob=$tmp/root/proc/sys/vm/compaction_proactiveness
mkdir -p "$root/proc/sys/vm" "$root/sys/devices/system/node/node0" "$run"
chmod 700 "$run"
for f in buddyinfo pagetypeinfo zoneinfo vmstat; do cp "$fixture/$f" "$root/proc/$f"; done
: >"$root/sys/devices/system/node/node0/compact"
echo 37 >"$knob" # left by a crashed instance; its record says 20, cut short to "2"
printf '/proc/sys/vm/compaction_proactiveness\t2' >"$run/knobs.state"
cp "$run/knobs.state" "$tmp/state.orig"
printf '[Daemon]\nPollIntervalSec=100ms\nZones=Normal\nPressureGuardPercent=0\n[Compaction]\nProactivenessWhileShort=55\n[Probes]\nEnable=no\n[Order9]\nLow=100000\nHigh=100000\n' >"$tmp/a.conf"

"$defragd" --restore-knobs --root "$root" --runtime-dir "$run" --log-target console >"$tmp/restore.log" 2>&1 &&
        fail "--restore-knobs succeeded on a corrupt state file"
grep -q "knobs.state:1: line cut short" "$tmp/restore.log" || fail "--restore-knobs does not say which line: $(cat "$tmp/restore.log")"
echo "ok: --restore-knobs refused: $(head -1 "$tmp/restore.log" | cut -c1-150)"

"$defragd" --config "$tmp/a.conf" --root "$root" --runtime-dir "$run" --log-target console >"$tmp/log" 2>&1 &
dpid=$!
for _ in $(seq 50); do grep -q "compact node 0" "$tmp/log" && break; sleep 0.1; done
grep -q "compact node 0" "$tmp/log" || fail "daemon not running its levers"
sleep 0.5
[ "$(grep -c "knobs.state:1: line cut short" "$tmp/log")" -eq 1 ] || fail "the corrupt state file is not reported once at start"
[ "$(cat "$knob")" = 37 ] || fail "knob changed to $(cat "$knob") despite the corrupt record"
kill -TERM "$dpid"; wait "$dpid"; dpid=
[ "$(cat "$knob")" = 37 ] || fail "knob changed at stop"
cmp -s "$run/knobs.state" "$tmp/state.orig" || fail "state file not kept as it was"
echo "ok: daemon ran, compacted, left the knob at 37 and kept the file: $(grep -m1 "knobs.state" "$tmp/log" | cut -c1-150)"
echo PASS
