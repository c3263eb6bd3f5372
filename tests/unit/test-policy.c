/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Policy unit tests: synthetic snapshots built in code and a scripted clock
 * drive hysteresis, cooldown, back-off, budget, guards and reconfiguration. */
#include <errno.h>
#include <stdlib.h>

#include "defragd/model.h"
#include "defragd/policy.h"
#include "defragd/util.h"
#include "test-policy-util.h"
#include "test-policy-world.h"


/* Low=64, High=256: a count wandering between the marks never flips the
 * state; only < 64 makes it SHORT and only >= 256 makes it OK again. */
static void test_hysteresis(void) {
        struct world *w = world_new();
        static const struct {
                uint64_t blocks;
                enum df_order_state state;
                bool crossing;
        } script[] = {
                { 300, DF_STATE_OK,    true },  /* UNKNOWN -> OK */
                { 100, DF_STATE_OK,    false },
                { 64,  DF_STATE_OK,    false },
                { 63,  DF_STATE_SHORT, true },
                { 100, DF_STATE_SHORT, false },
                { 255, DF_STATE_SHORT, false },
                { 63,  DF_STATE_SHORT, false },
                { 256, DF_STATE_OK,    true },
                { 65,  DF_STATE_OK,    false },
                { 200, DF_STATE_OK,    false },
                { 0,   DF_STATE_SHORT, true },
        };
        w->c->cooldown_usec = SEC;
        for (size_t i = 0; i < ELEMENTSOF(script); i++) {
                fake_zone(&w->f, 0, "Normal", script[i].blocks);
                decide_at(w, w->now + 10 * SEC);
                CHECK_INT(df_policy_cell_state(&w->st, 0, "Normal", 9), script[i].state);
                CHECK_INT(w->d.n_crossings, script[i].crossing ? 1 : 0);
                CHECK_INT(w->d.any_short, script[i].state == DF_STATE_SHORT);
                if (w->d.n_crossings) {
                        CHECK_U64(w->d.crossings[0].suitable_blocks, script[i].blocks);
                        CHECK_INT(w->d.crossings[0].to, script[i].state);
                        CHECK_STR(w->d.crossings[0].zone, "Normal");
                        CHECK_INT(w->d.crossings[0].order, 9);
                        CHECK_U64(w->d.crossings[0].low_blocks, 64);
                        CHECK_U64(w->d.crossings[0].high_blocks, 256);
                }
                /* acts exactly while SHORT (cooldown 1s < 10s steps) */
                CHECK_INT(w->d.n_actions, script[i].state == DF_STATE_SHORT ? 1 : 0);
        }
        CHECK_INT(w->d.crossings[0].from, DF_STATE_OK);
        world_free(w);
}

/* The first evaluation of a cell between the marks is OK, not SHORT. */
static void test_first_between_marks(void) {
        struct world *w = world_new();

        fake_zone(&w->f, 0, "Normal", 100);
        decide_at(w, w->now);
        CHECK_INT(df_policy_cell_state(&w->st, 0, "Normal", 9), DF_STATE_OK);
        CHECK_INT(w->d.crossings[0].from, DF_STATE_UNKNOWN);
        CHECK_INT(w->d.n_actions, 0);
        CHECK(!w->d.any_short);
        world_free(w);
}

static void test_cooldown(void) {
        struct world *w = world_new();
        const struct df_skip *sk;
        uint64_t t0 = w->now;

        fake_zone(&w->f, 0, "Normal", 10);
        decide_at(w, t0);
        CHECK_INT(w->d.n_actions, 1);
        CHECK_INT(w->d.actions[0].lever, DF_LEVER_COMPACT_NODE);
        CHECK_U64(w->d.actions[0].suitable_blocks, 10);
        CHECK_U64(w->d.actions[0].target_high_blocks, 256);
        CHECK(!w->d.actions[0].dry_run);

        decide_at(w, t0 + 30 * SEC);
        CHECK_INT(w->d.n_actions, 0);
        sk = skip_of(&w->d, 0);
        CHECK(sk && sk->reason == DF_SKIP_COOLDOWN);
        if (sk)
                CHECK_U64(sk->until_usec, t0 + 60 * SEC);

        decide_at(w, t0 + 60 * SEC - 1);
        CHECK_INT(w->d.n_actions, 0);
        decide_at(w, t0 + 60 * SEC);
        CHECK_INT(w->d.n_actions, 1);
        world_free(w);
}

/* No gain doubles the wait from CooldownSec up to BackoffMaxSec; an error
 * counts as no gain; a gain resets it. */
