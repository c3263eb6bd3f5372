/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The planner on a real capture (tests/fixtures/live-6.18-planner): page
 * kinds, holes, a block with one slab page, zone-spanning blocks, large
 * folios, costs against the raw flags, the bound, slices, refusal memory,
 * safety rules, the knob/memory-block state file and the lever on a root. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "defragd/knobs.h"
#include "defragd/lever-offline.h"
#include "defragd/plan-source.h"
#include "defragd/plan.h"
#include "defragd/procfs.h"
#include "defragd/snapshot.h"
#include "defragd/util.h"
#include "plan-fixture.h"
#include "test-util.h"

#define PB 512u
#define MB_PAGES 32768u
#define NOW (UINT64_C(1000) * USEC_PER_SEC)

static char root[] = "/tmp/defragd-test-plan.XXXXXX";
static struct plan_fixture fx;
static struct df_snapshot snap;
static struct df_plan_view view;
static const char *const watched[] = { "DMA32", "Normal", "Movable", NULL };

static size_t zone_index(const struct df_plan_view *v, const char *name) {
        for (size_t i = 0; i < v->n_zones; i++)
                if (strcmp(v->zones[i].name, name) == 0)
                        return i;
        return SIZE_MAX;
}

static size_t memblock_index(const struct df_plan_view *v, int64_t id) {
        for (size_t i = 0; i < v->n_memblocks; i++)
                if (v->memblocks[i].id == id)
                        return i;
        return SIZE_MAX;
}

static bool raw_blocking(uint64_t f) {
        return df_page_kind_blocking(df_page_kind_of(f));
}

/* Independent of the planner's sums: pages of [pfn, pfn+n) without
 * KPF_BUDDY, and whether any has a flag that forbids clearing. */
static uint64_t raw_used(uint64_t pfn, uint64_t n, bool *blocking) {
        uint64_t used = 0;

        *blocking = false;
        for (uint64_t p = pfn; p < pfn + n; p++) {
                uint64_t f = fixture_flags(&fx, p);

                if (!((f >> DF_KPF_BUDDY) & 1))
                        used++;
                if (raw_blocking(f))
                        *blocking = true;
        }
        return used;
}

static void test_page_kinds(void) {
        ASSERT_EQ_INT(df_page_kind_of(0x5820), DF_PAGE_ANON);             /* LRU|MMAP|ANON|SWAPBACKED: the fragmenter's */
        ASSERT_EQ_INT(df_page_kind_of(UINT64_C(1) << DF_KPF_BUDDY), DF_PAGE_FREE);
        ASSERT_EQ_INT(df_page_kind_of(UINT64_C(1) << DF_KPF_SLAB), DF_PAGE_SLAB);
        ASSERT_EQ_INT(df_page_kind_of(UINT64_C(1) << DF_KPF_RESERVED), DF_PAGE_RESERVED);
        ASSERT_EQ_INT(df_page_kind_of(UINT64_C(1) << DF_KPF_NOPAGE), DF_PAGE_HOLE);
        ASSERT_EQ_INT(df_page_kind_of(UINT64_C(1) << DF_KPF_PGTABLE), DF_PAGE_PGTABLE);
        ASSERT_EQ_INT(df_page_kind_of(0), DF_PAGE_UNKNOWN);
        ASSERT_EQ_INT(df_page_kind_of((1u << DF_KPF_LRU) | (1u << DF_KPF_DIRTY)), DF_PAGE_FILE_DIRTY);
        ASSERT_EQ_INT(df_page_kind_of((1u << DF_KPF_LRU) | (1u << DF_KPF_COMPOUND_TAIL) | (1u << DF_KPF_ANON)), DF_PAGE_LARGE);
        /* every word in the capture that has KPF_THP is costed as a large folio */
        for (size_t i = 0; i < fx.n_runs; i++)
                if ((fx.runs[i].flags >> DF_KPF_THP) & 1)
                        ASSERT_EQ_INT(df_page_kind_of(fx.runs[i].flags), DF_PAGE_LARGE);
}

