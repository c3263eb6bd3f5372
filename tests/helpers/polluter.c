/* SPDX-License-Identifier: GPL-2.0-or-later */
/* polluter: spreads kernel memory the compactor cannot move over nearly every
 * pageblock (issue 11, workload "polluted"): fills memory with page cache,
 * drops one cached page per pageblock per pass and lets dentries, inodes,
 * pipe buffers and page tables take those holes, then frees the cache. See
 * docs/benchmarks.md for why each step is as it is. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "helper-util.h"
#include "pageplace.h"

#define PAGE_BYTES 4096UL
#define REGION_BYTES (2UL << 20)
#define FILL_READ_BYTES (1UL << 20)      /* one pread: 256 order-0 folios under POSIX_FADV_RANDOM */
/* MemFree is read every FILL_CHECK_BYTES, every FILL_CHECK_NEAR_BYTES once
 * within FILL_NEAR_BYTES of the target: overshooting below the low watermark
 * would wake kswapd, whose reclaim frees whole pageblocks of old cache. */
#define FILL_CHECK_BYTES (64UL << 20)
#define FILL_CHECK_NEAR_BYTES (4UL << 20)
#define FILL_NEAR_BYTES (512ULL << 20)
/* Reclaim scanning this many pages since the fill began means memory is
 * full (kswapd woke): stop, before its reclaim frees whole pageblocks of old
 * cache (and leaves shadow entries in slab). Others' noise stays below it. */
#define FILL_STOP_SCANNED_PAGES 2048
#define FILE_GROUP_PAGES 512             /* holes are placed per 2 MiB of the file */
#define FILL_MAX_BYTES (256ULL << 30)
/* The pollution budget (--files etc. are maxima) is spent in this many
 * steps, every kind a little in each, so that each kind lands everywhere. */
#define POLLUTE_STEPS 4096
/* Memory is filled, and pollution then allocates, down to the zones' high
 * watermarks and lowmem protection plus this: below, kswapd would wake and
 * free whole pageblocks of cache, into which the pollution would pack. */
#define FREE_FLOOR_MARGIN_KIB (64 * 1024)
/* Zones above the one being holed are kept at their low watermark plus
 * this (4 MiB: a little above, so kswapd stays asleep). */
#define ABSORB_MARGIN_PAGES 1024
#define NSEC_PER_SEC HELPER_NSEC_PER_SEC

struct options {
        const char *dir;
        uint64_t fill_bytes;         /* 0: until MemFree <= free_target */
        uint64_t free_target_bytes;
        unsigned hole_one_in;        /* drop one cached page of each group of N */
        uint64_t files, negative, pipe_pages, pagetables;
        bool keep_cache;
        bool hold;
        uint64_t seed;
};

static const char *const USAGE =
        "usage: polluter --dir DIR [--fill BYTES | --free-target BYTES] [--hole-one-in N]\n"
        "                [--files N] [--negative N] [--pipe-pages N] [--pagetables N]\n"
        "                [--keep-cache] [--hold] [--seed N]\n"
        "  --dir DIR            disk file system directory (a subdirectory polluter.PID, removed on exit)\n"
        "  --fill BYTES         page cache to fill with (reads of a sparse file, 4 KiB folios)\n"
        "  --free-target BYTES  without --fill: fill until MemFree is at most this (default: the zones' high\n"
        "                       watermarks plus lowmem protection plus 64M, where kswapd stays asleep)\n"
        "  --hole-one-in N      512/N passes per zone, each dropping one cached page in every pageblock\n"
        "                       and polluting until they are taken (power of two 2..512; default 64)\n"
        "  The pollution budget (maxima; what the passes take is used, in that mix):\n"
        "  --files N            empty files created: a dentry and an inode each (default 100000)\n"
        "  --negative N         negative dentries: stat() of missing names (default 6000000)\n"
        "  --pipe-pages N       pages of pipe buffers, unmovable (default 2048; 2 fds per 256 pages)\n"
        "  --pagetables N       page-table pages, unmovable: one read per 2 MiB of a sparse mapping (default 2048)\n"
        "  --keep-cache         keep the page cache afterwards (default: drop it, memory is free again)\n"
        "  --hold               after READY, wait for SIGTERM/SIGINT or EOF on a piped stdin, then clean up\n"
        "  --seed N             seed of the hole pattern (default 1)\n"
        "Prints FILL, LOCATE, HOLES, POLLUTE, MEMINFO, RELEASE and READY lines (key=value).\n"
        "Spreads best with kswapd and the per-CPU lists out of the way while it runs (the bench harness sets\n"
        "vm.watermark_boost_factor=0, DMA32's vm.lowmem_reserve_ratio=0, vm.percpu_pagelist_high_fraction=1000000\n"
        "and restores them at READY); see docs/benchmarks.md.\n";