static void test_backoff(void) {
        struct world *w = world_new();
        const struct df_skip *sk;
        uint64_t t = w->now, waits[] = { 120, 240, 300, 300 };

        w->c->backoff_max_usec = 300 * SEC;
        fake_zone(&w->f, 0, "Normal", 10);
        decide_at(w, t);
        CHECK_INT(w->d.n_actions, 1);
        for (size_t i = 0; i < ELEMENTSOF(waits); i++) {
                t += SEC; /* the run took a second */
                record(w, 0, 10, i == 2 ? 0 : 10, i == 1 ? -EIO : 0, t);
                CHECK_U64(node_st(w, 0)->backoff_usec, waits[i] * SEC);
                CHECK_INT(node_st(w, 0)->consecutive_no_gain, i + 1);
                decide_at(w, t + waits[i] * SEC - 1);
                CHECK_INT(w->d.n_actions, 0);
                sk = skip_of(&w->d, 0);
                CHECK(sk && sk->reason == DF_SKIP_BACKOFF);
                if (sk)
                        CHECK_U64(sk->until_usec, t + waits[i] * SEC);
                t += waits[i] * SEC;
                decide_at(w, t);
                CHECK_INT(w->d.n_actions, 1);
        }
        /* a gain: back to the 60s cooldown */
        t += SEC;
        record(w, 0, 10, 11, 0, t);
        CHECK_U64(node_st(w, 0)->backoff_usec, 60 * SEC);
        CHECK_INT(node_st(w, 0)->consecutive_no_gain, 0);
        decide_at(w, t + 59 * SEC);
        sk = skip_of(&w->d, 0);
        CHECK(sk && sk->reason == DF_SKIP_COOLDOWN);
        decide_at(w, t + 60 * SEC);
        CHECK_INT(w->d.n_actions, 1);
        world_free(w);
}

/* MaxActionsPerHour over a sliding hour, across nodes. */
static void test_budget(void) {
        struct world *w = world_new();
        const struct df_skip *sk;
        uint64_t t0 = w->now;

        w->c->max_actions_per_hour = 3;
        w->c->cooldown_usec = SEC;
        fake_zone(&w->f, 0, "Normal", 10);
        fake_zone(&w->f, 1, "Normal", 10);
        decide_at(w, t0);             /* two actions: nodes 0 and 1 */
        CHECK_INT(w->d.n_actions, 2);
        decide_at(w, t0 + 600 * SEC); /* one more fits, the second node is refused */
        CHECK_INT(w->d.n_actions, 1);
        CHECK_INT(w->d.actions[0].target.node, 0);
        sk = skip_of(&w->d, 1);
        CHECK(sk && sk->reason == DF_SKIP_BUDGET);
        if (sk)
                CHECK_U64(sk->until_usec, t0 + 3600 * SEC);
        decide_at(w, t0 + 3600 * SEC - 1);
        CHECK_INT(w->d.n_actions, 0);
        CHECK_INT(w->d.n_skips, 2);
        /* the two from t0 leave the window: two slots free again */
        decide_at(w, t0 + 3600 * SEC);
        CHECK_INT(w->d.n_actions, 2);
        decide_at(w, t0 + 3700 * SEC);
        CHECK_INT(w->d.n_actions, 0);
        sk = skip_of(&w->d, 0);
        CHECK(sk && sk->reason == DF_SKIP_BUDGET);
        if (sk)
                CHECK_U64(sk->until_usec, t0 + 4200 * SEC); /* t0+600 expires first */
        /* 0 = unlimited */
        w->c->max_actions_per_hour = 0;
        decide_at(w, t0 + 3701 * SEC);
        CHECK_INT(w->d.n_actions, 2);
        world_free(w);
}

static void test_pressure_guard(void) {
        struct world *w = world_new();
        const struct df_skip *sk;

        fake_zone(&w->f, 0, "Normal", 10);
        psi(&w->f, 20.0);
        decide_at(w, w->now);
        CHECK(w->d.pressure_high);
        CHECK_INT(w->d.n_actions, 0);
        sk = skip_of(&w->d, 0);
        CHECK(sk && sk->reason == DF_SKIP_PRESSURE);
        CHECK_INT(w->d.n_crossings, 1); /* the crossing is still reported */
        CHECK(w->d.any_short);

        psi(&w->f, 19.99);
        decide_at(w, w->now + SEC);
        CHECK(!w->d.pressure_high);
        CHECK_INT(w->d.n_actions, 1);

        /* guard off: acts even at 90% */
        df_policy_state_init(&w->st);
        w->c->pressure_guard_percent = 0;
        psi(&w->f, 90.0);
        decide_at(w, w->now + SEC);
        CHECK_INT(w->d.n_actions, 1);

        /* no PSI in the snapshot: no guard */
        df_policy_state_init(&w->st);
        w->c->pressure_guard_percent = 20;
        w->f.s.psi.present = false;
        decide_at(w, w->now + SEC);
        CHECK_INT(w->d.n_actions, 1);
        world_free(w);
}

