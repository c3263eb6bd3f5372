/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A scripted world for the policy tests: zones built by hand, a config from
 * the defaults, the policy's state and a clock the test moves. */
#pragma once

#include <stdlib.h>
#include <string.h>

#include "defragd/policy.h"
#include "defragd/util.h"

#define SEC USEC_PER_SEC

/* Zones are set by hand: order-9 suitable blocks = free_blocks[9] (+2x [10]);
 * plenty of order-0..3 pages make the zone fragmented (index near 1000). */
struct fake {
        struct df_snapshot s;
        struct df_zone zones[16];
};

static inline void fake_init(struct fake *f) {
        memset(f, 0, sizeof(*f));
        f->s.pageblock_order = 9;
        f->s.zones = f->zones;
}

static inline struct df_zone *fake_zone(struct fake *f, int node, const char *name, uint64_t order9_blocks) {
        struct df_zone *z = NULL;

        for (size_t i = 0; i < f->s.n_zones; i++)
                if (f->zones[i].node == node && strcmp(f->zones[i].name, name) == 0)
                        z = &f->zones[i];
        if (!z) {
                z = &f->zones[f->s.n_zones++];
                memset(z, 0, sizeof(*z));
                z->node = node;
                snprintf(z->name, sizeof(z->name), "%s", name);
                z->nr_orders = 11;
                for (int o = 0; o < 4; o++)
                        z->free_blocks[o] = 20000;
        }
        z->free_blocks[9] = order9_blocks;
        return z;
}

static inline void psi(struct fake *f, double some_avg10) {
        f->s.psi.present = true;
        f->s.psi.some.present = true;
        f->s.psi.some.avg10 = some_avg10;
}

/* A config without drop-ins: defaults (Order9 Low=64 High=256, cooldown 60s,
 * back-off max 1h, 60 actions an hour, guard 20%, Zones=DMA32 Normal Movable). */
static inline struct df_config *config(void) {
        struct df_config *c = malloc(sizeof(*c));

        df_config_defaults(c);
        /* [Reclaim] is opt-in; the ladder tests exercise its rungs */
        c->reclaim.enabled = c->reclaim.node_reclaim = true;
        return c;
}

struct world {
        struct df_config *c;
        struct fake f;
        struct df_policy_state st;
        struct df_decision d;
        struct df_ladder_input in; /* compact + proactiveness present unless a test says otherwise */
        uint64_t now;
};

static inline struct world *world_new(void) {
        struct world *w = calloc(1, sizeof(*w));

        w->c = config();
        fake_init(&w->f);
        df_policy_state_init(&w->st);
        df_ladder_input_init(&w->in);
        w->now = 1000 * SEC; /* the scripted clock */
        return w;
}

static inline void world_free(struct world *w) {
        free(w->c);
        free(w);
}

static inline void decide_at(struct world *w, uint64_t t) {
        w->now = t;
        df_policy_decide(w->c, &w->f.s, &w->in, t, &w->st, &w->d);
}

static inline const struct df_skip *skip_of(const struct df_decision *d, int node) {
        for (unsigned i = 0; i < d->n_skips; i++)
                if (d->skips[i].node == node)
                        return &d->skips[i];
        return NULL;
}

static inline const struct df_action *action_of(const struct df_decision *d, int node) {
        for (unsigned i = 0; i < d->n_actions; i++)
                if (d->actions[i].target.node == node)
                        return &d->actions[i];
        return NULL;
}

static inline void record(struct world *w, int node, uint64_t before, uint64_t after, int error, uint64_t t) {
        struct df_action_result r = {
                .lever = DF_LEVER_COMPACT_NODE,
                .node = node,
                .outcome = error ? DF_OUTCOME_FAILED : DF_OUTCOME_DONE,
                .error = error,
                .duration_usec = 500000,
                .gain_known = true,
                .suitable_before = before,
                .suitable_after = after,
        };

        w->now = t;
        df_policy_record(w->c, &r, t, &w->st);
}

/* The compaction rung of a node. */
static inline const struct df_rung_state *node_st(const struct world *w, int node) {
        const struct df_node_state *ns = df_policy_node(&w->st, node);

        return ns ? &ns->rung[DF_LEVER_COMPACT_NODE] : NULL;
}

