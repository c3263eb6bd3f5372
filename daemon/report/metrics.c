/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The metrics exposition: one plain struct in, Prometheus text (0.0.4) or
 * OpenMetrics out; plus the per-lever counters and the textfile writer. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "defragd/metrics.h"
#include "defragd/model.h"
#include "defragd/probes.h"
#include "defragd/util.h"

const double df_metrics_duration_bounds_sec[DF_METRICS_DURATION_BUCKETS - 1] = {
        0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
};

_Static_assert(DF_METRICS_STALL_SLOTS == DF_BPF_HIST_SLOTS, "stall histogram slots follow bpf/defragd.h");
_Static_assert(DF_METRICS_STALL_KINDS == DF_STALL_KINDS, "stall kinds follow bpf/defragd.h");

/* enum compact_result ends at COMPACT_SUCCESS (8); the snapshot's 10th slot is spare. */
#define COMPACT_RESULTS_DEFINED 9
_Static_assert(COMPACT_RESULTS_DEFINED <= DF_COMPACT_RESULTS, "compact results fit the snapshot");

static const char *const stall_kind_names[DF_METRICS_STALL_KINDS] = {
        [DF_STALL_DIRECT_RECLAIM] = "direct_reclaim",
        [DF_STALL_DIRECT_COMPACT] = "direct_compact",
        [DF_STALL_COMPACTION_RUN] = "compaction_run",
};

/* ---- accounting ---- */

static bool lever_is_reclaim(enum df_lever_kind k) {
        return k == DF_LEVER_RECLAIM_NODE || k == DF_LEVER_RECLAIM_CGROUP;
}

static bool lever_is_clear(enum df_lever_kind k) {
        return k == DF_LEVER_CLEAR_KMOD || k == DF_LEVER_CLEAR_OFFLINE;
}

bool df_metrics_account(struct df_metrics_lever_stats *st, const struct df_action *a, const struct df_action_result *r) {
        enum df_lever_kind k;
        unsigned b;

        assert(st);
        assert(a);
        assert(r);
        k = r->lever != DF_LEVER_NONE ? r->lever : a->lever;
        if (k <= DF_LEVER_NONE || k >= _DF_LEVER_MAX || r->outcome < 0 || r->outcome >= _DF_OUTCOME_MAX)
                return false;
        st->actions[k][r->outcome]++;
        /* A dry run did nothing: no duration, no gain, however the caller filled it. */
        if (a->dry_run || r->outcome == DF_OUTCOME_DRY_RUN)
                return true;
        for (b = 0; b < DF_METRICS_DURATION_BUCKETS - 1; b++)
                if ((double) r->duration_usec <= df_metrics_duration_bounds_sec[b] * 1e6)
                        break;
        st->duration_bucket[k][b]++;
        st->duration_usec_sum[k] += r->duration_usec;
        st->duration_count[k]++;
        st->gain_blocks[k] += df_action_gain_blocks(r);
        st->pages_moved[k] += r->pages_moved;
        if (lever_is_reclaim(k))
                st->reclaimed_bytes[k] += r->amount_done;
        else if (lever_is_clear(k))
                st->blocks_cleared[k] += r->amount_done;
        return true;
}

void df_metrics_account_refaults(struct df_metrics_lever_stats *st, enum df_lever_kind lever, uint64_t refaults) {
        assert(st);
        if (lever > DF_LEVER_NONE && lever < _DF_LEVER_MAX)
                st->refaults[lever] += refaults;
}

/* ---- text primitives ---- */

void df_metrics_escape_label(const char *s, char *buf, size_t size) {
        size_t n = 0;

        assert(s);
        assert(buf);
        assert(size > 0);
        /* Both formats are UTF-8 text (Prometheus' own libraries refuse label
         * values that are not): a byte outside a valid sequence becomes
         * U+FFFD, and a value is cut between characters, never inside one. */
        for (; *s;) {
                const char *rep = *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" : *s == '\n' ? "\\n" : NULL;
                size_t in = rep ? 1 : df_utf8_len(s), len = rep ? 2 : in ? in : 3;

                if (!rep && !in)
                        rep = "\xef\xbf\xbd", in = 1;
                if (n + len >= size)
                        break;
                memcpy(buf + n, rep ? rep : s, len);
                n += len;
                s += in;
        }
        buf[n] = 0;
}

