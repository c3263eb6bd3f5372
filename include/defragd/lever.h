/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A lever's lifecycle: open (probe the kernel: is the file there, writable,
 * which version), run (off the event loop, in a child process the manager can
 * kill), close. One file per lever under daemon/lever/, one row in the table. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "defragd/action.h"
#include "defragd/error.h"
#include "defragd/policy.h"

struct df_knobs;

struct df_lever_env {
        const char *root;        /* "" live; tests prefix procfs/sysfs paths */
        const char *runtime_dir; /* state files (undo records) live here */
};

struct df_lever_ops {
        enum df_lever_kind kind;
        /* Probe the kernel. 0 when usable; else -errno and `reason` says why,
         * once, for the journal and `defragctl status` ("no nodeN/reclaim:
         * kernel older than 6.17"). *state is the lever's own, may be NULL. */
        int (*open)(const struct df_lever_env *env, void **state, char *reason, size_t reason_size);
        /* Do it. Runs in a child process (the manager's worker): may block in
         * the kernel; must not touch the event loop. Fills r (outcome, error,
         * duration, amount_done, pages_moved, detail). Returns r->error. */
        int (*run)(const struct df_lever_env *env, void *state, const struct df_action *a,
                   struct df_action_result *r);
        void (*close)(void *state);
        /* Knob levers only: the knob's path, relative to root ("/proc/sys/vm/..."). */
        const char *knob_path;
};

/* The lever table; NULL for kinds without a lever in this build. */
const struct df_lever_ops *df_lever_ops(enum df_lever_kind kind);

/* Each lever's row, defined in its file under daemon/lever/ (one line each
 * here and in the table of daemon/lever/lever.c). */
extern const struct df_lever_ops df_lever_compact;       /* lever/compact.c */
extern const struct df_lever_ops df_lever_proactiveness; /* lever/proactiveness.c */
extern const struct df_lever_ops df_lever_clear_kmod;    /* lever/clear-kmod.c */

/* Run one lever in this process (the manager's child calls it; tests too):
 * fills r->lever/node, duration and a FAILED outcome on error. */
int df_lever_run(const struct df_lever_ops *ops, const struct df_lever_env *env, void *state,
                 const struct df_action *a, struct df_action_result *r);

/* Make each knob lever's knob what the policy wants: set (recording the
 * original first) when engaged, restored when not. Returns 0 or the first
 * -errno; every failure is in err and the others are still tried. */
int df_knob_levers_reconcile(struct df_knobs *knobs, const struct df_knob_desire *desires, unsigned n,
                             struct df_error *err);
