/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Error text carried from where a problem is found to where a person reads it:
 * every message names the file (and line), the key or path, the value, and what is accepted. */
#pragma once

#include <stdarg.h>

#define DF_ERROR_MAX 512

struct df_error {
        char msg[DF_ERROR_MAX];
};

/* Sets err->msg (err may be NULL) and returns `ret` so callers can write
 * `return df_error_set(err, -EINVAL, "%s:%u: ...", ...);` */
int df_error_set(struct df_error *err, int ret, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
