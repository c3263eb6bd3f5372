/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's one owner object: event loop, config, history, levers and
 * report sinks (after systemd-oomd's Manager). Only defragd.c and manager.c
 * include this header; everyone else gets plain data (status.h). */
#pragma once

#include <stdbool.h>

#include "defragd/conf.h"
#include "defragd/error.h"
#include "defragd/status.h"

struct manager_options {
        const char *config_path;  /* --config FILE, NULL = system config + drop-ins */
        const char *root;         /* --root DIR: procfs/sysfs/config prefix, tests only; "" live */
        const char *runtime_dir;  /* control socket + knob state */
        bool force_dry_run;       /* --dry-run */
        const struct df_config *config; /* loaded and validated by the caller (reloads read files again) */
};

struct manager;

int manager_new(const struct manager_options *o, struct manager **ret, struct df_error *err);
void manager_free(struct manager *m);
/* Runs until SIGTERM/SIGINT; returns the process exit status. */
int manager_run(struct manager *m);

/* Ask for a policy evaluation as soon as the loop is idle (probes hook:
 * a high-order failure must not wait for the next poll). */
void manager_evaluate_now(struct manager *m, const char *why);

/* The status view; probe counters are collected now (live). */
void manager_get_status(struct manager *m, struct df_status_view *v);
