/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `defragctl report` rendering: the JSON of every fixture parses (python3
 * json.load) and holds the model's numbers; the text has the expected cells
 * and fits 100 columns; colour only when asked. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "defragd/render.h"
#include "defragd/procfs.h"
#include "defragd/util.h"
#include "test-util.h"

static const char *const roots[] = { "live-6.18-idle", "live-6.18-fragmented", "live-6.18-contended", "ppc64-9orders",
                                     "arm64-16k-12orders", "i386-highmem", "numa-2node", "numa-4node",
                                     "linux-4.19-nopsi", "numa-8node", "numa-64node" };

static char *render(const char *root, bool json, const struct df_render_opts *o, int *r) {
        struct df_snapshot s;
        struct df_error err = { "" };
        char *buf = NULL;
        size_t len = 0;
        FILE *f;

        df_snapshot_init(&s);
        *r = df_snapshot_read_procfs(test_fixture_path(root), 0, &s, &err);
        if (*r < 0) {
                fprintf(stderr, "%s\n", err.msg);
                return NULL;
        }
        f = open_memstream(&buf, &len);
        if (!f) {
                df_snapshot_clear(&s);
                *r = -errno;
                return NULL;
        }
        *r = json ? df_render_json(&s, o, f) : df_render_text(&s, o, f);
        fclose(f);
        df_snapshot_clear(&s);
        return buf;
}

/* python3 checks the document and prints one value from it. */
static int python_check(const char *json, const char *expr, char *out, size_t size) {
        char tmpl[] = "/tmp/defragd-render-XXXXXX", cmd[8192];
        FILE *p;
        int fd = mkstemp(tmpl), r;
        size_t n;

        if (fd < 0)
                return -errno;
        if (write(fd, json, strlen(json)) != (ssize_t) strlen(json)) {
                close(fd);
                unlink(tmpl);
                return -EIO;
        }
        close(fd);
        snprintf(cmd, sizeof(cmd), "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(%s)' %s", expr, tmpl);
        p = popen(cmd, "r");
        if (!p) {
                unlink(tmpl);
                return -errno;
        }
        n = fread(out, 1, size - 1, p);
        out[n] = 0;
        if (n > 0 && out[n - 1] == '\n')
                out[n - 1] = 0;
        r = pclose(p);
        unlink(tmpl);
        return r == 0 ? 0 : -EINVAL;
}

static void test_json_parses(void) {
        struct df_render_opts o = { .proactiveness = 20, .source = "fixture" };
        bool failed = false;

        if (system("python3 -c 'import json' >/dev/null 2>&1") != 0)
                TEST_SKIP("python3 with the json module is not installed");
        for (size_t i = 0; i < ELEMENTSOF(roots); i++) {
                _cleanup_free_ char *out = NULL;
                char v[256];
                int r;

                out = render(roots[i], true, &o, &r);
                ASSERT_EQ_INT(r, 0);
                ASSERT_EQ_INT(python_check(out, "sum(len(z[\"orders\"]) for n in d[\"nodes\"] for z in n[\"zones\"]) > 0", v, sizeof(v)), 0);
                if (strcmp(v, "True") != 0)
                        failed = true;
        }
        ASSERT_TRUE(!failed);
}

/* Numbers the JSON must carry for the fragmented capture (debugfs said
 * unusable 0.968 at order 3 of Normal). */
