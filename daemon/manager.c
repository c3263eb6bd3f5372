/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The event loop: a timer (and the probes) start an evaluation that reads the
 * sources, asks the policy, runs the levers and reports; signals stop or reload. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "defragd/actuator.h"
#include "defragd/control.h"
#include "defragd/knobs.h"
#include "defragd/manager.h"
#include "defragd/model.h"
#include "defragd/probes.h"
#include "defragd/report.h"
#include "defragd/util.h"

#define PROACTIVENESS_KNOB "/proc/sys/vm/compaction_proactiveness"
/* Read failures are logged once per this many in a row, not every poll. */
#define SNAPSHOT_ERROR_LOG_EVERY 60

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
        struct df_policy_state *policy;
        struct df_decision *decision;
        enum df_skip_reason last_skip[DF_POLICY_MAX_NODES];

        struct df_recent_action recent[DF_RECENT_ACTIONS];
        unsigned n_recent, recent_head;

        struct df_knobs *knobs;
        struct df_probes *probes;
        sd_event_source *probes_source;  /* ring buffer: high-order failures */

        int pageblock_order;          /* from pagetypeinfo at start; -1 unknown */
        uint64_t started_realtime_usec;
        uint64_t evaluations, last_evaluation_realtime_usec;
        unsigned snapshot_errors;
        int exit_status;
};

static void notify_status(struct manager *m) {
        struct manager_view v;
        char line[512];

        manager_get_view(m, &v);
        df_status_line(&v, line, sizeof(line));
        sd_notifyf(false, "STATUS=%s", line);
}

/* `parts`: which procfs files besides buddyinfo (DF_PROCFS_*). */
static int read_snapshot(struct manager *m, unsigned parts, struct df_snapshot *s) {
        struct df_error err = { "" };
        int r;

        df_snapshot_clear(s);
        r = df_snapshot_read_procfs_parts(m->root, parts, df_now_usec(), s, &err);
        if (r < 0) {
                if (m->snapshot_errors++ % SNAPSHOT_ERROR_LOG_EVERY == 0)
                        df_log(LOG_ERR, "cannot read the buddy allocator's state: %s", err.msg);
                return r;
        }
        m->snapshot_errors = 0;
        /* pagetypeinfo is read once, at start: only its pageblock order is needed later. */
        if (s->pageblock_order > 0)
                m->pageblock_order = s->pageblock_order;
        else
                s->pageblock_order = m->pageblock_order;
        if (m->probes)
                (void) df_probes_collect(m->probes, s);
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
        size_t len = 0;

        ra->kernel_results[0] = 0;
        if (!before->present || !after->present)
                return;
        for (unsigned i = 0; i < DF_COMPACT_RESULTS; i++) {
                uint64_t n = after->compaction_result[i] - before->compaction_result[i];

                if (after->compaction_result[i] < before->compaction_result[i] || n == 0)
                        continue;
                if (i == DF_COMPACT_CONTENDED)
                        ra->kernel_stopped_early = true;
                len += (size_t) snprintf(ra->kernel_results + len, sizeof(ra->kernel_results) - len, "%s%s=%" PRIu64,
                                         len ? " " : "", df_compact_result_to_string(i), n);
                if (len >= sizeof(ra->kernel_results))
                        break;
        }
}

