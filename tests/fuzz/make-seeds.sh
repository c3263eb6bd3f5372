#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Seed corpus of one harness from the fixtures (real captures, derived and
# malformed files) and the shipped config: make-seeds.sh HARNESS OUTDIR.
# Files are named by their SHA-1, as libFuzzer names what it finds.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
fx=$src/tests/fixtures
harness=$1 out=$2
mkdir -p "$out"

add() { # stdin -> OUT/sha1
        local tmp
        tmp=$(mktemp "$out/.seed.XXXXXX")
        cat >"$tmp"
        mv "$tmp" "$out/$(sha1sum "$tmp" | cut -c1-40)"
}
add_files() { for f in "$@"; do [ -f "$f" ] && add <"$f"; done; return 0; }
small() { find "$@" -size -64k -type f 2>/dev/null | sort; } # big captures only slow the fuzzer down

case $harness in
buddyinfo|zoneinfo|pagetypeinfo|vmstat)
        add_files $(small "$fx"/*/proc/"$harness") "$fx"/malformed/"$harness"-* ;;
psi)
        add_files $(small "$fx"/*/proc/pressure/memory) "$fx"/malformed/psi-* ;;
config)
        add_files "$src"/conf/defragd.conf
        printf '[Daemon]\nPollIntervalSec=200ms\nZones=Normal\nPressureGuardPercent=0\n[Compaction]\nCooldownSec=1s\nBackoffMaxSec=2s\nProactivenessWhileShort=55\n[Probes]\nEnable=no\n[Order9]\nLow=12\nHigh=20\n' | add
        printf '[Daemon]\nNodes=0,2-3\nZones=Normal Movable\nDryRun=yes\nMaxActionsPerHour=0\n\n%%%%\n[Order4]\nEnable=no\n[Order10]\nLow=1\nHigh=4\n%%%%\n# masked\n%%%%\n[Probes]\nTriggerMinOrder=3\nTriggerMinIntervalSec=1s\nReportStallSec=100ms\n' | add
        printf '[Daemon]\nPollIntervalSec=soon\n' | add
        printf '[Order9]\nLow=10\nHigh=5\n' | add ;;
config-dropins)
        add_files "$here"/regress/config-dropins/seed-* ;;
control-request)
        for r in 'status\n' 'status json\n' 'probes json\n' 'status\r\n' 'status' 'stat' 'status json\nstatus\n' '\x1b[2Jstatus\n'; do
                printf "$r" | add
        done ;;
json)
        printf '\x01plain ascii' | add
        printf '\x01quote " backslash \\ tab \t newline \n bell \x07 del \x7f' | add
        printf '\x01UTF-8: \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80; bad: \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xe2\x82' | add
        # writer program: {"a":[1,"x",null,true],"b":{}}
        printf '\x00\x01\x00\x04\x01a\x02\x06\x01\x00\x00\x00\x00\x00\x00\x00\x05\x01x\x0a\x09\x03\x04\x01b\x00\x01\x01' | add
        printf '\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' | add ;;
render)
        for d in "$fx"/*/proc; do
                [ -f "$d/buddyinfo" ] || continue
                [ "$(stat -c %s "$d/zoneinfo" 2>/dev/null || echo 0)" -lt 65536 ] || continue
                for opts in '\x00\x00' '\x0f\x28'; do
                        {
                                printf "$opts"
                                cat "$d/buddyinfo"; printf '%%%%\n'
                                [ -f "$d/pagetypeinfo" ] && cat "$d/pagetypeinfo"; printf '%%%%\n'
                                [ -f "$d/zoneinfo" ] && cat "$d/zoneinfo"; printf '%%%%\n'
                                [ -f "$d/vmstat" ] && cat "$d/vmstat"; printf '%%%%\n'
                                [ -f "$d/pressure/memory" ] && cat "$d/pressure/memory"
                        } | add
                done
        done ;;
*)
        echo "make-seeds.sh: no seeds known for \"$harness\"" >&2; exit 1 ;;
esac
echo "make-seeds.sh: $(ls "$out" | wc -l) seeds for $harness in $out" >&2
