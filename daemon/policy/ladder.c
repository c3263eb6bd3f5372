/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ladder, pure: per short node, the cheapest rung of [Ladder] Order= whose
 * guard passes acts; each (node, lever) keeps its own cooldown and back-off,
 * each lever its own hourly budget under the total; knob levers are a desired state. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "defragd/policy.h"
#include "defragd/util.h"
#include "ladder.h"

/* Bytes per page for reclaim amounts: the pure policy has no sysconf(); every
 * machine defragd runs on today has 4 KiB pages (the reclaim lever may rescale). */
#define LADDER_PAGE_BYTES 4096

/* ---- budgets: timestamps of the actions of the last hour, oldest at head ---- */

static void budget_expire_one(struct df_budget *b, uint64_t now_usec) {
        while (b->count > 0 && df_add_sat(b->ring[b->head], HOUR_USEC) <= now_usec) {
                b->head = (b->head + 1) % DF_POLICY_BUDGET_SLOTS;
                b->count--;
        }
}

void df_ladder_budget_expire(struct df_policy_state *st, uint64_t now_usec) {
        budget_expire_one(&st->budget, now_usec);
        for (int k = 0; k < _DF_LEVER_MAX; k++)
                budget_expire_one(&st->lever_budget[k], now_usec);
}

static void budget_push(struct df_budget *b, uint64_t now_usec) {
        if (b->count == DF_POLICY_BUDGET_SLOTS) { /* only when unlimited: forget the oldest */
                b->head = (b->head + 1) % DF_POLICY_BUDGET_SLOTS;
                b->count--;
        }
        b->ring[(b->head + b->count) % DF_POLICY_BUDGET_SLOTS] = now_usec;
        b->count++;
}

/* Full: when the oldest counted action leaves the hour, in *until. */
static bool budget_full(const struct df_budget *b, unsigned max_per_hour, uint64_t *until) {
        if (max_per_hour == 0 || b->count < max_per_hour)
                return false;
        *until = df_add_sat(b->ring[b->head], HOUR_USEC);
        return true;
}

/* ---- per-lever configuration ---- */

void df_policy_lever_conf(const struct df_config *c, enum df_lever_kind k, struct df_lever_conf *ret) {
        assert(c && ret);
        *ret = k > DF_LEVER_NONE && k < _DF_LEVER_MAX ? c->levers[k] : (struct df_lever_conf) { 0 };
        if (k == DF_LEVER_COMPACT_NODE || k == DF_LEVER_PROACTIVENESS) {
                /* [Compaction] Enable=no turns off both ways of compacting. */
                ret->enabled = ret->enabled && c->compaction_enabled;
                ret->cooldown_usec = c->cooldown_usec;
                ret->backoff_max_usec = c->backoff_max_usec;
        }
        if (k == DF_LEVER_PROACTIVENESS)
                ret->enabled = ret->enabled && c->proactiveness_while_short >= 0;
        /* [Reclaim] Enable=no (the default) turns off both; NodeReclaim=no the node rung. */
        if (k == DF_LEVER_RECLAIM_CGROUP || k == DF_LEVER_RECLAIM_NODE)
                ret->enabled = ret->enabled && c->reclaim.enabled;
        if (k == DF_LEVER_RECLAIM_NODE)
                ret->enabled = ret->enabled && c->reclaim.node_reclaim;
        if (ret->backoff_max_usec < ret->cooldown_usec)
                ret->backoff_max_usec = ret->cooldown_usec;
}

/* Levers that are a standing knob state, not a step (each has its guard in
 * df_ladder_decide_knobs). */
static const enum df_lever_kind knob_levers[] = { DF_LEVER_PROACTIVENESS };

static bool is_knob_lever(enum df_lever_kind k) {
        for (size_t i = 0; i < ELEMENTSOF(knob_levers); i++)
                if (knob_levers[i] == k)
                        return true;
        return false;
}

static bool in_ladder(const struct df_config *c, enum df_lever_kind k) {
        for (unsigned i = 0; i < c->n_ladder && i < DF_LADDER_MAX_RUNGS; i++)
                if (c->ladder[i] == k)
                        return true;
        return false;
}

/* ---- one node ---- */

