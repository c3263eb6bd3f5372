/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Journal entries for the collector's pending report: failures per order and
 * who, stalls past ReportStallSec and the worst one, with cgroup paths. */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <syslog.h>

#include "defragd/cgroup.h"
#include "defragd/probe-entries.h"
#include "defragd/report.h"
#include "defragd/util.h"

/* "comm[pid] in cgroup /path", and the path alone for CGROUP=. */
static void who(uint64_t cgroup_id, uint32_t pid, const char *comm, char *buf, size_t size, char *cg, size_t cg_size) {
        (void) df_cgroup_path_by_id(cgroup_id, cg, cg_size); /* "" when gone: said as (unknown) */
        snprintf(buf, size, "%s[%" PRIu32 "] in cgroup %s", comm, pid, cg[0] ? cg : "(unknown)");
}

static void failures_entry(const struct df_probe_report *r) {
        char orders[512] = "", w[320] = "(no event sampled)", cg[256] = "";
        char f_order[32], f_count[48], f_comm[48], f_cg[300], f_cgid[48];
        size_t len = 0;

        for (int o = 0; o < DF_MAX_ORDERS; o++) {
                uint64_t n = r->fail_atomic[o] + r->fail_reclaim[o];

                if (n == 0)
                        continue;
                len += (size_t) snprintf(orders + len, sizeof(orders) - len, "%sorder %d: %" PRIu64 " (%" PRIu64
                                         " atomic, %" PRIu64 " could reclaim)", len ? ", " : "", o, n,
                                         r->fail_atomic[o], r->fail_reclaim[o]);
                if (len >= sizeof(orders))
                        break;
        }
        if (r->have_event)
                who(r->event_cgroup_id, r->event_pid, r->event_comm, w, sizeof(w), cg, sizeof(cg));
        snprintf(f_order, sizeof(f_order), "ORDER=%d", r->fail_max_order);
        snprintf(f_count, sizeof(f_count), "COUNT=%" PRIu64, r->fail_total);
        snprintf(f_comm, sizeof(f_comm), "COMM=%s", r->have_event ? r->event_comm : "");
        snprintf(f_cg, sizeof(f_cg), "CGROUP=%s", cg);
        snprintf(f_cgid, sizeof(f_cgid), "CGROUP_ID=%" PRIu64, r->have_event ? r->event_cgroup_id : 0);
        const char *fields[] = { "MESSAGE_ID=" DF_MID_ALLOC_FAILURE, f_order, f_count, f_comm, f_cg, f_cgid, NULL };
        df_log_struct(LOG_WARNING, fields, "high-order allocation failures%s: %s; latest by %s",
                      r->since_usec ? " since the last report" : "", orders, w);
}

static void stall_entry(const struct df_probe_report *r, int k) {
        const struct df_probe_report_stall *st = &r->stall[k];
        char w[512], cg[256], f_order[32], f_count[48], f_usec[48], f_comm[48], f_cg[300], f_kind[48];

        who(st->cgroup_id, st->pid, st->comm, w, sizeof(w), cg, sizeof(cg));
        snprintf(f_kind, sizeof(f_kind), "STALL=%s", df_probes_stall_kind_name(k));
        snprintf(f_order, sizeof(f_order), "ORDER=%d", st->order);
        snprintf(f_count, sizeof(f_count), "COUNT=%" PRIu64, st->count);
        snprintf(f_usec, sizeof(f_usec), "STALL_USEC=%" PRIu64, st->worst_usec);
        snprintf(f_comm, sizeof(f_comm), "COMM=%s", st->comm);
        snprintf(f_cg, sizeof(f_cg), "CGROUP=%s", cg);
        const char *fields[] = { "MESSAGE_ID=" DF_MID_ALLOC_FAILURE, f_kind, f_order, f_count, f_usec, f_comm, f_cg, NULL };
        df_log_struct(LOG_WARNING, fields,
                      "%" PRIu64 " %s stall(s) longer than %" PRIu64 " ms%s; worst %" PRIu64 " ms (order %d) by %s",
                      st->count, df_probes_stall_kind_name(k), r->report_stall_usec / USEC_PER_MSEC,
                      r->since_usec ? " since the last report" : "", st->worst_usec / USEC_PER_MSEC, st->order, w);
}

int df_probes_report_entries(const struct df_probe_report *r) {
        int written = 0;

        assert(r);
        if (!r->due)
                return 0;
        if (r->fail_total > 0) {
                failures_entry(r);
                written++;
        }
        for (int k = 0; k < DF_STALL_KINDS; k++)
                if (r->stall[k].count > 0) {
                        stall_entry(r, k);
                        written++;
                }
        return written;
}
