/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The event loop: a timer (and the probes) start an evaluation that reads the
 * sources, asks the policy, runs levers in a child process and reports; signals stop or reload. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "defragd/control.h"
#include "defragd/entries.h"
#include "defragd/fault.h"
#include "defragd/knobs.h"
#include "defragd/lever-offline.h"
#include "defragd/lever.h"
#include "defragd/manager-plan.h"
#include "defragd/metrics-sink.h"
#include "defragd/manager.h"
#include "defragd/model.h"
#include "defragd/pressure.h"
#include "defragd/probe-entries.h"
#include "defragd/probes.h"
#include "defragd/reclaim.h"
#include "defragd/manager-reclaim.h"
#include "defragd/procfs.h"
#include "defragd/report.h"
#include "defragd/util.h"

/* After SIGKILL, how long shutdown waits for a lever's process to go (a
 * compaction aborts on a fatal signal within milliseconds; SIGTERM must be
 * honoured within a second). */
#define CHILD_REAP_WAIT_USEC (300 * USEC_PER_MSEC)
/* Children killed but not yet exited (a timed-out lever stuck in the kernel). */
#define MAX_ABANDONED 8
/* The offlining lever interrupts its own write at TimeoutSec= and onlines
 * the block; the manager kills it only this much later, so that the lever's
 * own clean-up normally runs. */
#define CLEAR_OFFLINE_KILL_GRACE_USEC (2 * USEC_PER_SEC)

/* The lever running in a child process; at most one at a time. */
struct worker {
        pid_t pid;                      /* 0: none */
        int fd;                         /* read end of the result pipe */
        sd_event_source *child_source, *timeout_source;
        struct df_recent_action ra;     /* action, before-measures */
        struct df_probe_counters probes_before;
        uint64_t pgmigrate_before;
        bool have_pgmigrate_before;
        uint64_t started_usec;
};

struct manager {
        sd_event *event;
        sd_event_source *timer;
        struct df_control *control;

        struct manager_options opts;
        char root[PATH_MAX];
        char runtime_dir[PATH_MAX];
        char config_source[PATH_MAX];
        struct df_config config;

        struct df_snapshot snapshot;
        struct df_snapshot after;
        struct df_snapshot live;          /* probe counters collected for a status request */
        struct df_policy_state *policy;
        struct df_decision *decision;
        struct df_ladder_input *ladder_in;
        enum df_skip_reason last_skip[DF_POLICY_MAX_NODES][_DF_LEVER_MAX];

        /* levers: the table's rows opened at start */
        struct df_lever_env lever_env;
        struct df_lever_view levers[_DF_LEVER_MAX];
        void *lever_state[_DF_LEVER_MAX];

        /* actions decided but not yet run (one lever runs at a time) */
        struct df_action queue[DF_POLICY_MAX_ITEMS];
        unsigned queue_head, n_queue;
        struct worker worker;
        sd_event_source *abandoned[MAX_ABANDONED];

        struct df_recent_action recent[DF_RECENT_ACTIONS];
        struct df_recent_action recent_ordered[DF_RECENT_ACTIONS];
        unsigned n_recent, recent_head;

        struct df_knobs *knobs;
        char state_path[PATH_MAX + 32];   /* knobs and offline memory blocks */
        struct df_manager_plan plan;      /* the block planner's view (clear rungs) */
        struct df_manager_plan_status plan_status;
        struct df_metrics_sink metrics;   /* per-lever counters, trend, the textfile */
        struct df_compaction_share compaction_share; /* direct compaction's share of PSI, for the guards */
        bool pressure_discounted;         /* the guard is open only thanks to that share (said on change) */
        uint64_t pressure_notice_usec;    /* when that was last said at notice level */
        struct df_status_trend *status_trends; /* the trend per cell for `defragctl status`, refitted per request */
        size_t n_status_trends_allocated;
        struct df_reclaim_budget reclaim_budget; /* [Reclaim] MaxReclaimPerHour= over a sliding hour */
        struct df_manager_reclaim reclaim;       /* the reclaim-cgroup rung's aim and refault follow-ups */
        struct df_probes *probes;
        sd_event_source *probes_source;  /* ring buffer: high-order failures */

        int pageblock_order;          /* from pagetypeinfo at start; -1 unknown */
        uint64_t started_realtime_usec;
        uint64_t evaluations, last_evaluation_realtime_usec;
        unsigned snapshot_errors;
        uint64_t snapshot_failing_since_usec;
        struct df_snapshot_shape shape; /* zones and orders of the last good read */
        bool stopping;
};

static void fill_status(struct manager *m, bool live_probes, struct df_status_view *v);

static void notify_status(struct manager *m) {
        struct df_status_view v;
        char line[512];

        fill_status(m, false, &v); /* STATUS= shows no counters: no extra map read per evaluation */
        df_status_line(&v, line, sizeof(line));
        sd_notifyf(false, "STATUS=%s", line);
}

/* Zones that come, go or change their order count are taken as read: say so once. */
static void note_shape(struct manager *m, const struct df_snapshot *s) {
        struct df_snapshot_shape now = { 0 };
        char what[512];
        int top_order = -1;

        for (int o = 0; o < DF_MAX_ORDERS; o++)
                if (m->config.targets[o].enabled)
                        top_order = o;
        if (df_snapshot_shape_of(s, &now) < 0)
                return; /* out of memory: the next read compares */
        if (m->shape.zones && df_snapshot_shape_diff(&m->shape, &now, top_order, what, sizeof(what)))
                df_log(LOG_NOTICE, "the zones in procfs changed: %s", what);
        df_snapshot_shape_clear(&m->shape);
        m->shape = now;
}

/* `parts`: which procfs files besides buddyinfo (DF_PROCFS_*). */
static int read_snapshot(struct manager *m, unsigned parts, struct df_snapshot *s) {
        struct df_error err = { "" };
        int r;

        df_snapshot_clear(s);
        r = df_snapshot_read_procfs_parts(m->root, parts, df_now_usec(), s, &err);
        if (r < 0) {
                /* Once per streak, however many polls it lasts; its end is said below. */
                if (m->snapshot_errors++ == 0) {
                        m->snapshot_failing_since_usec = df_now_usec();
                        df_log(LOG_ERR, "cannot read the buddy allocator's state: %s; skipping evaluations until it reads again", err.msg);
                }
                return r;
        }
        if (m->snapshot_errors > 0)
                df_log(LOG_NOTICE, "the buddy allocator's state reads again after %u failed reads in %" PRIu64 " ms",
                       m->snapshot_errors, (df_now_usec() - m->snapshot_failing_since_usec) / USEC_PER_MSEC);
        m->snapshot_errors = 0;
        note_shape(m, s);
        /* pagetypeinfo is read once, at start: only its pageblock order is needed later. */
        if (s->pageblock_order > 0)
                m->pageblock_order = s->pageblock_order;
        else
                s->pageblock_order = m->pageblock_order;
        if (m->probes) {
                struct df_probe_report rep;

                if (df_probes_collect(m->probes, s, &rep) == 0)
                        (void) df_probes_report_entries(&rep);
        }
        return 0;
}

