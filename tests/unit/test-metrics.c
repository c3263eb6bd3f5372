/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The metrics exposition on captured states, read back by a small checker
 * (syntax, HELP/TYPE once, families whole, no duplicate series, every family
 * present, labels escaped); per-lever accounting; the textfile writer.
 * `test-metrics --print FIXTURE [--openmetrics]` prints an exposition for
 * test-metrics-tools.sh (promtool, the OpenMetrics parser). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "defragd/conf.h"
#include "defragd/metrics-input.h"
#include "defragd/metrics-sink.h"
#include "defragd/metrics.h"
#include "defragd/procfs.h"
#include "defragd/snapshot.h"
#include "defragd/util.h"
#include "test-util.h"

static const char *const roots[] = { "live-6.18-idle", "live-6.18-fragmented", "live-6.18-contended", "numa-2node",
                                     "arm64-16k-12orders", "linux-4.19-nopsi" };

/* A zone name no kernel prints, to prove escaping: quote, backslash, newline. */
#define ODD_ZONE "No\"r\\m\nal"
#define ODD_ZONE_ESCAPED "No\\\"r\\\\m\\nal"

static const char *const all_families[] = {
        "defragd_build_info", "defragd_start_time_seconds", "defragd_evaluations_total",
        "defragd_last_evaluation_timestamp_seconds", "defragd_config_generation", "defragd_dry_run",
        "defragd_free_blocks", "defragd_suitable_blocks", "defragd_free_pages", "defragd_unusable_index",
        "defragd_fragmentation_index", "defragd_compaction_score",
        "defragd_target_low_blocks", "defragd_target_high_blocks", "defragd_target_short",
        "defragd_target_state_since_timestamp_seconds", "defragd_trend_slope_blocks_per_second",
        "defragd_trend_time_to_low_seconds",
        "defragd_actions_total", "defragd_action_duration_seconds", "defragd_action_gain_blocks_total",
        "defragd_action_pages_moved_total", "defragd_action_reclaimed_bytes_total",
        "defragd_action_blocks_cleared_total", "defragd_action_refaults_total",
        "defragd_probe_allocations_total", "defragd_probe_allocation_failures_total",
        "defragd_probe_fallbacks_total", "defragd_probe_fragmenting_fallbacks_total",
        "defragd_probe_compaction_runs_total", "defragd_probe_compaction_results_total",
        "defragd_probe_stalls_total", "defragd_probe_stall_seconds_total", "defragd_probe_stall_duration_seconds",
        "defragd_probes_enabled", "defragd_probes_loaded", "defragd_probes_attached", "defragd_probes_missing",
        "defragd_probe_events_total", "defragd_probe_events_lost_total", "defragd_probe_events_ratelimited_total",
};

/* ---- a scripted daemon state on a captured snapshot ---- */

struct state {
        struct df_snapshot snap;
        struct df_metrics_cell cells[16];
        struct df_metrics_lever_stats levers;
        struct df_metrics_input in;
};

static void account(struct df_metrics_lever_stats *st, enum df_lever_kind k, enum df_action_outcome o, uint64_t usec,
                    uint64_t before, uint64_t after, uint64_t pages, uint64_t amount, bool dry) {
        struct df_action a = { .lever = k, .dry_run = dry };
        struct df_action_result r = {
                .lever = k, .outcome = o, .duration_usec = usec, .gain_known = true,
                .suitable_before = before, .suitable_after = after, .pages_moved = pages, .amount_done = amount,
        };

        df_metrics_account(st, &a, &r);
}

