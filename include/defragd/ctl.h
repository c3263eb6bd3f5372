/* SPDX-License-Identifier: GPL-2.0-or-later */
/* defragctl subcommands. Each takes the arguments after the command name
 * (argv[0] is the command) and returns the process exit status:
 * 0 done, 1 failed (message on stderr), 2 bad usage. */
#pragma once

#include <stdio.h>

/* `defragctl report [--json] [--root DIR]`: one-shot view from procfs, no daemon. */
int df_ctl_report(int argc, char **argv);

/* `defragctl status [--json]`: asks the daemon over its control socket
 * (daemon/ctl-status.c, lead). defragctl dispatches to it only when built
 * with HAVE_CTL_STATUS (daemon/meson.build sets it when ctl-status.c exists). */
int df_ctl_status(int argc, char **argv);

/* `defragctl plan [--json] [--root DIR] [--order N] [--blocks N]`: the
 * planner's cheapest blocks from one sweep of /proc/kpageflags, no daemon. */
int df_ctl_plan(int argc, char **argv);
/* `defragctl metrics [--openmetrics] [--http]`: the daemon's exposition over
 * its control socket (requests "metrics", "metrics openmetrics"). */
int df_ctl_metrics(int argc, char **argv);
/* --http: read one HTTP request head from in_fd (at most 8 KiB), answer it
 * on out as HTTP/1.0 with the exposition (Accept: application/openmetrics-text
 * gets OpenMetrics); 503 when the daemon does not answer. 0 or 1. */
int df_ctl_metrics_http(const char *socket_path, int in_fd, FILE *out);

/* The daemon's control socket under runtime_dir (--runtime-dir). */
void df_ctl_socket_path(const char *runtime_dir, char *buf, size_t size);
/* Asks the daemon at socket_path `request` ("status json", "metrics", ...),
 * its answer on stdout. 0, or 1 with "defragctl: WHY" on stderr. */
int df_ctl_ask(const char *socket_path, const char *request);
