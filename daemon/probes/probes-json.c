/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The collector as one JSON object (status, live counters, rates, top
 * fragmenters) through report/json.c's writer: escaping is the writer's. */
#include <assert.h>
#include <inttypes.h>

#include "defragd/cgroup.h"
#include "defragd/json.h"
#include "defragd/util.h"
#include "probes-internal.h"

#define JSON_TOP_ROWS 10

static void kv_array(struct df_json *j, const char *key, const __u64 *v, size_t n) {
        df_json_key(j, key);
        df_json_begin_array(j);
        for (size_t i = 0; i < n; i++)
                df_json_u64(j, v[i]);
        df_json_end_array(j);
}

static void write_status(const struct df_probes *p, struct df_json *j) {
        const struct df_probes_status *st = &p->status;

        df_json_kv_bool(j, "loaded", st->loaded);
        df_json_kv_string(j, "reason", st->reason);
        df_json_kv_u64(j, "attached", st->n_attached);
        df_json_kv_u64(j, "missing_count", st->n_missing);
        df_json_kv_string(j, "missing", st->missing);
        df_json_kv_string(j, "alloc_probe", st->alloc_probe);
        df_json_kv_i64(j, "pageblock_order", p->pageblock_order);
        df_json_kv_i64(j, "trigger_min_order", p->conf.trigger_min_order);
        df_json_kv_u64(j, "trigger_min_interval_usec", p->conf.trigger_min_interval_usec);
        df_json_kv_u64(j, "report_stall_usec", p->conf.report_stall_usec);
        df_json_kv_u64(j, "events", st->events);
        df_json_kv_u64(j, "events_ratelimited", st->events_ratelimited);
        df_json_kv_u64(j, "triggers", st->triggers);
        df_json_kv_u64(j, "last_event_latency_usec", st->last_event_latency_usec);
        df_json_kv_u64(j, "max_event_latency_usec", st->max_event_latency_usec);
        df_json_kv_u64(j, "last_trigger_to_policy_usec", st->last_trigger_to_policy_usec);
        df_json_kv_u64(j, "max_trigger_to_policy_usec", st->max_trigger_to_policy_usec);
        df_json_kv_u64(j, "last_event_realtime_usec", st->last_event_realtime_usec);
        df_json_kv_i64(j, "last_event_order", st->last_event_order);
        df_json_kv_string(j, "last_event_comm", st->last_event_comm);
}

static void write_counters(const struct df_probes *p, const struct df_bpf_counters *c, struct df_json *j) {
        df_json_key(j, "counters");
        df_json_begin_object(j);
        kv_array(j, "alloc", c->alloc, DF_MAX_ORDERS);
        kv_array(j, "alloc_fail_atomic", c->alloc_fail_atomic, DF_MAX_ORDERS);
        kv_array(j, "alloc_fail_reclaim", c->alloc_fail_reclaim, DF_MAX_ORDERS);
        df_json_key(j, "migratetypes");
        df_json_begin_array(j);
        for (int i = 0; i < p->n_migratetypes; i++)
                df_json_string(j, p->migratetype_names[i]);
        df_json_end_array(j);
        df_json_key(j, "fallbacks");
        df_json_begin_array(j);
        for (int a = 0; a < DF_MAX_MIGRATETYPES; a++)
                for (int b = 0; b < DF_MAX_MIGRATETYPES; b++) {
                        if (c->fallback[a][b] == 0)
                                continue;
                        df_json_begin_object(j);
                        df_json_kv_string(j, "alloc", df_probes_migratetype_name(p, a));
                        df_json_kv_string(j, "fallback", df_probes_migratetype_name(p, b));
                        df_json_kv_u64(j, "count", c->fallback[a][b]);
                        df_json_kv_u64(j, "fragmenting", c->fallback_fragmenting[a][b]);
                        df_json_end_object(j);
                }
        df_json_end_array(j);
        df_json_kv_u64(j, "compaction_runs", c->compaction_begin);
        df_json_key(j, "compaction_results");
        df_json_begin_object(j);
        for (unsigned i = 0; i < DF_BPF_COMPACT_RESULTS; i++)
                if (c->compaction_result[i])
                        df_json_kv_u64(j, df_compact_result_to_string(i), c->compaction_result[i]);
        df_json_end_object(j);
        df_json_kv_u64(j, "direct_compact_attempts", c->direct_compact_attempts);
        df_json_kv_u64(j, "direct_compact_ran", c->direct_compact_ran);
        df_json_key(j, "stalls");
        df_json_begin_object(j);
        for (int k = 0; k < DF_STALL_KINDS; k++) {
                uint64_t count = 0;

                for (int i = 0; i < DF_BPF_HIST_SLOTS; i++)
                        count += c->stall_hist[k][i];
                df_json_key(j, df_probes_stall_kind_name(k));
                df_json_begin_object(j);
                df_json_kv_u64(j, "count", count);
                df_json_kv_u64(j, "total_usec", c->stall_total_ns[k] / NSEC_PER_USEC);
                df_json_kv_u64(j, "over_report", c->stall_over_report[k]);
                kv_array(j, "hist_log2_usec", c->stall_hist[k], DF_BPF_HIST_SLOTS);
                df_json_end_object(j);
        }
        df_json_end_object(j);
        df_json_kv_u64(j, "events_sent", c->events_sent);
        df_json_kv_u64(j, "events_lost", c->events_lost);
        df_json_kv_u64(j, "top_overflow", c->top_overflow);
        df_json_kv_u64(j, "unpaired_end", c->unpaired_end);
        df_json_end_object(j);
}

