/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The manager's side of the reclaim-cgroup rung: ranks the cgroups (the
 * planner's sample + memory.* files) into ladder hints, bounds an action's
 * amount, and schedules the refault reading a while after each reclaim. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "defragd/action.h"
#include "defragd/conf.h"
#include "defragd/manager-plan.h"
#include "defragd/metrics.h"
#include "defragd/policy.h"
#include "defragd/reclaim.h"
#include "defragd/snapshot.h"

#define DF_MANAGER_RECLAIM_PENDING 8    /* reclaims awaiting their refault reading */
#define DF_MANAGER_RECLAIM_BACKOFFS 32  /* cgroups with a back-off record */
#define DF_MANAGER_RECLAIM_RECENT 8     /* refault readings kept for status */

/* One refault reading, for status and the journal. */
struct df_reclaim_refault_record {
        char path[DF_CGROUP_PATH_MAX];
        uint64_t realtime_usec;           /* when it was read */
        uint64_t reclaimed_bytes;
        uint64_t refault_pages;           /* workingset_refault_file + _anon delta */
        unsigned percent;                 /* of the pages reclaimed (capped at 1000) */
        bool backed_off;
        uint64_t backoff_until_usec;      /* CLOCK_MONOTONIC */
};

struct df_manager_reclaim {
        bool probed;                      /* the cgroup2 mount was looked for */
        char mount[DF_CGROUP_PATH_MAX];   /* "" none */
        char own[DF_CGROUP_PATH_MAX];     /* defragd's own cgroup */
        char why_not[200];                /* why the rung has no candidate now ("" it has one) */
        uint64_t unmatched_said;          /* Allow= patterns said to match nothing (bit i) */
        /* last ranking */
        size_t n_cgroups, n_candidates;
        char chosen[DF_CGROUP_PATH_MAX];
        uint64_t chosen_cheap_pages, chosen_inactive_file_bytes;
        uint64_t blocks_sampled, rank_cost_usec;
        uint64_t blocks_passed_over;      /* read by the last ranking, no candidate's page there */
        uint64_t rankings;
        struct df_reclaim_sample sample;  /* scratch */
        /* what the last queued reclaim was aimed by: kept after the ranking
         * moves on (budget spent, rung closed), for status */
        struct {
                char cgroup[DF_CGROUP_PATH_MAX]; /* "" none yet */
                uint64_t cheap_pages, inactive_file_bytes, blocks_sampled, bytes_asked;
                uint64_t realtime_usec;
        } last_aim;
        /* back-off and follow-ups */
        size_t n_backoff;
        struct { char path[DF_CGROUP_PATH_MAX]; struct df_reclaim_backoff bo; } backoff[DF_MANAGER_RECLAIM_BACKOFFS];
        size_t n_pending;
        struct df_reclaim_followup pending[DF_MANAGER_RECLAIM_PENDING];
        size_t n_recent;                  /* oldest first */
        struct df_reclaim_refault_record recent[DF_MANAGER_RECLAIM_RECENT];
        uint64_t refault_pages_total, followed_bytes_total;
};

/* Rank the cgroups and name the first choice in every hint of a watched
 * zone (adding hints for zones the planner does not have). Costs a cgroup
 * walk and <= 64 blocks of kpagecgroup: the manager calls it only while a
 * zone is short. */
void df_manager_reclaim_hints(struct df_manager_reclaim *r, struct df_manager_plan *p, const struct df_config *c,
                              const struct df_reclaim_budget *b, const struct df_snapshot *s, const char *root,
                              uint64_t now_usec, struct df_ladder_input *in);

/* Bound an action of the rung before it is queued: MaxReclaimPerAction=,
 * what is left of MaxReclaimPerHour=, the PSI guard. 0, or -errno with why. */
int df_manager_reclaim_target(struct df_manager_reclaim *r, const struct df_config *c, const struct df_reclaim_budget *b,
                              const struct df_snapshot *s, struct df_action *a, uint64_t now_usec, char *why,
                              size_t why_size);

/* After a reclaim of a cgroup: its refault counters now, to compare later. */
void df_manager_reclaim_ran(struct df_manager_reclaim *r, const struct df_config *c, const struct df_action *a,
                            const struct df_action_result *res, uint64_t now_usec);

/* Each evaluation: the follow-ups that are due are read, judged (back-off),
 * journaled and counted. */
void df_manager_reclaim_followups(struct df_manager_reclaim *r, const struct df_config *c,
                                  struct df_metrics_lever_stats *stats, uint64_t now_usec);
