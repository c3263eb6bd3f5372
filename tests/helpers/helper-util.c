/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the workload helpers share: option values, the usage error, a seeded
 * random sequence, stop signals, the monotonic clock, aligned mappings, pipe
 * buffers, holding until told to stop (helper-util.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "helper-util.h"

static const char *program_name = "helper", *usage_text = "";
static uint64_t rng_state;
sigset_t helper_stop_signals;

void helper_init(const char *program, const char *usage) {
        assert(program);
        assert(usage);
        program_name = program;
        usage_text = usage;
}

_Noreturn void helper_die_usage(const char *flag, const char *value, const char *accepted) {
        fprintf(stderr, "%s: %s '%s' is invalid; accepted: %s\n", program_name, flag, value, accepted);
        fputs(usage_text, stderr);
        exit(2);
}

_Noreturn void helper_die_unknown_option(const char *arg, const char *accepted) {
        fprintf(stderr, "%s: unknown option or missing value: '%s'; accepted: %s\n", program_name, arg, accepted);
        fputs(usage_text, stderr);
        exit(2);
}

_Noreturn void helper_die_operand(const char *arg, bool with_usage) {
        fprintf(stderr, "%s: unexpected argument '%s'; accepted: options only\n", program_name, arg);
        if (with_usage)
                fputs(usage_text, stderr);
        exit(2);
}

int helper_parse_u64(const char *s, uint64_t max, uint64_t *ret) {
        char *end;
        unsigned long long v;

        assert(ret);
        if (!s || !*s || *s == '-' || *s == '+')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || *end || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

int helper_parse_bytes(const char *s, uint64_t *ret) {
        char *end;
        unsigned long long v;
        uint64_t mult = 1;

        assert(ret);
        if (!s || !*s || *s == '-' || *s == '+')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || end == s)
                return -EINVAL;
        switch (*end) {
        case '\0': break;
        case 'k': case 'K': mult = UINT64_C(1) << 10; end++; break;
        case 'm': case 'M': mult = UINT64_C(1) << 20; end++; break;
        case 'g': case 'G': mult = UINT64_C(1) << 30; end++; break;
        default: return -EINVAL;
        }
        if (*end)
                return -EINVAL;
        if (v > UINT64_MAX / mult)
                return -ERANGE;
        *ret = v * mult;
        return 0;
}

int helper_parse_sec(const char *s, uint64_t *ret_ns) {
        char *end;
        double v;

        assert(ret_ns);
        if (!s || !*s || *s == '-' || *s == '+')
                return -EINVAL;
        errno = 0;
        v = strtod(s, &end);
        if (errno || *end || !isfinite(v) || v < 0 || v > 86400)
                return -EINVAL;
        *ret_ns = (uint64_t) (v * (double) HELPER_NSEC_PER_SEC);
        return 0;
}

void helper_rng_seed(uint64_t seed) {
        rng_state = seed;
}

uint64_t helper_rng_next(void) {
        uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        return z ^ (z >> 31);
}

uint64_t helper_rng_below(uint64_t n) {
        assert(n > 0);
        return helper_rng_next() % n;
}

void helper_block_stop_signals(void) {
        sigemptyset(&helper_stop_signals);
        sigaddset(&helper_stop_signals, SIGTERM);
        sigaddset(&helper_stop_signals, SIGINT);
        sigprocmask(SIG_BLOCK, &helper_stop_signals, NULL);
}

bool helper_stop_pending(void) {
        sigset_t pending;

        return sigpending(&pending) == 0 && (sigismember(&pending, SIGTERM) || sigismember(&pending, SIGINT));
}

uint64_t helper_now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * HELPER_NSEC_PER_SEC + (uint64_t) ts.tv_nsec;
}

void *helper_map_aligned(uint64_t bytes, uint64_t align) {
        uint64_t len = bytes + align;
        uint8_t *p, *aligned;

        assert(align > 0 && (align & (align - 1)) == 0);
        p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED)
                return NULL;
        aligned = (uint8_t *) (((uintptr_t) p + align - 1) & ~(uintptr_t) (align - 1));
        if (aligned > p)
                munmap(p, (size_t) (aligned - p));
        if (aligned + bytes < p + len)
                munmap(aligned + bytes, (size_t) (p + len - (aligned + bytes)));
        return aligned;
}

/* Descriptors kept free of pipes: the machine caps them at 20,000. */
#define PIPES_FD_RESERVE 64

