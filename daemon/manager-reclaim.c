/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The manager's side of the reclaim-cgroup rung: reads cgroups and the
 * planner's sample, hands the pure aim (plan/reclaim-*.c) plain data, and
 * schedules the refault reading after each reclaim. It decides nothing itself. */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "defragd/entries.h"
#include "defragd/manager-reclaim.h"
#include "defragd/memcg.h"
#include "defragd/pressure.h"
#include "defragd/util.h"

#define RECLAIM_MAX_CGROUPS 4096 /* a cgroup walk reads this many at most */

static uint64_t page_bytes(void) {
        long p = sysconf(_SC_PAGESIZE);

        return p > 0 ? (uint64_t) p : 4096;
}

static struct df_reclaim_backoff *backoff_of(struct df_manager_reclaim *r, const char *path, bool create) {
        for (size_t i = 0; i < r->n_backoff; i++)
                if (strcmp(r->backoff[i].path, path) == 0)
                        return &r->backoff[i].bo;
        if (!create)
                return NULL;
        if (r->n_backoff == DF_MANAGER_RECLAIM_BACKOFFS) {
                /* Forget the record whose rest ended longest ago (or the first). */
                size_t oldest = 0;

                for (size_t i = 1; i < r->n_backoff; i++)
                        if (r->backoff[i].bo.until_usec < r->backoff[oldest].bo.until_usec)
                                oldest = i;
                r->backoff[oldest] = r->backoff[--r->n_backoff];
        }
        memset(&r->backoff[r->n_backoff], 0, sizeof(r->backoff[0]));
        snprintf(r->backoff[r->n_backoff].path, DF_CGROUP_PATH_MAX, "%s", path);
        return &r->backoff[r->n_backoff++].bo;
}

