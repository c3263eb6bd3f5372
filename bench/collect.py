#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# collect: a campaign's results (bench/campaign.sh OUT) made small enough for
# the repository: time series trimmed, defragd's actions read from its logs.
"""Usage: collect.py CAMPAIGN_OUT DEST_DIR   (then: bench/report.py DEST_DIR)"""

import json
import os
import re
import shutil
import sys

# "compact node 0: Normal order 9 free blocks 0 -> 12 (+12), ..., 296 ms; ..."
ACTION = re.compile(r"^defragd: (?P<lever>[a-z-]+(?: [a-z-]+)?) node (?P<node>\d+): (?P<zone>\S+) order (?P<order>\d+) "
                    r"free blocks (?P<before>\d+) -> (?P<after>\d+|\?).*?, (?P<ms>\d+) ms")


def log_actions(path, low_blocks=64):
    """Every action defragd logged: lever, zone, blocks before/after, ms. An
    action that started at or above the low mark was the early trigger's
    (the ordinary trigger acts only below it)."""
    out = []
    if not os.path.exists(path):
        return None
    for line in open(path, errors="replace"):
        m = ACTION.match(line.strip())
        if not m:
            continue
        before = int(m["before"])
        out.append({"lever": m["lever"], "zone": m["zone"], "order": int(m["order"]), "before": before,
                    "after": None if m["after"] == "?" else int(m["after"]), "ms": int(m["ms"]),
                    "early": before >= low_blocks})
    return out


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    src, dest = sys.argv[1], sys.argv[2]
    os.makedirs(dest, exist_ok=True)
    runs = [json.loads(x) for x in open(os.path.join(src, "results.jsonl")) if x.strip()]
    machine = None
    with open(os.path.join(dest, "results.jsonl"), "w") as f:
        for r in runs:
            d = os.path.join(src, "runs", f"{r['rep']}-{r['workload']}-{r['contender']}")
            if machine is None and os.path.exists(os.path.join(d, "machine.json")):
                machine = os.path.join(d, "machine.json")
            # every second's free blocks per order is most of a record: keep order 9 and the score
            r["series"] = [{"t": s["t"], "free_order9": s["free_order9"], "score": s["score"]} for s in r["series"]]
            if r.get("defragd_status"):
                st = r["defragd_status"]
                r["defragd_status"] = {k: st.get(k) for k in ("status", "evaluations", "any_short", "recent_actions",
                                                               "probes")}
            if r["contender"].startswith("defragd"):
                r["defragd_actions"] = log_actions(os.path.join(d, "tmp", f"{r['contender']}.log"))
            f.write(json.dumps(r) + "\n")
    if machine:
        shutil.copy(machine, os.path.join(dest, "machine.json"))
    print(f"collect: {len(runs)} runs -> {dest}/results.jsonl", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
