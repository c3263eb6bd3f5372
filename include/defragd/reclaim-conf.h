/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The [Reclaim] settings (targeted reclaim, issue 9): plain data the config
 * loader fills and the aim (defragd/reclaim.h) reads. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "defragd/conf-globs.h"

#define DF_RECLAIM_MAX_PATTERNS DF_CONF_MAX_GLOBS
#define DF_RECLAIM_PATTERN_MAX DF_CONF_GLOB_MAX /* = DF_CGROUP_PATH_MAX of action.h */

/* [Reclaim] */
struct df_reclaim_conf {
        bool enabled;                         /* Enable=no: reclaim is opt-in */
        struct df_conf_globs allow;           /* Allow=: cgroup paths/globs below the cgroup2 mount */
        struct df_conf_globs deny;            /* Deny=: never touched, nor any cgroup above them */
        uint64_t max_per_action_bytes;        /* MaxReclaimPerAction=64M */
        uint64_t max_per_hour_bytes;          /* MaxReclaimPerHour=512M */
        bool allow_anon;                      /* AllowAnon=no: swappiness=0 (file cache only) */
        unsigned pressure_limit_percent;      /* PressureLimitPercent=5: PSI memory some avg10; 0 = off */
        unsigned cgroup_pressure_limit_percent; /* CgroupPressureLimitPercent=5: the cgroup's memory.pressure some avg10; 0 = off */
        unsigned refault_limit_percent;       /* RefaultLimitPercent=25: refaults within a minute, share of reclaimed; 0 = off */
        uint64_t refault_delay_usec;          /* RefaultDelaySec=60s: when the refaults after a reclaim are read */
        bool node_reclaim;                    /* NodeReclaim=no: nodeN/reclaim when free memory is short */
        int node_min_unmapped_ratio;          /* NodeReclaimMinUnmappedRatio=0: vm.min_unmapped_ratio during it; -1 = leave */
};

void df_reclaim_conf_defaults(struct df_reclaim_conf *c);
/* Allow=/Deny= patterns must be absolute, without "." or ".." components.
 * 0 or -1 with `why` (daemon/plan/reclaim-aim.c). */
int df_reclaim_pattern_check(const char *pattern, char *why, size_t why_size);