enum family_type { T_GAUGE, T_COUNTER, T_HISTOGRAM, T_INFO };

struct emitter {
        FILE *f;
        enum df_metrics_format fmt;
        /* the family being written; its HELP/TYPE go out with its first
         * sample, so a family without samples leaves no header behind */
        const char *name;
        enum family_type type;
        const char *help;
        const char *unit;
        bool header_done;
};

/* name: the family as Prometheus 0.0.4 names it (counters end in _total,
 * info metrics in _info); OpenMetrics drops those suffixes from the family. */
static void family(struct emitter *e, const char *name, enum family_type type, const char *unit, const char *help) {
        e->name = name;
        e->type = type;
        e->unit = unit;
        e->help = help;
        e->header_done = false;
}

static size_t family_base_len(const struct emitter *e) {
        size_t len = strlen(e->name);

        if (e->fmt == DF_METRICS_OPENMETRICS && e->type == T_COUNTER && len > 6 && strcmp(e->name + len - 6, "_total") == 0)
                return len - 6;
        if (e->fmt == DF_METRICS_OPENMETRICS && e->type == T_INFO && len > 5 && strcmp(e->name + len - 5, "_info") == 0)
                return len - 5;
        return len;
}

static void header(struct emitter *e) {
        static const char *const prom_types[] = { "gauge", "counter", "histogram", "gauge" };
        static const char *const om_types[] = { "gauge", "counter", "histogram", "info" };
        int base = (int) family_base_len(e);

        if (e->header_done)
                return;
        e->header_done = true;
        fprintf(e->f, "# HELP %.*s %s\n", base, e->name, e->help);
        fprintf(e->f, "# TYPE %.*s %s\n", base, e->name,
                e->fmt == DF_METRICS_OPENMETRICS ? om_types[e->type] : prom_types[e->type]);
        if (e->fmt == DF_METRICS_OPENMETRICS && e->unit)
                fprintf(e->f, "# UNIT %.*s %s\n", base, e->name, e->unit);
}

/* Integers exactly, others with 15 significant digits (microseconds of a
 * Unix time survive to within one), infinities as the formats spell them. */
static void format_double(char *buf, size_t size, double v) {
        if (isnan(v))
                snprintf(buf, size, "NaN");
        else if (isinf(v))
                snprintf(buf, size, v > 0 ? "+Inf" : "-Inf");
        else if (v == floor(v) && fabs(v) < 1e15)
                snprintf(buf, size, "%.0f", v);
        else
                snprintf(buf, size, "%.15g", v);
}

/* One sample: name + suffix ("" or "_bucket", "_sum", "_count"), labels
 * already formatted and escaped (without braces; "" for none). */
static void sample_d(struct emitter *e, const char *suffix, const char *labels, double v) {
        char num[64];

        header(e);
        fprintf(e->f, "%s%s", e->name, suffix);
        if (labels && *labels)
                fprintf(e->f, "{%s}", labels);
        format_double(num, sizeof(num), v);
        fprintf(e->f, " %s\n", num);
}

static void sample_u(struct emitter *e, const char *suffix, const char *labels, uint64_t v) {
        header(e);
        fprintf(e->f, "%s%s", e->name, suffix);
        if (labels && *labels)
                fprintf(e->f, "{%s}", labels);
        fprintf(e->f, " %llu\n", (unsigned long long) v);
}

/* Histogram base name: e->name itself (no suffix). Counts are per bucket,
 * not cumulative; bounds has n_buckets - 1 entries (the last bucket +Inf). */
static void histogram(struct emitter *e, const char *labels, const double *bounds, const uint64_t *counts,
                      unsigned n_buckets, double sum) {
        char l[512], le[48];
        uint64_t cum = 0;

        for (unsigned b = 0; b < n_buckets; b++) {
                cum += counts[b];
                format_double(le, sizeof(le), b + 1 < n_buckets ? bounds[b] : INFINITY);
                snprintf(l, sizeof(l), "%s%sle=\"%s\"", labels, *labels ? "," : "", le);
                sample_u(e, "_bucket", l, cum);
        }
        sample_d(e, "_sum", labels, sum);
        sample_u(e, "_count", labels, cum);
}

