/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The manager's planner wiring on the planner capture: the ladder fed the
 * planner's hints climbs past a contended compaction to clear-offline, the
 * action gets the planner's cheapest block (motivating order kept), and a
 * busy outcome makes the next choice another block. */
#include <errno.h>
#include <inttypes.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "defragd/conf.h"
#include "defragd/manager-plan.h"
#include "defragd/policy.h"
#include "defragd/procfs.h"
#include "defragd/util.h"
#include "plan-fixture.h"
#include "test-util.h"

#define NOW (UINT64_C(1000) * USEC_PER_SEC)

static char root[] = "/tmp/defragd-test-manager-plan.XXXXXX";
static struct df_snapshot snap;
static struct df_config conf;

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
        (void) sb;
        (void) flag;
        (void) ftw;
        return remove(path);
}

static const struct df_ladder_hint *hint_of(const struct df_ladder_input *in, const char *zone) {
        for (unsigned i = 0; i < in->n_hints; i++)
                if (in->hints[i].node == 0 && strcmp(in->hints[i].zone, zone) == 0)
                        return &in->hints[i];
        return NULL;
}

static uint64_t normal_order9(void) {
        const struct df_zone *z = df_snapshot_zone_const(&snap, 0, "Normal");
        uint64_t s = 0;

        for (int o = 9; z && o < z->nr_orders; o++)
                s += z->free_blocks[o] << (o - 9);
        return s;
}

static void setup_conf(void) {
        struct df_error err = { "" };

        df_config_defaults(&conf);
        conf.n_zones = 1;
        snprintf(conf.zones[0], sizeof(conf.zones[0]), "Normal");
        conf.pressure_guard_percent = 0;
        conf.targets[9].low_blocks = conf.targets[9].high_blocks = normal_order9() + 100;
        if (df_config_validate(&conf, &err) < 0)
                printf("# config: %s\n", err.msg);
}