static void parse_options(int argc, char **argv, struct options *o) {
        enum { OPT_DIR = 256, OPT_FILL, OPT_FREE_TARGET, OPT_HOLE, OPT_FILES, OPT_NEGATIVE, OPT_PIPES,
               OPT_PAGETABLES, OPT_KEEP_CACHE, OPT_HOLD, OPT_SEED, OPT_HELP };
        static const struct option longopts[] = {
                { "dir",         required_argument, NULL, OPT_DIR },
                { "fill",        required_argument, NULL, OPT_FILL },
                { "free-target", required_argument, NULL, OPT_FREE_TARGET },
                { "hole-one-in", required_argument, NULL, OPT_HOLE },
                { "files",       required_argument, NULL, OPT_FILES },
                { "negative",    required_argument, NULL, OPT_NEGATIVE },
                { "pipe-pages",  required_argument, NULL, OPT_PIPES },
                { "pagetables",  required_argument, NULL, OPT_PAGETABLES },
                { "keep-cache",  no_argument,       NULL, OPT_KEEP_CACHE },
                { "hold",        no_argument,       NULL, OPT_HOLD },
                { "seed",        required_argument, NULL, OPT_SEED },
                { "help",        no_argument,       NULL, OPT_HELP },
                { NULL, 0, NULL, 0 }
        };
        uint64_t v;
        int c;

        assert(o);
        *o = (struct options) {
                .hole_one_in = 64,
                .files = 100000, .negative = 6000000, .pipe_pages = 2048, .pagetables = 2048, .seed = 1,
        };
        opterr = 0;
        while ((c = getopt_long(argc, argv, "", longopts, NULL)) >= 0) {
                switch (c) {
                case OPT_DIR:
                        if (!*optarg)
                                helper_die_usage("--dir", optarg, "a writable directory on a disk file system");
                        o->dir = optarg;
                        break;
                case OPT_FILL:
                        if (helper_parse_bytes(optarg, &v) < 0 || v < PAGE_BYTES || v > FILL_MAX_BYTES || v % PAGE_BYTES)
                                helper_die_usage("--fill", optarg, "4K..256G, a multiple of 4K, optional suffix K, M or G");
                        o->fill_bytes = v;
                        break;
                case OPT_FREE_TARGET:
                        if (helper_parse_bytes(optarg, &v) < 0 || v > FILL_MAX_BYTES)
                                helper_die_usage("--free-target", optarg, "0..256G, optional suffix K, M or G");
                        o->free_target_bytes = v;
                        break;
                case OPT_HOLE:
                        if (helper_parse_u64(optarg, FILE_GROUP_PAGES, &v) < 0 || v < 2 || (v & (v - 1)))
                                helper_die_usage("--hole-one-in", optarg, "2, 4, 8, ..., 512 (a power of two dividing the 512 pages of 2 MiB)");
                        o->hole_one_in = (unsigned) v;
                        break;
                case OPT_FILES:
                        if (helper_parse_u64(optarg, 10000000, &o->files) < 0)
                                helper_die_usage("--files", optarg, "0..10000000");
                        break;
                case OPT_NEGATIVE:
                        if (helper_parse_u64(optarg, 100000000, &o->negative) < 0)
                                helper_die_usage("--negative", optarg, "0..100000000");
                        break;
                case OPT_PIPES:
                        if (helper_parse_u64(optarg, 8ULL << 20, &o->pipe_pages) < 0)
                                helper_die_usage("--pipe-pages", optarg, "0..8388608");
                        break;
                case OPT_PAGETABLES:
                        if (helper_parse_u64(optarg, 8ULL << 20, &o->pagetables) < 0)
                                helper_die_usage("--pagetables", optarg, "0..8388608 (2 MiB of address space each)");
                        break;
                case OPT_KEEP_CACHE:
                        o->keep_cache = true;
                        break;
                case OPT_HOLD:
                        o->hold = true;
                        break;
                case OPT_SEED:
                        if (helper_parse_u64(optarg, UINT64_MAX, &o->seed) < 0)
                                helper_die_usage("--seed", optarg, "an unsigned decimal integer");
                        break;
                case OPT_HELP:
                        fputs(USAGE, stdout);
                        exit(0);
                default:
                        helper_die_unknown_option(argv[optind - 1], "--dir --fill --free-target --hole-one-in --files --negative --pipe-pages --pagetables --keep-cache --hold --seed --help");
                }
        }
        if (optind < argc)
                helper_die_operand(argv[optind], false);
        if (!o->dir) {
                fprintf(stderr, "polluter: --dir missing; accepted: --dir DIR (a writable directory on a disk file system)\n");
                fputs(USAGE, stderr);
                exit(2);
        }
}

