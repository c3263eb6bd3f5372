/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The decision: snapshot + config + clock + history in, decision out.
 * Pure: no I/O, no clock reads, no allocation. The caller owns the history
 * (struct df_policy_state) and feeds action results back. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "defragd/conf.h"
#include "defragd/snapshot.h"

#define DF_POLICY_MAX_NODES 64      /* nodes tracked for cooldown/back-off */
#define DF_POLICY_MAX_ZONES 256     /* (node, zone) pairs tracked for hysteresis */
#define DF_POLICY_MAX_ITEMS 256     /* crossings / actions / skips per decision */
#define DF_POLICY_BUDGET_SLOTS 1024 /* action timestamps remembered for the hourly budget */

enum df_order_state {
        DF_STATE_UNKNOWN = 0, /* not evaluated yet */
        DF_STATE_OK,          /* at or above high (or never fell below low) */
        DF_STATE_SHORT,       /* fell below low; stays until back at high */
};

enum df_skip_reason {
        DF_SKIP_NONE = 0,
        DF_SKIP_COOLDOWN,         /* node compacted recently */
        DF_SKIP_BACKOFF,          /* previous runs gained nothing: longer wait */
        DF_SKIP_BUDGET,           /* MaxActionsPerHour reached */
        DF_SKIP_PRESSURE,         /* PSI memory some avg10 above PressureGuardPercent */
        DF_SKIP_NOT_FRAGMENTED,   /* too little free memory for compaction to help (fragmentation index <= 500, as the kernel's extfrag_threshold) */
        DF_SKIP_DISABLED,         /* [Compaction] Enable=no */
};

enum df_action_kind {
        DF_ACTION_COMPACT_NODE = 1,
        /* later levers: DF_ACTION_RECLAIM_CGROUP, DF_ACTION_CLEAR_BLOCK */
};

struct df_crossing {
        int node;
        char zone[DF_NAME_MAX];
        int order;
        enum df_order_state from, to;
        uint64_t suitable_blocks;
        uint64_t low_blocks, high_blocks;
};

struct df_action {
        enum df_action_kind kind;
        int node;
        /* the worst SHORT (zone, order) that motivated it: */
        char zone[DF_NAME_MAX];
        int order;
        uint64_t suitable_blocks;
        uint64_t target_high_blocks;
        bool dry_run;
};

struct df_skip {
        int node;
        char zone[DF_NAME_MAX];
        int order;
        enum df_skip_reason reason;
        uint64_t until_usec; /* for cooldown/back-off/budget: when it may act again */
};

struct df_decision {
        unsigned n_crossings, n_actions, n_skips;
        struct df_crossing crossings[DF_POLICY_MAX_ITEMS];
        struct df_action actions[DF_POLICY_MAX_ITEMS];
        struct df_skip skips[DF_POLICY_MAX_ITEMS];
        bool any_short;            /* some watched (zone, order) is SHORT after this evaluation */
        /* worst watched cell by suitable_blocks / low_blocks, for STATUS=;
         * worst_node = -1 when no watched cell exists in the snapshot */
        int worst_node;
        char worst_zone[DF_NAME_MAX];
        int worst_order;
        uint64_t worst_suitable_blocks;
        uint64_t worst_low_blocks, worst_high_blocks;
        enum df_order_state worst_state;
        bool pressure_high;        /* PSI guard engaged in this evaluation */
        unsigned n_dropped;        /* items that did not fit the arrays, or (node, zone) pairs beyond the state tables */
};

struct df_zone_state {
        bool used;
        int node;
        char zone[DF_NAME_MAX];
        enum df_order_state state[DF_MAX_ORDERS];
        uint64_t since_usec[DF_MAX_ORDERS];
};

struct df_node_state {
        bool used;
        int node;
        uint64_t last_action_usec;
        uint64_t next_allowed_usec;
        uint64_t backoff_usec;        /* current wait after a run; cooldown, doubled per no-gain run */
        unsigned consecutive_no_gain;
};

struct df_policy_state {
        struct df_zone_state zones[DF_POLICY_MAX_ZONES];
        struct df_node_state nodes[DF_POLICY_MAX_NODES];
        uint64_t budget_ring[DF_POLICY_BUDGET_SLOTS]; /* timestamps of actions in the last hour */
        unsigned budget_head, budget_count;
};

struct df_action_result {
        enum df_action_kind kind;
        int node;
        int error;                   /* 0 or -errno */
        uint64_t duration_usec;
        /* for the motivating (zone, order): suitable blocks before and after */
        uint64_t suitable_before, suitable_after;
};

void df_policy_state_init(struct df_policy_state *st);

/* Kernel's default vm.extfrag_threshold: a fragmentation index at or below
 * it (and >= 0) means a request fails for lack of memory, not fragmentation. */
#define DF_POLICY_EXTFRAG_THRESHOLD 500

/* Evaluate. Updates hysteresis states in `st`; an action it returns is
 * counted against the cooldown and the budget as if done (dry-run too, so a
 * dry run logs at the same pace a real one acts).
 * Cells: every watched (node, zone) of the snapshot x every enabled target
 * order the zone has (order < nr_orders; larger ones stay UNKNOWN).
 * Per node with a SHORT cell, checked in this order: compaction disabled,
 * no SHORT cell compaction can help (fragmentation index in [0, 500]),
 * PSI memory some avg10 >= PressureGuardPercent, cooldown / back-off,
 * hourly budget; the first that applies is the skip reason, else one
 * COMPACT_NODE action for the worst SHORT cell compaction can help. */
void df_policy_decide(const struct df_config *c, const struct df_snapshot *s, uint64_t now_usec,
                      struct df_policy_state *st, struct df_decision *out);

/* Feed back what an action achieved: no gain (after <= before, or error)
 * doubles the node's wait up to BackoffMaxSec; a gain resets it to CooldownSec.
 * The node may act again `wait` after now_usec (the end of the run). Dry-run
 * actions need no record: they keep the plain cooldown. */
void df_policy_record(const struct df_config *c, const struct df_action_result *r, uint64_t now_usec,
                      struct df_policy_state *st);

/* Re-apply a new config (SIGHUP): keeps history for nodes/zones still watched
 * (states of disabled target orders reset to UNKNOWN), drops the rest; a
 * node's back-off is clamped into the new [CooldownSec, BackoffMaxSec]. */
void df_policy_reconfigure(const struct df_config *c, struct df_policy_state *st);

enum df_order_state df_policy_cell_state(const struct df_policy_state *st, int node, const char *zone, int order);

const char *df_order_state_to_string(enum df_order_state s);
const char *df_skip_reason_to_string(enum df_skip_reason r);
const char *df_action_kind_to_string(enum df_action_kind k);
