/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a row's type means: parsing a value into its field, printing it back,
 * comparing two configs and setting the default, for every row alike. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf-parse.h"
#include "conf-table.h"
#include "defragd/action.h"
#include "defragd/util.h"

_Static_assert(DF_CONF_VALUE_MAX > DF_CONF_MAX_NODES * 6, "a node list must fit df_conf_item_format's buffer");
_Static_assert(DF_CONF_VALUE_MAX > DF_CONF_MAX_ZONES * DF_NAME_MAX, "a zone list must fit df_conf_item_format's buffer");

static void *field(void *base, size_t offset) {
        return (char *) base + offset;
}

static const void *cfield(const void *base, size_t offset) {
        return (const char *) base + offset;
}

static uint64_t load_uint(const struct df_conf_item *it, const void *base) {
        uint32_t v32;
        uint64_t v64;

        if (it->size == sizeof(v64)) {
                memcpy(&v64, cfield(base, it->offset), sizeof(v64));
                return v64;
        }
        memcpy(&v32, cfield(base, it->offset), sizeof(v32));
        return v32;
}

static void store_uint(const struct df_conf_item *it, void *base, uint64_t v) {
        /* rows of int fields have max <= INT_MAX: the bits are the int's */
        uint32_t v32 = (uint32_t) v;

        assert(it->size == sizeof(uint64_t) || (it->size == sizeof(uint32_t) && it->max <= INT32_MAX));
        if (it->size == sizeof(uint64_t))
                memcpy(field(base, it->offset), &v, sizeof(v));
        else
                memcpy(field(base, it->offset), &v32, sizeof(v32));
}

static int parse_ranged(const struct df_conf_item *it, const char *value, bool duration, uint64_t *ret,
                        char *why, size_t why_size) {
        uint64_t v;
        int r;

        r = duration ? df_parse_duration_usec(value, &v) : df_parse_u64(value, &v);
        if (r == -EINVAL) {
                snprintf(why, why_size, duration ? "not a duration" : "not a non-negative integer");
                return r;
        }
        if (r < 0 || v < it->min || v > it->max) {
                snprintf(why, why_size, "out of range");
                return -ERANGE;
        }
        *ret = v;
        return 0;
}

