/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Turns the planner capture (tests/fixtures/live-6.18-planner: text files)
 * into a root the readers take: proc/{zoneinfo,buddyinfo,vmstat,kpageflags}
 * (kpageflags sparse: pages not captured read as 0) and the memory block sysfs. */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct flag_run {
        uint64_t pfn, count, flags;
};

struct plan_fixture {
        size_t n_runs;
        struct flag_run *runs;
        uint64_t max_pfn;
};

static inline int fixture_copy(const char *from, const char *to) {
        char buf[65536];
        FILE *in = fopen(from, "re"), *out;
        size_t n;

        if (!in)
                return -errno;
        out = fopen(to, "we");
        if (!out) {
                fclose(in);
                return -errno;
        }
        while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
                fwrite(buf, 1, n, out);
        fclose(in);
        return fclose(out) == 0 ? 0 : -EIO;
}

static inline int fixture_write(const char *path, const char *text) {
        FILE *f = fopen(path, "we");

        if (!f)
                return -errno;
        fputs(text, f);
        return fclose(f) == 0 ? 0 : -EIO;
}

static inline void fixture_free(struct plan_fixture *fx) {
        free(fx->runs);
        memset(fx, 0, sizeof(*fx));
}

/* The run holding pfn (runs are in ascending pfn order), NULL when not captured. */
static inline const struct flag_run *fixture_run(const struct plan_fixture *fx, uint64_t pfn) {
        size_t lo = 0, hi = fx->n_runs;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (pfn < fx->runs[mid].pfn)
                        hi = mid;
                else if (pfn >= fx->runs[mid].pfn + fx->runs[mid].count)
                        lo = mid + 1;
                else
                        return &fx->runs[mid];
        }
        return NULL;
}

/* Flags of one page per the runs (0 when not captured). */
static inline uint64_t fixture_flags(const struct plan_fixture *fx, uint64_t pfn) {
        const struct flag_run *r = fixture_run(fx, pfn);

        return r ? r->flags : 0;
}

/* Build root from fixture dir src; 0 or -errno (message on stderr). */
static inline int fixture_make_root(const char *src, const char *root, struct plan_fixture *fx) {
        char path[4400], from[4096], line[256];
        uint64_t block_bytes = 0;
        FILE *f;
        int fd;

        memset(fx, 0, sizeof(*fx));
        snprintf(path, sizeof(path), "%s/proc", root);
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/sys", root);
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/sys/devices", root);
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/sys/devices/system", root);
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/sys/devices/system/memory", root);
        mkdir(path, 0755);
        for (int i = 0; i < 3; i++) {
                const char *name = (const char *[]) { "zoneinfo", "buddyinfo", "vmstat" }[i];

                snprintf(from, sizeof(from), "%s/%s", src, name);
                snprintf(path, sizeof(path), "%s/proc/%s", root, name);
                if (fixture_copy(from, path) < 0) {
                        fprintf(stderr, "%s: cannot copy to %s\n", from, path);
                        return -EIO;
                }
        }

        snprintf(from, sizeof(from), "%s/memory.txt", src);
        f = fopen(from, "re");
        if (!f) {
                fprintf(stderr, "%s: %s\n", from, strerror(errno));
                return -errno;
        }
        while (fgets(line, sizeof(line), f)) {
                char phys[32], state[32], zones[64], removable[8], dir[4200];
                long long id, node;

                if (sscanf(line, "# block_size_bytes %" SCNx64, &block_bytes) == 1)
                        continue;
                if (line[0] == '#')
                        continue;
                if (sscanf(line, "%lld %31s %31s %63s %lld %7s", &id, phys, state, zones, &node, removable) != 6) {
                        fprintf(stderr, "%s: bad line: %s", from, line);
                        fclose(f);
                        return -EINVAL;
                }
                for (char *c = zones; *c; c++)
                        if (*c == ',')
                                *c = ' ';
                snprintf(dir, sizeof(dir), "%s/sys/devices/system/memory/memory%lld", root, id);
                mkdir(dir, 0755);
                snprintf(path, sizeof(path), "%s/phys_index", dir);
                strcat(phys, "\n");
                fixture_write(path, phys);
                snprintf(path, sizeof(path), "%s/state", dir);
                strcat(state, "\n");
                fixture_write(path, state);
                snprintf(path, sizeof(path), "%s/valid_zones", dir);
                strcat(zones, "\n");
                fixture_write(path, zones);
                snprintf(path, sizeof(path), "%s/removable", dir);
                strcat(removable, "\n");
                fixture_write(path, removable);
                snprintf(path, sizeof(path), "%s/node%lld", dir, node);
                mkdir(path, 0755);
        }
        fclose(f);
        snprintf(path, sizeof(path), "%s/sys/devices/system/memory/block_size_bytes", root);
        snprintf(line, sizeof(line), "%" PRIx64 "\n", block_bytes);
        fixture_write(path, line);

        snprintf(from, sizeof(from), "%s/kpageflags.rle", src);
        f = fopen(from, "re");
        if (!f) {
                fprintf(stderr, "%s: %s\n", from, strerror(errno));
                return -errno;
        }
        snprintf(path, sizeof(path), "%s/proc/kpageflags", root);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
                fclose(f);
                return -errno;
        }
        while (fgets(line, sizeof(line), f)) {
                struct flag_run run;

                if (line[0] == '#')
                        continue;
                if (sscanf(line, "%" SCNx64 " %" SCNu64 " %" SCNx64, &run.pfn, &run.count, &run.flags) != 3)
                        continue;
                if (fx->n_runs % 1024 == 0)
                        fx->runs = realloc(fx->runs, (fx->n_runs + 1024) * sizeof(*fx->runs));
                fx->runs[fx->n_runs++] = run;
                for (uint64_t i = 0; i < run.count; i++)
                        if (pwrite(fd, &run.flags, 8, (off_t) ((run.pfn + i) * 8)) != 8) {
                                close(fd);
                                fclose(f);
                                return -EIO;
                        }
                if (run.pfn + run.count > fx->max_pfn)
                        fx->max_pfn = run.pfn + run.count;
        }
        fclose(f);
        /* The file is as long as memory: up to the end of the last zone. */
        {
                uint64_t spanned = 0, start, end_pfn = fx->max_pfn;

                snprintf(from, sizeof(from), "%s/zoneinfo", src);
                f = fopen(from, "re");
                while (f && fgets(line, sizeof(line), f)) {
                        if (sscanf(line, " spanned %" SCNu64, &spanned) == 1)
                                continue;
                        if (sscanf(line, " start_pfn: %" SCNu64, &start) == 1 && start + spanned > end_pfn)
                                end_pfn = start + spanned;
                }
                if (f)
                        fclose(f);
                fx->max_pfn = end_pfn;
        }
        if (ftruncate(fd, (off_t) (fx->max_pfn * 8)) < 0) {
                close(fd);
                return -errno;
        }
        close(fd);
        return 0;
}
