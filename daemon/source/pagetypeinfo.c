/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/pagetypeinfo (mm/vmstat.c pagetypeinfo_show), once per node with memory:
 * pageblock order, free blocks per migratetype and order, pageblocks per type,
 * and with PAGE_OWNER a "mixed blocks" table that we skip. */
#include <errno.h>
#include <string.h>

#include "defragd/procfs.h"
#include "parse.h"

enum section {
        SEC_NONE,      /* before "Page block order:" */
        SEC_HEADER,    /* after "Page block order:" / "Pages per block:" */
        SEC_FREE,      /* after "Free pages count per migrate type at order ..." */
        SEC_BLOCKS,    /* after "Number of blocks type ..." */
        SEC_MIXED,     /* after "Number of mixed blocks ..." (ignored) */
};

struct state {
        const char *origin;
        struct df_snapshot *s;
        enum section sec;
        int nr_orders;                        /* this node section's header */
        int block_types[DF_MAX_MIGRATETYPES]; /* columns of "Number of blocks type" */
        int n_block_types;
        bool per_block_seen;
        unsigned n_free_lines;
        unsigned n_free_zones, n_block_zones; /* a file cut short lacks block lines */
        int last_node;
        char last_zone[DF_NAME_MAX];
};

static int cell_u64(struct state *st, unsigned line, struct df_tok t, uint64_t *v, struct df_error *err) {
        /* The kernel caps each free-list walk at 100000 and prints ">100000". */
        if (t.len > 1 && t.s[0] == '>') {
                t.s++;
                t.len--;
        }
        return df_tok_u64(st->origin, line, t, "free block count", "an unsigned decimal count (or \">100000\")", v, err);
}

static int parse_free_line(struct state *st, const struct df_line *ln, struct df_tok *t, size_t n, struct df_error *err) {
        char zname[DF_NAME_MAX], tname[DF_NAME_MAX], q[200];
        struct df_tok zt = t[3];
        uint64_t counts[DF_MAX_ORDERS];
        struct df_zone *z;
        int node, mt, r;

        if (st->sec != SEC_FREE)
                return df_error_set(err, -EINVAL, "%s:%u: free counts line before its header; expected \"Free pages count per migrate type at order 0 1 ...\" first",
                                    st->origin, ln->number);
        r = df_tok_node(st->origin, ln->number, t[1], &node, err);
        if (r < 0)
                return r;
        df_tok_strip_suffix(&zt, ',');
        r = df_tok_name(st->origin, ln->number, zt, "zone name", zname, sizeof(zname), err);
        if (r < 0)
                return r;
        r = df_tok_name(st->origin, ln->number, t[5], "migratetype name", tname, sizeof(tname), err);
        if (r < 0)
                return r;
        if (n - 6 != (size_t) st->nr_orders)
                return df_error_set(err, -EINVAL, "%s:%u: zone %s of node %d type %s has %zu counts; expected %d, one per order of the header",
                                    st->origin, ln->number, zname, node, tname, n - 6, st->nr_orders);
        for (size_t o = 0; o < n - 6; o++) {
                r = cell_u64(st, ln->number, t[6 + o], &counts[o], err);
                if (r < 0)
                        return r;
        }
        mt = df_snapshot_migratetype(st->s, tname);
        if (mt < 0)
                return df_error_set(err, -EINVAL, "%s:%u: migratetype \"%s\" is one too many; expected at most %d types",
                                    st->origin, ln->number, df_quote(tname, strlen(tname), q, sizeof(q)), DF_MAX_MIGRATETYPES);
        z = df_snapshot_zone(st->s, node, zname, true);
        if (!z)
                return df_error_set(err, st->s->n_zones >= DF_MAX_ZONES ? -EINVAL : -ENOMEM,
                                    "%s:%u: cannot add zone %s of node %d; expected at most %d zones",
                                    st->origin, ln->number, zname, node, DF_MAX_ZONES);
        if (z->nr_orders > 0 && z->nr_orders != st->nr_orders)
                return df_error_set(err, -EINVAL, "%s:%u: zone %s of node %d has %d orders here but %d in buddyinfo; expected the same",
                                    st->origin, ln->number, zname, node, st->nr_orders, z->nr_orders);
        z->nr_orders = st->nr_orders;
        z->has_pagetype = true;
        memcpy(z->free_by_type[mt], counts, (size_t) st->nr_orders * sizeof(counts[0]));
        st->n_free_lines++;
        if (st->n_free_lines == 1 || node != st->last_node || strcmp(zname, st->last_zone) != 0) {
                st->n_free_zones++;
                st->last_node = node;
                strcpy(st->last_zone, zname);
        }
        return 0;
}

