/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What `defragctl status` and `systemctl status` show: the daemon's view of
 * every watched (node, zone, order), its targets and states, the ladder per
 * node, recent actions, changed knobs and probe state. Rendering only. */
#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "defragd/json.h"
#include "defragd/knobs.h"
#include "defragd/lever.h"
#include "defragd/model.h"
#include "defragd/probes.h"
#include "defragd/status.h"
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

static const char *action_name(enum df_lever_kind k) {
        return df_lever_kind_to_string(k);
}

static bool zone_watched(const struct df_status_view *v, const struct df_zone *z) {
        return df_config_node_watched(v->config, z->node) && df_config_zone_watched(v->config, z->name);
}

/* One watched zone as both renderers show it: its model, and per order the
 * target; for an order with a target, its state and trend. */
struct status_zone {
        const struct df_zone *zone;
        struct df_zone_model model;
        int n_orders;
        struct status_order {
                const struct df_target *target;
                enum df_order_state state;           /* target enabled only */
                const struct df_status_trend *trend; /* target enabled only; NULL: no fit */
        } orders[DF_MAX_ORDERS];
};

/* The next watched zone of the snapshot at or after *i (then *i is past
 * it), into sz; false after the last. */
static bool status_zone_next(const struct df_status_view *v, size_t *i, struct status_zone *sz) {
        for (; *i < v->snapshot->n_zones; (*i)++) {
                const struct df_zone *z = &v->snapshot->zones[*i];

                if (!zone_watched(v, z))
                        continue;
                sz->zone = z;
                df_zone_model_compute(z, &sz->model);
                sz->n_orders = z->nr_orders < DF_MAX_ORDERS ? z->nr_orders : DF_MAX_ORDERS;
                for (int o = 0; o < sz->n_orders; o++) {
                        struct status_order *so = &sz->orders[o];

                        so->target = &v->config->targets[o];
                        so->state = so->target->enabled ? df_policy_cell_state(v->policy, z->node, z->name, o)
                                                        : DF_STATE_UNKNOWN;
                        so->trend = so->target->enabled ? df_status_trend_find(v, z->node, z->name, o) : NULL;
                }
                (*i)++;
                return true;
        }
        return false;
}

/* "in 40s", "now" for a monotonic deadline. */
static void format_in(uint64_t until_usec, uint64_t now_usec, char *buf, size_t size) {
        uint64_t sec;

        if (until_usec <= now_usec) {
                snprintf(buf, size, "now");
                return;
        }
        sec = (until_usec - now_usec + USEC_PER_SEC - 1) / USEC_PER_SEC;
        if (sec < 120)
                snprintf(buf, size, "in %" PRIu64 "s", sec);
        else if (sec < 7200)
                snprintf(buf, size, "in %" PRIu64 "min", sec / 60);
        else
                snprintf(buf, size, "in %" PRIu64 "h", sec / 3600);
}

static void format_duration(uint64_t usec, char *buf, size_t size) {
        if (usec < 120 * USEC_PER_SEC)
                snprintf(buf, size, "%" PRIu64 "s", usec / USEC_PER_SEC);
        else if (usec < 7200 * USEC_PER_SEC)
                snprintf(buf, size, "%" PRIu64 "min", usec / USEC_PER_SEC / 60);
        else
                snprintf(buf, size, "%" PRIu64 "h", usec / USEC_PER_SEC / 3600);
}

const struct df_status_trend *df_status_trend_find(const struct df_status_view *v, int node, const char *zone, int order) {
        assert(v);
        assert(zone);
        for (size_t i = 0; v->trends && i < v->n_trends; i++)
                if (v->trends[i].node == node && v->trends[i].order == order && strcmp(v->trends[i].zone, zone) == 0)
                        return &v->trends[i];
        return NULL;
}

void df_status_format_time_to_low(const struct df_status_trend *t, char *buf, size_t size) {
        assert(buf);
        if (!t || !t->valid)
                snprintf(buf, size, "-");
        else if (!isfinite(t->seconds_to_low))
                snprintf(buf, size, "never");
        else if (t->seconds_to_low <= 0)
                snprintf(buf, size, "now");
        else
                /* whole seconds rounded up: "0s" would read as "now" */
                format_duration((uint64_t) ceil(t->seconds_to_low) * USEC_PER_SEC, buf, size);
}

static bool knob_lever(enum df_lever_kind k) {
        const struct df_lever_ops *ops = df_lever_ops(k);

        return ops && ops->knob_path;
}

