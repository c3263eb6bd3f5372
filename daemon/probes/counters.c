/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The collector's counters: per-CPU maps summed on demand (live, any time),
 * the evaluation's copy with rates, the worst stalls and the top fragmenters. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "defragd/util.h"
#include "probes-internal.h"

#if HAVE_BPF_SKEL
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
#include "bpf/defragd.skel.h"
#pragma GCC diagnostic pop
#endif

const char *df_compact_result_to_string(unsigned status) {
        /* enum compact_result, include/linux/compaction.h */
        static const char *const names[] = {
                "not_suitable_zone", "skipped", "deferred", "no_suitable_page", "continue",
                "complete", "partial_skipped", "contended", "success",
        };

        return status < ELEMENTSOF(names) ? names[status] : "unknown";
}

static const char *const stall_kind_names[DF_STALL_KINDS] = {
        [DF_STALL_DIRECT_RECLAIM] = "direct_reclaim",
        [DF_STALL_DIRECT_COMPACT] = "direct_compaction",
        [DF_STALL_COMPACTION_RUN] = "compaction_run",
};

const char *df_probes_migratetype_name(const struct df_probes *p, int i) {
        assert(p);
        return i >= 0 && i < p->n_migratetypes ? p->migratetype_names[i] : "?";
}

const char *df_probes_stall_kind_name(int kind) {
        return kind >= 0 && kind < DF_STALL_KINDS ? stall_kind_names[kind] : "unknown";
}

int df_probes_read_counters(const struct df_probes *p, struct df_bpf_counters *ret) {
#if HAVE_BPF_SKEL
        _cleanup_free_ struct df_bpf_counters *percpu = NULL;
        uint32_t zero = 0;
        const uint64_t *src;
        uint64_t *dst = (uint64_t *) ret;
        size_t n_words = sizeof(*ret) / sizeof(uint64_t);

        _Static_assert(sizeof(struct df_bpf_counters) % sizeof(uint64_t) == 0, "counters are u64 only");
        memset(ret, 0, sizeof(*ret));
        if (!p->status.loaded)
                return -ENODEV;
        percpu = calloc(p->n_cpus, sizeof(*percpu));
        if (!percpu)
                return -ENOMEM;
        if (bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.counters), &zero, percpu) < 0)
                return -errno;
        for (int cpu = 0; cpu < p->n_cpus; cpu++) {
                src = (const uint64_t *) &percpu[cpu];
                for (size_t w = 0; w < n_words; w++)
                        dst[w] += src[w];
        }
        return 0;
#else
        memset(ret, 0, sizeof(*ret));
        return -ENODEV;
#endif
}

int df_probes_read_worst(struct df_probes *p, struct df_bpf_worst worst[DF_STALL_KINDS], bool reset) {
        memset(worst, 0, sizeof(struct df_bpf_worst) * DF_STALL_KINDS);
#if HAVE_BPF_SKEL
        _cleanup_free_ struct df_bpf_worst *percpu = NULL;
        int fd = bpf_map__fd(p->skel->maps.worst);

        percpu = calloc(p->n_cpus, sizeof(*percpu));
        if (!percpu)
                return -ENOMEM;
        for (uint32_t k = 0; k < DF_STALL_KINDS; k++) {
                if (bpf_map_lookup_elem(fd, &k, percpu) < 0)
                        return -errno;
                for (int cpu = 0; cpu < p->n_cpus; cpu++)
                        if (percpu[cpu].duration_ns > worst[k].duration_ns)
                                worst[k] = percpu[cpu];
                if (reset) {
                        /* a stall finishing right now may be lost: it only
                         * feeds the "worst" line of the next report */
                        memset(percpu, 0, sizeof(*percpu) * p->n_cpus);
                        (void) bpf_map_update_elem(fd, &k, percpu, BPF_ANY);
                }
        }
        return 0;
#else
        return -ENODEV;
#endif
}

#if HAVE_BPF_SKEL
static int top_cmp(const void *a, const void *b) {
        const struct df_probes_top *x = a, *y = b;

        if (x->fragmenting != y->fragmenting)
                return x->fragmenting < y->fragmenting ? 1 : -1;
        if (x->fallbacks != y->fallbacks)
                return x->fallbacks < y->fallbacks ? 1 : -1;
        return 0;
}
#endif

