#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# polluted-modes: what decided each polluted run's THP share. One line per run,
# sorted by the slab pages left in DMA32 at the end of the window (the
# blockscan of tests/helpers/blockscan.c, run by the harness before and after),
# beside the THP share, the first two rounds' huge pages, DMA32's and Normal's
# free order-9 blocks at the end, pgmigrate_success, and for defragd runs when
# node reclaim wrote (seconds into the window: blocks gained) beside the first
# round at which at least half the consumer's regions got huge pages. See
# docs/benchmarks.md, "What decides a polluted run".
"""Usage: polluted-modes.py RESULTS.jsonl...   (bench/results/*/results.jsonl or a campaign's)"""

import json
import sys


def rows(paths):
    for path in paths:
        with open(path) as f:
            for line in f:
                r = json.loads(line)
                if r.get("workload") != "polluted" or "blocks_end" not in r:
                    continue
                rounds = r.get("rounds") or []
                regions = sum(x["regions"] for x in rounds)
                huge = sum(x["huge"] for x in rounds)
                bs, be = r["blocks_start"], r["blocks_end"]
                yield {
                    "source": path,
                    "contender": r["contender"],
                    "rep": r["rep"],
                    "thp": 100.0 * huge / regions if regions else float("nan"),
                    "r0": rounds[0]["huge"] if rounds else -1,
                    "r1": rounds[1]["huge"] if len(rounds) > 1 else -1,
                    "dma32_slab_start": bs["DMA32"]["slab_pages"],
                    "dma32_slab_end": be["DMA32"]["slab_pages"],
                    "normal_slab_start": bs["Normal"]["slab_pages"],
                    "normal_slab_end": be["Normal"]["slab_pages"],
                    "dma32_free_end": be["DMA32"]["free"],
                    "normal_free_end": be["Normal"]["free"],
                    "pgmigrate": r["window"]["pgmigrate_success"],
                    "writes": node_reclaim_writes(r),
                    "good_at": first_good_round(rounds),
                }


def node_reclaim_writes(r):
    """'t s: +gain' for each node reclaim defragd ran (from its last status's recent actions)."""
    st = r.get("defragd_status") or {}
    t0 = r.get("t0_realtime")
    out = []
    for a in st.get("recent_actions") or []:
        if a.get("action") != "reclaim-node" or a.get("amount", 0) == 0 or a.get("result") == "failed" or t0 is None:
            continue  # refusals before 3c5a207 carried the pre-cap amount and result "failed"
        out.append(f"{a['realtime_usec'] / 1e6 - t0:.0f}: {a.get('gain_blocks', 0):+d}")
    return ", ".join(out) if out else "-"


def first_good_round(rounds):
    """Seconds into the window of the first round with at least half its regions huge."""
    for x in rounds:
        if x["regions"] and 2 * x["huge"] >= x["regions"]:
            return f"{x['t_sec']:.0f}"
    return "never"


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        all_rows = sorted(rows(argv[1:]), key=lambda x: x["dma32_slab_end"])
    except (OSError, ValueError, KeyError) as e:
        print(f"polluted-modes: {e}", file=sys.stderr)
        return 1
    print("| contender | rep | THP % | huge in rounds 0, 1 | DMA32 slab pages start -> end | Normal slab pages start -> end "
          "| free order-9 blocks at end: DMA32, Normal | pgmigrate_success | node reclaim writes (s: blocks) "
          "| first round >= 50% huge (s) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for x in all_rows:
        print(f"| {x['contender']} | {x['rep']} | {x['thp']:.1f} | {x['r0']}, {x['r1']} "
              f"| {x['dma32_slab_start']:,} -> {x['dma32_slab_end']:,} | {x['normal_slab_start']:,} -> {x['normal_slab_end']:,} "
              f"| {x['dma32_free_end']:,}, {x['normal_free_end']:,} | {x['pgmigrate']:,} | {x['writes']} | {x['good_at']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
