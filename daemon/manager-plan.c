/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The manager's side of the planner: owns the view, reads page flags in
 * bounded slices, turns the planner's choices into ladder hints and targets. */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defragd/manager-plan.h"
#include "defragd/util.h"

static bool in_ladder(const struct df_config *c, enum df_lever_kind k) {
        for (unsigned i = 0; i < c->n_ladder && i < DF_LADDER_MAX_RUNGS; i++)
                if (c->ladder[i] == k)
                        return true;
        return false;
}

static bool rung_on(const struct df_config *c, const bool lever_present[_DF_LEVER_MAX], enum df_lever_kind k) {
        return lever_present[k] && c->levers[k].enabled && in_ladder(c, k);
}

bool df_manager_plan_wanted(const struct df_config *c, const bool lever_present[_DF_LEVER_MAX]) {
        assert(c && lever_present);
        return rung_on(c, lever_present, DF_LEVER_CLEAR_OFFLINE) || rung_on(c, lever_present, DF_LEVER_CLEAR_KMOD) ||
                df_manager_plan_wants_cgroups(c, lever_present);
}

bool df_manager_plan_wants_cgroups(const struct df_config *c, const bool lever_present[_DF_LEVER_MAX]) {
        assert(c && lever_present);
        return rung_on(c, lever_present, DF_LEVER_RECLAIM_CGROUP) && c->reclaim.enabled;
}

/* FNV-1a over what the view is built from: each zone's node, name, span and
 * present pages (offlining a block lowers present pages; removing it, or a
 * node going, the span or the zone itself). */
static uint64_t layout_of(const struct df_snapshot *s) {
        uint64_t h = UINT64_C(14695981039346656037);

        for (size_t i = 0; i < s->n_zones; i++) {
                const struct df_zone *z = &s->zones[i];
                uint64_t v[5] = { (uint64_t) z->node, z->has_zoneinfo, z->start_pfn, z->spanned_pages, z->present_pages };

                for (const char *c = z->name; *c; c++)
                        h = (h ^ (unsigned char) *c) * UINT64_C(1099511628211);
                for (size_t k = 0; k < ELEMENTSOF(v); k++)
                        h = (h ^ v[k]) * UINT64_C(1099511628211);
        }
        return h;
}

/* A new view and memory blocks into v (the blocks' history kept by id). */
static int build_view(struct df_plan_view *v, const struct df_snapshot *s, int pageblock_order,
                      const struct df_config *c, struct df_error *err) {
        const char *zones[DF_CONF_MAX_ZONES + 1];
        int r;

        for (int i = 0; i < c->n_zones && i < DF_CONF_MAX_ZONES; i++)
                zones[i] = c->zones[i];
        zones[c->n_zones < DF_CONF_MAX_ZONES ? c->n_zones : DF_CONF_MAX_ZONES] = NULL;
        r = df_plan_view_init(v, s, pageblock_order > 0 ? (unsigned) pageblock_order : 9, zones, err);
        if (r < 0)
                return r;
        /* The view watches zones by name; nodes the config leaves out are not read. */
        for (size_t z = 0; z < v->n_zones; z++)
                if (!df_config_node_watched(c, v->zones[z].node))
                        v->zones[z].watched = false;
        return 0;
}

int df_manager_plan_start(struct df_manager_plan *p, const struct df_snapshot *s, int pageblock_order,
                          const struct df_config *c, bool want_cgroups, const char *root, struct df_error *err) {
        int r;

        assert(p && s && c && err);
        memset(p, 0, sizeof(*p));
        p->kpf.fd_flags = p->kpf.fd_cgroup = -1;
        p->pageblock_order = pageblock_order;
        p->layout = layout_of(s);
        snprintf(p->root, sizeof(p->root), "%s", root ? root : "");
        r = build_view(&p->view, s, pageblock_order, c, err);
        if (r >= 0)
                r = df_plan_view_read_memblocks(&p->view, root, err);
        if (r >= 0)
                r = df_kpageflags_open(&p->kpf, root, want_cgroups, err);
        if (r >= 0) {
                p->scratch = malloc(sizeof(*p->scratch));
                if (!p->scratch)
                        r = df_error_set(err, -ENOMEM, "planner: out of memory");
        }
        if (r < 0) {
                snprintf(p->reason, sizeof(p->reason), "%.190s", err->msg);
                df_manager_plan_stop(p);
                return r;
        }
        p->on = true;
        p->cgroups = want_cgroups;
        return 0;
}

