/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The procfs readers: load <root>/proc files whole and hand them to the pure
 * parsers (one file per source), filling a snapshot. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "defragd/procfs.h"
#include "defragd/util.h"

#define READ_FILE_MAX_BYTES (16u << 20) /* /proc/zoneinfo of 1024 nodes is ~10 MiB */

int df_proc_path(const char *root, const char *file, char *buf, size_t size) {
        int n;

        if (!root || !*root || strcmp(root, "/") == 0)
                n = snprintf(buf, size, "/proc/%s", file);
        else
                n = snprintf(buf, size, "%s/proc/%s", root, file);
        if (n < 0 || (size_t) n >= size)
                return -ENAMETOOLONG;
        return 0;
}

int df_read_file(const char *path, char **ret, size_t *ret_len, struct df_error *err) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                int r = -errno;
                return df_error_set(err, r, "%s: cannot open: %s", path, strerror(-r));
        }
        for (;;) {
                ssize_t n;

                if (cap - len < 4096) {
                        size_t ncap = cap ? cap * 2 : 16384;
                        char *nbuf;

                        if (ncap > READ_FILE_MAX_BYTES + 1)
                                ncap = READ_FILE_MAX_BYTES + 1;
                        if (ncap <= len + 1)
                                return df_error_set(err, -EFBIG, "%s: larger than %u bytes; expected a procfs text file",
                                                    path, READ_FILE_MAX_BYTES);
                        nbuf = realloc(buf, ncap);
                        if (!nbuf)
                                return df_error_set(err, -ENOMEM, "%s: out of memory reading it", path);
                        buf = nbuf;
                        cap = ncap;
                }
                n = read(fd, buf + len, cap - len - 1);
                if (n < 0) {
                        int r = -errno;
                        if (r == -EINTR)
                                continue;
                        return df_error_set(err, r, "%s: read failed: %s", path, strerror(-r));
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        if (!buf) {
                buf = strdup("");
                if (!buf)
                        return df_error_set(err, -ENOMEM, "%s: out of memory reading it", path);
        }
        buf[len] = 0;
        if (strlen(buf) != len)
                return df_error_set(err, -EINVAL, "%s: NUL byte at offset %zu; expected a text file", path, strlen(buf));
        *ret = buf;
        buf = NULL;
        if (ret_len)
                *ret_len = len;
        return 0;
}

/* Read <root>/proc/<file> and hand its text to a parser. */
static int read_proc(const char *root, const char *file, char **text, char *path, size_t path_size,
                     struct df_error *err) {
        if (df_proc_path(root, file, path, path_size) < 0)
                return df_error_set(err, -ENAMETOOLONG, "%s/proc/%s: path too long", root, file);
        return df_read_file(path, text, NULL, err);
}

int df_read_buddyinfo(const char *root, struct df_snapshot *s, struct df_error *err) {
        _cleanup_free_ char *text = NULL;
        char path[4096];
        int r = read_proc(root, "buddyinfo", &text, path, sizeof(path), err);

        return r < 0 ? r : df_parse_buddyinfo(text, path, s, err);
}

int df_read_pagetypeinfo(const char *root, struct df_snapshot *s, struct df_error *err) {
        _cleanup_free_ char *text = NULL;
        char path[4096];
        int r = read_proc(root, "pagetypeinfo", &text, path, sizeof(path), err);

        return r < 0 ? r : df_parse_pagetypeinfo(text, path, s, err);
}

int df_read_zoneinfo(const char *root, struct df_snapshot *s, struct df_error *err) {
        _cleanup_free_ char *text = NULL;
        char path[4096];
        int r = read_proc(root, "zoneinfo", &text, path, sizeof(path), err);

        return r < 0 ? r : df_parse_zoneinfo(text, path, s, err);
}

int df_read_vmstat(const char *root, struct df_vmstat *v, struct df_error *err) {
        _cleanup_free_ char *text = NULL;
        char path[4096];
        int r = read_proc(root, "vmstat", &text, path, sizeof(path), err);

        return r < 0 ? r : df_parse_vmstat(text, path, v, err);
}

int df_read_psi(const char *root, struct df_psi *p, struct df_error *err) {
        _cleanup_free_ char *text = NULL;
        char path[4096];
        int r = read_proc(root, "pressure/memory", &text, path, sizeof(path), err);

        return r < 0 ? r : df_parse_psi(text, path, p, err);
}

/* An optional source that is absent or closed to us (pagetypeinfo is 0400;
 * PSI may be compiled out, or off with psi=0 which gives EOPNOTSUPP). */
static bool optional_absent(int r) {
        return r == -ENOENT || r == -EACCES || r == -EPERM || r == -EOPNOTSUPP || r == -ENOTDIR;
}

/* buddyinfo prints every populated zone and zoneinfo every zone (we keep
 * the populated ones): a zone in one and not the other means a file was cut
 * short at a line boundary (no parser can tell), or memory was hot-plugged
 * between the two reads. Either way this snapshot is not one picture. */
static int check_zones_agree(const char *root, const struct df_snapshot *s, struct df_error *err) {
        char path[4096];

        for (size_t i = 0; i < s->n_zones; i++) {
                const struct df_zone *z = &s->zones[i];

                if (z->has_buddyinfo == z->has_zoneinfo)
                        continue;
                (void) df_proc_path(root, z->has_buddyinfo ? "zoneinfo" : "buddyinfo", path, sizeof(path));
                return df_error_set(err, -EINVAL,
                                    "%s: no %s for zone %s of node %d, which %s lists as populated (file cut short, "
                                    "or memory hot-plugged between the reads); expected the same zones in both",
                                    path, z->has_buddyinfo ? "populated stanza" : "line", z->name, z->node,
                                    z->has_buddyinfo ? "buddyinfo" : "zoneinfo");
        }
        return 0;
}

int df_snapshot_read_procfs(const char *root, uint64_t now_usec, struct df_snapshot *s, struct df_error *err) {
        return df_snapshot_read_procfs_parts(root, DF_PROCFS_ALL, now_usec, s, err);
}

int df_snapshot_read_procfs_parts(const char *root, unsigned parts, uint64_t now_usec, struct df_snapshot *s,
                                  struct df_error *err) {
        int r;

        df_snapshot_clear(s);
        s->taken_usec = now_usec;

        r = df_read_buddyinfo(root, s, err);
        if (r < 0)
                goto fail;
        r = parts & DF_PROCFS_PAGETYPEINFO ? df_read_pagetypeinfo(root, s, err) : 0;
        if (r < 0 && !optional_absent(r))
                goto fail;
        r = parts & DF_PROCFS_ZONEINFO ? df_read_zoneinfo(root, s, err) : -ENOENT;
        if (r < 0 && !optional_absent(r))
                goto fail;
        if (r == 0) {
                r = check_zones_agree(root, s, err);
                if (r < 0)
                        goto fail;
        }
        r = parts & DF_PROCFS_VMSTAT ? df_read_vmstat(root, &s->vmstat, err) : 0;
        if (r < 0 && !optional_absent(r))
                goto fail;
        r = parts & DF_PROCFS_PSI ? df_read_psi(root, &s->psi, err) : 0;
        if (r < 0 && !optional_absent(r))
                goto fail;
        if (err)
                err->msg[0] = 0; /* an absent optional file is not an error */
        return 0;
fail:
        df_snapshot_clear(s);
        return r;
}
