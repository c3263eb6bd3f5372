#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault injection at every step of an action (issue 13): a -Dfault_injection
# build SIGKILLs itself at each point of include/defragd/fault.h; after each
# kill both `defragd --restore-knobs` and the next start must put every knob
# back and online every memory block. Prints the matrix lever x step x outcome
# as TAP.
#   test-fault-matrix.sh fixture SOURCE_ROOT BUILD_ROOT   knob, compaction, reclaim, offlining on fixture roots
#   test-fault-matrix.sh live SOURCE_ROOT BUILD_ROOT      offlining on the live kernel (root; machine lock)
# The fault build is configured once into BUILD_ROOT/fault-injection (its own
# build directory: a meson option is per build directory) and kept up to date.
set -u
mode=${1:?usage: test-fault-matrix.sh fixture|live SOURCE_ROOT BUILD_ROOT} src=${2:?} build=${3:?}
# shellcheck source=tests/kernel/lib.sh
. "$(dirname "$0")/lib.sh"
fixture=${DEFRAGD_FIXTURES:-$src/tests/fixtures}/live-6.18-fragmented/proc
fb=$build/fault-injection
plain=$build/daemon/defragd
tmp=$(mktemp -d /tmp/defragd-fault.XXXXXX)
dpid=
cleanup() {
        [ -n "$dpid" ] && kill -KILL "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
        # live: whatever a failed check left offline is in the state file
        [ -f "$tmp/run/knobs.state" ] && [ "$mode" = live ] && "$plain" --restore-knobs --runtime-dir "$tmp/run" >/dev/null 2>&1
        rm -rf "$tmp"
}
trap cleanup EXIT

if [ "$mode" = live ]; then
        [ "$(id -u)" = 0 ] || skip "the live offlining row needs root"
        machine_lock
fi

# The fault build: configured on first use, incremental afterwards.
(
        flock 8
        if [ ! -f "$fb/build.ninja" ]; then
                meson setup "$fb" "$src" -Dfault_injection=true -Dbpf=disabled -Dvm_tests=false -Dkernel_tests=false \
                        >"$tmp/setup.log" 2>&1 || { cat "$tmp/setup.log"; exit 1; }
        fi
        ninja -C "$fb" daemon/defragd tests/helpers/lever-once >"$tmp/build.log" 2>&1 || { tail -20 "$tmp/build.log"; exit 1; }
) 8>"$build/fault-injection.lock" || { echo "FAIL: cannot build the fault-injection variant"; exit 1; }
fdefragd=$fb/daemon/defragd lever_once=$fb/tests/helpers/lever-once
[ -x "$plain" ] || plain=$fdefragd # --restore-knobs by the release binary when there is one

n=0 fail=0
row() { # lever step kill outcome ok|not
        n=$((n + 1))
        if [ "$5" = ok ]; then printf 'ok %d - %-13s %-30s %-7s %s\n' "$n" "$1" "$2" "$3" "$4"
        else printf 'not ok %d - %-13s %-30s %-7s %s\n' "$n" "$1" "$2" "$3" "$4"; fail=1; fi
}

