/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the workload helpers share: option values, the usage error, a seeded
 * random sequence, stop signals, the monotonic clock (helper-util.h). */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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
