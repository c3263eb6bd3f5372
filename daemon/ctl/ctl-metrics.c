/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `defragctl metrics [--openmetrics] [--http]`: the daemon's exposition from
 * its control socket; with --http, one scrape answered on stdin/stdout. */
#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "defragd/control.h"
#include "defragd/ctl.h"
#include "defragd/metrics.h"
#include "defragd/util.h"

/* A scrape request is a line and a few headers: anything longer is not one. */
#define HTTP_REQUEST_MAX 8192
/* systemd hands us a connection nobody may hold open for long. */
#define HTTP_TIMEOUT_SEC 10

/* The request head: up to the empty line, at most HTTP_REQUEST_MAX bytes.
 * Returns its length, or -1 (too long, or the peer closed early). */
static ssize_t read_head(int fd, char *buf, size_t size) {
        size_t have = 0;

        assert(buf);
        while (have < size - 1) {
                ssize_t n = read(fd, buf + have, size - 1 - have);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -1;
                buf[have + (size_t) n] = 0;
                if (n == 0)
                        /* The peer closed after its lines without the empty
                         * one (printf 'GET /metrics HTTP/1.0\n' | nc): enough. */
                        return have > 0 && strchr(buf, '\n') ? (ssize_t) have : -1;
                have += (size_t) n;
                if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
                        return (ssize_t) have;
        }
        return -1;
}

static void respond(FILE *out, const char *status, const char *content_type, const char *body, size_t len, bool head) {
        fprintf(out, "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", status,
                content_type, len);
        if (!head)
                fwrite(body, 1, len, out);
        fflush(out);
}

static void respond_text(FILE *out, const char *status, const char *text, bool head) {
        respond(out, status, "text/plain; charset=utf-8", text, strlen(text), head);
}

/* Header value (case-insensitive name) from the head, or NULL. */
static const char *header_value(const char *head, const char *name, char *buf, size_t size) {
        size_t nl = strlen(name);

        for (const char *l = strchr(head, '\n'); l; l = strchr(l, '\n')) {
                l++;
                if (strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
                        const char *v = l + nl + 1;
                        size_t n;

                        v += strspn(v, " \t");
                        n = strcspn(v, "\r\n");
                        snprintf(buf, size, "%.*s", (int) n, v);
                        return buf;
                }
        }
        return NULL;
}

int df_ctl_metrics_http(const char *socket_path, int in_fd, FILE *out) {
        char head[HTTP_REQUEST_MAX], method[16], target[256], version[16], accept[512], *body = NULL;
        struct df_error err = { "" };
        size_t body_len = 0;
        bool om = false, is_head;
        FILE *f;
        int r;

        assert(socket_path);
        assert(out);
        if (read_head(in_fd, head, sizeof(head)) < 0) {
                respond_text(out, "400 Bad Request", "request head too long or incomplete\n", false);
                return 1;
        }
        if (sscanf(head, "%15s %255s %15s", method, target, version) != 3 || strncmp(version, "HTTP/1.", 7) != 0) {
                respond_text(out, "400 Bad Request", "expected a request line such as: GET /metrics HTTP/1.1\n", false);
                return 1;
        }
        is_head = strcmp(method, "HEAD") == 0;
        if (strcmp(method, "GET") != 0 && !is_head) {
                respond_text(out, "405 Method Not Allowed", "accepted: GET, HEAD\n", false);
                return 1;
        }
        target[strcspn(target, "?")] = 0;
        if (strcmp(target, "/metrics") != 0 && strcmp(target, "/") != 0) {
                respond_text(out, "404 Not Found", "accepted: /metrics\n", is_head);
                return 1;
        }
        /* Prometheus asks for OpenMetrics first in its Accept header. */
        if (header_value(head, "Accept", accept, sizeof(accept)) && strstr(accept, "application/openmetrics-text"))
                om = true;

        f = open_memstream(&body, &body_len);
        if (!f) {
                respond_text(out, "500 Internal Server Error", "out of memory\n", is_head);
                return 1;
        }
        r = df_control_request(socket_path, om ? "metrics openmetrics" : "metrics", f, &err);
        fclose(f);
        if (r < 0) {
                char text[DF_ERROR_MAX + 8];

                snprintf(text, sizeof(text), "%s\n", err.msg);
                /* 503: the scrape fails (up == 0) instead of serving nothing as if fine */
                respond_text(out, "503 Service Unavailable", text, is_head);
                free(body);
                return 1;
        }
        respond(out, "200 OK", om ? DF_METRICS_CONTENT_TYPE_OPENMETRICS : DF_METRICS_CONTENT_TYPE_PROMETHEUS, body,
                body_len, is_head);
        free(body);
        return 0;
}

int df_ctl_metrics(int argc, char **argv) {
        static const struct option options[] = {
                { "openmetrics", no_argument, NULL, 'o' },
                { "http", no_argument, NULL, 'H' },
                { "runtime-dir", required_argument, NULL, 'r' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 }
        };
        const char *runtime_dir = DEFRAGD_RUNTIME_DIR;
        char path[PATH_MAX];
        bool om = false, http = false;
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 'o': om = true; break;
                case 'H': http = true; break;
                case 'r': runtime_dir = optarg; break;
                case 'h':
                        printf("Usage: defragctl metrics [--openmetrics] [--http] [--runtime-dir DIR]\n"
                               "Print the running defragd's metrics (Prometheus text; --openmetrics: OpenMetrics).\n"
                               "--http: answer one HTTP request read from stdin on stdout (under\n"
                               "defragd-metrics@.service, socket-activated with Accept=yes). Needs root.\n");
                        return 0;
                default: return 2;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "defragctl metrics: unexpected argument \"%s\"\n", argv[optind]);
                return 2;
        }
        df_ctl_socket_path(runtime_dir, path, sizeof(path));
        if (http) {
                /* Bounded: a client that never finishes its request is dropped. */
                alarm(HTTP_TIMEOUT_SEC);
                return df_ctl_metrics_http(path, STDIN_FILENO, stdout);
        }
        return df_ctl_ask(path, om ? "metrics openmetrics" : "metrics");
}
