/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: the metrics writer's label escaping. df_metrics_escape_label()
 * on the input stays within its buffer, never ends inside an escape, and
 * unescapes to valid UTF-8 (a prefix of the input when that is valid); then the whole exposition, in both
 * formats, with zone names and the version taken from the input, is checked
 * line by line: HELP/TYPE/UNIT comments, samples `name{l="v",...} value`
 * whose label values are valid UTF-8 and unescape to exactly the zone names
 * and version given, "# EOF" last in OpenMetrics.
 *
 * Input: [0] buffer size for the direct escape test; [1] bit 0 OpenMetrics,
 * bit 1 with cells; then parts separated by a line "%%": the version, then up
 * to 4 zone names (first line of each part; the rest feeds free counts). */
#include <stdbool.h>

#include "defragd/metrics.h"
#include "defragd/snapshot.h"
#include "fuzz.h"

#define MAX_ZONES 4

/* Undo \\, \" and \n; NULL when another escape or a raw '"' or newline appears. */
static char *unescape(const char *s, size_t len, size_t *out_len) {
        char *out = malloc(len + 1);
        size_t n = 0;

        fuzz_check(out);
        for (size_t i = 0; i < len; i++) {
                if (s[i] == '"' || s[i] == '\n') {
                        free(out);
                        return NULL;
                }
                if (s[i] != '\\') {
                        out[n++] = s[i];
                        continue;
                }
                if (++i == len || (s[i] != '\\' && s[i] != '"' && s[i] != 'n')) {
                        free(out);
                        return NULL;
                }
                out[n++] = s[i] == 'n' ? '\n' : s[i];
        }
        out[n] = 0;
        *out_len = n;
        return out;
}

static bool utf8_valid(const unsigned char *s, size_t len) {
        for (size_t i = 0; i < len;) {
                unsigned char c = s[i];
                size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
                uint32_t cp;

                if (n == 0 || i + n > len)
                        return false;
                cp = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
                for (size_t k = 1; k < n; k++) {
                        if ((s[i + k] & 0xc0) != 0x80)
                                return false;
                        cp = cp << 6 | (s[i + k] & 0x3f);
                }
                if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                i += n;
        }
        return true;
}

static bool name_char(char c, bool first) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
}

struct expect {
        const char *version;
        const char *zones[MAX_ZONES];
        size_t n_zones;
};

/* One label value (escaped, without quotes) of label `name`. */
static void check_value(const char *name, size_t name_len, const char *v, size_t len, const struct expect *x) {
        size_t n;
        char *raw = unescape(v, len, &n);

        if (!raw) {
                fprintf(stderr, "label value with a bad escape or a raw quote/newline: \"%.*s\"\n", (int) len, v);
                abort();
        }
        if (!utf8_valid((const unsigned char *) raw, n)) {
                fprintf(stderr, "label %.*s: value is not valid UTF-8: \"%.*s\"\n", (int) name_len, name, (int) len, v);
                abort();
        }
        if (name_len == 4 && memcmp(name, "zone", 4) == 0) {
                bool found = false;

                for (size_t i = 0; i < x->n_zones && !found; i++)
                        found = strlen(x->zones[i]) == n && memcmp(x->zones[i], raw, n) == 0;
                if (!found) {
                        /* Not a name given: only allowed where a given name was not UTF-8 (replaced). */
                        bool any_invalid = false;

                        for (size_t i = 0; i < x->n_zones; i++)
                                any_invalid |= !utf8_valid((const unsigned char *) x->zones[i], strlen(x->zones[i]));
                        if (!any_invalid) {
                                fprintf(stderr, "zone label \"%s\" is none of the zones given\n", raw);
                                abort();
                        }
                }
        }
        if (name_len == 7 && memcmp(name, "version", 7) == 0 &&
            utf8_valid((const unsigned char *) x->version, strlen(x->version)))
                fuzz_check(n <= strlen(x->version) && memcmp(raw, x->version, n) == 0);
        free(raw);
}

static void check_sample(const char *line, size_t len, const struct expect *x) {
        size_t i = 0;

        fuzz_check(len > 0 && name_char(line[0], true));
        while (i < len && name_char(line[i], false))
                i++;
        if (i < len && line[i] == '{') {
                i++;
                while (i < len && line[i] != '}') {
                        size_t name = i, name_len, v;

                        fuzz_check(name_char(line[i], true));
                        while (i < len && name_char(line[i], false))
                                i++;
                        name_len = i - name;
                        fuzz_check(i + 1 < len && line[i] == '=' && line[i + 1] == '"');
                        i += 2;
                        v = i;
                        while (i < len && line[i] != '"')
                                i += line[i] == '\\' ? 2 : 1;
                        fuzz_check(i < len);
                        check_value(line + name, name_len, line + v, i - v, x);
                        i++;
                        if (i < len && line[i] == ',')
                                i++;
                }
                fuzz_check(i < len && line[i] == '}');
                i++;
        }
        fuzz_check(i < len && line[i] == ' ');
        i++;
        fuzz_check(i < len); /* a value */
        for (; i < len; i++)
                fuzz_check(strchr("0123456789.eE+-InfNa", line[i]));
}

