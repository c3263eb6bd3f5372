/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel's fragmentation arithmetic: hand-computed cases for every
 * branch of mm/vmstat.c and mm/compaction.c, then digit for digit against
 * debugfs extfrag/{unusable_index,extfrag_index} captured with the fixtures. */
#include <errno.h>
#include <string.h>

#include "defragd/model.h"
#include "defragd/pressure.h"
#include "defragd/procfs.h"
#include "defragd/util.h"
#include "test-util.h"

static void index_str(int index, char *buf) {
        df_format_index(index, buf, 16);
}

static void test_contig_info(void) {
        const uint64_t dma[11] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 3 };
        struct df_contig_info info;

        df_fill_contig_info(dma, 11, 9, &info);
        ASSERT_EQ_U64(info.free_pages, 256 + 512 + 3 * 1024);
        ASSERT_EQ_U64(info.free_blocks_total, 5);
        ASSERT_EQ_U64(info.free_blocks_suitable, 1 + 3 * 2);
        df_fill_contig_info(dma, 11, 0, &info);
        ASSERT_EQ_U64(info.free_blocks_suitable, 256 + 512 + 3 * 1024);
}

/* (3840 - 7*512) * 1000 / 3840 = 66.67 -> 66, printed "0.066" as debugfs does. */
static void test_unusable(void) {
        const uint64_t dma[11] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 3 };
        const uint64_t none[4] = { 0, 0, 0, 0 };
        struct df_contig_info info;
        char buf[16];

        df_fill_contig_info(dma, 11, 9, &info);
        ASSERT_EQ_INT(df_unusable_index(9, &info), 66);
        df_fill_contig_info(dma, 11, 10, &info);
        ASSERT_EQ_INT(df_unusable_index(10, &info), 200);
        df_fill_contig_info(dma, 11, 8, &info);
        ASSERT_EQ_INT(df_unusable_index(8, &info), 0);
        /* nothing free: all of it is unusable */
        df_fill_contig_info(none, 4, 2, &info);
        ASSERT_EQ_INT(df_unusable_index(2, &info), 1000);
        index_str(66, buf);
        ASSERT_STREQ(buf, "0.066");
        index_str(1000, buf);
        ASSERT_STREQ(buf, "1.000");
}

static void test_fragmentation(void) {
        const uint64_t small[4] = { 2, 1, 0, 0 };
        const uint64_t one[2] = { 1, 0 };
        const uint64_t crumbs[4] = { 1000, 0, 0, 0 };
        const uint64_t none[4] = { 0, 0, 0, 0 };
        struct df_contig_info info;
        char buf[16];

        /* order 2 fails: 1000 - (1000 + 4*1000/4) / 3 = 1000 - 666 = 334 */
        df_fill_contig_info(small, 4, 2, &info);
        ASSERT_EQ_INT(df_fragmentation_index(2, &info), 334);
        ASSERT_EQ_INT(df_unusable_index(2, &info), 1000);
        ASSERT_EQ_INT(df_extfrag_for_order(2, &info), 100);
        /* order 1 succeeds (one order-1 block) */
        df_fill_contig_info(small, 4, 1, &info);
        ASSERT_EQ_INT(df_fragmentation_index(1, &info), -1000);
        ASSERT_EQ_INT(df_unusable_index(1, &info), 500);
        ASSERT_EQ_INT(df_extfrag_for_order(1, &info), 50);
        /* 1000 single pages, order 3: 1000 - (1000 + 125000) / 1000 = 874 */
        df_fill_contig_info(crumbs, 4, 3, &info);
        ASSERT_EQ_INT(df_fragmentation_index(3, &info), 874);
        /* one free page, order 1: the kernel's formula gives -500, printed "0.-500" */
        df_fill_contig_info(one, 2, 1, &info);
        ASSERT_EQ_INT(df_fragmentation_index(1, &info), -500);
        index_str(-500, buf);
        ASSERT_STREQ(buf, "0.-500");
        /* nothing free: 0 (lack of memory), extfrag 0 */
        df_fill_contig_info(none, 4, 3, &info);
        ASSERT_EQ_INT(df_fragmentation_index(3, &info), 0);
        ASSERT_EQ_INT(df_extfrag_for_order(3, &info), 0);
        index_str(-1000, buf);
        ASSERT_STREQ(buf, "-1.000");
        index_str(334, buf);
        ASSERT_STREQ(buf, "0.334");
        /* orders the kernel would WARN on */
        ASSERT_EQ_INT(df_fragmentation_index(64, &info), 0);
}

