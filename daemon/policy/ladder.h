/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Between the two halves of the policy: policy.c (cells, hysteresis) hands
 * ladder.c (rungs, pace, budgets, knob states) one aggregate per short node. */
#pragma once

#include "defragd/policy.h"

#define HOUR_USEC (3600 * USEC_PER_SEC)

/* One (zone, order) cell picked for a rung. */
struct cell {
        bool set;
        const char *zone;
        int order;
        uint64_t suitable, low, high;
};

/* Per short node: the worst SHORT cell overall, the worst one compaction can
 * help (fragmentation index > threshold or -1000), the worst one short of
 * memory (index in [0, threshold]), and the worst in a zone the planner /
 * reclaim hints name. */
struct node_agg {
        int node;
        struct cell worst_short, worst_helpable, worst_lack, worst_clear, worst_reclaim;
        uint64_t clear_cost_pages;  /* the planner's cheapest candidate in worst_clear's zone */
        const char *reclaim_cgroup; /* the aim's choice for worst_reclaim's zone */
};

uint64_t df_add_sat(uint64_t a, uint64_t b);
bool df_cell_consider(struct cell *best, const char *zone, int order, uint64_t suitable, const struct df_target *t);
struct df_node_state *df_policy_node_state(struct df_policy_state *st, int node, bool create);

void df_ladder_budget_expire(struct df_policy_state *st, uint64_t now_usec);
void df_ladder_decide_node(const struct df_config *c, const struct df_ladder_input *in, uint64_t now_usec,
                           bool pressure_high, struct df_policy_state *st, const struct node_agg *agg,
                           struct df_decision *out);
void df_ladder_decide_knobs(const struct df_config *c, const struct df_ladder_input *in,
                            struct df_decision *out);
