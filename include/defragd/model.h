/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel's own fragmentation arithmetic (mm/vmstat.c, mm/compaction.c),
 * as pure integer functions over buddy free-block counts. Must match debugfs
 * extfrag/{unusable_index,extfrag_index} digit for digit. */
#pragma once

#include <stdint.h>

#include "defragd/snapshot.h"

/* mm/vmstat.c struct contig_page_info. */
struct df_contig_info {
        uint64_t free_pages;           /* sum of blocks << order */
        uint64_t free_blocks_total;    /* sum of blocks */
        uint64_t free_blocks_suitable; /* sum over order >= suitable of blocks << (order - suitable) */
};

/* fill_contig_page_info(): free_blocks has nr_orders entries. */
void df_fill_contig_info(const uint64_t *free_blocks, int nr_orders, int suitable_order, struct df_contig_info *info);

/* unusable_free_index(): 0..1000 (thousandths). 1000 when no free memory. */
int df_unusable_index(int order, const struct df_contig_info *info);

/* __fragmentation_index(): -1000 when a block of this order is free (the
 * request would succeed), else 0..1000: 0 = fails for lack of memory,
 * 1000 = fails for fragmentation. 0 when nothing is free. */
int df_fragmentation_index(int order, const struct df_contig_info *info);

/* extfrag_for_order(): percent of free memory unusable at order, 0..100. */
int df_extfrag_for_order(int order, const struct df_contig_info *info);

/* Print an index the way debugfs does ("%d.%03d"; -1000 -> "-1.000"). */
void df_format_index(int index, char *buf, unsigned size);

/* Per-zone, per-order view derived from a snapshot. */
struct df_zone_model {
        int node;
        const char *zone;  /* points into the snapshot */
        int nr_orders;
        uint64_t free_pages;
        uint64_t suitable_blocks[DF_MAX_ORDERS]; /* blocks usable for a request of this order */
        int unusable_index[DF_MAX_ORDERS];       /* thousandths */
        int fragmentation_index[DF_MAX_ORDERS];  /* thousandths, -1000 = would succeed */
};

void df_zone_model_compute(const struct df_zone *z, struct df_zone_model *m);

/* Proactive compaction score of a node (mm/compaction.c
 * fragmentation_score_node): sum over populated zones of
 * present_pages * extfrag_for_order(zone, order) / (node_present_pages + 1).
 * Needs zoneinfo (present pages); returns -1 when the snapshot lacks it.
 * `order` is COMPACTION_HPAGE_ORDER (the pageblock/THP order, 9 on x86-64). */
int df_node_compaction_score(const struct df_snapshot *s, int node, int order);

/* fragmentation_score_wmark(): the kernel's low/high score marks for a given
 * vm.compaction_proactiveness. */
unsigned df_compaction_score_wmark(unsigned proactiveness, int low);