/* Suitable blocks and unusable index of one (node, zone, order) in a snapshot. */
static void cell_measure(const struct df_snapshot *s, int node, const char *zone, int order,
                         uint64_t *suitable, int *unusable) {
        const struct df_zone *z = df_snapshot_zone_const(s, node, zone);
        struct df_contig_info info;

        *suitable = 0;
        *unusable = 1000;
        if (!z)
                return;
        df_fill_contig_info(z->free_blocks, z->nr_orders, order, &info);
        *suitable = info.free_blocks_suitable;
        *unusable = df_unusable_index(order, &info);
}

/* What the kernel's compaction runs that ended during an action said
 * (mm_compaction_end, counted by the probes). Other compactions in the same
 * window (kcompactd, direct) are counted too: the probes cannot tell whose. */
static void kernel_results(const struct df_probe_counters *before, const struct df_probe_counters *after,
                           struct df_recent_action *ra) {
        char *out = ra->result.kernel_outcome;
        size_t size = sizeof(ra->result.kernel_outcome), len = 0;

        out[0] = 0;
        if (!before->present || !after->present)
                return;
        for (unsigned i = 0; i < DF_COMPACT_RESULTS; i++) {
                uint64_t n = after->compaction_result[i] - before->compaction_result[i];

                if (after->compaction_result[i] < before->compaction_result[i] || n == 0)
                        continue;
                if (i == DF_COMPACT_CONTENDED)
                        ra->kernel_stopped_early = true;
                len += (size_t) snprintf(out + len, size - len, "%s%s=%" PRIu64, len ? " " : "",
                                         df_compact_result_to_string(i), n);
                if (len >= size)
                        break;
        }
}

static void remember(struct manager *m, const struct df_recent_action *ra) {
        m->recent[m->recent_head] = *ra;
        m->recent_head = (m->recent_head + 1) % DF_RECENT_ACTIONS;
        if (m->n_recent < DF_RECENT_ACTIONS)
                m->n_recent++;
}

static int arm_timer(struct manager *m, uint64_t delay_usec) {
        uint64_t now;
        int r;

        r = sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return r;
        r = sd_event_source_set_time(m->timer, now + delay_usec);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(m->timer, SD_EVENT_ONESHOT);
}

static void arm_timer_or_log(struct manager *m, uint64_t delay_usec) {
        int r = arm_timer(m, delay_usec);

        if (r < 0)
                df_log(LOG_WARNING, "cannot arm the evaluation timer: %s, ignoring", strerror(-r));
}

/* ---- levers: open at start, run in a child, close at exit ---- */

static void levers_open(struct manager *m) {
        for (int k = DF_LEVER_NONE + 1; k < _DF_LEVER_MAX; k++) {
                const struct df_lever_ops *ops = df_lever_ops((enum df_lever_kind) k);
                struct df_lever_view *lv = &m->levers[k];
                int r;

                lv->in_table = ops != NULL;
                if (!ops) {
                        snprintf(lv->reason, sizeof(lv->reason), "not in this build");
                        continue;
                }
                r = ops->open ? ops->open(&m->lever_env, &m->lever_state[k], lv->reason, sizeof(lv->reason)) : 0;
                lv->present = r >= 0;
                if (r < 0 || lv->reason[0])
                        df_report_lever_opened((enum df_lever_kind) k, r, lv->reason);
        }
}

/* Settings levers take from the config (at start and on reload). */
static void levers_configure(struct manager *m) {
        const struct df_lever_conf *lc = &m->config.levers[DF_LEVER_CLEAR_OFFLINE];

        for (int k = DF_LEVER_RECLAIM_NODE; k <= DF_LEVER_RECLAIM_CGROUP; k++)
                if (m->levers[k].present && m->lever_state[k])
                        df_reclaim_lever_set_allow_anon(m->lever_state[k], m->config.reclaim.allow_anon);
        if (m->levers[DF_LEVER_CLEAR_OFFLINE].present && m->lever_state[DF_LEVER_CLEAR_OFFLINE])
                df_lever_offline_configure(m->lever_state[DF_LEVER_CLEAR_OFFLINE],
                                           m->config.clear_offline.allow_hypervisor, lc->timeout_usec);
}

/* The planner reads page flags only while a clear rung or the cgroup reclaim rung may use them. */
static void plan_reconcile(struct manager *m) {
        bool present[_DF_LEVER_MAX], want_cgroups;
        struct df_error err = { "" };

        for (int k = 0; k < _DF_LEVER_MAX; k++)
                present[k] = m->levers[k].present;
        if (!df_manager_plan_wanted(&m->config, present)) {
                if (m->plan.on)
                        df_manager_plan_stop(&m->plan);
                snprintf(m->plan.reason, sizeof(m->plan.reason), "no clear rung is enabled, present and in [Ladder] Order=");
                return;
        }
        want_cgroups = df_manager_plan_wants_cgroups(&m->config, present);
        if (m->plan.on && m->plan.cgroups != want_cgroups)
                df_manager_plan_stop(&m->plan); /* reopened with or without /proc/kpagecgroup */
        if (m->plan.on)
                return;
        if (df_manager_plan_start(&m->plan, &m->snapshot, m->pageblock_order, &m->config, want_cgroups, m->root, &err) < 0)
                df_log(LOG_WARNING, "block planner unavailable, the clear rungs have no candidates: %s", err.msg);
        else
                df_log(LOG_INFO, "block planner: %zu memory blocks of %" PRIu64 " pages, reading %" PRIu64
                       " pages per zone per poll interval (fewer while nothing is short)", m->plan.view.n_memblocks,
                       m->plan.view.memblock_pages, m->config.planner.slice_pages);
}

/* After a lever process was killed: a block it offlined goes online again. */
static void recover_memblocks(struct manager *m, const char *why) {
        struct df_error err = { "" };
        int r = df_knobs_recover_memblocks(m->state_path, m->root, why, &err);

        if (r < 0)
                df_log(LOG_ERR, "memory blocks left offline after %s: %s", why, err.msg);
}

static void levers_close(struct manager *m) {
        for (int k = DF_LEVER_NONE + 1; k < _DF_LEVER_MAX; k++) {
                const struct df_lever_ops *ops = df_lever_ops((enum df_lever_kind) k);

                if (ops && ops->close && m->levers[k].present)
                        ops->close(m->lever_state[k]);
                m->lever_state[k] = NULL;
        }
}

/* In the child: run, send the result, exit without touching the parent's state. */
#define LEVER_NICE 10

static _Noreturn void child_main(struct manager *m, const struct df_action *a, int fd) {
        const struct df_lever_ops *ops = df_lever_ops(a->lever);
        struct df_action_result r = { .lever = a->lever, .node = a->target.node };
        const char *p = (const char *) &r;
        size_t left = sizeof(r);
        sigset_t none;

        (void) prctl(PR_SET_PDEATHSIG, SIGKILL); /* the daemon gone: stop */
        /* The kernel work a lever starts (compaction, migration, reclaim) runs
         * in this process: below the daemon and the machine's own work. At
         * nice 0 a node compaction here and kcompactd on the other CPU kept
         * the daemon from a CPU for 1.6-2.8 s, once over 5 s (2 CPUs,
         * PREEMPT_NONE): `defragctl status` timed out. */
        if (setpriority(PRIO_PROCESS, 0, LEVER_NICE) < 0)
                df_log(LOG_DEBUG, "lever process: setpriority(%d): %s, ignoring", LEVER_NICE, strerror(errno));
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (ops)
                (void) df_lever_run(ops, &m->lever_env, m->lever_state[a->lever], a, &r);
        else {
                r.outcome = DF_OUTCOME_FAILED;
                r.error = -EOPNOTSUPP;
        }
        while (left > 0) {
                ssize_t n = write(fd, p, left);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        _exit(EXIT_FAILURE);
                p += n;
                left -= (size_t) n;
        }
        _exit(EXIT_SUCCESS);
}