static const struct df_knob_desire *knob_desire(const struct df_status_view *v, enum df_lever_kind k) {
        for (unsigned i = 0; v->decision && i < v->decision->n_knobs; i++)
                if (v->decision->knobs[i].lever == k)
                        return &v->decision->knobs[i];
        return NULL;
}

/* A rung's state word: what stops it now, or "ready". */
static const char *rung_state(const struct df_status_view *v, enum df_lever_kind k, const struct df_rung_state *rs) {
        const struct df_lever_view *lv = &v->levers[k];

        if (!lv->present)
                return lv->in_table ? "absent" : "not-built";
        if (rs->last_skip != DF_SKIP_NONE)
                return df_skip_reason_to_string(rs->last_skip);
        return rs->next_allowed_usec > v->now_usec ? (rs->yield ? "yielding" : "cooldown") : "ready";
}

void df_lever_stats_add(struct df_lever_stats *st, const struct df_action *a, const struct df_action_result *r) {
        assert(st && a && r);
        if (r->outcome == DF_OUTCOME_DRY_RUN || a->dry_run) {
                st->dry_runs++;
                return;
        }
        st->runs++;
        switch (r->outcome) {
        case DF_OUTCOME_DONE:
        case DF_OUTCOME_PARTIAL:
        case DF_OUTCOME_CONTENDED:
                if (r->error == 0) {
                        st->done++;
                        break;
                }
                st->failed++;
                break;
        case DF_OUTCOME_BUSY:        st->busy++; break;
        case DF_OUTCOME_TIMEOUT:     st->timeouts++; break;
        case DF_OUTCOME_INTERRUPTED: st->interrupted++; break;
        default:                     st->failed++; break;
        }
        st->pages_moved += r->pages_moved;
        st->planned_pages += a->planned_pages;
        st->gain_blocks += df_action_gain_blocks(r);
        st->duration_usec += r->duration_usec;
}

static bool clear_lever(enum df_lever_kind k) { return k == DF_LEVER_CLEAR_KMOD || k == DF_LEVER_CLEAR_OFFLINE; }

/* The clear rungs: counters, and what the planner sees. */
static void render_clear_text(const struct df_status_view *v, FILE *f) {
        const struct df_manager_plan_status *p = v->planner;

        fprintf(f, "\nclearing:\n");
        for (int k = DF_LEVER_NONE + 1; k < _DF_LEVER_MAX; k++) {
                const struct df_lever_view *lv = &v->levers[k];
                const struct df_lever_stats *st = &lv->stats;

                if (!clear_lever((enum df_lever_kind) k))
                        continue;
                fprintf(f, "  %-14s %s", df_lever_kind_to_string((enum df_lever_kind) k),
                        !lv->in_table ? "not in this build" : lv->present ? "present" : "unavailable");
                if (lv->in_table && !lv->present && lv->reason[0])
                        fprintf(f, ": %s", lv->reason);
                fprintf(f, "\n");
                if (lv->present)
                        fprintf(f, "    runs %" PRIu64 " (cleared %" PRIu64 ", busy %" PRIu64 ", timeout %" PRIu64
                                   ", failed %" PRIu64 ", dry-run %" PRIu64 "), pages moved %" PRIu64 " of %" PRIu64
                                   " planned, gain +%" PRIu64 " blocks, %" PRIu64 " ms\n",
                                st->runs, st->done, st->busy, st->timeouts, st->failed, st->dry_runs, st->pages_moved,
                                st->planned_pages, st->gain_blocks, st->duration_usec / USEC_PER_MSEC);
        }
        if (!p)
                return;
        if (!p->on) {
                fprintf(f, "  planner: off%s%s\n", p->reason[0] ? ": " : "", p->reason);
                return;
        }
        fprintf(f, "  planner: %zu memory blocks of %" PRIu64 " pages, %" PRIu64 " pages read, last slice %" PRIu64
                " pages (all zones) in %" PRIu64 " ms, %" PRIu64 " evaluations between slices\n",
                p->n_memblocks, p->memblock_pages, p->pages_read, p->last_slice_pages,
                p->last_refresh_cost_usec / USEC_PER_MSEC, p->slices_skipped);
        for (size_t i = 0; i < p->n_zones; i++) {
                const struct df_plan_summary *z = &p->zones[i];

                fprintf(f, "    node %d %-8s blocks read %" PRIu64 "/%" PRIu64 ", free %" PRIu64
                           ", memory-block candidates %" PRIu64, z->node, z->zone, z->blocks_read, z->blocks,
                        z->blocks_free, z->memblock_candidates);
                if (z->memblock_candidates && z->memblock_min_cost_pages != UINT64_MAX)
                        fprintf(f, " (cheapest %" PRIu64 " pages)", z->memblock_min_cost_pages);
                fprintf(f, "\n");
        }
}

