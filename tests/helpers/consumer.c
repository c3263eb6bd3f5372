/* SPDX-License-Identifier: GPL-2.0-or-later */
/* consumer: the service that needs huge pages now and then (issue 11). Every
 * interval it maps a MADV_HUGEPAGE region, times the first-touch fault of each
 * 2 MiB, notes which got a THP, unmaps it, and writes one JSON line per round. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "helper-util.h"
#include "taskstats.h"

#define PAGE_BYTES 4096UL
#define HUGE_BYTES (2UL << 20)
#define HUGE_PAGES (HUGE_BYTES / PAGE_BYTES)
/* The shared machine's per-test memory cap (see fragmenter.c). */
#define SIZE_MAX_BYTES (4ULL << 30)
#define NSEC_PER_SEC HELPER_NSEC_PER_SEC
#define NSEC_PER_USEC UINT64_C(1000)

struct options {
        uint64_t size_bytes;
        uint64_t interval_ns;
        uint64_t duration_ns;    /* 0: until SIGTERM/SIGINT */
        uint64_t rounds;         /* 0: unlimited */
        uint64_t hold_ns;        /* keep the region mapped this long before unmapping */
        const char *out_path;    /* NULL: stdout */
};

static const char *const USAGE =
        "usage: consumer [--size BYTES] [--interval SEC] [--duration SEC] [--rounds N]\n"
        "                [--hold SEC] [--out FILE]\n"
        "  --size BYTES     region mapped each round (MADV_HUGEPAGE; multiple of 2M, at most 4G; default 256M)\n"
        "  --interval SEC   start a round every SEC seconds (default 5; fractions allowed)\n"
        "  --duration SEC   stop after SEC seconds (no new round starts later; default 0 = until SIGTERM)\n"
        "  --rounds N       stop after N rounds (default 0 = unlimited)\n"
        "  --hold SEC       keep each region mapped this long before unmapping (default 0)\n"
        "  --out FILE       JSON lines to FILE instead of stdout\n"
        "Lines: {\"type\":\"start\",...}, one {\"type\":\"round\",...} per round, {\"type\":\"summary\",...} last.\n"
        "Per 2 MiB: wall time of the first write (lat_ns) and this thread's CPU time in it (cpu_ns).\n"
        "Stall counters come from the kernel's delay accounting (kernel.task_delayacct=1).\n";

static void parse_options(int argc, char **argv, struct options *o) {
        enum { OPT_SIZE = 256, OPT_INTERVAL, OPT_DURATION, OPT_ROUNDS, OPT_HOLD, OPT_OUT, OPT_HELP };
        static const struct option longopts[] = {
                { "size",     required_argument, NULL, OPT_SIZE },
                { "interval", required_argument, NULL, OPT_INTERVAL },
                { "duration", required_argument, NULL, OPT_DURATION },
                { "rounds",   required_argument, NULL, OPT_ROUNDS },
                { "hold",     required_argument, NULL, OPT_HOLD },
                { "out",      required_argument, NULL, OPT_OUT },
                { "help",     no_argument,       NULL, OPT_HELP },
                { NULL, 0, NULL, 0 }
        };
        uint64_t v;
        int c;

        assert(o);
        *o = (struct options) {
                .size_bytes = 256ULL << 20,
                .interval_ns = 5 * NSEC_PER_SEC,
        };
        opterr = 0;
        while ((c = getopt_long(argc, argv, "", longopts, NULL)) >= 0) {
                switch (c) {
                case OPT_SIZE:
                        if (helper_parse_bytes(optarg, &v) < 0 || v < HUGE_BYTES || v > SIZE_MAX_BYTES || v % HUGE_BYTES)
                                helper_die_usage("--size", optarg, "2M..4G, a multiple of 2M, optional suffix K, M or G");
                        o->size_bytes = v;
                        break;
                case OPT_INTERVAL:
                        if (helper_parse_sec(optarg, &v) < 0 || v < NSEC_PER_SEC / 100)
                                helper_die_usage("--interval", optarg, "0.01..86400 seconds");
                        o->interval_ns = v;
                        break;
                case OPT_DURATION:
                        if (helper_parse_sec(optarg, &v) < 0)
                                helper_die_usage("--duration", optarg, "0..86400 seconds (0 = until SIGTERM)");
                        o->duration_ns = v;
                        break;
                case OPT_ROUNDS:
                        if (helper_parse_u64(optarg, 10000000, &v) < 0)
                                helper_die_usage("--rounds", optarg, "0..10000000 (0 = unlimited)");
                        o->rounds = v;
                        break;
                case OPT_HOLD:
                        if (helper_parse_sec(optarg, &v) < 0)
                                helper_die_usage("--hold", optarg, "0..86400 seconds");
                        o->hold_ns = v;
                        break;
                case OPT_OUT:
                        if (!*optarg)
                                helper_die_usage("--out", optarg, "a file path");
                        o->out_path = optarg;
                        break;
                case OPT_HELP:
                        fputs(USAGE, stdout);
                        exit(0);
                default:
                        helper_die_unknown_option(argv[optind - 1], "--size --interval --duration --rounds --hold --out --help");
                }
        }
        if (optind < argc)
                helper_die_operand(argv[optind], false);
}

