/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The config table itself: every row's default parses and prints back, rows
 * are complete, and the row types (the glob list included) parse, refuse,
 * print and compare as documented, on a struct of the test's own. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf-parse.h"
#include "conf-table.h"
#include "defragd/util.h"
#include "test-policy-util.h"

static void test_rows_complete(void) {
        for (int k = 0; k < _DF_KEY_MAX; k++) {
                const struct df_conf_item *it = &df_conf_items[k];

                CHECK(it->section && it->name && it->accepted && it->doc && it->default_value);
                CHECK(it->size > 0);
                /* a section's rows are contiguous: the dump prints each header once */
                for (int j = k + 2; j < _DF_KEY_MAX; j++)
                        if (strcmp(df_conf_items[j].section, it->section) == 0)
                                CHECK(strcmp(df_conf_items[j - 1].section, it->section) == 0);
        }
        for (int k = 0; k < _DF_TKEY_MAX; k++)
                CHECK(df_conf_target_items[k].name && df_conf_target_items[k].accepted && df_conf_target_items[k].doc);
}

/* default -> field -> text -> field: the same value, for every row. */
static void test_defaults_round_trip(void) {
        _cleanup_free_ struct df_config *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
        char buf[DF_CONF_VALUE_MAX], why[160];

        CHECK(a && b);
        if (!a || !b)
                return;
        for (int k = 0; k < _DF_KEY_MAX; k++) {
                const struct df_conf_item *it = &df_conf_items[k];

                df_conf_item_set_default(it, a);
                df_conf_item_format(it, a, buf, sizeof(buf));
                CHECK_INT(df_conf_item_parse(it, buf, b, why, sizeof(why)), 0);
                CHECK(df_conf_item_equal(it, a, b));
        }
        /* the table is what df_config_defaults uses */
        df_config_defaults(b);
        CHECK(df_config_equal(a, b) == false); /* a has no [Order9] */
        a->targets[9] = b->targets[9];
        for (int o = 0; o < DF_MAX_ORDERS; o++)
                a->targets[o].order = o;
        CHECK(df_config_equal(a, b));
}

/* A struct of the test's own with one row per type: the table engine is not
 * tied to struct df_config, so the next section is rows, not code. */
struct toy {
        bool on;
        unsigned small;
        uint64_t big;
        uint64_t wait_usec;
        int percent;
        bool all_nodes;
        uint64_t nodes[DF_CONF_MAX_NODES / 64];
        int n_zones;
        char zones[DF_CONF_MAX_ZONES][DF_NAME_MAX];
        struct df_conf_globs allow;
};

#define TOY(key, t, f) .section = "Toy", .name = key, .type = t, DF_CONF_FIELD(struct toy, f)
static const struct df_conf_item toy_items[] = {
        { TOY("On", DF_CONF_BOOL, on), .default_value = "yes" },
        { TOY("Small", DF_CONF_UINT, small), .min = 1, .max = 10, .default_value = "3" },
        { TOY("Big", DF_CONF_UINT, big), .min = 0, .max = UINT64_C(1) << 40, .default_value = "1099511627776" },
        { TOY("WaitSec", DF_CONF_DURATION, wait_usec), .min = USEC_PER_SEC, .max = 3600 * USEC_PER_SEC,
          .default_value = "90s" },
        { TOY("Percent", DF_CONF_OPTIONAL_PERCENT, percent), .min = 0, .max = 100, .default_value = "" },
        { TOY("Nodes", DF_CONF_NODES, all_nodes), .offset_aux = offsetof(struct toy, nodes), .default_value = "0,2-3" },
        { TOY("Zones", DF_CONF_ZONES, zones), .offset_aux = offsetof(struct toy, n_zones), .default_value = "Normal" },
        { TOY("Allow", DF_CONF_GLOBS, allow), .default_value = "/system.slice/*.service /user.slice/user-[0-9]*" },
};

static const struct df_conf_item *toy(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(toy_items); i++)
                if (strcmp(toy_items[i].name, name) == 0)
                        return &toy_items[i];
        return NULL;
}

static void expect_refused(const char *name, const char *value, int want_r, const char *want_why) {
        _cleanup_free_ struct toy *t = calloc(1, sizeof(*t)), *before = calloc(1, sizeof(*before));
        char why[200] = "";

        CHECK(t && before);
        if (!t || !before)
                return;
        for (size_t i = 0; i < ELEMENTSOF(toy_items); i++)
                df_conf_item_set_default(&toy_items[i], t);
        *before = *t;
        CHECK_INT(df_conf_item_parse(toy(name), value, t, why, sizeof(why)), want_r);
        CHECK_STR(why, want_why);
        CHECK(memcmp(t, before, sizeof(*t)) == 0); /* refused: the field is untouched */
}

