#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Cost of the reclaim ranking per tick (issue 9) with all free memory
# fragmented and page cache interleaved: reclaim-tool rank --ticks, at three
# sample sizes. Root; takes the machine lock itself; results go to stdout.
# Usage: bench/reclaim-rank.sh BUILD_DIR [ZONE] [CAPTURE_DIR]
#   CAPTURE_DIR: also capture pageblocks there (tests/fixtures/capture-reclaim.py).
set -euo pipefail
bld=$1 zone=${2:-Normal} capture=${3:-}
src=$(cd "$(dirname "$0")/.." && pwd)
tool=$bld/tests/helpers/reclaim-tool frag=$bld/tests/helpers/fragmenter
[ "$(id -u)" -eq 0 ] || { echo "reclaim-rank: needs root (kpageflags)"; exit 77; }
exec 9>/tmp/defragd-machine.lock
flock 9
cache=$(mktemp -d /var/tmp/reclaim-rank.XXXXXX)
frag_pid=
cleanup() { [ -n "$frag_pid" ] && kill "$frag_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$cache"; }
trap cleanup EXIT
free_kb=$(awk '/^MemFree:/ { print $2 }' /proc/meminfo)
fill_mib=$(( (free_kb / 1024 - 1536) / 2 * 2 ))
exec 3< <(exec "$frag" --fill-huge --size "${fill_mib}M" --keep-one-in 8 --kept-run 64 --seed 7 \
        --pagecache "$cache" --pagecache-size 512M --hold </dev/null)
frag_pid=$!
line=
while [[ "$line" != FRAGMENTED* ]]; do read -r -t 300 line <&3; done
echo "# fragmenter ($fill_mib MiB): $line"
echo "# $(grep -E "^Node 0, zone +$zone" /proc/buddyinfo)"
spanned=$(awk -v z="$zone" '$1 == "Node" { in_z = ($2 == "0," && $4 == z) } in_z && $1 == "spanned" { print $2; exit }' /proc/zoneinfo)
for pages in 8192 32768 262144 "$spanned"; do
        n=20; [ "$pages" = "$spanned" ] && n=3
        echo "## max-pages $pages ($((pages * 4 / 1024)) MiB of the zone's $((spanned * 4 / 1024)) MiB), $n ticks"
        "$tool" rank --zone "$zone" --max-pages "$pages" --ticks "$n" | grep -E '^(TICKS|SAMPLE|# zone|# inode)' | head -n 12
done
if [ -n "$capture" ]; then
        python3 "$src/tests/fixtures/capture-reclaim.py" "$capture" "$zone"
fi
