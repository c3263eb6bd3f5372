/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The trend's predicted time to the low mark in `defragctl status`: the text
 * column LOW_IN and the JSON "trend" object, rendered from the view only. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "defragd/conf.h"
#include "defragd/knobs.h"
#include "defragd/policy.h"
#include "defragd/procfs.h"
#include "defragd/snapshot.h"
#include "defragd/status.h"
#include "defragd/trend.h"
#include "defragd/util.h"
#include "test-util.h"

struct world {
        struct df_config conf;
        struct df_snapshot snap;
        struct df_policy_state *policy;
        struct df_knobs *knobs;
        struct df_lever_view levers[_DF_LEVER_MAX];
        char tmpdir[64];
        struct df_status_view v;
};

static int world_init(struct world *w) {
        struct df_error err = { "" };
        char state[128];
        int r;

        memset(w, 0, sizeof(*w));
        df_config_defaults(&w->conf); /* [Order9] Low=64 High=256 */
        df_snapshot_init(&w->snap);
        /* captured on this project's 6.18 host: Normal has 15 free order-9 blocks, DMA32 1,506 */
        r = df_snapshot_read_procfs(test_fixture_path("live-6.18-fragmented"), 5 * USEC_PER_SEC, &w->snap, &err);
        if (r < 0) {
                fprintf(stderr, "live-6.18-fragmented: %s\n", err.msg);
                return r;
        }
        w->policy = calloc(1, sizeof(*w->policy));
        if (!w->policy)
                return -ENOMEM;
        df_policy_state_init(w->policy);
        snprintf(w->tmpdir, sizeof(w->tmpdir), "/tmp/test-status-trend.XXXXXX");
        if (!mkdtemp(w->tmpdir))
                return -errno;
        snprintf(state, sizeof(state), "%s/knobs.state", w->tmpdir);
        r = df_knobs_new(state, w->tmpdir, &w->knobs);
        if (r < 0)
                return r;
        w->v = (struct df_status_view) {
                .config = &w->conf, .snapshot = &w->snap, .policy = w->policy, .knobs = w->knobs,
                .levers = w->levers, .config_source = "defaults", .now_usec = 5 * USEC_PER_SEC,
        };
        return 0;
}

static void world_done(struct world *w) {
        df_knobs_free(w->knobs);
        free(w->policy);
        df_snapshot_clear(&w->snap);
        (void) rmdir(w->tmpdir);
}

static char *render(const struct df_status_view *v, bool json) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return NULL;
        if (json)
                df_status_render_json(v, f);
        else
                df_status_render_text(v, f);
        fclose(f);
        return buf;
}

/* The LOW_IN word of the text row for (zone, order 9), into out. */
static bool row_low_in(const char *text, const char *zone, char *out, size_t size) {
        const char *line = text;

        while (line && *line) {
                char node[16], z[32], order[16], free_b[32], ui[16], fi[16], low[32], high[32], low_in[32];
                const char *nl = strchr(line, '\n');

                if (sscanf(line, "%15s %31s %15s %31s %15s %15s %31s %31s %31s", node, z, order, free_b, ui, fi, low,
                           high, low_in) == 9 &&
                    strcmp(z, zone) == 0 && strcmp(order, "9") == 0) {
                        snprintf(out, size, "%s", low_in);
                        return true;
                }
                line = nl ? nl + 1 : NULL;
        }
        return false;
}

static struct df_status_trend trend(const char *zone, bool valid, double slope, double seconds) {
        struct df_status_trend t = { .node = 0, .order = 9, .valid = valid, .slope_blocks_per_sec = slope,
                                     .seconds_to_low = seconds };

        snprintf(t.zone, sizeof(t.zone), "%s", zone);
        return t;
}

static void test_format(void) {
        struct df_status_trend t;
        char buf[32];

        df_status_format_time_to_low(NULL, buf, sizeof(buf));
        ASSERT_STREQ(buf, "-");
        t = trend("Normal", false, -1, 10);
        df_status_format_time_to_low(&t, buf, sizeof(buf));
        ASSERT_STREQ(buf, "-"); /* no fit: whatever the numbers say */
        t = trend("Normal", true, 0.5, INFINITY);
        df_status_format_time_to_low(&t, buf, sizeof(buf));
        ASSERT_STREQ(buf, "never");
        t = trend("Normal", true, -2, 0);
        df_status_format_time_to_low(&t, buf, sizeof(buf));
        ASSERT_STREQ(buf, "now");
        t = trend("Normal", true, -2, 40.2);
        df_status_format_time_to_low(&t, buf, sizeof(buf));
        ASSERT_STREQ(buf, "41s"); /* rounded up: never "0s" */
        t = trend("Normal", true, -2, 0.01);
        df_status_format_time_to_low(&t, buf, sizeof(buf));
        ASSERT_STREQ(buf, "1s");
        t = trend("Normal", true, -0.1, 750);
        df_status_format_time_to_low(&t, buf, sizeof(buf));
        ASSERT_STREQ(buf, "12min");
}

