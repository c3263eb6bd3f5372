/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The decision: snapshot + config + ladder input + clock + history in,
 * decision out. Pure: no I/O, no clock reads, no allocation. The caller owns
 * the history (struct df_policy_state) and feeds action results back. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "defragd/action.h"
#include "defragd/conf.h"
#include "defragd/snapshot.h"

#define DF_POLICY_MAX_NODES 64      /* nodes tracked for cooldown/back-off */
#define DF_POLICY_MAX_ZONES 256     /* (node, zone) pairs tracked for hysteresis */
#define DF_POLICY_MAX_ITEMS 256     /* crossings / actions / skips per decision */
#define DF_POLICY_BUDGET_SLOTS 1024 /* action timestamps remembered for an hourly budget */
#define DF_POLICY_MAX_KNOBS 4       /* knob levers in one decision */
#define DF_POLICY_MAX_HINTS DF_POLICY_MAX_ZONES

enum df_order_state {
        DF_STATE_UNKNOWN = 0, /* not evaluated yet */
        DF_STATE_OK,          /* at or above high (or never fell below low) */
        DF_STATE_SHORT,       /* fell below low; stays until back at high */
};

/* Why a rung did not act (or why a knob lever is not engaged). */
enum df_skip_reason {
        DF_SKIP_NONE = 0,
        DF_SKIP_COOLDOWN,         /* the rung ran recently and gained: wait, do not climb */
        DF_SKIP_BACKOFF,          /* its runs gained nothing: longer wait; the next rung may act */
        DF_SKIP_BUDGET,           /* [Daemon] MaxActionsPerHour reached (all levers) */
        DF_SKIP_PRESSURE,         /* PSI memory some avg10 above PressureGuardPercent */
        DF_SKIP_NOT_FRAGMENTED,   /* compaction: too little free memory to help (fragmentation index in [0, threshold]) */
        DF_SKIP_DISABLED,         /* the lever's Enable=no (compaction: [Compaction] Enable=no) */
        DF_SKIP_LEVER_BUDGET,     /* the lever's own MaxActionsPerHour reached; the next rung may act */
        DF_SKIP_CONTENDED,        /* its last run was stopped early or failed: the next rung goes first until its wait ends */
        DF_SKIP_NO_CANDIDATE,     /* clear/reclaim: the planner has nothing for this node */
        DF_SKIP_FRAGMENTED,       /* reclaim: memory is there, only fragmented, and no cheaper rung has failed */
        DF_SKIP_BUSY,             /* a lever is running: one at a time */
        DF_SKIP_DRY_RUN,          /* knob levers: DryRun=yes leaves knobs alone */
        DF_SKIP_NOT_SHORT,        /* knob levers: no watched cell is SHORT where compaction can help */
        DF_SKIP_ABSENT,           /* the lever did not open (file missing, old kernel) */
        _DF_SKIP_MAX,
};

struct df_crossing {
        int node;
        char zone[DF_NAME_MAX];
        int order;
        enum df_order_state from, to;
        uint64_t suitable_blocks;
        uint64_t low_blocks, high_blocks;
};

struct df_skip {
        int node;
        enum df_lever_kind lever; /* the rung that did not act */
        char zone[DF_NAME_MAX];
        int order;
        enum df_skip_reason reason;
        uint64_t until_usec; /* for cooldown/back-off/budget: when it may act again */
};

/* A knob lever's desired state: the manager makes the knob match it
 * (df_knobs_set when engaged, df_knobs_restore otherwise). */
struct df_knob_desire {
        enum df_lever_kind lever;
        bool engaged;                 /* knob at `value`; false: at its original value */
        char value[16];
        enum df_skip_reason why_not;  /* when not engaged */
};

struct df_decision {
        unsigned n_crossings, n_actions, n_skips, n_knobs;
        struct df_crossing crossings[DF_POLICY_MAX_ITEMS];
        struct df_action actions[DF_POLICY_MAX_ITEMS];
        struct df_skip skips[DF_POLICY_MAX_ITEMS];
        struct df_knob_desire knobs[DF_POLICY_MAX_KNOBS];
        bool any_short;            /* some watched (zone, order) is SHORT after this evaluation */
        bool any_helpable;         /* ... and compaction can help one of them (fragmentation index) */
        /* worst watched cell by suitable_blocks / low_blocks, for STATUS=;
         * worst_node = -1 when no watched cell exists in the snapshot */
        int worst_node;
        char worst_zone[DF_NAME_MAX];
        int worst_order;
        uint64_t worst_suitable_blocks;
        uint64_t worst_low_blocks, worst_high_blocks;
        enum df_order_state worst_state;
        bool pressure_high;        /* PSI guard engaged in this evaluation */
        bool reclaim_pressure_high; /* PSI above [Reclaim] PressureLimitPercent=: the reclaim rungs are passed over */
        unsigned n_dropped;        /* items that did not fit the arrays, or (node, zone) pairs beyond the state tables */
};

/* What the manager knows beyond the snapshot, as plain data, per evaluation.
 * Hints come from the planner (clear rungs) and the reclaim helpers; a
 * lever without a filler gets "none". */
struct df_ladder_hint {
        int node;
        char zone[DF_NAME_MAX];
        uint64_t clear_candidates;     /* blocks the planner believes it can clear */
        uint64_t clear_min_cost_pages; /* pages the cheapest of them needs moved */
        bool reclaim_candidate;        /* a cgroup worth reclaiming from has pages here */
        char reclaim_cgroup[DF_CGROUP_PATH_MAX]; /* ... the aim's first choice: the action's target.cgroup */
        /* Bit o: the trend predicts order o's low mark within [Trend]
         * ActBeforeSec= (df_trend_should_act_early): the cell is treated as
         * short in this evaluation (its hysteresis state is not changed). */
        uint32_t act_early_orders;
};

