/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Thin readers for targeted reclaim: the cgroup2 mount and a cgroup's memory
 * files, kpageflags/kpagecgroup in pageblocks, a zone's pfn range. */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "defragd/memcg.h"
#include "defragd/util.h"

static int read_text(const char *path, char *buf, size_t size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        size_t len = 0;
        ssize_t n;

        if (fd < 0)
                return -errno;
        while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
                len += (size_t) n;
        if (n < 0)
                return -errno;
        buf[len] = 0;
        return (int) len;
}

/* mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - FSTYPE SOURCE SUPEROPTS" */
int df_memcg_probe(const char *root, char *mount, size_t mount_size, char *reason, size_t reason_size) {
        char path[512], line[1024], v1_memory[256] = "", ctl[512];
        _cleanup_fclose_ FILE *f = NULL;
        bool found = false, ro = false;

        assert(root);
        assert(mount);
        assert(reason);
        snprintf(path, sizeof(path), "%s/proc/self/mountinfo", root);
        f = fopen(path, "re");
        if (!f) {
                int e = errno;
                snprintf(reason, reason_size, "%s: %s", path, strerror(e));
                return -e;
        }
        while (fgets(line, sizeof(line), f)) {
                char mp[256], opts[256], fstype[64], super[256];
                const char *dash = strstr(line, " - ");

                if (!dash || sscanf(line, "%*s %*s %*s %*s %255s %255s", mp, opts) != 2 ||
                    sscanf(dash + 3, "%63s %*s %255s", fstype, super) != 2)
                        continue;
                if (strcmp(fstype, "cgroup2") == 0 && !found) {
                        snprintf(mount, mount_size, "%s%s", root, mp);
                        ro = strncmp(opts, "ro", 2) == 0 && (opts[2] == ',' || opts[2] == 0);
                        found = true;
                } else if (strcmp(fstype, "cgroup") == 0 && strstr(super, "memory") &&
                           (strstr(super, ",memory") || strncmp(super, "memory", 6) == 0))
                        snprintf(v1_memory, sizeof(v1_memory), "%s", mp);
        }
        if (v1_memory[0]) {
                snprintf(reason, reason_size, "the memory controller is on cgroup v1 (%s): memory.reclaim needs it on cgroup v2",
                         v1_memory);
                return -EOPNOTSUPP;
        }
        if (!found) {
                snprintf(reason, reason_size, "no cgroup2 file system mounted (%s)", path);
                return -ENOENT;
        }
        snprintf(ctl, sizeof(ctl), "%s/cgroup.controllers", mount);
        if (read_text(ctl, line, sizeof(line)) < 0 || !strstr(line, "memory")) {
                snprintf(reason, reason_size, "%s: no memory controller in cgroup v2", ctl);
                return -EOPNOTSUPP;
        }
        if (ro) {
                snprintf(reason, reason_size, "%s is mounted read-only", mount);
                return -EROFS;
        }
        return 0;
}

int df_memcg_parse_bytes(const char *text, uint64_t *ret) {
        char num[32];
        size_t n;

        assert(text);
        assert(ret);
        n = strcspn(text, "\n");
        if (n == 3 && strncmp(text, "max", 3) == 0) {
                *ret = UINT64_MAX;
                return 0;
        }
        if (n == 0 || n >= sizeof(num))
                return -EINVAL;
        memcpy(num, text, n);
        num[n] = 0;
        return df_parse_u64(num, ret);
}

void df_memcg_parse_stat(const char *text, struct df_reclaim_cgroup *cg, struct df_memcg_counters *k) {
        const char *s = text;

        assert(text);
        while (*s) {
                char key[64];
                unsigned long long v;
                const char *nl = strchr(s, '\n');

                if (sscanf(s, "%63s %llu", key, &v) == 2) {
                        if (cg && strcmp(key, "inactive_file") == 0)
                                cg->inactive_file_bytes = v;
                        else if (cg && strcmp(key, "file") == 0)
                                cg->file_bytes = v;
                        else if (k && strcmp(key, "pgsteal") == 0)
                                k->pgsteal = v;
                        else if (k && strcmp(key, "workingset_refault_file") == 0)
                                k->refault_file = v;
                        else if (k && strcmp(key, "workingset_refault_anon") == 0)
                                k->refault_anon = v;
                }
                if (!nl)
                        break;
                s = nl + 1;
        }
}

