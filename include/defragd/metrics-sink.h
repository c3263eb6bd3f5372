/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the manager keeps for metrics (per-lever counters, the trend table,
 * the config generation, the textfile it wrote) and the few calls it makes. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "defragd/conf.h"
#include "defragd/metrics-input.h"
#include "defragd/metrics.h"
#include "defragd/snapshot.h"
#include "defragd/trend.h"

struct df_metrics_sink {
        struct df_metrics_lever_stats levers;
        struct df_trend_table trend;
        uint64_t config_generation;            /* 1 at start, +1 per applied reload */
        char textfile_dir[DF_CONF_PATH_MAX];   /* where the textfile was last written; "" none */
        int last_write_error;                  /* a failure is logged once until it changes or clears */
};

/* The manager's own health figures. */
struct df_metrics_health {
        uint64_t start_realtime_usec;
        uint64_t evaluations;
        uint64_t last_evaluation_realtime_usec;
        bool dry_run;
};

void df_metrics_sink_init(struct df_metrics_sink *s);
/* Clean stop: remove the textfile (nothing stale is left for node_exporter),
 * free the trend table. */
void df_metrics_sink_done(struct df_metrics_sink *s);

/* After each snapshot read: one trend sample per watched cell. */
int df_metrics_sink_observe(struct df_metrics_sink *s, const struct df_config *c, const struct df_snapshot *snap);

/* After an applied reload: generation + 1; a textfile in a directory the new
 * config no longer names is removed. */
void df_metrics_sink_reconfigure(struct df_metrics_sink *s, const struct df_config *c);

/* The trend fit of one cell at now_usec (fit->valid false without samples). */
void df_metrics_sink_trend_fit(const struct df_metrics_sink *s, const struct df_config *c, int node, const char *zone,
                               int order, uint64_t now_usec, struct df_trend_fit *fit);

/* Fill `in` for rendering. *ret_cells is allocated (free() it after
 * rendering); probes may be NULL. 0 or -ENOMEM. */
int df_metrics_sink_input(const struct df_metrics_sink *s, const struct df_config *c, const struct df_snapshot *snap,
                          const struct df_probes *probes, const struct df_metrics_health *h, df_metrics_state_fn state,
                          void *userdata, uint64_t now_usec, uint64_t now_realtime_usec, struct df_metrics_input *in,
                          struct df_metrics_cell **ret_cells);

/* After each evaluation: write the textfile when [Metrics]
 * TextfileDirectory= is set. A failure is logged once ("..., ignoring":
 * metrics never stop the daemon) and again only when it changes. 0 or -errno. */
int df_metrics_sink_publish(struct df_metrics_sink *s, const struct df_config *c, const struct df_metrics_input *in);