static void check_exposition(const char *text, size_t size, bool om, const struct expect *x) {
        const char *p = text, *end = text + size;
        bool eof = false;

        fuzz_check(size > 0 && text[size - 1] == '\n');
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t len = (size_t) (nl - p);

                fuzz_check(!eof); /* nothing after # EOF */
                if (len >= 2 && p[0] == '#') {
                        if (len == 5 && memcmp(p, "# EOF", 5) == 0) {
                                fuzz_check(om);
                                eof = true;
                        } else
                                fuzz_check(memcmp(p, "# HELP ", 7) == 0 || memcmp(p, "# TYPE ", 7) == 0 ||
                                           (om && memcmp(p, "# UNIT ", 7) == 0));
                } else
                        check_sample(p, len, x);
                p = nl + 1;
        }
        fuzz_check(eof == om);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct df_snapshot s;
        struct df_metrics_input in = { 0 };
        struct df_metrics_cell cells[MAX_ZONES];
        struct expect x = { 0 };
        char *text, *rest, *part, buf[300], *out = NULL;
        size_t out_len = 0, esc_size;
        bool om;
        FILE *f;

        if (size < 2 || size > 4096)
                return 0;
        esc_size = 1 + data[0];
        om = data[1] & 1;
        text = fuzz_strndup(data + 2, size - 2);
        if (!text)
                return 0;

        /* The escape on its own. */
        {
                size_t n, len;
                char *raw;

                memset(buf, 'x', sizeof(buf));
                df_metrics_escape_label(text, buf, esc_size);
                len = strnlen(buf, esc_size);
                fuzz_check(len < esc_size);
                fuzz_check(buf[esc_size] == 'x' || esc_size == sizeof(buf)); /* nothing written past size */
                raw = unescape(buf, len, &n);
                fuzz_check(raw);
                fuzz_check(utf8_valid((const unsigned char *) raw, n));
                /* Valid UTF-8 comes back as given (cut short at most); other bytes become U+FFFD. */
                if (utf8_valid((const unsigned char *) text, strlen(text)))
                        fuzz_check(n <= strlen(text) && memcmp(raw, text, n) == 0);
                free(raw);
        }

        rest = text;
        x.version = fuzz_next_part(&rest);
        df_snapshot_init(&s);
        while ((part = fuzz_next_part(&rest)) && x.n_zones < MAX_ZONES) {
                char *nl = strchr(part, '\n');
                struct df_zone *z;

                if (nl)
                        *nl = 0;
                if (strlen(part) >= DF_NAME_MAX || df_snapshot_zone_const(&s, 0, part))
                        continue;
                z = df_snapshot_zone(&s, 0, part, true);
                fuzz_check(z);
                z->has_buddyinfo = z->has_zoneinfo = true;
                z->nr_orders = 11;
                for (int o = 0; o < 11 && nl && nl[1 + o]; o++)
                        z->free_blocks[o] = (unsigned char) nl[1 + o];
                z->present_pages = z->managed_pages = z->spanned_pages = 1u << 20;
                cells[x.n_zones] = (struct df_metrics_cell) { .node = 0, .order = 9, .low_blocks = 4, .high_blocks = 8,
                                                              .state = DF_METRICS_STATE_SHORT };
                snprintf(cells[x.n_zones].zone, sizeof(cells[x.n_zones].zone), "%s", part);
                x.zones[x.n_zones++] = s.zones[s.n_zones - 1].name;
        }
        in.snapshot = &s;
        in.compaction_score_order = 9;
        in.version = x.version;
        in.evaluations = 1;
        if (data[1] & 2) {
                in.cells = cells;
                in.n_cells = x.n_zones;
        }
        f = open_memstream(&out, &out_len);
        fuzz_check(f);
        fuzz_check(df_metrics_render_format(f, &in, om ? DF_METRICS_OPENMETRICS : DF_METRICS_PROMETHEUS) == 0);
        fuzz_check(fclose(f) == 0);
        check_exposition(out, out_len, om, &x);
        free(out);
        df_snapshot_clear(&s);
        free(text);
        return 0;
}
