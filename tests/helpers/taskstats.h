/* SPDX-License-Identifier: GPL-2.0-or-later */
/* taskstats: one task's direct-reclaim and direct-compaction delays from the
 * kernel's delay accounting (genetlink TASKSTATS), for the bench consumer. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct task_delays {
        uint64_t reclaim_count;     /* direct reclaim entries (freepages_count) */
        uint64_t reclaim_delay_ns;  /* time spent in them (freepages_delay_total) */
        uint64_t compact_count;     /* direct compaction entries */
        uint64_t compact_delay_ns;
};

struct taskstats_conn {
        int fd;
        uint16_t family_id;
};

/* Opens the genetlink socket and resolves the TASKSTATS family. Returns 0 or
 * -errno (-ENOENT: no TASKSTATS in this kernel). */
int taskstats_open(struct taskstats_conn *c);
void taskstats_close(struct taskstats_conn *c);
/* Delay counters of thread `tid`. Counters only move while
 * kernel.task_delayacct is 1 (see taskstats_delayacct_enabled). */
int taskstats_get(struct taskstats_conn *c, pid_t tid, struct task_delays *ret);
/* /proc/sys/kernel/task_delayacct: 1 on, 0 off, -errno when unreadable. */
int taskstats_delayacct_enabled(void);
