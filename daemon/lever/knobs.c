/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Knob changes and offlined memory blocks with a persistent record (see
 * knobs.h). State file, replaced atomically under an flock of "<file>.lock"
 * (the offlining lever writes it from its child process):
 *     /proc/sys/vm/knob<TAB>original          a changed knob
 *     memblock<TAB>N<TAB>online_movable       memoryN is (or may be) offline */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "defragd/fault.h"
#include "defragd/knobs.h"
#include "defragd/report.h"
#include "defragd/util.h"

#define DF_KNOBS_MAX 32
#define DF_MEMBLOCKS_MAX 64
#define MEMBLOCK_TAG "memblock\t"
#define DF_KNOB_VALUE_MAX 256

struct df_knob {
        char path[PATH_MAX];
        char original[DF_KNOB_VALUE_MAX];
        char current[DF_KNOB_VALUE_MAX];
};

struct df_knobs {
        char state_path[PATH_MAX];
        char root[PATH_MAX];
        unsigned n;
        struct df_knob items[DF_KNOBS_MAX];
        /* A state file we could not read whole: its knobs may still hold a
         * crashed instance's values, so none is changed and the file is left
         * for a human (df_knobs_recover says which line). */
        bool frozen;
        char frozen_why[PATH_MAX + 160];
};

static bool knob_path_allowed(const char *path) {
        return (strncmp(path, "/proc/sys/", 10) == 0 || strncmp(path, "/sys/", 5) == 0) && !strstr(path, "/../");
}

static void full_path(const struct df_knobs *k, const char *path, char *buf, size_t size) {
        if ((size_t) snprintf(buf, size, "%s%s", k->root, path) >= size)
                buf[0] = 0; /* too long: an open of "" fails with ENOENT */
}

int df_knob_read(const char *path, char *buf, size_t size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = read(fd, buf, size - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
                buf[--n] = 0;
        return 0;
}

int df_knobs_new(const char *state_path, const char *root, struct df_knobs **ret) {
        struct df_knobs *k = calloc(1, sizeof(*k));

        if (!k)
                return -ENOMEM;
        snprintf(k->state_path, sizeof(k->state_path), "%s", state_path);
        snprintf(k->root, sizeof(k->root), "%s", root && strcmp(root, "/") != 0 ? root : "");
        *ret = k;
        return 0;
}

void df_knobs_free(struct df_knobs *k) { free(k); }

struct memblock_rec {
        int64_t id;
        char online_type[24];
};

static bool online_type_valid(const char *t) {
        return strcmp(t, "online_movable") == 0 || strcmp(t, "online_kernel") == 0 || strcmp(t, "online") == 0;
}

/* Exclusive lock shared by the daemon and its lever children; -1 when it
 * cannot be taken (then we go on unlocked: a record matters more). */
static int state_lock(const char *state_path) {
        char path[PATH_MAX + 8];
        int fd;

        snprintf(path, sizeof(path), "%s.lock", state_path);
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) {
                df_log(LOG_WARNING, "%s: cannot open: %s, ignoring", path, strerror(errno));
                return -1;
        }
        while (flock(fd, LOCK_EX) < 0)
                if (errno != EINTR) {
                        df_log(LOG_WARNING, "%s: cannot lock: %s, ignoring", path, strerror(errno));
                        break;
                }
        return fd;
}

static void state_unlock(int *fd) {
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

/* Memory block records of the file ("memblock\tN\ttype"). */
static size_t read_memblocks(const char *state_path, struct memblock_rec *out, size_t max) {
        _cleanup_fclose_ FILE *f = fopen(state_path, "re");
        char line[PATH_MAX + DF_KNOB_VALUE_MAX + 4];
        unsigned lineno = 0;
        size_t n = 0;

        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f)) {
                long long id;
                char type[24];

                lineno++;
                if (strncmp(line, MEMBLOCK_TAG, strlen(MEMBLOCK_TAG)) != 0)
                        continue;
                if (sscanf(line + strlen(MEMBLOCK_TAG), "%lld\t%23s", &id, type) != 2 || id < 0 || !online_type_valid(type)) {
                        df_log(LOG_WARNING, "%s:%u: ignoring line, expected \"memblock<TAB>N<TAB>online_kernel|online_movable|online\"",
                               state_path, lineno);
                        continue;
                }
                if (n < max) {
                        out[n].id = id;
                        snprintf(out[n].online_type, sizeof(out[n].online_type), "%s", type);
                        n++;
                }
        }
        return n;
}

