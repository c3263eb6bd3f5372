#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The exposition of the running kernel: `promtool check metrics` on it, and
# defragd_free_blocks equal to /proc/buddyinfo cell for cell in every zone
# whose line was the same before and after rendering (on a busy machine some
# zone changes every few milliseconds; those are not judged). Reads only.
set -u
render=${1:?usage: test-metrics-live.sh METRICS_RENDER}
command -v promtool >/dev/null || { echo "SKIP: promtool is not installed (apt-get install prometheus)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for attempt in $(seq 20); do
        cat /proc/buddyinfo >"$tmp/b1"
        "$render" >"$tmp/m" || { echo "FAIL: metrics-render"; exit 1; }
        cat /proc/buddyinfo >"$tmp/b2"
        # zones unchanged across the render, as "node zone order count"
        grep -Fxf "$tmp/b1" "$tmp/b2" |
                awk '{ sub(",", "", $2); for (i = 5; i <= NF; i++) print $2, $4, i - 5, $i }' >"$tmp/k"
        [ -s "$tmp/k" ] && break
        sleep 0.2
done
if [ ! -s "$tmp/k" ]; then
        echo "SKIP: every zone's /proc/buddyinfo line changed during each of 20 renders; nothing to compare"
        exit 77
fi
fail=0
if out=$(promtool check metrics <"$tmp/m" 2>&1); then
        echo "ok: promtool check metrics on the live kernel's exposition ($(grep -c '^defragd_' "$tmp/m") series)"
else
        echo "FAIL: promtool check metrics: $out"; fail=1
fi
sed -n 's/^defragd_free_blocks{node="\([0-9]*\)",zone="\([^"]*\)",order="\([0-9]*\)"} \([0-9]*\)$/\1 \2 \3 \4/p' "$tmp/m" >"$tmp/e"
zones=$(awk '{ print $1 "/" $2 }' "$tmp/k" | sort -u | paste -sd' ')
if grep -Fxf "$tmp/k" "$tmp/e" | cmp -s - "$tmp/k"; then
        echo "ok: defragd_free_blocks equals /proc/buddyinfo in all $(wc -l <"$tmp/k") cells of the zones that held still ($zones)"
else
        echo "FAIL: defragd_free_blocks differs from /proc/buddyinfo ($zones):"; diff "$tmp/k" <(grep -Fxf "$tmp/k" "$tmp/e") | head; fail=1
fi
exit $fail