/* This thread's CPU time: a fault's wall time minus this is time spent
 * waiting (for a CPU on a busy machine, or asleep in reclaim/compaction). */
static uint64_t thread_cpu_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (uint64_t) ts.tv_sec * NSEC_PER_SEC + (uint64_t) ts.tv_nsec;
}

/* Sleeps until `deadline_ns` (CLOCK_MONOTONIC) or a stop signal; true if stopped. */
static bool wait_until(uint64_t deadline_ns) {
        for (;;) {
                uint64_t now = helper_now_ns();
                struct timespec ts;

                if (helper_stop_pending())
                        return true;
                if (now >= deadline_ns)
                        return false;
                ts.tv_sec = (time_t) ((deadline_ns - now) / NSEC_PER_SEC);
                ts.tv_nsec = (long) ((deadline_ns - now) % NSEC_PER_SEC);
                if (sigtimedwait(&helper_stop_signals, NULL, &ts) > 0)
                        return true;
        }
}

/* How THP backing is read: per 2 MiB through helper_thp_reader (root),
 * else the mapping's AnonHugePages from /proc/self/smaps (count only). */

/* AnonHugePages (bytes) of the mapping starting at `start`, or -1. */
static int64_t mapping_huge_bytes(const uint8_t *start) {
        FILE *f = fopen("/proc/self/smaps", "re");
        char line[512];
        bool in = false;
        uint64_t kib;

        assert(start);
        if (!f)
                return -1;
        while (fgets(line, sizeof line, f)) {
                uintptr_t lo, hi;
                char *dash = strchr(line, '-'), *space = strchr(line, ' ');

                if (dash && space && dash < space && sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &lo, &hi) == 2) {
                        in = lo == (uintptr_t) start;
                        continue;
                }
                if (in && sscanf(line, "AnonHugePages: %" SCNu64, &kib) == 1) {
                        fclose(f);
                        return (int64_t) (kib * 1024);
                }
        }
        fclose(f);
        return -1;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted `v[0..n)`; 0 when empty. */
static uint64_t percentile(const uint64_t *v, size_t n, unsigned pct) {
        size_t rank;

        assert(v || n == 0);
        if (n == 0)
                return 0;
        rank = (n * pct + 99) / 100;
        return v[rank ? rank - 1 : 0];
}

struct stats {
        uint64_t *lat_ns;       /* every first-touch latency so far */
        uint64_t *cpu_ns;       /* the CPU time of each (same order until sorted) */
        size_t n_lat, cap_lat;
        uint64_t regions, huge, huge_unknown, rounds, late_rounds;
        struct task_delays delays; /* summed per-round deltas */
};

static int stats_add(struct stats *s, uint64_t ns, uint64_t cpu_ns) {
        assert(s);
        if (s->n_lat == s->cap_lat) {
                size_t cap = s->cap_lat ? s->cap_lat * 2 : 4096;
                uint64_t *p = realloc(s->lat_ns, cap * sizeof *p), *q;

                if (!p)
                        return -ENOMEM;
                s->lat_ns = p;
                q = realloc(s->cpu_ns, cap * sizeof *q);
                if (!q)
                        return -ENOMEM;
                s->cpu_ns = q;
                s->cap_lat = cap;
        }
        s->lat_ns[s->n_lat] = ns;
        s->cpu_ns[s->n_lat++] = cpu_ns;
        return 0;
}