/* Write knob and memory block records atomically; no records: no file. */
/* sync: fsync before the rename. Memory block records skip it: a block's
 * offline state does not outlive the kernel, and a process crash leaves the
 * written file in the page cache; the offlining lever is timed. */
static int write_state(const char *state_path, const struct df_knob *items, unsigned n_items,
                       const struct memblock_rec *mb, size_t n_mb, bool sync, struct df_error *err) {
        char tmp[PATH_MAX + 8];
        _cleanup_fclose_ FILE *f = NULL;
        int fd;

        if (n_items == 0 && n_mb == 0) {
                if (unlink(state_path) < 0 && errno != ENOENT)
                        return df_error_set(err, -errno, "%s: cannot remove: %s", state_path, strerror(errno));
                return 0;
        }
        snprintf(tmp, sizeof(tmp), "%s.tmp", state_path);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return df_error_set(err, -errno, "%s: cannot create: %s", tmp, strerror(errno));
        f = fdopen(fd, "w");
        if (!f) {
                close(fd);
                return df_error_set(err, -errno, "%s: %s", tmp, strerror(errno));
        }
        for (unsigned i = 0; i < n_items; i++)
                fprintf(f, "%s\t%s\n", items[i].path, items[i].original);
        for (size_t i = 0; i < n_mb; i++)
                fprintf(f, MEMBLOCK_TAG "%" PRId64 "\t%s\n", mb[i].id, mb[i].online_type);
        if (fflush(f) != 0 || ferror(f) || (sync && fsync(fileno(f)) < 0)) {
                int e = errno ? errno : EIO;

                (void) unlink(tmp); /* a partial record must not be taken for one (ENOSPC) */
                return df_error_set(err, -e, "%s: cannot write: %s", tmp, strerror(e));
        }
        if (rename(tmp, state_path) < 0) {
                int e = errno;

                (void) unlink(tmp);
                return df_error_set(err, -e, "%s: cannot rename to %s: %s", tmp, state_path, strerror(e));
        }
        return 0;
}

/* The daemon's knobs, keeping the memory block records a lever child wrote. */
static int state_save(const struct df_knobs *k, struct df_error *err) {
        struct memblock_rec mb[DF_MEMBLOCKS_MAX];
        int lock = state_lock(k->state_path), r;
        size_t n_mb = read_memblocks(k->state_path, mb, ELEMENTSOF(mb));

        r = write_state(k->state_path, k->items, k->n, mb, n_mb, true, err);
        state_unlock(&lock);
        return r;
}

static int knob_lines_of_file(const char *state_path, struct df_knob *items, unsigned max) {
        _cleanup_fclose_ FILE *f = fopen(state_path, "re");
        char line[PATH_MAX + DF_KNOB_VALUE_MAX + 4];
        unsigned n = 0;

        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f) && n < max) {
                char *tab = strchr(line, '\t'), *nl = strchr(line, '\n');

                if (nl)
                        *nl = 0;
                if (!tab || !knob_path_allowed(line))
                        continue;
                *tab = 0;
                if (strlen(line) >= sizeof(items[n].path))
                        continue;
                memcpy(items[n].path, line, strlen(line) + 1);
                snprintf(items[n].original, sizeof(items[n].original), "%s", tab + 1);
                n++;
        }
        return (int) n;
}

/* Add or drop one memory block record, keeping everything else. */
static int memblock_update(const char *state_path, int64_t id, const char *online_type, struct df_error *err) {
        struct memblock_rec mb[DF_MEMBLOCKS_MAX];
        static struct df_knob items[DF_KNOBS_MAX]; /* big: not on a lever child's stack */
        int lock, r, n_items;
        size_t n_mb, j = 0;

        lock = state_lock(state_path);
        n_items = knob_lines_of_file(state_path, items, DF_KNOBS_MAX);
        n_mb = read_memblocks(state_path, mb, ELEMENTSOF(mb));
        for (size_t i = 0; i < n_mb; i++)
                if (mb[i].id != id)
                        mb[j++] = mb[i];
        n_mb = j;
        if (online_type) {
                if (n_mb >= ELEMENTSOF(mb)) {
                        state_unlock(&lock);
                        return df_error_set(err, -E2BIG, "%s: more than %d memory blocks recorded offline", state_path,
                                            DF_MEMBLOCKS_MAX);
                }
                mb[n_mb].id = id;
                snprintf(mb[n_mb].online_type, sizeof(mb[n_mb].online_type), "%s", online_type);
                n_mb++;
        }
        r = write_state(state_path, items, (unsigned) n_items, mb, n_mb, n_items > 0, err);
        state_unlock(&lock);
        return r;
}

