#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# campaign.sh: demand-bench.py one run at a time, each holding the machine lock
# for that run only, cells rotated per repetition, the machine checked after each.
#
# Usage: bench/campaign.sh BUILD OUT REPS WINDOW_SEC CELL... [-- HARNESS_ARGS...]
#   CELL is WORKLOAD:CONTENDER (demand:defragd, polluted:kernel, drain:defragd-early, ...).
#   HARNESS_ARGS go to every run; POLLUTED_ARGS / DEMAND_ARGS / DRAIN_ARGS
#   (environment, one string) to that workload's runs only.
# Results: OUT/results.jsonl (all runs, appended as each ends), OUT/runs/*/
# (each run's own directory: raw consumer records, defragd logs), then
# bench/report.py OUT for the tables. Why not one harness invocation: a whole
# campaign would hold the machine for hours; other tenants' short kernel tests
# interleave between runs this way. The order is rotated per repetition so no
# contender always runs first (or always right after the same neighbour).
set -u
lock=${DEFRAGD_MACHINE_LOCK:-/tmp/defragd-machine.lock}
if [ $# -lt 5 ]; then
        sed -n '5,9p' "$0" >&2
        exit 2
fi
build=$1 out=$2 reps=$3 window=$4
shift 4
cells=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        case $1 in
        demand:* | polluted:* | drain:*) cells+=("$1") ;;
        *) echo "campaign: cell '$1': accepted: demand:CONTENDER, polluted:CONTENDER or drain:CONTENDER" >&2; exit 2 ;;
        esac
        shift
done
[ "${1:-}" = "--" ] && shift
here=$(dirname "$(readlink -f "$0")")
mkdir -p "$out/runs"

# Every writable vm sysctl plus the two the harness writes elsewhere: the
# state a run must leave exactly as it found it.
knobs() {
        for f in /proc/sys/vm/* /proc/sys/kernel/task_delayacct; do
                [ -w "$f" ] && [ -r "$f" ] || continue
                case $f in */drop_caches | */compact_memory) continue ;; esac
                printf '%s=%s\n' "${f#/proc/sys/}" "$(tr -s '\t ' ' ' <"$f" 2>/dev/null)"
        done
}
offline() { grep -l offline /sys/devices/system/memory/memory*/state 2>/dev/null; }

n=${#cells[@]}
rc=0
for ((rep = 0; rep < reps; rep++)); do
        for ((i = 0; i < n; i++)); do
                cell=${cells[$(((i + rep) % n))]}
                w=${cell%%:*} c=${cell#*:}
                dir=$out/runs/$rep-$w-$c
                if [ -s "$dir/results.jsonl" ]; then
                        echo "campaign: $dir done already, skipping" >&2
                        continue
                fi
                extra=()
                [ "$w" = polluted ] && read -ra extra <<<"${POLLUTED_ARGS:-}"
                [ "$w" = demand ] && read -ra extra <<<"${DEMAND_ARGS:-}"
                [ "$w" = drain ] && read -ra extra <<<"${DRAIN_ARGS:-}"
                echo "campaign: $(date -u +%H:%M:%S) rep $rep $w $c: waiting for $lock" >&2
                (
                        # a flock that fails (a signal) must not start a run beside another
                        flock 9 || { echo "campaign: rep $rep $w $c: flock $lock failed" >&2; exit 12; }
                        echo "campaign: $(date -u +%H:%M:%S) rep $rep $w $c: start" >&2
                        knobs >"$dir.knobs-before" 2>/dev/null || { mkdir -p "$dir" && knobs >"$dir.knobs-before"; }
                        "$here/demand-bench.py" --build "$build" --out "$dir" --workloads "$w" --contenders "$c" \
                                --reps 1 --first-rep "$rep" --window "$window" --no-report "${extra[@]}" "$@"
                        r=$?
                        knobs >"$dir.knobs-after"
                        if ! diff -u "$dir.knobs-before" "$dir.knobs-after" >&2; then
                                echo "campaign: rep $rep $w $c: a knob differs after the run (above)" >&2
                                r=10
                        fi
                        if [ -n "$(offline)" ]; then
                                echo "campaign: rep $rep $w $c: memory blocks offline: $(offline | tr '\n' ' ')" >&2
                                r=11
                        fi
                        exit $r
                ) 9>"$lock"
                r=$?
                echo "campaign: $(date -u +%H:%M:%S) rep $rep $w $c: exit $r" >&2
                if [ $r -ne 0 ]; then
                        rc=$r
                        [ $r -ge 10 ] && exit $r # the machine is not as found: stop here
                        continue
                fi
                rm -f "$dir.knobs-before" "$dir.knobs-after"
                cat "$dir/results.jsonl" >>"$out/results.jsonl"
        done
done
exit $rc
