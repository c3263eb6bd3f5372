/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The snapshot container: zones in file order, lookups, migratetype names.
 * It reads no file and calls no parser (procfs.c fills it). */
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
