/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Run one lever once in a forked child, as the daemon's manager does (the
 * fault matrix drives the offlining and reclaim rungs through it):
 *   lever-once --lever offline|reclaim-node|compact [--root R] --runtime-dir D [--node N] [--block ID] [--bytes B] */
#include <assert.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "defragd/lever-offline.h"
#include "defragd/lever.h"
#include "defragd/reclaim.h"

static const struct df_lever_ops *ops_by_name(const char *name, enum df_lever_kind *kind) {
        assert(name && kind);
        if (strcmp(name, "offline") == 0)
                return *kind = DF_LEVER_CLEAR_OFFLINE, &df_lever_offline_ops;
        if (strcmp(name, "reclaim-node") == 0)
                return *kind = DF_LEVER_RECLAIM_NODE, &df_lever_reclaim_node;
        if (strcmp(name, "compact") == 0)
                return *kind = DF_LEVER_COMPACT_NODE, &df_lever_compact;
        return NULL;
}

int main(int argc, char **argv) {
        static const struct option opts[] = {
                { "lever", required_argument, NULL, 'l' },   { "root", required_argument, NULL, 'r' },
                { "runtime-dir", required_argument, NULL, 'd' }, { "node", required_argument, NULL, 'n' },
                { "block", required_argument, NULL, 'b' },   { "bytes", required_argument, NULL, 'B' },
                { 0 },
        };
        struct df_lever_env env = { .root = "" };
        struct df_action a = { .target = { .memory_block = -1 } };
        struct df_action_result r = { 0 };
        const struct df_lever_ops *ops = NULL;
        const char *lever = NULL;
        char reason[512] = "";
        void *state = NULL;
        int c, p[2], status;
        pid_t pid;

        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0)
                switch (c) {
                case 'l': lever = optarg; break;
                case 'r': env.root = optarg; break;
                case 'd': env.runtime_dir = optarg; break;
                case 'n': a.target.node = atoi(optarg); break;
                case 'b': a.target.memory_block = strtoll(optarg, NULL, 10); break;
                case 'B': a.amount = strtoull(optarg, NULL, 10); break;
                default: return 2;
                }
        if (!lever || !env.runtime_dir || !(ops = ops_by_name(lever, &a.lever))) {
                fprintf(stderr, "usage: lever-once --lever offline|reclaim-node|compact [--root R] --runtime-dir D "
                                "[--node N] [--block ID] [--bytes B]\n");
                return 2;
        }
        snprintf(a.target.zone, sizeof(a.target.zone), "Normal");
        if (ops->open(&env, &state, reason, sizeof(reason)) < 0) {
                fprintf(stderr, "lever-once: %s: cannot open: %s\n", lever, reason);
                return 77;
        }
        if (pipe(p) < 0)
                return 1;
        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return 1;
        if (pid == 0) {
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL); /* as the manager's child */
                close(p[0]);
                (void) df_lever_run(ops, &env, state, &a, &r);
                _exit(write(p[1], &r, sizeof(r)) == (ssize_t) sizeof(r) ? 0 : 1);
        }
        close(p[1]);
        if (read(p[0], &r, sizeof(r)) != (ssize_t) sizeof(r))
                snprintf(r.detail, sizeof(r.detail), "no result");
        waitpid(pid, &status, 0);
        printf("%s: %s, error %d, %s\n", lever,
               WIFSIGNALED(status) ? "child killed" : r.outcome == DF_OUTCOME_DONE ? "done" : "not done", r.error,
               r.detail);
        if (ops->close)
                ops->close(state);
        return WIFSIGNALED(status) ? 3 : r.error < 0 ? 1 : 0;
}
