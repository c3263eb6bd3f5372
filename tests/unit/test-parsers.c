/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Every procfs parser on every fixture root, with exact expected values taken
 * from the fixture files, plus the invariants each derived fixture keeps. */
#include <errno.h>
#include <string.h>

#include "defragd/procfs.h"
#include "test-util.h"

struct expect {
        const char *root;
        size_t n_zones, n_nodes;
        int nr_orders, pageblock_order;
        const char *types;        /* migratetype names joined by spaces */
        bool derived;             /* generated: pagetypeinfo sums equal buddyinfo exactly */
        /* one zone, checked cell by cell */
        int node;
        const char *zone;
        uint64_t free[DF_MAX_ORDERS];
        uint64_t pages_free, wmin, wlow, whigh, present, managed;
        uint64_t blocks_movable;
        /* PSI (some) and vmstat */
        bool psi;
        double some_avg60;
        uint64_t some_total;
        bool vmstat;
        const char *vm_name;
        uint64_t vm_value;
};

static const struct expect fixtures[] = {
        { "live-6.18-idle", 3, 1, 11, 9, "Unmovable Movable Reclaimable HighAtomic Isolate", false,
          0, "Normal", { 1071, 816, 481, 370, 190, 78, 15, 5, 18, 57, 396 },
          454046, 7056, 8820, 10584, 5505024, 557056, 990,
          true, 0.0, 0, true, "pgfault", 3245758 },
        { "live-6.18-fragmented", 3, 1, 11, 9, "Unmovable Movable Reclaimable HighAtomic Isolate", false,
          0, "Normal", { 194975, 175041, 10990, 417, 190, 77, 15, 4, 4, 1, 7 },
          608033, 9149, 11436, 13723, 5505024, 917504, 1696,
          true, 0.0, 0, true, "nr_free_pages", 1384738 },
        { "live-6.18-contended", 3, 1, 11, 9, "Unmovable Movable Reclaimable HighAtomic Isolate", false,
          0, "Normal", { 474643, 468408, 464090, 15820, 9727, 6061, 3046, 1545, 1361, 0, 0 },
          4485113, 14769, 20163, 25557, 5505024, 5394266, 10616,
          true, 0.06, 364170, true, "compact_stall", 2322 },
        { "ppc64-9orders", 1, 1, 9, 8, "Unmovable Movable Reclaimable HighAtomic CMA Isolate", true,
          0, "Normal", { 1896, 1255, 382, 136, 35, 23, 43, 0, 173 },
          55358, 160, 200, 240, 131072, 128451, 475,
          true, 0.12, 123456, false, NULL, 0 },
        { "arm64-16k-12orders", 2, 1, 12, 11, "Unmovable Movable Reclaimable HighAtomic CMA Isolate", true,
          0, "Normal", { 100527, 942, 707, 307, 58, 71, 0, 21, 9, 2, 7, 191 },
          515247, 642, 802, 963, 524288, 513803, 238,
          true, 0.50, 987654321, false, NULL, 0 },
        { "i386-highmem", 3, 1, 11, 9, "Unmovable Movable Reclaimable HighAtomic Isolate", true,
          0, "HighMem", { 517, 1074, 9, 248, 51, 36, 12, 14, 1, 5, 61 },
          0, 0, 0, 0, 819200, 0, 0,
          true, 0.0, 0, false, NULL, 0 },
        { "numa-2node", 4, 2, 11, 9, "Unmovable Movable Reclaimable HighAtomic Isolate", true,
          1, "Normal", { 2295, 363, 241, 118, 6, 22, 20, 5, 2, 8, 0 },
          12257, 5138, 6422, 7711, 4194304, 4110418, 7579,
          true, 1.75, 55555555, false, NULL, 0 },
        { "numa-4node", 7, 4, 11, 9, "Unmovable Movable Reclaimable HighAtomic Isolate", true,
          3, "Movable", { 332, 94, 473, 320, 71, 66, 34, 20, 7, 5, 74 },
          0, 0, 0, 0, 1048576, 0, 0,
          true, 0.0, 1000, false, NULL, 0 },
        { "linux-4.19-nopsi", 3, 1, 11, 9, "Unmovable Movable Reclaimable HighAtomic Isolate", true,
          0, "Normal", { 1820, 598, 622, 215, 127, 14, 21, 20, 10, 5, 96 },
          0, 0, 0, 0, 1310720, 0, 0,
          false, 0, 0, true, "compact_stall", 7 },
        { "numa-8node", 10, 8, 11, 9, "Unmovable Movable Reclaimable HighAtomic Isolate", true,
          7, "Normal", { 998, 24, 302, 175, 56, 34, 2, 13, 4, 6, 152 },
          0, 0, 0, 0, 4194304, 0, 0,
          true, 0.0, 0, false, NULL, 0 },
        { "numa-64node", 66, 64, 11, 9, "Unmovable Movable Reclaimable HighAtomic Isolate", true,
          63, "Normal", { 1658, 1453, 540, 17, 181, 51, 14, 11, 9, 6, 262 },
          0, 0, 0, 0, 4194304, 0, 0,
          true, 0.0, 0, false, NULL, 0 },
};