static int state_load(struct state *st, const char *root) {
        struct df_error err = { "" };
        size_t nc = 0;
        int r;

        memset(st, 0, sizeof(*st));
        df_snapshot_init(&st->snap);
        r = df_snapshot_read_procfs(test_fixture_path(root), 5 * USEC_PER_SEC, &st->snap, &err);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", root, err.msg);
                return r;
        }
        /* The probes as the collector would fill them. */
        st->snap.probes.present = true;
        for (int o = 0; o < DF_MAX_ORDERS; o++) {
                st->snap.probes.alloc[o] = 1000u >> (o / 2);
                st->snap.probes.alloc_fail_atomic[o] = o >= 3 ? 2 : 0;
                st->snap.probes.alloc_fail_reclaim[o] = o == 9 ? 7 : 0;
        }
        st->snap.probes.extfrag_fallbacks = 40;
        st->snap.probes.extfrag_fragmenting = 12;
        st->snap.probes.compaction_runs = 9;
        st->snap.probes.compaction_result[5] = 6;
        st->snap.probes.compaction_result[7] = 3;
        st->snap.probes.direct_reclaim_stalls = 4;
        st->snap.probes.direct_reclaim_stall_usec = 1500;
        st->snap.probes.direct_compact_stalls = 2;
        st->snap.probes.direct_compact_stall_usec = 250000;

        for (size_t i = 0; i < st->snap.n_zones && nc < 12; i++) {
                const struct df_zone *z = &st->snap.zones[i];

                if (!z->has_buddyinfo || z->nr_orders <= 9)
                        continue;
                st->cells[nc] = (struct df_metrics_cell) {
                        .node = z->node, .order = 9, .low_blocks = 64, .high_blocks = 256,
                        .state = nc % 2 ? DF_METRICS_STATE_SHORT : DF_METRICS_STATE_OK,
                        .state_since_realtime_usec = UINT64_C(1764650000) * USEC_PER_SEC + 250000,
                        .has_trend = true, .trend_slope_blocks_per_sec = nc % 2 ? -0.25 : 0,
                        .trend_seconds_to_low = nc % 2 ? 1234.5 : INFINITY,
                };
                snprintf(st->cells[nc].zone, DF_NAME_MAX, "%s", z->name);
                nc++;
        }
        if (nc > 0) /* the same cell twice: exported once */
                st->cells[nc] = st->cells[0], nc++;
        st->cells[nc] = (struct df_metrics_cell) { .node = 7, .order = 3, .low_blocks = 1, .high_blocks = 2,
                                                   .state = DF_METRICS_STATE_UNKNOWN };
        snprintf(st->cells[nc].zone, DF_NAME_MAX, "%s", ODD_ZONE);
        nc++;

        account(&st->levers, DF_LEVER_COMPACT_NODE, DF_OUTCOME_DONE, 1800000, 10, 90, 281616, 0, false);
        account(&st->levers, DF_LEVER_COMPACT_NODE, DF_OUTCOME_CONTENDED, 400000, 10, 8, 1000, 0, false);
        account(&st->levers, DF_LEVER_RECLAIM_NODE, DF_OUTCOME_DONE, 3000, 5, 6, 0, 64 << 20, false);
        account(&st->levers, DF_LEVER_CLEAR_OFFLINE, DF_OUTCOME_BUSY, 20000, 5, 5, 0, 0, false);
        account(&st->levers, DF_LEVER_CLEAR_OFFLINE, DF_OUTCOME_DONE, 27000, 5, 69, 4100, 1, false);
        account(&st->levers, DF_LEVER_COMPACT_NODE, DF_OUTCOME_DRY_RUN, 0, 0, 0, 0, 0, true);
        df_metrics_account_refaults(&st->levers, DF_LEVER_RECLAIM_NODE, 17);

        st->in = (struct df_metrics_input) {
                .snapshot = &st->snap,
                .compaction_score_order = 9,
                .cells = st->cells,
                .n_cells = nc,
                .levers = &st->levers,
                .probes_enabled = true, .probes_loaded = true, .probes_attached = 8, .probes_missing = 1,
                .probe_events = 5, .probe_events_lost = 0, .probe_events_ratelimited = 2,
                .has_stall_hist = true,
                .version = "0.1 \"test\"",
                .start_realtime_usec = UINT64_C(1764650000) * USEC_PER_SEC,
                .evaluations = 42,
                .last_evaluation_realtime_usec = UINT64_C(1764650400) * USEC_PER_SEC + 123456,
                .config_generation = 3,
        };
        st->in.stall_hist[0][3] = 3;
        st->in.stall_hist[0][10] = 1;
        st->in.stall_hist[1][17] = 2;
        st->in.stall_total_ns[0] = 1500000;
        st->in.stall_total_ns[1] = 250000000;
        return 0;
}

static char *render(const struct df_metrics_input *in, enum df_metrics_format fmt) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        if (!f)
                return NULL;
        if (df_metrics_render_format(f, in, fmt) < 0) {
                fclose(f);
                free(buf);
                return NULL;
        }
        fclose(f);
        return buf;
}

/* ---- the checker ---- */

#define MAX_FAMILIES 128
#define MAX_SERIES 20000

struct checked {
        unsigned n_families;
        char families[MAX_FAMILIES][96];
        char types[MAX_FAMILIES][16];
        unsigned samples[MAX_FAMILIES];
        unsigned n_series;
        char **series;        /* "name{sorted labels}" */
        char error[2048];
        bool saw_odd_zone;    /* the hand-made zone decoded back to ODD_ZONE */
};

static void checked_free(struct checked *c) {
        for (unsigned i = 0; i < c->n_series; i++)
                free(c->series[i]);
        free(c->series);
}

static bool name_ok(const char *s, size_t n, bool metric) {
        if (n == 0 || !(isalpha((unsigned char) s[0]) || s[0] == '_' || (metric && s[0] == ':')))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!(isalnum((unsigned char) s[i]) || s[i] == '_' || (metric && s[i] == ':')))
                        return false;
        return true;
}

