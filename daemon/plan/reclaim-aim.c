/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The aim of targeted reclaim, pure: which cgroups may be asked (Allow=,
 * Deny=, protection, defragd itself), their order, the amount, the guard, the budget. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defragd/reclaim.h"
#include "defragd/util.h"

#define HOUR_USEC (3600 * USEC_PER_SEC)

void df_reclaim_conf_defaults(struct df_reclaim_conf *c) {
        assert(c);
        memset(c, 0, sizeof(*c));
        c->enabled = false;
        c->max_per_action_bytes = UINT64_C(64) << 20;
        c->max_per_hour_bytes = UINT64_C(512) << 20;
        c->allow_anon = false;
        c->pressure_limit_percent = 5;
        c->cgroup_pressure_limit_percent = 5;
        c->refault_limit_percent = 25;
        c->refault_delay_usec = DF_RECLAIM_REFAULT_DELAY_USEC;
        c->node_reclaim = false;
        c->node_min_unmapped_ratio = 0;
}

/* ---- patterns ---- */

/* Length without trailing slashes ("/" stays "/"). */
static size_t trimmed_len(const char *s) {
        size_t n = strlen(s);

        while (n > 1 && s[n - 1] == '/')
                n--;
        return n;
}

bool df_reclaim_pattern_match(const char *pattern, const char *path) {
        return df_conf_glob_match(pattern, path); /* one semantics for every cgroup pattern */
}

int df_reclaim_pattern_check(const char *pattern, char *why, size_t why_size) {
        const char *s;

        assert(pattern);
        assert(why);
        if (pattern[0] != '/') {
                snprintf(why, why_size, "not an absolute cgroup path");
                return -1;
        }
        if (strlen(pattern) >= DF_RECLAIM_PATTERN_MAX) {
                snprintf(why, why_size, "longer than %d characters", DF_RECLAIM_PATTERN_MAX - 1);
                return -1;
        }
        for (s = pattern; (s = strstr(s, "/.")); s++)
                if (s[2] == 0 || s[2] == '/' || (s[2] == '.' && (s[3] == 0 || s[3] == '/'))) {
                        snprintf(why, why_size, "has a \".\" or \"..\" component");
                        return -1;
                }
        return 0;
}

/* ---- candidates ---- */

const char *df_reclaim_exclusion_to_string(enum df_reclaim_exclusion e) {
        static const char *const names[_DF_RECLAIM_EXCLUSION_MAX] = {
                [DF_RECLAIM_OK] = "candidate",
                [DF_RECLAIM_NOT_ALLOWED] = "not allowed",
                [DF_RECLAIM_DENIED] = "denied",
                [DF_RECLAIM_OWN] = "defragd's own",
                [DF_RECLAIM_PROTECTED] = "protected",
                [DF_RECLAIM_BACKED_OFF] = "backed off",
                [DF_RECLAIM_UNDER_PRESSURE] = "under pressure",
                [DF_RECLAIM_EMPTY] = "no file cache",
        };
        return e >= 0 && e < _DF_RECLAIM_EXCLUSION_MAX ? names[e] : "?";
}

/* a is b or above it. */
static bool is_ancestor_or_self(const char *a, const char *b) {
        size_t na = trimmed_len(a), nb = trimmed_len(b);

        if (na == 1 && a[0] == '/')
                return true;
        return na <= nb && strncmp(a, b, na) == 0 && (nb == na || b[na] == '/');
}

/* b is strictly below a. */
static bool is_below(const char *a, const char *b) {
        return is_ancestor_or_self(a, b) && trimmed_len(a) != trimmed_len(b);
}

static bool matches_any(const struct df_conf_globs *g, const char *path) {
        return df_conf_globs_match(g, path);
}

/* Deny= covers the path and everything below a denied cgroup. */
static bool denied(const struct df_reclaim_conf *conf, const char *path) {
        char p[DF_CGROUP_PATH_MAX];
        size_t n = trimmed_len(path);

        if (n >= sizeof(p))
                return true;
        memcpy(p, path, n);
        p[n] = 0;
        for (;;) {
                char *slash;

                if (matches_any(&conf->deny, p))
                        return true;
                slash = strrchr(p, '/');
                if (!slash || slash == p)
                        break;
                *slash = 0;
        }
        return matches_any(&conf->deny, "/");
}