static int read_bytes_file(const char *dir, const char *name, uint64_t *ret) {
        char path[DF_CGROUP_PATH_MAX + 300], buf[64];
        int r;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        r = read_text(path, buf, sizeof(buf));
        if (r < 0)
                return r;
        return df_memcg_parse_bytes(buf, ret);
}

int df_memcg_read(const char *mount, const char *path, struct df_reclaim_cgroup *cg, struct df_memcg_counters *k) {
        char dir[DF_CGROUP_PATH_MAX + 256], file[sizeof(dir) + 32], buf[8192];
        struct stat st;
        int r;

        assert(mount);
        assert(path);
        assert(cg);
        memset(cg, 0, sizeof(*cg));
        if (k)
                memset(k, 0, sizeof(*k));
        snprintf(cg->path, sizeof(cg->path), "%s", path);
        snprintf(dir, sizeof(dir), "%s%s", mount, strcmp(path, "/") == 0 ? "" : path);
        if (stat(dir, &st) < 0)
                return -errno;
        cg->inode = st.st_ino;
        r = read_bytes_file(dir, "memory.current", &cg->current_bytes);
        /* The root has no memory.current (CFTYPE_NOT_ON_ROOT); elsewhere its
         * absence means no memory controller here, or the cgroup vanished. */
        if (r < 0 && strcmp(path, "/") != 0)
                return r;
        (void) read_bytes_file(dir, "memory.min", &cg->min_bytes);  /* absent on the root: 0 */
        (void) read_bytes_file(dir, "memory.low", &cg->low_bytes);
        snprintf(file, sizeof(file), "%s/memory.stat", dir);
        if (read_text(file, buf, sizeof(buf)) >= 0)
                df_memcg_parse_stat(buf, cg, k);
        snprintf(file, sizeof(file), "%s/memory.pressure", dir);
        if (read_text(file, buf, sizeof(buf)) >= 0 && strncmp(buf, "some avg10=", 11) == 0) {
                cg->pressure_some_avg10 = strtod(buf + 11, NULL);
                cg->has_pressure = true;
        }
        return 0;
}

int df_memcg_list(const char *mount, size_t max, struct df_reclaim_cgroup **ret, size_t *ret_n) {
        struct df_reclaim_cgroup *cgs;
        size_t n = 0, next = 0;

        assert(mount);
        assert(ret);
        assert(ret_n);
        cgs = calloc(max ? max : 1, sizeof(*cgs));
        if (!cgs)
                return -ENOMEM;
        if (max > 0 && df_memcg_read(mount, "/", &cgs[0], NULL) == 0)
                n = 1;
        /* Breadth first: each read cgroup's children are appended. */
        while (next < n && n < max) {
                char dir[DF_CGROUP_PATH_MAX + 256];
                const char *parent = cgs[next].path;
                DIR *d;
                struct dirent *de;

                snprintf(dir, sizeof(dir), "%s%s", mount, strcmp(parent, "/") == 0 ? "" : parent);
                d = opendir(dir);
                next++;
                if (!d)
                        continue; /* vanished meanwhile */
                while (n < max && (de = readdir(d))) {
                        char child[DF_CGROUP_PATH_MAX];

                        if (de->d_type != DT_DIR || de->d_name[0] == '.')
                                continue;
                        if ((size_t) snprintf(child, sizeof(child), "%s/%s", strcmp(parent, "/") == 0 ? "" : parent,
                                              de->d_name) >= sizeof(child))
                                continue;
                        if (df_memcg_read(mount, child, &cgs[n], NULL) == 0)
                                n++;
                }
                closedir(d);
        }
        *ret = cgs;
        *ret_n = n;
        return 0;
}

int df_memcg_own(const char *root, char *buf, size_t size) {
        char path[512], line[DF_CGROUP_PATH_MAX + 16];
        _cleanup_fclose_ FILE *f = NULL;

        assert(root);
        assert(buf);
        buf[0] = 0;
        snprintf(path, sizeof(path), "%s/proc/self/cgroup", root);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "0::", 3) == 0) {
                        line[strcspn(line, "\n")] = 0;
                        snprintf(buf, size, "%s", line + 3);
                        return 0;
                }
        return 0;
}

