/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The memory pressure the guards heed (PressureGuardPercent=, [Reclaim]
 * PressureLimitPercent=). PSI's memory "some" counts every task stalled in
 * direct compaction (mm/page_alloc.c __alloc_pages_direct_compact() runs
 * try_to_compact_pages() between psi_memstall_enter() and _leave()). On
 * memory that is free but in pieces, that stall is the symptom defragd exists
 * to treat: a guard that stood down for it would stand down exactly when it
 * is needed. So the guards may look at PSI less the share of time the probes
 * saw tasks in direct compaction, averaged the way the kernel averages avg10.
 * Pure arithmetic; the manager feeds it the probes' cumulative stall time. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "defragd/snapshot.h"
#include "defragd/util.h"

struct df_config;

/* PSI's avg10 horizon: the kernel folds a sample every 2 s with weight
 * 1 - exp(-2/10) (kernel/sched/psi.c EXP_10s). */
#define DF_PRESSURE_AVG10_USEC (10 * USEC_PER_SEC)

struct df_compaction_share {
        bool primed;                 /* a baseline was taken */
        uint64_t last_usec;          /* CLOCK_MONOTONIC of the baseline */
        uint64_t last_stall_usec;    /* the probes' cumulative direct-compaction stall time then */
        double avg10;                /* percent of wall time, 0..100, exponentially averaged over 10 s */
};

/* Fold the interval since the last call: stall time gained over wall time
 * elapsed (capped at 100%: two tasks compacting at once count as one, as
 * PSI's "some" does), weighted by 1 - exp(-dt/10 s). Without probes, or when
 * the counter went backwards (probes reloaded), the average restarts at 0.
 * The first call only takes the baseline. Returns the average. */
double df_compaction_share_update(struct df_compaction_share *cs, uint64_t now_usec, bool probes_present,
                                  uint64_t direct_compact_stall_usec);

/* What a guard compares with its limit: PSI memory some avg10, less the
 * compaction share when exclude_compaction (never below 0). *present is false
 * when the kernel has no PSI (the caller decides what that means). */
double df_pressure_guard_avg10(const struct df_psi *psi, bool exclude_compaction, bool *present);

/* The same, as configured ([Daemon] PressureGuardExcludesCompaction=): what
 * every guard in the daemon compares, so they all read PSI one way. */
double df_config_pressure_avg10(const struct df_config *c, const struct df_psi *psi, bool *present);
