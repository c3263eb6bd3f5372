/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The manager's planner: the aging block view it owns (read in bounded
 * slices each evaluation), the clear rungs' hints for the ladder, and the
 * block an action the ladder chose for a clear rung will clear. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "defragd/action.h"
#include "defragd/conf.h"
#include "defragd/error.h"
#include "defragd/plan-source.h"
#include "defragd/plan.h"
#include "defragd/policy.h"
#include "defragd/reclaim-rank.h"
#include "defragd/snapshot.h"

#define DF_MANAGER_PLAN_MAX_ZONES 16 /* zones shown in status */

struct df_manager_plan {
        bool on;                       /* view and kpageflags open */
        char reason[200];              /* why not on */
        struct df_plan_view view;
        struct df_kpageflags kpf;
        struct df_plan *scratch;       /* df_plan_choose output (large: heap) */
        uint64_t last_refresh_usec, last_refresh_cost_usec, pages_read;
        uint64_t slices_skipped; /* evaluations that read no slice: one was read less than an interval ago */
        bool idle;               /* set by the caller before a tick: no watched cell was short at the last evaluation */
        uint64_t last_slice_pages; /* pages the last slice asked for, all watched zones (df_manager_plan_slice_pages each) */
        bool cgroups;                  /* /proc/kpagecgroup open: the reclaim-cgroup rung is on */
        uint64_t last_cgroup_sample_cost_usec;
        /* Memory hotplug (a block offlined, removed or added, a node gone)
         * changes the zones' spans and present pages: the view is rebuilt. */
        uint64_t layout;               /* fingerprint of the zones the view was built from */
        uint64_t rebuilds;
        int pageblock_order;
        char root[4096];
        unsigned tick_failures;        /* in a row: said once, and when they end */
};

/* What status shows of it. */
struct df_manager_plan_status {
        bool on;
        char reason[200];
        uint64_t memblock_pages;
        size_t n_memblocks;
        uint64_t last_refresh_cost_usec, pages_read, slices_skipped, last_slice_pages;
        size_t n_zones;
        struct df_plan_summary zones[DF_MANAGER_PLAN_MAX_ZONES];
};

/* Whether any clear rung is enabled, present and in [Ladder] Order=: only
 * then does the planner read page flags. */
bool df_manager_plan_wanted(const struct df_config *c, const bool lever_present[_DF_LEVER_MAX]);
/* Whether the reclaim-cgroup rung is on: then the planner also opens
 * /proc/kpagecgroup, for the pages of the blocks the rung aims at. */
bool df_manager_plan_wants_cgroups(const struct df_config *c, const bool lever_present[_DF_LEVER_MAX]);

/* Build the view from a snapshot with zoneinfo, read the memory blocks, open
 * /proc/kpageflags. On failure p->on is false and p->reason says why. */
int df_manager_plan_start(struct df_manager_plan *p, const struct df_snapshot *s, int pageblock_order,
                          const struct df_config *c, bool want_cgroups, const char *root, struct df_error *err);
void df_manager_plan_stop(struct df_manager_plan *p);

/* Zone z's slice: [Planner] SlicePages= while a watched cell is short (or
 * before this zone's first sweep is done); while none is (idle), only as
 * many as sweep this zone once in 3/4 of [Planner] MaxAgeSec=, so every
 * block is still young enough to be chosen when a shortage begins, at least
 * DF_MANAGER_PLAN_MIN_SLICE, at most SlicePages=. MaxAgeSec=0 (any age):
 * SlicePages=. On 24 GiB at a 10 s poll and 1 h: ~20,500 pages of Normal's
 * 5.5 M and ~3,900 of DMA32's 1 M instead of 32,768 each. Pure. */
#define DF_MANAGER_PLAN_MIN_SLICE 512
uint64_t df_manager_plan_slice_pages(const struct df_plan_zone *z, uint64_t slice_pages, uint64_t interval_usec,
                                     uint64_t max_age_usec, bool idle);

/* Whether an evaluation at now_usec reads a slice: at most one per poll
 * interval. An evaluation a probe trigger asks for between polls (up to one
 * a second while allocations fail) decides on the view as it is, at most an
 * interval old, instead of reading a slice each time: a planner's cost grew
 * with the trouble otherwise (docs/planner.md). 3/4 of the interval: a poll
 * that fires a little early still reads. Pure. */
bool df_manager_plan_slice_due(uint64_t last_usec, uint64_t interval_usec, uint64_t now_usec);

/* Each evaluation: zone free pages and watermarks from the snapshot, then,
 * when a slice is due (above) or the view was just rebuilt,
 * [Planner] SlicePages= pages of every watched zone. When the snapshot's
 * zones (spans, present pages) differ from those the view was built from, the
 * view and the memory blocks are read anew first (every block unread again).
 * Returns <0 on failure (tick_failures counts them in a row), 1 when there is
 * something to say once (the view rebuilt, or reading again after failures:
 * err->msg says it), else 0. */
int df_manager_plan_tick(struct df_manager_plan *p, const struct df_snapshot *s, const struct df_config *c,
                         uint64_t now_usec, struct df_error *err);

/* The ladder's clear hints (one per watched zone of the view): the planner's
 * choice under each clear rung's own request (budget, age, hypervisor rule)
 * for the rungs that are on (in->lever_present), summed, so the ladder only
 * climbs to a clear rung when one has a block to clear. */
void df_manager_plan_hints(struct df_manager_plan *p, const struct df_config *c, uint64_t now_usec,
                           struct df_ladder_input *in);

/* The request a clear rung makes (a NULL: for the hints). clear-offline:
 * memory blocks, want = the action's deficit in aligned blocks; clear-kmod:
 * aligned blocks, the cheapest one (one block per action). Pure. */
void df_manager_plan_request(const struct df_config *c, enum df_lever_kind lever, const struct df_action *a,
                             unsigned block_order, uint64_t now_usec, struct df_plan_request *req);

/* Fill a clear action's target with the planner's cheapest block (keeps the
 * motivating order). -ENOENT when there is none, with why. */
int df_manager_plan_target(struct df_manager_plan *p, const struct df_config *c, uint64_t now_usec,
                           struct df_action *a, char *why, size_t why_size);

/* A clear action's outcome back into the planner's history. */
void df_manager_plan_outcome(struct df_manager_plan *p, const struct df_action *a, const struct df_action_result *r,
                             uint64_t now_usec);

void df_manager_plan_status(const struct df_manager_plan *p, uint64_t now_usec, struct df_manager_plan_status *out);

/* The reclaim-cgroup rung's sample: the view's blocks cheapest to free with
 * reclaim (df_reclaim_cheap_blocks, no read), then kpageflags + kpagecgroup
 * of those blocks in that order; with inodes[] (the candidates' owners, see
 * df_reclaim_candidate_inodes) a block none of them holds a reclaimable page
 * in is read but not kept, so the sample is the cheapest blocks a reclaim of
 * a candidate can help. Their reclaimable pages counted per cgroup inode
 * into *s. Bounded: DF_RECLAIM_CHEAP_MAX blocks kept, at most
 * DF_RECLAIM_PICK_READ_MAX read per call (DF_RECLAIM_CHEAP_MAX without inodes). */
int df_manager_plan_reclaim_sample(struct df_manager_plan *p, bool allow_anon, uint64_t max_age_usec,
                                   uint64_t now_usec, const uint64_t *inodes, size_t n_inodes,
                                   struct df_reclaim_sample *s, struct df_error *err);