void df_manager_plan_stop(struct df_manager_plan *p) {
        assert(p);
        if (p->kpf.fd_flags >= 0 || p->kpf.fd_cgroup >= 0)
                df_kpageflags_close(&p->kpf);
        p->kpf.fd_flags = p->kpf.fd_cgroup = -1;
        df_plan_view_clear(&p->view);
        free(p->scratch);
        p->scratch = NULL;
        p->on = false;
}

static int tick_failed(struct df_manager_plan *p, int r) {
        p->tick_failures++;
        return r;
}

uint64_t df_manager_plan_slice_pages(const struct df_plan_zone *z, uint64_t slice_pages, uint64_t interval_usec,
                                     uint64_t max_age_usec, bool idle) {
        uint64_t span, polls, need;

        assert(z);
        if (!idle || max_age_usec == 0 || interval_usec == 0 || z->last_pass_usec == 0)
                return slice_pages; /* short, any age, or the first sweep of this zone is not done */
        span = z->end_pfn - z->start_pfn;
        polls = max_age_usec / 4 * 3 / interval_usec;
        if (polls == 0)
                return slice_pages;
        need = span / polls + (span % polls != 0);
        if (need < DF_MANAGER_PLAN_MIN_SLICE)
                need = DF_MANAGER_PLAN_MIN_SLICE;
        return need < slice_pages ? need : slice_pages;
}

bool df_manager_plan_slice_due(uint64_t last_usec, uint64_t interval_usec, uint64_t now_usec) {
        return last_usec == 0 || now_usec < last_usec || now_usec - last_usec >= interval_usec / 4 * 3;
}

int df_manager_plan_tick(struct df_manager_plan *p, const struct df_snapshot *s, const struct df_config *c,
                         uint64_t now_usec, struct df_error *err) {
        uint64_t t0 = df_now_usec(), layout;
        _cleanup_free_ uint64_t *zone_pages = NULL;
        int said = 0, r;
        int64_t n;

        assert(p && s && c && err);
        if (!p->on)
                return 0;
        layout = layout_of(s);
        if (layout != p->layout) {
                struct df_plan_view nv;

                r = build_view(&nv, s, p->pageblock_order, c, err);
                if (r >= 0) {
                        /* Moved over so that df_plan_view_set_memblocks keeps each block's history. */
                        nv.memblocks = p->view.memblocks;
                        nv.history = p->view.history;
                        nv.n_memblocks = p->view.n_memblocks;
                        p->view.memblocks = NULL;
                        p->view.history = NULL;
                        p->view.n_memblocks = 0;
                        r = df_plan_view_read_memblocks(&nv, p->root, err);
                        if (r < 0) {
                                /* Back as it was: the old view ages until a read works. */
                                p->view.memblocks = nv.memblocks;
                                p->view.history = nv.history;
                                p->view.n_memblocks = nv.n_memblocks;
                                nv.memblocks = NULL;
                                nv.history = NULL;
                                df_plan_view_clear(&nv);
                        }
                }
                if (r < 0)
                        return tick_failed(p, r);
                df_plan_view_clear(&p->view);
                p->view = nv;
                p->layout = layout;
                p->rebuilds++;
                said = df_error_set(err, 1, "the zones changed (memory hotplug or a node going): %zu zones, %zu memory"
                                    " blocks read anew, every block unread until the sweep reaches it",
                                    p->view.n_zones, p->view.n_memblocks);
        }
        df_plan_view_update_zones(&p->view, s);
        if (!said && !df_manager_plan_slice_due(p->last_refresh_usec, c->poll_interval_usec, now_usec)) {
                p->slices_skipped++;
                return 0;
        }
        zone_pages = calloc(p->view.n_zones ? p->view.n_zones : 1, sizeof(*zone_pages));
        if (!zone_pages)
                return tick_failed(p, df_error_set(err, -ENOMEM, "planner: out of memory"));
        p->last_slice_pages = 0;
        for (size_t z = 0; z < p->view.n_zones; z++) {
                zone_pages[z] = df_manager_plan_slice_pages(&p->view.zones[z], c->planner.slice_pages,
                                                            c->poll_interval_usec, c->planner.max_age_usec, p->idle);
                if (p->view.zones[z].watched)
                        p->last_slice_pages += zone_pages[z];
        }
        n = df_plan_refresh(&p->view, &p->kpf, c->planner.slice_pages, zone_pages, now_usec, err);
        p->last_refresh_usec = now_usec;
        p->last_refresh_cost_usec = df_now_usec() - t0;
        if (n < 0)
                return tick_failed(p, (int) n);
        p->pages_read += (uint64_t) n;
        if (p->tick_failures > 0 && !said)
                said = df_error_set(err, 1, "reading again after %u failed evaluations", p->tick_failures);
        p->tick_failures = 0;
        return said;
}

