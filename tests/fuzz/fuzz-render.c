/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: `defragctl report` on parsed input. The first byte
 * picks render options; the rest is buddyinfo, pagetypeinfo, zoneinfo,
 * vmstat and pressure/memory split at lines "%%" and parsed as the readers
 * do. When they parse, the text render must succeed and the JSON render
 * must be valid JSON. */
#include <stdio.h>

#include "defragd/render.h"
#include "fuzz-procfs.h"
#include "json-check.h"

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
                f = fopen("/dev/null", "we");
                assert(f);
                r = df_render_text(&s, &o, f);
                assert(r == 0);
                fclose(f);

                f = open_memstream(&out, &out_len);
                assert(f);
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
