/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The planner's view: per watched zone, one stats record per aligned block,
 * refreshed slice by slice from page flags, each stamped with its read time. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "defragd/plan.h"
#include "defragd/util.h"

static bool zone_watched(const char *name, const char *const *watched) {
        if (!watched)
                return true;
        for (size_t i = 0; watched[i]; i++)
                if (strcmp(watched[i], name) == 0)
                        return true;
        return false;
}

static void zone_from_snapshot(struct df_plan_zone *pz, const struct df_zone *z) {
        pz->nr_free_pages = z->nr_free_pages;
        pz->wmark_high_pages = z->wmark_high_pages;
}

int df_plan_view_init(struct df_plan_view *v, const struct df_snapshot *s, unsigned block_order,
                      const char *const *watched_zones, struct df_error *err) {
        assert(v);
        assert(s);
        memset(v, 0, sizeof(*v));
        if (block_order >= DF_MAX_ORDERS + 8)
                return df_error_set(err, -EINVAL, "block order %u: too large; accepted: 0..%d", block_order, DF_MAX_ORDERS + 7);
        v->block_order = block_order;
        v->zones = calloc(s->n_zones ? s->n_zones : 1, sizeof(*v->zones));
        if (!v->zones)
                return df_error_set(err, -ENOMEM, "planner view: out of memory");
        for (size_t i = 0; i < s->n_zones; i++) {
                const struct df_zone *z = &s->zones[i];
                struct df_plan_zone *pz;
                uint64_t bs = UINT64_C(1) << block_order, first, last;

                if (!z->has_zoneinfo || !z->has_start_pfn || z->spanned_pages == 0)
                        continue;
                pz = &v->zones[v->n_zones++];
                pz->node = z->node;
                snprintf(pz->name, sizeof(pz->name), "%s", z->name);
                pz->start_pfn = z->start_pfn;
                pz->end_pfn = z->start_pfn + z->spanned_pages;
                pz->watched = zone_watched(z->name, watched_zones);
                zone_from_snapshot(pz, z);
                /* Blocks that stick out of the zone's span are never candidates:
                 * only the aligned blocks wholly inside it get a record. */
                first = (pz->start_pfn + bs - 1) & ~(bs - 1);
                last = pz->end_pfn & ~(bs - 1);
                pz->first_block_pfn = first;
                pz->cursor_pfn = first;
                if (!pz->watched || last <= first)
                        continue;
                pz->n_blocks = (last - first) >> block_order;
                pz->blocks = calloc(pz->n_blocks, sizeof(*pz->blocks));
                if (!pz->blocks) {
                        df_plan_view_clear(v);
                        return df_error_set(err, -ENOMEM, "planner view: out of memory for %zu blocks", pz->n_blocks);
                }
        }
        return 0;
}

void df_plan_view_clear(struct df_plan_view *v) {
        assert(v);
        for (size_t i = 0; i < v->n_zones; i++)
                free(v->zones[i].blocks);
        free(v->zones);
        free(v->memblocks);
        free(v->history);
        memset(v, 0, sizeof(*v));
}

void df_plan_view_update_zones(struct df_plan_view *v, const struct df_snapshot *s) {
        assert(v);
        assert(s);
        for (size_t i = 0; i < v->n_zones; i++) {
                const struct df_zone *z = df_snapshot_zone_const(s, v->zones[i].node, v->zones[i].name);

                if (z && z->has_zoneinfo)
                        zone_from_snapshot(&v->zones[i], z);
        }
}

static int cmp_start(const void *a, const void *b) {
        const struct df_memblock_info *x = a, *y = b;

        return x->start_pfn < y->start_pfn ? -1 : x->start_pfn > y->start_pfn;
}

int df_plan_view_set_memblocks(struct df_plan_view *v, const struct df_memblock_info *mb, size_t n, uint64_t memblock_pages) {
        struct df_memblock_info *nm;
        struct df_memblock_history *nh;

        assert(v);
        assert(mb || n == 0);
        nm = calloc(n ? n : 1, sizeof(*nm));
        nh = calloc(n ? n : 1, sizeof(*nh));
        if (!nm || !nh) {
                free(nm);
                free(nh);
                return -ENOMEM;
        }
        if (n > 0) /* mb may be NULL then: memcpy must not get it */
                memcpy(nm, mb, n * sizeof(*nm));
        qsort(nm, n, sizeof(*nm), cmp_start);
        for (size_t i = 0; i < n; i++) {
                for (size_t j = 0; j < v->n_memblocks; j++)
                        if (v->memblocks[j].id == nm[i].id && v->memblocks[j].start_pfn == nm[i].start_pfn) {
                                nh[i] = v->history[j];
                                break;
                        }
        }
        free(v->memblocks);
        free(v->history);
        v->memblocks = nm;
        v->history = nh;
        v->n_memblocks = n;
        v->memblock_pages = memblock_pages;
        return 0;
}

