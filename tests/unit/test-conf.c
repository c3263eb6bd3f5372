/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Config unit tests: the shipped conf/defragd.conf equals the defaults, every
 * refusal has its exact file:line message, drop-ins merge systemd-style. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "conf-parse.h"
#include "defragd/conf.h"
#include "defragd/util.h"
#include "test-policy-util.h"
#include "test-tmp-util.h"

static char tmpdir[256];

#define PATTERNS "absolute cgroup paths or globs ('*' '?' '[..]' within one path component), " \
        "separated by spaces, at most 32, such as /system.slice/batch-*.service"

/* Write text to <tmpdir>/<name> and load it alone; returns the load result. */
static int load_text(const char *name, const char *text, struct df_config *c, struct df_error *err, char *path, size_t size) {
        const char *paths[1] = { path };

        snprintf(path, size, "%s/%s", tmpdir, name);
        write_file(path, text);
        return df_config_load_files(c, paths, 1, err);
}

/* Expect a refusal with exactly "<path><rest>" and the config left as it was. */
static void expect_error(const char *text, const char *rest) {
        struct df_config *c = malloc(sizeof(*c));
        struct df_error err = { "" };
        char path[512], want[2048];
        int r;

        df_config_defaults(c);
        c->poll_interval_usec = 42 * USEC_PER_SEC; /* sentinel: must survive the failed load */
        r = load_text("bad.conf", text, c, &err, path, sizeof(path));
        CHECK(r < 0);
        /* "%s" in rest stands for the file's path too (messages citing another line) */
        snprintf(want, sizeof(want), "%s", path);
        for (const char *p = rest; *p; p++) {
                size_t len = strlen(want);

                if (p[0] == '%' && p[1] == 's') {
                        snprintf(want + len, sizeof(want) - len, "%s", path);
                        p++;
                } else if (len + 1 < sizeof(want)) {
                        want[len] = *p;
                        want[len + 1] = 0;
                }
        }
        CHECK_STR(err.msg, want);
        CHECK_U64(c->poll_interval_usec, 42 * USEC_PER_SEC);
        free(c);
}

static void test_defaults_equal_shipped_file(void) {
        const char *src = getenv("DEFRAGD_SOURCE_ROOT");
        struct df_config *d = malloc(sizeof(*d)), *c = malloc(sizeof(*c));
        struct df_error err = { "" };
        char path[512], *dump = NULL, *shipped = NULL, line[256];
        size_t dump_size = 0;
        const char *paths[1] = { path };
        FILE *f;
        int n_keys = 0;

        snprintf(path, sizeof(path), "%s/conf/defragd.conf", src ? src : DEFRAGD_SOURCE_ROOT);
        df_config_defaults(d);
        CHECK_INT(df_config_validate(d, &err), 0);
        memset(c, 0xaa, sizeof(*c));
        CHECK_INT(df_config_load_files(c, paths, 1, &err), 0);
        CHECK_STR(err.msg, "");
        CHECK(df_config_equal(c, d));

        /* Every key the dump of the defaults prints appears commented out,
         * with the same value, in the shipped file. */
        f = fopen(path, "re");
        CHECK(f);
        if (f) {
                size_t cap = 0;
                ssize_t len = getdelim(&shipped, &cap, 0, f);

                CHECK(len > 0);
                fclose(f);
        }
        f = open_memstream(&dump, &dump_size);
        df_config_dump(d, f);
        fclose(f);
        f = fmemopen(dump, dump_size, "r");
        while (f && shipped && fgets(line, sizeof(line), f)) {
                char want[300];

                if (line[0] == '#' || line[0] == '[' || line[0] == '\n')
                        continue;
                n_keys++;
                snprintf(want, sizeof(want), "\n#%s", line);
                if (!strstr(shipped, want)) {
                        printf("#   shipped conf/defragd.conf lacks: #%s", line);
                        CHECK(false);
                }
        }
        if (f)
                fclose(f);
        CHECK_INT(n_keys, _DF_KEY_MAX + 3); /* every key, and [Order9]'s three */
        free(dump);
        free(shipped);
        free(d);
        free(c);
}