static void test_find(void) {
        struct df_status_trend ts[2] = { trend("Normal", true, -1, 5), trend("DMA32", true, 1, INFINITY) };
        struct df_status_view v = { .trends = ts, .n_trends = 2 };

        ASSERT_TRUE(df_status_trend_find(&v, 0, "Normal", 9) == &ts[0]);
        ASSERT_TRUE(df_status_trend_find(&v, 0, "DMA32", 9) == &ts[1]);
        ASSERT_TRUE(df_status_trend_find(&v, 0, "Normal", 8) == NULL);
        ASSERT_TRUE(df_status_trend_find(&v, 1, "Normal", 9) == NULL);
        ASSERT_TRUE(df_status_trend_find(&v, 0, "Norm", 9) == NULL);
        v.trends = NULL; /* not filled (STATUS=) */
        ASSERT_TRUE(df_status_trend_find(&v, 0, "Normal", 9) == NULL);
}

/* From a fit of a scripted falling series to the column: the view carries
 * what df_trend_fit() said, the text shows it. */
static void test_text(void) {
        struct world w;
        struct df_trend_series s;
        struct df_trend_fit fit;
        struct df_status_trend ts[2];
        uint64_t window = 600 * USEC_PER_SEC, t0 = 1000 * USEC_PER_SEC, now = 0;
        char low_in[32], *out;

        ASSERT_EQ_INT(world_init(&w), 0);
        /* 1 block less every 20 s, from 100 to 91: 64 is 27 x 20 s away */
        df_trend_series_init(&s, 0, "Normal", 9);
        for (int i = 0; i < 10; i++) {
                now = t0 + (uint64_t) i * 20 * USEC_PER_SEC;
                df_trend_add(&s, now, 100 - (uint64_t) i, window);
        }
        df_trend_fit(&s, now, window, 64, &fit);
        ASSERT_TRUE(fit.valid);
        ASSERT_TRUE(fit.slope_blocks_per_sec < 0);
        ASSERT_TRUE(fabs(fit.seconds_to_low - 27 * 20) < 1);
        ts[0] = trend("Normal", fit.valid, fit.slope_blocks_per_sec, fit.seconds_to_low);
        ts[1] = trend("DMA32", true, 0.2, INFINITY);
        w.v.trends = ts;
        w.v.n_trends = 2;

        out = render(&w.v, false);
        ASSERT_TRUE(out);
        ASSERT_CONTAINS(out, " LOW_IN ");
        ASSERT_TRUE(row_low_in(out, "Normal", low_in, sizeof(low_in)));
        ASSERT_STREQ(low_in, "9min");
        ASSERT_TRUE(row_low_in(out, "DMA32", low_in, sizeof(low_in)));
        ASSERT_STREQ(low_in, "never");
        free(out);

        /* Not filled (the view of STATUS=, or before the first samples): "-" */
        w.v.trends = NULL;
        w.v.n_trends = 0;
        out = render(&w.v, false);
        ASSERT_TRUE(out);
        ASSERT_TRUE(row_low_in(out, "Normal", low_in, sizeof(low_in)));
        ASSERT_STREQ(low_in, "-");
        free(out);
        world_done(&w);
}

static void test_json(void) {
        struct world w;
        struct df_status_trend ts[2] = { trend("Normal", true, -0.05, 540), trend("DMA32", true, 0.2, INFINITY) };
        char *out;

        ASSERT_EQ_INT(world_init(&w), 0);
        w.v.trends = ts;
        w.v.n_trends = 2;
        out = render(&w.v, true);
        ASSERT_TRUE(out);
        ASSERT_CONTAINS(out, "\"trend\":{\"slope_blocks_per_sec\":-0.050,\"seconds_to_low\":540.0}");
        /* rising: no prediction, and JSON has no infinity */
        ASSERT_CONTAINS(out, "\"trend\":{\"slope_blocks_per_sec\":0.200,\"seconds_to_low\":null}");
        free(out);

        ts[0].valid = false; /* no fit: null, not numbers that mean nothing */
        out = render(&w.v, true);
        ASSERT_TRUE(out);
        ASSERT_CONTAINS(out, "\"trend\":null");
        free(out);
        world_done(&w);
}

int main(void) {
        RUN_TEST(test_format);
        RUN_TEST(test_find);
        RUN_TEST(test_text);
        RUN_TEST(test_json);
        return test_summary();
}
