/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/vmstat: "name value" per line, kept whole and in file order so any
 * counter (compact_stall, thp_fault_fallback, ...) can be looked up by name. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defragd/procfs.h"
#include "parse.h"

#define VMSTAT_MAX_ITEMS 4096 /* ~200 today; a file with more lines is garbage */

int df_parse_vmstat(const char *text, const char *origin, struct df_vmstat *v, struct df_error *err) {
        struct df_lines lines;
        struct df_line ln;
        size_t cap = 0;
        int r = 0;

        df_vmstat_clear(v);
        df_lines_init(&lines, text, origin);
        while (df_lines_next(&lines, &ln)) {
                struct df_tok t[3];
                size_t n = df_tokenize(&ln, t, 3);
                struct df_kv *kv;
                char q[200], what[80];

                if (n == 0)
                        continue;
                r = df_check_newline(origin, &ln, err);
                if (r < 0)
                        goto fail;
                if (n != 2) {
                        r = df_error_set(err, -EINVAL, "%s:%u: found \"%s\"; expected \"name value\"",
                                         origin, ln.number, df_quote(ln.text, ln.len, q, sizeof(q)));
                        goto fail;
                }
                if (t[0].len >= sizeof(kv->name)) {
                        r = df_error_set(err, -EINVAL, "%s:%u: counter name \"%s\" has %zu characters; expected at most %zu",
                                         origin, ln.number, df_quote(t[0].s, t[0].len, q, sizeof(q)), t[0].len, sizeof(kv->name) - 1);
                        goto fail;
                }
                if (v->n >= VMSTAT_MAX_ITEMS) {
                        r = df_error_set(err, -EINVAL, "%s:%u: more than %d counters; expected a /proc/vmstat file",
                                         origin, ln.number, VMSTAT_MAX_ITEMS);
                        goto fail;
                }
                if (v->n == cap) {
                        size_t ncap = cap ? cap * 2 : 256;
                        struct df_kv *items = realloc(v->items, ncap * sizeof(*items));

                        if (!items) {
                                r = df_error_set(err, -ENOMEM, "%s:%u: out of memory", origin, ln.number);
                                goto fail;
                        }
                        v->items = items;
                        cap = ncap;
                }
                kv = &v->items[v->n];
                r = df_tok_name(origin, ln.number, t[0], "counter name", kv->name, sizeof(kv->name), err);
                if (r < 0)
                        goto fail;
                snprintf(what, sizeof(what), "value of %s", kv->name);
                r = df_tok_u64(origin, ln.number, t[1], what, "an unsigned decimal number", &kv->value, err);
                if (r < 0)
                        goto fail;
                v->n++;
        }
        if (v->n == 0) {
                df_vmstat_clear(v);
                return df_error_set(err, -EINVAL, "%s:1: no counters; expected lines \"name value\"", origin);
        }
        return 0;
fail:
        df_vmstat_clear(v);
        return r;
}
