/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control socket defragctl talks to: a root-only unix stream socket in
 * the runtime directory. Protocol: one request line, one reply, close.
 *   "status"       -> text table        "status json" -> JSON object
 *   "probes json"  -> probe counters (JSON)
 *   "metrics", "metrics openmetrics" -> the exposition (defragctl metrics)
 * A reply that starts with "error: " is an error the client prints as is. */
#pragma once

#include <systemd/sd-event.h>

#include "defragd/error.h"
#include "defragd/status.h"

struct df_control;

#define DF_CONTROL_SOCKET_NAME "control"

enum df_control_request {
        DF_CONTROL_STATUS,
        DF_CONTROL_STATUS_JSON,
        DF_CONTROL_PROBES_JSON,
        DF_CONTROL_METRICS,             /* Prometheus text 0.0.4 */
        DF_CONTROL_METRICS_OPENMETRICS, /* OpenMetrics 1.0.0 text */
        _DF_CONTROL_REQUEST_MAX,
};

/* A request line is at most this long, newline included. */
#define DF_CONTROL_REQUEST_MAX_BYTES 256

/* One request as received: `len` bytes up to and maybe including the
 * newline (bytes after it are ignored). 0 with *ret set; or -EINVAL
 * (unknown) / -E2BIG (no newline within DF_CONTROL_REQUEST_MAX_BYTES) with
 * `why` a one-line, printable-ASCII reason naming what is accepted. Pure. */
int df_control_parse_request(const char *line, size_t len, enum df_control_request *ret, char *why,
                             size_t why_size);

/* Serve `path` on `e`; every request asks `fill(userdata, &view)` for a fresh view. */
int df_control_new(sd_event *e, const char *path, df_status_fill_t fill, void *userdata, struct df_control **ret,
                   struct df_error *err);
void df_control_free(struct df_control *c);

/* Client side: connect to `path`, send `request`, copy the reply to `out`.
 * Returns 0, or -errno with err saying what to do (daemon not running,
 * permission denied: root only). */
int df_control_request(const char *path, const char *request, FILE *out, struct df_error *err);
