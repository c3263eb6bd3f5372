/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which failures and stalls are due for a journal report: deltas since the
 * last report, one summary per DF_PROBES_REPORT_INTERVAL_USEC. Data only;
 * report/probe-entries.c writes them. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "defragd/util.h"
#include "probes-internal.h"

void df_probes_set_reports(struct df_probes *p, bool on) {
        assert(p);
        p->reports_off = !on;
}

static void set_base(struct df_probes *p, const struct df_bpf_counters *c) {
        for (int o = 0; o < DF_MAX_ORDERS; o++) {
                p->base_fail_atomic[o] = c->alloc_fail_atomic[o];
                p->base_fail_reclaim[o] = c->alloc_fail_reclaim[o];
        }
        memcpy(p->base_stall_over, c->stall_over_report, sizeof(p->base_stall_over));
}

static void copy_comm(char *dst, size_t size, const char *comm, size_t comm_len) {
        snprintf(dst, size, "%.*s", (int) strnlen(comm, comm_len), comm);
}

bool df_probes_take_report(struct df_probes *p, const struct df_bpf_counters *c, uint64_t now_usec,
                           struct df_probe_report *r) {
        struct df_bpf_worst worst[DF_STALL_KINDS];
        uint64_t total_stall = 0;

        assert(p && c && r);
        memset(r, 0, sizeof(*r));
        r->fail_max_order = -1;
        if (!p->status.loaded || p->reports_off)
                return false;
        if (!p->have_base) {
                /* failures from before we loaded are not ours to report */
                set_base(p, c);
                p->have_base = true;
        }
        for (int o = p->conf.trigger_min_order; o >= 0 && o < DF_MAX_ORDERS; o++) {
                r->fail_atomic[o] = c->alloc_fail_atomic[o] - p->base_fail_atomic[o];
                r->fail_reclaim[o] = c->alloc_fail_reclaim[o] - p->base_fail_reclaim[o];
                r->fail_total += r->fail_atomic[o] + r->fail_reclaim[o];
                if (r->fail_atomic[o] + r->fail_reclaim[o] > 0)
                        r->fail_max_order = o;
        }
        for (int k = 0; k < DF_STALL_KINDS; k++) {
                r->stall[k].count = c->stall_over_report[k] - p->base_stall_over[k];
                if (k == DF_STALL_COMPACTION_RUN)
                        r->stall[k].count = 0; /* kcompactd's runs stall nobody */
                total_stall += r->stall[k].count;
        }
        if (r->fail_total == 0 && total_stall == 0)
                return false;
        if (p->last_report_usec != 0 && now_usec - p->last_report_usec < DF_PROBES_REPORT_INTERVAL_USEC) {
                memset(r, 0, sizeof(*r)); /* a storm: the next summary covers it */
                r->fail_max_order = -1;
                return false;
        }
        r->due = true;
        r->since_usec = p->last_report_usec ? now_usec - p->last_report_usec : 0;
        r->report_stall_usec = p->conf.report_stall_usec;
        if (p->have_last_event) {
                r->have_event = true;
                r->event_cgroup_id = p->last_event.cgroup_id;
                r->event_pid = p->last_event.pid;
                copy_comm(r->event_comm, sizeof(r->event_comm), p->last_event.comm, sizeof(p->last_event.comm));
        }
        if (total_stall > 0 && df_probes_read_worst(p, worst, true) == 0)
                for (int k = 0; k < DF_STALL_KINDS; k++) {
                        if (r->stall[k].count == 0)
                                continue;
                        r->stall[k].worst_usec = worst[k].duration_ns / NSEC_PER_USEC;
                        r->stall[k].order = worst[k].order;
                        r->stall[k].cgroup_id = worst[k].cgroup_id;
                        r->stall[k].pid = worst[k].pid;
                        copy_comm(r->stall[k].comm, sizeof(r->stall[k].comm), worst[k].comm, sizeof(worst[k].comm));
                }
        else
                for (int k = 0; k < DF_STALL_KINDS; k++)
                        r->stall[k].count = 0; /* no worst to name: as before, no stall entry */
        set_base(p, c);
        p->have_last_event = false;
        p->last_report_usec = now_usec;
        return true;
}
