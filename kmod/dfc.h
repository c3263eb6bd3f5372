/* SPDX-License-Identifier: GPL-2.0-or-later */
/* defragd_clear: what the sysfs side (dfc_main.c) and the clearing side
 * (dfc_clear.c) share. */
#ifndef DFC_H
#define DFC_H

#include <linux/types.h>

/* Bumped on any incompatible change to the files under /sys/kernel/defragd_clear. */
#define DFC_ABI_VERSION 1

struct dfc_result {
	int err;               /* 0 or -errno from the kernel */
	u64 pages_in_use;      /* pages of the block not free in the buddy allocator before */
	u64 pages_moved;       /* pgmigrate_success during the call (system-wide) */
	u64 usec;              /* wall time of the whole clear */
	u64 fallback_pages;    /* pages given back one by one instead of as one block */
};

unsigned int dfc_order_min(void);
unsigned int dfc_order_max(void);
const char *dfc_free_mode(void);
/* 0, or -EINVAL with *why set: order range, alignment, online, one zone. */
int dfc_validate(unsigned long pfn, unsigned int order, const char **why);
/* Clear [pfn, pfn + 2^order) and give it back as free blocks; fills *r. */
void dfc_clear(unsigned long pfn, unsigned int order, struct dfc_result *r);

#endif