struct df_ladder_input {
        bool lever_present[_DF_LEVER_MAX]; /* opened OK (lever table + open()) */
        bool lever_busy;                   /* a lever runs now: no new action; knobs still reconciled */
        unsigned n_hints;
        struct df_ladder_hint hints[DF_POLICY_MAX_HINTS];
};

/* compact and proactiveness present, nothing busy, no hints. */
void df_ladder_input_init(struct df_ladder_input *in);

struct df_zone_state {
        bool used;
        int node;
        char zone[DF_NAME_MAX];
        enum df_order_state state[DF_MAX_ORDERS];
        uint64_t since_usec[DF_MAX_ORDERS];
};

/* One (node, lever): its pace and what its last run said. */
struct df_rung_state {
        uint64_t last_action_usec;
        uint64_t next_allowed_usec;
        uint64_t backoff_usec;        /* current wait after a run; cooldown, doubled per no-gain run */
        unsigned consecutive_no_gain;
        bool yield;                   /* last run did not help (no gain, contended, failed): the next rung goes first */
        uint64_t runs;
        bool has_result;
        enum df_action_outcome last_outcome;
        bool last_gain_known;
        uint64_t last_gain_blocks;
        enum df_skip_reason last_skip; /* of the last evaluation; NONE when it acted or was not reached */
        uint64_t last_skip_until_usec;
};

struct df_node_state {
        bool used;
        int node;
        enum df_lever_kind last_lever; /* the rung that ran last (NONE: none yet) */
        struct df_rung_state rung[_DF_LEVER_MAX];
};

struct df_budget {
        uint64_t ring[DF_POLICY_BUDGET_SLOTS]; /* timestamps of actions in the last hour, oldest at head */
        unsigned head, count;
};

struct df_policy_state {
        struct df_zone_state zones[DF_POLICY_MAX_ZONES];
        struct df_node_state nodes[DF_POLICY_MAX_NODES];
        struct df_budget budget;                    /* all levers: [Daemon] MaxActionsPerHour */
        struct df_budget lever_budget[_DF_LEVER_MAX]; /* per lever: its MaxActionsPerHour */
};

void df_policy_state_init(struct df_policy_state *st);

/* Kernel's default vm.extfrag_threshold: a fragmentation index at or below
 * it (and >= 0) means a request fails for lack of memory, not fragmentation.
 * [Ladder] FragmentationThreshold= defaults to it. */
#define DF_POLICY_EXTFRAG_THRESHOLD 500

/* The lever's pace and budget: its [section] keys, compaction's from
 * [Compaction] CooldownSec=/BackoffMaxSec=/Enable=. */
void df_policy_lever_conf(const struct df_config *c, enum df_lever_kind k, struct df_lever_conf *ret);

/* Evaluate. `in` NULL means df_ladder_input_init(). Updates hysteresis
 * states in `st`; an action it returns is counted against its rung's
 * cooldown and both budgets as if done (dry-run too, so a dry run logs at
 * the pace a real one acts).
 * Cells: every watched (node, zone) of the snapshot x every enabled target
 * order the zone has. Per node with a SHORT cell: under the pressure guard
 * nothing acts; else the rungs of [Ladder] Order= are walked cheapest first
 * and the first whose guard passes acts (one action per node). A rung that
 * cannot help (disabled, absent, guard false, no candidate, its own budget
 * spent, backing off, last run contended/failed) lets the walk go on to the
 * next; a rung cooling down after a gain, the total budget, or a busy lever
 * stop it. Guards: compact needs a SHORT cell with fragmentation index
 * > threshold or -1000; clear-* need the planner's candidates in a SHORT
 * (node, zone); reclaim-* need a SHORT cell with index in [0, threshold], or
 * a cheaper rung that ran and did not help; reclaim-cgroup also a candidate.
 * Knob levers (proactiveness) are not steps: out->knobs says their desired
 * state (engaged while a SHORT cell compaction can help exists, no pressure,
 * enabled, present, not dry run). */
void df_policy_decide(const struct df_config *c, const struct df_snapshot *s, const struct df_ladder_input *in,
                      uint64_t now_usec, struct df_policy_state *st, struct df_decision *out);

/* Feed back what an action achieved (r->lever, r->node). No gain (known,
 * after <= before; or an error/timeout) doubles the rung's wait up to its
 * back-off maximum; a gain resets it to the cooldown; an unknown gain
 * (gain_known false: the re-read failed) keeps the wait as it is. A
 * contended, failed, timed-out or no-gain run makes the rung yield to the
 * next until its wait ends. A machine-wide run (compaction fell back to
 * compact_memory) is charged to every node's rung. INTERRUPTED and DRY_RUN
 * results change nothing. */
void df_policy_record(const struct df_config *c, const struct df_action_result *r, uint64_t now_usec,
                      struct df_policy_state *st);

/* Re-apply a new config (SIGHUP): keeps history for nodes/zones still watched
 * (states of disabled target orders reset to UNKNOWN), drops the rest; each
 * rung's back-off is clamped into its new [cooldown, back-off max]. */
void df_policy_reconfigure(const struct df_config *c, struct df_policy_state *st);

enum df_order_state df_policy_cell_state(const struct df_policy_state *st, int node, const char *zone, int order);
const struct df_node_state *df_policy_node(const struct df_policy_state *st, int node);

const char *df_order_state_to_string(enum df_order_state s);
const char *df_skip_reason_to_string(enum df_skip_reason r);
