/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The block planner: what every page of a zone is (from /proc/kpageflags),
 * summed per aligned block and per memory block, and which blocks are the
 * cheapest to clear. Pure: page flags and a clock in, plain data out. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "defragd/action.h"
#include "defragd/error.h"
#include "defragd/snapshot.h"

/* include/uapi/linux/kernel-page-flags.h (stable ABI bits, plus the
 * "kernel hacking" bits fs/proc/page.c exports too). */
enum {
        DF_KPF_LOCKED = 0, DF_KPF_DIRTY = 4, DF_KPF_LRU = 5, DF_KPF_SLAB = 7, DF_KPF_WRITEBACK = 8,
        DF_KPF_BUDDY = 10, DF_KPF_MMAP = 11, DF_KPF_ANON = 12, DF_KPF_SWAPBACKED = 14,
        DF_KPF_COMPOUND_HEAD = 15, DF_KPF_COMPOUND_TAIL = 16, DF_KPF_HUGE = 17, DF_KPF_UNEVICTABLE = 18,
        DF_KPF_HWPOISON = 19, DF_KPF_NOPAGE = 20, DF_KPF_KSM = 21, DF_KPF_THP = 22, DF_KPF_OFFLINE = 23,
        DF_KPF_ZERO_PAGE = 24, DF_KPF_PGTABLE = 26, DF_KPF_RESERVED = 32,
};

/* What one page is, for clearing. The movable kinds cost one page moved each;
 * UNKNOWN (no telling flag: per-CPU lists, raw kernel pages, non-LRU movable)
 * costs one too and is feasible until a clearing of its block failed; the
 * rest make a block infeasible. */
enum df_page_kind {
        DF_PAGE_FREE = 0,      /* KPF_BUDDY: every free page on 6.18, not only a block's head */
        DF_PAGE_ANON,          /* LRU|ANON (and swap-backed shmem) */
        DF_PAGE_FILE_CLEAN,    /* LRU page cache, clean */
        DF_PAGE_FILE_DIRTY,    /* LRU page cache, dirty or under writeback */
        DF_PAGE_LARGE,         /* part of a large folio (THP, mTHP, large page cache, hugetlb) */
        DF_PAGE_UNKNOWN,       /* no flag that says */
        DF_PAGE_SLAB,
        DF_PAGE_PGTABLE,
        DF_PAGE_RESERVED,      /* PG_reserved, the zero page */
        DF_PAGE_OFFLINE,       /* PG_offline: balloon, or memory a driver took */
        DF_PAGE_HWPOISON,
        DF_PAGE_HOLE,          /* KPF_NOPAGE: no struct page (memory hole, offline section) */
        _DF_PAGE_KIND_MAX,
};

const char *df_page_kind_to_string(enum df_page_kind k);
enum df_page_kind df_page_kind_of(uint64_t kpageflags);
static inline bool df_page_kind_movable(enum df_page_kind k) { return k >= DF_PAGE_ANON && k <= DF_PAGE_UNKNOWN; }
static inline bool df_page_kind_blocking(enum df_page_kind k) { return k >= DF_PAGE_SLAB; }

/* Per-block statistics: pages of each kind, and when they were read. */
struct df_block_stats {
        uint32_t pages[_DF_PAGE_KIND_MAX];
        uint64_t read_usec;  /* CLOCK_MONOTONIC of the read; 0 never read */
};
uint64_t df_block_stats_cost_pages(const struct df_block_stats *b);     /* movable pages: what clearing moves */
uint64_t df_block_stats_blocking_pages(const struct df_block_stats *b); /* slab, page tables, reserved, holes... */
/* A fingerprint of the counts: "the planner sees it changed" is a new signature. */
uint64_t df_block_stats_signature(const struct df_block_stats *b);

/* What the planner knows of one memory block (/sys/devices/system/memory). */
struct df_memblock_info {
        int64_t id;                 /* memoryN */
        uint64_t start_pfn, nr_pages;
        int node;                   /* -1 unknown */
        bool online;
        char zone[DF_NAME_MAX];     /* valid_zones of an online block: its zone; "" none (spans zones) */
        bool hypervisor_managed;    /* a driver (virtio-mem, dax kmem) added it: "System RAM (driver)" */
        char manager[24];           /* that driver, for the reason said */
};

/* The planner's memory of attempts on a memory block (pure: the manager feeds
 * outcomes in). EBUSY puts it in cooldown; two failures park it until its
 * pages are seen to change. */