static double since_sec(uint64_t t0) {
        return (double) (helper_now_ns() - t0) / NSEC_PER_SEC;
}

/* One /proc/meminfo value in KiB, 0 when absent. */
static uint64_t meminfo_kib(const char *key) {
        FILE *f = fopen("/proc/meminfo", "re");
        char line[256];
        size_t len = strlen(key);
        uint64_t v = 0;

        assert(key);
        if (!f)
                return 0;
        while (fgets(line, sizeof line, f))
                if (strncmp(line, key, len) == 0 && line[len] == ':') {
                        v = strtoull(line + len + 1, NULL, 10);
                        break;
                }
        fclose(f);
        return v;
}

/* Sum of the /proc/vmstat counters whose names start with `prefix`. */
static uint64_t vmstat_sum(const char *prefix) {
        FILE *f = fopen("/proc/vmstat", "re");
        char key[64];
        unsigned long long v;
        uint64_t sum = 0;

        assert(prefix);
        if (!f)
                return 0;
        while (fscanf(f, "%63s %llu", key, &v) == 2)
                if (strncmp(key, prefix, strlen(prefix)) == 0)
                        sum += v;
        fclose(f);
        return sum;
}

/* Free pages the buddy allocator knows (sum of /proc/buddyinfo) in KiB.
 * Below MemFree while memory is still uninitialised (deferred init). */
static uint64_t buddy_free_kib(void) {
        FILE *f = fopen("/proc/buddyinfo", "re");
        char line[512];
        uint64_t pages = 0;

        if (!f)
                return 0;
        while (fgets(line, sizeof line, f)) {
                char *p = strstr(line, "zone");
                unsigned order = 0;

                if (!p)
                        continue;
                p += 4;
                while (*p == ' ')
                        p++;
                p += strcspn(p, " ");  /* the zone name */
                for (;;) {
                        char *end;
                        unsigned long long n = strtoull(p, &end, 10);

                        if (end == p)
                                break;
                        pages += (uint64_t) n << order++;
                        p = end;
                }
        }
        fclose(f);
        return pages * (PAGE_BYTES / 1024);
}

struct polluter {
        struct options o;
        char dir[PATH_MAX];           /* set once created: cleanup removes it */
        int cache_fd;
        uint64_t cache_pages;
        uint8_t *cache_map;           /* the whole file, shared, read-only; mapped while set up */
        uint64_t cache_map_bytes;
        uint8_t *buf;
        int (*pipes)[2];
        uint64_t n_pipes, pipe_pages_written;
        uint8_t *pt_area;             /* sparse mapping whose page tables we keep */
        uint64_t pt_area_bytes, pagetables_done;
        uint64_t files_done, negative_done;
        bool files_dir_made, neg_dir_made;
        uint64_t floor_kib;           /* MemFree kept: kswapd's floor plus a margin */
};

/* `name` under our directory; `n` appended when it is not UINT64_MAX. */
static int subpath(const struct polluter *p, char *buf, size_t size, const char *name, uint64_t n) {
        int len;

        assert(p);
        assert(buf);
        assert(name);
        if (n == UINT64_MAX)
                len = snprintf(buf, size, "%s/%s", p->dir, name);
        else
                len = snprintf(buf, size, "%s/%s%" PRIu64, p->dir, name, n);
        return len >= (int) size ? -ENAMETOOLONG : 0;
}