static void test_memblocks_source(void) {
        _cleanup_free_ struct df_memblock_info *mb = NULL;
        struct df_error err = { "" };
        uint64_t pages;
        bool hotremove;
        size_t n;

        ASSERT_OK(df_memblocks_read(root, &mb, &n, &pages, &hotremove, &err), &err);
        ASSERT_EQ_U64(n, 192);   /* memory24..31 are the PCI hole */
        ASSERT_EQ_U64(pages, MB_PAGES);
        ASSERT_TRUE(hotremove);
        ASSERT_EQ_INT(mb[0].id, 0);
        ASSERT_STREQ(mb[0].zone, ""); /* valid_zones "none": spans DMA and DMA32 */
        ASSERT_EQ_INT(mb[23].id, 23);
        ASSERT_STREQ(mb[23].zone, "DMA32");
        ASSERT_EQ_U64(mb[23].start_pfn, 23 * MB_PAGES);
        ASSERT_EQ_INT(mb[24].id, 32);
        ASSERT_EQ_INT(mb[24].node, 0);
        ASSERT_TRUE(!mb[24].hypervisor_managed);
}

static void test_zones_and_holes(void) {
        size_t dma32 = zone_index(&view, "DMA32"), normal = zone_index(&view, "Normal");
        const struct df_plan_zone *z;
        struct df_plan_request req = { .granularity = DF_PLAN_MEMBLOCK, .want_blocks = 64, .now_usec = NOW };
        _cleanup_free_ struct df_plan *p = malloc(sizeof(*p));

        ASSERT_TRUE(dma32 != SIZE_MAX && normal != SIZE_MAX);
        ASSERT_TRUE(zone_index(&view, "DMA") != SIZE_MAX);
        ASSERT_EQ_U64(view.zones[zone_index(&view, "DMA")].n_blocks, 0); /* not watched */
        z = &view.zones[dma32];
        ASSERT_EQ_U64(z->start_pfn, 4096);
        ASSERT_EQ_U64(z->first_block_pfn, 4096);
        ASSERT_EQ_U64(z->n_blocks, (0x100000 - 4096) / PB);
        /* 0xc0000..0xfffff: the PCI hole, no memory block; reads as no flags on 6.18 */
        ASSERT_EQ_U64(z->blocks[(0xc0000 - 4096) / PB].pages[DF_PAGE_HOLE], PB);
        ASSERT_EQ_U64(z->blocks[(0xfffff - 4096) / PB].pages[DF_PAGE_HOLE], PB);
        ASSERT_EQ_U64(z->blocks[(0xbfe00 - 4096) / PB].pages[DF_PAGE_HOLE], 0);
        /* memory0 spans DMA and DMA32: never a candidate */
        ASSERT_OK(df_plan_choose(&view, dma32, &req, p), &(struct df_error) { "" });
        ASSERT_TRUE(p->skipped_spanning >= 1);
        for (size_t i = 0; i < p->n_chosen; i++)
                ASSERT_TRUE(p->chosen[i].memory_block != 0);
        ASSERT_EQ_U64(view.zones[normal].first_block_pfn, 0x100000);
}

static void test_one_slab_page(void) {
        size_t normal = zone_index(&view, "Normal"), mb32 = memblock_index(&view, 32);
        const struct df_block_stats *b = &view.zones[normal].blocks[(0x102a00 - 0x100000) / PB];
        struct df_plan_request req = { .granularity = DF_PLAN_MEMBLOCK, .want_blocks = 1 << 20, .now_usec = NOW };
        _cleanup_free_ struct df_plan *p = malloc(sizeof(*p));
        uint64_t slab = 0;
        bool blocking;

        for (uint64_t q = 0x102a00; q < 0x102a00 + PB; q++)
                slab += (fixture_flags(&fx, q) >> DF_KPF_SLAB) & 1;
        ASSERT_EQ_U64(slab, 1);
        ASSERT_EQ_U64(b->pages[DF_PAGE_SLAB], 1);
        ASSERT_EQ_U64(df_block_stats_blocking_pages(b), 1);
        ASSERT_TRUE(b->pages[DF_PAGE_FREE] > 256);
        raw_used(0x102a00, PB, &blocking);
        ASSERT_TRUE(blocking);
        /* neither the block nor its memory block is ever chosen */
        ASSERT_TRUE(mb32 != SIZE_MAX);
        ASSERT_OK(df_plan_choose(&view, normal, &req, p), &(struct df_error) { "" });
        ASSERT_TRUE(p->skipped_blocking >= 1);
        for (size_t i = 0; i < p->n_chosen; i++)
                ASSERT_TRUE(p->chosen[i].memory_block != 32);
        req.granularity = DF_PLAN_BLOCK;
        req.want_blocks = DF_PLAN_MAX_CHOSEN;
        ASSERT_OK(df_plan_choose(&view, normal, &req, p), &(struct df_error) { "" });
        for (size_t i = 0; i < p->n_chosen; i++)
                ASSERT_TRUE(p->chosen[i].start_pfn != 0x102a00);
}