static void render_clear_json(const struct df_status_view *v, struct df_json *j) {
        const struct df_manager_plan_status *p = v->planner;

        df_json_key(j, "clearing");
        df_json_begin_object(j);
        for (int k = DF_LEVER_NONE + 1; k < _DF_LEVER_MAX; k++) {
                const struct df_lever_view *lv = &v->levers[k];
                const struct df_lever_stats *st = &lv->stats;

                if (!clear_lever((enum df_lever_kind) k))
                        continue;
                df_json_key(j, df_lever_kind_to_string((enum df_lever_kind) k));
                df_json_begin_object(j);
                df_json_kv_bool(j, "in_build", lv->in_table);
                df_json_kv_bool(j, "present", lv->present);
                df_json_kv_string(j, "reason", lv->reason);
                df_json_kv_u64(j, "runs", st->runs);
                df_json_kv_u64(j, "cleared", st->done);
                df_json_kv_u64(j, "busy", st->busy);
                df_json_kv_u64(j, "timeouts", st->timeouts);
                df_json_kv_u64(j, "failed", st->failed);
                df_json_kv_u64(j, "dry_runs", st->dry_runs);
                df_json_kv_u64(j, "pages_moved", st->pages_moved);
                df_json_kv_u64(j, "planned_pages", st->planned_pages);
                df_json_kv_u64(j, "gain_blocks", st->gain_blocks);
                df_json_kv_u64(j, "duration_usec", st->duration_usec);
                df_json_end_object(j);
        }
        if (p) {
                df_json_key(j, "planner");
                df_json_begin_object(j);
                df_json_kv_bool(j, "on", p->on);
                df_json_kv_string(j, "reason", p->reason);
                df_json_kv_u64(j, "memory_blocks", p->n_memblocks);
                df_json_kv_u64(j, "memory_block_pages", p->memblock_pages);
                df_json_kv_u64(j, "pages_read", p->pages_read);
                df_json_kv_u64(j, "slices_skipped", p->slices_skipped);
                df_json_kv_u64(j, "last_slice_pages", p->last_slice_pages);
                df_json_kv_u64(j, "last_slice_usec", p->last_refresh_cost_usec);
                df_json_key(j, "zones");
                df_json_begin_array(j);
                for (size_t i = 0; i < p->n_zones; i++) {
                        const struct df_plan_summary *z = &p->zones[i];

                        df_json_begin_object(j);
                        df_json_kv_i64(j, "node", z->node);
                        df_json_kv_string(j, "zone", z->zone);
                        df_json_kv_u64(j, "blocks", z->blocks);
                        df_json_kv_u64(j, "blocks_read", z->blocks_read);
                        df_json_kv_u64(j, "blocks_free", z->blocks_free);
                        df_json_kv_u64(j, "memblock_candidates", z->memblock_candidates);
                        if (z->memblock_min_cost_pages != UINT64_MAX)
                                df_json_kv_u64(j, "memblock_min_cost_pages", z->memblock_min_cost_pages);
                        df_json_end_object(j);
                }
                df_json_end_array(j);
                df_json_end_object(j);
        }
        df_json_end_object(j);
}

/* The reclaim-cgroup rung: what the aim chose, and the refaults of the last reclaims. */
static bool reclaim_shown(const struct df_status_view *v) {
        return v->reclaim && (v->config->reclaim.enabled || v->reclaim->n_recent > 0);
}