static int make_dirs(struct polluter *p) {
        char dir[PATH_MAX], path[PATH_MAX];

        assert(p);
        if (snprintf(dir, sizeof dir, "%s/polluter.%d", p->o.dir, (int) getpid()) >= (int) sizeof dir)
                return -ENAMETOOLONG;
        if (mkdir(dir, 0700) < 0) {
                fprintf(stderr, "polluter: --dir '%s': cannot create %s: %s; accepted: a writable directory\n",
                        p->o.dir, dir, strerror(errno));
                return -errno;
        }
        memcpy(p->dir, dir, sizeof dir);
        if (subpath(p, path, sizeof path, "files", UINT64_MAX) < 0 || mkdir(path, 0700) < 0)
                return -errno;
        p->files_dir_made = true;
        if (subpath(p, path, sizeof path, "neg", UINT64_MAX) < 0 || mkdir(path, 0700) < 0)
                return -errno;
        p->neg_dir_made = true;
        return 0;
}

/* Phase 1: page cache over (almost) all free memory. Reading holes of a
 * sparse file caches zeroed pages without any disk I/O; POSIX_FADV_RANDOM
 * keeps them order-0 (no readahead, no large folios), like a busy server's
 * cache, and it initialises all deferred memory on the way. */
static int fill(struct polluter *p) {
        char path[PATH_MAX];
        uint64_t t0 = helper_now_ns(), limit = p->o.fill_bytes ? p->o.fill_bytes : FILL_MAX_BYTES, done = 0, next_check = 0;
        uint64_t scanned0 = vmstat_sum("pgscan_"), scanned = 0;
        uint64_t target_bytes = p->o.free_target_bytes ? p->o.free_target_bytes : p->floor_kib * 1024;
        const char *stopped_by = "size";

        assert(p);
        if (subpath(p, path, sizeof path, "cache", UINT64_MAX) < 0)
                return -ENAMETOOLONG;
        p->cache_fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
        if (p->cache_fd < 0)
                return -errno;
        if (ftruncate(p->cache_fd, (off_t) limit) < 0)
                return -errno;
        (void) posix_fadvise(p->cache_fd, 0, 0, POSIX_FADV_RANDOM);
        /* The cache stays mapped until it is dropped: the machine's DAMON
         * pages out unmapped file pages idle for a minute, and would free
         * whole pageblocks of it while we set up (the pollution would pack
         * into them). Its page tables are allocated early, in few blocks. */
        p->cache_map_bytes = limit;
        p->cache_map = mmap(NULL, limit, PROT_READ, MAP_SHARED | MAP_NORESERVE, p->cache_fd, 0);
        if (p->cache_map == MAP_FAILED) {
                p->cache_map = NULL;
                return -errno;
        }
        (void) madvise(p->cache_map, limit, MADV_RANDOM);
        while (done < limit && !helper_stop_pending()) {
                if (!p->o.fill_bytes && done >= next_check) {
                        uint64_t free_bytes = meminfo_kib("MemFree") * 1024;

                        scanned = vmstat_sum("pgscan_") - scanned0;
                        if (free_bytes <= target_bytes) {
                                stopped_by = "free-target";
                                break;
                        }
                        if (scanned >= FILL_STOP_SCANNED_PAGES) {
                                stopped_by = "reclaim";
                                break;
                        }
                        next_check = done + (free_bytes - target_bytes > FILL_NEAR_BYTES ?
                                             FILL_CHECK_BYTES : FILL_CHECK_NEAR_BYTES);
                }
                size_t len = limit - done < FILL_READ_BYTES ? (size_t) (limit - done) : FILL_READ_BYTES;

                if (pread(p->cache_fd, p->buf, len, (off_t) done) != (ssize_t) len)
                        return -EIO;
                /* map what was just read (fault-around maps 16 at a time) */
                for (uint64_t off = 0; off < len; off += PAGE_BYTES)
                        (void) *(volatile const uint8_t *) (p->cache_map + done + off);
                done += len;
        }
        p->cache_pages = done / PAGE_BYTES;
        printf("FILL cache_bytes=%" PRIu64 " stopped_by=%s memfree_kib=%" PRIu64 " buddy_free_kib=%" PRIu64
               " reclaim_scanned_pages=%" PRIu64 " target_kib=%" PRIu64 " sec=%.1f\n",
               done, helper_stop_pending() ? "signal" : stopped_by, meminfo_kib("MemFree"), buddy_free_kib(), scanned,
               target_bytes / 1024, since_sec(t0));
        fflush(stdout);
        return 0;
}

/* Drops cached page `page` of the file: unmapped first (a mapped page is
 * not invalidated), then out of the page cache. True if it was dropped. */
