/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ladder on a scripted clock: which rung acts when compaction gains, gains
 * nothing or is contended; per-lever back-off and budget; unknown gain; the
 * knob lever's desired state under pressure, Enable=no, dry run and reload. */
#include <errno.h>
#include <stdlib.h>

#include "defragd/model.h"
#include "defragd/policy.h"
#include "defragd/util.h"
#include "test-policy-util.h"
#include "test-policy-world.h"

static void present(struct world *w, enum df_lever_kind k) {
        w->in.lever_present[k] = true;
}

/* The usual start: node 0's Normal zone short for order 9 (10 blocks, Low=64,
 * fragmented), the default ladder, `k` present beside compaction and
 * proactiveness (DF_LEVER_NONE: nothing more). */
static struct world *short_world(enum df_lever_kind k) {
        struct world *w = world_new();

        if (k != DF_LEVER_NONE)
                present(w, k);
        fake_zone(&w->f, 0, "Normal", 10);
        return w;
}

/* [Ladder] Order= of the n levers given. */
static void set_ladder(struct world *w, unsigned n, const enum df_lever_kind *order) {
        for (unsigned i = 0; i < n; i++)
                w->c->ladder[i] = order[i];
        w->c->n_ladder = n;
}
#define LADDER(w, ...)                                                                                         \
        set_ladder(w, sizeof((enum df_lever_kind[]) { __VA_ARGS__ }) / sizeof(enum df_lever_kind),             \
                   (enum df_lever_kind[]) { __VA_ARGS__ })

/* One more hint: what the planner and the aim say about (node, zone). */
static struct df_ladder_hint *hint(struct world *w, int node, const char *zone) {
        struct df_ladder_hint *h = &w->in.hints[w->in.n_hints++];

        *h = (struct df_ladder_hint) { .node = node };
        snprintf(h->zone, sizeof(h->zone), "%s", zone);
        return h;
}

static void hint_clear(struct world *w, int node, const char *zone, uint64_t candidates) {
        struct df_ladder_hint *h = hint(w, node, zone);

        h->clear_candidates = candidates;
        h->clear_min_cost_pages = 4100;
}

/* The aim's candidate; cgroup NULL: a candidate with no cgroup named. */
static struct df_ladder_hint *hint_reclaim(struct world *w, int node, const char *zone, const char *cgroup) {
        struct df_ladder_hint *h = hint(w, node, zone);

        h->reclaim_candidate = true;
        if (cgroup)
                snprintf(h->reclaim_cgroup, sizeof(h->reclaim_cgroup), "%s", cgroup);
        return h;
}

/* Exactly one action, by lever k (two checks, at the caller's line). */
#define CHECK_ACTS(w, k)                                                                                       \
        do {                                                                                                   \
                CHECK_INT((w)->d.n_actions, 1);                                                                \
                CHECK_INT((w)->d.actions[0].lever, k);                                                         \
        } while (0)

/* The skip of one rung of a node. */
static const struct df_skip *skip_rung(const struct df_decision *d, int node, enum df_lever_kind k) {
        for (unsigned i = 0; i < d->n_skips; i++)
                if (d->skips[i].node == node && d->skips[i].lever == k)
                        return &d->skips[i];
        return NULL;
}

/* Nothing acted and rung k of the node was passed over for reason why
 * (checked at the caller's line). */
#define CHECK_IDLE_SKIP(w, node, k, why)                                                                      \
        do {                                                                                                   \
                const struct df_skip *sk_ = skip_rung(&(w)->d, node, k);                                       \
                CHECK_INT((w)->d.n_actions, 0);                                                                \
                CHECK(sk_ && sk_->reason == (why));                                                            \
        } while (0)

/* Rung k of the node was passed over for reason why (at the caller's line). */
#define CHECK_SKIP(w, node, k, why)                                                                           \
        do {                                                                                                   \
                const struct df_skip *sk_ = skip_rung(&(w)->d, node, k);                                       \
                CHECK(sk_ && sk_->reason == (why));                                                            \
        } while (0)

static const struct df_rung_state *rung(const struct world *w, int node, enum df_lever_kind k) {
        const struct df_node_state *ns = df_policy_node(&w->st, node);

        return ns ? &ns->rung[k] : NULL;
}

static void record_full(struct world *w, enum df_lever_kind k, int node, enum df_action_outcome outcome,
                        bool gain_known, uint64_t before, uint64_t after, bool machine_wide, uint64_t t) {
        struct df_action_result r = {
                .lever = k,
                .node = node,
                .outcome = outcome,
                .duration_usec = 2 * SEC,
                .gain_known = gain_known,
                .suitable_before = before,
                .suitable_after = after,
                .machine_wide = machine_wide,
        };

        w->now = t;
        df_policy_record(w->c, &r, t, &w->st);
}

static const struct df_knob_desire *knob(const struct df_decision *d) {
        for (unsigned i = 0; i < d->n_knobs; i++)
                if (d->knobs[i].lever == DF_LEVER_PROACTIVENESS)
                        return &d->knobs[i];
        return NULL;
}

