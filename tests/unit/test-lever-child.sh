#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Levers off the loop on a fixture root: node0/compact is a FIFO nobody
# reads, so the compaction lever's write blocks in its child process. The
# daemon must keep answering, kill it at TimeoutSec= (reported "timeout",
# counted as no gain: back-off), and on SIGTERM during a run report it
# "interrupted", restore the knob and exit at once. Under a watchdog
# (WATCHDOG_USEC, a NOTIFY_SOCKET listener) the pings keep coming while the
# lever hangs past its timeout.
set -u
defragd=$1 defragctl=$2
fixture=${DEFRAGD_FIXTURES:?}/live-6.18-fragmented/proc

fail() { echo "FAIL: $*"; [ -f "$tmp/log" ] && sed 's/^/  daemon: /' "$tmp/log" | tail -30; exit 1; }
tmp=$(mktemp -d /tmp/defragd-child.XXXXXX)
dpid= npid=
client=$(cd "$(dirname "$0")" && pwd)/control-client.py
cleanup() {
        [ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
        [ -n "$npid" ] && kill "$npid" 2>/dev/null && wait "$npid" 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT

root=$tmp/root
mkdir -p "$root/proc/sys/vm" "$root/sys/devices/system/node/node0" "$tmp/run"
for f in buddyinfo pagetypeinfo zoneinfo vmstat; do cp "$fixture/$f" "$root/proc/$f" || fail "fixture $f"; done
echo 20 >"$root/proc/sys/vm/compaction_proactiveness"
mkfifo "$root/sys/devices/system/node/node0/compact"

conf() { # $1 timeout
        cat <<EOF
[Daemon]
PollIntervalSec=200ms
Zones=Normal
PressureGuardPercent=0
[Compaction]
CooldownSec=1s
BackoffMaxSec=10s
TimeoutSec=$1
ProactivenessWhileShort=55
[Probes]
Enable=no
[Order9]
Low=100000000
High=100000000
EOF
}
running_pid() {
        "$defragctl" status --json --runtime-dir "$tmp/run" | python3 -c '
import json, sys
r = json.load(sys.stdin)["ladder"]["running"]
print(r["pid"] if r else "")'
}

# 1. Timeout: killed after 1 s, reported, backed off; status answers meanwhile.
conf 1s >"$tmp/a.conf"
"$defragd" --config "$tmp/a.conf" --root "$root" --runtime-dir "$tmp/run" --log-target console >"$tmp/log" 2>&1 &
dpid=$!
for _ in $(seq 50); do [ -S "$tmp/run/control" ] && break; sleep 0.05; done
pid=
for _ in $(seq 50); do pid=$(running_pid) && [ -n "$pid" ] && break; sleep 0.05; done
[ -n "$pid" ] || fail "status never showed the blocked lever running"
"$defragctl" status --runtime-dir "$tmp/run" >"$tmp/status.txt" || fail "status failed while the lever blocks"
grep -q "running: compact node 0" "$tmp/status.txt" || { cat "$tmp/status.txt"; fail "text status does not show the running lever"; }
# Killed at its TimeoutSec=1s, not before (timer slack aside); how much later
# depends on the machine's load (no upper bound here but the 20 s wait).
for _ in $(seq 200); do grep -q "compact node 0 timed out" "$tmp/log" && break; sleep 0.1; done
killed_ms=$(grep -Eo "compact node 0 timed out: killed after [0-9]+ ms" "$tmp/log" | grep -Eo "[0-9]+ ms" | cut -d' ' -f1)
[ -n "$killed_ms" ] || fail "no timeout reported in 20 s (TimeoutSec=1s)"
[ "$killed_ms" -ge 900 ] || fail "killed after $killed_ms ms, before its 1 s timeout"
echo "timed out and killed after $killed_ms ms (TimeoutSec=1s)"
for _ in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.02; done
[ -d "/proc/$pid" ] && fail "the timed-out lever process $pid is still there"
"$defragctl" status --json --runtime-dir "$tmp/run" | python3 -c '
import json, sys
d = json.load(sys.stdin)
n = d["ladder"]["nodes"][0]
c = [r for r in n["rungs"] if r["lever"] == "compact"][0]
assert n["last_rung"] == "compact", n
assert c["last_result"] == "timeout" and c["consecutive_no_gain"] >= 1 and c["backoff_usec"] >= 2000000, c
a = d["recent_actions"][-1]
assert a["result"] == "timeout" and not a["gain_known"], a
' || fail "status does not show the timeout and its back-off"
kill -TERM "$dpid"; wait "$dpid" || fail "exit status $? on SIGTERM"
dpid=

# 2. SIGTERM while the lever blocks: interrupted, knob restored, prompt exit.
conf 1h >"$tmp/a.conf"
"$defragd" --config "$tmp/a.conf" --root "$root" --runtime-dir "$tmp/run" --log-target console >"$tmp/log" 2>&1 &
dpid=$!
for _ in $(seq 50); do [ -S "$tmp/run/control" ] && break; sleep 0.05; done
pid=
for _ in $(seq 50); do pid=$(running_pid) && [ -n "$pid" ] && break; sleep 0.05; done
[ -n "$pid" ] || fail "status never showed the blocked lever running"
[ "$(cat "$root/proc/sys/vm/compaction_proactiveness")" = 55 ] || fail "knob lever not engaged"
kill -TERM "$dpid"
for _ in $(seq 20); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$dpid" 2>/dev/null && fail "defragd still running 1 s after SIGTERM"
wait "$dpid" || fail "exit status $? on SIGTERM"
dpid=
grep -q "compact node 0 interrupted after" "$tmp/log" || fail "the blocked lever was not reported interrupted"
[ -d "/proc/$pid" ] && fail "the lever process $pid outlived the daemon"
[ "$(cat "$root/proc/sys/vm/compaction_proactiveness")" = 20 ] || fail "knob not restored"
[ ! -e "$tmp/run/knobs.state" ] || fail "state file left behind"

# 3. Watchdog: WatchdogSec=1s, a lever hanging until its 3 s
# timeout: the pings never stop (the loop is not the lever's), the hang is
# abandoned and reported, and the daemon goes on evaluating.
conf 3s >"$tmp/a.conf"
python3 "$client" notify "$tmp/notify" "$tmp/notify.log" &
npid=$!
for _ in $(seq 50); do [ -S "$tmp/notify" ] && break; sleep 0.1; done
NOTIFY_SOCKET=$tmp/notify WATCHDOG_USEC=1000000 \
        "$defragd" --config "$tmp/a.conf" --root "$root" --runtime-dir "$tmp/run" --log-target console >"$tmp/log" 2>&1 &
dpid=$!
for _ in $(seq 100); do grep -q "compact node 0 timed out" "$tmp/log" && break; sleep 0.1; done
grep -q "compact node 0 timed out" "$tmp/log" || fail "the hanging lever was not abandoned at TimeoutSec=3s"
sleep 1.2 # and after it
kill -TERM "$dpid"; wait "$dpid" || fail "exit status $? on SIGTERM"
dpid=
grep -q READY=1 "$tmp/notify.log" || fail "no READY=1"
python3 "$client" watchdog-gap "$tmp/notify.log" 1 || fail "watchdog missed while the lever hung"
hang=$(python3 - "$tmp/notify.log" <<'PY'
import sys
t = [float(l.split()[0]) for l in open(sys.argv[1]) if "WATCHDOG=1" in l]
print(len(t), "pings over %.1f s" % (t[-1] - t[0]))
PY
)
echo "ok: watchdog fed through a 3 s hang: $hang; $(grep -m1 "timed out" "$tmp/log" | cut -c1-120)"
echo PASS