static bool drop_page(struct polluter *p, uint64_t page) {
        assert(p);
        if (p->cache_map)
                (void) madvise(p->cache_map + page * PAGE_BYTES, PAGE_BYTES, MADV_DONTNEED);
        return posix_fadvise(p->cache_fd, (off_t) (page * PAGE_BYTES), PAGE_BYTES, POSIX_FADV_DONTNEED) == 0;
}

/* Unmaps and drops the whole cache. */
static void drop_cache(struct polluter *p) {
        assert(p);
        if (p->cache_map)
                munmap(p->cache_map, p->cache_map_bytes);
        p->cache_map = NULL;
        if (p->cache_fd >= 0)
                (void) posix_fadvise(p->cache_fd, 0, 0, POSIX_FADV_DONTNEED);
}

/* Phase 2, one pass: one cached page of each hole_one_in in the pass's
 * stripe of every 2 MiB of the file dropped. A few free pages per pageblock
 * are too few for the allocator to claim the block for another migratetype
 * (it wants half of it free), so what is allocated next is mixed in. */
static uint64_t punch_pass(struct polluter *p, unsigned pass) {
        uint64_t n = 0, groups = p->cache_pages / FILE_GROUP_PAGES;

        assert(p);
        for (uint64_t g = 0; g < groups; g++) {
                uint64_t page = g * FILE_GROUP_PAGES + (uint64_t) pass * p->o.hole_one_in + helper_rng_next() % p->o.hole_one_in;

                n += drop_page(p, page);
        }
        return n;
}

static int setup_pagetables(struct polluter *p) {
        assert(p);
        p->pt_area_bytes = p->o.pagetables * REGION_BYTES;
        if (!p->pt_area_bytes)
                return 0;
        /* read-only, never written: a read fault maps the shared zero page and
         * needs a page-table page, so each 2 MiB costs one unmovable page only */
        p->pt_area = mmap(NULL, p->pt_area_bytes, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p->pt_area == MAP_FAILED) {
                p->pt_area = NULL;
                return -errno;
        }
        /* no huge zero page (it would need no page table) */
        (void) madvise(p->pt_area, p->pt_area_bytes, MADV_NOHUGEPAGE);
        return 0;
}

/* The pollute_* functions each advance their kind to `upto` items. */
static int pollute_files(struct polluter *p, uint64_t upto) {
        char path[PATH_MAX];

        assert(p);
        for (; p->files_done < upto; p->files_done++) {
                int fd;

                if (subpath(p, path, sizeof path, "files/", p->files_done) < 0)
                        return -ENAMETOOLONG;
                fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
                if (fd < 0)
                        return -errno;
                close(fd);
        }
        return 0;
}

static void pollute_negative(struct polluter *p, uint64_t upto) {
        char path[PATH_MAX];
        struct stat st;

        assert(p);
        for (; p->negative_done < upto; p->negative_done++)
                if (subpath(p, path, sizeof path, "neg/missing-", p->negative_done) == 0)
                        (void) stat(path, &st);  /* ENOENT is the point: a negative dentry */
}

static int pollute_pipes(struct polluter *p, uint64_t upto) {
        assert(p);
        for (; p->pipe_pages_written < upto; p->pipe_pages_written++)
                if (write(p->pipes[p->pipe_pages_written / HELPER_PIPE_PAGES][1], p->buf, PAGE_BYTES) != (ssize_t) PAGE_BYTES)
                        return -errno;
        return 0;
}

static void pollute_pagetables(struct polluter *p, uint64_t upto) {
        assert(p);
        for (; p->pagetables_done < upto; p->pagetables_done++)
                (void) *(volatile const uint8_t *) (p->pt_area + p->pagetables_done * REGION_BYTES);
}

static int pollute_step(struct polluter *p, uint64_t s) {
        int r;

        assert(p);
        r = pollute_files(p, p->o.files * s / POLLUTE_STEPS);
        if (r < 0) {
                fprintf(stderr, "polluter: creating file #%" PRIu64 " in %s/files: %s\n", p->files_done, p->dir, strerror(-r));
                return r;
        }
        pollute_negative(p, p->o.negative * s / POLLUTE_STEPS);
        r = pollute_pipes(p, p->o.pipe_pages * s / POLLUTE_STEPS);
        if (r < 0) {
                fprintf(stderr, "polluter: filling pipe buffers: %s\n", strerror(-r));
                return r;
        }
        pollute_pagetables(p, p->o.pagetables * s / POLLUTE_STEPS);
        return 0;
}

