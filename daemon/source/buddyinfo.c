/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/buddyinfo: one line per populated zone, "Node N, zone NAME" then the
 * number of free blocks of each order (mm/vmstat.c frag_show_print). */
#include <errno.h>
#include <string.h>

#include "defragd/procfs.h"
#include "parse.h"

#define EXPECTED_LINE "a line \"Node N, zone NAME COUNT...\" with 1..16 counts"

int df_parse_buddyinfo(const char *text, const char *origin, struct df_snapshot *s, struct df_error *err) {
        struct df_lines lines;
        struct df_line ln;
        unsigned first_line = 0, n_zones = 0;
        int nr_orders = -1;

        df_lines_init(&lines, text, origin);
        while (df_lines_next(&lines, &ln)) {
                struct df_tok t[DF_MAX_TOKENS];
                size_t n = df_tokenize(&ln, t, DF_MAX_TOKENS);
                char name[DF_NAME_MAX], q[200];
                uint64_t counts[DF_MAX_ORDERS], pages = 0;
                struct df_zone *z;
                int node, r;

                if (n == 0)
                        continue;
                r = df_check_newline(origin, &ln, err);
                if (r < 0)
                        return r;
                if (!df_tok_eq(t[0], "Node") || n < 4 || !df_tok_eq(t[2], "zone"))
                        return df_error_set(err, -EINVAL, "%s:%u: found \"%s\"; expected " EXPECTED_LINE,
                                            origin, ln.number, df_quote(ln.text, ln.len, q, sizeof(q)));
                r = df_tok_node(origin, ln.number, t[1], &node, err);
                if (r < 0)
                        return r;
                r = df_tok_name(origin, ln.number, t[3], "zone name", name, sizeof(name), err);
                if (r < 0)
                        return r;
                if (n - 4 == 0)
                        return df_error_set(err, -EINVAL, "%s:%u: zone %s of node %d has no free block counts; expected 1..%d counts",
                                            origin, ln.number, name, node, DF_MAX_ORDERS);
                if (n - 4 > DF_MAX_ORDERS)
                        return df_error_set(err, -EINVAL, "%s:%u: zone %s of node %d has %zu orders; expected at most %d (DF_MAX_ORDERS)",
                                            origin, ln.number, name, node, n - 4, DF_MAX_ORDERS);
                if (nr_orders >= 0 && (int) (n - 4) != nr_orders)
                        return df_error_set(err, -EINVAL, "%s:%u: zone %s of node %d has %zu orders; expected %d like line %u",
                                            origin, ln.number, name, node, n - 4, nr_orders, first_line);
                for (size_t o = 0; o < n - 4; o++) {
                        uint64_t blocks_pages;

                        r = df_tok_u64(origin, ln.number, t[4 + o], "free block count",
                                       "an unsigned decimal count of free blocks", &counts[o], err);
                        if (r < 0)
                                return r;
                        /* The model sums blocks << order and multiplies by 1000 in 64 bits, as
                         * the kernel does: refuse counts no machine can have rather than let
                         * that wrap (DF_PAGES_MAX). */
                        if (counts[o] > (DF_PAGES_MAX >> o) || pages + (counts[o] << o) > DF_PAGES_MAX)
                                return df_error_set(err, -EINVAL, "%s:%u: zone %s of node %d: %llu free blocks of order %zu make more than 2^50 pages; expected real counts",
                                                    origin, ln.number, name, node, (unsigned long long) counts[o], o);
                        blocks_pages = counts[o] << o;
                        pages += blocks_pages;
                }
                if (nr_orders < 0) {
                        nr_orders = (int) (n - 4);
                        first_line = ln.number;
                }

                z = df_snapshot_zone(s, node, name, true);
                if (!z)
                        return df_error_set(err, s->n_zones >= DF_MAX_ZONES ? -EINVAL : -ENOMEM,
                                            "%s:%u: cannot add zone %s of node %d; expected at most %d zones",
                                            origin, ln.number, name, node, DF_MAX_ZONES);
                if (z->has_buddyinfo)
                        return df_error_set(err, -EINVAL, "%s:%u: zone %s of node %d appears twice; expected each zone once",
                                            origin, ln.number, name, node);
                if (z->nr_orders > 0 && z->nr_orders != nr_orders)
                        return df_error_set(err, -EINVAL, "%s:%u: zone %s of node %d has %d orders here but %d in pagetypeinfo; expected the same",
                                            origin, ln.number, name, node, nr_orders, z->nr_orders);
                z->nr_orders = nr_orders;
                z->has_buddyinfo = true;
                memcpy(z->free_blocks, counts, (size_t) nr_orders * sizeof(counts[0]));
                n_zones++;
        }
        if (n_zones == 0)
                return df_error_set(err, -EINVAL, "%s:1: no zones; expected " EXPECTED_LINE, origin);
        return 0;
}