static void add_skip(struct df_decision *out, int node, enum df_lever_kind lever, const struct cell *cl,
                     enum df_skip_reason reason, uint64_t until_usec) {
        struct df_skip *sk;

        if (out->n_skips >= DF_POLICY_MAX_ITEMS) {
                out->n_dropped++;
                return;
        }
        sk = &out->skips[out->n_skips++];
        *sk = (struct df_skip) { .node = node, .lever = lever, .order = cl->order, .reason = reason, .until_usec = until_usec };
        snprintf(sk->zone, sizeof(sk->zone), "%s", cl->zone ? cl->zone : "");
}

/* The rung's guard: the cell it would act for, or a reason it cannot help. */
static enum df_skip_reason guard(enum df_lever_kind k, const struct node_agg *agg, bool climbed,
                                 const struct cell **ret) {
        *ret = NULL;
        switch (k) {
        case DF_LEVER_COMPACT_NODE:
                *ret = &agg->worst_helpable;
                return agg->worst_helpable.set ? DF_SKIP_NONE : DF_SKIP_NOT_FRAGMENTED;
        case DF_LEVER_CLEAR_KMOD:
        case DF_LEVER_CLEAR_OFFLINE:
                *ret = &agg->worst_clear;
                return agg->worst_clear.set ? DF_SKIP_NONE : DF_SKIP_NO_CANDIDATE;
        case DF_LEVER_RECLAIM_NODE:
                /* Short of memory, or the cheaper rungs ran and did not help
                 * (climbed; also when the ladder has no cheaper rung that could run). */
                *ret = agg->worst_lack.set ? &agg->worst_lack : &agg->worst_short;
                return agg->worst_lack.set || climbed ? DF_SKIP_NONE : DF_SKIP_FRAGMENTED;
        case DF_LEVER_RECLAIM_CGROUP:
                *ret = &agg->worst_reclaim;
                if (!agg->worst_reclaim.set)
                        return DF_SKIP_NO_CANDIDATE;
                return agg->worst_lack.set || climbed ? DF_SKIP_NONE : DF_SKIP_FRAGMENTED;
        default:
                return DF_SKIP_DISABLED;
        }
}

static void act(const struct df_config *c, enum df_lever_kind k, const struct df_lever_conf *lc, uint64_t now_usec,
                struct df_policy_state *st, struct df_node_state *ns, const struct node_agg *agg, const struct cell *cl,
                struct df_decision *out) {
        struct df_rung_state *rs = &ns->rung[k];
        struct df_action *a;

        if (out->n_actions >= DF_POLICY_MAX_ITEMS) {
                out->n_dropped++;
                return;
        }
        a = &out->actions[out->n_actions++];
        *a = (struct df_action) {
                .lever = k,
                .target = { .node = ns->node, .order = cl->order, .memory_block = -1 },
                .suitable_blocks = cl->suitable,
                .target_high_blocks = cl->high,
                .dry_run = c->dry_run,
        };
        snprintf(a->target.zone, sizeof(a->target.zone), "%s", cl->zone);
        if (k == DF_LEVER_RECLAIM_NODE || k == DF_LEVER_RECLAIM_CGROUP) {
                uint64_t deficit_blocks = cl->high > cl->suitable ? cl->high - cl->suitable : 1;

                a->amount = (deficit_blocks << cl->order) * LADDER_PAGE_BYTES;
        }
        if (k == DF_LEVER_RECLAIM_CGROUP && agg->reclaim_cgroup)
                snprintf(a->target.cgroup, sizeof(a->target.cgroup), "%s", agg->reclaim_cgroup);
        if (k == DF_LEVER_CLEAR_KMOD || k == DF_LEVER_CLEAR_OFFLINE)
                a->planned_pages = agg->clear_cost_pages;
        if (rs->backoff_usec < lc->cooldown_usec)
                rs->backoff_usec = lc->cooldown_usec;
        rs->last_action_usec = now_usec;
        rs->next_allowed_usec = df_add_sat(now_usec, rs->backoff_usec);
        rs->yield = false; /* until its result says otherwise */
        rs->last_skip = DF_SKIP_NONE;
        ns->last_lever = k;
        budget_push(&st->budget, now_usec);
        budget_push(&st->lever_budget[k], now_usec);
}

