/* SPDX-License-Identifier: GPL-2.0-or-later */
/* defragd: command line, then hand over to the manager. Also the one-shot
 * modes the unit and admins use: --check-config, --restore-knobs. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "defragd/conf.h"
#include "defragd/knobs.h"
#include "defragd/manager.h"
#include "defragd/report.h"
#include "defragd/util.h"

static void help(void) {
        printf("Usage: defragd [OPTIONS]\n"
               "Keep physical memory defragmented: watch the buddy allocator, compact when an order runs short.\n\n"
               "  -c, --config FILE        Read only FILE (no /etc/defragd.conf, no drop-ins)\n"
               "      --check-config       Validate the configuration, print the effective one, exit\n"
               "  -n, --dry-run            Decide and report, but change nothing\n"
               "      --restore-knobs      Put back knobs an earlier instance left changed, exit\n"
               "      --runtime-dir DIR    Control socket and knob state (default %s)\n"
               "      --log-level LEVEL    err, warning, notice, info (default), debug\n"
               "      --log-target TARGET  auto (default), journal, console\n"
               "      --root DIR           Prefix for /proc, /sys and config paths (testing)\n"
               "  -h, --help               Show this help\n"
               "      --version            Show the version\n",
               DEFRAGD_RUNTIME_DIR);
}

enum { ARG_CHECK = 0x100, ARG_RESTORE, ARG_RUNTIME, ARG_LEVEL, ARG_TARGET, ARG_ROOT, ARG_VERSION };

static int check_config(const char *root, const char *config_path) {
        struct df_error err = { "" };
        struct df_config c;
        char **files = NULL;
        size_t n = 0;
        int r;

        df_config_defaults(&c);
        r = df_config_load(&c, root, config_path, &err);
        if (r < 0) {
                fprintf(stderr, "defragd: %s\n", err.msg);
                return EXIT_FAILURE;
        }
        if (config_path)
                printf("# read: %s\n", config_path);
        else if (df_config_collect_files(root, &files, &n, &err) >= 0) {
                for (size_t i = 0; i < n; i++) {
                        printf("# read: %s\n", files[i]);
                        free(files[i]);
                }
                if (n == 0)
                        printf("# read: no files, built-in defaults\n");
                free(files);
        }
        df_config_dump(&c, stdout);
        return EXIT_SUCCESS;
}

static int restore_knobs(const char *root, const char *runtime_dir) {
        struct df_error err = { "" };
        struct df_knobs *k = NULL;
        char path[PATH_MAX];
        int r;

        snprintf(path, sizeof(path), "%s/knobs.state", runtime_dir);
        if (df_knobs_new(path, root, &k) < 0)
                return EXIT_FAILURE;
        r = df_knobs_recover(k, &err);
        df_knobs_free(k);
        if (r < 0) {
                df_log(LOG_ERR, "%s", err.msg);
                return EXIT_FAILURE;
        }
        df_log(LOG_INFO, "%d knob(s) restored from %s", r, path);
        return EXIT_SUCCESS;
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "check-config", no_argument, NULL, ARG_CHECK },
                { "dry-run", no_argument, NULL, 'n' },
                { "restore-knobs", no_argument, NULL, ARG_RESTORE },
                { "runtime-dir", required_argument, NULL, ARG_RUNTIME },
                { "log-level", required_argument, NULL, ARG_LEVEL },
                { "log-target", required_argument, NULL, ARG_TARGET },
                { "root", required_argument, NULL, ARG_ROOT },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { NULL, 0, NULL, 0 }
        };
        struct manager_options o = { .runtime_dir = DEFRAGD_RUNTIME_DIR, .root = "" };
        enum df_log_target target = DF_LOG_AUTO;
        bool check = false, restore = false;
        struct df_error err = { "" };
        struct df_config cfg;
        struct manager *m = NULL;
        int c, r, level;

        /* A fixed mmap threshold: the planner's scratch (1.3 MiB for a 24 GiB
         * zone, per choice or status request) is mmapped and given back when
         * freed. glibc's default raises the threshold after the first such
         * free, after which the buffer stays on the heap: measured +1,144 KiB
         * RSS for good after the first `defragctl status` of a soak. */
        (void) mallopt(M_MMAP_THRESHOLD, 128 * 1024);

        while ((c = getopt_long(argc, argv, "c:nh", options, NULL)) >= 0) {
                switch (c) {
                case 'c': o.config_path = optarg; break;
                case 'n': o.force_dry_run = true; break;
                case ARG_CHECK: check = true; break;
                case ARG_RESTORE: restore = true; break;
                case ARG_RUNTIME: o.runtime_dir = optarg; break;
                case ARG_ROOT: o.root = optarg; break;
                case ARG_LEVEL:
                        level = df_log_parse_level(optarg);
                        if (level < 0) {
                                fprintf(stderr, "defragd: --log-level=%s: unknown level; accepted: err, warning, "
                                                "notice, info, debug\n", optarg);
                                return 2;
                        }
                        df_log_set_max_level(level);
                        break;
                case ARG_TARGET:
                        if (strcmp(optarg, "auto") == 0)
                                target = DF_LOG_AUTO;
                        else if (strcmp(optarg, "journal") == 0)
                                target = DF_LOG_JOURNAL;
                        else if (strcmp(optarg, "console") == 0)
                                target = DF_LOG_CONSOLE;
                        else {
                                fprintf(stderr, "defragd: --log-target=%s: accepted: auto, journal, console\n", optarg);
                                return 2;
                        }
                        break;
                case 'h': help(); return 0;
                case ARG_VERSION: printf("defragd %s\n", DEFRAGD_VERSION); return 0;
                default: fprintf(stderr, "Try 'defragd --help'.\n"); return 2;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "defragd: unexpected argument \"%s\"; try 'defragd --help'\n", argv[optind]);
                return 2;
        }
        df_log_open(target);

        if (check)
                return check_config(o.root, o.config_path);
        if (restore)
                return restore_knobs(o.root, o.runtime_dir);

        /* A bad config is the admin's to fix, not systemd's to retry: EX_CONFIG
         * (78), which the unit lists in RestartPreventExitStatus=. */
        df_config_defaults(&cfg);
        if (df_config_load(&cfg, o.root, o.config_path, &err) < 0) {
                df_log(LOG_ERR, "%s", err.msg);
                fprintf(stderr, "%s", df_log_to_journal() ? "" : "defragd: not started: bad configuration\n");
                return EX_CONFIG;
        }
        o.config = &cfg;
        r = manager_new(&o, &m, &err);
        if (r < 0) {
                df_log(LOG_ERR, "%s", err.msg);
                fprintf(stderr, "%s", df_log_to_journal() ? "" : "defragd: not started\n");
                return EXIT_FAILURE;
        }
        r = manager_run(m);
        manager_free(m);
        return r;
}
