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

# "compact node 0: Normal order 9 free blocks 0 -> 12 (+12), ..., 296 ms; ...",
# "reclaim-node node 0 (0.0 of 64.0 MiB, EAGAIN: partial): Normal order 9 ..."
ACTION = re.compile(r"^defragd: (?P<lever>[a-z-]+(?: [a-z-]+)?) node (?P<node>\d+)(?: \([^)]*\))?: (?P<zone>\S+) order (?P<order>\d+) "
                    r"free blocks (?P<before>\d+) -> (?P<after>\d+|\?).*?, (?P<ms>\d+) ms")


# "node 0 Normal order 9: 0 free blocks below low mark 64 (short: will act)", "... (ok: stopping)"
STATE = re.compile(r"^defragd: node (?P<node>\d+) (?P<zone>\S+) order (?P<order>\d+): .*\((?P<state>short|ok):")


def log_actions(path):
    """Every action defragd logged: lever, zone, blocks before/after, ms, and
    whether it was the early trigger's. A cell is short from below Low until
    back at High (the log says both), so an action on a cell whose last
    logged state is ok (or that was never short) was taken early; "before"
    alone cannot tell (a short cell can hold more than Low blocks again when
    its action starts)."""
    out, state = [], {}
    if not os.path.exists(path):
        return None
    for line in open(path, errors="replace"):
        line = line.strip()
        m = STATE.match(line)
        if m:
            state[(m["node"], m["zone"], m["order"])] = m["state"]
            continue
        m = ACTION.match(line)
        if not m:
            continue
        out.append({"lever": m["lever"], "zone": m["zone"], "order": int(m["order"]), "before": int(m["before"]),
                    "after": None if m["after"] == "?" else int(m["after"]), "ms": int(m["ms"]),
                    "early": state.get((m["node"], m["zone"], m["order"]), "ok") != "short"})
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
            # every second's free blocks per order is most of a record: keep order 9 (all, per zone) and the score
            r["series"] = [{k: s[k] for k in ("t", "free_order9", "zones", "score") if k in s} for s in r["series"]]
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
