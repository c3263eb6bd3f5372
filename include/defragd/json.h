/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small streaming JSON writer to a FILE*: it tracks nesting and commas, so
 * callers only say begin/end, key and value. Shared by `defragctl report`
 * and the control socket.
 *
 *     struct df_json j;
 *     df_json_init(&j, stdout, true);
 *     df_json_begin_object(&j);
 *     df_json_kv_u64(&j, "node", 0);
 *     df_json_key(&j, "orders");
 *     df_json_begin_array(&j);
 *     df_json_u64(&j, 3);
 *     df_json_end_array(&j);
 *     df_json_end_object(&j);
 *     r = df_json_finish(&j);   // 0, or -EINVAL (unbalanced/misused) / -EIO (write error)
 *
 * Misuse (a value where a key is due, unbalanced ends, nesting deeper than
 * DF_JSON_MAX_DEPTH) is recorded and reported by df_json_finish(); the output
 * is then not valid JSON. Strings are UTF-8 passed through; control
 * characters, '"' and '\\' are escaped; bytes that are not valid UTF-8 become
 * U+FFFD so the output always parses. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define DF_JSON_MAX_DEPTH 32

struct df_json {
        FILE *f;
        bool pretty;
        bool failed;
        int depth;
        bool after_key;
        bool in_object[DF_JSON_MAX_DEPTH];
        unsigned count[DF_JSON_MAX_DEPTH]; /* members written at each level */
};

void df_json_init(struct df_json *j, FILE *f, bool pretty);

void df_json_begin_object(struct df_json *j);
void df_json_end_object(struct df_json *j);
void df_json_begin_array(struct df_json *j);
void df_json_end_array(struct df_json *j);

/* In an object: the next member's name. A value call must follow. */
void df_json_key(struct df_json *j, const char *key);

void df_json_string(struct df_json *j, const char *s); /* NULL writes null */
void df_json_u64(struct df_json *j, uint64_t v);
void df_json_i64(struct df_json *j, int64_t v);
void df_json_double(struct df_json *j, double v, int decimals); /* NaN/inf write null */
void df_json_bool(struct df_json *j, bool v);
void df_json_null(struct df_json *j);

/* key + value in one call. */
void df_json_kv_string(struct df_json *j, const char *key, const char *s);
void df_json_kv_u64(struct df_json *j, const char *key, uint64_t v);
void df_json_kv_i64(struct df_json *j, const char *key, int64_t v);
void df_json_kv_double(struct df_json *j, const char *key, double v, int decimals);
void df_json_kv_bool(struct df_json *j, const char *key, bool v);

/* A value written by other code straight to j->f (e.g. a probe dump that
 * prints a whole object): call this first; it writes the separator and
 * returns false when the writer has already failed (then write nothing). */
bool df_json_raw_begin(struct df_json *j);

/* Ends the document with a newline. 0, -EINVAL on misuse, -EIO on write error. */
int df_json_finish(struct df_json *j);

/* Write s as a quoted, escaped JSON string (no state). */
void df_json_write_string(FILE *f, const char *s);