static void test_error_messages(void) {
        /* unknown section, also an empty one */
        expect_error("[Bogus]\n", ":1: [Bogus]: unknown section; accepted: [Daemon], [Compaction], [Ladder], [Probes], [Metrics], [Trend], [Reclaim], [Planner], [ClearOffline], [ClearKmod], [Order1]..[Order15]");
        expect_error("# c\n[Order16]\nLow=1\n", ":2: [Order16]: unknown section (order out of range or malformed); "
                     "accepted: [Daemon], [Compaction], [Ladder], [Probes], [Metrics], [Trend], [Reclaim], [Planner], [ClearOffline], [ClearKmod], [Order1]..[Order15]");
        expect_error("[Order0]\n", ":1: [Order0]: unknown section (order out of range or malformed); "
                     "accepted: [Daemon], [Compaction], [Ladder], [Probes], [Metrics], [Trend], [Reclaim], [Planner], [ClearOffline], [ClearKmod], [Order1]..[Order15]");
        expect_error("[Order09]\n", ":1: [Order09]: unknown section (order out of range or malformed); "
                     "accepted: [Daemon], [Compaction], [Ladder], [Probes], [Metrics], [Trend], [Reclaim], [Planner], [ClearOffline], [ClearKmod], [Order1]..[Order15]");
        expect_error("[daemon]\nDryRun=yes\n", ":1: [daemon]: unknown section; "
                     "accepted: [Daemon], [Compaction], [Ladder], [Probes], [Metrics], [Trend], [Reclaim], [Planner], [ClearOffline], [ClearKmod], [Order1]..[Order15]");
        expect_error("[Daemon\n", ":1: [Daemon: section header without ']'; "
                     "accepted: [Daemon], [Compaction], [Ladder], [Probes], [Metrics], [Trend], [Reclaim], [Planner], [ClearOffline], [ClearKmod], [Order1]..[Order15]");
        expect_error("[Daemon] x\n", ":1: [Daemon] x: text after the section header; accepted: a comment starting with ; or #");
        /* unknown key */
        expect_error("[Daemon]\nFoo=1\n", ":2: Foo=1: unknown key in [Daemon]; accepted: PollIntervalSec, DryRun, Nodes, "
                     "Zones, PressureGuardPercent, PressureGuardExcludesCompaction, MaxActionsPerHour");
        expect_error("[Compaction]\nPollIntervalSec=1s\n", ":2: PollIntervalSec=1s: unknown key in [Compaction]; "
                     "accepted: Enable, CooldownSec, BackoffMaxSec, ProactivenessWhileShort, MaxActionsPerHour, TimeoutSec");
        expect_error("[Order9]\nlow=1\n", ":2: low=1: unknown key in [Order9]; accepted: Enable, Low, High");
        expect_error("DryRun=yes\n", ":1: DryRun=yes: key outside any section; accepted: keys under "
                     "[Daemon], [Compaction], [Ladder], [Probes], [Metrics], [Trend], [Reclaim], [Planner], [ClearOffline], [ClearKmod], [Order1]..[Order15]");
        /* bad numbers and out of range */
        expect_error("[Daemon]\nPressureGuardPercent=abc\n", ":2: PressureGuardPercent=abc: not a non-negative integer; "
                     "accepted: an integer 0..100 (0 = off)");
        expect_error("[Daemon]\nPressureGuardPercent=-1\n", ":2: PressureGuardPercent=-1: not a non-negative integer; "
                     "accepted: an integer 0..100 (0 = off)");
        expect_error("[Daemon]\nPressureGuardPercent=101\n", ":2: PressureGuardPercent=101: out of range; "
                     "accepted: an integer 0..100 (0 = off)");
        expect_error("[Daemon]\nPressureGuardExcludesCompaction=maybe\n", ":2: PressureGuardExcludesCompaction=maybe: "
                     "not a boolean; accepted: yes, no, true, false, on, off, 1, 0");
        expect_error("[Daemon]\nMaxActionsPerHour=99999999999999999999999\n", ":2: MaxActionsPerHour=99999999999999999999999: "
                     "out of range; accepted: an integer 0..1024 (0 = unlimited)");
        expect_error("[Daemon]\nPollIntervalSec=fast\n", ":2: PollIntervalSec=fast: not a duration; "
                     "accepted: a duration from 100ms to 1h, such as 10, 10s, 500ms, 2min, 1h");
        expect_error("[Daemon]\nPollIntervalSec=10ms\n", ":2: PollIntervalSec=10ms: out of range; "
                     "accepted: a duration from 100ms to 1h, such as 10, 10s, 500ms, 2min, 1h");
        expect_error("[Daemon]\nDryRun=maybe\n", ":2: DryRun=maybe: not a boolean; accepted: yes, no, true, false, on, off, 1, 0");
        expect_error("[Daemon]\nDryRun=yes # no\n", ":2: DryRun=yes # no: not a boolean; accepted: yes, no, true, false, on, off, 1, 0");
        expect_error("[Compaction]\nProactivenessWhileShort=200\n", ":2: ProactivenessWhileShort=200: out of range; "
                     "accepted: empty (leave vm.compaction_proactiveness alone) or an integer 0..100");
        expect_error("[Probes]\nTriggerMinOrder=0\n", ":2: TriggerMinOrder=0: out of range; accepted: an integer 1..15");
        /* [Metrics], [Trend] (helper "metrics") */
        expect_error("[Metrics]\nTextfileDirectory=var/lib\n", ":2: TextfileDirectory=var/lib: not an absolute path; "
                     "accepted: empty (off) or an absolute directory path of at most 255 bytes, such as "
                     "/var/lib/prometheus/node-exporter");
        expect_error("[Trend]\nWindowSec=5s\n", ":2: WindowSec=5s: out of range; "
                     "accepted: a duration from 1min to 24h, such as 10, 10s, 500ms, 2min, 1h");
        expect_error("[Trend]\nActBeforeSec=soon\n", ":2: ActBeforeSec=soon: not a duration; "
                     "accepted: 0 (off) or a duration up to 24h, such as 10, 10s, 500ms, 2min, 1h");
        expect_error("[Metrics]\nDirectory=/x\n", ":2: Directory=/x: unknown key in [Metrics]; accepted: TextfileDirectory");
        expect_error("[Order9]\nLow=0\n", ":2: Low=0: out of range; accepted: an integer 1..1099511627776 (blocks), at most High");
        /* Low > High: in one file the later line is named, the other one cited */
        expect_error("[Order9]\nLow=300\nHigh=100\n", ":3: High=100: below Low=300 of [Order9] (set at %s:2); accepted: High >= Low");
        /* against a default */
        expect_error("[Order9]\nLow=300\n", ":2: Low=300: above High=256 of [Order9] (set at (built-in default)); accepted: Low <= High");
        expect_error("[Order5]\n\nLow=10\n", ":3: [Order5] Low=10: High= is not set; accepted: an enabled target with both Low= and High=");
        expect_error("[Order5]\nHigh=10\n", ":2: [Order5] High=10: Low= is not set; accepted: an enabled target with both Low= and High=");
        expect_error("[Compaction]\nCooldownSec=2h\n", ":2: CooldownSec=2h: above BackoffMaxSec=1h (set at (built-in default)); "
                     "accepted: CooldownSec <= BackoffMaxSec");
        expect_error("[Compaction]\nCooldownSec=1min\nBackoffMaxSec=30s\n", ":3: BackoffMaxSec=30s: below CooldownSec=60s "
                     "(set at %s:2); accepted: BackoffMaxSec >= CooldownSec");
        /* the same key twice in one file, also across two [Daemon] sections */
        expect_error("[Daemon]\nDryRun=yes\nDryRun=no\n", ":3: DryRun=no: [Daemon] DryRun= already set on line 2 of this file; "
                     "accepted: each key once per section and file (a later file may override it)");
        expect_error("[Daemon]\nDryRun=yes\n[Compaction]\nEnable=no\n[Daemon]\n  DryRun=no\n",
                     ":6: DryRun=no: [Daemon] DryRun= already set on line 2 of this file; "
                     "accepted: each key once per section and file (a later file may override it)");
        expect_error("[Order9]\nLow=1\n[Order9]\nLow=2\n", ":4: Low=2: [Order9] Low= already set on line 2 of this file; "
                     "accepted: each key once per section and file (a later file may override it)");
        /* Nodes and Zones syntax */
        expect_error("[Daemon]\nNodes=0,x\n", ":2: Nodes=0,x: 'x' is not a node number 0..1023 or a range of them; "
                     "accepted: all, or node numbers 0..1023 separated by spaces or commas, with ranges such as 0,2-3");
        expect_error("[Daemon]\nNodes=3-1\n", ":2: Nodes=3-1: range '3-1' runs backwards; "
                     "accepted: all, or node numbers 0..1023 separated by spaces or commas, with ranges such as 0,2-3");
        expect_error("[Daemon]\nNodes=1024\n", ":2: Nodes=1024: '1024' is not a node number 0..1023 or a range of them; "
                     "accepted: all, or node numbers 0..1023 separated by spaces or commas, with ranges such as 0,2-3");
        expect_error("[Daemon]\nNodes=\n", ":2: Nodes=: no node given; "
                     "accepted: all, or node numbers 0..1023 separated by spaces or commas, with ranges such as 0,2-3");
        expect_error("[Daemon]\nZones=Normal Foo\n", ":2: Zones=Normal Foo: unknown zone 'Foo'; accepted: zone names as in "
                     "/proc/buddyinfo (DMA DMA32 Normal HighMem Movable Device), separated by spaces or commas, at most 8");
        expect_error("[Daemon]\nZones=Normal,Normal\n", ":2: Zones=Normal,Normal: zone 'Normal' listed twice; accepted: zone names as in "
                     "/proc/buddyinfo (DMA DMA32 Normal HighMem Movable Device), separated by spaces or commas, at most 8");
        expect_error("[Daemon]\nZones=\n", ":2: Zones=: no zone given; accepted: zone names as in "
                     "/proc/buddyinfo (DMA DMA32 Normal HighMem Movable Device), separated by spaces or commas, at most 8");
        /* lines that are not INI */
        expect_error("[Daemon]\njunk\n", ":2: junk: neither a [Section], a Key=value nor a comment; accepted: those three kinds of line");
        /* the first error wins */
        expect_error("[Daemon]\nFoo=1\njunk\n", ":2: Foo=1: unknown key in [Daemon]; accepted: PollIntervalSec, DryRun, Nodes, "
                     "Zones, PressureGuardPercent, PressureGuardExcludesCompaction, MaxActionsPerHour");
        expect_error("[Daemon]\njunk\nFoo=1\n", ":2: junk: neither a [Section], a Key=value nor a comment; accepted: those three kinds of line");
}