static void test_json_values(void) {
        struct df_render_opts o = { .proactiveness = 20 };
        _cleanup_free_ char *out = NULL;
        char v[512];
        int r;

        out = render("live-6.18-fragmented", true, &o, &r);
        ASSERT_EQ_INT(r, 0);
        ASSERT_EQ_INT(python_check(out, "[(o[\"free_blocks\"], o[\"suitable_blocks\"], o[\"unusable_index\"], o[\"fragmentation_index\"]) "
                                        "for o in d[\"nodes\"][0][\"zones\"][2][\"orders\"][3:5]]", v, sizeof(v)), 0);
        ASSERT_STREQ(v, "[(417, 2377, 0.968, -1.0), (190, 980, 0.974, -1.0)]");
        ASSERT_EQ_INT(python_check(out, "(d[\"nodes\"][0][\"node\"], d[\"nodes\"][0][\"compaction_score\"], d[\"pageblock_order\"], "
                                        "d[\"nodes\"][0][\"zones\"][2][\"zone\"], d[\"nodes\"][0][\"zones\"][2][\"zoneinfo\"][\"managed_pages\"], "
                                        "d[\"nodes\"][0][\"zones\"][2][\"orders\"][0][\"free_blocks_by_type\"][\"Movable\"])", v, sizeof(v)), 0);
        ASSERT_STREQ(v, "(0, 85, 9, 'Normal', 917504, 100000)");

        free(out);
        out = render("numa-2node", true, &o, &r);
        ASSERT_EQ_INT(r, 0);
        ASSERT_EQ_INT(python_check(out, "(len(d[\"nodes\"]), d[\"nodes\"][1][\"node\"], d[\"nodes\"][1][\"zones\"][0][\"orders\"][10][\"fragmentation_index\"], d[\"psi_memory\"][\"some\"][\"avg60\"])", v, sizeof(v)), 0);
        ASSERT_STREQ(v, "(2, 1, 0.996, 1.75)");

        free(out);
        out = render("linux-4.19-nopsi", true, &o, &r);
        ASSERT_EQ_INT(r, 0);
        ASSERT_EQ_INT(python_check(out, "d[\"psi_memory\"]", v, sizeof(v)), 0);
        ASSERT_STREQ(v, "None");
}

static void test_text(void) {
        struct df_render_opts o = { .proactiveness = 20, .source = "/proc", .utf8 = false };
        _cleanup_free_ char *out = NULL;
        int r;

        out = render("live-6.18-fragmented", false, &o, &r);
        ASSERT_EQ_INT(r, 0);
        ASSERT_CONTAINS(out, "Node 0, zone Normal   free 2.3 GiB (608033 pages) of 3.5 GiB managed; watermarks min 9149 low 11436 high 13723\n");
        ASSERT_CONTAINS(out, "  order           0      1      2      3      4      5      6      7      8      9     10\n");
        ASSERT_CONTAINS(out, "  free       194975 175041  10990    417    190     77     15      4      4      1      7\n");
        ASSERT_CONTAINS(out, "  unusable    0.000  0.320  0.896  0.968  0.974  0.979  0.983  0.984  0.985  0.987  0.988\n");
        ASSERT_CONTAINS(out, "  frag index -1.000 -1.000");
        ASSERT_CONTAINS(out, "  share      ##     ###    .      .      .");
        ASSERT_CONTAINS(out, "Node 0 proactive compaction score 85 (order 9; kernel compacts above 90, stops at 80 with vm.compaction_proactiveness=20)\n");
        ASSERT_TRUE(strchr(out, '\033') == NULL);

        /* every line fits 100 columns, also with 12 orders (ASCII: bytes = columns) */
        free(out);
        out = render("arm64-16k-12orders", false, &o, &r);
        ASSERT_EQ_INT(r, 0);
        for (char *line = out, *nl; (nl = strchr(line, '\n')); line = nl + 1)
                if (strncmp(line, "Node", 4) != 0) /* header lines carry sizes and may run longer */
                        ASSERT_TRUE(nl - line <= 100);

        /* node 1 of numa-2node: a failing order shows its index */
        free(out);
        out = render("numa-2node", false, &o, &r);
        ASSERT_EQ_INT(r, 0);
        ASSERT_CONTAINS(out, "  frag index -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000  0.996\n");
        ASSERT_CONTAINS(out, "Node 1 proactive compaction score 65");
}

static void test_color_and_narrow(void) {
        struct df_render_opts o = { .color = true, .utf8 = true, .width = 60, .proactiveness = -1 };
        _cleanup_free_ char *out = NULL;
        int r;

        out = render("numa-2node", false, &o, &r);
        ASSERT_EQ_INT(r, 0);
        ASSERT_CONTAINS(out, "\033[31m");   /* order 10 of node 1 fails: red */
        ASSERT_CONTAINS(out, "\u2588");     /* a full block in a bar */
        ASSERT_CONTAINS(out, "Node 1 proactive compaction score 65 (order 9)\n");
        /* 60 columns, 11 orders: 5-column cells, shorter indices, truncated */
        ASSERT_CONTAINS(out, "  frag index -1.0 -1.0");
        ASSERT_CONTAINS(out, "\033[31m0.99\033[0m\n");  /* 0.996 in four characters, red: fails */
        ASSERT_CONTAINS(out, " 251k");     /* 251786 in four characters */
}

int main(void) {
        RUN_TEST(test_text);
        RUN_TEST(test_color_and_narrow);
        RUN_TEST(test_json_values);
        RUN_TEST(test_json_parses);
        return test_summary();
}
