/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The trend fit on scripted series (flat, falling, noisy, a step) and the
 * early trigger on a scripted clock. */
#include <math.h>

#include "defragd/trend.h"
#include "defragd/util.h"
#include "test-util.h"

#define POLL_USEC (10 * USEC_PER_SEC)
#define WINDOW_USEC (600 * USEC_PER_SEC)

/* Reproducible noise in [-amp, amp] (a fixed LCG, not rand()). */
static double noise(unsigned *state, double amp) {
        *state = *state * 1103515245u + 12345u;
        return amp * (((double) ((*state >> 16) & 0x7fff) / 0x7fff) * 2 - 1);
}

/* Feed `n` polls from t0, value f(i); returns the time of the last. */
static uint64_t feed(struct df_trend_series *s, uint64_t t0, unsigned n, double (*f)(unsigned, void *), void *ctx) {
        uint64_t t = t0;

        for (unsigned i = 0; i < n; i++) {
                double v = f(i, ctx);

                t = t0 + (uint64_t) i * POLL_USEC;
                df_trend_add(s, t, v < 0 ? 0 : (uint64_t) llround(v), WINDOW_USEC);
        }
        return t;
}

static double flat(unsigned i, void *ctx) { (void) i; return *(double *) ctx; }
static double falling(unsigned i, void *ctx) { (void) ctx; return 1000.0 - 2.0 * i; } /* -0.2 blocks/s */

struct noisy_ctx { unsigned seed; double amp, slope_per_poll, start; };
static double noisy(unsigned i, void *ctx) {
        struct noisy_ctx *c = ctx;
        return c->start + c->slope_per_poll * i + noise(&c->seed, c->amp);
}

static void test_too_few_samples(void) {
        struct df_trend_series s;
        struct df_trend_fit fit;
        double v = 100;

        df_trend_series_init(&s, 0, "Normal", 9);
        feed(&s, 0, DF_TREND_MIN_SAMPLES - 1, flat, &v);
        df_trend_fit(&s, (DF_TREND_MIN_SAMPLES - 2) * POLL_USEC, WINDOW_USEC, 64, &fit);
        ASSERT_TRUE(!fit.valid);
        ASSERT_TRUE(isinf(fit.seconds_to_low));
}

static void test_flat(void) {
        struct df_trend_series s;
        struct df_trend_fit fit;
        double v = 300;
        uint64_t now;

        df_trend_series_init(&s, 0, "Normal", 9);
        now = feed(&s, 0, 120, flat, &v);
        df_trend_fit(&s, now, WINDOW_USEC, 64, &fit);
        ASSERT_TRUE(fit.valid);
        ASSERT_TRUE(!fit.step);
        ASSERT_TRUE(fabs(fit.slope_blocks_per_sec) < 1e-9);
        ASSERT_TRUE(fabs(fit.level_blocks - 300) < 1e-6);
        ASSERT_TRUE(isinf(fit.seconds_to_low));
        ASSERT_TRUE(!df_trend_should_act_early(&fit, 300, 64, 3600 * USEC_PER_SEC));
}

static void test_falling(void) {
        struct df_trend_series s;
        struct df_trend_fit fit;
        uint64_t now;

        df_trend_series_init(&s, 0, "Normal", 9);
        now = feed(&s, 0, 100, falling, NULL); /* last value 1000 - 198 = 802 at t = 990 s */
        df_trend_fit(&s, now, WINDOW_USEC, 64, &fit);
        ASSERT_TRUE(fit.valid);
        ASSERT_TRUE(!fit.step);
        /* The ring keeps one point per window/32 (18.75 s): spacing of two polls. */
        ASSERT_TRUE(fit.n_used >= 30 && fit.n_used <= 33);
        ASSERT_TRUE(fabs(fit.slope_blocks_per_sec + 0.2) < 1e-9);
        ASSERT_TRUE(fabs(fit.level_blocks - 802) < 1e-6);
        /* (802 - 64) / 0.2 = 3690 s */
        ASSERT_TRUE(fabs(fit.seconds_to_low - 3690) < 1e-6);
        ASSERT_TRUE(!df_trend_should_act_early(&fit, 802, 64, 3000 * USEC_PER_SEC));
        ASSERT_TRUE(df_trend_should_act_early(&fit, 802, 64, 3691 * USEC_PER_SEC));
        ASSERT_TRUE(!df_trend_should_act_early(&fit, 802, 64, 0)); /* off */
        ASSERT_TRUE(!df_trend_should_act_early(&fit, 63, 64, 3691 * USEC_PER_SEC)); /* already short */
}