/* "<prefix>p50_usec":...,"<prefix>p99_usec":...,"<prefix>max_usec":... */
static void put_percentiles(FILE *out, const char *prefix, uint64_t *sorted, size_t n) {
        assert(out);
        assert(prefix);
        fprintf(out, "\"%sp50_usec\":%.1f,\"%sp99_usec\":%.1f,\"%smax_usec\":%.1f",
                prefix, (double) percentile(sorted, n, 50) / NSEC_PER_USEC, prefix, (double) percentile(sorted, n, 99) / NSEC_PER_USEC,
                prefix, n ? (double) sorted[n - 1] / NSEC_PER_USEC : 0.0);
}

static void put_delays(FILE *out, const struct task_delays *d, bool known) {
        assert(out);
        assert(d);
        if (!known) {
                fputs("\"compact_count\":null,\"compact_delay_usec\":null,\"reclaim_count\":null,\"reclaim_delay_usec\":null", out);
                return;
        }
        fprintf(out, "\"compact_count\":%" PRIu64 ",\"compact_delay_usec\":%" PRIu64 ",\"reclaim_count\":%" PRIu64 ",\"reclaim_delay_usec\":%" PRIu64,
                d->compact_count, d->compact_delay_ns / NSEC_PER_USEC, d->reclaim_count, d->reclaim_delay_ns / NSEC_PER_USEC);
}

struct consumer {
        struct options o;
        FILE *out;
        struct helper_thp_reader hr;
        struct taskstats_conn ts;
        bool have_taskstats;
        pid_t tid;
        uint64_t t0_ns;
        struct stats s;
        uint64_t *round_lat;    /* per round, sorted copy for percentiles */
        uint64_t *round_cpu;
        char *huge_map;         /* per round: '1' THP, '0' not, '?' unknown */
};

/* One round: map, first-touch each 2 MiB (timed), touch the rest, read THP
 * backing, unmap, print. Returns 0 or -errno. */