/* Compaction gains: the next rung is never reached; the node waits out the cooldown. */
static void test_compaction_gains(void) {
        struct world *w = short_world(DF_LEVER_RECLAIM_NODE);
        uint64_t t = w->now;

        decide_at(w, t);
        CHECK_ACTS(w, DF_LEVER_COMPACT_NODE);
        CHECK_U64(w->d.actions[0].amount, 0);
        record_full(w, DF_LEVER_COMPACT_NODE, 0, DF_OUTCOME_DONE, true, 10, 40, false, t + 2 * SEC);
        CHECK_U64(rung(w, 0, DF_LEVER_COMPACT_NODE)->last_gain_blocks, 30);
        CHECK(!rung(w, 0, DF_LEVER_COMPACT_NODE)->yield);

        decide_at(w, t + 10 * SEC);
        CHECK_INT(w->d.n_actions, 0);
        CHECK(skip_rung(&w->d, 0, DF_LEVER_COMPACT_NODE) &&
              skip_rung(&w->d, 0, DF_LEVER_COMPACT_NODE)->reason == DF_SKIP_COOLDOWN);
        CHECK(!skip_rung(&w->d, 0, DF_LEVER_RECLAIM_NODE)); /* not reached */
        CHECK_INT(df_policy_node(&w->st, 0)->last_lever, DF_LEVER_COMPACT_NODE);

        decide_at(w, t + 62 * SEC);
        CHECK_ACTS(w, DF_LEVER_COMPACT_NODE);
        world_free(w);
}

/* Compaction gains nothing: its back-off doubles and, in the next evaluation,
 * the next rung acts; reclaim asks for the deficit up to High in bytes. */
static void test_compaction_no_gain_climbs(void) {
        struct world *w = short_world(DF_LEVER_RECLAIM_NODE);
        const struct df_skip *sk;
        uint64_t t = w->now;

        decide_at(w, t);
        CHECK_INT(w->d.actions[0].lever, DF_LEVER_COMPACT_NODE);
        record_full(w, DF_LEVER_COMPACT_NODE, 0, DF_OUTCOME_DONE, true, 10, 10, false, t + 2 * SEC);
        CHECK_U64(rung(w, 0, DF_LEVER_COMPACT_NODE)->backoff_usec, 120 * SEC);
        CHECK_INT(rung(w, 0, DF_LEVER_COMPACT_NODE)->consecutive_no_gain, 1);

        decide_at(w, t + 2 * SEC);
        sk = skip_rung(&w->d, 0, DF_LEVER_COMPACT_NODE);
        CHECK(sk && sk->reason == DF_SKIP_BACKOFF);
        if (sk)
                CHECK_U64(sk->until_usec, t + 122 * SEC);
        CHECK_ACTS(w, DF_LEVER_RECLAIM_NODE);
        CHECK_STR(w->d.actions[0].target.zone, "Normal");
        CHECK_INT(w->d.actions[0].target.order, 9);
        CHECK_U64(w->d.actions[0].amount, (uint64_t) (256 - 10) * 512 * 4096);
        CHECK_INT(df_policy_node(&w->st, 0)->last_lever, DF_LEVER_RECLAIM_NODE);

        /* Both rungs wait now, each on its own clock: nothing acts. */
        decide_at(w, t + 30 * SEC);
        CHECK_INT(w->d.n_actions, 0);
        sk = skip_rung(&w->d, 0, DF_LEVER_RECLAIM_NODE);
        CHECK(sk && sk->reason == DF_SKIP_COOLDOWN && sk->until_usec == t + 62 * SEC);
        /* Compaction's back-off ends first: it is tried again before reclaim. */
        decide_at(w, t + 122 * SEC);
        CHECK_ACTS(w, DF_LEVER_COMPACT_NODE);
        world_free(w);
}

/* Contended (the kernel stopped early): what it gained resets the back-off,
 * but the next rung goes first until compaction's wait ends. An error too. */
static void test_contended_climbs(void) {
        struct world *w = short_world(DF_LEVER_CLEAR_KMOD);
        uint64_t t = w->now;

        hint_clear(w, 0, "Normal", 3);
        decide_at(w, t);
        CHECK_INT(w->d.actions[0].lever, DF_LEVER_COMPACT_NODE);
        record_full(w, DF_LEVER_COMPACT_NODE, 0, DF_OUTCOME_CONTENDED, true, 10, 12, false, t + 2 * SEC);
        CHECK_INT(rung(w, 0, DF_LEVER_COMPACT_NODE)->consecutive_no_gain, 0);
        CHECK_U64(rung(w, 0, DF_LEVER_COMPACT_NODE)->backoff_usec, 60 * SEC);
        CHECK(rung(w, 0, DF_LEVER_COMPACT_NODE)->yield);

        decide_at(w, t + 3 * SEC);
        CHECK_SKIP(w, 0, DF_LEVER_COMPACT_NODE, DF_SKIP_CONTENDED);
        CHECK_ACTS(w, DF_LEVER_CLEAR_KMOD);

        /* clear-kmod fails (EBUSY: an unmovable page): it backs off on its own clock */
        {
                struct df_action_result r = { .lever = DF_LEVER_CLEAR_KMOD, .node = 0, .outcome = DF_OUTCOME_BUSY,
                                              .error = -EBUSY };

                df_policy_record(w->c, &r, t + 4 * SEC, &w->st);
        }
        CHECK_U64(rung(w, 0, DF_LEVER_CLEAR_KMOD)->backoff_usec, 2 * SEC); /* [ClearKmod] CooldownSec=1s, doubled */
        CHECK_U64(rung(w, 0, DF_LEVER_COMPACT_NODE)->backoff_usec, 60 * SEC);
        decide_at(w, t + 5 * SEC);
        CHECK_IDLE_SKIP(w, 0, DF_LEVER_CLEAR_KMOD, DF_SKIP_BACKOFF);
        world_free(w);
}