static void render_reclaim_text(const struct df_status_view *v, FILE *f) {
        const struct df_manager_reclaim *r = v->reclaim;

        if (!reclaim_shown(v))
                return;
        fprintf(f, "\nreclaim (cgroup):\n");
        if (r->rankings == 0)
                fprintf(f, "  not ranked yet (only while a zone is short)\n");
        else if (r->chosen[0])
                fprintf(f, "  aim: %s (%" PRIu64 " pages in the %" PRIu64 " cheapest blocks, inactive file %" PRIu64
                           " MiB), %zu candidates of %zu cgroups, ranked in %" PRIu64 " ms\n",
                        r->chosen, r->chosen_cheap_pages, r->blocks_sampled, r->chosen_inactive_file_bytes >> 20,
                        r->n_candidates, r->n_cgroups, r->rank_cost_usec / USEC_PER_MSEC);
        else
                fprintf(f, "  aim: none: %s\n", r->why_not);
        if (r->last_aim.cgroup[0]) {
                char ago[32];

                format_ago(r->last_aim.realtime_usec, ago, sizeof(ago));
                fprintf(f, "  last reclaim aimed at %s (%" PRIu64 " pages in the %" PRIu64 " cheapest blocks), %" PRIu64
                           " KiB asked, %s\n",
                        r->last_aim.cgroup, r->last_aim.cheap_pages, r->last_aim.blocks_sampled,
                        r->last_aim.bytes_asked >> 10, ago);
        }
        fprintf(f, "  refaults: %" PRIu64 " pages after %" PRIu64 " MiB reclaimed, %zu readings pending\n",
                r->refault_pages_total, r->followed_bytes_total >> 20, r->n_pending);
        for (size_t i = 0; i < r->n_recent; i++) {
                const struct df_reclaim_refault_record *rec = &r->recent[i];
                char ago[32];

                format_ago(rec->realtime_usec, ago, sizeof(ago));
                fprintf(f, "    %s: %" PRIu64 " pages refaulted of %" PRIu64 " KiB (%u%%)%s, %s\n", rec->path,
                        rec->refault_pages, rec->reclaimed_bytes >> 10, rec->percent,
                        rec->backed_off && rec->backoff_until_usec > v->now_usec ? ", backed off" : "", ago);
        }
}

static void render_reclaim_json(const struct df_status_view *v, struct df_json *j) {
        const struct df_manager_reclaim *r = v->reclaim;

        if (!reclaim_shown(v))
                return;
        df_json_key(j, "reclaim");
        df_json_begin_object(j);
        df_json_kv_u64(j, "rankings", r->rankings);
        df_json_kv_string(j, "aim", r->chosen);
        df_json_kv_string(j, "why_not", r->why_not);
        df_json_kv_u64(j, "aim_cheap_pages", r->chosen_cheap_pages);
        df_json_kv_u64(j, "aim_inactive_file_bytes", r->chosen_inactive_file_bytes);
        df_json_kv_u64(j, "blocks_sampled", r->blocks_sampled);
        df_json_key(j, "last_aim");
        df_json_begin_object(j);
        df_json_kv_string(j, "cgroup", r->last_aim.cgroup);
        df_json_kv_u64(j, "cheap_pages", r->last_aim.cheap_pages);
        df_json_kv_u64(j, "inactive_file_bytes", r->last_aim.inactive_file_bytes);
        df_json_kv_u64(j, "blocks_sampled", r->last_aim.blocks_sampled);
        df_json_kv_u64(j, "bytes_asked", r->last_aim.bytes_asked);
        df_json_kv_u64(j, "realtime_usec", r->last_aim.realtime_usec);
        df_json_end_object(j);
        df_json_kv_u64(j, "blocks_passed_over", r->blocks_passed_over);
        df_json_kv_u64(j, "candidates", r->n_candidates);
        df_json_kv_u64(j, "cgroups", r->n_cgroups);
        df_json_kv_u64(j, "rank_usec", r->rank_cost_usec);
        df_json_kv_u64(j, "refault_pages_total", r->refault_pages_total);
        df_json_kv_u64(j, "followed_bytes_total", r->followed_bytes_total);
        df_json_kv_u64(j, "pending", r->n_pending);
        df_json_key(j, "refaults");
        df_json_begin_array(j);
        for (size_t i = 0; i < r->n_recent; i++) {
                const struct df_reclaim_refault_record *rec = &r->recent[i];

                df_json_begin_object(j);
                df_json_kv_string(j, "cgroup", rec->path);
                df_json_kv_u64(j, "realtime_usec", rec->realtime_usec);
                df_json_kv_u64(j, "bytes_reclaimed", rec->reclaimed_bytes);
                df_json_kv_u64(j, "refault_pages", rec->refault_pages);
                df_json_kv_u64(j, "refault_percent", rec->percent);
                df_json_kv_bool(j, "backed_off", rec->backed_off && rec->backoff_until_usec > v->now_usec);
                df_json_end_object(j);
        }
        df_json_end_array(j);
        df_json_end_object(j);
}