/* The messages with a second file:line: patch the path in (expect_error cannot). */
static void test_error_messages_cross_reference(void) {
        struct df_config *c = malloc(sizeof(*c));
        struct df_error err = { "" };
        char path[512], want[2048];

        df_config_defaults(c);
        CHECK(load_text("x.conf", "[Order9]\nLow=300\nHigh=100\n", c, &err, path, sizeof(path)) < 0);
        snprintf(want, sizeof(want), "%s:3: High=100: below Low=300 of [Order9] (set at %s:2); accepted: High >= Low", path, path);
        CHECK_STR(err.msg, want);
        free(c);
}

static void test_long_line_and_nul(void) {
        char text[400], want[200];

        snprintf(text, sizeof(text), "[Daemon]\nNodes=%0250d\n", 0);
        snprintf(want, sizeof(want), ":2: line of %d characters; accepted: at most 197", 256);
        expect_error(text, want);
        {
                static const char nul[] = "[Daemon]\nDryRun=y\0es\n";
                struct df_config *c = malloc(sizeof(*c));
                struct df_error err = { "" };
                char path[512], msg[600];
                const char *paths[1] = { path };
                FILE *f;

                snprintf(path, sizeof(path), "%s/nul.conf", tmpdir);
                f = fopen(path, "we");
                CHECK(f && fwrite(nul, 1, sizeof(nul) - 1, f) == sizeof(nul) - 1);
                if (f)
                        fclose(f);
                CHECK(df_config_load_files(c, paths, 1, &err) < 0);
                snprintf(msg, sizeof(msg), "%s:2: line contains a NUL byte; accepted: text", path);
                CHECK_STR(err.msg, msg);
                free(c);
        }
}