int df_knobs_memblock_record(const char *state_path, int64_t id, const char *online_type, struct df_error *err) {
        assert(state_path);
        assert(online_type);
        if (id < 0 || !online_type_valid(online_type))
                return df_error_set(err, -EINVAL, "memory%" PRId64 ": online type \"%s\"; accepted: online_kernel, online_movable, online",
                                    id, online_type);
        return memblock_update(state_path, id, online_type, err);
}

int df_knobs_memblock_forget(const char *state_path, int64_t id, struct df_error *err) {
        assert(state_path);
        return memblock_update(state_path, id, NULL, err);
}

static void memblock_state_path(const char *root, int64_t id, char *buf, size_t size) {
        snprintf(buf, size, "%s/sys/devices/system/memory/memory%" PRId64 "/state", root, id);
}

int df_knobs_recover_memblocks(const char *state_path, const char *root, const char *why, struct df_error *err) {
        struct memblock_rec mb[DF_MEMBLOCKS_MAX];
        size_t n_mb;
        int onlined = 0, ret = 0;

        assert(state_path);
        root = root && strcmp(root, "/") != 0 ? root : "";
        n_mb = read_memblocks(state_path, mb, ELEMENTSOF(mb));
        for (size_t i = 0; i < n_mb; i++) {
                char path[PATH_MAX], cur[64];
                int r;

                memblock_state_path(root, mb[i].id, path, sizeof(path));
                r = df_knob_read(path, cur, sizeof(cur));
                if (r == -ENOENT) {
                        df_log(LOG_WARNING, "memory%" PRId64 ": gone (%s), forgetting its record", mb[i].id, path);
                } else if (r < 0) {
                        ret = df_error_set(err, r, "%s: cannot read: %s", path, strerror(-r));
                        continue;
                } else if (strcmp(cur, "offline") == 0) {
                        r = df_write_file(path, mb[i].online_type);
                        if (r < 0) {
                                ret = df_error_set(err, r, "%s: cannot write \"%s\" (record in %s): %s", path,
                                                   mb[i].online_type, state_path, strerror(-r));
                                continue;
                        }
                        df_log(LOG_NOTICE, "memory%" PRId64 ": onlined again (%s, %s)", mb[i].id, mb[i].online_type, why);
                        onlined++;
                        df_fault_point("memblock-recover-after-online");
                }
                r = df_knobs_memblock_forget(state_path, mb[i].id, err);
                if (r < 0)
                        ret = r;
        }
        return ret < 0 ? ret : onlined;
}

static struct df_knob *find(const struct df_knobs *k, const char *path) {
        for (unsigned i = 0; i < k->n; i++)
                if (strcmp(k->items[i].path, path) == 0)
                        return (struct df_knob *) &k->items[i];
        return NULL;
}

static void report_knob(const char *path, const char *from, const char *to, const char *why) {
        char f_path[PATH_MAX + 16], f_old[DF_KNOB_VALUE_MAX + 16], f_new[DF_KNOB_VALUE_MAX + 16];
        const char *fields[] = { "MESSAGE_ID=" DF_MID_KNOB, f_path, f_old, f_new, NULL };

        snprintf(f_path, sizeof(f_path), "KNOB=%s", path);
        snprintf(f_old, sizeof(f_old), "OLD_VALUE=%s", from);
        snprintf(f_new, sizeof(f_new), "NEW_VALUE=%s", to);
        df_log_struct(LOG_NOTICE, fields, "%s: %s -> %s (%s)", path, from, to, why);
}

/* Every line "path<TAB>value\n" as state_save writes it, or the line that is
 * not: a file cut short (no newline at the end), garbage or a foreign path.
 * Nothing is restored from a file that fails: its values cannot be trusted. */
