// SPDX-License-Identifier: GPL-2.0-or-later
/* Page-allocator probes of defragd: count allocations, failures, fallbacks,
 * compaction runs and stalls per CPU; wake the daemon on high-order failures. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "defragd.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by userspace before load. pageblock_order comes from /proc/pagetypeinfo:
 * a fallback of a smaller block than that splits a pageblock (fragmenting). */
const volatile int pageblock_order = 9;
const volatile int trigger_min_order = 3;
const volatile __u64 trigger_min_interval_ns = 1000000000ULL;
const volatile __u64 report_stall_ns = 100000000ULL;

/* __GFP_DIRECT_RECLAIM has been 0x400 since Linux 4.4 (now bit 10 of the
 * anonymous enum in include/linux/gfp_types.h, which CO-RE cannot name). */
#define DF_GFP_DIRECT_RECLAIM 0x400ULL

/* Rate limiter shared by all CPUs. */
__u64 last_sent_ns = 0;
__u64 ratelimited_pending = 0;
/* Direct-compaction stalls in flight: lets mm_page_alloc skip the hash lookup. */
__s64 dc_pending = 0;

struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, struct df_bpf_counters);
} counters SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, DF_STALL_KINDS);
        __type(key, __u32);
        __type(value, struct df_bpf_worst);
} worst SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(max_entries, DF_BPF_TOP_MAX);
        __type(key, struct df_bpf_top_key);
        __type(value, struct df_bpf_top_val);
} top SEC(".maps");

struct stall_key {
        __u32 tid;
        __u32 kind;
};

struct stall_val {
        __u64 start_ns;
        __u64 last_ns;   /* direct compaction: end of its last zone run */
        __s32 order;
        __u32 ran;
};

/* LRU: a begin whose end we never see (attached mid-stall, task killed)
 * must not fill the map. */
struct {
        __uint(type, BPF_MAP_TYPE_LRU_HASH);
        __uint(max_entries, 8192);
        __type(key, struct stall_key);
        __type(value, struct stall_val);
} stalls SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_RINGBUF);
        __uint(max_entries, 64 * 1024);
} events SEC(".maps");

static __always_inline struct df_bpf_counters *cnt(void)
{
        __u32 zero = 0;

        return bpf_map_lookup_elem(&counters, &zero);
}

static __always_inline __u32 current_tid(void)
{
        return (__u32) bpf_get_current_pid_tgid();
}

static __always_inline __u32 log2_slot(__u64 usec)
{
        __u32 slot = 0;

        /* bounded loop, unrolled: the verifier on older kernels wants it */
#pragma unroll
        for (int i = 0; i < DF_BPF_HIST_SLOTS - 1; i++)
                if (usec >> (i + 1))
                        slot = i + 1;
        return slot;
}

static __always_inline void stall_done(struct df_bpf_counters *c, __u32 kind, __u64 dur_ns, __s32 order)
{
        struct df_bpf_worst *w;

        if (kind >= DF_STALL_KINDS)
                return;
        c->stall_hist[kind][log2_slot(dur_ns / 1000)]++;
        c->stall_total_ns[kind] += dur_ns;
        if (dur_ns > report_stall_ns)
                c->stall_over_report[kind]++;
        w = bpf_map_lookup_elem(&worst, &kind);
        if (w && dur_ns > w->duration_ns) {
                w->duration_ns = dur_ns;
                w->cgroup_id = bpf_get_current_cgroup_id();
                w->pid = bpf_get_current_pid_tgid() >> 32;
                w->order = order;
                bpf_get_current_comm(w->comm, sizeof(w->comm));
        }
}

static __always_inline void stall_begin(__u32 kind, __s32 order, __u64 now)
{
        struct stall_key k = { .tid = current_tid(), .kind = kind };
        struct stall_val v = { .start_ns = now, .last_ns = now, .order = order };

        bpf_map_update_elem(&stalls, &k, &v, BPF_ANY);
}

/* A direct compaction ends when its task moves on: to the allocation result,
 * to direct reclaim, or to the next compaction attempt. */
static __always_inline void direct_compact_flush(struct df_bpf_counters *c)
{
        struct stall_key k = { .tid = current_tid(), .kind = DF_STALL_DIRECT_COMPACT };
        struct stall_val *v;

        v = bpf_map_lookup_elem(&stalls, &k);
        if (!v)
                return;
        stall_done(c, DF_STALL_DIRECT_COMPACT, v->last_ns - v->start_ns, v->order);
        if (v->ran)
                c->direct_compact_ran++;
        if (bpf_map_delete_elem(&stalls, &k) == 0)
                __sync_fetch_and_add(&dc_pending, -1);
}