static void test_zone_model(void) {
        struct df_zone z = { .node = 2, .name = "Normal", .nr_orders = 4, .free_blocks = { 2, 1, 0, 0 } };
        struct df_zone_model m;

        df_zone_model_compute(&z, &m);
        ASSERT_EQ_INT(m.node, 2);
        ASSERT_STREQ(m.zone, "Normal");
        ASSERT_EQ_U64(m.free_pages, 4);
        ASSERT_EQ_U64(m.suitable_blocks[0], 4);
        ASSERT_EQ_U64(m.suitable_blocks[1], 1);
        ASSERT_EQ_U64(m.suitable_blocks[2], 0);
        ASSERT_EQ_INT(m.unusable_index[0], 0);
        ASSERT_EQ_INT(m.unusable_index[1], 500);
        ASSERT_EQ_INT(m.unusable_index[3], 1000);
        ASSERT_EQ_INT(m.fragmentation_index[1], -1000);
        ASSERT_EQ_INT(m.fragmentation_index[2], 334);
        /* 1000 - (1000 + 4000/8) / 3 = 1000 - 500 = 500 */
        ASSERT_EQ_INT(m.fragmentation_index[3], 500);
}

/* Zone A: present 1000, 100 free pages, none of order 9 -> extfrag 100.
 * Zone B: present 3000, 1024 pages + 2 order-9 blocks -> (2048-1024)*100/2048 = 50.
 * score = 1000*100/4001 + 3000*50/4001 = 24 + 37 = 61. */
static void test_compaction_score(void) {
        struct df_snapshot s;
        struct df_zone *a, *b;

        df_snapshot_init(&s);
        a = df_snapshot_zone(&s, 0, "DMA32", true);
        ASSERT_TRUE(a != NULL);
        a->nr_orders = 11;
        a->free_blocks[0] = 100;
        a->has_zoneinfo = true;
        a->present_pages = 1000;
        b = df_snapshot_zone(&s, 0, "Normal", true);
        ASSERT_TRUE(b != NULL);
        b->nr_orders = 11;
        b->free_blocks[0] = 1024;
        b->free_blocks[9] = 2;
        b->has_zoneinfo = true;
        b->present_pages = 3000;
        ASSERT_EQ_INT(df_node_compaction_score(&s, 0, 9), 61);
        ASSERT_EQ_INT(df_node_compaction_score(&s, 1, 9), -1);   /* no such node */
        s.zones[1].has_zoneinfo = false;
        ASSERT_EQ_INT(df_node_compaction_score(&s, 0, 9), -1);   /* no present pages known */
        df_snapshot_clear(&s);

        /* 6.16+: low = 100 - p, high = low + min(10, low / 2) */
        ASSERT_EQ_INT(df_compaction_score_wmark(20, 1), 80);
        ASSERT_EQ_INT(df_compaction_score_wmark(20, 0), 90);
        ASSERT_EQ_INT(df_compaction_score_wmark(95, 1), 5);
        ASSERT_EQ_INT(df_compaction_score_wmark(95, 0), 7);
        ASSERT_EQ_INT(df_compaction_score_wmark(100, 0), 0);
        ASSERT_EQ_INT(df_compaction_score_wmark(0, 0), 100);
}

