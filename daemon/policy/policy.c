/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The decision, pure: per (node, zone, order) hysteresis between the Low and
 * High marks, then per node one compaction unless a guard, cooldown or budget says no.
 * Suitable blocks and the fragmentation index come from model.c (mm/vmstat.c arithmetic). */
#include <stdio.h>
#include <string.h>

#include "defragd/model.h"
#include "defragd/policy.h"
#include "defragd/util.h"

#define HOUR_USEC (3600 * USEC_PER_SEC)

static uint64_t add_sat(uint64_t a, uint64_t b) {
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

static struct df_node_state *node_state(struct df_policy_state *st, const struct df_config *c, int node, bool create) {
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
        *free_slot = (struct df_node_state) {
                .used = true,
                .node = node,
                .backoff_usec = c->cooldown_usec,
        };
        return free_slot;
}

void df_policy_state_init(struct df_policy_state *st) {
        memset(st, 0, sizeof(*st));
}

/* ---- budget: timestamps of the actions of the last hour, oldest at head ---- */

static void budget_expire(struct df_policy_state *st, uint64_t now_usec) {
        while (st->budget_count > 0 && add_sat(st->budget_ring[st->budget_head], HOUR_USEC) <= now_usec) {
                st->budget_head = (st->budget_head + 1) % DF_POLICY_BUDGET_SLOTS;
                st->budget_count--;
        }
}

static void budget_push(struct df_policy_state *st, uint64_t now_usec) {
        if (st->budget_count == DF_POLICY_BUDGET_SLOTS) { /* only when unlimited: forget the oldest */
                st->budget_head = (st->budget_head + 1) % DF_POLICY_BUDGET_SLOTS;
                st->budget_count--;
        }
        st->budget_ring[(st->budget_head + st->budget_count) % DF_POLICY_BUDGET_SLOTS] = now_usec;
        st->budget_count++;
}

/* ---- decide ---- */

struct cell {
        bool set;
        const char *zone;
        int order;
        uint64_t suitable, low, high;
};

/* Per node: the worst SHORT cell, and the worst SHORT cell compaction can help. */
struct node_agg {
        int node;
        struct cell worst_short, worst_helpable;
};

/* a is worse than b: fewer suitable blocks relative to its low mark. */
static bool worse(uint64_t a_suitable, uint64_t a_low, uint64_t b_suitable, uint64_t b_low) {
        return (double) a_suitable / (double) a_low < (double) b_suitable / (double) b_low;
}

static void cell_consider(struct cell *best, const char *zone, int order, uint64_t suitable, const struct df_target *t) {
        if (best->set && !worse(suitable, t->low_blocks, best->suitable, best->low))
                return;
        *best = (struct cell) { true, zone, order, suitable, t->low_blocks, t->high_blocks };
}

static void add_skip(struct df_decision *out, int node, const struct cell *cl, enum df_skip_reason reason, uint64_t until_usec) {
        struct df_skip *sk;

        if (out->n_skips >= DF_POLICY_MAX_ITEMS) {
                out->n_dropped++;
                return;
        }
        sk = &out->skips[out->n_skips++];
        *sk = (struct df_skip) { .node = node, .order = cl->order, .reason = reason, .until_usec = until_usec };
        snprintf(sk->zone, sizeof(sk->zone), "%s", cl->zone);
}

static void decide_node(const struct df_config *c, uint64_t now_usec, bool pressure_high, struct df_policy_state *st,
                        const struct node_agg *agg, struct df_decision *out) {
        const struct cell *cl = agg->worst_helpable.set ? &agg->worst_helpable : &agg->worst_short;
        struct df_node_state *ns;
        struct df_action *a;

        if (!c->compaction_enabled) {
                add_skip(out, agg->node, cl, DF_SKIP_DISABLED, 0);
                return;
        }
        if (!agg->worst_helpable.set) {
                add_skip(out, agg->node, cl, DF_SKIP_NOT_FRAGMENTED, 0);
                return;
        }
        if (pressure_high) {
                add_skip(out, agg->node, cl, DF_SKIP_PRESSURE, 0);
                return;
        }
        ns = node_state(st, c, agg->node, true);
        if (!ns) {
                out->n_dropped++; /* more nodes than DF_POLICY_MAX_NODES: no cooldown to pace it, so never act */
                return;
        }
        if (now_usec < ns->next_allowed_usec) {
                add_skip(out, agg->node, cl, ns->consecutive_no_gain > 0 ? DF_SKIP_BACKOFF : DF_SKIP_COOLDOWN,
                         ns->next_allowed_usec);
                return;
        }
        if (c->max_actions_per_hour > 0 && st->budget_count >= c->max_actions_per_hour) {
                add_skip(out, agg->node, cl, DF_SKIP_BUDGET, add_sat(st->budget_ring[st->budget_head], HOUR_USEC));
                return;
        }
        if (out->n_actions >= DF_POLICY_MAX_ITEMS) {
                out->n_dropped++;
                return;
        }

        a = &out->actions[out->n_actions++];
        *a = (struct df_action) {
                .kind = DF_ACTION_COMPACT_NODE,
                .node = agg->node,
                .order = cl->order,
                .suitable_blocks = cl->suitable,
                .target_high_blocks = cl->high,
                .dry_run = c->dry_run,
        };
        snprintf(a->zone, sizeof(a->zone), "%s", cl->zone);
        if (ns->backoff_usec < c->cooldown_usec)
                ns->backoff_usec = c->cooldown_usec;
        ns->last_action_usec = now_usec;
        ns->next_allowed_usec = add_sat(now_usec, ns->backoff_usec);
        budget_push(st, now_usec);
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

void df_policy_decide(const struct df_config *c, const struct df_snapshot *s, uint64_t now_usec,
                      struct df_policy_state *st, struct df_decision *out) {
        struct node_agg aggs[DF_POLICY_MAX_NODES];
        unsigned n_aggs = 0;
        bool have_worst = false;

        memset(out, 0, sizeof(*out));
        out->worst_node = -1;
        out->worst_order = -1;
        out->pressure_high = c->pressure_guard_percent > 0 && s->psi.present && s->psi.some.present &&
                s->psi.some.avg10 >= (double) c->pressure_guard_percent;
        budget_expire(st, now_usec);

        for (size_t i = 0; i < s->n_zones; i++) {
                const struct df_zone *z = &s->zones[i];
                struct df_zone_state *zs;
                struct node_agg *agg = NULL;

                if (!df_config_node_watched(c, z->node) || !df_config_zone_watched(c, z->name))
                        continue;
                zs = zone_state(st, z->node, z->name, true);
                if (!zs) {
                        out->n_dropped++;
                        continue;
                }
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
                        if (zs->state[o] != DF_STATE_SHORT)
                                continue;
                        out->any_short = true;
                        if (!agg)
                                agg = agg_get(aggs, &n_aggs, z->node);
                        if (!agg) {
                                out->n_dropped++;
                                continue;
                        }
                        cell_consider(&agg->worst_short, z->name, o, suitable, t);
                        /* As compaction_suitable(): an index in [0, threshold] means the
                         * request fails for lack of memory; compacting cannot help. */
                        fi = df_fragmentation_index(o, &info);
                        if (fi < 0 || fi > DF_POLICY_EXTFRAG_THRESHOLD)
                                cell_consider(&agg->worst_helpable, z->name, o, suitable, t);
                }
        }

        for (unsigned i = 0; i < n_aggs; i++)
                decide_node(c, now_usec, out->pressure_high, st, &aggs[i], out);
}

void df_policy_record(const struct df_config *c, const struct df_action_result *r, uint64_t now_usec,
                      struct df_policy_state *st) {
        struct df_node_state *ns = node_state(st, c, r->node, true);

        if (!ns)
                return;
        if (r->error < 0 || r->suitable_after <= r->suitable_before) {
                uint64_t wait = ns->backoff_usec < c->cooldown_usec ? c->cooldown_usec : ns->backoff_usec;

                ns->consecutive_no_gain++;
                wait = wait > UINT64_MAX / 2 ? UINT64_MAX : wait * 2;
                ns->backoff_usec = wait > c->backoff_max_usec ? c->backoff_max_usec : wait;
        } else {
                ns->consecutive_no_gain = 0;
                ns->backoff_usec = c->cooldown_usec;
        }
        ns->next_allowed_usec = add_sat(now_usec, ns->backoff_usec);
}

void df_policy_reconfigure(const struct df_config *c, struct df_policy_state *st) {
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
                /* Keep the back-off level, inside the new bounds, effective at once. */
                if (ns->backoff_usec < c->cooldown_usec)
                        ns->backoff_usec = c->cooldown_usec;
                if (ns->backoff_usec > c->backoff_max_usec)
                        ns->backoff_usec = c->backoff_max_usec;
                if (ns->last_action_usec > 0 || ns->next_allowed_usec > 0) {
                        uint64_t limit = add_sat(ns->last_action_usec, ns->backoff_usec);

                        if (ns->next_allowed_usec > limit)
                                ns->next_allowed_usec = limit;
                }
        }
}

enum df_order_state df_policy_cell_state(const struct df_policy_state *st, int node, const char *zone, int order) {
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
        }
        return "invalid";
}

const char *df_action_kind_to_string(enum df_action_kind k) {
        switch (k) {
        case DF_ACTION_COMPACT_NODE: return "compact-node";
        }
        return "invalid";
}
