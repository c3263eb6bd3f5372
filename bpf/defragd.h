/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Map and event layout shared by bpf/defragd.bpf.c and daemon/probes/: what
 * the page-allocator probes count, and the one event that wakes the daemon. */
#pragma once

/* Orders and migratetypes as in include/defragd/snapshot.h (checked there). */
#define DF_BPF_MAX_ORDERS 16
#define DF_BPF_MAX_MIGRATETYPES 8
/* log2 histogram of microseconds: slot i holds [2^i, 2^(i+1)) us, slot 0 also
 * everything under 1 us; 27 slots reach 2^27 us (134 s), the last slot is open. */
#define DF_BPF_HIST_SLOTS 27
/* enum compact_result in include/linux/compaction.h ends at COMPACT_SUCCESS (8). */
#define DF_BPF_COMPACT_RESULTS 10
/* Distinct (cgroup, command) pairs kept for "top fragmenters". */
#define DF_BPF_TOP_MAX 1024
#define DF_BPF_COMM_LEN 16

enum df_bpf_stall_kind {
        DF_STALL_DIRECT_RECLAIM = 0,  /* vmscan:mm_vmscan_direct_reclaim_begin..end */
        DF_STALL_DIRECT_COMPACT = 1,  /* compaction:mm_compaction_try_to_compact_pages..last compaction_end */
        DF_STALL_COMPACTION_RUN = 2,  /* compaction:mm_compaction_begin..end, any caller (kcompactd, proc, direct) */
        DF_STALL_KINDS = 3,
};

/* Map `worst`, per CPU, key = stall kind: the longest stall since userspace
 * last zeroed the element (it does so after each report). */
struct df_bpf_worst {
        __u64 duration_ns;
        __u64 cgroup_id;
        __u32 pid;
        __s32 order;
        char comm[DF_BPF_COMM_LEN];
};

/* One element of a per-CPU array: every probe adds to its own CPU's copy,
 * userspace sums the copies. Cumulative since load. */
struct df_bpf_counters {
        __u64 alloc[DF_BPF_MAX_ORDERS];              /* mm_page_alloc with a page */
        __u64 alloc_fail_atomic[DF_BPF_MAX_ORDERS];  /* no page, caller could not sleep (no __GFP_DIRECT_RECLAIM) */
        __u64 alloc_fail_reclaim[DF_BPF_MAX_ORDERS]; /* no page although the caller could reclaim/compact */
        /* mm_page_alloc_extfrag per [alloc_migratetype][fallback_migratetype] */
        __u64 fallback[DF_BPF_MAX_MIGRATETYPES][DF_BPF_MAX_MIGRATETYPES];
        __u64 fallback_fragmenting[DF_BPF_MAX_MIGRATETYPES][DF_BPF_MAX_MIGRATETYPES];
        __u64 compaction_begin;
        __u64 compaction_result[DF_BPF_COMPACT_RESULTS]; /* mm_compaction_end status */
        __u64 direct_compact_attempts;      /* try_to_compact_pages */
        __u64 direct_compact_ran;           /* ... of which at least one zone was compacted */
        __u64 stall_hist[DF_STALL_KINDS][DF_BPF_HIST_SLOTS];
        __u64 stall_total_ns[DF_STALL_KINDS];
        __u64 stall_over_report[DF_STALL_KINDS]; /* longer than report_stall_ns */
        __u64 events_sent;                  /* ring-buffer events submitted */
        __u64 events_ratelimited;           /* qualifying failures not sent (min interval) */
        __u64 events_lost;                  /* ring buffer full */
        __u64 top_overflow;                 /* fallbacks not attributed: top map full */
        __u64 unpaired_end;                 /* an end without its begin (attached mid-stall) */
};

struct df_bpf_top_key {
        __u64 cgroup_id;
        char comm[DF_BPF_COMM_LEN];
};

struct df_bpf_top_val {
        __u64 fallbacks;
        __u64 fragmenting;
};

enum df_bpf_event_kind {
        DF_EV_ALLOC_FAIL = 1,
};

/* Ring-buffer record: a failed allocation at or above trigger_min_order. */
struct df_bpf_event {
        __u64 ts_ns;            /* bpf_ktime_get_ns(), CLOCK_MONOTONIC */
        __u64 cgroup_id;
        __u64 gfp_flags;
        __u64 ratelimited;      /* qualifying failures dropped since the previous event */
        __u32 kind;
        __u32 pid;
        __u32 order;
        __s32 migratetype;
        char comm[DF_BPF_COMM_LEN];
};