static void test_unreadable(void) {
        struct df_config *c = malloc(sizeof(*c));
        struct df_error err = { "" };
        char path[512], want[600];
        const char *paths[1] = { path };

        df_config_defaults(c);
        snprintf(path, sizeof(path), "%s/does-not-exist.conf", tmpdir);
        CHECK_INT(df_config_load_files(c, paths, 1, &err), -ENOENT);
        snprintf(want, sizeof(want), "%s: No such file or directory", path);
        CHECK_STR(err.msg, want);

        snprintf(path, sizeof(path), "%s", tmpdir);
        CHECK_INT(df_config_load_files(c, paths, 1, &err), -EISDIR);
        snprintf(want, sizeof(want), "%s: Is a directory", path);
        CHECK_STR(err.msg, want);

        /* --config with a missing file */
        snprintf(path, sizeof(path), "%s/missing.conf", tmpdir);
        CHECK_INT(df_config_load(c, tmpdir, path, &err), -ENOENT);
        free(c);
}

/* What inih would do differently: indented keys, inline ';' comments,
 * name:value, a UTF-8 BOM, CRLF endings, blank and comment lines. */
static void test_syntax_accepted(void) {
        struct df_config *c = malloc(sizeof(*c));
        struct df_error err = { "" };
        char path[512];

        df_config_defaults(c);
        CHECK_INT(load_text("ok.conf",
                            "\xef\xbb\xbf# comment\r\n"
                            "; another\n"
                            "\n"
                            "[Daemon] ; trailing comment\n"
                            "DryRun = yes ; inline comment\n"
                            "    PollIntervalSec=5s\n"   /* indented: a key, not a continuation */
                            "\tMaxActionsPerHour:7\r\n"
                            "Nodes=0, 2-3  5\n"
                            "Zones=Normal,DMA32\n"
                            "[Compaction]\n"
                            "ProactivenessWhileShort=\n"
                            "[Order4]\n"
                            "Low=8\n"
                            "High=16\n",
                            c, &err, path, sizeof(path)), 0);
        CHECK_STR(err.msg, "");
        CHECK(c->dry_run);
        CHECK_U64(c->poll_interval_usec, 5 * USEC_PER_SEC);
        CHECK_INT(c->max_actions_per_hour, 7);
        CHECK(!c->all_nodes);
        CHECK(df_config_node_watched(c, 0) && !df_config_node_watched(c, 1) && df_config_node_watched(c, 2) &&
              df_config_node_watched(c, 3) && !df_config_node_watched(c, 4) && df_config_node_watched(c, 5));
        CHECK(!df_config_node_watched(c, -1) && !df_config_node_watched(c, 4096));
        CHECK_INT(c->n_zones, 2);
        CHECK(df_config_zone_watched(c, "DMA32") && df_config_zone_watched(c, "Normal") && !df_config_zone_watched(c, "Movable"));
        CHECK_INT(c->proactiveness_while_short, -1);
        CHECK(c->targets[4].enabled && c->targets[4].low_blocks == 8 && c->targets[4].high_blocks == 16);
        CHECK(c->targets[9].enabled);
        CHECK_INT(c->origin.key[DF_KEY_POLL_INTERVAL].line, 6);
        CHECK_INT(c->origin.key[DF_KEY_DRY_RUN].line, 5);
        CHECK_INT(c->origin.key[DF_KEY_COOLDOWN].file, DF_ORIGIN_DEFAULT);
        free(c);
}

struct tree {
        char root[300];
};

static void tree_file(const struct tree *t, const char *dir, const char *name, const char *text) {
        char d[512], p[700];

        snprintf(d, sizeof(d), "%s%s", t->root, dir);
        mkdir_p(d);
        snprintf(p, sizeof(p), "%s/%s", d, name);
        write_file(p, text);
}

static void tree_link(const struct tree *t, const char *dir, const char *name, const char *target) {
        char d[512], p[700];

        snprintf(d, sizeof(d), "%s%s", t->root, dir);
        mkdir_p(d);
        snprintf(p, sizeof(p), "%s/%s", d, name);
        CHECK_INT(symlink(target, p), 0);
}