static void test_rising(void) {
        struct df_trend_series s;
        struct df_trend_fit fit;
        struct noisy_ctx c = { .seed = 1, .amp = 0, .slope_per_poll = 3, .start = 100 };
        uint64_t now;

        df_trend_series_init(&s, 0, "Normal", 9);
        now = feed(&s, 0, 80, noisy, &c);
        df_trend_fit(&s, now, WINDOW_USEC, 64, &fit);
        ASSERT_TRUE(fit.valid);
        ASSERT_TRUE(fit.slope_blocks_per_sec > 0.29 && fit.slope_blocks_per_sec < 0.31);
        ASSERT_TRUE(isinf(fit.seconds_to_low));
        ASSERT_TRUE(!df_trend_should_act_early(&fit, 337, 64, 3600 * USEC_PER_SEC));
}

/* Noise of +-20 blocks around 500, no slope: no prediction, no step. */
static void test_noisy_flat(void) {
        struct df_trend_series s;
        struct df_trend_fit fit;
        unsigned fired = 0;

        for (unsigned seed = 1; seed <= 50; seed++) {
                struct noisy_ctx c = { .seed = seed, .amp = 20, .slope_per_poll = 0, .start = 500 };
                uint64_t now;

                df_trend_series_init(&s, 0, "Normal", 9);
                now = feed(&s, 0, 120, noisy, &c);
                df_trend_fit(&s, now, WINDOW_USEC, 64, &fit);
                ASSERT_TRUE(fit.valid);
                ASSERT_TRUE(!fit.step);
                ASSERT_TRUE(fabs(fit.level_blocks - 500) < 20);
                /* A horizon of an hour: noise alone must not predict the mark
                 * 436 blocks below within it. */
                fired += df_trend_should_act_early(&fit, 500, 64, 3600 * USEC_PER_SEC);
        }
        ASSERT_EQ_INT(fired, 0);
}

/* Falling 1 block per poll (0.1/s) under +-10 of noise: the slope is found. */
static void test_noisy_falling(void) {
        for (unsigned seed = 1; seed <= 50; seed++) {
                struct noisy_ctx c = { .seed = seed, .amp = 10, .slope_per_poll = -1, .start = 600 };
                struct df_trend_series s;
                struct df_trend_fit fit;
                uint64_t now;

                df_trend_series_init(&s, 0, "Normal", 9);
                now = feed(&s, 0, 120, noisy, &c); /* true level at the end: 481 */
                df_trend_fit(&s, now, WINDOW_USEC, 64, &fit);
                ASSERT_TRUE(fit.valid);
                ASSERT_TRUE(!fit.step);
                ASSERT_TRUE(fit.slope_blocks_per_sec < -0.07 && fit.slope_blocks_per_sec > -0.13);
                ASSERT_TRUE(fabs(fit.level_blocks - 481) < 10);
                /* true answer: (481 - 64) / 0.1 = 4170 s */
                ASSERT_TRUE(fit.seconds_to_low > 2800 && fit.seconds_to_low < 6500);
        }
}

/* Flat at 800, then a burst takes 300 blocks at once and it stays flat:
 * a plain fit over the window would see a fall; ours cuts at the step. */
static double step_down(unsigned i, void *ctx) { (void) ctx; return i < 90 ? 800 : 500; }
static double step_then_fall(unsigned i, void *ctx) { (void) ctx; return i < 90 ? 800 : 500 - 2.0 * (i - 90); }

static void test_step(void) {
        struct df_trend_series s;
        struct df_trend_fit fit;
        uint64_t now, t_step = 90 * POLL_USEC;

        df_trend_series_init(&s, 0, "Normal", 9);
        /* just after the step: too few points after it, no fit, no trigger */
        now = feed(&s, 0, 92, step_down, NULL);
        df_trend_fit(&s, now, WINDOW_USEC, 64, &fit);
        ASSERT_TRUE(fit.step);
        ASSERT_TRUE(!fit.valid);
        ASSERT_TRUE(!df_trend_should_act_early(&fit, 500, 64, 24 * 3600 * USEC_PER_SEC));

        /* later: flat after the step, so nothing to predict */
        df_trend_series_init(&s, 0, "Normal", 9);
        now = feed(&s, 0, 110, step_down, NULL);
        df_trend_fit(&s, now, WINDOW_USEC, 64, &fit);
        ASSERT_TRUE(fit.step);
        ASSERT_TRUE(fit.step_usec >= t_step && fit.step_usec <= t_step + 2 * POLL_USEC);
        ASSERT_TRUE(fit.valid);
        ASSERT_TRUE(fabs(fit.slope_blocks_per_sec) < 1e-9);
        ASSERT_TRUE(isinf(fit.seconds_to_low));

        /* a fall after the step: fitted from the step on, at its true slope */
        df_trend_series_init(&s, 0, "Normal", 9);
        now = feed(&s, 0, 120, step_then_fall, NULL); /* end: 500 - 58 = 442 */
        df_trend_fit(&s, now, WINDOW_USEC, 64, &fit);
        ASSERT_TRUE(fit.step);
        ASSERT_TRUE(fit.valid);
        ASSERT_TRUE(fabs(fit.slope_blocks_per_sec + 0.2) < 1e-9);
        ASSERT_TRUE(fabs(fit.seconds_to_low - (442 - 64) / 0.2) < 1e-6);
}

