/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The lever table: one row per lever kind, so the manager opens, runs and
 * closes every lever the same way. A new lever is one file and one row. */
#include <assert.h>
#include <errno.h>

#include "defragd/lever.h"
#include "defragd/util.h"

static const struct df_lever_ops *const table[_DF_LEVER_MAX] = {
        [DF_LEVER_COMPACT_NODE] = &df_lever_compact,
        [DF_LEVER_PROACTIVENESS] = &df_lever_proactiveness,
};

const struct df_lever_ops *df_lever_ops(enum df_lever_kind kind) {
        return kind > DF_LEVER_NONE && kind < _DF_LEVER_MAX ? table[kind] : NULL;
}

int df_lever_run(const struct df_lever_ops *ops, const struct df_lever_env *env, void *state,
                 const struct df_action *a, struct df_action_result *r) {
        uint64_t start = df_now_usec();

        assert(ops && env && a && r);
        r->lever = a->lever;
        r->node = a->target.node;
        if (!ops->run) {
                r->outcome = DF_OUTCOME_FAILED;
                r->error = -EOPNOTSUPP; /* a knob lever has no run: the manager reconciles it */
                return r->error;
        }
        r->error = ops->run(env, state, a, r);
        if (r->error < 0)
                r->outcome = DF_OUTCOME_FAILED;
        if (r->duration_usec == 0)
                r->duration_usec = df_now_usec() - start;
        return r->error;
}
