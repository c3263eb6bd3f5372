/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Control socket server (in the daemon's loop) and client (for defragctl).
 * Each client is a small state machine on the loop (read the line, write the
 * reply), never a blocking call: a client that sends nothing or reads
 * nothing costs a slot until its deadline, not the loop's time. */

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "defragd/control.h"
#include "defragd/probes.h"
#include "defragd/report.h"
#include "defragd/status.h"
#include "defragd/util.h"

#define CONTROL_REQUEST_MAX DF_CONTROL_REQUEST_MAX_BYTES
/* Client side. The daemon answers at once when it gets a CPU, but on a
 * machine whose CPUs both run compaction in the kernel (PREEMPT_NONE) it may
 * wait most of a second for one (measured: an evaluation of 12 ms CPU took
 * 653 ms): 5 s tells a stuck daemon from a busy machine. */
#define CONTROL_TIMEOUT_USEC (5 * USEC_PER_SEC)
#define CONTROL_CLIENT_DEADLINE_USEC (2 * USEC_PER_SEC) /* server side: whole exchange, then the client is dropped */
#define CONTROL_CLIENTS_MAX 16 /* in flight at once; more are told "busy" (root-only socket: a mistake, not an attack) */

struct df_control;

struct control_client {
        struct df_control *control;
        sd_event_source *io, *timer;
        int fd;
        size_t have;
        char req[CONTROL_REQUEST_MAX];
        char *out;
        size_t out_len, out_sent;
};

struct df_control {
        df_status_fill_t fill;
        void *userdata;
        sd_event *event;
        sd_event_source *source;
        int fd;
        char path[sizeof(((struct sockaddr_un *) 0)->sun_path)];
        struct control_client *clients[CONTROL_CLIENTS_MAX];
};

static void set_timeouts(int fd) {
        struct timeval tv = { .tv_sec = CONTROL_TIMEOUT_USEC / USEC_PER_SEC };

        if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
                df_log(LOG_DEBUG, "control socket: cannot set timeouts: %s, ignoring", strerror(errno));
}

/* A one-off short reply to a client we do not keep (refused, busy):
 * never blocks; a client that cannot take it loses it. */
static void reply_now(int fd, const char *msg) {
        (void) send(fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void client_free(struct control_client *cl) {
        struct df_control *c;

        if (!cl)
                return;
        c = cl->control;
        for (unsigned i = 0; i < CONTROL_CLIENTS_MAX; i++)
                if (c->clients[i] == cl)
                        c->clients[i] = NULL;
        sd_event_source_disable_unref(cl->io);
        sd_event_source_disable_unref(cl->timer);
        close(cl->fd);
        free(cl->out);
        free(cl);
}

/* The reply to one request, as text in a heap buffer. */
static int answer(struct df_control *c, const char *req, size_t len, char **out, size_t *out_len) {
        enum df_control_request what;
        struct df_status_view v;
        char why[256];
        FILE *f;

        f = open_memstream(out, out_len);
        if (!f)
                return -ENOMEM;
        if (df_control_parse_request(req, len, &what, why, sizeof(why)) < 0) {
                fprintf(f, "error: %s\n", why);
                return fclose(f) == 0 ? 0 : -ENOMEM;
        }
        c->fill(c->userdata, &v);
        switch (what) {
        case DF_CONTROL_STATUS:
                df_status_render_text(&v, f);
                break;
        case DF_CONTROL_STATUS_JSON:
                df_status_render_json(&v, f);
                break;
        case DF_CONTROL_PROBES_JSON:
                if (v.probes)
                        df_probes_dump_json(v.probes, f);
                else
                        fputs("error: probes are not loaded (disabled in [Probes] or unavailable; see defragctl status)\n", f);
                break;
        case DF_CONTROL_METRICS:
        case DF_CONTROL_METRICS_OPENMETRICS:
                if (v.metrics_render)
                        v.metrics_render(v.metrics_userdata, f, what == DF_CONTROL_METRICS_OPENMETRICS);
                else
                        fputs("error: this defragd does not export metrics\n", f);
                break;
        default:
                fputs("error: request not handled (a bug)\n", f);
                break;
        }
        return fclose(f) == 0 ? 0 : -ENOMEM;
}

static int on_client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct control_client *cl = userdata;
        ssize_t n;

        if (!cl->out) {
                /* Reading: up to the newline; a request may arrive in pieces. */
                n = recv(fd, cl->req + cl->have, sizeof(cl->req) - cl->have, MSG_DONTWAIT);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return 0;
                if (n < 0 || (n == 0 && cl->have == 0)) {
                        client_free(cl); /* gone without asking */
                        return 0;
                }
                cl->have += (size_t) n;
                if (n > 0 && !memchr(cl->req, '\n', cl->have) && cl->have < sizeof(cl->req))
                        return 0;
                /* A line, a full buffer, or end of file after a partial line: answer it. */
                if (answer(cl->control, cl->req, cl->have, &cl->out, &cl->out_len) < 0 ||
                    sd_event_source_set_io_events(cl->io, EPOLLOUT) < 0) {
                        client_free(cl);
                        return 0;
                }
                return 0;
        }
        n = send(fd, cl->out + cl->out_sent, cl->out_len - cl->out_sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n <= 0) {
                client_free(cl);
                return 0;
        }
        cl->out_sent += (size_t) n;
        if (cl->out_sent >= cl->out_len)
                client_free(cl); /* one request per connection: closing ends the reply */
        return 0;
}

static int on_client_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        struct control_client *cl = userdata;

        df_log(LOG_DEBUG, "control socket: client %s within %" PRIu64 " ms, dropping it",
               cl->out ? "did not take its reply" : "sent no complete request", CONTROL_CLIENT_DEADLINE_USEC / USEC_PER_MSEC);
        client_free(cl);
        return 0;
}

static int client_add(struct df_control *c, int fd) {
        struct control_client *cl;
        uint64_t now;
        unsigned slot;
        int r;

        for (slot = 0; slot < CONTROL_CLIENTS_MAX && c->clients[slot]; slot++)
                ;
        if (slot == CONTROL_CLIENTS_MAX)
                return -EBUSY;
        cl = calloc(1, sizeof(*cl));
        if (!cl)
                return -ENOMEM;
        cl->control = c;
        cl->fd = fd;
        r = sd_event_now(c->event, CLOCK_MONOTONIC, &now);
        if (r >= 0)
                r = sd_event_add_io(c->event, &cl->io, fd, EPOLLIN, on_client_io, cl);
        if (r >= 0)
                r = sd_event_add_time(c->event, &cl->timer, CLOCK_MONOTONIC, now + CONTROL_CLIENT_DEADLINE_USEC, 0,
                                      on_client_deadline, cl);
        if (r < 0) {
                cl->fd = -1; /* the caller closes it */
                sd_event_source_disable_unref(cl->io);
                sd_event_source_disable_unref(cl->timer);
                free(cl);
                return r;
        }
        c->clients[slot] = cl;
        return 0;
}

static int on_connection(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct df_control *c = userdata;
        struct ucred cred;
        socklen_t cl = sizeof(cred);
        int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), r;

        if (cfd < 0) {
                if (errno != EAGAIN && errno != EINTR)
                        df_log(LOG_DEBUG, "control socket: accept: %s, ignoring", strerror(errno));
                return 0;
        }
        if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 || (cred.uid != 0 && cred.uid != geteuid())) {
                reply_now(cfd, "error: permission denied: defragctl status needs root\n");
                close(cfd);
                return 0;
        }
        r = client_add(c, cfd);
        if (r < 0) {
                reply_now(cfd, r == -EBUSY ? "error: busy: too many clients at once, try again\n"
                                           : "error: out of resources, try again\n");
                close(cfd);
        }
        return 0;
}

