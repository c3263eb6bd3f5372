#!/bin/bash
# old (build-bench, before the pacing) and new (build-dev) defragd, dry-run,
# shipped config, side by side for $1 s; each one's CPU and evaluations
old=/work/main/build-bench/daemon/defragd new=/work/main/build-dev/daemon/defragd
ctl=/work/main/build-dev/daemon/defragctl
: > empty.conf
declare -A pid
for n in old new; do
  mkdir -p rt-$n; eval exe=\$$n
  $exe -n --config empty.conf --runtime-dir rt-$n --log-target console > $n.log 2>&1 & pid[$n]=$!
done
sleep "$1"
for n in old new; do
  p=${pid[$n]}
  t=$(awk '{print ($14+$15)/100}' /proc/$p/stat)
  ev=$($ctl status --json --runtime-dir rt-$n | python3 -c 'import json,sys; d=json.load(sys.stdin); pl=(d.get("clearing") or {}).get("planner") or {}; print(d.get("evaluations"), pl.get("pages_read"), pl.get("slices_skipped"))')
  echo "$(date +%T) $n cpu_s=$t evaluations/pages_read/skipped=$ev"; kill $p
done
wait
