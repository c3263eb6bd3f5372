# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Sourced by the kernel-suite scripts (tests/kernel/*.sh): the machine lock,
# the proactiveness knob saved and put back on every exit, and the fragmenter
# run that fills all free memory. Defines functions only; a script calls
# them in its own order.

skip() { echo "SKIP: $*"; exit 77; }
# The daemon's last lines, where the script ran one (in $tmp/daemon.log).
fail() { echo "FAIL: $*"; [ -f "${tmp:-}/daemon.log" ] && sed 's/^/  daemon: /' "$tmp/daemon.log" | tail -40; exit 1; }

# The machine is shared: fragmenting, compacting, offlining and reclaiming
# hold its lock on fd 9 until the script exits, unless the caller already
# holds it (DEFRAGD_MACHINE_LOCK_HELD set, e.g. around a whole kernel-suite run).
machine_lock() {
        [ -n "${DEFRAGD_MACHINE_LOCK_HELD:-}" ] && return 0
        exec 9>/tmp/defragd-machine.lock
        flock -w 1200 9 || fail "could not take /tmp/defragd-machine.lock in 20 min"
}

# knob_guard NAME: $tmp (a fresh /tmp/defragd-NAME.XXXXXX), $KNOB
# (vm.compaction_proactiveness) and its value now, and $pids, the processes
# to end; on every exit the processes are ended, cleanup_hook runs where the
# script defines one, the knob gets its value back and $tmp goes.
knob_guard() {
        KNOB=/proc/sys/vm/compaction_proactiveness
        tmp=$(mktemp -d "/tmp/defragd-$1.XXXXXX")
        orig_proactiveness=$(cat $KNOB)
        pids=()
        trap knob_guard_cleanup EXIT
}
knob_guard_cleanup() {
        local p
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
        if declare -F cleanup_hook >/dev/null; then cleanup_hook; fi
        echo "$orig_proactiveness" >$KNOB
        rm -rf "$tmp"
}

# fill_size WANT: $fill_mib, all free memory but 1.5 GiB in whole 2 MiB;
# skips (saying the test wants WANT) below 2 GiB.
fill_size() {
        local free_kb
        free_kb=$(awk '/^MemFree:/ { print $2 }' /proc/meminfo)
        fill_mib=$(( (free_kb / 1024 - 1536) / 2 * 2 ))
        [ "$fill_mib" -ge 2048 ] || skip "only $((free_kb / 1024)) MiB free; the test fragments all free memory and wants at least $1"
}

# fragment WAIT SEED [FRAGMENTER-OPTIONS...]: $fragmenter fills $fill_mib
# MiB with THPs, keeps one page in 8 and holds them ($frag_pid, added to
# $pids); returns once it reports FRAGMENTED, each line awaited WAIT s.
fragment() {
        local wait=$1 seed=$2 line
        shift 2
        exec 3< <(exec "$fragmenter" --fill-huge --size "${fill_mib}M" --keep-one-in 8 "$@" --seed "$seed" --hold </dev/null)
        frag_pid=$!
        pids+=("$frag_pid")
        read -r -t "$wait" line <&3 || fail "fragmenter printed nothing in $wait s"
        while [[ "$line" != FRAGMENTED* ]]; do
                read -r -t "$wait" line <&3 || fail "fragmenter did not report FRAGMENTED (last line: $line)"
        done
        echo "fragmenter: $line"
}

# await_log ERE TRIES INTERVAL: until $tmp/daemon.log has a line matching
# ERE, TRIES times INTERVAL s at most; fails if defragd ($dpid) exits first.
# Returns either way: the caller judges the log.
await_log() {
        local _
        for _ in $(seq 1 "$2"); do
                grep -Eq "$1" "$tmp/daemon.log" 2>/dev/null && break
                kill -0 "$dpid" 2>/dev/null || fail "defragd exited early"
                sleep "$3"
        done
}