# --- fixture roots -----------------------------------------------------------
KNOB=/proc/sys/vm/compaction_proactiveness
GATE=/proc/sys/vm/min_unmapped_ratio # lowered by the manager around a node reclaim
EXTRA_CONF=
fresh_root() {
        rm -rf "$tmp/root" "$tmp/run"
        mkdir -p "$tmp/root/proc/sys/vm" "$tmp/root/sys/devices/system/node/node0" "$tmp/run"
        chmod 700 "$tmp/run"
        for f in buddyinfo pagetypeinfo zoneinfo vmstat; do cp "$fixture/$f" "$tmp/root/proc/$f"; done
        echo 20 >"$tmp/root$KNOB"
        echo 1 >"$tmp/root$GATE"
        : >"$tmp/root/sys/devices/system/node/node0/compact"
        : >"$tmp/root/sys/devices/system/node/node0/reclaim"
        # four 128 MiB blocks of node 0 Normal (the fixture's zone has room for one offline)
        local m=$tmp/root/sys/devices/system/memory
        mkdir -p "$m"
        echo 8000000 >"$m/block_size_bytes"
        for id in 40 41 42 43; do
                mkdir -p "$m/memory$id/node0"
                echo online >"$m/memory$id/state"
                echo Normal >"$m/memory$id/valid_zones"
                echo 1 >"$m/memory$id/removable"
                printf '%x\n' "$id" >"$m/memory$id/phys_index"
        done
}
conf() {
        cat <<EOF
[Daemon]
PollIntervalSec=100ms
Zones=Normal
PressureGuardPercent=0
[Compaction]
CooldownSec=1s
ProactivenessWhileShort=55
[Probes]
Enable=no
[Order9]
Low=100000000
High=100000000
EOF
        [ -z "$EXTRA_CONF" ] || printf '%b\n' "$EXTRA_CONF"
}
# Everything back: the knob at 20, no state file (or only its lock), every block online.
consistent() {
        local k s bad=
        k=$(cat "$tmp/root$KNOB")
        [ "$k" = 20 ] || bad+="knob $k; "
        k=$(cat "$tmp/root$GATE")
        [ "$k" = 1 ] || bad+="min_unmapped_ratio $k; "
        [ -e "$tmp/run/knobs.state" ] && bad+="state file: $(tr '\t\n' ' |' <"$tmp/run/knobs.state"); "
        for s in "$tmp"/root/sys/devices/system/memory/memory*/state; do
                [[ $(cat "$s") == online* ]] || bad+="${s#"$tmp"/root} $(cat "$s"); "
        done
        echo "$bad"
}
snapshot() { # what the kill left
        printf 'knob %s, gate %s, record %s, offline %s' "$(cat "$tmp/root$KNOB")" "$(cat "$tmp/root$GATE")" \
                "$([ -s "$tmp/run/knobs.state" ] && echo yes || echo no)" \
                "$(grep -l '^offline' "$tmp"/root/sys/devices/system/memory/memory*/state 2>/dev/null | wc -l)"
}

# Start the fault daemon; wait until it dies (point in the daemon or
# FAULT_KILL=daemon) or, for a point in a lever child only, until the daemon
# reports the lost child, then SIGTERM it. Sets $killed to what happened.
run_daemon_to_fault() { # point kill
        conf >"$tmp/a.conf"
        DEFRAGD_FAULT_AT=$1 DEFRAGD_FAULT_KILL=$2 "$fdefragd" --config "$tmp/a.conf" --root "$tmp/root" \
                --runtime-dir "$tmp/run" --log-target console >"$tmp/log" 2>&1 &
        dpid=$!
        killed=
        for _ in $(seq 100); do
                kill -0 "$dpid" 2>/dev/null || break
                grep -q "without a result" "$tmp/log" && break
                sleep 0.05
        done
        if kill -0 "$dpid" 2>/dev/null; then
                if grep -q "without a result" "$tmp/log"; then
                        kill -TERM "$dpid"; wait "$dpid"; killed="child killed (daemon said: $(grep -o 'the lever.s process was killed by signal [0-9]*' "$tmp/log" | head -1)); daemon stopped with $?"
                else
                        kill -KILL "$dpid"; wait "$dpid"; killed="point never reached"
                fi
        else
                wait "$dpid"; local rc=$?
                [ "$rc" = 137 ] && killed="daemon SIGKILLed" || killed="daemon exit $rc"
        fi
        dpid=
        grep -q "fault injection: SIGKILL at $1 " "$tmp/log" || killed="point never reached ($killed)"
}