static void worker_release(struct worker *w) {
        w->child_source = sd_event_source_unref(w->child_source);
        w->timeout_source = sd_event_source_unref(w->timeout_source);
        if (w->fd >= 0)
                close(w->fd);
        w->fd = -1;
        w->pid = 0;
}

static int on_abandoned_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        struct manager *m = userdata;

        for (size_t i = 0; i < MAX_ABANDONED; i++)
                if (m->abandoned[i] == s)
                        m->abandoned[i] = sd_event_source_unref(s);
        df_log(LOG_INFO, "the lever process %d that was given up on has exited", (int) si->si_pid);
        recover_memblocks(m, "a killed lever process exited");
        return 0;
}

/* Kill the running lever's process and stop waiting for it: its result is
 * `outcome`; the process is reaped whenever it exits. */
static void worker_abandon(struct manager *m) {
        struct worker *w = &m->worker;
        sd_event_source *s = NULL;
        int r;

        /* A block it offlined is onlined once the process has exited
         * (on_abandoned_exit, or at exit after reaping): while its write is
         * still in the kernel the block may yet go offline. */
        (void) kill(w->pid, SIGKILL);
        w->child_source = sd_event_source_unref(w->child_source); /* first: one watch per pid */
        r = sd_event_add_child(m->event, &s, w->pid, WEXITED, on_abandoned_exit, m);
        if (r < 0)
                df_log(LOG_WARNING, "cannot watch the killed lever process %d: %s, ignoring", (int) w->pid, strerror(-r));
        else {
                size_t i;

                for (i = 0; i < MAX_ABANDONED && m->abandoned[i]; i++)
                        ;
                if (i < MAX_ABANDONED)
                        m->abandoned[i] = s;
                else
                        sd_event_source_unref(s);
        }
}

static void start_next(struct manager *m);

/* The lever's result is in: measure, feed the policy, report, go on. */
static void finish_lever(struct manager *m, struct df_action_result *res) {
        struct worker *w = &m->worker;
        struct df_recent_action ra = w->ra;
        const struct df_action *a = &ra.action;
        uint64_t now = df_now_usec();

        if (a->lever == DF_LEVER_RECLAIM_NODE) {
                struct df_error err = { "" };

                if (df_reclaim_node_gate_close(m->knobs, &err) < 0)
                        df_log(LOG_ERR, "%s", err.msg);
        }
        ra.result = *res;
        ra.result.lever = a->lever;
        ra.result.node = a->target.node;
        ra.result.suitable_before = w->ra.result.suitable_before;
        ra.result.suitable_after = ra.result.suitable_before;
        ra.result.gain_known = false;
        if (ra.result.duration_usec == 0)
                ra.result.duration_usec = now - w->started_usec;
        ra.unusable_after = ra.unusable_before;

        if (ra.result.outcome != DF_OUTCOME_INTERRUPTED && ra.result.outcome != DF_OUTCOME_TIMEOUT &&
            ra.result.error == 0) {
                if (read_snapshot(m, DF_PROCFS_VMSTAT, &m->after) == 0) {
                        uint64_t pg;

                        cell_measure(&m->after, a->target.node, a->target.zone, a->target.order,
                                     &ra.result.suitable_after, &ra.unusable_after);
                        ra.result.gain_known = true;
                        kernel_results(&w->probes_before, &m->after.probes, &ra);
                        /* pgmigrate_success counts every migration in the window: an upper bound */
                        if (ra.result.pages_moved == 0 && w->have_pgmigrate_before &&
                            df_vmstat_get(&m->after.vmstat, "pgmigrate_success", &pg) && pg >= w->pgmigrate_before)
                                ra.result.pages_moved = pg - w->pgmigrate_before;
                        if (ra.kernel_stopped_early && a->lever == DF_LEVER_COMPACT_NODE &&
                            ra.result.outcome == DF_OUTCOME_DONE)
                                ra.result.outcome = DF_OUTCOME_CONTENDED;
                }
                /* else: the re-read failed; gain unknown, not "no gain" */
        }
        df_manager_plan_outcome(&m->plan, a, &ra.result, now);
        if ((a->lever == DF_LEVER_RECLAIM_NODE || a->lever == DF_LEVER_RECLAIM_CGROUP) && ra.result.amount_done > 0)
                df_reclaim_budget_add(&m->reclaim_budget, now, ra.result.amount_done);
        df_manager_reclaim_ran(&m->reclaim, &m->config, a, &ra.result, now);
        df_lever_stats_add(&m->levers[a->lever].stats, a, &ra.result);
        (void) df_metrics_account(&m->metrics.levers, a, &ra.result);
        df_policy_record(&m->config, &ra.result, now, m->policy);
        df_report_action(&ra);
        remember(m, &ra);
        worker_release(w);
        if (m->stopping)
                return;
        start_next(m);
        /* Climb at once when this rung did not help (the policy says whether). */
        arm_timer_or_log(m, 0);
}

static int on_child_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        struct manager *m = userdata;
        struct worker *w = &m->worker;
        struct df_action_result r = { 0 };
        ssize_t n;

        df_fault_point("lever-parent-after-exit");
        n = read(w->fd, &r, sizeof(r));
        if (n != (ssize_t) sizeof(r)) {
                memset(&r, 0, sizeof(r));
                r.outcome = DF_OUTCOME_FAILED;
                r.error = -EPIPE;
                snprintf(r.detail, sizeof(r.detail), "the lever's process %s %d without a result",
                         si->si_code == CLD_EXITED ? "exited with status" : "was killed by signal", si->si_status);
                /* It may have died between offlining its block and onlining it
                 * again; it has exited, so no write of its is still running. */
                if (w->ra.action.lever == DF_LEVER_CLEAR_OFFLINE)
                        recover_memblocks(m, "a clearing process that died without a result");
        }
        finish_lever(m, &r);
        return 0;
}

static int on_lever_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        struct manager *m = userdata;
        struct worker *w = &m->worker;
        struct df_action_result r = { .outcome = DF_OUTCOME_TIMEOUT, .error = -ETIME };
        struct df_lever_conf lc;

        df_policy_lever_conf(&m->config, w->ra.action.lever, &lc);
        snprintf(r.detail, sizeof(r.detail), "ran past TimeoutSec=%" PRIu64 "s, process %d killed",
                 lc.timeout_usec / USEC_PER_SEC, (int) w->pid);
        worker_abandon(m);
        finish_lever(m, &r);
        return 0;
}

