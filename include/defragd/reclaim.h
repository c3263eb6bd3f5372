/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Targeted reclaim: the [Reclaim] settings, and the pure aim (which cgroups
 * may be asked, in which order, how much, when to hold back or back off). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "defragd/action.h"
#include "defragd/reclaim-conf.h"

_Static_assert(DF_RECLAIM_PATTERN_MAX == DF_CGROUP_PATH_MAX, "a pattern is as long as a cgroup path");

/* ---- patterns (pure) ---- */

/* A pattern matches a cgroup path as a whole: '*' and '?' stay within one
 * path component, [..] classes as fnmatch(3). "/a/b/" equals "/a/b". */
bool df_reclaim_pattern_match(const char *pattern, const char *path);

/* ---- candidates (pure) ---- */

/* What is known of one cgroup; filled by the thin readers (daemon/source/memcg.c). */
struct df_reclaim_cgroup {
        char path[DF_CGROUP_PATH_MAX];    /* below the mount, "/system.slice/x.service" */
        uint64_t inode;                   /* as /proc/kpagecgroup prints it */
        uint64_t current_bytes;           /* memory.current */
        uint64_t min_bytes, low_bytes;    /* memory.min, memory.low ("max" = UINT64_MAX) */
        uint64_t inactive_file_bytes;     /* memory.stat */
        uint64_t file_bytes;
        double pressure_some_avg10;       /* memory.pressure, percent */
        bool has_pressure;
        uint64_t cheap_pages;             /* its pages in the cheapest-to-free blocks of the short zone (sampler) */
};

enum df_reclaim_exclusion {
        DF_RECLAIM_OK = 0,
        DF_RECLAIM_NOT_ALLOWED,       /* no Allow= pattern matches */
        DF_RECLAIM_DENIED,            /* it, an ancestor or a descendant matches Deny= */
        DF_RECLAIM_OWN,               /* defragd's own cgroup is it or below it */
        DF_RECLAIM_PROTECTED,         /* memory.min/low at or above usage (here or below) */
        DF_RECLAIM_BACKED_OFF,        /* its refaults showed it was not cold */
        DF_RECLAIM_UNDER_PRESSURE,    /* its memory.pressure is above the limit */
        DF_RECLAIM_EMPTY,             /* no file cache to give */
        _DF_RECLAIM_EXCLUSION_MAX,
};
const char *df_reclaim_exclusion_to_string(enum df_reclaim_exclusion e);

/* Why `cg` (one of all[0..n), the cgroups read this tick, descendants
 * included) may not be asked. memory.reclaim of a cgroup reclaims from its
 * whole subtree and ignores the target's own protection (the kernel checks
 * memory.low/min only below the reclaim root), hence the subtree checks. */
enum df_reclaim_exclusion df_reclaim_exclusion(const struct df_reclaim_conf *conf,
                                               const struct df_reclaim_cgroup *all, size_t n,
                                               const struct df_reclaim_cgroup *cg, const char *own_cgroup);

/* Sort candidates best first: most pages in the cheap blocks, then most
 * inactive file cache, then path (stable for tests). */
void df_reclaim_rank(struct df_reclaim_cgroup *cgs, size_t n);

/* ---- amount and budget (pure) ---- */

#define DF_RECLAIM_HISTORY 64
struct df_reclaim_budget {
        size_t n;
        struct { uint64_t at_usec, bytes; } done[DF_RECLAIM_HISTORY]; /* oldest first */
};

/* Bytes reclaimed in the hour before now. */
uint64_t df_reclaim_budget_used(const struct df_reclaim_budget *b, uint64_t now_usec);
/* What to ask: blocks short x block size, capped by the per-action and the
 * hourly budget; 0 = nothing now. Rounded down to whole pages. */
uint64_t df_reclaim_amount(const struct df_reclaim_conf *conf, const struct df_reclaim_budget *b,
                           uint64_t blocks_short, uint64_t block_bytes, uint64_t page_bytes, uint64_t now_usec);
/* Record what a reclaim took (amount_done); the oldest entry beyond the hour drops out. */
void df_reclaim_budget_add(struct df_reclaim_budget *b, uint64_t now_usec, uint64_t bytes);

/* ---- guard (pure) ---- */

