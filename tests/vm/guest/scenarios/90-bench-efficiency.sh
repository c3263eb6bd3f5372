#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The guest benchmark (issue 11; run only when named:
# DEFRAGD_VM_SCENARIOS=bench-efficiency): bench/efficiency.py, the host's
# script, at guest sizes, with what only the guest has: the companion module
# (clear-kmod). One run per invocation (3 repetitions, methods rotated), each
# result line sent at once as a TAP comment ("# bench-efficiency: json {...}")
# for the host to keep, so a run cut short still reports what it measured.
# Counts, not times: emulation slows the clock, not what moves.
. /usr/lib/defragd-vm/lib.sh
ko=$gdir/kmod/defragd_clear.ko
res=/var/lib/defragd-vm/efficiency  # not "out": lib.sh sends TAP to $out
# the module, and whole-node compaction beside it (the host measures the rest)
methods=(clear-kmod node-compact)
cleanup() { rmmod defragd_clear 2>/dev/null; }
trap cleanup EXIT
# The unit's daemon would act on the same memory: not during the benchmark.
systemctl stop defragd.service 2>/dev/null
command -v python3 >/dev/null || { not_ok "python3 in the guest image (tests/vm/packages.txt)"; finish; }
check "insmod defragd_clear.ko" insmod "$ko"
rm -rf "$res" "$res.log"
n=${#methods[@]}
for rep in 0 1 2; do
        for ((i = 0; i < n; i++)); do
                m=${methods[$(((i + rep) % n))]}
                t=$(date +%s)
                rows=$(cat "$res/results.jsonl" 2>/dev/null | wc -l)
                # 1.5 GiB, all DMA32; a margin for the guest's own services and the script.
                python3 "$gdir/bench/efficiency.py" --out "$res" --reps 1 --first-rep "$rep" --methods "$m" --zone DMA32 \
                        --fragmenter "$gdir/fragmenter" --defragd /usr/sbin/defragd --defragctl /usr/bin/defragctl \
                        --margin-bytes 256M --want 32 --kcompactd-sec 20 --clear-sec 120 >>"$res.log" 2>&1
                rc=$?
                if [ $rc -eq 77 ]; then
                        skip "$m rep $rep" "$(grep SKIP "$res.log" | tail -n 1)"
                elif [ $rc -ne 0 ] || [ "$(wc -l <"$res/results.jsonl")" -ne $((rows + 1)) ]; then
                        not_ok "$m rep $rep: efficiency.py exits 0 with one more row (exit $rc)" "$(tail -n 20 "$res.log")"
                else
                        ok "$m rep $rep: $(grep " rep $rep: " "$res.log" | tail -n 1 | sed 's/^bench: *//') ($(($(date +%s) - t)) s)"
                        note "json $(tail -n 1 "$res/results.jsonl")"
                fi
        done
done
[ -s "$res/results.md" ] && while IFS= read -r line; do note "table $line"; done <"$res/results.md"
finish