static void start_lever(struct manager *m, const struct df_action *a) {
        struct worker *w = &m->worker;
        struct df_lever_conf lc;
        int fds[2], r;
        pid_t pid;

        w->ra = (struct df_recent_action) { .realtime_usec = df_realtime_usec(), .action = *a };
        cell_measure(&m->snapshot, a->target.node, a->target.zone, a->target.order, &w->ra.result.suitable_before,
                     &w->ra.unusable_before);
        w->probes_before = m->snapshot.probes;
        w->have_pgmigrate_before = df_vmstat_get(&m->snapshot.vmstat, "pgmigrate_success", &w->pgmigrate_before);
        w->started_usec = df_now_usec();
        w->fd = -1;

        if (pipe2(fds, O_CLOEXEC) < 0) {
                struct df_action_result res = { .outcome = DF_OUTCOME_FAILED, .error = -errno };

                snprintf(res.detail, sizeof(res.detail), "pipe: %s", strerror(errno));
                finish_lever(m, &res);
                return;
        }
        if (a->lever == DF_LEVER_RECLAIM_NODE) {
                struct df_error err = { "" };

                /* Restored in finish_lever, whatever the outcome. */
                if (df_reclaim_node_gate_open(m->knobs, m->config.reclaim.node_min_unmapped_ratio, &err) < 0)
                        df_log(LOG_WARNING, "node reclaim runs with the kernel's vm.min_unmapped_ratio: %s", err.msg);
        }
        fflush(NULL); /* buffered output must not be written twice */
        pid = fork();
        if (pid < 0) {
                struct df_action_result res = { .outcome = DF_OUTCOME_FAILED, .error = -errno };

                snprintf(res.detail, sizeof(res.detail), "fork: %s", strerror(errno));
                close(fds[0]);
                close(fds[1]);
                finish_lever(m, &res);
                return;
        }
        if (pid == 0) {
                close(fds[0]);
                child_main(m, a, fds[1]);
        }
        close(fds[1]);
        w->pid = pid;
        w->fd = fds[0];
        r = sd_event_add_child(m->event, &w->child_source, pid, WEXITED, on_child_exit, m);
        if (r < 0) {
                struct df_action_result res = { .outcome = DF_OUTCOME_FAILED, .error = r };

                snprintf(res.detail, sizeof(res.detail), "cannot watch the lever's process: %s", strerror(-r));
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                finish_lever(m, &res);
                return;
        }
        df_policy_lever_conf(&m->config, a->lever, &lc);
        if (a->lever == DF_LEVER_CLEAR_OFFLINE)
                lc.timeout_usec += CLEAR_OFFLINE_KILL_GRACE_USEC;
        r = sd_event_add_time_relative(m->event, &w->timeout_source, CLOCK_MONOTONIC, lc.timeout_usec, USEC_PER_MSEC,
                                       on_lever_timeout, m);
        if (r < 0)
                df_log(LOG_WARNING, "cannot arm the lever's timeout: %s, ignoring", strerror(-r));
        df_log(LOG_DEBUG, "%s node %d: running in process %d", df_lever_kind_to_string(a->lever), a->target.node,
               (int) pid);
}

static void start_next(struct manager *m) {
        struct df_action a;

        if (m->worker.pid || m->n_queue == 0 || m->stopping)
                return;
        a = m->queue[m->queue_head];
        m->queue_head = (m->queue_head + 1) % DF_POLICY_MAX_ITEMS;
        m->n_queue--;
        start_lever(m, &a);
}

static void enqueue(struct manager *m, const struct df_action *a) {
        if (a->dry_run) {
                struct df_recent_action ra = { .realtime_usec = df_realtime_usec(), .action = *a };

                ra.result.lever = a->lever;
                ra.result.node = a->target.node;
                ra.result.outcome = DF_OUTCOME_DRY_RUN;
                cell_measure(&m->snapshot, a->target.node, a->target.zone, a->target.order,
                             &ra.result.suitable_before, &ra.unusable_before);
                ra.result.suitable_after = ra.result.suitable_before;
                ra.unusable_after = ra.unusable_before;
                df_lever_stats_add(&m->levers[a->lever].stats, a, &ra.result);
                (void) df_metrics_account(&m->metrics.levers, a, &ra.result);
                df_report_action(&ra);
                remember(m, &ra);
                return;
        }
        if (m->n_queue >= DF_POLICY_MAX_ITEMS) {
                df_log(LOG_WARNING, "%s node %d dropped: %u actions waiting, ignoring", df_lever_kind_to_string(a->lever),
                       a->target.node, m->n_queue);
                return;
        }
        m->queue[(m->queue_head + m->n_queue) % DF_POLICY_MAX_ITEMS] = *a;
        m->n_queue++;
}

/* ---- metrics ---- */

static enum df_metrics_state metrics_cell_state(void *userdata, int node, const char *zone, int order,
                                                uint64_t *ret_since_usec) {
        const struct df_policy_state *st = userdata;

        *ret_since_usec = 0;
        for (size_t i = 0; i < DF_POLICY_MAX_ZONES; i++) {
                const struct df_zone_state *zs = &st->zones[i];

                if (zs->used && zs->node == node && strcmp(zs->zone, zone) == 0 && order >= 0 && order < DF_MAX_ORDERS) {
                        *ret_since_usec = zs->since_usec[order];
                        return zs->state[order] == DF_STATE_SHORT ? DF_METRICS_STATE_SHORT :
                                zs->state[order] == DF_STATE_OK ? DF_METRICS_STATE_OK : DF_METRICS_STATE_UNKNOWN;
                }
        }
        return DF_METRICS_STATE_UNKNOWN;
}

/* The input for one rendering; *cells to free() after. */
static int metrics_input(struct manager *m, struct df_metrics_input *in, struct df_metrics_cell **cells) {
        struct df_metrics_health h = {
                .start_realtime_usec = m->started_realtime_usec,
                .evaluations = m->evaluations,
                .last_evaluation_realtime_usec = m->last_evaluation_realtime_usec,
                .dry_run = m->config.dry_run,
        };

        return df_metrics_sink_input(&m->metrics, &m->config, m->evaluations ? &m->snapshot : NULL, m->probes, &h,
                                     metrics_cell_state, m->policy, df_now_usec(), df_realtime_usec(), in, cells);
}

/* Each evaluation, with [Metrics] TextfileDirectory= set. */
static void metrics_publish(struct manager *m) {
        struct df_metrics_input in;
        struct df_metrics_cell *cells = NULL;

        if (metrics_input(m, &in, &cells) < 0) {
                df_log(LOG_WARNING, "metrics: out of memory, textfile not written, ignoring");
                return;
        }
        (void) df_metrics_sink_publish(&m->metrics, &m->config, &in); /* logs its own failures */
        free(cells);
}

/* The control socket's "metrics" request. */
static void metrics_render(void *userdata, FILE *f, bool openmetrics) {
        struct manager *m = userdata;
        struct df_metrics_input in;
        struct df_metrics_cell *cells = NULL;

        if (metrics_input(m, &in, &cells) < 0) {
                fputs("error: out of memory\n", f);
                return;
        }
        (void) df_metrics_render_format(f, &in, openmetrics ? DF_METRICS_OPENMETRICS : DF_METRICS_PROMETHEUS);
        free(cells);
}

/* ---- evaluation ---- */

/* The hint of (node, zone), added when missing; NULL when full. */
static struct df_ladder_hint *hint_for(struct df_ladder_input *in, int node, const char *zone) {
        struct df_ladder_hint *h;

