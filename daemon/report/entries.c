/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's journald entries (and their stderr lines), composed in one
 * place from plain data: threshold crossings, ladder skips, lever results. */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "defragd/model.h"
#include "defragd/entries.h"
#include "defragd/manager-reclaim.h"
#include "defragd/util.h"

void df_report_crossing(const struct df_crossing *c) {
        char f_node[32], f_zone[48], f_order[32], f_free[48], f_low[48], f_high[48], f_from[32], f_to[32];
        const char *fields[] = { "MESSAGE_ID=" DF_MID_THRESHOLD, f_node, f_zone, f_order, f_free, f_low, f_high,
                                 f_from, f_to, NULL };
        bool short_now;

        assert(c);
        short_now = c->to == DF_STATE_SHORT;
        if (c->from == DF_STATE_UNKNOWN && !short_now)
                return; /* the first look finding all well is not news */
        snprintf(f_node, sizeof(f_node), "NODE=%d", c->node);
        snprintf(f_zone, sizeof(f_zone), "ZONE=%s", c->zone);
        snprintf(f_order, sizeof(f_order), "ORDER=%d", c->order);
        snprintf(f_free, sizeof(f_free), "FREE_BLOCKS=%" PRIu64, c->suitable_blocks);
        snprintf(f_low, sizeof(f_low), "LOW_BLOCKS=%" PRIu64, c->low_blocks);
        snprintf(f_high, sizeof(f_high), "HIGH_BLOCKS=%" PRIu64, c->high_blocks);
        snprintf(f_from, sizeof(f_from), "STATE_FROM=%s", df_order_state_to_string(c->from));
        snprintf(f_to, sizeof(f_to), "STATE=%s", df_order_state_to_string(c->to));
        df_log_struct(short_now ? LOG_NOTICE : LOG_INFO, fields,
                      "node %d %s order %d: %" PRIu64 " free blocks %s %" PRIu64 " (%s)", c->node, c->zone,
                      c->order, c->suitable_blocks, short_now ? "below low mark" : "back at high mark",
                      short_now ? c->low_blocks : c->high_blocks,
                      short_now ? "short: will act" : "ok: stopping");
}

void df_report_skip(const struct df_skip *s) {
        assert(s);
        df_log(s->reason == DF_SKIP_COOLDOWN || s->reason == DF_SKIP_BACKOFF || s->reason == DF_SKIP_BUSY ||
                               s->reason == DF_SKIP_CONTENDED ? LOG_DEBUG : LOG_INFO,
               "node %d %s order %d is short, %s does not act: %s", s->node, s->zone, s->order,
               df_lever_kind_to_string(s->lever), df_skip_reason_to_string(s->reason));
}

/* "node0", "node0 (machine-wide)", a cgroup path, a block. */
static void format_target(const struct df_action *a, const struct df_action_result *r, char *buf, size_t size) {
        if (a->lever == DF_LEVER_RECLAIM_CGROUP && a->target.cgroup[0])
                snprintf(buf, size, "%s", a->target.cgroup);
        else if ((a->lever == DF_LEVER_CLEAR_KMOD || a->lever == DF_LEVER_CLEAR_OFFLINE) && a->target.nr_pages)
                snprintf(buf, size, "node%d:pfn%" PRIu64 "+%" PRIu64, a->target.node, a->target.start_pfn,
                         a->target.nr_pages);
        else
                snprintf(buf, size, r && r->machine_wide ? "machine" : "node%d", a->target.node);
}

