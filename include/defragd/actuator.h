/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Actuators: the only code that writes to the kernel to defragment. Each
 * lever is one function named for what it writes; the table maps a policy
 * action kind to its lever so new levers (cgroup reclaim, the block-clearing
 * hook) join without touching the manager. */
#pragma once

#include <stdint.h>

#include "defragd/error.h"
#include "defragd/policy.h"

struct df_actuator_ctx {
        const char *root; /* "" live; tests may prefix sysfs/procfs paths */
};

struct df_actuator {
        enum df_action_kind kind;
        const char *name;  /* ACTION= in the journal */
        /* Do it; fill r->error and r->duration_usec; `detail` names what was written. */
        int (*run)(const struct df_actuator_ctx *ctx, const struct df_action *a, struct df_action_result *r,
                   char *detail, size_t detail_size);
};

const struct df_actuator *df_actuator_for(enum df_action_kind kind);

/* /sys/devices/system/node/nodeN/compact, falling back to
 * /proc/sys/vm/compact_memory (whole machine) where per-node compaction is
 * absent (CONFIG_NUMA=n or sysfs not mounted). Synchronous: the write returns
 * when the kernel has finished compacting. */
int df_compact_node(const char *root, int node, char *path_used, size_t path_size);