static void test_hints_and_target(void) {
        struct df_manager_plan p;
        struct df_error err = { "" };
        struct df_ladder_input *in = calloc(1, sizeof(*in));
        struct df_policy_state *st = calloc(1, sizeof(*st));
        struct df_decision *d = calloc(1, sizeof(*d));
        struct df_plan *ref = malloc(sizeof(*ref));
        struct df_plan_request req;
        const struct df_ladder_hint *h;
        struct df_action_result busy = { .lever = DF_LEVER_CLEAR_OFFLINE, .node = 0, .outcome = DF_OUTCOME_BUSY, .error = -EBUSY };
        struct df_action a, a2;
        char why[200];
        int64_t first;

        ASSERT_TRUE(in && st && d && ref);
        ASSERT_OK(df_manager_plan_start(&p, &snap, 9, &conf, false, root, &err), &err);
        ASSERT_TRUE(p.on);
        /* Only Normal is watched: DMA32 is in the view but not read. */
        conf.planner.slice_pages = UINT64_C(1) << 22;
        ASSERT_OK(df_manager_plan_tick(&p, &snap, &conf, NOW, &err), &err);
        ASSERT_TRUE(p.pages_read > 0);

        df_ladder_input_init(in);
        in->n_hints = 0;
        in->lever_present[DF_LEVER_CLEAR_OFFLINE] = true;
        df_manager_plan_hints(&p, &conf, NOW, in);
        h = hint_of(in, "Normal");
        ASSERT_TRUE(h != NULL);
        ASSERT_TRUE(hint_of(in, "DMA32") == NULL);
        ASSERT_TRUE(h->clear_candidates > 0);

        /* The reference: the planner's own choice under the rung's request. */
        df_manager_plan_request(&conf, DF_LEVER_CLEAR_OFFLINE, NULL, 9, NOW, &req);
        ASSERT_EQ_U64(req.budget_pages, 16384);
        ASSERT_EQ_INT(req.granularity, DF_PLAN_MEMBLOCK);
        for (size_t z = 0; z < p.view.n_zones; z++)
                if (strcmp(p.view.zones[z].name, "Normal") == 0)
                        ASSERT_EQ_INT(df_plan_choose(&p.view, z, &req, ref), 0);
        ASSERT_TRUE(ref->n_chosen > 0);
        ASSERT_EQ_U64(h->clear_min_cost_pages, ref->chosen[0].cost_pages);

        /* Compaction was contended: the ladder climbs to clear-offline. */
        df_policy_state_init(st);
        st->nodes[0] = (struct df_node_state) { .used = true, .node = 0 };
        st->nodes[0].rung[DF_LEVER_COMPACT_NODE] = (struct df_rung_state) {
                .next_allowed_usec = NOW + 60 * USEC_PER_SEC, .backoff_usec = 60 * USEC_PER_SEC, .yield = true, .runs = 1,
        };
        df_policy_decide(&conf, &snap, in, NOW, st, d);
        ASSERT_EQ_INT(d->n_actions, 1);
        a = d->actions[0];
        ASSERT_EQ_INT(a.lever, DF_LEVER_CLEAR_OFFLINE);
        ASSERT_EQ_U64(a.planned_pages, ref->chosen[0].cost_pages);
        ASSERT_EQ_INT(a.target.memory_block, -1); /* the policy names no block: the planner does */

        ASSERT_EQ_INT(df_manager_plan_target(&p, &conf, NOW, &a, why, sizeof(why)), 0);
        ASSERT_EQ_INT(a.target.memory_block, ref->chosen[0].memory_block);
        ASSERT_EQ_U64(a.target.start_pfn, ref->chosen[0].start_pfn);
        ASSERT_EQ_U64(a.target.nr_pages, 32768);
        ASSERT_EQ_INT(a.target.order, 9);
        ASSERT_STREQ(a.target.zone, "Normal");
        first = a.target.memory_block;

        /* EBUSY: that block cools down; the next action gets another one. */
        df_manager_plan_outcome(&p, &a, &busy, NOW);
        a2 = d->actions[0];
        ASSERT_EQ_INT(df_manager_plan_target(&p, &conf, NOW + 1, &a2, why, sizeof(why)), 0);
        ASSERT_TRUE(a2.target.memory_block != first);
        ASSERT_EQ_INT(a2.target.memory_block, ref->n_chosen > 1 ? ref->chosen[1].memory_block : a2.target.memory_block);

        /* A budget no block fits: no hint candidate, and no target with a reason. */
        conf.clear_offline.max_pages_per_action = 1;
        df_ladder_input_init(in);
        in->n_hints = 0;
        in->lever_present[DF_LEVER_CLEAR_OFFLINE] = true;
        df_manager_plan_hints(&p, &conf, NOW, in);
        h = hint_of(in, "Normal");
        ASSERT_TRUE(h && h->clear_candidates == 0);
        a2 = d->actions[0];
        ASSERT_EQ_INT(df_manager_plan_target(&p, &conf, NOW, &a2, why, sizeof(why)), -ENOENT);
        ASSERT_CONTAINS(why, "MaxPagesPerAction=1");
        conf.clear_offline.max_pages_per_action = 16384;

        /* Wanted only when the rung is enabled, present and in the ladder. */
        {
                bool present[_DF_LEVER_MAX] = { false };

                ASSERT_TRUE(!df_manager_plan_wanted(&conf, present));
                present[DF_LEVER_CLEAR_OFFLINE] = true;
                ASSERT_TRUE(df_manager_plan_wanted(&conf, present));
                conf.levers[DF_LEVER_CLEAR_OFFLINE].enabled = false;
                ASSERT_TRUE(!df_manager_plan_wanted(&conf, present));
                conf.levers[DF_LEVER_CLEAR_OFFLINE].enabled = true;
        }
        df_manager_plan_stop(&p);
        free(in);
        free(st);
        free(d);
        free(ref);
}

/* An evaluation a probe trigger asks for between polls reads no slice (up to
 * one a second while allocations fail; the planner's cost grew with the
 * trouble): due at the first tick and from 3/4 of the poll interval on, not
 * a second after a read; a clock that went back reads (never stuck). */
