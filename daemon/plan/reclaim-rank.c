/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pure half of the reclaim sampler: classify sampled pageblocks from their
 * kpageflags, keep the cheapest to free by reclaim, count their pages per cgroup. */
#include <assert.h>
#include <string.h>

#include "defragd/reclaim-rank.h"

#define STUCK_FLAGS (DF_KPF_BIT(DF_KPF_SLAB) | DF_KPF_BIT(DF_KPF_UNEVICTABLE) | DF_KPF_BIT(DF_KPF_HWPOISON) | \
                     DF_KPF_BIT(DF_KPF_NOPAGE) | DF_KPF_BIT(DF_KPF_OFFLINE) | DF_KPF_BIT(DF_KPF_PGTABLE))
/* Dirty or under writeback: reclaim without writeback skips it (EAGAIN). */
#define BUSY_FLAGS (DF_KPF_BIT(DF_KPF_DIRTY) | DF_KPF_BIT(DF_KPF_WRITEBACK))

enum df_reclaim_page_kind df_reclaim_page_kind(uint64_t f) {
        if (f & DF_KPF_BIT(DF_KPF_BUDDY))
                return DF_RPAGE_FREE;
        if ((f & STUCK_FLAGS) || (f & BUSY_FLAGS) || !(f & DF_KPF_BIT(DF_KPF_LRU)))
                return DF_RPAGE_STUCK;
        if (f & (DF_KPF_BIT(DF_KPF_ANON) | DF_KPF_BIT(DF_KPF_SWAPBACKED)))
                return DF_RPAGE_ANON;
        return DF_RPAGE_FILE;
}

void df_block_classify(uint64_t start_pfn, const uint64_t *flags, size_t nr_pages, struct df_block_sample *out) {
        assert(flags);
        assert(out);
        memset(out, 0, sizeof(*out));
        out->start_pfn = start_pfn;
        for (size_t i = 0; i < nr_pages; i++)
                switch (df_reclaim_page_kind(flags[i])) {
                case DF_RPAGE_FREE:  out->free_pages++; break;
                case DF_RPAGE_FILE:  out->file_pages++; break;
                case DF_RPAGE_ANON:  out->anon_pages++; break;
                case DF_RPAGE_STUCK: out->stuck_pages++; break;
                }
}

uint32_t df_block_reclaim_cost(const struct df_block_sample *b, bool allow_anon) {
        assert(b);
        if (b->stuck_pages || (b->anon_pages && !allow_anon))
                return UINT32_MAX;
        if (b->file_pages + b->anon_pages == 0)
                return UINT32_MAX; /* already free: nothing to gain by reclaim */
        return b->file_pages + b->anon_pages;
}

int df_reclaim_sample_offer(struct df_reclaim_sample *s, const struct df_block_sample *b, bool allow_anon, size_t keep) {
        uint32_t cost;
        size_t at;

        assert(s);
        assert(b);
        if (keep > DF_RECLAIM_CHEAP_MAX)
                keep = DF_RECLAIM_CHEAP_MAX;
        s->blocks_sampled++;
        cost = df_block_reclaim_cost(b, allow_anon);
        if (cost == UINT32_MAX || keep == 0)
                return -1;
        for (at = 0; at < s->n_cheap; at++)
                if (cost < df_block_reclaim_cost(&s->cheap[at], allow_anon))
                        break;
        if (at >= keep)
                return -1;
        if (s->n_cheap == keep)
                s->n_cheap--; /* the dearest drops out */
        memmove(&s->cheap[at + 1], &s->cheap[at], (s->n_cheap - at) * sizeof(s->cheap[0]));
        s->cheap[at] = *b;
        s->n_cheap++;
        return (int) at;
}

static void add_pages(struct df_reclaim_sample *s, uint64_t inode, uint64_t pages) {
        for (size_t i = 0; i < s->n_inodes; i++)
                if (s->inodes[i].inode == inode) {
                        s->inodes[i].pages += pages;
                        return;
                }
        if (s->n_inodes == DF_RECLAIM_INODES_MAX) {
                s->unattributed_pages += pages;
                return;
        }
        s->inodes[s->n_inodes++] = (struct df_inode_pages) { inode, pages };
}

void df_reclaim_sample_attribute(struct df_reclaim_sample *s, const uint64_t *flags, const uint64_t *cg,
                                 size_t nr_pages, bool allow_anon) {
        assert(s);
        assert(flags);
        assert(cg);
        for (size_t i = 0; i < nr_pages; i++) {
                enum df_reclaim_page_kind k = df_reclaim_page_kind(flags[i]);

                if (k == DF_RPAGE_FILE || (k == DF_RPAGE_ANON && allow_anon))
                        add_pages(s, cg[i], 1);
        }
}

static bool below_or_self(const char *above, const char *path) {
        size_t n = strlen(above);

        if (n == 1 && above[0] == '/')
                return true;
        return strncmp(above, path, n) == 0 && (path[n] == 0 || path[n] == '/');
}

