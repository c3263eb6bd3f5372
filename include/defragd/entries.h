/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's journald entries (stderr lines without journald), composed in
 * one place (daemon/report/entries.c) from plain data. */
#pragma once

#include "defragd/policy.h"
#include "defragd/report.h"
#include "defragd/status.h"

/* ---- the daemon's entries, composed in one place (report/entries.c) ----
 * Every action entry carries the lever-neutral fields ACTION= TARGET=
 * AMOUNT= GAIN_BLOCKS= (absent when unknown) DURATION_USEC= RESULT=
 * PAGES_MOVED= MACHINE_WIDE=, and for compatibility NODE= ZONE= ORDER=
 * FREE_BLOCKS_BEFORE= FREE_BLOCKS_AFTER= UNUSABLE_INDEX_BEFORE=
 * UNUSABLE_INDEX_AFTER= DRY_RUN= KNOB= (what was written) and
 * COMPACTION_RESULTS= or ERRNO=. */
void df_report_crossing(const struct df_crossing *c);
void df_report_skip(const struct df_skip *s);
void df_report_action(const struct df_recent_action *ra);
void df_report_lever_opened(enum df_lever_kind k, int error, const char *reason);
/* The refault reading after a cgroup reclaim: CGROUP= BYTES_RECLAIMED=
 * REFAULTS= (pages) REFAULT_PERCENT= DELAY_USEC= BACKED_OFF= (and
 * BACKOFF_USEC= when it was). */
struct df_reclaim_refault_record;
void df_report_refaults(const struct df_reclaim_refault_record *rec, uint64_t delay_usec, unsigned limit_percent,
                        uint64_t backoff_usec);
