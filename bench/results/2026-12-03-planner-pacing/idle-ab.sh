#!/bin/bash
# idle sweep A/B, scaled: PollIntervalSec=1s, MaxAgeSec=6min (slices as at
# the defaults' 10 s and 1 h: 32768 full, 20389 idle on this Normal), dry-run,
# old (build-bench) and new (build-dev) side by side; CPU between $1 and $2 s.
old=/work/main/build-bench/daemon/defragd new=/work/main/build-dev/daemon/defragd
ctl=/work/main/build-dev/daemon/defragctl
declare -A pid c1
for n in old new; do
  mkdir -p rt2-$n; eval exe=\$$n
  $exe -n --config scaled.conf --runtime-dir rt2-$n --log-target console > idle-$n.log 2>&1 & pid[$n]=$!
done
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
st() { $ctl status --json --runtime-dir rt2-$1 | python3 -c 'import json,sys; d=json.load(sys.stdin); pl=(d.get("clearing") or {}).get("planner") or {}; print("evals", d.get("evaluations"), "any_short", d.get("any_short"), "pages_read", pl.get("pages_read"), "last_slice_pages", pl.get("last_slice_pages"), "skipped", pl.get("slices_skipped"))'; }
sleep "$1"
for n in old new; do c1[$n]=$(cpu ${pid[$n]}); echo "$(date +%T) t=$1 $n $(st $n)"; done
sleep $(($2 - $1))
for n in old new; do
  c2=$(cpu ${pid[$n]}); echo "$(date +%T) t=$2 $n cpu_s_in_window=$(echo "scale=2; ($c2 - ${c1[$n]})/100" | bc) $(st $n)"
  kill ${pid[$n]}
done
wait