/* [Trend] ActBeforeSec=: a cell the trend says will be short acts as short,
 * with the same rungs, without changing its hysteresis state. */
static void test_act_early(void) {
        struct world *w = world_new();
        struct df_ladder_hint *h = hint(w, 0, "Normal");

        fake_zone(&w->f, 0, "Normal", 100); /* above Low=64: OK */
        decide_at(w, w->now);
        CHECK_INT(w->d.n_actions, 0);
        h->act_early_orders = UINT32_C(1) << 9;
        decide_at(w, w->now + SEC);
        CHECK_ACTS(w, DF_LEVER_COMPACT_NODE);
        CHECK_INT(df_policy_cell_state(&w->st, 0, "Normal", 9), DF_STATE_OK);
        /* another order's bit does not count */
        h->act_early_orders = UINT32_C(1) << 4;
        decide_at(w, w->now + 120 * SEC);
        CHECK_INT(w->d.n_actions, 0);
        world_free(w);
}

/* The clear rungs need the planner's candidates in a short zone of the node. */
static void test_clear_needs_candidates(void) {
        struct world *w = short_world(DF_LEVER_CLEAR_OFFLINE);

        w->c->compaction_enabled = false;
        fake_zone(&w->f, 0, "Movable", 20);
        decide_at(w, w->now);
        CHECK_IDLE_SKIP(w, 0, DF_LEVER_COMPACT_NODE, DF_SKIP_DISABLED);
        CHECK_SKIP(w, 0, DF_LEVER_CLEAR_OFFLINE, DF_SKIP_NO_CANDIDATE);

        hint_clear(w, 0, "Movable", 1);
        hint_clear(w, 1, "Normal", 5); /* another node's candidates do not count */
        decide_at(w, w->now + SEC);
        CHECK_ACTS(w, DF_LEVER_CLEAR_OFFLINE);
        CHECK_STR(w->d.actions[0].target.zone, "Movable"); /* where the candidate is, not the worst zone */
        CHECK_INT(w->d.actions[0].target.memory_block, -1); /* the planner names the block */
        CHECK_U64(w->d.actions[0].planned_pages, 4100);      /* its cheapest candidate's cost */
        world_free(w);
}

/* Reclaim: at once when memory itself is short (index in [0, 500]); on a
 * fragmented node only after a cheaper rung ran and did not help; never
 * under the pressure guard; reclaim-cgroup needs a candidate. */
static void test_reclaim_guard(void) {
        struct world *w = short_world(DF_LEVER_RECLAIM_NODE);
        struct df_ladder_hint *h;
        struct df_zone *z;

        present(w, DF_LEVER_RECLAIM_CGROUP);
        LADDER(w, DF_LEVER_COMPACT_NODE, DF_LEVER_RECLAIM_CGROUP, DF_LEVER_RECLAIM_NODE);

        /* fragmented, nothing tried yet: compaction acts; then in cooldown
         * after a gain, reclaim is not reached */
        decide_at(w, w->now);
        CHECK_INT(w->d.actions[0].lever, DF_LEVER_COMPACT_NODE);

        /* short of memory: two free order-8 blocks, index 0 */
        df_policy_state_init(&w->st);
        z = fake_zone(&w->f, 0, "Normal", 0);
        memset(z->free_blocks, 0, sizeof(z->free_blocks));
        z->free_blocks[8] = 2;
        decide_at(w, w->now + SEC);
        CHECK_SKIP(w, 0, DF_LEVER_COMPACT_NODE, DF_SKIP_NOT_FRAGMENTED);
        CHECK_SKIP(w, 0, DF_LEVER_RECLAIM_CGROUP, DF_SKIP_NO_CANDIDATE);
        CHECK_ACTS(w, DF_LEVER_RECLAIM_NODE);

        /* with a cgroup candidate, the cgroup rung (first in this order) acts */
        df_policy_state_init(&w->st);
        h = hint_reclaim(w, 0, "Normal", NULL);
        /* a candidate with no cgroup named is none */
        decide_at(w, w->now + SEC);
        CHECK_INT(w->d.actions[0].lever, DF_LEVER_RECLAIM_NODE);
        df_policy_state_init(&w->st);
        snprintf(h->reclaim_cgroup, sizeof(h->reclaim_cgroup), "/system.slice/batch.service");
        decide_at(w, w->now + SEC);
        CHECK_ACTS(w, DF_LEVER_RECLAIM_CGROUP);
        /* the action names the aim's cgroup and the deficit to High in bytes: (256 - 0) order-9 blocks */
        CHECK_STR(w->d.actions[0].target.cgroup, "/system.slice/batch.service");
        CHECK_U64(w->d.actions[0].amount, UINT64_C(256) * 512 * 4096);
        CHECK_STR(w->d.actions[0].target.zone, "Normal");

        /* FragmentationThreshold=200: four free order-8 blocks (index 250) count as fragmented */
        df_policy_state_init(&w->st);
        z->free_blocks[8] = 4;
        w->c->fragmentation_threshold = 200;
        decide_at(w, w->now + SEC);
        CHECK_ACTS(w, DF_LEVER_COMPACT_NODE);
        w->c->fragmentation_threshold = 500;

        /* pressure: nothing acts, reclaim least of all */
        df_policy_state_init(&w->st);
        psi(&w->f, 50.0);
        decide_at(w, w->now + SEC);
        CHECK_INT(w->d.n_actions, 0);
        CHECK_INT(w->d.n_skips, 1);
        CHECK_INT(w->d.skips[0].reason, DF_SKIP_PRESSURE);
        world_free(w);
}

