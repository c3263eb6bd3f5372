/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Line splitting, tokens and strict numbers for the procfs parsers, with
 * error messages that quote what was found and say what is accepted. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "defragd/procfs.h"
#include "parse.h"

void df_lines_init(struct df_lines *l, const char *text, const char *origin) {
        l->origin = origin;
        l->next = text ? text : "";
        l->number = 0;
}

bool df_lines_next(struct df_lines *l, struct df_line *out) {
        const char *nl;

        if (!*l->next)
                return false;
        nl = strchr(l->next, '\n');
        out->text = l->next;
        out->number = ++l->number;
        if (nl) {
                out->len = (size_t) (nl - l->next);
                out->has_newline = true;
                l->next = nl + 1;
        } else {
                out->len = strlen(l->next);
                out->has_newline = false;
                l->next += out->len;
        }
        return true;
}

size_t df_tokenize(const struct df_line *ln, struct df_tok *toks, size_t max) {
        size_t n = 0, i = 0;

        while (i < ln->len) {
                size_t start;

                while (i < ln->len && (ln->text[i] == ' ' || ln->text[i] == '\t' || ln->text[i] == '\r'))
                        i++;
                if (i >= ln->len)
                        break;
                start = i;
                while (i < ln->len && !(ln->text[i] == ' ' || ln->text[i] == '\t' || ln->text[i] == '\r'))
                        i++;
                if (n < max) {
                        toks[n].s = ln->text + start;
                        toks[n].len = i - start;
                }
                n++;
        }
        return n;
}

bool df_tok_eq(struct df_tok t, const char *s) {
        size_t len = strlen(s);

        return t.len == len && memcmp(t.s, s, len) == 0;
}

bool df_tok_strip_suffix(struct df_tok *t, char c) {
        if (t->len == 0 || t->s[t->len - 1] != c)
                return false;
        t->len--;
        return true;
}

const char *df_quote(const char *s, size_t len, char *buf, size_t size) {
        static const size_t shown_max = 40;
        size_t o = 0;

        if (size == 0)
                return buf;
        for (size_t i = 0; i < len && i < shown_max; i++) {
                unsigned char c = (unsigned char) s[i];
                int n;

                if (isprint(c) && c != '"' && c != '\\')
                        n = snprintf(buf + o, size - o, "%c", c);
                else
                        n = snprintf(buf + o, size - o, "\\x%02x", c);
                if (n < 0 || (size_t) n >= size - o)
                        break;
                o += (size_t) n;
        }
        if (len > shown_max && o + 4 < size) {
                memcpy(buf + o, "...", 3);
                o += 3;
        }
        buf[o < size ? o : size - 1] = 0;
        return buf;
}

int df_tok_u64(const char *origin, unsigned line, struct df_tok t, const char *what,
               const char *expected, uint64_t *ret, struct df_error *err) {
        char q[200];
        uint64_t v = 0;

        if (t.len == 0)
                return df_error_set(err, -EINVAL, "%s:%u: %s is missing; expected %s", origin, line, what, expected);
        for (size_t i = 0; i < t.len; i++) {
                unsigned d;

                if (!isdigit((unsigned char) t.s[i]))
                        return df_error_set(err, -EINVAL, "%s:%u: %s \"%s\" is not an unsigned decimal number; expected %s",
                                            origin, line, what, df_quote(t.s, t.len, q, sizeof(q)), expected);
                d = (unsigned) (t.s[i] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return df_error_set(err, -EINVAL, "%s:%u: %s \"%s\" is larger than 18446744073709551615; expected %s",
                                            origin, line, what, df_quote(t.s, t.len, q, sizeof(q)), expected);
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

int df_tok_node(const char *origin, unsigned line, struct df_tok t, int *ret, struct df_error *err) {
        char q[200];
        uint64_t v;
        int r;

        if (!df_tok_strip_suffix(&t, ','))
                return df_error_set(err, -EINVAL, "%s:%u: node field \"%s\" has no trailing comma; expected \"Node N, zone NAME\"",
                                    origin, line, df_quote(t.s, t.len, q, sizeof(q)));
        r = df_tok_u64(origin, line, t, "node number", "a node number 0..65535", &v, err);
        if (r < 0)
                return r;
        if (v > DF_NODE_MAX)
                return df_error_set(err, -EINVAL, "%s:%u: node number %llu is out of range; expected a node number 0..%d",
                                    origin, line, (unsigned long long) v, DF_NODE_MAX);
        *ret = (int) v;
        return 0;
}

int df_tok_name(const char *origin, unsigned line, struct df_tok t, const char *what,
                char *buf, size_t size, struct df_error *err) {
        char q[200];

        if (t.len == 0 || t.len >= size)
                return df_error_set(err, -EINVAL, "%s:%u: %s \"%s\" has %zu characters; expected 1..%zu",
                                    origin, line, what, df_quote(t.s, t.len, q, sizeof(q)), t.len, size - 1);
        for (size_t i = 0; i < t.len; i++)
                if (!isgraph((unsigned char) t.s[i]))
                        return df_error_set(err, -EINVAL, "%s:%u: %s \"%s\" has a non-printable character; expected a name like \"Normal\"",
                                            origin, line, what, df_quote(t.s, t.len, q, sizeof(q)));
        memcpy(buf, t.s, t.len);
        buf[t.len] = 0;
        return 0;
}

int df_check_newline(const char *origin, const struct df_line *ln, struct df_error *err) {
        if (ln->has_newline)
                return 0;
        return df_error_set(err, -EINVAL, "%s:%u: last line ends without a newline (file cut short?); expected complete lines",
                            origin, ln->number);
}