/* Rates between the last two evaluations' reads (df_probes_collect). */
static void write_rates(const struct df_probes *p, struct df_json *j) {
        const struct df_bpf_counters *c = &p->cur, *pr = &p->prev;
        uint64_t dt = p->prev_usec && p->cur_usec > p->prev_usec ? p->cur_usec - p->prev_usec : 0;
        uint64_t fb, fbp, fr, frp;

        df_probes_fallback_totals(c, &fb, &fr);
        df_probes_fallback_totals(pr, &fbp, &frp);
        df_json_kv_u64(j, "interval_usec", dt);
        df_json_key(j, "rates_per_sec");
        df_json_begin_object(j);
        df_json_key(j, "alloc");
        df_json_begin_array(j);
        for (int o = 0; o < DF_MAX_ORDERS; o++)
                df_json_double(j, df_probes_rate_per_sec(c->alloc[o], pr->alloc[o], dt), 1);
        df_json_end_array(j);
        df_json_key(j, "fail");
        df_json_begin_array(j);
        for (int o = 0; o < DF_MAX_ORDERS; o++)
                df_json_double(j, df_probes_rate_per_sec(c->alloc_fail_atomic[o] + c->alloc_fail_reclaim[o],
                                       pr->alloc_fail_atomic[o] + pr->alloc_fail_reclaim[o], dt), 1);
        df_json_end_array(j);
        df_json_kv_double(j, "fallbacks", df_probes_rate_per_sec(fb, fbp, dt), 1);
        df_json_kv_double(j, "fragmenting", df_probes_rate_per_sec(fr, frp, dt), 1);
        df_json_end_object(j);
}

static void write_top(const struct df_probes *p, struct df_json *j) {
        struct df_probes_top top[JSON_TOP_ROWS];
        size_t n_top = 0;

        df_json_key(j, "top");
        df_json_begin_array(j);
        if (df_probes_read_top(p, top, ELEMENTSOF(top), &n_top) == 0)
                for (size_t i = 0; i < n_top; i++) {
                        char cg[256];

                        (void) df_cgroup_path_by_id(top[i].cgroup_id, cg, sizeof(cg)); /* "" when gone */
                        df_json_begin_object(j);
                        df_json_kv_u64(j, "cgroup_id", top[i].cgroup_id);
                        df_json_kv_string(j, "cgroup", cg);
                        df_json_kv_string(j, "comm", top[i].comm);
                        df_json_kv_u64(j, "fallbacks", top[i].fallbacks);
                        df_json_kv_u64(j, "fragmenting", top[i].fragmenting);
                        df_json_end_object(j);
                }
        df_json_end_array(j);
}

void df_probes_write_json(const struct df_probes *p, struct df_json *j) {
        struct df_bpf_counters live;

        assert(p && j);
        df_json_begin_object(j);
        write_status(p, j);
        if (p->status.loaded) {
                /* counters as of now, not as of the last evaluation */
                if (df_probes_read_counters(p, &live) < 0)
                        live = p->cur;
                write_counters(p, &live, j);
                write_rates(p, j);
                write_top(p, j);
        }
        df_json_end_object(j);
}

void df_probes_dump_json(const struct df_probes *p, FILE *f) {
        struct df_json j;

        assert(p && f);
        df_json_init(&j, f, false);
        df_probes_write_json(p, &j);
}
