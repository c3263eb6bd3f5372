/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `defragctl top`: a live view of the page allocator from defragd's probes,
 * loaded by defragctl itself for the session (root), independent of the daemon. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl-top.h"
#include "defragd/cgroup.h"
#include "defragd/probes.h"
#include "defragd/procfs.h"
#include "defragd/util.h"

#define TOP_DEFAULT_INTERVAL_USEC (2 * USEC_PER_SEC)
#define TOP_MIN_INTERVAL_USEC (100 * USEC_PER_MSEC) /* below this the view mostly measures itself */
#define TOP_ROWS 10

static volatile sig_atomic_t top_stop;

static void on_signal(int sig) {
        top_stop = 1;
}

/* "[8ms,16ms)" style label of a log2-microsecond slot. */
static void slot_label(int slot, char *buf, size_t size) {
        uint64_t lo = slot == 0 ? 0 : UINT64_C(1) << slot;

        if (lo >= USEC_PER_SEC)
                snprintf(buf, size, ">=%" PRIu64 "s", lo / USEC_PER_SEC);
        else if (lo >= USEC_PER_MSEC)
                snprintf(buf, size, ">=%" PRIu64 "ms", lo / USEC_PER_MSEC);
        else
                snprintf(buf, size, ">=%" PRIu64 "us", lo);
}

static void render_stalls(FILE *f, const char *name, const __u64 *now, const __u64 *before,
                          uint64_t total_ns_now, uint64_t total_ns_before) {
        uint64_t count = 0, count_all = 0;
        int first = -1, last = -1;

        for (int i = 0; i < DF_BPF_HIST_SLOTS; i++) {
                count += now[i] - before[i];
                count_all += now[i];
                if (now[i]) {
                        if (first < 0)
                                first = i;
                        last = i;
                }
        }
        fprintf(f, "  %-18s %8" PRIu64 " this interval, %10" PRIu64 " since start, avg %8.1f us\n", name, count,
                count_all, count ? (double) (total_ns_now - total_ns_before) / 1000.0 / (double) count : 0.0);
        if (first < 0)
                return;
        for (int i = first; i <= last; i++) {
                char label[24];
                int bar = 0;

                slot_label(i, label, sizeof(label));
                for (uint64_t v = now[i]; v > 0 && bar < 40; v >>= 1)
                        bar++;
                fprintf(f, "    %-8s %10" PRIu64 " %.*s\n", label, (uint64_t) now[i], bar,
                        "########################################");
        }
}

