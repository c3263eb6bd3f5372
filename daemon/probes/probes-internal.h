/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The collector's state, shared by the files of daemon/probes/ (load, events,
 * counters, pending reports, JSON) and by nothing else. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "bpf/bpf-config.h"
#include "defragd/probes.h"

#if HAVE_BPF_SKEL
struct defragd_bpf;
struct ring_buffer;
#endif

struct df_probes {
        struct df_probes_status status;
        struct df_probes_conf conf;
        int pageblock_order;
        int n_cpus;
        int n_migratetypes;
        char migratetype_names[DF_MAX_MIGRATETYPES][DF_NAME_MAX];
#if HAVE_BPF_SKEL
        struct defragd_bpf *skel;
        struct ring_buffer *rb;
#endif
        /* last two df_probes_collect() reads, for rates */
        struct df_bpf_counters cur, prev;
        uint64_t cur_usec, prev_usec;

        /* consume() state */
        bool pending_trigger;
        bool trigger_unanswered;
        uint64_t trigger_event_ns;      /* kernel timestamp of the event behind the last trigger */

        /* pending journal reports (report.c in this folder) */
        uint64_t last_report_usec;
        uint64_t base_fail_atomic[DF_MAX_ORDERS], base_fail_reclaim[DF_MAX_ORDERS];
        uint64_t base_stall_over[DF_STALL_KINDS];
        bool have_base;
        bool reports_off;
        bool have_last_event;
        struct df_bpf_event last_event;
};

/* load.c: attach and detach (HAVE_BPF_SKEL only). */
void df_probes_load_and_attach(struct df_probes *p);
void df_probes_unload(struct df_probes *p);
/* events.c: the ring buffer's callback (HAVE_BPF_SKEL only). */
int df_probes_ring_event(void *ctx, void *data, size_t size);
/* counters.c: the longest stall of each kind over all CPUs; with reset, zero them. */
int df_probes_read_worst(struct df_probes *p, struct df_bpf_worst worst[DF_STALL_KINDS], bool reset);