static void check_fixture(const struct expect *e) {
        struct df_snapshot s;
        struct df_error err = { "" };
        const struct df_zone *z;
        char types[256] = "";
        int nodes[128];
        int r;

        fprintf(stderr, "  fixture %s\n", e->root);
        df_snapshot_init(&s);
        r = df_snapshot_read_procfs(test_fixture_path(e->root), 42, &s, &err);
        if (r != 0)
                df_snapshot_clear(&s);
        ASSERT_OK(r, &err);
        ASSERT_EQ_U64(s.taken_usec, 42);
        ASSERT_EQ_U64(s.n_zones, e->n_zones);
        ASSERT_EQ_U64(df_snapshot_nodes(&s, nodes, 128), e->n_nodes);
        ASSERT_EQ_INT(s.pageblock_order, e->pageblock_order);
        for (int t = 0; t < s.nr_migratetypes; t++) {
                if (t)
                        strcat(types, " ");
                strcat(types, s.migratetype_names[t]);
        }
        ASSERT_STREQ(types, e->types);

        for (size_t i = 0; i < s.n_zones; i++) {
                const struct df_zone *zz = &s.zones[i];
                uint64_t pages = 0;

                ASSERT_TRUE(zz->has_buddyinfo && zz->has_pagetype && zz->has_zoneinfo);
                ASSERT_EQ_INT(zz->nr_orders, e->nr_orders);
                for (int o = 0; o < zz->nr_orders; o++) {
                        uint64_t sum = 0;

                        for (int t = 0; t < s.nr_migratetypes; t++)
                                sum += zz->free_by_type[t][o];
                        if (e->derived)
                                ASSERT_EQ_U64(sum, zz->free_blocks[o]);
                        pages += zz->free_blocks[o] << o;
                }
                if (e->derived)
                        ASSERT_EQ_U64(zz->nr_free_pages, pages);
                ASSERT_TRUE(zz->present_pages > 0);
                ASSERT_TRUE(zz->wmark_min_pages <= zz->wmark_low_pages && zz->wmark_low_pages <= zz->wmark_high_pages);
        }

        z = df_snapshot_zone_const(&s, e->node, e->zone);
        ASSERT_TRUE(z != NULL);
        for (int o = 0; o < e->nr_orders; o++)
                ASSERT_EQ_U64(z->free_blocks[o], e->free[o]);
        ASSERT_EQ_U64(z->present_pages, e->present);
        if (e->pages_free) {
                ASSERT_EQ_U64(z->nr_free_pages, e->pages_free);
                ASSERT_EQ_U64(z->wmark_min_pages, e->wmin);
                ASSERT_EQ_U64(z->wmark_low_pages, e->wlow);
                ASSERT_EQ_U64(z->wmark_high_pages, e->whigh);
                ASSERT_EQ_U64(z->managed_pages, e->managed);
                ASSERT_EQ_U64(z->pageblocks_by_type[1], e->blocks_movable); /* "Movable" is type 1 everywhere */
        }
        /* Unpopulated zones (Movable/Device with present 0) never enter the snapshot. */
        ASSERT_TRUE(df_snapshot_zone_const(&s, 0, "Device") == NULL);

        ASSERT_EQ_INT(s.psi.present, e->psi);
        if (e->psi) {
                ASSERT_TRUE(s.psi.some.avg60 > e->some_avg60 - 0.001 && s.psi.some.avg60 < e->some_avg60 + 0.001);
                ASSERT_EQ_U64(s.psi.some.total_usec, e->some_total);
        }
        ASSERT_EQ_INT(s.vmstat.n > 0, e->vmstat);
        if (e->vmstat) {
                uint64_t v = 0;

                ASSERT_TRUE(df_vmstat_get(&s.vmstat, e->vm_name, &v));
                ASSERT_EQ_U64(v, e->vm_value);
                ASSERT_TRUE(!df_vmstat_get(&s.vmstat, "no_such_counter", NULL));
        }
        df_snapshot_clear(&s);
        ASSERT_EQ_U64(s.n_zones, 0);
}

