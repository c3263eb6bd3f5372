/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One point-in-time picture of the page allocator, filled by the sources
 * (procfs readers in procfs.h, BPF collector) and read by the model, policy
 * and report. A plain container: it knows no file and no parser. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* NR_PAGE_ORDERS is 11 on x86-64 (MAX_PAGE_ORDER 10); arm64 with 64 KiB
 * pages and some configs go up to 14 orders. 16 covers every arch. */
#define DF_MAX_ORDERS 16
/* MIGRATE_TYPES: Unmovable Movable Reclaimable [CMA] HighAtomic [Isolate]. */
#define DF_MAX_MIGRATETYPES 8
#define DF_NAME_MAX 24
#define DF_COMPACT_RESULTS 10
#define DF_COMPACT_CONTENDED 7 /* enum compact_result COMPACT_CONTENDED: the run stopped early */
/* MAX_NUMNODES (1 << 10) times MAX_NR_ZONES (at most 6), with room: a file
 * that names more zones is garbage. */
#define DF_MAX_ZONES 8192

struct df_zone {
        int node;
        char name[DF_NAME_MAX];             /* "DMA", "DMA32", "Normal", "HighMem", "Movable" */
        int nr_orders;                       /* columns seen in /proc/buddyinfo */
        bool has_buddyinfo;                  /* free_blocks filled from /proc/buddyinfo */
        uint64_t free_blocks[DF_MAX_ORDERS]; /* /proc/buddyinfo: free blocks of exactly this order */

        /* /proc/pagetypeinfo (has_pagetype). Indexed like
         * snapshot->migratetype_names. The kernel stops counting a free list
         * at 100000 and prints ">100000": such a cell holds 100000. */
        bool has_pagetype;
        uint64_t free_by_type[DF_MAX_MIGRATETYPES][DF_MAX_ORDERS];
        uint64_t pageblocks_by_type[DF_MAX_MIGRATETYPES];

        /* /proc/zoneinfo (has_zoneinfo); all in pages. Stanzas of
         * unpopulated zones (present 0) are checked and skipped, as
         * buddyinfo and debugfs extfrag skip them. */
        bool has_zoneinfo;
        uint64_t nr_free_pages;
        uint64_t wmark_min_pages, wmark_low_pages, wmark_high_pages;
        uint64_t spanned_pages, present_pages, managed_pages;
        bool has_start_pfn;                  /* "start_pfn:" (populated zones print it) */
        uint64_t start_pfn;
};

struct df_kv {
        char name[48];
        uint64_t value;
};

struct df_vmstat {
        size_t n;
        struct df_kv *items; /* every line of /proc/vmstat, in file order */
};

struct df_psi_line {
        bool present;
        double avg10, avg60, avg300; /* percent */
        uint64_t total_usec;
};

struct df_psi {
        bool present;
        struct df_psi_line some, full;
        /* Derived, not read: of some.avg10, the share the probes saw tasks
         * spend in direct compaction, averaged the same way (percent; 0 when
         * the probes are not loaded). The manager sets it from
         * df_compaction_share_update() (pressure.h) for the guards. */
        double some_compaction_avg10;
};

/* Counts from the BPF collector (issue 3), summed over CPUs, cumulative
 * since the probes were loaded: a rate is the difference between two
 * snapshots over their taken_usec difference. Zero with !present. */
struct df_probe_counters {
        bool present;
        uint64_t alloc[DF_MAX_ORDERS];              /* allocations that got a page */
        uint64_t alloc_fail_atomic[DF_MAX_ORDERS];  /* failed, caller could not sleep (no __GFP_DIRECT_RECLAIM) */
        uint64_t alloc_fail_reclaim[DF_MAX_ORDERS]; /* failed although the caller could reclaim/compact */
        uint64_t extfrag_fallbacks;
        uint64_t extfrag_fragmenting;               /* fallback_order < pageblock_order */
        uint64_t compaction_runs;                   /* mm_compaction_begin, every caller */
        uint64_t direct_reclaim_stalls;
        uint64_t direct_reclaim_stall_usec;         /* total time spent */
        uint64_t direct_compact_stalls;             /* try_to_compact_pages calls */
        uint64_t direct_compact_stall_usec;
        uint64_t failure_events;                    /* high-order failures that reached the daemon */
        /* mm_compaction_end runs per enum compact_result (include/linux/compaction.h):
         * 0 not_suitable_zone, 1 skipped, 2 deferred, 3 no_suitable_page, 4 continue,
         * 5 complete, 6 partial_skipped, 7 contended, 8 success */
        uint64_t compaction_result[DF_COMPACT_RESULTS];
};

struct df_snapshot {
        uint64_t taken_usec;     /* CLOCK_MONOTONIC */
        int pageblock_order;     /* from pagetypeinfo; -1 if unknown */
        int nr_migratetypes;
        char migratetype_names[DF_MAX_MIGRATETYPES][DF_NAME_MAX];

        size_t n_zones;
        struct df_zone *zones;   /* in file order: node, then zone */
        size_t n_zones_allocated; /* capacity of zones (0 for hand-built arrays: grown on demand) */

        struct df_vmstat vmstat;
        struct df_psi psi;
        struct df_probe_counters probes;
};

void df_snapshot_init(struct df_snapshot *s);
void df_snapshot_clear(struct df_snapshot *s); /* frees, then re-inits */

/* Find a zone by node and name; with create, append it if absent.
 * Returns NULL when absent (or on allocation failure with create). */
struct df_zone *df_snapshot_zone(struct df_snapshot *s, int node, const char *name, bool create);
const struct df_zone *df_snapshot_zone_const(const struct df_snapshot *s, int node, const char *name);

/* vmstat lookup: true and *value set when the counter exists. */
bool df_vmstat_get(const struct df_vmstat *v, const char *name, uint64_t *value);
void df_vmstat_clear(struct df_vmstat *v);

/* Migratetype index by name, appended when absent; -1 when the table is full. */
int df_snapshot_migratetype(struct df_snapshot *s, const char *name);

/* Nodes present in the snapshot, ascending, without duplicates. Returns how
 * many; fills at most max. */
size_t df_snapshot_nodes(const struct df_snapshot *s, int *nodes, size_t max);

/* The layout procfs shows: which zones, with how many orders. A change
 * between polls (a node offlined, a zone added by hotplug, another kernel's
 * order count) is said once, when it happens, and once when it goes back. */
struct df_zone_shape {
        int node;
        char name[DF_NAME_MAX];
        int nr_orders;
};
struct df_snapshot_shape {
        size_t n;
        struct df_zone_shape *zones; /* in the snapshot's order */
};

int df_snapshot_shape_of(const struct df_snapshot *s, struct df_snapshot_shape *ret); /* -ENOMEM */
void df_snapshot_shape_clear(struct df_snapshot_shape *shape);
/* Whether the layout changed from old to new; if so, buf says how ("node 1
 * Normal gone; node 0 Normal 9 orders, was 11"), and names zones that now
 * have too few orders for top_order (the highest configured target; -1:
 * none), whose targets cannot be evaluated. Pure. */
bool df_snapshot_shape_diff(const struct df_snapshot_shape *old, const struct df_snapshot_shape *new, int top_order,
                            char *buf, size_t size);
