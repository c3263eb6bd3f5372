/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers shared by the daemon, the CLI and the tests: scoped cleanup,
 * clocks, strict number parsing. Nothing here touches the kernel. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define USEC_PER_SEC  UINT64_C(1000000)
#define USEC_PER_MSEC UINT64_C(1000)
#define NSEC_PER_USEC UINT64_C(1000)

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

static inline void df_freep(void *p) { free(*(void **)p); }
static inline void df_closep(int *fd) { if (*fd >= 0) close(*fd); }
static inline void df_fclosep(FILE **f) { if (*f) fclose(*f); }
#define _cleanup_free_   __attribute__((cleanup(df_freep)))
#define _cleanup_close_  __attribute__((cleanup(df_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(df_fclosep)))

uint64_t df_now_usec(void);      /* CLOCK_MONOTONIC */
uint64_t df_realtime_usec(void); /* CLOCK_REALTIME */
uint64_t df_thread_cpu_usec(void); /* CLOCK_THREAD_CPUTIME_ID: CPU time this thread used */

/* Strict unsigned decimal: whole string, no sign, no overflow. 0 or -EINVAL/-ERANGE. */
int df_parse_u64(const char *s, uint64_t *ret);
/* "yes/no/true/false/on/off/1/0". 0 or -EINVAL. */
int df_parse_bool(const char *s, bool *ret);
/* Seconds with optional unit: "10", "10s", "500ms", "2min", "1h". 0 or -EINVAL/-ERANGE. */
int df_parse_duration_usec(const char *s, uint64_t *ret);

/* Write a string to a file (sysfs/procfs knob). 0 or -errno. */
int df_write_file(const char *path, const char *value);

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when the bytes there
 * are not one (s NUL-terminated; a NUL is a sequence of 1). */
size_t df_utf8_len(const char *s);
