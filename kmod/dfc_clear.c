// SPDX-License-Identifier: GPL-2.0-or-later
/* defragd_clear: empty one aligned block with the kernel's contiguous-range
 * machinery, then hand it back to the buddy allocator as one free block. */
#include <linux/gfp.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/page_ref.h>
#include <linux/pageblock-flags.h>
#include <linux/preempt.h>
#include <linux/vmstat.h>

#include "dfc_compat.h"
#include "dfc.h"

/* Reclaim and I/O allowed while migrating (the caller is a process that
 * asked for this); no allocation-failure splats for the migration targets. */
#define DFC_GFP (GFP_KERNEL | __GFP_NOWARN)

/* Below a pageblock the kernel still isolates the whole pageblock, frees the
 * rest of it page by page, and 6.12 warns when the freed range grows past the
 * request: the smallest block worth clearing is a pageblock (2 MiB on x86). */
unsigned int dfc_order_min(void)
{
	return pageblock_order;
}

unsigned int dfc_order_max(void)
{
	return DFC_MAX_ORDER;
}

const char *dfc_free_mode(void)
{
#ifdef DFC_FREE_AS_PAGES
	return "pages";
#else
	return "block";
#endif
}

int dfc_validate(unsigned long pfn, unsigned int order, const char **why)
{
	struct zone *zone = NULL;
	unsigned long nr, i;

	if (order < dfc_order_min() || order > dfc_order_max()) {
		*why = "order out of range";
		return -EINVAL;
	}
	nr = 1UL << order;
	if (!IS_ALIGNED(pfn, nr)) {
		*why = "pfn not aligned to the order";
		return -EINVAL;
	}
	if (pfn > ULONG_MAX - nr) {
		*why = "pfn out of range";
		return -EINVAL;
	}
	/* Every page: at most 2^MAX_PAGE_ORDER lookups, and zone boundaries need
	 * not be pageblock-aligned. */
	for (i = 0; i < nr; i++) {
		struct page *page = pfn_to_online_page(pfn + i);

		if (!page) {
			*why = "a page is not online memory";
			return -EINVAL;
		}
		if (!zone)
			zone = page_zone(page);
		else if (page_zone(page) != zone) {
			*why = "the block spans two zones";
			return -EINVAL;
		}
	}
	return 0;
}

/* Pages of the block the buddy allocator does not hold: what has to move (or
 * be drained from per-CPU lists). Read without the zone lock: an estimate. */
static u64 dfc_count_in_use(unsigned long pfn, unsigned int order)
{
	unsigned long end = pfn + (1UL << order);
	struct page *first = pfn_to_page(pfn);
	u64 used = 0;

	/* Inside a larger free block (its head lies before pfn): nothing to move. */
	if (!PageBuddy(first) && is_free_buddy_page(first))
		return 0;
	while (pfn < end) {
		struct page *page = pfn_to_page(pfn);

		if (PageBuddy(page)) {
			/* A free block's order sits in page->private; a racy read
			 * is checked before it is trusted. */
			unsigned long o = data_race(page_private(page));

			if (o <= DFC_MAX_ORDER && IS_ALIGNED(pfn, 1UL << o)) {
				pfn += 1UL << o;
				continue;
			}
		}
		used++;
		pfn++;
	}
	return used;
}

static u64 dfc_migrated_total(void)
{
#if defined(CONFIG_VM_EVENT_COUNTERS) && defined(CONFIG_MIGRATION)
	/* Only dfc_clear() uses it, under the caller's mutex. */
	static unsigned long events[NR_VM_EVENT_ITEMS];

	all_vm_events(events);
	return events[PGMIGRATE_SUCCESS];
#else
	return 0;
#endif
}

/* Orders the page allocator parks on per-CPU lists when they are freed
 * (mm/page_alloc.c pcp_allowed_order(): up to PAGE_ALLOC_COSTLY_ORDER, and
 * the THP order, which 6.1 spells pageblock_order). A block parked there is
 * invisible in /proc/buddyinfo and usable only from that CPU until drained. */
static bool dfc_pcp_takes(unsigned int order)
{
	if (order <= PAGE_ALLOC_COSTLY_ORDER)
		return true;
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	if (order == HPAGE_PMD_ORDER || order == pageblock_order)
		return true;
#endif
	return false;
}

/* The order the block is freed in: its own, or half of it when that order
 * would go to a per-CPU list. Two halves freed straight to the buddy
 * allocator merge there into the whole block (and with a free neighbour). */
static unsigned int dfc_free_order(unsigned int order)
{
	if (order > PAGE_ALLOC_COSTLY_ORDER + 1 && dfc_pcp_takes(order))
		return order - 1;
	return order;
}

/* alloc_contig_range() hands back order-0 pages holding one reference each.
 * Dropping the tail pages' references to zero makes [pfn, pfn + 2^order) the
 * same thing as a non-compound alloc_pages(order), which __free_pages() frees
 * as one block. A tail someone holds a speculative reference to (a stale
 * page-cache lookup) cannot be frozen: then every page goes back on its own
 * and the last put frees that one. Returns the pages freed one by one. */
static u64 dfc_give_back(unsigned long pfn, unsigned int order)
{
	unsigned long nr = 1UL << order, j;
#ifndef DFC_FREE_AS_PAGES
	unsigned long i;

	for (i = 1; i < nr; i++)
		if (!page_ref_freeze(pfn_to_page(pfn + i), 1))
			break;
	if (i == nr) {
		__free_pages(pfn_to_page(pfn), order);
		return 0;
	}
	for (j = 1; j < i; j++)
		page_ref_unfreeze(pfn_to_page(pfn + j), 1);
#endif
	for (j = 0; j < nr; j++)
		__free_page(pfn_to_page(pfn + j));
	return nr;
}

void dfc_clear(unsigned long pfn, unsigned int order, struct dfc_result *r)
{
	unsigned long nr = 1UL << order, c;
	unsigned int free_order = dfc_free_order(order);
	u64 t0 = ktime_get_ns();
	u64 migrated0;

	r->pages_in_use = dfc_count_in_use(pfn, order);
	migrated0 = dfc_migrated_total();
	/* Isolates the pageblocks, drains per-CPU lists, migrates what is in use,
	 * takes every page out of the buddy allocator, unisolates. */
	r->err = alloc_contig_range(pfn, pfn + nr, DFC_ACR_ARG, DFC_GFP);
	r->pages_moved = dfc_migrated_total() - migrated0;
#if !defined(CONFIG_VM_EVENT_COUNTERS) || !defined(CONFIG_MIGRATION)
	/* No event counters: the estimate taken before is all there is. */
	r->pages_moved = r->err ? 0 : r->pages_in_use;
#endif
	if (!r->err) {
		/* No preemption between the halves: nothing else on this CPU can
		 * take the first half before the second joins it. */
		preempt_disable();
		for (c = pfn; c < pfn + nr; c += 1UL << free_order)
			r->fallback_pages += dfc_give_back(c, free_order);
		preempt_enable();
	}
	r->usec = div_u64(ktime_get_ns() - t0, NSEC_PER_USEC);
}