static int parse_block_line(struct state *st, const struct df_line *ln, struct df_tok *t, size_t n, struct df_error *err) {
        char zname[DF_NAME_MAX];
        struct df_zone *z;
        int node, r;

        r = df_tok_node(st->origin, ln->number, t[1], &node, err);
        if (r < 0)
                return r;
        r = df_tok_name(st->origin, ln->number, t[3], "zone name", zname, sizeof(zname), err);
        if (r < 0)
                return r;
        if (st->sec == SEC_MIXED)
                return 0;
        if (st->sec != SEC_BLOCKS)
                return df_error_set(err, -EINVAL, "%s:%u: zone %s of node %d: a line without \"type\" outside the block count table; expected \"Node N, zone NAME, type TYPE COUNT...\"",
                                    st->origin, ln->number, zname, node);
        if (n - 4 != (size_t) st->n_block_types)
                return df_error_set(err, -EINVAL, "%s:%u: zone %s of node %d has %zu pageblock counts; expected %d, one per type of the header",
                                    st->origin, ln->number, zname, node, n - 4, st->n_block_types);
        z = df_snapshot_zone(st->s, node, zname, true);
        if (!z)
                return df_error_set(err, st->s->n_zones >= DF_MAX_ZONES ? -EINVAL : -ENOMEM,
                                    "%s:%u: cannot add zone %s of node %d; expected at most %d zones",
                                    st->origin, ln->number, zname, node, DF_MAX_ZONES);
        for (int i = 0; i < st->n_block_types; i++) {
                r = df_tok_u64(st->origin, ln->number, t[4 + i], "pageblock count", "an unsigned decimal count",
                               &z->pageblocks_by_type[st->block_types[i]], err);
                if (r < 0)
                        return r;
        }
        z->has_pagetype = true;
        st->n_block_zones++;
        return 0;
}

static int parse_type_header(struct state *st, const struct df_line *ln, struct df_tok *t, size_t n, size_t first,
                             struct df_error *err) {
        char name[DF_NAME_MAX], q[200];

        if (n - first > DF_MAX_MIGRATETYPES)
                return df_error_set(err, -EINVAL, "%s:%u: %zu migratetypes; expected at most %d",
                                    st->origin, ln->number, n - first, DF_MAX_MIGRATETYPES);
        if (n == first)
                return df_error_set(err, -EINVAL, "%s:%u: no migratetype names; expected \"Number of blocks type NAME...\"",
                                    st->origin, ln->number);
        st->n_block_types = 0;
        for (size_t i = first; i < n; i++) {
                int r = df_tok_name(st->origin, ln->number, t[i], "migratetype name", name, sizeof(name), err);
                int mt;

                if (r < 0)
                        return r;
                mt = df_snapshot_migratetype(st->s, name);
                if (mt < 0)
                        return df_error_set(err, -EINVAL, "%s:%u: migratetype \"%s\" is one too many; expected at most %d types",
                                            st->origin, ln->number, df_quote(name, strlen(name), q, sizeof(q)), DF_MAX_MIGRATETYPES);
                st->block_types[st->n_block_types++] = mt;
        }
        return 0;
}

