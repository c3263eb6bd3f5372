/* SPDX-License-Identifier: GPL-2.0-or-later */
/* blockscan: classifies every 2 MiB pageblock of physical memory from
 * /proc/kpageflags (root): free, movable only, or holding pages compaction
 * cannot move (slab, page tables, flagless kernel pages), or blank (every
 * page flagless: not initialised yet). A BLOCKS line, then one ZONE line each. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pageplace.h"

/* include/uapi/linux/kernel-page-flags.h; 32 is a "kernel hacking" bit */
#define KPF_LRU 5
#define KPF_SLAB 7
#define KPF_BUDDY 10
#define KPF_MMAP 11
#define KPF_ANON 12
#define KPF_HUGE 17
#define KPF_NOPAGE 20
#define KPF_OFFLINE 23
#define KPF_PGTABLE 26
#define KPF_RESERVED 32
#define BLOCK_PAGES 512               /* pageblock_order 9 on x86-64 */
#define CHUNK_BLOCKS 256              /* 1 MiB of kpageflags per read */
#define BIT(n) (UINT64_C(1) << (n))

struct block_counts {
        uint64_t blocks;        /* with at least one real, non-reserved page */
        uint64_t free;          /* every page in the buddy allocator */
        uint64_t movable;       /* only free and LRU/anon/mapped pages: compaction can clear it */
        uint64_t slab, pgtable, unknown; /* at least one such page */
        uint64_t polluted;      /* at least one of slab, pgtable, unknown */
        uint64_t blank;         /* every page flagless: uninitialised (deferred init) or all kernel */
        uint64_t reserved, absent;
        uint64_t slab_pages, pgtable_pages, unknown_pages, free_pages;
};

/* Adds one pageblock's flags to `c`. Flagless pages are kernel allocations
 * (pipe buffers, vmalloc, ...) or free pages on per-CPU lists: both are
 * "unknown" here, and the per-CPU ones make this an upper bound. */
static void classify_block(const uint64_t *flags, struct block_counts *c) {
        unsigned n_free = 0, n_slab = 0, n_pt = 0, n_unknown = 0, n_real = 0, n_reserved = 0;

        assert(flags);
        assert(c);
        for (unsigned i = 0; i < BLOCK_PAGES; i++) {
                uint64_t f = flags[i];

                if (f & BIT(KPF_NOPAGE))
                        continue;
                n_real++;
                if (f & BIT(KPF_RESERVED))
                        n_reserved++;
                else if (f & BIT(KPF_BUDDY))
                        n_free++;
                else if (f & BIT(KPF_SLAB))
                        n_slab++;
                else if (f & BIT(KPF_PGTABLE))
                        n_pt++;
                else if (!(f & (BIT(KPF_LRU) | BIT(KPF_ANON) | BIT(KPF_MMAP) | BIT(KPF_HUGE) | BIT(KPF_OFFLINE))))
                        n_unknown++;
        }
        if (n_real == 0) {
                c->absent++;
                return;
        }
        if (n_reserved > 0) {
                c->reserved++;
                return;
        }
        c->blocks++;
        if (n_unknown == n_real) {
                /* lazily initialised memory has no flags at all: not a
                 * pollution figure (warm memory up first) */
                c->blank++;
                c->unknown_pages += n_unknown;
                return;
        }
        c->free_pages += n_free;
        c->slab_pages += n_slab;
        c->pgtable_pages += n_pt;
        c->unknown_pages += n_unknown;
        c->slab += n_slab > 0;
        c->pgtable += n_pt > 0;
        c->unknown += n_unknown > 0;
        if (n_slab || n_pt || n_unknown)
                c->polluted++;
        else if (n_free == n_real)
                c->free++;
        else
                c->movable++;
}

static void print_counts(const char *tag, const struct block_counts *c) {
        assert(tag);
        assert(c);
        printf("%s%stotal=%" PRIu64 " free=%" PRIu64 " movable=%" PRIu64 " polluted=%" PRIu64 " slab=%" PRIu64
               " pgtable=%" PRIu64 " unknown=%" PRIu64 " blank=%" PRIu64 " reserved=%" PRIu64 " absent=%" PRIu64
               " free_pages=%" PRIu64 " slab_pages=%" PRIu64 " pgtable_pages=%" PRIu64 " unknown_pages=%" PRIu64,
               tag, *tag ? " " : "", c->blocks, c->free, c->movable, c->polluted, c->slab, c->pgtable, c->unknown, c->blank, c->reserved,
               c->absent, c->free_pages, c->slab_pages, c->pgtable_pages, c->unknown_pages);
}

int main(int argc, char **argv) {
        static uint64_t flags[CHUNK_BLOCKS * BLOCK_PAGES];
        struct zone_span zones[PAGEPLACE_MAX_ZONES];
        struct block_counts all = { 0 }, per_zone[PAGEPLACE_MAX_ZONES] = { { 0 } };
        struct timespec t0, t1;
        uint64_t block = 0;
        off_t off = 0;
        int fd, n_zones;

        if (argc > 1) {
                fprintf(stderr, "blockscan: unexpected argument '%s'; accepted: none (prints BLOCKS and ZONE lines)\n", argv[1]);
                return 2;
        }
        n_zones = zones_read(zones, PAGEPLACE_MAX_ZONES);
        if (n_zones < 0)
                n_zones = 0;  /* no per-zone lines, the total still stands */
        fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                fprintf(stderr, "blockscan: /proc/kpageflags: %s (needs root)\n", strerror(errno));
                return errno == EACCES || errno == EPERM || errno == ENOENT ? 77 : 1;
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
                ssize_t n = pread(fd, flags, sizeof flags, off);

                if (n < 0) {
                        fprintf(stderr, "blockscan: reading /proc/kpageflags at %lld: %s\n", (long long) off, strerror(errno));
                        close(fd);
                        return 1;
                }
                for (ssize_t b = 0; b + (ssize_t) (BLOCK_PAGES * sizeof *flags) <= n; b += BLOCK_PAGES * sizeof *flags, block++) {
                        uint64_t pfn = block * BLOCK_PAGES;

                        classify_block(flags + b / sizeof *flags, &all);
                        for (int z = 0; z < n_zones; z++)
                                if (pfn >= zones[z].start_pfn && pfn < zones[z].end_pfn)
                                        classify_block(flags + b / sizeof *flags, &per_zone[z]);
                }
                if (n < (ssize_t) sizeof flags)
                        break;
                off += n;
        }
        close(fd);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        print_counts("BLOCKS", &all);
        printf(" scan_ms=%.0f\n", (double) (t1.tv_sec - t0.tv_sec) * 1e3 + (double) (t1.tv_nsec - t0.tv_nsec) / 1e6);
        for (int z = 0; z < n_zones; z++) {
                printf("ZONE name=%s ", zones[z].name);  /* print_counts adds no space for "" */
                print_counts("", &per_zone[z]);
                putchar('\n');
        }
        return 0;
}
