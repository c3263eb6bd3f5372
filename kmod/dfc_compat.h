/* SPDX-License-Identifier: GPL-2.0-or-later */
/* defragd_clear: which kernel API this build uses, chosen at compile time, and
 * a clear #error for a kernel whose contiguous-range API we have not read. */
#ifndef DFC_COMPAT_H
#define DFC_COMPAT_H

#include <linux/version.h>
#include <linux/gfp.h>
#include <linux/mmzone.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "defragd_clear: Linux older than 6.1 is not supported (alloc_contig_range() and pageblock isolation were read for 6.1, 6.12 and 7.3 only)"
#endif

/* The newest kernel whose include/linux/gfp.h and mm/page_alloc.c were read
 * for this module. Beyond it the contiguous-range API may have changed its
 * meaning without changing its C signature (6.17 turned the migratetype
 * argument into flags whose bit 0 is CMA; the frozen-range rework of 7.x
 * made alloc_contig_range() refuse __GFP_COMP), so an unknown kernel is
 * refused until someone reads its source. `make DFC_ALLOW_UNCHECKED_KERNEL=y` builds anyway. */
#define DFC_CHECKED_UP_TO KERNEL_VERSION(7, 3, 255)
#if LINUX_VERSION_CODE > DFC_CHECKED_UP_TO && !defined(DFC_ALLOW_UNCHECKED_KERNEL)
#error "defragd_clear: this kernel is newer than 7.3, the last one whose alloc_contig_range()/free path was checked; read include/linux/gfp.h and mm/page_alloc.c, then raise DFC_CHECKED_UP_TO in kmod/dfc_compat.h (or build with make DFC_ALLOW_UNCHECKED_KERNEL=y)"
#endif

#ifndef CONFIG_CONTIG_ALLOC
#error "defragd_clear: this kernel is built without CONFIG_CONTIG_ALLOC (alloc_contig_range() is missing); the module cannot work here"
#endif

/* The third argument of alloc_contig_range(): up to 6.16 the migratetype the
 * pageblocks return to (MIGRATE_MOVABLE); from 6.17 acr_flags_t, where the
 * same value 1 would mean ACR_FLAGS_CMA. Detected by the macro that came
 * with the type, so it cannot be confused whatever the version says. */
#if defined(ACR_FLAGS_NONE)
#define DFC_ACR_ARG ACR_FLAGS_NONE
#define DFC_ACR_API "alloc_contig_range(acr_flags_t)"
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0)
#error "defragd_clear: Linux 6.17+ without ACR_FLAGS_NONE in <linux/gfp.h>: unknown alloc_contig_range() API"
#else
#define DFC_ACR_ARG MIGRATE_MOVABLE
#define DFC_ACR_API "alloc_contig_range(migratetype)"
#endif

/* Since 6.10 alloc_contig_range is the allocation-profiling macro over
 * alloc_contig_range_noprof(); before, a plain function. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0) && !defined(alloc_contig_range)
#error "defragd_clear: Linux 6.10+ where alloc_contig_range is not the alloc_hooks() macro: unknown API"
#endif

/* The largest buddy order, inclusive: MAX_ORDER - 1 up to 6.3, MAX_ORDER
 * from 6.4 (redefined as inclusive), MAX_PAGE_ORDER from 6.8. */
#if defined(MAX_PAGE_ORDER)
#define DFC_MAX_ORDER MAX_PAGE_ORDER
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define DFC_MAX_ORDER MAX_ORDER
#else
#define DFC_MAX_ORDER (MAX_ORDER - 1)
#endif

/* With allocation profiling every page handed out by alloc_contig_range()
 * carries its own tag, which only an order-0 free releases: such kernels get
 * the block back page by page (free_mode "pages"), all others as one block. */
#ifdef CONFIG_MEM_ALLOC_PROFILING
#define DFC_FREE_AS_PAGES 1
#endif

#endif