static int run_round(struct consumer *c, uint64_t round, uint64_t late_ns) {
        uint64_t n = c->o.size_bytes / HUGE_BYTES, huge = 0, unknown = 0, t_start = helper_now_ns(), t_touched;
        struct task_delays d0 = { 0 }, d1 = { 0 }, dd = { 0 };
        bool delays_ok;
        uint8_t *p;

        assert(c);
        delays_ok = c->have_taskstats && taskstats_get(&c->ts, c->tid, &d0) == 0;
        p = helper_map_aligned(c->o.size_bytes, HUGE_BYTES);
        if (!p)
                return -errno;
        if (madvise(p, c->o.size_bytes, MADV_HUGEPAGE) < 0) {
                int r = -errno;

                fprintf(stderr, "consumer: madvise(MADV_HUGEPAGE): %s (THP not built in?)\n", strerror(errno));
                munmap(p, c->o.size_bytes);
                return r;
        }
        for (uint64_t i = 0; i < n; i++) {
                uint8_t *region = p + i * HUGE_BYTES;
                uint64_t ca = thread_cpu_ns(), a = helper_now_ns(), b, cb;

                /* the first write of a 2 MiB region is the fault that gets (or
                 * does not get) a huge page: what the service feels */
                *(volatile uint8_t *) region = 1;
                b = helper_now_ns();
                cb = thread_cpu_ns();
                c->round_lat[i] = b - a;
                c->round_cpu[i] = cb - ca;
                /* the other 511 pages: fault them too when no THP came, so
                 * the footprint is the same whatever the kernel gave */
                for (uint64_t off = PAGE_BYTES; off < HUGE_BYTES; off += PAGE_BYTES)
                        *(volatile uint8_t *) (region + off) = 1;
        }
        t_touched = helper_now_ns();
        for (uint64_t i = 0; i < n; i++) {
                int h = helper_thp_reader_is_thp(&c->hr, p + i * HUGE_BYTES);

                c->huge_map[i] = h < 0 ? '?' : h ? '1' : '0';
                huge += h == 1;
                unknown += h < 0;
        }
        if (unknown == n) {
                /* no per-region view (not root): the mapping's total */
                int64_t bytes = mapping_huge_bytes(p);

                if (bytes >= 0) {
                        huge = (uint64_t) bytes / HUGE_BYTES;
                        unknown = 0;
                }
        }
        if (c->o.hold_ns)
                (void) wait_until(helper_now_ns() + c->o.hold_ns);
        munmap(p, c->o.size_bytes);
        if (delays_ok && taskstats_get(&c->ts, c->tid, &d1) == 0) {
                dd = (struct task_delays) {
                        .reclaim_count = d1.reclaim_count - d0.reclaim_count,
                        .reclaim_delay_ns = d1.reclaim_delay_ns - d0.reclaim_delay_ns,
                        .compact_count = d1.compact_count - d0.compact_count,
                        .compact_delay_ns = d1.compact_delay_ns - d0.compact_delay_ns,
                };
                c->s.delays.reclaim_count += dd.reclaim_count;
                c->s.delays.reclaim_delay_ns += dd.reclaim_delay_ns;
                c->s.delays.compact_count += dd.compact_count;
                c->s.delays.compact_delay_ns += dd.compact_delay_ns;
        } else
                delays_ok = false;

        fprintf(c->out, "{\"type\":\"round\",\"round\":%" PRIu64 ",\"t_sec\":%.3f,\"late_usec\":%" PRIu64 ",\"regions\":%" PRIu64
                ",\"huge\":%" PRIu64 ",\"huge_unknown\":%" PRIu64 ",\"fault_in_usec\":%" PRIu64 ",",
                round, (double) (t_start - c->t0_ns) / NSEC_PER_SEC, late_ns / NSEC_PER_USEC, n, huge, unknown,
                (t_touched - t_start) / NSEC_PER_USEC);
        put_delays(c->out, &dd, delays_ok);
        fputs(",\"lat_ns\":[", c->out);
        for (uint64_t i = 0; i < n; i++) {
                fprintf(c->out, "%s%" PRIu64, i ? "," : "", c->round_lat[i]);
                if (stats_add(&c->s, c->round_lat[i], c->round_cpu[i]) < 0)
                        return -ENOMEM;
        }
        fputs("],\"cpu_ns\":[", c->out);
        for (uint64_t i = 0; i < n; i++)
                fprintf(c->out, "%s%" PRIu64, i ? "," : "", c->round_cpu[i]);
        fprintf(c->out, "],\"huge_map\":\"%.*s\",", (int) n, c->huge_map);
        qsort(c->round_lat, n, sizeof *c->round_lat, cmp_u64);
        qsort(c->round_cpu, n, sizeof *c->round_cpu, cmp_u64);
        put_percentiles(c->out, "", c->round_lat, n);
        fputc(',', c->out);
        put_percentiles(c->out, "cpu_", c->round_cpu, n);
        fputs("}\n", c->out);
        fflush(c->out);
        c->s.regions += n;
        c->s.huge += huge;
        c->s.huge_unknown += unknown;
        c->s.rounds++;
        c->s.late_rounds += late_ns > 0;
        return 0;
}

static void print_summary(struct consumer *c, const char *stopped_by) {
        uint64_t known;

        assert(c);
        assert(stopped_by);
        qsort(c->s.lat_ns, c->s.n_lat, sizeof *c->s.lat_ns, cmp_u64);
        qsort(c->s.cpu_ns, c->s.n_lat, sizeof *c->s.cpu_ns, cmp_u64);
        known = c->s.regions - c->s.huge_unknown;
        fprintf(c->out, "{\"type\":\"summary\",\"pid\":%d,\"stopped_by\":\"%s\",\"elapsed_sec\":%.3f,\"rounds\":%" PRIu64
                ",\"late_rounds\":%" PRIu64 ",\"regions\":%" PRIu64 ",\"huge\":%" PRIu64 ",\"huge_unknown\":%" PRIu64 ",",
                (int) getpid(), stopped_by, (double) (helper_now_ns() - c->t0_ns) / NSEC_PER_SEC, c->s.rounds, c->s.late_rounds,
                c->s.regions, c->s.huge, c->s.huge_unknown);
        if (known)
                fprintf(c->out, "\"thp_share\":%.4f,", (double) c->s.huge / (double) known);
        else
                fputs("\"thp_share\":null,", c->out);
        put_percentiles(c->out, "", c->s.lat_ns, c->s.n_lat);
        fputc(',', c->out);
        put_percentiles(c->out, "cpu_", c->s.cpu_ns, c->s.n_lat);
        fputc(',', c->out);
        put_delays(c->out, &c->s.delays, c->have_taskstats);
        fputs("}\n", c->out);
        fflush(c->out);
}

