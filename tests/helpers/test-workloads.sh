#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Contracts of the issue-11 workload helpers at tiny sizes (no knob is
# written): argument errors (exit 2, naming the flag and what is accepted),
# the consumer's JSON lines and stop reasons, churn and polluter cleaning up
# on SIGTERM, and blockscan's counts adding up.
set -u
consumer=${1:?usage: test-workloads.sh CONSUMER CHURN POLLUTER BLOCKSCAN}
churn=${2:?}
polluter=${3:?}
blockscan=${4:?}
fail=0
tmp=$(mktemp -d /var/tmp/defragd-test-workloads.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT

check() { # description, condition...
        local what=$1; shift
        if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fail=1; fi
}

bad_arg() { # program, expected-flag, args...
        local prog=$1 flag=$2; shift 2
        local err rc
        err=$("$prog" "$@" 2>&1 >/dev/null); rc=$?
        check "$(basename "$prog") rejects $* (exit 2, names $flag, says what is accepted)" \
                test "$rc" = 2 -a -n "$(grep -F -- "$flag" <<<"$err" | grep accepted)"
}

# Reads lines of a coprocess' output until one starts with $2 (60 s at most).
wait_line() { # fd prefix
        local line
        while read -r -t 60 line <&"$1"; do
                case $line in "$2"*) echo "$line"; return 0;; esac
        done
        return 1
}

# ---------------------------------------------------------------- consumer
bad_arg "$consumer" --size --size 3M
bad_arg "$consumer" --size --size 8G
bad_arg "$consumer" --interval --interval 0
bad_arg "$consumer" --interval --interval abc
bad_arg "$consumer" --rounds --rounds -1
bad_arg "$consumer" --duration --duration 1e9
bad_arg "$consumer" --bogus --bogus

"$consumer" --size 4M --interval 0.05 --rounds 3 --out "$tmp/c.jsonl" 2>"$tmp/c.err"; rc=$?
check "consumer --rounds 3 exits 0" test "$rc" = 0
check "consumer prints its pid on stderr" grep -q "^consumer: pid [0-9]" "$tmp/c.err"
python3 - "$tmp/c.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
bad = []
types = [l["type"] for l in lines]
if types != ["start", "round", "round", "round", "summary"]: bad.append(f"line types {types}")
s = lines[-1]
if s.get("rounds") != 3 or s.get("regions") != 6 or s.get("stopped_by") != "rounds": bad.append(f"summary {s}")
if s.get("pid") != lines[0].get("pid"): bad.append("summary pid differs from start pid")
if s["thp_share"] is not None and not 0 <= s["thp_share"] <= 1: bad.append(f"thp_share {s['thp_share']}")
if not 0 < s["p50_usec"] <= s["p99_usec"] <= s["max_usec"]: bad.append(f"percentiles {s['p50_usec']} {s['p99_usec']} {s['max_usec']}")
for r in lines[1:-1]:
    if len(r["lat_ns"]) != r["regions"] or len(r["cpu_ns"]) != r["regions"] or len(r["huge_map"]) != r["regions"]: bad.append(f"round {r['round']}: {len(r['lat_ns'])} latencies")
    if sorted(r["cpu_ns"])[-1] / 1000 - r["cpu_max_usec"] > 0.1: bad.append("cpu max mismatch")
    if r["huge"] + r["huge_unknown"] > r["regions"]: bad.append(f"round {r['round']}: huge {r['huge']}")
    if max(r["lat_ns"]) / 1000 != r["max_usec"] and abs(max(r["lat_ns"]) / 1000 - r["max_usec"]) > 0.1: bad.append("max mismatch")
if sum(r["huge"] for r in lines[1:-1]) != s["huge"]: bad.append("summary huge is not the sum of rounds")
for b in bad: print("#", b)
sys.exit(1 if bad else 0)
PY
check "consumer JSON: start, 3 rounds, summary; counts and percentiles consistent" test $? = 0

"$consumer" --size 2M --interval 0.1 --duration 0.35 --out "$tmp/d.jsonl" 2>/dev/null; rc=$?
check "consumer --duration stops by itself (exit $rc)" test "$rc" = 0 -a -n "$(grep '"stopped_by":"duration"' "$tmp/d.jsonl")"
check "consumer --duration 0.35 at 0.1 s ran 4 rounds" test "$(grep -c '"type":"round"' "$tmp/d.jsonl")" = 4

coproc CONS { exec "$consumer" --size 2M --interval 30 2>/dev/null; }
pid=$CONS_PID; pids+=("$pid"); exec 5<&"${CONS[0]}"
wait_line 5 '{"type":"round"' >/dev/null
kill -TERM "$pid"
summary=$(wait_line 5 '{"type":"summary"')
wait "$pid"; rc=$?
check "consumer on SIGTERM writes its summary and exits 0 (rc $rc)" test "$rc" = 0 -a -n "$(grep '"stopped_by":"signal"' <<<"$summary")"