static void zone_labels(char *buf, size_t size, int node, const char *zone, int order) {
        char z[DF_NAME_MAX * 2 + 1];

        df_metrics_escape_label(zone, z, sizeof(z));
        if (order >= 0)
                snprintf(buf, size, "node=\"%d\",zone=\"%s\",order=\"%d\"", node, z, order);
        else
                snprintf(buf, size, "node=\"%d\",zone=\"%s\"", node, z);
}

/* ---- families ---- */

static bool zone_exported(const struct df_zone *z) {
        return z->has_buddyinfo && z->nr_orders > 0 && z->nr_orders <= DF_MAX_ORDERS;
}

static void emit_zones(struct emitter *e, const struct df_snapshot *s, struct df_zone_model *models) {
        char l[256];

        family(e, "defragd_free_blocks", T_GAUGE, NULL,
               "Free blocks of exactly this order (/proc/buddyinfo).");
        for (size_t i = 0; i < s->n_zones; i++)
                if (zone_exported(&s->zones[i]))
                        for (int o = 0; o < s->zones[i].nr_orders; o++) {
                                zone_labels(l, sizeof(l), s->zones[i].node, s->zones[i].name, o);
                                sample_u(e, "", l, s->zones[i].free_blocks[o]);
                        }
        family(e, "defragd_suitable_blocks", T_GAUGE, NULL,
               "Free blocks usable by a request of this order: a free block of order k >= N counts 2^(k-N) (mm/vmstat.c fill_contig_page_info).");
        for (size_t i = 0; i < s->n_zones; i++)
                if (zone_exported(&s->zones[i]))
                        for (int o = 0; o < models[i].nr_orders; o++) {
                                zone_labels(l, sizeof(l), s->zones[i].node, s->zones[i].name, o);
                                sample_u(e, "", l, models[i].suitable_blocks[o]);
                        }
        family(e, "defragd_free_pages", T_GAUGE, NULL, "Free pages in the buddy allocator of the zone.");
        for (size_t i = 0; i < s->n_zones; i++)
                if (zone_exported(&s->zones[i])) {
                        zone_labels(l, sizeof(l), s->zones[i].node, s->zones[i].name, -1);
                        sample_u(e, "", l, models[i].free_pages);
                }
        family(e, "defragd_unusable_index", T_GAUGE, NULL,
               "Unusable free space index, 0..1: share of free memory in blocks smaller than the order (debugfs extfrag/unusable_index).");
        for (size_t i = 0; i < s->n_zones; i++)
                if (zone_exported(&s->zones[i]))
                        for (int o = 0; o < models[i].nr_orders; o++) {
                                zone_labels(l, sizeof(l), s->zones[i].node, s->zones[i].name, o);
                                sample_d(e, "", l, models[i].unusable_index[o] / 1000.0);
                        }
        family(e, "defragd_fragmentation_index", T_GAUGE, NULL,
               "Fragmentation index: -1 a block of the order is free, else 0 (fails for lack of memory) .. 1 (fails for fragmentation) (debugfs extfrag/extfrag_index).");
        for (size_t i = 0; i < s->n_zones; i++)
                if (zone_exported(&s->zones[i]))
                        for (int o = 0; o < models[i].nr_orders; o++) {
                                zone_labels(l, sizeof(l), s->zones[i].node, s->zones[i].name, o);
                                sample_d(e, "", l, models[i].fragmentation_index[o] / 1000.0);
                        }
}

static void emit_score(struct emitter *e, const struct df_snapshot *s, int order) {
        int nodes[1024];
        size_t n = df_snapshot_nodes(s, nodes, ELEMENTSOF(nodes));
        char l[64];

        family(e, "defragd_compaction_score", T_GAUGE, NULL,
               "The kernel's proactive compaction score of the node, 0..100 (mm/compaction.c fragmentation_score_node; compare vm.compaction_proactiveness).");
        for (size_t i = 0; i < n; i++) {
                int score = df_node_compaction_score(s, nodes[i], order);

                if (score < 0)
                        continue;
                snprintf(l, sizeof(l), "node=\"%d\"", nodes[i]);
                sample_u(e, "", l, (uint64_t) score);
        }
}