static void render_ladder_text(const struct df_status_view *v, FILE *f) {
        bool any_node = false;

        fprintf(f, "\nladder (Order=");
        for (unsigned i = 0; i < v->config->n_ladder; i++)
                fprintf(f, "%s%s", i ? " " : "", df_lever_kind_to_string(v->config->ladder[i]));
        fprintf(f, ")%s\n", v->running.running ? "" : ":");
        if (v->running.running) {
                char ago[32];

                format_ago(v->running.started_realtime_usec, ago, sizeof(ago));
                fprintf(f, "  running: %s node %d (%s order %d), process %d, started %s\n",
                        action_name(v->running.action.lever), v->running.action.target.node,
                        v->running.action.target.zone, v->running.action.target.order, v->running.pid, ago);
        }
        for (unsigned i = 0; i < v->config->n_ladder; i++) {
                enum df_lever_kind k = v->config->ladder[i];
                const struct df_lever_view *lv = &v->levers[k];
                const struct df_knob_desire *kd;

                if (!lv->present)
                        fprintf(f, "  %-14s %s%s%s\n", df_lever_kind_to_string(k), lv->in_table ? "unavailable" : "not in this build",
                                lv->in_table && lv->reason[0] ? ": " : "", lv->in_table ? lv->reason : "");
                else if (knob_lever(k) && (kd = knob_desire(v, k)))
                        fprintf(f, "  %-14s knob %s %s%s\n", df_lever_kind_to_string(k), df_lever_ops(k)->knob_path,
                                kd->engaged ? "wanted at " : "wanted restored: ",
                                kd->engaged ? kd->value : df_skip_reason_to_string(kd->why_not));
        }
        for (size_t n = 0; n < DF_POLICY_MAX_NODES; n++) {
                const struct df_node_state *ns = &v->policy->nodes[n];

                if (!ns->used)
                        continue;
                if (!any_node)
                        fprintf(f, "  %-5s %-14s %-10s %-12s %5s %7s %8s %10s  %s\n", "NODE", "RUNG", "STATE",
                                "LAST", "GAIN", "RUNS", "BACKOFF", "NEXT", "");
                any_node = true;
                for (unsigned i = 0; i < v->config->n_ladder; i++) {
                        enum df_lever_kind k = v->config->ladder[i];
                        const struct df_rung_state *rs = &ns->rung[k];
                        char gain[24], backoff[24], next[24];

                        if (knob_lever(k) || !v->levers[k].present)
                                continue;
                        if (!rs->has_result)
                                snprintf(gain, sizeof(gain), "-");
                        else if (rs->last_gain_known)
                                snprintf(gain, sizeof(gain), "+%" PRIu64, rs->last_gain_blocks);
                        else
                                snprintf(gain, sizeof(gain), "?");
                        format_duration(rs->backoff_usec, backoff, sizeof(backoff));
                        format_in(rs->next_allowed_usec, v->now_usec, next, sizeof(next));
                        fprintf(f, "  %-5d %-14s %-10s %-12s %5s %7" PRIu64 " %8s %10s  %s\n", ns->node,
                                df_lever_kind_to_string(k), rung_state(v, k, rs),
                                rs->has_result ? df_action_outcome_to_string(rs->last_outcome) : "-", gain, rs->runs,
                                rs->runs ? backoff : "-", next, ns->last_lever == k ? "<- ran last" : "");
                }
        }
        if (!any_node)
                fprintf(f, "  no node has been short yet\n");
}