static void set_why(struct df_manager_reclaim *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_why(struct df_manager_reclaim *r, const char *fmt, ...) {
        char why[sizeof(r->why_not)];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(why, sizeof(why), fmt, ap);
        va_end(ap);
        if (strcmp(why, r->why_not) != 0) /* said when it changes, not every evaluation */
                df_log(LOG_INFO, "reclaim-cgroup: %s", why);
        snprintf(r->why_not, sizeof(r->why_not), "%s", why);
}

/* Patterns that match no cgroup: said once each (a typo, or the service is not running). */
static void say_unmatched(struct df_manager_reclaim *r, const struct df_reclaim_conf *rc,
                          const struct df_reclaim_cgroup *all, size_t n) {
        uint64_t bits = df_reclaim_unmatched_allow(rc, all, n);

        for (unsigned i = 0; i < rc->allow.n && i < 64; i++)
                if ((bits >> i & 1) && !(r->unmatched_said >> i & 1))
                        df_log(LOG_NOTICE, "[Reclaim] Allow=%s matches no cgroup (%zu read): a typo, or not running; "
                               "the rung goes without it", rc->allow.pattern[i], n);
        r->unmatched_said = bits;
}

static void name_in_hints(const struct df_config *c, const struct df_snapshot *s, struct df_ladder_input *in,
                          const char *chosen) {
        /* memory.reclaim is not per node or zone: one choice for every watched zone. */
        for (size_t z = 0; z < s->n_zones; z++) {
                const struct df_zone *zn = &s->zones[z];
                struct df_ladder_hint *h = NULL;

                if (!df_config_node_watched(c, zn->node) || !df_config_zone_watched(c, zn->name))
                        continue;
                for (unsigned i = 0; i < in->n_hints && !h; i++)
                        if (in->hints[i].node == zn->node && strcmp(in->hints[i].zone, zn->name) == 0)
                                h = &in->hints[i];
                if (!h && in->n_hints < DF_POLICY_MAX_HINTS) {
                        h = &in->hints[in->n_hints++];
                        *h = (struct df_ladder_hint) { .node = zn->node };
                        snprintf(h->zone, sizeof(h->zone), "%s", zn->name);
                }
                if (!h)
                        continue;
                h->reclaim_candidate = chosen[0] != 0;
                snprintf(h->reclaim_cgroup, sizeof(h->reclaim_cgroup), "%s", chosen);
        }
}

void df_manager_reclaim_hints(struct df_manager_reclaim *r, struct df_manager_plan *p, const struct df_config *c,
                              const struct df_reclaim_budget *b, const struct df_snapshot *s, const char *root,
                              uint64_t now_usec, struct df_ladder_input *in) {
        _cleanup_free_ struct df_reclaim_cgroup *all = NULL, *cands = NULL;
        _cleanup_free_ struct df_reclaim_backoff *bos = NULL;
        _cleanup_free_ uint64_t *inodes = NULL;
        const struct df_reclaim_conf *rc = &c->reclaim;
        struct df_error err = { "" };
        struct df_action a = { 0 };
        size_t n = 0, nc = 0, idx = 0, n_inodes = 0;
        uint64_t t0 = df_now_usec();
        enum df_reclaim_verdict v;
        bool sample_present;
        int ret;

        assert(r && p && c && b && s && root && in);
        r->chosen[0] = 0;
        if (!r->probed) {
                char reason[200] = "";

                r->probed = true;
                if (df_memcg_probe(root, r->mount, sizeof(r->mount), reason, sizeof(reason)) < 0)
                        r->mount[0] = 0; /* the lever's open() said why, once */
                (void) df_memcg_own(root, r->own, sizeof(r->own));
        }
        if (!r->mount[0]) {
                set_why(r, "%s", "no writable cgroup2 memory controller");
                goto done;
        }
        ret = df_memcg_list(r->mount, RECLAIM_MAX_CGROUPS, &all, &n);
        if (ret < 0) {
                set_why(r, "cannot list the cgroups: %s", strerror(-ret));
                goto done;
        }
        r->n_cgroups = n;
        say_unmatched(r, rc, all, n);
        cands = calloc(n ? n : 1, sizeof(*cands));
        bos = calloc(n ? n : 1, sizeof(*bos));
        if (!cands || !bos) {
                set_why(r, "%s", "out of memory");
                goto done;
        }
        for (size_t i = 0; i < n; i++)
                if (df_reclaim_exclusion(rc, all, n, &all[i], r->own) == DF_RECLAIM_OK)
                        cands[nc++] = all[i];
        r->n_candidates = nc;
        if (nc == 0) {
                set_why(r, "%s", "no cgroup passes Allow=/Deny=, protection and own-cgroup rules");
                goto done;
        }
        /* Where their pages sit: the planner's cheapest blocks. Without it the
         * rank falls back to inactive file cache. */
        inodes = calloc(n, sizeof(*inodes));
        n_inodes = inodes ? df_reclaim_candidate_inodes(all, n, cands, nc, inodes, n) : 0;
        sample_present = df_manager_plan_reclaim_sample(p, rc->allow_anon, c->planner.max_age_usec, now_usec, inodes,
                                                        n_inodes, &r->sample, &err) >= 0;
        if (!sample_present)
                df_log(LOG_DEBUG, "reclaim-cgroup: no page sample (%s), ranking by inactive file cache, ignoring", err.msg);
        r->blocks_sampled = r->sample.blocks_sampled;
        r->blocks_passed_over = r->sample.blocks_passed_over;
        df_reclaim_assign_cheap_pages(&r->sample, all, n, cands, nc);
        df_reclaim_rank(cands, nc);
        for (size_t i = 0; i < nc; i++) {
                const struct df_reclaim_backoff *bo = backoff_of(r, cands[i].path, false);

                bos[i] = bo ? *bo : (struct df_reclaim_backoff) { 0 };
        }
        {
                bool psi_present;
                double psi = df_config_pressure_avg10(c, &s->psi, &psi_present);
                struct df_reclaim_choice_input ci = {
                        .ranked = cands, .backoff = bos, .n = nc,
                        .psi_present = psi_present,
                        .psi_some_avg10 = psi,
                        /* one page: whether anyone can be asked; the action's amount comes later */
                        .blocks_short = 1, .block_bytes = page_bytes(), .page_bytes = page_bytes(),
                        .sample_present = sample_present,
                        .view_complete = r->sample.view_blocks_read >= r->sample.view_blocks,
                };

                v = df_reclaim_choose_cgroup(rc, b, &ci, now_usec, &a, &idx);
        }
        if (v == DF_RECLAIM_SKIP_AIM_PENDING) {
                /* no counts in it: said once when it starts, status shows the planner's progress */
                set_why(r, "%s", "waiting for the planner's view: no candidate's page in the blocks it has read so far");
                goto done;
        }
        if (v != DF_RECLAIM_ACT) {
                set_why(r, "%s", v == DF_RECLAIM_SKIP_NO_CANDIDATE ?
                        "every candidate is backed off (refaults) or under its own memory pressure" :
                        df_reclaim_verdict_to_string(v));
                goto done;
        }
        snprintf(r->chosen, sizeof(r->chosen), "%s", cands[idx].path);
        r->chosen_cheap_pages = cands[idx].cheap_pages;
        r->chosen_inactive_file_bytes = cands[idx].inactive_file_bytes;
        r->why_not[0] = 0;
done:
        r->rank_cost_usec = df_now_usec() - t0;
        r->rankings++;
        name_in_hints(c, s, in, r->chosen);
}

int df_manager_reclaim_target(struct df_manager_reclaim *r, const struct df_config *c, const struct df_reclaim_budget *b,
                              const struct df_snapshot *s, struct df_action *a, uint64_t now_usec, char *why,
                              size_t why_size) {
        uint64_t blocks_short, amount, pb = page_bytes();
        bool same, psi_present;
        double psi;

        assert(r && c && b && s && a && why);
        if (!a->target.cgroup[0]) {
                snprintf(why, why_size, "cgroup reclaim not run: no cgroup chosen");
                return -ENOENT;
        }
        psi = df_config_pressure_avg10(c, &s->psi, &psi_present);
        if (df_reclaim_guard(&c->reclaim, psi_present, psi, NULL) != DF_RECLAIM_GUARD_OPEN) {
                snprintf(why, why_size, "cgroup reclaim not run: memory pressure");
                return -EAGAIN;
        }
        blocks_short = a->target_high_blocks > a->suitable_blocks ? a->target_high_blocks - a->suitable_blocks : 1;
        amount = df_reclaim_amount(&c->reclaim, b, blocks_short,
                                   (UINT64_C(1) << (a->target.order > 0 ? a->target.order : 0)) * pb, pb, now_usec);
        if (amount == 0) {
                snprintf(why, why_size, "cgroup reclaim not run: MaxReclaimPerHour= spent");
                return -EAGAIN;
        }
        a->amount = amount;
        /* what aimed it, kept after the ranking moves on (budget spent) */
        same = strcmp(r->chosen, a->target.cgroup) == 0;
        snprintf(r->last_aim.cgroup, sizeof(r->last_aim.cgroup), "%s", a->target.cgroup);
        r->last_aim.cheap_pages = same ? r->chosen_cheap_pages : 0;
        r->last_aim.inactive_file_bytes = same ? r->chosen_inactive_file_bytes : 0;
        r->last_aim.blocks_sampled = same ? r->blocks_sampled : 0;
        r->last_aim.bytes_asked = amount;
        r->last_aim.realtime_usec = df_realtime_usec();
        return 0;
}

void df_manager_reclaim_ran(struct df_manager_reclaim *r, const struct df_config *c, const struct df_action *a,
                            const struct df_action_result *res, uint64_t now_usec) {
        struct df_reclaim_cgroup cg;
        struct df_memcg_counters k;
        struct df_reclaim_followup *f;

        assert(r && c && a && res);
        if (a->lever != DF_LEVER_RECLAIM_CGROUP || a->dry_run || res->amount_done == 0 || !r->mount[0])
                return;
        if (df_memcg_read(r->mount, a->target.cgroup, &cg, &k) < 0) {
                df_log(LOG_INFO, "reclaim-cgroup: %s vanished after its reclaim: no refault reading, ignoring",
                       a->target.cgroup);
                return;
        }
        if (r->n_pending == DF_MANAGER_RECLAIM_PENDING) {
                df_log(LOG_INFO, "reclaim-cgroup: refault reading of %s dropped (%d pending), ignoring",
                       r->pending[0].path, DF_MANAGER_RECLAIM_PENDING);
                memmove(&r->pending[0], &r->pending[1], (r->n_pending - 1) * sizeof(r->pending[0]));
                r->n_pending--;
        }
        f = &r->pending[r->n_pending++];
        *f = (struct df_reclaim_followup) {
                .at_usec = now_usec,
                .reclaimed_bytes = res->amount_done,
                .refaults_before = k.refault_file + k.refault_anon,
                .delay_usec = c->reclaim.refault_delay_usec,
        };
        snprintf(f->path, sizeof(f->path), "%s", a->target.cgroup);
}

static void remember(struct df_manager_reclaim *r, const struct df_reclaim_refault_record *rec) {
        if (r->n_recent == DF_MANAGER_RECLAIM_RECENT) {
                memmove(&r->recent[0], &r->recent[1], (r->n_recent - 1) * sizeof(r->recent[0]));
                r->n_recent--;
        }
        r->recent[r->n_recent++] = *rec;
}

void df_manager_reclaim_followups(struct df_manager_reclaim *r, const struct df_config *c,
                                  struct df_metrics_lever_stats *stats, uint64_t now_usec) {
        assert(r && c && stats);
        for (size_t i = 0; i < r->n_pending;) {
                const struct df_reclaim_followup *f = &r->pending[i];
                struct df_reclaim_refault_record rec = { .realtime_usec = df_realtime_usec() };
                struct df_reclaim_cgroup cg;
                struct df_memcg_counters k;
                struct df_reclaim_backoff *bo;
                uint64_t now_refaults;

                if (!df_reclaim_followup_due(f, now_usec)) {
                        i++;
                        continue;
                }
                snprintf(rec.path, sizeof(rec.path), "%s", f->path);
                if (df_memcg_read(r->mount, f->path, &cg, &k) < 0)
                        df_log(LOG_INFO, "reclaim-cgroup: %s vanished before its refault reading, ignoring", f->path);
                else {
                        now_refaults = k.refault_file + k.refault_anon;
                        rec.reclaimed_bytes = f->reclaimed_bytes;
                        rec.refault_pages = now_refaults > f->refaults_before ? now_refaults - f->refaults_before : 0;
                        rec.percent = df_reclaim_refault_percent(f->reclaimed_bytes, rec.refault_pages, page_bytes());
                        bo = backoff_of(r, f->path, true);
                        rec.backed_off = df_reclaim_refault_verdict(&c->reclaim, f->reclaimed_bytes, rec.refault_pages,
                                                                    page_bytes(), now_usec, bo);
                        rec.backoff_until_usec = bo->until_usec;
                        r->refault_pages_total += rec.refault_pages;
                        r->followed_bytes_total += rec.reclaimed_bytes;
                        df_metrics_account_refaults(stats, DF_LEVER_RECLAIM_CGROUP, rec.refault_pages);
                        df_report_refaults(&rec, now_usec - f->at_usec, c->reclaim.refault_limit_percent,
                                           rec.backed_off ? (rec.backoff_until_usec - now_usec) : 0);
                        remember(r, &rec);
                }
                memmove(&r->pending[i], &r->pending[i + 1], (r->n_pending - i - 1) * sizeof(r->pending[0]));
                r->n_pending--;
        }
}
