/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's side of the companion kernel module (kmod/, defragd_clear):
 * find /sys/kernel/defragd_clear, check its ABI, clear one block, read counters. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "defragd/error.h"

/* The ABI this defragd speaks; the module's abi_version must equal it. */
#define DF_KMOD_CLEAR_ABI 1
#define DF_KMOD_CLEAR_DIR "/sys/kernel/defragd_clear"
#define DF_KMOD_CLEAR_MODULE "defragd_clear"

struct df_kmod_clear;

/* The module's record of one clear (its `last` file). */
struct df_kmod_clear_last {
        uint64_t seq;            /* clears tried since load; 0: none yet */
        uint64_t pfn;
        unsigned order;
        int result;              /* 0 or -errno */
        uint64_t pages_in_use;   /* pages of the block not free before */
        uint64_t pages_moved;    /* pgmigrate_success during the clear (system-wide) */
        uint64_t usec;           /* time inside the module */
        uint64_t fallback_pages; /* given back one by one, not as one block */
};

struct df_kmod_clear_result {
        int error;              /* 0 or -errno of the write; -ENODEV: the module is gone */
        uint64_t duration_usec; /* measured here, around the write */
        bool detail_known;      /* `last` was read back and names this clear */
        struct df_kmod_clear_last detail;
};

struct df_kmod_clear_counters {
        uint64_t tried, cleared, busy, interrupted, nomem, failed;
        uint64_t pages_in_use, pages_moved, clear_usec, fallback_pages;
};

/* Find the interface under `root` ("" or "/" for this machine; tests pass a
 * fixture directory) and check its ABI. 0, or -ENOENT (module not loaded),
 * -EPROTO (other ABI, unreadable version), -errno of a read; *err says which
 * in one sentence that names the path, the value and what is accepted. */
int df_kmod_clear_open(const char *root, struct df_kmod_clear **ret, struct df_error *err);
void df_kmod_clear_close(struct df_kmod_clear *k);

/* The orders the module accepts (its order_min/order_max: pageblock..MAX_PAGE_ORDER). */
unsigned df_kmod_clear_order_min(const struct df_kmod_clear *k);
unsigned df_kmod_clear_order_max(const struct df_kmod_clear *k);

/* Clear the block [pfn, pfn + 2^order): write "PFN ORDER", time it, read the
 * module's record back. Returns r->error: 0, -EBUSY, -EINVAL, -EINTR, -ENOMEM,
 * -ENODEV (unloaded: open again), or another -errno of the write. */
int df_kmod_clear_block(struct df_kmod_clear *k, uint64_t pfn, unsigned order, struct df_kmod_clear_result *r);

int df_kmod_clear_read_counters(const struct df_kmod_clear *k, struct df_kmod_clear_counters *c, struct df_error *err);

/* What an error of df_kmod_clear_block() means, for a person. */
const char *df_kmod_clear_error_meaning(int error);

/* Parse the module's `last` file (pure). 0 or -EINVAL. */
int df_kmod_clear_parse_last(const char *text, struct df_kmod_clear_last *ret);
