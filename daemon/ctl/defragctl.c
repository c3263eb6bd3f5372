/* SPDX-License-Identifier: GPL-2.0-or-later */
/* defragctl: the command-line client. A table of subcommands; `report` reads
 * procfs itself, `status` asks the running daemon. */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "ctl-top.h"
#include "defragd/ctl.h"
#include "defragd/util.h"

struct command {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *summary;
};

static const struct command commands[] = {
        { "top",    df_ctl_top,    "[--interval SEC] [--json] live allocator view from the BPF probes (root)" },
        { "plan",   df_ctl_plan,   "[--json [--costs]] [--root DIR] [--order N] [--blocks N]  cheapest blocks to clear, from kpageflags" },
        { "report", df_ctl_report, "[--json] [--root DIR]  fragmentation of this machine, from procfs (no daemon)" },
        { "status", df_ctl_status, "[--json]               state, targets and last actions of the running defragd" },
        { "metrics", df_ctl_metrics, "[--openmetrics] [--http] the running defragd's metrics (Prometheus/OpenMetrics text)" },
};

static void help(FILE *f) {
        fputs("Usage: defragctl [--help] [--version] COMMAND [ARGS...]\n\nCommands:\n", f);
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
        fputs("\n`defragctl COMMAND --help` describes a command.\n", f);
}

int main(int argc, char **argv) {
        if (argc < 2) {
                help(stderr);
                return 2;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
                help(stdout);
                return 0;
        }
        if (strcmp(argv[1], "--version") == 0) {
                printf("defragctl %s\n", DEFRAGD_VERSION);
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (strcmp(argv[1], commands[i].name) == 0)
                        return commands[i].run(argc - 1, argv + 1);

        fprintf(stderr, "defragctl: unknown command \"%s\"; expected one of:", argv[1]);
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(stderr, " %s", commands[i].name);
        fputs(" (see defragctl --help)\n", stderr);
        return 2;
}