static void render(FILE *f, const struct df_probes *p, const struct df_bpf_counters *c,
                   const struct df_bpf_counters *pr, uint64_t dt_usec, bool clear) {
        const struct df_probes_status *st = df_probes_status(p);
        struct df_probes_top top[TOP_ROWS];
        size_t n_top = 0;
        uint64_t fb, fbp, fr, frp;
        char tbuf[32];
        time_t t = time(NULL);

        strftime(tbuf, sizeof(tbuf), "%H:%M:%S", localtime(&t));
        if (clear)
                fputs("\033[H\033[2J", f);
        fprintf(f, "defragctl top  %s  interval %.1f s  probes: %u attached (allocations: %s)%s%s\n\n", tbuf,
                (double) dt_usec / USEC_PER_SEC, st->n_attached, st->alloc_probe[0] ? st->alloc_probe : "none",
                st->n_missing ? ", missing: " : "", st->n_missing ? st->missing : "");

        fprintf(f, "ORDER     ALLOC/s    FAIL/s   atomic/s  reclaim/s   fails since start\n");
        for (int o = 0; o < DF_BPF_MAX_ORDERS; o++) {
                uint64_t fa = c->alloc_fail_atomic[o], fre = c->alloc_fail_reclaim[o];

                if (c->alloc[o] == 0 && fa + fre == 0)
                        continue;
                fprintf(f, "%5d %11.1f %9.1f %10.1f %10.1f   %" PRIu64 "\n", o,
                        df_probes_rate_per_sec(c->alloc[o], pr->alloc[o], dt_usec),
                        df_probes_rate_per_sec(fa + fre, pr->alloc_fail_atomic[o] + pr->alloc_fail_reclaim[o], dt_usec),
                        df_probes_rate_per_sec(fa, pr->alloc_fail_atomic[o], dt_usec),
                        df_probes_rate_per_sec(fre, pr->alloc_fail_reclaim[o], dt_usec), fa + fre);
        }

        df_probes_fallback_totals(c, &fb, &fr);
        df_probes_fallback_totals(pr, &fbp, &frp);
        fprintf(f, "\nFALLBACKS %.1f/s, fragmenting %.1f/s (since start: %" PRIu64 ", %" PRIu64 " fragmenting)\n",
                df_probes_rate_per_sec(fb, fbp, dt_usec), df_probes_rate_per_sec(fr, frp, dt_usec), fb, fr);
        for (int a = 0; a < DF_BPF_MAX_MIGRATETYPES; a++)
                for (int b = 0; b < DF_BPF_MAX_MIGRATETYPES; b++)
                        if (c->fallback[a][b])
                                fprintf(f, "  %s <- %s: %" PRIu64 " (%" PRIu64 " fragmenting)\n",
                                        df_probes_migratetype_name(p, a), df_probes_migratetype_name(p, b),
                                        (uint64_t) c->fallback[a][b], (uint64_t) c->fallback_fragmenting[a][b]);

        fprintf(f, "\nCOMPACTION runs %.1f/s (since start %" PRIu64 "), direct attempts %.1f/s; results:",
                df_probes_rate_per_sec(c->compaction_begin, pr->compaction_begin, dt_usec), (uint64_t) c->compaction_begin,
                df_probes_rate_per_sec(c->direct_compact_attempts, pr->direct_compact_attempts, dt_usec));
        for (unsigned i = 0; i < DF_BPF_COMPACT_RESULTS; i++)
                if (c->compaction_result[i])
                        fprintf(f, " %s %" PRIu64, df_compact_result_to_string(i), (uint64_t) c->compaction_result[i]);
        fprintf(f, "\n\nSTALLS (log2 histogram since start)\n");
        render_stalls(f, "direct reclaim", c->stall_hist[DF_STALL_DIRECT_RECLAIM], pr->stall_hist[DF_STALL_DIRECT_RECLAIM],
                      c->stall_total_ns[DF_STALL_DIRECT_RECLAIM], pr->stall_total_ns[DF_STALL_DIRECT_RECLAIM]);
        render_stalls(f, "direct compaction", c->stall_hist[DF_STALL_DIRECT_COMPACT], pr->stall_hist[DF_STALL_DIRECT_COMPACT],
                      c->stall_total_ns[DF_STALL_DIRECT_COMPACT], pr->stall_total_ns[DF_STALL_DIRECT_COMPACT]);
        render_stalls(f, "compaction run", c->stall_hist[DF_STALL_COMPACTION_RUN], pr->stall_hist[DF_STALL_COMPACTION_RUN],
                      c->stall_total_ns[DF_STALL_COMPACTION_RUN], pr->stall_total_ns[DF_STALL_COMPACTION_RUN]);

        fprintf(f, "\nTOP FRAGMENTERS (since start)\n  FRAGMENTING  FALLBACKS  COMMAND          CGROUP\n");
        if (df_probes_read_top(p, top, TOP_ROWS, &n_top) == 0)
                for (size_t i = 0; i < n_top; i++) {
                        char cg[256];

                        (void) df_cgroup_path_by_id(top[i].cgroup_id, cg, sizeof(cg)); /* "" when gone: "?" */
                        fprintf(f, "  %11" PRIu64 " %10" PRIu64 "  %-16s %s\n", top[i].fragmenting, top[i].fallbacks,
                                top[i].comm, cg[0] ? cg : "?");
                }
        fflush(f);
}

/* The probes, labelled with this kernel's page block order and migratetype
 * names (pagetypeinfo, read once: it walks every free list under the zone lock). */
static int open_probes(const struct df_probes_conf *conf, struct df_probes **ret) {
        struct df_snapshot layout;
        struct df_error err = { "" };
        int r;

        df_snapshot_init(&layout);
        if (df_read_pagetypeinfo("", &layout, &err) < 0)
                fprintf(stderr, "defragctl top: %s; assuming page block order 9, ignoring\n", err.msg);
        r = df_probes_open(conf, &layout, ret);
        df_snapshot_clear(&layout);
        return r;
}

