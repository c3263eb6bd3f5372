/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Rendering of `defragctl report`: a table per zone with orders across (free
 * blocks, a bar of where free memory sits, suitable blocks, the kernel's two
 * indices), and the same numbers as JSON. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "defragd/json.h"
#include "defragd/model.h"
#include "defragd/render.h"

#define LABEL_COLS 12          /* "  frag index" */
#define DEFAULT_WIDTH_COLS 100
#define MAX_CELL_COLS 8
#define MIN_CELL_COLS 5         /* "-1.0", "251k" and a space */

#define SGR_RESET  "\033[0m"
#define SGR_BOLD   "\033[1m"
#define SGR_RED    "\033[31m"
#define SGR_YELLOW "\033[33m"
#define SGR_CYAN   "\033[36m"
#define SGR_DIM    "\033[2m"

int df_report_score_order(const struct df_snapshot *s) {
        return s->pageblock_order >= 0 ? s->pageblock_order : 9;
}

/* A count in at most `w` characters: exact when it fits, else k/M/G/T/P/E. */
static void fmt_count(uint64_t v, int w, char *buf, size_t size) {
        static const char suffix[] = "kMGTPE";
        int n = snprintf(buf, size, "%llu", (unsigned long long) v);

        for (int i = 0; n > w && i < 6; i++) {
                v /= 1000;
                n = snprintf(buf, size, "%llu%c", (unsigned long long) v, suffix[i]);
        }
}

/* Index in thousandths in at most `w` characters: the kernel's "%d.%03d" when
 * it fits, else fewer decimals, truncated (0.996 must not read as 1.00). */
static void fmt_index(int index, int w, char *buf, size_t size) {
        int a = index < 0 ? -index : index;

        df_format_index(index, buf, (unsigned) size);
        if ((int) strlen(buf) <= w)
                return;
        snprintf(buf, size, "%s%d.%02d", index < 0 ? "-" : "", a / 1000, (a % 1000) / 10);
        if ((int) strlen(buf) <= w)
                return;
        snprintf(buf, size, "%s%d.%d", index < 0 ? "-" : "", a / 1000, (a % 1000) / 100);
}

static void fmt_bytes(uint64_t pages, unsigned page_size, char *buf, size_t size) {
        static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
        double v = (double) pages * (page_size ? page_size : 4096) / 1024.0;
        size_t u = 0;

        while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
                v /= 1024.0;
                u++;
        }
        snprintf(buf, size, "%.1f %s", v, units[u]);
}

/* A cell right-aligned in `w` columns, optionally coloured. */
static void cell(FILE *f, const char *text, int w, const char *sgr) {
        int pad = w - (int) strlen(text);

        fprintf(f, "%*s", pad > 0 ? pad : 0, "");
        if (sgr)
                fprintf(f, "%s%s%s", sgr, text, SGR_RESET);
        else
                fputs(text, f);
}

/* A bar of `w` columns for frac in [0, 1]: eighth blocks in UTF-8, '#' in
 * ASCII; a non-zero share too small to draw still shows one thin mark. */
