#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon climbs its own ladder on the real kernel: all free memory
# fragmented (one page in 8 kept, as tests/kernel/test-offline-rung.c does),
# whole-node compaction gains nothing or is contended, so the ladder climbs
# to clear-offline, which clears the planner's block with a measured gain;
# every memory block is online after SIGTERM and after SIGKILL followed by
# `defragd --restore-knobs`. Takes the machine lock itself.
set -u
defragd=$1 defragctl=$2 fragmenter=$3
# shellcheck source=tests/kernel/lib.sh
. "$(dirname "$0")/lib.sh"

MEM=/sys/devices/system/memory
[ "$(id -u)" -eq 0 ] || skip "needs root: offlines memory blocks, reads /proc/kpageflags"
[ -r "$MEM/block_size_bytes" ] || skip "no memory block sysfs ($MEM)"
grep -qx 1 "$MEM"/memory*/removable 2>/dev/null || skip "kernel without memory hot-remove: no memoryN/removable reads 1"
[ -r /proc/kpageflags ] || skip "no /proc/kpageflags"
[ -w /sys/devices/system/node/node0/compact ] || skip "no /sys/devices/system/node/node0/compact (CONFIG_NUMA=n)"

machine_lock
offline_blocks() { grep -l offline "$MEM"/memory*/state 2>/dev/null; }
[ -z "$(offline_blocks)" ] && true || skip "memory blocks already offline: $(offline_blocks | tr '\n' ' '): not ours to judge"

# Whatever happened: nothing of ours stays offline.
cleanup_hook() {
        [ -e "$tmp/run/knobs.state" ] && "$defragd" --restore-knobs --runtime-dir "$tmp/run" --log-target console
}
knob_guard clears
echo 0 >$KNOB # kcompactd's proactive runs off: what moves is the daemon's doing

suitable9() { # zone -> free order-9 blocks of node 0
        awk -v z="$1" '$1 == "Node" && $2 == "0," && $4 == z { s = 0; for (i = 14; i <= NF; i++) s += $i * 2 ^ (i - 14); print s }' /proc/buddyinfo
}
# Large page-cache folios (readahead of a file on a disk file system) spread
# through the zone: once every free page is fragmented, node compaction
# stops at the first one it finds no same-order target for (contended,
# docs/kernel-notes.md). Clean cache: dropping it later loses nothing.
dd if=/dev/zero of="$tmp/cache" bs=1M count=1024 status=none conv=fsync || skip "cannot write 1 GiB in $tmp"
echo 1 >/proc/sys/vm/drop_caches
cat "$tmp/cache" >/dev/null
fill_size "3.5 GiB"
fragment 300 5
zone=Normal
have=$(suitable9 $zone)
# A target out of reach: the zone stays short, so the ladder climbs once
# compaction stops gaining (contended, or nothing left it can move).
want=100000000
echo "node 0 $zone: $have free order-9 blocks; low=high=$want"

write_conf() { # $1 file, $2 low/high
        cat >"$1" <<EOF
[Daemon]
PollIntervalSec=1s
Zones=$zone
PressureGuardPercent=0
MaxActionsPerHour=0
[Compaction]
CooldownSec=2s
BackoffMaxSec=4s
[Ladder]
Order=compact clear-offline
[Probes]
Enable=no
[Planner]
# the zone re-read in a few evaluations (4 GiB per evaluation here)
SlicePages=1048576
[ClearOffline]
CooldownSec=1s
MaxActionsPerHour=0
[Order9]
Low=$2
High=$2
EOF
}
write_conf "$tmp/test.conf" "$want"
mkdir -p "$tmp/run"
# 1. SIGKILL while a clearing runs, then --restore-knobs. First, on the
# freshly fragmented state: after a whole-node compaction few memory blocks
# are left without an unmovable page (measured: 0 of 168 to 1). The
# clearing rung alone, any block without an unmovable page.
sed -e 's/^Order=.*/Order=clear-offline/' -e 's/^CooldownSec=1s$/&\nMaxPagesPerAction=32768/' "$tmp/test.conf" >"$tmp/clear-only.conf"
"$defragd" --config "$tmp/clear-only.conf" --runtime-dir "$tmp/run" --log-target console --log-level debug >"$tmp/daemon.log" 2>&1 &
dpid=$!
pids+=("$dpid")
await_log "clear-offline node 0: running in process" 1200 0.1
grep -q "clear-offline node 0: running in process" "$tmp/daemon.log" || fail "no clearing started in 120 s"
sleep 0.02
kill -KILL "$dpid"; wait "$dpid" 2>/dev/null
echo "SIGKILL during a clearing; offline then: $(offline_blocks | tr '\n' ' '); state file: $(cat "$tmp/run/knobs.state" 2>/dev/null | tr '\n\t' '; ')"
sleep 0.5 # the lever's process dies with the daemon (PR_SET_PDEATHSIG)
"$defragd" --restore-knobs --runtime-dir "$tmp/run" --log-target console || fail "--restore-knobs failed"
[ -z "$(offline_blocks)" ] || fail "blocks offline after SIGKILL + --restore-knobs: $(offline_blocks | tr '\n' ' ')"
[ ! -e "$tmp/run/knobs.state" ] || fail "--restore-knobs left the state file"
echo "every memory block online after SIGKILL + --restore-knobs: ok"

