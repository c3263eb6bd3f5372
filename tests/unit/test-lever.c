/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The lever table and knob reconciliation on a fixture root: sysfs/procfs
 * files are plain files in a temporary directory, so every write is checked. */
#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "defragd/knobs.h"
#include "defragd/lever.h"
#include "defragd/util.h"
#include "test-policy-util.h"

static char root[PATH_MAX];

static void path_of(char *buf, size_t size, const char *rel) {
        snprintf(buf, size, "%s%s", root, rel);
}

static void put(const char *rel, const char *text) {
        char p[PATH_MAX + 64];
        FILE *f;

        path_of(p, sizeof(p), rel);
        f = fopen(p, "we");
        if (!f) {
                printf("# cannot write %s: %s\n", p, strerror(errno));
                exit(1);
        }
        fputs(text, f);
        fclose(f);
}

static const char *get(const char *rel) {
        static char buf[64];
        char p[PATH_MAX + 64];
        FILE *f;

        path_of(p, sizeof(p), rel);
        buf[0] = 0;
        f = fopen(p, "re");
        if (!f)
                return "(missing)";
        if (!fgets(buf, sizeof(buf), f))
                buf[0] = 0;
        fclose(f);
        buf[strcspn(buf, "\n")] = 0;
        return buf;
}

static void mkdirs(const char *rel) {
        char p[PATH_MAX + 64], *s;

        path_of(p, sizeof(p), rel);
        for (s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
                *s = 0;
                mkdir(p, 0755);
                *s = '/';
        }
        mkdir(p, 0755);
}

static void fixture(void) {
        mkdirs("/sys/devices/system/node/node0");
        mkdirs("/proc/sys/vm");
        put("/sys/devices/system/node/node0/compact", "");
        put("/proc/sys/vm/compact_memory", "");
        put("/proc/sys/vm/compaction_proactiveness", "20\n");
}

static void test_table(void) {
        CHECK(df_lever_ops(DF_LEVER_COMPACT_NODE) == &df_lever_compact);
        CHECK(df_lever_ops(DF_LEVER_PROACTIVENESS) == &df_lever_proactiveness);
        CHECK(df_lever_ops(DF_LEVER_NONE) == NULL);
        CHECK(df_lever_ops(_DF_LEVER_MAX) == NULL);
        for (int k = DF_LEVER_NONE + 1; k < _DF_LEVER_MAX; k++) {
                const struct df_lever_ops *ops = df_lever_ops((enum df_lever_kind) k);

                if (!ops)
                        continue;
                CHECK_INT(ops->kind, k);
                CHECK(ops->open != NULL);
                /* a lever either runs (a step) or names a knob (a state), not both */
                CHECK((ops->run != NULL) != (ops->knob_path != NULL));
        }
        CHECK_STR(df_lever_proactiveness.knob_path, "/proc/sys/vm/compaction_proactiveness");
}

static void test_compact(void) {
        struct df_lever_env env = { .root = root, .runtime_dir = root };
        struct df_action a = { .lever = DF_LEVER_COMPACT_NODE, .target = { .node = 0, .zone = "Normal", .order = 9 } };
        struct df_action_result r = { 0 };
        char reason[256] = "", want[PATH_MAX + 64];
        void *state = (void *) 1;

        fixture();
        CHECK_INT(df_lever_compact.open(&env, &state, reason, sizeof(reason)), 0);
        CHECK(state == NULL);
        CHECK_STR(reason, "");
        CHECK_INT(df_lever_run(&df_lever_compact, &env, state, &a, &r), 0);
        CHECK_STR(get("/sys/devices/system/node/node0/compact"), "1");
        CHECK_STR(get("/proc/sys/vm/compact_memory"), "");
        CHECK_INT(r.outcome, DF_OUTCOME_DONE);
        CHECK_INT(r.lever, DF_LEVER_COMPACT_NODE);
        CHECK_INT(r.node, 0);
        CHECK(!r.machine_wide);
        path_of(want, sizeof(want), "/sys/devices/system/node/node0/compact");
        CHECK_STR(r.detail, want);

        /* node 1 has no compact file: the whole machine, and the result says so */
        memset(&r, 0, sizeof(r));
        a.target.node = 1;
        CHECK_INT(df_lever_run(&df_lever_compact, &env, state, &a, &r), 0);
        CHECK_STR(get("/proc/sys/vm/compact_memory"), "1");
        CHECK(r.machine_wide);
        CHECK_INT(r.node, 1);
        path_of(want, sizeof(want), "/proc/sys/vm/compact_memory");
        CHECK_STR(r.detail, want);

        /* without per-node files, open says every run is machine-wide */
        path_of(want, sizeof(want), "/sys/devices/system/node/node0/compact");
        unlink(want);
        CHECK_INT(df_lever_compact.open(&env, &state, reason, sizeof(reason)), 0);
        CHECK(strstr(reason, "whole machine") != NULL);

        /* neither: open fails with a reason, a run fails with ENOENT */
        path_of(want, sizeof(want), "/proc/sys/vm/compact_memory");
        unlink(want);
        CHECK_INT(df_lever_compact.open(&env, &state, reason, sizeof(reason)), -ENOENT);
        CHECK(strstr(reason, "compact_memory") != NULL);
        memset(&r, 0, sizeof(r));
        CHECK_INT(df_lever_run(&df_lever_compact, &env, state, &a, &r), -ENOENT);
        CHECK_INT(r.outcome, DF_OUTCOME_FAILED);
        df_lever_compact.close(state);
}

