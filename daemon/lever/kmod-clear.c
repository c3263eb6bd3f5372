/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Thin client of the companion module's sysfs files: every clear opens the
 * `clear` file afresh, so an unloaded or reloaded module is noticed at once. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "defragd/kmod-clear.h"
#include "defragd/util.h"

#define KMOD_VALUE_MAX 256
/* Room for "/counters/fallback_pages" after the directory in a PATH_MAX path. */
#define KMOD_DIR_MAX (PATH_MAX - 64)

struct df_kmod_clear {
        char dir[KMOD_DIR_MAX];
        unsigned order_min, order_max;
        uint64_t seen_seq; /* the newest `last` seq read so far */
};

/* Read a whole small sysfs file; 0 or -errno (-EFBIG when it does not fit). */
static int read_text(const char *path, char *buf, size_t size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        assert(path && buf && size > 1);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, size - 1);
        if (n < 0)
                return -errno;
        if ((size_t) n == size - 1)
                return -EFBIG;
        buf[n] = '\0';
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
                buf[--n] = '\0';
        return 0;
}

static int read_u64_file(const char *dir, const char *name, uint64_t *ret, struct df_error *err) {
        char path[PATH_MAX + 64], buf[KMOD_VALUE_MAX];
        int r;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        r = read_text(path, buf, sizeof(buf));
        if (r < 0)
                return df_error_set(err, r, "%s: cannot read: %s", path, strerror(-r));
        r = df_parse_u64(buf, ret);
        if (r < 0)
                return df_error_set(err, -EPROTO, "%s: \"%s\" is not a number; accepted: an unsigned decimal", path, buf);
        return 0;
}

static int read_last(const char *dir, struct df_kmod_clear_last *last) {
        char path[PATH_MAX], buf[KMOD_VALUE_MAX];
        int r;

        snprintf(path, sizeof(path), "%s/last", dir);
        r = read_text(path, buf, sizeof(buf));
        if (r < 0)
                return r;
        return df_kmod_clear_parse_last(buf, last);
}

int df_kmod_clear_open(const char *root, struct df_kmod_clear **ret, struct df_error *err) {
        struct df_kmod_clear_last last = { 0 };
        char path[PATH_MAX];
        uint64_t abi, omin, omax;
        struct df_kmod_clear *k;
        int r;

        assert(ret);
        if (!root || strcmp(root, "/") == 0)
                root = "";
        k = calloc(1, sizeof(*k));
        if (!k)
                return df_error_set(err, -ENOMEM, "out of memory");
        snprintf(k->dir, sizeof(k->dir), "%s%s", root, DF_KMOD_CLEAR_DIR);
        snprintf(path, sizeof(path), "%s/abi_version", k->dir);
        if (access(k->dir, F_OK) < 0) {
                r = -errno;
                df_error_set(err, r, "%s: %s: kernel module %s is not loaded; accepted: modprobe %s (kmod/README.md)",
                             k->dir, strerror(-r), DF_KMOD_CLEAR_MODULE, DF_KMOD_CLEAR_MODULE);
                free(k);
                return r;
        }
        r = read_u64_file(k->dir, "abi_version", &abi, err);
        if (r < 0) {
                free(k);
                return r == -ENOENT ? -EPROTO : r;
        }
        if (abi != DF_KMOD_CLEAR_ABI) {
                free(k);
                return df_error_set(err, -EPROTO, "%s: abi_version=%" PRIu64 "; accepted: %d (this defragd's); install the module built from the same source",
                                    path, abi, DF_KMOD_CLEAR_ABI);
        }
        r = read_u64_file(k->dir, "order_min", &omin, err);
        if (r >= 0)
                r = read_u64_file(k->dir, "order_max", &omax, err);
        if (r >= 0 && (omin > omax || omax > 63)) {
                snprintf(path, sizeof(path), "%s/order_max", k->dir);
                r = df_error_set(err, -EPROTO, "%s: order range %" PRIu64 "..%" PRIu64 " is impossible; accepted: order_min <= order_max < 64",
                                 path, omin, omax);
        }
        if (r < 0) {
                free(k);
                return r;
        }
        k->order_min = (unsigned) omin;
        k->order_max = (unsigned) omax;
        /* Where the module's record stands now, so a clear recognises its own.
         * Unreadable: seq 0, and the first clear takes the record that names it. */
        if (read_last(k->dir, &last) == 0)
                k->seen_seq = last.seq;
        *ret = k;
        return 0;
}

void df_kmod_clear_close(struct df_kmod_clear *k) { free(k); }

unsigned df_kmod_clear_order_min(const struct df_kmod_clear *k) {
        assert(k);
        return k->order_min;
}

unsigned df_kmod_clear_order_max(const struct df_kmod_clear *k) {
        assert(k);
        return k->order_max;
}

