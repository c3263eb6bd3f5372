/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The thin adapter from the daemon's state to struct df_metrics_input: cells
 * from the config's targets, the policy's states and the trend; probe status. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "defragd/conf.h"
#include "defragd/metrics.h"
#include "defragd/snapshot.h"
#include "defragd/trend.h"

struct df_probes;

/* The policy's state of a cell and since when (CLOCK_MONOTONIC usec, 0
 * unknown). The daemon passes a two-line wrapper around its policy state
 * (today df_policy_cell_state(); the ladder's per-cell state after it). */
typedef enum df_metrics_state (*df_metrics_state_fn)(void *userdata, int node, const char *zone, int order,
                                                     uint64_t *ret_since_usec);

/* Room needed for the cells of a snapshot. */
size_t df_metrics_cells_max(const struct df_snapshot *s);

/* Every watched (node, zone) of the snapshot with buddyinfo x every enabled
 * target order the zone has, as the policy evaluates them. The trend of a
 * cell is fitted here (trend may be NULL: no trend). now_usec is
 * CLOCK_MONOTONIC, now_realtime_usec CLOCK_REALTIME read at the same
 * moment (to turn "since" into Unix time). Returns the cells filled. */
size_t df_metrics_fill_cells(struct df_metrics_cell *cells, size_t max, const struct df_config *c,
                             const struct df_snapshot *s, const struct df_trend_table *trend, uint64_t now_usec,
                             uint64_t now_realtime_usec, df_metrics_state_fn state, void *userdata);

/* Probe status and the stall histograms (read from the BPF maps: call it
 * when rendering, not per evaluation). p may be NULL (not loaded). */
void df_metrics_fill_probes(struct df_metrics_input *in, const struct df_probes *p, bool enabled);