static bool protected(const struct df_reclaim_cgroup *cg) {
        uint64_t protection = cg->min_bytes > cg->low_bytes ? cg->min_bytes : cg->low_bytes;

        return protection > 0 && protection >= cg->current_bytes;
}

enum df_reclaim_exclusion df_reclaim_exclusion(const struct df_reclaim_conf *conf,
                                               const struct df_reclaim_cgroup *all, size_t n,
                                               const struct df_reclaim_cgroup *cg, const char *own_cgroup) {
        assert(conf);
        assert(all || n == 0);
        assert(cg);

        if (!matches_any(&conf->allow, cg->path))
                return DF_RECLAIM_NOT_ALLOWED;
        if (denied(conf, cg->path))
                return DF_RECLAIM_DENIED;
        if (own_cgroup && *own_cgroup && (is_ancestor_or_self(cg->path, own_cgroup) || is_ancestor_or_self(own_cgroup, cg->path)))
                return DF_RECLAIM_OWN;
        /* The subtree: a reclaim of cg reaches every cgroup below it. The
         * operator's Deny= is named first, then the kernel's protection. */
        for (size_t i = 0; i < n; i++)
                if (is_below(cg->path, all[i].path) && denied(conf, all[i].path))
                        return DF_RECLAIM_DENIED;
        if (protected(cg))
                return DF_RECLAIM_PROTECTED;
        for (size_t i = 0; i < n; i++)
                if (is_below(cg->path, all[i].path) && protected(&all[i]))
                        return DF_RECLAIM_PROTECTED;
        if (cg->file_bytes == 0 && cg->inactive_file_bytes == 0 && !conf->allow_anon)
                return DF_RECLAIM_EMPTY;
        return DF_RECLAIM_OK;
}

static int rank_cmp(const void *x, const void *y) {
        const struct df_reclaim_cgroup *a = x, *b = y;

        if (a->cheap_pages != b->cheap_pages)
                return a->cheap_pages > b->cheap_pages ? -1 : 1;
        if (a->inactive_file_bytes != b->inactive_file_bytes)
                return a->inactive_file_bytes > b->inactive_file_bytes ? -1 : 1;
        return strcmp(a->path, b->path);
}

void df_reclaim_rank(struct df_reclaim_cgroup *cgs, size_t n) {
        assert(cgs || n == 0);
        if (n > 1)
                qsort(cgs, n, sizeof(*cgs), rank_cmp);
}

/* ---- amount and budget ---- */

uint64_t df_reclaim_budget_used(const struct df_reclaim_budget *b, uint64_t now_usec) {
        uint64_t sum = 0;

        assert(b);
        for (size_t i = 0; i < b->n; i++)
                if (b->done[i].at_usec + HOUR_USEC > now_usec)
                        sum += b->done[i].bytes;
        return sum;
}

uint64_t df_reclaim_amount(const struct df_reclaim_conf *conf, const struct df_reclaim_budget *b,
                           uint64_t blocks_short, uint64_t block_bytes, uint64_t page_bytes, uint64_t now_usec) {
        uint64_t want, used, left;

        assert(conf);
        assert(b);
        if (blocks_short == 0 || block_bytes == 0 || page_bytes == 0)
                return 0;
        want = blocks_short > UINT64_MAX / block_bytes ? UINT64_MAX : blocks_short * block_bytes;
        if (want > conf->max_per_action_bytes)
                want = conf->max_per_action_bytes;
        used = df_reclaim_budget_used(b, now_usec);
        left = used >= conf->max_per_hour_bytes ? 0 : conf->max_per_hour_bytes - used;
        if (want > left)
                want = left;
        return want / page_bytes * page_bytes;
}

void df_reclaim_budget_add(struct df_reclaim_budget *b, uint64_t now_usec, uint64_t bytes) {
        size_t keep = 0;

        assert(b);
        /* Drop what left the hour; if still full, the oldest goes (it is the
         * first to leave the window anyway, so the sum errs on the high side
         * only by merging it into the next one). */
        for (size_t i = 0; i < b->n; i++)
                if (b->done[i].at_usec + HOUR_USEC > now_usec)
                        b->done[keep++] = b->done[i];
        b->n = keep;
        if (b->n == DF_RECLAIM_HISTORY) {
                b->done[1].bytes += b->done[0].bytes;
                memmove(&b->done[0], &b->done[1], (b->n - 1) * sizeof(b->done[0]));
                b->n--;
        }
        b->done[b->n].at_usec = now_usec;
        b->done[b->n].bytes = bytes;
        b->n++;
}

