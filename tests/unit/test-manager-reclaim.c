/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The manager's reclaim glue on a cgroup v2 tree laid out as Debian 12's
 * (a temp directory) and a scripted clock: the hint names the allowed,
 * unprotected cgroup (not defragd's own, not the protected one), the amount
 * is bounded, the refault reading comes RefaultDelaySec= later and backs a
 * hot cgroup off, a vanished cgroup is dropped, no candidate says why. */
#include <stdlib.h>
#include <string.h>

#include "conf-parse.h"
#include "defragd/conf.h"
#include "defragd/manager-reclaim.h"
#include "defragd/util.h"
#include "test-policy-util.h"
#include "test-tmp-util.h"

#define MIB (UINT64_C(1) << 20)
#define SEC USEC_PER_SEC

static char root[256];

static void put(const char *rel, const char *text) {
        char path[500], dir[500];

        snprintf(path, sizeof(path), "%s%s", root, rel);
        snprintf(dir, sizeof(dir), "%s", path);
        *strrchr(dir, '/') = 0;
        mkdir_p(dir);
        write_file(path, text);
}

static void service(const char *name, const char *low, uint64_t inactive_file, uint64_t refaults) {
        char rel[200], text[300];

        snprintf(rel, sizeof(rel), "/sys/fs/cgroup/system.slice/%s/memory.current", name);
        put(rel, "104857600\n");
        snprintf(rel, sizeof(rel), "/sys/fs/cgroup/system.slice/%s/memory.low", name);
        put(rel, low);
        snprintf(rel, sizeof(rel), "/sys/fs/cgroup/system.slice/%s/memory.stat", name);
        snprintf(text, sizeof(text), "anon 1000\nfile %" PRIu64 "\ninactive_file %" PRIu64 "\nworkingset_refault_anon 0\n"
                 "workingset_refault_file %" PRIu64 "\npgsteal 40\n", inactive_file + MIB, inactive_file, refaults);
        put(rel, text);
}

static const struct df_ladder_hint *hint(const struct df_ladder_input *in, const char *zone) {
        for (unsigned i = 0; i < in->n_hints; i++)
                if (strcmp(in->hints[i].zone, zone) == 0)
                        return &in->hints[i];
        return NULL;
}

static void test_aim_and_followup(void) {
        static struct df_manager_reclaim r;
        static struct df_manager_plan plan; /* off: no page sample, the rank falls back to inactive file */
        static struct df_ladder_input in;
        static struct df_metrics_lever_stats stats;
        struct df_config c;
        struct df_reclaim_budget budget = { 0 };
        struct df_snapshot s;
        struct df_action a = { 0 };
        struct df_action_result res = { 0 };
        const struct df_ladder_hint *h;
        char why[200];
        uint64_t t = 1000 * SEC;

        tmp_dir_make(root, sizeof(root), "test-manager-reclaim");
        put("/proc/self/mountinfo", "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 "
                                    "cgroup2 rw,nsdelegate,memory_recursiveprot\n");
        put("/proc/self/cgroup", "0::/system.slice/defragd.service\n");
        put("/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n");
        put("/sys/fs/cgroup/memory.reclaim", "");
        put("/sys/fs/cgroup/system.slice/memory.current", "300000000\n");
        service("a.service", "0\n", 48 * MIB, 15);
        service("b.service", "max\n", 90 * MIB, 0);         /* protected: MemoryLow= above its usage */
        service("defragd.service", "0\n", 200 * MIB, 0);   /* our own */

        df_config_defaults(&c);
        c.reclaim.enabled = true;
        CHECK_INT(df_conf_parse_globs("/system.slice/*.service /batch/*", &c.reclaim.allow, why, sizeof(why)), 0);
        c.reclaim.pressure_limit_percent = 0;
        c.reclaim.refault_delay_usec = 60 * SEC;
        c.n_zones = 1;
        snprintf(c.zones[0], sizeof(c.zones[0]), "DMA32");
        df_snapshot_init(&s);
        CHECK(df_snapshot_zone(&s, 0, "DMA32", true) != NULL);
        df_snapshot_zone(&s, 0, "Normal", true); /* not watched: no hint */

        df_manager_reclaim_hints(&r, &plan, &c, &budget, &s, root, t, &in);
        h = hint(&in, "DMA32");
        CHECK(h && h->reclaim_candidate);
        CHECK_STR(h ? h->reclaim_cgroup : "", "/system.slice/a.service");
        CHECK(hint(&in, "Normal") == NULL);
        CHECK_U64(r.n_candidates, 1);                 /* b protected, defragd.service our own */
        CHECK_U64(r.unmatched_said, 2);               /* the /batch pattern matched nothing: said once */
        CHECK_U64(r.chosen_inactive_file_bytes, 48 * MIB);

        /* The action the ladder makes of it: 150 order-9 blocks short, bounded to 64M. */
        a = (struct df_action) { .lever = DF_LEVER_RECLAIM_CGROUP, .target = { .node = 0, .zone = "DMA32", .order = 9,
                                 .cgroup = "/system.slice/a.service" }, .suitable_blocks = 100, .target_high_blocks = 250 };
        CHECK_INT(df_manager_reclaim_target(&r, &c, &budget, &s, &a, t, why, sizeof(why)), 0);
        CHECK_U64(a.amount, 64 * MIB);
        df_reclaim_budget_add(&budget, t, UINT64_C(480) << 20); /* the hour nearly spent: 32M left */
        CHECK_INT(df_manager_reclaim_target(&r, &c, &budget, &s, &a, t, why, sizeof(why)), 0);
        CHECK_U64(a.amount, 32 * MIB);

        /* It ran and took 32M; a re-reads all of it within the minute. */
        res = (struct df_action_result) { .lever = DF_LEVER_RECLAIM_CGROUP, .outcome = DF_OUTCOME_DONE, .amount_done = 32 * MIB };
        df_manager_reclaim_ran(&r, &c, &a, &res, t);
        CHECK_U64(r.n_pending, 1);
        service("a.service", "0\n", 48 * MIB, 15 + 8192);
        df_manager_reclaim_followups(&r, &c, &stats, t + 59 * SEC);
        CHECK_U64(r.n_pending, 1);
        CHECK_U64(r.n_recent, 0);
        df_manager_reclaim_followups(&r, &c, &stats, t + 60 * SEC);
        CHECK_U64(r.n_pending, 0);
        CHECK_U64(r.n_recent, 1);
        CHECK_U64(r.recent[0].refault_pages, 8192);
        CHECK_U64(r.recent[0].percent, 100);
        CHECK(r.recent[0].backed_off);
        CHECK_U64(r.recent[0].backoff_until_usec, t + 60 * SEC + 3600 * SEC);
        CHECK_U64(stats.refaults[DF_LEVER_RECLAIM_CGROUP], 8192);

        /* Backed off: no candidate left, and the hint says none. */
        memset(&in, 0, sizeof(in));
        budget = (struct df_reclaim_budget) { 0 };
        df_manager_reclaim_hints(&r, &plan, &c, &budget, &s, root, t + 61 * SEC, &in);
        h = hint(&in, "DMA32");
        CHECK(h && !h->reclaim_candidate && h->reclaim_cgroup[0] == 0);
        CHECK(strstr(r.why_not, "backed off") != NULL);
        /* ... until the rest is over */
        df_manager_reclaim_hints(&r, &plan, &c, &budget, &s, root, t + 3661 * SEC, &in);
        CHECK_STR(r.chosen, "/system.slice/a.service");

        /* A dry run is not followed up; a cgroup that vanishes before its reading is dropped. */
        a.dry_run = true;
        df_manager_reclaim_ran(&r, &c, &a, &res, t + 3700 * SEC);
        CHECK_U64(r.n_pending, 0);
        a.dry_run = false;
        df_manager_reclaim_ran(&r, &c, &a, &res, t + 3700 * SEC);
        CHECK_U64(r.n_pending, 1);
        {
                char dir[400];

                snprintf(dir, sizeof(dir), "%s/sys/fs/cgroup/system.slice/a.service", root);
                rm_rf(dir);
        }
        df_manager_reclaim_followups(&r, &c, &stats, t + 3760 * SEC);
        CHECK_U64(r.n_pending, 0);
        CHECK_U64(r.n_recent, 1);

        /* Nothing passes: said why. */
        df_manager_reclaim_hints(&r, &plan, &c, &budget, &s, root, t + 3800 * SEC, &in);
        CHECK(r.chosen[0] == 0);
        CHECK(strstr(r.why_not, "no cgroup passes") != NULL);

        df_snapshot_clear(&s);
        rm_rf(root);
}

/* No cgroup2 (a v1 host such as the build machine): no hint, one reason. */
static void test_no_cgroup2(void) {
        static struct df_manager_reclaim r;
        static struct df_manager_plan plan;
        static struct df_ladder_input in;
        struct df_config c;
        struct df_reclaim_budget budget = { 0 };
        struct df_snapshot s;
        const struct df_ladder_hint *h;

        tmp_dir_make(root, sizeof(root), "test-manager-reclaim");
        put("/proc/self/mountinfo", "30 24 0:26 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");
        df_config_defaults(&c);
        c.reclaim.enabled = true;
        c.n_zones = 1;
        snprintf(c.zones[0], sizeof(c.zones[0]), "Normal");
        df_snapshot_init(&s);
        df_snapshot_zone(&s, 0, "Normal", true);
        df_manager_reclaim_hints(&r, &plan, &c, &budget, &s, root, SEC, &in);
        h = hint(&in, "Normal");
        CHECK(h && !h->reclaim_candidate);
        CHECK(strstr(r.why_not, "no writable cgroup2 memory controller") != NULL);
        df_snapshot_clear(&s);
        rm_rf(root);
}

int main(void) {
        RUN(test_aim_and_followup);
        RUN(test_no_cgroup2);
        return tp_finish();
}
