/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Least-squares trend of suitable blocks per cell, cut at steps, and the
 * predicted time to the low mark (after Oracle's memoptimizer idea). */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "defragd/model.h"
#include "defragd/trend.h"
#include "defragd/util.h"

/* A jump beyond this many noise scales is a step, not noise. */
#define STEP_NOISE_FACTOR 6.0
/* Noise scale floor: counts move by a block or two without meaning it, and
 * by a few percent on a busy zone. */
#define NOISE_FLOOR_BLOCKS 2.0
#define NOISE_FLOOR_FRACTION 0.05
/* Median absolute deviation to a normal distribution's sigma. */
#define MAD_TO_SIGMA 1.4826

void df_trend_series_init(struct df_trend_series *s, int node, const char *zone, int order) {
        assert(s);
        assert(zone);
        memset(s, 0, sizeof(*s));
        s->node = node;
        snprintf(s->zone, sizeof(s->zone), "%s", zone);
        s->order = order;
}

uint64_t df_trend_min_spacing_usec(uint64_t window_usec) {
        return window_usec / (DF_TREND_MAX_SAMPLES / 2);
}

static unsigned idx(const struct df_trend_series *s, unsigned i) {
        /* i-th oldest */
        return (s->head + DF_TREND_MAX_SAMPLES - s->count + i) % DF_TREND_MAX_SAMPLES;
}

void df_trend_add(struct df_trend_series *s, uint64_t now_usec, uint64_t suitable_blocks, uint64_t window_usec) {
        assert(s);
        if (s->count > 0) {
                unsigned last = (s->head + DF_TREND_MAX_SAMPLES - 1) % DF_TREND_MAX_SAMPLES;

                if (now_usec < s->t_usec[last])
                        return;
                /* The newest sample has not earned its place yet (it is
                 * closer than the spacing to the one before, as in a burst of
                 * triggered evaluations): the fresher value replaces it. */
                if (s->count > 1) {
                        unsigned prev = (s->head + DF_TREND_MAX_SAMPLES - 2) % DF_TREND_MAX_SAMPLES;

                        if (s->t_usec[last] - s->t_usec[prev] < df_trend_min_spacing_usec(window_usec)) {
                                s->t_usec[last] = now_usec;
                                s->blocks[last] = suitable_blocks;
                                return;
                        }
                }
        }
        s->t_usec[s->head] = now_usec;
        s->blocks[s->head] = suitable_blocks;
        s->head = (s->head + 1) % DF_TREND_MAX_SAMPLES;
        if (s->count < DF_TREND_MAX_SAMPLES)
                s->count++;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return x < y ? -1 : x > y;
}

/* Median of v[0..n) (reorders v). */
static double median(double *v, unsigned n) {
        qsort(v, n, sizeof(*v), cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void df_trend_fit(const struct df_trend_series *s, uint64_t now_usec, uint64_t window_usec, uint64_t low_blocks,
                  struct df_trend_fit *out) {
        double t[DF_TREND_MAX_SAMPLES], b[DF_TREND_MAX_SAMPLES], rate[DF_TREND_MAX_SAMPLES], res[DF_TREND_MAX_SAMPLES];
        double med_rate, scale, level_med, sx = 0, sy = 0, sxx = 0, sxy = 0, mt, mb;
        unsigned n = 0, first = 0;

        assert(s);
        assert(out);
        *out = (struct df_trend_fit) { .seconds_to_low = INFINITY };
        for (unsigned i = 0; i < s->count; i++) {
                unsigned k = idx(s, i);

                if (s->t_usec[k] > now_usec || now_usec - s->t_usec[k] > window_usec)
                        continue;
                /* seconds relative to now: small numbers keep the sums exact */
                t[n] = -((double) (now_usec - s->t_usec[k]) / 1e6);
                b[n] = (double) s->blocks[k];
                n++;
        }
        if (n < DF_TREND_MIN_SAMPLES)
                return;

        /* Steps: differences against the median rate, scaled by their spread. */
        for (unsigned i = 1; i < n; i++)
                rate[i - 1] = t[i] > t[i - 1] ? (b[i] - b[i - 1]) / (t[i] - t[i - 1]) : 0;
        med_rate = median(rate, n - 1);
        for (unsigned i = 1; i < n; i++)
                res[i - 1] = fabs(b[i] - b[i - 1] - med_rate * (t[i] - t[i - 1]));
        memcpy(rate, b, n * sizeof(*b));
        level_med = median(rate, n);
        memcpy(rate, res, (n - 1) * sizeof(*res));
        scale = MAD_TO_SIGMA * median(rate, n - 1);
        if (scale < NOISE_FLOOR_BLOCKS)
                scale = NOISE_FLOOR_BLOCKS;
        if (scale < NOISE_FLOOR_FRACTION * level_med)
                scale = NOISE_FLOOR_FRACTION * level_med;
        for (unsigned i = 1; i < n; i++)
                if (res[i - 1] > STEP_NOISE_FACTOR * scale)
                        first = i;
        if (first > 0) {
                out->step = true;
                out->step_usec = now_usec - (uint64_t) (-t[first] * 1e6 + 0.5);
        }
        out->n_used = n - first;
        if (out->n_used < DF_TREND_MIN_SAMPLES)
                return;

        for (unsigned i = first; i < n; i++) {
                sx += t[i];
                sy += b[i];
        }
        mt = sx / out->n_used;
        mb = sy / out->n_used;
        for (unsigned i = first; i < n; i++) {
                sxx += (t[i] - mt) * (t[i] - mt);
                sxy += (t[i] - mt) * (b[i] - mb);
        }
        if (sxx <= 0)
                return;
        out->valid = true;
        out->slope_blocks_per_sec = sxy / sxx;
        out->level_blocks = mb - out->slope_blocks_per_sec * mt; /* the line at t = 0, now */

        if (out->level_blocks <= (double) low_blocks)
                out->seconds_to_low = 0;
        else if (out->slope_blocks_per_sec < 0 &&
                 -out->slope_blocks_per_sec * ((double) window_usec / 1e6) >= scale)
                out->seconds_to_low = (out->level_blocks - (double) low_blocks) / -out->slope_blocks_per_sec;
}

bool df_trend_should_act_early(const struct df_trend_fit *fit, uint64_t suitable_blocks, uint64_t low_blocks,
                               uint64_t act_before_usec) {
        assert(fit);
        if (act_before_usec == 0 || !fit->valid || suitable_blocks < low_blocks)
                return false;
        if (!isfinite(fit->seconds_to_low))
                return false;
        return fit->seconds_to_low * 1e6 <= (double) act_before_usec;
}

void df_trend_table_init(struct df_trend_table *t) {
        assert(t);
        memset(t, 0, sizeof(*t));
}

void df_trend_table_free(struct df_trend_table *t) {
        assert(t);
        free(t->series);
        df_trend_table_init(t);
}

struct df_trend_series *df_trend_table_get(struct df_trend_table *t, int node, const char *zone, int order, bool create) {
        assert(t);
        assert(zone);
        for (size_t i = 0; i < t->n; i++)
                if (t->series[i].node == node && t->series[i].order == order && strcmp(t->series[i].zone, zone) == 0)
                        return &t->series[i];
        if (!create)
                return NULL;
        if (t->n == t->allocated) {
                size_t na = t->allocated ? t->allocated * 2 : 8;
                struct df_trend_series *ns = realloc(t->series, na * sizeof(*ns));

                if (!ns)
                        return NULL;
                t->series = ns;
                t->allocated = na;
        }
        df_trend_series_init(&t->series[t->n], node, zone, order);
        return &t->series[t->n++];
}

int df_trend_table_observe(struct df_trend_table *t, const struct df_snapshot *s, const bool orders[DF_MAX_ORDERS],
                           uint64_t window_usec) {
        assert(t);
        assert(s);
        assert(orders);
        for (size_t i = 0; i < s->n_zones; i++) {
                const struct df_zone *z = &s->zones[i];
                struct df_zone_model m;

                if (!z->has_buddyinfo || z->nr_orders <= 0 || z->nr_orders > DF_MAX_ORDERS)
                        continue;
                df_zone_model_compute(z, &m);
                for (int o = 0; o < m.nr_orders; o++) {
                        struct df_trend_series *ts;

                        if (!orders[o])
                                continue;
                        ts = df_trend_table_get(t, z->node, z->name, o, true);
                        if (!ts)
                                return -ENOMEM;
                        df_trend_add(ts, s->taken_usec, m.suitable_blocks[o], window_usec);
                }
        }
        return 0;
}
