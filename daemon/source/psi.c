/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/pressure/memory (kernel/sched/psi.c psi_show): "some" and "full"
 * lines of avg10/avg60/avg300 percentages and a total stall time in usec. */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "defragd/procfs.h"
#include "parse.h"

#define EXPECTED_PSI "\"some|full avg10=P avg60=P avg300=P total=USEC\""

/* "12.34": digits, a dot, two digits, as psi_show prints (LOAD_INT.LOAD_FRAC). */
static int parse_percent(const char *origin, unsigned line, const char *key, struct df_tok t, double *ret,
                         struct df_error *err) {
        char q[200];
        double v = 0, scale = 1;
        bool dot = false, digit = false;

        for (size_t i = 0; i < t.len; i++) {
                if (t.s[i] == '.' && !dot) {
                        dot = true;
                        continue;
                }
                if (!isdigit((unsigned char) t.s[i]) || (!dot && i >= 4))
                        goto bad;
                digit = true;
                if (dot) {
                        scale /= 10;
                        v += (t.s[i] - '0') * scale;
                } else
                        v = v * 10 + (t.s[i] - '0');
        }
        if (!digit || v > 100.0)
                goto bad;
        *ret = v;
        return 0;
bad:
        return df_error_set(err, -EINVAL, "%s:%u: %s=\"%s\" is not a percentage; expected a decimal 0.00..100.00",
                            origin, line, key, df_quote(t.s, t.len, q, sizeof(q)));
}

int df_parse_psi(const char *text, const char *origin, struct df_psi *p, struct df_error *err) {
        struct df_lines lines;
        struct df_line ln;

        memset(p, 0, sizeof(*p));
        df_lines_init(&lines, text, origin);
        while (df_lines_next(&lines, &ln)) {
                struct df_tok t[8];
                size_t n = df_tokenize(&ln, t, 8);
                struct df_psi_line *pl;
                bool seen[4] = { false, false, false, false };
                char q[200];
                int r;

                if (n == 0)
                        continue;
                r = df_check_newline(origin, &ln, err);
                if (r < 0)
                        return r;
                if (df_tok_eq(t[0], "some"))
                        pl = &p->some;
                else if (df_tok_eq(t[0], "full"))
                        pl = &p->full;
                else
                        return df_error_set(err, -EINVAL, "%s:%u: found \"%s\"; expected " EXPECTED_PSI,
                                            origin, ln.number, df_quote(ln.text, ln.len, q, sizeof(q)));
                if (pl->present)
                        return df_error_set(err, -EINVAL, "%s:%u: second \"%.4s\" line; expected one each of some and full",
                                            origin, ln.number, t[0].s);
                if (n != 5)
                        return df_error_set(err, -EINVAL, "%s:%u: %zu fields; expected " EXPECTED_PSI,
                                            origin, ln.number, n);
                for (size_t i = 1; i < n; i++) {
                        static const char *const keys[4] = { "avg10=", "avg60=", "avg300=", "total=" };
                        size_t k;

                        for (k = 0; k < 4; k++)
                                if (t[i].len > strlen(keys[k]) && strncmp(t[i].s, keys[k], strlen(keys[k])) == 0)
                                        break;
                        if (k == 4 || seen[k])
                                return df_error_set(err, -EINVAL, "%s:%u: field \"%s\"; expected " EXPECTED_PSI,
                                                    origin, ln.number, df_quote(t[i].s, t[i].len, q, sizeof(q)));
                        seen[k] = true;
                        struct df_tok v = { t[i].s + strlen(keys[k]), t[i].len - strlen(keys[k]) };
                        if (k == 0)
                                r = parse_percent(origin, ln.number, "avg10", v, &pl->avg10, err);
                        else if (k == 1)
                                r = parse_percent(origin, ln.number, "avg60", v, &pl->avg60, err);
                        else if (k == 2)
                                r = parse_percent(origin, ln.number, "avg300", v, &pl->avg300, err);
                        else
                                r = df_tok_u64(origin, ln.number, v, "total", "stall time in microseconds", &pl->total_usec, err);
                        if (r < 0)
                                return r;
                }
                pl->present = true;
        }
        if (!p->some.present)
                return df_error_set(err, -EINVAL, "%s:%u: no \"some\" line; expected " EXPECTED_PSI,
                                    origin, lines.number ? lines.number : 1);
        p->present = true;
        return 0;
}