int df_control_new(sd_event *e, const char *path, df_status_fill_t fill, void *userdata, struct df_control **ret,
                   struct df_error *err) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct df_control *c;
        mode_t old_umask;
        int r;

        if (strlen(path) >= sizeof(sa.sun_path))
                return df_error_set(err, -ENAMETOOLONG, "%s: control socket path too long (max %zu bytes)", path,
                                    sizeof(sa.sun_path) - 1);
        c = calloc(1, sizeof(*c));
        if (!c)
                return df_error_set(err, -ENOMEM, "out of memory");
        c->fill = fill;
        c->userdata = userdata;
        c->event = e;
        snprintf(c->path, sizeof(c->path), "%s", path);
        memcpy(sa.sun_path, path, strlen(path) + 1);

        c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (c->fd < 0) {
                r = df_error_set(err, -errno, "socket(AF_UNIX): %s", strerror(errno));
                free(c);
                return r;
        }
        (void) unlink(path); /* stale socket of a previous instance */
        old_umask = umask(0177); /* socket 0600: read and write for root only */
        r = bind(c->fd, (struct sockaddr *) &sa, sizeof(sa));
        umask(old_umask);
        if (r < 0 || listen(c->fd, 8) < 0) {
                r = df_error_set(err, -errno, "%s: cannot listen: %s", path, strerror(errno));
                close(c->fd);
                free(c);
                return r;
        }
        r = sd_event_add_io(e, &c->source, c->fd, EPOLLIN, on_connection, c);
        if (r < 0) {
                close(c->fd);
                free(c);
                return df_error_set(err, r, "sd_event_add_io: %s", strerror(-r));
        }
        *ret = c;
        return 0;
}

