#!/bin/bash
# per-zone idle slices A/B, scaled (PollIntervalSec=1s, MaxAgeSec=6min: the
# defaults' slices at 10x the rate), dry-run, side by side: old = largest
# zone's rate for every zone (ea8c2db), new = each zone's own (8b1d80c);
# CPU between $1 and $2 s (after Normal's first sweep, ~170 s).
old=/var/tmp/s8/build-bench/daemon/defragd new=/var/tmp/s9/build-bench/daemon/defragd
ctl=/var/tmp/s9/build-bench/daemon/defragctl
declare -A pid c1
for n in old new; do
  mkdir -p rt-$n; eval exe=\$$n
  $exe -n --config scaled.conf --runtime-dir rt-$n --log-target console > zone-$n.log 2>&1 & pid[$n]=$!
done
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
st() { $ctl status --json --runtime-dir rt-$1 | python3 -c 'import json,sys; d=json.load(sys.stdin); pl=(d.get("clearing") or {}).get("planner") or {}; print("evals", d.get("evaluations"), "any_short", d.get("any_short"), "pages_read", pl.get("pages_read"), "last_slice_pages", pl.get("last_slice_pages"))'; }
sleep "$1"
for n in old new; do c1[$n]=$(cpu ${pid[$n]}); echo "$(date +%T) t=$1 $n $(st $n)"; done
sleep $(($2 - $1))
for n in old new; do
  c2=$(cpu ${pid[$n]}); echo "$(date +%T) t=$2 $n cpu_s_in_window=$(echo "scale=2; ($c2 - ${c1[$n]})/100" | bc) $(st $n)"
  kill ${pid[$n]}
done
wait
