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
kpageflags)
        # Real page flags and cgroup inodes (this host, 6.18): the reclaim
        # capture's raw words, and the planner capture's runs expanded.
        python3 - "$fx" "$out" <<'PY'
import hashlib, os, struct, sys
fx, out = sys.argv[1], sys.argv[2]
def add(b):
    open(os.path.join(out, hashlib.sha1(b).hexdigest()), "wb").write(b)
def header(cgroup_share64, order, start, spanned, mb, slice_):
    return bytes([(1 if cgroup_share64 else 0) | cgroup_share64 << 2, order - 2, start & 255, start >> 8,
                  spanned & 255, spanned >> 8, mb, slice_])
rc = os.path.join(fx, "reclaim/live-6.18-fragmented")
flags = open(os.path.join(rc, "kpageflags"), "rb").read()
cg = open(os.path.join(rc, "kpagecgroup"), "rb").read()
blk = 512 * 8
for i in range(0, 16, 4):  # four pageblocks at a time
    f, c = flags[i * blk:(i + 4) * blk], cg[i * blk:(i + 4) * blk]
    add(header(0, 9, 0, 2048, 0x40, 2) + f)
    add(header(32, 9, 0, 2048, 0x40, 2) + f + c)
# order-4 blocks over the same pages: more, smaller blocks
add(header(32, 4, 16, 1024, 0x11, 3) + flags[:8192] + cg[:8192])
runs = []
for line in open(os.path.join(fx, "live-6.18-planner/kpageflags.rle")):
    if line.startswith("#"):
        continue
    pfn, count, fl = (int(x, 16) if k != 1 else int(x) for k, x in enumerate(line.split()))
    runs.append((pfn, count, fl))
def expand(start, n):
    words = []
    for pfn, count, fl in runs:
        lo, hi = max(pfn, start), min(pfn + count, start + n)
        if lo < hi:
            words += [fl] * (hi - lo)
    return b"".join(struct.pack("<Q", w) for w in words)
for start in (0, 0x1000, 0x20000):
    w = expand(start, 4096)
    if w:
        add(header(0, 9, 0, len(w) // 8, 0x01, 1) + w)
PY
        ;;
memblock)
        # The planner capture's memory blocks (this host, 6.18) and its
        # /proc/iomem; a virtio-mem guest's layout from the kernel's format.
        python3 - "$fx" "$out" <<'PY'
import hashlib, os, sys
fx, out = sys.argv[1], sys.argv[2]
def add(s):
    b = s.encode()
    open(os.path.join(out, hashlib.sha1(b).hexdigest()), "wb").write(b)
d = os.path.join(fx, "live-6.18-planner")
rows = [l.split() for l in open(os.path.join(d, "memory.txt")) if not l.startswith("#")]
iomem = open(os.path.join(d, "iomem")).read()
def block(r):
    i, phys, state, zones, node, removable = r
    return "memory%s\nphys_index=%s\nstate=%s\nvalid_zones=%s\nnode=%s\nremovable=%s\n" % (i, phys, state, zones, node, removable)
for first in (0, 8, 40):
    add("\n%%\n".join(["8000000\n", iomem] + [block(r) for r in rows[first:first + 8]]))
add("\n%%\n".join(["8000000\n", "00001000-0009fbff : System RAM\n100000000-13fffffff : System RAM (virtio_mem)\n"] +
                   ["memory%d\nphys_index=%08x\nstate=%s\nvalid_zones=%s\nnode=0\nremovable=1\n" %
                    (i, i, "online" if i < 38 else "offline", "Movable" if i >= 32 else "Normal") for i in range(30, 40)]))
add("8000000\n\n%%\n\n%%\nmemory0\nstate=online\nvalid_zones=DMA DMA32\n\n%%\nmemory1\nstate=going-offline\n")
PY
        ;;
metrics)
        # Zone names and versions with every character the escaping handles,
        # UTF-8, and bytes that are not UTF-8; free counts after each name.
        for v in '0.9' 'v1.2-"quoted"\\back\\slash' '\xc3\xa9t\xc3\xa9' 'bad \xff\xfe utf8 \xed\xa0\x80'; do
                printf "\x3f\x03$v\n%%%%\nNormal\n\x05\x04\x03\x02\x01\x01\x01\x01\x01\x09\x02\n%%%%\nDMA32\n\x01\x01\n%%%%\nMov\"able\\\\\n\x03" | add
                printf "\x08\x00$v" | add
        done ;;
*)
        echo "make-seeds.sh: no seeds known for \"$harness\"" >&2; exit 1 ;;
esac
echo "make-seeds.sh: $(ls "$out" | wc -l) seeds for $harness in $out" >&2
