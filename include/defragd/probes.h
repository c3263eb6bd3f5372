/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The BPF collector as a source: load/attach the page-allocator probes, read
 * their per-CPU counters into the snapshot, and hand the daemon a ring-buffer
 * fd whose events (high-order failures) must wake the policy at once. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>

#include "defragd/conf.h"
#include "defragd/error.h"
#include "defragd/snapshot.h"
#include "bpf/defragd.h"

struct df_probes;

/* Why the probes are not running, for logs and `defragctl status`. */
struct df_probes_status {
        bool loaded;
        char reason[512];       /* "" when loaded; else e.g. "no BTF at /sys/kernel/btf/vmlinux" */
        unsigned n_attached, n_missing;
        char missing[512];      /* tracepoints not attached, each with why: "mm_x (absent)" */
        char alloc_probe[24];   /* "raw_tp/mm_page_alloc", or "" when it is not attached */

        /* ring-buffer traffic */
        uint64_t events;                    /* failure events received */
        uint64_t events_ratelimited;        /* suppressed in the kernel (TriggerMinIntervalSec) */
        uint64_t triggers;                  /* consume() calls that asked for an evaluation */
        uint64_t last_event_latency_usec;   /* kernel timestamp -> consume() */
        uint64_t max_event_latency_usec;
        uint64_t last_event_realtime_usec;  /* when the kernel saw the last failure (CLOCK_REALTIME) */
        uint64_t last_trigger_to_policy_usec; /* kernel saw the failure -> policy evaluation began */
        uint64_t max_trigger_to_policy_usec;
        int last_event_order;               /* -1: none yet */
        char last_event_comm[DF_BPF_COMM_LEN + 1];
};

/* Load and attach. Never fatal: on any failure returns 0 with *ret a
 * non-NULL object whose status says why, so the daemon keeps polling.
 * Returns -ENOMEM only. pageblock_order comes from /proc/pagetypeinfo
 * (-1: unknown, 9 is assumed and said in status.missing). */
int df_probes_open(const struct df_probes_conf *conf, int pageblock_order, struct df_probes **ret);
void df_probes_free(struct df_probes *p);
const struct df_probes_status *df_probes_status(const struct df_probes *p);

/* Whether the kernel's BTF declares tracepoint `tp` (btf_trace_<tp>) with
 * arguments of the kinds in `want`, one letter per argument from the first:
 * 'p' pointer, 'i' 32-bit, 'l' 64-bit integer or enum, 'b' bool/8-bit,
 * '.' any. Returns 0, -ENOENT (no such tracepoint) or -EPROTO (other
 * arguments); `got` receives the letters of what the kernel declares. */
struct btf;
int df_probes_check_tp_proto(const struct btf *btf, const char *tp, const char *want, char *got, size_t got_size);

/* libbpf's own messages: dropped by default, to stderr when verbose. */
void df_probes_set_libbpf_verbose(bool verbose);

/* -1 when not loaded. An epoll fd: readable when events are waiting. */
int df_probes_ring_fd(const struct df_probes *p);

/* Drain the ring buffer. *trigger is set when an event asks for an
 * evaluation now (rate limits already applied). Also writes the journald
 * threshold reports when due (see df_probes_report). Returns events read
 * or negative errno. */
int df_probes_consume(struct df_probes *p, bool *trigger);

/* The daemon calls this as an evaluation begins: when the last trigger
 * handed out is still unanswered, its latency (kernel timestamp -> now) is
 * recorded in the status. */
void df_probes_evaluation_started(struct df_probes *p);

/* Sum per-CPU counters into s->probes (present=false when not loaded).
 * Also writes the threshold reports when due. */
int df_probes_collect(struct df_probes *p, struct df_snapshot *s);

/* Threshold reports to the journal (DF_MID_ALLOC_FAILURE): high-order
 * failures (per order, atomic/reclaim, who) and stalls longer than
 * ReportStallSec (worst one, who). The first report goes out at once, then
 * at most one summary per DF_PROBES_REPORT_INTERVAL_USEC, however many
 * events came in between. Returns the number of entries written. */
#define DF_PROBES_REPORT_INTERVAL_USEC (60 * UINT64_C(1000000))
int df_probes_report(struct df_probes *p, uint64_t now_usec);
/* On by default; defragctl top turns them off. */
void df_probes_set_reports(struct df_probes *p, bool on);

/* JSON object with status, counters, histograms and top fragmenters, for
 * defragctl (`status --json`, `top`). */
void df_probes_dump_json(const struct df_probes *p, FILE *f);

/* Raw totals for `defragctl top`: counters summed over CPUs; 0 or -errno. */
int df_probes_read_counters(const struct df_probes *p, struct df_bpf_counters *ret);

struct df_probes_top {
        uint64_t cgroup_id;
        char comm[DF_BPF_COMM_LEN + 1];
        uint64_t fallbacks, fragmenting;
};

/* Up to `max` entries of the top-fragmenters map, most fragmenting first. */
int df_probes_read_top(const struct df_probes *p, struct df_probes_top *out, size_t max, size_t *ret_n);

/* Path of a cgroup (v2) id below the cgroup2 mount, "/" for the root;
 * "" when not found. Walks the hierarchy: call rarely. */
void df_cgroup_path_by_id(uint64_t id, char *buf, size_t size);

/* "Page block order: N" from /proc/pagetypeinfo, or -1. For callers
 * without a snapshot (defragctl top, tests). */
int df_probes_read_pageblock_order(void);

/* All failed allocations in a snapshot's counters, every order. */
uint64_t df_probes_total_failures(const struct df_probe_counters *pc);

/* Names of enum compact_result values (mm_compaction_end status). */
const char *df_compact_result_to_string(unsigned status);