/* Fragmented (compaction could help) but compaction was contended: the
 * cgroup rung acts next, for the aim's cgroup; without a candidate it is
 * skipped and nothing else runs. */
static void test_reclaim_cgroup_after_contended(void) {
        struct world *w = short_world(DF_LEVER_RECLAIM_CGROUP);
        struct df_ladder_hint *h = hint_reclaim(w, 0, "Normal", "/system.slice/a.service");
        const struct df_skip *sk;
        uint64_t t = w->now;

        LADDER(w, DF_LEVER_COMPACT_NODE, DF_LEVER_RECLAIM_CGROUP);
        decide_at(w, t);
        CHECK_INT(w->d.actions[0].lever, DF_LEVER_COMPACT_NODE);
        sk = skip_rung(&w->d, 0, DF_LEVER_RECLAIM_CGROUP);
        CHECK(!sk); /* not reached: compaction acted */
        record_full(w, DF_LEVER_COMPACT_NODE, 0, DF_OUTCOME_CONTENDED, true, 10, 12, false, t + 2 * SEC);

        decide_at(w, t + 3 * SEC);
        CHECK_ACTS(w, DF_LEVER_RECLAIM_CGROUP);
        CHECK_STR(w->d.actions[0].target.cgroup, "/system.slice/a.service");
        CHECK_U64(w->d.actions[0].amount, (UINT64_C(256) - 10) * 512 * 4096);
        /* it ran and gained: its own cooldown, compaction still backing off */
        record_full(w, DF_LEVER_RECLAIM_CGROUP, 0, DF_OUTCOME_DONE, true, 10, 30, false, t + 4 * SEC);
        decide_at(w, t + 5 * SEC);
        CHECK_IDLE_SKIP(w, 0, DF_LEVER_RECLAIM_CGROUP, DF_SKIP_COOLDOWN);

        /* no candidate (the aim found none): skipped with its reason */
        df_policy_state_init(&w->st);
        h->reclaim_candidate = false;
        decide_at(w, t + 6 * SEC);
        record_full(w, DF_LEVER_COMPACT_NODE, 0, DF_OUTCOME_CONTENDED, true, 10, 10, false, t + 7 * SEC);
        decide_at(w, t + 8 * SEC);
        CHECK_IDLE_SKIP(w, 0, DF_LEVER_RECLAIM_CGROUP, DF_SKIP_NO_CANDIDATE);
        world_free(w);
}

/* A fragmented node: reclaim only once compaction ran and did not help. */
static void test_reclaim_after_fragmented_fails(void) {
        struct world *w = short_world(DF_LEVER_RECLAIM_NODE);
        uint64_t t = w->now;

        w->c->max_actions_per_hour = 0;
        w->c->cooldown_usec = SEC;
        decide_at(w, t);
        record_full(w, DF_LEVER_COMPACT_NODE, 0, DF_OUTCOME_DONE, true, 10, 30, false, t + SEC);
        decide_at(w, t + SEC + SEC / 2); /* cooldown after a gain */
        CHECK_INT(w->d.n_actions, 0);
        CHECK(!skip_rung(&w->d, 0, DF_LEVER_RECLAIM_NODE));
        /* compaction's back-off over, it runs again: reclaim stays unreached */
        decide_at(w, t + 3 * SEC);
        CHECK_INT(w->d.actions[0].lever, DF_LEVER_COMPACT_NODE);
        /* reclaim disabled: the walk passes it, nothing else acts */
        record_full(w, DF_LEVER_COMPACT_NODE, 0, DF_OUTCOME_DONE, true, 30, 30, false, t + 4 * SEC);
        w->c->levers[DF_LEVER_RECLAIM_NODE].enabled = false;
        decide_at(w, t + 4 * SEC);
        CHECK_IDLE_SKIP(w, 0, DF_LEVER_RECLAIM_NODE, DF_SKIP_DISABLED);
        w->c->levers[DF_LEVER_RECLAIM_NODE].enabled = true;
        /* [Reclaim] NodeReclaim=no (the default) disables it the same way */
        w->c->reclaim.node_reclaim = false;
        decide_at(w, t + 4 * SEC);
        CHECK_SKIP(w, 0, DF_LEVER_RECLAIM_NODE, DF_SKIP_DISABLED);
        w->c->reclaim.node_reclaim = true;
        decide_at(w, t + 4 * SEC);
        CHECK_ACTS(w, DF_LEVER_RECLAIM_NODE);
        world_free(w);
}

/* A ladder with no cheaper rung that could run ([Ladder] Order=reclaim-node,
 * or compaction turned off): on a fragmented node reclaim is the cheapest
 * rung, so "the cheaper rungs did not help" holds and it acts; an absent
 * cheaper rung does not count, a present one (even a knob lever) does. */
