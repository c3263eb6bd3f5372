/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fault injection (issue 13): named points in every step of an action where a
 * test can SIGKILL the process. Only in builds with -Dfault_injection=true. */
#pragma once

/* The points, in the order an action passes them:
 *   knob-before-state        df_knobs_set: a new record, before the state file is written
 *   knob-after-state         df_knobs_set: record written, before the kernel write
 *   knob-after-write         df_knobs_set: knob written, before it is reported
 *   knob-restore-after-write df_knobs_restore: original written back, before the record goes
 *   knob-recover-after-write df_knobs_recover: a crashed instance's knob put back, before the file is rewritten
 *   memblock-recover-after-online  df_knobs_recover_memblocks: block onlined, before its record goes
 *   lever-child-before-run   df_lever_run (the lever's child): before the lever touches the kernel
 *   lever-child-after-run    df_lever_run: the lever returned, before the result goes to the daemon
 *   lever-parent-after-exit  the daemon: the lever's child exited, before its result is read
 *   offline-after-record     offline.c: block recorded, before "offline" is written
 *   offline-after-offline    offline.c: block offline, before it is onlined
 *   offline-after-online     offline.c: block online again, before its record goes
 *   reclaim-node-before-write, reclaim-cgroup-before-write: before the reclaim write
 *
 * With DEFRAGD_FAULT_AT=<point>[:<n>] in the environment, the n-th pass
 * (default 1st; counted across the daemon and its lever children) through
 * <point> prints one line on stderr and raises SIGKILL. With
 * DEFRAGD_FAULT_KILL=daemon, a point passed in a lever child SIGKILLs the
 * daemon first (the child then dies of PR_SET_PDEATHSIG or of its own SIGKILL). */
#if DF_FAULT_INJECTION
void df_fault_point(const char *name);
#else
/* Release builds: nothing, not even reading the environment. */
static inline void df_fault_point(const char *name) {
        (void) name;
}
#endif
