/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Control socket server (in the daemon's loop) and client (for defragctl).
 * Requests are tiny and answered at once; a slow client gets a 1 s timeout. */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <assert.h>

#include "defragd/control.h"
#include "defragd/probes.h"
#include "defragd/status.h"
#include "defragd/report.h"
#include "defragd/util.h"

#define CONTROL_REQUEST_MAX 256
#define CONTROL_TIMEOUT_USEC (1 * USEC_PER_SEC) /* a stuck client must not stall the loop for long */

struct df_control {
        df_status_fill_t fill;
        void *userdata;
        sd_event_source *source;
        int fd;
        char path[sizeof(((struct sockaddr_un *) 0)->sun_path)];
};

static void set_timeouts(int fd) {
        struct timeval tv = { .tv_sec = CONTROL_TIMEOUT_USEC / USEC_PER_SEC };

        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void reply(int fd, const char *buf, size_t len) {
        while (len > 0) {
                ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

                if (n <= 0)
                        return;
                buf += n;
                len -= (size_t) n;
        }
}

static void handle(struct df_control *c, int fd) {
        char req[CONTROL_REQUEST_MAX];
        struct df_status_view v;
        struct ucred cred;
        socklen_t cl = sizeof(cred);
        char *out = NULL;
        size_t out_len = 0;
        FILE *f;
        ssize_t n;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 || (cred.uid != 0 && cred.uid != geteuid())) {
                static const char denied[] = "error: permission denied: defragctl status needs root\n";

                reply(fd, denied, sizeof(denied) - 1);
                return;
        }
        set_timeouts(fd);
        /* Read up to the newline: a request may arrive in pieces. */
        for (size_t have = 0;;) {
                n = recv(fd, req + have, sizeof(req) - 1 - have, 0);
                if (n <= 0)
                        return;
                have += (size_t) n;
                req[have] = 0;
                if (strchr(req, '\n') || have == sizeof(req) - 1)
                        break;
        }
        req[strcspn(req, "\r\n")] = 0;

        f = open_memstream(&out, &out_len);
        if (!f)
                return;
        c->fill(c->userdata, &v);
        if (strcmp(req, "status") == 0)
                df_status_render_text(&v, f);
        else if (strcmp(req, "status json") == 0)
                df_status_render_json(&v, f);
        else if (strcmp(req, "probes json") == 0) {
                if (v.probes)
                        df_probes_dump_json(v.probes, f);
                else
                        fputs("error: probes are not loaded (disabled in [Probes] or unavailable; see defragctl status)\n", f);
        } else
                fprintf(f, "error: unknown request \"%.64s\"; accepted: status, status json, probes json\n", req);
        fclose(f);
        reply(fd, out, out_len);
        free(out);
}

static int on_connection(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct df_control *c = userdata;
        int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

        if (cfd < 0)
                return 0;
        handle(c, cfd);
        close(cfd);
        return 0;
}

int df_control_new(sd_event *e, const char *path, df_status_fill_t fill, void *userdata, struct df_control **ret,
                   struct df_error *err) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct df_control *c;
        mode_t old_umask;
        int r;

        assert(e && path && fill && ret);
        if (strlen(path) >= sizeof(sa.sun_path))
                return df_error_set(err, -ENAMETOOLONG, "%s: control socket path too long (max %zu bytes)", path,
                                    sizeof(sa.sun_path) - 1);
        c = calloc(1, sizeof(*c));
        if (!c)
                return df_error_set(err, -ENOMEM, "out of memory");
        c->fill = fill;
        c->userdata = userdata;
        snprintf(c->path, sizeof(c->path), "%s", path);
        memcpy(sa.sun_path, path, strlen(path) + 1);

        c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (c->fd < 0) {
                r = df_error_set(err, -errno, "socket(AF_UNIX): %s", strerror(errno));
                free(c);
                return r;
        }
        (void) unlink(path); /* stale socket of a previous instance */
        old_umask = umask(0077);
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
                if (send(fd, line, (size_t) len, MSG_NOSIGNAL) < 0)
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
        return n < 0 ? df_error_set(err, -errno, "%s: %s", path, strerror(errno)) : 0;
}