static void test_reclaim_alone_on_fragmented(void) {
        struct world *w = short_world(DF_LEVER_RECLAIM_NODE);

        LADDER(w, DF_LEVER_RECLAIM_NODE);
        decide_at(w, w->now);
        CHECK_ACTS(w, DF_LEVER_RECLAIM_NODE);

        df_policy_state_init(&w->st);
        LADDER(w, DF_LEVER_COMPACT_NODE, DF_LEVER_RECLAIM_NODE);
        w->c->compaction_enabled = false; /* [Compaction] Enable=no */
        decide_at(w, w->now + SEC);
        CHECK_ACTS(w, DF_LEVER_RECLAIM_NODE);
        w->c->compaction_enabled = true;

        df_policy_state_init(&w->st);
        w->in.lever_present[DF_LEVER_COMPACT_NODE] = false; /* absent on this kernel */
        decide_at(w, w->now + 2 * SEC);
        CHECK_ACTS(w, DF_LEVER_RECLAIM_NODE);
        w->in.lever_present[DF_LEVER_COMPACT_NODE] = true;

        /* proactiveness while short is a cheaper rung that is trying */
        df_policy_state_init(&w->st);
        LADDER(w, DF_LEVER_PROACTIVENESS, DF_LEVER_RECLAIM_NODE);
        w->c->proactiveness_while_short = 100;
        decide_at(w, w->now + 3 * SEC);
        CHECK_IDLE_SKIP(w, 0, DF_LEVER_RECLAIM_NODE, DF_SKIP_FRAGMENTED);
        world_free(w);
}

/* [Reclaim] PressureLimitPercent=5: PSI above it (the guard's figure, less
 * direct compaction by default) passes the reclaim rungs over without a run,
 * so no back-off is charged; once PSI is back under it reclaim acts. */
static void test_reclaim_pressure_pass_over(void) {
        struct world *w = short_world(DF_LEVER_RECLAIM_NODE);
        const struct df_rung_state *rs;

        LADDER(w, DF_LEVER_RECLAIM_NODE);
        psi(&w->f, 8.0); /* under PressureGuardPercent=20, over 5 */
        decide_at(w, w->now);
        CHECK(!w->d.pressure_high);
        CHECK(w->d.reclaim_pressure_high);
        CHECK_IDLE_SKIP(w, 0, DF_LEVER_RECLAIM_NODE, DF_SKIP_PRESSURE);
        rs = rung(w, 0, DF_LEVER_RECLAIM_NODE);
        CHECK(rs);
        if (!rs) {
                world_free(w);
                return;
        }
        CHECK_U64(rs->runs, 0);
        CHECK_U64(rs->backoff_usec, 0);
        CHECK_INT(rs->consecutive_no_gain, 0);

        /* 6 of the 8 points are the consumer's direct compaction: 2% counts */
        w->f.s.psi.some_compaction_avg10 = 6.0;
        decide_at(w, w->now + SEC);
        CHECK(!w->d.reclaim_pressure_high);
        CHECK_ACTS(w, DF_LEVER_RECLAIM_NODE);
        world_free(w);
}

/* Node reclaim that took mostly slab and freed no block (a polluted
 * pageblock frees only once most of its slab is gone) keeps its cooldown
 * once; the second such write in a row doubles it. A write that took page
 * cache and gained nothing doubles at once. */
static void test_reclaim_node_slab_on_its_way(void) {
        struct world *w = short_world(DF_LEVER_RECLAIM_NODE);
        struct df_action_result r = {
                .lever = DF_LEVER_RECLAIM_NODE, .node = 0, .outcome = DF_OUTCOME_DONE, .gain_known = true,
                .suitable_before = 0, .suitable_after = 0,
                .amount_done = UINT64_C(120) << 20, .slab_bytes = UINT64_C(100) << 20,
        };
        const struct df_rung_state *rs;
        struct df_lever_conf lc;
        uint64_t t = w->now;

        LADDER(w, DF_LEVER_RECLAIM_NODE);
        df_policy_lever_conf(w->c, DF_LEVER_RECLAIM_NODE, &lc);
        CHECK(lc.backoff_max_usec >= 4 * lc.cooldown_usec);
        decide_at(w, t);
        CHECK_ACTS(w, DF_LEVER_RECLAIM_NODE);
        df_policy_record(w->c, &r, t + SEC, &w->st);
        rs = rung(w, 0, DF_LEVER_RECLAIM_NODE);
        CHECK(rs);
        if (!rs) {
                world_free(w);
                return;
        }
        CHECK_U64(rs->backoff_usec, lc.cooldown_usec);
        CHECK_INT(rs->consecutive_no_gain, 1);
        decide_at(w, t + SEC + lc.cooldown_usec);
        CHECK_ACTS(w, DF_LEVER_RECLAIM_NODE);
        df_policy_record(w->c, &r, t + 2 * SEC + lc.cooldown_usec, &w->st);
        CHECK_U64(rs->backoff_usec, 2 * lc.cooldown_usec);
        CHECK_INT(rs->consecutive_no_gain, 2);

        /* page cache, not slab: no block, and the wait doubles at once */
        df_policy_state_init(&w->st);
        r.slab_bytes = UINT64_C(20) << 20;
        decide_at(w, t + 3 * SEC);
        CHECK_ACTS(w, DF_LEVER_RECLAIM_NODE);
        df_policy_record(w->c, &r, t + 4 * SEC, &w->st);
        rs = rung(w, 0, DF_LEVER_RECLAIM_NODE);
        CHECK(rs && rs->backoff_usec == 2 * lc.cooldown_usec);
        world_free(w);
}

