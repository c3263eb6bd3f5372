/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `defragctl report`: read procfs (or a fixture root) once, render the model
 * as text or JSON. Needs no daemon; pagetypeinfo is skipped when not root. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "defragd/ctl.h"
#include "defragd/render.h"
#include "defragd/procfs.h"
#include "defragd/util.h"

static void report_help(FILE *f) {
        fputs("Usage: defragctl report [--json] [--root DIR] [--color=auto|always|never]\n"
              "One-shot view of buddy-allocator fragmentation per node, zone and order,\n"
              "with the kernel's unusable free space and fragmentation indices.\n"
              "  --json        machine-readable output\n"
              "  --root DIR    read DIR/proc/... instead of /proc (fixtures, captures)\n"
              "  --color WHEN  colour the text (auto: when stdout is a terminal and NO_COLOR is unset)\n", f);
}

/* -1 when the knob cannot be read (fixture without it, or no compaction). */
static int read_proactiveness(const char *root) {
        _cleanup_free_ char *text = NULL;
        char path[4096];
        uint64_t v;
        char *nl;

        if (df_proc_path(root, "sys/vm/compaction_proactiveness", path, sizeof(path)) < 0)
                return -1;
        if (df_read_file(path, &text, NULL, NULL) < 0)
                return -1;
        nl = strchr(text, '\n');
        if (nl)
                *nl = 0;
        if (df_parse_u64(text, &v) < 0 || v > 100)
                return -1;
        return (int) v;
}

int df_ctl_report(int argc, char **argv) {
        static const struct option options[] = {
                { "json",  no_argument,       NULL, 'j' },
                { "root",  required_argument, NULL, 'r' },
                { "color", required_argument, NULL, 'c' },
                { "help",  no_argument,       NULL, 'h' },
                { NULL, 0, NULL, 0 }
        };
        struct df_render_opts o = { .proactiveness = -1 };
        struct df_snapshot s;
        struct df_error err = { "" };
        const char *root = NULL, *color = "auto";
        char source[4200];
        bool json = false;
        int c, r;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+hjr:", options, NULL)) >= 0)
                switch (c) {
                case 'j':
                        json = true;
                        break;
                case 'r':
                        root = optarg;
                        break;
                case 'c':
                        color = optarg;
                        if (strcmp(color, "auto") && strcmp(color, "always") && strcmp(color, "never")) {
                                fprintf(stderr, "defragctl report: --color=%s: expected auto, always or never\n", color);
                                return 2;
                        }
                        break;
                case 'h':
                        report_help(stdout);
                        return 0;
                default:
                        fprintf(stderr, "defragctl report: unknown or incomplete option \"%s\"; expected --json, --root DIR, --color WHEN or --help\n",
                                argv[optind - 1]);
                        return 2;
                }
        if (optind < argc) {
                fprintf(stderr, "defragctl report: unexpected argument \"%s\"; expected only options\n", argv[optind]);
                return 2;
        }

        df_snapshot_init(&s);
        r = df_snapshot_read_procfs(root, df_now_usec(), &s, &err);
        if (r < 0) {
                fprintf(stderr, "defragctl report: %s\n", err.msg[0] ? err.msg : strerror(-r));
                return 1;
        }

        if (strcmp(color, "always") == 0)
                o.color = true;
        else if (strcmp(color, "auto") == 0) {
                const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
                o.color = isatty(STDOUT_FILENO) && !(nc && *nc) && !(term && strcmp(term, "dumb") == 0);
        }
        {
                const char *lang = getenv("LC_ALL");
                if (!lang || !*lang)
                        lang = getenv("LC_CTYPE");
                if (!lang || !*lang)
                        lang = getenv("LANG");
                o.utf8 = lang && (strstr(lang, "UTF-8") || strstr(lang, "utf8") || strstr(lang, "UTF8") || strstr(lang, "utf-8"));
        }
        o.proactiveness = read_proactiveness(root);
        o.page_size = (unsigned) sysconf(_SC_PAGESIZE);
        snprintf(source, sizeof(source), "%s/proc", root && *root && strcmp(root, "/") ? root : "");
        o.source = source;

        r = json ? df_render_json(&s, &o, stdout) : df_render_text(&s, &o, stdout);
        df_snapshot_clear(&s);
        if (r < 0) {
                fprintf(stderr, "defragctl report: writing the report failed: %s\n", strerror(-r));
                return 1;
        }
        return 0;
}