/* Costs of the captured memory blocks equal their used pages in the raw flags. */
static void test_costs_match_flags(void) {
        const int64_t ids[] = { 102, 103, 108, 133 };

        for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
                size_t mb = memblock_index(&view, ids[i]), z;
                struct df_block_stats st;
                uint64_t used, thp = 0;
                bool blocking;

                ASSERT_TRUE(mb != SIZE_MAX);
                ASSERT_TRUE(df_plan_memblock_stats(&view, mb, &z, &st));
                ASSERT_STREQ(view.zones[z].name, "Normal");
                used = raw_used(view.memblocks[mb].start_pfn, MB_PAGES, &blocking);
                ASSERT_EQ_U64(df_block_stats_cost_pages(&st) + df_block_stats_blocking_pages(&st), used);
                if (!blocking)
                        ASSERT_EQ_U64(df_block_stats_cost_pages(&st), used);
                for (uint64_t q = view.memblocks[mb].start_pfn; q < view.memblocks[mb].start_pfn + MB_PAGES; q++)
                        thp += (fixture_flags(&fx, q) >> DF_KPF_THP) & 1;
                ASSERT_TRUE(st.pages[DF_PAGE_LARGE] >= thp);
                if (ids[i] == 133)
                        ASSERT_TRUE(thp > 0); /* the large folios of the capture */
        }
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

/* The bound for N aligned blocks: the sum of the N cheapest feasible blocks,
 * computed here from the raw flags of the captured memory blocks. */
static void test_bound_blocks(void) {
        size_t normal = zone_index(&view, "Normal");
        _cleanup_free_ uint64_t *costs = calloc(8 * 64, sizeof(uint64_t));
        _cleanup_free_ struct df_plan *p = malloc(sizeof(*p));
        struct df_plan_request req = { .granularity = DF_PLAN_BLOCK, .want_blocks = 8, .now_usec = NOW };
        const int64_t ids[] = { 32, 102, 103, 108, 133 };
        uint64_t sum = 0;
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(ids); i++)
                for (uint64_t pb = (uint64_t) ids[i] * MB_PAGES; pb < (uint64_t) (ids[i] + 1) * MB_PAGES; pb += PB) {
                        bool blocking;
                        uint64_t used = raw_used(pb, PB, &blocking);

                        if (!blocking && used > 0)
                                costs[n++] = used;
                }
        ASSERT_TRUE(n >= 8);
        qsort(costs, n, sizeof(*costs), cmp_u64);
        for (size_t i = 0; i < 8; i++)
                sum += costs[i];
        ASSERT_OK(df_plan_choose(&view, normal, &req, p), &(struct df_error) { "" });
        ASSERT_EQ_U64(p->bound_blocks, 8);
        ASSERT_EQ_U64(p->bound_pages, sum);
        ASSERT_EQ_U64(p->min_cost_pages, costs[0]);
        ASSERT_EQ_U64(p->n_chosen, 8);
        ASSERT_EQ_U64(p->chosen_cost_pages, sum);
        for (size_t i = 1; i < p->n_chosen; i++)
                ASSERT_TRUE(p->chosen[i - 1].cost_pages <= p->chosen[i].cost_pages);

        /* a budget one page short of the bound: fewer blocks chosen, same bound */
        req.budget_pages = sum - 1;
        ASSERT_OK(df_plan_choose(&view, normal, &req, p), &(struct df_error) { "" });
        ASSERT_EQ_U64(p->bound_pages, sum);
        ASSERT_TRUE(p->chosen_gain_blocks < 8);
        ASSERT_TRUE(p->chosen_cost_pages <= sum - 1);
}

/* The curve (defragctl plan --costs): every candidate once, cheapest first;
 * its first N costs sum to the bound for N blocks, for every N, with the
 * raw flags' costs as above; a short buffer is filled, not overrun. */
