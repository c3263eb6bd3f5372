/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vm.compaction_proactiveness as a knob lever: the policy says the value it
 * wants (or "restored"), the manager makes it so through knobs.c. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "defragd/lever.h"

#define PROACTIVENESS_KNOB "/proc/sys/vm/compaction_proactiveness"

static int proactiveness_open(const struct df_lever_env *env, void **state, char *reason, size_t reason_size) {
        char path[4096];

        assert(env && state && reason);
        *state = NULL;
        snprintf(path, sizeof(path), "%s" PROACTIVENESS_KNOB, env->root ? env->root : "");
        if (access(path, R_OK | W_OK) == 0)
                return 0;
        snprintf(reason, reason_size, "%s: %s (kernel older than 5.9, or not root)", path, strerror(errno));
        return -errno;
}

const struct df_lever_ops df_lever_proactiveness = {
        .kind = DF_LEVER_PROACTIVENESS,
        .open = proactiveness_open,
        .knob_path = PROACTIVENESS_KNOB,
};