struct df_memblock_history {
        unsigned failures;
        uint64_t busy_until_usec;
        uint64_t failed_signature;  /* stats signature at the last failure */
};

struct df_plan_zone {
        int node;
        char name[DF_NAME_MAX];
        uint64_t start_pfn, end_pfn;  /* [start, end): zoneinfo start_pfn and spanned */
        bool watched;
        uint64_t first_block_pfn;     /* first aligned block whose range lies inside the zone */
        size_t n_blocks;
        struct df_block_stats *blocks;
        uint64_t cursor_pfn;          /* next page to read (aligned); wraps to first_block_pfn */
        uint64_t pass_started_usec;   /* when the current sweep began */
        uint64_t last_pass_usec;      /* duration of the last complete sweep; 0 none yet */
        uint64_t nr_free_pages, wmark_high_pages;
};

struct df_plan_view {
        unsigned block_order;          /* aligned block size: 1 << block_order pages (pageblock order by default) */
        size_t n_zones;
        struct df_plan_zone *zones;
        uint64_t memblock_pages;       /* 0: no memory block sysfs */
        size_t n_memblocks;
        struct df_memblock_info *memblocks;
        struct df_memblock_history *history; /* parallel to memblocks */
        bool hotremove;                /* the kernel can offline memory */
};

/* Build a view from zoneinfo (start_pfn, spanned, free, high watermark) and
 * the watched zone names (NULL: all). Memory blocks come separately. */
int df_plan_view_init(struct df_plan_view *v, const struct df_snapshot *s, unsigned block_order,
                      const char *const *watched_zones, struct df_error *err);
void df_plan_view_clear(struct df_plan_view *v);
/* Replace the memory block list (history is kept for blocks that stay). */
int df_plan_view_set_memblocks(struct df_plan_view *v, const struct df_memblock_info *mb, size_t n, uint64_t memblock_pages);
/* Refresh free pages and watermarks from a newer snapshot. */
void df_plan_view_update_zones(struct df_plan_view *v, const struct df_snapshot *s);

/* The next range a bounded read should cover in zone z: at most max_pages,
 * whole aligned blocks, from the zone's cursor. Returns false for a zone
 * with no block. Does not advance; df_plan_ingest does. */
bool df_plan_next_slice(const struct df_plan_view *v, size_t z, uint64_t max_pages, uint64_t *pfn, uint64_t *n_pages);
/* Fold page flags read at now_usec for [pfn, pfn + n) into the blocks they
 * cover (whole aligned blocks only; the rest is ignored) and advance the
 * cursor of zone z past them. */
void df_plan_ingest(struct df_plan_view *v, size_t z, uint64_t pfn, const uint64_t *flags, uint64_t n,
                    uint64_t now_usec);

/* Oldest read among the zone's blocks (0 when one was never read). */
uint64_t df_plan_zone_oldest_usec(const struct df_plan_zone *z);
/* How many of the zone's blocks have been read at least once. */
uint64_t df_plan_zone_blocks_read(const struct df_plan_zone *z);

/* ---- choosing ---- */

enum df_plan_granularity {
        DF_PLAN_BLOCK = 0,   /* one aligned block of block_order (module rung) */
        DF_PLAN_MEMBLOCK,    /* one memory block (offlining rung) */
};

struct df_plan_candidate {
        size_t zone;
        uint64_t start_pfn, nr_pages;
        int64_t memory_block;        /* -1 for aligned blocks */
        uint64_t cost_pages;         /* pages to move */
        uint64_t gain_blocks;        /* free aligned blocks it adds */
        uint64_t unknown_pages;      /* of the cost, pages with no telling flag */
        uint64_t read_usec;          /* oldest stamp of what it is based on */
        struct df_block_stats stats; /* summed */
};

/* One candidate's cost and gain, for the bound curve. */
struct df_plan_cost {
        uint64_t cost_pages, gain_blocks;
};

struct df_plan_request {
        enum df_plan_granularity granularity;
        uint64_t want_blocks;        /* N more free aligned blocks */
        uint64_t budget_pages;       /* per-action budget of pages moved; 0 unlimited */
        uint64_t max_age_usec;       /* blocks read longer ago are ignored; 0 any age */
        bool allow_hypervisor;       /* config: may offline memory a driver manages */
        uint64_t now_usec;
        /* Optional: every candidate's cost and gain, cheapest per block first,
         * into curve[0..curve_cap) (n_curve in the plan): the bound for any
         * number of blocks from one choice (defragctl plan --costs). */
        struct df_plan_cost *curve;
        size_t curve_cap;
};

