/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The checks every procfs parser harness makes on a result: an error names
 * the file first and is one line; a success leaves a sane snapshot. */
#pragma once

#include <stdio.h>

#include "defragd/error.h"
#include "defragd/procfs.h"
#include "defragd/snapshot.h"
#include "fuzz.h"

#define FUZZ_ORIGIN "/proc/fuzz"

static inline void fuzz_check_error(int r, const struct df_error *err) {
        if (r >= 0)
                return;
        /* "file:line: what; expected ..." on one line, never empty. */
        if (strncmp(err->msg, FUZZ_ORIGIN ":", strlen(FUZZ_ORIGIN ":")) != 0 || strchr(err->msg, '\n')) {
                fprintf(stderr, "error message does not start with the file or spans lines: \"%s\"\n", err->msg);
                abort();
        }
}

static inline void fuzz_check_snapshot(const struct df_snapshot *s) {
        fuzz_check(s->n_zones <= DF_MAX_ZONES);
        fuzz_check(s->nr_migratetypes >= 0 && s->nr_migratetypes <= DF_MAX_MIGRATETYPES);
        for (size_t i = 0; i < s->n_zones; i++) {
                const struct df_zone *z = &s->zones[i];

                fuzz_check(memchr(z->name, 0, sizeof(z->name)));
                fuzz_check(z->nr_orders >= 0 && z->nr_orders <= DF_MAX_ORDERS);
                fuzz_check(!z->has_buddyinfo || z->nr_orders >= 1);
                fuzz_check(z->node >= 0);
        }
}

/* One input through a parser that fills a snapshot (buddyinfo, zoneinfo,
 * pagetypeinfo): the same checks for each. */
typedef int (*fuzz_snapshot_parser_t)(const char *text, const char *origin, struct df_snapshot *s,
                                      struct df_error *err);

static inline int fuzz_snapshot_parser(fuzz_snapshot_parser_t parse, const uint8_t *data, size_t size) {
        struct df_error err = { "" };
        struct df_snapshot s;
        char *text = fuzz_strndup(data, size);
        int r;

        if (!text)
                return 0;
        df_snapshot_init(&s);
        r = parse(text, FUZZ_ORIGIN, &s, &err);
        fuzz_check_error(r, &err);
        fuzz_check_snapshot(&s);
        df_snapshot_clear(&s);
        free(text);
        return 0;
}