void df_control_free(struct df_control *c) {
        if (!c)
                return;
        for (unsigned i = 0; i < CONTROL_CLIENTS_MAX; i++)
                client_free(c->clients[i]);
        sd_event_source_unref(c->source);
        close(c->fd);
        unlink(c->path);
        free(c);
}

int df_control_request(const char *path, const char *request, FILE *out, struct df_error *err) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
        char buf[4096];
        bool first = true;
        ssize_t n;

        if (strlen(path) >= sizeof(sa.sun_path))
                return df_error_set(err, -ENAMETOOLONG, "%s: socket path too long", path);
        memcpy(sa.sun_path, path, strlen(path) + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return df_error_set(err, -errno, "socket: %s", strerror(errno));
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int e = errno;

                if (e == EACCES || e == EPERM)
                        return df_error_set(err, -e, "%s: permission denied: defragctl status needs root", path);
                if (e == ENOENT || e == ECONNREFUSED)
                        return df_error_set(err, -e,
                                            "%s: defragd is not running (start it with systemctl start defragd); "
                                            "`defragctl report` works without it",
                                            path);
                return df_error_set(err, -e, "%s: cannot connect: %s", path, strerror(e));
        }
        set_timeouts(fd);
        {
                char line[CONTROL_REQUEST_MAX];
                int len = snprintf(line, sizeof(line), "%s\n", request);

                if (len < 0 || (size_t) len >= sizeof(line))
                        return df_error_set(err, -EINVAL, "request too long");
                /* A refusal may arrive (and the daemon hang up) before the request
                 * is sent: EPIPE then, and the reply that says why is still to read. */
                if (send(fd, line, (size_t) len, MSG_NOSIGNAL) < 0 && errno != EPIPE && errno != ECONNRESET)
                        return df_error_set(err, -errno, "%s: cannot send: %s", path, strerror(errno));
        }
        while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
                if (first && n >= 7 && memcmp(buf, "error: ", 7) == 0) {
                        buf[n < (ssize_t) sizeof(buf) ? n : n - 1] = 0;
                        buf[strcspn(buf, "\n")] = 0;
                        return df_error_set(err, -EPERM, "%s", buf + 7);
                }
                first = false;
                fwrite(buf, 1, (size_t) n, out);
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return df_error_set(err, -ETIMEDOUT,
                                    "%s: defragd did not answer within %" PRIu64
                                    " s; is it stuck? (journalctl -u defragd, systemctl status defragd)",
                                    path, CONTROL_TIMEOUT_USEC / USEC_PER_SEC);
        return n < 0 ? df_error_set(err, -errno, "%s: %s", path, strerror(errno)) : 0;
}
