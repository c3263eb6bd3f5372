/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The collector's journal entries (DF_MID_ALLOC_FAILURE), composed from the
 * pending report df_probes_collect() returns: the probes only return data. */
#pragma once

#include "defragd/probes.h"

/* One entry for the high-order failures and one per kind of stall the report
 * holds (nothing when !r->due), cgroup ids named as paths. Returns the
 * number of entries written. */
int df_probes_report_entries(const struct df_probe_report *r);