static int state_check(FILE *f, const char *state_path, char *why, size_t why_size) {
        char line[PATH_MAX + DF_KNOB_VALUE_MAX + 4];
        unsigned lineno = 0;
        size_t len;

        while (fgets(line, sizeof(line), f)) {
                char *tab;

                lineno++;
                len = strlen(line);
                tab = strchr(line, '\t');
                if (len == 0 || line[len - 1] != '\n') {
                        snprintf(why, why_size, "%s:%u: line %s", state_path, lineno,
                                 len + 1 >= sizeof(line) ? "too long" : "cut short (no newline: a partial write?)");
                        return -EBADMSG;
                }
                line[len - 1] = 0;
                if (strncmp(line, MEMBLOCK_TAG, strlen(MEMBLOCK_TAG)) == 0 && lineno <= DF_KNOBS_MAX + DF_MEMBLOCKS_MAX)
                        continue; /* memory block records: read (and onlined) by df_knobs_recover_memblocks */
                if (!tab || !knob_path_allowed(line) || tab - line >= PATH_MAX ||
                    strlen(tab + 1) >= DF_KNOB_VALUE_MAX || strlen(line) != len - 1 || lineno > DF_KNOBS_MAX) {
                        snprintf(why, why_size, "%s:%u: not \"/proc/sys/... or /sys/...<TAB>value\" (at most %d lines)",
                                 state_path, lineno, DF_KNOBS_MAX);
                        return -EBADMSG;
                }
        }
        if (ferror(f)) {
                snprintf(why, why_size, "%s: read failed", state_path);
                return -EIO;
        }
        rewind(f);
        return 0;
}

int df_knobs_recover(struct df_knobs *k, struct df_error *err) {
        _cleanup_fclose_ FILE *f = NULL;
        char line[PATH_MAX + DF_KNOB_VALUE_MAX + 4];
        struct memblock_rec mb[DF_MEMBLOCKS_MAX];
        unsigned lineno = 0;
        int restored, r = 0, lock;
        size_t n_mb;

        assert(k);
        /* Memory first: a block left offline is memory the machine lacks. */
        restored = df_knobs_recover_memblocks(k->state_path, k->root, "after an unclean exit of a previous instance", err);
        if (restored < 0)
                return restored;
        f = fopen(k->state_path, "re");
        if (!f)
                return errno == ENOENT ? restored : df_error_set(err, -errno, "%s: %s", k->state_path, strerror(errno));

        r = state_check(f, k->state_path, k->frozen_why, sizeof(k->frozen_why));
        if (r < 0) {
                k->frozen = true;
                return df_error_set(err, r,
                                    "%s; not restoring or changing any knob while it exists: the file is kept for "
                                    "a human (put the knobs it names back by hand, then remove it)",
                                    k->frozen_why);
        }
        while (fgets(line, sizeof(line), f)) {
                char *tab, *nl, path[PATH_MAX], key[PATH_MAX], value[DF_KNOB_VALUE_MAX], cur[DF_KNOB_VALUE_MAX];

                lineno++;
                nl = strchr(line, '\n');
                if (nl)
                        *nl = 0;
                if (strncmp(line, MEMBLOCK_TAG, strlen(MEMBLOCK_TAG)) == 0)
                        continue; /* done above */
                tab = strchr(line, '\t');
                /* state_check saw a tab and both lengths on every line; checked
                 * again here, as this is a second read of the file. */
                if (!tab || (size_t) (tab - line) >= sizeof(key) || strlen(tab + 1) >= sizeof(value))
                        return df_error_set(err, -EBADMSG, "%s:%u: changed while being read, not restoring",
                                            k->state_path, lineno);
                memcpy(key, line, (size_t) (tab - line));
                key[tab - line] = 0;
                memcpy(value, tab + 1, strlen(tab + 1) + 1);
                full_path(k, key, path, sizeof(path));
                if (df_knob_read(path, cur, sizeof(cur)) < 0)
                        cur[0] = 0;
                if (strcmp(cur, value) == 0)
                        continue;
                r = df_write_file(path, value);
                if (r < 0) {
                        df_error_set(err, r, "%s: cannot restore to \"%s\" (from %s:%u): %s", path, value,
                                     k->state_path, lineno, strerror(-r));
                        return r;
                }
                report_knob(key, cur, value, "restored after an unclean exit of a previous instance");
                df_fault_point("knob-recover-after-write");
                restored++;
        }
        /* Knobs are back: keep only what still concerns a live instance (memory
         * blocks a running lever child recorded since). */
        lock = state_lock(k->state_path);
        n_mb = read_memblocks(k->state_path, mb, ELEMENTSOF(mb));
        r = write_state(k->state_path, k->items, k->n, mb, n_mb, true, err);
        state_unlock(&lock);
        return r < 0 ? r : restored;
}