static void test_all_fixtures(void) {
        unsigned failed_before = test_current_failed;

        for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
                test_current_failed = false;
                check_fixture(&fixtures[i]);
                if (test_current_failed)
                        failed_before = true;
        }
        test_current_failed = failed_before;
}

/* The capture has the kernel's capped free-list count (">100000"). */
static void test_pagetype_capped_cell(void) {
        struct df_snapshot s;
        struct df_error err = { "" };
        const struct df_zone *z;

        df_snapshot_init(&s);
        ASSERT_OK(df_read_pagetypeinfo(test_fixture_path("live-6.18-fragmented"), &s, &err), &err);
        z = df_snapshot_zone_const(&s, 0, "Normal");
        ASSERT_TRUE(z != NULL);
        ASSERT_EQ_U64(z->free_by_type[1][0], 100000);
        ASSERT_EQ_U64(z->free_by_type[1][1], 100000);
        ASSERT_EQ_U64(z->free_by_type[1][2], 10835);
        ASSERT_EQ_U64(z->free_by_type[0][1], 19); /* Unmovable order 1 of that capture */
        ASSERT_EQ_U64(z->pageblocks_by_type[2], 49); /* Reclaimable */
        /* pagetypeinfo alone: zones exist but carry no buddyinfo */
        ASSERT_TRUE(!z->has_buddyinfo && z->has_pagetype);
        df_snapshot_clear(&s);
}

/* Parsers over text, without files: the smallest valid inputs. */
static void test_parse_text(void) {
        struct df_snapshot s;
        struct df_error err = { "" };
        struct df_psi p;
        struct df_vmstat v = { 0, NULL };
        uint64_t x = 0;

        df_snapshot_init(&s);
        ASSERT_OK(df_parse_buddyinfo("Node 5, zone Normal 1 2 3\n", "t", &s, &err), &err);
        ASSERT_EQ_U64(s.n_zones, 1);
        ASSERT_EQ_INT(s.zones[0].node, 5);
        ASSERT_EQ_INT(s.zones[0].nr_orders, 3);
        ASSERT_EQ_U64(s.zones[0].free_blocks[2], 3);
        /* tabs and blank lines are tolerated */
        ASSERT_OK(df_parse_buddyinfo("\nNode\t6,\tzone\tDMA\t1125899906842624\t0 \n\n", "t", &s, &err), &err);
        ASSERT_EQ_U64(s.zones[1].free_blocks[0], UINT64_C(1) << 50); /* the most a zone may have (2^50 pages) */
        df_snapshot_clear(&s);

        ASSERT_OK(df_parse_psi("some avg10=100.00 avg60=0.01 avg300=9.99 total=18446744073709551615\n", "t", &p, &err), &err);
        ASSERT_TRUE(p.present && p.some.present && !p.full.present);
        ASSERT_TRUE(p.some.avg10 > 99.99 && p.some.avg60 > 0.009 && p.some.avg60 < 0.011);
        ASSERT_EQ_U64(p.some.total_usec, UINT64_MAX);

        ASSERT_OK(df_parse_vmstat("a 1\nb 2\n", "t", &v, &err), &err);
        ASSERT_EQ_U64(v.n, 2);
        ASSERT_TRUE(df_vmstat_get(&v, "b", &x));
        ASSERT_EQ_U64(x, 2);
        df_vmstat_clear(&v);
}

/* Missing optional files leave has_* false; a missing buddyinfo is an error
 * naming the path. */
static void test_missing_files(void) {
        struct df_snapshot s;
        struct df_error err = { "" };
        char path[4096];
        int r;

        df_snapshot_init(&s);
        r = df_snapshot_read_procfs(test_fixture_path("malformed"), 0, &s, &err);
        ASSERT_EQ_INT(r, -ENOENT);
        snprintf(path, sizeof(path), "%s/malformed/proc/buddyinfo: cannot open: No such file or directory", test_fixtures());
        ASSERT_STREQ(err.msg, path);
        ASSERT_EQ_U64(s.n_zones, 0);

        ASSERT_EQ_INT(df_proc_path("", "buddyinfo", path, sizeof(path)), 0);
        ASSERT_STREQ(path, "/proc/buddyinfo");
        ASSERT_EQ_INT(df_proc_path("/", "pressure/memory", path, sizeof(path)), 0);
        ASSERT_STREQ(path, "/proc/pressure/memory");
        ASSERT_EQ_INT(df_proc_path(NULL, "vmstat", path, sizeof(path)), 0);
        ASSERT_STREQ(path, "/proc/vmstat");
        ASSERT_EQ_INT(df_proc_path("/x", "zoneinfo", path, sizeof(path)), 0);
        ASSERT_STREQ(path, "/x/proc/zoneinfo");
        ASSERT_EQ_INT(df_proc_path("/x", "zoneinfo", path, 8), -ENAMETOOLONG);
}