void df_ladder_decide_node(const struct df_config *c, const struct df_ladder_input *in, uint64_t now_usec,
                           bool pressure_high, struct df_policy_state *st, const struct node_agg *agg,
                           struct df_decision *out) {
        const struct cell *first = agg->worst_helpable.set ? &agg->worst_helpable : &agg->worst_short;
        enum df_lever_kind first_rung = c->n_ladder > 0 ? c->ladder[0] : DF_LEVER_COMPACT_NODE;
        struct df_node_state *ns;
        bool climbed = false; /* a cheaper rung ran and did not help */
        bool cheaper_usable = false; /* a rung before this one is present and enabled */

        ns = df_policy_node_state(st, agg->node, true);
        if (!ns) {
                out->n_dropped++; /* more nodes than DF_POLICY_MAX_NODES: no cooldown to pace it, so never act */
                return;
        }
        for (int k = 0; k < _DF_LEVER_MAX; k++)
                ns->rung[k].last_skip = DF_SKIP_NONE;
        if (pressure_high) {
                add_skip(out, agg->node, first_rung, first, DF_SKIP_PRESSURE, 0);
                ns->rung[first_rung].last_skip = DF_SKIP_PRESSURE;
                return;
        }
        if (in->lever_busy) {
                add_skip(out, agg->node, first_rung, first, DF_SKIP_BUSY, 0);
                ns->rung[first_rung].last_skip = DF_SKIP_BUSY;
                return;
        }

        for (unsigned i = 0; i < c->n_ladder && i < DF_LADDER_MAX_RUNGS; i++) {
                enum df_lever_kind k = c->ladder[i];
                struct df_rung_state *rs = &ns->rung[k];
                struct df_lever_conf lc;
                const struct cell *cl = NULL;
                enum df_skip_reason reason = DF_SKIP_NONE;
                uint64_t until = 0;
                bool stop = false;

                df_policy_lever_conf(c, k, &lc);
                if (is_knob_lever(k)) {
                        cheaper_usable = cheaper_usable || (in->lever_present[k] && lc.enabled);
                        continue;
                }
                if (!in->lever_present[k])
                        reason = DF_SKIP_ABSENT;
                else if (!lc.enabled)
                        reason = DF_SKIP_DISABLED;
                else if ((k == DF_LEVER_RECLAIM_NODE || k == DF_LEVER_RECLAIM_CGROUP) && out->reclaim_pressure_high)
                        reason = DF_SKIP_PRESSURE; /* [Reclaim] PressureLimitPercent=: passed over, no back-off */
                else
                        /* With no cheaper rung configured, this one is the
                         * cheapest: "the cheaper rungs did not help" holds. */
                        reason = guard(k, agg, climbed || !cheaper_usable, &cl);
                if (in->lever_present[k] && lc.enabled)
                        cheaper_usable = true;
                if (reason == DF_SKIP_NONE && now_usec < rs->next_allowed_usec) {
                        until = rs->next_allowed_usec;
                        if (rs->yield) {
                                reason = rs->consecutive_no_gain > 0 ? DF_SKIP_BACKOFF : DF_SKIP_CONTENDED;
                                climbed = true;
                        } else {
                                reason = DF_SKIP_COOLDOWN; /* it works: give it time, do not climb */
                                stop = true;
                        }
                }
                if (reason == DF_SKIP_NONE && budget_full(&st->budget, c->max_actions_per_hour, &until)) {
                        reason = DF_SKIP_BUDGET;
                        stop = true;
                }
                if (reason == DF_SKIP_NONE && budget_full(&st->lever_budget[k], lc.max_actions_per_hour, &until))
                        reason = DF_SKIP_LEVER_BUDGET;
                if (reason != DF_SKIP_NONE) {
                        rs->last_skip = reason;
                        rs->last_skip_until_usec = until;
                        if (reason != DF_SKIP_ABSENT) /* a lever this kernel lacks is said once, at start */
                                add_skip(out, agg->node, k, cl && cl->set ? cl : first, reason, until);
                        if (stop)
                                return;
                        continue;
                }
                act(c, k, &lc, now_usec, st, ns, agg, cl, out);
                return;
        }
}

/* ---- knob levers: a desired state ---- */