/* PSI at 72% of which the probes saw 70 points in direct compaction: by
 * default the guard counts 2% and the ladder acts; with the discount off
 * (PressureGuardExcludesCompaction=no) it stands down as before; a share that
 * leaves the rest at the limit still stands it down. */
static void test_pressure_guard_discount(void) {
        struct world *w = world_new();
        const struct df_skip *sk;

        CHECK(w->c->pressure_guard_excludes_compaction); /* the default */
        fake_zone(&w->f, 0, "Normal", 10);
        psi(&w->f, 72.0);
        w->f.s.psi.some_compaction_avg10 = 70.0;
        decide_at(w, w->now);
        CHECK(!w->d.pressure_high);
        CHECK_INT(w->d.n_actions, 1);

        df_policy_state_init(&w->st);
        w->c->pressure_guard_excludes_compaction = false;
        decide_at(w, w->now + SEC);
        CHECK(w->d.pressure_high);
        CHECK_INT(w->d.n_actions, 0);
        sk = skip_of(&w->d, 0);
        CHECK(sk && sk->reason == DF_SKIP_PRESSURE);

        df_policy_state_init(&w->st);
        w->c->pressure_guard_excludes_compaction = true;
        w->f.s.psi.some_compaction_avg10 = 52.0; /* 20 left: at the limit */
        decide_at(w, w->now + 2 * SEC);
        CHECK(w->d.pressure_high);
        CHECK_INT(w->d.n_actions, 0);
        world_free(w);
}

/* Too little free memory: the kernel's fragmentation index is in [0, 500],
 * compaction cannot help. Two free order-8 blocks: index 1000 - (1000 +
 * 512*1000/512)/2 = 0. Four: 1000 - (1000 + 2000)/4 = 250. */
static void test_not_fragmented(void) {
        struct world *w = world_new();
        struct df_zone *z;
        struct df_contig_info info;
        const struct df_skip *sk;

        z = fake_zone(&w->f, 0, "Normal", 0);
        memset(z->free_blocks, 0, sizeof(z->free_blocks));
        z->free_blocks[8] = 2;
        df_fill_contig_info(z->free_blocks, z->nr_orders, 9, &info);
        CHECK_INT(df_fragmentation_index(9, &info), 0);
        decide_at(w, w->now);
        CHECK_INT(w->d.n_actions, 0);
        sk = skip_of(&w->d, 0);
        CHECK(sk && sk->reason == DF_SKIP_NOT_FRAGMENTED);
        CHECK_INT(df_policy_cell_state(&w->st, 0, "Normal", 9), DF_STATE_SHORT);

        z->free_blocks[8] = 4;
        df_fill_contig_info(z->free_blocks, z->nr_orders, 9, &info);
        CHECK_INT(df_fragmentation_index(9, &info), 250);
        decide_at(w, w->now + SEC);
        CHECK_INT(w->d.n_actions, 0);

        /* the same free memory in many small pieces is fragmented: act */
        z->free_blocks[0] = 5000;
        df_fill_contig_info(z->free_blocks, z->nr_orders, 9, &info);
        CHECK(df_fragmentation_index(9, &info) > 500);
        decide_at(w, w->now + SEC);
        CHECK_INT(w->d.n_actions, 1);

        /* a block of the order is free but below Low (index -1000): act */
        df_policy_state_init(&w->st);
        memset(z->free_blocks, 0, sizeof(z->free_blocks));
        z->free_blocks[9] = 3;
        decide_at(w, w->now + SEC);
        CHECK_INT(w->d.n_actions, 1);
        world_free(w);
}

static void test_dry_run(void) {
        struct world *w = world_new();
        const struct df_skip *sk;

        w->c->dry_run = true;
        w->c->max_actions_per_hour = 1;
        fake_zone(&w->f, 0, "Normal", 10);
        decide_at(w, w->now);
        CHECK_INT(w->d.n_actions, 1);
        CHECK(w->d.actions[0].dry_run);
        /* counted against cooldown ... */
        decide_at(w, w->now + 30 * SEC);
        sk = skip_of(&w->d, 0);
        CHECK(sk && sk->reason == DF_SKIP_COOLDOWN);
        /* ... and budget */
        decide_at(w, w->now + 60 * SEC);
        sk = skip_of(&w->d, 0);
        CHECK(sk && sk->reason == DF_SKIP_BUDGET);
        CHECK_U64(w->st.budget.count, 1);
        world_free(w);
}

