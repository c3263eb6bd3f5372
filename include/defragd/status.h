/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The status view: a plain struct the manager fills (manager_get_status) and
 * the report code renders for `defragctl status`, STATUS= and the journal.
 * The control socket gets it through a callback, so it never sees the manager. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "defragd/action.h"
#include "defragd/conf.h"
#include "defragd/manager-plan.h"
#include "defragd/manager-reclaim.h"
#include "defragd/policy.h"
#include "defragd/snapshot.h"

struct df_knobs;
struct df_probes;

#define DF_RECENT_ACTIONS 16

/* One executed (or dry-run) action, kept for `defragctl status`. */
struct df_recent_action {
        uint64_t realtime_usec;
        struct df_action action;
        struct df_action_result result;   /* detail: what was written; kernel_outcome: "complete=2 contended=1" */
        int unusable_before, unusable_after; /* thousandths, motivating (zone, order) */
        bool kernel_stopped_early;        /* the probes saw COMPACT_CONTENDED during it */
};

/* What opening a lever found. */
/* A lever's counters since start (the manager adds each result). */
struct df_lever_stats {
        uint64_t runs, done, busy, failed, timeouts, interrupted, dry_runs;
        uint64_t pages_moved, planned_pages, gain_blocks, duration_usec;
};
void df_lever_stats_add(struct df_lever_stats *st, const struct df_action *a, const struct df_action_result *r);

struct df_lever_view {
        bool in_table;     /* this build has the lever */
        bool present;      /* open() succeeded */
        char reason[200];  /* why not, or a note (machine-wide fallback) */
        struct df_lever_stats stats;
};

struct df_running_view {
        bool running;
        struct df_action action;
        uint64_t started_realtime_usec;
        int pid;
};

/* The trend of one watched (node, zone, target order), fitted by the manager
 * when it fills the view (model/trend.c); the renderer only prints it. */
struct df_status_trend {
        int node;
        char zone[DF_NAME_MAX];
        int order;
        bool valid;                  /* enough points after the last step to predict */
        double slope_blocks_per_sec;
        double seconds_to_low;       /* INFINITY rising or flat; 0 at or below low */
};

struct df_status_view {
        const struct df_config *config;
        const struct df_snapshot *snapshot;     /* the last evaluation's */
        const struct df_policy_state *policy;
        const struct df_decision *decision;     /* NULL before the first evaluation */
        const struct df_recent_action *recent;  /* oldest first */
        unsigned n_recent;
        const struct df_knobs *knobs;
        struct df_probes *probes;               /* counters collected when the view was filled */
        const struct df_lever_view *levers;     /* [_DF_LEVER_MAX] */
        const struct df_manager_plan_status *planner; /* NULL: not filled */
        const struct df_manager_reclaim *reclaim;     /* the cgroup rung's aim and refault readings; NULL: none */
        const struct df_status_trend *trends;   /* one per watched cell with a target; NULL: not filled */
        size_t n_trends;
        struct df_running_view running;
        uint64_t now_usec;                      /* CLOCK_MONOTONIC when filled: "may act again in" */
        uint64_t started_realtime_usec;
        uint64_t evaluations;
        uint64_t last_evaluation_realtime_usec;
        const char *config_source;
        /* The metrics exposition, rendered on request (control socket "metrics"). */
        void (*metrics_render)(void *userdata, FILE *f, bool openmetrics);
        void *metrics_userdata;
};

/* The control socket's source of views: fills *v, valid until the next call. */
typedef void (*df_status_fill_t)(void *userdata, struct df_status_view *v);

/* The trend of a cell in v->trends; NULL when the view has none for it. */
const struct df_status_trend *df_status_trend_find(const struct df_status_view *v, int node, const char *zone, int order);
/* One word: "40s", "12min" (predicted, rounded up), "now" (at or below low),
 * "never" (rising or flat), "-" (no fit: too few points since start or since
 * the last step). */
void df_status_format_time_to_low(const struct df_status_trend *t, char *buf, size_t size);

void df_status_render_text(const struct df_status_view *v, FILE *f);
void df_status_render_json(const struct df_status_view *v, FILE *f);
/* One line for sd_notify STATUS= and the journal. */
void df_status_line(const struct df_status_view *v, char *buf, size_t size);