int helper_pipes_open(const char *flag, uint64_t pages, int (**ret_pipes)[2], uint64_t *ret_n) {
        struct rlimit rl;
        uint64_t budget, n = (pages + HELPER_PIPE_PAGES - 1) / HELPER_PIPE_PAGES;
        int (*pipes)[2];

        assert(flag);
        assert(ret_pipes);
        assert(ret_n);
        *ret_pipes = NULL;
        *ret_n = 0;
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return -errno;
        budget = rl.rlim_cur > PIPES_FD_RESERVE ? rl.rlim_cur - PIPES_FD_RESERVE : 0;
        if (n * 2 > budget) {
                fprintf(stderr, "%s: %s %" PRIu64 " needs %" PRIu64 " pipes (%" PRIu64 " descriptors) but RLIMIT_NOFILE is %llu; accepted: at most %" PRIu64 " pages\n",
                        program_name, flag, pages, n, n * 2, (unsigned long long) rl.rlim_cur, budget / 2 * HELPER_PIPE_PAGES);
                return -EMFILE;
        }
        pipes = calloc(n ? n : 1, sizeof *pipes);
        if (!pipes)
                return -ENOMEM;
        *ret_pipes = pipes;
        for (uint64_t i = 0; i < n; i++) {
                int r;

                if (pipe2(pipes[i], O_CLOEXEC | O_NONBLOCK) < 0) {
                        r = -errno;
                        fprintf(stderr, "%s: pipe2() #%" PRIu64 " failed: %s\n", program_name, i, strerror(-r));
                        return r;
                }
                *ret_n = i + 1;
                if (fcntl(pipes[i][1], F_SETPIPE_SZ, (int) HELPER_PIPE_BYTES) < 0) {
                        r = -errno;
                        fprintf(stderr, "%s: F_SETPIPE_SZ %lu on pipe #%" PRIu64 " failed: %s (fs.pipe-max-size, pipe-user-pages-*)\n",
                                program_name, HELPER_PIPE_BYTES, i, strerror(-r));
                        return r;
                }
        }
        return 0;
}

static uint64_t now_msec(void) {
        return helper_now_ns() / (HELPER_NSEC_PER_SEC / 1000);
}

bool helper_stdin_watched(void) {
        struct stat st;

        return fstat(STDIN_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || isatty(STDIN_FILENO));
}

#define HELPER_PAGE_BYTES 4096UL
#define KPF_THP_BIT 22            /* include/uapi/linux/kernel-page-flags.h */
#define PM_PRESENT (1ULL << 63)   /* Documentation/admin-guide/mm/pagemap.rst */
#define PM_PFN_MASK ((1ULL << 55) - 1)

void helper_thp_reader_open(struct helper_thp_reader *h) {
        assert(h);
        h->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
        h->kpageflags_fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
        h->per_page = h->pagemap_fd >= 0 && h->kpageflags_fd >= 0;
}

void helper_thp_reader_close(struct helper_thp_reader *h) {
        assert(h);
        if (h->pagemap_fd >= 0)
                close(h->pagemap_fd);
        if (h->kpageflags_fd >= 0)
                close(h->kpageflags_fd);
        h->pagemap_fd = h->kpageflags_fd = -1;
        h->per_page = false;
}

int helper_thp_reader_is_thp(const struct helper_thp_reader *h, const void *addr) {
        uint64_t pm, flags;

        assert(h);
        assert(addr);
        if (!h->per_page)
                return -1;
        if (pread(h->pagemap_fd, &pm, sizeof pm, (off_t) ((uintptr_t) addr / HELPER_PAGE_BYTES * sizeof pm)) != sizeof pm)
                return -1;
        if (!(pm & PM_PRESENT) || (pm & PM_PFN_MASK) == 0)
                return -1;
        if (pread(h->kpageflags_fd, &flags, sizeof flags, (off_t) ((pm & PM_PFN_MASK) * sizeof flags)) != sizeof flags)
                return -1;
        return (int) ((flags >> KPF_THP_BIT) & 1);
}

int helper_hold(uint64_t tick_msec, void (*tick)(void *data), void (*on_input)(void *data), void *data) {
        bool watch_stdin = helper_stdin_watched();
        int sfd = signalfd(-1, &helper_stop_signals, SFD_CLOEXEC);
        uint64_t next_tick = now_msec();

        assert(!tick || tick_msec > 0);
        if (sfd < 0) {
                int r = -errno;

                fprintf(stderr, "%s: signalfd: %s, not holding\n", program_name, strerror(-r));
                return r;
        }
        for (;;) {
                struct pollfd pfd[2] = {
                        { .fd = sfd, .events = POLLIN },
                        { .fd = watch_stdin ? STDIN_FILENO : -1, .events = POLLIN },
                };
                int timeout = -1;

                if (tick) {
                        uint64_t now = now_msec();

                        timeout = next_tick > now ? (int) (next_tick - now) : 0;
                }
                if (poll(pfd, 2, timeout) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (pfd[0].revents)
                        break;
                if (pfd[1].revents) {
                        char c[256];
                        ssize_t n = read(STDIN_FILENO, c, sizeof c);

                        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
                                break;
                        if (n > 0 && on_input)
                                on_input(data);
                }
                if (tick && now_msec() >= next_tick) {
                        tick(data);
                        next_tick += tick_msec;
                }
        }
        close(sfd);
        return 0;
}
