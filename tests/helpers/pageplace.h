/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pageplace: where a file's cached pages sit in physical memory (zone and
 * pageblock of each), so the polluter can punch holes block by block. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define PAGEPLACE_BLOCK_PAGES 512     /* pageblock_order 9 on x86-64 */
#define PAGEPLACE_MAX_ZONES 8

struct zone_span {
        char name[16];
        uint64_t start_pfn, end_pfn;  /* [start, end) */
        uint64_t free_pages;          /* "pages free" when read */
        uint64_t low_pages, high_pages; /* watermarks */
        uint64_t reserve_pages;       /* largest lowmem protection ("protection:") */
        uint64_t managed_pages;
};

/* Populated zones of node 0 from /proc/zoneinfo, in ascending PFN order.
 * Returns the count or -errno. */
int zones_read(struct zone_span *zones, size_t max);
/* Free pages below which allocations of the highest zone make kswapd run:
 * per zone its high watermark plus its protection, at most what it manages. */
uint64_t zones_kswapd_floor_pages(const struct zone_span *zones, size_t n);

/* The located cached pages of a file, grouped by pageblock (CSR layout):
 * pages[block_start[b] .. block_start[b + 1]) are file page indices whose
 * frame is in pageblock b (pfn / PAGEPLACE_BLOCK_PAGES). */
struct cache_layout {
        uint64_t n_blocks;
        uint32_t *block_start;        /* n_blocks + 1 entries */
        uint32_t *pages;
        uint64_t located;             /* cached pages found */
};

/* Reads the frame of each page of the mapping `map` (n_pages long; pages
 * not mapped are left out) from /proc/self/pagemap. Needs CAP_SYS_ADMIN for
 * frame numbers: -EPERM without. Each block's pages are shuffled with
 * `seed`, so taking them in order is a random choice. */
int cache_layout_build(const uint8_t *map, uint64_t n_pages, uint64_t seed, struct cache_layout *ret);
void cache_layout_free(struct cache_layout *l);
