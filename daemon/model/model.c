/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel's fragmentation arithmetic, integer for integer: mm/vmstat.c
 * (fill_contig_page_info, unusable_free_index, __fragmentation_index,
 * extfrag_for_order) and mm/compaction.c (fragmentation_score_node/_wmark). */
#include <stdio.h>
#include <string.h>

#include "defragd/model.h"

/* Sums wrap in 64 bits exactly as the kernel's unsigned long does; the
 * buddyinfo parser refuses counts that would make them wrap. */
void df_fill_contig_info(const uint64_t *free_blocks, int nr_orders, int suitable_order, struct df_contig_info *info) {
        memset(info, 0, sizeof(*info));
        for (int order = 0; order < nr_orders; order++) {
                uint64_t blocks = free_blocks[order];

                info->free_blocks_total += blocks;
                info->free_pages += blocks << order;
                if (order >= suitable_order)
                        info->free_blocks_suitable += blocks << (order - suitable_order);
        }
}

/* unusable = (free_pages - suitable_blocks * 2^order) / free_pages, in
 * thousandths, rounded down; 1000 when nothing is free. */
int df_unusable_index(int order, const struct df_contig_info *info) {
        if (info->free_pages == 0)
                return 1000;
        return (int) ((info->free_pages - (info->free_blocks_suitable << order)) * UINT64_C(1000) / info->free_pages);
}

/* Only meaningful when the request fails (no suitable block):
 * index = 1000 - (1000 + free_pages * 1000 / 2^order) / free_blocks_total.
 * Near 1000 the free memory is there but in pieces; near 0 it is not there.
 * With very few free blocks the kernel's formula goes below 0 (one free page,
 * order 1: 1000 - 1500 = -500) and debugfs prints that as "0.-500": kept. */
int df_fragmentation_index(int order, const struct df_contig_info *info) {
        uint64_t requested, q;

        if (order < 0 || order >= 64)
                return 0;
        requested = UINT64_C(1) << order;
        if (!info->free_blocks_total)
                return 0;
        if (info->free_blocks_suitable)
                return -1000;
        q = (1000 + info->free_pages * UINT64_C(1000) / requested) / info->free_blocks_total;
        return (int) (int64_t) (UINT64_C(1000) - q);
}

/* extfrag = (free_pages - suitable_blocks * 2^order) * 100 / free_pages;
 * 0 when nothing is free (unlike unusable_free_index). */
int df_extfrag_for_order(int order, const struct df_contig_info *info) {
        if (info->free_pages == 0)
                return 0;
        return (int) ((info->free_pages - (info->free_blocks_suitable << order)) * UINT64_C(100) / info->free_pages);
}

/* debugfs prints seq_printf("%d.%03d", index / 1000, index % 1000). */
void df_format_index(int index, char *buf, unsigned size) {
        snprintf(buf, size, "%d.%03d", index / 1000, index % 1000);
}

void df_zone_model_compute(const struct df_zone *z, struct df_zone_model *m) {
        memset(m, 0, sizeof(*m));
        m->node = z->node;
        m->zone = z->name;
        m->nr_orders = z->nr_orders;
        for (int order = 0; order < z->nr_orders && order < DF_MAX_ORDERS; order++) {
                struct df_contig_info info;

                df_fill_contig_info(z->free_blocks, z->nr_orders, order, &info);
                if (order == 0)
                        m->free_pages = info.free_pages;
                m->suitable_blocks[order] = info.free_blocks_suitable;
                m->unusable_index[order] = df_unusable_index(order, &info);
                m->fragmentation_index[order] = df_fragmentation_index(order, &info);
        }
}

/* score = sum over populated zones of
 *         present_pages * extfrag_for_order(zone, order) / (node_present_pages + 1),
 * each term rounded down (fragmentation_score_zone_weighted). */
int df_node_compaction_score(const struct df_snapshot *s, int node, int order) {
        uint64_t node_present = 0;
        unsigned score = 0;
        bool any = false;

        for (size_t i = 0; i < s->n_zones; i++) {
                const struct df_zone *z = &s->zones[i];

                if (z->node != node)
                        continue;
                if (!z->has_zoneinfo)
                        return -1;
                node_present += z->present_pages;
                any = true;
        }
        if (!any)
                return -1;
        for (size_t i = 0; i < s->n_zones; i++) {
                const struct df_zone *z = &s->zones[i];
                struct df_contig_info info;

                if (z->node != node || z->present_pages == 0)
                        continue;
                df_fill_contig_info(z->free_blocks, z->nr_orders, order, &info);
                score += (unsigned) (z->present_pages * (uint64_t) df_extfrag_for_order(order, &info) / (node_present + 1));
        }
        return (int) score;
}

/* Linux 6.16 and later (mm/compaction.c fragmentation_score_wmark):
 *   low  = 100 - proactiveness
 *   high = min(low + min(10, low / 2), 100)
 * Before 6.16 low was max(100 - proactiveness, 5) and high min(low + 10, 100). */
unsigned df_compaction_score_wmark(unsigned proactiveness, int low) {
        unsigned wmark_low, leeway;

        if (proactiveness > 100)
                proactiveness = 100;
        wmark_low = 100U - proactiveness;
        leeway = wmark_low / 2 < 10U ? wmark_low / 2 : 10U;
        if (low)
                return wmark_low;
        return wmark_low + leeway < 100U ? wmark_low + leeway : 100U;
}