/* debugfs extfrag file: "Node N, zone NAME i i i ..." per populated zone. */
static unsigned compare_debugfs(const char *root, const char *file, bool unusable, unsigned *n_cells) {
        _cleanup_free_ char *text = NULL;
        struct df_snapshot s;
        struct df_error err = { "" };
        char path[4096];
        unsigned mismatches = 0, n_lines = 0;
        char *save = NULL;

        snprintf(path, sizeof(path), "%s/%s/debugfs/extfrag/%s", test_fixtures(), root, file);
        df_snapshot_init(&s);
        if (df_read_file(path, &text, NULL, &err) < 0 || df_read_buddyinfo(test_fixture_path(root), &s, &err) < 0) {
                fprintf(stderr, "%s\n", err.msg);
                df_snapshot_clear(&s);
                return 1;
        }
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char zone[32], *p;
                int node, consumed = 0, order = 0;
                const struct df_zone *z;
                struct df_zone_model m;

                if (sscanf(line, "Node %d, zone %31s %n", &node, zone, &consumed) != 2) {
                        fprintf(stderr, "%s: cannot read \"%s\"\n", path, line);
                        mismatches++;
                        continue;
                }
                n_lines++;
                z = df_snapshot_zone_const(&s, node, zone);
                if (!z) {
                        fprintf(stderr, "%s: zone %s of node %d not in buddyinfo\n", path, zone, node);
                        mismatches++;
                        continue;
                }
                df_zone_model_compute(z, &m);
                p = line + consumed;
                for (char *tok = strtok(p, " "); tok; tok = strtok(NULL, " "), order++) {
                        char ours[16];

                        if (order >= m.nr_orders) {
                                mismatches++;
                                break;
                        }
                        index_str(unusable ? m.unusable_index[order] : m.fragmentation_index[order], ours);
                        (*n_cells)++;
                        if (strcmp(ours, tok) != 0) {
                                fprintf(stderr, "%s: node %d zone %s order %d: kernel %s, ours %s\n",
                                        path, node, zone, order, tok, ours);
                                mismatches++;
                        }
                }
                if (order != m.nr_orders)
                        mismatches++;
        }
        if (n_lines != s.n_zones)
                mismatches++;
        df_snapshot_clear(&s);
        return mismatches;
}

static void test_debugfs_captures(void) {
        static const char *const roots[] = { "live-6.18-idle", "live-6.18-fragmented", "live-6.18-contended" };
        unsigned cells = 0;

        for (size_t i = 0; i < ELEMENTSOF(roots); i++) {
                ASSERT_EQ_INT(compare_debugfs(roots[i], "unusable_index", true, &cells), 0);
                ASSERT_EQ_INT(compare_debugfs(roots[i], "extfrag_index", false, &cells), 0);
        }
        ASSERT_EQ_INT(cells, 2 * 3 * 3 * 11); /* 3 captures, 2 files, 3 zones, 11 orders */
}

/* On every fixture: unusable index never falls as the order rises, and the
 * fragmentation index is -1.000 exactly where a suitable block exists. */
static void test_invariants(void) {
        static const char *const roots[] = { "live-6.18-idle", "live-6.18-fragmented", "live-6.18-contended", "ppc64-9orders",
                                             "arm64-16k-12orders", "i386-highmem", "numa-2node", "numa-4node",
                                             "linux-4.19-nopsi", "numa-8node", "numa-64node" };

        for (size_t i = 0; i < ELEMENTSOF(roots); i++) {
                struct df_snapshot s;
                struct df_error err = { "" };

                df_snapshot_init(&s);
                ASSERT_OK(df_read_buddyinfo(test_fixture_path(roots[i]), &s, &err), &err);
                for (size_t zi = 0; zi < s.n_zones; zi++) {
                        struct df_zone_model m;

                        df_zone_model_compute(&s.zones[zi], &m);
                        for (int o = 0; o < m.nr_orders; o++) {
                                if (o > 0 && m.unusable_index[o] < m.unusable_index[o - 1]) {
                                        df_snapshot_clear(&s);
                                        ASSERT_TRUE(!"unusable index fell as the order rose");
                                }
                                if ((m.suitable_blocks[o] > 0) != (m.fragmentation_index[o] == -1000)) {
                                        df_snapshot_clear(&s);
                                        ASSERT_TRUE(!"fragmentation index -1.000 iff a suitable block exists");
                                }
                        }
                }
                df_snapshot_clear(&s);
        }
}

/* The 2-node fixture's node 1 has no free order-10 block: a real index.
 * pages = 2295 + 363*2 + 241*4 + 118*8 + 6*16 + 22*32 + 20*64 + 5*128 + 2*256 + 8*512 = 12257,
 * blocks = 3080: 1000 - (1000 + 12257000/1024) / 3080 = 1000 - 12969/3080 = 1000 - 4 = 996. */