#define ETC_D DEFRAGD_SYSCONFDIR "/defragd.conf.d"
#define RUN_D "/run/defragd.conf.d"
#define LIB_D DEFRAGD_LIBDIR_NOARCH "/defragd.conf.d"

static void test_dropins(void) {
        struct df_config *c = malloc(sizeof(*c));
        struct df_error err = { "" };
        struct tree t;
        char **paths = NULL, want[2048], dir[512];
        size_t n = 0;

        snprintf(t.root, sizeof(t.root), "%s/root", tmpdir);
        tree_file(&t, DEFRAGD_SYSCONFDIR, "defragd.conf", "[Daemon]\nPollIntervalSec=20s\nDryRun=yes\n");
        tree_file(&t, LIB_D, "10-a.conf", "[Daemon]\nPollIntervalSec=30s\nMaxActionsPerHour=5\n");
        tree_file(&t, ETC_D, "10-a.conf", "[Daemon]\nPressureGuardPercent=5\n");   /* replaces the /usr/lib one */
        tree_file(&t, RUN_D, "20-b.conf", "[Daemon]\nMaxActionsPerHour=7\n[Order9]\nEnable=no\n");
        tree_file(&t, RUN_D, "05-z.conf", "[Compaction]\nCooldownSec=2min\n");
        tree_file(&t, LIB_D, "30-c.conf", "garbage\n");                           /* masked below */
        tree_link(&t, ETC_D, "30-c.conf", "/dev/null");
        tree_file(&t, LIB_D, "40-d.conf", "[Order9]\nLow=10\n");                  /* Enable=no of 20-b stays */
        tree_file(&t, LIB_D, "50-e.conf", "garbage\n");                           /* replaced by an empty /run one */
        tree_file(&t, RUN_D, "50-e.conf", "");
        tree_file(&t, ETC_D, ".hidden.conf", "garbage\n");
        tree_file(&t, ETC_D, "notes.txt", "garbage\n");
        snprintf(dir, sizeof(dir), "%s" ETC_D "/dir.conf", t.root);
        mkdir_p(dir);

        CHECK_INT(df_config_collect_files(t.root, &paths, &n, &err), 0);
        CHECK_INT(n, 5);
        if (n == 5) {
                snprintf(want, sizeof(want), "%s" DEFRAGD_SYSCONFDIR "/defragd.conf", t.root);
                CHECK_STR(paths[0], want);
                snprintf(want, sizeof(want), "%s" RUN_D "/05-z.conf", t.root);
                CHECK_STR(paths[1], want);
                snprintf(want, sizeof(want), "%s" ETC_D "/10-a.conf", t.root);
                CHECK_STR(paths[2], want);
                snprintf(want, sizeof(want), "%s" RUN_D "/20-b.conf", t.root);
                CHECK_STR(paths[3], want);
                snprintf(want, sizeof(want), "%s" LIB_D "/40-d.conf", t.root);
                CHECK_STR(paths[4], want);
        }
        for (size_t i = 0; i < n; i++)
                free(paths[i]);
        free(paths);

        df_config_defaults(c);
        CHECK_INT(df_config_load(c, t.root, NULL, &err), 0);
        CHECK_STR(err.msg, "");
        CHECK_U64(c->poll_interval_usec, 20 * USEC_PER_SEC);
        CHECK(c->dry_run);
        CHECK_INT(c->max_actions_per_hour, 7);
        CHECK_INT(c->pressure_guard_percent, 5);
        CHECK_U64(c->cooldown_usec, 120 * USEC_PER_SEC);
        CHECK(!c->targets[9].enabled);
        CHECK_U64(c->targets[9].low_blocks, 10);
        CHECK_INT(c->origin.n_files, 5);

        /* a later file overrides a key set by an earlier one: not a duplicate */
        tree_file(&t, ETC_D, "90-late.conf", "[Daemon]\nPollIntervalSec=1min\n[Order9]\nEnable=yes\n");
        CHECK_INT(df_config_load(c, t.root, NULL, &err), 0);
        CHECK_U64(c->poll_interval_usec, 60 * USEC_PER_SEC);
        CHECK(c->targets[9].enabled && c->targets[9].low_blocks == 10 && c->targets[9].high_blocks == 256);

        /* an error in a drop-in names the drop-in, and the config stays as it was */
        tree_file(&t, RUN_D, "60-bad.conf", "[Daemon]\n\nDryRun=perhaps\n");
        CHECK(df_config_load(c, t.root, NULL, &err) < 0);
        snprintf(want, sizeof(want), "%s" RUN_D "/60-bad.conf:3: DryRun=perhaps: not a boolean; "
                 "accepted: yes, no, true, false, on, off, 1, 0", t.root);
        CHECK_STR(err.msg, want);
        CHECK_U64(c->poll_interval_usec, 60 * USEC_PER_SEC);

        /* masking it with a /dev/null symlink in /etc fixes that */
        tree_link(&t, ETC_D, "60-bad.conf", "/dev/null");
        CHECK_INT(df_config_load(c, t.root, NULL, &err), 0);

        /* a cross-file check names the file:line of the offending value */
        tree_file(&t, ETC_D, "95-low.conf", "# raise it\n[Order9]\nLow=500\n");
        CHECK(df_config_load(c, t.root, NULL, &err) < 0);
        snprintf(want, sizeof(want), "%s" ETC_D "/95-low.conf:3: Low=500: above High=256 of [Order9] (set at (built-in default)); "
                 "accepted: Low <= High", t.root);
        CHECK_STR(err.msg, want);
        tree_file(&t, ETC_D, "96-high.conf", "[Order9]\nHigh=1000\n");
        CHECK_INT(df_config_load(c, t.root, NULL, &err), 0);
        CHECK_U64(c->targets[9].high_blocks, 1000);

        /* High set first (in 96), then Low above it in a later file: names the later one, cites 96 */
        tree_file(&t, ETC_D, "97-low.conf", "[Order9]\nLow=2000\n");
        CHECK(df_config_load(c, t.root, NULL, &err) < 0);
        snprintf(want, sizeof(want), "%s" ETC_D "/97-low.conf:2: Low=2000: above High=1000 of [Order9] (set at %s" ETC_D
                 "/96-high.conf:2); accepted: Low <= High", t.root, t.root);
        CHECK_STR(err.msg, want);
        free(c);
}

