/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Cgroups by number: the hierarchies' mounts, a cgroup's path from the id BPF
 * reports or the inode /proc/kpagecgroup reports, and reading its files. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Two numbers name a cgroup, in two hierarchies that differ on a hybrid
 * (v1 + v2) host such as the build machine:
 *   - bpf_get_current_cgroup_id() is the inode number of the cgroup's
 *     directory in the cgroup2 (unified) hierarchy;
 *   - /proc/kpagecgroup holds the inode number of the page's memory cgroup,
 *     in the hierarchy the memory controller is mounted on (v1 or v2).
 * On a pure v2 system both are the cgroup2 mount. Paths returned are below
 * the mount, "/" for the root cgroup. */

/* The memory controller's mount (libcgroup). 0, -ENODEV (not mounted) or -ENAMETOOLONG. */
int df_cgroup_memory_mount(char *buf, size_t size);
/* The cgroup2 mount, with or without controllers. 0, -ENODEV or -ENAMETOOLONG. */
int df_cgroup_v2_mount(char *buf, size_t size);

/* Path of the cgroup2 cgroup with this id. 0, -ENOENT (gone, or never
 * existed), -ENODEV (no cgroup2 mount). Walks the hierarchy: call rarely. */
int df_cgroup_path_by_id(uint64_t id, char *buf, size_t size);
/* Path of the memory cgroup with this inode number (a /proc/kpagecgroup
 * value). 0, -ENOENT, -ENODEV. Walks the hierarchy: call rarely. */
int df_cgroup_path_by_inode(uint64_t ino, char *buf, size_t size);

/* The walk behind both, below any directory `mount` (tests pass a temp
 * tree): the path of the directory whose inode is `ino`, at most
 * DF_CGROUP_WALK_MAX_DEPTH levels down. 0 or -ENOENT. */
#define DF_CGROUP_WALK_MAX_DEPTH 32
int df_cgroup_find_inode(const char *mount, uint64_t ino, char *buf, size_t size);

/* Reading a cgroup's memory.* files, listing cgroups with their inodes (the
 * map from /proc/kpagecgroup values to paths the reclaim rung uses) and
 * finding the cgroup2 mount under a test root: defragd/memcg.h, the one
 * reader of cgroup files. This file names cgroups, it reads none. */