/* The early trigger on a scripted clock: a zone losing 0.5 blocks/s from
 * 400 towards Low=64 with ActBeforeSec=300 fires once 150 blocks are left
 * ((level - 64) / 0.5 <= 300 s: level <= 214), not before; off never fires. */
static void test_early_trigger_clock(void) {
        struct df_trend_series s;
        uint64_t first_fire = 0;

        df_trend_series_init(&s, 0, "Normal", 9);
        for (uint64_t t = 0; t <= 1000 * USEC_PER_SEC; t += POLL_USEC) {
                uint64_t blocks = 400 - t / (2 * USEC_PER_SEC);
                struct df_trend_fit fit;

                df_trend_add(&s, t, blocks, WINDOW_USEC);
                df_trend_fit(&s, t, WINDOW_USEC, 64, &fit);
                ASSERT_TRUE(!df_trend_should_act_early(&fit, blocks, 64, 0));
                if (!first_fire && df_trend_should_act_early(&fit, blocks, 64, 300 * USEC_PER_SEC))
                        first_fire = t;
        }
        /* level 214 is reached at t = 372 s; polls every 10 s */
        ASSERT_EQ_U64(first_fire, 380 * USEC_PER_SEC);
}

/* The ring replaces a sample that came too soon (a burst of triggered
 * evaluations) instead of filling the window with it. */
static void test_spacing(void) {
        struct df_trend_series s;

        df_trend_series_init(&s, 0, "Normal", 9);
        for (uint64_t t = 0; t < 100 * USEC_PER_SEC; t += USEC_PER_SEC / 10)
                df_trend_add(&s, t, 100, WINDOW_USEC);
        /* spacing 18.75 s over 100 s: about six points kept, newest the last */
        ASSERT_TRUE(s.count >= 5 && s.count <= 7);
        ASSERT_EQ_U64(s.t_usec[(s.head + DF_TREND_MAX_SAMPLES - 1) % DF_TREND_MAX_SAMPLES], 100 * USEC_PER_SEC - USEC_PER_SEC / 10);
        /* time going backwards is ignored */
        df_trend_add(&s, 0, 5, WINDOW_USEC);
        ASSERT_EQ_U64(s.blocks[(s.head + DF_TREND_MAX_SAMPLES - 1) % DF_TREND_MAX_SAMPLES], 100);
}

static void test_table(void) {
        struct df_trend_table t;
        struct df_snapshot snap;
        struct df_zone *z;
        bool orders[DF_MAX_ORDERS] = { [9] = true, [3] = true };

        df_trend_table_init(&t);
        df_snapshot_init(&snap);
        z = df_snapshot_zone(&snap, 0, "Normal", true);
        ASSERT_TRUE(z != NULL);
        z->has_buddyinfo = true;
        z->nr_orders = 11;
        z->free_blocks[9] = 5;
        z->free_blocks[10] = 2;
        for (int i = 0; i < 3; i++) {
                snap.taken_usec = (uint64_t) i * 60 * USEC_PER_SEC;
                ASSERT_EQ_INT(df_trend_table_observe(&t, &snap, orders, WINDOW_USEC), 0);
        }
        ASSERT_EQ_U64(t.n, 2);
        ASSERT_TRUE(df_trend_table_get(&t, 0, "Normal", 9, false) != NULL);
        ASSERT_EQ_U64(df_trend_table_get(&t, 0, "Normal", 9, false)->blocks[0], 9); /* 5 + 2*2 */
        ASSERT_EQ_U64(df_trend_table_get(&t, 0, "Normal", 3, false)->count, 3);
        ASSERT_TRUE(df_trend_table_get(&t, 0, "Normal", 4, false) == NULL);
        df_snapshot_clear(&snap);
        df_trend_table_free(&t);
}

int main(void) {
        RUN_TEST(test_too_few_samples);
        RUN_TEST(test_flat);
        RUN_TEST(test_falling);
        RUN_TEST(test_rising);
        RUN_TEST(test_noisy_flat);
        RUN_TEST(test_noisy_falling);
        RUN_TEST(test_step);
        RUN_TEST(test_early_trigger_clock);
        RUN_TEST(test_spacing);
        RUN_TEST(test_table);
        return test_summary();
}