/* --config FILE: defaults plus that file only, no drop-ins. */
static void test_explicit_path(void) {
        struct df_config *c = malloc(sizeof(*c));
        struct df_error err = { "" };
        struct tree t;
        char path[512];

        snprintf(t.root, sizeof(t.root), "%s/root2", tmpdir);
        tree_file(&t, ETC_D, "10-a.conf", "[Daemon]\nDryRun=yes\n");
        tree_file(&t, DEFRAGD_SYSCONFDIR, "defragd.conf", "[Daemon]\nMaxActionsPerHour=1\n");
        snprintf(path, sizeof(path), "%s/explicit.conf", tmpdir);
        write_file(path, "[Daemon]\nPollIntervalSec=3s\n");
        df_config_defaults(c);
        CHECK_INT(df_config_load(c, t.root, path, &err), 0);
        CHECK_U64(c->poll_interval_usec, 3 * USEC_PER_SEC);
        CHECK(!c->dry_run);
        CHECK_INT(c->max_actions_per_hour, 60);

        /* without it, the same root gives the drop-ins */
        CHECK_INT(df_config_load(c, t.root, NULL, &err), 0);
        CHECK(c->dry_run);
        CHECK_INT(c->max_actions_per_hour, 1);
        CHECK_U64(c->poll_interval_usec, 10 * USEC_PER_SEC);

        /* an empty root (no files at all) gives the defaults */
        snprintf(t.root, sizeof(t.root), "%s/empty-root", tmpdir);
        mkdir_p(t.root);
        CHECK_INT(df_config_load(c, t.root, NULL, &err), 0);
        {
                struct df_config *d = malloc(sizeof(*d));

                df_config_defaults(d);
                CHECK(df_config_equal(c, d));
                free(d);
        }
        free(c);
}

static char *dump_to_string(const struct df_config *c) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        df_config_dump(c, f);
        fclose(f);
        return buf;
}

static void round_trip(const struct df_config *c) {
        struct df_config *back = malloc(sizeof(*back));
        struct df_error err = { "" };
        char *text = dump_to_string(c), path[512];

        CHECK_INT(load_text("dump.conf", text, back, &err, path, sizeof(path)), 0);
        CHECK_STR(err.msg, "");
        CHECK(df_config_equal(c, back));
        if (!df_config_equal(c, back))
                printf("# dump was:\n%s", text);
        free(text);
        free(back);
}

static void test_dump_round_trip(void) {
        struct df_config *c = malloc(sizeof(*c));
        struct df_error err = { "" };
        char path[512], *text;

        df_config_defaults(c);
        round_trip(c);

        CHECK_INT(load_text("rich.conf",
                            "[Daemon]\nPollIntervalSec=1500ms\nDryRun=yes\nNodes=7 0-3 9,10\nZones=Movable HighMem DMA\n"
                            "PressureGuardPercent=0\nMaxActionsPerHour=0\n"
                            "[Compaction]\nEnable=no\nCooldownSec=90\nBackoffMaxSec=168h\nProactivenessWhileShort=0\n"
                            "[Probes]\nEnable=no\nTriggerMinOrder=15\nTriggerMinIntervalSec=0\nReportStallSec=1ms\n"
                            "[Order9]\nEnable=no\n"
                            "[Order1]\nLow=1\nHigh=1\n"
                            "[Order15]\nLow=1099511627776\nHigh=1099511627776\n"
                            "[Order6]\nEnable=no\nLow=5\n",
                            c, &err, path, sizeof(path)), 0);
        CHECK_STR(err.msg, "");
        round_trip(c);
        text = dump_to_string(c);
        CHECK(strstr(text, "\nNodes=0-3,7,9-10\n") != NULL);
        CHECK(strstr(text, "\nPollIntervalSec=1500ms\n") != NULL);
        CHECK(strstr(text, "\nCooldownSec=90s\n") != NULL);
        CHECK(strstr(text, "\nBackoffMaxSec=168h\n") != NULL);
        CHECK(strstr(text, "\nProactivenessWhileShort=0\n") != NULL);
        CHECK(strstr(text, "\n[Order6]\n") != NULL);
        /* origins as comments */
        {
                char want[600];

                snprintf(want, sizeof(want), "\n# %s:2\nPollIntervalSec=1500ms\n", path);
                CHECK(strstr(text, want) != NULL);
        }
        free(text);

        /* values that only exist in code round-trip too */
        df_config_defaults(c);
        c->poll_interval_usec = 100 * USEC_PER_MSEC + 7;
        c->probes.report_stall_usec = 0;
        c->all_nodes = false;
        memset(c->nodes_mask, 0, sizeof(c->nodes_mask));
        c->nodes_mask[15] = UINT64_C(1) << 63; /* node 1023 */
        round_trip(c);
        free(c);
}

