/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A tiny TAP test harness for the config and policy unit tests: each
 * TEST() function is one TAP line; CHECK* macros print what differed. */
#pragma once

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static unsigned tp_failed_checks, tp_tests, tp_failed_tests;

#define CHECK(cond)                                                                             \
        do {                                                                                    \
                if (!(cond)) {                                                                  \
                        tp_failed_checks++;                                                     \
                        printf("#   %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);     \
                }                                                                               \
        } while (0)

#define CHECK_U64(a, b)                                                                         \
        do {                                                                                    \
                uint64_t _a = (uint64_t) (a), _b = (uint64_t) (b);                              \
                if (_a != _b) {                                                                 \
                        tp_failed_checks++;                                                     \
                        printf("#   %s:%d: %s == %" PRIu64 ", expected %s == %" PRIu64 "\n",    \
                               __FILE__, __LINE__, #a, _a, #b, _b);                             \
                }                                                                               \
        } while (0)

#define CHECK_INT(a, b)                                                                         \
        do {                                                                                    \
                long long _a = (long long) (a), _b = (long long) (b);                           \
                if (_a != _b) {                                                                 \
                        tp_failed_checks++;                                                     \
                        printf("#   %s:%d: %s == %lld, expected %s == %lld\n",                  \
                               __FILE__, __LINE__, #a, _a, #b, _b);                             \
                }                                                                               \
        } while (0)

#define CHECK_STR(a, b)                                                                         \
        do {                                                                                    \
                const char *_a = (a), *_b = (b);                                                \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                                        \
                        tp_failed_checks++;                                                     \
                        printf("#   %s:%d: %s\n#     got:      \"%s\"\n#     expected: \"%s\"\n", \
                               __FILE__, __LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)"); \
                }                                                                               \
        } while (0)

#define RUN(fn)                                                                                 \
        do {                                                                                    \
                unsigned _before = tp_failed_checks;                                            \
                fn();                                                                           \
                tp_tests++;                                                                     \
                if (tp_failed_checks != _before)                                                \
                        tp_failed_tests++;                                                      \
                printf("%s %u - %s\n", tp_failed_checks == _before ? "ok" : "not ok", tp_tests, #fn); \
                fflush(stdout);                                                                 \
        } while (0)

/* Print the TAP plan; exit status 1 when anything failed. */
static inline int tp_finish(void) {
        printf("1..%u\n", tp_tests);
        if (tp_failed_tests)
                printf("# %u of %u tests failed (%u checks)\n", tp_failed_tests, tp_tests, tp_failed_checks);
        return tp_failed_tests ? 1 : 0;
}
