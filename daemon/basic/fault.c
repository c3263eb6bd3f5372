/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fault injection points (see fault.h): compiled only with
 * -Dfault_injection=true; the environment is read once, at program start. */
#include <assert.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "defragd/fault.h"

static char fault_at[64];
static unsigned long fault_nth = 1;
static bool kill_daemon;
static pid_t daemon_pid;
/* Shared with forked lever children, so "the n-th pass" counts theirs too. */
static unsigned long *passes;

__attribute__((constructor)) static void fault_init(void) {
        const char *at = getenv("DEFRAGD_FAULT_AT"), *k = getenv("DEFRAGD_FAULT_KILL");
        char *colon;

        daemon_pid = getpid();
        if (!at || !*at)
                return;
        snprintf(fault_at, sizeof(fault_at), "%s", at);
        colon = strchr(fault_at, ':');
        if (colon) {
                *colon = 0;
                fault_nth = strtoul(colon + 1, NULL, 10);
                if (fault_nth == 0)
                        fault_nth = 1;
        }
        kill_daemon = k && strcmp(k, "daemon") == 0;
        passes = mmap(NULL, sizeof(*passes), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (passes == MAP_FAILED) {
                fprintf(stderr, "fault injection: mmap failed, counting per process\n");
                passes = calloc(1, sizeof(*passes));
        }
}

void df_fault_point(const char *name) {
        char line[160];
        unsigned long n;
        int len;

        assert(name);
        if (!fault_at[0] || !passes || strcmp(name, fault_at) != 0)
                return;
        n = __atomic_add_fetch(passes, 1, __ATOMIC_SEQ_CST);
        if (n != fault_nth)
                return;
        len = snprintf(line, sizeof(line), "fault injection: SIGKILL at %s (pass %lu) in process %d%s\n", name, n,
                       (int) getpid(), kill_daemon && getpid() != daemon_pid ? ", and the daemon first" : "");
        if (len > 0)
                (void) !write(STDERR_FILENO, line, (size_t) len < sizeof(line) ? (size_t) len : sizeof(line) - 1);
        if (kill_daemon && getpid() != daemon_pid)
                (void) kill(daemon_pid, SIGKILL);
        raise(SIGKILL);
}
