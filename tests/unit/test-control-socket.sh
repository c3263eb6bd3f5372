#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The control socket against clients defragctl never is (issue 13): an
# unprivileged user (refused by the directory and socket modes, and by the
# peer check when those are opened up), garbage and oversized requests,
# clients that send nothing (the loop and the watchdog go on), 1,000 clients
# in a row (descriptors and RSS where they were). Daemon on a fixture root.
set -u
defragd=$1 defragctl=$2
here=$(cd "$(dirname "$0")" && pwd)
client=$here/control-client.py
fixture=${DEFRAGD_FIXTURES:?}/live-6.18-fragmented/proc

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (runs defragctl as user nobody with setpriv)"; exit 77; }
command -v setpriv >/dev/null || { echo "SKIP: setpriv (util-linux) not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
# nobody cannot run a python under /root (pyenv): the system one.
syspy=/usr/bin/python3; [ -x "$syspy" ] || syspy=$(command -v python3)

tmp=$(mktemp -d /tmp/defragd-ctl.XXXXXX)
dpid= npid=
fail() { echo "FAIL: $*"; [ -f "$tmp/log" ] && sed 's/^/  daemon: /' "$tmp/log" | tail -20; exit 1; }
cleanup() {
        [ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
        [ -n "$npid" ] && kill "$npid" 2>/dev/null && wait "$npid" 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT

root=$tmp/root run=$tmp/run
mkdir -p "$root/proc/sys/vm" "$root/sys/devices/system/node/node0" "$tmp/bin"
for f in buddyinfo pagetypeinfo zoneinfo vmstat; do cp "$fixture/$f" "$root/proc/$f"; done
echo 20 >"$root/proc/sys/vm/compaction_proactiveness"
: >"$root/sys/devices/system/node/node0/compact"
printf '[Daemon]\nPollIntervalSec=200ms\nZones=Normal\nDryRun=yes\n[Probes]\nEnable=no\n' >"$tmp/a.conf"
# nobody cannot reach into the build tree's parents everywhere: a copy it can run.
cp "$defragctl" "$tmp/bin/defragctl"
chmod 755 "$tmp/bin" "$tmp/bin/defragctl"

# sd_notify listener, so the watchdog pings can be timed.
python3 "$client" notify "$tmp/notify" "$tmp/notify.log" &
npid=$!
for _ in $(seq 50); do [ -S "$tmp/notify" ] && break; sleep 0.1; done
watchdog_usec=3000000
NOTIFY_SOCKET=$tmp/notify WATCHDOG_USEC=$watchdog_usec ASAN_OPTIONS=${ASAN_OPTIONS:-}:quarantine_size_mb=0 \
        "$defragd" --config "$tmp/a.conf" --root "$root" --runtime-dir "$run" --log-target console >"$tmp/log" 2>&1 &
dpid=$!
for _ in $(seq 100); do grep -q READY=1 "$tmp/notify.log" 2>/dev/null && [ -S "$run/control" ] && break; sleep 0.1; done
grep -q READY=1 "$tmp/notify.log" || fail "daemon did not report READY=1"

# 1. Modes: socket 0600 in a 0700 directory, both root's.
[ "$(stat -c '%a %U' "$run")" = "700 root" ] || fail "runtime directory is $(stat -c '%a %U' "$run"), expected 700 root"
[ "$(stat -c '%a %U %F' "$run/control")" = "600 root socket" ] || fail "socket is $(stat -c '%a %U %F' "$run/control")"
echo "ok: $run 0700, control 0600"

# 2. Unprivileged caller: refused by the modes, with a message that says why.
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
chmod 755 "$tmp"
as_nobody "$tmp/bin/defragctl" status --runtime-dir "$run" >"$tmp/out" 2>&1 && fail "nobody got status: $(cat "$tmp/out")"
grep -q "permission denied" "$tmp/out" || fail "nobody's refusal does not say why: $(cat "$tmp/out")"
echo "ok: nobody refused: $(head -1 "$tmp/out")"
# ... and by the daemon's own peer check when the modes are opened up by mistake.
chmod 777 "$run"; chmod 666 "$run/control"
as_nobody "$tmp/bin/defragctl" status --runtime-dir "$run" >"$tmp/out" 2>&1 && fail "nobody got status through an open socket: $(cat "$tmp/out")"
grep -q "needs root" "$tmp/out" || fail "peer check did not refuse nobody: $(cat "$tmp/out")"
echo "ok: nobody refused by the peer check: $(head -1 "$tmp/out")"
as_nobody "$syspy" -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); d=s.recv(4096); sys.exit(0 if d.startswith(b"error: permission denied") else 1)' "$run/control" ||
        fail "a raw unprivileged client got something else than permission denied"
chmod 700 "$run"; chmod 600 "$run/control"; chmod 700 "$tmp"

# 3. Garbage and oversized requests: one printable error line each.
python3 "$client" garbage "$run/control" || fail "garbage requests"

# 4. Silent clients stall nothing.
python3 "$client" silent "$run/control" || fail "silent clients"

# 5. 1,000 clients in a row: descriptors and RSS where they were.
fds() { ls "/proc/$dpid/fd" | wc -l; }
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$dpid/status"; }
# Measured once every client is gone for sure: a client that hung up at
# once may still be in the loop's queue; none outlives its 2 s deadline.
python3 "$client" many "$run/control" 200 >/dev/null || fail "warm-up clients"
sleep 2.5
fd0=$(fds) rss0=$(rss)
python3 "$client" many "$run/control" 1000 || fail "1,000 clients"
sleep 2.5
fd1=$(fds) rss1=$(rss)
echo "1,000 clients: descriptors $fd0 -> $fd1, VmRSS $rss0 -> $rss1 kB"
[ "$fd1" -eq "$fd0" ] || { ls -l "/proc/$dpid/fd"; fail "descriptors grew from $fd0 to $fd1"; }
# A leak of 1 KiB per client adds 1 MiB; VmRSS moves by up to ~350 kB either
# way between samples without any clients (allocator, ASan). Smaller leaks are
# LeakSanitizer's to find: the daemon's exit status below says.
[ $((rss1 - rss0)) -lt 1024 ] || fail "VmRSS grew by $((rss1 - rss0)) kB over 1,000 clients"

# 6. The watchdog was fed all along (its pings came less than WatchdogSec apart).
python3 "$client" watchdog-gap "$tmp/notify.log" "$((watchdog_usec / 1000000))" || fail "watchdog"

kill -TERM "$dpid"; wait "$dpid"; rc=$?; dpid=
[ $rc -eq 0 ] || fail "daemon exit status $rc (ASan/LSan report above?)"
grep -q "ERROR: \|runtime error" "$tmp/log" && fail "sanitizer report in the daemon log"
echo PASS