static void report_crossing(const struct manager *m, const struct df_crossing *c) {
        char f_node[32], f_zone[48], f_order[32], f_free[48], f_low[48], f_high[48], f_from[32], f_to[32];
        const char *fields[] = { "MESSAGE_ID=" DF_MID_THRESHOLD, f_node, f_zone, f_order, f_free, f_low, f_high,
                                 f_from, f_to, NULL };
        bool short_now = c->to == DF_STATE_SHORT;

        snprintf(f_node, sizeof(f_node), "NODE=%d", c->node);
        snprintf(f_zone, sizeof(f_zone), "ZONE=%s", c->zone);
        snprintf(f_order, sizeof(f_order), "ORDER=%d", c->order);
        snprintf(f_free, sizeof(f_free), "FREE_BLOCKS=%" PRIu64, c->suitable_blocks);
        snprintf(f_low, sizeof(f_low), "LOW_BLOCKS=%" PRIu64, c->low_blocks);
        snprintf(f_high, sizeof(f_high), "HIGH_BLOCKS=%" PRIu64, c->high_blocks);
        snprintf(f_from, sizeof(f_from), "STATE_FROM=%s", df_order_state_to_string(c->from));
        snprintf(f_to, sizeof(f_to), "STATE=%s", df_order_state_to_string(c->to));
        if (c->from == DF_STATE_UNKNOWN && !short_now)
                return; /* the first look finding all well is not news */
        df_log_struct(short_now ? LOG_NOTICE : LOG_INFO, fields,
                      "node %d %s order %d: %" PRIu64 " free blocks %s %" PRIu64 " (%s)", c->node, c->zone,
                      c->order, c->suitable_blocks, short_now ? "below low mark" : "back at high mark",
                      short_now ? c->low_blocks : c->high_blocks,
                      short_now ? "short: will act" : "ok: stopping");
}

static void report_skip(struct manager *m, const struct df_skip *s) {
        enum df_skip_reason *last = s->node >= 0 && s->node < DF_POLICY_MAX_NODES ? &m->last_skip[s->node] : NULL;

        /* Say it when the reason changes, not every poll. */
        if (last && *last == s->reason)
                return;
        if (last)
                *last = s->reason;
        df_log(s->reason == DF_SKIP_COOLDOWN || s->reason == DF_SKIP_BACKOFF ? LOG_DEBUG : LOG_INFO,
               "node %d %s order %d is short but no action: %s", s->node, s->zone, s->order,
               df_skip_reason_to_string(s->reason));
}

static void remember(struct manager *m, const struct df_recent_action *ra) {
        m->recent[m->recent_head] = *ra;
        m->recent_head = (m->recent_head + 1) % DF_RECENT_ACTIONS;
        if (m->n_recent < DF_RECENT_ACTIONS)
                m->n_recent++;
}

static void report_action(const struct df_recent_action *ra, const char *action_name) {
        const struct df_action *a = &ra->action;
        const struct df_action_result *r = &ra->result;
        char f_node[32], f_zone[48], f_order[32], f_before[48], f_after[48], f_ub[40], f_ua[40], f_dur[48],
                f_action[48], f_dry[16], f_detail[160], f_err[64], f_kernel[128], ub[16], ua[16];
        const char *fields[] = { r->error ? "MESSAGE_ID=" DF_MID_ACTION_FAILED : "MESSAGE_ID=" DF_MID_COMPACTION,
                                 f_node, f_zone, f_order, f_before, f_after, f_ub, f_ua, f_dur, f_action, f_dry,
                                 f_detail, NULL /* ERRNO= or COMPACTION_RESULTS= */, NULL };
        int64_t gain = (int64_t) r->suitable_after - (int64_t) r->suitable_before;

        df_format_index(ra->unusable_before, ub, sizeof(ub));
        df_format_index(ra->unusable_after, ua, sizeof(ua));
        snprintf(f_node, sizeof(f_node), "NODE=%d", a->node);
        snprintf(f_zone, sizeof(f_zone), "ZONE=%s", a->zone);
        snprintf(f_order, sizeof(f_order), "ORDER=%d", a->order);
        snprintf(f_before, sizeof(f_before), "FREE_BLOCKS_BEFORE=%" PRIu64, r->suitable_before);
        snprintf(f_after, sizeof(f_after), "FREE_BLOCKS_AFTER=%" PRIu64, r->suitable_after);
        snprintf(f_ub, sizeof(f_ub), "UNUSABLE_INDEX_BEFORE=%s", ub);
        snprintf(f_ua, sizeof(f_ua), "UNUSABLE_INDEX_AFTER=%s", ua);
        snprintf(f_dur, sizeof(f_dur), "DURATION_USEC=%" PRIu64, r->duration_usec);
        snprintf(f_action, sizeof(f_action), "ACTION=%s", action_name);
        snprintf(f_dry, sizeof(f_dry), "DRY_RUN=%d", a->dry_run);
        snprintf(f_detail, sizeof(f_detail), "KNOB=%s", ra->detail);
        snprintf(f_err, sizeof(f_err), "ERRNO=%d", -r->error);
        snprintf(f_kernel, sizeof(f_kernel), "COMPACTION_RESULTS=%s", ra->kernel_results);
        if (r->error)
                fields[ELEMENTSOF(fields) - 2] = f_err;
        else if (ra->kernel_results[0])
                fields[ELEMENTSOF(fields) - 2] = f_kernel;

        if (a->dry_run)
                df_log_struct(LOG_NOTICE, fields,
                              "dry run: would %s node %d (%s order %d: %" PRIu64 " free blocks, target %" PRIu64
                              ", unusable index %s)",
                              action_name, a->node, a->zone, a->order, r->suitable_before, a->target_high_blocks, ub);
        else if (r->error)
                df_log_struct(LOG_ERR, fields, "%s node %d failed: %s: %s", action_name, a->node, ra->detail,
                              strerror(-r->error));
        else
                df_log_struct(LOG_NOTICE, fields,
                              "%s node %d: %s order %d free blocks %" PRIu64 " -> %" PRIu64 " (%+" PRId64
                              "), unusable index %s -> %s, %" PRIu64 " ms%s",
                              action_name, a->node, a->zone, a->order, r->suitable_before, r->suitable_after, gain,
                              ub, ua, r->duration_usec / USEC_PER_MSEC,
                              ra->kernel_stopped_early ? "; the kernel stopped compacting early (contended: a large "
                                                         "folio found no free target)" : "");
}