#define DF_PLAN_MAX_CHOSEN 256
struct df_plan {
        enum df_plan_granularity granularity;
        size_t zone;
        uint64_t candidates;          /* feasible blocks with something to move */
        uint64_t already_free;        /* aligned blocks already entirely free */
        uint64_t min_cost_pages;      /* cheapest feasible candidate; UINT64_MAX none */
        /* The bound: want_blocks more free blocks need at least bound_pages
         * moved (bound_blocks < want_blocks when not reachable at all). */
        uint64_t bound_blocks, bound_pages;
        /* Chosen within the budget, cheapest first. */
        size_t n_chosen;
        struct df_plan_candidate chosen[DF_PLAN_MAX_CHOSEN];
        uint64_t chosen_cost_pages, chosen_gain_blocks;
        size_t n_curve;               /* entries written to req->curve */
        uint64_t skipped_blocking, skipped_spanning, skipped_unread, skipped_cooling, skipped_unsafe;
};

int df_plan_choose(const struct df_plan_view *v, size_t zone, const struct df_plan_request *req, struct df_plan *out);

/* The clearing action for a chosen candidate: DF_LEVER_CLEAR_OFFLINE for a
 * memory block, DF_LEVER_CLEAR_KMOD for an aligned block; target node, zone,
 * order, block and range, planned_pages = its cost. Other fields untouched. */
void df_plan_fill_action(const struct df_plan_view *v, const struct df_plan_candidate *c, struct df_action *a);

/* The offlining rung's safety rules for one memory block (index into
 * v->memblocks); false and `why` filled when it must not be offlined:
 * zone free would drop below high watermark + twice the block, last online
 * block of its zone or node, hypervisor-managed (unless allowed), spans zones,
 * cooling after EBUSY, or failed twice and unchanged since. */
bool df_plan_memblock_allowed(const struct df_plan_view *v, size_t mb, const struct df_plan_request *req,
                              char *why, size_t why_size);

/* The rules that need no page flags (the lever re-checks them live): online,
 * one zone, not hypervisor-managed unless allowed, not the last online block
 * of its zone or node, zone free pages minus the block >= high watermark +
 * two blocks. mbs[i] is the block. */
bool df_memblock_offline_safe(const struct df_memblock_info *mbs, size_t n, size_t i, uint64_t zone_free_pages,
                              uint64_t zone_high_pages, bool allow_hypervisor, char *why, size_t why_size);

/* Feed an attempt's outcome back (error 0 or -errno). EBUSY: cooldown
 * DF_PLAN_BUSY_COOLDOWN_USEC; a second failure parks the block until its
 * signature changes; success forgets the history. */
#define DF_PLAN_BUSY_COOLDOWN_USEC (600 * UINT64_C(1000000)) /* ten minutes: pages rarely become movable faster */
void df_plan_memblock_outcome(struct df_plan_view *v, int64_t memory_block, int error, uint64_t now_usec);

/* Sum the stats of memory block mb (index) from the aligned blocks it holds.
 * False when any part lies outside the watched zones' views. */
bool df_plan_memblock_stats(const struct df_plan_view *v, size_t mb, size_t *zone, struct df_block_stats *out);

/* Per-(node, zone) numbers the policy consumes. */
struct df_plan_summary {
        int node;
        char zone[DF_NAME_MAX];
        uint64_t blocks, blocks_read, blocks_free;
        uint64_t block_candidates, block_min_cost_pages;     /* UINT64_MAX when none */
        uint64_t memblock_candidates, memblock_min_cost_pages;
        uint64_t oldest_read_usec;
};
void df_plan_summarize(const struct df_plan_view *v, size_t zone, uint64_t now_usec, struct df_plan_summary *out);

/* Per-cgroup pages among the movable pages of chosen blocks, for targeted
 * reclaim: flags and cgroup inodes (from /proc/kpagecgroup) of the same
 * pages in, counts by inode added to out (at most max entries). */
struct df_cgroup_pages {
        uint64_t inode;   /* memory cgroup directory inode; 0 no cgroup (root or kernel) */
        uint64_t pages, file_pages, anon_pages;
};
size_t df_plan_count_cgroups(const uint64_t *flags, const uint64_t *cgroups, uint64_t n, struct df_cgroup_pages *out,
                             size_t n_out, size_t max);