        for (unsigned i = 0; i < in->n_hints; i++)
                if (in->hints[i].node == node && strcmp(in->hints[i].zone, zone) == 0)
                        return &in->hints[i];
        if (in->n_hints >= DF_POLICY_MAX_HINTS)
                return NULL;
        h = &in->hints[in->n_hints++];
        *h = (struct df_ladder_hint) { .node = node };
        snprintf(h->zone, sizeof(h->zone), "%s", zone);
        return h;
}

/* [Trend] ActBeforeSec=: cells whose fit reaches the low mark within it act
 * early (the policy treats them as short; the pure test is the trend's). */
static void trend_hints(struct manager *m, struct df_ladder_input *in) {
        uint64_t now = df_now_usec();

        for (size_t i = 0; i < m->snapshot.n_zones; i++) {
                const struct df_zone *z = &m->snapshot.zones[i];

                if (!df_config_node_watched(&m->config, z->node) || !df_config_zone_watched(&m->config, z->name))
                        continue;
                for (int o = 0; o < z->nr_orders && o < DF_MAX_ORDERS && o < 32; o++) {
                        const struct df_target *t = &m->config.targets[o];
                        struct df_trend_fit fit;
                        struct df_ladder_hint *h;
                        uint64_t suitable;
                        int unusable;

                        if (!t->enabled || t->low_blocks == 0)
                                continue;
                        cell_measure(&m->snapshot, z->node, z->name, o, &suitable, &unusable);
                        df_metrics_sink_trend_fit(&m->metrics, &m->config, z->node, z->name, o, now, &fit);
                        if (!df_trend_should_act_early(&fit, suitable, t->low_blocks, m->config.trend.act_before_usec))
                                continue;
                        h = hint_for(in, z->node, z->name);
                        if (h)
                                h->act_early_orders |= UINT32_C(1) << o;
                }
        }
}

/* The hints other stages give the ladder. Levers outside the table get
 * "none"; the planner and reclaim fillers hook in here. */
static void fill_ladder_input(struct manager *m, struct df_ladder_input *in) {
        memset(in, 0, sizeof(*in));
        for (int k = DF_LEVER_NONE + 1; k < _DF_LEVER_MAX; k++)
                in->lever_present[k] = m->levers[k].present;
        in->lever_busy = m->worker.pid != 0 || m->n_queue > 0;
        df_manager_plan_hints(&m->plan, &m->config, df_now_usec(), in);
        /* The cgroup walk and its sample only while a zone is short (and at the
         * first evaluation), and not while a lever runs (nothing new is decided). */
        if (df_manager_plan_wants_cgroups(&m->config, in->lever_present) && !in->lever_busy &&
            (m->evaluations == 0 || m->decision->any_short))
                df_manager_reclaim_hints(&m->reclaim, &m->plan, &m->config, &m->reclaim_budget, &m->snapshot, m->root,
                                         df_now_usec(), in);
        if (m->config.trend.act_before_usec > 0)
                trend_hints(m, in);
}

/* Node reclaim: the aim bounds the amount (MaxReclaimPerAction=, what is
 * left of MaxReclaimPerHour=) and re-checks the PSI guard. 0 or -EAGAIN. */
static int reclaim_node_amount(struct manager *m, struct df_action *a, char *why, size_t why_size) {
        bool psi_present;
        double psi = df_config_pressure_avg10(&m->config, &m->snapshot.psi, &psi_present);
        struct df_reclaim_choice_input in = {
                .psi_present = psi_present,
                .psi_some_avg10 = psi,
                .blocks_short = a->target_high_blocks > a->suitable_blocks ? a->target_high_blocks - a->suitable_blocks : 1,
                .block_bytes = (UINT64_C(1) << (a->target.order > 0 ? a->target.order : 0)) * (uint64_t) sysconf(_SC_PAGESIZE),
                .page_bytes = (uint64_t) sysconf(_SC_PAGESIZE),
        };
        struct df_action chosen = *a;
        enum df_reclaim_verdict v;

        v = df_reclaim_choose_node(&m->config.reclaim, &m->reclaim_budget, &in, a->target.node, df_now_usec(), &chosen);
        if (v != DF_RECLAIM_ACT) {
                snprintf(why, why_size, "node reclaim not run: %s", df_reclaim_verdict_to_string(v));
                return -EAGAIN;
        }
        a->amount = chosen.amount;
        return 0;
}

/* A clear action gets its block from the planner before it is queued (the
 * policy chose the rung; which block is the planner's pure choice). False:
 * no block; reported as a failed action so the rung yields. */
static bool target_action(struct manager *m, struct df_action *a) {
        struct df_recent_action ra = { .realtime_usec = df_realtime_usec(), .action = *a };
        char why[200];
        int r;

        if (a->lever == DF_LEVER_RECLAIM_NODE) {
                r = reclaim_node_amount(m, a, why, sizeof(why));
        } else if (a->lever == DF_LEVER_RECLAIM_CGROUP) {
                r = df_manager_reclaim_target(&m->reclaim, &m->config, &m->reclaim_budget, &m->snapshot, a, df_now_usec(),
                                              why, sizeof(why));
        } else if (a->lever == DF_LEVER_CLEAR_OFFLINE || a->lever == DF_LEVER_CLEAR_KMOD)
                r = df_manager_plan_target(&m->plan, &m->config, df_now_usec(), a, why, sizeof(why));
        else
                return true;
        if (r == 0)
                return true;
        ra.action.dry_run = false; /* it did not run, dry or not */
        ra.action.amount = 0;      /* nor was an amount chosen: the aim's cap never applied */
        ra.result = (struct df_action_result) { .lever = a->lever, .node = a->target.node,
                                                .outcome = DF_OUTCOME_FAILED, .error = r };
        snprintf(ra.result.detail, sizeof(ra.result.detail), "%.150s", why);
        cell_measure(&m->snapshot, a->target.node, a->target.zone, a->target.order, &ra.result.suitable_before,
                     &ra.unusable_before);
        ra.result.suitable_after = ra.result.suitable_before;
        ra.unusable_after = ra.unusable_before;
        df_policy_record(&m->config, &ra.result, df_now_usec(), m->policy);
        (void) df_metrics_account(&m->metrics.levers, &ra.action, &ra.result);
        df_report_action(&ra);
        remember(m, &ra);
        return false;
}

static void report_skip(struct manager *m, const struct df_skip *s) {
        enum df_skip_reason *last = s->node >= 0 && s->node < DF_POLICY_MAX_NODES && s->lever < _DF_LEVER_MAX ?
                &m->last_skip[s->node][s->lever] : NULL;

        /* Say it when the reason changes, not every poll. */
        if (last && *last == s->reason)
                return;
        if (last)
                *last = s->reason;
        df_report_skip(s);
}

/* Say when the PSI guard would have stood down but for the direct-compaction
 * discount (PressureGuardExcludesCompaction=), and when that ends: once per
 * change, with the figures. */
#define PRESSURE_NOTICE_USEC (600 * USEC_PER_SEC)

