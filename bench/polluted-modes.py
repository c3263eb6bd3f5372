#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# polluted-modes: what decided each polluted run's THP share. One line per run,
# sorted by the slab pages left in DMA32 at the end of the window (the
# blockscan of tests/helpers/blockscan.c, run by the harness before and after),
# beside the THP share, the first two rounds' huge pages, DMA32's and Normal's
# free order-9 blocks at the end, and pgmigrate_success. See docs/benchmarks.md,
# "What decides a polluted run".
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
                }


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
          "| free order-9 blocks at end: DMA32, Normal | pgmigrate_success |")
    print("|---|---|---|---|---|---|---|---|")
    for x in all_rows:
        print(f"| {x['contender']} | {x['rep']} | {x['thp']:.1f} | {x['r0']}, {x['r1']} "
              f"| {x['dma32_slab_start']:,} -> {x['dma32_slab_end']:,} | {x['normal_slab_start']:,} -> {x['normal_slab_end']:,} "
              f"| {x['dma32_free_end']:,}, {x['normal_free_end']:,} | {x['pgmigrate']:,} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
