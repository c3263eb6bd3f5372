/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: the JSON writer. (1) The whole input as one string:
 * the output must be a valid JSON string that decodes to the input, with
 * each byte that is not valid UTF-8 replaced by U+FFFD. (2) The input as a
 * program of writer calls with strings from the input: whenever
 * df_json_finish() says 0, the document must be valid JSON. */
#include <stdio.h>

#include "defragd/json.h"
#include "fuzz.h"
#include "json-check.h"

/* What df_json_write_string must decode back to: valid UTF-8 kept,
 * anything else byte by byte as U+FFFD. Strict RFC 3629, as json-check. */
static size_t expected_utf8(const unsigned char *s, size_t len, char *out) {
        size_t o = 0;

        for (size_t i = 0; i < len;) {
                unsigned c = s[i], cp;
                size_t n = 0;

                if (c < 0x80)
                        n = 1;
                else if (c >= 0xc2 && c <= 0xdf)
                        n = 2;
                else if (c >= 0xe0 && c <= 0xef)
                        n = 3;
                else if (c >= 0xf0 && c <= 0xf4)
                        n = 4;
                if (n > 1) {
                        cp = c & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
                        for (size_t k = 1; k < n; k++) {
                                if (i + k >= len || (s[i + k] & 0xc0) != 0x80) {
                                        n = 0;
                                        break;
                                }
                                cp = (cp << 6) | (s[i + k] & 0x3f);
                        }
                        if (n && ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
                                  (cp >= 0xd800 && cp <= 0xdfff)))
                                n = 0;
                }
                if (n == 0) {
                        memcpy(out + o, "\xef\xbf\xbd", 3);
                        o += 3;
                        i++;
                        continue;
                }
                memcpy(out + o, s + i, n);
                o += n;
                i += n;
        }
        return o;
}

static void check_string(const char *s) {
        size_t len = strlen(s), out_len = 0, at = 0;
        char *out = NULL, *decoded, *want;
        const char *why = NULL;
        FILE *f = open_memstream(&out, &out_len);
        long n;
        size_t want_len;

        fuzz_check(f);
        df_json_write_string(f, s);
        fclose(f);
        if (!json_check(out, out_len, &why, &at)) {
                fprintf(stderr, "df_json_write_string wrote invalid JSON (%s at byte %zu): %s\n", why, at, out);
                abort();
        }
        decoded = malloc(out_len + 1);
        want = malloc(len * 3 + 1);
        fuzz_check(decoded && want);
        n = json_decode_string(out, out_len, decoded);
        want_len = expected_utf8((const unsigned char *) s, len, want);
        if (n < 0 || (size_t) n != want_len || memcmp(decoded, want, want_len) != 0) {
                fprintf(stderr, "df_json_write_string changed the text: wrote %s\n", out);
                abort();
        }
        free(decoded);
        free(want);
        free(out);
}

struct prog {
        const uint8_t *p;
        size_t len, i;
};

static bool take(struct prog *g, void *buf, size_t n) {
        if (g->len - g->i < n)
                return false;
        memcpy(buf, g->p + g->i, n);
        g->i += n;
        return true;
}

/* A string operand: a length byte, then that many bytes (NUL ends it early). */
static bool take_string(struct prog *g, char *buf) {
        uint8_t n;

        if (!take(g, &n, 1) || !take(g, buf, n))
                return false;
        buf[n] = 0;
        return true;
}

static void run_program(const uint8_t *data, size_t size) {
        struct prog g = { data, size, 0 };
        struct df_json j;
        char *out = NULL, s[256], *key = NULL;
        size_t out_len = 0, at = 0;
        const char *why = NULL;
        FILE *f = open_memstream(&out, &out_len);
        uint8_t op, pretty = 0;
        int r;

        fuzz_check(f);
        (void) take(&g, &pretty, 1);
        df_json_init(&j, f, pretty & 1);
        while (take(&g, &op, 1)) {
                uint64_t u = 0;
                double d = 0;
                uint8_t dec = 0;

                switch (op % 12) {
                case 0: df_json_begin_object(&j); break;
                case 1: df_json_end_object(&j); break;
                case 2: df_json_begin_array(&j); break;
                case 3: df_json_end_array(&j); break;
                case 4: if (take_string(&g, s)) df_json_key(&j, s); break;
                case 5: if (take_string(&g, s)) df_json_string(&j, s); break;
                case 6: if (take(&g, &u, sizeof(u))) df_json_u64(&j, u); break;
                case 7: if (take(&g, &u, sizeof(u))) df_json_i64(&j, (int64_t) u); break;
                case 8: if (take(&g, &d, sizeof(d)) && take(&g, &dec, 1)) df_json_double(&j, d, (int8_t) dec); break;
                case 9: df_json_bool(&j, op & 0x80); break;
                case 10: df_json_null(&j); break;
                case 11: df_json_string(&j, key); break; /* NULL writes null */
                }
        }
        r = df_json_finish(&j);
        fclose(f);
        if (r == 0 && !json_check(out, out_len, &why, &at)) {
                fprintf(stderr, "df_json_finish() accepted invalid JSON (%s at byte %zu):\n%s\n", why, at, out);
                abort();
        }
        free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text;

        if (size == 0)
                return 0;
        if (data[0] & 1) {
                text = fuzz_strndup(data + 1, size - 1);
                if (text)
                        check_string(text);
                free(text);
        } else if (size <= FUZZ_INPUT_MAX_BYTES)
                run_program(data + 1, size - 1);
        return 0;
}