static void run_action(struct manager *m, const struct df_action *a) {
        const struct df_actuator *act = df_actuator_for(a->kind);
        struct df_actuator_ctx ctx = { .root = m->root };
        struct df_recent_action ra = { .realtime_usec = df_realtime_usec(), .action = *a };

        ra.result.kind = a->kind;
        ra.result.node = a->node;
        cell_measure(&m->snapshot, a->node, a->zone, a->order, &ra.result.suitable_before, &ra.unusable_before);
        ra.result.suitable_after = ra.result.suitable_before;
        ra.unusable_after = ra.unusable_before;

        if (!act) {
                df_log(LOG_ERR, "no lever for action kind %d (a bug)", (int) a->kind);
                return;
        }
        if (!a->dry_run) {
                act->run(&ctx, a, &ra.result, ra.detail, sizeof(ra.detail));
                if (ra.result.error == 0 && read_snapshot(m, 0, &m->after) == 0) {
                        cell_measure(&m->after, a->node, a->zone, a->order, &ra.result.suitable_after,
                                     &ra.unusable_after);
                        kernel_results(&m->snapshot.probes, &m->after.probes, &ra);
                }
                df_policy_record(&m->config, &ra.result, df_now_usec(), m->policy);
        }
        report_action(&ra, act->name);
        remember(m, &ra);
}

/* ProactivenessWhileShort=: the kernel's own proactive compaction, turned
 * up only while some watched zone is short, and always put back. */
static void apply_proactiveness(struct manager *m, bool any_short) {
        struct df_error err = { "" };
        char value[16];
        int r = 0;

        if (m->config.proactiveness_while_short < 0 || m->config.dry_run || !any_short) {
                if (df_knobs_is_changed(m->knobs, PROACTIVENESS_KNOB))
                        r = df_knobs_restore(m->knobs, PROACTIVENESS_KNOB,
                                             any_short ? "lever disabled" : "all watched zones back at high mark",
                                             &err);
        } else {
                snprintf(value, sizeof(value), "%d", m->config.proactiveness_while_short);
                r = df_knobs_set(m->knobs, PROACTIVENESS_KNOB, value, "a watched zone is short", &err);
        }
        if (r < 0 && r != -EBADMSG) /* EBADMSG: corrupt state file, said once at start */
                df_log(LOG_WARNING, "%s", err.msg);
}

