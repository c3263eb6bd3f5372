/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Line and token helpers shared by the procfs parsers (private to daemon/).
 * Tokens point into the parsed text; nothing here allocates. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "defragd/error.h"

struct df_tok {
        const char *s;
        size_t len;
};

struct df_line {
        const char *text;
        size_t len;
        unsigned number;   /* 1-based */
        bool has_newline;
};

struct df_lines {
        const char *origin;
        const char *next;
        unsigned number;
};

#define DF_MAX_TOKENS 48

void df_lines_init(struct df_lines *l, const char *text, const char *origin);
/* Next line; false at the end of the text. */
bool df_lines_next(struct df_lines *l, struct df_line *out);

/* Split on blanks. Returns how many tokens the line has (may exceed max;
 * only the first max are stored). */
size_t df_tokenize(const struct df_line *ln, struct df_tok *toks, size_t max);

bool df_tok_eq(struct df_tok t, const char *s);
/* t ends with c: strip it and return true. */
bool df_tok_strip_suffix(struct df_tok *t, char c);

/* Quote a token (or any text) for an error message: printable, at most
 * ~40 characters, non-printable bytes as \xNN. Returns buf. */
const char *df_quote(const char *s, size_t len, char *buf, size_t size);

/* Strict unsigned decimal. Error: "origin:line: WHAT \"tok\" is not ...; expected EXPECTED". */
int df_tok_u64(const char *origin, unsigned line, struct df_tok t, const char *what,
               const char *expected, uint64_t *ret, struct df_error *err);

/* "N," (buddyinfo, pagetypeinfo, zoneinfo node field): node number, trailing comma. */
int df_tok_node(const char *origin, unsigned line, struct df_tok t, int *ret, struct df_error *err);

/* Zone or migratetype name: 1..DF_NAME_MAX-1 printable characters. */
int df_tok_name(const char *origin, unsigned line, struct df_tok t, const char *what,
                char *buf, size_t size, struct df_error *err);

/* The last line of a kernel file always ends in a newline: one that does not
 * means the file was cut short. */
int df_check_newline(const char *origin, const struct df_line *ln, struct df_error *err);

/* No zone has this many pages (4 EiB of 4 KiB pages; x86-64 with 5-level
 * paging addresses 2^45 pages). Below it the model's 64-bit arithmetic,
 * which wraps as the kernel's unsigned long does, cannot wrap: free pages
 * times 1000 (the indices, in thousandths) stays under 2^64. */
#define DF_PAGES_MAX (UINT64_C(1) << 50)

#define DF_NODE_MAX 65535 /* MAX_NUMNODES is at most 1 << NODES_SHIFT (10) today; leave room */