/* ---- guard ---- */

enum df_reclaim_guard df_reclaim_guard(const struct df_reclaim_conf *conf, bool psi_present, double psi_some_avg10,
                                       const struct df_reclaim_cgroup *cg) {
        assert(conf);
        if (conf->pressure_limit_percent > 0 && (!psi_present || psi_some_avg10 > conf->pressure_limit_percent))
                return DF_RECLAIM_GUARD_PSI;
        if (cg && conf->cgroup_pressure_limit_percent > 0 && cg->has_pressure &&
            cg->pressure_some_avg10 > conf->cgroup_pressure_limit_percent)
                return DF_RECLAIM_GUARD_CGROUP_PSI;
        return DF_RECLAIM_GUARD_OPEN;
}

/* ---- refault cost ---- */

bool df_reclaim_followup_due(const struct df_reclaim_followup *f, uint64_t now_usec) {
        assert(f);
        return now_usec >= f->at_usec + (f->delay_usec ? f->delay_usec : DF_RECLAIM_REFAULT_DELAY_USEC);
}

unsigned df_reclaim_refault_percent(uint64_t reclaimed_bytes, uint64_t refault_pages, uint64_t page_bytes) {
        uint64_t reclaimed_pages = page_bytes ? reclaimed_bytes / page_bytes : 0;

        if (reclaimed_pages == 0)
                return refault_pages ? 1000 : 0;
        if (refault_pages >= reclaimed_pages * 10)
                return 1000;
        return (unsigned) (refault_pages * 100 / reclaimed_pages);
}

bool df_reclaim_refault_verdict(const struct df_reclaim_conf *conf, uint64_t reclaimed_bytes, uint64_t refault_pages,
                                uint64_t page_bytes, uint64_t now_usec, struct df_reclaim_backoff *bo) {
        uint64_t rest;

        assert(conf);
        assert(bo);
        if (conf->refault_limit_percent == 0 ||
            df_reclaim_refault_percent(reclaimed_bytes, refault_pages, page_bytes) <= conf->refault_limit_percent) {
                bo->level = 0;
                bo->until_usec = 0;
                return false;
        }
        rest = DF_RECLAIM_BACKOFF_BASE_USEC;
        for (unsigned i = 0; i < bo->level && rest < DF_RECLAIM_BACKOFF_MAX_USEC; i++)
                rest *= 2;
        if (rest > DF_RECLAIM_BACKOFF_MAX_USEC)
                rest = DF_RECLAIM_BACKOFF_MAX_USEC;
        bo->level++;
        bo->until_usec = now_usec + rest;
        return true;
}

/* ---- request text ---- */

void df_reclaim_request_format(uint64_t bytes, bool swappiness0, char *buf, size_t size) {
        assert(buf);
        snprintf(buf, size, "%llu%s", (unsigned long long) bytes, swappiness0 ? " swappiness=0" : "");
}

/* ---- the rung's decision ---- */

const char *df_reclaim_verdict_to_string(enum df_reclaim_verdict v) {
        static const char *const names[_DF_RECLAIM_VERDICT_MAX] = {
                [DF_RECLAIM_ACT] = "reclaim",
                [DF_RECLAIM_SKIP_DISABLED] = "disabled",
                [DF_RECLAIM_SKIP_GUARD] = "memory pressure",
                [DF_RECLAIM_SKIP_BUDGET] = "hourly budget spent",
                [DF_RECLAIM_SKIP_NO_CANDIDATE] = "no candidate cgroup",
                [DF_RECLAIM_SKIP_AIM_PENDING] = "waiting for the planner's view",
        };
        return v >= 0 && v < _DF_RECLAIM_VERDICT_MAX ? names[v] : "?";
}