static void note_pressure_discount(struct manager *m) {
        const struct df_psi *psi = &m->snapshot.psi;
        uint64_t now = m->snapshot.taken_usec;
        unsigned limit = m->config.pressure_guard_percent;
        bool present, discounted;
        double raw = df_pressure_guard_avg10(psi, false, &present);
        double net = df_pressure_guard_avg10(psi, true, &present);

        discounted = present && limit > 0 && m->config.pressure_guard_excludes_compaction &&
                raw >= (double) limit && net < (double) limit;
        if (discounted == m->pressure_discounted)
                return;
        m->pressure_discounted = discounted;
        /* PSI near the limit flips this every poll: the notice at most once
         * per PRESSURE_NOTICE_USEC, the way back at info. */
        if (discounted && (m->pressure_notice_usec == 0 || now >= m->pressure_notice_usec + PRESSURE_NOTICE_USEC)) {
                m->pressure_notice_usec = now;
                df_log(LOG_NOTICE, "memory pressure %.1f%% (PSI some avg10) is above the guard's %u%%, but %.1f%% of it is "
                       "tasks stalled in direct compaction, which is fragmentation: %.1f%% counts, levers may act",
                       raw, limit, psi->some_compaction_avg10, net);
        } else if (!discounted)
                df_log(LOG_INFO, "memory pressure %.1f%% (PSI some avg10), of it direct compaction %.1f%%: "
                       "the discount no longer decides the guard", raw, psi->some_compaction_avg10);
}

#define EVALUATION_SLOW_USEC (500 * USEC_PER_MSEC)

static void evaluate(struct manager *m, const char *why) {
        struct df_decision *d = m->decision;
        uint64_t t0 = df_now_usec(), cpu0 = df_thread_cpu_usec(), t_read, t_plan, t_decide;

        df_probes_evaluation_started(m->probes); /* failure -> policy latency */
        if (read_snapshot(m, DF_PROCFS_ALL & ~DF_PROCFS_PAGETYPEINFO, &m->snapshot) < 0)
                return;
        m->snapshot.psi.some_compaction_avg10 =
                df_compaction_share_update(&m->compaction_share, m->snapshot.taken_usec, m->snapshot.probes.present,
                                           m->snapshot.probes.direct_compact_stall_usec);
        t_read = df_now_usec();
        if (df_metrics_sink_observe(&m->metrics, &m->config, &m->snapshot) < 0)
                df_log(LOG_DEBUG, "trend: out of memory for a sample, ignoring");
        /* idle: nothing short at the last evaluation, the sweep may slow down */
        m->plan.idle = m->evaluations > 0 && !m->decision->any_short;
        if (m->plan.on) {
                struct df_error err = { "" };

                int r = df_manager_plan_tick(&m->plan, &m->snapshot, &m->config, df_now_usec(), &err);

                /* Once per streak of failures (its end is a 1). */
                if (r > 0 || (r < 0 && m->plan.tick_failures == 1))
                        df_log(r > 0 ? LOG_NOTICE : LOG_WARNING, "block planner: %s%s", err.msg,
                               r < 0 ? ", ignoring (its view ages)" : "");
        }
        df_manager_reclaim_followups(&m->reclaim, &m->config, &m->metrics.levers, df_now_usec());
        t_plan = df_now_usec();
        fill_ladder_input(m, m->ladder_in);
        df_policy_decide(&m->config, &m->snapshot, m->ladder_in, df_now_usec(), m->policy, d);
        note_pressure_discount(m);
        t_decide = df_now_usec();
        m->evaluations++;
        m->last_evaluation_realtime_usec = df_realtime_usec();

        for (unsigned i = 0; i < d->n_crossings; i++)
                df_report_crossing(&d->crossings[i]);
        for (unsigned i = 0; i < d->n_skips; i++)
                report_skip(m, &d->skips[i]);
        for (unsigned i = 0; i < d->n_actions; i++) {
                struct df_action *a = &d->actions[i];

                if (a->target.node >= 0 && a->target.node < DF_POLICY_MAX_NODES)
                        memset(m->last_skip[a->target.node], 0, sizeof(m->last_skip[0]));
                df_log(LOG_DEBUG, "evaluation (%s): %s on node %d", why, df_lever_kind_to_string(a->lever),
                       a->target.node);
                if (target_action(m, a))
                        enqueue(m, a);
        }
        {
                struct df_error err = { "" };

                int r = df_knob_levers_reconcile(m->knobs, d->knobs, d->n_knobs, &err);

                if (r < 0 && r != -EBADMSG) /* EBADMSG: corrupt state file, said once at start */
                        df_log(LOG_WARNING, "%s, ignoring", err.msg);
        }
        start_next(m);
        notify_status(m);
        if (m->config.metrics.textfile_dir[0])
                metrics_publish(m);
        {
                uint64_t t_end = df_now_usec(), cpu = df_thread_cpu_usec() - cpu0;

                /* The loop answers nothing else meanwhile: say where a slow one
                 * went, and how much of it was our own CPU time (on a machine
                 * whose CPUs run compaction in the kernel, most of it is waiting
                 * to be scheduled: measured 653 ms wall for 12 ms of CPU). */
                df_log(t_end - t0 >= EVALUATION_SLOW_USEC ? LOG_NOTICE : LOG_DEBUG,
                       "evaluation (%s) took %" PRIu64 " ms, %" PRIu64 " ms of it on a CPU: read %" PRIu64
                       ", plan %" PRIu64 ", decide %" PRIu64 ", act and report %" PRIu64,
                       why, (t_end - t0) / 1000, cpu / 1000, (t_read - t0) / 1000, (t_plan - t_read) / 1000,
                       (t_decide - t_plan) / 1000, (t_end - t_decide) / 1000);
        }
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct manager *m = userdata;

        evaluate(m, "poll");
        arm_timer_or_log(m, m->config.poll_interval_usec);
        return 0;
}

void manager_evaluate_now(struct manager *m, const char *why) {
        assert(m && why);
        df_log(LOG_DEBUG, "evaluation requested now: %s", why);
        arm_timer_or_log(m, 0);
}

static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct manager *m = userdata;

        sd_notify(false, "STOPPING=1\nSTATUS=Stopping: restoring knobs");
        m->stopping = true;
        m->n_queue = 0;
        if (m->worker.pid) {
                struct df_action_result r = { .outcome = DF_OUTCOME_INTERRUPTED };

                snprintf(r.detail, sizeof(r.detail), "defragd stopping: process %d killed", (int) m->worker.pid);
                worker_abandon(m);
                finish_lever(m, &r);
        }
        sd_event_exit(m->event, 0);
        return 0;
}

static void apply_config(struct manager *m, const struct df_config *c) {
        m->config = *c;
        if (m->opts.force_dry_run)
                m->config.dry_run = true;
        df_policy_reconfigure(&m->config, m->policy);
        memset(m->last_skip, 0, sizeof(m->last_skip));
        levers_configure(m);
        plan_reconcile(m);
        df_metrics_sink_reconfigure(&m->metrics, &m->config);
}