static bool cell_seen_before(const struct df_metrics_input *in, size_t i) {
        for (size_t j = 0; j < i; j++)
                if (in->cells[j].node == in->cells[i].node && in->cells[j].order == in->cells[i].order &&
                    strcmp(in->cells[j].zone, in->cells[i].zone) == 0)
                        return true;
        return false;
}

static bool cell_ok(const struct df_metrics_input *in, size_t i) {
        return in->cells[i].order >= 0 && in->cells[i].order < DF_MAX_ORDERS && !cell_seen_before(in, i);
}

static void emit_cells(struct emitter *e, const struct df_metrics_input *in) {
        const struct df_metrics_cell *c = in->cells;
        char l[256];

        /* A cell listed twice is exported once (the first): no duplicate series. */
        family(e, "defragd_target_low_blocks", T_GAUGE, NULL,
               "Low mark of the target: below it the zone is short at this order (suitable blocks).");
        for (size_t i = 0; i < in->n_cells; i++)
                if (cell_ok(in, i)) {
                        zone_labels(l, sizeof(l), c[i].node, c[i].zone, c[i].order);
                        sample_u(e, "", l, c[i].low_blocks);
                }
        family(e, "defragd_target_high_blocks", T_GAUGE, NULL,
               "High mark of the target: a short zone is ok again at this many suitable blocks.");
        for (size_t i = 0; i < in->n_cells; i++)
                if (cell_ok(in, i)) {
                        zone_labels(l, sizeof(l), c[i].node, c[i].zone, c[i].order);
                        sample_u(e, "", l, c[i].high_blocks);
                }
        family(e, "defragd_target_short", T_GAUGE, NULL,
               "1 while the zone is short at this order (fell below low, not yet back at high), 0 when ok; absent before the first evaluation.");
        for (size_t i = 0; i < in->n_cells; i++)
                if (cell_ok(in, i) && c[i].state != DF_METRICS_STATE_UNKNOWN) {
                        zone_labels(l, sizeof(l), c[i].node, c[i].zone, c[i].order);
                        sample_u(e, "", l, c[i].state == DF_METRICS_STATE_SHORT);
                }
        family(e, "defragd_target_state_since_timestamp_seconds", T_GAUGE, "seconds",
               "When the cell entered its current state (ok or short), Unix time.");
        for (size_t i = 0; i < in->n_cells; i++)
                if (cell_ok(in, i) && c[i].state != DF_METRICS_STATE_UNKNOWN && c[i].state_since_realtime_usec) {
                        zone_labels(l, sizeof(l), c[i].node, c[i].zone, c[i].order);
                        sample_d(e, "", l, (double) c[i].state_since_realtime_usec / 1e6);
                }
        family(e, "defragd_trend_slope_blocks_per_second", T_GAUGE, NULL,
               "Least-squares slope of suitable blocks over the trend window ([Trend] WindowSec=).");
        for (size_t i = 0; i < in->n_cells; i++)
                if (cell_ok(in, i) && c[i].has_trend) {
                        zone_labels(l, sizeof(l), c[i].node, c[i].zone, c[i].order);
                        sample_d(e, "", l, c[i].trend_slope_blocks_per_sec);
                }
        family(e, "defragd_trend_time_to_low_seconds", T_GAUGE, "seconds",
               "Predicted seconds until suitable blocks reach the low mark; +Inf when rising or flat, 0 when already below.");
        for (size_t i = 0; i < in->n_cells; i++)
                if (cell_ok(in, i) && c[i].has_trend) {
                        zone_labels(l, sizeof(l), c[i].node, c[i].zone, c[i].order);
                        sample_d(e, "", l, c[i].trend_seconds_to_low);
                }
}

static void lever_label(char *buf, size_t size, int k) {
        snprintf(buf, size, "lever=\"%s\"", df_lever_kind_to_string((enum df_lever_kind) k));
}

