/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The companion module's rung (DF_LEVER_CLEAR_KMOD): clear one aligned block
 * the planner chose through /sys/kernel/defragd_clear; the lever table's row. */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "defragd/kmod-clear.h"
#include "defragd/lever.h"
#include "defragd/util.h"

static const char *root_of(const struct df_lever_env *env) {
        return env->root && strcmp(env->root, "/") != 0 ? env->root : "";
}

static int kmod_open(const struct df_lever_env *env, void **state, char *reason, size_t reason_size) {
        struct df_kmod_clear *k = NULL;
        struct df_error err = { "" };
        int r;

        assert(env && state && reason);
        r = df_kmod_clear_open(root_of(env), &k, &err);
        if (r < 0) {
                snprintf(reason, reason_size, "%s", err.msg);
                return r;
        }
        snprintf(reason, reason_size, "module %s loaded, orders %u..%u", DF_KMOD_CLEAR_MODULE,
                 df_kmod_clear_order_min(k), df_kmod_clear_order_max(k));
        *state = k;
        return 0;
}

static void kmod_close(void *state) { df_kmod_clear_close(state); }

static unsigned order_of(uint64_t nr_pages) {
        unsigned o = 0;

        while (o < 63 && (UINT64_C(1) << o) < nr_pages)
                o++;
        return o;
}

static int kmod_run(const struct df_lever_env *env, void *state, const struct df_action *a, struct df_action_result *r) {
        struct df_kmod_clear *k = state;
        struct df_kmod_clear_result kr = { 0 };
        unsigned order;

        assert(env && k && a && r);
        r->lever = DF_LEVER_CLEAR_KMOD;
        r->node = a->target.node;
        if (a->dry_run) {
                r->outcome = DF_OUTCOME_DRY_RUN;
                return 0;
        }
        if (a->target.nr_pages == 0 || (a->target.nr_pages & (a->target.nr_pages - 1)) != 0) {
                r->outcome = DF_OUTCOME_FAILED;
                r->error = -EINVAL;
                snprintf(r->detail, sizeof(r->detail), "no planned block (pfn %" PRIu64 "+%" PRIu64 ")",
                         a->target.start_pfn, a->target.nr_pages);
                return r->error;
        }
        order = order_of(a->target.nr_pages);
        df_kmod_clear_block(k, a->target.start_pfn, order, &kr);
        r->error = kr.error;
        r->duration_usec = kr.duration_usec;
        if (kr.detail_known)
                r->pages_moved = kr.detail.pages_moved;
        switch (kr.error) {
        case 0:
                r->outcome = DF_OUTCOME_DONE;
                r->amount_done = 1;
                break;
        case -EBUSY:
                r->outcome = DF_OUTCOME_BUSY;
                break;
        case -EINTR:
                r->outcome = DF_OUTCOME_INTERRUPTED;
                break;
        default:
                r->outcome = DF_OUTCOME_FAILED;
                break;
        }
        if (kr.error == 0 && kr.detail_known)
                snprintf(r->detail, sizeof(r->detail), "pfn %" PRIu64 " order %u: %" PRIu64 " pages in use, %" PRIu64
                         " us in the module, %" PRIu64 " pages given back one by one",
                         a->target.start_pfn, order, kr.detail.pages_in_use, kr.detail.usec, kr.detail.fallback_pages);
        else
                snprintf(r->detail, sizeof(r->detail), "pfn %" PRIu64 " order %u: %s", a->target.start_pfn, order,
                         kr.error ? df_kmod_clear_error_meaning(kr.error) : "cleared (no record read back)");
        return r->error;
}

const struct df_lever_ops df_lever_clear_kmod = {
        .kind = DF_LEVER_CLEAR_KMOD,
        .open = kmod_open,
        .run = kmod_run,
        .close = kmod_close,
};