static void test_types(void) {
        _cleanup_free_ struct toy *t = calloc(1, sizeof(*t)), *u = calloc(1, sizeof(*u));
        char buf[DF_CONF_VALUE_MAX], why[200];

        CHECK(t && u);
        if (!t || !u)
                return;
        for (size_t i = 0; i < ELEMENTSOF(toy_items); i++)
                df_conf_item_set_default(&toy_items[i], t);
        CHECK(t->on && t->small == 3 && t->big == UINT64_C(1) << 40 && t->wait_usec == 90 * USEC_PER_SEC);
        CHECK_INT(t->percent, -1);
        CHECK(!t->all_nodes && t->nodes[0] == 0xd);
        CHECK_INT(t->n_zones, 1);
        CHECK_STR(t->zones[0], "Normal");
        CHECK_INT(t->allow.n, 2);
        CHECK_STR(t->allow.pattern[1], "/user.slice/user-[0-9]*");

        for (size_t i = 0; i < ELEMENTSOF(toy_items); i++) {
                df_conf_item_format(&toy_items[i], t, buf, sizeof(buf));
                CHECK_INT(df_conf_item_parse(&toy_items[i], buf, u, why, sizeof(why)), 0);
                CHECK(df_conf_item_equal(&toy_items[i], t, u));
        }
        df_conf_item_format(toy("WaitSec"), t, buf, sizeof(buf));
        CHECK_STR(buf, "90s");
        df_conf_item_format(toy("Allow"), t, buf, sizeof(buf));
        CHECK_STR(buf, "/system.slice/*.service /user.slice/user-[0-9]*");
        CHECK_INT(df_conf_item_parse(toy("Allow"), "/a  /b\t/c", u, why, sizeof(why)), 0);
        CHECK(!df_conf_item_equal(toy("Allow"), t, u));
        CHECK_INT(u->allow.n, 3);
        CHECK_INT(df_conf_item_parse(toy("Allow"), "", u, why, sizeof(why)), 0);
        CHECK_INT(u->allow.n, 0);
        df_conf_item_format(toy("Allow"), u, buf, sizeof(buf));
        CHECK_STR(buf, "");
        CHECK_INT(df_conf_item_parse(toy("Percent"), "7", u, why, sizeof(why)), 0);
        CHECK_INT(u->percent, 7);
        /* all nodes: the mask does not matter */
        CHECK_INT(df_conf_item_parse(toy("Nodes"), "all", t, why, sizeof(why)), 0);
        CHECK_INT(df_conf_item_parse(toy("Nodes"), "all", u, why, sizeof(why)), 0);
        u->nodes[0] = 1;
        t->nodes[0] = 2;
        CHECK(df_conf_item_equal(toy("Nodes"), t, u));
}

static void test_refusals(void) {
        expect_refused("On", "maybe", -EINVAL, "not a boolean");
        expect_refused("Small", "0", -ERANGE, "out of range");
        expect_refused("Small", "x", -EINVAL, "not a non-negative integer");
        expect_refused("Big", "1099511627777", -ERANGE, "out of range");
        expect_refused("WaitSec", "500ms", -ERANGE, "out of range");
        expect_refused("WaitSec", "soon", -EINVAL, "not a duration");
        expect_refused("Percent", "101", -ERANGE, "out of range");
        expect_refused("Allow", "system.slice", -EINVAL, "pattern 'system.slice' does not start with '/'");
        expect_refused("Allow", "/a /b /a", -EINVAL, "pattern '/a' listed twice");
        expect_refused("Allow", "/a[bc", -EINVAL, "pattern '/a[bc' opens '[' without ']'");
        {
                char many[DF_CONF_MAX_GLOBS * 8 + 16] = "", why[80];
                size_t len = 0;

                for (int i = 0; i <= DF_CONF_MAX_GLOBS; i++)
                        len += (size_t) snprintf(many + len, sizeof(many) - len, "/p%d ", i);
                snprintf(why, sizeof(why), "more than %d patterns", DF_CONF_MAX_GLOBS);
                expect_refused("Allow", many, -EINVAL, why);
        }
        {
                char longp[DF_CONF_GLOB_MAX + 8], why[120];

                memset(longp, 'x', sizeof(longp) - 1);
                longp[0] = '/';
                longp[sizeof(longp) - 1] = 0;
                snprintf(why, sizeof(why), "pattern '%.40s...' longer than %d bytes", longp, DF_CONF_GLOB_MAX - 1);
                expect_refused("Allow", longp, -EINVAL, why);
        }
}

static void test_globs_match(void) {
        struct df_conf_globs g;
        char why[160];

        CHECK_INT(df_conf_parse_globs("/system.slice/*.service /batch/job-[0-9]", &g, why, sizeof(why)), 0);
        CHECK(df_conf_globs_match(&g, "/system.slice/cron.service"));
        /* '*' stays in one component: a slice pattern does not name what is nested below it */
        CHECK(!df_conf_globs_match(&g, "/system.slice/a.slice/b.service"));
        CHECK(df_conf_globs_match(&g, "/system.slice/cron.service/"));
        CHECK(!df_conf_globs_match(&g, "/system.slice/.hidden.service"));
        CHECK(!df_conf_globs_match(&g, "/system.slice/cron.scope"));
        CHECK(df_conf_globs_match(&g, "/batch/job-7"));
        CHECK(!df_conf_globs_match(&g, "/batch/job-x"));
        CHECK(!df_conf_globs_match(&g, "/"));
        CHECK_INT(df_conf_parse_globs("", &g, why, sizeof(why)), 0);
        CHECK(!df_conf_globs_match(&g, "/anything"));
}

int main(void) {
        RUN(test_rows_complete);
        RUN(test_defaults_round_trip);
        RUN(test_types);
        RUN(test_refusals);
        RUN(test_globs_match);
        return tp_finish();
}