/* Pages our pollution holds now, as the kernel counts them: slab, page
 * tables, plus our pipe pages. Others' slab moves it too (noise). */
static uint64_t pollution_pages(const struct polluter *p) {
        assert(p);
        return (meminfo_kib("SReclaimable") + meminfo_kib("SUnreclaim") + meminfo_kib("PageTables")) / (PAGE_BYTES / 1024) +
                p->pipe_pages_written;
}

/* Free pages of the zone named `name` now, or UINT64_MAX if unknown. */
static uint64_t zone_free_pages(const char *name) {
        struct zone_span zones[PAGEPLACE_MAX_ZONES];
        int n = zones_read(zones, PAGEPLACE_MAX_ZONES);

        assert(name);
        for (int z = 0; z < n; z++)
                if (strcmp(zones[z].name, name) == 0)
                        return zones[z].free_pages;
        return UINT64_MAX;
}

static uint64_t zone_located_pages(const struct cache_layout *l, const struct zone_span *z) {
        uint64_t b0 = z->start_pfn / PAGEPLACE_BLOCK_PAGES, b1 = (z->end_pfn + PAGEPLACE_BLOCK_PAGES - 1) / PAGEPLACE_BLOCK_PAGES;

        assert(l);
        assert(z);
        if (b0 >= l->n_blocks)
                return 0;
        if (b1 > l->n_blocks)
                b1 = l->n_blocks;
        return l->block_start[b1] - l->block_start[b0];
}

/* One pass of holes: with frames, one page in each pageblock of zone `z`
 * that still has a cached page left for pass `pass`; without, one page per
 * 2 MiB of the file. Returns the pages dropped. */
static uint64_t punch(struct polluter *p, const struct cache_layout *l, const struct zone_span *z, unsigned pass) {
        uint64_t n = 0;

        assert(p);
        if (!l)
                return punch_pass(p, pass);
        assert(z);
        for (uint64_t b = z->start_pfn / PAGEPLACE_BLOCK_PAGES;
             b < (z->end_pfn + PAGEPLACE_BLOCK_PAGES - 1) / PAGEPLACE_BLOCK_PAGES && b < l->n_blocks; b++) {
                uint32_t first = l->block_start[b];

                if (l->block_start[b + 1] - first > pass)
                        n += drop_page(p, l->pages[first + pass]);
        }
        return n;
}

/* Pollutes until zone `zones[z]` has at most `free_pages` free, or our
 * pollution grew by `cap_pages`, or the budget is spent; meanwhile every
 * zone above is kept at its low watermark (other tenants free memory there
 * at any time, and the allocator would take it before zone z's holes). */
