/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which files make the configuration (defragd.conf, then drop-ins merged
 * systemd-style), and reading one of them without ever blocking. */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "config.h"
#include "conf-files.h"
#include "defragd/conf.h"
#include "defragd/util.h"

static bool is_null_device(const struct stat *st) {
        return S_ISCHR(st->st_mode) && st->st_rdev == makedev(1, 3);
}

static const char *file_kind(mode_t mode) {
        switch (mode & S_IFMT) {
        case S_IFCHR:  return "a character device";
        case S_IFBLK:  return "a block device";
        case S_IFIFO:  return "a FIFO";
        case S_IFSOCK: return "a socket";
        case S_IFDIR:  return "a directory";
        default:       return "not a regular file";
        }
}

static int not_regular(const char *path, mode_t mode, struct df_error *err) {
        /* keep strerror's text for a directory: the oldest refusal, scripts match it */
        if (S_ISDIR(mode))
                return df_error_set(err, -EISDIR, "%s: %s", path, strerror(EISDIR));
        return df_error_set(err, -EINVAL, "%s: %s, not a config file; accepted: a regular file or a symlink to one",
                            path, file_kind(mode));
}

int df_conf_read_file(const char *path, char **ret, size_t *ret_len, struct df_error *err) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap;
        struct stat st;

        assert(path && ret && ret_len);
        /* O_NONBLOCK: opening a FIFO without a writer, or a tty, must not wait. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                int e = errno;

                /* a socket cannot be opened (ENXIO): say what it is instead */
                if (e == ENXIO && stat(path, &st) == 0 && !S_ISREG(st.st_mode))
                        return not_regular(path, st.st_mode, err);
                return df_error_set(err, -e, "%s: %s", path, strerror(e));
        }
        if (fstat(fd, &st) < 0)
                return df_error_set(err, -errno, "%s: %s", path, strerror(errno));
        if (is_null_device(&st)) {
                buf = strdup("");
                if (!buf)
                        return df_error_set(err, -ENOMEM, "%s: %s", path, strerror(ENOMEM));
                *ret = buf;
                buf = NULL;
                *ret_len = 0;
                return 0;
        }
        if (!S_ISREG(st.st_mode))
                return not_regular(path, st.st_mode, err);
        if ((uint64_t) st.st_size > DF_CONF_FILE_MAX_BYTES)
                return df_error_set(err, -EFBIG, "%s: %llu bytes; accepted: a config file of at most %u bytes",
                                    path, (unsigned long long) st.st_size, DF_CONF_FILE_MAX_BYTES);
        /* One byte more than the cap tells a file that grew past it while we
         * read from one that is exactly at it. procfs/sysfs files are
         * regular with st_size 0 or 4096: the cap bounds them too, and
         * O_NONBLOCK turns a read that would wait (/proc/kmsg) into EAGAIN.
         * The buffer starts at the size fstat() saw and grows if the file does. */
        cap = (size_t) st.st_size + 4096;
        for (;;) {
                ssize_t n;

                if (len == cap - 1) {
                        char *b;

                        if (cap > DF_CONF_FILE_MAX_BYTES + 1)
                                break; /* read cap + 1 bytes: over the cap */
                        cap = cap * 2 > DF_CONF_FILE_MAX_BYTES + 2 ? DF_CONF_FILE_MAX_BYTES + 2 : cap * 2;
                        b = realloc(buf, cap);
                        if (!b)
                                return df_error_set(err, -ENOMEM, "%s: %s", path, strerror(ENOMEM));
                        buf = b;
                } else if (!buf) {
                        buf = malloc(cap);
                        if (!buf)
                                return df_error_set(err, -ENOMEM, "%s: %s", path, strerror(ENOMEM));
                }
                n = read(fd, buf + len, cap - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return df_error_set(err, -errno, "%s: %s", path, strerror(errno));
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        if (len > DF_CONF_FILE_MAX_BYTES)
                return df_error_set(err, -EFBIG, "%s: grew past %u bytes while being read; accepted: a config file "
                                    "of at most %u bytes, replaced atomically (write a new file, then rename it)",
                                    path, DF_CONF_FILE_MAX_BYTES, DF_CONF_FILE_MAX_BYTES);
        buf[len] = 0;
        *ret = buf;
        buf = NULL;
        *ret_len = len;
        return 0;
}

struct dropin {
        char *name;
        char *path;
        bool masked;
};

static void dropins_free(struct dropin *d, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(d[i].name);
                free(d[i].path);
        }
        free(d);
}

static int dropin_cmp(const void *a, const void *b) {
        return strcmp(((const struct dropin *) a)->name, ((const struct dropin *) b)->name);
}

/* A symlink to /dev/null, the null device itself or an empty file masks a
 * name (systemd's null_or_empty()). */
static bool is_mask(const char *path) {
        char target[16];
        struct stat st;
        ssize_t n;

        n = readlink(path, target, sizeof(target) - 1);
        if (n > 0) {
                target[n] = 0;
                if (strcmp(target, "/dev/null") == 0)
                        return true;
        }
        if (stat(path, &st) < 0)
                return false;
        return (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)) || (S_ISREG(st.st_mode) && st.st_size == 0);
}

