/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pageplace: finds the physical frame of every mapped page of a file mapping
 * (/proc/self/pagemap) and the zones of /proc/zoneinfo; see pageplace.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pageplace.h"

#define PAGE_BYTES 4096UL
/* pagemap entries read at a time */
#define CHUNK_PAGES (16384UL)
#define PM_PRESENT (UINT64_C(1) << 63)   /* Documentation/admin-guide/mm/pagemap.rst */
#define PM_PFN_MASK ((UINT64_C(1) << 55) - 1)

int zones_read(struct zone_span *zones, size_t max) {
        FILE *f = fopen("/proc/zoneinfo", "re");
        char line[256], name[16] = "";
        uint64_t spanned = 0, free_pages = 0, low = 0, high = 0, managed = 0, reserve = 0, start;
        int node = -1, n = 0;

        assert(zones);
        if (!f)
                return -errno;
        while (fgets(line, sizeof line, f)) {
                unsigned long long v;

                if (sscanf(line, "Node %d, zone %15s", &node, name) == 2)
                        spanned = free_pages = low = high = managed = reserve = 0;
                else if (sscanf(line, " pages free %llu", &v) == 1)
                        free_pages = v;
                else if (sscanf(line, " low %llu", &v) == 1 && low == 0)
                        low = v;
                else if (sscanf(line, " high %llu", &v) == 1 && high == 0)
                        high = v;  /* the zone's; per-CPU lists print "high:" */
                else if (sscanf(line, " spanned %llu", &v) == 1)
                        spanned = v;
                else if (sscanf(line, " managed %llu", &v) == 1)
                        managed = v;
                else if (strstr(line, "protection: (")) {
                        char *q = strchr(line, '(') + 1, *end;

                        for (;;) {
                                v = strtoull(q, &end, 10);
                                if (end == q)
                                        break;
                                if (v > reserve)
                                        reserve = v;
                                q = end + strspn(end, ", ");
                        }
                } else if (node == 0 && spanned > 0 && sscanf(line, " start_pfn: %llu", &v) == 1 && (size_t) n < max) {
                        start = v;
                        snprintf(zones[n].name, sizeof zones[n].name, "%s", name);
                        zones[n].start_pfn = start;
                        zones[n].end_pfn = start + spanned;
                        zones[n].free_pages = free_pages;
                        zones[n].low_pages = low;
                        zones[n].high_pages = high;
                        zones[n].reserve_pages = reserve;
                        zones[n].managed_pages = managed;
                        n++;
                }
        }
        fclose(f);
        return n;
}

uint64_t zones_kswapd_floor_pages(const struct zone_span *zones, size_t n) {
        uint64_t sum = 0;

        assert(zones || n == 0);
        for (size_t i = 0; i < n; i++) {
                uint64_t f = zones[i].high_pages + zones[i].reserve_pages;

                sum += f < zones[i].managed_pages ? f : zones[i].managed_pages;
        }
        return sum;
}

/* splitmix64, as in fragmenter.c */
static uint64_t mix(uint64_t *state) {
        uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

        assert(state);
        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        return z ^ (z >> 31);
}

/* Frames of pages [first, first + n) of the mapping; 0 = not mapped. */
static int locate_chunk(int pagemap_fd, const uint8_t *map, uint64_t first, uint64_t n, uint32_t *pfn) {
        uint64_t pm[CHUNK_PAGES];
        ssize_t got;

        assert(map);
        assert(pfn);
        got = pread(pagemap_fd, pm, n * sizeof *pm, (off_t) (((uintptr_t) map / PAGE_BYTES + first) * sizeof *pm));
        if (got != (ssize_t) (n * sizeof *pm))
                return got < 0 ? -errno : -EIO;
        for (uint64_t i = 0; i < n; i++) {
                uint64_t f = (pm[i] & PM_PRESENT) ? pm[i] & PM_PFN_MASK : 0;

                pfn[i] = f > UINT32_MAX ? 0 : (uint32_t) f;
        }
        return 0;
}

int cache_layout_build(const uint8_t *map, uint64_t n_pages, uint64_t seed, struct cache_layout *ret) {
        uint32_t *pfn = NULL, *fill = NULL;
        uint64_t max_pfn = 0, rng = seed;
        bool any_pfn = false;
        int pagemap_fd, r = 0;

        assert(map);
        assert(ret);
        *ret = (struct cache_layout) { 0 };
        if (n_pages > UINT32_MAX)
                return -EFBIG;
        pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
        if (pagemap_fd < 0)
                return -errno;
        pfn = calloc(n_pages ? n_pages : 1, sizeof *pfn);
        if (!pfn) {
                r = -ENOMEM;
                goto out;
        }
        for (uint64_t first = 0; first < n_pages; first += CHUNK_PAGES) {
                uint64_t n = n_pages - first < CHUNK_PAGES ? n_pages - first : CHUNK_PAGES;

                r = locate_chunk(pagemap_fd, map, first, n, pfn + first);
                if (r < 0)
                        goto out;
        }
        for (uint64_t i = 0; i < n_pages; i++) {
                if (pfn[i] > max_pfn)
                        max_pfn = pfn[i];
                any_pfn |= pfn[i] != 0;
        }
        if (!any_pfn && n_pages > 0) {
                r = -EPERM;  /* frames read as 0 without CAP_SYS_ADMIN */
                goto out;
        }
        /* counting sort by pageblock */
        ret->n_blocks = max_pfn / PAGEPLACE_BLOCK_PAGES + 1;
        ret->block_start = calloc(ret->n_blocks + 1, sizeof *ret->block_start);
        fill = calloc(ret->n_blocks, sizeof *fill);
        if (!ret->block_start || !fill) {
                r = -ENOMEM;
                goto out;
        }
        for (uint64_t i = 0; i < n_pages; i++)
                if (pfn[i]) {
                        ret->block_start[pfn[i] / PAGEPLACE_BLOCK_PAGES + 1]++;
                        ret->located++;
                }
        for (uint64_t b = 0; b < ret->n_blocks; b++)
                ret->block_start[b + 1] += ret->block_start[b];
        ret->pages = malloc((ret->located ? ret->located : 1) * sizeof *ret->pages);
        if (!ret->pages) {
                r = -ENOMEM;
                goto out;
        }
        for (uint64_t i = 0; i < n_pages; i++)
                if (pfn[i]) {
                        uint64_t b = pfn[i] / PAGEPLACE_BLOCK_PAGES;

                        ret->pages[ret->block_start[b] + fill[b]++] = (uint32_t) i;
                }
        /* Fisher-Yates per block: reproducible for a seed and a layout */
        for (uint64_t b = 0; b < ret->n_blocks; b++) {
                uint32_t *v = ret->pages + ret->block_start[b];
                uint64_t n = ret->block_start[b + 1] - ret->block_start[b];

                for (uint64_t i = n; i > 1; i--) {
                        uint64_t j = mix(&rng) % i;
                        uint32_t t = v[i - 1];

                        v[i - 1] = v[j];
                        v[j] = t;
                }
        }
out:
        close(pagemap_fd);
        free(pfn);
        free(fill);
        if (r < 0)
                cache_layout_free(ret);
        return r;
}

void cache_layout_free(struct cache_layout *l) {
        assert(l);
        free(l->block_start);
        free(l->pages);
        *l = (struct cache_layout) { 0 };
}