bool df_plan_next_slice(const struct df_plan_view *v, size_t z, uint64_t max_pages, uint64_t *pfn, uint64_t *n_pages) {
        const struct df_plan_zone *pz;
        uint64_t bs, end, n;

        assert(v);
        assert(pfn);
        assert(n_pages);
        if (z >= v->n_zones || v->zones[z].n_blocks == 0)
                return false;
        pz = &v->zones[z];
        bs = UINT64_C(1) << v->block_order;
        end = pz->first_block_pfn + (pz->n_blocks << v->block_order);
        n = max_pages & ~(bs - 1);
        if (n == 0)
                n = bs;
        if (pz->cursor_pfn < pz->first_block_pfn || pz->cursor_pfn >= end) {
                *pfn = pz->first_block_pfn;
        } else
                *pfn = pz->cursor_pfn;
        if (n > end - *pfn)
                n = end - *pfn;
        *n_pages = n;
        return true;
}

/* Holes read as no flag at all on 6.18 (not KPF_NOPAGE): a range no memory
 * block covers is a hole. Without memory block sysfs, everything counts as
 * present. memblocks are sorted by start (set_memblocks). */
static bool present_in_memblocks(const struct df_plan_view *v, uint64_t pfn) {
        size_t lo = 0, hi = v->n_memblocks;

        if (v->n_memblocks == 0)
                return true;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                const struct df_memblock_info *m = &v->memblocks[mid];

                if (pfn < m->start_pfn)
                        hi = mid;
                else if (pfn >= m->start_pfn + m->nr_pages)
                        lo = mid + 1;
                else
                        return true;
        }
        return false;
}

void df_plan_ingest(struct df_plan_view *v, size_t z, uint64_t pfn, const uint64_t *flags, uint64_t n,
                    uint64_t now_usec) {
        struct df_plan_zone *pz;
        uint64_t bs, end, first, p;

        assert(v);
        assert(flags || n == 0);
        if (z >= v->n_zones || v->zones[z].n_blocks == 0)
                return;
        pz = &v->zones[z];
        bs = UINT64_C(1) << v->block_order;
        end = pz->first_block_pfn + (pz->n_blocks << v->block_order);
        first = (pfn + bs - 1) & ~(bs - 1);
        if (first < pz->first_block_pfn)
                first = pz->first_block_pfn;
        if (first == pz->first_block_pfn)
                pz->pass_started_usec = now_usec;
        for (p = first; p + bs <= pfn + n && p + bs <= end; p += bs) {
                struct df_block_stats *b = &pz->blocks[(p - pz->first_block_pfn) >> v->block_order];
                const uint64_t *f = flags + (p - pfn);

                memset(b->pages, 0, sizeof(b->pages));
                if (!present_in_memblocks(v, p))
                        b->pages[DF_PAGE_HOLE] = (uint32_t) bs;
                else
                        for (uint64_t i = 0; i < bs; i++)
                                b->pages[df_page_kind_of(f[i])]++;
                b->read_usec = now_usec;
        }
        if (p > first) {
                if (p >= end) {
                        if (pz->pass_started_usec && now_usec >= pz->pass_started_usec)
                                pz->last_pass_usec = now_usec - pz->pass_started_usec + 1;
                        pz->cursor_pfn = pz->first_block_pfn;
                } else
                        pz->cursor_pfn = p;
        }
}

uint64_t df_plan_zone_oldest_usec(const struct df_plan_zone *z) {
        uint64_t oldest = UINT64_MAX;

        assert(z);
        for (size_t i = 0; i < z->n_blocks; i++)
                if (z->blocks[i].read_usec < oldest)
                        oldest = z->blocks[i].read_usec;
        return z->n_blocks ? oldest : 0;
}

uint64_t df_plan_zone_blocks_read(const struct df_plan_zone *z) {
        uint64_t n = 0;

        assert(z);
        for (size_t i = 0; i < z->n_blocks; i++)
                n += z->blocks[i].read_usec != 0;
        return n;
}

bool df_plan_memblock_stats(const struct df_plan_view *v, size_t mb, size_t *zone, struct df_block_stats *out) {
        const struct df_memblock_info *m;

        assert(v);
        assert(out);
        if (mb >= v->n_memblocks)
                return false;
        m = &v->memblocks[mb];
        memset(out, 0, sizeof(*out));
        for (size_t z = 0; z < v->n_zones; z++) {
                const struct df_plan_zone *pz = &v->zones[z];
                uint64_t end = pz->first_block_pfn + (pz->n_blocks << v->block_order);

                if (pz->n_blocks == 0 || m->start_pfn < pz->first_block_pfn || m->start_pfn + m->nr_pages > end)
                        continue;
                if (m->nr_pages & ((UINT64_C(1) << v->block_order) - 1))
                        return false;
                out->read_usec = UINT64_MAX;
                for (uint64_t p = m->start_pfn; p < m->start_pfn + m->nr_pages; p += UINT64_C(1) << v->block_order) {
                        const struct df_block_stats *b = &pz->blocks[(p - pz->first_block_pfn) >> v->block_order];

                        for (int k = 0; k < _DF_PAGE_KIND_MAX; k++)
                                out->pages[k] += b->pages[k];
                        if (b->read_usec < out->read_usec)
                                out->read_usec = b->read_usec;
                }
                if (zone)
                        *zone = z;
                return true;
        }
        return false;
}