static void test_numa_fixture_index(void) {
        struct df_snapshot s;
        struct df_error err = { "" };
        struct df_zone_model m;
        const struct df_zone *z;

        df_snapshot_init(&s);
        ASSERT_OK(df_read_buddyinfo(test_fixture_path("numa-2node"), &s, &err), &err);
        z = df_snapshot_zone_const(&s, 1, "Normal");
        ASSERT_TRUE(z != NULL);
        df_zone_model_compute(z, &m);
        df_snapshot_clear(&s);
        ASSERT_EQ_U64(m.free_pages, 12257);
        ASSERT_EQ_INT(m.fragmentation_index[10], 996);
        ASSERT_EQ_INT(m.unusable_index[10], 1000);
        ASSERT_EQ_INT(m.fragmentation_index[9], -1000);
}

/* The compaction share: first call is the baseline; a constant share s over
 * many 2 s steps converges to s as PSI's avg10 does (weight 1 - exp(-0.2) =
 * 0.1813 per step); two tasks at once cap at 100; no probes or a counter
 * going back restarts it. Hand arithmetic: 50% for one 10 s step gives
 * 50 * (1 - exp(-1)) = 31.606. */
static void test_compaction_share(void) {
        const uint64_t S = 1000000;
        struct df_compaction_share cs = { 0 };
        uint64_t t = 100 * S, stall = 7 * S;
        double v;

        ASSERT_TRUE(df_compaction_share_update(&cs, t, true, stall) == 0); /* baseline */
        ASSERT_TRUE(cs.primed);
        v = df_compaction_share_update(&cs, t + 10 * S, true, stall + 5 * S);
        ASSERT_TRUE(v > 31.605 && v < 31.607);
        t += 10 * S;
        stall += 5 * S;
        for (int i = 0; i < 60; i++) { /* 2 min at 80% */
                t += 2 * S;
                stall += 1600000;
                v = df_compaction_share_update(&cs, t, true, stall);
        }
        ASSERT_TRUE(v > 79.99 && v < 80.01);
        v = df_compaction_share_update(&cs, t, true, stall); /* no time passed: unchanged */
        ASSERT_TRUE(v > 79.99 && v < 80.01);
        for (int i = 0; i < 60; i++) { /* two tasks stalled the whole time: 200% of wall time, counted 100 */
                t += 2 * S;
                stall += 4 * S;
                v = df_compaction_share_update(&cs, t, true, stall);
        }
        ASSERT_TRUE(v > 99.99 && v <= 100.0);
        ASSERT_TRUE(df_compaction_share_update(&cs, t + 2 * S, true, stall - 1) == 0); /* probes reloaded */
        ASSERT_TRUE(cs.primed && cs.avg10 == 0);
        ASSERT_TRUE(df_compaction_share_update(&cs, t + 4 * S, false, 0) == 0); /* probes gone */
        ASSERT_TRUE(!cs.primed);
}

/* The guards' figure: PSI less the share when asked, never below 0, absent
 * PSI said as such. */
static void test_pressure_guard_avg10(void) {
        struct df_psi psi = { .present = true, .some = { .present = true, .avg10 = 72.5 } };
        bool present;
        double v;

        psi.some_compaction_avg10 = 70.0;
        v = df_pressure_guard_avg10(&psi, true, &present);
        ASSERT_TRUE(present && v > 2.49 && v < 2.51);
        v = df_pressure_guard_avg10(&psi, false, &present);
        ASSERT_TRUE(present && v == 72.5);
        psi.some_compaction_avg10 = 90.0; /* overlapping stalls: more than PSI saw */
        ASSERT_TRUE(df_pressure_guard_avg10(&psi, true, &present) == 0);
        psi.some.present = false;
        ASSERT_TRUE(df_pressure_guard_avg10(&psi, true, &present) == 0 && !present);
}

int main(void) {
        RUN_TEST(test_contig_info);
        RUN_TEST(test_compaction_share);
        RUN_TEST(test_pressure_guard_avg10);
        RUN_TEST(test_unusable);
        RUN_TEST(test_fragmentation);
        RUN_TEST(test_zone_model);
        RUN_TEST(test_compaction_score);
        RUN_TEST(test_debugfs_captures);
        RUN_TEST(test_invariants);
        RUN_TEST(test_numa_fixture_index);
        return test_summary();
}