void df_reclaim_assign_cheap_pages(const struct df_reclaim_sample *s, const struct df_reclaim_cgroup *all, size_t n_all,
                                   struct df_reclaim_cgroup *cgs, size_t n_cgs) {
        assert(s);
        assert(all || n_all == 0);
        assert(cgs || n_cgs == 0);
        for (size_t c = 0; c < n_cgs; c++) {
                cgs[c].cheap_pages = 0;
                for (size_t i = 0; i < s->n_inodes; i++)
                        for (size_t a = 0; a < n_all; a++)
                                if (all[a].inode == s->inodes[i].inode && below_or_self(cgs[c].path, all[a].path)) {
                                        cgs[c].cheap_pages += s->inodes[i].pages;
                                        break;
                                }
        }
}

uint64_t df_reclaim_sample_block(uint64_t nr_blocks, uint64_t n, uint64_t i, uint64_t tick) {
        uint64_t step;

        if (nr_blocks == 0)
                return 0;
        if (n == 0 || n > nr_blocks)
                n = nr_blocks;
        step = nr_blocks / n;
        /* A different offset inside the stride each tick (an odd multiplier
         * walks every offset before repeating when step is a power of two). */
        return (i * step + (tick * 7919) % (step ? step : 1)) % nr_blocks;
}

/* ---- the planner's view as the sample (the daemon's path: no second sampler) ---- */

/* Pages reclaim frees in a block the planner read, and the pages it leaves
 * for compaction to move. False: reclaim cannot help this block (a page
 * neither reclaim nor compaction can shift, nothing to reclaim, or free). */
static bool view_block_cost(const struct df_block_stats *b, bool allow_anon, uint64_t *reclaim, uint64_t *leftover) {
        if (df_block_stats_blocking_pages(b) > 0)
                return false;
        *reclaim = b->pages[DF_PAGE_FILE_CLEAN] + (allow_anon ? b->pages[DF_PAGE_ANON] : 0);
        *leftover = df_block_stats_cost_pages(b) - *reclaim;
        return *reclaim > 0;
}

static bool cheaper(const struct df_reclaim_block_ref *x, const struct df_reclaim_block_ref *y) {
        if (x->leftover_pages != y->leftover_pages)
                return x->leftover_pages < y->leftover_pages;
        if (x->reclaim_pages != y->reclaim_pages)
                return x->reclaim_pages < y->reclaim_pages;
        return x->start_pfn < y->start_pfn;
}

size_t df_reclaim_cheap_blocks(const struct df_plan_view *v, bool allow_anon, uint64_t max_age_usec, uint64_t now_usec,
                               size_t keep, struct df_reclaim_block_ref *out) {
        size_t n = 0;

        assert(v);
        assert(out || keep == 0);
        for (size_t z = 0; z < v->n_zones; z++) {
                const struct df_plan_zone *pz = &v->zones[z];

                if (!pz->watched)
                        continue;
                for (size_t i = 0; i < pz->n_blocks; i++) {
                        const struct df_block_stats *b = &pz->blocks[i];
                        struct df_reclaim_block_ref r = { .zone = z };
                        size_t at;

                        if (b->read_usec == 0 || (max_age_usec && b->read_usec + max_age_usec < now_usec))
                                continue;
                        if (!view_block_cost(b, allow_anon, &r.reclaim_pages, &r.leftover_pages))
                                continue;
                        r.start_pfn = pz->first_block_pfn + ((uint64_t) i << v->block_order);
                        for (at = n; at > 0 && cheaper(&r, &out[at - 1]); at--)
                                ;
                        if (at >= keep)
                                continue;
                        if (n == keep)
                                n--; /* the dearest drops out */
                        memmove(&out[at + 1], &out[at], (n - at) * sizeof(out[0]));
                        out[at] = r;
                        n++;
                }
        }
        return n;
}

size_t df_reclaim_candidate_inodes(const struct df_reclaim_cgroup *all, size_t n_all,
                                   const struct df_reclaim_cgroup *cands, size_t n_cands, uint64_t *out, size_t max) {
        size_t n = 0;

        assert(all || n_all == 0);
        assert(cands || n_cands == 0);
        assert(out || max == 0);
        for (size_t a = 0; a < n_all && n < max; a++) {
                bool dup = false;

                for (size_t i = 0; i < n && !dup; i++)
                        dup = out[i] == all[a].inode;
                for (size_t c = 0; c < n_cands && !dup; c++)
                        if (below_or_self(cands[c].path, all[a].path)) {
                                out[n++] = all[a].inode;
                                break;
                        }
        }
        return n;
}

uint64_t df_reclaim_block_candidate_pages(const uint64_t *flags, const uint64_t *cg, size_t nr_pages,
                                          const uint64_t *inodes, size_t n_inodes, bool allow_anon) {
        uint64_t n = 0;

        assert(flags);
        assert(cg);
        assert(inodes || n_inodes == 0);
        for (size_t i = 0; i < nr_pages; i++) {
                enum df_reclaim_page_kind k = df_reclaim_page_kind(flags[i]);

                if (k != DF_RPAGE_FILE && !(k == DF_RPAGE_ANON && allow_anon))
                        continue;
                for (size_t j = 0; j < n_inodes; j++)
                        if (inodes[j] == cg[i]) {
                                n++;
                                break;
                        }
        }
        return n;
}

void df_reclaim_sample_from_inodes(struct df_reclaim_sample *s, const uint64_t *flags, const uint64_t *cg,
                                   size_t nr_pages, bool allow_anon) {
        assert(s);
        df_reclaim_sample_attribute(s, flags, cg, nr_pages, allow_anon);
        s->blocks_sampled++;
        s->pages_read += nr_pages;
}
