/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one reader of cgroup files (targeted reclaim): the cgroup2 mount under
 * a root, a cgroup's memory.* files, the cgroup walk with each cgroup's
 * inode (what /proc/kpagecgroup prints), a zone's pfn range, and the
 * reclaim tool's own even-spread sample. They read, never decide.
 * defragd/cgroup.h names cgroups (BPF ids, libcgroup mounts) and reads no file. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "defragd/reclaim-rank.h"
#include "defragd/reclaim.h"

/* Find the cgroup2 mount under root ("" live) and check that the memory
 * controller is there and writable. 0, or -errno with `reason` naming why
 * not (cgroup v1 memory controller, no cgroup2, read-only). */
int df_memcg_probe(const char *root, char *mount, size_t mount_size, char *reason, size_t reason_size);

/* Counters of memory.stat the levers and the refault follow-up need, in pages. */
struct df_memcg_counters {
        uint64_t pgsteal;          /* memory.stat pgsteal (hierarchical) */
        uint64_t refault_file;     /* workingset_refault_file */
        uint64_t refault_anon;     /* workingset_refault_anon */
};

/* Parse memory.stat text into cg (inactive_file, file) and k; either may be NULL. */
void df_memcg_parse_stat(const char *text, struct df_reclaim_cgroup *cg, struct df_memcg_counters *k);
/* "max" or a number of bytes. */
int df_memcg_parse_bytes(const char *text, uint64_t *ret);

/* Read one cgroup (path below mount). -ENOENT when it vanished. */
int df_memcg_read(const char *mount, const char *path, struct df_reclaim_cgroup *cg, struct df_memcg_counters *k);

/* Every cgroup below mount (at most max, breadth first), read. Caller frees *ret. */
int df_memcg_list(const char *mount, size_t max, struct df_reclaim_cgroup **ret, size_t *ret_n);

/* defragd's own cgroup v2 path ("0::/x" of <root>/proc/self/cgroup); "" when none. */
int df_memcg_own(const char *root, char *buf, size_t size);

/* start_pfn and spanned pages of a zone from <root>/proc/zoneinfo. */
int df_zone_pfn_range(const char *root, int node, const char *zone, uint64_t *ret_start, uint64_t *ret_spanned);

/* Sample `max_pages` pages of [start_pfn, start_pfn + spanned) in whole
 * pageblocks of block_pages, keep the `keep` cheapest, attribute their
 * pages. Reads kpageflags then kpagecgroup only for kept blocks. */
int df_reclaim_sample_zone(const char *root, uint64_t start_pfn, uint64_t spanned, uint64_t block_pages,
                           uint64_t max_pages, uint64_t tick, bool allow_anon, size_t keep,
                           struct df_reclaim_sample *s);
