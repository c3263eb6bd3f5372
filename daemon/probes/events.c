/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The collector's ring buffer: high-order failure events, already rate
 * limited in the kernel, become evaluation triggers with their latency. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "defragd/util.h"
#include "probes-internal.h"

#if HAVE_BPF_SKEL
int df_probes_ring_event(void *ctx, void *data, size_t size) {
        struct df_probes *p = ctx;
        const struct df_bpf_event *e = data;
        uint64_t now_usec = df_now_usec(), lat_usec;

        if (size < sizeof(*e) || e->kind != DF_EV_ALLOC_FAIL)
                return 0;
        p->status.events++;
        p->status.events_ratelimited += e->ratelimited;
        lat_usec = now_usec * NSEC_PER_USEC > e->ts_ns ? (now_usec * NSEC_PER_USEC - e->ts_ns) / NSEC_PER_USEC : 0;
        p->status.last_event_latency_usec = lat_usec;
        if (lat_usec > p->status.max_event_latency_usec)
                p->status.max_event_latency_usec = lat_usec;
        p->last_event = *e;
        p->have_last_event = true;
        p->status.last_event_realtime_usec = df_realtime_usec() - lat_usec;
        p->status.last_event_order = (int) e->order;
        snprintf(p->status.last_event_comm, sizeof(p->status.last_event_comm), "%.*s",
                 (int) strnlen(e->comm, sizeof(e->comm)), e->comm);

        /* The one rate limiter is in the kernel (may_send() in
         * bpf/defragd.bpf.c): it sends at most one event per
         * TriggerMinIntervalSec, only at or above TriggerMinOrder, and counts
         * the rest in `ratelimited`. Every event that arrives asks for an
         * evaluation; the newest one's timestamp measures the latency. */
        p->pending_trigger = true;
        p->trigger_event_ns = e->ts_ns;
        return 0;
}
#endif

int df_probes_consume(struct df_probes *p, bool *trigger) {
        int r = 0;

        *trigger = false;
#if HAVE_BPF_SKEL
        if (!p || !p->status.loaded)
                return 0;
        r = ring_buffer__consume(p->rb);
        if (r < 0)
                return r;
        if (p->pending_trigger) {
                *trigger = true;
                p->pending_trigger = false;
                p->trigger_unanswered = true;
                p->status.triggers++;
        }
#endif
        return r;
}

void df_probes_evaluation_started(struct df_probes *p) {
        uint64_t now_ns = df_now_usec() * NSEC_PER_USEC, lat_usec;

        if (!p || !p->trigger_unanswered)
                return;
        p->trigger_unanswered = false;
        lat_usec = now_ns > p->trigger_event_ns ? (now_ns - p->trigger_event_ns) / NSEC_PER_USEC : 0;
        p->status.last_trigger_to_policy_usec = lat_usec;
        if (lat_usec > p->status.max_trigger_to_policy_usec)
                p->status.max_trigger_to_policy_usec = lat_usec;
}