static void test_value_printers(void) {
        char buf[64];
        uint64_t mask[DF_CONF_MAX_NODES / 64] = { 0 };

        df_conf_format_duration(0, buf, sizeof(buf));
        CHECK_STR(buf, "0");
        df_conf_format_duration(3600 * USEC_PER_SEC, buf, sizeof(buf));
        CHECK_STR(buf, "1h");
        df_conf_format_duration(90 * 60 * USEC_PER_SEC, buf, sizeof(buf));
        CHECK_STR(buf, "5400s");
        df_conf_format_duration(61 * USEC_PER_SEC, buf, sizeof(buf));
        CHECK_STR(buf, "61s");
        df_conf_format_duration(1500 * USEC_PER_MSEC, buf, sizeof(buf));
        CHECK_STR(buf, "1500ms");
        df_conf_format_duration(7, buf, sizeof(buf));
        CHECK_STR(buf, "7us");
        df_conf_format_nodes(true, mask, buf, sizeof(buf));
        CHECK_STR(buf, "all");
        mask[0] = 0x2f; /* 0-3,5 */
        mask[1] = 1;    /* 64 */
        df_conf_format_nodes(false, mask, buf, sizeof(buf));
        CHECK_STR(buf, "0-3,5,64");
}

/* Enable= set explicitly by an earlier file wins over a later Low=/High=. */
static void test_enable_semantics(void) {
        struct df_config *c = malloc(sizeof(*c));
        struct df_error err = { "" };
        char p1[512], p2[512];
        const char *paths[2] = { p1, p2 };

        snprintf(p1, sizeof(p1), "%s/e1.conf", tmpdir);
        snprintf(p2, sizeof(p2), "%s/e2.conf", tmpdir);
        write_file(p1, "[Order5]\nEnable=no\n");
        write_file(p2, "[Order5]\nLow=4\nHigh=8\n");
        CHECK_INT(df_config_load_files(c, paths, 2, &err), 0);
        CHECK(!c->targets[5].enabled);
        write_file(p1, "[Order3]\nLow=4\nHigh=8\n");
        write_file(p2, "[Order3]\nHigh=9\n");
        CHECK_INT(df_config_load_files(c, paths, 2, &err), 0);
        CHECK(c->targets[3].enabled && c->targets[3].low_blocks == 4 && c->targets[3].high_blocks == 9);
        free(c);
}

/* Deterministic garbage built from INI punctuation, keys and values: the
 * loader accepts or refuses with "<path>:..." and never crashes or leaks. */
static void test_garbage(void) {
        static const char *const pieces[] = {
                "[", "]", "=", ":", ";", "#", " ", "\t", "\n", "\r", "Daemon", "Order9", "Order", "Low", "High",
                "Nodes", "Zones", "all", "0-", "-", ",", "Normal", "PollIntervalSec", "10ms", "1h", "yes", "\xef\xbb\xbf",
                "99999999999999999999", "Enable", "[Compaction]", "[Probes]", "CooldownSec", "\n  ",
        };
        struct df_config *c = malloc(sizeof(*c));
        uint64_t x = 88172645463325252ULL;
        unsigned refused = 0, accepted = 0;

        for (int i = 0; i < 1000; i++) {
                char text[600] = "", path[512];
                struct df_error err = { "" };
                int n = 1 + (int) (x % 40), r;

                for (int j = 0; j < n; j++) {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        strncat(text, pieces[x % ELEMENTSOF(pieces)], sizeof(text) - strlen(text) - 1);
                }
                r = load_text("garbage.conf", text, c, &err, path, sizeof(path));
                if (r < 0) {
                        refused++;
                        CHECK(strncmp(err.msg, path, strlen(path)) == 0);
                } else
                        accepted++;
        }
        printf("# garbage: %u refused, %u accepted\n", refused, accepted);
        CHECK(refused > 0 && accepted > 0);
        free(c);
}