int df_kmod_clear_block(struct df_kmod_clear *k, uint64_t pfn, unsigned order, struct df_kmod_clear_result *r) {
        char path[PATH_MAX], line[64];
        struct df_kmod_clear_last last;
        uint64_t start;
        ssize_t n;
        int fd, len;

        assert(k && r);
        memset(r, 0, sizeof(*r));
        snprintf(path, sizeof(path), "%s/clear", k->dir);
        len = snprintf(line, sizeof(line), "%" PRIu64 " %u\n", pfn, order);
        start = df_now_usec();
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
                /* The directory goes with the module. */
                r->error = errno == ENOENT ? -ENODEV : -errno;
                return r->error;
        }
        /* One write: sysfs hands the whole buffer to the module's store. */
        n = write(fd, line, (size_t) len);
        r->error = n < 0 ? -errno : n == len ? 0 : -EIO;
        close(fd);
        r->duration_usec = df_now_usec() - start;
        /* Read back the module's record when this write reached it (a rejected
         * write leaves `last` alone: the seq does not move). */
        if (read_last(k->dir, &last) == 0 && last.seq > k->seen_seq) {
                k->seen_seq = last.seq;
                if (last.pfn == pfn && last.order == order && last.result == r->error) {
                        r->detail_known = true;
                        r->detail = last;
                }
        }
        return r->error;
}

int df_kmod_clear_read_counters(const struct df_kmod_clear *k, struct df_kmod_clear_counters *c, struct df_error *err) {
        const struct {
                const char *name;
                size_t offset;
        } files[] = {
                { "counters/tried", offsetof(struct df_kmod_clear_counters, tried) },
                { "counters/cleared", offsetof(struct df_kmod_clear_counters, cleared) },
                { "counters/busy", offsetof(struct df_kmod_clear_counters, busy) },
                { "counters/interrupted", offsetof(struct df_kmod_clear_counters, interrupted) },
                { "counters/nomem", offsetof(struct df_kmod_clear_counters, nomem) },
                { "counters/failed", offsetof(struct df_kmod_clear_counters, failed) },
                { "counters/pages_in_use", offsetof(struct df_kmod_clear_counters, pages_in_use) },
                { "counters/pages_moved", offsetof(struct df_kmod_clear_counters, pages_moved) },
                { "counters/clear_usec", offsetof(struct df_kmod_clear_counters, clear_usec) },
                { "counters/fallback_pages", offsetof(struct df_kmod_clear_counters, fallback_pages) },
        };

        assert(k && c);
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                int r = read_u64_file(k->dir, files[i].name, (uint64_t *) ((char *) c + files[i].offset), err);

                if (r < 0)
                        return r;
        }
        return 0;
}

const char *df_kmod_clear_error_meaning(int error) {
        switch (error) {
        case 0:
                return "cleared";
        case -EBUSY:
                return "a page in the block cannot be moved (unmovable, pinned, or the block is isolated by someone else)";
        case -EINVAL:
                return "rejected: order outside the module's range, pfn not aligned, not online memory, or two zones";
        case -EINTR:
                return "interrupted by a signal";
        case -ENOMEM:
                return "no free memory to migrate the block's pages into";
        case -ENODEV:
                return "the module was unloaded";
        case -EACCES:
        case -EPERM:
                return "not permitted: the clear file is root's";
        case -EROFS:
                return "sysfs is read-only here (a service needs ReadWritePaths=" DF_KMOD_CLEAR_DIR ")";
        default:
                return error < 0 ? strerror(-error) : "unknown result";
        }
}

/* "key=value" pairs separated by spaces; every key of the ABI must appear. */
int df_kmod_clear_parse_last(const char *text, struct df_kmod_clear_last *ret) {
        enum { SEQ, PFN, ORDER, RESULT, IN_USE, MOVED, USEC, FALLBACK, N_KEYS };
        static const char *const keys[N_KEYS] = {
                "seq", "pfn", "order", "result", "pages_in_use", "pages_moved", "usec", "fallback_pages",
        };
        struct df_kmod_clear_last l = { 0 };
        unsigned seen = 0;
        char buf[KMOD_VALUE_MAX], *save = NULL;

        assert(text && ret);
        if (strlen(text) >= sizeof(buf))
                return -EINVAL;
        strcpy(buf, text);
        for (char *tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
                char *eq = strchr(tok, '=');
                uint64_t v;
                int key = -1;

                if (!eq)
                        return -EINVAL;
                *eq = '\0';
                for (int i = 0; i < N_KEYS; i++)
                        if (strcmp(tok, keys[i]) == 0)
                                key = i;
                if (key < 0)
                        continue; /* a newer module may add keys */
                if (key == RESULT) {
                        char *end;
                        long e;

                        errno = 0;
                        e = strtol(eq + 1, &end, 10);
                        if (errno || end == eq + 1 || *end || e > 0 || e < -4095)
                                return -EINVAL;
                        l.result = (int) e;
                } else {
                        if (df_parse_u64(eq + 1, &v) < 0)
                                return -EINVAL;
                        switch (key) {
                        case SEQ: l.seq = v; break;
                        case PFN: l.pfn = v; break;
                        case ORDER:
                                if (v > 63)
                                        return -EINVAL;
                                l.order = (unsigned) v;
                                break;
                        case IN_USE: l.pages_in_use = v; break;
                        case MOVED: l.pages_moved = v; break;
                        case USEC: l.usec = v; break;
                        case FALLBACK: l.fallback_pages = v; break;
                        default: break;
                        }
                }
                seen |= 1u << key;
        }
        if (seen != (1u << N_KEYS) - 1)
                return -EINVAL;
        *ret = l;
        return 0;
}
