/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Choosing blocks to clear (pure): the cheapest feasible blocks that reach
 * the target within the budget, the lower bound on pages to move, the
 * offlining rung's safety rules and its memory of refusals. */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defragd/plan.h"
#include "defragd/util.h"

static bool fresh(uint64_t read_usec, const struct df_plan_request *req) {
        if (read_usec == 0)
                return false;
        return req->max_age_usec == 0 || req->now_usec <= read_usec || req->now_usec - read_usec <= req->max_age_usec;
}

/* Cheapest per block gained first; equal ratios: cheaper, then lower pfn
 * (a stable order makes plans reproducible). */
static int cmp_candidates(const void *a, const void *b) {
        const struct df_plan_candidate *x = a, *y = b;
        uint64_t lx = x->cost_pages * y->gain_blocks;
        uint64_t ly = y->cost_pages * x->gain_blocks;

        if (lx != ly)
                return lx < ly ? -1 : 1;
        if (x->cost_pages != y->cost_pages)
                return x->cost_pages < y->cost_pages ? -1 : 1;
        return x->start_pfn < y->start_pfn ? -1 : x->start_pfn > y->start_pfn;
}

static size_t memblocks_online_in(const struct df_memblock_info *mbs, size_t n_mbs, int node, const char *zone,
                                  size_t except) {
        size_t n = 0;

        for (size_t i = 0; i < n_mbs; i++)
                if (i != except && mbs[i].online && mbs[i].node == node && (!zone || strcmp(mbs[i].zone, zone) == 0))
                        n++;
        return n;
}

bool df_memblock_offline_safe(const struct df_memblock_info *mbs, size_t n, size_t i, uint64_t zone_free_pages,
                              uint64_t zone_high_pages, bool allow_hypervisor, char *why, size_t why_size) {
        const struct df_memblock_info *m;

        assert(mbs || n == 0);
        assert(why || why_size == 0);
#define REFUSE(...) do { if (why_size) snprintf(why, why_size, __VA_ARGS__); return false; } while (0)
        if (i >= n)
                REFUSE("no such memory block");
        m = &mbs[i];
        if (!m->online)
                REFUSE("memory%" PRId64 " is offline", m->id);
        if (!m->zone[0])
                REFUSE("memory%" PRId64 " spans zones", m->id);
        if (m->hypervisor_managed && !allow_hypervisor)
                REFUSE("memory%" PRId64 " is managed by %s (not allowed by the configuration)", m->id,
                       m->manager[0] ? m->manager : "a hypervisor driver");
        if (memblocks_online_in(mbs, n, m->node, m->zone, i) == 0)
                REFUSE("memory%" PRId64 " is the last online block of zone %s on node %d", m->id, m->zone, m->node);
        if (memblocks_online_in(mbs, n, m->node, NULL, i) == 0)
                REFUSE("memory%" PRId64 " is the last online block of node %d", m->id, m->node);
        /* While offline the block's pages are gone from the zone and its used
         * pages took free pages elsewhere: keep the high watermark plus two
         * blocks of slack after losing the block itself. */
        if (zone_free_pages < m->nr_pages || zone_free_pages - m->nr_pages < zone_high_pages + 2 * m->nr_pages)
                REFUSE("zone %s of node %d: %" PRIu64 " free pages; offlining memory%" PRId64
                       " needs the high watermark (%" PRIu64 ") plus three blocks (%" PRIu64 ")",
                       m->zone, m->node, zone_free_pages, m->id, zone_high_pages, 3 * m->nr_pages);
        return true;
}

bool df_plan_memblock_allowed(const struct df_plan_view *v, size_t mb, const struct df_plan_request *req,
                              char *why, size_t why_size) {
        const struct df_memblock_info *m;
        const struct df_memblock_history *h;
        struct df_block_stats st;
        size_t z;

        assert(v);
        assert(req);
        assert(why || why_size == 0);
        if (!v->hotremove)
                REFUSE("the kernel cannot offline memory (no CONFIG_MEMORY_HOTREMOVE)");
        if (mb >= v->n_memblocks)
                REFUSE("no such memory block");
        m = &v->memblocks[mb];
        h = &v->history[mb];
        if (req->now_usec < h->busy_until_usec)
                REFUSE("memory%" PRId64 " was refused (EBUSY) %u time(s); cooling for %" PRIu64 " s more", m->id,
                       h->failures, (h->busy_until_usec - req->now_usec) / USEC_PER_SEC);
        if (!df_plan_memblock_stats(v, mb, &z, &st))
                REFUSE("memory%" PRId64 " lies outside the watched zones", m->id);
        if (h->failures >= 2 && df_block_stats_signature(&st) == h->failed_signature)
                REFUSE("memory%" PRId64 " failed %u times and has not changed since", m->id, h->failures);
        return df_memblock_offline_safe(v->memblocks, v->n_memblocks, mb, v->zones[z].nr_free_pages,
                                        v->zones[z].wmark_high_pages, req->allow_hypervisor, why, why_size);
#undef REFUSE
}

