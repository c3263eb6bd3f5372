/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A tiny test framework shared by every unit test: assertions that print
 * file:line, the expression and both values, then leave the test function.
 * A test binary exits 0 (all passed), 1 (some failed) or 77 (skipped).
 *
 *     static void test_thing(void) {
 *             ASSERT_EQ_U64(parse("12"), 12);
 *             ASSERT_STREQ(err.msg, "x:1: ...");
 *     }
 *     int main(void) {
 *             RUN_TEST(test_thing);
 *             return test_summary();
 *     }
 *
 * Assertions may only be used in functions returning void (they `return`). */
#pragma once

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static unsigned test_n_run, test_n_failed, test_n_asserts;
static bool test_current_failed;

#define TEST_FAIL_(fmt, ...) do {                                                       \
                fprintf(stderr, "%s:%d: " fmt "\n", __FILE__, __LINE__, ##__VA_ARGS__); \
                test_current_failed = true;                                             \
                return;                                                                 \
        } while (0)

#define ASSERT_TRUE(expr) do {                                                          \
                test_n_asserts++;                                                       \
                if (!(expr))                                                            \
                        TEST_FAIL_("ASSERT_TRUE(%s) is false", #expr);                  \
        } while (0)

#define ASSERT_EQ_U64(a, b) do {                                                        \
                uint64_t a_ = (uint64_t) (a), b_ = (uint64_t) (b);                      \
                test_n_asserts++;                                                       \
                if (a_ != b_)                                                           \
                        TEST_FAIL_("ASSERT_EQ_U64(%s, %s): %" PRIu64 " != %" PRIu64,    \
                                   #a, #b, a_, b_);                                     \
        } while (0)

#define ASSERT_EQ_INT(a, b) do {                                                        \
                long long a_ = (long long) (a), b_ = (long long) (b);                   \
                test_n_asserts++;                                                       \
                if (a_ != b_)                                                           \
                        TEST_FAIL_("ASSERT_EQ_INT(%s, %s): %lld != %lld", #a, #b, a_, b_); \
        } while (0)

#define ASSERT_STREQ(a, b) do {                                                         \
                const char *a_ = (a), *b_ = (b);                                        \
                test_n_asserts++;                                                       \
                if (!a_ || !b_ || strcmp(a_, b_) != 0)                                  \
                        TEST_FAIL_("ASSERT_STREQ(%s, %s):\n  got      \"%s\"\n  expected \"%s\"", \
                                   #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");     \
        } while (0)

#define ASSERT_CONTAINS(hay, needle) do {                                               \
                const char *h_ = (hay), *n_ = (needle);                                 \
                test_n_asserts++;                                                       \
                if (!h_ || !strstr(h_, n_))                                             \
                        TEST_FAIL_("ASSERT_CONTAINS(%s, \"%s\"): not found in:\n%s",    \
                                   #hay, n_, h_ ? h_ : "(null)");                       \
        } while (0)

/* r must be 0; otherwise print the error message that came with it. */
#define ASSERT_OK(r, err) do {                                                          \
                int r_ = (r);                                                           \
                test_n_asserts++;                                                       \
                if (r_ != 0)                                                            \
                        TEST_FAIL_("%s returned %d: %s", #r, r_, (err)->msg);           \
        } while (0)

#define RUN_TEST(fn) do {                                                               \
                test_current_failed = false;                                            \
                test_n_run++;                                                           \
                fn();                                                                   \
                if (test_current_failed)                                                \
                        test_n_failed++;                                                \
                fprintf(stderr, "%s %s\n", test_current_failed ? "FAIL" : "ok  ", #fn); \
        } while (0)

/* Skip the whole binary: print why and exit 77. */
#define TEST_SKIP(...) do {                                                             \
                fprintf(stderr, "SKIP: " __VA_ARGS__);                                  \
                fputc('\n', stderr);                                                    \
                exit(77);                                                               \
        } while (0)

static inline int test_summary(void) {
        fprintf(stderr, "%u tests, %u assertions, %u failed\n", test_n_run, test_n_asserts, test_n_failed);
        return test_n_failed ? 1 : 0;
}

/* Fixture root: $DEFRAGD_FIXTURES (set by meson's test_env), else the source tree. */
static inline const char *test_fixtures(void) {
        const char *d = getenv("DEFRAGD_FIXTURES");
        return d && *d ? d : DEFRAGD_SOURCE_ROOT "/tests/fixtures";
}

/* "<fixtures>/<rel>" in a static buffer (one at a time). */
static inline const char *test_fixture_path(const char *rel) {
        static char buf[4096];
        snprintf(buf, sizeof(buf), "%s/%s", test_fixtures(), rel);
        return buf;
}