void df_report_action(const struct df_recent_action *ra) {
        const struct df_action *a;
        const struct df_action_result *r;
        const char *name;
        char f_node[32], f_zone[48], f_order[32], f_before[48], f_after[48], f_ub[40], f_ua[40], f_dur[48],
                f_action[48], f_dry[16], f_detail[200], f_target[300], f_amount[48], f_result[48], f_pages[48],
                f_gain[48], f_wide[24], f_err[64], f_kernel[128], ub[16], ua[16], target[280], after[48], tail[160],
                f_planned[48], who[DF_CGROUP_PATH_MAX + 96], f_mb[48], f_pfn[48], f_nrp[48], f_gran[40], f_asked[48],
                f_took[48], f_slab[48], f_cg[DF_CGROUP_PATH_MAX + 16];
        const char *fields[32];
        size_t n = 0;
        bool failed;
        int level = LOG_NOTICE;

        assert(ra);
        a = &ra->action;
        r = &ra->result;
        name = df_lever_kind_to_string(a->lever);
        failed = r->error < 0 || r->outcome == DF_OUTCOME_FAILED || r->outcome == DF_OUTCOME_TIMEOUT ||
                r->outcome == DF_OUTCOME_BUSY;
        df_format_index(ra->unusable_before, ub, sizeof(ub));
        df_format_index(ra->unusable_after, ua, sizeof(ua));
        format_target(a, r, target, sizeof(target));

        fields[n++] = failed ? "MESSAGE_ID=" DF_MID_ACTION_FAILED :
                a->lever == DF_LEVER_COMPACT_NODE ? "MESSAGE_ID=" DF_MID_COMPACTION : "MESSAGE_ID=" DF_MID_LEVER_ACTED;
        snprintf(f_action, sizeof(f_action), "ACTION=%s", name);
        snprintf(f_target, sizeof(f_target), "TARGET=%s", target);
        snprintf(f_amount, sizeof(f_amount), "AMOUNT=%" PRIu64, a->amount);
        snprintf(f_result, sizeof(f_result), "RESULT=%s", df_action_outcome_to_string(a->dry_run ? DF_OUTCOME_DRY_RUN : r->outcome));
        snprintf(f_dur, sizeof(f_dur), "DURATION_USEC=%" PRIu64, r->duration_usec);
        snprintf(f_pages, sizeof(f_pages), "PAGES_MOVED=%" PRIu64, r->pages_moved);
        snprintf(f_gain, sizeof(f_gain), "GAIN_BLOCKS=%" PRIu64, df_action_gain_blocks(r));
        snprintf(f_wide, sizeof(f_wide), "MACHINE_WIDE=%d", r->machine_wide);
        snprintf(f_node, sizeof(f_node), "NODE=%d", a->target.node);
        snprintf(f_zone, sizeof(f_zone), "ZONE=%s", a->target.zone);
        snprintf(f_order, sizeof(f_order), "ORDER=%d", a->target.order);
        snprintf(f_before, sizeof(f_before), "FREE_BLOCKS_BEFORE=%" PRIu64, r->suitable_before);
        snprintf(f_after, sizeof(f_after), "FREE_BLOCKS_AFTER=%" PRIu64, r->suitable_after);
        snprintf(f_ub, sizeof(f_ub), "UNUSABLE_INDEX_BEFORE=%s", ub);
        snprintf(f_ua, sizeof(f_ua), "UNUSABLE_INDEX_AFTER=%s", ua);
        snprintf(f_dry, sizeof(f_dry), "DRY_RUN=%d", a->dry_run);
        snprintf(f_detail, sizeof(f_detail), "KNOB=%s", r->detail);
        snprintf(f_err, sizeof(f_err), "ERRNO=%d", -r->error);
        snprintf(f_kernel, sizeof(f_kernel), "COMPACTION_RESULTS=%s", r->kernel_outcome);
        fields[n++] = f_action;
        fields[n++] = f_target;
        fields[n++] = f_amount;
        fields[n++] = f_result;
        fields[n++] = f_dur;
        fields[n++] = f_pages;
        if (r->gain_known && !a->dry_run)
                fields[n++] = f_gain;
        fields[n++] = f_wide;
        fields[n++] = f_node;
        fields[n++] = f_zone;
        fields[n++] = f_order;
        fields[n++] = f_before;
        if (r->gain_known || a->dry_run) {
                fields[n++] = f_after;
                fields[n++] = f_ua;
        }
        fields[n++] = f_ub;
        fields[n++] = f_dry;
        fields[n++] = f_detail;
        if (r->error)
                fields[n++] = f_err;
        else if (r->kernel_outcome[0])
                fields[n++] = f_kernel;
        if (a->lever == DF_LEVER_CLEAR_KMOD || a->lever == DF_LEVER_CLEAR_OFFLINE) {
                /* Clearing: which block, and the planner's cost beside PAGES_MOVED=. */
                snprintf(f_gran, sizeof(f_gran), "GRANULARITY=%s", a->target.memory_block >= 0 ? "memory-block" : "block");
                snprintf(f_planned, sizeof(f_planned), "PLANNED_PAGES=%" PRIu64, a->planned_pages);
                snprintf(f_pfn, sizeof(f_pfn), "START_PFN=%" PRIu64, a->target.start_pfn);
                snprintf(f_nrp, sizeof(f_nrp), "NR_PAGES=%" PRIu64, a->target.nr_pages);
                snprintf(f_mb, sizeof(f_mb), "MEMORY_BLOCK=%" PRId64, a->target.memory_block);
                fields[n++] = f_gran;
                fields[n++] = f_planned;
                fields[n++] = f_pfn;
                fields[n++] = f_nrp;
                if (a->target.memory_block >= 0)
                        fields[n++] = f_mb;
        }
        if (a->lever == DF_LEVER_RECLAIM_CGROUP || a->lever == DF_LEVER_RECLAIM_NODE) {
                /* The figures by name: asked, taken (EAGAIN: RESULT=partial), and the cgroup. */
                snprintf(f_asked, sizeof(f_asked), "BYTES_ASKED=%" PRIu64, a->amount);
                snprintf(f_took, sizeof(f_took), "BYTES_RECLAIMED=%" PRIu64, r->amount_done);
                fields[n++] = f_asked;
                if (!a->dry_run)
                        fields[n++] = f_took;
                if (!a->dry_run && a->lever == DF_LEVER_RECLAIM_NODE) {
                        /* of BYTES_RECLAIMED, the node's reclaimable slab that went */
                        snprintf(f_slab, sizeof(f_slab), "BYTES_SLAB=%" PRIu64, r->slab_bytes);
                        fields[n++] = f_slab;
                }
                if (a->target.cgroup[0]) {
                        snprintf(f_cg, sizeof(f_cg), "CGROUP=%s", a->target.cgroup);
                        fields[n++] = f_cg;
                }
        }
        fields[n] = NULL;
        if (a->lever == DF_LEVER_RECLAIM_CGROUP || a->lever == DF_LEVER_RECLAIM_NODE) {
                char what[DF_CGROUP_PATH_MAX + 16];

                if (a->lever == DF_LEVER_RECLAIM_CGROUP)
                        snprintf(what, sizeof(what), "cgroup %s", a->target.cgroup[0] ? a->target.cgroup : "?");
                else
                        snprintf(what, sizeof(what), "node %d", a->target.node);
                if (a->amount == 0) /* refused before an amount was chosen */
                        snprintf(who, sizeof(who), "%s", what);
                else if (a->dry_run)
                        snprintf(who, sizeof(who), "%s (%.1f MiB)", what, (double) a->amount / (1 << 20));
                else
                        snprintf(who, sizeof(who), "%s (%.1f of %.1f MiB%s)", what, (double) r->amount_done / (1 << 20),
                                 (double) a->amount / (1 << 20), r->outcome == DF_OUTCOME_PARTIAL ? ", EAGAIN: partial" : "");
        } else if (a->lever == DF_LEVER_CLEAR_KMOD || a->lever == DF_LEVER_CLEAR_OFFLINE) {
                char mb[32] = "";

                if (a->target.memory_block >= 0)
                        snprintf(mb, sizeof(mb), " memory%" PRId64, a->target.memory_block);
                snprintf(who, sizeof(who), "node %d%s pfn %" PRIu64 "+%" PRIu64 " (%" PRIu64 " pages to move planned, %" PRIu64 " moved)",
                         a->target.node, mb, a->target.start_pfn, a->target.nr_pages, a->planned_pages, r->pages_moved);
        } else
                snprintf(who, sizeof(who), "node %d", a->target.node);

        if (a->dry_run) {
                df_log_struct(LOG_NOTICE, fields,
                              "dry run: would %s %s (%s order %d: %" PRIu64 " free blocks, target %" PRIu64
                              ", unusable index %s)",
                              name, who, a->target.zone, a->target.order, r->suitable_before,
                              a->target_high_blocks, ub);
                return;
        }
        if (r->outcome == DF_OUTCOME_INTERRUPTED || r->outcome == DF_OUTCOME_TIMEOUT) {
                df_log_struct(r->outcome == DF_OUTCOME_TIMEOUT ? LOG_WARNING : LOG_NOTICE, fields,
                              "%s %s %s after %" PRIu64 " ms (%s)", name, who,
                              r->outcome == DF_OUTCOME_TIMEOUT ? "timed out: killed" : "interrupted",
                              r->duration_usec / USEC_PER_MSEC, r->detail);
                return;
        }
        if (failed && r->error == -EAGAIN && r->amount_done == 0 && r->pages_moved == 0) {
                /* Refused before it ran (a guard, the budget, no block): the
                 * rung backs off all the same, but nothing went wrong. */
                df_log_struct(LOG_NOTICE, fields, "%s %s: %s", name, who, r->detail);
                return;
        }
        if (failed) {
                df_log_struct(LOG_ERR, fields, "%s %s failed: %s: %s", name, who, r->detail,
                              strerror(r->error < 0 ? -r->error : EIO));
                return;
        }
        if (r->gain_known)
                snprintf(after, sizeof(after), "%" PRIu64 " (%+" PRId64 ")", r->suitable_after,
                         (int64_t) r->suitable_after - (int64_t) r->suitable_before);
        else
                snprintf(after, sizeof(after), "? (gain unknown: the re-read failed)");
        snprintf(tail, sizeof(tail), "%s%s",
                 r->machine_wide ? "; whole machine (no per-node file: compact_memory)" : "",
                 (ra->kernel_stopped_early && a->lever == DF_LEVER_COMPACT_NODE) || r->outcome == DF_OUTCOME_CONTENDED ?
                 "; the kernel stopped compacting early (contended: a large folio found no free target)" : "");
        df_log_struct(level, fields,
                      "%s %s: %s order %d free blocks %" PRIu64 " -> %s, unusable index %s -> %s, %" PRIu64
                      " ms%s",
                      name, who, a->target.zone, a->target.order, r->suitable_before, after, ub,
                      r->gain_known ? ua : "?", r->duration_usec / USEC_PER_MSEC, tail);
}

