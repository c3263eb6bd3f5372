/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Value parsers of the config loader: node lists, zone lists and cgroup
 * patterns, and the
 * printers that let df_config_dump write values that parse back identically. */
#include <assert.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf-parse.h"
#include "defragd/util.h"

static const char *const zone_names[] = { "DMA", "DMA32", "Normal", "HighMem", "Movable", "Device" };
const char df_conf_zone_names_accepted[] = DF_CONF_ZONE_NAMES;

#define SEPARATORS " \t,"

bool df_conf_zone_name_known(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(zone_names); i++)
                if (strcmp(name, zone_names[i]) == 0)
                        return true;
        return false;
}

/* Next token of a list separated by `separators`: copies it into tok, returns
 * the position after it, or NULL at the end. -1 in *too_long when it did not fit. */
static const char *next_token(const char *p, char *tok, size_t size, bool *too_long, const char *separators) {
        size_t n;

        p += strspn(p, separators);
        if (!*p)
                return NULL;
        n = strcspn(p, separators);
        *too_long = n >= size;
        if (*too_long)
                n = size - 1;
        memcpy(tok, p, n);
        tok[n] = 0;
        return p + strcspn(p, separators);
}

static int parse_node_number(const char *s, unsigned *ret) {
        uint64_t v;
        int r;

        r = df_parse_u64(s, &v);
        if (r < 0)
                return r;
        if (v >= DF_CONF_MAX_NODES)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

int df_conf_parse_nodes(const char *value, bool *ret_all, uint64_t ret_mask[DF_CONF_MAX_NODES / 64],
                        char *why, size_t why_size) {
        uint64_t mask[DF_CONF_MAX_NODES / 64] = { 0 };
        const char *p = value;
        char tok[32];
        bool too_long, any = false;

        if (strcmp(value, "all") == 0) {
                *ret_all = true;
                memset(ret_mask, 0, sizeof(mask));
                return 0;
        }
        while ((p = next_token(p, tok, sizeof(tok), &too_long, SEPARATORS))) {
                unsigned first, last;
                char *dash;

                if (too_long) {
                        snprintf(why, why_size, "'%s...' is not a node number or range", tok);
                        return -EINVAL;
                }
                dash = strchr(tok, '-');
                if (dash)
                        *dash = 0;
                if (parse_node_number(tok, &first) < 0 ||
                    (dash && parse_node_number(dash + 1, &last) < 0)) {
                        if (dash)
                                *dash = '-';
                        snprintf(why, why_size, "'%s' is not a node number 0..%d or a range of them",
                                 tok, DF_CONF_MAX_NODES - 1);
                        return -EINVAL;
                }
                if (!dash)
                        last = first;
                if (last < first) {
                        *dash = '-';
                        snprintf(why, why_size, "range '%s' runs backwards", tok);
                        return -EINVAL;
                }
                for (unsigned n = first; n <= last; n++)
                        mask[n / 64] |= UINT64_C(1) << (n % 64);
                any = true;
        }
        if (!any) {
                snprintf(why, why_size, "no node given");
                return -EINVAL;
        }
        *ret_all = false;
        memcpy(ret_mask, mask, sizeof(mask));
        return 0;
}

static bool mask_test(const uint64_t *mask, unsigned n) {
        return mask[n / 64] & (UINT64_C(1) << (n % 64));
}

void df_conf_format_nodes(bool all, const uint64_t mask[DF_CONF_MAX_NODES / 64], char *buf, size_t size) {
        size_t len = 0;

        if (size == 0)
                return;
        buf[0] = 0;
        if (all) {
                snprintf(buf, size, "all");
                return;
        }
        for (unsigned n = 0; n < DF_CONF_MAX_NODES; n++) {
                unsigned last = n;
                int w;

                if (!mask_test(mask, n))
                        continue;
                while (last + 1 < DF_CONF_MAX_NODES && mask_test(mask, last + 1))
                        last++;
                if (last == n)
                        w = snprintf(buf + len, size - len, "%s%u", len ? "," : "", n);
                else
                        w = snprintf(buf + len, size - len, "%s%u-%u", len ? "," : "", n, last);
                if (w < 0 || (size_t) w >= size - len)
                        return; /* truncated; callers size the buffer for the worst case */
                len += (size_t) w;
                n = last;
        }
}

int df_conf_parse_zones(const char *value, char ret_zones[DF_CONF_MAX_ZONES][DF_NAME_MAX], int *ret_n,
                        char *why, size_t why_size) {
        char zones[DF_CONF_MAX_ZONES][DF_NAME_MAX];
        const char *p = value;
        char tok[DF_NAME_MAX];
        bool too_long;
        int n = 0;

        while ((p = next_token(p, tok, sizeof(tok), &too_long, SEPARATORS))) {
                if (too_long || !df_conf_zone_name_known(tok)) {
                        snprintf(why, why_size, "unknown zone '%s%s'", tok, too_long ? "..." : "");
                        return -EINVAL;
                }
                for (int i = 0; i < n; i++)
                        if (strcmp(zones[i], tok) == 0) {
                                snprintf(why, why_size, "zone '%s' listed twice", tok);
                                return -EINVAL;
                        }
                if (n >= DF_CONF_MAX_ZONES) {
                        snprintf(why, why_size, "more than %d zones", DF_CONF_MAX_ZONES);
                        return -EINVAL;
                }
                snprintf(zones[n++], DF_NAME_MAX, "%s", tok);
        }
        if (n == 0) {
                snprintf(why, why_size, "no zone given");
                return -EINVAL;
        }
        memcpy(ret_zones, zones, sizeof(zones));
        *ret_n = n;
        return 0;
}

/* fnmatch() has no syntax check: an unclosed '[' would silently match only
 * itself. Closed means a ']' after '[' (and after a leading '!' or ']'). */
static bool brackets_closed(const char *p) {
        for (; *p; p++) {
                if (*p == '\\' && p[1]) {
                        p++;
                        continue;
                }
                if (*p != '[')
                        continue;
                p++;
                if (*p == '!' || *p == '^')
                        p++;
                if (*p == ']')
                        p++;
                p = strchr(p, ']');
                if (!p)
                        return false;
        }
        return true;
}

int df_conf_parse_globs(const char *value, struct df_conf_globs *ret, char *why, size_t why_size) {
        _cleanup_free_ struct df_conf_globs *g = calloc(1, sizeof(*g));
        const char *p = value;
        char tok[DF_CONF_GLOB_MAX];
        bool too_long;

        assert(value && ret && why);
        if (!g) {
                snprintf(why, why_size, "out of memory");
                return -ENOMEM;
        }
        while ((p = next_token(p, tok, sizeof(tok), &too_long, " \t"))) {
                if (too_long) {
                        snprintf(why, why_size, "pattern '%.40s...' longer than %d bytes", tok, DF_CONF_GLOB_MAX - 1);
                        return -EINVAL;
                }
                if (tok[0] != '/') {
                        snprintf(why, why_size, "pattern '%s' does not start with '/'", tok);
                        return -EINVAL;
                }
                if (strstr(tok, "/./") || strstr(tok, "/../") || (strlen(tok) >= 2 && strcmp(tok + strlen(tok) - 2, "/.") == 0) ||
                    (strlen(tok) >= 3 && strcmp(tok + strlen(tok) - 3, "/..") == 0)) {
                        snprintf(why, why_size, "pattern '%s' has a \".\" or \"..\" component", tok);
                        return -EINVAL;
                }
                if (!brackets_closed(tok)) {
                        snprintf(why, why_size, "pattern '%s' opens '[' without ']'", tok);
                        return -EINVAL;
                }
                for (unsigned i = 0; i < g->n; i++)
                        if (strcmp(g->pattern[i], tok) == 0) {
                                snprintf(why, why_size, "pattern '%s' listed twice", tok);
                                return -EINVAL;
                        }
                if (g->n >= DF_CONF_MAX_GLOBS) {
                        snprintf(why, why_size, "more than %d patterns", DF_CONF_MAX_GLOBS);
                        return -EINVAL;
                }
                snprintf(g->pattern[g->n++], DF_CONF_GLOB_MAX, "%s", tok);
        }
        *ret = *g;
        return 0;
}

/* Length without trailing slashes ("/" stays "/"). */
static size_t trimmed_len(const char *s) {
        size_t n = strlen(s);

        while (n > 1 && s[n - 1] == '/')
                n--;
        return n;
}

bool df_conf_glob_match(const char *pattern, const char *cgroup_path) {
        char p[DF_CONF_GLOB_MAX], q[DF_CONF_GLOB_MAX];
        size_t np, nq;

        assert(pattern && cgroup_path);
        np = trimmed_len(pattern);
        nq = trimmed_len(cgroup_path);
        if (np >= sizeof(p) || nq >= sizeof(q))
                return false;
        memcpy(p, pattern, np);
        p[np] = 0;
        memcpy(q, cgroup_path, nq);
        q[nq] = 0;
        /* FNM_PATHNAME: "batch-*" never reaches into a child cgroup (a reclaim
         * of a parent would reach it anyway: the aim checks Deny= on the
         * subtree); FNM_PERIOD: ".../.hidden" needs an explicit dot. */
        return fnmatch(p, q, FNM_PATHNAME | FNM_PERIOD) == 0;
}

bool df_conf_globs_match(const struct df_conf_globs *g, const char *cgroup_path) {
        assert(g && cgroup_path);
        for (unsigned i = 0; i < g->n && i < DF_CONF_MAX_GLOBS; i++)
                if (df_conf_glob_match(g->pattern[i], cgroup_path))
                        return true;
        return false;
}

void df_conf_format_duration(uint64_t usec, char *buf, size_t size) {
        static const struct {
                uint64_t usec;
                const char *suffix;
        } units[] = {
                { 3600 * USEC_PER_SEC, "h" },
                { USEC_PER_SEC, "s" },
                { USEC_PER_MSEC, "ms" },
        };

        if (usec == 0) {
                snprintf(buf, size, "0");
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (usec % units[i].usec == 0) {
                        snprintf(buf, size, "%llu%s", (unsigned long long) (usec / units[i].usec), units[i].suffix);
                        return;
                }
        snprintf(buf, size, "%lluus", (unsigned long long) usec);
}

int df_conf_parse_size(const char *value, uint64_t *ret) {
        static const char suffixes[] = "KMGT";
        size_t n = strspn(value, "0123456789");
        const char *unit;
        char num[32];
        uint64_t v;
        int r;

        assert(value && ret);
        if (n == 0 || n >= sizeof(num))
                return n == 0 ? -EINVAL : -ERANGE;
        memcpy(num, value, n);
        num[n] = 0;
        r = df_parse_u64(num, &v);
        if (r < 0)
                return r;
        if (value[n]) {
                unit = strchr(suffixes, value[n]);
                if (!unit || value[n + 1])
                        return -EINVAL;
                for (int shift = (int) (unit - suffixes + 1) * 10; shift > 0; shift -= 10) {
                        if (v > UINT64_MAX >> 10)
                                return -ERANGE;
                        v <<= 10;
                }
        }
        *ret = v;
        return 0;
}

void df_conf_format_size(uint64_t bytes, char *buf, size_t size) {
        static const char suffixes[] = "KMGT";
        int u = -1;

        while (u < 3 && bytes >= 1024 && bytes % 1024 == 0) {
                bytes /= 1024;
                u++;
        }
        if (u < 0)
                snprintf(buf, size, "%llu", (unsigned long long) bytes);
        else
                snprintf(buf, size, "%llu%c", (unsigned long long) bytes, suffixes[u]);
}