static void render_ladder_json(const struct df_status_view *v, struct df_json *j) {
        df_json_key(j, "ladder");
        df_json_begin_object(j);
        df_json_key(j, "order");
        df_json_begin_array(j);
        for (unsigned i = 0; i < v->config->n_ladder; i++)
                df_json_string(j, df_lever_kind_to_string(v->config->ladder[i]));
        df_json_end_array(j);

        df_json_key(j, "levers");
        df_json_begin_array(j);
        for (int k = DF_LEVER_NONE + 1; k < _DF_LEVER_MAX; k++) {
                const struct df_knob_desire *kd = knob_desire(v, (enum df_lever_kind) k);

                df_json_begin_object(j);
                df_json_kv_string(j, "lever", df_lever_kind_to_string((enum df_lever_kind) k));
                df_json_kv_bool(j, "in_build", v->levers[k].in_table);
                df_json_kv_bool(j, "present", v->levers[k].present);
                df_json_kv_string(j, "reason", v->levers[k].reason);
                if (kd && knob_lever((enum df_lever_kind) k)) {
                        df_json_kv_string(j, "knob", df_lever_ops((enum df_lever_kind) k)->knob_path);
                        df_json_kv_bool(j, "knob_engaged", kd->engaged);
                        df_json_kv_string(j, "knob_value", kd->value);
                        df_json_kv_string(j, "knob_why_not", kd->engaged ? "" : df_skip_reason_to_string(kd->why_not));
                }
                df_json_end_object(j);
        }
        df_json_end_array(j);

        df_json_key(j, "running");
        if (v->running.running) {
                df_json_begin_object(j);
                df_json_kv_string(j, "lever", df_lever_kind_to_string(v->running.action.lever));
                df_json_kv_i64(j, "node", v->running.action.target.node);
                df_json_kv_string(j, "zone", v->running.action.target.zone);
                df_json_kv_i64(j, "order", v->running.action.target.order);
                df_json_kv_i64(j, "pid", v->running.pid);
                df_json_kv_u64(j, "started_realtime_usec", v->running.started_realtime_usec);
                df_json_end_object(j);
        } else
                df_json_null(j);

        df_json_key(j, "nodes");
        df_json_begin_array(j);
        for (size_t n = 0; n < DF_POLICY_MAX_NODES; n++) {
                const struct df_node_state *ns = &v->policy->nodes[n];

                if (!ns->used)
                        continue;
                df_json_begin_object(j);
                df_json_kv_i64(j, "node", ns->node);
                df_json_kv_string(j, "last_rung", df_lever_kind_to_string(ns->last_lever));
                df_json_key(j, "rungs");
                df_json_begin_array(j);
                for (unsigned i = 0; i < v->config->n_ladder; i++) {
                        enum df_lever_kind k = v->config->ladder[i];
                        const struct df_rung_state *rs = &ns->rung[k];

                        if (knob_lever(k))
                                continue;
                        df_json_begin_object(j);
                        df_json_kv_string(j, "lever", df_lever_kind_to_string(k));
                        df_json_kv_string(j, "state", rung_state(v, k, rs));
                        df_json_kv_u64(j, "runs", rs->runs);
                        df_json_kv_string(j, "last_result", rs->has_result ? df_action_outcome_to_string(rs->last_outcome) : "");
                        df_json_kv_bool(j, "last_gain_known", rs->last_gain_known);
                        df_json_kv_u64(j, "last_gain_blocks", rs->last_gain_blocks);
                        df_json_kv_u64(j, "consecutive_no_gain", rs->consecutive_no_gain);
                        df_json_kv_u64(j, "backoff_usec", rs->backoff_usec);
                        df_json_kv_u64(j, "next_allowed_in_usec",
                                       rs->next_allowed_usec > v->now_usec ? rs->next_allowed_usec - v->now_usec : 0);
                        df_json_end_object(j);
                }
                df_json_end_array(j);
                df_json_end_object(j);
        }
        df_json_end_array(j);
        df_json_end_object(j);
}

