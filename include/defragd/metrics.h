/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Prometheus/OpenMetrics text exposition of defragd's state, rendered
 * from one plain input struct, and the per-lever counters it exports. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "defragd/action.h"
#include "defragd/error.h"
#include "defragd/snapshot.h"

/* Action durations, seconds: node compaction takes 1.5-2.4 s on ~22 GiB,
 * offlining a block 14-90 ms, proactive reclaim 1-4 ms (docs/DESIGN facts);
 * the buckets bracket each of them. The last, implicit one is +Inf. */
#define DF_METRICS_DURATION_BUCKETS 12
extern const double df_metrics_duration_bounds_sec[DF_METRICS_DURATION_BUCKETS - 1];

/* What the manager accumulates after each action (df_metrics_account). All
 * cumulative since start: exported as counters. */
struct df_metrics_lever_stats {
        uint64_t actions[_DF_LEVER_MAX][_DF_OUTCOME_MAX];
        /* durations of actions that ran (dry runs excluded): per bucket (not
         * cumulative; the renderer sums), the last bucket is +Inf */
        uint64_t duration_bucket[_DF_LEVER_MAX][DF_METRICS_DURATION_BUCKETS];
        uint64_t duration_usec_sum[_DF_LEVER_MAX];
        uint64_t duration_count[_DF_LEVER_MAX];
        uint64_t gain_blocks[_DF_LEVER_MAX];      /* suitable blocks gained at the motivating order */
        uint64_t pages_moved[_DF_LEVER_MAX];
        uint64_t reclaimed_bytes[_DF_LEVER_MAX];  /* reclaim levers: amount_done */
        uint64_t blocks_cleared[_DF_LEVER_MAX];   /* clear levers: amount_done */
        uint64_t refaults[_DF_LEVER_MAX];         /* df_metrics_account_refaults */
};

/* Count one finished action (pure). A result whose lever is out of range is
 * ignored (returns false). */
bool df_metrics_account(struct df_metrics_lever_stats *st, const struct df_action *a, const struct df_action_result *r);
/* Refaults an action caused, measured later by the caller (workingset_refault
 * delta over a window after a reclaim): not part of df_action_result. */
void df_metrics_account_refaults(struct df_metrics_lever_stats *st, enum df_lever_kind lever, uint64_t refaults);

enum df_metrics_state {
        DF_METRICS_STATE_UNKNOWN = 0,
        DF_METRICS_STATE_OK,
        DF_METRICS_STATE_SHORT,
};

/* One watched (node, zone, target order): marks, state, trend. */
struct df_metrics_cell {
        int node;
        char zone[DF_NAME_MAX];
        int order;
        uint64_t low_blocks, high_blocks;
        enum df_metrics_state state;
        uint64_t state_since_realtime_usec;     /* 0 unknown */
        /* daemon/model/trend.c: has_trend when a fit exists */
        bool has_trend;
        double trend_slope_blocks_per_sec;
        double trend_seconds_to_low;            /* INFINITY when rising or flat */
};

/* Direct reclaim, direct compaction, any compaction run: the probes' log2
 * microsecond stall histograms (bpf/defragd.h DF_BPF_HIST_SLOTS). */
#define DF_METRICS_STALL_KINDS 3
#define DF_METRICS_STALL_SLOTS 27

struct df_metrics_input {
        /* NULL before the first evaluation: then only health is exported */
        const struct df_snapshot *snapshot;
        int compaction_score_order;              /* COMPACTION_HPAGE_ORDER, pageblock order (9 on x86-64) */
        const struct df_metrics_cell *cells;
        size_t n_cells;
        const struct df_metrics_lever_stats *levers; /* NULL: all zero */

        /* probes: counters come from snapshot->probes */
        bool probes_enabled;                     /* [Probes] Enable= */
        bool probes_loaded;
        unsigned probes_attached, probes_missing;
        uint64_t probe_events, probe_events_lost, probe_events_ratelimited;
        bool has_stall_hist;
        uint64_t stall_hist[DF_METRICS_STALL_KINDS][DF_METRICS_STALL_SLOTS];
        uint64_t stall_total_ns[DF_METRICS_STALL_KINDS];

        /* defragd itself */
        const char *version;
        uint64_t start_realtime_usec;
        uint64_t evaluations;
        uint64_t last_evaluation_realtime_usec;  /* 0 never */
        uint64_t config_generation;              /* 1 at start, +1 per applied reload */
        bool dry_run;
};

enum df_metrics_format {
        DF_METRICS_PROMETHEUS = 0,   /* text format 0.0.4: node_exporter's textfile collector, promtool */
        DF_METRICS_OPENMETRICS,      /* OpenMetrics 1.0.0 text: "# EOF", counter families without _total */
};

#define DF_METRICS_CONTENT_TYPE_PROMETHEUS "text/plain; version=0.0.4; charset=utf-8"
#define DF_METRICS_CONTENT_TYPE_OPENMETRICS "application/openmetrics-text; version=1.0.0; charset=utf-8"

/* The exposition. Returns 0 or -EIO when writing to f failed. */
int df_metrics_render(FILE *f, const struct df_metrics_input *in);
int df_metrics_render_format(FILE *f, const struct df_metrics_input *in, enum df_metrics_format fmt);

/* Label value escaping (backslash, double quote, newline), into buf; bytes
 * that are not UTF-8 become U+FFFD; cut short between characters. */
void df_metrics_escape_label(const char *s, char *buf, size_t size);

/* node_exporter textfile: <dir>/defragd.prom, written to a temporary file in
 * dir (".defragd.prom.XXXXXX": the collector reads only *.prom) and renamed
 * over it, mode 0644 (the collector runs as another user). 0 or -errno. */
#define DF_METRICS_TEXTFILE_NAME "defragd.prom"
int df_metrics_write_textfile(const char *dir, const struct df_metrics_input *in, struct df_error *err);
/* Clean stop: remove it, so no series outlives the daemon. 0 (also when
 * absent) or -errno. */
int df_metrics_remove_textfile(const char *dir, struct df_error *err);
