/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where each cgroup's pages sit: a bounded sample of a zone's pageblocks
 * (kpageflags + kpagecgroup), the blocks cheapest to free by reclaim, and the pages each cgroup holds there. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "defragd/plan.h"
#include "defragd/reclaim.h"

/* The DF_KPF_* bit numbers are the planner's (defragd/plan.h). */
#define DF_KPF_BIT(b) (UINT64_C(1) << (b))

enum df_reclaim_page_kind {
        DF_RPAGE_FREE,        /* KPF_BUDDY */
        DF_RPAGE_FILE,        /* clean file cache on the LRU: what swappiness=0 reclaim frees */
        DF_RPAGE_ANON,        /* anon or shmem on the LRU: only with AllowAnon= (and swap) */
        DF_RPAGE_STUCK,       /* anything reclaim cannot free now: slab, dirty, unevictable, no flags, holes */
};
enum df_reclaim_page_kind df_reclaim_page_kind(uint64_t kpageflags);

/* One sampled pageblock. */
struct df_block_sample {
        uint64_t start_pfn;
        uint32_t free_pages, file_pages, anon_pages, stuck_pages;
};

/* Classify one block; flags[i] is /proc/kpageflags of start_pfn + i. */
void df_block_classify(uint64_t start_pfn, const uint64_t *flags, size_t nr_pages, struct df_block_sample *out);

/* What reclaim must free to empty the block: file (+ anon with allow_anon)
 * pages; UINT32_MAX when it cannot (a stuck page, or anon without
 * allow_anon), and for a block already free. */
uint32_t df_block_reclaim_cost(const struct df_block_sample *b, bool allow_anon);

/* Pages per memory cgroup inode in the chosen blocks. */
struct df_inode_pages {
        uint64_t inode;
        uint64_t pages;
};

/* The sample of a tick: the cheapest blocks seen, at most DF_RECLAIM_CHEAP_MAX. */
#define DF_RECLAIM_CHEAP_MAX 64
#define DF_RECLAIM_INODES_MAX 256
struct df_reclaim_sample {
        uint64_t blocks_sampled, pages_read;
        uint64_t blocks_passed_over;   /* read, but no candidate holds a reclaimable page there */
        size_t n_cheap;
        struct df_block_sample cheap[DF_RECLAIM_CHEAP_MAX];  /* cost ascending */
        size_t n_inodes;
        struct df_inode_pages inodes[DF_RECLAIM_INODES_MAX]; /* pages per cgroup inode in cheap[] */
        uint64_t unattributed_pages;                          /* beyond DF_RECLAIM_INODES_MAX inodes */
        /* the planner's view the sample was drawn from: blocks of the watched
         * zones, and how many of them it has read at least once */
        uint64_t view_blocks, view_blocks_read;
};

/* Offer a classified block to the sample: kept when among the `keep`
 * (<= DF_RECLAIM_CHEAP_MAX) cheapest reclaimable blocks so far. Returns the
 * slot it took, or -1. */
int df_reclaim_sample_offer(struct df_reclaim_sample *s, const struct df_block_sample *b, bool allow_anon, size_t keep);

/* Count a kept block's reclaimable pages by owner: cg[i] is
 * /proc/kpagecgroup of b->start_pfn + i, flags[i] its kpageflags. */
void df_reclaim_sample_attribute(struct df_reclaim_sample *s, const uint64_t *flags, const uint64_t *cg,
                                 size_t nr_pages, bool allow_anon);

/* cgs[i].cheap_pages = pages of the sample owned by cgs[i] or any cgroup
 * below it (all[] maps every cgroup read to its inode). */
void df_reclaim_assign_cheap_pages(const struct df_reclaim_sample *s, const struct df_reclaim_cgroup *all, size_t n_all,
                                   struct df_reclaim_cgroup *cgs, size_t n_cgs);

/* Which blocks to read this tick: `n` evenly spread over [0, nr_blocks),
 * shifted by `tick` so successive ticks cover different blocks. */
uint64_t df_reclaim_sample_block(uint64_t nr_blocks, uint64_t n, uint64_t i, uint64_t tick);

/* ---- the daemon's sample: the planner's view (defragd/plan.h) ---- */

/* One block of the view worth reclaiming from. */
struct df_reclaim_block_ref {
        size_t zone;                 /* index into the view's zones */
        uint64_t start_pfn;
        uint64_t reclaim_pages;      /* clean file cache (+ anon with allow_anon): what reclaim frees */
        uint64_t leftover_pages;     /* movable pages reclaim leaves: compaction must move them after */
};

/* The `keep` blocks of the view's watched zones cheapest to free with
 * reclaim's help, cheapest first: no page that neither reclaim nor
 * compaction can shift (slab, page tables, holes ...), something to
 * reclaim, read within max_age_usec (0: any age); fewest pages left for
 * compaction first (0: reclaim alone empties it), then fewest to reclaim.
 * Pure: the view's per-block counts, no page read. Returns how many. */
size_t df_reclaim_cheap_blocks(const struct df_plan_view *v, bool allow_anon, uint64_t max_age_usec, uint64_t now_usec,
                               size_t keep, struct df_reclaim_block_ref *out);

/* The owners a reclaim of one of cands[] takes pages from: each candidate's
 * inode and every cgroup's below it (all[] maps every cgroup read to its
 * inode). Returns how many were written to out (at most max). */
size_t df_reclaim_candidate_inodes(const struct df_reclaim_cgroup *all, size_t n_all,
                                   const struct df_reclaim_cgroup *cands, size_t n_cands, uint64_t *out, size_t max);

/* Pages of a block read from kpageflags + kpagecgroup that a reclaim of a
 * candidate could take: clean file cache (+ anon with allow_anon) owned by
 * one of inodes[]. 0: the block is cheap, but for someone else. */
uint64_t df_reclaim_block_candidate_pages(const uint64_t *flags, const uint64_t *cg, size_t nr_pages,
                                          const uint64_t *inodes, size_t n_inodes, bool allow_anon);

/* The pick reads at most this many of the view's cheapest blocks per
 * ranking to find DF_RECLAIM_CHEAP_MAX that hold candidates' pages. */
#define DF_RECLAIM_PICK_READ_MAX (4 * DF_RECLAIM_CHEAP_MAX)

/* Attribute one chosen block read from kpageflags + kpagecgroup to s. */
void df_reclaim_sample_from_inodes(struct df_reclaim_sample *s, const uint64_t *flags, const uint64_t *cg,
                                   size_t nr_pages, bool allow_anon);