# One point, twice: kill -> --restore-knobs; kill -> next start (then SIGTERM).
daemon_point() { # lever point kill
        local lever=$1 point=$2 kill=$3 left bad out
        fresh_root
        run_daemon_to_fault "$point" "$kill"
        left=$(snapshot)
        if [[ $killed == "point never reached"* ]]; then
                row "$lever" "$point" "$kill" "$killed" not; sed 's/^/#   /' "$tmp/log" | tail -8; return
        fi
        # the gate rows: the daemon killed with the lever must have left the knob lowered, or nothing was tested
        if [ "$lever" = reclaim-gate ] && [ "$kill" = daemon ] && [[ $left != *"gate 0, record yes"* ]]; then
                row "$lever" "$point" "$kill" "$killed; left $left: the gate was not lowered before the write" not
                sed 's/^/#   /' "$tmp/log" | tail -8; return
        fi
        "$plain" --restore-knobs --root "$tmp/root" --runtime-dir "$tmp/run" --log-target console >"$tmp/restore.log" 2>&1
        out=$?
        bad=$(consistent)
        [ "$out" = 0 ] && [ -z "$bad" ] && row "$lever" "$point" "$kill" "$killed; left $left; --restore-knobs: consistent" ok ||
                { row "$lever" "$point" "$kill" "$killed; left $left; --restore-knobs exit $out: $bad" not; sed 's/^/#   /' "$tmp/restore.log"; }

        fresh_root
        run_daemon_to_fault "$point" "$kill"
        left=$(snapshot)
        conf >"$tmp/a.conf"
        "$plain" --config "$tmp/a.conf" --root "$tmp/root" --runtime-dir "$tmp/run" --log-target console >"$tmp/log2" 2>&1 &
        dpid=$!
        for _ in $(seq 100); do grep -q "compact node 0" "$tmp/log2" && break; sleep 0.05; done
        # repaired at start: the knob the crashed instance left is back before
        # this one changes it (its first knob line names the crash's value)
        local first
        first=$(grep -m1 "compaction_proactiveness:" "$tmp/log2")
        kill -TERM "$dpid"; wait "$dpid"; out=$?; dpid=
        case $left in knob\ 55*) [[ $first == *"55 -> 20 (restored after an unclean exit"* ]] || out="0, but not repaired at start: ${first:-no knob line}" ;; esac
        bad=$(consistent)
        local said
        said=$(grep -c "restored after an unclean exit\|onlined again" "$tmp/log2")
        [ "$out" = 0 ] && [ -z "$bad" ] && grep -q "compact node 0" "$tmp/log2" &&
                row "$lever" "$point" "$kill" "$killed; left $left; next start: $said repaired, ran, consistent at stop" ok ||
                { row "$lever" "$point" "$kill" "$killed; left $left; next start exit $out: $bad" not; sed 's/^/#   /' "$tmp/log2" | tail -8; }
}

# A lever run by lever-once (the manager's fork-and-run): the offlining and
# reclaim rungs, which the daemon's lever table gains with the integration.
once_point() { # lever point kill args...
        local lever=$1 point=$2 kill=$3 left bad out rc; shift 3
        for after in restore start; do
                fresh_root
                DEFRAGD_FAULT_AT=$point DEFRAGD_FAULT_KILL=$kill "$lever_once" --root "$tmp/root" --runtime-dir "$tmp/run" \
                        "$@" >"$tmp/once.log" 2>&1
                rc=$?
                left=$(snapshot)
                if ! grep -q "fault injection: SIGKILL at $point " "$tmp/once.log"; then
                        row "$lever" "$point" "$kill" "point never reached (exit $rc)" not; sed 's/^/#   /' "$tmp/once.log"; return
                fi
                killed=$([ "$rc" = 137 ] && echo "runner SIGKILLed" || echo "child killed, runner exit $rc")
                if [ "$after" = restore ]; then
                        "$plain" --restore-knobs --root "$tmp/root" --runtime-dir "$tmp/run" --log-target console >"$tmp/restore.log" 2>&1
                        out=$?
                else
                        conf >"$tmp/a.conf"
                        "$plain" --config "$tmp/a.conf" --root "$tmp/root" --runtime-dir "$tmp/run" --log-target console >"$tmp/restore.log" 2>&1 &
                        dpid=$!
                        for _ in $(seq 100); do grep -q "compact node 0" "$tmp/restore.log" && break; sleep 0.05; done
                        # online at start, not only at the stop that follows
                        running=$(grep -l '^offline' "$tmp"/root/sys/devices/system/memory/memory*/state 2>/dev/null)
                        kill -TERM "$dpid"; wait "$dpid"; out=$?; dpid=
                        [ -z "$running" ] || out="0, but offline while running: ${running#"$tmp"/root}"
                fi
                bad=$(consistent)
                [ "$out" = 0 ] && [ -z "$bad" ] && row "$lever" "$point" "$kill" "$killed; left $left; $([ $after = restore ] && echo -- --restore-knobs || echo next start): consistent" ok ||
                        { row "$lever" "$point" "$kill" "$killed; left $left; $after exit $out: $bad" not; sed 's/^/#   /' "$tmp/restore.log" | tail -5; }
        done
}

