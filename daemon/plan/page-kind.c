/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a page is for clearing, from its /proc/kpageflags word (pure), and
 * the per-block sums built from it. */
#include <assert.h>

#include "defragd/plan.h"
#include "defragd/util.h"

static const char *const kind_names[_DF_PAGE_KIND_MAX] = {
        [DF_PAGE_FREE] = "free",
        [DF_PAGE_ANON] = "anon",
        [DF_PAGE_FILE_CLEAN] = "file_clean",
        [DF_PAGE_FILE_DIRTY] = "file_dirty",
        [DF_PAGE_LARGE] = "large",
        [DF_PAGE_UNKNOWN] = "unknown",
        [DF_PAGE_SLAB] = "slab",
        [DF_PAGE_PGTABLE] = "pgtable",
        [DF_PAGE_RESERVED] = "reserved",
        [DF_PAGE_OFFLINE] = "offline",
        [DF_PAGE_HWPOISON] = "hwpoison",
        [DF_PAGE_HOLE] = "hole",
};

const char *df_page_kind_to_string(enum df_page_kind k) {
        return k < _DF_PAGE_KIND_MAX ? kind_names[k] : "?";
}

#define HAS(f, bit) (((f) >> (bit)) & 1)

/* Order matters: a hole or poisoned page is nothing else; BUDDY wins over
 * stale bits; a large folio is costed as such whatever it maps. */
enum df_page_kind df_page_kind_of(uint64_t f) {
        if (HAS(f, DF_KPF_NOPAGE))
                return DF_PAGE_HOLE;
        if (HAS(f, DF_KPF_HWPOISON))
                return DF_PAGE_HWPOISON;
        if (HAS(f, DF_KPF_BUDDY))
                return DF_PAGE_FREE;
        if (HAS(f, DF_KPF_SLAB))
                return DF_PAGE_SLAB;
        if (HAS(f, DF_KPF_PGTABLE))
                return DF_PAGE_PGTABLE;
        if (HAS(f, DF_KPF_OFFLINE))
                return DF_PAGE_OFFLINE;
        if (HAS(f, DF_KPF_RESERVED) || HAS(f, DF_KPF_ZERO_PAGE))
                return DF_PAGE_RESERVED;
        /* hugetlb (HUGE) and THP are migrated whole; a compound page off the
         * LRU that is neither is a kernel allocation: unknown until tried. */
        if (HAS(f, DF_KPF_HUGE) || HAS(f, DF_KPF_THP) ||
            (HAS(f, DF_KPF_LRU) && (HAS(f, DF_KPF_COMPOUND_HEAD) || HAS(f, DF_KPF_COMPOUND_TAIL))))
                return DF_PAGE_LARGE;
        if (HAS(f, DF_KPF_LRU)) {
                if (HAS(f, DF_KPF_ANON) || HAS(f, DF_KPF_SWAPBACKED))
                        return DF_PAGE_ANON;
                if (HAS(f, DF_KPF_DIRTY) || HAS(f, DF_KPF_WRITEBACK))
                        return DF_PAGE_FILE_DIRTY;
                return DF_PAGE_FILE_CLEAN;
        }
        if (HAS(f, DF_KPF_ANON))
                return DF_PAGE_ANON; /* isolated for a moment (migration, reclaim) */
        return DF_PAGE_UNKNOWN;
}

uint64_t df_block_stats_cost_pages(const struct df_block_stats *b) {
        uint64_t n = 0;

        assert(b);
        for (int k = DF_PAGE_ANON; k <= DF_PAGE_UNKNOWN; k++)
                n += b->pages[k];
        return n;
}

uint64_t df_block_stats_blocking_pages(const struct df_block_stats *b) {
        uint64_t n = 0;

        assert(b);
        for (int k = DF_PAGE_SLAB; k < _DF_PAGE_KIND_MAX; k++)
                n += b->pages[k];
        return n;
}

/* FNV-1a over the counts: equal counts, equal signature; any page that
 * changed kind changes it (collisions only delay a retry). */
uint64_t df_block_stats_signature(const struct df_block_stats *b) {
        uint64_t h = UINT64_C(0xcbf29ce484222325);

        assert(b);
        for (int k = 0; k < _DF_PAGE_KIND_MAX; k++) {
                h ^= b->pages[k];
                h *= UINT64_C(0x100000001b3);
        }
        return h;
}

size_t df_plan_count_cgroups(const uint64_t *flags, const uint64_t *cgroups, uint64_t n, struct df_cgroup_pages *out,
                             size_t n_out, size_t max) {
        assert(flags);
        assert(cgroups);
        assert(out || max == 0);
        for (uint64_t i = 0; i < n; i++) {
                enum df_page_kind k = df_page_kind_of(flags[i]);
                size_t j;

                if (!df_page_kind_movable(k) || k == DF_PAGE_UNKNOWN)
                        continue;
                for (j = 0; j < n_out; j++)
                        if (out[j].inode == cgroups[i])
                                break;
                if (j == n_out) {
                        if (n_out >= max)
                                continue;
                        out[n_out++] = (struct df_cgroup_pages) { .inode = cgroups[i] };
                }
                out[j].pages++;
                if (k == DF_PAGE_ANON)
                        out[j].anon_pages++;
                else if (k == DF_PAGE_FILE_CLEAN || k == DF_PAGE_FILE_DIRTY)
                        out[j].file_pages++;
        }
        return n_out;
}