static int family_index(const struct checked *c, const char *name) {
        for (unsigned i = 0; i < c->n_families; i++)
                if (strcmp(c->families[i], name) == 0)
                        return (int) i;
        return -1;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

#define CHECK_FAIL(...) do { snprintf(c->error, sizeof(c->error), __VA_ARGS__); return -1; } while (0)

/* Which family a sample name belongs to, given the format's suffix rules. */
static int owner(const struct checked *c, const char *name, bool om) {
        static const char *const sfx[] = { "_bucket", "_sum", "_count", "_total", "_info" };
        int f = family_index(c, name);

        if (f >= 0 && (!om || (strcmp(c->types[f], "counter") != 0 && strcmp(c->types[f], "info") != 0)))
                return strcmp(c->types[f], "histogram") == 0 ? -1 : f;
        for (size_t i = 0; i < ELEMENTSOF(sfx); i++) {
                size_t n = strlen(name), m = strlen(sfx[i]);
                char base[96];

                if (n <= m || strcmp(name + n - m, sfx[i]) != 0 || n - m >= sizeof(base))
                        continue;
                memcpy(base, name, n - m);
                base[n - m] = 0;
                f = family_index(c, base);
                if (f < 0)
                        continue;
                if (i < 3 && strcmp(c->types[f], "histogram") == 0)
                        return f;
                if (om && i == 3 && strcmp(c->types[f], "counter") == 0)
                        return f;
                if (om && i == 4 && strcmp(c->types[f], "info") == 0)
                        return f;
        }
        return -1;
}

static int check_exposition(const char *text, bool om, struct checked *c) {
        const char *p = text;
        int current = -1;
        unsigned lineno = 0;
        bool eof = false;

        memset(c, 0, sizeof(*c));
        c->series = calloc(MAX_SERIES, sizeof(*c->series));
        if (!c->series)
                CHECK_FAIL("out of memory");
        while (*p) {
                const char *nl = strchr(p, '\n');
                char line[1024];
                size_t n;

                lineno++;
                if (!nl)
                        CHECK_FAIL("line %u: no final newline", lineno);
                n = (size_t) (nl - p);
                if (n >= sizeof(line))
                        CHECK_FAIL("line %u: too long", lineno);
                memcpy(line, p, n);
                line[n] = 0;
                p = nl + 1;
                if (eof)
                        CHECK_FAIL("line %u: text after # EOF", lineno);
                if (strcmp(line, "# EOF") == 0) {
                        if (!om)
                                CHECK_FAIL("line %u: # EOF in the Prometheus format", lineno);
                        eof = true;
                        continue;
                }
                if (line[0] == '#') {
                        char kind[8], name[96], rest[600];
                        int f;

                        if (sscanf(line, "# %7s %95s %599[^\n]", kind, name, rest) != 3)
                                CHECK_FAIL("line %u: malformed comment: %s", lineno, line);
                        if (!name_ok(name, strlen(name), true))
                                CHECK_FAIL("line %u: bad family name %s", lineno, name);
                        f = family_index(c, name);
                        if (strcmp(kind, "HELP") == 0) {
                                if (f >= 0)
                                        CHECK_FAIL("line %u: second HELP for %s", lineno, name);
                                if (c->n_families == MAX_FAMILIES)
                                        CHECK_FAIL("too many families");
                                snprintf(c->families[c->n_families], 96, "%s", name);
                                current = (int) c->n_families++;
                        } else if (strcmp(kind, "TYPE") == 0) {
                                if (f != current || c->types[f][0])
                                        CHECK_FAIL("line %u: TYPE for %s not right after its HELP, or twice", lineno, name);
                                if (strcmp(rest, "gauge") && strcmp(rest, "counter") && strcmp(rest, "histogram") &&
                                    !(om && strcmp(rest, "info") == 0))
                                        CHECK_FAIL("line %u: type %s", lineno, rest);
                                if (!om && strcmp(rest, "counter") == 0 &&
                                    (strlen(name) < 7 || strcmp(name + strlen(name) - 6, "_total") != 0))
                                        CHECK_FAIL("line %u: counter %s does not end in _total", lineno, name);
                                if (om && strcmp(rest, "counter") == 0 && strlen(name) > 6 &&
                                    strcmp(name + strlen(name) - 6, "_total") == 0)
                                        CHECK_FAIL("line %u: OpenMetrics counter family %s ends in _total", lineno, name);
                                snprintf(c->types[f], 16, "%s", rest);
                        } else if (strcmp(kind, "UNIT") == 0) {
                                size_t ln = strlen(name), lu = strlen(rest);

                                if (!om || f != current)
                                        CHECK_FAIL("line %u: UNIT out of place", lineno);
                                if (ln <= lu + 1 || strcmp(name + ln - lu, rest) != 0 || name[ln - lu - 1] != '_')
                                        CHECK_FAIL("line %u: family %s does not end in its unit %s", lineno, name, rest);
                        } else
                                CHECK_FAIL("line %u: unknown comment %s", lineno, kind);
                        continue;
                }
                {
                        /* sample: name{l="v",...} value */
                        const char *q = line, *name_end;
                        char name[96], labels[64][300], decoded[256], key[4096], *end;
                        unsigned nl_ = 0;
                        int f;

                        while (*q && *q != '{' && *q != ' ')
                                q++;
                        name_end = q;
                        if ((size_t) (name_end - line) >= sizeof(name) || !name_ok(line, (size_t) (name_end - line), true))
                                CHECK_FAIL("line %u: bad sample name: %s", lineno, line);
                        memcpy(name, line, (size_t) (name_end - line));
                        name[name_end - line] = 0;
                        f = owner(c, name, om);
                        if (f < 0)
                                CHECK_FAIL("line %u: sample %s of no declared family (or a wrong suffix)", lineno, name);
                        if (f != current)
                                CHECK_FAIL("line %u: sample %s after another family began (families must be whole)", lineno, name);
                        c->samples[f]++;
                        if (*q == '{') {
                                q++;
                                while (*q != '}') {
                                        const char *ls = q;
                                        size_t dn = 0;

                                        while (*q && *q != '=')
                                                q++;
                                        if (*q != '=' || !name_ok(ls, (size_t) (q - ls), false) || q[1] != '"')
                                                CHECK_FAIL("line %u: bad label: %s", lineno, ls);
                                        if (nl_ == 64)
                                                CHECK_FAIL("line %u: too many labels", lineno);
                                        snprintf(labels[nl_], sizeof(labels[nl_]), "%.*s=", (int) (q - ls), ls);
                                        q += 2;
                                        while (*q && *q != '"') {
                                                if (*q == '\\') {
                                                        q++;
                                                        if (*q != '\\' && *q != '"' && *q != 'n')
                                                                CHECK_FAIL("line %u: bad escape \\%c", lineno, *q);
                                                        decoded[dn++] = *q == 'n' ? '\n' : *q;
                                                } else
                                                        decoded[dn++] = *q;
                                                q++;
                                                if (dn >= sizeof(decoded) - 1)
                                                        CHECK_FAIL("line %u: label value too long", lineno);
                                        }
                                        decoded[dn] = 0;
                                        if (*q != '"')
                                                CHECK_FAIL("line %u: unterminated label value", lineno);
                                        if (strncmp(labels[nl_], "zone=", 5) == 0 && strcmp(decoded, ODD_ZONE) == 0)
                                                c->saw_odd_zone = true;
                                        {
                                                size_t used = strlen(labels[nl_]);

                                                snprintf(labels[nl_] + used, sizeof(labels[nl_]) - used, "%s", decoded);
                                        }
                                        for (unsigned j = 0; j < nl_; j++)
                                                if (strncmp(labels[j], labels[nl_], strcspn(labels[nl_], "=") + 1) == 0)
                                                        CHECK_FAIL("line %u: label repeated", lineno);
                                        nl_++;
                                        q++;
                                        if (*q == ',')
                                                q++;
                                        else if (*q != '}')
                                                CHECK_FAIL("line %u: expected , or } after a label", lineno);
                                }
                                q++;
                        }
                        if (*q != ' ')
                                CHECK_FAIL("line %u: expected one space before the value", lineno);
                        q++;
                        if (strcmp(q, "+Inf") && strcmp(q, "-Inf") && strcmp(q, "NaN")) {
                                errno = 0;
                                (void) strtod(q, &end);
                                if (errno || end == q || *end)
                                        CHECK_FAIL("line %u: bad value \"%s\" (timestamps are not used)", lineno, q);
                        }
                        /* the series' identity: name and sorted labels */
                        {
                                char *sorted[64];
                                size_t kl;

                                for (unsigned j = 0; j < nl_; j++)
                                        sorted[j] = labels[j];
                                qsort(sorted, nl_, sizeof(*sorted), cmp_str);
                                kl = (size_t) snprintf(key, sizeof(key), "%s{", name);
                                for (unsigned j = 0; j < nl_ && kl < sizeof(key); j++)
                                        kl += (size_t) snprintf(key + kl, sizeof(key) - kl, "%s\x1f", sorted[j]);
                        }
                        if (c->n_series == MAX_SERIES)
                                CHECK_FAIL("too many series");
                        c->series[c->n_series] = strdup(key);
                        if (!c->series[c->n_series])
                                CHECK_FAIL("out of memory");
                        c->n_series++;
                }
        }
        if (om && !eof)
                CHECK_FAIL("no # EOF at the end");
        for (unsigned i = 0; i < c->n_families; i++) {
                if (!c->types[i][0])
                        CHECK_FAIL("family %s without TYPE", c->families[i]);
                if (c->samples[i] == 0)
                        CHECK_FAIL("family %s without samples", c->families[i]);
        }
        qsort(c->series, c->n_series, sizeof(*c->series), cmp_str);
        for (unsigned i = 1; i < c->n_series; i++)
                if (strcmp(c->series[i - 1], c->series[i]) == 0)
                        CHECK_FAIL("duplicate series %s", c->series[i]);
        return 0;
}

/* Prometheus-format family name of an OpenMetrics family. */
static bool has_family(const struct checked *c, const char *prom_name, bool om) {
        char base[96];
        size_t n = strlen(prom_name);

        if (family_index(c, prom_name) >= 0)
                return true;
        if (!om)
                return false;
        snprintf(base, sizeof(base), "%s", prom_name);
        if (n > 6 && strcmp(base + n - 6, "_total") == 0)
                base[n - 6] = 0;
        else if (n > 5 && strcmp(base + n - 5, "_info") == 0)
                base[n - 5] = 0;
        return family_index(c, base) >= 0;
}

/* ---- tests ---- */

static void check_root(const char *root, enum df_metrics_format fmt) {
        struct state *st = calloc(1, sizeof(*st));
        struct checked c;
        char *text = NULL;
        bool om = fmt == DF_METRICS_OPENMETRICS;

        ASSERT_TRUE(st != NULL);
        if (state_load(st, root) < 0) {
                free(st);
                TEST_FAIL_("%s: cannot load", root);
        }
        text = render(&st->in, fmt);
        if (!text) {
                df_snapshot_clear(&st->snap);
                free(st);
                TEST_FAIL_("%s: render failed", root);
        }
        if (check_exposition(text, om, &c) < 0) {
                fprintf(stderr, "%s (%s): %s\n", root, om ? "openmetrics" : "prometheus", c.error);
                test_current_failed = true;
        }
        for (size_t i = 0; i < ELEMENTSOF(all_families) && !test_current_failed; i++)
                if (!has_family(&c, all_families[i], om)) {
                        fprintf(stderr, "%s: family %s missing\n", root, all_families[i]);
                        test_current_failed = true;
                }
        if (!c.saw_odd_zone) {
                fprintf(stderr, "%s: the zone \"%s\" did not decode back from its label\n", root, ODD_ZONE);
                test_current_failed = true;
        }
        checked_free(&c);
        /* spot checks of the values */
        if (!test_current_failed) {
                if (!strstr(text, "zone=\"" ODD_ZONE_ESCAPED "\"") ||
                    !strstr(text, "defragd_last_evaluation_timestamp_seconds 1764650400.12346\n") ||
                    !strstr(text, "version=\"0.1 \\\"test\\\"\"") ||
                    !strstr(text, "lever=\"compact\",result=\"done\"} 1\n") ||
                    !strstr(text, "lever=\"compact\",result=\"dry-run\"} 1\n") ||
                    !strstr(text, "defragd_action_duration_seconds_count{lever=\"compact\"} 2\n") ||
                    !strstr(text, "defragd_action_duration_seconds_bucket{lever=\"compact\",le=\"2.5\"} 2\n") ||
                    !strstr(text, "defragd_action_duration_seconds_bucket{lever=\"compact\",le=\"1\"} 1\n") ||
                    !strstr(text, "defragd_action_duration_seconds_sum{lever=\"compact\"} 2.2\n") ||
                    !strstr(text, "defragd_action_gain_blocks_total{lever=\"compact\"} 80\n") ||
                    !strstr(text, "defragd_action_reclaimed_bytes_total{lever=\"reclaim-node\"} 67108864\n") ||
                    !strstr(text, "defragd_action_blocks_cleared_total{lever=\"clear-offline\"} 1\n") ||
                    !strstr(text, "defragd_action_refaults_total{lever=\"reclaim-node\"} 17\n") ||
                    !strstr(text, "defragd_trend_time_to_low_seconds{") ||
                    !strstr(text, "} +Inf\n") ||
                    !strstr(text, "defragd_probe_stall_seconds_total{kind=\"direct_compact\"} 0.25\n")) {
                        fprintf(stderr, "%s: an expected sample is missing:\n%s\n", root, text);
                        test_current_failed = true;
                }
        }
        free(text);
        df_snapshot_clear(&st->snap);
        free(st);
}

static void test_prometheus_every_root(void) {
        for (size_t i = 0; i < ELEMENTSOF(roots); i++)
                check_root(roots[i], DF_METRICS_PROMETHEUS);
}

static void test_openmetrics_every_root(void) {
        for (size_t i = 0; i < ELEMENTSOF(roots); i++)
                check_root(roots[i], DF_METRICS_OPENMETRICS);
}

/* The model's numbers, as mm/vmstat.c prints them in the capture. */
static void test_values_match_debugfs(void) {
        struct state *st = calloc(1, sizeof(*st));
        char *text, *extfrag = NULL, want[256];
        struct df_error err = { "" };
        size_t len;

        ASSERT_TRUE(st != NULL);
        ASSERT_EQ_INT(state_load(st, "live-6.18-contended"), 0);
        text = render(&st->in, DF_METRICS_PROMETHEUS);
        ASSERT_TRUE(text != NULL);
        /* debugfs unusable_index of node 0 Normal, order 9: the capture's
         * 10th column, divided by 1000 like the kernel's "%d.%03d". */
        ASSERT_OK(df_read_file(test_fixture_path("live-6.18-contended/debugfs/extfrag/unusable_index"), &extfrag, &len, &err), &err);
        {
                char *line = strstr(extfrag, "zone   Normal");
                double v[11];

                ASSERT_TRUE(line != NULL);
                line += strlen("zone   Normal");
                for (int o = 0; o < 11; o++)
                        v[o] = strtod(line, &line);
                snprintf(want, sizeof(want), "defragd_unusable_index{node=\"0\",zone=\"Normal\",order=\"9\"} %.15g\n", v[9]);
        }
        if (!strstr(text, want)) {
                fprintf(stderr, "missing: %s", want);
                test_current_failed = true;
        }
        ASSERT_CONTAINS(text, "defragd_fragmentation_index{node=\"0\",zone=\"Normal\",order=\"0\"} -1\n");
        free(extfrag);
        free(text);
        df_snapshot_clear(&st->snap);
        free(st);
}

/* Before the first evaluation: health only, still valid. */
static void test_no_snapshot(void) {
        struct df_metrics_input in = { .version = "x", .config_generation = 1 };
        struct checked c;
        char *text = render(&in, DF_METRICS_OPENMETRICS);

        ASSERT_TRUE(text != NULL);
        if (check_exposition(text, true, &c) < 0) {
                fprintf(stderr, "%s\n%s", c.error, text);
                test_current_failed = true;
        }
        checked_free(&c);
        ASSERT_CONTAINS(text, "defragd_last_evaluation_timestamp_seconds 0\n");
        ASSERT_TRUE(!strstr(text, "defragd_free_blocks"));
        ASSERT_TRUE(!strstr(text, "defragd_probe_allocations"));
        ASSERT_CONTAINS(text, "defragd_actions_total{lever=\"compact\",result=\"done\"} 0\n");
        free(text);
}

/* The checker itself must catch what it is for. */
static void test_checker_catches(void) {
        static const struct { const char *text; bool om; const char *why; } bad[] = {
                { "# HELP a_total x\n# TYPE a_total counter\na_total 1\na_total 2\n", false, "duplicate" },
                { "# HELP a x\n# TYPE a gauge\na{z=\"q\\x\"} 1\n", false, "escape" },
                { "# HELP a x\n# TYPE a gauge\n# HELP a y\n", false, "second HELP" },
                { "# HELP a x\n# TYPE a gauge\nb 1\n", false, "no declared family" },
                { "# HELP a x\n# TYPE a gauge\na 1\n", true, "EOF" },
                { "# HELP a x\n# TYPE a counter\na 1\n", false, "_total" },
                { "# HELP a x\n# TYPE a gauge\n# HELP b x\n# TYPE b gauge\nb 1\na 1\n", false, "whole" },
                { "# HELP a x\n# TYPE a gauge\na{o=\"1\",o=\"2\"} 1\n", false, "repeated" },
        };
        struct checked c;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int r = check_exposition(bad[i].text, bad[i].om, &c);

                checked_free(&c);
                if (r == 0 || !strstr(c.error, bad[i].why)) {
                        fprintf(stderr, "checker let through (%s): %s -> \"%s\"\n", bad[i].why, bad[i].text, c.error);
                        test_current_failed = true;
                }
        }
}