static int load_config(struct manager *m, struct df_config *c, struct df_error *err) {
        df_config_defaults(c);
        return df_config_load(c, m->root, m->opts.config_path, err);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct manager *m = userdata;
        struct df_error err = { "" };
        struct df_config *c;
        uint64_t now = df_now_usec();
        int r;

        sd_notifyf(false, "RELOADING=1\nSTATUS=Reloading configuration\nMONOTONIC_USEC=%" PRIu64, now);
        c = malloc(sizeof(*c));
        r = c ? load_config(m, c, &err) : df_error_set(&err, -ENOMEM, "out of memory");
        if (r < 0) {
                const char *fields[] = { "MESSAGE_ID=" DF_MID_CONFIG_REJECTED, NULL };

                df_log_struct(LOG_ERR, fields, "configuration not reloaded, keeping the running one: %s", err.msg);
        } else {
                const char *fields[] = { "MESSAGE_ID=" DF_MID_CONFIG_RELOADED, NULL };

                apply_config(m, c);
                df_log_struct(LOG_INFO, fields, "configuration reloaded from %s", m->config_source);
                /* Decide at once under the new config: a knob lever it disables
                 * or keeps is reconciled through the policy, not here. */
                evaluate(m, "reload");
                arm_timer_or_log(m, m->config.poll_interval_usec);
        }
        free(c);
        sd_notify(false, "READY=1");
        notify_status(m);
        return 0;
}

/* A failure event (already rate-limited in the kernel, the only limiter)
 * asks for an evaluation now instead of at the next poll. */
static int on_probes_event(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct manager *m = userdata;
        bool trigger = false;
        int r;

        r = df_probes_consume(m->probes, &trigger);
        if (r < 0)
                df_log(LOG_DEBUG, "reading the probes' ring buffer: %s", strerror(-r));
        if (trigger) {
                const struct df_probes_status *st = df_probes_status(m->probes);

                df_log(LOG_DEBUG, "order-%d allocation failure by %s reached the daemon %" PRIu64 " us after the kernel saw it",
                       st->last_event_order, st->last_event_comm, st->last_event_latency_usec);
                manager_evaluate_now(m, "high-order allocation failure");
        }
        return 0;
}

static void probes_start(struct manager *m) {
        const struct df_probes_status *st;
        const char *fields_ok[] = { "MESSAGE_ID=" DF_MID_PROBES, "PROBES_STATE=attached", NULL };
        const char *fields_degraded[] = { "MESSAGE_ID=" DF_MID_PROBES, "PROBES_STATE=unavailable", NULL };

        if (!m->config.probes.enabled)
                return;
        if (df_probes_open(&m->config.probes, &m->snapshot, &m->probes) < 0 || !m->probes)
                return;
        st = df_probes_status(m->probes);
        if (st->loaded)
                df_log_struct(LOG_INFO, fields_ok, "page allocator probes attached (%u tracepoints%s%s)",
                              st->n_attached, st->n_missing ? ", missing: " : "", st->missing);
        else
                df_log_struct(LOG_WARNING, fields_degraded, "page allocator probes not loaded, polling only: %s", st->reason);
        /* probes hook: the ring buffer wakes the loop on a high-order failure. */
        if (st->loaded && df_probes_ring_fd(m->probes) >= 0) {
                int r = sd_event_add_io(m->event, &m->probes_source, df_probes_ring_fd(m->probes), EPOLLIN,
                                        on_probes_event, m);

                if (r < 0)
                        df_log(LOG_WARNING, "cannot watch the probes' ring buffer, polling only: %s", strerror(-r));
        }
}

static void status_fill(void *userdata, struct df_status_view *v) {
        manager_get_status(userdata, v);
}

int manager_new(const struct manager_options *o, struct manager **ret, struct df_error *err) {
        struct manager *m;
        char path[PATH_MAX + 32];
        sigset_t mask;
        int r;

        assert(o && o->config && ret && err);
        m = calloc(1, sizeof(*m));
        if (!m)
                return df_error_set(err, -ENOMEM, "out of memory");
        m->worker.fd = -1;
        m->plan.kpf.fd_flags = m->plan.kpf.fd_cgroup = -1;
        df_metrics_sink_init(&m->metrics);
        m->policy = calloc(1, sizeof(*m->policy));
        m->decision = calloc(1, sizeof(*m->decision));
        m->ladder_in = calloc(1, sizeof(*m->ladder_in));
        if (!m->policy || !m->decision || !m->ladder_in) {
                manager_free(m);
                return df_error_set(err, -ENOMEM, "out of memory");
        }
        m->opts = *o;
        snprintf(m->root, sizeof(m->root), "%s", o->root && strcmp(o->root, "/") != 0 ? o->root : "");
        snprintf(m->runtime_dir, sizeof(m->runtime_dir), "%s", o->runtime_dir ? o->runtime_dir : DEFRAGD_RUNTIME_DIR);
        m->lever_env = (struct df_lever_env) { .root = m->root, .runtime_dir = m->runtime_dir };
        df_snapshot_init(&m->snapshot);
        df_snapshot_init(&m->after);
        df_snapshot_init(&m->live);
        df_policy_state_init(m->policy);
        m->started_realtime_usec = df_realtime_usec();
        m->pageblock_order = -1;

        m->config = *o->config;
        if (o->force_dry_run)
                m->config.dry_run = true;
        snprintf(m->config_source, sizeof(m->config_source), "%s",
                 o->config_path ? o->config_path : "/etc/defragd.conf and drop-ins");

        if (mkdir(m->runtime_dir, 0700) < 0 && errno != EEXIST) {
                r = df_error_set(err, -errno, "%s: cannot create runtime directory: %s", m->runtime_dir,
                                 strerror(errno));
                manager_free(m);
                return r;
        }
        snprintf(m->state_path, sizeof(m->state_path), "%s/" DF_KNOBS_STATE_FILE, m->runtime_dir);
        r = df_knobs_new(m->state_path, m->root, &m->knobs);
        if (r < 0) {
                manager_free(m);
                return df_error_set(err, r, "out of memory");
        }
        r = df_knobs_recover(m->knobs, err);
        if (r == -EBADMSG)
                /* A corrupt record: run, but change no knob (knobs.c refuses) and keep the file. */
                df_log(LOG_ERR, "%s", err->msg);
        else if (r < 0) {
                manager_free(m);
                return r;
        }

        r = sd_event_default(&m->event);
        if (r < 0) {
                manager_free(m);
                return df_error_set(err, r, "sd_event_default: %s", strerror(-r));
        }
        /* SIGCHLD too: sd_event_add_child() needs it blocked (lever processes). */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        if ((r = sd_event_add_signal(m->event, NULL, SIGTERM, on_sigterm, m)) < 0 ||
            (r = sd_event_add_signal(m->event, NULL, SIGINT, on_sigterm, m)) < 0 ||
            (r = sd_event_add_signal(m->event, NULL, SIGHUP, on_sighup, m)) < 0 ||
            /* Accuracy 1 us: the default (250 ms) lets sd-event fire an already
             * due time up to 250 ms late (measured 125-213 ms), and a probe
             * trigger must reach the policy within 100 ms. Costs nothing at a
             * 10 s poll period. */
            (r = sd_event_add_time(m->event, &m->timer, CLOCK_MONOTONIC, 0, 1, on_timer, m)) < 0 ||
            (r = sd_event_set_watchdog(m->event, true)) < 0) {
                manager_free(m);
                return df_error_set(err, r, "cannot set up the event loop: %s", strerror(-r));
        }

        snprintf(path, sizeof(path), "%s/control", m->runtime_dir);
        r = df_control_new(m->event, path, status_fill, m, &m->control, err);
        if (r < 0) {
                manager_free(m);
                return r;
        }
        *ret = m;
        return 0;
}

