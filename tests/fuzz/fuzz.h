/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What every harness shares: the libFuzzer entry point's prototype, and a
 * NUL-terminated copy of the input (the parsers take C strings, as read). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* assert() that stays in release builds (b_ndebug): the checks are the point,
 * and some have side effects. */
#define fuzz_check(expr) do {                                                           \
                if (!(expr)) {                                                          \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr); \
                        abort();                                                        \
                }                                                                       \
        } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs above this are not interesting and only slow the run down. */
#define FUZZ_INPUT_MAX_BYTES (256u * 1024u)

/* The input as a C string; NULL when too large (the caller returns 0).
 * A NUL inside simply ends the text, as df_read_file refuses such files. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size) {
        char *s;

        if (size > FUZZ_INPUT_MAX_BYTES)
                return NULL;
        s = malloc(size + 1);
        fuzz_check(s);
        memcpy(s, data, size);
        s[size] = 0;
        return s;
}

/* Next piece of `text` up to the separator line "\n%%\n" (moves *text on);
 * NULL at the end. Splits one input into several files. */
static inline char *fuzz_next_part(char **text) {
        char *start = *text, *sep;

        if (!start)
                return NULL;
        sep = strstr(start, "\n%%\n");
        if (sep) {
                sep[1] = 0;
                *text = sep + 4;
        } else
                *text = NULL;
        return start;
}