int df_knobs_set(struct df_knobs *k, const char *path, const char *value, const char *why, struct df_error *err) {
        char full[PATH_MAX], cur[DF_KNOB_VALUE_MAX];
        struct df_knob *kn;
        int r;

        if (!knob_path_allowed(path))
                return df_error_set(err, -EINVAL, "%s: not a knob; accepted: paths under /proc/sys/ or /sys/", path);
        if (k->frozen)
                return df_error_set(err, -EBADMSG, "%s: not changed: %s is corrupt (%s)", path, k->state_path,
                                    k->frozen_why);
        full_path(k, path, full, sizeof(full));
        r = df_knob_read(full, cur, sizeof(cur));
        if (r < 0)
                return df_error_set(err, r, "%s: cannot read: %s", full, strerror(-r));
        if (strcmp(cur, value) == 0)
                return 0;

        kn = find(k, path);
        if (!kn) {
                if (k->n >= DF_KNOBS_MAX)
                        return df_error_set(err, -E2BIG, "%s: more than %d knobs changed at once", path, DF_KNOBS_MAX);
                kn = &k->items[k->n++];
                snprintf(kn->path, sizeof(kn->path), "%s", path);
                snprintf(kn->original, sizeof(kn->original), "%s", cur);
                kn->current[0] = 0; /* set once the knob is written */
                /* The record must exist before the knob changes. */
                df_fault_point("knob-before-state");
                r = state_save(k, err);
                if (r < 0) {
                        k->n--;
                        return r;
                }
                df_fault_point("knob-after-state");
        }
        r = df_write_file(full, value);
        if (r < 0) {
                df_error_set(err, r, "%s: cannot write \"%s\": %s", full, value, strerror(-r));
                if (kn->current[0] == 0) {
                        /* Never changed: forget the record just made (rewriting the
                         * file can fail too; then a later start finds the knob at
                         * its original and restores nothing). */
                        k->n--;
                        (void) state_save(k, NULL);
                }
                return r;
        }
        df_fault_point("knob-after-write");
        snprintf(kn->current, sizeof(kn->current), "%s", value);
        report_knob(path, cur, value, why);
        return 0;
}

int df_knobs_restore(struct df_knobs *k, const char *path, const char *why, struct df_error *err) {
        char full[PATH_MAX], cur[DF_KNOB_VALUE_MAX];
        struct df_knob *kn = find(k, path);
        unsigned idx;
        int r;

        if (!kn)
                return 0;
        full_path(k, path, full, sizeof(full));
        if (df_knob_read(full, cur, sizeof(cur)) < 0)
                cur[0] = 0;
        if (strcmp(cur, kn->original) != 0) {
                r = df_write_file(full, kn->original);
                if (r < 0)
                        return df_error_set(err, r, "%s: cannot restore \"%s\": %s", full, kn->original, strerror(-r));
                report_knob(path, cur, kn->original, why);
                df_fault_point("knob-restore-after-write");
        }
        idx = (unsigned) (kn - k->items);
        memmove(&k->items[idx], &k->items[idx + 1], (k->n - idx - 1) * sizeof(k->items[0]));
        k->n--;
        return state_save(k, err);
}

int df_knobs_restore_all(struct df_knobs *k, const char *why, struct df_error *err) {
        int ret = 0;

        assert(k);
        if (df_knobs_recover_memblocks(k->state_path, k->root, why, err) < 0) {
                df_log(LOG_ERR, "%s", err ? err->msg : k->state_path);
                ret = -EIO;
        }

        while (k->n > 0) {
                char path[PATH_MAX];
                int r;

                snprintf(path, sizeof(path), "%s", k->items[k->n - 1].path);
                r = df_knobs_restore(k, path, why, err);
                if (r < 0) {
                        /* Keep the record so a later start retries; drop it from memory to make progress. */
                        df_log(LOG_ERR, "%s", err ? err->msg : path);
                        k->n--;
                        ret = r;
                }
        }
        return ret;
}

bool df_knobs_is_changed(const struct df_knobs *k, const char *path) { return find(k, path) != NULL; }

unsigned df_knobs_count(const struct df_knobs *k) { return k->n; }

bool df_knobs_get(const struct df_knobs *k, unsigned i, const char **path, const char **original, const char **current) {
        if (i >= k->n)
                return false;
        *path = k->items[i].path;
        *original = k->items[i].original;
        *current = k->items[i].current;
        return true;
}
