/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The manager's metrics state and its calls: trend sampling, the config
 * generation, the input for rendering, the textfile's life cycle. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config.h"
#include "defragd/metrics-sink.h"
#include "defragd/report.h"

void df_metrics_sink_init(struct df_metrics_sink *s) {
        assert(s);
        memset(s, 0, sizeof(*s));
        df_trend_table_init(&s->trend);
        s->config_generation = 1;
}

static void remove_textfile(struct df_metrics_sink *s) {
        struct df_error err = { "" };

        if (!s->textfile_dir[0])
                return;
        if (df_metrics_remove_textfile(s->textfile_dir, &err) < 0)
                df_log(LOG_WARNING, "%s, ignoring", err.msg);
        s->textfile_dir[0] = 0;
}

void df_metrics_sink_done(struct df_metrics_sink *s) {
        assert(s);
        remove_textfile(s);
        df_trend_table_free(&s->trend);
}

int df_metrics_sink_observe(struct df_metrics_sink *s, const struct df_config *c, const struct df_snapshot *snap) {
        bool orders[DF_MAX_ORDERS];

        assert(s);
        assert(c);
        assert(snap);
        for (int o = 0; o < DF_MAX_ORDERS; o++)
                orders[o] = c->targets[o].enabled;
        return df_trend_table_observe(&s->trend, snap, orders, c->trend.window_usec);
}

void df_metrics_sink_reconfigure(struct df_metrics_sink *s, const struct df_config *c) {
        assert(s);
        assert(c);
        s->config_generation++;
        if (s->textfile_dir[0] && strcmp(s->textfile_dir, c->metrics.textfile_dir) != 0)
                remove_textfile(s);
        s->last_write_error = 0;
}

void df_metrics_sink_trend_fit(const struct df_metrics_sink *s, const struct df_config *c, int node, const char *zone,
                               int order, uint64_t now_usec, struct df_trend_fit *fit) {
        const struct df_trend_series *ts;

        assert(s);
        assert(c);
        assert(zone);
        assert(fit);
        ts = df_trend_table_get((struct df_trend_table *) &s->trend, node, zone, order, false);
        if (!ts || order < 0 || order >= DF_MAX_ORDERS) {
                *fit = (struct df_trend_fit) { .seconds_to_low = INFINITY };
                return;
        }
        df_trend_fit(ts, now_usec, c->trend.window_usec, c->targets[order].low_blocks, fit);
}

int df_metrics_sink_input(const struct df_metrics_sink *s, const struct df_config *c, const struct df_snapshot *snap,
                          const struct df_probes *probes, const struct df_metrics_health *h, df_metrics_state_fn state,
                          void *userdata, uint64_t now_usec, uint64_t now_realtime_usec, struct df_metrics_input *in,
                          struct df_metrics_cell **ret_cells) {
        struct df_metrics_cell *cells = NULL;
        size_t n = 0;

        assert(s);
        assert(c);
        assert(h);
        assert(in);
        assert(ret_cells);
        memset(in, 0, sizeof(*in));
        if (snap && snap->n_zones > 0) {
                cells = calloc(df_metrics_cells_max(snap), sizeof(*cells));
                if (!cells)
                        return -ENOMEM;
                n = df_metrics_fill_cells(cells, df_metrics_cells_max(snap), c, snap, &s->trend, now_usec,
                                          now_realtime_usec, state, userdata);
        }
        in->snapshot = snap && snap->n_zones > 0 ? snap : NULL;
        in->compaction_score_order = snap && snap->pageblock_order > 0 ? snap->pageblock_order : 9;
        in->cells = cells;
        in->n_cells = n;
        in->levers = &s->levers;
        df_metrics_fill_probes(in, probes, c->probes.enabled);
        in->version = DEFRAGD_VERSION;
        in->start_realtime_usec = h->start_realtime_usec;
        in->evaluations = h->evaluations;
        in->last_evaluation_realtime_usec = h->last_evaluation_realtime_usec;
        in->config_generation = s->config_generation;
        in->dry_run = h->dry_run;
        *ret_cells = cells;
        return 0;
}

int df_metrics_sink_publish(struct df_metrics_sink *s, const struct df_config *c, const struct df_metrics_input *in) {
        struct df_error err = { "" };
        int r;

        assert(s);
        assert(c);
        assert(in);
        if (!c->metrics.textfile_dir[0])
                return 0;
        r = df_metrics_write_textfile(c->metrics.textfile_dir, in, &err);
        if (r < 0) {
                if (r != s->last_write_error)
                        df_log(LOG_WARNING, "%s; metrics textfile not updated, ignoring", err.msg);
                s->last_write_error = r;
                return r;
        }
        if (s->last_write_error)
                df_log(LOG_INFO, "metrics textfile %s/" DF_METRICS_TEXTFILE_NAME " written again", c->metrics.textfile_dir);
        s->last_write_error = 0;
        snprintf(s->textfile_dir, sizeof(s->textfile_dir), "%s", c->metrics.textfile_dir);
        return 0;
}
