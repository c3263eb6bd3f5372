#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `defragctl report` on the live system: text and JSON both work, the JSON
# parses and lists every zone of /proc/buddyinfo with as many orders.
set -u
ctl=${1:?usage: test-defragctl-live.sh DEFRAGCTL}
[ -r /proc/buddyinfo ] || { echo "SKIP: no /proc/buddyinfo"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed (needed to parse the JSON)"; exit 77; }
"$ctl" report > /tmp/defragctl-live.$$.txt || { echo "FAIL: defragctl report exited $?"; exit 1; }
grep -q "^  frag index" /tmp/defragctl-live.$$.txt || { echo "FAIL: text report lacks the frag index row"; cat /tmp/defragctl-live.$$.txt; rm -f /tmp/defragctl-live.$$.txt; exit 1; }
rm -f /tmp/defragctl-live.$$.txt
"$ctl" report --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
ours = {(n["node"], z["zone"]): len(z["orders"]) for n in d["nodes"] for z in n["zones"]}
kern = {}
for line in open("/proc/buddyinfo"):
    f = line.split()
    kern[(int(f[1].rstrip(",")), f[3])] = len(f) - 4
if ours != kern:
    print("FAIL: zones/orders differ: ours", ours, "kernel", kern)
    sys.exit(1)
for n in d["nodes"]:
    for z in n["zones"]:
        for o in z["orders"]:
            assert 0 <= o["unusable_index"] <= 1 and -1 <= o["fragmentation_index"] <= 1, o
print("ok: %d zones, %d nodes; compaction scores %s" % (len(ours), len(d["nodes"]), [n["compaction_score"] for n in d["nodes"]]))
'