static void emit_levers(struct emitter *e, const struct df_metrics_lever_stats *st) {
        static const struct df_metrics_lever_stats zero;
        char l[128];

        if (!st)
                st = &zero;
        /* Every lever x result from the start at 0: rate() and increase()
         * need the series to exist before the first action. */
        family(e, "defragd_actions_total", T_COUNTER, NULL, "Actions by lever and result (dry runs as result=\"dry-run\").");
        for (int k = DF_LEVER_NONE + 1; k < _DF_LEVER_MAX; k++)
                for (int o = 0; o < _DF_OUTCOME_MAX; o++) {
                        snprintf(l, sizeof(l), "lever=\"%s\",result=\"%s\"", df_lever_kind_to_string((enum df_lever_kind) k),
                                 df_action_outcome_to_string((enum df_action_outcome) o));
                        sample_u(e, "", l, st->actions[k][o]);
                }
        family(e, "defragd_action_duration_seconds", T_HISTOGRAM, "seconds", "How long actions ran, by lever (dry runs excluded).");
        for (int k = DF_LEVER_NONE + 1; k < _DF_LEVER_MAX; k++) {
                lever_label(l, sizeof(l), k);
                histogram(e, l, df_metrics_duration_bounds_sec, st->duration_bucket[k], DF_METRICS_DURATION_BUCKETS,
                          (double) st->duration_usec_sum[k] / 1e6);
        }
        static const struct {
                const char *name, *unit, *help;
                size_t offset;
        } totals[] = {
                { "defragd_action_gain_blocks_total", NULL,
                  "Suitable blocks gained at the motivating order, summed over actions (losses count 0).",
                  offsetof(struct df_metrics_lever_stats, gain_blocks) },
                { "defragd_action_pages_moved_total", NULL, "Pages migrated by actions.",
                  offsetof(struct df_metrics_lever_stats, pages_moved) },
                { "defragd_action_reclaimed_bytes_total", "bytes", "Bytes reclaimed by the reclaim levers.",
                  offsetof(struct df_metrics_lever_stats, reclaimed_bytes) },
                { "defragd_action_blocks_cleared_total", NULL, "Aligned blocks cleared by the clear levers.",
                  offsetof(struct df_metrics_lever_stats, blocks_cleared) },
                { "defragd_action_refaults_total", NULL,
                  "Refaults (workingset_refault) attributed to actions in the window after them.",
                  offsetof(struct df_metrics_lever_stats, refaults) },
        };
        for (size_t t = 0; t < ELEMENTSOF(totals); t++) {
                const uint64_t *v = (const uint64_t *) ((const char *) st + totals[t].offset);

                family(e, totals[t].name, T_COUNTER, totals[t].unit, totals[t].help);
                for (int k = DF_LEVER_NONE + 1; k < _DF_LEVER_MAX; k++) {
                        lever_label(l, sizeof(l), k);
                        sample_u(e, "", l, v[k]);
                }
        }
}

