/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The decision, pure: per (node, zone, order) hysteresis between the Low and
 * High marks, then per short node the ladder (ladder.c) picks one rung.
 * Suitable blocks and the fragmentation index come from model.c (mm/vmstat.c arithmetic). */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "defragd/model.h"
#include "defragd/policy.h"
#include "defragd/pressure.h"
#include "defragd/reclaim.h"
#include "defragd/util.h"
#include "ladder.h"

uint64_t df_add_sat(uint64_t a, uint64_t b) {
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* ---- state tables ---- */

static struct df_zone_state *zone_state(struct df_policy_state *st, int node, const char *zone, bool create) {
        struct df_zone_state *free_slot = NULL;

        for (size_t i = 0; i < DF_POLICY_MAX_ZONES; i++) {
                struct df_zone_state *zs = &st->zones[i];

                if (!zs->used) {
                        if (!free_slot)
                                free_slot = zs;
                        continue;
                }
                if (zs->node == node && strcmp(zs->zone, zone) == 0)
                        return zs;
        }
        if (!create || !free_slot)
                return NULL;
        memset(free_slot, 0, sizeof(*free_slot));
        free_slot->used = true;
        free_slot->node = node;
        snprintf(free_slot->zone, sizeof(free_slot->zone), "%s", zone);
        return free_slot;
}

struct df_node_state *df_policy_node_state(struct df_policy_state *st, int node, bool create) {
        struct df_node_state *free_slot = NULL;

        for (size_t i = 0; i < DF_POLICY_MAX_NODES; i++) {
                struct df_node_state *ns = &st->nodes[i];

                if (!ns->used) {
                        if (!free_slot)
                                free_slot = ns;
                        continue;
                }
                if (ns->node == node)
                        return ns;
        }
        if (!create || !free_slot)
                return NULL;
        memset(free_slot, 0, sizeof(*free_slot));
        free_slot->used = true;
        free_slot->node = node;
        return free_slot;
}

const struct df_node_state *df_policy_node(const struct df_policy_state *st, int node) {
        assert(st);
        return df_policy_node_state((struct df_policy_state *) st, node, false);
}

void df_policy_state_init(struct df_policy_state *st) {
        assert(st);
        memset(st, 0, sizeof(*st));
}

void df_ladder_input_init(struct df_ladder_input *in) {
        assert(in);
        memset(in, 0, sizeof(*in));
        in->lever_present[DF_LEVER_COMPACT_NODE] = true;
        in->lever_present[DF_LEVER_PROACTIVENESS] = true;
}

/* ---- cells ---- */

/* a is worse than b: fewer suitable blocks relative to its low mark. */
static bool worse(uint64_t a_suitable, uint64_t a_low, uint64_t b_suitable, uint64_t b_low) {
        return (double) a_suitable / (double) a_low < (double) b_suitable / (double) b_low;
}

/* Keep the worse of *best and this cell; true when this one was taken. */
bool df_cell_consider(struct cell *best, const char *zone, int order, uint64_t suitable, const struct df_target *t) {
        if (best->set && !worse(suitable, t->low_blocks, best->suitable, best->low))
                return false;
        *best = (struct cell) { true, zone, order, suitable, t->low_blocks, t->high_blocks };
        return true;
}

static struct node_agg *agg_get(struct node_agg *aggs, unsigned *n_aggs, int node) {
        for (unsigned i = 0; i < *n_aggs; i++)
                if (aggs[i].node == node)
                        return &aggs[i];
        if (*n_aggs >= DF_POLICY_MAX_NODES)
                return NULL;
        aggs[*n_aggs] = (struct node_agg) { .node = node };
        return &aggs[(*n_aggs)++];
}

static const struct df_ladder_hint *hint_of(const struct df_ladder_input *in, int node, const char *zone) {
        for (unsigned i = 0; i < in->n_hints && i < DF_POLICY_MAX_HINTS; i++)
                if (in->hints[i].node == node && strcmp(in->hints[i].zone, zone) == 0)
                        return &in->hints[i];
        return NULL;
}

static void update_cell(const struct df_target *t, uint64_t suitable, uint64_t now_usec, struct df_zone_state *zs,
                        struct df_decision *out) {
        enum df_order_state from = zs->state[t->order], to = from;

        switch (from) {
        case DF_STATE_UNKNOWN:
                to = suitable < t->low_blocks ? DF_STATE_SHORT : DF_STATE_OK;
                break;
        case DF_STATE_OK:
                if (suitable < t->low_blocks)
                        to = DF_STATE_SHORT;
                break;
        case DF_STATE_SHORT:
                if (suitable >= t->high_blocks)
                        to = DF_STATE_OK;
                break;
        }
        if (to == from)
                return;
        zs->state[t->order] = to;
        zs->since_usec[t->order] = now_usec;
        if (out->n_crossings >= DF_POLICY_MAX_ITEMS) {
                out->n_dropped++;
                return;
        }
        out->crossings[out->n_crossings++] = (struct df_crossing) {
                .node = zs->node,
                .order = t->order,
                .from = from,
                .to = to,
                .suitable_blocks = suitable,
                .low_blocks = t->low_blocks,
                .high_blocks = t->high_blocks,
        };
        snprintf(out->crossings[out->n_crossings - 1].zone, DF_NAME_MAX, "%s", zs->zone);
}

void df_policy_decide(const struct df_config *c, const struct df_snapshot *s, const struct df_ladder_input *in,
                      uint64_t now_usec, struct df_policy_state *st, struct df_decision *out) {
        struct df_ladder_input default_in;
        struct node_agg aggs[DF_POLICY_MAX_NODES];
        unsigned n_aggs = 0;
        bool have_worst = false;

        assert(c && s && st && out);
        if (!in) {
                df_ladder_input_init(&default_in);
                in = &default_in;
        }
        memset(out, 0, sizeof(*out));
        out->worst_node = -1;
        out->worst_order = -1;
        {
                bool psi_present;
                double p = df_config_pressure_avg10(c, &s->psi, &psi_present);

                out->pressure_high = c->pressure_guard_percent > 0 && psi_present &&
                        p >= (double) c->pressure_guard_percent;
                /* The reclaim aim checks this again before it writes, and also
                 * refuses when PSI is unreadable; here only what the snapshot
                 * says, so a refusal is a pass-over, not a failed run. */
                out->reclaim_pressure_high = psi_present &&
                        df_reclaim_guard(&c->reclaim, true, p, NULL) != DF_RECLAIM_GUARD_OPEN;
        }
        df_ladder_budget_expire(st, now_usec);

        for (size_t i = 0; i < s->n_zones; i++) {
                const struct df_zone *z = &s->zones[i];
                const struct df_ladder_hint *h;
                struct df_zone_state *zs;
                struct node_agg *agg = NULL;

                if (!df_config_node_watched(c, z->node) || !df_config_zone_watched(c, z->name))
                        continue;
                zs = zone_state(st, z->node, z->name, true);
                if (!zs) {
                        out->n_dropped++;
                        continue;
                }
                h = hint_of(in, z->node, z->name);
                int nr_orders = z->nr_orders < DF_MAX_ORDERS ? z->nr_orders : DF_MAX_ORDERS;

                for (int o = 0; o < nr_orders; o++) {
                        const struct df_target *t = &c->targets[o];
                        struct df_contig_info info;
                        uint64_t suitable;
                        int fi;

                        if (!t->enabled || t->low_blocks == 0)
                                continue;
                        df_fill_contig_info(z->free_blocks, nr_orders, o, &info);
                        suitable = info.free_blocks_suitable;
                        update_cell(t, suitable, now_usec, zs, out);

                        if (!have_worst || worse(suitable, t->low_blocks, out->worst_suitable_blocks, out->worst_low_blocks)) {
                                have_worst = true;
                                out->worst_node = z->node;
                                snprintf(out->worst_zone, sizeof(out->worst_zone), "%s", z->name);
                                out->worst_order = o;
                                out->worst_suitable_blocks = suitable;
                                out->worst_low_blocks = t->low_blocks;
                                out->worst_high_blocks = t->high_blocks;
                                out->worst_state = zs->state[o];
                        }
                        if (zs->state[o] != DF_STATE_SHORT && !(h && o < 32 && (h->act_early_orders >> o) & 1))
                                continue;
                        out->any_short = true;
                        if (!agg)
                                agg = agg_get(aggs, &n_aggs, z->node);
                        if (!agg) {
                                out->n_dropped++;
                                continue;
                        }
                        df_cell_consider(&agg->worst_short, z->name, o, suitable, t);
                        /* As compaction_suitable(): an index in [0, threshold] means the
                         * request fails for lack of memory; compacting cannot help,
                         * reclaim can. -1000: a block of the order is free already. */
                        fi = df_fragmentation_index(o, &info);
                        if (fi < 0 || fi > (int) c->fragmentation_threshold) {
                                df_cell_consider(&agg->worst_helpable, z->name, o, suitable, t);
                                out->any_helpable = true;
                        } else
                                df_cell_consider(&agg->worst_lack, z->name, o, suitable, t);
                        if (h && h->clear_candidates > 0 && df_cell_consider(&agg->worst_clear, z->name, o, suitable, t))
                                agg->clear_cost_pages = h->clear_min_cost_pages;
                        if (h && h->reclaim_candidate && h->reclaim_cgroup[0] &&
                            df_cell_consider(&agg->worst_reclaim, z->name, o, suitable, t))
                                agg->reclaim_cgroup = h->reclaim_cgroup;
                }
        }

        for (unsigned i = 0; i < n_aggs; i++)
                df_ladder_decide_node(c, in, now_usec, out->pressure_high, st, &aggs[i], out);
        df_ladder_decide_knobs(c, in, out);
}

void df_policy_reconfigure(const struct df_config *c, struct df_policy_state *st) {
        assert(c && st);
        for (size_t i = 0; i < DF_POLICY_MAX_ZONES; i++) {
                struct df_zone_state *zs = &st->zones[i];

                if (!zs->used)
                        continue;
                if (!df_config_node_watched(c, zs->node) || !df_config_zone_watched(c, zs->zone)) {
                        memset(zs, 0, sizeof(*zs));
                        continue;
                }
                for (int o = 0; o < DF_MAX_ORDERS; o++)
                        if (!c->targets[o].enabled) {
                                zs->state[o] = DF_STATE_UNKNOWN;
                                zs->since_usec[o] = 0;
                        }
        }
        for (size_t i = 0; i < DF_POLICY_MAX_NODES; i++) {
                struct df_node_state *ns = &st->nodes[i];

                if (!ns->used)
                        continue;
                if (!df_config_node_watched(c, ns->node)) {
                        memset(ns, 0, sizeof(*ns));
                        continue;
                }
                for (int k = 0; k < _DF_LEVER_MAX; k++) {
                        struct df_rung_state *rs = &ns->rung[k];
                        struct df_lever_conf lc;

                        df_policy_lever_conf(c, (enum df_lever_kind) k, &lc);
                        /* Keep the back-off level, inside the new bounds, effective at once. */
                        if (rs->backoff_usec < lc.cooldown_usec)
                                rs->backoff_usec = lc.cooldown_usec;
                        if (rs->backoff_usec > lc.backoff_max_usec)
                                rs->backoff_usec = lc.backoff_max_usec;
                        if (rs->last_action_usec > 0 || rs->next_allowed_usec > 0) {
                                uint64_t limit = df_add_sat(rs->last_action_usec, rs->backoff_usec);

                                if (rs->next_allowed_usec > limit)
                                        rs->next_allowed_usec = limit;
                        }
                }
        }
}

enum df_order_state df_policy_cell_state(const struct df_policy_state *st, int node, const char *zone, int order) {
        assert(st && zone);
        if (order < 0 || order >= DF_MAX_ORDERS)
                return DF_STATE_UNKNOWN;
        for (size_t i = 0; i < DF_POLICY_MAX_ZONES; i++)
                if (st->zones[i].used && st->zones[i].node == node && strcmp(st->zones[i].zone, zone) == 0)
                        return st->zones[i].state[order];
        return DF_STATE_UNKNOWN;
}

const char *df_order_state_to_string(enum df_order_state s) {
        switch (s) {
        case DF_STATE_UNKNOWN: return "unknown";
        case DF_STATE_OK:      return "ok";
        case DF_STATE_SHORT:   return "short";
        }
        return "invalid";
}

const char *df_skip_reason_to_string(enum df_skip_reason r) {
        switch (r) {
        case DF_SKIP_NONE:           return "none";
        case DF_SKIP_COOLDOWN:       return "cooldown";
        case DF_SKIP_BACKOFF:        return "backoff";
        case DF_SKIP_BUDGET:         return "budget";
        case DF_SKIP_PRESSURE:       return "pressure";
        case DF_SKIP_NOT_FRAGMENTED: return "not-fragmented";
        case DF_SKIP_DISABLED:       return "disabled";
        case DF_SKIP_LEVER_BUDGET:   return "lever-budget";
        case DF_SKIP_CONTENDED:      return "contended";
        case DF_SKIP_NO_CANDIDATE:   return "no-candidate";
        case DF_SKIP_FRAGMENTED:     return "fragmented";
        case DF_SKIP_BUSY:           return "busy";
        case DF_SKIP_DRY_RUN:        return "dry-run";
        case DF_SKIP_NOT_SHORT:      return "not-short";
        case DF_SKIP_ABSENT:         return "absent";
        case _DF_SKIP_MAX:           break;
        }
        return "invalid";
}