enum df_reclaim_guard {
        DF_RECLAIM_GUARD_OPEN = 0,
        DF_RECLAIM_GUARD_PSI,          /* /proc/pressure/memory some avg10 above the limit */
        DF_RECLAIM_GUARD_CGROUP_PSI,   /* the cgroup's memory.pressure above its limit */
};
/* cg may be NULL (node reclaim): only the machine's PSI is checked. A PSI
 * that cannot be read counts as open only with the limit off. */
enum df_reclaim_guard df_reclaim_guard(const struct df_reclaim_conf *conf, bool psi_present, double psi_some_avg10,
                                       const struct df_reclaim_cgroup *cg);

/* ---- refault cost (pure) ---- */

#define DF_RECLAIM_REFAULT_DELAY_USEC (60 * UINT64_C(1000000)) /* the minute */
#define DF_RECLAIM_BACKOFF_BASE_USEC (3600 * UINT64_C(1000000)) /* a hot cgroup rests an hour, then 2h, 4h ... */
#define DF_RECLAIM_BACKOFF_MAX_USEC (7 * 24 * 3600 * UINT64_C(1000000))

/* One reclaim waiting for its refault reading. */
struct df_reclaim_followup {
        char path[DF_CGROUP_PATH_MAX];
        uint64_t at_usec;                 /* when the reclaim ended */
        uint64_t reclaimed_bytes;
        uint64_t refaults_before;         /* workingset_refault_file + _anon, pages */
        uint64_t delay_usec;              /* RefaultDelaySec=; 0: DF_RECLAIM_REFAULT_DELAY_USEC */
};

bool df_reclaim_followup_due(const struct df_reclaim_followup *f, uint64_t now_usec);

/* Per-cgroup back-off. */
struct df_reclaim_backoff {
        unsigned level;                   /* consecutive hot verdicts */
        uint64_t until_usec;              /* not a candidate before */
};

/* Refaulted share of what was reclaimed, in percent (capped at 1000). */
unsigned df_reclaim_refault_percent(uint64_t reclaimed_bytes, uint64_t refault_pages, uint64_t page_bytes);
/* The verdict a minute later: true = back off (updates *bo: doubles the
 * rest each time, up to a week); false = it was cold, level resets. */
bool df_reclaim_refault_verdict(const struct df_reclaim_conf *conf, uint64_t reclaimed_bytes, uint64_t refault_pages,
                                uint64_t page_bytes, uint64_t now_usec, struct df_reclaim_backoff *bo);
static inline bool df_reclaim_backed_off(const struct df_reclaim_backoff *bo, uint64_t now_usec) {
        return bo && now_usec < bo->until_usec;
}

/* ---- the reclaim levers' own settings (set by the manager after open) ---- */

/* Both levers keep one of these as their state. */
struct df_reclaim_lever_state {
        bool allow_anon;                  /* false: always "swappiness=0" */
        int swappiness_arg;               /* node: 1 (the file came with it); cgroup: -1, learned per reclaim */
        char cgroup2_mount[DF_CGROUP_PATH_MAX]; /* cgroup lever: "/sys/fs/cgroup" */
};
void df_reclaim_lever_set_allow_anon(void *state, bool allow_anon);

/* The text written to memory.reclaim / nodeN/reclaim. */
void df_reclaim_request_format(uint64_t bytes, bool swappiness0, char *buf, size_t size);

/* The two levers (daemon/lever/reclaim-node.c, reclaim-cgroup.c), for the lever table. */
struct df_lever_ops;
extern const struct df_lever_ops df_lever_reclaim_node;
extern const struct df_lever_ops df_lever_reclaim_cgroup;

/* pgsteal_proactive of <root>/proc/vmstat (6.17+), else the sum of every
 * pgsteal_* (older kernels): pages reclaimed machine-wide. */
int df_reclaim_read_pgsteal(const char *root, uint64_t *ret_pages);
/* nr_slab_reclaimable of <root>/sys/devices/system/node/nodeN/vmstat (pages). */
int df_reclaim_read_node_slab(const char *root, int node, uint64_t *ret_pages);