if [ "$mode" = fixture ]; then
        echo "# lever x step x kill (process: the process at the point; daemon: the daemon too) -> outcome"
        for p in knob-before-state knob-after-state knob-after-write; do daemon_point knob "$p" process; done
        for p in lever-child-before-run lever-child-after-run; do
                daemon_point compact "$p" process
                daemon_point compact "$p" daemon
        done
        daemon_point compact lever-parent-after-exit process
        # restore steps: the stopping daemon killed after putting the knob back
        # (SIGTERM starts the restore; the point kills it half-way)
        for p in knob-restore-after-write; do
                fresh_root; conf >"$tmp/a.conf"
                DEFRAGD_FAULT_AT=$p "$fdefragd" --config "$tmp/a.conf" --root "$tmp/root" --runtime-dir "$tmp/run" \
                        --log-target console >"$tmp/log" 2>&1 &
                dpid=$!
                for _ in $(seq 100); do grep -q "compact node 0" "$tmp/log" && break; sleep 0.05; done
                kill -TERM "$dpid"; wait "$dpid"; rc=$?; dpid=
                left=$(snapshot)
                "$plain" --restore-knobs --root "$tmp/root" --runtime-dir "$tmp/run" >/dev/null 2>&1; out=$?
                bad=$(consistent)
                [ "$rc" = 137 ] && [ "$out" = 0 ] && [ -z "$bad" ] && row knob "$p" process "daemon SIGKILLed while stopping; left $left; --restore-knobs: consistent" ok ||
                        row knob "$p" process "exit $rc; left $left; --restore-knobs exit $out: $bad" not
        done
        # recovery itself interrupted: a crashed instance's record, the next
        # start killed after putting the knob back; then one more start.
        for p in knob-recover-after-write memblock-recover-after-online; do
                fresh_root
                printf '%s\t20\n' "$KNOB" >"$tmp/run/knobs.state"
                echo 55 >"$tmp/root$KNOB"
                if [ "$p" = memblock-recover-after-online ]; then
                        printf 'memblock\t42\tonline_kernel\n' >>"$tmp/run/knobs.state"
                        echo offline >"$tmp/root/sys/devices/system/memory/memory42/state"
                fi
                DEFRAGD_FAULT_AT=$p "$fdefragd" --restore-knobs --root "$tmp/root" --runtime-dir "$tmp/run" >"$tmp/log" 2>&1; rc=$?
                left=$(snapshot)
                "$plain" --restore-knobs --root "$tmp/root" --runtime-dir "$tmp/run" >/dev/null 2>&1; out=$?
                bad=$(consistent)
                [ "$rc" = 137 ] && [ "$out" = 0 ] && [ -z "$bad" ] && row recovery "$p" process "--restore-knobs SIGKILLed; left $left; again: consistent" ok ||
                        row recovery "$p" process "exit $rc; left $left; again exit $out: $bad" not
        done
        once_point reclaim-node reclaim-node-before-write process --lever reclaim-node --node 0 --bytes 1048576
        once_point reclaim-node reclaim-node-before-write daemon --lever reclaim-node --node 0 --bytes 1048576
        # Through the daemon: compaction gains nothing on the fixture, the
        # ladder climbs to node reclaim, whose run the manager brackets with
        # vm.min_unmapped_ratio 1 -> 0 -> 1 (NodeReclaimMinUnmappedRatio=0):
        # killed with the knob lowered, it must read 1 again.
        EXTRA_CONF='[Ladder]\nOrder=compact reclaim-node\n[Reclaim]\nEnable=yes\nNodeReclaim=yes\nPressureLimitPercent=0'
        daemon_point reclaim-gate reclaim-node-before-write process
        daemon_point reclaim-gate reclaim-node-before-write daemon
        EXTRA_CONF=
        for p in offline-after-record offline-after-offline offline-after-online; do
                once_point offline "$p" process --lever offline --node 0 --block 43
                once_point offline "$p" daemon --lever offline --node 0 --block 43
        done
fi

