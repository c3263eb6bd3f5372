/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one vocabulary the policy and the levers speak: what to do (a lever, a
 * target, an amount) and what came of it (amount done, pages moved, gain,
 * the kernel's own outcome). Plain data: no I/O, no pointers. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "defragd/snapshot.h"

/* Every lever, cheapest first in the default ladder. The name each one goes
 * by in config, journal (ACTION=) and metrics (lever="...") is
 * df_lever_kind_to_string(). */
enum df_lever_kind {
        DF_LEVER_NONE = 0,
        DF_LEVER_COMPACT_NODE,   /* nodeN/compact (or compact_memory: machine-wide scope) */
        DF_LEVER_PROACTIVENESS,  /* knob: vm.compaction_proactiveness raised while short (desired state) */
        DF_LEVER_CLEAR_KMOD,     /* companion module: clear one aligned block "PFN ORDER" */
        DF_LEVER_CLEAR_OFFLINE,  /* memory block offline, then online again */
        DF_LEVER_RECLAIM_NODE,   /* nodeN/reclaim (6.17+) */
        DF_LEVER_RECLAIM_CGROUP, /* cgroup v2 memory.reclaim */
        _DF_LEVER_MAX,
};

/* What a lever acts on. Levers read only the fields of their kind. */
#define DF_CGROUP_PATH_MAX 256
struct df_action_target {
        int node;
        char zone[DF_NAME_MAX];
        int order;                        /* the SHORT cell's order that motivated it */
        char cgroup[DF_CGROUP_PATH_MAX];  /* RECLAIM_CGROUP: path below the cgroup2 mount, "/system.slice/x.service" */
        int64_t memory_block;             /* CLEAR_OFFLINE: memoryN, -1 none */
        uint64_t start_pfn;               /* CLEAR_KMOD / CLEAR_OFFLINE: first page frame */
        uint64_t nr_pages;                /* ... and how many (1 << order, or the memory block size) */
};

struct df_action {
        enum df_lever_kind lever;
        struct df_action_target target;
        uint64_t amount;                  /* in the lever's unit: bytes to reclaim; 0 where none (compaction) */
        uint64_t planned_pages;           /* pages the planner expects to move (clear rungs), 0 unknown */
        uint64_t suitable_blocks;         /* the motivating cell when decided */
        uint64_t target_high_blocks;
        bool dry_run;
};

/* How it ended, in the lever's own terms. */
enum df_action_outcome {
        DF_OUTCOME_DONE = 0,      /* the kernel did what was asked */
        DF_OUTCOME_PARTIAL,       /* less than asked (reclaim EAGAIN) */
        DF_OUTCOME_CONTENDED,     /* the kernel stopped early (compaction COMPACT_CONTENDED) */
        DF_OUTCOME_BUSY,          /* refused: an unmovable page (EBUSY) */
        DF_OUTCOME_FAILED,        /* any other error: see error */
        DF_OUTCOME_INTERRUPTED,   /* the daemon stopped it (SIGTERM, reload) */
        DF_OUTCOME_TIMEOUT,       /* ran past its timeout and was abandoned */
        DF_OUTCOME_DRY_RUN,       /* not run */
        _DF_OUTCOME_MAX,
};

/* What the lever measured itself, plus the manager's before/after. */
struct df_action_result {
        enum df_lever_kind lever;
        int node;
        enum df_action_outcome outcome;
        int error;                    /* 0 or -errno */
        uint64_t duration_usec;
        uint64_t amount_done;         /* bytes reclaimed; blocks cleared */
        uint64_t slab_bytes;          /* reclaim-node: of amount_done, the drop of the node's reclaimable slab */
        uint64_t pages_moved;         /* migrated (pgmigrate_success delta or the module's count); 0 unknown */
        bool machine_wide;            /* compaction fell back to compact_memory: scope was the machine */
        /* free blocks of the motivating (zone, order) before and after;
         * gain_known false when the after-read failed (then not "no gain") */
        bool gain_known;
        uint64_t suitable_before, suitable_after;
        char detail[160];             /* what was written where: "/sys/.../node0/compact" */
        char kernel_outcome[96];      /* e.g. "complete=2 contended=1" from the probes */
};

const char *df_lever_kind_to_string(enum df_lever_kind k);  /* "compact", "proactiveness", ... */
enum df_lever_kind df_lever_kind_from_string(const char *s); /* DF_LEVER_NONE when unknown */
const char *df_action_outcome_to_string(enum df_action_outcome o);

/* Gain in suitable blocks; 0 when unknown or negative. */
static inline uint64_t df_action_gain_blocks(const struct df_action_result *r) {
        return r->gain_known && r->suitable_after > r->suitable_before ? r->suitable_after - r->suitable_before : 0;
}