void df_plan_memblock_outcome(struct df_plan_view *v, int64_t memory_block, int error, uint64_t now_usec) {
        assert(v);
        for (size_t i = 0; i < v->n_memblocks; i++) {
                struct df_memblock_history *h = &v->history[i];
                struct df_block_stats st;

                if (v->memblocks[i].id != memory_block)
                        continue;
                if (error == 0) {
                        memset(h, 0, sizeof(*h));
                        return;
                }
                if (error == -EINTR)
                        return; /* we stopped it: says nothing about the block */
                h->failures++;
                h->busy_until_usec = now_usec + DF_PLAN_BUSY_COOLDOWN_USEC;
                h->failed_signature = df_plan_memblock_stats(v, i, NULL, &st) ? df_block_stats_signature(&st) : 0;
                return;
        }
}

static void candidate_from(struct df_plan_candidate *c, size_t zone, uint64_t pfn, uint64_t nr, int64_t id,
                           const struct df_block_stats *st, uint64_t gain) {
        c->zone = zone;
        c->start_pfn = pfn;
        c->nr_pages = nr;
        c->memory_block = id;
        c->cost_pages = df_block_stats_cost_pages(st);
        c->unknown_pages = st->pages[DF_PAGE_UNKNOWN];
        c->gain_blocks = gain;
        c->read_usec = st->read_usec;
        c->stats = *st;
}

/* Free aligned blocks an area would add once cleared: those not free yet.
 * For aligned blocks that is 1; for a memory block, its not-free blocks. */
static uint64_t memblock_gain(const struct df_plan_view *v, const struct df_plan_zone *pz, const struct df_memblock_info *m) {
        uint64_t bs = UINT64_C(1) << v->block_order, gain = 0;

        for (uint64_t p = m->start_pfn; p < m->start_pfn + m->nr_pages; p += bs)
                if (pz->blocks[(p - pz->first_block_pfn) >> v->block_order].pages[DF_PAGE_FREE] != bs)
                        gain++;
        return gain;
}

int df_plan_choose(const struct df_plan_view *v, size_t zone, const struct df_plan_request *req, struct df_plan *out) {
        const struct df_plan_zone *pz;
        struct df_plan_candidate *c;
        uint64_t bs, acc_gain = 0, acc_cost = 0;
        size_t n = 0, cap;

        assert(v);
        assert(req);
        assert(out);
        memset(out, 0, sizeof(*out));
        out->granularity = req->granularity;
        out->zone = zone;
        out->min_cost_pages = UINT64_MAX;
        if (zone >= v->n_zones)
                return -EINVAL;
        pz = &v->zones[zone];
        bs = UINT64_C(1) << v->block_order;
        cap = req->granularity == DF_PLAN_BLOCK ? pz->n_blocks : v->n_memblocks;
        c = calloc(cap ? cap : 1, sizeof(*c));
        if (!c)
                return -ENOMEM;

        if (req->granularity == DF_PLAN_BLOCK) {
                for (size_t i = 0; i < pz->n_blocks; i++) {
                        const struct df_block_stats *b = &pz->blocks[i];

                        if (!fresh(b->read_usec, req))
                                out->skipped_unread++;
                        else if (df_block_stats_blocking_pages(b) > 0)
                                out->skipped_blocking++;
                        else if (b->pages[DF_PAGE_FREE] == bs)
                                out->already_free++;
                        else
                                candidate_from(&c[n++], zone, pz->first_block_pfn + (i << v->block_order), bs, -1, b, 1);
                }
        } else {
                for (size_t i = 0; i < v->n_memblocks; i++) {
                        const struct df_memblock_info *m = &v->memblocks[i];
                        struct df_block_stats st;
                        size_t z;
                        uint64_t gain;

                        if (m->node != pz->node)
                                continue;
                        if (!df_plan_memblock_stats(v, i, &z, &st) || z != zone) {
                                /* in this zone's span but not wholly inside it: spans zones */
                                if (m->start_pfn < pz->end_pfn && m->start_pfn + m->nr_pages > pz->start_pfn)
                                        out->skipped_spanning++;
                                continue;
                        }
                        if (!m->zone[0] || strcmp(m->zone, pz->name) != 0) {
                                if (m->online)
                                        out->skipped_spanning++;
                                continue;
                        }
                        if (!fresh(st.read_usec, req)) {
                                out->skipped_unread++;
                                continue;
                        }
                        if (df_block_stats_blocking_pages(&st) > 0) {
                                out->skipped_blocking++;
                                continue;
                        }
                        gain = memblock_gain(v, pz, m);
                        if (gain == 0) {
                                out->already_free++;
                                continue;
                        }
                        if (!df_plan_memblock_allowed(v, i, req, NULL, 0)) {
                                if (req->now_usec < v->history[i].busy_until_usec || v->history[i].failures >= 2)
                                        out->skipped_cooling++;
                                else
                                        out->skipped_unsafe++;
                                continue;
                        }
                        candidate_from(&c[n++], zone, m->start_pfn, m->nr_pages, m->id, &st, gain);
                }
        }

        qsort(c, n, sizeof(*c), cmp_candidates);
        out->candidates = n;
        for (size_t i = 0; i < n; i++)
                if (c[i].cost_pages < out->min_cost_pages)
                        out->min_cost_pages = c[i].cost_pages;
        /* The bound: the cheapest way to the target ignoring the budget. For
         * aligned blocks (gain 1 each) the sum of the N cheapest is exact; for
         * memory blocks greedy by cost per block gained. */
        for (size_t i = 0; i < n && out->bound_blocks < req->want_blocks; i++) {
                out->bound_blocks += c[i].gain_blocks;
                out->bound_pages += c[i].cost_pages;
        }
        if (out->bound_blocks > req->want_blocks && req->granularity == DF_PLAN_BLOCK)
                out->bound_blocks = req->want_blocks;
        for (size_t i = 0; req->curve && i < n && i < req->curve_cap; i++)
                req->curve[out->n_curve++] = (struct df_plan_cost) { c[i].cost_pages, c[i].gain_blocks };
        for (size_t i = 0; i < n && acc_gain < req->want_blocks && out->n_chosen < DF_PLAN_MAX_CHOSEN; i++) {
                if (req->budget_pages && acc_cost + c[i].cost_pages > req->budget_pages)
                        break;
                out->chosen[out->n_chosen++] = c[i];
                acc_cost += c[i].cost_pages;
                acc_gain += c[i].gain_blocks;
        }
        out->chosen_cost_pages = acc_cost;
        out->chosen_gain_blocks = acc_gain;
        free(c);
        return 0;
}