/* Aligned blocks of the view's order an action needs: its deficit of order
 * `order` blocks, converted; at least one. */
static uint64_t want_blocks(const struct df_action *a, unsigned block_order) {
        uint64_t deficit = a->target_high_blocks > a->suitable_blocks ? a->target_high_blocks - a->suitable_blocks : 1;
        int shift = a->target.order - (int) block_order;

        if (shift >= 0)
                return shift >= 40 ? UINT64_C(1) << 40 : deficit << shift;
        return (deficit + (UINT64_C(1) << -shift) - 1) >> -shift;
}

void df_manager_plan_request(const struct df_config *c, enum df_lever_kind lever, const struct df_action *a,
                             unsigned block_order, uint64_t now_usec, struct df_plan_request *req) {
        bool kmod = lever == DF_LEVER_CLEAR_KMOD;

        assert(c && req);
        *req = (struct df_plan_request) {
                .granularity = kmod ? DF_PLAN_BLOCK : DF_PLAN_MEMBLOCK,
                /* the module clears one block per action: the cheapest */
                .want_blocks = a && !kmod ? want_blocks(a, block_order) : 1,
                .budget_pages = kmod ? c->clear_kmod.max_pages_per_action : c->clear_offline.max_pages_per_action,
                .max_age_usec = c->planner.max_age_usec,
                .allow_hypervisor = c->clear_offline.allow_hypervisor,
                .now_usec = now_usec,
        };
}

/* One rung's view of zone z: candidates within its budget, cheapest cost. */
static bool rung_hint(struct df_manager_plan *p, const struct df_config *c, enum df_lever_kind k, size_t z,
                      uint64_t now_usec, uint64_t *candidates, uint64_t *min_cost) {
        struct df_plan_request req;

        df_manager_plan_request(c, k, NULL, p->view.block_order, now_usec, &req);
        if (df_plan_choose(&p->view, z, &req, p->scratch) < 0 || p->scratch->n_chosen == 0)
                return false;
        if (*candidates == 0 || p->scratch->chosen[0].cost_pages < *min_cost)
                *min_cost = p->scratch->chosen[0].cost_pages;
        *candidates += p->scratch->candidates;
        return true;
}

