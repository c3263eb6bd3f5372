/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What `defragctl status` and `systemctl status` show: the daemon's view of
 * every watched (node, zone, order), its targets and states, recent actions,
 * changed knobs and probe state. Rendering only; no decisions here. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "defragd/actuator.h"
#include "defragd/json.h"
#include "defragd/knobs.h"
#include "defragd/manager.h"
#include "defragd/model.h"
#include "defragd/probes.h"
#include "defragd/util.h"

static void format_ago(uint64_t then_realtime_usec, char *buf, size_t size) {
        uint64_t now = df_realtime_usec(), ago_sec;

        if (then_realtime_usec == 0 || then_realtime_usec > now) {
                snprintf(buf, size, "never");
                return;
        }
        ago_sec = (now - then_realtime_usec) / USEC_PER_SEC;
        if (ago_sec < 120)
                snprintf(buf, size, "%" PRIu64 "s ago", ago_sec);
        else if (ago_sec < 7200)
                snprintf(buf, size, "%" PRIu64 "min ago", ago_sec / 60);
        else
                snprintf(buf, size, "%" PRIu64 "h ago", ago_sec / 3600);
}

static const char *action_name(enum df_action_kind k) {
        const struct df_actuator *a = df_actuator_for(k);

        return a ? a->name : df_action_kind_to_string(k);
}

static bool zone_watched(const struct manager_view *v, const struct df_zone *z) {
        return df_config_node_watched(v->config, z->node) && df_config_zone_watched(v->config, z->name);
}

void df_status_line(const struct manager_view *v, char *buf, size_t size) {
        const struct df_decision *d = v->decision;
        char last[160] = "no action yet", ago[32];
        int n;

        if (v->n_recent > 0) {
                const struct df_recent_action *ra = &v->recent[v->n_recent - 1];

                format_ago(ra->realtime_usec, ago, sizeof(ago));
                if (ra->action.dry_run)
                        snprintf(last, sizeof(last), "last: would compact node %d (dry run) %s", ra->action.node, ago);
                else
                        snprintf(last, sizeof(last), "last: compacted node %d %+" PRId64 " order-%d blocks %s",
                                 ra->action.node,
                                 (int64_t) ra->result.suitable_after - (int64_t) ra->result.suitable_before,
                                 ra->action.order, ago);
        }
        if (!d) {
                snprintf(buf, size, "Starting; %s", last);
                return;
        }
        if (d->worst_order < 0 || !d->worst_zone[0]) {
                snprintf(buf, size, "No watched zone/order (check Zones= and [OrderN]); %s", last);
                return;
        }
        n = snprintf(buf, size, "%s: worst node %d %s order %d: %" PRIu64 " free blocks (%s); %s%s",
                     d->any_short ? "Short" : "OK", d->worst_node, d->worst_zone, d->worst_order,
                     d->worst_suitable_blocks,
                     df_order_state_to_string(
                             df_policy_cell_state(v->policy, d->worst_node, d->worst_zone, d->worst_order)),
                     last, v->config->dry_run ? " [dry run]" : "");
        (void) n;
}