void df_status_line(const struct df_status_view *v, char *buf, size_t size) {
        const struct df_decision *d = v->decision;
        char last[160] = "no action yet", ago[32];
        int n;

        if (v->n_recent > 0) {
                const struct df_recent_action *ra = &v->recent[v->n_recent - 1];

                format_ago(ra->realtime_usec, ago, sizeof(ago));
                if (ra->action.dry_run)
                        snprintf(last, sizeof(last), "last: would %s node %d (dry run) %s",
                                 action_name(ra->action.lever), ra->action.target.node, ago);
                else if (ra->result.gain_known)
                        snprintf(last, sizeof(last), "last: %s node %d %+" PRId64 " order-%d blocks (%s) %s",
                                 action_name(ra->action.lever), ra->action.target.node,
                                 (int64_t) ra->result.suitable_after - (int64_t) ra->result.suitable_before,
                                 ra->action.target.order, df_action_outcome_to_string(ra->result.outcome), ago);
                else
                        snprintf(last, sizeof(last), "last: %s node %d %s, gain unknown %s",
                                 action_name(ra->action.lever), ra->action.target.node,
                                 df_action_outcome_to_string(ra->result.outcome), ago);
        }
        if (v->running.running)
                snprintf(last + strlen(last), sizeof(last) - strlen(last), "; running: %s node %d",
                         action_name(v->running.action.lever), v->running.action.target.node);
        assert(v && buf);
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

void df_status_render_text(const struct df_status_view *v, FILE *f) {
        char line[512], ago[32];
        const struct df_probes_status *ps = v->probes ? df_probes_status(v->probes) : NULL;
        struct status_zone sz;

        df_status_line(v, line, sizeof(line));
        fprintf(f, "defragd %s: %s\n", DEFRAGD_VERSION, line);
        format_ago(v->last_evaluation_realtime_usec, ago, sizeof(ago));
        fprintf(f, "config: %s%s; poll every %" PRIu64 " ms; %" PRIu64 " evaluations, last %s\n", v->config_source,
                v->config->dry_run ? " (dry run)" : "", v->config->poll_interval_usec / USEC_PER_MSEC, v->evaluations,
                ago);
        fprintf(f, "probes: %s\n\n",
                ps ? (ps->loaded ? "attached" : ps->reason) : (v->config->probes.enabled ? "not loaded" : "disabled"));

        /* LOW_IN: the trend's predicted time to the low mark ([Trend] WindowSec=) */
        fprintf(f, "%-5s %-8s %5s %12s %8s %8s %10s %10s %10s  %s\n", "NODE", "ZONE", "ORDER", "FREE_BLOCKS", "UNUSABLE",
                "FRAGIDX", "LOW", "HIGH", "LOW_IN", "STATE");
        for (size_t i = 0; status_zone_next(v, &i, &sz);)
                for (int o = 0; o < sz.n_orders; o++) {
                        const struct status_order *so = &sz.orders[o];
                        char ui[16], fi[16], low_in[24];

                        if (!so->target->enabled)
                                continue;
                        df_format_index(sz.model.unusable_index[o], ui, sizeof(ui));
                        df_format_index(sz.model.fragmentation_index[o], fi, sizeof(fi));
                        df_status_format_time_to_low(so->trend, low_in, sizeof(low_in));
                        fprintf(f, "%-5d %-8s %5d %12" PRIu64 " %8s %8s %10" PRIu64 " %10" PRIu64 " %10s  %s\n",
                                sz.zone->node, sz.zone->name, o, sz.model.suitable_blocks[o], ui, fi,
                                so->target->low_blocks, so->target->high_blocks, low_in,
                                df_order_state_to_string(so->state));
                }

        render_ladder_text(v, f);
        render_clear_text(v, f);
        render_reclaim_text(v, f);

        fprintf(f, "\nrecent actions:%s\n", v->n_recent ? "" : " none");
        for (unsigned i = v->n_recent; i-- > 0;) {
                const struct df_recent_action *ra = &v->recent[i];
                const struct df_action *a = &ra->action;
                const struct df_action_result *r = &ra->result;
                char ub[16], ua[16], after[32];

                format_ago(ra->realtime_usec, ago, sizeof(ago));
                df_format_index(ra->unusable_before, ub, sizeof(ub));
                df_format_index(ra->unusable_after, ua, sizeof(ua));
                if (a->dry_run) {
                        fprintf(f, "  %-10s would %s node %d (%s order %d: %" PRIu64 " free blocks) [dry run]\n", ago,
                                action_name(a->lever), a->target.node, a->target.zone, a->target.order,
                                r->suitable_before);
                        continue;
                }
                if (r->gain_known)
                        snprintf(after, sizeof(after), "%" PRIu64, r->suitable_after);
                else
                        snprintf(after, sizeof(after), "?");
                fprintf(f,
                        "  %-10s %s node %d: %s order %d %" PRIu64 " -> %s free blocks, unusable %s -> %s, %" PRIu64
                        " ms, %s%s%s%s%s%s%s\n",
                        ago, action_name(a->lever), a->target.node, a->target.zone, a->target.order,
                        r->suitable_before, after, ub, r->gain_known ? ua : "?", r->duration_usec / USEC_PER_MSEC,
                        df_action_outcome_to_string(r->outcome), r->machine_wide ? " (whole machine)" : "",
                        r->error ? ": " : "", r->error ? strerror(-r->error) : "",
                        r->kernel_outcome[0] ? " (kernel: " : "", r->kernel_outcome, r->kernel_outcome[0] ? ")" : "");
        }

        if (df_knobs_count(v->knobs) > 0) {
                const char *path, *orig, *cur;

                fprintf(f, "\nknobs changed (restored on exit):\n");
                for (unsigned i = 0; df_knobs_get(v->knobs, i, &path, &orig, &cur); i++)
                        fprintf(f, "  %s = %s (was %s)\n", path, cur, orig);
        }
}

/* "trend": null without a fit; else the slope and the predicted seconds to
 * the low mark (null when rising or flat: JSON has no infinity). */
static void render_trend_json(const struct df_status_trend *t, struct df_json *j) {
        df_json_key(j, "trend");
        if (!t || !t->valid) {
                df_json_null(j);
                return;
        }
        df_json_begin_object(j);
        df_json_kv_double(j, "slope_blocks_per_sec", t->slope_blocks_per_sec, 3);
        df_json_kv_double(j, "seconds_to_low", t->seconds_to_low, 1); /* infinity writes null */
        df_json_end_object(j);
}

void df_status_render_json(const struct df_status_view *v, FILE *f) {
        const struct df_probes_status *ps = v->probes ? df_probes_status(v->probes) : NULL;
        struct df_json j;
        struct status_zone sz;
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
        for (size_t i = 0; status_zone_next(v, &i, &sz);) {
                df_json_begin_object(&j);
                df_json_kv_i64(&j, "node", sz.zone->node);
                df_json_kv_string(&j, "zone", sz.zone->name);
                df_json_kv_u64(&j, "free_pages", sz.model.free_pages);
                df_json_key(&j, "orders");
                df_json_begin_array(&j);
                for (int o = 0; o < sz.n_orders; o++) {
                        const struct status_order *so = &sz.orders[o];

                        df_json_begin_object(&j);
                        df_json_kv_i64(&j, "order", o);
                        df_json_kv_u64(&j, "free_blocks", sz.zone->free_blocks[o]);
                        df_json_kv_u64(&j, "suitable_blocks", sz.model.suitable_blocks[o]);
                        df_json_kv_i64(&j, "unusable_index_permille", sz.model.unusable_index[o]);
                        df_json_kv_i64(&j, "fragmentation_index_permille", sz.model.fragmentation_index[o]);
                        if (so->target->enabled) {
                                df_json_kv_u64(&j, "low_blocks", so->target->low_blocks);
                                df_json_kv_u64(&j, "high_blocks", so->target->high_blocks);
                                df_json_kv_string(&j, "state", df_order_state_to_string(so->state));
                                render_trend_json(so->trend, &j);
                        }
                        df_json_end_object(&j);
                }
                df_json_end_array(&j);
                df_json_end_object(&j);
        }
        df_json_end_array(&j);

        render_ladder_json(v, &j);
        render_clear_json(v, &j);
        render_reclaim_json(v, &j);

        df_json_key(&j, "recent_actions");
        df_json_begin_array(&j);
        for (unsigned i = 0; i < v->n_recent; i++) {
                const struct df_recent_action *ra = &v->recent[i];

                df_json_begin_object(&j);
                df_json_kv_u64(&j, "realtime_usec", ra->realtime_usec);
                df_json_kv_string(&j, "action", action_name(ra->action.lever));
                df_json_kv_i64(&j, "node", ra->action.target.node);
                df_json_kv_string(&j, "zone", ra->action.target.zone);
                df_json_kv_i64(&j, "order", ra->action.target.order);
                df_json_kv_bool(&j, "dry_run", ra->action.dry_run);
                df_json_kv_u64(&j, "amount", ra->action.amount);
                df_json_kv_string(&j, "result", df_action_outcome_to_string(
                                                        ra->action.dry_run ? DF_OUTCOME_DRY_RUN : ra->result.outcome));
                df_json_kv_bool(&j, "gain_known", ra->result.gain_known);
                df_json_kv_u64(&j, "gain_blocks", df_action_gain_blocks(&ra->result));
                df_json_kv_u64(&j, "pages_moved", ra->result.pages_moved);
                df_json_kv_bool(&j, "machine_wide", ra->result.machine_wide);
                df_json_kv_u64(&j, "free_blocks_before", ra->result.suitable_before);
                df_json_kv_u64(&j, "free_blocks_after", ra->result.suitable_after);
                df_json_kv_i64(&j, "unusable_index_before_permille", ra->unusable_before);
                df_json_kv_i64(&j, "unusable_index_after_permille", ra->unusable_after);
                df_json_kv_u64(&j, "duration_usec", ra->result.duration_usec);
                df_json_kv_i64(&j, "error", ra->result.error);
                df_json_kv_string(&j, "detail", ra->result.detail);
                df_json_kv_string(&j, "kernel_compaction_results", ra->result.kernel_outcome);
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