void df_plan_fill_action(const struct df_plan_view *v, const struct df_plan_candidate *c, struct df_action *a) {
        const struct df_plan_zone *pz;

        assert(v);
        assert(c);
        assert(a);
        assert(c->zone < v->n_zones);
        pz = &v->zones[c->zone];
        a->lever = c->memory_block >= 0 ? DF_LEVER_CLEAR_OFFLINE : DF_LEVER_CLEAR_KMOD;
        a->target.node = pz->node;
        snprintf(a->target.zone, sizeof(a->target.zone), "%s", pz->name);
        a->target.order = (int) v->block_order;
        a->target.memory_block = c->memory_block;
        a->target.start_pfn = c->start_pfn;
        a->target.nr_pages = c->nr_pages;
        a->planned_pages = c->cost_pages;
}

void df_plan_summarize(const struct df_plan_view *v, size_t zone, uint64_t now_usec, struct df_plan_summary *out) {
        struct df_plan_request req = { .granularity = DF_PLAN_BLOCK, .want_blocks = 1, .now_usec = now_usec };
        const struct df_plan_zone *pz;
        struct df_plan *p;

        assert(v);
        assert(out);
        memset(out, 0, sizeof(*out));
        out->block_min_cost_pages = out->memblock_min_cost_pages = UINT64_MAX;
        if (zone >= v->n_zones)
                return;
        pz = &v->zones[zone];
        out->node = pz->node;
        snprintf(out->zone, sizeof(out->zone), "%s", pz->name);
        out->blocks = pz->n_blocks;
        out->blocks_read = df_plan_zone_blocks_read(pz);
        for (size_t i = 0; i < pz->n_blocks; i++)
                if (pz->blocks[i].read_usec && pz->blocks[i].pages[DF_PAGE_FREE] == UINT64_C(1) << v->block_order)
                        out->blocks_free++;
        out->oldest_read_usec = df_plan_zone_oldest_usec(pz);
        p = malloc(sizeof(*p));
        if (!p)
                return;
        if (df_plan_choose(v, zone, &req, p) == 0) {
                out->block_candidates = p->candidates;
                out->block_min_cost_pages = p->min_cost_pages;
        }
        req.granularity = DF_PLAN_MEMBLOCK;
        if (df_plan_choose(v, zone, &req, p) == 0) {
                out->memblock_candidates = p->candidates;
                out->memblock_min_cost_pages = p->min_cost_pages;
        }
        free(p);
}