static __always_inline bool may_send(__u64 now)
{
        __u64 last = last_sent_ns;

        if (last != 0 && now - last < trigger_min_interval_ns)
                return false;
        /* one CPU wins the slot; the others count as rate-limited */
        return __sync_val_compare_and_swap(&last_sent_ns, last, now) == last;
}

static __always_inline void send_failure(struct df_bpf_counters *c, __u32 order, __u64 gfp_flags,
                                         int migratetype, __u64 now)
{
        struct df_bpf_event *e;

        if (!may_send(now)) {
                c->events_ratelimited++;
                __sync_fetch_and_add(&ratelimited_pending, 1);
                return;
        }
        e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
        if (!e) {
                c->events_lost++;
                return;
        }
        e->ts_ns = now;
        e->kind = DF_EV_ALLOC_FAIL;
        e->pid = bpf_get_current_pid_tgid() >> 32;
        e->cgroup_id = bpf_get_current_cgroup_id();
        e->order = order;
        e->gfp_flags = gfp_flags;
        e->migratetype = migratetype;
        e->ratelimited = __sync_lock_test_and_set(&ratelimited_pending, 0);
        bpf_get_current_comm(e->comm, sizeof(e->comm));
        bpf_ringbuf_submit(e, 0);
        c->events_sent++;
}

/* Every page allocation in the system passes here: keep it short. */
static __always_inline int page_alloc(bool got_page, __u32 order, __u64 gfp_flags, int migratetype)
{
        struct df_bpf_counters *c = cnt();

        if (!c)
                return 0;
        if (dc_pending > 0)
                direct_compact_flush(c);
        order &= DF_BPF_MAX_ORDERS - 1;
        if (got_page) {
                c->alloc[order]++;
                return 0;
        }

        if (gfp_flags & DF_GFP_DIRECT_RECLAIM)
                c->alloc_fail_reclaim[order]++;
        else
                c->alloc_fail_atomic[order]++;

        if ((int) order >= trigger_min_order)
                send_failure(c, order, gfp_flags, migratetype, bpf_ktime_get_ns());
        return 0;
}

/* Every probe is a raw tracepoint: it gets TP_PROTO's arguments as u64s
 * (integers zero-extended from their own width, so cast back to it), no
 * trace record is built, it needs no tracefs, and it attaches with
 * BPF_RAW_TRACEPOINT_OPEN, which CAP_BPF + CAP_PERFMON allow at any
 * kernel.perf_event_paranoid (a classic tracepoint attaches through
 * perf_event_open(), which Debian's paranoid=3 keeps for CAP_SYS_ADMIN).
 * Userspace checks each TP_PROTO in the kernel's BTF (btf_trace_<name>)
 * against the argument kinds noted above each program before loading it. */

/* TP_PROTO(struct page *page, unsigned int order, gfp_t gfp_flags, int migratetype);
 * page is NULL on failure. */
SEC("raw_tp/mm_page_alloc")
int df_page_alloc(struct bpf_raw_tracepoint_args *ctx)
{
        return page_alloc(ctx->args[0] != 0, (__u32) ctx->args[1], (__u32) ctx->args[2], (int) ctx->args[3]);
}

/* TP_PROTO(struct page *page, int alloc_order, int fallback_order,
 *          int alloc_migratetype, int fallback_migratetype) */
SEC("raw_tp/mm_page_alloc_extfrag")
int df_page_alloc_extfrag(struct bpf_raw_tracepoint_args *ctx)
{
        struct df_bpf_counters *c = cnt();
        struct df_bpf_top_key k = {};
        struct df_bpf_top_val *v, nv = {};
        __u32 a = (__u32) ctx->args[3], f = (__u32) ctx->args[4];
        bool fragmenting = (int) ctx->args[2] < pageblock_order;

        if (!c)
                return 0;
        a &= DF_BPF_MAX_MIGRATETYPES - 1;
        f &= DF_BPF_MAX_MIGRATETYPES - 1;
        c->fallback[a][f]++;
        if (fragmenting)
                c->fallback_fragmenting[a][f]++;

        /* In interrupt context this names the interrupted task: the fallback
         * still happened on its behalf as far as memcg accounting goes. */
        k.cgroup_id = bpf_get_current_cgroup_id();
        bpf_get_current_comm(k.comm, sizeof(k.comm));
        v = bpf_map_lookup_elem(&top, &k);
        if (!v) {
                /* EEXIST from a racing CPU is fine: look it up again */
                bpf_map_update_elem(&top, &k, &nv, BPF_NOEXIST);
                v = bpf_map_lookup_elem(&top, &k);
                if (!v) {
                        c->top_overflow++;
                        return 0;
                }
        }
        __sync_fetch_and_add(&v->fallbacks, 1);
        if (fragmenting)
                __sync_fetch_and_add(&v->fragmenting, 1);
        return 0;
}