void df_status_render_text(const struct manager_view *v, FILE *f) {
        char line[512], ago[32];
        const struct df_probes_status *ps = v->probes ? df_probes_status(v->probes) : NULL;

        df_status_line(v, line, sizeof(line));
        fprintf(f, "defragd %s: %s\n", DEFRAGD_VERSION, line);
        format_ago(v->last_evaluation_realtime_usec, ago, sizeof(ago));
        fprintf(f, "config: %s%s; poll every %" PRIu64 " ms; %" PRIu64 " evaluations, last %s\n", v->config_source,
                v->config->dry_run ? " (dry run)" : "", v->config->poll_interval_usec / USEC_PER_MSEC, v->evaluations,
                ago);
        fprintf(f, "probes: %s\n\n",
                ps ? (ps->loaded ? "attached" : ps->reason) : (v->config->probes.enabled ? "not loaded" : "disabled"));

        fprintf(f, "%-5s %-8s %5s %12s %8s %8s %10s %10s  %s\n", "NODE", "ZONE", "ORDER", "FREE_BLOCKS", "UNUSABLE",
                "FRAGIDX", "LOW", "HIGH", "STATE");
        for (size_t i = 0; i < v->snapshot->n_zones; i++) {
                const struct df_zone *z = &v->snapshot->zones[i];
                struct df_zone_model zm;

                if (!zone_watched(v, z))
                        continue;
                df_zone_model_compute(z, &zm);
                for (int o = 0; o < z->nr_orders && o < DF_MAX_ORDERS; o++) {
                        const struct df_target *t = &v->config->targets[o];
                        char ui[16], fi[16];

                        if (!t->enabled)
                                continue;
                        df_format_index(zm.unusable_index[o], ui, sizeof(ui));
                        df_format_index(zm.fragmentation_index[o], fi, sizeof(fi));
                        fprintf(f, "%-5d %-8s %5d %12" PRIu64 " %8s %8s %10" PRIu64 " %10" PRIu64 "  %s\n", z->node,
                                z->name, o, zm.suitable_blocks[o], ui, fi, t->low_blocks, t->high_blocks,
                                df_order_state_to_string(df_policy_cell_state(v->policy, z->node, z->name, o)));
                }
        }

        fprintf(f, "\nrecent actions:%s\n", v->n_recent ? "" : " none");
        for (unsigned i = v->n_recent; i-- > 0;) {
                const struct df_recent_action *ra = &v->recent[i];
                char ub[16], ua[16];

                format_ago(ra->realtime_usec, ago, sizeof(ago));
                df_format_index(ra->unusable_before, ub, sizeof(ub));
                df_format_index(ra->unusable_after, ua, sizeof(ua));
                if (ra->action.dry_run)
                        fprintf(f, "  %-10s would %s node %d (%s order %d: %" PRIu64 " free blocks) [dry run]\n", ago,
                                action_name(ra->action.kind), ra->action.node, ra->action.zone,
                                ra->action.order, ra->result.suitable_before);
                else
                        fprintf(f,
                                "  %-10s %s node %d: %s order %d %" PRIu64 " -> %" PRIu64
                                " free blocks, unusable %s -> %s, %" PRIu64 " ms%s%s%s%s%s\n",
                                ago, action_name(ra->action.kind), ra->action.node, ra->action.zone,
                                ra->action.order, ra->result.suitable_before, ra->result.suitable_after, ub, ua,
                                ra->result.duration_usec / USEC_PER_MSEC, ra->result.error ? ", failed: " : "",
                                ra->result.error ? strerror(-ra->result.error) : "",
                                ra->kernel_results[0] ? " (kernel: " : "", ra->kernel_results,
                                ra->kernel_results[0] ? ")" : "");
        }

        if (df_knobs_count(v->knobs) > 0) {
                const char *path, *orig, *cur;

                fprintf(f, "\nknobs changed (restored on exit):\n");
                for (unsigned i = 0; df_knobs_get(v->knobs, i, &path, &orig, &cur); i++)
                        fprintf(f, "  %s = %s (was %s)\n", path, cur, orig);
        }
}

