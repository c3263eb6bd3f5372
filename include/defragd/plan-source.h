/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Thin readers that feed the planner: /proc/kpageflags and /proc/kpagecgroup
 * in bounded slices, and the memory blocks of /sys/devices/system/memory. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "defragd/error.h"
#include "defragd/plan.h"

struct df_kpageflags {
        int fd_flags;   /* <root>/proc/kpageflags */
        int fd_cgroup;  /* <root>/proc/kpagecgroup, -1 when absent or not asked */
        char path[4096];
};

/* Open the files (root "" or NULL: live). Needs CAP_SYS_ADMIN live. */
int df_kpageflags_open(struct df_kpageflags *k, const char *root, bool want_cgroup, struct df_error *err);
void df_kpageflags_close(struct df_kpageflags *k);
/* Flags (and cgroup inodes, when cgroups is not NULL) of [pfn, pfn + n).
 * Past the end of memory the kernel returns nothing: those pages read as
 * KPF_NOPAGE (cgroup 0). */
int df_kpageflags_read(const struct df_kpageflags *k, uint64_t pfn, uint64_t n, uint64_t *flags, uint64_t *cgroups,
                       struct df_error *err);

/* One bounded step: at most max_pages_per_zone pages of every watched zone
 * (zone_pages[z] of zone z when given, n_zones long, never more than the
 * maximum), from each zone's cursor. Returns the pages read. */
int64_t df_plan_refresh(struct df_plan_view *v, const struct df_kpageflags *k, uint64_t max_pages_per_zone,
                        const uint64_t *zone_pages, uint64_t now_usec, struct df_error *err);
/* A full sweep of every watched zone, in slices of slice_pages. */
int64_t df_plan_scan_all(struct df_plan_view *v, const struct df_kpageflags *k, uint64_t slice_pages,
                         uint64_t now_usec, struct df_error *err);
/* Per-cgroup movable pages in a plan's chosen blocks (reads kpagecgroup;
 * k must be opened with want_cgroup). Returns how many entries, or -errno. */
int df_plan_cgroups_of(const struct df_kpageflags *k, const struct df_plan *p, struct df_cgroup_pages *out, size_t max,
                       struct df_error *err);

/* The memory blocks: ids, ranges, node, state, zone, and the drivers that
 * manage some (/proc/iomem "System RAM (virtio_mem)"). *hotremove tells
 * whether the kernel can offline memory at all (memoryN/removable). */
int df_memblocks_read(const char *root, struct df_memblock_info **ret, size_t *n, uint64_t *block_pages, bool *hotremove,
                      struct df_error *err);

/* Fill a view's memory blocks from sysfs (keeps the planner's history). */
int df_plan_view_read_memblocks(struct df_plan_view *v, const char *root, struct df_error *err);