static void evaluate(struct manager *m, const char *why) {
        struct df_decision *d = m->decision;

        df_probes_evaluation_started(m->probes); /* failure -> policy latency */
        if (read_snapshot(m, DF_PROCFS_ALL & ~DF_PROCFS_PAGETYPEINFO, &m->snapshot) < 0)
                return;
        df_policy_decide(&m->config, &m->snapshot, df_now_usec(), m->policy, d);
        m->evaluations++;
        m->last_evaluation_realtime_usec = df_realtime_usec();

        for (unsigned i = 0; i < d->n_crossings; i++)
                report_crossing(m, &d->crossings[i]);
        for (unsigned i = 0; i < d->n_skips; i++)
                report_skip(m, &d->skips[i]);
        for (unsigned i = 0; i < d->n_actions; i++) {
                if (d->actions[i].node >= 0 && d->actions[i].node < DF_POLICY_MAX_NODES)
                        m->last_skip[d->actions[i].node] = DF_SKIP_NONE;
                df_log(LOG_DEBUG, "evaluation (%s): acting on node %d", why, d->actions[i].node);
                run_action(m, &d->actions[i]);
        }
        apply_proactiveness(m, d->any_short);
        notify_status(m);
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

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct manager *m = userdata;

        evaluate(m, "poll");
        arm_timer(m, m->config.poll_interval_usec);
        return 0;
}

void manager_evaluate_now(struct manager *m, const char *why) {
        df_log(LOG_DEBUG, "evaluation requested now: %s", why);
        arm_timer(m, 0);
}

static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct manager *m = userdata;

        sd_notify(false, "STOPPING=1\nSTATUS=Stopping: restoring knobs");
        sd_event_exit(m->event, 0);
        return 0;
}

static void apply_config(struct manager *m, const struct df_config *c) {
        m->config = *c;
        if (m->opts.force_dry_run)
                m->config.dry_run = true;
        df_policy_reconfigure(&m->config, m->policy);
        memset(m->last_skip, 0, sizeof(m->last_skip));
}

static int load_config(struct manager *m, struct df_config *c, struct df_error *err) {
        df_config_defaults(c);
        return df_config_load(c, m->root, m->opts.config_path, err);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct manager *m = userdata;
        struct df_error err = { "" };
        struct df_config c;
        uint64_t now = df_now_usec();
        int r;

        sd_notifyf(false, "RELOADING=1\nSTATUS=Reloading configuration\nMONOTONIC_USEC=%" PRIu64, now);
        r = load_config(m, &c, &err);
        if (r < 0) {
                const char *fields[] = { "MESSAGE_ID=" DF_MID_CONFIG_REJECTED, NULL };

                df_log_struct(LOG_ERR, fields, "configuration not reloaded, keeping the running one: %s", err.msg);
        } else {
                const char *fields[] = { "MESSAGE_ID=" DF_MID_CONFIG_RELOADED, NULL };

                apply_config(m, &c);
                df_log_struct(LOG_INFO, fields, "configuration reloaded from %s", m->config_source);
                /* A lever the new config disables must not stay applied. */
                apply_proactiveness(m, false);
                arm_timer(m, 0);
        }
        sd_notify(false, "READY=1");
        notify_status(m);
        return 0;
}