int df_probes_read_top(const struct df_probes *p, struct df_probes_top *out, size_t max, size_t *ret_n) {
        *ret_n = 0;
#if HAVE_BPF_SKEL
        _cleanup_free_ struct df_probes_top *all = NULL;
        struct df_bpf_top_key key, next;
        struct df_bpf_top_val val;
        size_t n = 0;
        int fd;

        if (!p->status.loaded)
                return -ENODEV;
        all = calloc(DF_BPF_TOP_MAX, sizeof(*all));
        if (!all)
                return -ENOMEM;
        fd = bpf_map__fd(p->skel->maps.top);
        for (void *prev = NULL; n < DF_BPF_TOP_MAX && bpf_map_get_next_key(fd, prev, &next) == 0; prev = &key) {
                key = next;
                if (bpf_map_lookup_elem(fd, &key, &val) < 0)
                        continue; /* deleted meanwhile */
                all[n].cgroup_id = key.cgroup_id;
                memcpy(all[n].comm, key.comm, DF_BPF_COMM_LEN);
                all[n].comm[DF_BPF_COMM_LEN] = 0;
                all[n].fallbacks = val.fallbacks;
                all[n].fragmenting = val.fragmenting;
                n++;
        }
        qsort(all, n, sizeof(*all), top_cmp);
        if (n > max)
                n = max;
        memcpy(out, all, n * sizeof(*out));
        *ret_n = n;
        return 0;
#else
        return -ENODEV;
#endif
}

static uint64_t sum_orders(const uint64_t v[DF_MAX_ORDERS]) {
        uint64_t s = 0;

        for (int o = 0; o < DF_MAX_ORDERS; o++)
                s += v[o];
        return s;
}

void df_probes_fallback_totals(const struct df_bpf_counters *c, uint64_t *ret_all, uint64_t *ret_fragmenting) {
        uint64_t all = 0, fragmenting = 0;

        assert(c && ret_all && ret_fragmenting);
        for (int a = 0; a < DF_MAX_MIGRATETYPES; a++)
                for (int f = 0; f < DF_MAX_MIGRATETYPES; f++) {
                        all += c->fallback[a][f];
                        fragmenting += c->fallback_fragmenting[a][f];
                }
        *ret_all = all;
        *ret_fragmenting = fragmenting;
}

double df_probes_rate_per_sec(uint64_t cur, uint64_t prev, uint64_t dt_usec) {
        return dt_usec && cur >= prev ? (double) (cur - prev) * USEC_PER_SEC / (double) dt_usec : 0.0;
}

/* The snapshot's view of the BPF counters. */
static void counters_from_bpf(const struct df_bpf_counters *c, uint64_t failure_events, struct df_probe_counters *pc) {
        memset(pc, 0, sizeof(*pc));
        pc->present = true;
        for (int o = 0; o < DF_MAX_ORDERS; o++) {
                pc->alloc[o] = c->alloc[o];
                pc->alloc_fail_atomic[o] = c->alloc_fail_atomic[o];
                pc->alloc_fail_reclaim[o] = c->alloc_fail_reclaim[o];
        }
        df_probes_fallback_totals(c, &pc->extfrag_fallbacks, &pc->extfrag_fragmenting);
        pc->compaction_runs = c->compaction_begin;
        for (int i = 0; i < DF_COMPACT_RESULTS && i < DF_BPF_COMPACT_RESULTS; i++)
                pc->compaction_result[i] = c->compaction_result[i];
        for (int i = 0; i < DF_BPF_HIST_SLOTS; i++) {
                pc->direct_reclaim_stalls += c->stall_hist[DF_STALL_DIRECT_RECLAIM][i];
                pc->direct_compact_stalls += c->stall_hist[DF_STALL_DIRECT_COMPACT][i];
        }
        pc->direct_reclaim_stall_usec = c->stall_total_ns[DF_STALL_DIRECT_RECLAIM] / NSEC_PER_USEC;
        pc->direct_compact_stall_usec = c->stall_total_ns[DF_STALL_DIRECT_COMPACT] / NSEC_PER_USEC;
        pc->failure_events = failure_events;
}

int df_probes_collect_live(const struct df_probes *p, struct df_probe_counters *ret) {
        struct df_bpf_counters c;
        int r;

        assert(ret);
        memset(ret, 0, sizeof(*ret));
        if (!p || !p->status.loaded)
                return 0;
        r = df_probes_read_counters(p, &c);
        if (r < 0)
                return r;
        counters_from_bpf(&c, p->status.events, ret);
        return 0;
}

int df_probes_collect(struct df_probes *p, struct df_snapshot *s, struct df_probe_report *ret_report) {
        int r;

        assert(s);
        memset(&s->probes, 0, sizeof(s->probes));
        if (ret_report)
                memset(ret_report, 0, sizeof(*ret_report));
        if (!p || !p->status.loaded)
                return 0;
        p->prev = p->cur;
        p->prev_usec = p->cur_usec;
        r = df_probes_read_counters(p, &p->cur);
        if (r < 0)
                return r;
        p->cur_usec = s->taken_usec ? s->taken_usec : df_now_usec();
        counters_from_bpf(&p->cur, p->status.events, &s->probes);
        if (ret_report)
                df_probes_take_report(p, &p->cur, p->cur_usec, ret_report);
        return 0;
}

uint64_t df_probes_total_failures(const struct df_probe_counters *pc) {
        return sum_orders(pc->alloc_fail_atomic) + sum_orders(pc->alloc_fail_reclaim);
}