/* A layout change between polls is described zone by zone; none is none. */
static void test_shape_diff(void) {
        struct df_snapshot a, b;
        struct df_snapshot_shape sa = { 0 }, sb = { 0 };
        struct df_error err = { "" };
        char what[256];

        df_snapshot_init(&a);
        df_snapshot_init(&b);
        /* One read holds one order count: a file mixing them is refused (the evaluation skipped). */
        ASSERT_EQ_INT(df_parse_buddyinfo("Node 0, zone DMA 1 1 1\nNode 0, zone Normal 1 2 3 4\n", "t", &a, &err), -EINVAL);
        df_snapshot_clear(&a);
        ASSERT_OK(df_parse_buddyinfo("Node 0, zone DMA 1 1 1 1 1 1 1 1 1 1 1\nNode 0, zone Normal 1 2 3 4 5 6 7 8 9 10 11\n"
                                     "Node 1, zone Normal 1 2 3 4 5 6 7 8 9 10 11\n", "t", &a, &err), &err);
        ASSERT_OK(df_parse_buddyinfo("Node 0, zone DMA 1 1 1 1 1 1 1 1 1\nNode 0, zone Normal 1 2 3 4 5 6 7 8 9\n"
                                     "Node 0, zone Movable 1 2 3 4 5 6 7 8 9\n", "t", &b, &err), &err);
        ASSERT_EQ_INT(df_snapshot_shape_of(&a, &sa), 0);
        ASSERT_EQ_INT(df_snapshot_shape_of(&b, &sb), 0);
        ASSERT_TRUE(!df_snapshot_shape_diff(&sa, &sa, 9, what, sizeof(what)));
        ASSERT_STREQ(what, "");
        ASSERT_TRUE(df_snapshot_shape_diff(&sa, &sb, -1, what, sizeof(what)));
        ASSERT_STREQ(what, "node 1 Normal gone; node 0 DMA 9 orders, was 11; node 0 Normal 9 orders, was 11; "
                           "node 0 Movable appeared, 9 orders");
        ASSERT_TRUE(df_snapshot_shape_diff(&sb, &sa, 8, what, sizeof(what)));
        ASSERT_STREQ(what, "node 0 Movable gone; node 0 DMA 11 orders, was 9; node 0 Normal 11 orders, was 9; "
                           "node 1 Normal appeared, 11 orders");
        /* A target the new order count does not reach is named. */
        sb.n = 2;
        ASSERT_TRUE(df_snapshot_shape_diff(&sa, &sb, 9, what, sizeof(what)));
        ASSERT_CONTAINS(what, "node 0 Normal 9 orders, was 11; its order 9 target cannot be evaluated");
        /* A short buffer ends in "...", never overflows. */
        ASSERT_TRUE(df_snapshot_shape_diff(&sa, &sb, 9, what, 20));
        ASSERT_STREQ(what, "node 1 Normal go...");
        df_snapshot_shape_clear(&sa);
        df_snapshot_shape_clear(&sb);
        df_snapshot_clear(&a);
        df_snapshot_clear(&b);
}

/* The live system parses too (no values to compare: it moves). */
static void test_live(void) {
        struct df_snapshot s;
        struct df_error err = { "" };

        df_snapshot_init(&s);
        ASSERT_OK(df_snapshot_read_procfs("/", 1, &s, &err), &err);
        ASSERT_TRUE(s.n_zones >= 1);
        ASSERT_TRUE(s.zones[0].nr_orders >= 1);
        df_snapshot_clear(&s);
}

int main(void) {
        RUN_TEST(test_all_fixtures);
        RUN_TEST(test_pagetype_capped_cell);
        RUN_TEST(test_parse_text);
        RUN_TEST(test_missing_files);
        RUN_TEST(test_shape_diff);
        RUN_TEST(test_live);
        return test_summary();
}
