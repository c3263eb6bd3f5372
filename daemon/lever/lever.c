/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The lever table: one row per lever kind, so the manager opens, runs and
 * closes every lever the same way. A new lever is one file and one row. */
#include <assert.h>
#include <errno.h>
#include <stddef.h>

#include "defragd/fault.h"
#include "defragd/knobs.h"
#include "defragd/lever-offline.h"
#include "defragd/lever.h"
#include "defragd/reclaim.h"
#include "defragd/util.h"

static const struct df_lever_ops *const table[_DF_LEVER_MAX] = {
        [DF_LEVER_COMPACT_NODE] = &df_lever_compact,
        [DF_LEVER_PROACTIVENESS] = &df_lever_proactiveness,
        [DF_LEVER_CLEAR_OFFLINE] = &df_lever_offline_ops,
        [DF_LEVER_CLEAR_KMOD] = &df_lever_clear_kmod,
        [DF_LEVER_RECLAIM_NODE] = &df_lever_reclaim_node,
        [DF_LEVER_RECLAIM_CGROUP] = &df_lever_reclaim_cgroup,
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
        df_fault_point("lever-child-before-run");
        r->error = ops->run(env, state, a, r);
        df_fault_point("lever-child-after-run");
        if (r->error < 0)
                r->outcome = DF_OUTCOME_FAILED;
        if (r->duration_usec == 0)
                r->duration_usec = df_now_usec() - start;
        return r->error;
}

static const char *restore_why(enum df_skip_reason why_not) {
        switch (why_not) {
        case DF_SKIP_NOT_SHORT: return "all watched zones back at high mark";
        case DF_SKIP_PRESSURE:  return "memory pressure guard";
        case DF_SKIP_DRY_RUN:   return "dry run";
        case DF_SKIP_ABSENT:    return "lever unavailable";
        default:                return "lever disabled";
        }
}

int df_knob_levers_reconcile(struct df_knobs *knobs, const struct df_knob_desire *desires, unsigned n,
                             struct df_error *err) {
        int ret = 0;

        assert(knobs && (desires || n == 0) && err);
        for (unsigned i = 0; i < n; i++) {
                const struct df_knob_desire *kd = &desires[i];
                const struct df_lever_ops *ops = df_lever_ops(kd->lever);
                struct df_error e = { "" };
                int r = 0;

                if (!ops || !ops->knob_path)
                        continue;
                if (kd->engaged)
                        r = df_knobs_set(knobs, ops->knob_path, kd->value,
                                         "a watched zone is short and compaction can help", &e);
                else if (df_knobs_is_changed(knobs, ops->knob_path))
                        r = df_knobs_restore(knobs, ops->knob_path, restore_why(kd->why_not), &e);
                if (r < 0 && ret == 0) {
                        ret = r;
                        *err = e;
                }
        }
        return ret;
}