enum df_reclaim_verdict df_reclaim_choose_cgroup(const struct df_reclaim_conf *conf, const struct df_reclaim_budget *b,
                                                 const struct df_reclaim_choice_input *in, uint64_t now_usec,
                                                 struct df_action *a, size_t *ret_index) {
        uint64_t amount;

        assert(conf);
        assert(b);
        assert(in);
        assert(a);
        if (!conf->enabled)
                return DF_RECLAIM_SKIP_DISABLED;
        if (df_reclaim_guard(conf, in->psi_present, in->psi_some_avg10, NULL) != DF_RECLAIM_GUARD_OPEN)
                return DF_RECLAIM_SKIP_GUARD;
        amount = df_reclaim_amount(conf, b, in->blocks_short, in->block_bytes, in->page_bytes, now_usec);
        if (amount == 0)
                return in->blocks_short ? DF_RECLAIM_SKIP_BUDGET : DF_RECLAIM_SKIP_NO_CANDIDATE;
        if (in->sample_present && !in->view_complete) {
                bool seen = false;

                for (size_t i = 0; i < in->n && !seen; i++)
                        seen = in->ranked[i].cheap_pages > 0;
                if (!seen)
                        return DF_RECLAIM_SKIP_AIM_PENDING;
        }
        for (size_t i = 0; i < in->n; i++) {
                if (in->backoff && df_reclaim_backed_off(&in->backoff[i], now_usec))
                        continue;
                if (df_reclaim_guard(conf, in->psi_present, in->psi_some_avg10, &in->ranked[i]) != DF_RECLAIM_GUARD_OPEN)
                        continue;
                a->lever = DF_LEVER_RECLAIM_CGROUP;
                snprintf(a->target.cgroup, sizeof(a->target.cgroup), "%s", in->ranked[i].path);
                a->amount = amount;
                if (ret_index)
                        *ret_index = i;
                return DF_RECLAIM_ACT;
        }
        return DF_RECLAIM_SKIP_NO_CANDIDATE;
}

enum df_reclaim_verdict df_reclaim_choose_node(const struct df_reclaim_conf *conf, const struct df_reclaim_budget *b,
                                               const struct df_reclaim_choice_input *in, int node, uint64_t now_usec,
                                               struct df_action *a) {
        uint64_t amount;

        assert(conf);
        assert(b);
        assert(in);
        assert(a);
        if (!conf->enabled || !conf->node_reclaim)
                return DF_RECLAIM_SKIP_DISABLED;
        if (df_reclaim_guard(conf, in->psi_present, in->psi_some_avg10, NULL) != DF_RECLAIM_GUARD_OPEN)
                return DF_RECLAIM_SKIP_GUARD;
        amount = df_reclaim_amount(conf, b, in->blocks_short, in->block_bytes, in->page_bytes, now_usec);
        if (amount == 0)
                return DF_RECLAIM_SKIP_BUDGET;
        a->lever = DF_LEVER_RECLAIM_NODE;
        a->target.node = node;
        a->amount = amount;
        return DF_RECLAIM_ACT;
}

uint64_t df_reclaim_unmatched_allow(const struct df_reclaim_conf *conf, const struct df_reclaim_cgroup *all, size_t n) {
        uint64_t unmatched = 0;

        assert(conf);
        assert(all || n == 0);
        for (unsigned p = 0; p < conf->allow.n && p < 64; p++) {
                bool hit = false;

                for (size_t i = 0; i < n && !hit; i++)
                        hit = df_reclaim_pattern_match(conf->allow.pattern[p], all[i].path);
                if (!hit)
                        unmatched |= UINT64_C(1) << p;
        }
        return unmatched;
}

enum df_lever_kind df_reclaim_rung(const struct df_reclaim_conf *conf, int fragmentation_index,
                                   bool compaction_contended, bool compaction_gained_nothing,
                                   bool cgroup_lever_usable, bool node_lever_usable) {
        /* -1000: a block of the order is free; above 500: the failure is
         * about fragmentation (compaction's job); [0, 500]: about free memory. */
        bool lacks_free = fragmentation_index >= 0 && fragmentation_index <= 500;

        assert(conf);
        if (!conf->enabled || !(lacks_free || compaction_contended || compaction_gained_nothing))
                return DF_LEVER_NONE;
        if (cgroup_lever_usable && conf->allow.n > 0)
                return DF_LEVER_RECLAIM_CGROUP;
        if (lacks_free && conf->node_reclaim && node_lever_usable)
                return DF_LEVER_RECLAIM_NODE;
        return DF_LEVER_NONE;
}