/* Each lever has its own hourly budget inside the total. */
static void test_budget_per_lever(void) {
        struct world *w = short_world(DF_LEVER_CLEAR_KMOD);
        const struct df_skip *sk;
        uint64_t t = w->now;

        hint_clear(w, 0, "Normal", 2);
        w->c->cooldown_usec = SEC;
        w->c->levers[DF_LEVER_CLEAR_KMOD].cooldown_usec = SEC;
        w->c->levers[DF_LEVER_COMPACT_NODE].max_actions_per_hour = 2;
        decide_at(w, t);
        CHECK_INT(w->d.actions[0].lever, DF_LEVER_COMPACT_NODE);
        decide_at(w, t + 10 * SEC);
        CHECK_INT(w->d.actions[0].lever, DF_LEVER_COMPACT_NODE);
        decide_at(w, t + 20 * SEC);
        sk = skip_rung(&w->d, 0, DF_LEVER_COMPACT_NODE);
        CHECK(sk && sk->reason == DF_SKIP_LEVER_BUDGET && sk->until_usec == t + 3600 * SEC);
        CHECK_ACTS(w, DF_LEVER_CLEAR_KMOD);
        CHECK_U64(w->st.budget.count, 3);
        CHECK_U64(w->st.lever_budget[DF_LEVER_COMPACT_NODE].count, 2);
        CHECK_U64(w->st.lever_budget[DF_LEVER_CLEAR_KMOD].count, 1);

        /* the total stops every rung */
        w->c->max_actions_per_hour = 4;
        decide_at(w, t + 30 * SEC);
        CHECK_INT(w->d.actions[0].lever, DF_LEVER_CLEAR_KMOD);
        decide_at(w, t + 40 * SEC);
        CHECK_INT(w->d.n_actions, 0);
        CHECK_INT(w->d.n_skips, 1);
        sk = skip_rung(&w->d, 0, DF_LEVER_COMPACT_NODE);
        CHECK(sk && sk->reason == DF_SKIP_BUDGET && sk->until_usec == t + 3600 * SEC);

        /* an hour on, compaction is first again */
        decide_at(w, t + 3600 * SEC);
        CHECK_ACTS(w, DF_LEVER_COMPACT_NODE);
        world_free(w);
}

/* Back-off is per (node, lever): one node's failures leave the other alone. */
static void test_backoff_per_lever(void) {
        struct world *w = short_world(DF_LEVER_RECLAIM_NODE);
        uint64_t t = w->now;

        w->c->levers[DF_LEVER_RECLAIM_NODE].cooldown_usec = 30 * SEC;
        w->c->levers[DF_LEVER_RECLAIM_NODE].backoff_max_usec = 90 * SEC;
        fake_zone(&w->f, 1, "Normal", 10);
        decide_at(w, t);
        CHECK_INT(w->d.n_actions, 2);
        record_full(w, DF_LEVER_COMPACT_NODE, 0, DF_OUTCOME_DONE, true, 10, 10, false, t + SEC);
        record_full(w, DF_LEVER_COMPACT_NODE, 1, DF_OUTCOME_DONE, true, 10, 50, false, t + SEC);
        decide_at(w, t + 2 * SEC);
        CHECK_INT(w->d.n_actions, 1);
        CHECK_INT(w->d.actions[0].target.node, 0);
        CHECK_INT(w->d.actions[0].lever, DF_LEVER_RECLAIM_NODE);
        record_full(w, DF_LEVER_RECLAIM_NODE, 0, DF_OUTCOME_PARTIAL, true, 10, 10, false, t + 3 * SEC);
        CHECK_U64(rung(w, 0, DF_LEVER_RECLAIM_NODE)->backoff_usec, 60 * SEC);
        record_full(w, DF_LEVER_RECLAIM_NODE, 0, DF_OUTCOME_PARTIAL, true, 10, 10, false, t + 4 * SEC);
        CHECK_U64(rung(w, 0, DF_LEVER_RECLAIM_NODE)->backoff_usec, 90 * SEC); /* its own maximum */
        CHECK_U64(rung(w, 0, DF_LEVER_COMPACT_NODE)->backoff_usec, 120 * SEC);
        CHECK_U64(rung(w, 1, DF_LEVER_COMPACT_NODE)->backoff_usec, 60 * SEC);
        CHECK_INT(rung(w, 1, DF_LEVER_RECLAIM_NODE)->runs, 0);
        /* a gain resets only that rung */
        record_full(w, DF_LEVER_RECLAIM_NODE, 0, DF_OUTCOME_DONE, true, 10, 20, false, t + 100 * SEC);
        CHECK_U64(rung(w, 0, DF_LEVER_RECLAIM_NODE)->backoff_usec, 30 * SEC);
        CHECK_U64(rung(w, 0, DF_LEVER_COMPACT_NODE)->backoff_usec, 120 * SEC);
        world_free(w);
}

/* A failed re-read after the run: gain unknown, neither no gain (no doubling,
 * no climbing) nor a gain (no reset). */
