/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `defragctl status [--json] [--runtime-dir DIR]`: ask the running daemon
 * over its root-only control socket; the daemon renders, we print. */
#include <getopt.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "defragd/ctl.h"

int df_ctl_status(int argc, char **argv) {
        static const struct option options[] = {
                { "json", no_argument, NULL, 'j' },
                { "runtime-dir", required_argument, NULL, 'r' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 }
        };
        const char *runtime_dir = DEFRAGD_RUNTIME_DIR;
        char path[PATH_MAX];
        bool json = false;
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "jh", options, NULL)) >= 0) {
                switch (c) {
                case 'j': json = true; break;
                case 'r': runtime_dir = optarg; break;
                case 'h':
                        printf("Usage: defragctl status [--json] [--runtime-dir DIR]\n"
                               "Per node, zone and order: free blocks, indices, target, state; last actions; probes.\n"
                               "Needs root and a running defragd.\n");
                        return 0;
                default: return 2;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "defragctl status: unexpected argument \"%s\"\n", argv[optind]);
                return 2;
        }
        df_ctl_socket_path(runtime_dir, path, sizeof(path));
        return df_ctl_ask(path, json ? "status json" : "status");
}
