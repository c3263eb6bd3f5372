/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's one owner object: event loop, config, history, levers and
 * report sinks (after systemd-oomd's Manager). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "defragd/conf.h"
#include "defragd/error.h"
#include "defragd/policy.h"
#include "defragd/snapshot.h"

#define DF_RECENT_ACTIONS 16

struct manager_options {
        const char *config_path;  /* --config FILE, NULL = system config + drop-ins */
        const char *root;         /* --root DIR: procfs/sysfs/config prefix, tests only; "" live */
        const char *runtime_dir;  /* control socket + knob state */
        bool force_dry_run;       /* --dry-run */
        const struct df_config *config; /* loaded and validated by the caller (reloads read files again) */
};

/* One executed (or dry-run) action, kept for `defragctl status`. */
struct df_recent_action {
        uint64_t realtime_usec;
        struct df_action action;
        struct df_action_result result;
        int unusable_before, unusable_after; /* thousandths, motivating (zone, order) */
        char detail[128];
        /* From the probes, when attached: kernel compaction runs that ended
         * during the action, by result ("complete=2 contended=1"), and
         * whether any stopped early (COMPACT_CONTENDED: see docs/kernel-notes.md). */
        char kernel_results[96];
        bool kernel_stopped_early;
};

struct manager;

int manager_new(const struct manager_options *o, struct manager **ret, struct df_error *err);
void manager_free(struct manager *m);
/* Runs until SIGTERM/SIGINT; returns the process exit status. */
int manager_run(struct manager *m);

/* Ask for a policy evaluation as soon as the loop is idle (probes hook:
 * a high-order failure must not wait for the next poll). */
void manager_evaluate_now(struct manager *m, const char *why);

/* Status for defragctl, rendered by status.c. */
struct manager_view {
        const struct df_config *config;
        const struct df_snapshot *snapshot;
        const struct df_policy_state *policy;
        const struct df_decision *decision;
        const struct df_recent_action *recent;  /* oldest first */
        unsigned n_recent;
        const struct df_knobs *knobs;
        const struct df_probes *probes;
        uint64_t started_realtime_usec;
        uint64_t evaluations;
        uint64_t last_evaluation_realtime_usec;
        const char *config_source;
};

void manager_get_view(const struct manager *m, struct manager_view *v);
void df_status_render_text(const struct manager_view *v, FILE *f);
void df_status_render_json(const struct manager_view *v, FILE *f);
/* One line for sd_notify STATUS= and the journal. */
void df_status_line(const struct manager_view *v, char *buf, size_t size);