static void test_unknown_gain(void) {
        struct world *w = short_world(DF_LEVER_RECLAIM_NODE);
        uint64_t t = w->now;

        decide_at(w, t);
        record_full(w, DF_LEVER_COMPACT_NODE, 0, DF_OUTCOME_DONE, false, 10, 10, false, t + SEC);
        CHECK_INT(rung(w, 0, DF_LEVER_COMPACT_NODE)->consecutive_no_gain, 0);
        CHECK_U64(rung(w, 0, DF_LEVER_COMPACT_NODE)->backoff_usec, 60 * SEC);
        CHECK(!rung(w, 0, DF_LEVER_COMPACT_NODE)->last_gain_known);
        decide_at(w, t + 2 * SEC);
        CHECK_IDLE_SKIP(w, 0, DF_LEVER_COMPACT_NODE, DF_SKIP_COOLDOWN);

        /* after a no-gain run (wait 120 s), an unknown one keeps 120 s and the count */
        record_full(w, DF_LEVER_COMPACT_NODE, 0, DF_OUTCOME_DONE, true, 10, 10, false, t + 61 * SEC);
        CHECK_U64(rung(w, 0, DF_LEVER_COMPACT_NODE)->backoff_usec, 120 * SEC);
        record_full(w, DF_LEVER_COMPACT_NODE, 0, DF_OUTCOME_DONE, false, 10, 10, false, t + 200 * SEC);
        CHECK_U64(rung(w, 0, DF_LEVER_COMPACT_NODE)->backoff_usec, 120 * SEC);
        CHECK_INT(rung(w, 0, DF_LEVER_COMPACT_NODE)->consecutive_no_gain, 1);
        CHECK_U64(rung(w, 0, DF_LEVER_COMPACT_NODE)->next_allowed_usec, t + 320 * SEC);

        /* interrupted and dry-run results change nothing */
        record_full(w, DF_LEVER_COMPACT_NODE, 0, DF_OUTCOME_INTERRUPTED, false, 10, 10, false, t + 300 * SEC);
        record_full(w, DF_LEVER_COMPACT_NODE, 0, DF_OUTCOME_DRY_RUN, false, 10, 10, false, t + 300 * SEC);
        CHECK_U64(rung(w, 0, DF_LEVER_COMPACT_NODE)->next_allowed_usec, t + 320 * SEC);
        CHECK_INT(rung(w, 0, DF_LEVER_COMPACT_NODE)->runs, 3);
        world_free(w);
}

/* compact_memory instead of nodeN/compact compacted every node: each waits. */
static void test_machine_wide(void) {
        struct world *w = short_world(DF_LEVER_NONE);
        uint64_t t = w->now;

        fake_zone(&w->f, 1, "Normal", 10);
        decide_at(w, t);
        CHECK_INT(w->d.n_actions, 2);
        record_full(w, DF_LEVER_COMPACT_NODE, 0, DF_OUTCOME_DONE, true, 10, 10, true, t + 2 * SEC);
        CHECK_INT(rung(w, 1, DF_LEVER_COMPACT_NODE)->consecutive_no_gain, 1);
        CHECK_U64(rung(w, 1, DF_LEVER_COMPACT_NODE)->next_allowed_usec, t + 122 * SEC);
        decide_at(w, t + 61 * SEC);
        CHECK_INT(w->d.n_actions, 0);
        world_free(w);
}

/* One lever at a time: while one runs, the ladder waits; knobs still follow. */
static void test_busy(void) {
        struct world *w = short_world(DF_LEVER_NONE);
        const struct df_skip *sk;

        w->c->proactiveness_while_short = 55;
        w->in.lever_busy = true;
        decide_at(w, w->now);
        CHECK_INT(w->d.n_actions, 0);
        sk = skip_of(&w->d, 0);
        CHECK(sk && sk->reason == DF_SKIP_BUSY);
        CHECK(knob(&w->d) && knob(&w->d)->engaged);
        CHECK_U64(w->st.budget.count, 0);
        w->in.lever_busy = false;
        decide_at(w, w->now + SEC);
        CHECK_INT(w->d.n_actions, 1);
        world_free(w);
}

/* A lever this kernel lacks is passed over without a skip entry. */
static void test_absent(void) {
        struct world *w = short_world(DF_LEVER_CLEAR_KMOD);

        w->in.lever_present[DF_LEVER_COMPACT_NODE] = false;
        hint_clear(w, 0, "Normal", 1);
        decide_at(w, w->now);
        CHECK_INT(w->d.n_skips, 0);
        CHECK_ACTS(w, DF_LEVER_CLEAR_KMOD);
        CHECK_INT(rung(w, 0, DF_LEVER_COMPACT_NODE)->last_skip, DF_SKIP_ABSENT);
        world_free(w);
}

/* ProactivenessWhileShort=: engaged while a short cell compaction can help
 * exists; restored under pressure, Enable=no, dry run, when not listed in
 * Order=, absent, not short, or after a reload that drops it. */