int df_zone_pfn_range(const char *root, int node, const char *zone, uint64_t *ret_start, uint64_t *ret_spanned) {
        char path[512], line[256];
        _cleanup_fclose_ FILE *f = NULL;
        bool in = false, have_spanned = false;

        assert(root);
        assert(zone);
        assert(ret_start);
        assert(ret_spanned);
        snprintf(path, sizeof(path), "%s/proc/zoneinfo", root);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                int nd;
                char z[64];
                unsigned long long v;

                if (sscanf(line, "Node %d, zone %63s", &nd, z) == 2) {
                        in = nd == node && strcmp(z, zone) == 0;
                        continue;
                }
                if (!in)
                        continue;
                if (sscanf(line, " spanned %llu", &v) == 1) {
                        *ret_spanned = v;
                        have_spanned = true;
                } else if (sscanf(line, " start_pfn: %llu", &v) == 1) {
                        *ret_start = v;
                        return have_spanned ? 0 : -EINVAL;
                }
        }
        return -ENOENT;
}

static int pread_all(int fd, void *buf, size_t size, off_t off) {
        size_t done = 0;

        while (done < size) {
                ssize_t n = pread(fd, (char *) buf + done, size - done, off + (off_t) done);

                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EIO;
                done += (size_t) n;
        }
        return 0;
}

int df_reclaim_sample_zone(const char *root, uint64_t start_pfn, uint64_t spanned, uint64_t block_pages,
                           uint64_t max_pages, uint64_t tick, bool allow_anon, size_t keep,
                           struct df_reclaim_sample *s) {
        char path[512];
        _cleanup_close_ int ffd = -1, cfd = -1;
        _cleanup_free_ uint64_t *flags = NULL, *cg = NULL;
        uint64_t first_block, nr_blocks, n;
        int r;

        assert(root);
        assert(s);
        memset(s, 0, sizeof(*s));
        if (block_pages == 0 || block_pages > 1u << 20)
                return -EINVAL;
        snprintf(path, sizeof(path), "%s/proc/kpageflags", root);
        ffd = open(path, O_RDONLY | O_CLOEXEC);
        if (ffd < 0)
                return -errno;
        snprintf(path, sizeof(path), "%s/proc/kpagecgroup", root);
        cfd = open(path, O_RDONLY | O_CLOEXEC);
        if (cfd < 0)
                return -errno;
        flags = malloc(block_pages * sizeof(*flags));
        cg = malloc(block_pages * sizeof(*cg));
        if (!flags || !cg)
                return -ENOMEM;
        /* Whole aligned blocks inside the zone. */
        first_block = (start_pfn + block_pages - 1) / block_pages;
        nr_blocks = (start_pfn + spanned) / block_pages > first_block ? (start_pfn + spanned) / block_pages - first_block : 0;
        n = max_pages / block_pages;
        if (n > nr_blocks)
                n = nr_blocks;
        for (uint64_t i = 0; i < n; i++) {
                uint64_t pfn = (first_block + df_reclaim_sample_block(nr_blocks, n, i, tick)) * block_pages;
                struct df_block_sample b;
                int slot;

                r = pread_all(ffd, flags, block_pages * sizeof(*flags), (off_t) (pfn * sizeof(*flags)));
                if (r < 0)
                        return r;
                s->pages_read += block_pages;
                df_block_classify(pfn, flags, block_pages, &b);
                slot = df_reclaim_sample_offer(s, &b, allow_anon, keep);
                (void) slot;
        }
        /* Owners only of the kept blocks: a second read each, at most `keep`. */
        for (size_t i = 0; i < s->n_cheap; i++) {
                uint64_t pfn = s->cheap[i].start_pfn;

                r = pread_all(ffd, flags, block_pages * sizeof(*flags), (off_t) (pfn * sizeof(*flags)));
                if (r < 0)
                        return r;
                r = pread_all(cfd, cg, block_pages * sizeof(*cg), (off_t) (pfn * sizeof(*cg)));
                if (r < 0)
                        return r;
                df_reclaim_sample_attribute(s, flags, cg, block_pages, allow_anon);
        }
        return 0;
}
