/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fills struct df_metrics_input from the config, the snapshot, the policy's
 * cell states (through a callback) and the probes: no decisions here. */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "defragd/metrics-input.h"
#include "defragd/model.h"
#include "defragd/probes.h"

size_t df_metrics_cells_max(const struct df_snapshot *s) {
        assert(s);
        return s->n_zones * DF_MAX_ORDERS;
}

size_t df_metrics_fill_cells(struct df_metrics_cell *cells, size_t max, const struct df_config *c,
                             const struct df_snapshot *s, const struct df_trend_table *trend, uint64_t now_usec,
                             uint64_t now_realtime_usec, df_metrics_state_fn state, void *userdata) {
        size_t n = 0;

        assert(cells || max == 0);
        assert(c);
        assert(s);
        for (size_t i = 0; i < s->n_zones; i++) {
                const struct df_zone *z = &s->zones[i];
                struct df_zone_model m;

                if (!z->has_buddyinfo || z->nr_orders <= 0 || z->nr_orders > DF_MAX_ORDERS ||
                    !df_config_node_watched(c, z->node) || !df_config_zone_watched(c, z->name))
                        continue;
                df_zone_model_compute(z, &m);
                for (int o = 0; o < z->nr_orders && n < max; o++) {
                        const struct df_target *t = &c->targets[o];
                        struct df_metrics_cell *cell = &cells[n];
                        const struct df_trend_series *ts;
                        uint64_t since = 0;

                        if (!t->enabled)
                                continue;
                        memset(cell, 0, sizeof(*cell));
                        cell->node = z->node;
                        snprintf(cell->zone, sizeof(cell->zone), "%s", z->name);
                        cell->order = o;
                        cell->low_blocks = t->low_blocks;
                        cell->high_blocks = t->high_blocks;
                        cell->state = state ? state(userdata, z->node, z->name, o, &since) : DF_METRICS_STATE_UNKNOWN;
                        if (since && since <= now_usec && now_usec - since <= now_realtime_usec)
                                cell->state_since_realtime_usec = now_realtime_usec - (now_usec - since);
                        cell->trend_seconds_to_low = INFINITY;
                        ts = trend ? df_trend_table_get((struct df_trend_table *) trend, z->node, z->name, o, false) : NULL;
                        if (ts) {
                                struct df_trend_fit fit;

                                df_trend_fit(ts, now_usec, c->trend.window_usec, t->low_blocks, &fit);
                                if (fit.valid) {
                                        cell->has_trend = true;
                                        cell->trend_slope_blocks_per_sec = fit.slope_blocks_per_sec;
                                        cell->trend_seconds_to_low = fit.seconds_to_low;
                                }
                        }
                        n++;
                }
        }
        return n;
}

void df_metrics_fill_probes(struct df_metrics_input *in, const struct df_probes *p, bool enabled) {
        const struct df_probes_status *st;
        struct df_bpf_counters bc;

        assert(in);
        in->probes_enabled = enabled;
        if (!p)
                return;
        st = df_probes_status(p);
        in->probes_loaded = st->loaded;
        in->probes_attached = st->n_attached;
        in->probes_missing = st->n_missing;
        in->probe_events = st->events;
        in->probe_events_ratelimited = st->events_ratelimited;
        if (st->loaded && df_probes_read_counters(p, &bc) == 0) {
                in->probe_events_lost = bc.events_lost;
                in->has_stall_hist = true;
                for (int k = 0; k < DF_METRICS_STALL_KINDS; k++) {
                        for (int i = 0; i < DF_METRICS_STALL_SLOTS; i++)
                                in->stall_hist[k][i] = bc.stall_hist[k][i];
                        in->stall_total_ns[k] = bc.stall_total_ns[k];
                }
        }
}