static void test_knob_desired_state(void) {
        struct world *w = short_world(DF_LEVER_NONE);
        struct df_config *c2;
        const struct df_knob_desire *k;
        struct df_zone *z;

        decide_at(w, w->now);
        k = knob(&w->d);
        CHECK(k && !k->engaged && k->why_not == DF_SKIP_DISABLED); /* empty: leave it alone */

        w->c->proactiveness_while_short = 55;
        decide_at(w, w->now + SEC);
        k = knob(&w->d);
        CHECK(k && k->engaged);
        if (k)
                CHECK_STR(k->value, "55");

        psi(&w->f, 30.0);
        decide_at(w, w->now + SEC);
        k = knob(&w->d);
        CHECK(k && !k->engaged && k->why_not == DF_SKIP_PRESSURE);
        psi(&w->f, 0.0);

        w->c->compaction_enabled = false;
        decide_at(w, w->now + SEC);
        k = knob(&w->d);
        CHECK(k && !k->engaged && k->why_not == DF_SKIP_DISABLED);
        w->c->compaction_enabled = true;

        w->c->dry_run = true;
        decide_at(w, w->now + SEC);
        k = knob(&w->d);
        CHECK(k && !k->engaged && k->why_not == DF_SKIP_DRY_RUN);
        w->c->dry_run = false;

        w->in.lever_present[DF_LEVER_PROACTIVENESS] = false;
        decide_at(w, w->now + SEC);
        k = knob(&w->d);
        CHECK(k && !k->engaged && k->why_not == DF_SKIP_ABSENT);
        w->in.lever_present[DF_LEVER_PROACTIVENESS] = true;

        w->c->ladder[1] = DF_LEVER_CLEAR_KMOD; /* Order= without proactiveness */
        decide_at(w, w->now + SEC);
        k = knob(&w->d);
        CHECK(k && !k->engaged && k->why_not == DF_SKIP_DISABLED);
        w->c->ladder[1] = DF_LEVER_PROACTIVENESS;

        /* short, but only for lack of memory: compaction (and so the knob) cannot help */
        z = fake_zone(&w->f, 0, "Normal", 0);
        memset(z->free_blocks, 0, sizeof(z->free_blocks));
        z->free_blocks[8] = 2;
        decide_at(w, w->now + SEC);
        CHECK(w->d.any_short && !w->d.any_helpable);
        k = knob(&w->d);
        CHECK(k && !k->engaged && k->why_not == DF_SKIP_NOT_SHORT);

        /* back at High */
        memset(z->free_blocks, 0, sizeof(z->free_blocks));
        z->free_blocks[9] = 300;
        decide_at(w, w->now + SEC);
        CHECK(!w->d.any_short);
        k = knob(&w->d);
        CHECK(k && !k->engaged && k->why_not == DF_SKIP_NOT_SHORT);

        /* short again, then a reload that keeps it: still engaged; one that drops it: restored */
        z->free_blocks[9] = 10;
        decide_at(w, w->now + SEC);
        CHECK(knob(&w->d) && knob(&w->d)->engaged);
        c2 = config();
        c2->proactiveness_while_short = 55;
        df_policy_reconfigure(c2, &w->st);
        free(w->c);
        w->c = c2;
        decide_at(w, w->now + SEC);
        CHECK(knob(&w->d) && knob(&w->d)->engaged);
        CHECK_INT(df_policy_cell_state(&w->st, 0, "Normal", 9), DF_STATE_SHORT);
        w->c->proactiveness_while_short = -1;
        df_policy_reconfigure(w->c, &w->st);
        decide_at(w, w->now + SEC);
        k = knob(&w->d);
        CHECK(k && !k->engaged && k->why_not == DF_SKIP_DISABLED);
        world_free(w);
}

/* The pace of each lever comes from its config; compaction's from [Compaction]. */
static void test_lever_conf(void) {
        struct df_config *c = config();
        struct df_lever_conf lc;

        c->cooldown_usec = 5 * SEC;
        c->backoff_max_usec = 50 * SEC;
        c->levers[DF_LEVER_COMPACT_NODE].timeout_usec = 7 * SEC;
        df_policy_lever_conf(c, DF_LEVER_COMPACT_NODE, &lc);
        CHECK(lc.enabled);
        CHECK_U64(lc.cooldown_usec, 5 * SEC);
        CHECK_U64(lc.backoff_max_usec, 50 * SEC);
        CHECK_U64(lc.timeout_usec, 7 * SEC);
        df_policy_lever_conf(c, DF_LEVER_PROACTIVENESS, &lc);
        CHECK(!lc.enabled); /* ProactivenessWhileShort= empty */
        df_policy_lever_conf(c, DF_LEVER_RECLAIM_NODE, &lc);
        CHECK(lc.enabled);
        CHECK_U64(lc.cooldown_usec, 60 * SEC);
        c->compaction_enabled = false;
        df_policy_lever_conf(c, DF_LEVER_COMPACT_NODE, &lc);
        CHECK(!lc.enabled);
        CHECK_INT(c->n_ladder, 6);
        CHECK_INT(c->ladder[0], DF_LEVER_COMPACT_NODE);
        CHECK_INT(c->ladder[5], DF_LEVER_RECLAIM_CGROUP);
        CHECK_INT(c->fragmentation_threshold, 500);
        free(c);
}

int main(void) {
        RUN(test_compaction_gains);
        RUN(test_compaction_no_gain_climbs);
        RUN(test_contended_climbs);
        RUN(test_clear_needs_candidates);
        RUN(test_act_early);
        RUN(test_reclaim_guard);
        RUN(test_reclaim_after_fragmented_fails);
        RUN(test_reclaim_alone_on_fragmented);
        RUN(test_reclaim_pressure_pass_over);
        RUN(test_reclaim_node_slab_on_its_way);
        RUN(test_reclaim_cgroup_after_contended);
        RUN(test_budget_per_lever);
        RUN(test_backoff_per_lever);
        RUN(test_unknown_gain);
        RUN(test_machine_wide);
        RUN(test_busy);
        RUN(test_absent);
        RUN(test_knob_desired_state);
        RUN(test_lever_conf);
        return tp_finish();
}