static void test_proactiveness_open(void) {
        struct df_lever_env env = { .root = root, .runtime_dir = root };
        struct df_action a = { .lever = DF_LEVER_PROACTIVENESS };
        struct df_action_result r = { 0 };
        char reason[256] = "", p[PATH_MAX + 64];
        void *state = NULL;

        fixture();
        CHECK_INT(df_lever_proactiveness.open(&env, &state, reason, sizeof(reason)), 0);
        /* a knob lever has nothing to run */
        CHECK_INT(df_lever_run(&df_lever_proactiveness, &env, state, &a, &r), -EOPNOTSUPP);
        path_of(p, sizeof(p), "/proc/sys/vm/compaction_proactiveness");
        unlink(p);
        CHECK_INT(df_lever_proactiveness.open(&env, &state, reason, sizeof(reason)), -ENOENT);
        CHECK(strstr(reason, "compaction_proactiveness") != NULL);
}

/* The policy's desired state, made so by the reconciliation (and undone). */
static void test_reconcile(void) {
        struct df_knob_desire d = { .lever = DF_LEVER_PROACTIVENESS, .engaged = true, .value = "55" };
        struct df_knob_desire compact = { .lever = DF_LEVER_COMPACT_NODE, .engaged = true, .value = "9" };
        struct df_error err = { "" };
        struct df_knobs *k = NULL;
        char state_path[PATH_MAX + 64];

        fixture();
        path_of(state_path, sizeof(state_path), "/knobs.state");
        CHECK_INT(df_knobs_new(state_path, root, &k), 0);
        if (!k)
                return;
        CHECK_INT(df_knob_levers_reconcile(k, &d, 1, &err), 0);
        CHECK_STR(get("/proc/sys/vm/compaction_proactiveness"), "55");
        CHECK_STR(get("/knobs.state"), "/proc/sys/vm/compaction_proactiveness\t20");
        CHECK(df_knobs_is_changed(k, "/proc/sys/vm/compaction_proactiveness"));
        /* engaged again: no second change, the original stays 20 */
        CHECK_INT(df_knob_levers_reconcile(k, &d, 1, &err), 0);
        CHECK_STR(get("/knobs.state"), "/proc/sys/vm/compaction_proactiveness\t20");
        /* a lever without a knob is ignored */
        CHECK_INT(df_knob_levers_reconcile(k, &compact, 1, &err), 0);
        CHECK_STR(get("/sys/devices/system/node/node0/compact"), "");

        /* restored: pressure, then nothing to restore */
        d.engaged = false;
        d.why_not = DF_SKIP_PRESSURE;
        CHECK_INT(df_knob_levers_reconcile(k, &d, 1, &err), 0);
        CHECK_STR(get("/proc/sys/vm/compaction_proactiveness"), "20");
        CHECK(!df_knobs_is_changed(k, "/proc/sys/vm/compaction_proactiveness"));
        CHECK_STR(get("/knobs.state"), "(missing)");
        CHECK_INT(df_knob_levers_reconcile(k, &d, 1, &err), 0);
        CHECK_STR(get("/proc/sys/vm/compaction_proactiveness"), "20");

        /* the knob gone: an error naming it, nothing recorded */
        {
                char p[PATH_MAX + 64];

                path_of(p, sizeof(p), "/proc/sys/vm/compaction_proactiveness");
                unlink(p);
        }
        d.engaged = true;
        CHECK(df_knob_levers_reconcile(k, &d, 1, &err) < 0);
        CHECK(strstr(err.msg, "compaction_proactiveness") != NULL);
        CHECK_INT(df_knobs_count(k), 0);
        df_knobs_free(k);
}

int main(void) {
        char tmpl[] = "/tmp/defragd-lever.XXXXXX";
        char cmd[PATH_MAX + 16];
        int r;

        if (!mkdtemp(tmpl)) {
                printf("# mkdtemp: %s\n", strerror(errno));
                return 1;
        }
        snprintf(root, sizeof(root), "%s", tmpl);
        RUN(test_table);
        RUN(test_compact);
        RUN(test_proactiveness_open);
        RUN(test_reconcile);
        r = tp_finish();
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        if (system(cmd) != 0)
                printf("# could not remove %s, ignoring\n", root);
        return r;
}