static void test_slice_paced(void) {
        struct df_manager_plan p;
        struct df_error err = { "" };
        uint64_t iv = conf.poll_interval_usec, first;

        ASSERT_EQ_U64(iv, 10 * USEC_PER_SEC);
        ASSERT_TRUE(df_manager_plan_slice_due(0, iv, NOW));
        ASSERT_TRUE(!df_manager_plan_slice_due(NOW, iv, NOW + USEC_PER_SEC));
        ASSERT_TRUE(!df_manager_plan_slice_due(NOW, iv, NOW + iv / 4 * 3 - 1));
        ASSERT_TRUE(df_manager_plan_slice_due(NOW, iv, NOW + iv / 4 * 3));
        ASSERT_TRUE(df_manager_plan_slice_due(NOW, iv, NOW + 3 * iv));
        ASSERT_TRUE(df_manager_plan_slice_due(NOW, iv, NOW - 1));

        conf.planner.slice_pages = 4096; /* a part of the zone: every read moves the cursor */
        ASSERT_OK(df_manager_plan_start(&p, &snap, 9, &conf, false, root, &err), &err);
        ASSERT_EQ_INT(df_manager_plan_tick(&p, &snap, &conf, NOW, &err), 0);
        first = p.pages_read;
        ASSERT_TRUE(first > 0);
        /* triggered evaluations 1 s and 7 s later: the view as it is */
        ASSERT_EQ_INT(df_manager_plan_tick(&p, &snap, &conf, NOW + USEC_PER_SEC, &err), 0);
        ASSERT_EQ_INT(df_manager_plan_tick(&p, &snap, &conf, NOW + 7 * USEC_PER_SEC, &err), 0);
        ASSERT_EQ_U64(p.pages_read, first);
        ASSERT_EQ_U64(p.slices_skipped, 2);
        ASSERT_EQ_U64(p.last_refresh_usec, NOW);
        /* the next poll reads the next slice */
        ASSERT_EQ_INT(df_manager_plan_tick(&p, &snap, &conf, NOW + iv, &err), 0);
        ASSERT_TRUE(p.pages_read > first);
        ASSERT_EQ_U64(p.last_refresh_usec, NOW + iv);
        df_manager_plan_stop(&p);
}

/* While nothing is short each zone's sweep slows to one pass of that zone
 * per 3/4 of MaxAgeSec= (every block still choosable when a shortage
 * begins); full slices while short, before the zone's first pass, or with
 * any age. A small zone beside a large one reads in proportion to its size
 * (until 2026-12-03 it was read at the largest zone's rate). */
static void test_idle_slice(void) {
        struct df_plan_zone normal = { .name = "Normal", .start_pfn = 1 << 20, .end_pfn = (1 << 20) + 5505024,
                                       .watched = true, .last_pass_usec = 1 };
        struct df_plan_zone dma32 = { .name = "DMA32", .start_pfn = 4096, .end_pfn = 1 << 20, .watched = true,
                                      .last_pass_usec = 1 };
        uint64_t iv = 10 * USEC_PER_SEC, hour = 3600 * USEC_PER_SEC;

        ASSERT_EQ_U64(df_manager_plan_slice_pages(&normal, 32768, iv, hour, false), 32768);
        /* 5,505,024 pages in 2,700 s / 10 s = 270 polls: 20,389 per poll */
        ASSERT_EQ_U64(df_manager_plan_slice_pages(&normal, 32768, iv, hour, true), 20389);
        /* 1,044,480 pages: 3,869 per poll, not Normal's 20,389 */
        ASSERT_EQ_U64(df_manager_plan_slice_pages(&dma32, 32768, iv, hour, true), 3869);
        ASSERT_EQ_U64(df_manager_plan_slice_pages(&normal, 8192, iv, hour, true), 8192);  /* never above SlicePages= */
        ASSERT_EQ_U64(df_manager_plan_slice_pages(&normal, 32768, iv, 0, true), 32768);   /* MaxAgeSec=0: any age */
        ASSERT_EQ_U64(df_manager_plan_slice_pages(&normal, 32768, hour, hour, true), 32768); /* a poll longer than 3/4 h */
        normal.end_pfn = normal.start_pfn + 100000;
        ASSERT_EQ_U64(df_manager_plan_slice_pages(&normal, 32768, iv, hour, true), DF_MANAGER_PLAN_MIN_SLICE);
        normal.end_pfn = normal.start_pfn + (UINT64_C(1) << 40);
        ASSERT_EQ_U64(df_manager_plan_slice_pages(&normal, 32768, iv, hour, true), 32768);
        normal.last_pass_usec = 0; /* its first sweep is not done: full slices for it, not for DMA32 */
        normal.end_pfn = normal.start_pfn + 5505024;
        ASSERT_EQ_U64(df_manager_plan_slice_pages(&normal, 32768, iv, hour, true), 32768);
        ASSERT_EQ_U64(df_manager_plan_slice_pages(&dma32, 32768, iv, hour, true), 3869);
}

