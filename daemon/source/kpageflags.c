/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/kpageflags and /proc/kpagecgroup: one u64 per page frame, read with
 * pread in bounded slices so a tick's cost does not grow with memory size. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "defragd/plan-source.h"
#include "defragd/procfs.h"
#include "defragd/snapshot.h"
#include "defragd/util.h"

int df_kpageflags_open(struct df_kpageflags *k, const char *root, bool want_cgroup, struct df_error *err) {
        char path[4096];
        int r;

        assert(k);
        k->fd_flags = k->fd_cgroup = -1;
        r = df_proc_path(root, "kpageflags", k->path, sizeof(k->path));
        if (r < 0)
                return df_error_set(err, r, "%s/proc/kpageflags: path too long", root);
        k->fd_flags = open(k->path, O_RDONLY | O_CLOEXEC);
        if (k->fd_flags < 0)
                return df_error_set(err, -errno, "%s: %s%s", k->path, strerror(errno),
                                    errno == EACCES || errno == EPERM ? " (needs root with CAP_SYS_ADMIN)" : "");
        if (want_cgroup && df_proc_path(root, "kpagecgroup", path, sizeof(path)) == 0)
                k->fd_cgroup = open(path, O_RDONLY | O_CLOEXEC); /* absent without CONFIG_MEMCG: counts stay 0 */
        return 0;
}

void df_kpageflags_close(struct df_kpageflags *k) {
        assert(k);
        if (k->fd_flags >= 0)
                close(k->fd_flags);
        if (k->fd_cgroup >= 0)
                close(k->fd_cgroup);
        k->fd_flags = k->fd_cgroup = -1;
}

/* Read n u64 at pfn; what lies past the end reads as `fill`. */
static int read_u64s(int fd, const char *what, uint64_t pfn, uint64_t n, uint64_t *out, uint64_t fill,
                     struct df_error *err) {
        size_t want = n * sizeof(uint64_t), got = 0;

        while (got < want) {
                ssize_t r = pread(fd, (char *) out + got, want - got, (off_t) (pfn * sizeof(uint64_t) + got));

                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return df_error_set(err, -errno, "%s: read at pfn %" PRIu64 ": %s", what, pfn, strerror(errno));
                }
                if (r == 0)
                        break;
                got += (size_t) r;
        }
        if (got % sizeof(uint64_t))
                return df_error_set(err, -EIO, "%s: short read of %zu bytes at pfn %" PRIu64, what, got, pfn);
        for (size_t i = got / sizeof(uint64_t); i < n; i++)
                out[i] = fill;
        return 0;
}

int df_kpageflags_read(const struct df_kpageflags *k, uint64_t pfn, uint64_t n, uint64_t *flags, uint64_t *cgroups,
                       struct df_error *err) {
        int r;

        assert(k);
        assert(flags);
        r = read_u64s(k->fd_flags, k->path, pfn, n, flags, UINT64_C(1) << DF_KPF_NOPAGE, err);
        if (r < 0 || !cgroups)
                return r;
        if (k->fd_cgroup < 0) {
                memset(cgroups, 0, n * sizeof(*cgroups));
                return 0;
        }
        return read_u64s(k->fd_cgroup, "/proc/kpagecgroup", pfn, n, cgroups, 0, err);
}

int64_t df_plan_refresh(struct df_plan_view *v, const struct df_kpageflags *k, uint64_t max_pages_per_zone,
                        const uint64_t *zone_pages, uint64_t now_usec, struct df_error *err) {
        _cleanup_free_ uint64_t *buf = NULL;
        int64_t total = 0;

        assert(v);
        assert(k);
        buf = malloc((max_pages_per_zone + (UINT64_C(1) << v->block_order)) * sizeof(uint64_t));
        if (!buf)
                return df_error_set(err, -ENOMEM, "planner: out of memory for a slice of %" PRIu64 " pages", max_pages_per_zone);
        for (size_t z = 0; z < v->n_zones; z++) {
                uint64_t pfn, n, want = zone_pages && zone_pages[z] < max_pages_per_zone ? zone_pages[z] : max_pages_per_zone;
                int r;

                if (!v->zones[z].watched || !df_plan_next_slice(v, z, want, &pfn, &n))
                        continue;
                r = df_kpageflags_read(k, pfn, n, buf, NULL, err);
                if (r < 0)
                        return r;
                df_plan_ingest(v, z, pfn, buf, n, now_usec);
                total += (int64_t) n;
        }
        return total;
}

int64_t df_plan_scan_all(struct df_plan_view *v, const struct df_kpageflags *k, uint64_t slice_pages,
                         uint64_t now_usec, struct df_error *err) {
        _cleanup_free_ uint64_t *buf = NULL;
        int64_t total = 0;

        assert(v);
        assert(k);
        buf = malloc((slice_pages + (UINT64_C(1) << v->block_order)) * sizeof(uint64_t));
        if (!buf)
                return df_error_set(err, -ENOMEM, "planner: out of memory for a slice of %" PRIu64 " pages", slice_pages);
        for (size_t z = 0; z < v->n_zones; z++) {
                struct df_plan_zone *pz = &v->zones[z];
                uint64_t pfn, n;

                if (!pz->watched || pz->n_blocks == 0)
                        continue;
                pz->cursor_pfn = pz->first_block_pfn;
                do {
                        int r;

                        if (!df_plan_next_slice(v, z, slice_pages, &pfn, &n))
                                break;
                        r = df_kpageflags_read(k, pfn, n, buf, NULL, err);
                        if (r < 0)
                                return r;
                        df_plan_ingest(v, z, pfn, buf, n, now_usec);
                        total += (int64_t) n;
                } while (pz->cursor_pfn != pz->first_block_pfn);
        }
        return total;
}

int df_plan_cgroups_of(const struct df_kpageflags *k, const struct df_plan *p, struct df_cgroup_pages *out, size_t max,
                       struct df_error *err) {
        size_t n_out = 0;

        assert(k);
        assert(p);
        assert(out || max == 0);
        if (k->fd_cgroup < 0)
                return df_error_set(err, -ENOENT, "/proc/kpagecgroup: not open (kernel without CONFIG_MEMCG?)");
        for (size_t i = 0; i < p->n_chosen; i++) {
                uint64_t n = p->chosen[i].nr_pages;
                _cleanup_free_ uint64_t *flags = malloc(n * sizeof(uint64_t)), *cg = malloc(n * sizeof(uint64_t));
                int r;

                if (!flags || !cg)
                        return df_error_set(err, -ENOMEM, "planner: out of memory");
                r = df_kpageflags_read(k, p->chosen[i].start_pfn, n, flags, cg, err);
                if (r < 0)
                        return r;
                n_out = df_plan_count_cgroups(flags, cg, n, out, n_out, max);
        }
        return (int) n_out;
}
