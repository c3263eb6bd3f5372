/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control socket's request line, parsed without the socket (pure), so
 * tests and the fuzzer reach every case a client can send. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "defragd/control.h"

static const char *const request_names[_DF_CONTROL_REQUEST_MAX] = {
        [DF_CONTROL_STATUS] = "status",
        [DF_CONTROL_STATUS_JSON] = "status json",
        [DF_CONTROL_PROBES_JSON] = "probes json",
        [DF_CONTROL_METRICS] = "metrics",
        [DF_CONTROL_METRICS_OPENMETRICS] = "metrics openmetrics",
};

#define ACCEPTED "accepted: status, status json, probes json, metrics, metrics openmetrics"
#define QUOTED_MAX_BYTES 32 /* of the request, echoed back in an error */

/* The request echoed back safely: printable ASCII, anything else as \xNN
 * (a client's terminal must not receive escape sequences from us). */
static void quote(const char *s, size_t len, char *buf, size_t size) {
        size_t o = 0;

        for (size_t i = 0; i < len && i < QUOTED_MAX_BYTES && o + 5 < size; i++) {
                unsigned char c = (unsigned char) s[i];

                if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
                        buf[o++] = (char) c;
                else
                        o += (size_t) snprintf(buf + o, size - o, "\\x%02x", c);
        }
        if (len > QUOTED_MAX_BYTES && o + 4 < size) {
                memcpy(buf + o, "...", 3);
                o += 3;
        }
        buf[o] = 0;
}

int df_control_parse_request(const char *line, size_t len, enum df_control_request *ret, char *why,
                             size_t why_size) {
        const char *nl;
        char q[QUOTED_MAX_BYTES * 4 + 8];
        size_t n;

        assert(line || len == 0);
        assert(ret);
        assert(why && why_size > 0);

        why[0] = 0;
        nl = len > 0 ? memchr(line, '\n', len) : NULL;
        if (!nl && len >= DF_CONTROL_REQUEST_MAX_BYTES) {
                snprintf(why, why_size, "request longer than %d bytes; " ACCEPTED, DF_CONTROL_REQUEST_MAX_BYTES - 1);
                return -E2BIG;
        }
        n = nl ? (size_t) (nl - line) : len;
        if (n > 0 && line[n - 1] == '\r')
                n--;
        for (int i = 0; i < _DF_CONTROL_REQUEST_MAX; i++)
                if (strlen(request_names[i]) == n && memcmp(request_names[i], line, n) == 0) {
                        *ret = (enum df_control_request) i;
                        return 0;
                }
        quote(line, n, q, sizeof(q));
        snprintf(why, why_size, "unknown request \"%s\"; " ACCEPTED, q);
        return -EINVAL;
}