static void emit_probes(struct emitter *e, const struct df_metrics_input *in) {
        const struct df_probe_counters *p = in->snapshot ? &in->snapshot->probes : NULL;
        char l[128];

        if (p && p->present) {
                family(e, "defragd_probe_allocations_total", T_COUNTER, NULL,
                       "Page allocations that got a page, by order (kmem:mm_page_alloc).");
                for (int o = 0; o < DF_MAX_ORDERS; o++) {
                        snprintf(l, sizeof(l), "order=\"%d\"", o);
                        sample_u(e, "", l, p->alloc[o]);
                }
                family(e, "defragd_probe_allocation_failures_total", T_COUNTER, NULL,
                       "Failed page allocations by order; kind=atomic: the caller could not sleep, kind=reclaim: it could reclaim and compact.");
                for (int o = 0; o < DF_MAX_ORDERS; o++) {
                        snprintf(l, sizeof(l), "order=\"%d\",kind=\"atomic\"", o);
                        sample_u(e, "", l, p->alloc_fail_atomic[o]);
                        snprintf(l, sizeof(l), "order=\"%d\",kind=\"reclaim\"", o);
                        sample_u(e, "", l, p->alloc_fail_reclaim[o]);
                }
                family(e, "defragd_probe_fallbacks_total", T_COUNTER, NULL,
                       "Allocations served from another migratetype's free list (kmem:mm_page_alloc_extfrag).");
                sample_u(e, "", "", p->extfrag_fallbacks);
                family(e, "defragd_probe_fragmenting_fallbacks_total", T_COUNTER, NULL,
                       "Fallbacks that split a pageblock (fallback order below pageblock order).");
                sample_u(e, "", "", p->extfrag_fragmenting);
                family(e, "defragd_probe_compaction_runs_total", T_COUNTER, NULL,
                       "Kernel compaction runs, every caller (compaction:mm_compaction_begin).");
                sample_u(e, "", "", p->compaction_runs);
                family(e, "defragd_probe_compaction_results_total", T_COUNTER, NULL,
                       "Kernel compaction runs by how they ended (enum compact_result).");
                for (unsigned r = 0; r < COMPACT_RESULTS_DEFINED; r++) {
                        snprintf(l, sizeof(l), "result=\"%s\"", df_compact_result_to_string(r));
                        sample_u(e, "", l, p->compaction_result[r]);
                }
                family(e, "defragd_probe_stalls_total", T_COUNTER, NULL, "Allocating tasks that stalled in direct reclaim or direct compaction.");
                sample_u(e, "", "kind=\"direct_reclaim\"", p->direct_reclaim_stalls);
                sample_u(e, "", "kind=\"direct_compact\"", p->direct_compact_stalls);
                family(e, "defragd_probe_stall_seconds_total", T_COUNTER, "seconds", "Time allocating tasks spent stalled.");
                sample_d(e, "", "kind=\"direct_reclaim\"", (double) p->direct_reclaim_stall_usec / 1e6);
                sample_d(e, "", "kind=\"direct_compact\"", (double) p->direct_compact_stall_usec / 1e6);
        }
        if (in->has_stall_hist) {
                /* log2 slots of microseconds: slot i ends at 2^(i+1) us, the last is open */
                double bounds[DF_METRICS_STALL_SLOTS - 1];

                for (int i = 0; i < DF_METRICS_STALL_SLOTS - 1; i++)
                        bounds[i] = ldexp(1.0, i + 1) / 1e6;
                family(e, "defragd_probe_stall_duration_seconds", T_HISTOGRAM, "seconds",
                       "Stall durations from the probes' log2 histograms, by kind.");
                for (int k = 0; k < DF_METRICS_STALL_KINDS; k++) {
                        snprintf(l, sizeof(l), "kind=\"%s\"", stall_kind_names[k]);
                        histogram(e, l, bounds, in->stall_hist[k], DF_METRICS_STALL_SLOTS, (double) in->stall_total_ns[k] / 1e9);
                }
        }
        family(e, "defragd_probes_enabled", T_GAUGE, NULL, "1 when [Probes] Enable=yes.");
        sample_u(e, "", "", in->probes_enabled);
        family(e, "defragd_probes_loaded", T_GAUGE, NULL, "1 when the BPF probes are loaded and attached.");
        sample_u(e, "", "", in->probes_loaded);
        family(e, "defragd_probes_attached", T_GAUGE, NULL, "Tracepoints the probes are attached to.");
        sample_u(e, "", "", in->probes_attached);
        family(e, "defragd_probes_missing", T_GAUGE, NULL, "Tracepoints the probes could not attach to.");
        sample_u(e, "", "", in->probes_missing);
        family(e, "defragd_probe_events_total", T_COUNTER, NULL, "High-order failure events received from the ring buffer.");
        sample_u(e, "", "", in->probe_events);
        family(e, "defragd_probe_events_lost_total", T_COUNTER, NULL, "Failure events lost because the ring buffer was full.");
        sample_u(e, "", "", in->probe_events_lost);
        family(e, "defragd_probe_events_ratelimited_total", T_COUNTER, NULL,
               "Failure events suppressed in the kernel by [Probes] TriggerMinIntervalSec=.");
        sample_u(e, "", "", in->probe_events_ratelimited);
}

static void emit_health(struct emitter *e, const struct df_metrics_input *in) {
        char l[128], v[64];

        df_metrics_escape_label(in->version ? in->version : "unknown", v, sizeof(v));
        snprintf(l, sizeof(l), "version=\"%s\"", v);
        family(e, "defragd_build_info", T_INFO, NULL, "defragd's version.");
        sample_u(e, "", l, 1);
        family(e, "defragd_start_time_seconds", T_GAUGE, "seconds", "When defragd started, Unix time.");
        sample_d(e, "", "", (double) in->start_realtime_usec / 1e6);
        family(e, "defragd_evaluations_total", T_COUNTER, NULL, "Policy evaluations since start.");
        sample_u(e, "", "", in->evaluations);
        /* The staleness signal: a textfile or scrape whose last evaluation is
         * old describes a daemon that stopped evaluating. */
        family(e, "defragd_last_evaluation_timestamp_seconds", T_GAUGE, "seconds",
               "When the last policy evaluation ran, Unix time (0: none yet).");
        sample_d(e, "", "", (double) in->last_evaluation_realtime_usec / 1e6);
        family(e, "defragd_config_generation", T_GAUGE, NULL, "1 at start, +1 for each configuration reload applied.");
        sample_u(e, "", "", in->config_generation);
        family(e, "defragd_dry_run", T_GAUGE, NULL, "1 when defragd decides but does not act ([Daemon] DryRun= or --dry-run).");
        sample_u(e, "", "", in->dry_run);
}

