/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guards' view of memory pressure: PSI less direct compaction (pressure.h). */
#include <assert.h>
#include <math.h>

#include "defragd/conf.h"
#include "defragd/pressure.h"

double df_compaction_share_update(struct df_compaction_share *cs, uint64_t now_usec, bool probes_present,
                                  uint64_t direct_compact_stall_usec) {
        uint64_t dt, stalled;
        double share, w;

        assert(cs);
        if (!probes_present) {
                *cs = (struct df_compaction_share) { 0 };
                return 0;
        }
        if (!cs->primed || now_usec < cs->last_usec || direct_compact_stall_usec < cs->last_stall_usec) {
                *cs = (struct df_compaction_share) {
                        .primed = true, .last_usec = now_usec, .last_stall_usec = direct_compact_stall_usec,
                };
                return 0;
        }
        dt = now_usec - cs->last_usec;
        if (dt == 0)
                return cs->avg10;
        stalled = direct_compact_stall_usec - cs->last_stall_usec;
        share = stalled >= dt ? 100.0 : 100.0 * (double) stalled / (double) dt;
        w = 1.0 - exp(-(double) dt / (double) DF_PRESSURE_AVG10_USEC);
        cs->avg10 = cs->avg10 + w * (share - cs->avg10);
        cs->last_usec = now_usec;
        cs->last_stall_usec = direct_compact_stall_usec;
        return cs->avg10;
}

double df_pressure_guard_avg10(const struct df_psi *psi, bool exclude_compaction, bool *present) {
        double v;

        assert(psi && present);
        *present = psi->present && psi->some.present;
        if (!*present)
                return 0;
        v = psi->some.avg10;
        if (exclude_compaction)
                v -= psi->some_compaction_avg10;
        return v > 0 ? v : 0;
}

double df_config_pressure_avg10(const struct df_config *c, const struct df_psi *psi, bool *present) {
        assert(c);
        return df_pressure_guard_avg10(psi, c->pressure_guard_excludes_compaction, present);
}
