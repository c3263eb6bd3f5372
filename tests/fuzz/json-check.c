/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Recursive-descent JSON checker (depth-limited) used to validate what the
 * JSON writer and the report renderer print for arbitrary input. */
#include <string.h>

#include "json-check.h"

#define JSON_CHECK_DEPTH_MAX 64

struct p {
        const unsigned char *s;
        size_t len, i;
        const char *why;
};

static bool fail(struct p *p, const char *why) {
        if (!p->why)
                p->why = why;
        return false;
}

static void ws(struct p *p) {
        while (p->i < p->len && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
                p->i++;
}

static bool lit(struct p *p, const char *w) {
        size_t n = strlen(w);

        if (p->len - p->i < n || memcmp(p->s + p->i, w, n) != 0)
                return fail(p, "bad literal");
        p->i += n;
        return true;
}

/* Length of one valid UTF-8 sequence (RFC 3629), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t avail) {
        unsigned c = s[0];
        size_t n;
        unsigned cp;

        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                n = 2, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
                n = 3, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
                n = 4, cp = c & 0x07;
        else
                return 0;
        if (avail < n)
                return 0;
        for (size_t k = 1; k < n; k++) {
                if ((s[k] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[k] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}

static int hex(unsigned c) {
        if (c >= '0' && c <= '9')
                return (int) (c - '0');
        if (c >= 'a' && c <= 'f')
                return (int) (c - 'a' + 10);
        if (c >= 'A' && c <= 'F')
                return (int) (c - 'A' + 10);
        return -1;
}

static bool string(struct p *p) {
        if (p->i >= p->len || p->s[p->i] != '"')
                return fail(p, "expected a string");
        p->i++;
        while (p->i < p->len) {
                unsigned c = p->s[p->i];
                size_t n;

                if (c == '"') {
                        p->i++;
                        return true;
                }
                if (c < 0x20)
                        return fail(p, "raw control character in a string");
                if (c == '\\') {
                        if (p->i + 1 >= p->len)
                                return fail(p, "string ends in a backslash");
                        c = p->s[p->i + 1];
                        if (c == 'u') {
                                if (p->i + 6 > p->len)
                                        return fail(p, "short \\u escape");
                                for (int k = 2; k < 6; k++)
                                        if (hex(p->s[p->i + (size_t) k]) < 0)
                                                return fail(p, "bad \\u escape");
                                p->i += 6;
                                continue;
                        }
                        if (!strchr("\"\\/bfnrt", (int) c) || c == 0)
                                return fail(p, "bad escape");
                        p->i += 2;
                        continue;
                }
                n = utf8_seq(p->s + p->i, p->len - p->i);
                if (n == 0)
                        return fail(p, "invalid UTF-8 in a string");
                p->i += n;
        }
        return fail(p, "unterminated string");
}

static bool digits(struct p *p) {
        size_t start = p->i;

        while (p->i < p->len && p->s[p->i] >= '0' && p->s[p->i] <= '9')
                p->i++;
        return p->i > start;
}

static bool number(struct p *p) {
        if (p->i < p->len && p->s[p->i] == '-')
                p->i++;
        if (p->i < p->len && p->s[p->i] == '0')
                p->i++;
        else if (!digits(p))
                return fail(p, "bad number");
        if (p->i < p->len && p->s[p->i] == '.') {
                p->i++;
                if (!digits(p))
                        return fail(p, "bad fraction");
        }
        if (p->i < p->len && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
                p->i++;
                if (p->i < p->len && (p->s[p->i] == '+' || p->s[p->i] == '-'))
                        p->i++;
                if (!digits(p))
                        return fail(p, "bad exponent");
        }
        return true;
}

static bool value(struct p *p, int depth) {
        if (depth > JSON_CHECK_DEPTH_MAX)
                return fail(p, "nested too deep");
        ws(p);
        if (p->i >= p->len)
                return fail(p, "expected a value");
        switch (p->s[p->i]) {
        case '{':
                p->i++;
                ws(p);
                if (p->i < p->len && p->s[p->i] == '}') {
                        p->i++;
                        return true;
                }
                for (;;) {
                        ws(p);
                        if (!string(p))
                                return false;
                        ws(p);
                        if (p->i >= p->len || p->s[p->i] != ':')
                                return fail(p, "expected ':'");
                        p->i++;
                        if (!value(p, depth + 1))
                                return false;
                        ws(p);
                        if (p->i < p->len && p->s[p->i] == ',') {
                                p->i++;
                                continue;
                        }
                        if (p->i < p->len && p->s[p->i] == '}') {
                                p->i++;
                                return true;
                        }
                        return fail(p, "expected ',' or '}'");
                }
        case '[':
                p->i++;
                ws(p);
                if (p->i < p->len && p->s[p->i] == ']') {
                        p->i++;
                        return true;
                }
                for (;;) {
                        if (!value(p, depth + 1))
                                return false;
                        ws(p);
                        if (p->i < p->len && p->s[p->i] == ',') {
                                p->i++;
                                continue;
                        }
                        if (p->i < p->len && p->s[p->i] == ']') {
                                p->i++;
                                return true;
                        }
                        return fail(p, "expected ',' or ']'");
                }
        case '"':
                return string(p);
        case 't':
                return lit(p, "true");
        case 'f':
                return lit(p, "false");
        case 'n':
                return lit(p, "null");
        default:
                return number(p);
        }
}

bool json_check(const char *text, size_t len, const char **why, size_t *at) {
        struct p p = { (const unsigned char *) text, len, 0, NULL };
        bool ok = value(&p, 0);

        if (ok) {
                ws(&p);
                if (p.i != p.len)
                        ok = fail(&p, "text after the value");
        }
        if (why)
                *why = p.why;
        if (at)
                *at = p.i;
        return ok;
}

static void put_utf8(char *out, long *o, unsigned cp) {
        if (cp < 0x80)
                out[(*o)++] = (char) cp;
        else if (cp < 0x800) {
                out[(*o)++] = (char) (0xc0 | (cp >> 6));
                out[(*o)++] = (char) (0x80 | (cp & 0x3f));
        } else {
                out[(*o)++] = (char) (0xe0 | (cp >> 12));
                out[(*o)++] = (char) (0x80 | ((cp >> 6) & 0x3f));
                out[(*o)++] = (char) (0x80 | (cp & 0x3f));
        }
}

long json_decode_string(const char *text, size_t len, char *out) {
        const unsigned char *s = (const unsigned char *) text;
        long o = 0;

        if (len < 2 || s[0] != '"' || s[len - 1] != '"')
                return -1;
        for (size_t i = 1; i < len - 1;) {
                if (s[i] != '\\') {
                        out[o++] = (char) s[i++];
                        continue;
                }
                switch (s[i + 1]) {
                case 'u': {
                        unsigned cp = 0;

                        for (int k = 2; k < 6; k++)
                                cp = cp * 16 + (unsigned) hex(s[i + (size_t) k]);
                        put_utf8(out, &o, cp); /* the writer emits no surrogate pairs */
                        i += 6;
                        continue;
                }
                case 'n': out[o++] = '\n'; break;
                case 'r': out[o++] = '\r'; break;
                case 't': out[o++] = '\t'; break;
                case 'b': out[o++] = '\b'; break;
                case 'f': out[o++] = '\f'; break;
                default: out[o++] = (char) s[i + 1]; break;
                }
                i += 2;
        }
        return o;
}
