/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the workload helpers (churn, consumer, fragmenter, polluter) share:
 * option values, the usage error, a seeded random sequence, stop signals,
 * aligned mappings, pipe buffers, holding until told to stop. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#define HELPER_NSEC_PER_SEC UINT64_C(1000000000)
/* A pipe may grow to 1 MiB (fs.pipe-max-size default; root may go beyond):
 * 256 pages per pipe keeps the descriptor count far below the 20,000 cap. */
#define HELPER_PIPE_BYTES (1UL << 20)
#define HELPER_PIPE_PAGES (HELPER_PIPE_BYTES / 4096)

/* Once, first thing in main(): the program's name and usage text for
 * helper_die_usage(). */
void helper_init(const char *program, const char *usage);

/* "PROGRAM: FLAG 'VALUE' is invalid; accepted: ACCEPTED", the usage, exit 2. */
_Noreturn void helper_die_usage(const char *flag, const char *value, const char *accepted);

/* getopt_long's '?': "PROGRAM: unknown option or missing value: 'ARG';
 * accepted: ACCEPTED", the usage, exit 2. */
_Noreturn void helper_die_unknown_option(const char *arg, const char *accepted);
/* An operand where only options are taken: says so (and the usage with
 * with_usage), exit 2. */
_Noreturn void helper_die_operand(const char *arg, bool with_usage);

/* A decimal integer without sign, at most max. 0 or -EINVAL. */
int helper_parse_u64(const char *s, uint64_t max, uint64_t *ret);
/* A decimal integer with an optional K, M or G (powers of 1024). 0, -EINVAL,
 * or -ERANGE when it does not fit 64 bits. */
int helper_parse_bytes(const char *s, uint64_t *ret);
/* "5", "0.5", "300": seconds (0..86400) to nanoseconds. 0 or -EINVAL. */
int helper_parse_sec(const char *s, uint64_t *ret_ns);

/* splitmix64: tiny, good enough, and the same sequence on every machine for
 * a seed (benchmark runs are repeatable). */
void helper_rng_seed(uint64_t seed);
uint64_t helper_rng_next(void);
uint64_t helper_rng_below(uint64_t n); /* n > 0 */

/* SIGTERM and SIGINT, blocked by helper_block_stop_signals(): polled
 * between steps (helper_stop_pending) and waited for with sigtimedwait or
 * signalfd on this set, so a helper always exits through its cleanup. */
extern sigset_t helper_stop_signals;
void helper_block_stop_signals(void);
bool helper_stop_pending(void);

uint64_t helper_now_ns(void); /* CLOCK_MONOTONIC */

/* An anonymous private mapping of `bytes` (MAP_NORESERVE) starting on a
 * multiple of `align` (a power of two), or NULL with errno set. */
void *helper_map_aligned(uint64_t bytes, uint64_t align);

/* Whether a page of this process is part of a THP: /proc/self/pagemap for
 * its PFN, then KPF_THP in /proc/kpageflags (root). `per_page` is false when
 * either file did not open: every answer is then -1. */
struct helper_thp_reader {
        int pagemap_fd, kpageflags_fd;
        bool per_page;
};
void helper_thp_reader_open(struct helper_thp_reader *h);
void helper_thp_reader_close(struct helper_thp_reader *h);
/* 1: THP, 0: not, -1: unknown (PFN hidden without CAP_SYS_ADMIN, not
 * present, or no reader). */
int helper_thp_reader_is_thp(const struct helper_thp_reader *h, const void *addr);

/* Pipes whose buffers can hold `pages` pages (HELPER_PIPE_PAGES each):
 * unmovable kernel memory. Refused (-EMFILE, said with how many pages fit,
 * naming `flag`) when they need more descriptors than RLIMIT_NOFILE leaves
 * after a reserve of 64. On return, also on failure, *ret_pipes is the
 * array (free it; NULL where none) and *ret_n how many of its pipes are
 * open (close both ends). 0, -EMFILE, -ENOMEM, or pipe2's or
 * F_SETPIPE_SZ's -errno (said). */
int helper_pipes_open(const char *flag, uint64_t pages, int (**ret_pipes)[2], uint64_t *ret_n);

/* Whether helper_hold() watches stdin: a pipe, socket or tty (not
 * /dev/null or a file, which would read EOF at once). */
bool helper_stdin_watched(void);

/* Waits for SIGTERM/SIGINT (helper_stop_signals, blocked), or for EOF on
 * stdin when helper_stdin_watched(). With `tick`, calls tick(data) every
 * tick_msec meanwhile; with `on_input`, on_input(data) whenever stdin
 * delivers bytes (a line from the harness: "start now"). 0, or -errno when
 * signalfd fails (said: not holding). */
int helper_hold(uint64_t tick_msec, void (*tick)(void *data), void (*on_input)(void *data), void *data);