void df_report_lever_opened(enum df_lever_kind k, int error, const char *reason) {
        char f_action[48], f_err[32];
        const char *fields[] = { "MESSAGE_ID=" DF_MID_LEVER_OPENED, f_action, f_err, NULL };

        assert(reason);
        snprintf(f_action, sizeof(f_action), "ACTION=%s", df_lever_kind_to_string(k));
        snprintf(f_err, sizeof(f_err), "ERRNO=%d", -error);
        if (error < 0)
                df_log_struct(LOG_WARNING, fields, "lever %s unavailable, the ladder goes without it: %s",
                              df_lever_kind_to_string(k), reason);
        else
                df_log_struct(LOG_INFO, fields, "lever %s: %s", df_lever_kind_to_string(k), reason);
}

void df_report_refaults(const struct df_reclaim_refault_record *rec, uint64_t delay_usec, unsigned limit_percent,
                        uint64_t backoff_usec) {
        char f_cg[DF_CGROUP_PATH_MAX + 16], f_bytes[48], f_ref[48], f_pct[32], f_delay[48], f_bo[24], f_bou[48],
                f_action[48];
        const char *fields[] = { "MESSAGE_ID=" DF_MID_RECLAIM_REFAULTS, f_action, f_cg, f_bytes, f_ref, f_pct,
                                 f_delay, f_bo, backoff_usec ? f_bou : NULL, NULL };

        assert(rec);
        snprintf(f_action, sizeof(f_action), "ACTION=%s", df_lever_kind_to_string(DF_LEVER_RECLAIM_CGROUP));
        snprintf(f_cg, sizeof(f_cg), "CGROUP=%s", rec->path);
        snprintf(f_bytes, sizeof(f_bytes), "BYTES_RECLAIMED=%" PRIu64, rec->reclaimed_bytes);
        snprintf(f_ref, sizeof(f_ref), "REFAULTS=%" PRIu64, rec->refault_pages);
        snprintf(f_pct, sizeof(f_pct), "REFAULT_PERCENT=%u", rec->percent);
        snprintf(f_delay, sizeof(f_delay), "DELAY_USEC=%" PRIu64, delay_usec);
        snprintf(f_bo, sizeof(f_bo), "BACKED_OFF=%d", rec->backed_off);
        snprintf(f_bou, sizeof(f_bou), "BACKOFF_USEC=%" PRIu64, backoff_usec);
        if (rec->backed_off)
                df_log_struct(LOG_NOTICE, fields,
                              "reclaim-cgroup %s: %" PRIu64 " pages refaulted within %" PRIu64 " s of %" PRIu64
                              " KiB reclaimed (%u%%, above RefaultLimitPercent=%u): not cold, left alone for %" PRIu64 " min",
                              rec->path, rec->refault_pages, delay_usec / USEC_PER_SEC, rec->reclaimed_bytes >> 10,
                              rec->percent, limit_percent, backoff_usec / (60 * USEC_PER_SEC));
        else
                df_log_struct(LOG_INFO, fields,
                              "reclaim-cgroup %s: %" PRIu64 " pages refaulted within %" PRIu64 " s of %" PRIu64
                              " KiB reclaimed (%u%%)",
                              rec->path, rec->refault_pages, delay_usec / USEC_PER_SEC, rec->reclaimed_bytes >> 10,
                              rec->percent);
}
