/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/zoneinfo (mm/vmstat.c zoneinfo_show_print): one stanza per zone,
 * populated or not. We keep free pages, watermarks and spanned/present/managed;
 * every other line is skipped, so new kernel counters do not break us. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "defragd/procfs.h"
#include "parse.h"

enum field {
        F_FREE, F_MIN, F_LOW, F_HIGH, F_SPANNED, F_PRESENT, F_MANAGED,
        _F_MAX,
};

static const char *const field_names[_F_MAX] = {
        [F_FREE] = "pages free",
        [F_MIN] = "min",
        [F_LOW] = "low",
        [F_HIGH] = "high",
        [F_SPANNED] = "spanned",
        [F_PRESENT] = "present",
        [F_MANAGED] = "managed",
};

struct stanza {
        bool open;
        unsigned line;
        int node;
        char zone[DF_NAME_MAX];
        bool seen[_F_MAX];
        uint64_t v[_F_MAX];
        bool has_start_pfn;
        uint64_t start_pfn;
};

static int stanza_close(struct stanza *st, const char *origin, struct df_snapshot *s, struct df_error *err) {
        struct df_zone *z;

        if (!st->open)
                return 0;
        st->open = false;
        for (int f = 0; f < _F_MAX; f++)
                if (!st->seen[f])
                        return df_error_set(err, -EINVAL, "%s:%u: zone %s of node %d has no \"%s\" line (file cut short?); expected pages free, min, low, high, spanned, present and managed",
                                            origin, st->line, st->zone, st->node, field_names[f]);
        if (st->v[F_PRESENT] == 0)
                return 0; /* unpopulated: not in buddyinfo nor debugfs either */

        z = df_snapshot_zone(s, st->node, st->zone, true);
        if (!z)
                return df_error_set(err, s->n_zones >= DF_MAX_ZONES ? -EINVAL : -ENOMEM,
                                    "%s:%u: cannot add zone %s of node %d; expected at most %d zones",
                                    origin, st->line, st->zone, st->node, DF_MAX_ZONES);
        if (z->has_zoneinfo)
                return df_error_set(err, -EINVAL, "%s:%u: zone %s of node %d appears twice; expected each zone once",
                                    origin, st->line, st->zone, st->node);
        z->has_zoneinfo = true;
        z->nr_free_pages = st->v[F_FREE];
        z->wmark_min_pages = st->v[F_MIN];
        z->wmark_low_pages = st->v[F_LOW];
        z->wmark_high_pages = st->v[F_HIGH];
        z->spanned_pages = st->v[F_SPANNED];
        z->present_pages = st->v[F_PRESENT];
        z->managed_pages = st->v[F_MANAGED];
        z->has_start_pfn = st->has_start_pfn;
        z->start_pfn = st->start_pfn;
        return 0;
}

static int set_field(struct stanza *st, enum field f, const char *origin, unsigned line, struct df_tok t,
                     struct df_error *err) {
        char what[64];
        int r;

        snprintf(what, sizeof(what), "\"%s\" value", field_names[f]);
        if (st->seen[f])
                return df_error_set(err, -EINVAL, "%s:%u: second \"%s\" line in zone %s of node %d; expected one",
                                    origin, line, field_names[f], st->zone, st->node);
        st->seen[f] = true;
        r = df_tok_u64(origin, line, t, what, "a page count (unsigned decimal)", &st->v[f], err);
        if (r < 0)
                return r;
        /* Present pages weigh the compaction score (times 100, summed per node). */
        if (st->v[f] > DF_PAGES_MAX)
                return df_error_set(err, -EINVAL, "%s:%u: %s %llu is more than 2^50 pages; expected a real page count",
                                    origin, line, what, (unsigned long long) st->v[f]);
        return 0;
}

int df_parse_zoneinfo(const char *text, const char *origin, struct df_snapshot *s, struct df_error *err) {
        struct stanza st = { .open = false };
        struct df_lines lines;
        struct df_line ln;
        unsigned n_stanzas = 0;
        int r;

        df_lines_init(&lines, text, origin);
        while (df_lines_next(&lines, &ln)) {
                struct df_tok t[DF_MAX_TOKENS];
                size_t n = df_tokenize(&ln, t, DF_MAX_TOKENS);
                char q[200];

                if (n == 0)
                        continue;
                r = df_check_newline(origin, &ln, err);
                if (r < 0)
                        return r;
                if (df_tok_eq(t[0], "Node")) {
                        r = stanza_close(&st, origin, s, err);
                        if (r < 0)
                                return r;
                        if (n != 4 || !df_tok_eq(t[2], "zone"))
                                return df_error_set(err, -EINVAL, "%s:%u: found \"%s\"; expected \"Node N, zone NAME\"",
                                                    origin, ln.number, df_quote(ln.text, ln.len, q, sizeof(q)));
                        memset(&st, 0, sizeof(st));
                        r = df_tok_node(origin, ln.number, t[1], &st.node, err);
                        if (r < 0)
                                return r;
                        r = df_tok_name(origin, ln.number, t[3], "zone name", st.zone, sizeof(st.zone), err);
                        if (r < 0)
                                return r;
                        st.open = true;
                        st.line = ln.number;
                        n_stanzas++;
                        continue;
                }
                if (!st.open)
                        return df_error_set(err, -EINVAL, "%s:%u: found \"%s\" before any zone; expected \"Node N, zone NAME\" first",
                                            origin, ln.number, df_quote(ln.text, ln.len, q, sizeof(q)));
                if (n == 3 && df_tok_eq(t[0], "pages") && df_tok_eq(t[1], "free")) {
                        r = set_field(&st, F_FREE, origin, ln.number, t[2], err);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (n != 2)
                        continue;
                if (df_tok_eq(t[0], "start_pfn:") && !st.has_start_pfn) {
                        r = df_tok_u64(origin, ln.number, t[1], "\"start_pfn:\" value", "a page frame number (unsigned decimal)",
                                       &st.start_pfn, err);
                        if (r < 0)
                                return r;
                        st.has_start_pfn = true;
                        continue;
                }
                for (int f = F_MIN; f < _F_MAX; f++)
                        if (df_tok_eq(t[0], field_names[f])) {
                                r = set_field(&st, (enum field) f, origin, ln.number, t[1], err);
                                if (r < 0)
                                        return r;
                                break;
                        }
        }
        r = stanza_close(&st, origin, s, err);
        if (r < 0)
                return r;
        if (n_stanzas == 0)
                return df_error_set(err, -EINVAL, "%s:1: no zones; expected stanzas starting \"Node N, zone NAME\"", origin);
        return 0;
}
