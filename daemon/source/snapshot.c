/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The snapshot container: zones in file order, lookups, migratetype names.
 * It reads no file and calls no parser (procfs.c fills it). */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defragd/snapshot.h"
#include "defragd/util.h"

void df_snapshot_init(struct df_snapshot *s) {
        memset(s, 0, sizeof(*s));
        s->pageblock_order = -1;
}

void df_vmstat_clear(struct df_vmstat *v) {
        free(v->items);
        v->items = NULL;
        v->n = 0;
}

void df_snapshot_clear(struct df_snapshot *s) {
        free(s->zones);
        df_vmstat_clear(&s->vmstat);
        df_snapshot_init(s);
}

struct df_zone *df_snapshot_zone(struct df_snapshot *s, int node, const char *name, bool create) {
        struct df_zone *z;

        /* Files list zones in order: the last one is the likely match. */
        if (s->n_zones > 0) {
                z = &s->zones[s->n_zones - 1];
                if (z->node == node && strcmp(z->name, name) == 0)
                        return z;
        }
        for (size_t i = 0; i < s->n_zones; i++)
                if (s->zones[i].node == node && strcmp(s->zones[i].name, name) == 0)
                        return &s->zones[i];
        if (!create || s->n_zones >= DF_MAX_ZONES || strlen(name) >= DF_NAME_MAX)
                return NULL;

        if (s->n_zones >= s->n_zones_allocated) {
                size_t cap = s->n_zones < 8 ? 16 : s->n_zones * 2;

                z = realloc(s->zones, cap * sizeof(*z));
                if (!z)
                        return NULL;
                s->zones = z;
                s->n_zones_allocated = cap;
        }
        z = &s->zones[s->n_zones++];
        memset(z, 0, sizeof(*z));
        z->node = node;
        strcpy(z->name, name);
        return z;
}

const struct df_zone *df_snapshot_zone_const(const struct df_snapshot *s, int node, const char *name) {
        return df_snapshot_zone((struct df_snapshot *) s, node, name, false);
}

int df_snapshot_migratetype(struct df_snapshot *s, const char *name) {
        for (int i = 0; i < s->nr_migratetypes; i++)
                if (strcmp(s->migratetype_names[i], name) == 0)
                        return i;
        if (s->nr_migratetypes >= DF_MAX_MIGRATETYPES || strlen(name) >= DF_NAME_MAX)
                return -1;
        strcpy(s->migratetype_names[s->nr_migratetypes], name);
        return s->nr_migratetypes++;
}

size_t df_snapshot_nodes(const struct df_snapshot *s, int *nodes, size_t max) {
        size_t n = 0;
        int last = -1;

        /* Nodes ascend in every kernel file; walk upwards to also cope with
         * snapshots built by hand in any order. */
        for (;;) {
                int next = -1;

                for (size_t i = 0; i < s->n_zones; i++)
                        if (s->zones[i].node > last && (next < 0 || s->zones[i].node < next))
                                next = s->zones[i].node;
                if (next < 0)
                        return n;
                if (n < max)
                        nodes[n] = next;
                n++;
                last = next;
        }
}

bool df_vmstat_get(const struct df_vmstat *v, const char *name, uint64_t *value) {
        for (size_t i = 0; i < v->n; i++)
                if (strcmp(v->items[i].name, name) == 0) {
                        if (value)
                                *value = v->items[i].value;
                        return true;
                }
        return false;
}

int df_snapshot_shape_of(const struct df_snapshot *s, struct df_snapshot_shape *ret) {
        struct df_zone_shape *zones;

        assert(s);
        assert(ret);
        zones = calloc(s->n_zones ? s->n_zones : 1, sizeof(*zones));
        if (!zones)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_zones; i++) {
                zones[i].node = s->zones[i].node;
                snprintf(zones[i].name, sizeof(zones[i].name), "%s", s->zones[i].name);
                zones[i].nr_orders = s->zones[i].nr_orders;
        }
        df_snapshot_shape_clear(ret);
        ret->zones = zones;
        ret->n = s->n_zones;
        return 0;
}

void df_snapshot_shape_clear(struct df_snapshot_shape *shape) {
        assert(shape);
        free(shape->zones);
        shape->zones = NULL;
        shape->n = 0;
}

static const struct df_zone_shape *shape_find(const struct df_snapshot_shape *sh, const struct df_zone_shape *z) {
        for (size_t i = 0; i < sh->n; i++)
                if (sh->zones[i].node == z->node && strcmp(sh->zones[i].name, z->name) == 0)
                        return &sh->zones[i];
        return NULL;
}

/* Appends "; "-separated phrases; one that does not fit ends the text in "...". */
static void say(char *buf, size_t size, size_t *len, const char *fmt, ...) {
        char phrase[160];
        size_t need;
        va_list ap;

        if (*len >= size)
                return; /* already cut */
        va_start(ap, fmt);
        vsnprintf(phrase, sizeof(phrase), fmt, ap);
        va_end(ap);
        need = (*len ? 2 : 0) + strlen(phrase);
        snprintf(buf + *len, size - *len, "%s%s", *len ? "; " : "", phrase);
        if (*len + need < size) {
                *len += need;
                return;
        }
        memcpy(buf + size - 4, "...", 4);
        *len = size;
}

bool df_snapshot_shape_diff(const struct df_snapshot_shape *old, const struct df_snapshot_shape *new, int top_order,
                            char *buf, size_t size) {
        size_t len = 0;
        bool changed = false;

        assert(old);
        assert(new);
        assert(buf && size > 4);
        buf[0] = 0;
        for (size_t i = 0; i < old->n; i++)
                if (!shape_find(new, &old->zones[i])) {
                        say(buf, size, &len, "node %d %s gone", old->zones[i].node, old->zones[i].name);
                        changed = true;
                }
        for (size_t i = 0; i < new->n; i++) {
                const struct df_zone_shape *z = &new->zones[i], *was = shape_find(old, z);

                if (!was)
                        say(buf, size, &len, "node %d %s appeared, %d orders", z->node, z->name, z->nr_orders);
                else if (was->nr_orders != z->nr_orders)
                        say(buf, size, &len, "node %d %s %d orders, was %d", z->node, z->name, z->nr_orders,
                            was->nr_orders);
                else
                        continue;
                changed = true;
                if (top_order >= z->nr_orders)
                        say(buf, size, &len, "its order %d target cannot be evaluated", top_order);
        }
        return changed;
}