/* Shutdown: the lever's process was SIGKILLed; give it a moment to go.
 * False when one is still there. */
static bool reap_children(struct manager *m) {
        uint64_t deadline = df_now_usec() + CHILD_REAP_WAIT_USEC;

        for (;;) {
                pid_t pid = waitpid(-1, NULL, WNOHANG);

                if (pid < 0 && errno == ECHILD)
                        return true;
                if (pid > 0)
                        continue;
                if (df_now_usec() >= deadline) {
                        df_log(LOG_WARNING, "a lever process did not exit within %" PRIu64 " ms of SIGKILL, leaving it",
                               CHILD_REAP_WAIT_USEC / USEC_PER_MSEC);
                        return false;
                }
                nanosleep(&(struct timespec) { .tv_nsec = 5 * 1000 * 1000 }, NULL);
        }
}

int manager_run(struct manager *m) {
        const char *fields_start[] = { "MESSAGE_ID=" DF_MID_STARTED, NULL };
        const char *fields_stop[] = { "MESSAGE_ID=" DF_MID_STOPPED, NULL };
        struct df_error err = { "" };
        int r;

        assert(m);
        /* First look before READY=1, so status is meaningful at once. */
        if (read_snapshot(m, DF_PROCFS_ALL, &m->snapshot) < 0)
                df_log(LOG_WARNING, "first snapshot failed; will retry every %" PRIu64 " s",
                       m->config.poll_interval_usec / USEC_PER_SEC);
        probes_start(m);
        levers_open(m);
        levers_configure(m);
        plan_reconcile(m);
        df_log_struct(LOG_INFO, fields_start, "defragd " DEFRAGD_VERSION " started (config: %s%s)", m->config_source,
                      m->config.dry_run ? ", dry run" : "");
        arm_timer_or_log(m, 0);
        sd_notify(false, "READY=1\nSTATUS=Started, first evaluation pending");

        r = sd_event_loop(m->event);
        if (r < 0)
                df_log(LOG_ERR, "event loop failed: %s", strerror(-r));

        /* Lever processes first: a block a killed lever was offlining is
         * onlined (by the restore below) only once its write has left the kernel. */
        if (m->worker.pid) {
                (void) kill(m->worker.pid, SIGKILL);
                worker_release(&m->worker);
        }
        (void) reap_children(m);
        if (df_knobs_restore_all(m->knobs, "defragd stopping", &err) < 0)
                r = -EIO;
        df_log_struct(LOG_INFO, fields_stop, "defragd stopped after %" PRIu64 " evaluation%s", m->evaluations,
                      m->evaluations == 1 ? "" : "s");
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

void manager_free(struct manager *m) {
        if (!m)
                return;
        df_control_free(m->control);
        worker_release(&m->worker);
        for (size_t i = 0; i < MAX_ABANDONED; i++)
                sd_event_source_unref(m->abandoned[i]);
        levers_close(m);
        df_manager_plan_stop(&m->plan);
        df_metrics_sink_done(&m->metrics); /* removes the textfile: nothing stale for node_exporter */
        sd_event_source_unref(m->probes_source);
        df_probes_free(m->probes);
        sd_event_source_unref(m->timer);
        sd_event_unref(m->event);
        df_knobs_free(m->knobs);
        df_snapshot_clear(&m->snapshot);
        df_snapshot_clear(&m->after);
        df_snapshot_clear(&m->live);
        df_snapshot_shape_clear(&m->shape);
        free(m->policy);
        free(m->decision);
        free(m->ladder_in);
        free(m->status_trends);
        free(m);
}

/* The trend fit of every watched cell with a target, for the status view (the
 * renderer stays pure). Returns how many; 0 when the array cannot grow. */
static size_t fill_status_trends(struct manager *m) {
        uint64_t now = df_now_usec();
        size_t need = 0, n = 0;

        for (size_t i = 0; i < m->snapshot.n_zones; i++)
                need += (size_t) m->snapshot.zones[i].nr_orders;
        if (need > m->n_status_trends_allocated) {
                struct df_status_trend *p = reallocarray(m->status_trends, need, sizeof(*p));

                if (!p) {
                        df_log(LOG_WARNING, "no memory for the trend column of the status, ignoring");
                        return 0;
                }
                m->status_trends = p;
                m->n_status_trends_allocated = need;
        }
        for (size_t i = 0; i < m->snapshot.n_zones; i++) {
                const struct df_zone *z = &m->snapshot.zones[i];

                if (!df_config_node_watched(&m->config, z->node) || !df_config_zone_watched(&m->config, z->name))
                        continue;
                for (int o = 0; o < z->nr_orders && o < DF_MAX_ORDERS; o++) {
                        struct df_status_trend *st = &m->status_trends[n];
                        struct df_trend_fit fit;

                        if (!m->config.targets[o].enabled)
                                continue;
                        df_metrics_sink_trend_fit(&m->metrics, &m->config, z->node, z->name, o, now, &fit);
                        *st = (struct df_status_trend) {
                                .node = z->node, .order = o, .valid = fit.valid,
                                .slope_blocks_per_sec = fit.slope_blocks_per_sec,
                                .seconds_to_low = fit.seconds_to_low,
                        };
                        snprintf(st->zone, sizeof(st->zone), "%s", z->name);
                        n++;
                }
        }
        return n;
}

static void fill_status(struct manager *m, bool live_probes, struct df_status_view *v) {
        size_t n_trends = 0;

        for (unsigned i = 0; i < m->n_recent; i++)
                m->recent_ordered[i] =
                        m->recent[(m->recent_head + DF_RECENT_ACTIONS - m->n_recent + i) % DF_RECENT_ACTIONS];
        /* Live: the counters now, not the last evaluation's. */
        if (live_probes && m->probes)
                (void) df_probes_collect(m->probes, &m->live, NULL);
        if (live_probes) { /* the planner's summary costs a pass over its blocks, the trends a fit each: not for STATUS= */
                df_manager_plan_status(&m->plan, df_now_usec(), &m->plan_status);
                n_trends = fill_status_trends(m);
        }
        *v = (struct df_status_view) {
                .config = &m->config,
                .snapshot = &m->snapshot,
                .policy = m->policy,
                .decision = m->evaluations ? m->decision : NULL,
                .recent = m->recent_ordered,
                .n_recent = m->n_recent,
                .knobs = m->knobs,
                .probes = m->probes,
                .levers = m->levers,
                .planner = live_probes ? &m->plan_status : NULL,
                .reclaim = &m->reclaim,
                .trends = n_trends ? m->status_trends : NULL,
                .n_trends = n_trends,
                .running = {
                        .running = m->worker.pid != 0,
                        .action = m->worker.ra.action,
                        .started_realtime_usec = m->worker.ra.realtime_usec,
                        .pid = (int) m->worker.pid,
                },
                .now_usec = df_now_usec(),
                .started_realtime_usec = m->started_realtime_usec,
                .evaluations = m->evaluations,
                .last_evaluation_realtime_usec = m->last_evaluation_realtime_usec,
                .config_source = m->config_source,
                .metrics_render = metrics_render,
                .metrics_userdata = m,
        };
}

void manager_get_status(struct manager *m, struct df_status_view *v) {
        assert(m && v);
        fill_status(m, true, v);
}
