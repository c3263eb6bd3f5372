#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Smoke test of tick-bench: 1, 8 and 64-node fixtures parse, give the right
# node counts and a positive median cost.
set -u
tb=${1:?usage: tick-smoke.sh TICK_BENCH FIXTURES_DIR}; fx=${2:?}
# shellcheck source=bench/smoke-lib.sh
. "$(dirname "$0")/smoke-lib.sh"
for spec in live-6.18-fragmented:1 numa-8node:8 numa-64node:64; do
        name=${spec%:*}; nodes=${spec#*:}
        out=$("$tb" 50 "$fx/$name"); rc=$?
        echo "$out"
        check "$name exits 0" test "$rc" = 0
        check "$name has $nodes nodes" grep -q " nodes=$nodes " <<<"$out"
        total=$(sed -n 's/.* total_nsec=\([0-9]*\).*/\1/p' <<<"$out")
        check "$name total_nsec positive ($total)" test "${total:-0}" -gt 0
done
"$tb" 1 /nonexistent >/dev/null 2>&1
check "missing root fails" test $? = 1
"$tb" 0 "$fx/numa-8node" >/dev/null 2>&1
check "bad iteration count exits 2" test $? = 2
exit $fail