int df_parse_pagetypeinfo(const char *text, const char *origin, struct df_snapshot *s, struct df_error *err) {
        struct state st = { .origin = origin, .s = s, .sec = SEC_NONE };
        struct df_lines lines;
        struct df_line ln;

        df_lines_init(&lines, text, origin);
        while (df_lines_next(&lines, &ln)) {
                struct df_tok t[DF_MAX_TOKENS];
                size_t n = df_tokenize(&ln, t, DF_MAX_TOKENS);
                char q[200];
                uint64_t v;
                int r;

                if (n == 0)
                        continue;
                r = df_check_newline(origin, &ln, err);
                if (r < 0)
                        return r;
                if (n > DF_MAX_TOKENS)
                        return df_error_set(err, -EINVAL, "%s:%u: %zu fields; expected at most %d (16 orders)",
                                            origin, ln.number, n, 6 + DF_MAX_ORDERS);

                if (n == 4 && df_tok_eq(t[0], "Page") && df_tok_eq(t[1], "block") && df_tok_eq(t[2], "order:")) {
                        r = df_tok_u64(origin, ln.number, t[3], "pageblock order", "an order 0..15", &v, err);
                        if (r < 0)
                                return r;
                        if (v >= DF_MAX_ORDERS)
                                return df_error_set(err, -EINVAL, "%s:%u: pageblock order %llu; expected 0..%d",
                                                    origin, ln.number, (unsigned long long) v, DF_MAX_ORDERS - 1);
                        if (s->pageblock_order >= 0 && s->pageblock_order != (int) v)
                                return df_error_set(err, -EINVAL, "%s:%u: pageblock order %llu differs from %d seen before; expected one order for all nodes",
                                                    origin, ln.number, (unsigned long long) v, s->pageblock_order);
                        s->pageblock_order = (int) v;
                        st.sec = SEC_HEADER;
                        st.per_block_seen = false;
                } else if (n == 4 && df_tok_eq(t[0], "Pages") && df_tok_eq(t[1], "per") && df_tok_eq(t[2], "block:")) {
                        if (st.sec != SEC_HEADER)
                                return df_error_set(err, -EINVAL, "%s:%u: \"Pages per block\" without \"Page block order:\" before it; expected the order first",
                                                    origin, ln.number);
                        r = df_tok_u64(origin, ln.number, t[3], "pages per block", "2^pageblock order", &v, err);
                        if (r < 0)
                                return r;
                        if (v != UINT64_C(1) << s->pageblock_order)
                                return df_error_set(err, -EINVAL, "%s:%u: %llu pages per block; expected %llu (2^%d)",
                                                    origin, ln.number, (unsigned long long) v,
                                                    (unsigned long long) (UINT64_C(1) << s->pageblock_order), s->pageblock_order);
                        st.per_block_seen = true;
                } else if (n >= 8 && df_tok_eq(t[0], "Free") && df_tok_eq(t[1], "pages") && df_tok_eq(t[7], "order")) {
                        /* "Free pages count per migrate type at order 0 1 ... N" */
                        if (st.sec == SEC_NONE)
                                return df_error_set(err, -EINVAL, "%s:%u: free counts header before \"Page block order:\"; expected the node's header first",
                                                    origin, ln.number);
                        if (n - 8 == 0 || n - 8 > DF_MAX_ORDERS)
                                return df_error_set(err, -EINVAL, "%s:%u: %zu orders in the header; expected 1..%d",
                                                    origin, ln.number, n - 8, DF_MAX_ORDERS);
                        for (size_t o = 0; o < n - 8; o++) {
                                r = df_tok_u64(origin, ln.number, t[8 + o], "order", "the orders 0 1 2 ... in sequence", &v, err);
                                if (r < 0)
                                        return r;
                                if (v != o)
                                        return df_error_set(err, -EINVAL, "%s:%u: order %llu in column %zu; expected %zu",
                                                            origin, ln.number, (unsigned long long) v, o, o);
                        }
                        st.nr_orders = (int) (n - 8);
                        st.sec = SEC_FREE;
                } else if (n >= 4 && df_tok_eq(t[0], "Number") && df_tok_eq(t[1], "of") && df_tok_eq(t[2], "blocks") && df_tok_eq(t[3], "type")) {
                        r = parse_type_header(&st, &ln, t, n, 4, err);
                        if (r < 0)
                                return r;
                        st.sec = SEC_BLOCKS;
                } else if (n >= 4 && df_tok_eq(t[0], "Number") && df_tok_eq(t[1], "of") && df_tok_eq(t[2], "mixed")) {
                        st.sec = SEC_MIXED;
                } else if (n >= 6 && df_tok_eq(t[0], "Node") && df_tok_eq(t[2], "zone") && df_tok_eq(t[4], "type")) {
                        r = parse_free_line(&st, &ln, t, n, err);
                        if (r < 0)
                                return r;
                } else if (n >= 4 && df_tok_eq(t[0], "Node") && df_tok_eq(t[2], "zone")) {
                        r = parse_block_line(&st, &ln, t, n, err);
                        if (r < 0)
                                return r;
                } else
                        return df_error_set(err, -EINVAL, "%s:%u: found \"%s\"; expected a pagetypeinfo line (\"Page block order:\", \"Node N, zone NAME, type TYPE COUNT...\", \"Number of blocks type ...\")",
                                            origin, ln.number, df_quote(ln.text, ln.len, q, sizeof(q)));
        }
        if (s->pageblock_order < 0 || st.n_free_lines == 0)
                return df_error_set(err, -EINVAL, "%s:%u: %s; expected \"Page block order: N\" and free counts per migratetype",
                                    origin, lines.number ? lines.number : 1,
                                    s->pageblock_order < 0 ? "no \"Page block order:\" line" : "no free counts");
        if (st.n_block_zones < st.n_free_zones)
                return df_error_set(err, -EINVAL, "%s:%u: pageblock counts for %u of %u zones (file cut short?); expected a \"Number of blocks type\" line per zone",
                                    origin, lines.number, st.n_block_zones, st.n_free_zones);
        return 0;
}
