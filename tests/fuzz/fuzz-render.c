/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: `defragctl report` on parsed input. The first byte
 * picks render options; the rest is buddyinfo, pagetypeinfo, zoneinfo,
 * vmstat and pressure/memory split at lines "%%" and parsed as the readers
 * do. When they parse, the text render must succeed and the JSON render
 * must be valid JSON. */
#include <stdio.h>

#include "defragd/model.h"
#include "defragd/render.h"
#include "fuzz-procfs.h"
#include "json-check.h"

/* The model against the same formulas (mm/vmstat.c unusable_free_index,
 * __fragmentation_index) in 128-bit arithmetic, which cannot wrap for any
 * count the parser accepts: they must agree, or the parser let through
 * counts whose 64-bit sums (as the kernel's unsigned long) wrap. Compaction
 * score 0..100 (-1: no zoneinfo). */
#ifdef __SIZEOF_INT128__
__extension__ typedef unsigned __int128 u128;
#else
typedef uint64_t u128; /* 32-bit targets: the cross-check is then only as wide as the model */
#endif

static void check_model(const struct df_snapshot *s) {
        int nodes[64];
        size_t n = df_snapshot_nodes(s, nodes, 64);

        for (size_t i = 0; i < s->n_zones; i++) {
                const struct df_zone *z = &s->zones[i];
                struct df_zone_model m;

                df_zone_model_compute(z, &m);
                for (int o = 0; o < m.nr_orders && o < DF_MAX_ORDERS; o++) {
                        u128 free_pages = 0, suitable = 0, total = 0;
                        long long u, f;

                        for (int k = 0; k < z->nr_orders; k++) {
                                total += z->free_blocks[k];
                                free_pages += (u128) z->free_blocks[k] << k;
                                if (k >= o)
                                        suitable += (u128) z->free_blocks[k] << (k - o);
                        }
                        u = free_pages == 0 ? 1000 : (long long) ((free_pages - (suitable << o)) * 1000 / free_pages);
                        if (total == 0)
                                f = 0;
                        else if (suitable)
                                f = -1000;
                        else
                                f = 1000 - (long long) ((1000 + free_pages * 1000 / ((u128) 1 << o)) / total);
                        if (m.unusable_index[o] != u || m.fragmentation_index[o] != f) {
                                fprintf(stderr, "node %d %s order %d: unusable %d, fragmentation %d; exact %lld, %lld\n",
                                        m.node, m.zone, o, m.unusable_index[o], m.fragmentation_index[o], u, f);
                                abort();
                        }
                }
        }
        for (size_t i = 0; i < n && i < 64; i++) {
                int score = df_node_compaction_score(s, nodes[i], df_report_score_order(s));

                if (score < -1 || score > 100) {
                        fprintf(stderr, "node %d: compaction score %d out of range\n", nodes[i], score);
                        abort();
                }
        }
}

static int parse_parts(char *text, struct df_snapshot *s) {
        struct df_error err = { "" };
        char *rest = text, *part;
        int r = 0;

        for (int i = 0; i < 5 && r >= 0 && (part = fuzz_next_part(&rest)); i++) {
                switch (i) {
                case 0: r = df_parse_buddyinfo(part, FUZZ_ORIGIN, s, &err); break;
                case 1: r = *part ? df_parse_pagetypeinfo(part, FUZZ_ORIGIN, s, &err) : 0; break;
                case 2: r = *part ? df_parse_zoneinfo(part, FUZZ_ORIGIN, s, &err) : 0; break;
                case 3: r = *part ? df_parse_vmstat(part, FUZZ_ORIGIN, &s->vmstat, &err) : 0; break;
                case 4: r = *part ? df_parse_psi(part, FUZZ_ORIGIN, &s->psi, &err) : 0; break;
                }
                fuzz_check_error(r, &err);
        }
        return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct df_render_opts o = { .source = "/proc" };
        struct df_snapshot s;
        char *text, *out = NULL;
        size_t out_len = 0, at = 0;
        const char *why = NULL;
        FILE *f;
        int r;

        if (size < 2)
                return 0;
        o.color = data[0] & 1;
        o.utf8 = data[0] & 2;
        o.page_size = data[0] & 4 ? 65536 : 0;
        o.proactiveness = data[0] & 8 ? 20 : -1;
        o.width = data[1]; /* 0 = default, tiny and odd widths on purpose */
        text = fuzz_strndup(data + 2, size - 2);
        if (!text)
                return 0;
        df_snapshot_init(&s);
        if (parse_parts(text, &s) >= 0) {
                fuzz_check_snapshot(&s);
                check_model(&s);
                f = fopen("/dev/null", "we");
                fuzz_check(f);
                r = df_render_text(&s, &o, f);
                fuzz_check(r == 0);
                fclose(f);

                f = open_memstream(&out, &out_len);
                fuzz_check(f);
                r = df_render_json(&s, &o, f);
                fclose(f);
                if (r != 0 || !json_check(out, out_len, &why, &at)) {
                        fprintf(stderr, "df_render_json: %d, %s at byte %zu:\n%s\n", r, why ? why : "ok", at, out);
                        abort();
                }
                free(out);
        }
        df_snapshot_clear(&s);
        free(text);
        return 0;
}