# ---------------------------------------------------------------- churn
bad_arg "$churn" --dir --rate 5
bad_arg "$churn" --rate --dir "$tmp" --rate -3
bad_arg "$churn" --anon-size --dir "$tmp" --anon-size 5000
bad_arg "$churn" --files --dir "$tmp" --files 0
bad_arg "$churn" --duration --dir "$tmp" --duration x

mkdir "$tmp/churn"
out=$("$churn" --dir "$tmp/churn" --anon-size 4M --cache-size 4M --files 20 --rate 5000 --file-rate 50 --duration 1); rc=$?
check "churn --duration 1 exits 0" test "$rc" = 0
check "churn prints READY and DONE" test -n "$(grep '^READY' <<<"$out")" -a -n "$(grep '^DONE stopped_by=duration' <<<"$out")"
done_line=$(grep '^DONE' <<<"$out")
val() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$done_line"; }
check "churn faulted and freed about 5000 pages in 1 s ($(val anon_faults))" test "$(val anon_faults)" -ge 2500 -a "$(val anon_frees)" = "$(val anon_faults)"
check "churn read and dropped page cache ($(val cache_reads))" test "$(val cache_reads)" -gt 0
check "churn created and deleted files ($(val files_created)/$(val files_deleted))" test "$(val files_created)" -gt 0 -a "$(val files_deleted)" -gt 0
check "churn left nothing in its directory" test -z "$(ls -A "$tmp/churn")"

coproc CH { exec "$churn" --dir "$tmp/churn" --anon-size 4M --cache-size 4M --files 20 --rate 1000; }
pid=$CH_PID; pids+=("$pid"); exec 6<&"${CH[0]}"
wait_line 6 READY >/dev/null
sleep 0.3
kill -TERM "$pid"
done_line=$(wait_line 6 DONE)
wait "$pid"; rc=$?
check "churn on SIGTERM: DONE stopped_by=signal, exit 0 (rc $rc)" test "$rc" = 0 -a -n "$(grep 'stopped_by=signal' <<<"$done_line")"
check "churn on SIGTERM left nothing in its directory" test -z "$(ls -A "$tmp/churn")"

# ---------------------------------------------------------------- polluter
bad_arg "$polluter" --dir --files 5
bad_arg "$polluter" --hole-one-in --dir "$tmp" --hole-one-in 3
bad_arg "$polluter" --fill --dir "$tmp" --fill 4097
bad_arg "$polluter" --negative --dir "$tmp" --negative x
err=$(ulimit -n 200; "$polluter" --dir "$tmp" --fill 4M --pipe-pages 100000 2>&1 >/dev/null); rc=$?
check "polluter refuses pipes beyond RLIMIT_NOFILE (exit 2, says how many fit)" test "$rc" = 2 -a -n "$(grep 'RLIMIT_NOFILE' <<<"$err" | grep accepted)"
check "polluter left nothing after refusing" test -z "$(ls -A "$tmp" | grep polluter)"

mkdir "$tmp/pol"
coproc POL { exec "$polluter" --dir "$tmp/pol" --fill 8M --files 64 --negative 512 --pipe-pages 256 --pagetables 8 --hold 2>/dev/null; }
pid=$POL_PID; pids+=("$pid"); exec 7<&"${POL[0]}"
pollute=$(wait_line 7 POLLUTE)
ready=$(wait_line 7 READY)
check "polluter reaches READY" test -n "$ready"
made=$(sed -n 's/.* files=\([0-9]*\).*/\1/p' <<<"$pollute")
check "polluter holds the files its POLLUTE line counts ($made)" test "$(ls "$tmp"/pol/polluter.*/files 2>/dev/null | wc -l)" = "${made:-x}"
kill -TERM "$pid"
cleaned=$(wait_line 7 CLEANED)
wait "$pid"; rc=$?
check "polluter on SIGTERM cleans up and exits 0 (rc $rc)" test "$rc" = 0 -a -n "$cleaned"
check "polluter left nothing in its directory" test -z "$(ls -A "$tmp/pol")"

# ---------------------------------------------------------------- blockscan
if [ -r /proc/kpageflags ] && [ "$(id -u)" = 0 ]; then
        line=$("$blockscan" | grep '^BLOCKS')
        bval() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$line"; }
        check "blockscan: free + movable + polluted + blank = total ($line)" \
                test $(( $(bval free) + $(bval movable) + $(bval polluted) + $(bval blank) )) = "$(bval total)" -a "$(bval total)" -gt 0
        check "blockscan prints a ZONE line per populated zone" test "$("$blockscan" | grep -c '^ZONE')" -ge 1
else
        echo "ok - blockscan # SKIP needs root for /proc/kpageflags"
fi
check "blockscan rejects arguments (exit 2)" test "$("$blockscan" x >/dev/null 2>&1; echo $?)" = 2
exit $fail
