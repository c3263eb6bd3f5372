/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Streaming JSON writer: nesting, commas, escaping and optional indentation,
 * so that nothing printed by defragd or defragctl can be invalid JSON. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "defragd/json.h"
#include "defragd/util.h"

void df_json_init(struct df_json *j, FILE *f, bool pretty) {
        memset(j, 0, sizeof(*j));
        j->f = f;
        j->pretty = pretty;
}

static void newline_indent(struct df_json *j) {
        if (!j->pretty)
                return;
        fputc('\n', j->f);
        for (int i = 0; i < j->depth; i++)
                fputs("  ", j->f);
}

/* Before any value: separator and indentation, or the key already did it. */
static bool before_value(struct df_json *j) {
        if (j->failed)
                return false;
        if (j->depth > 0 && j->in_object[j->depth - 1]) {
                if (!j->after_key) {
                        j->failed = true; /* a value in an object needs a key */
                        return false;
                }
                j->after_key = false;
                return true;
        }
        if (j->depth == 0 && j->count[0] > 0) {
                j->failed = true; /* one top-level value per document */
                return false;
        }
        if (j->depth > 0 && j->count[j->depth - 1] > 0)
                fputc(',', j->f);
        if (j->depth > 0)
                newline_indent(j);
        if (j->depth > 0)
                j->count[j->depth - 1]++;
        else
                j->count[0]++;
        return true;
}

static void begin(struct df_json *j, bool object) {
        if (!before_value(j))
                return;
        if (j->depth + 1 >= DF_JSON_MAX_DEPTH) {
                j->failed = true;
                return;
        }
        fputc(object ? '{' : '[', j->f);
        j->depth++;
        j->in_object[j->depth - 1] = object;
        j->count[j->depth - 1] = 0;
}

static void end(struct df_json *j, bool object) {
        bool empty;

        if (j->failed)
                return;
        if (j->depth == 0 || j->in_object[j->depth - 1] != object || j->after_key) {
                j->failed = true;
                return;
        }
        empty = j->count[j->depth - 1] == 0;
        j->depth--;
        if (!empty)
                newline_indent(j);
        fputc(object ? '}' : ']', j->f);
        if (j->depth == 0)
                j->count[0] = 1;
}

void df_json_begin_object(struct df_json *j) { begin(j, true); }
void df_json_end_object(struct df_json *j) { end(j, true); }
void df_json_begin_array(struct df_json *j) { begin(j, false); }
void df_json_end_array(struct df_json *j) { end(j, false); }

void df_json_write_string(FILE *f, const char *str) {
        const unsigned char *s = (const unsigned char *) str;

        fputc('"', f);
        while (*s) {
                size_t n;

                switch (*s) {
                case '"':  fputs("\\\"", f); s++; continue;
                case '\\': fputs("\\\\", f); s++; continue;
                case '\n': fputs("\\n", f); s++; continue;
                case '\r': fputs("\\r", f); s++; continue;
                case '\t': fputs("\\t", f); s++; continue;
                case '\b': fputs("\\b", f); s++; continue;
                case '\f': fputs("\\f", f); s++; continue;
                default:
                        break;
                }
                if (*s < 0x20 || *s == 0x7f) {
                        fprintf(f, "\\u%04x", *s);
                        s++;
                        continue;
                }
                n = df_utf8_len((const char *) s);
                if (n == 0) {
                        fputs("\\ufffd", f);
                        s++;
                        continue;
                }
                fwrite(s, 1, n, f);
                s += n;
        }
        fputc('"', f);
}

void df_json_key(struct df_json *j, const char *key) {
        if (j->failed)
                return;
        if (j->depth == 0 || !j->in_object[j->depth - 1] || j->after_key) {
                j->failed = true;
                return;
        }
        if (j->count[j->depth - 1] > 0)
                fputc(',', j->f);
        newline_indent(j);
        j->count[j->depth - 1]++;
        df_json_write_string(j->f, key);
        fputs(j->pretty ? ": " : ":", j->f);
        j->after_key = true;
}

void df_json_string(struct df_json *j, const char *s) {
        if (!s) {
                df_json_null(j);
                return;
        }
        if (before_value(j))
                df_json_write_string(j->f, s);
}

void df_json_u64(struct df_json *j, uint64_t v) {
        if (before_value(j))
                fprintf(j->f, "%" PRIu64, v);
}

void df_json_i64(struct df_json *j, int64_t v) {
        if (before_value(j))
                fprintf(j->f, "%" PRId64, v);
}

void df_json_double(struct df_json *j, double v, int decimals) {
        if (!isfinite(v)) {
                df_json_null(j);
                return;
        }
        if (decimals < 0 || decimals > 17)
                decimals = 6;
        if (before_value(j))
                fprintf(j->f, "%.*f", decimals, v);
}

void df_json_bool(struct df_json *j, bool v) {
        if (before_value(j))
                fputs(v ? "true" : "false", j->f);
}

void df_json_null(struct df_json *j) {
        if (before_value(j))
                fputs("null", j->f);
}

void df_json_kv_string(struct df_json *j, const char *key, const char *s) { df_json_key(j, key); df_json_string(j, s); }
void df_json_kv_u64(struct df_json *j, const char *key, uint64_t v) { df_json_key(j, key); df_json_u64(j, v); }
void df_json_kv_i64(struct df_json *j, const char *key, int64_t v) { df_json_key(j, key); df_json_i64(j, v); }
void df_json_kv_double(struct df_json *j, const char *key, double v, int decimals) { df_json_key(j, key); df_json_double(j, v, decimals); }
void df_json_kv_bool(struct df_json *j, const char *key, bool v) { df_json_key(j, key); df_json_bool(j, v); }

int df_json_finish(struct df_json *j) {
        if (j->failed || j->depth != 0 || j->after_key || j->count[0] == 0)
                return -EINVAL;
        fputc('\n', j->f);
        if (fflush(j->f) != 0 || ferror(j->f))
                return -EIO;
        return 0;
}

bool df_json_raw_begin(struct df_json *j) {
        return before_value(j);
}