void df_ladder_decide_knobs(const struct df_config *c, const struct df_ladder_input *in, struct df_decision *out) {
        for (size_t i = 0; i < ELEMENTSOF(knob_levers) && out->n_knobs < DF_POLICY_MAX_KNOBS; i++) {
                enum df_lever_kind k = knob_levers[i];
                struct df_knob_desire *d = &out->knobs[out->n_knobs++];
                struct df_lever_conf lc;

                df_policy_lever_conf(c, k, &lc);
                *d = (struct df_knob_desire) { .lever = k };
                if (!lc.enabled || !in_ladder(c, k))
                        d->why_not = DF_SKIP_DISABLED;
                else if (!in->lever_present[k])
                        d->why_not = DF_SKIP_ABSENT;
                else if (c->dry_run)
                        d->why_not = DF_SKIP_DRY_RUN;
                else if (out->pressure_high)
                        d->why_not = DF_SKIP_PRESSURE;
                else if (!out->any_helpable)
                        d->why_not = DF_SKIP_NOT_SHORT;
                else {
                        d->engaged = true;
                        snprintf(d->value, sizeof(d->value), "%d", c->proactiveness_while_short);
                }
        }
}

/* ---- results ---- */

static void record_rung(const struct df_lever_conf *lc, const struct df_action_result *r, uint64_t now_usec,
                        struct df_rung_state *rs) {
        bool failed = r->error < 0 || r->outcome == DF_OUTCOME_FAILED || r->outcome == DF_OUTCOME_TIMEOUT ||
                r->outcome == DF_OUTCOME_BUSY;
        bool no_gain = failed || (r->gain_known && r->suitable_after <= r->suitable_before);
        uint64_t wait = rs->backoff_usec < lc->cooldown_usec ? lc->cooldown_usec : rs->backoff_usec;
        /* Node reclaim on slab-polluted pageblocks frees a block only once
         * most of its slab is gone: a first write that took mostly slab and
         * freed no block is on its way, not wasted (docs/reclaim.md,
         * "Slab-polluted machines"). It keeps its wait once; a second such
         * write in a row backs off as any other. */
        bool on_its_way = no_gain && !failed && r->lever == DF_LEVER_RECLAIM_NODE && rs->consecutive_no_gain == 0 &&
                r->slab_bytes > 0 && r->slab_bytes >= r->amount_done / 2;

        rs->runs++;
        rs->has_result = true;
        rs->last_outcome = r->outcome;
        rs->last_gain_known = r->gain_known && !failed;
        rs->last_gain_blocks = df_action_gain_blocks(r);
        if (no_gain) {
                rs->consecutive_no_gain++;
                if (!on_its_way)
                        wait = wait > UINT64_MAX / 2 ? UINT64_MAX : wait * 2;
                rs->backoff_usec = wait > lc->backoff_max_usec ? lc->backoff_max_usec : wait;
                rs->yield = true;
        } else {
                if (r->gain_known) { /* unknown keeps the wait where it was */
                        rs->consecutive_no_gain = 0;
                        rs->backoff_usec = lc->cooldown_usec;
                } else
                        rs->backoff_usec = wait;
                /* Stopped early by the kernel: what it gained, it gained; the rest needs the next rung. */
                rs->yield = r->outcome == DF_OUTCOME_CONTENDED;
        }
        rs->next_allowed_usec = df_add_sat(now_usec, rs->backoff_usec);
}

void df_policy_record(const struct df_config *c, const struct df_action_result *r, uint64_t now_usec,
                      struct df_policy_state *st) {
        struct df_lever_conf lc;
        struct df_node_state *ns;

        assert(c && r && st);
        if (r->lever <= DF_LEVER_NONE || r->lever >= _DF_LEVER_MAX || r->outcome == DF_OUTCOME_INTERRUPTED ||
            r->outcome == DF_OUTCOME_DRY_RUN)
                return;
        df_policy_lever_conf(c, r->lever, &lc);
        ns = df_policy_node_state(st, r->node, true);
        if (ns) {
                record_rung(&lc, r, now_usec, &ns->rung[r->lever]);
                ns->last_lever = r->lever;
        }
        if (!r->machine_wide)
                return;
        /* compact_memory compacted every node: each node's rung waits as this one does. */
        for (size_t i = 0; i < DF_POLICY_MAX_NODES; i++) {
                struct df_node_state *other = &st->nodes[i];

                if (other->used && other != ns) {
                        record_rung(&lc, r, now_usec, &other->rung[r->lever]);
                        other->last_lever = r->lever;
                }
        }
}