static void test_bound_curve(void) {
        size_t normal = zone_index(&view, "Normal"), cap = view.zones[normal].n_blocks;
        _cleanup_free_ struct df_plan_cost *curve = calloc(cap + 1, sizeof(*curve));
        _cleanup_free_ struct df_plan *p = malloc(sizeof(*p));
        _cleanup_free_ struct df_plan *q = malloc(sizeof(*q));
        struct df_plan_request req = { .granularity = DF_PLAN_BLOCK, .want_blocks = 1, .now_usec = NOW,
                                       .curve = curve, .curve_cap = cap };
        uint64_t sum = 0;

        ASSERT_OK(df_plan_choose(&view, normal, &req, p), &(struct df_error) { "" });
        ASSERT_EQ_U64(p->n_curve, p->candidates);
        ASSERT_TRUE(p->n_curve >= 8);
        for (size_t i = 0; i < p->n_curve; i++) {
                struct df_plan_request r = { .granularity = DF_PLAN_BLOCK, .want_blocks = i + 1, .now_usec = NOW };

                ASSERT_EQ_U64(curve[i].gain_blocks, 1);
                if (i > 0)
                        ASSERT_TRUE(curve[i - 1].cost_pages <= curve[i].cost_pages);
                sum += curve[i].cost_pages;
                if (i < 16 || i + 1 == p->n_curve) {
                        ASSERT_OK(df_plan_choose(&view, normal, &r, q), &(struct df_error) { "" });
                        ASSERT_EQ_U64(q->bound_pages, sum);
                }
        }
        req.curve_cap = 3;
        curve[3].cost_pages = 12345;
        ASSERT_OK(df_plan_choose(&view, normal, &req, p), &(struct df_error) { "" });
        ASSERT_EQ_U64(p->n_curve, 3);
        ASSERT_EQ_U64(curve[3].cost_pages, 12345);
}

static void test_choose_memblocks(void) {
        size_t normal = zone_index(&view, "Normal");
        _cleanup_free_ struct df_plan *p = malloc(sizeof(*p));
        struct df_plan_request req = { .granularity = DF_PLAN_MEMBLOCK, .want_blocks = 64, .now_usec = NOW };
        uint64_t acc = 0;

        ASSERT_OK(df_plan_choose(&view, normal, &req, p), &(struct df_error) { "" });
        ASSERT_TRUE(p->n_chosen >= 1);
        /* cheapest per block gained first, and it is one of the captured blocks */
        for (size_t i = 1; i < p->n_chosen; i++)
                ASSERT_TRUE(p->chosen[i - 1].cost_pages * p->chosen[i].gain_blocks <=
                            p->chosen[i].cost_pages * p->chosen[i - 1].gain_blocks);
        ASSERT_TRUE(p->chosen[0].memory_block == 102 || p->chosen[0].memory_block == 103 || p->chosen[0].memory_block == 108);
        for (size_t i = 0; i < p->n_chosen; i++)
                acc += p->chosen[i].gain_blocks;
        ASSERT_EQ_U64(acc, p->chosen_gain_blocks);
        ASSERT_TRUE(p->chosen_gain_blocks >= 64);
        ASSERT_EQ_U64(p->bound_pages, p->chosen_cost_pages);
        {
                struct df_action a = { 0 };

                df_plan_fill_action(&view, &p->chosen[0], &a);
                ASSERT_EQ_INT(a.lever, DF_LEVER_CLEAR_OFFLINE);
                ASSERT_EQ_INT(a.target.memory_block, p->chosen[0].memory_block);
                ASSERT_EQ_U64(a.target.start_pfn, (uint64_t) p->chosen[0].memory_block * MB_PAGES);
                ASSERT_EQ_U64(a.target.nr_pages, MB_PAGES);
                ASSERT_EQ_U64(a.planned_pages, p->chosen[0].cost_pages);
                ASSERT_STREQ(a.target.zone, "Normal");
                ASSERT_EQ_INT(a.target.order, 9);
        }
}

/* Bounded slices: after enough ticks the view equals a full scan, every
 * block is stamped with the tick that read it, the cursor wraps. */