static void bar(FILE *f, double frac, int w, const struct df_render_opts *o) {
        static const char *const eighths[9] = { "", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589", "\u2588" };
        int units = o->utf8 ? 8 : 1, total, drawn = 0;

        if (frac < 0)
                frac = 0;
        if (frac > 1)
                frac = 1;
        total = (int) (frac * w * units + 0.5);
        fputc(' ', f);
        if (total == 0 && frac > 0) {
                /* present but too small to draw */
                fputs(o->utf8 ? "\u258f" : ".", f);
                fprintf(f, "%*s", w - 1, "");
                return;
        }
        if (o->color && total > 0)
                fputs(SGR_CYAN, f);
        while (total > 0 && drawn < w) {
                int n = total >= units ? units : total;

                if (o->utf8)
                        fputs(eighths[n], f);
                else
                        fputc('#', f);
                total -= n;
                drawn++;
        }
        if (o->color && drawn > 0)
                fputs(SGR_RESET, f);
        fprintf(f, "%*s", w - drawn, "");
}

static const char *cell_colour(const struct df_render_opts *o, const struct df_zone_model *m, int order) {
        if (!o->color)
                return NULL;
        if (m->suitable_blocks[order] == 0)
                return SGR_RED;    /* a request of this order fails in this zone now */
        if (m->unusable_index[order] >= 900)
                return SGR_YELLOW; /* most free memory is in smaller pieces */
        return NULL;
}

static void render_zone(FILE *f, const struct df_snapshot *s, const struct df_zone *z,
                        const struct df_render_opts *o, int width) {
        struct df_zone_model m;
        char a[64], b[64], c[64], d[64];
        int w;

        df_zone_model_compute(z, &m);
        fprintf(f, "%sNode %d, zone %s%s   free %s (%llu pages)", o->color ? SGR_BOLD : "", z->node, z->name,
                o->color ? SGR_RESET : "", (fmt_bytes(m.free_pages, o->page_size, a, sizeof(a)), a), (unsigned long long) m.free_pages);
        if (z->has_zoneinfo)
                fprintf(f, " of %s managed; watermarks min %s low %s high %s",
                        (fmt_bytes(z->managed_pages, o->page_size, b, sizeof(b)), b),
                        (fmt_count(z->wmark_min_pages, 20, c, sizeof(c)), c),
                        (fmt_count(z->wmark_low_pages, 20, d, sizeof(d)), d),
                        (fmt_count(z->wmark_high_pages, 20, a, sizeof(a)), a));
        fputc('\n', f);
        if (z->nr_orders <= 0) {
                fputs("  (no buddyinfo line for this zone)\n", f);
                return;
        }

        w = (width - LABEL_COLS) / z->nr_orders;
        if (w > MAX_CELL_COLS - 1)
                w = MAX_CELL_COLS - 1;
        if (w < MIN_CELL_COLS)
                w = MIN_CELL_COLS; /* 16 orders still fit 100 columns; narrower terminals wrap */

        fprintf(f, "%-*s", LABEL_COLS, "  order");
        for (int k = 0; k < z->nr_orders; k++) {
                snprintf(a, sizeof(a), "%d", k);
                cell(f, a, w, o->color ? SGR_DIM : NULL);
        }
        fputc('\n', f);

        fprintf(f, "%-*s", LABEL_COLS, "  free");
        for (int k = 0; k < z->nr_orders; k++) {
                fmt_count(z->free_blocks[k], w - 1, a, sizeof(a));
                cell(f, a, w, cell_colour(o, &m, k));
        }
        fputc('\n', f);

        fprintf(f, "%-*s", LABEL_COLS, "  share");
        for (int k = 0; k < z->nr_orders; k++)
                bar(f, m.free_pages ? (double) (z->free_blocks[k] << k) / (double) m.free_pages : 0.0, w - 1, o);
        fputc('\n', f);

        fprintf(f, "%-*s", LABEL_COLS, "  suitable");
        for (int k = 0; k < z->nr_orders; k++) {
                fmt_count(m.suitable_blocks[k], w - 1, a, sizeof(a));
                cell(f, a, w, cell_colour(o, &m, k));
        }
        fputc('\n', f);

        fprintf(f, "%-*s", LABEL_COLS, "  unusable");
        for (int k = 0; k < z->nr_orders; k++) {
                fmt_index(m.unusable_index[k], w - 1, a, sizeof(a));
                cell(f, a, w, cell_colour(o, &m, k));
        }
        fputc('\n', f);

        fprintf(f, "%-*s", LABEL_COLS, "  frag index");
        for (int k = 0; k < z->nr_orders; k++) {
                fmt_index(m.fragmentation_index[k], w - 1, a, sizeof(a));
                cell(f, a, w, cell_colour(o, &m, k));
        }
        fputc('\n', f);
        (void) s;
}

int df_render_text(const struct df_snapshot *s, const struct df_render_opts *o, FILE *f) {
        int width = o->width > 0 ? o->width : DEFAULT_WIDTH_COLS;
        int nodes[1024];
        size_t n_nodes = df_snapshot_nodes(s, nodes, sizeof(nodes) / sizeof(nodes[0]));
        int score_order = df_report_score_order(s);

        fprintf(f, "Fragmentation of %s", o->source ? o->source : "/proc");
        if (s->pageblock_order >= 0)
                fprintf(f, " (pageblock order %d)", s->pageblock_order);
        fputc('\n', f);
        if (s->psi.present)
                fprintf(f, "Memory pressure: some %.2f%% %.2f%% %.2f%% (10s 60s 300s), full %.2f%% %.2f%% %.2f%%\n",
                        s->psi.some.avg10, s->psi.some.avg60, s->psi.some.avg300,
                        s->psi.full.avg10, s->psi.full.avg60, s->psi.full.avg300);

        for (size_t i = 0; i < n_nodes && i < sizeof(nodes) / sizeof(nodes[0]); i++) {
                int score = df_node_compaction_score(s, nodes[i], score_order);

                fputc('\n', f);
                for (size_t zi = 0; zi < s->n_zones; zi++)
                        if (s->zones[zi].node == nodes[i])
                                render_zone(f, s, &s->zones[zi], o, width);
                if (score >= 0) {
                        fprintf(f, "Node %d proactive compaction score %d (order %d", nodes[i], score, score_order);
                        if (o->proactiveness >= 0)
                                fprintf(f, "; kernel compacts above %u, stops at %u with vm.compaction_proactiveness=%d",
                                        df_compaction_score_wmark((unsigned) o->proactiveness, 0),
                                        df_compaction_score_wmark((unsigned) o->proactiveness, 1), o->proactiveness);
                        fputs(")\n", f);
                }
        }
        fputs("\nfree: free blocks of that order; share: part of free memory in them; suitable: blocks a\n"
              "request of that order can use; unusable: free memory it cannot use (0 good, 1 bad);\n"
              "frag index: -1 would succeed, near 1 fails from fragmentation, near 0 from lack of memory.\n", f);
        if (fflush(f) != 0 || ferror(f))
                return -EIO;
        return 0;
}

static void json_zoneinfo(struct df_json *j, const struct df_zone *z) {
        df_json_key(j, "zoneinfo");
        if (!z->has_zoneinfo) {
                df_json_null(j);
                return;
        }
        df_json_begin_object(j);
        df_json_kv_u64(j, "nr_free_pages", z->nr_free_pages);
        df_json_kv_u64(j, "wmark_min_pages", z->wmark_min_pages);
        df_json_kv_u64(j, "wmark_low_pages", z->wmark_low_pages);
        df_json_kv_u64(j, "wmark_high_pages", z->wmark_high_pages);
        df_json_kv_u64(j, "spanned_pages", z->spanned_pages);
        df_json_kv_u64(j, "present_pages", z->present_pages);
        df_json_kv_u64(j, "managed_pages", z->managed_pages);
        df_json_end_object(j);
}

static void json_zone(struct df_json *j, const struct df_snapshot *s, const struct df_zone *z) {
        struct df_zone_model m;

        df_zone_model_compute(z, &m);
        df_json_begin_object(j);
        df_json_kv_string(j, "zone", z->name);
        df_json_kv_u64(j, "free_pages", m.free_pages);
        df_json_kv_i64(j, "nr_orders", z->nr_orders);
        json_zoneinfo(j, z);
        df_json_key(j, "pageblocks_by_type");
        if (z->has_pagetype) {
                df_json_begin_object(j);
                for (int t = 0; t < s->nr_migratetypes; t++)
                        df_json_kv_u64(j, s->migratetype_names[t], z->pageblocks_by_type[t]);
                df_json_end_object(j);
        } else
                df_json_null(j);
        df_json_key(j, "orders");
        df_json_begin_array(j);
        for (int k = 0; k < z->nr_orders; k++) {
                df_json_begin_object(j);
                df_json_kv_i64(j, "order", k);
                df_json_kv_u64(j, "free_blocks", z->free_blocks[k]);
                df_json_kv_u64(j, "suitable_blocks", m.suitable_blocks[k]);
                df_json_kv_double(j, "unusable_index", m.unusable_index[k] / 1000.0, 3);
                df_json_kv_double(j, "fragmentation_index", m.fragmentation_index[k] / 1000.0, 3);
                if (z->has_pagetype) {
                        df_json_key(j, "free_blocks_by_type");
                        df_json_begin_object(j);
                        for (int t = 0; t < s->nr_migratetypes; t++)
                                df_json_kv_u64(j, s->migratetype_names[t], z->free_by_type[t][k]);
                        df_json_end_object(j);
                }
                df_json_end_object(j);
        }
        df_json_end_array(j);
        df_json_end_object(j);
}

static void json_psi_line(struct df_json *j, const char *key, const struct df_psi_line *l) {
        df_json_key(j, key);
        if (!l->present) {
                df_json_null(j);
                return;
        }
        df_json_begin_object(j);
        df_json_kv_double(j, "avg10", l->avg10, 2);
        df_json_kv_double(j, "avg60", l->avg60, 2);
        df_json_kv_double(j, "avg300", l->avg300, 2);
        df_json_kv_u64(j, "total_usec", l->total_usec);
        df_json_end_object(j);
}

int df_render_json(const struct df_snapshot *s, const struct df_render_opts *o, FILE *f) {
        struct df_json j;
        int nodes[1024];
        size_t n_nodes = df_snapshot_nodes(s, nodes, sizeof(nodes) / sizeof(nodes[0]));
        int score_order = df_report_score_order(s);

        df_json_init(&j, f, true);
        df_json_begin_object(&j);
        df_json_kv_string(&j, "source", o->source ? o->source : "/proc");
        df_json_key(&j, "pageblock_order");
        if (s->pageblock_order >= 0)
                df_json_i64(&j, s->pageblock_order);
        else
                df_json_null(&j);
        df_json_key(&j, "migratetypes");
        df_json_begin_array(&j);
        for (int t = 0; t < s->nr_migratetypes; t++)
                df_json_string(&j, s->migratetype_names[t]);
        df_json_end_array(&j);
        df_json_key(&j, "psi_memory");
        if (s->psi.present) {
                df_json_begin_object(&j);
                json_psi_line(&j, "some", &s->psi.some);
                json_psi_line(&j, "full", &s->psi.full);
                df_json_end_object(&j);
        } else
                df_json_null(&j);
        df_json_key(&j, "compaction_proactiveness");
        if (o->proactiveness >= 0)
                df_json_i64(&j, o->proactiveness);
        else
                df_json_null(&j);

        df_json_key(&j, "nodes");
        df_json_begin_array(&j);
        for (size_t i = 0; i < n_nodes && i < sizeof(nodes) / sizeof(nodes[0]); i++) {
                int score = df_node_compaction_score(s, nodes[i], score_order);

                df_json_begin_object(&j);
                df_json_kv_i64(&j, "node", nodes[i]);
                df_json_key(&j, "compaction_score");
                if (score >= 0)
                        df_json_i64(&j, score);
                else
                        df_json_null(&j);
                df_json_kv_i64(&j, "compaction_score_order", score_order);
                df_json_key(&j, "zones");
                df_json_begin_array(&j);
                for (size_t zi = 0; zi < s->n_zones; zi++)
                        if (s->zones[zi].node == nodes[i])
                                json_zone(&j, s, &s->zones[zi]);
                df_json_end_array(&j);
                df_json_end_object(&j);
        }
        df_json_end_array(&j);
        df_json_end_object(&j);
        return df_json_finish(&j);
}
