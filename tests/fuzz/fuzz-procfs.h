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