static void test_slices(void) {
        struct df_error err = { "" };
        struct df_kpageflags k;
        struct df_plan_view v;
        size_t normal;
        uint64_t tick = NOW, ticks = 0;
        _cleanup_free_ struct df_plan *p = malloc(sizeof(*p));
        struct df_plan_request req = { .granularity = DF_PLAN_BLOCK, .want_blocks = 8, .now_usec = NOW };

        ASSERT_OK(df_plan_view_init(&v, &snap, 9, watched, &err), &err);
        ASSERT_OK(df_plan_view_read_memblocks(&v, root, &err), &err);
        ASSERT_OK(df_kpageflags_open(&k, root, false, &err), &err);
        normal = zone_index(&v, "Normal");
        ASSERT_OK(df_plan_choose(&v, normal, &req, p), &err);
        ASSERT_EQ_U64(p->candidates, 0);
        ASSERT_EQ_U64(p->skipped_unread, v.zones[normal].n_blocks);
        do {
                int64_t n = df_plan_refresh(&v, &k, 65536, NULL, tick, &err);

                ASSERT_TRUE(n > 0 && n <= 3 * 65536);
                tick += USEC_PER_SEC;
                ticks++;
        } while (v.zones[normal].last_pass_usec == 0 && ticks < 1000);
        ASSERT_EQ_U64(ticks, (v.zones[normal].n_blocks * PB + 65535) / 65536);
        ASSERT_EQ_U64(v.zones[normal].cursor_pfn, v.zones[normal].first_block_pfn);
        ASSERT_EQ_U64(df_plan_zone_oldest_usec(&v.zones[normal]), NOW);
        for (size_t i = 0; i < v.zones[normal].n_blocks; i++) {
                ASSERT_TRUE(memcmp(v.zones[normal].blocks[i].pages, view.zones[normal].blocks[i].pages,
                                   sizeof(view.zones[normal].blocks[i].pages)) == 0);
                ASSERT_EQ_U64(v.zones[normal].blocks[i].read_usec, NOW + (i * PB / 65536) * USEC_PER_SEC);
        }
        /* aging: with max_age one tick, only the last slice counts */
        req.now_usec = tick;
        req.max_age_usec = USEC_PER_SEC;
        ASSERT_OK(df_plan_choose(&v, normal, &req, p), &err);
        ASSERT_TRUE(p->skipped_unread >= v.zones[normal].n_blocks - 2 * 65536 / PB);
        df_kpageflags_close(&k);
        df_plan_view_clear(&v);
}

/* EBUSY: cooldown; twice: parked until the block's pages change. */
static void test_refusal_memory(void) {
        struct df_plan_request req = { .granularity = DF_PLAN_MEMBLOCK, .want_blocks = 64, .now_usec = NOW };
        size_t mb = memblock_index(&view, 108), normal = zone_index(&view, "Normal");
        uint64_t start = view.memblocks[mb].start_pfn, flags[PB];
        char why[256] = "";

        if (!df_plan_memblock_allowed(&view, mb, &req, why, sizeof(why)))
                TEST_FAIL_("memory108 not allowed: %s", why);
        df_plan_memblock_outcome(&view, 108, -EBUSY, NOW);
        ASSERT_TRUE(!df_plan_memblock_allowed(&view, mb, &req, why, sizeof(why)));
        ASSERT_CONTAINS(why, "cooling");
        req.now_usec = NOW + DF_PLAN_BUSY_COOLDOWN_USEC;
        ASSERT_TRUE(df_plan_memblock_allowed(&view, mb, &req, why, sizeof(why)));
        df_plan_memblock_outcome(&view, 108, -EBUSY, req.now_usec);
        req.now_usec += 2 * DF_PLAN_BUSY_COOLDOWN_USEC;
        ASSERT_TRUE(!df_plan_memblock_allowed(&view, mb, &req, why, sizeof(why)));
        ASSERT_CONTAINS(why, "failed 2 times and has not changed");
        /* an interrupted attempt says nothing about the block */
        df_plan_memblock_outcome(&view, 108, -EINTR, req.now_usec);
        ASSERT_EQ_U64(view.history[mb].failures, 2);
        /* one page freed in one of its aligned blocks: changed, tried again */
        for (bool changed = false; !changed; start += PB) {
                ASSERT_TRUE(start < view.memblocks[mb].start_pfn + MB_PAGES);
                for (unsigned i = 0; i < PB; i++)
                        flags[i] = fixture_flags(&fx, start + i);
                for (unsigned i = 0; i < PB && !changed; i++)
                        if (!((flags[i] >> DF_KPF_BUDDY) & 1)) {
                                flags[i] = UINT64_C(1) << DF_KPF_BUDDY;
                                changed = true;
                        }
                if (changed)
                        break;
        }
        df_plan_ingest(&view, normal, start, flags, PB, req.now_usec);
        ASSERT_TRUE(df_plan_memblock_allowed(&view, mb, &req, why, sizeof(why)));
        df_plan_memblock_outcome(&view, 108, 0, req.now_usec);
        ASSERT_EQ_U64(view.history[mb].failures, 0);
        /* history survives a re-read of the memory blocks */
        df_plan_memblock_outcome(&view, 108, -EBUSY, NOW);
        ASSERT_OK(df_plan_view_read_memblocks(&view, root, &(struct df_error) { "" }), &(struct df_error) { "" });
        ASSERT_EQ_U64(view.history[memblock_index(&view, 108)].failures, 1);
        df_plan_memblock_outcome(&view, 108, 0, NOW);
}