static const char *normalize_root(const char *root) {
        if (!root || strcmp(root, "/") == 0)
                return "";
        return root;
}

static char *join(const char *a, const char *b, const char *c) {
        size_t n = strlen(a) + strlen(b) + (c ? strlen(c) : 0) + 1;
        char *s = malloc(n);

        if (s)
                snprintf(s, n, "%s%s%s", a, b, c ? c : "");
        return s;
}

static int scan_dir(const char *dir, struct dropin **d, size_t *n, struct df_error *err) {
        DIR *dh;
        struct dirent *de;
        int r = 0;

        dh = opendir(dir);
        if (!dh) {
                if (errno == ENOENT || errno == ENOTDIR)
                        return 0;
                return df_error_set(err, -errno, "%s: %s; accepted: a drop-in directory, or none", dir,
                                    strerror(errno));
        }
        while ((errno = 0, de = readdir(dh))) {
                size_t len = strlen(de->d_name);
                struct stat st;
                char *path;
                size_t i;

                if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
                        continue;
                path = join(dir, "/", de->d_name);
                if (!path) {
                        r = df_error_set(err, -ENOMEM, "%s: %s", dir, strerror(ENOMEM));
                        break;
                }
                /* Directories are not config files; a dangling link or a
                 * symlink loop stays, so loading names it (ELOOP). */
                if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
                        free(path);
                        continue;
                }
                for (i = 0; i < *n; i++)
                        if (strcmp((*d)[i].name, de->d_name) == 0)
                                break;
                if (i == *n && *n >= DF_CONF_MAX_DROPINS) {
                        /* bounded: 10,000 files would be 10,000 opens and parses per reload */
                        free(path);
                        r = df_error_set(err, -E2BIG, "%s: more than %d drop-ins in the drop-in directories; "
                                         "accepted: at most %d *.conf files", dir, DF_CONF_MAX_DROPINS,
                                         DF_CONF_MAX_DROPINS);
                        break;
                }
                if (i == *n) {
                        struct dropin *nd = realloc(*d, (*n + 1) * sizeof(**d));
                        char *name = strdup(de->d_name);

                        if (!nd || !name) {
                                if (nd)
                                        *d = nd;
                                free(name);
                                free(path);
                                r = df_error_set(err, -ENOMEM, "%s: %s", dir, strerror(ENOMEM));
                                break;
                        }
                        *d = nd;
                        (*d)[i] = (struct dropin) { .name = name };
                        (*n)++;
                } else
                        free((*d)[i].path);
                /* Directories are scanned lowest priority first: a later one replaces the name. */
                (*d)[i].path = path;
                (*d)[i].masked = is_mask(path);
        }
        if (r == 0 && errno != 0)
                r = df_error_set(err, -errno, "%s: %s", dir, strerror(errno));
        closedir(dh);
        return r;
}

int df_config_collect_files(const char *root, char ***ret_paths, size_t *ret_n, struct df_error *err) {
        const char *const dirs[] = {
                DEFRAGD_LIBDIR_NOARCH "/defragd.conf.d",
                "/run/defragd.conf.d",
                DEFRAGD_SYSCONFDIR "/defragd.conf.d",
        };
        struct dropin *d = NULL;
        size_t n = 0, n_out = 0;
        char **out = NULL, *main_path;
        struct stat st;
        int r = 0;

        root = normalize_root(root);
        for (size_t i = 0; i < ELEMENTSOF(dirs) && r == 0; i++) {
                _cleanup_free_ char *dir = join(root, dirs[i], NULL);

                r = dir ? scan_dir(dir, &d, &n, err) : df_error_set(err, -ENOMEM, "config: %s", strerror(ENOMEM));
        }
        if (r < 0)
                goto fail;
        if (n > 0)
                qsort(d, n, sizeof(*d), dropin_cmp);

        out = calloc(n + 2, sizeof(*out));
        main_path = join(root, DEFRAGD_SYSCONFDIR "/defragd.conf", NULL);
        if (!out || !main_path) {
                free(main_path);
                r = df_error_set(err, -ENOMEM, "config: %s", strerror(ENOMEM));
                goto fail;
        }
        /* Optional: absent is fine; anything else that exists is read (and its error reported). */
        if (lstat(main_path, &st) == 0 && !is_mask(main_path))
                out[n_out++] = main_path;
        else
                free(main_path);
        for (size_t i = 0; i < n; i++)
                if (!d[i].masked) {
                        out[n_out++] = d[i].path;
                        d[i].path = NULL;
                }
        dropins_free(d, n);
        *ret_paths = out;
        *ret_n = n_out;
        return 0;
fail:
        if (out)
                for (size_t i = 0; i < n_out; i++)
                        free(out[i]);
        free(out);
        dropins_free(d, n);
        return r;
}