/* One action per short node, for its worst cell; OK nodes untouched. */
static void test_multiple_nodes(void) {
        struct world *w = world_new();
        const struct df_action *a;

        w->c->targets[4] = (struct df_target) { true, 4, 1000, 2000 };
        fake_zone(&w->f, 0, "Normal", 10);     /* order 9: 10/64 = 0.16; order 4: 320/1000 */
        fake_zone(&w->f, 1, "Normal", 40);     /* 40/64 = 0.62 */
        fake_zone(&w->f, 1, "Movable", 20);    /* 20/64 = 0.31: the worst of node 1 */
        fake_zone(&w->f, 2, "Normal", 1000);   /* fine */
        decide_at(w, w->now);
        CHECK_INT(w->d.n_actions, 2);
        a = action_of(&w->d, 0);
        CHECK(a && strcmp(a->target.zone, "Normal") == 0 && a->target.order == 9);
        a = action_of(&w->d, 1);
        CHECK(a && strcmp(a->target.zone, "Movable") == 0 && a->target.order == 9 && a->suitable_blocks == 20);
        CHECK(!action_of(&w->d, 2));
        CHECK_INT(w->d.n_skips, 0);
        /* 4 zones x 2 orders, all first seen */
        CHECK_INT(w->d.n_crossings, 8);
        CHECK(w->d.any_short);
        CHECK_INT(w->d.worst_node, 0);
        CHECK_STR(w->d.worst_zone, "Normal");
        CHECK_INT(w->d.worst_order, 9);
        CHECK_U64(w->d.worst_suitable_blocks, 10);
        CHECK_U64(w->d.worst_low_blocks, 64);
        CHECK_INT(w->d.worst_state, DF_STATE_SHORT);

        /* node 2: order 9 runs out while order 4 stays fine (order-8 blocks count for it) */
        w->f.zones[3].free_blocks[9] = 0;
        w->f.zones[3].free_blocks[8] = 20000;
        decide_at(w, w->now + SEC);
        CHECK_INT(df_policy_cell_state(&w->st, 2, "Normal", 4), DF_STATE_OK);
        CHECK_INT(df_policy_cell_state(&w->st, 2, "Normal", 9), DF_STATE_SHORT);
        a = action_of(&w->d, 2);
        CHECK(a && a->target.order == 9);
        world_free(w);
}

static void test_unwatched(void) {
        struct world *w = world_new();

        w->c->all_nodes = false;
        w->c->nodes_mask[0] = 1; /* node 0 only */
        w->c->n_zones = 2;       /* Normal Movable: DMA32 left out */
        snprintf(w->c->zones[0], DF_NAME_MAX, "Normal");
        snprintf(w->c->zones[1], DF_NAME_MAX, "Movable");
        fake_zone(&w->f, 0, "DMA32", 0);   /* zone not watched */
        fake_zone(&w->f, 0, "Normal", 500);
        fake_zone(&w->f, 1, "Normal", 0);  /* node not watched */
        decide_at(w, w->now);
        CHECK_INT(w->d.n_actions, 0);
        CHECK_INT(w->d.n_skips, 0);
        CHECK_INT(w->d.n_crossings, 1);
        CHECK(!w->d.any_short);
        CHECK_INT(df_policy_cell_state(&w->st, 0, "DMA32", 9), DF_STATE_UNKNOWN);
        CHECK_INT(df_policy_cell_state(&w->st, 1, "Normal", 9), DF_STATE_UNKNOWN);
        CHECK_INT(w->d.worst_node, 0);
        CHECK_U64(w->d.worst_suitable_blocks, 500);

        /* a target order the zone does not have (nr_orders 11) is not evaluated */
        w->c->targets[9].enabled = false;
        w->c->targets[12] = (struct df_target) { true, 12, 1, 2 };
        df_policy_state_init(&w->st);
        decide_at(w, w->now + SEC);
        CHECK_INT(w->d.n_crossings, 0);
        CHECK_INT(w->d.n_actions, 0);
        CHECK_INT(w->d.worst_node, -1);

        /* nothing watched in the snapshot at all */
        w->c->targets[9].enabled = true;
        w->f.s.n_zones = 0;
        decide_at(w, w->now + SEC);
        CHECK_INT(w->d.worst_node, -1);
        CHECK_INT(w->d.n_crossings, 0);
        world_free(w);
}

