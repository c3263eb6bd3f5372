/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration as a table: one row per key (section, name, type, range,
 * default, where it lives in struct df_config, what is accepted, why). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "defragd/conf.h"

/* How a row's value is parsed, stored, printed and compared. */
enum df_conf_type {
        DF_CONF_BOOL,             /* bool; yes/no/true/false/on/off/1/0 */
        DF_CONF_UINT,             /* unsigned decimal in [min, max], stored in `size` bytes (4 or 8) */
        DF_CONF_DURATION,         /* uint64_t usec in [min, max]; "10", "10s", "500ms", "2min", "1h" */
        DF_CONF_OPTIONAL_PERCENT, /* int: -1 when the value is empty, else an integer in [min, max] */
        DF_CONF_NODES,            /* bool "all" at offset, uint64_t mask[DF_CONF_MAX_NODES / 64] at offset_aux */
        DF_CONF_ZONES,            /* char [DF_CONF_MAX_ZONES][DF_NAME_MAX] at offset, int count at offset_aux */
        DF_CONF_GLOBS,            /* struct df_conf_globs: fnmatch(3) patterns of cgroup paths */
        DF_CONF_SIZE,             /* uint64_t bytes in [min, max]; "64M", 1024-based K M G T */
        DF_CONF_PATH,             /* char [size]: empty, or an absolute path shorter than size */
        DF_CONF_LADDER,           /* lever names, each once: unsigned count at offset, enum df_lever_kind [] at offset_aux */
};

struct df_conf_item {
        const char *section;       /* "Daemon"; "OrderN" for the rows of df_conf_target_items */
        const char *name;
        enum df_conf_type type;
        size_t offset;             /* into the struct the table describes */
        size_t offset_aux;         /* second field of DF_CONF_NODES and DF_CONF_ZONES */
        size_t size;               /* of the field at offset (DF_CONF_UINT: 4 or 8 bytes) */
        uint64_t min, max;         /* DF_CONF_UINT, DF_CONF_DURATION (usec), DF_CONF_OPTIONAL_PERCENT */
        const char *default_value; /* parsed like a value in a file; NULL: zero (targets: see defaults) */
        const char *accepted;      /* after "accepted: " in every refusal of a value */
        const char *doc;           /* one line: what it does and why the default */
};

/* A row for a field of struct S: offset and size filled in. */
#define DF_CONF_FIELD(S, field) .offset = offsetof(S, field), .size = sizeof(((S *) 0)->field)

/* Rows of struct df_config, indexed by enum df_conf_key (the dump order). */
extern const struct df_conf_item df_conf_items[_DF_KEY_MAX];
/* Rows of struct df_target, for every [OrderN], indexed by enum df_target_key. */
extern const struct df_conf_item df_conf_target_items[_DF_TKEY_MAX];
/* Sections of df_conf_items in dump order, and [OrderN]'s range. */
#define DF_CONF_SECTIONS_ACCEPTED "[Daemon], [Compaction], [Ladder], [Probes], [Metrics], [Trend], [Reclaim], [Planner], [ClearOffline], [ClearKmod], [Order1]..[Order15]"
#define DF_CONF_MIN_TARGET_ORDER 1 /* order 0 is free pages: compaction cannot make more of them */
#define DF_CONF_MARK_MAX_BLOCKS (UINT64_C(1) << 40) /* 2^40 blocks: past any machine's memory, far from overflow */

/* Targets defined by default (the shipped file's [OrderN] sections). */
struct df_conf_default_target {
        int order;
        uint64_t low_blocks, high_blocks;
};
extern const struct df_conf_default_target df_conf_default_targets[];
extern const size_t df_conf_n_default_targets;

/* Parse `value` into the field of `base` the row names. 0, or -EINVAL /
 * -ERANGE with `why` ("not a boolean", "out of range", ...) filled; on
 * error the field is untouched. */
int df_conf_item_parse(const struct df_conf_item *it, const char *value, void *base, char *why, size_t why_size);
/* The value as a file would spell it, parsing back to the same value. */
void df_conf_item_format(const struct df_conf_item *it, const void *base, char *buf, size_t size);
/* Same value in both (NODES: the mask only matters without "all"). */
bool df_conf_item_equal(const struct df_conf_item *it, const void *a, const void *b);
/* Field at the row's default_value; a row whose default does not parse is a
 * programming error (asserted, and caught by the unit tests). */
void df_conf_item_set_default(const struct df_conf_item *it, void *base);
/* Buffer size df_conf_item_format needs for any value of any row. */
#define DF_CONF_VALUE_MAX (DF_CONF_MAX_GLOBS * (DF_CONF_GLOB_MAX + 1) + 16) /* > DF_CONF_MAX_NODES * 6, asserted */