void df_manager_plan_hints(struct df_manager_plan *p, const struct df_config *c, uint64_t now_usec,
                           struct df_ladder_input *in) {
        assert(p && c && in);
        if (!p->on)
                return;
        for (size_t z = 0; z < p->view.n_zones && in->n_hints < DF_POLICY_MAX_HINTS; z++) {
                const struct df_plan_zone *pz = &p->view.zones[z];
                struct df_ladder_hint *h;
                uint64_t candidates = 0, min_cost = 0;

                if (!pz->watched)
                        continue;
                /* Within each rung's budget: what it would really get. */
                if (rung_on(c, in->lever_present, DF_LEVER_CLEAR_KMOD))
                        rung_hint(p, c, DF_LEVER_CLEAR_KMOD, z, now_usec, &candidates, &min_cost);
                if (rung_on(c, in->lever_present, DF_LEVER_CLEAR_OFFLINE))
                        rung_hint(p, c, DF_LEVER_CLEAR_OFFLINE, z, now_usec, &candidates, &min_cost);
                h = &in->hints[in->n_hints++];
                *h = (struct df_ladder_hint) { .node = pz->node, .clear_candidates = candidates,
                                               .clear_min_cost_pages = min_cost };
                snprintf(h->zone, sizeof(h->zone), "%s", pz->name);
        }
}

int df_manager_plan_target(struct df_manager_plan *p, const struct df_config *c, uint64_t now_usec,
                           struct df_action *a, char *why, size_t why_size) {
        struct df_plan_request req;
        int order;

        assert(p && c && a && why);
        if (!p->on) {
                snprintf(why, why_size, "planner off: %s", p->reason);
                return -ENOENT;
        }
        for (size_t z = 0; z < p->view.n_zones; z++) {
                const struct df_plan_zone *pz = &p->view.zones[z];

                if (pz->node != a->target.node || strcmp(pz->name, a->target.zone) != 0)
                        continue;
                df_manager_plan_request(c, a->lever, a, p->view.block_order, now_usec, &req);
                if (df_plan_choose(&p->view, z, &req, p->scratch) < 0 || p->scratch->n_chosen == 0) {
                        snprintf(why, why_size,
                                 "no %s within MaxPagesPerAction=%" PRIu64 " (candidates %" PRIu64
                                 ", cooling %" PRIu64 ", unsafe %" PRIu64 ", unread %" PRIu64 ")",
                                 a->lever == DF_LEVER_CLEAR_KMOD ? "aligned block" : "memory block",
                                 req.budget_pages, p->scratch->candidates, p->scratch->skipped_cooling,
                                 p->scratch->skipped_unsafe, p->scratch->skipped_unread);
                        return -ENOENT;
                }
                order = a->target.order; /* the gain is measured where the shortage is */
                df_plan_fill_action(&p->view, &p->scratch->chosen[0], a);
                a->target.order = order;
                return 0;
        }
        snprintf(why, why_size, "node %d zone %s is not in the planner's view", a->target.node, a->target.zone);
        return -ENOENT;
}

/* A cleared range is not what the view says any more: its blocks count as
 * unread (not chosen again) until the sweep reads them. */
static void forget_range(struct df_plan_view *v, uint64_t pfn, uint64_t n_pages) {
        for (size_t z = 0; z < v->n_zones; z++) {
                struct df_plan_zone *pz = &v->zones[z];

                for (size_t i = 0; i < pz->n_blocks; i++) {
                        uint64_t b = pz->first_block_pfn + ((uint64_t) i << v->block_order);

                        if (b >= pfn && b < pfn + n_pages)
                                pz->blocks[i].read_usec = 0;
                }
        }
}

void df_manager_plan_outcome(struct df_manager_plan *p, const struct df_action *a, const struct df_action_result *r,
                             uint64_t now_usec) {
        assert(p && a && r);
        if (!p->on || (a->lever != DF_LEVER_CLEAR_OFFLINE && a->lever != DF_LEVER_CLEAR_KMOD) ||
            r->outcome == DF_OUTCOME_DRY_RUN || r->outcome == DF_OUTCOME_INTERRUPTED)
                return;
        if (a->lever == DF_LEVER_CLEAR_OFFLINE && a->target.memory_block >= 0)
                df_plan_memblock_outcome(&p->view, a->target.memory_block, r->error, now_usec);
        if (r->error == 0)
                forget_range(&p->view, a->target.start_pfn, a->target.nr_pages);
}