int main(int argc, char **argv) {
        struct consumer c = { .ts = { .fd = -1 }, .hr = { .pagemap_fd = -1, .kpageflags_fd = -1 } };
        const char *stopped_by = "signal";
        int delayacct, r, ret = 1;

        helper_init("consumer", USAGE);
        parse_options(argc, argv, &c.o);
        /* Stop requests are polled between rounds, so the summary is always written. */
        helper_block_stop_signals();

        c.out = c.o.out_path ? fopen(c.o.out_path, "we") : stdout;
        if (!c.out) {
                fprintf(stderr, "consumer: --out '%s': %s; accepted: a writable file path\n", c.o.out_path, strerror(errno));
                return 2;
        }
        c.round_lat = calloc(c.o.size_bytes / HUGE_BYTES, sizeof *c.round_lat);
        c.round_cpu = calloc(c.o.size_bytes / HUGE_BYTES, sizeof *c.round_cpu);
        c.huge_map = calloc(c.o.size_bytes / HUGE_BYTES + 1, 1);
        if (!c.round_lat || !c.round_cpu || !c.huge_map) {
                fprintf(stderr, "consumer: out of memory\n");
                goto out;
        }
        helper_thp_reader_open(&c.hr);
        c.tid = gettid();
        r = taskstats_open(&c.ts);
        c.have_taskstats = r == 0;
        if (r < 0)
                fprintf(stderr, "consumer: taskstats unavailable (%s): stall counters will be null, continuing\n", strerror(-r));
        delayacct = taskstats_delayacct_enabled();
        if (c.have_taskstats && delayacct != 1)
                fprintf(stderr, "consumer: kernel.task_delayacct is %d: stall counters stay 0 unless it is 1, continuing\n", delayacct);
        /* The pid the probes would attribute stalls to: the harness reads it here. */
        fprintf(stderr, "consumer: pid %d\n", (int) getpid());
        c.t0_ns = helper_now_ns();
        fprintf(c.out, "{\"type\":\"start\",\"pid\":%d,\"size_bytes\":%" PRIu64 ",\"interval_sec\":%.3f,\"duration_sec\":%.3f,"
                "\"huge_method\":\"%s\",\"taskstats\":%s,\"task_delayacct\":%d}\n",
                (int) getpid(), c.o.size_bytes, (double) c.o.interval_ns / NSEC_PER_SEC, (double) c.o.duration_ns / NSEC_PER_SEC,
                c.hr.per_page ? "kpageflags" : "smaps", c.have_taskstats ? "true" : "false", delayacct);
        fflush(c.out);

        for (uint64_t round = 0;; round++) {
                uint64_t due = c.t0_ns + round * c.o.interval_ns, now;

                if (c.o.rounds && round >= c.o.rounds) {
                        stopped_by = "rounds";
                        break;
                }
                if (c.o.duration_ns && (due - c.t0_ns >= c.o.duration_ns || helper_now_ns() - c.t0_ns >= c.o.duration_ns)) {
                        stopped_by = "duration";
                        break;
                }
                if (wait_until(due))
                        break;
                now = helper_now_ns();
                r = run_round(&c, round, now > due + NSEC_PER_SEC / 100 ? now - due : 0);
                if (r < 0) {
                        fprintf(stderr, "consumer: round %" PRIu64 ": %s\n", round, strerror(-r));
                        print_summary(&c, "error");
                        goto out;
                }
                if (helper_stop_pending())
                        break;
        }
        print_summary(&c, stopped_by);
        ret = 0;
out:
        helper_thp_reader_close(&c.hr);
        if (c.have_taskstats)
                taskstats_close(&c.ts);
        free(c.s.lat_ns);
        free(c.s.cpu_ns);
        free(c.round_lat);
        free(c.round_cpu);
        free(c.huge_map);
        if (c.out && c.out != stdout)
                fclose(c.out);
        return ret;
}