/* TP_PROTO(struct compact_control *cc, unsigned long zone_start,
 *          unsigned long zone_end, bool sync); no argument is read. */
SEC("raw_tp/mm_compaction_begin")
int df_compaction_begin(struct bpf_raw_tracepoint_args *ctx)
{
        struct df_bpf_counters *c = cnt();

        if (!c)
                return 0;
        c->compaction_begin++;
        stall_begin(DF_STALL_COMPACTION_RUN, -1, bpf_ktime_get_ns());
        return 0;
}

/* TP_PROTO(struct compact_control *cc, unsigned long zone_start,
 *          unsigned long zone_end, bool sync, int status) */
SEC("raw_tp/mm_compaction_end")
int df_compaction_end(struct bpf_raw_tracepoint_args *ctx)
{
        struct df_bpf_counters *c = cnt();
        struct stall_key k = { .tid = current_tid(), .kind = DF_STALL_COMPACTION_RUN };
        struct stall_val *v;
        __u64 now = bpf_ktime_get_ns();
        __u32 status = (__u32) ctx->args[4];

        if (!c)
                return 0;
        c->compaction_result[status < DF_BPF_COMPACT_RESULTS ? status : DF_BPF_COMPACT_RESULTS - 1]++;
        v = bpf_map_lookup_elem(&stalls, &k);
        if (v) {
                stall_done(c, DF_STALL_COMPACTION_RUN, now - v->start_ns, -1);
                bpf_map_delete_elem(&stalls, &k);
        } else {
                c->unpaired_end++;
        }

        if (dc_pending > 0) {
                k.kind = DF_STALL_DIRECT_COMPACT;
                v = bpf_map_lookup_elem(&stalls, &k);
                if (v) {
                        v->last_ns = now;
                        v->ran = 1;
                }
        }
        return 0;
}

/* TP_PROTO(int order, gfp_t gfp_mask, int prio) */
SEC("raw_tp/mm_compaction_try_to_compact_pages")
int df_try_to_compact(struct bpf_raw_tracepoint_args *ctx)
{
        struct df_bpf_counters *c = cnt();
        struct stall_key k = { .tid = current_tid(), .kind = DF_STALL_DIRECT_COMPACT };
        struct stall_val v = {};

        if (!c)
                return 0;
        if (dc_pending > 0)
                direct_compact_flush(c);
        c->direct_compact_attempts++;
        v.start_ns = v.last_ns = bpf_ktime_get_ns();
        v.order = (int) ctx->args[0];
        if (bpf_map_update_elem(&stalls, &k, &v, BPF_NOEXIST) == 0)
                __sync_fetch_and_add(&dc_pending, 1);
        return 0;
}

/* TP_PROTO(int order, gfp_t gfp_flags) */
SEC("raw_tp/mm_vmscan_direct_reclaim_begin")
int df_direct_reclaim_begin(struct bpf_raw_tracepoint_args *ctx)
{
        struct df_bpf_counters *c = cnt();

        if (!c)
                return 0;
        if (dc_pending > 0)
                direct_compact_flush(c);
        stall_begin(DF_STALL_DIRECT_RECLAIM, (int) ctx->args[0], bpf_ktime_get_ns());
        return 0;
}

/* TP_PROTO(unsigned long nr_reclaimed); no argument is read. */
SEC("raw_tp/mm_vmscan_direct_reclaim_end")
int df_direct_reclaim_end(struct bpf_raw_tracepoint_args *ctx)
{
        struct df_bpf_counters *c = cnt();
        struct stall_key k = { .tid = current_tid(), .kind = DF_STALL_DIRECT_RECLAIM };
        struct stall_val *v;

        if (!c)
                return 0;
        v = bpf_map_lookup_elem(&stalls, &k);
        if (!v) {
                c->unpaired_end++;
                return 0;
        }
        stall_done(c, DF_STALL_DIRECT_RECLAIM, bpf_ktime_get_ns() - v->start_ns, v->order);
        bpf_map_delete_elem(&stalls, &k);
        return 0;
}
