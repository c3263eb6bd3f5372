/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Names of the action vocabulary (include/defragd/action.h): one spelling
 * for config (Order=), journal (ACTION=, RESULT=), status and metrics. */
#include <string.h>

#include "defragd/action.h"
#include "defragd/util.h"

static const char *const lever_names[_DF_LEVER_MAX] = {
        [DF_LEVER_NONE] = "none",
        [DF_LEVER_COMPACT_NODE] = "compact",
        [DF_LEVER_PROACTIVENESS] = "proactiveness",
        [DF_LEVER_CLEAR_KMOD] = "clear-kmod",
        [DF_LEVER_CLEAR_OFFLINE] = "clear-offline",
        [DF_LEVER_RECLAIM_NODE] = "reclaim-node",
        [DF_LEVER_RECLAIM_CGROUP] = "reclaim-cgroup",
};

static const char *const outcome_names[_DF_OUTCOME_MAX] = {
        [DF_OUTCOME_DONE] = "done",
        [DF_OUTCOME_PARTIAL] = "partial",
        [DF_OUTCOME_CONTENDED] = "contended",
        [DF_OUTCOME_BUSY] = "busy",
        [DF_OUTCOME_FAILED] = "failed",
        [DF_OUTCOME_INTERRUPTED] = "interrupted",
        [DF_OUTCOME_TIMEOUT] = "timeout",
        [DF_OUTCOME_DRY_RUN] = "dry-run",
};

const char *df_lever_kind_to_string(enum df_lever_kind k) {
        return k >= 0 && k < _DF_LEVER_MAX ? lever_names[k] : "invalid";
}

enum df_lever_kind df_lever_kind_from_string(const char *s) {
        for (int k = DF_LEVER_NONE + 1; k < _DF_LEVER_MAX; k++)
                if (strcmp(s, lever_names[k]) == 0)
                        return (enum df_lever_kind) k;
        return DF_LEVER_NONE;
}

const char *df_action_outcome_to_string(enum df_action_outcome o) {
        return o >= 0 && o < _DF_OUTCOME_MAX ? outcome_names[o] : "invalid";
}
