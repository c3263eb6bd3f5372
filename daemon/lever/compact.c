/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Compaction of one node: write "1" to nodeN/compact (synchronous: the write
 * returns when the kernel is done). Where the file is absent, compact_memory
 * compacts every node, and the result says so (machine_wide). */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "defragd/lever.h"
#include "defragd/util.h"

static const char *root_of(const struct df_lever_env *env) {
        return env->root ? env->root : "";
}

static int compact_open(const struct df_lever_env *env, void **state, char *reason, size_t reason_size) {
        char path[4096];

        assert(env && state && reason);
        *state = NULL;
        snprintf(path, sizeof(path), "%s/sys/devices/system/node/node0/compact", root_of(env));
        if (access(path, W_OK) == 0)
                return 0;
        snprintf(path, sizeof(path), "%s/proc/sys/vm/compact_memory", root_of(env));
        if (access(path, W_OK) == 0) {
                snprintf(reason, reason_size, "no per-node compact file (CONFIG_NUMA=n or sysfs not mounted): "
                         "every run compacts the whole machine through %s", path);
                return 0;
        }
        snprintf(reason, reason_size, "neither node0/compact nor %s is writable: %s", path, strerror(errno));
        return -errno;
}

static int compact_run(const struct df_lever_env *env, void *state, const struct df_action *a,
                       struct df_action_result *r) {
        int err;

        assert(env && a && r);
        snprintf(r->detail, sizeof(r->detail), "%s/sys/devices/system/node/node%d/compact", root_of(env),
                 a->target.node);
        err = df_write_file(r->detail, "1");
        if (err == -ENOENT) {
                snprintf(r->detail, sizeof(r->detail), "%s/proc/sys/vm/compact_memory", root_of(env));
                r->machine_wide = true;
                err = df_write_file(r->detail, "1");
        }
        r->outcome = err < 0 ? DF_OUTCOME_FAILED : DF_OUTCOME_DONE;
        r->error = err;
        return err;
}

static void compact_close(void *state) {
        (void) state;
}

const struct df_lever_ops df_lever_compact = {
        .kind = DF_LEVER_COMPACT_NODE,
        .open = compact_open,
        .run = compact_run,
        .close = compact_close,
};