void df_manager_plan_status(const struct df_manager_plan *p, uint64_t now_usec, struct df_manager_plan_status *out) {
        assert(p && out);
        memset(out, 0, sizeof(*out));
        out->on = p->on;
        snprintf(out->reason, sizeof(out->reason), "%s", p->reason);
        if (!p->on)
                return;
        out->memblock_pages = p->view.memblock_pages;
        out->n_memblocks = p->view.n_memblocks;
        out->last_refresh_cost_usec = p->last_refresh_cost_usec;
        out->pages_read = p->pages_read;
        out->slices_skipped = p->slices_skipped;
        out->last_slice_pages = p->last_slice_pages;
        for (size_t z = 0; z < p->view.n_zones && out->n_zones < DF_MANAGER_PLAN_MAX_ZONES; z++)
                if (p->view.zones[z].watched)
                        df_plan_summarize(&p->view, z, now_usec, &out->zones[out->n_zones++]);
}

int df_manager_plan_reclaim_sample(struct df_manager_plan *p, bool allow_anon, uint64_t max_age_usec,
                                   uint64_t now_usec, const uint64_t *inodes, size_t n_inodes,
                                   struct df_reclaim_sample *s, struct df_error *err) {
        struct df_reclaim_block_ref refs[DF_RECLAIM_PICK_READ_MAX];
        uint64_t block_pages, *flags = NULL, *cg = NULL;
        uint64_t t0 = df_now_usec();
        size_t n;
        int r = 0;

        assert(p && s && err);
        assert(inodes || n_inodes == 0);
        memset(s, 0, sizeof(*s));
        if (!p->on || p->kpf.fd_cgroup < 0)
                return df_error_set(err, -ENOENT, "planner: %s",
                                    !p->on ? p->reason : "no /proc/kpagecgroup (kernel without CONFIG_MEMCG?)");
        block_pages = UINT64_C(1) << p->view.block_order;
        for (size_t z = 0; z < p->view.n_zones; z++)
                if (p->view.zones[z].watched) {
                        s->view_blocks += p->view.zones[z].n_blocks;
                        s->view_blocks_read += df_plan_zone_blocks_read(&p->view.zones[z]);
                }
        /* Which blocks: the view's counts, no read; then only those blocks' pages.
         * The view does not know owners: the zone's cheapest blocks may all
         * hold other cgroups' cache (the guest's: the test runner's, the
         * root's), so blocks no candidate holds a page in are read and passed
         * over, down the cost order, within DF_RECLAIM_PICK_READ_MAX reads. */
        n = df_reclaim_cheap_blocks(&p->view, allow_anon, max_age_usec, now_usec,
                                    n_inodes ? DF_RECLAIM_PICK_READ_MAX : DF_RECLAIM_CHEAP_MAX, refs);
        flags = malloc(block_pages * sizeof(*flags));
        cg = malloc(block_pages * sizeof(*cg));
        if (!flags || !cg)
                r = df_error_set(err, -ENOMEM, "planner: out of memory");
        for (size_t i = 0; r >= 0 && i < n && s->n_cheap < DF_RECLAIM_CHEAP_MAX; i++) {
                r = df_kpageflags_read(&p->kpf, refs[i].start_pfn, block_pages, flags, cg, err);
                if (r < 0)
                        break;
                if (n_inodes && df_reclaim_block_candidate_pages(flags, cg, block_pages, inodes, n_inodes, allow_anon) == 0) {
                        s->blocks_passed_over++;
                        s->pages_read += block_pages;
                        continue;
                }
                df_block_classify(refs[i].start_pfn, flags, block_pages, &s->cheap[s->n_cheap++]);
                df_reclaim_sample_from_inodes(s, flags, cg, block_pages, allow_anon);
        }
        free(flags);
        free(cg);
        p->last_cgroup_sample_cost_usec = df_now_usec() - t0;
        return r < 0 ? r : 0;
}
