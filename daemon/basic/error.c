/* SPDX-License-Identifier: GPL-2.0-or-later */
/* df_error: the one way an error message travels to the person who reads it. */
#include <stdio.h>

#include "defragd/error.h"

int df_error_set(struct df_error *err, int ret, const char *fmt, ...) {
        va_list ap;

        if (!err)
                return ret;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        return ret;
}