static int pollute_zone_down(struct polluter *p, uint64_t *step, int z, uint64_t free_pages, uint64_t cap_pages) {
        struct zone_span zones[PAGEPLACE_MAX_ZONES];
        uint64_t ours0 = pollution_pages(p);
        int r;

        assert(p);
        assert(step);
        while (*step < POLLUTE_STEPS && !helper_stop_pending()) {
                int n = zones_read(zones, PAGEPLACE_MAX_ZONES);
                bool above_high = false;

                if (n <= z)
                        return n < 0 ? n : -ENOENT;
                for (int hz = z + 1; hz < n; hz++)
                        above_high |= zones[hz].free_pages > zones[hz].low_pages + ABSORB_MARGIN_PAGES;
                if (!above_high && (zones[z].free_pages <= free_pages || pollution_pages(p) - ours0 >= cap_pages))
                        break;
                r = pollute_step(p, ++*step);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Phases 2 and 3: passes, zone by zone from the lowest. Before each pass the
 * zones above are polluted down to their low watermark, so that allocations
 * fall through to this zone (the allocator takes a lower zone only when the
 * preferred one is at its watermark; kswapd stays asleep as long as one zone
 * can serve). Then a hole in every pageblock of the zone, then pollution
 * until the zone's free count is back where it was, i.e. the holes are
 * taken: each pageblock gets about one polluting page per pass, whatever
 * order the free lists hand the holes out in. Paced per zone, not by
 * MemFree: other tenants free and allocate memory meanwhile. */
static int punch_and_pollute(struct polluter *p) {
        unsigned passes = FILE_GROUP_PAGES / p->o.hole_one_in, done_passes = 0;
        struct zone_span zones[PAGEPLACE_MAX_ZONES];
        struct cache_layout l;
        uint64_t t0 = helper_now_ns(), holes = 0, step = 0;
        char zone_holes[256] = "";
        bool placed;
        int n_zones, r;

        assert(p);
        n_zones = zones_read(zones, PAGEPLACE_MAX_ZONES);
        if (n_zones <= 0) {
                fprintf(stderr, "polluter: /proc/zoneinfo unreadable (%s)\n", strerror(n_zones < 0 ? -n_zones : ENOENT));
                return n_zones < 0 ? n_zones : -ENOENT;
        }
        r = cache_layout_build(p->cache_map, p->cache_pages, p->o.seed, &l);
        placed = r == 0;
        if (placed)
                printf("LOCATE cached_pages=%" PRIu64 " sec=%.1f\n", l.located, since_sec(t0));
        else
                fprintf(stderr, "polluter: cannot locate the cached pages (%s): holes per 2 MiB of the file instead, continuing\n",
                        strerror(-r));
        /* without frames: one round of passes over the file, paced in the top zone */
        for (int z = placed ? 0 : n_zones - 1; z < n_zones && step < POLLUTE_STEPS && !helper_stop_pending(); z++) {
                uint64_t zh = 0;
                size_t len = strlen(zone_holes);

                if (placed && zone_located_pages(&l, &zones[z]) == 0)
                        continue;  /* DMA: nothing of ours there */

                for (unsigned pass = 0; pass < passes && step < POLLUTE_STEPS && !helper_stop_pending(); pass++) {
                        uint64_t before, n;

                        /* the zones above down to their low watermark first */
                        r = pollute_zone_down(p, &step, z, UINT64_MAX, 0);
                        if (r < 0)
                                goto out;
                        before = zone_free_pages(zones[z].name);
                        n = punch(p, placed ? &l : NULL, &zones[z], pass);
                        if (n == 0)
                                break;
                        zh += n;
                        done_passes++;
                        /* at most twice the holes: the zone's count may not come
                         * back down (holes parked on per-CPU lists, others' frees) */
                        r = pollute_zone_down(p, &step, z, before, 2 * n);
                        if (r < 0)
                                goto out;
                }
                holes += zh;
                if (snprintf(zone_holes + len, sizeof zone_holes - len, "%s%s:%" PRIu64 "/%" PRIu64 "permille", len ? "," : "",
                             placed ? zones[z].name : "file", zh, step * 1000 / POLLUTE_STEPS) >= (int) (sizeof zone_holes - len))
                        zone_holes[len] = '\0';  /* no room: that zone is left out of the line */
        }
        printf("HOLES pages=%" PRIu64 " passes=%u placement=%s zones=%s\n", holes, done_passes,
               placed ? "pageblock" : "file-order", zone_holes[0] ? zone_holes : "-");
        printf("POLLUTE files=%" PRIu64 " negative=%" PRIu64 " pipe_pages=%" PRIu64 " pipes=%" PRIu64 " pagetables=%" PRIu64
               " budget_used_permille=%" PRIu64 " memfree_kib=%" PRIu64 " sec=%.1f\n",
               p->files_done, p->negative_done, p->pipe_pages_written, p->n_pipes, p->pagetables_done,
               step * 1000 / POLLUTE_STEPS, meminfo_kib("MemFree"), since_sec(t0));
        fflush(stdout);
        r = 0;
out:
        if (placed)
                cache_layout_free(&l);
        return r;
}

/* Everything made is removed: files, the cache file, pipes, page tables, the
 * directories (rmdir of neg/ frees its negative dentries). */
static void cleanup(struct polluter *p) {
        char path[PATH_MAX];
        uint64_t t0 = helper_now_ns();

        assert(p);
        for (uint64_t i = 0; i < p->files_done; i++)
                if (subpath(p, path, sizeof path, "files/", i) == 0 && unlink(path) < 0)
                        fprintf(stderr, "polluter: unlink %s: %s, ignoring\n", path, strerror(errno));
        for (uint64_t i = 0; i < p->n_pipes; i++) {
                close(p->pipes[i][0]);
                close(p->pipes[i][1]);
        }
        free(p->pipes);
        if (p->pt_area)
                munmap(p->pt_area, p->pt_area_bytes);
        if (p->cache_fd >= 0) {
                drop_cache(p);
                close(p->cache_fd);
                if (subpath(p, path, sizeof path, "cache", UINT64_MAX) == 0 && unlink(path) < 0)
                        fprintf(stderr, "polluter: unlink %s: %s, ignoring\n", path, strerror(errno));
        }
        if (p->files_dir_made && subpath(p, path, sizeof path, "files", UINT64_MAX) == 0 && rmdir(path) < 0)
                fprintf(stderr, "polluter: rmdir %s: %s, ignoring\n", path, strerror(errno));
        if (p->neg_dir_made && subpath(p, path, sizeof path, "neg", UINT64_MAX) == 0 && rmdir(path) < 0)
                fprintf(stderr, "polluter: rmdir %s: %s, ignoring\n", path, strerror(errno));
        if (p->dir[0] && rmdir(p->dir) < 0)
                fprintf(stderr, "polluter: rmdir %s: %s, ignoring\n", p->dir, strerror(errno));
        free(p->buf);
        printf("CLEANED sec=%.1f\n", since_sec(t0));
        fflush(stdout);
}

int main(int argc, char **argv) {
        struct polluter p = { .cache_fd = -1 };
        uint64_t srec0, sunrec0, pt0;
        int r, ret = 1;

        helper_init("polluter", USAGE);
        parse_options(argc, argv, &p.o);
        helper_rng_seed(p.o.seed);
        helper_block_stop_signals();

        {
                struct zone_span zones[PAGEPLACE_MAX_ZONES];
                int n = zones_read(zones, PAGEPLACE_MAX_ZONES);

                if (n <= 0) {
                        fprintf(stderr, "polluter: /proc/zoneinfo: %s\n", n < 0 ? strerror(-n) : "no zones");
                        return 1;
                }
                p.floor_kib = zones_kswapd_floor_pages(zones, (size_t) n) * (PAGE_BYTES / 1024) + FREE_FLOOR_MARGIN_KIB;
        }
        p.buf = aligned_alloc(PAGE_BYTES, FILL_READ_BYTES);
        if (!p.buf) {
                fprintf(stderr, "polluter: out of memory\n");
                return 1;
        }
        memset(p.buf, 0x5a, FILL_READ_BYTES);
        r = make_dirs(&p);
        if (r < 0) {
                ret = 2;
                goto out;
        }
        /* descriptors and mappings first: a limit is an error before the long part */
        r = helper_pipes_open("--pipe-pages", p.o.pipe_pages, &p.pipes, &p.n_pipes);
        if (r < 0) {
                ret = r == -EMFILE ? 2 : 1;
                goto out;
        }
        r = setup_pagetables(&p);
        if (r < 0) {
                fprintf(stderr, "polluter: --pagetables %" PRIu64 ": cannot map %" PRIu64 " bytes of address space: %s\n",
                        p.o.pagetables, p.pt_area_bytes, strerror(-r));
                ret = 2;
                goto out;
        }
        srec0 = meminfo_kib("SReclaimable");
        sunrec0 = meminfo_kib("SUnreclaim");
        pt0 = meminfo_kib("PageTables");
        r = fill(&p);
        if (r < 0) {
                fprintf(stderr, "polluter: filling page cache in %s: %s\n", p.dir, strerror(-r));
                goto out;
        }
        if (punch_and_pollute(&p) < 0)
                goto out;
        printf("MEMINFO sreclaimable_kib=%" PRIu64 " sreclaimable_delta_kib=%" PRId64 " sunreclaim_delta_kib=%" PRId64
               " pagetables_delta_kib=%" PRId64 "\n", meminfo_kib("SReclaimable"),
               (int64_t) (meminfo_kib("SReclaimable") - srec0), (int64_t) (meminfo_kib("SUnreclaim") - sunrec0),
               (int64_t) (meminfo_kib("PageTables") - pt0));
        if (!p.o.keep_cache) {
                drop_cache(&p);
                printf("RELEASE memfree_kib=%" PRIu64 "\n", meminfo_kib("MemFree"));
        }
        printf("READY pid=%d\n", (int) getpid());
        fflush(stdout);
        if (p.o.hold && !helper_stop_pending())
                (void) helper_hold(0, NULL, NULL, NULL);
        ret = 0;
out:
        cleanup(&p);
        return ret;
}