int df_metrics_render_format(FILE *f, const struct df_metrics_input *in, enum df_metrics_format fmt) {
        struct emitter e = { .f = f, .fmt = fmt };
        const struct df_snapshot *s;

        assert(f);
        assert(in);
        s = in->snapshot;
        emit_health(&e, in);
        if (s && s->n_zones > 0) {
                struct df_zone_model *models = calloc(s->n_zones, sizeof(*models));

                if (!models)
                        return -ENOMEM;
                for (size_t i = 0; i < s->n_zones; i++)
                        if (zone_exported(&s->zones[i]))
                                df_zone_model_compute(&s->zones[i], &models[i]);
                emit_zones(&e, s, models);
                free(models);
                emit_score(&e, s, in->compaction_score_order > 0 ? in->compaction_score_order : 9);
        }
        if (in->cells)
                emit_cells(&e, in);
        emit_levers(&e, in->levers);
        emit_probes(&e, in);
        if (fmt == DF_METRICS_OPENMETRICS)
                fputs("# EOF\n", f);
        return ferror(f) ? -EIO : 0;
}

int df_metrics_render(FILE *f, const struct df_metrics_input *in) {
        return df_metrics_render_format(f, in, DF_METRICS_PROMETHEUS);
}

/* ---- textfile ---- */

int df_metrics_write_textfile(const char *dir, const struct df_metrics_input *in, struct df_error *err) {
        char tmp[4096], path[4096];
        _cleanup_fclose_ FILE *f = NULL;
        int fd, r;

        assert(dir);
        assert(in);
        if (snprintf(path, sizeof(path), "%s/" DF_METRICS_TEXTFILE_NAME, dir) >= (int) sizeof(path) ||
            snprintf(tmp, sizeof(tmp), "%s/.defragd.prom.XXXXXX", dir) >= (int) sizeof(tmp))
                return df_error_set(err, -ENAMETOOLONG, "[Metrics] TextfileDirectory=%s: path too long", dir);
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return df_error_set(err, -errno, "[Metrics] TextfileDirectory=%s: cannot create a file there: %s", dir,
                                    strerror(errno));
        /* The daemon's UMask=0077 would hide it from node_exporter's user. */
        if (fchmod(fd, 0644) < 0 || !(f = fdopen(fd, "w"))) {
                r = -errno;
                close(fd);
                unlink(tmp);
                return df_error_set(err, r, "%s: %s", tmp, strerror(-r));
        }
        r = df_metrics_render(f, in);
        /* No fsync: the file is rewritten every evaluation, and a reader must
         * only never see half of one, which rename() guarantees. */
        if (fflush(f) != 0 && r == 0)
                r = -errno;
        if (r < 0) {
                unlink(tmp);
                return df_error_set(err, r, "%s: cannot write: %s", tmp, strerror(-r));
        }
        if (rename(tmp, path) < 0) {
                r = -errno;
                unlink(tmp);
                return df_error_set(err, r, "cannot rename %s to %s: %s", tmp, path, strerror(-r));
        }
        return 0;
}

int df_metrics_remove_textfile(const char *dir, struct df_error *err) {
        char path[4096];

        assert(dir);
        if (snprintf(path, sizeof(path), "%s/" DF_METRICS_TEXTFILE_NAME, dir) >= (int) sizeof(path))
                return df_error_set(err, -ENAMETOOLONG, "[Metrics] TextfileDirectory=%s: path too long", dir);
        if (unlink(path) < 0 && errno != ENOENT)
                return df_error_set(err, -errno, "%s: cannot remove: %s", path, strerror(errno));
        return 0;
}