void df_status_render_json(const struct manager_view *v, FILE *f) {
        const struct df_probes_status *ps = v->probes ? df_probes_status(v->probes) : NULL;
        struct df_json j;
        char line[512];

        df_json_init(&j, f, false);
        df_json_begin_object(&j);
        df_json_kv_string(&j, "version", DEFRAGD_VERSION);
        df_status_line(v, line, sizeof(line));
        df_json_kv_string(&j, "status", line);
        df_json_kv_string(&j, "config", v->config_source);
        df_json_kv_bool(&j, "dry_run", v->config->dry_run);
        df_json_kv_u64(&j, "poll_interval_usec", v->config->poll_interval_usec);
        df_json_kv_u64(&j, "evaluations", v->evaluations);
        df_json_kv_u64(&j, "started_realtime_usec", v->started_realtime_usec);
        df_json_kv_u64(&j, "last_evaluation_realtime_usec", v->last_evaluation_realtime_usec);
        df_json_kv_bool(&j, "any_short", v->decision && v->decision->any_short);

        df_json_key(&j, "zones");
        df_json_begin_array(&j);
        for (size_t i = 0; i < v->snapshot->n_zones; i++) {
                const struct df_zone *z = &v->snapshot->zones[i];
                struct df_zone_model zm;

                if (!zone_watched(v, z))
                        continue;
                df_zone_model_compute(z, &zm);
                df_json_begin_object(&j);
                df_json_kv_i64(&j, "node", z->node);
                df_json_kv_string(&j, "zone", z->name);
                df_json_kv_u64(&j, "free_pages", zm.free_pages);
                df_json_key(&j, "orders");
                df_json_begin_array(&j);
                for (int o = 0; o < z->nr_orders && o < DF_MAX_ORDERS; o++) {
                        const struct df_target *t = &v->config->targets[o];

                        df_json_begin_object(&j);
                        df_json_kv_i64(&j, "order", o);
                        df_json_kv_u64(&j, "free_blocks", z->free_blocks[o]);
                        df_json_kv_u64(&j, "suitable_blocks", zm.suitable_blocks[o]);
                        df_json_kv_i64(&j, "unusable_index_permille", zm.unusable_index[o]);
                        df_json_kv_i64(&j, "fragmentation_index_permille", zm.fragmentation_index[o]);
                        if (t->enabled) {
                                df_json_kv_u64(&j, "low_blocks", t->low_blocks);
                                df_json_kv_u64(&j, "high_blocks", t->high_blocks);
                                df_json_kv_string(&j, "state", df_order_state_to_string(df_policy_cell_state(
                                                                       v->policy, z->node, z->name, o)));
                        }
                        df_json_end_object(&j);
                }
                df_json_end_array(&j);
                df_json_end_object(&j);
        }
        df_json_end_array(&j);

        df_json_key(&j, "recent_actions");
        df_json_begin_array(&j);
        for (unsigned i = 0; i < v->n_recent; i++) {
                const struct df_recent_action *ra = &v->recent[i];

                df_json_begin_object(&j);
                df_json_kv_u64(&j, "realtime_usec", ra->realtime_usec);
                df_json_kv_string(&j, "action", action_name(ra->action.kind));
                df_json_kv_i64(&j, "node", ra->action.node);
                df_json_kv_string(&j, "zone", ra->action.zone);
                df_json_kv_i64(&j, "order", ra->action.order);
                df_json_kv_bool(&j, "dry_run", ra->action.dry_run);
                df_json_kv_u64(&j, "free_blocks_before", ra->result.suitable_before);
                df_json_kv_u64(&j, "free_blocks_after", ra->result.suitable_after);
                df_json_kv_i64(&j, "unusable_index_before_permille", ra->unusable_before);
                df_json_kv_i64(&j, "unusable_index_after_permille", ra->unusable_after);
                df_json_kv_u64(&j, "duration_usec", ra->result.duration_usec);
                df_json_kv_i64(&j, "error", ra->result.error);
                df_json_kv_string(&j, "detail", ra->detail);
                df_json_kv_string(&j, "kernel_compaction_results", ra->kernel_results);
                df_json_kv_bool(&j, "kernel_stopped_early", ra->kernel_stopped_early);
                df_json_end_object(&j);
        }
        df_json_end_array(&j);

        df_json_key(&j, "knobs");
        df_json_begin_array(&j);
        {
                const char *path, *orig, *cur;

                for (unsigned i = 0; df_knobs_get(v->knobs, i, &path, &orig, &cur); i++) {
                        df_json_begin_object(&j);
                        df_json_kv_string(&j, "path", path);
                        df_json_kv_string(&j, "value", cur);
                        df_json_kv_string(&j, "original", orig);
                        df_json_end_object(&j);
                }
        }
        df_json_end_array(&j);

        df_json_key(&j, "probes");
        df_json_begin_object(&j);
        df_json_kv_bool(&j, "enabled", v->config->probes.enabled);
        df_json_kv_bool(&j, "loaded", ps && ps->loaded);
        df_json_kv_string(&j, "reason", ps ? ps->reason : (v->config->probes.enabled ? "not loaded" : "disabled"));
        if (ps && ps->loaded) {
                df_json_key(&j, "counters");
                if (df_json_raw_begin(&j))
                        df_probes_dump_json(v->probes, f);
        }
        df_json_end_object(&j);

        df_json_end_object(&j);
        (void) df_json_finish(&j);
}
