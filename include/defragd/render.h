/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `defragctl report`: a snapshot and its model as text a person reads at a
 * glance (orders across, one column per order) or as JSON for scripts. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "defragd/snapshot.h"

struct df_render_opts {
        bool color;          /* ANSI colour (caller decides: tty and NO_COLOR unset) */
        bool utf8;           /* block characters for the bars; else ASCII */
        int width;           /* columns to fit, 0 = 100 */
        int proactiveness;   /* vm.compaction_proactiveness, -1 when unknown */
        unsigned page_size;  /* bytes per page for sizes shown, 0 = 4096 */
        const char *source;  /* where the data came from, e.g. "/proc" */
};

/* Order the compaction score is computed for: COMPACTION_HPAGE_ORDER, which is
 * the pageblock order on x86-64 and arm64 (9 when unknown). */
int df_report_score_order(const struct df_snapshot *s);

/* 0, or -EIO when writing failed. */
int df_render_text(const struct df_snapshot *s, const struct df_render_opts *o, FILE *f);

/* One JSON object: per node (compaction score) and zone (zoneinfo numbers,
 * pageblocks per type) and order: free_blocks, suitable_blocks,
 * unusable_index, fragmentation_index (numbers, the kernel's thousandths / 1000).
 * 0, -EIO, or -EINVAL (writer misuse: a bug). */
int df_render_json(const struct df_snapshot *s, const struct df_render_opts *o, FILE *f);