/* [Ladder] Order=: lever names, each at most once, cheapest first. */
static int parse_ladder(const char *value, unsigned *ret_n, enum df_lever_kind *ret_rungs, char *why, size_t why_size) {
        enum df_lever_kind rungs[DF_LADDER_MAX_RUNGS];
        char buf[256], *save = NULL;
        unsigned n = 0;

        if (strlen(value) >= sizeof(buf)) {
                snprintf(why, why_size, "too long");
                return -EINVAL;
        }
        snprintf(buf, sizeof(buf), "%s", value);
        for (char *w = strtok_r(buf, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
                enum df_lever_kind k = df_lever_kind_from_string(w);

                if (k == DF_LEVER_NONE) {
                        snprintf(why, why_size, "unknown lever \"%.32s\"", w);
                        return -EINVAL;
                }
                for (unsigned i = 0; i < n; i++)
                        if (rungs[i] == k) {
                                snprintf(why, why_size, "lever \"%.32s\" listed twice", w);
                                return -EINVAL;
                        }
                rungs[n++] = k;
        }
        memcpy(ret_rungs, rungs, n * sizeof(rungs[0]));
        *ret_n = n;
        return 0;
}

int df_conf_item_parse(const struct df_conf_item *it, const char *value, void *base, char *why, size_t why_size) {
        uint64_t v;
        bool b;
        int r;

        assert(it && value && base && why);
        switch (it->type) {
        case DF_CONF_BOOL:
                if (df_parse_bool(value, &b) < 0) {
                        snprintf(why, why_size, "not a boolean");
                        return -EINVAL;
                }
                memcpy(field(base, it->offset), &b, sizeof(b));
                return 0;
        case DF_CONF_DURATION:
        case DF_CONF_UINT:
                r = parse_ranged(it, value, it->type == DF_CONF_DURATION, &v, why, why_size);
                if (r < 0)
                        return r;
                store_uint(it, base, v);
                return 0;
        case DF_CONF_OPTIONAL_PERCENT: {
                int iv = -1;

                if (*value) {
                        r = parse_ranged(it, value, false, &v, why, why_size);
                        if (r < 0)
                                return r;
                        iv = (int) v;
                }
                memcpy(field(base, it->offset), &iv, sizeof(iv));
                return 0;
        }
        case DF_CONF_NODES:
                return df_conf_parse_nodes(value, field(base, it->offset), field(base, it->offset_aux), why, why_size);
        case DF_CONF_ZONES:
                return df_conf_parse_zones(value, field(base, it->offset), field(base, it->offset_aux), why, why_size);
        case DF_CONF_GLOBS:
                return df_conf_parse_globs(value, field(base, it->offset), why, why_size);
        case DF_CONF_SIZE:
                r = df_conf_parse_size(value, &v);
                if (r == -EINVAL) {
                        snprintf(why, why_size, "not a size");
                        return r;
                }
                if (r < 0 || v < it->min || v > it->max) {
                        snprintf(why, why_size, "out of range");
                        return -ERANGE;
                }
                memcpy(field(base, it->offset), &v, sizeof(v));
                return 0;
        case DF_CONF_PATH:
                /* Absolute: the unit's working directory is /, a relative path would
                 * mean something else under a test's --root. */
                if (*value && (value[0] != '/' || strlen(value) >= it->size)) {
                        snprintf(why, why_size, value[0] != '/' ? "not an absolute path" : "too long");
                        return -EINVAL;
                }
                snprintf(field(base, it->offset), it->size, "%s", value);
                return 0;
        case DF_CONF_LADDER:
                return parse_ladder(value, field(base, it->offset), field(base, it->offset_aux), why, why_size);
        }
        snprintf(why, why_size, "row of unknown type");
        return -EINVAL;
}

void df_conf_item_format(const struct df_conf_item *it, const void *base, char *buf, size_t size) {
        assert(it && base && buf && size > 0);
        buf[0] = 0;
        switch (it->type) {
        case DF_CONF_BOOL: {
                bool b;

                memcpy(&b, cfield(base, it->offset), sizeof(b));
                snprintf(buf, size, "%s", b ? "yes" : "no");
                return;
        }
        case DF_CONF_UINT:
                snprintf(buf, size, "%llu", (unsigned long long) load_uint(it, base));
                return;
        case DF_CONF_DURATION:
                df_conf_format_duration(load_uint(it, base), buf, size);
                return;
        case DF_CONF_OPTIONAL_PERCENT: {
                int iv;

                memcpy(&iv, cfield(base, it->offset), sizeof(iv));
                if (iv >= 0)
                        snprintf(buf, size, "%d", iv);
                return;
        }
        case DF_CONF_NODES: {
                bool all;

                memcpy(&all, cfield(base, it->offset), sizeof(all));
                df_conf_format_nodes(all, cfield(base, it->offset_aux), buf, size);
                return;
        }
        case DF_CONF_ZONES: {
                const char *zones = cfield(base, it->offset); /* [n][DF_NAME_MAX] */
                size_t len = 0;
                int n;

                memcpy(&n, cfield(base, it->offset_aux), sizeof(n));
                for (int z = 0; z < n && z < DF_CONF_MAX_ZONES && len < size; z++)
                        len += (size_t) snprintf(buf + len, size - len, "%s%s", z ? " " : "", zones + (size_t) z * DF_NAME_MAX);
                return;
        }
        case DF_CONF_GLOBS: {
                const struct df_conf_globs *g = cfield(base, it->offset);
                size_t len = 0;

                for (unsigned i = 0; i < g->n && i < DF_CONF_MAX_GLOBS && len < size; i++)
                        len += (size_t) snprintf(buf + len, size - len, "%s%s", i ? " " : "", g->pattern[i]);
                return;
        }
        case DF_CONF_SIZE: {
                uint64_t v;

                memcpy(&v, cfield(base, it->offset), sizeof(v));
                df_conf_format_size(v, buf, size);
                return;
        }
        case DF_CONF_PATH:
                snprintf(buf, size, "%s", (const char *) cfield(base, it->offset));
                return;
        case DF_CONF_LADDER: {
                const unsigned *n = cfield(base, it->offset);
                const enum df_lever_kind *rungs = cfield(base, it->offset_aux);
                size_t len = 0;

                for (unsigned i = 0; i < *n && i < DF_LADDER_MAX_RUNGS && len < size; i++)
                        len += (size_t) snprintf(buf + len, size - len, "%s%s", i ? " " : "",
                                                 df_lever_kind_to_string(rungs[i]));
                return;
        }
        }
}

bool df_conf_item_equal(const struct df_conf_item *it, const void *a, const void *b) {
        assert(it && a && b);
        switch (it->type) {
        case DF_CONF_BOOL:
        case DF_CONF_UINT:
        case DF_CONF_DURATION:
        case DF_CONF_OPTIONAL_PERCENT:
                return memcmp(cfield(a, it->offset), cfield(b, it->offset), it->size) == 0;
        case DF_CONF_NODES: {
                bool all_a, all_b;

                memcpy(&all_a, cfield(a, it->offset), sizeof(all_a));
                memcpy(&all_b, cfield(b, it->offset), sizeof(all_b));
                return all_a == all_b &&
                       (all_a || memcmp(cfield(a, it->offset_aux), cfield(b, it->offset_aux),
                                        sizeof(uint64_t) * (DF_CONF_MAX_NODES / 64)) == 0);
        }
        case DF_CONF_ZONES: {
                const char *za = cfield(a, it->offset), *zb = cfield(b, it->offset); /* [n][DF_NAME_MAX] */
                int na, nb;

                memcpy(&na, cfield(a, it->offset_aux), sizeof(na));
                memcpy(&nb, cfield(b, it->offset_aux), sizeof(nb));
                if (na != nb)
                        return false;
                for (int z = 0; z < na && z < DF_CONF_MAX_ZONES; z++)
                        if (strcmp(za + (size_t) z * DF_NAME_MAX, zb + (size_t) z * DF_NAME_MAX) != 0)
                                return false;
                return true;
        }
        case DF_CONF_GLOBS: {
                const struct df_conf_globs *ga = cfield(a, it->offset), *gb = cfield(b, it->offset);

                if (ga->n != gb->n)
                        return false;
                for (unsigned i = 0; i < ga->n && i < DF_CONF_MAX_GLOBS; i++)
                        if (strcmp(ga->pattern[i], gb->pattern[i]) != 0)
                                return false;
                return true;
        }
        case DF_CONF_SIZE:
                return memcmp(cfield(a, it->offset), cfield(b, it->offset), sizeof(uint64_t)) == 0;
        case DF_CONF_PATH:
                return strcmp(cfield(a, it->offset), cfield(b, it->offset)) == 0;
        case DF_CONF_LADDER: {
                const unsigned *na = cfield(a, it->offset), *nb = cfield(b, it->offset);

                return *na == *nb && *na <= DF_LADDER_MAX_RUNGS &&
                        memcmp(cfield(a, it->offset_aux), cfield(b, it->offset_aux),
                               *na * sizeof(enum df_lever_kind)) == 0;
        }
        }
        return false;
}

void df_conf_item_set_default(const struct df_conf_item *it, void *base) {
        char why[160];
        int r;

        assert(it && base);
        if (!it->default_value)
                return; /* the caller zeroed the struct */
        r = df_conf_item_parse(it, it->default_value, base, why, sizeof(why));
        assert(r == 0); /* a row whose default is refused is a bug in conf-keys.c */
        (void) r;
}