static void test_compaction_disabled(void) {
        struct world *w = world_new();
        const struct df_skip *sk;

        w->c->compaction_enabled = false;
        fake_zone(&w->f, 0, "Normal", 10);
        decide_at(w, w->now);
        CHECK_INT(w->d.n_actions, 0);
        sk = skip_of(&w->d, 0);
        CHECK(sk && sk->reason == DF_SKIP_DISABLED && sk->order == 9 && strcmp(sk->zone, "Normal") == 0);
        CHECK_INT(w->d.n_crossings, 1);
        CHECK_U64(w->st.budget.count, 0);
        world_free(w);
}

/* SIGHUP: history kept for what is still watched, dropped for the rest. */
static void test_reconfigure(void) {
        struct world *w = world_new();
        struct df_config *c2;

        fake_zone(&w->f, 0, "Normal", 10);
        fake_zone(&w->f, 1, "Normal", 10);
        fake_zone(&w->f, 1, "Movable", 10);
        decide_at(w, w->now);
        CHECK_INT(w->d.n_actions, 2);
        record(w, 0, 10, 10, 0, w->now + SEC); /* 120s */
        record(w, 0, 10, 10, 0, w->now + SEC); /* 240s */
        CHECK_U64(node_st(w, 0)->backoff_usec, 240 * SEC);

        c2 = config();
        c2->all_nodes = false;
        c2->nodes_mask[0] = 1;                 /* node 0 only */
        c2->n_zones = 1;                       /* Normal only */
        snprintf(c2->zones[0], DF_NAME_MAX, "Normal");
        c2->backoff_max_usec = 100 * SEC;
        c2->targets[4] = (struct df_target) { true, 4, 1, 2 };
        df_policy_reconfigure(c2, &w->st);
        CHECK_INT(df_policy_cell_state(&w->st, 0, "Normal", 9), DF_STATE_SHORT);
        CHECK_INT(df_policy_cell_state(&w->st, 1, "Normal", 9), DF_STATE_UNKNOWN);
        CHECK(!node_st(w, 1));
        CHECK_U64(node_st(w, 0)->backoff_usec, 100 * SEC);
        CHECK_U64(node_st(w, 0)->next_allowed_usec, node_st(w, 0)->last_action_usec + 100 * SEC);
        CHECK_INT(node_st(w, 0)->consecutive_no_gain, 2);

        free(w->c);
        w->c = c2;
        decide_at(w, node_st(w, 0)->last_action_usec + 100 * SEC);
        /* node 0 Normal order 9 stays SHORT without a new crossing; order 4 is new */
        CHECK_INT(w->d.n_crossings, 1);
        CHECK_INT(w->d.crossings[0].order, 4);
        CHECK_INT(w->d.n_actions, 1);
        CHECK_INT(w->d.actions[0].target.node, 0);

        /* disabling a target forgets its state */
        w->c->targets[9].enabled = false;
        df_policy_reconfigure(w->c, &w->st);
        CHECK_INT(df_policy_cell_state(&w->st, 0, "Normal", 9), DF_STATE_UNKNOWN);
        CHECK_INT(df_policy_cell_state(&w->st, 0, "Normal", 4), DF_STATE_OK);
        world_free(w);
}

static void test_strings(void) {
        CHECK_STR(df_order_state_to_string(DF_STATE_SHORT), "short");
        CHECK_STR(df_order_state_to_string(DF_STATE_OK), "ok");
        CHECK_STR(df_skip_reason_to_string(DF_SKIP_NOT_FRAGMENTED), "not-fragmented");
        CHECK_STR(df_skip_reason_to_string(DF_SKIP_BACKOFF), "backoff");
        CHECK_STR(df_lever_kind_to_string(DF_LEVER_COMPACT_NODE), "compact");
        CHECK_INT(df_lever_kind_from_string("reclaim-cgroup"), DF_LEVER_RECLAIM_CGROUP);
        CHECK_INT(df_lever_kind_from_string("bogus"), DF_LEVER_NONE);
        CHECK_STR(df_action_outcome_to_string(DF_OUTCOME_CONTENDED), "contended");
}

int main(void) {
        RUN(test_hysteresis);
        RUN(test_first_between_marks);
        RUN(test_cooldown);
        RUN(test_backoff);
        RUN(test_budget);
        RUN(test_pressure_guard);
        RUN(test_pressure_guard_discount);
        RUN(test_not_fragmented);
        RUN(test_dry_run);
        RUN(test_multiple_nodes);
        RUN(test_unwatched);
        RUN(test_compaction_disabled);
        RUN(test_reconfigure);
        RUN(test_strings);
        return tp_finish();
}
