/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Clear one memory block by offlining it (the kernel migrates every used page
 * out), then online it again with the zone it had. Recorded in the state file
 * before it goes offline, so nothing is lost if this process dies. */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "defragd/fault.h"
#include "defragd/knobs.h"
#include "defragd/lever-offline.h"
#include "defragd/plan-source.h"
#include "defragd/plan.h"
#include "defragd/report.h"
#include "defragd/procfs.h"
#include "defragd/snapshot.h"
#include "defragd/util.h"

struct offline_state {
        bool allow_hypervisor;
        uint64_t timeout_usec;
};

static volatile sig_atomic_t timer_fired, stop_requested;

static void on_alarm(int sig) {
        (void) sig;
        timer_fired = 1;
}

static void on_stop(int sig) {
        (void) sig;
        stop_requested = 1;
}

/* Truncation of a detail line is fine: it is for people. */
static void set_detail(struct df_action_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_detail(struct df_action_result *r, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
        va_end(ap);
}

static const char *root_of(const struct df_lever_env *env) {
        return env->root && strcmp(env->root, "/") != 0 ? env->root : "";
}

static int offline_open(const struct df_lever_env *env, void **state, char *reason, size_t reason_size) {
        _cleanup_free_ struct df_memblock_info *mb = NULL;
        struct df_error err = { "" };
        struct offline_state *s;
        char path[PATH_MAX];
        uint64_t block_pages;
        bool hotremove;
        size_t n;
        int r;

        assert(env);
        assert(state);
        assert(reason);
        r = df_memblocks_read(root_of(env), &mb, &n, &block_pages, &hotremove, &err);
        if (r < 0) {
                snprintf(reason, reason_size, "no memory block sysfs: %s", err.msg);
                return r;
        }
        if (!hotremove) {
                snprintf(reason, reason_size, "kernel without memory hot-remove (CONFIG_MEMORY_HOTREMOVE): memoryN/removable reads 0");
                return -EOPNOTSUPP;
        }
        if (n == 0) {
                snprintf(reason, reason_size, "no memory blocks in %s/sys/devices/system/memory", root_of(env));
                return -ENOENT;
        }
        snprintf(path, sizeof(path), "%s/sys/devices/system/memory/memory%" PRId64 "/state", root_of(env), mb[n - 1].id);
        if (access(path, W_OK) < 0) {
                snprintf(reason, reason_size, "%s: not writable: %s (needs root)", path, strerror(errno));
                return -errno;
        }
        s = calloc(1, sizeof(*s));
        if (!s) {
                snprintf(reason, reason_size, "out of memory");
                return -ENOMEM;
        }
        s->timeout_usec = DF_OFFLINE_TIMEOUT_USEC;
        *state = s;
        return 0;
}

static void offline_close(void *state) { free(state); }

void df_lever_offline_configure(void *state, bool allow_hypervisor, uint64_t timeout_usec) {
        struct offline_state *s = state;

        assert(s);
        s->allow_hypervisor = allow_hypervisor;
        s->timeout_usec = timeout_usec ? timeout_usec : DF_OFFLINE_TIMEOUT_USEC;
}

static uint64_t read_pgmigrate_success(const char *root) {
        struct df_vmstat vs = { 0 };
        uint64_t v = 0;

        if (df_read_vmstat(root, &vs, NULL) == 0)
                df_vmstat_get(&vs, "pgmigrate_success", &v);
        df_vmstat_clear(&vs);
        return v;
}

/* The live checks: the block as sysfs and zoneinfo show it now. */
static int check_live(const char *root, const struct offline_state *s, const struct df_action *a, char *online_type,
                      size_t type_size, char *why, size_t why_size) {
        _cleanup_free_ struct df_memblock_info *mb = NULL;
        struct df_error err = { "" };
        struct df_snapshot snap;
        const struct df_zone *z;
        uint64_t block_pages;
        bool hotremove, ok;
        size_t n, i;
        int r;

        r = df_memblocks_read(root, &mb, &n, &block_pages, &hotremove, &err);
        if (r < 0) {
                snprintf(why, why_size, "%s", err.msg);
                return r;
        }
        for (i = 0; i < n; i++)
                if (mb[i].id == a->target.memory_block)
                        break;
        if (i == n) {
                snprintf(why, why_size, "memory%" PRId64 ": no such memory block", a->target.memory_block);
                return -ENOENT;
        }
        if (a->target.nr_pages && (mb[i].start_pfn != a->target.start_pfn || mb[i].nr_pages != a->target.nr_pages)) {
                snprintf(why, why_size, "memory%" PRId64 " is pfn %" PRIu64 "+%" PRIu64 ", not the planned %" PRIu64 "+%" PRIu64,
                         mb[i].id, mb[i].start_pfn, mb[i].nr_pages, a->target.start_pfn, a->target.nr_pages);
                return -EINVAL;
        }
        df_snapshot_init(&snap);
        r = df_read_zoneinfo(root, &snap, &err);
        z = r == 0 ? df_snapshot_zone_const(&snap, mb[i].node, mb[i].zone) : NULL;
        ok = z && df_memblock_offline_safe(mb, n, i, z->nr_free_pages, z->wmark_high_pages, s->allow_hypervisor, why, why_size);
        if (!z && mb[i].zone[0])
                snprintf(why, why_size, "zone %s of node %d not in zoneinfo: %s", mb[i].zone, mb[i].node, err.msg);
        else if (!z)
                df_memblock_offline_safe(mb, n, i, 0, 0, s->allow_hypervisor, why, why_size);
        df_snapshot_clear(&snap);
        if (!ok)
                return -EPERM;
        snprintf(online_type, type_size, "%s", strcmp(mb[i].zone, "Movable") == 0 ? "online_movable" : "online_kernel");
        return 0;
}

/* Write "offline" with a timer: the kernel's offline_pages() returns EINTR
 * when a signal is pending, and puts the block back online itself. */
static int write_offline(const char *path, uint64_t timeout_usec) {
        struct sigaction sa = { .sa_handler = on_alarm }, st = { .sa_handler = on_stop }, old_alrm, old_term, old_int;
        struct itimerval it = { .it_value = { .tv_sec = (time_t) (timeout_usec / USEC_PER_SEC),
                                              .tv_usec = (suseconds_t) (timeout_usec % USEC_PER_SEC) } };
        struct itimerval off = { { 0, 0 }, { 0, 0 } };
        int r;

        timer_fired = stop_requested = 0;
        sigemptyset(&sa.sa_mask);
        sigemptyset(&st.sa_mask);
        /* no SA_RESTART: the write must come back with EINTR */
        sigaction(SIGALRM, &sa, &old_alrm);
        sigaction(SIGTERM, &st, &old_term);
        sigaction(SIGINT, &st, &old_int);
        setitimer(ITIMER_REAL, &it, NULL);
        r = df_write_file(path, "offline");
        setitimer(ITIMER_REAL, &off, NULL);
        sigaction(SIGALRM, &old_alrm, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        sigaction(SIGINT, &old_int, NULL);
        return r;
}

static int offline_run(const struct df_lever_env *env, void *state, const struct df_action *a, struct df_action_result *r) {
        const struct offline_state *s = state;
        const char *root = root_of(env);
        char state_file[PATH_MAX], path[PATH_MAX], online_type[24], why[160], cur[32];
        struct df_error err = { "" };
        uint64_t t0, t1, t2, migrated0;
        int e;

        assert(env);
        assert(s);
        assert(a);
        assert(r);
        r->lever = DF_LEVER_CLEAR_OFFLINE;
        r->node = a->target.node;
        if (a->dry_run) {
                r->outcome = DF_OUTCOME_DRY_RUN;
                set_detail(r, "memory%" PRId64 ": dry run", a->target.memory_block);
                return 0;
        }
        t0 = df_now_usec();
        e = check_live(root, s, a, online_type, sizeof(online_type), why, sizeof(why));
        if (e < 0) {
                r->outcome = DF_OUTCOME_FAILED;
                r->error = e;
                set_detail(r, "refused: %s", why);
                return e;
        }
        snprintf(state_file, sizeof(state_file), "%s/" DF_KNOBS_STATE_FILE, env->runtime_dir ? env->runtime_dir : ".");
        snprintf(path, sizeof(path), "%s/sys/devices/system/memory/memory%" PRId64 "/state", root, a->target.memory_block);
        /* The record first: if we die between offline and online, the next
         * start (or ExecStopPost=defragd --restore-knobs) onlines it. */
        e = df_knobs_memblock_record(state_file, a->target.memory_block, online_type, &err);
        if (e < 0) {
                r->outcome = DF_OUTCOME_FAILED;
                r->error = e;
                set_detail(r, "not offlined, no record: %s", err.msg);
                return e;
        }
        df_fault_point("offline-after-record");
        migrated0 = read_pgmigrate_success(root);
        t1 = df_now_usec();
        e = write_offline(path, s->timeout_usec);
        t2 = df_now_usec();
        r->error = e;
        if (e == 0) {
                r->outcome = DF_OUTCOME_DONE;
                r->amount_done = 1;
        } else if (e == -EBUSY)
                r->outcome = DF_OUTCOME_BUSY;
        else if (e == -EINTR && timer_fired && !stop_requested) {
                /* The kernel retried migration until our timer: pages it could
                 * not move (pinned, or unknown pages isolation let through).
                 * Reported as ETIMEDOUT so the planner counts it against the block. */
                r->outcome = DF_OUTCOME_TIMEOUT;
                r->error = e = -ETIMEDOUT;
        } else if (e == -EINTR)
                r->outcome = DF_OUTCOME_INTERRUPTED;
        else
                r->outcome = DF_OUTCOME_FAILED;

        /* Online whatever the outcome said: the state file's word is what
         * counts (a signal may race a finished offline). */
        if (df_knob_read(path, cur, sizeof(cur)) == 0 && strcmp(cur, "offline") == 0) {
                uint64_t t3;
                int e2;

                df_fault_point("offline-after-offline");
                t3 = df_now_usec();
                e2 = df_write_file(path, online_type);

                if (e2 < 0) {
                        r->outcome = DF_OUTCOME_FAILED;
                        r->error = e2;
                        set_detail(r, "memory%" PRId64 " offline, onlining (%s) failed: %s; kept in %s",
                                 a->target.memory_block, online_type, strerror(-e2), state_file);
                        r->duration_usec = df_now_usec() - t0;
                        return e2;
                }
                set_detail(r, "memory%" PRId64 ": offline %" PRIu64 " ms, %s %" PRIu64 " ms",
                         a->target.memory_block, (t2 - t1) / USEC_PER_MSEC, online_type,
                         (df_now_usec() - t3) / USEC_PER_MSEC);
        } else
                set_detail(r, "memory%" PRId64 ": offline %s after %" PRIu64 " ms, still online",
                         a->target.memory_block, e == 0 ? "done" : strerror(-e), (t2 - t1) / USEC_PER_MSEC);
        df_fault_point("offline-after-online");
        if (df_knobs_memblock_forget(state_file, a->target.memory_block, &err) < 0)
                df_log(LOG_WARNING, "%s, ignoring (the next start finds the block online)", err.msg);
        r->pages_moved = read_pgmigrate_success(root) - migrated0;
        r->duration_usec = df_now_usec() - t0;
        return r->error;
}

const struct df_lever_ops df_lever_offline_ops = {
        .kind = DF_LEVER_CLEAR_OFFLINE,
        .open = offline_open,
        .run = offline_run,
        .close = offline_close,
};
