/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The lever table and the compaction lever. Thin: a write and a stopwatch;
 * the gain is measured by the manager with snapshots before and after. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "defragd/actuator.h"
#include "defragd/util.h"

int df_compact_node(const char *root, int node, char *path_used, size_t path_size) {
        int r;

        snprintf(path_used, path_size, "%s/sys/devices/system/node/node%d/compact", root, node);
        r = df_write_file(path_used, "1");
        if (r != -ENOENT)
                return r;
        snprintf(path_used, path_size, "%s/proc/sys/vm/compact_memory", root);
        return df_write_file(path_used, "1");
}

static int run_compact(const struct df_actuator_ctx *ctx, const struct df_action *a, struct df_action_result *r,
                       char *detail, size_t detail_size) {
        uint64_t start = df_now_usec();

        r->error = df_compact_node(ctx->root ? ctx->root : "", a->node, detail, detail_size);
        r->duration_usec = df_now_usec() - start;
        return r->error;
}

static const struct df_actuator actuators[] = {
        { DF_ACTION_COMPACT_NODE, "compact", run_compact },
};

const struct df_actuator *df_actuator_for(enum df_action_kind kind) {
        for (size_t i = 0; i < ELEMENTSOF(actuators); i++)
                if (actuators[i].kind == kind)
                        return &actuators[i];
        return NULL;
}