/* Memory hotplug between evaluations (issue 13): a memory block vanishes
 * (its sysfs directory gone, its pages no longer present): the next tick
 * reads the blocks anew, says so once, and never names that block again; a
 * memory block sysfs that cannot be read fails the tick (counted in a row)
 * and the view is rebuilt when it reads again. */
static void test_memblock_vanishes(void) {
        struct df_manager_plan p;
        struct df_error err = { "" };
        struct df_snapshot later;
        struct df_zone *z;
        struct df_action a = { .lever = DF_LEVER_CLEAR_OFFLINE, .target = { .node = 0, .zone = "Normal", .order = 9,
                                                                          .memory_block = -1 },
                               .suitable_blocks = 0, .target_high_blocks = 1 };
        char why[200], path[4200], moved[4300];
        size_t n_before;
        int64_t gone;

        conf.planner.slice_pages = UINT64_C(1) << 22;
        ASSERT_OK(df_manager_plan_start(&p, &snap, 9, &conf, false, root, &err), &err);
        ASSERT_EQ_INT(df_manager_plan_tick(&p, &snap, &conf, NOW, &err), 0);
        ASSERT_EQ_INT(df_manager_plan_target(&p, &conf, NOW, &a, why, sizeof(why)), 0);
        gone = a.target.memory_block;
        n_before = p.view.n_memblocks;

        /* The same snapshot: nothing read anew. */
        ASSERT_EQ_INT(df_manager_plan_tick(&p, &snap, &conf, NOW + 1, &err), 0);
        ASSERT_EQ_U64(p.rebuilds, 0);

        snprintf(path, sizeof(path), "%s/sys/devices/system/memory/memory%" PRId64, root, gone);
        ASSERT_EQ_INT(nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
        df_snapshot_init(&later);
        ASSERT_OK(df_snapshot_read_procfs(root, NOW, &later, &err), &err);
        z = df_snapshot_zone(&later, 0, "Normal", false);
        ASSERT_TRUE(z != NULL);
        z->present_pages -= a.target.nr_pages;
        ASSERT_EQ_INT(df_manager_plan_tick(&p, &later, &conf, NOW + 2, &err), 1);
        ASSERT_CONTAINS(err.msg, "the zones changed");
        ASSERT_EQ_U64(p.rebuilds, 1);
        ASSERT_EQ_U64(p.view.n_memblocks, n_before - 1);
        for (size_t i = 0; i < p.view.n_memblocks; i++)
                ASSERT_TRUE(p.view.memblocks[i].id != gone);
        a.target.memory_block = -1;
        ASSERT_EQ_INT(df_manager_plan_target(&p, &conf, NOW + 2, &a, why, sizeof(why)), 0);
        ASSERT_TRUE(a.target.memory_block != gone);
        /* Said once: the next tick on the same layout is quiet. */
        ASSERT_EQ_INT(df_manager_plan_tick(&p, &later, &conf, NOW + 3, &err), 0);

        /* The memory block sysfs unreadable while the layout moves again. */
        snprintf(path, sizeof(path), "%s/sys/devices/system/memory/block_size_bytes", root);
        snprintf(moved, sizeof(moved), "%s.away", path);
        ASSERT_EQ_INT(rename(path, moved), 0);
        z->present_pages -= 1;
        ASSERT_TRUE(df_manager_plan_tick(&p, &later, &conf, NOW + 4, &err) < 0);
        ASSERT_CONTAINS(err.msg, "block_size_bytes");
        ASSERT_EQ_INT(p.tick_failures, 1);
        ASSERT_TRUE(df_manager_plan_tick(&p, &later, &conf, NOW + 5, &err) < 0);
        ASSERT_EQ_INT(p.tick_failures, 2);
        ASSERT_EQ_U64(p.view.n_memblocks, n_before - 1); /* the old view is kept meanwhile */
        ASSERT_EQ_INT(rename(moved, path), 0);
        ASSERT_EQ_INT(df_manager_plan_tick(&p, &later, &conf, NOW + 6, &err), 1);
        ASSERT_EQ_INT(p.tick_failures, 0);
        ASSERT_EQ_U64(p.rebuilds, 2);
        ASSERT_EQ_INT(df_manager_plan_tick(&p, &later, &conf, NOW + 7, &err), 0);
        df_manager_plan_stop(&p);
        df_snapshot_clear(&later);
}

/* The aligned blocks an action wants: its deficit converted to the view's order. */
static void test_request_want(void) {
        struct df_action a = { .target = { .order = 9 }, .suitable_blocks = 10, .target_high_blocks = 74 };
        struct df_plan_request req;

        df_manager_plan_request(&conf, DF_LEVER_CLEAR_OFFLINE, &a, 9, NOW, &req);
        ASSERT_EQ_U64(req.want_blocks, 64);
        a.target.order = 10;
        df_manager_plan_request(&conf, DF_LEVER_CLEAR_OFFLINE, &a, 9, NOW, &req);
        ASSERT_EQ_U64(req.want_blocks, 128);
        a.target.order = 4; /* 64 order-4 blocks fit in two order-9 blocks */
        df_manager_plan_request(&conf, DF_LEVER_CLEAR_OFFLINE, &a, 9, NOW, &req);
        ASSERT_EQ_U64(req.want_blocks, 2);
        a.target_high_blocks = 5; /* already above: one */
        df_manager_plan_request(&conf, DF_LEVER_CLEAR_OFFLINE, &a, 9, NOW, &req);
        ASSERT_EQ_U64(req.want_blocks, 1);
        ASSERT_EQ_U64(req.max_age_usec, 3600 * USEC_PER_SEC);
        ASSERT_TRUE(!req.allow_hypervisor);
        /* the module rung: aligned blocks, the cheapest one, its own budget */
        a.target_high_blocks = 74;
        df_manager_plan_request(&conf, DF_LEVER_CLEAR_KMOD, &a, 9, NOW, &req);
        ASSERT_EQ_INT(req.granularity, DF_PLAN_BLOCK);
        ASSERT_EQ_U64(req.want_blocks, 1);
        ASSERT_EQ_U64(req.budget_pages, 256);
}

int main(void) {
        struct plan_fixture fx;
        struct df_error err = { "" };
        char src[4096];

        snprintf(src, sizeof(src), "%s/live-6.18-planner", test_fixtures());
        if (!mkdtemp(root) || fixture_make_root(src, root, &fx) < 0)
                return 1;
        fixture_free(&fx);
        df_snapshot_init(&snap);
        if (df_snapshot_read_procfs(root, NOW, &snap, &err) < 0) {
                fprintf(stderr, "setup: %s\n", err.msg);
                return 1;
        }
        setup_conf();
        RUN_TEST(test_hints_and_target);
        RUN_TEST(test_request_want);
        RUN_TEST(test_slice_paced);
        RUN_TEST(test_idle_slice);
        RUN_TEST(test_memblock_vanishes); /* last: it removes a block from the root */
        df_snapshot_clear(&snap);
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        return test_summary();
}