/* nodeN/reclaim runs __node_reclaim(), which does nothing at all (not even
 * the slab shrinkers) while the node's unmapped clean page cache is at or
 * below vm.min_unmapped_ratio percent of the node (1 by default): where the
 * cache is gone and dentries and inodes hold the pageblocks, every write
 * returned EAGAIN at once. The manager (and reclaim-tool) set the knob to
 * `ratio` around the write through knobs.c (recorded before, restored after;
 * a crash's change is put back by the next start); ratio < 0: left alone. */
#define DF_RECLAIM_NODE_GATE_KNOB "/proc/sys/vm/min_unmapped_ratio"
struct df_knobs;
struct df_error;
int df_reclaim_node_gate_open(struct df_knobs *k, int ratio, struct df_error *err);
int df_reclaim_node_gate_close(struct df_knobs *k, struct df_error *err);

/* ---- the rung's decision (pure) ---- */

enum df_reclaim_verdict {
        DF_RECLAIM_ACT = 0,
        DF_RECLAIM_SKIP_DISABLED,      /* Enable=no, or NodeReclaim=no for the node lever */
        DF_RECLAIM_SKIP_GUARD,         /* PSI above the limit */
        DF_RECLAIM_SKIP_BUDGET,        /* the hour's budget is spent */
        DF_RECLAIM_SKIP_NO_CANDIDATE,  /* no cgroup passes (patterns matching nothing, all protected, backed off ...) */
        DF_RECLAIM_SKIP_AIM_PENDING,   /* no candidate's page in the blocks read so far, and the planner has not read them all */
        _DF_RECLAIM_VERDICT_MAX,
};
const char *df_reclaim_verdict_to_string(enum df_reclaim_verdict v);

/* One cgroup as the rung sees it: read this tick, ranked, with its back-off. */
struct df_reclaim_choice_input {
        const struct df_reclaim_cgroup *ranked;  /* candidates (exclusion DF_RECLAIM_OK), best first */
        const struct df_reclaim_backoff *backoff; /* per ranked[i], may be NULL */
        size_t n;
        bool psi_present;
        double psi_some_avg10;
        uint64_t blocks_short, block_bytes, page_bytes;
        /* The planner's page sample ranked the candidates (cheap_pages) and
         * whether its view covered every block. With a sample that found no
         * candidate's page while the view is still filling in (after a start
         * or a hotplug), the rung waits for the view instead of ranking by
         * inactive_file blind; once the view is whole, inactive_file decides. */
        bool sample_present, view_complete;
};

/* The memory.reclaim rung: the first ranked cgroup not backed off and not
 * under its own pressure, asked for the bounded amount (DF_RECLAIM_SKIP_AIM_PENDING
 * as above). Fills a->lever,
 * a->target.cgroup, a->amount on DF_RECLAIM_ACT; *ret_index = its index. */
enum df_reclaim_verdict df_reclaim_choose_cgroup(const struct df_reclaim_conf *conf, const struct df_reclaim_budget *b,
                                                 const struct df_reclaim_choice_input *in, uint64_t now_usec,
                                                 struct df_action *a, size_t *ret_index);
/* The node rung: NodeReclaim=yes, guard open, the bounded amount. */
enum df_reclaim_verdict df_reclaim_choose_node(const struct df_reclaim_conf *conf, const struct df_reclaim_budget *b,
                                               const struct df_reclaim_choice_input *in, int node, uint64_t now_usec,
                                               struct df_action *a);

/* Allow= patterns that match no cgroup of all[0..n): bit i set for allow[i]
 * (said once in the journal: a typo, or the service is not running). */
uint64_t df_reclaim_unmatched_allow(const struct df_reclaim_conf *conf, const struct df_reclaim_cgroup *all, size_t n);

/* When the ladder should climb to reclaim for a SHORT cell: compaction
 * cannot help because the zone lacks free memory (fragmentation index in
 * [0, 500], thousandths, as __fragmentation_index()), or the last compaction
 * stopped early (CONTENDED) or gained nothing. Returns the lever to try:
 * RECLAIM_CGROUP first when usable; RECLAIM_NODE only for lack of free memory
 * (index <= 500) with NodeReclaim=yes; DF_LEVER_NONE = stay with compaction. */
enum df_lever_kind df_reclaim_rung(const struct df_reclaim_conf *conf, int fragmentation_index,
                                   bool compaction_contended, bool compaction_gained_nothing,
                                   bool cgroup_lever_usable, bool node_lever_usable);
