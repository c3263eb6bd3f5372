/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The procfs sources: pure parsers over text (one file each in daemon/source/)
 * and the readers that load <root>/proc files into a snapshot (procfs.c). */
#pragma once

#include <stddef.h>

#include "defragd/error.h"
#include "defragd/snapshot.h"

/* Parsers over text (pure: tests and fuzzers call these directly).
 * `origin` names the file in error messages, e.g. "/proc/buddyinfo".
 * Return 0, or -EINVAL with err filled as "origin:line: what, expected ...". */
int df_parse_buddyinfo(const char *text, const char *origin, struct df_snapshot *s, struct df_error *err);
int df_parse_pagetypeinfo(const char *text, const char *origin, struct df_snapshot *s, struct df_error *err);
int df_parse_zoneinfo(const char *text, const char *origin, struct df_snapshot *s, struct df_error *err);
int df_parse_vmstat(const char *text, const char *origin, struct df_vmstat *v, struct df_error *err);
int df_parse_psi(const char *text, const char *origin, struct df_psi *p, struct df_error *err);

/* Readers: open <root>/proc/<file> (root "" or "/" for the live system),
 * read it whole and parse. Return 0, -errno (err says which file), or -EINVAL. */
int df_read_buddyinfo(const char *root, struct df_snapshot *s, struct df_error *err);
int df_read_pagetypeinfo(const char *root, struct df_snapshot *s, struct df_error *err);
int df_read_zoneinfo(const char *root, struct df_snapshot *s, struct df_error *err);
int df_read_vmstat(const char *root, struct df_vmstat *v, struct df_error *err);
int df_read_psi(const char *root, struct df_psi *p, struct df_error *err);

/* Everything procfs offers, into a cleared snapshot. buddyinfo is required;
 * the others are optional (a missing file leaves has_* false, PSI absent). */
int df_snapshot_read_procfs(const char *root, uint64_t now_usec, struct df_snapshot *s, struct df_error *err);

/* The same for a chosen set of files (buddyinfo is always read). The daemon's
 * tick leaves out pagetypeinfo: the kernel counts every free list entry under
 * the zone lock to print it (33 ms per read measured on ~22 GiB of
 * fragmented memory, docs/benchmarks.md), a cost every allocation would pay. */
enum {
        DF_PROCFS_PAGETYPEINFO = 1 << 0,
        DF_PROCFS_ZONEINFO     = 1 << 1,
        DF_PROCFS_VMSTAT       = 1 << 2,
        DF_PROCFS_PSI          = 1 << 3,
        DF_PROCFS_ALL          = 0xf,
};
int df_snapshot_read_procfs_parts(const char *root, unsigned parts, uint64_t now_usec, struct df_snapshot *s,
                                  struct df_error *err);

/* Read a whole file into a NUL-terminated heap buffer (max 16 MiB). A NUL
 * byte inside the file is refused (-EINVAL): every source is text. */
int df_read_file(const char *path, char **ret, size_t *ret_len, struct df_error *err);

/* <root>/proc/<file>, or /proc/<file> for root NULL, "" or "/".
 * 0, or -ENAMETOOLONG. */
int df_proc_path(const char *root, const char *file, char *buf, size_t size);
