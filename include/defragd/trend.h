/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Trend of suitable blocks per (node, zone, target order): a least-squares
 * line over the last samples and the predicted time to the low mark (pure). */
#pragma once

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "defragd/snapshot.h"

/* Samples kept per cell. Samples closer together than window/ (this / 2)
 * replace the newest one, so a window is covered by 32..64 points whatever
 * the poll interval and however often the probes trigger evaluations. */
#define DF_TREND_MAX_SAMPLES 64
/* Fewer points than this (in the window, after a step) give no fit. */
#define DF_TREND_MIN_SAMPLES 4

struct df_trend_series {
        int node;
        char zone[DF_NAME_MAX];
        int order;
        unsigned head, count;   /* ring: oldest at (head - count) mod N */
        uint64_t t_usec[DF_TREND_MAX_SAMPLES];
        uint64_t blocks[DF_TREND_MAX_SAMPLES];
};

struct df_trend_fit {
        bool valid;                      /* enough points: the rest is meaningful */
        unsigned n_used;                 /* points fitted (after the last step) */
        bool step;                       /* a step was found in the window and cut off */
        uint64_t step_usec;              /* time of the first point after the last step */
        double slope_blocks_per_sec;
        double level_blocks;             /* the line's value at now */
        double seconds_to_low;           /* INFINITY when rising or flat; 0 at or below low */
};

void df_trend_series_init(struct df_trend_series *s, int node, const char *zone, int order);

/* The spacing below which a new sample replaces the newest. */
uint64_t df_trend_min_spacing_usec(uint64_t window_usec);

/* Add a sample (time must not go backwards: an older one is ignored). The
 * newest sample is replaced, not kept, while it is closer than the spacing
 * to the one before it. */
void df_trend_add(struct df_trend_series *s, uint64_t now_usec, uint64_t suitable_blocks, uint64_t window_usec);

/* Fit the samples of the last window_usec before now_usec.
 * Robust to a step: the first differences of the series, less the median
 * slope, are compared with a noise scale (1.4826 x their median absolute
 * deviation, at least 2 blocks or 5% of the level); a jump beyond 6 times
 * that (a burst of allocations, a compaction's gain) is a step, and only the
 * points after the last step are fitted. Until DF_TREND_MIN_SAMPLES points
 * follow it there is no fit: a step is never extrapolated as a slope.
 * "Flat" is a slope whose projection over the window moves less than the
 * noise scale: no prediction. */
void df_trend_fit(const struct df_trend_series *s, uint64_t now_usec, uint64_t window_usec, uint64_t low_blocks,
                  struct df_trend_fit *out);

/* The early trigger ([Trend] ActBeforeSec=): act on a cell that is not short
 * yet when the fit predicts the low mark within act_before_usec. False when
 * act_before_usec is 0 (off), the fit is invalid, not falling, or the cell is
 * already below low (then the ordinary trigger applies). The ladder treats a
 * true answer as a short cell: same rungs, budget and guards. */
bool df_trend_should_act_early(const struct df_trend_fit *fit, uint64_t suitable_blocks, uint64_t low_blocks,
                               uint64_t act_before_usec);

/* Every cell of a daemon: grown on demand. */
struct df_trend_table {
        size_t n, allocated;
        struct df_trend_series *series;
};

void df_trend_table_init(struct df_trend_table *t);
void df_trend_table_free(struct df_trend_table *t);
/* The series of a cell, created when absent; NULL on allocation failure. */
struct df_trend_series *df_trend_table_get(struct df_trend_table *t, int node, const char *zone, int order, bool create);
/* One sample for every zone with buddyinfo in the snapshot and every order
 * with orders[order] set (the enabled targets). 0 or -ENOMEM. */
int df_trend_table_observe(struct df_trend_table *t, const struct df_snapshot *s, const bool orders[DF_MAX_ORDERS],
                           uint64_t window_usec);
