/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The BPF collector as a source: load/attach the page-allocator probes, read
 * their per-CPU counters (live, or into the snapshot), hand the daemon a
 * ring-buffer fd whose events (high-order failures) must wake the policy at
 * once, and return the journal report due (report/probe-entries.c writes it). */
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
        uint64_t events_ratelimited;        /* suppressed in the kernel (TriggerMinIntervalSec): the one rate limiter */
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
 * Returns -ENOMEM only. `layout` is a snapshot read with pagetypeinfo
 * (df_read_pagetypeinfo, honouring --root): its page block order and
 * migratetype names label the counters; NULL or unknown: order 9 and the
 * four migratetypes every kernel has. */
int df_probes_open(const struct df_probes_conf *conf, const struct df_snapshot *layout, struct df_probes **ret);
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

/* Drain the ring buffer. *trigger is set when an event arrived: the kernel
 * sends at most one per TriggerMinIntervalSec, at or above TriggerMinOrder
 * (may_send() in bpf/defragd.bpf.c; the only rate limiter), and each one
 * asks for an evaluation. Returns events read or negative errno. */
int df_probes_consume(struct df_probes *p, bool *trigger);

/* The daemon calls this as an evaluation begins: when the last trigger
 * handed out is still unanswered, its latency (kernel timestamp -> now) is
 * recorded in the status. */
void df_probes_evaluation_started(struct df_probes *p);

/* Threshold reports due for the journal (DF_MID_ALLOC_FAILURE): high-order
 * failures (per order, atomic/reclaim, who) and stalls longer than
 * ReportStallSec (worst one, who), counted since the last report. The first
 * report is due at once, then at most one summary per
 * DF_PROBES_REPORT_INTERVAL_USEC, however many events came in between. */
#define DF_PROBES_REPORT_INTERVAL_USEC (60 * UINT64_C(1000000))
struct df_probe_report_stall {
        uint64_t count;                   /* stalls over ReportStallSec since the last report; 0: no entry */
        uint64_t worst_usec;
        int order;
        uint64_t cgroup_id;               /* cgroup2 id (df_cgroup_path_by_id) */
        uint32_t pid;
        char comm[DF_BPF_COMM_LEN + 1];
};
struct df_probe_report {
        bool due;                         /* false: nothing to write */
        uint64_t since_usec;              /* since the previous report; 0 for the first */
        uint64_t report_stall_usec;       /* ReportStallSec, for the text */
        uint64_t fail_total;              /* failures at or above TriggerMinOrder; 0: no failure entry */
        int fail_max_order;               /* -1: none */
        uint64_t fail_atomic[DF_MAX_ORDERS], fail_reclaim[DF_MAX_ORDERS];
        bool have_event;                  /* the latest failure event, to name who */
        uint64_t event_cgroup_id;
        uint32_t event_pid;
        char event_comm[DF_BPF_COMM_LEN + 1];
        struct df_probe_report_stall stall[DF_STALL_KINDS]; /* kcompactd's runs (COMPACTION_RUN) never */
};

/* For the evaluation: sum the per-CPU counters into s->probes
 * (present=false when not loaded), keep them for the rates of the JSON, and
 * when ret_report is not NULL fill it with the report due now (it moves the
 * report's baseline: pass NULL where nothing will be written, as
 * `defragctl top` does). 0 or -errno. */
int df_probes_collect(struct df_probes *p, struct df_snapshot *s, struct df_probe_report *ret_report);

/* The counters as they are now, for views (`defragctl status`, `top`, the
 * control socket): one map lookup, no state changed, callable any time and
 * as often as asked; p may be NULL. *ret is zeroed (present=false) when the
 * probes are not loaded. 0 or -errno. */
int df_probes_collect_live(const struct df_probes *p, struct df_probe_counters *ret);

/* The report due at now_usec given counters `c` (what df_probes_collect
 * does with ret_report). True when r->due. */
bool df_probes_take_report(struct df_probes *p, const struct df_bpf_counters *c, uint64_t now_usec,
                           struct df_probe_report *r);
/* On by default; off, nothing is ever due. */
void df_probes_set_reports(struct df_probes *p, bool on);

/* Name of migratetype `i` as this kernel's pagetypeinfo spells it
 * ("Unmovable", ...), "?" beyond them. */
const char *df_probes_migratetype_name(const struct df_probes *p, int i);

/* "direct_reclaim", "direct_compaction", "compaction_run". */
const char *df_probes_stall_kind_name(int kind);

/* JSON object with status, counters (live), histograms, rates between the
 * last two df_probes_collect() calls and top fragmenters, for defragctl
 * (`status --json`, `top`): as one value of a document being written... */
struct df_json;
void df_probes_write_json(const struct df_probes *p, struct df_json *j);
/* ...or alone to f (no newline after it). */
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

/* Fallbacks summed over every migratetype pair: all, and fragmenting only. */
void df_probes_fallback_totals(const struct df_bpf_counters *c, uint64_t *ret_all, uint64_t *ret_fragmenting);
/* (cur - prev) per second over dt_usec; 0 when dt_usec is 0 or the counter went back. */
double df_probes_rate_per_sec(uint64_t cur, uint64_t prev, uint64_t dt_usec);

/* All failed allocations in a snapshot's counters, every order. */
uint64_t df_probes_total_failures(const struct df_probe_counters *pc);

/* Names of enum compact_result values (mm_compaction_end status). */
const char *df_compact_result_to_string(unsigned status);