# 2. The ladder: compaction first; once it stops gaining, clear-offline.
mv "$tmp/daemon.log" "$tmp/daemon-sigkill.log"
"$defragd" --config "$tmp/test.conf" --runtime-dir "$tmp/run" --log-target console --log-level debug >"$tmp/daemon.log" 2>&1 &
dpid=$!
pids+=("$dpid")

clear_re='^defragd: clear-offline node 0 memory[0-9]+ pfn [0-9]+\+[0-9]+ \([0-9]+ pages to move planned, [0-9]+ moved\): '"$zone"' order 9 free blocks [0-9]+ -> [0-9]+ \(\+[1-9][0-9]*\)'
await_log "$clear_re" 180 1
grep "^defragd: compact node 0:" "$tmp/daemon.log" | head -3 | sed 's/^/compaction: /'
grep "^defragd: clear-offline" "$tmp/daemon.log" | head -5 | sed 's/^/clearing: /'
line=$(grep -Em1 "$clear_re" "$tmp/daemon.log") || fail "no clear-offline with a gain in 180 s"
grep -q "^defragd: compact node 0:" "$tmp/daemon.log" || fail "the ladder did not try compaction first"
mb=$(sed -E 's/.* memory([0-9]+) pfn.*/\1/' <<<"$line")
planned=$(sed -E 's/.*\(([0-9]+) pages to move planned, ([0-9]+) moved\).*/\1/' <<<"$line")
moved=$(sed -E 's/.*\(([0-9]+) pages to move planned, ([0-9]+) moved\).*/\2/' <<<"$line")
before=$(sed -E 's/.* free blocks ([0-9]+) -> ([0-9]+) .*/\1/' <<<"$line")
after=$(sed -E 's/.* free blocks ([0-9]+) -> ([0-9]+) .*/\2/' <<<"$line")
dur_ms=$(sed -E 's/.*, ([0-9]+) ms.*/\1/' <<<"$line")
echo "MEASURED clear-offline memory$mb: free order-9 blocks $before -> $after (+$((after - before))), pages moved $moved of $planned planned, $dur_ms ms"
[ "$(cat "$MEM/memory$mb/state")" = online ] || fail "memory$mb is not online after its clearing"

"$defragctl" status --json --runtime-dir "$tmp/run" >"$tmp/status.json" || fail "defragctl status --json failed"
python3 - "$tmp/status.json" "$mb" <<'PY' || fail "status lacks the clearing"
import json, sys
d = json.load(open(sys.argv[1]))
c = d["clearing"]["clear-offline"]
assert c["present"] and c["cleared"] >= 1 and c["gain_blocks"] >= 1, c
assert any(a["action"] == "clear-offline" for a in d["recent_actions"]), "not in recent_actions"
print("status: clear-offline runs", c["runs"], "cleared", c["cleared"], "gain", c["gain_blocks"])
PY

kill -TERM "$dpid"; wait "$dpid"; rc=$?
pids=("${pids[0]}")
[ $rc -eq 0 ] || fail "defragd exited $rc on SIGTERM"
[ -z "$(offline_blocks)" ] || fail "blocks offline after SIGTERM: $(offline_blocks | tr '\n' ' ')"
[ ! -e "$tmp/run/knobs.state" ] || fail "state file left after a clean exit"
echo "every memory block online after SIGTERM: ok"

echo "PASS"