/* A failure event (already rate-limited in the kernel and in probes.c)
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
        if (df_probes_open(&m->config.probes, m->snapshot.pageblock_order >= 0 ? m->snapshot.pageblock_order : 9,
                           &m->probes) < 0 || !m->probes)
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

int manager_new(const struct manager_options *o, struct manager **ret, struct df_error *err) {
        struct manager *m;
        char path[PATH_MAX + 32];
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return df_error_set(err, -ENOMEM, "out of memory");
        m->policy = calloc(1, sizeof(*m->policy));
        m->decision = calloc(1, sizeof(*m->decision));
        if (!m->policy || !m->decision) {
                manager_free(m);
                return df_error_set(err, -ENOMEM, "out of memory");
        }
        m->opts = *o;
        snprintf(m->root, sizeof(m->root), "%s", o->root && strcmp(o->root, "/") != 0 ? o->root : "");
        snprintf(m->runtime_dir, sizeof(m->runtime_dir), "%s", o->runtime_dir ? o->runtime_dir : DEFRAGD_RUNTIME_DIR);
        df_snapshot_init(&m->snapshot);
        df_snapshot_init(&m->after);
        df_policy_state_init(m->policy);
        m->started_realtime_usec = df_realtime_usec();
        m->pageblock_order = -1;

        {
                m->config = *o->config;
                if (o->force_dry_run)
                        m->config.dry_run = true;
                snprintf(m->config_source, sizeof(m->config_source), "%s",
                         o->config_path ? o->config_path : "/etc/defragd.conf and drop-ins");
        }

        if (mkdir(m->runtime_dir, 0700) < 0 && errno != EEXIST) {
                r = df_error_set(err, -errno, "%s: cannot create runtime directory: %s", m->runtime_dir,
                                 strerror(errno));
                manager_free(m);
                return r;
        }
        snprintf(path, sizeof(path), "%s/knobs.state", m->runtime_dir);
        r = df_knobs_new(path, m->root, &m->knobs);
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
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
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
        r = df_control_new(m, m->event, path, &m->control, err);
        if (r < 0) {
                manager_free(m);
                return r;
        }
        *ret = m;
        return 0;
}

int manager_run(struct manager *m) {
        const char *fields_start[] = { "MESSAGE_ID=" DF_MID_STARTED, NULL };
        const char *fields_stop[] = { "MESSAGE_ID=" DF_MID_STOPPED, NULL };
        struct df_error err = { "" };
        int r;

        /* First look before READY=1, so status is meaningful at once. */
        if (read_snapshot(m, DF_PROCFS_ALL, &m->snapshot) < 0)
                df_log(LOG_WARNING, "first snapshot failed; will retry every %" PRIu64 " s",
                       m->config.poll_interval_usec / USEC_PER_SEC);
        probes_start(m);
        df_log_struct(LOG_INFO, fields_start, "defragd " DEFRAGD_VERSION " started (config: %s%s)", m->config_source,
                      m->config.dry_run ? ", dry run" : "");
        arm_timer(m, 0);
        sd_notify(false, "READY=1\nSTATUS=Started, first evaluation pending");

        r = sd_event_loop(m->event);
        if (r < 0)
                df_log(LOG_ERR, "event loop failed: %s", strerror(-r));

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
        sd_event_source_unref(m->probes_source);
        df_probes_free(m->probes);
        sd_event_source_unref(m->timer);
        sd_event_unref(m->event);
        df_knobs_free(m->knobs);
        df_snapshot_clear(&m->snapshot);
        df_snapshot_clear(&m->after);
        free(m->policy);
        free(m->decision);
        free(m);
}

void manager_get_view(const struct manager *m, struct manager_view *v) {
        static struct df_recent_action ordered[DF_RECENT_ACTIONS];

        for (unsigned i = 0; i < m->n_recent; i++)
                ordered[i] = m->recent[(m->recent_head + DF_RECENT_ACTIONS - m->n_recent + i) % DF_RECENT_ACTIONS];
        *v = (struct manager_view) {
                .config = &m->config,
                .snapshot = &m->snapshot,
                .policy = m->policy,
                .decision = m->evaluations ? m->decision : NULL,
                .recent = ordered,
                .n_recent = m->n_recent,
                .knobs = m->knobs,
                .probes = m->probes,
                .started_realtime_usec = m->started_realtime_usec,
                .evaluations = m->evaluations,
                .last_evaluation_realtime_usec = m->last_evaluation_realtime_usec,
                .config_source = m->config_source,
        };
}