/* [Reclaim] (issue 9): sizes, pattern lists, the cross-field bound, dump round trip. */
static void test_reclaim_section(void) {
        struct df_config *c = malloc(sizeof(*c));
        struct df_error err = { "" };
        char path[512], *text;

        CHECK_INT(load_text("reclaim.conf",
                            "[Reclaim]\nEnable=yes\nAllow=/system.slice/batch-*.service  /work.slice/job-[0-9]*\n"
                            "Deny=/system.slice/db.service\nMaxReclaimPerAction=1G\nMaxReclaimPerHour=1073741824\n"
                            "AllowAnon=yes\nPressureLimitPercent=0\nCgroupPressureLimitPercent=100\n"
                            "RefaultLimitPercent=0\nNodeReclaim=yes\nNodeReclaimMinUnmappedRatio=\n",
                            c, &err, path, sizeof(path)), 0);
        CHECK_STR(err.msg, "");
        CHECK(c->reclaim.enabled);
        CHECK_INT(c->reclaim.allow.n, 2);
        CHECK_STR(c->reclaim.allow.pattern[0], "/system.slice/batch-*.service");
        CHECK_STR(c->reclaim.allow.pattern[1], "/work.slice/job-[0-9]*");
        CHECK_INT(c->reclaim.deny.n, 1);
        CHECK_U64(c->reclaim.max_per_action_bytes, UINT64_C(1) << 30);
        CHECK_U64(c->reclaim.max_per_hour_bytes, UINT64_C(1) << 30);
        CHECK(c->reclaim.allow_anon && c->reclaim.node_reclaim);
        CHECK_INT(c->reclaim.cgroup_pressure_limit_percent, 100);
        CHECK_INT(c->reclaim.node_min_unmapped_ratio, -1); /* empty: the kernel's value stays */
        round_trip(c);
        text = dump_to_string(c);
        CHECK(strstr(text, "\nAllow=/system.slice/batch-*.service /work.slice/job-[0-9]*\n") != NULL);
        CHECK(strstr(text, "\nMaxReclaimPerHour=1G\n") != NULL);
        free(text);
        /* An empty Allow= in a later file clears the list. */
        CHECK_INT(load_text("clear.conf", "[Reclaim]\nAllow=\n", c, &err, path, sizeof(path)), 0);
        CHECK_INT(c->reclaim.allow.n, 0);
        free(c);

        expect_error("[Reclaim]\nMaxReclaimPerAction=64X\n",
                     ":2: MaxReclaimPerAction=64X: not a size; accepted: a size from 4K to 1T, such as 64M, 1G, 65536, "
                     "at most MaxReclaimPerHour");
        expect_error("[Reclaim]\nMaxReclaimPerAction=2T\n",
                     ":2: MaxReclaimPerAction=2T: out of range; accepted: a size from 4K to 1T, such as 64M, 1G, 65536, "
                     "at most MaxReclaimPerHour");
        expect_error("[Reclaim]\nMaxReclaimPerAction=1K\n",
                     ":2: MaxReclaimPerAction=1K: out of range; accepted: a size from 4K to 1T, such as 64M, 1G, 65536, "
                     "at most MaxReclaimPerHour");
        expect_error("[Reclaim]\nAllow=system.slice\n",
                     ":2: Allow=system.slice: pattern 'system.slice' does not start with '/'; accepted: " PATTERNS);
        expect_error("[Reclaim]\nDeny=/a/../b\n",
                     ":2: Deny=/a/../b: pattern '/a/../b' has a \".\" or \"..\" component; accepted: " PATTERNS);
        expect_error("[Reclaim]\nRefaultLimitPercent=101\n",
                     ":2: RefaultLimitPercent=101: out of range; accepted: an integer 0..100 (0 = never back off)");
        expect_error("[Reclaim]\nSwappiness=0\n",
                     ":2: Swappiness=0: unknown key in [Reclaim]; accepted: Enable, Allow, Deny, MaxReclaimPerAction, "
                     "MaxReclaimPerHour, AllowAnon, PressureLimitPercent, CgroupPressureLimitPercent, RefaultLimitPercent, RefaultDelaySec, "
                     "NodeReclaim, NodeReclaimMinUnmappedRatio");
        expect_error("[Reclaim]\nNodeReclaimMinUnmappedRatio=101\n",
                     ":2: NodeReclaimMinUnmappedRatio=101: out of range; accepted: empty (leave vm.min_unmapped_ratio "
                     "alone) or an integer 0..100");
        expect_error("[Reclaim]\nNodeReclaimMinUnmappedRatio=keep\n",
                     ":2: NodeReclaimMinUnmappedRatio=keep: not a non-negative integer; accepted: empty (leave vm.min_unmapped_ratio "
                     "alone) or an integer 0..100");
        expect_error("[Reclaim]\nMaxReclaimPerHour=32M\nMaxReclaimPerAction=64M\n",
                     ":3: MaxReclaimPerAction=64M: above MaxReclaimPerHour=32M (set at %s:2); accepted: "
                     "MaxReclaimPerAction <= MaxReclaimPerHour");
        expect_error("[Reclaim]\nMaxReclaimPerHour=32M\n",
                     ":2: MaxReclaimPerHour=32M: below MaxReclaimPerAction=64M (set at (built-in default)); accepted: "
                     "MaxReclaimPerHour >= MaxReclaimPerAction");
}

int main(void) {
        tmp_dir_make(tmpdir, sizeof(tmpdir), "test-conf");
        RUN(test_defaults_equal_shipped_file);
        RUN(test_error_messages);
        RUN(test_error_messages_cross_reference);
        RUN(test_long_line_and_nul);
        RUN(test_unreadable);
        RUN(test_syntax_accepted);
        RUN(test_dropins);
        RUN(test_explicit_path);
        RUN(test_dump_round_trip);
        RUN(test_value_printers);
        RUN(test_enable_semantics);
        RUN(test_garbage);
        RUN(test_reclaim_section);
        rm_rf(tmpdir);
        return tp_finish();
}