static void usage(FILE *f) {
        fputs("usage: defragctl top [--interval SEC] [--iterations N] [--json]\n"
              "  Loads defragd's page-allocator probes for this session (needs root) and\n"
              "  shows per-order allocation/failure rates, fallbacks, stalls and the top\n"
              "  fragmenting cgroups/commands, refreshed every interval (default 2s).\n"
              "  --iterations N   stop after N refreshes (default: until Ctrl-C)\n"
              "  --json           print one JSON object per refresh instead\n", f);
}

int df_ctl_top(int argc, char **argv) {
        static const struct option opts[] = {
                { "interval",   required_argument, NULL, 'i' },
                { "iterations", required_argument, NULL, 'n' },
                { "json",       no_argument,       NULL, 'j' },
                { "help",       no_argument,       NULL, 'h' },
                { NULL, 0, NULL, 0 }
        };
        struct df_probes_conf conf = {
                .enabled = true,
                .trigger_min_order = 3,
                .trigger_min_interval_usec = USEC_PER_SEC,
                .report_stall_usec = 100 * USEC_PER_MSEC,
        };
        uint64_t interval_usec = TOP_DEFAULT_INTERVAL_USEC, iterations = 0, prev_usec;
        struct df_bpf_counters cur, prev;
        struct df_probes *p = NULL;
        bool json = false, clear = isatty(STDOUT_FILENO);
        int c, r, ret = EXIT_SUCCESS;

        optind = 0;
        while ((c = getopt_long(argc, argv, "i:n:jh", opts, NULL)) >= 0)
                switch (c) {
                case 'i':
                        if (df_parse_duration_usec(optarg, &interval_usec) < 0 || interval_usec < TOP_MIN_INTERVAL_USEC) {
                                fprintf(stderr, "defragctl top: --interval=%s: expected a duration of at least 100ms (\"2\", \"500ms\")\n", optarg);
                                return EXIT_FAILURE;
                        }
                        break;
                case 'n':
                        if (df_parse_u64(optarg, &iterations) < 0 || iterations == 0) {
                                fprintf(stderr, "defragctl top: --iterations=%s: expected a positive integer\n", optarg);
                                return EXIT_FAILURE;
                        }
                        break;
                case 'j':
                        json = true;
                        clear = false;
                        break;
                case 'h':
                        usage(stdout);
                        return EXIT_SUCCESS;
                default:
                        usage(stderr);
                        return EXIT_FAILURE;
                }

        r = open_probes(&conf, &p);
        if (r < 0) {
                fprintf(stderr, "defragctl top: %s\n", strerror(-r));
                return EXIT_FAILURE;
        }
        if (!df_probes_status(p)->loaded) {
                fprintf(stderr, "defragctl top: probes not loaded: %s\n", df_probes_status(p)->reason);
                df_probes_free(p);
                return EXIT_FAILURE;
        }

        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        df_probes_set_reports(p, false); /* journal reports are the daemon's job */
        if (json) {
                struct df_snapshot s = { .taken_usec = df_now_usec() };

                (void) df_probes_collect(p, &s, NULL);
        }
        (void) df_probes_read_counters(p, &prev);
        prev_usec = df_now_usec();
        for (uint64_t n = 0; !top_stop && (iterations == 0 || n < iterations); n++) {
                struct df_snapshot s = { 0 };
                uint64_t now_usec;

                (void) poll(NULL, 0, (int) (interval_usec / USEC_PER_MSEC));
                if (top_stop)
                        break;
                now_usec = df_now_usec();
                if (json) {
                        s.taken_usec = now_usec;
                        (void) df_probes_collect(p, &s, NULL);
                        df_probes_dump_json(p, stdout);
                        fputc('\n', stdout);
                        fflush(stdout);
                        continue;
                }
                r = df_probes_read_counters(p, &cur);
                if (r < 0) {
                        fprintf(stderr, "defragctl top: reading the counters: %s\n", strerror(-r));
                        ret = EXIT_FAILURE;
                        break;
                }
                render(stdout, p, &cur, &prev, now_usec - prev_usec, clear);
                prev = cur;
                prev_usec = now_usec;
        }
        df_probes_free(p);
        return ret;
}