static void test_safety(void) {
        struct df_memblock_info mb[3] = {
                { .id = 8, .start_pfn = 8 * MB_PAGES, .nr_pages = MB_PAGES, .node = 0, .online = true, .zone = "Normal" },
                { .id = 9, .start_pfn = 9 * MB_PAGES, .nr_pages = MB_PAGES, .node = 0, .online = true, .zone = "Normal" },
                { .id = 10, .start_pfn = 10 * MB_PAGES, .nr_pages = MB_PAGES, .node = 0, .online = true, .zone = "Movable" },
        };
        uint64_t plenty = 100 * MB_PAGES, high = 10000;
        char why[256];

        ASSERT_TRUE(df_memblock_offline_safe(mb, 3, 0, plenty, high, false, why, sizeof(why)));
        /* free after losing the block must stay >= high + 2 blocks */
        ASSERT_TRUE(df_memblock_offline_safe(mb, 3, 0, high + 3 * MB_PAGES, high, false, why, sizeof(why)));
        ASSERT_TRUE(!df_memblock_offline_safe(mb, 3, 0, high + 3 * MB_PAGES - 1, high, false, why, sizeof(why)));
        ASSERT_CONTAINS(why, "high watermark");
        /* the last online block of a zone */
        ASSERT_TRUE(!df_memblock_offline_safe(mb, 3, 2, plenty, high, false, why, sizeof(why)));
        ASSERT_CONTAINS(why, "last online block of zone Movable");
        mb[1].online = false;
        ASSERT_TRUE(!df_memblock_offline_safe(mb, 3, 0, plenty, high, false, why, sizeof(why)));
        ASSERT_CONTAINS(why, "last online block of zone Normal");
        mb[1].online = true;
        /* another node's blocks do not count */
        mb[1].node = 1;
        ASSERT_TRUE(!df_memblock_offline_safe(mb, 3, 0, plenty, high, false, why, sizeof(why)));
        ASSERT_CONTAINS(why, "last online block of zone Normal on node 0");
        mb[1].node = 0;
        mb[0].hypervisor_managed = true;
        snprintf(mb[0].manager, sizeof(mb[0].manager), "virtio_mem");
        ASSERT_TRUE(!df_memblock_offline_safe(mb, 3, 0, plenty, high, false, why, sizeof(why)));
        ASSERT_CONTAINS(why, "managed by virtio_mem");
        ASSERT_TRUE(df_memblock_offline_safe(mb, 3, 0, plenty, high, true, why, sizeof(why)));
        mb[0].zone[0] = 0;
        ASSERT_TRUE(!df_memblock_offline_safe(mb, 3, 0, plenty, high, true, why, sizeof(why)));
        ASSERT_CONTAINS(why, "spans zones");
        mb[0].online = false;
        ASSERT_TRUE(!df_memblock_offline_safe(mb, 3, 0, plenty, high, true, why, sizeof(why)));
        ASSERT_CONTAINS(why, "is offline");
}

static void test_summary_and_cgroups(void) {
        struct df_plan_summary s;
        size_t normal = zone_index(&view, "Normal"), mb = memblock_index(&view, 108);
        uint64_t start = view.memblocks[mb].start_pfn, movable = 0, total = 0;
        _cleanup_free_ uint64_t *flags = calloc(MB_PAGES, 8), *cg = calloc(MB_PAGES, 8);
        struct df_cgroup_pages out[4];
        size_t n;

        df_plan_summarize(&view, normal, NOW, &s);
        ASSERT_STREQ(s.zone, "Normal");
        ASSERT_EQ_U64(s.blocks, view.zones[normal].n_blocks);
        ASSERT_EQ_U64(s.blocks_read, s.blocks);
        ASSERT_TRUE(s.block_candidates > 0 && s.block_min_cost_pages >= 1);
        ASSERT_TRUE(s.memblock_candidates > 0 && s.memblock_min_cost_pages < MB_PAGES);

        for (uint64_t i = 0; i < MB_PAGES; i++) {
                enum df_page_kind k;

                flags[i] = fixture_flags(&fx, start + i);
                cg[i] = 1000 + i % 3; /* three cgroup inodes */
                k = df_page_kind_of(flags[i]);
                if (df_page_kind_movable(k) && k != DF_PAGE_UNKNOWN)
                        movable++;
        }
        n = df_plan_count_cgroups(flags, cg, MB_PAGES, out, 0, ELEMENTSOF(out));
        ASSERT_EQ_U64(n, 3);
        for (size_t i = 0; i < n; i++)
                total += out[i].pages;
        ASSERT_EQ_U64(total, movable);
        ASSERT_TRUE(out[0].anon_pages > 0);
}

