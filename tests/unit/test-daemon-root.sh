#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon's control flow on a fixture root (--root): /proc files are real
# captures (tests/fixtures), /sys and /proc/sys are plain files, so every
# decision and every write can be checked exactly. The live kernel is
# exercised by tests/kernel/test-daemon-compacts.sh.
set -u
defragd=$1 defragctl=$2
fixture=${DEFRAGD_FIXTURES:?}/live-6.18-fragmented/proc

fail() { echo "FAIL: $*"; [ -f "$tmp/log" ] && sed 's/^/  daemon: /' "$tmp/log" | tail -30; exit 1; }
tmp=$(mktemp -d /tmp/defragd-root.XXXXXX)
dpid=
cleanup() { [ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

root=$tmp/root
mkdir -p "$root/proc/sys/vm" "$root/sys/devices/system/node/node0" "$tmp/run"
for f in buddyinfo pagetypeinfo zoneinfo vmstat; do
        [ -f "$fixture/$f" ] || fail "fixture $fixture/$f missing"
        cp "$fixture/$f" "$root/proc/$f"
done
echo 20 >"$root/proc/sys/vm/compaction_proactiveness"
: >"$root/sys/devices/system/node/node0/compact"

# Zone Normal of the fixture has fewer order-9 blocks than this asks for.
normal9=$(awk '$1 == "Node" && $2 == "0," && $4 == "Normal" { s = 0; for (i = 14; i <= NF; i++) s += $i * 2 ^ (i - 14); print s }' "$root/proc/buddyinfo")
want=$((normal9 + 10))

write_conf() { # $1 file, $2 extra [Compaction] lines
        cat >"$1" <<EOF
[Daemon]
PollIntervalSec=200ms
Zones=Normal
PressureGuardPercent=0
[Compaction]
CooldownSec=1s
BackoffMaxSec=2s
$2
[Probes]
Enable=no
[Order9]
Low=$want
High=$want
EOF
}
write_conf "$tmp/a.conf" "ProactivenessWhileShort=55"

# 1. A bad config refuses to start, naming file:line:key.
printf '[Daemon]\nPollIntervalSec=soon\n' >"$tmp/bad.conf"
"$defragd" --config "$tmp/bad.conf" --root "$root" --runtime-dir "$tmp/run" --log-target console 2>"$tmp/bad.log"
rc=$?
[ $rc -eq 78 ] || fail "bad config: exit status $rc, expected 78 (EX_CONFIG)"
grep -q "$tmp/bad.conf:2: PollIntervalSec=soon" "$tmp/bad.log" || { cat "$tmp/bad.log"; fail "error does not name file:line:key=value"; }
"$defragd" --check-config --config "$tmp/bad.conf" >/dev/null 2>&1 && fail "--check-config accepted a bad config"
"$defragd" --check-config --config "$tmp/a.conf" >"$tmp/effective.ini" || fail "--check-config rejected a good config"
grep -q "^Low=$want" "$tmp/effective.ini" || fail "--check-config does not print the effective config"

# 2. Start: short -> compact (writes "1"), lever sets the knob; no gain -> back-off.
"$defragd" --config "$tmp/a.conf" --root "$root" --runtime-dir "$tmp/run" --log-target console --log-level debug >"$tmp/log" 2>&1 &
dpid=$!
for _ in $(seq 50); do grep -q "compact node 0:" "$tmp/log" && break; sleep 0.1; done
grep -q "compact node 0: Normal order 9 free blocks $normal9 -> $normal9 (+0)" "$tmp/log" || fail "no compaction logged"
[ "$(cat "$root/sys/devices/system/node/node0/compact")" = 1 ] || fail "compact file not written"
[ "$(cat "$root/proc/sys/vm/compaction_proactiveness")" = 55 ] || fail "lever did not set the knob"
grep -q "^/proc/sys/vm/compaction_proactiveness	20$" "$tmp/run/knobs.state" || fail "original not recorded in the state file"
sleep 2.5
n=$(grep -c "compact node 0:" "$tmp/log")
[ "$n" -ge 2 ] && [ "$n" -le 4 ] || fail "expected 2-4 compactions in ~2.5 s with cooldown 1 s and back-off to 2 s, saw $n"

# 3. status over the socket.
"$defragctl" status --runtime-dir "$tmp/run" >"$tmp/status.txt" || fail "defragctl status failed"
grep -q "Normal" "$tmp/status.txt" && grep -q " short$" "$tmp/status.txt" || { cat "$tmp/status.txt"; fail "status lacks the short zone"; }
"$defragctl" status --json --runtime-dir "$tmp/run" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["any_short"] and d["knobs"][0]["original"]=="20", d' ||
        fail "status JSON wrong"

# 4. SIGHUP with a broken drop-in... (here: broken --config file) keeps the old config.
cp "$tmp/a.conf" "$tmp/a.conf.good"
printf '[Order9]\nLow=10\nHigh=5\n' >>"$tmp/a.conf"
kill -HUP "$dpid"
for _ in $(seq 30); do grep -q "configuration not reloaded" "$tmp/log" && break; sleep 0.1; done
grep -q "configuration not reloaded, keeping the running one: $tmp/a.conf:" "$tmp/log" || fail "bad reload not reported with file:line"
kill -0 "$dpid" || fail "daemon died on a bad reload"
[ "$(cat "$root/proc/sys/vm/compaction_proactiveness")" = 55 ] || fail "bad reload changed the knob"

# 5. SIGHUP with a good config that drops the lever: reloaded, knob restored at once; dry run from now on.
write_conf "$tmp/a.conf" "ProactivenessWhileShort="
sed -i 's/^\[Daemon\]$/[Daemon]\nDryRun=yes/' "$tmp/a.conf"
kill -HUP "$dpid"
for _ in $(seq 30); do grep -q "configuration reloaded" "$tmp/log" && break; sleep 0.1; done
grep -q "configuration reloaded" "$tmp/log" || fail "good reload not reported"
[ "$(cat "$root/proc/sys/vm/compaction_proactiveness")" = 20 ] || fail "reload that disables the lever left the knob changed"
: >"$root/sys/devices/system/node/node0/compact"
for _ in $(seq 40); do grep -q "dry run: would compact node 0" "$tmp/log" && break; sleep 0.1; done
grep -q "dry run: would compact node 0" "$tmp/log" || fail "dry run not reported"
[ ! -s "$root/sys/devices/system/node/node0/compact" ] || fail "dry run wrote the compact file"

# 6. SIGTERM: clean exit, nothing left behind.
kill -TERM "$dpid"; wait "$dpid"; rc=$?; dpid=
[ $rc -eq 0 ] || fail "exit status $rc on SIGTERM"
[ ! -e "$tmp/run/knobs.state" ] && [ ! -e "$tmp/run/control" ] || fail "state file or socket left behind"
"$defragctl" status --runtime-dir "$tmp/run" 2>"$tmp/err" && fail "status succeeded with no daemon"
grep -q "defragd is not running" "$tmp/err" || fail "no clear error without a daemon: $(cat "$tmp/err")"
echo PASS