static void test_escape(void) {
        char buf[64];

        df_metrics_escape_label("a\"b\\c\nd", buf, sizeof(buf));
        ASSERT_STREQ(buf, "a\\\"b\\\\c\\nd");
        /* truncation never splits an escape */
        df_metrics_escape_label("\"\"\"", buf, 4);
        ASSERT_STREQ(buf, "\\\"");
        /* not UTF-8: U+FFFD (fuzz-metrics); UTF-8 kept, never cut inside a character */
        df_metrics_escape_label("a\xff\xed\xa0\x80" "b\xc3\xa9", buf, sizeof(buf));
        ASSERT_STREQ(buf, "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "b\xc3\xa9");
        df_metrics_escape_label("ab\xc3\xa9", buf, 4);
        ASSERT_STREQ(buf, "ab");
}

static void test_account(void) {
        struct df_metrics_lever_stats st = { 0 };
        struct df_action a = { .lever = DF_LEVER_COMPACT_NODE };
        struct df_action_result r = { .lever = DF_LEVER_COMPACT_NODE, .outcome = DF_OUTCOME_DONE, .duration_usec = 1000,
                                      .gain_known = true, .suitable_before = 5, .suitable_after = 3, .pages_moved = 7,
                                      .amount_done = 99 };

        ASSERT_TRUE(df_metrics_account(&st, &a, &r));
        ASSERT_EQ_U64(st.actions[DF_LEVER_COMPACT_NODE][DF_OUTCOME_DONE], 1);
        ASSERT_EQ_U64(st.duration_bucket[DF_LEVER_COMPACT_NODE][0], 1);   /* 1 ms <= 0.001 s */
        ASSERT_EQ_U64(st.gain_blocks[DF_LEVER_COMPACT_NODE], 0);          /* a loss counts 0 */
        ASSERT_EQ_U64(st.pages_moved[DF_LEVER_COMPACT_NODE], 7);
        ASSERT_EQ_U64(st.reclaimed_bytes[DF_LEVER_COMPACT_NODE], 0);      /* not a reclaim lever */
        r.gain_known = false, r.suitable_after = 50;
        ASSERT_TRUE(df_metrics_account(&st, &a, &r));
        ASSERT_EQ_U64(st.gain_blocks[DF_LEVER_COMPACT_NODE], 0);          /* unknown is not a gain */
        r.duration_usec = 60 * USEC_PER_SEC;
        ASSERT_TRUE(df_metrics_account(&st, &a, &r));
        ASSERT_EQ_U64(st.duration_bucket[DF_LEVER_COMPACT_NODE][DF_METRICS_DURATION_BUCKETS - 1], 1); /* +Inf */
        ASSERT_EQ_U64(st.duration_count[DF_LEVER_COMPACT_NODE], 3);
        /* a dry run: counted, but no duration */
        a.dry_run = true;
        r.outcome = DF_OUTCOME_DRY_RUN;
        ASSERT_TRUE(df_metrics_account(&st, &a, &r));
        ASSERT_EQ_U64(st.actions[DF_LEVER_COMPACT_NODE][DF_OUTCOME_DRY_RUN], 1);
        ASSERT_EQ_U64(st.duration_count[DF_LEVER_COMPACT_NODE], 3);
        /* the lever from the action when the result has none; garbage refused */
        a = (struct df_action) { .lever = DF_LEVER_RECLAIM_CGROUP };
        r = (struct df_action_result) { .outcome = DF_OUTCOME_PARTIAL, .amount_done = 4096 };
        ASSERT_TRUE(df_metrics_account(&st, &a, &r));
        ASSERT_EQ_U64(st.reclaimed_bytes[DF_LEVER_RECLAIM_CGROUP], 4096);
        a.lever = DF_LEVER_NONE;
        ASSERT_TRUE(!df_metrics_account(&st, &a, &r));
        r.lever = _DF_LEVER_MAX;
        ASSERT_TRUE(!df_metrics_account(&st, &a, &r));
}

static void test_textfile(void) {
        char dir[] = "/tmp/defragd-metrics-XXXXXX", path[256], *content = NULL, *want;
        struct df_metrics_input in = { .version = "t", .evaluations = 3 };
        struct df_error err = { "" };
        struct stat stt;
        struct dirent *de;
        unsigned n = 0;
        size_t len;
        DIR *d;

        ASSERT_TRUE(mkdtemp(dir) != NULL);
        umask(0077); /* as under the unit's UMask= */
        ASSERT_OK(df_metrics_write_textfile(dir, &in, &err), &err);
        in.evaluations = 4;
        ASSERT_OK(df_metrics_write_textfile(dir, &in, &err), &err);
        snprintf(path, sizeof(path), "%s/defragd.prom", dir);
        ASSERT_EQ_INT(stat(path, &stt), 0);
        ASSERT_EQ_INT(stt.st_mode & 07777, 0644);
        ASSERT_OK(df_read_file(path, &content, &len, &err), &err);
        want = render(&in, DF_METRICS_PROMETHEUS);
        ASSERT_TRUE(want != NULL);
        ASSERT_STREQ(content, want);
        free(content);
        free(want);
        d = opendir(dir);
        ASSERT_TRUE(d != NULL);
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")))
                        n++;
        closedir(d);
        ASSERT_EQ_INT(n, 1); /* no temporary file left behind */
        ASSERT_OK(df_metrics_remove_textfile(dir, &err), &err);
        ASSERT_TRUE(access(path, F_OK) < 0 && errno == ENOENT);
        ASSERT_OK(df_metrics_remove_textfile(dir, &err), &err); /* absent is fine */
        ASSERT_EQ_INT(rmdir(dir), 0);
        /* a directory that does not exist: the key and the path in the error */
        ASSERT_TRUE(df_metrics_write_textfile(dir, &in, &err) == -ENOENT);
        ASSERT_CONTAINS(err.msg, "[Metrics] TextfileDirectory=/tmp/defragd-metrics-");
}

static enum df_metrics_state fake_state(void *userdata, int node, const char *zone, int order, uint64_t *since) {
        (*(unsigned *) userdata)++;
        *since = 100 * USEC_PER_SEC;
        return node == 0 && order == 9 && strcmp(zone, "Normal") == 0 ? DF_METRICS_STATE_SHORT : DF_METRICS_STATE_OK;
}

/* The adapter: watched zones x enabled targets, states through the
 * callback, "since" in Unix time, the trend fitted per cell. */
static void test_fill_cells(void) {
        struct df_config *c = malloc(sizeof(*c));
        struct df_snapshot s;
        struct df_trend_table t;
        struct df_metrics_cell cells[64];
        struct df_error err = { "" };
        bool orders[DF_MAX_ORDERS] = { [9] = true };
        unsigned calls = 0;
        size_t n;

        ASSERT_TRUE(c != NULL);
        df_config_defaults(c);
        df_snapshot_init(&s);
        df_trend_table_init(&t);
        ASSERT_OK(df_snapshot_read_procfs(test_fixture_path("live-6.18-fragmented"), 0, &s, &err), &err);
        /* ten minutes of the same snapshot, one sample a minute: flat */
        for (int i = 0; i <= 10; i++) {
                s.taken_usec = (uint64_t) i * 60 * USEC_PER_SEC;
                ASSERT_EQ_INT(df_trend_table_observe(&t, &s, orders, c->trend.window_usec), 0);
        }
        ASSERT_TRUE(df_metrics_cells_max(&s) <= ELEMENTSOF(cells));
        n = df_metrics_fill_cells(cells, ELEMENTSOF(cells), c, &s, &t, 600 * USEC_PER_SEC,
                                  UINT64_C(1764650000) * USEC_PER_SEC, fake_state, &calls);
        /* DMA32 and Normal of node 0 are watched by default; DMA is not */
        ASSERT_EQ_U64(n, 2);
        ASSERT_EQ_INT(calls, 2);
        ASSERT_STREQ(cells[0].zone, "DMA32");
        ASSERT_STREQ(cells[1].zone, "Normal");
        ASSERT_EQ_INT(cells[1].order, 9);
        ASSERT_EQ_U64(cells[1].low_blocks, 64);
        ASSERT_EQ_U64(cells[1].high_blocks, 256);
        ASSERT_EQ_INT(cells[1].state, DF_METRICS_STATE_SHORT);
        ASSERT_EQ_INT(cells[0].state, DF_METRICS_STATE_OK);
        /* since: 100 s monotonic, now 600 s monotonic = 1764650000 s realtime */
        ASSERT_EQ_U64(cells[1].state_since_realtime_usec, (UINT64_C(1764650000) - 500) * USEC_PER_SEC);
        ASSERT_TRUE(cells[1].has_trend);
        ASSERT_TRUE(fabs(cells[1].trend_slope_blocks_per_sec) < 1e-9);
        ASSERT_TRUE(isinf(cells[1].trend_seconds_to_low) || cells[1].trend_seconds_to_low == 0);
        /* no room: nothing written past max */
        ASSERT_EQ_U64(df_metrics_fill_cells(cells, 1, c, &s, NULL, 0, 0, NULL, NULL), 1);
        ASSERT_TRUE(!cells[0].has_trend);
        ASSERT_EQ_INT(cells[0].state, DF_METRICS_STATE_UNKNOWN);
        df_trend_table_free(&t);
        df_snapshot_clear(&s);
        free(c);
}

/* The manager's calls in order: observe, input, publish, reconfigure to
 * another directory (old file removed), stop (file removed). */
static void test_sink(void) {
        struct df_config *c = malloc(sizeof(*c));
        struct df_metrics_sink sink;
        struct df_metrics_health h = { .start_realtime_usec = 1 * USEC_PER_SEC, .evaluations = 1,
                                       .last_evaluation_realtime_usec = 2 * USEC_PER_SEC };
        struct df_metrics_input in;
        struct df_metrics_cell *cells = NULL;
        struct df_trend_fit fit;
        struct df_snapshot s;
        struct df_error err = { "" };
        char d1[] = "/tmp/defragd-sink1-XXXXXX", d2[] = "/tmp/defragd-sink2-XXXXXX", p1[128], p2[128];
        unsigned calls = 0;

        ASSERT_TRUE(c != NULL);
        ASSERT_TRUE(mkdtemp(d1) && mkdtemp(d2));
        snprintf(p1, sizeof(p1), "%s/defragd.prom", d1);
        snprintf(p2, sizeof(p2), "%s/defragd.prom", d2);
        df_config_defaults(c);
        df_snapshot_init(&s);
        df_metrics_sink_init(&sink);
        ASSERT_OK(df_snapshot_read_procfs(test_fixture_path("live-6.18-idle"), 0, &s, &err), &err);
        for (int i = 0; i < 6; i++) {
                s.taken_usec = (uint64_t) i * 60 * USEC_PER_SEC;
                ASSERT_EQ_INT(df_metrics_sink_observe(&sink, c, &s), 0);
        }
        df_metrics_sink_trend_fit(&sink, c, 0, "Normal", 9, 300 * USEC_PER_SEC, &fit);
        ASSERT_TRUE(fit.valid);
        df_metrics_sink_trend_fit(&sink, c, 0, "Normal", 5, 300 * USEC_PER_SEC, &fit); /* no target */
        ASSERT_TRUE(!fit.valid);

        /* off: nothing written */
        ASSERT_EQ_INT(df_metrics_sink_input(&sink, c, &s, NULL, &h, fake_state, &calls, 300 * USEC_PER_SEC,
                                            1000 * USEC_PER_SEC, &in, &cells), 0);
        ASSERT_EQ_INT(df_metrics_sink_publish(&sink, c, &in), 0);
        ASSERT_TRUE(access(p1, F_OK) < 0);
        free(cells);
        /* on */
        snprintf(c->metrics.textfile_dir, sizeof(c->metrics.textfile_dir), "%s", d1);
        df_metrics_sink_reconfigure(&sink, c);
        ASSERT_EQ_INT(df_metrics_sink_input(&sink, c, &s, NULL, &h, fake_state, &calls, 300 * USEC_PER_SEC,
                                            1000 * USEC_PER_SEC, &in, &cells), 0);
        ASSERT_EQ_U64(in.config_generation, 2);
        ASSERT_EQ_U64(in.n_cells, 2);
        ASSERT_EQ_INT(df_metrics_sink_publish(&sink, c, &in), 0);
        free(cells);
        ASSERT_EQ_INT(access(p1, R_OK), 0);
        /* moved: the old file goes, the new one comes */
        snprintf(c->metrics.textfile_dir, sizeof(c->metrics.textfile_dir), "%s", d2);
        df_metrics_sink_reconfigure(&sink, c);
        ASSERT_TRUE(access(p1, F_OK) < 0);
        ASSERT_EQ_INT(df_metrics_sink_input(&sink, c, &s, NULL, &h, NULL, NULL, 300 * USEC_PER_SEC,
                                            1000 * USEC_PER_SEC, &in, &cells), 0);
        ASSERT_EQ_INT(df_metrics_sink_publish(&sink, c, &in), 0);
        ASSERT_EQ_INT(access(p2, R_OK), 0);
        /* a directory that went away: an error, logged once, not fatal */
        snprintf(c->metrics.textfile_dir, sizeof(c->metrics.textfile_dir), "%s/gone", d2);
        ASSERT_EQ_INT(df_metrics_sink_publish(&sink, c, &in), -ENOENT);
        ASSERT_EQ_INT(sink.last_write_error, -ENOENT);
        free(cells);
        /* clean stop */
        df_metrics_sink_done(&sink);
        ASSERT_TRUE(access(p2, F_OK) < 0);
        ASSERT_EQ_INT(rmdir(d1), 0);
        ASSERT_EQ_INT(rmdir(d2), 0);
        df_snapshot_clear(&s);
        free(c);
}

static int print_exposition(const char *root, bool om) {
        struct state *st = calloc(1, sizeof(*st));
        int r;

        if (!st || state_load(st, root) < 0)
                return 1;
        r = df_metrics_render_format(stdout, &st->in, om ? DF_METRICS_OPENMETRICS : DF_METRICS_PROMETHEUS);
        df_snapshot_clear(&st->snap);
        free(st);
        return r < 0;
}

int main(int argc, char **argv) {
        if (argc >= 3 && strcmp(argv[1], "--print") == 0)
                return print_exposition(argv[2], argc >= 4 && strcmp(argv[3], "--openmetrics") == 0);
        RUN_TEST(test_prometheus_every_root);
        RUN_TEST(test_openmetrics_every_root);
        RUN_TEST(test_values_match_debugfs);
        RUN_TEST(test_no_snapshot);
        RUN_TEST(test_checker_catches);
        RUN_TEST(test_escape);
        RUN_TEST(test_account);
        RUN_TEST(test_textfile);
        RUN_TEST(test_fill_cells);
        RUN_TEST(test_sink);
        return test_summary();
}