static void write_text(const char *rel, const char *text) {
        char path[4096];

        snprintf(path, sizeof(path), "%s%s", root, rel);
        fixture_write(path, text);
}

static void read_text(const char *rel, char *buf, size_t size) {
        char path[4096];

        snprintf(path, sizeof(path), "%s%s", root, rel);
        if (df_knob_read(path, buf, size) < 0)
                buf[0] = 0;
}

/* One state file, two record types, one recovery path. */
static void test_state_file(void) {
        char state[4200], buf[256], path[4200];
        struct df_error err = { "" };
        struct df_knobs *k = NULL;
        _cleanup_free_ char *text = NULL;

        snprintf(path, sizeof(path), "%s/proc/sys", root);
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/proc/sys/vm", root);
        mkdir(path, 0755);
        write_text("/proc/sys/vm/compaction_proactiveness", "20\n");
        snprintf(state, sizeof(state), "%s/knobs.state", root);
        ASSERT_OK(df_knobs_new(state, root, &k), &err);
        ASSERT_OK(df_knobs_set(k, "/proc/sys/vm/compaction_proactiveness", "60", "test", &err), &err);
        /* the lever (another process in life) records a block ... */
        ASSERT_OK(df_knobs_memblock_record(state, 108, "online_kernel", &err), &err);
        write_text("/sys/devices/system/memory/memory108/state", "offline\n");
        /* ... and the daemon's next knob write keeps that record */
        ASSERT_OK(df_knobs_set(k, "/proc/sys/vm/compaction_proactiveness", "70", "test", &err), &err);
        ASSERT_OK(df_read_file(state, &text, NULL, &err), &err);
        ASSERT_CONTAINS(text, "/proc/sys/vm/compaction_proactiveness\t20\n");
        ASSERT_CONTAINS(text, "memblock\t108\tonline_kernel\n");
        ASSERT_TRUE(df_knobs_memblock_record(state, 5, "bogus", &err) == -EINVAL);
        ASSERT_CONTAINS(err.msg, "accepted: online_kernel, online_movable, online");
        df_knobs_free(k); /* "crash": nothing restored */

        /* next start (or defragd --restore-knobs): knob back AND block online */
        ASSERT_OK(df_knobs_new(state, root, &k), &err);
        ASSERT_EQ_INT(df_knobs_recover(k, &err), 2);
        read_text("/proc/sys/vm/compaction_proactiveness", buf, sizeof(buf));
        ASSERT_STREQ(buf, "20");
        read_text("/sys/devices/system/memory/memory108/state", buf, sizeof(buf));
        ASSERT_STREQ(buf, "online_kernel");
        ASSERT_TRUE(access(state, F_OK) < 0);
        /* at exit: restore_all onlines a block a killed child left */
        ASSERT_OK(df_knobs_memblock_record(state, 108, "online_movable", &err), &err);
        write_text("/sys/devices/system/memory/memory108/state", "offline\n");
        ASSERT_OK(df_knobs_restore_all(k, "stopping", &err), &err);
        read_text("/sys/devices/system/memory/memory108/state", buf, sizeof(buf));
        ASSERT_STREQ(buf, "online_movable");
        ASSERT_TRUE(access(state, F_OK) < 0);
        df_knobs_free(k);
        write_text("/sys/devices/system/memory/memory108/state", "online\n");
}

/* The lever on the fixture root: sysfs files are plain files here, so the
 * offline "succeeds"; what is checked is the order: record, offline, online
 * with the zone it had, forget; and the refusals. */