if [ "$mode" = live ]; then
        # The live row: the kernel's own offline/online. The block of node 0
        # Normal with the fewest used pages, all of them on an LRU list
        # (kpageflags), at most 16 MiB: the offline migrates little and
        # cannot meet an unmovable page; the lever's own checks still apply.
        [ -r /proc/kpageflags ] || skip "no /proc/kpageflags"
        echo "# live kernel: lever x step x kill -> outcome"
        pick_block() {
                python3 - <<'PY'
import os, struct
M = "/sys/devices/system/memory"
bs = int(open(f"{M}/block_size_bytes").read(), 16) // 4096
best = None
for d in sorted(os.listdir(M), key=lambda x: int(x[6:]) if x[6:].isdigit() else -1, reverse=True):
    if not d.startswith("memory") or not d[6:].isdigit(): continue
    p = f"{M}/{d}"
    if open(f"{p}/state").read().strip() != "online" or open(f"{p}/valid_zones").read().strip() != "Normal": continue
    if not any(x.startswith("node0") for x in os.listdir(p)): continue
    pfn = int(open(f"{p}/phys_index").read(), 16) * bs
    with open("/proc/kpageflags", "rb") as f:
        f.seek(pfn * 8); data = f.read(bs * 8)
    flags = struct.unpack(f"{bs}Q", data)
    # free (KPF_BUDDY), on an LRU list (KPF_LRU: movable page cache/anon), or
    # flagless (tails of free or compound pages; a stray kernel page gives EBUSY)
    used = [fl for fl in flags if fl != 1 << 10]
    if all(fl == 0 or (fl >> 5) & 1 for fl in used) and (best is None or len(used) < best[0]):
        best = (len(used), d[6:])
if best and best[0] <= 4096:
    print(best[1])
PY
        }
        # A machine that ran fragmenting workloads may have no such block: then
        # make one. The kernel offlines a block only if it can migrate every
        # used page out of it; offlined and onlined again, the block is empty.
        # Blocks from the top of node 0 Normal; a block with an unmovable page
        # fails at once (EBUSY), one that migrates is given 10 s; 120 s in all.
        make_clean_block() {
                local d n st tried=0 t_end=$((SECONDS + 120))
                for n in $(ls /sys/devices/system/memory | sed -n 's/^memory\([0-9]*\)$/\1/p' | sort -n -r); do
                        d=/sys/devices/system/memory/memory$n
                        [ "$(cat "$d/state")" = online ] && [ "$(cat "$d/valid_zones")" = Normal ] || continue
                        ls "$d" | grep -q '^node0$' || continue
                        [ "$SECONDS" -lt "$t_end" ] || break
                        tried=$((tried + 1))
                        if timeout 10 sh -c "echo offline >$d/state" 2>/dev/null; then
                                echo online >"$d/state" || { echo "# memory$n offline and will not online" >&2; return 1; }
                                echo "# made memory$n clean by offlining and onlining it (try $tried)" >&2
                                echo "$n"
                                return 0
                        fi
                        st=$(cat "$d/state")
                        [ "$st" = online ] || echo online >"$d/state"
                done
                return 1
        }
        for p in offline-after-record offline-after-offline offline-after-online; do
                for kill in process daemon; do
                        rm -rf "$tmp/run"; mkdir -m 700 "$tmp/run"
                        blk=$(pick_block)
                        [ -n "$blk" ] || blk=$(make_clean_block)
                        [ -n "$blk" ] || skip "no online Normal block of node 0 with only free and LRU pages (<= 4096 used), and the kernel would offline none of those it was asked to in 120 s right now"
                        DEFRAGD_FAULT_AT=$p DEFRAGD_FAULT_KILL=$kill "$lever_once" --lever offline --runtime-dir "$tmp/run" \
                                --node 0 --block "$blk" >"$tmp/once.log" 2>&1; rc=$?
                        st=$(cat /sys/devices/system/memory/memory$blk/state)
                        grep -q "fault injection: SIGKILL at $p " "$tmp/once.log" ||
                                { row offline-live "$p" "$kill" "point never reached (exit $rc)" not; sed 's/^/#   /' "$tmp/once.log"; continue; }
                        "$plain" --restore-knobs --runtime-dir "$tmp/run" >"$tmp/restore.log" 2>&1; out=$?
                        st2=$(cat /sys/devices/system/memory/memory$blk/state)
                        off=$(grep -l offline /sys/devices/system/memory/memory*/state | wc -l)
                        [ "$out" = 0 ] && [ "$st2" = online ] && [ "$off" = 0 ] && [ ! -e "$tmp/run/knobs.state" ] &&
                                row offline-live "$p" "$kill" "memory$blk left $st; --restore-knobs: online, record gone" ok ||
                                { row offline-live "$p" "$kill" "memory$blk left $st; --restore-knobs exit $out: $st2, $off offline" not; cat "$tmp/restore.log"; }
                done
        done
fi
echo "1..$n"
exit $fail