static void test_lever_on_root(void) {
        struct df_lever_env env = { .root = root, .runtime_dir = root };
        struct df_action a = { .lever = DF_LEVER_CLEAR_OFFLINE };
        struct df_action_result r = { 0 };
        char reason[256] = "", buf[64], state[4200];
        void *st = NULL;

        ASSERT_EQ_INT(df_lever_offline_ops.open(&env, &st, reason, sizeof(reason)), 0);
        a.target.memory_block = 108;
        a.target.start_pfn = 108 * MB_PAGES;
        a.target.nr_pages = MB_PAGES;
        ASSERT_EQ_INT(df_lever_offline_ops.run(&env, st, &a, &r), 0);
        ASSERT_EQ_INT(r.outcome, DF_OUTCOME_DONE);
        ASSERT_EQ_U64(r.amount_done, 1);
        read_text("/sys/devices/system/memory/memory108/state", buf, sizeof(buf));
        ASSERT_STREQ(buf, "online_kernel");
        snprintf(state, sizeof(state), "%s/" DF_KNOBS_STATE_FILE, root);
        ASSERT_TRUE(access(state, F_OK) < 0);
        write_text("/sys/devices/system/memory/memory108/state", "online\n");

        memset(&r, 0, sizeof(r));
        a.target.memory_block = 0; /* spans DMA and DMA32 */
        a.target.nr_pages = 0;
        ASSERT_EQ_INT(df_lever_offline_ops.run(&env, st, &a, &r), -EPERM);
        ASSERT_EQ_INT(r.outcome, DF_OUTCOME_FAILED);
        ASSERT_CONTAINS(r.detail, "spans zones");
        memset(&r, 0, sizeof(r));
        a.target.memory_block = 102;
        a.target.start_pfn = 1;
        a.target.nr_pages = MB_PAGES;
        ASSERT_EQ_INT(df_lever_offline_ops.run(&env, st, &a, &r), -EINVAL);
        ASSERT_CONTAINS(r.detail, "not the planned");
        df_lever_offline_ops.close(st);

        /* no hot-remove: the rung is absent, said once by open() */
        for (int i = 0; i < 200; i++) {
                char rel[128], path[4300];

                snprintf(rel, sizeof(rel), "/sys/devices/system/memory/memory%d/removable", i);
                snprintf(path, sizeof(path), "%s%s", root, rel);
                if (access(path, F_OK) == 0)
                        write_text(rel, "0\n");
        }
        st = NULL;
        ASSERT_EQ_INT(df_lever_offline_ops.open(&env, &st, reason, sizeof(reason)), -EOPNOTSUPP);
        ASSERT_CONTAINS(reason, "CONFIG_MEMORY_HOTREMOVE");
        ASSERT_TRUE(st == NULL);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
        (void) sb;
        (void) flag;
        (void) ftw;
        return remove(path);
}

int main(int argc, char **argv) {
        struct df_error err = { "" };
        struct df_kpageflags k;
        char src[4096];

        snprintf(src, sizeof(src), "%s/live-6.18-planner", test_fixtures());
        if (argc == 3 && strcmp(argv[1], "--make-root") == 0) {
                /* for the shell tests: build a root and leave it */
                int r;

                mkdir(argv[2], 0755);
                r = fixture_make_root(src, argv[2], &fx);
                fixture_free(&fx);
                return r < 0 ? 1 : 0;
        }
        if (!mkdtemp(root)) {
                fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
                return 1;
        }
        if (fixture_make_root(src, root, &fx) < 0)
                return 1;
        df_snapshot_init(&snap);
        if (df_snapshot_read_procfs(root, NOW, &snap, &err) < 0 || df_plan_view_init(&view, &snap, 9, watched, &err) < 0 ||
            df_plan_view_read_memblocks(&view, root, &err) < 0 || df_kpageflags_open(&k, root, false, &err) < 0 ||
            df_plan_scan_all(&view, &k, 1u << 15, NOW, &err) < 0) {
                fprintf(stderr, "setup: %s\n", err.msg);
                return 1;
        }
        df_kpageflags_close(&k);

        RUN_TEST(test_page_kinds);
        RUN_TEST(test_memblocks_source);
        RUN_TEST(test_zones_and_holes);
        RUN_TEST(test_one_slab_page);
        RUN_TEST(test_costs_match_flags);
        RUN_TEST(test_bound_blocks);
        RUN_TEST(test_bound_curve);
        RUN_TEST(test_choose_memblocks);
        RUN_TEST(test_slices);
        RUN_TEST(test_refusal_memory);
        RUN_TEST(test_safety);
        RUN_TEST(test_summary_and_cgroups);
        RUN_TEST(test_state_file);
        RUN_TEST(test_lever_on_root);

        df_plan_view_clear(&view);
        df_snapshot_clear(&snap);
        fixture_free(&fx);
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        return test_summary();
}
