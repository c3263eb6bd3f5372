/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fragmenter: leaves the buddy allocator fragmented on purpose, for the kernel
 * tests, the guest scenarios and the benchmarks (workloads of issue 5). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
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

#define PAGE_BYTES 4096UL
#define REGION_BYTES (2UL << 20)                  /* one pageblock / PMD THP on x86-64 */
#define REGION_PAGES (REGION_BYTES / PAGE_BYTES)
/* Never hold more than this at once while warming up: the shared machine's
 * per-test memory cap. Larger --warmup values are done in passes. */
#define WARMUP_HOLD_MAX_BYTES (4ULL << 30)
#define WARMUP_CHUNK_BYTES (64UL << 20)
#define SIZE_MAX_BYTES (64ULL << 30)
#define CHURN_TICK_MSEC 10

struct options {
        uint64_t size_bytes;
        unsigned keep_one_in;
        uint64_t seed;
        bool hold;
        uint64_t warmup_bytes;
        const char *pagecache_dir;
        uint64_t pagecache_bytes;
        uint64_t unmovable_pages;
        uint64_t churn_pages_per_sec;
        bool fill_huge;
        uint64_t reserve_regions;     /* --reserve-blocks */
        uint64_t drain_milli_per_sec; /* --drain-rate, in thousandths of a block */
};

static const char *const USAGE =
        "usage: fragmenter [--size BYTES] [--keep-one-in N] [--seed N] [--hold]\n"
        "                  [--warmup BYTES] [--pagecache DIR --pagecache-size BYTES]\n"
        "                  [--unmovable PAGES] [--churn PAGES_PER_SEC]\n"
        "  --size BYTES           anonymous memory to fault in 4 KiB pages (K/M/G suffix; default 512M)\n"
        "  --keep-one-in N        keep one page of each group of N, free the rest (2..512, divides 512; default 4)\n"
        "  --kept-run PAGES       keep aligned runs of PAGES pages instead of single pages (1..256; default 1)\n"
        "  --seed N               seed of the kept-page choice (default 1; same seed, same pattern)\n"
        "  --hold                 after FRAGMENTED, wait for SIGTERM/SIGINT or EOF on a piped stdin\n"
        "  --warmup BYTES         first fault and free THP-backed memory (at most 4G held at once)\n"
        "  --pagecache DIR        interleave page cache (an unlinked file in DIR, not tmpfs) with the anon pages\n"
        "  --pagecache-size BYTES how much page cache to write; one page of each group of N is kept cached\n"
        "  --unmovable PAGES      interleave PAGES unmovable kernel pages (pipe buffers) with the anon pages\n"
        "  --churn PAGES_PER_SEC  while holding, refault and free this many random pages per second\n"
        "  --fill-huge            fault the area as THPs 64 MiB at a time, split and punch each chunk at once:\n"
        "                         fresh pageblocks every chunk, so --size can exceed what is held (size / N);\n"
        "                         stops early when a whole chunk falls back to 4 KiB pages\n"
        "  --reserve-blocks N     with --fill-huge: leave the first N THPs of the fill whole and free them after it,\n"
        "                         so N free 2 MiB blocks (of the zone the fill starts in) remain (0..65536)\n"
        "  --drain-rate BLOCKS_PER_SEC\n"
        "                         while holding, fault this many fresh THPs per second and punch each as the fill\n"
        "                         does (keep one page in --keep-one-in N): free 2 MiB blocks fall steadily while\n"
        "                         free memory stays high; skipped while no zone but DMA has a free 2 MiB block\n"
        "                         (never compacts); starts at the first line on a piped stdin, else at once\n"
        "                         (0.001..1000, fractions allowed; needs --hold)\n";

/* --kept-run: pages in each kept unit (see punch_anon). */
static unsigned kept_run_pages = 1;

/* "512M", "4096", "1G", and "512MiB", "1GB": powers of 1024. */
static int parse_bytes(const char *s, uint64_t *ret) {
        char buf[64];
        size_t n = s ? strlen(s) : 0;

        if (n >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, n + 1);
        /* the unit's B (or iB) after K, M or G: the shared parser takes the letter alone */
        if (n >= 3 && strcmp(buf + n - 2, "iB") == 0 && strchr("kKmMgG", buf[n - 3]))
                buf[n - 2] = 0;
        else if (n >= 2 && buf[n - 1] == 'B' && strchr("kKmMgG", buf[n - 2]))
                buf[n - 1] = 0;
        return helper_parse_bytes(buf, ret);
}

static void parse_options(int argc, char **argv, struct options *o) {
        enum { OPT_SIZE = 256, OPT_KEEP, OPT_SEED, OPT_HOLD, OPT_WARMUP, OPT_PAGECACHE,
               OPT_PAGECACHE_SIZE, OPT_UNMOVABLE, OPT_CHURN, OPT_FILL_HUGE, OPT_KEPT_RUN, OPT_RESERVE,
               OPT_DRAIN_RATE, OPT_HELP };
        static const struct option longopts[] = {
                { "size",           required_argument, NULL, OPT_SIZE },
                { "keep-one-in",    required_argument, NULL, OPT_KEEP },
                { "seed",           required_argument, NULL, OPT_SEED },
                { "hold",           no_argument,       NULL, OPT_HOLD },
                { "warmup",         required_argument, NULL, OPT_WARMUP },
                { "pagecache",      required_argument, NULL, OPT_PAGECACHE },
                { "pagecache-size", required_argument, NULL, OPT_PAGECACHE_SIZE },
                { "unmovable",      required_argument, NULL, OPT_UNMOVABLE },
                { "churn",          required_argument, NULL, OPT_CHURN },
                { "fill-huge",      no_argument,       NULL, OPT_FILL_HUGE },
                { "kept-run",       required_argument, NULL, OPT_KEPT_RUN },
                { "reserve-blocks", required_argument, NULL, OPT_RESERVE },
                { "drain-rate",     required_argument, NULL, OPT_DRAIN_RATE },
                { "help",           no_argument,       NULL, OPT_HELP },
                { NULL, 0, NULL, 0 }
        };
        uint64_t v;
        double d;
        char *end;
        int c;

        *o = (struct options) {
                .size_bytes = 512ULL << 20,
                .keep_one_in = 4,
                .seed = 1,
        };

        opterr = 0;
        while ((c = getopt_long(argc, argv, "", longopts, NULL)) >= 0) {
                switch (c) {
                case OPT_SIZE:
                        if (parse_bytes(optarg, &v) < 0 || v < REGION_BYTES || v > SIZE_MAX_BYTES)
                                helper_die_usage("--size", optarg, "2M..64G, a whole number with optional suffix K, M or G (powers of 1024)");
                        o->size_bytes = v;
                        break;
                case OPT_KEEP:
                        if (helper_parse_u64(optarg, UINT64_MAX, &v) < 0 || v < 2 || v > REGION_PAGES || REGION_PAGES % v != 0)
                                helper_die_usage("--keep-one-in", optarg, "2, 4, 8, ..., 512 (a power of two dividing the 512 pages of a 2 MiB region)");
                        o->keep_one_in = (unsigned) v;
                        break;
                case OPT_KEPT_RUN:
                        if (helper_parse_u64(optarg, UINT64_MAX, &v) < 0 || v < 1 || v > REGION_PAGES / 2 || (v & (v - 1)) != 0)
                                helper_die_usage("--kept-run", optarg, "1, 2, 4, ..., 256 (a power of two; with --keep-one-in N, N * PAGES must divide 512)");
                        kept_run_pages = (unsigned) v;
                        break;
                case OPT_SEED:
                        if (helper_parse_u64(optarg, UINT64_MAX, &v) < 0)
                                helper_die_usage("--seed", optarg, "an unsigned decimal integer");
                        o->seed = v;
                        break;
                case OPT_HOLD:
                        o->hold = true;
                        break;
                case OPT_WARMUP:
                        if (parse_bytes(optarg, &v) < 0 || v > SIZE_MAX_BYTES)
                                helper_die_usage("--warmup", optarg, "0..64G, a whole number with optional suffix K, M or G");
                        o->warmup_bytes = v;
                        break;
                case OPT_PAGECACHE:
                        if (!*optarg)
                                helper_die_usage("--pagecache", optarg, "a directory on a disk file system (not tmpfs)");
                        o->pagecache_dir = optarg;
                        break;
                case OPT_PAGECACHE_SIZE:
                        if (parse_bytes(optarg, &v) < 0 || v > SIZE_MAX_BYTES)
                                helper_die_usage("--pagecache-size", optarg, "0..64G, a whole number with optional suffix K, M or G");
                        o->pagecache_bytes = v;
                        break;
                case OPT_UNMOVABLE:
                        if (helper_parse_u64(optarg, UINT64_MAX, &v) < 0 || v > (8ULL << 20))
                                helper_die_usage("--unmovable", optarg, "0..8388608 (pages of pipe buffers, 4 KiB each)");
                        o->unmovable_pages = v;
                        break;
                case OPT_CHURN:
                        if (helper_parse_u64(optarg, UINT64_MAX, &v) < 0 || v > 10000000)
                                helper_die_usage("--churn", optarg, "0..10000000 (pages refaulted and freed per second)");
                        o->churn_pages_per_sec = v;
                        break;
                case OPT_FILL_HUGE:
                        o->fill_huge = true;
                        break;
                case OPT_RESERVE:
                        if (helper_parse_u64(optarg, 65536, &v) < 0)
                                helper_die_usage("--reserve-blocks", optarg, "0..65536 (2 MiB blocks left free after --fill-huge)");
                        o->reserve_regions = v;
                        break;
                case OPT_DRAIN_RATE:
                        errno = 0;
                        d = *optarg && *optarg != '-' && *optarg != '+' ? strtod(optarg, &end) : -1;
                        if (d < 0 || errno || *end || !(d >= 0.001 && d <= 1000))
                                helper_die_usage("--drain-rate", optarg, "0.001..1000 (2 MiB blocks per second, fractions allowed)");
                        o->drain_milli_per_sec = (uint64_t) (d * 1000 + 0.5);
                        break;
                case OPT_HELP:
                        fputs(USAGE, stdout);
                        exit(0);
                default:
                        helper_die_unknown_option(argv[optind - 1], "--size --keep-one-in --kept-run --seed --hold --warmup --pagecache --pagecache-size --unmovable --churn --fill-huge --reserve-blocks --drain-rate --help");
                }
        }
        if (optind < argc)
                helper_die_operand(argv[optind], true);
        if (REGION_PAGES % ((uint64_t) o->keep_one_in * kept_run_pages) != 0) {
                fprintf(stderr, "fragmenter: --keep-one-in %u with --kept-run %u: groups of %u pages do not tile a 2 MiB region; accepted: N * PAGES dividing 512\n",
                        o->keep_one_in, kept_run_pages, o->keep_one_in * kept_run_pages);
                exit(2);
        }
        if (o->size_bytes % REGION_BYTES != 0) {
                fprintf(stderr, "fragmenter: --size %" PRIu64 " is not a multiple of 2M; accepted: multiples of 2 MiB\n", o->size_bytes);
                exit(2);
        }
        if (!!o->pagecache_dir != (o->pagecache_bytes > 0)) {
                fprintf(stderr, "fragmenter: %s; accepted: --pagecache DIR and --pagecache-size BYTES (> 0) together\n",
                        o->pagecache_dir ? "--pagecache without --pagecache-size" : "--pagecache-size without --pagecache");
                exit(2);
        }
        if (o->churn_pages_per_sec && !o->hold) {
                fprintf(stderr, "fragmenter: --churn %" PRIu64 " without --hold; accepted: --churn only with --hold (churn runs while holding)\n", o->churn_pages_per_sec);
                exit(2);
        }
        if (o->drain_milli_per_sec && !o->hold) {
                fprintf(stderr, "fragmenter: --drain-rate without --hold; accepted: --drain-rate only with --hold (the drain runs while holding)\n");
                exit(2);
        }
        if (o->reserve_regions && !o->fill_huge) {
                fprintf(stderr, "fragmenter: --reserve-blocks %" PRIu64 " without --fill-huge; accepted: --reserve-blocks only with --fill-huge (the reserve is THPs of the fill)\n",
                        o->reserve_regions);
                exit(2);
        }
        if (o->reserve_regions * REGION_BYTES > o->size_bytes) {
                fprintf(stderr, "fragmenter: --reserve-blocks %" PRIu64 " is more than --size %" PRIu64 " holds; accepted: at most size / 2 MiB\n",
                        o->reserve_regions, o->size_bytes);
                exit(2);
        }
}

/* A non-zero word in every page, so that nothing can treat it as a zero page. */
static void touch_page(uint8_t *page, uint64_t tag) {
        uint64_t v = tag | 1;

        memcpy(page, &v, sizeof v);
        memcpy(page + PAGE_BYTES - sizeof v, &v, sizeof v);
}

static uint64_t anon_huge_kib(void) {
        FILE *f = fopen("/proc/self/smaps_rollup", "re");
        char line[256];
        uint64_t kib = 0;

        if (!f)
                return 0;
        while (fgets(line, sizeof line, f))
                if (sscanf(line, "AnonHugePages: %" SCNu64, &kib) == 1)
                        break;
        fclose(f);
        return kib;
}

/* Lazy memory init: the zone only grows when it runs short, so fault THPs
 * (MADV_HUGEPAGE) in chunks to make the kernel initialise memory, then free
 * everything. Held at most WARMUP_HOLD_MAX_BYTES at a time. */
static int warmup(uint64_t bytes) {
        uint64_t done = 0, huge_peak_kib = 0;
        unsigned passes = 0;

        while (done < bytes) {
                uint64_t pass = bytes - done < WARMUP_HOLD_MAX_BYTES ? bytes - done : WARMUP_HOLD_MAX_BYTES;
                uint64_t n_chunks = (pass + WARMUP_CHUNK_BYTES - 1) / WARMUP_CHUNK_BYTES;
                uint8_t **chunks = calloc(n_chunks, sizeof *chunks);
                uint64_t huge;

                if (!chunks)
                        return -ENOMEM;
                for (uint64_t c = 0; c < n_chunks && !helper_stop_pending(); c++) {
                        uint64_t len = c + 1 < n_chunks ? WARMUP_CHUNK_BYTES : pass - c * WARMUP_CHUNK_BYTES;

                        len = (len + PAGE_BYTES - 1) & ~(PAGE_BYTES - 1);
                        chunks[c] = helper_map_aligned(len, REGION_BYTES);
                        if (!chunks[c])
                                break;
                        (void) madvise(chunks[c], len, MADV_HUGEPAGE);
                        for (uint64_t off = 0; off < len; off += PAGE_BYTES)
                                touch_page(chunks[c] + off, off);
                        done += len;
                }
                huge = anon_huge_kib();
                if (huge > huge_peak_kib)
                        huge_peak_kib = huge;
                for (uint64_t c = 0; c < n_chunks; c++)
                        if (chunks[c]) {
                                uint64_t len = c + 1 < n_chunks ? WARMUP_CHUNK_BYTES : pass - c * WARMUP_CHUNK_BYTES;

                                munmap(chunks[c], (len + PAGE_BYTES - 1) & ~(PAGE_BYTES - 1));
                        }
                free(chunks);
                passes++;
                if (helper_stop_pending())
                        break;
        }
        printf("WARMED bytes=%" PRIu64 " passes=%u huge_peak_bytes=%" PRIu64 "\n", done, passes, huge_peak_kib * 1024);
        fflush(stdout);
        return 0;
}

struct interleave {
        /* page cache: one unlinked file */
        int cache_fd;
        uint64_t cache_pages_total, cache_pages_written;
        /* unmovable: pipe buffers */
        int (*pipes)[2];
        uint64_t n_pipes, pipe_capacity_pages;
        uint64_t unmovable_total, unmovable_written;
        uint8_t *buf;
};

static int open_cache_file(const char *dir) {
        char path[PATH_MAX];
        int fd;

        fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd >= 0)
                return fd;
        if (snprintf(path, sizeof path, "%s/fragmenter.%d.cache", dir, (int) getpid()) >= (int) sizeof path)
                return -ENAMETOOLONG;
        fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        (void) unlink(path);
        return fd;
}

/* Called after each anon page fault: keeps the page cache and pipe pages
 * evenly spread among the anon pages, so they land in the same pageblocks. */
static int interleave_step(struct interleave *il, uint64_t anon_done, uint64_t anon_total) {
        while (il->cache_fd >= 0 && il->cache_pages_written < il->cache_pages_total &&
               il->cache_pages_written * anon_total < anon_done * il->cache_pages_total) {
                touch_page(il->buf, il->cache_pages_written);
                if (pwrite(il->cache_fd, il->buf, PAGE_BYTES, (off_t) (il->cache_pages_written * PAGE_BYTES)) != (ssize_t) PAGE_BYTES) {
                        fprintf(stderr, "fragmenter: writing page cache: %s\n", strerror(errno));
                        return -EIO;
                }
                il->cache_pages_written++;
        }
        while (il->unmovable_written < il->unmovable_total &&
               il->unmovable_written * anon_total < anon_done * il->unmovable_total) {
                uint64_t p = il->unmovable_written / il->pipe_capacity_pages;

                touch_page(il->buf, il->unmovable_written);
                if (write(il->pipes[p][1], il->buf, PAGE_BYTES) != (ssize_t) PAGE_BYTES) {
                        fprintf(stderr, "fragmenter: filling pipe #%" PRIu64 ": %s\n", p, strerror(errno));
                        return -EIO;
                }
                il->unmovable_written++;
        }
        return 0;
}

struct area {
        uint8_t *base;
        uint64_t n_pages;
        uint8_t *present; /* one byte per page: 1 = faulted in */
        uint64_t n_present;
};

static void free_range(struct area *a, uint64_t first, uint64_t n) {
        if (n == 0)
                return;
        (void) madvise(a->base + first * PAGE_BYTES, n * PAGE_BYTES, MADV_DONTNEED);
        memset(a->present + first, 0, n);
        a->n_present -= n;
}

/* Keep one pseudo-random aligned run of `kept_run_pages` (--kept-run,
 * default 1 page) of each group of `keep_one_in` runs in pages
 * [first, first + n); free the rest (runs of adjacent freed pages in one
 * madvise: same effect, fewer calls). Kept runs longer than one page leave
 * free holes of higher order: on 6.18 node compaction aborts at the first
 * large page-cache folio it cannot find a same-order target for, and the
 * 1-page pattern leaves no free block above order 1 (docs/kernel-notes.md). */
static void punch_anon(struct area *a, uint64_t first, uint64_t n, unsigned keep_one_in) {
        uint64_t group = (uint64_t) keep_one_in * kept_run_pages;

        for (uint64_t g = first; g < first + n; g += group) {
                uint64_t keep = g + helper_rng_below(keep_one_in) * kept_run_pages;

                free_range(a, g, keep - g);
                free_range(a, keep + kept_run_pages, g + group - keep - kept_run_pages);
        }
}

static void punch_cache(int cache_fd, uint64_t cache_pages, unsigned keep_one_in) {
        if (cache_fd < 0)
                return;
        /* clean first, or dirty pages would not drop */
        (void) fdatasync(cache_fd);
        for (uint64_t g = 0; g < cache_pages; g += keep_one_in) {
                uint64_t keep = g + helper_rng_below(keep_one_in);

                if (keep > g)
                        (void) posix_fadvise(cache_fd, (off_t) (g * PAGE_BYTES), (off_t) ((keep - g) * PAGE_BYTES), POSIX_FADV_DONTNEED);
                /* len 0 would mean "to the end of the file": it dropped every
                 * kept page after the first group whose kept page was its last */
                if (g + keep_one_in > keep + 1)
                        (void) posix_fadvise(cache_fd, (off_t) ((keep + 1) * PAGE_BYTES),
                                             (off_t) ((g + keep_one_in - keep - 1) * PAGE_BYTES), POSIX_FADV_DONTNEED);
        }
}

/* Pages of the cache file resident now (mincore): what the punch really kept. */
static uint64_t cache_resident(int cache_fd, uint64_t cache_pages) {
        unsigned char *vec;
        uint64_t n = 0;
        void *m;

        if (cache_fd < 0 || cache_pages == 0)
                return 0;
        m = mmap(NULL, cache_pages * PAGE_BYTES, PROT_READ, MAP_SHARED, cache_fd, 0);
        if (m == MAP_FAILED)
                return 0;
        vec = malloc(cache_pages);
        if (vec && mincore(m, cache_pages * PAGE_BYTES, vec) == 0)
                for (uint64_t i = 0; i < cache_pages; i++)
                        n += vec[i] & 1;
        free(vec);
        munmap(m, cache_pages * PAGE_BYTES);
        return n;
}

static uint64_t vmstat_value(const char *name) {
        FILE *f = fopen("/proc/vmstat", "re");
        char key[64];
        unsigned long long v;
        uint64_t ret = 0;

        if (!f)
                return 0;
        while (fscanf(f, "%63s %llu", key, &v) == 2)
                if (strcmp(key, name) == 0) {
                        ret = v;
                        break;
                }
        fclose(f);
        return ret;
}

#define FILL_CHUNK_PAGES ((64UL << 20) / PAGE_BYTES)

/* Splits the THP of each 2 MiB region in [first, first + regions * 512) by
 * MADV_FREE on one subpage (partial MADV_DONTNEED on a THP would free nothing
 * until a deferred split), punches it keeping one page in keep_one_in, and
 * marks it NOHUGEPAGE again so that khugepaged (max_ptes_none) does not
 * collapse it back. */
static void split_and_punch(struct area *a, uint64_t first, uint64_t regions, unsigned keep_one_in) {
        for (uint64_t r = 0; r < regions; r++) {
                uint8_t *page0 = a->base + (first + r * REGION_PAGES) * PAGE_BYTES;

                (void) madvise(page0, PAGE_BYTES, MADV_FREE);
                touch_page(page0, first + r * REGION_PAGES); /* dirty again: not lazily freed if kept */
        }
        punch_anon(a, first, regions * REGION_PAGES, keep_one_in);
        (void) madvise(a->base + first * PAGE_BYTES, regions * REGION_BYTES, MADV_NOHUGEPAGE);
}

/* --reserve-blocks: the first regions of the fill's wholly THP-backed chunks,
 * left whole during the fill and freed (whole THPs: whole free blocks) after. */
struct reserve {
        uint64_t want, taken;
        uint64_t *first;    /* first page of each reserved run (runs start a chunk) */
        uint64_t *regions;  /* its length in regions */
        uint64_t n;
};

/* --fill-huge: each 64 MiB chunk is faulted as THPs (fresh pageblocks, never
 * the holes punched before: an order-9 request cannot use them), then split
 * and punched (split_and_punch), except the regions the reserve keeps whole.
 * Returns the pages faulted; stops early when a whole chunk fell back to
 * 4 KiB pages. */
static uint64_t fill_huge(struct area *a, struct interleave *il, unsigned keep_one_in, struct reserve *res,
                          uint64_t *ret_huge, uint64_t *ret_fallback, bool *ret_stopped) {
        uint64_t done = 0;

        *ret_huge = *ret_fallback = 0;
        *ret_stopped = false;
        while (done < a->n_pages) {
                uint64_t n = a->n_pages - done < FILL_CHUNK_PAGES ? a->n_pages - done : FILL_CHUNK_PAGES;
                uint64_t regions = n / REGION_PAGES, thp_before, thp_got, kept = 0;
                uint8_t *chunk = a->base + done * PAGE_BYTES;

                if (helper_stop_pending())
                        break;
                (void) madvise(chunk, n * PAGE_BYTES, MADV_HUGEPAGE);
                thp_before = vmstat_value("thp_fault_alloc");
                for (uint64_t i = done; i < done + n; i++) {
                        touch_page(a->base + i * PAGE_BYTES, i);
                        a->present[i] = 1;
                        a->n_present++;
                }
                thp_got = vmstat_value("thp_fault_alloc") - thp_before;
                if (thp_got > regions)
                        thp_got = regions; /* another process faulted THPs meanwhile */
                *ret_huge += thp_got;
                *ret_fallback += regions - thp_got;
                if (res->taken < res->want && thp_got == regions && regions > 0) {
                        kept = res->want - res->taken < regions ? res->want - res->taken : regions;
                        res->first[res->n] = done;
                        res->regions[res->n++] = kept;
                        res->taken += kept;
                }
                split_and_punch(a, done + kept * REGION_PAGES, regions - kept, keep_one_in);
                done += n;
                if (interleave_step(il, done, a->n_pages) < 0)
                        break;
                if (thp_got == 0) {
                        *ret_stopped = true;
                        break;
                }
        }
        return done;
}

/* The reserve's THPs unmapped whole: each frees one 2 MiB block. */
static void reserve_release(struct area *a, struct reserve *res) {
        for (uint64_t i = 0; i < res->n; i++) {
                free_range(a, res->first[i], res->regions[i] * REGION_PAGES);
                (void) madvise(a->base + res->first[i] * PAGE_BYTES, res->regions[i] * REGION_BYTES, MADV_NOHUGEPAGE);
        }
}

/* Free 2 MiB blocks (order >= 9, counted in order-9 units) in every zone of
 * /proc/buddyinfo but DMA, which user allocations do not reach. */
static uint64_t free_huge_blocks(void) {
        FILE *f = fopen("/proc/buddyinfo", "re");
        char line[512];
        uint64_t total = 0;

        if (!f)
                return UINT64_MAX; /* unknown: do not hold the drain back */
        while (fgets(line, sizeof line, f)) {
                char zone[32], *p;
                int node, used;

                if (sscanf(line, "Node %d, zone %31s%n", &node, zone, &used) != 2 || strcmp(zone, "DMA") == 0)
                        continue;
                p = line + used;
                for (int order = 0;; order++) {
                        char *end;
                        unsigned long long nr = strtoull(p, &end, 10);

                        if (end == p)
                                break;
                        if (order >= 9)
                                total += (uint64_t) nr << (order - 9);
                        p = end;
                }
        }
        fclose(f);
        return total;
}

/* --drain-rate: fresh 64 MiB areas, one 2 MiB region faulted (as a THP, if a
 * free block is left) and punched per step. */
#define DRAIN_CHUNK_REGIONS 32
struct drain {
        struct area *chunks;
        uint64_t n_chunks, next_region; /* in the last chunk */
        uint64_t huge, fallback, unknown, skipped, late;
        struct helper_thp_reader thp;   /* whether each region got a THP (root) */
};

static int drain_step(struct drain *d, unsigned keep_one_in) {
        struct area *a;
        uint8_t *region;
        uint64_t first;
        int thp;

        if (free_huge_blocks() == 0) {
                d->skipped++; /* nothing to take without compacting: never compact here */
                return 0;
        }
        if (d->n_chunks == 0 || d->next_region == DRAIN_CHUNK_REGIONS) {
                struct area *na = realloc(d->chunks, (d->n_chunks + 1) * sizeof *na);

                if (!na)
                        return -ENOMEM;
                d->chunks = na;
                a = &d->chunks[d->n_chunks];
                *a = (struct area) { .n_pages = DRAIN_CHUNK_REGIONS * REGION_PAGES };
                a->base = helper_map_aligned(DRAIN_CHUNK_REGIONS * REGION_BYTES, REGION_BYTES);
                a->present = calloc(a->n_pages, 1);
                if (!a->base || !a->present) {
                        if (a->base)
                                munmap(a->base, DRAIN_CHUNK_REGIONS * REGION_BYTES);
                        free(a->present);
                        return -ENOMEM;
                }
                (void) madvise(a->base, DRAIN_CHUNK_REGIONS * REGION_BYTES, MADV_HUGEPAGE);
                d->n_chunks++;
                d->next_region = 0;
        }
        a = &d->chunks[d->n_chunks - 1];
        first = d->next_region++ * REGION_PAGES;
        region = a->base + first * PAGE_BYTES;
        for (uint64_t i = first; i < first + REGION_PAGES; i++) {
                touch_page(a->base + i * PAGE_BYTES, i);
                a->present[i] = 1;
                a->n_present++;
        }
        thp = helper_thp_reader_is_thp(&d->thp, region);
        if (thp > 0)
                d->huge++;
        else if (thp == 0)
                d->fallback++;
        else
                d->unknown++;
        split_and_punch(a, first, 1, keep_one_in);
        return 0;
}

static void drain_free(struct drain *d) {
        for (uint64_t i = 0; i < d->n_chunks; i++) {
                munmap(d->chunks[i].base, DRAIN_CHUNK_REGIONS * REGION_BYTES);
                free(d->chunks[i].present);
        }
        free(d->chunks);
        helper_thp_reader_close(&d->thp);
}

/* One churn step: fault a random absent page, free a random present one
 * (footprint stays constant, but which physical pages are held drifts), and
 * read one random page of the page cache back (a refault if it was dropped). */
static void churn_step(struct area *a, int cache_fd, uint64_t cache_pages, uint8_t *buf) {
        uint64_t i;

        if (a->n_present < a->n_pages) {
                do
                        i = helper_rng_below(a->n_pages);
                while (a->present[i]);
                touch_page(a->base + i * PAGE_BYTES, i);
                a->present[i] = 1;
                a->n_present++;
        }
        if (a->n_present > 1) {
                do
                        i = helper_rng_below(a->n_pages);
                while (!a->present[i]);
                free_range(a, i, 1);
        }
        if (cache_fd >= 0 && cache_pages > 0)
                (void) pread(cache_fd, buf, PAGE_BYTES, (off_t) (helper_rng_below(cache_pages) * PAGE_BYTES));
}

/* While holding: --churn pages refaulted and freed per second, in ticks of
 * CHURN_TICK_MSEC (the fraction of a page carried to the next tick). */
struct churn {
        struct area *a;
        int cache_fd;
        uint64_t cache_pages, pages_per_sec, carry;
        uint8_t *buf;
};

static void churn_tick(void *data) {
        struct churn *c = data;
        uint64_t n = c->pages_per_sec * CHURN_TICK_MSEC + c->carry;

        c->carry = n % 1000;
        for (uint64_t k = 0; k < n / 1000; k++)
                churn_step(c->a, c->cache_fd, c->cache_pages, c->buf);
}

/* While holding, the drain: one region every 1/--drain-rate s from its
 * start (the first line on stdin, or at once when stdin is not watched); a
 * backlog of more than a second is dropped and counted as late, not caught
 * up in a burst. */
struct holding {
        struct churn churn;
        struct drain *drain;
        unsigned keep_one_in;
        uint64_t drain_period_ns, drain_t0, next_drain, drain_step_no;
        bool draining, failed;
};

static void drain_start(void *data) {
        struct holding *h = data;

        if (h->drain_period_ns && !h->draining) {
                h->draining = true;
                h->drain_t0 = h->next_drain = helper_now_ns();
        }
}

static void hold_tick(void *data) {
        struct holding *h = data;
        uint64_t now;

        if (h->churn.pages_per_sec)
                churn_tick(&h->churn);
        if (!h->draining || h->failed || helper_now_ns() < h->next_drain)
                return;
        if (drain_step(h->drain, h->keep_one_in) < 0) {
                fprintf(stderr, "fragmenter: --drain-rate: out of memory for the next region; drain stopped\n");
                h->failed = true;
                return;
        }
        h->drain_step_no++;
        h->next_drain = h->drain_t0 + h->drain_step_no * h->drain_period_ns;
        now = helper_now_ns();
        while (now > h->next_drain + HELPER_NSEC_PER_SEC) {
                h->drain->late++;
                h->drain_step_no++;
                h->next_drain = h->drain_t0 + h->drain_step_no * h->drain_period_ns;
        }
}

int main(int argc, char **argv) {
        struct options o;
        struct interleave il = { .cache_fd = -1 };
        struct area a = { .base = NULL };
        struct reserve res = { .want = 0 };
        struct drain drain = { .chunks = NULL, .thp = { .pagemap_fd = -1, .kpageflags_fd = -1 } };
        uint64_t regions, done_pages = 0;
        int r, ret = 1;

        helper_init("fragmenter", USAGE);
        parse_options(argc, argv, &o);
        helper_rng_seed(o.seed);

        /* Stop requests are polled between steps and waited for in helper_hold(),
         * so the process always exits 0 through the normal path. */
        helper_block_stop_signals();

        if (o.warmup_bytes > 0 && warmup(o.warmup_bytes) < 0) {
                fprintf(stderr, "fragmenter: --warmup %" PRIu64 ": out of memory\n", o.warmup_bytes);
                return 1;
        }
        if (helper_stop_pending())
                return 0;

        il.buf = aligned_alloc(PAGE_BYTES, PAGE_BYTES);
        if (!il.buf)
                goto oom;
        if (o.pagecache_dir) {
                r = open_cache_file(o.pagecache_dir);
                if (r < 0) {
                        fprintf(stderr, "fragmenter: --pagecache '%s': cannot create a file there: %s; accepted: a writable directory on a disk file system\n",
                                o.pagecache_dir, strerror(-r));
                        ret = 2;
                        goto out;
                }
                il.cache_fd = r;
                il.cache_pages_total = o.pagecache_bytes / PAGE_BYTES;
        }
        if (o.unmovable_pages > 0) {
                il.pipe_capacity_pages = HELPER_PIPE_PAGES;
                r = helper_pipes_open("--unmovable", o.unmovable_pages, &il.pipes, &il.n_pipes);
                if (r < 0) {
                        ret = r == -EMFILE ? 2 : 1;
                        goto out;
                }
                il.unmovable_total = o.unmovable_pages;
        }

        a.n_pages = o.size_bytes / PAGE_BYTES;
        a.base = helper_map_aligned(o.size_bytes, REGION_BYTES);
        a.present = calloc(a.n_pages, 1);
        if (!a.base || !a.present)
                goto oom;
        /* 4 KiB pages only: a THP here could not be fragmented by freeing subpages */
        if (madvise(a.base, o.size_bytes, MADV_NOHUGEPAGE) < 0) {
                fprintf(stderr, "fragmenter: madvise(MADV_NOHUGEPAGE): %s\n", strerror(errno));
                goto out;
        }
        if (o.fill_huge) {
                uint64_t huge, fallback, unmovable;
                bool stopped;
                /* pipe buffers after the fill: with no large free block left,
                 * each unmovable fallback lands in an already fragmented pageblock */
                unmovable = il.unmovable_total;
                il.unmovable_total = 0;
                res.want = o.reserve_regions;
                /* a run per chunk at most */
                res.first = calloc(o.reserve_regions + 1, sizeof *res.first);
                res.regions = calloc(o.reserve_regions + 1, sizeof *res.regions);
                if (!res.first || !res.regions)
                        goto oom;
                done_pages = fill_huge(&a, &il, o.keep_one_in, &res, &huge, &fallback, &stopped);
                reserve_release(&a, &res);
                il.unmovable_total = unmovable;
                if (interleave_step(&il, 1, 1) < 0)
                        goto out;
                printf("FILL huge_regions=%" PRIu64 " fallback_regions=%" PRIu64 " stopped_early=%s\n",
                       huge, fallback, stopped ? "yes" : "no");
                if (o.reserve_regions)
                        printf("RESERVE wanted_blocks=%" PRIu64 " freed_blocks=%" PRIu64 "\n", res.want, res.taken);
        } else {
                for (uint64_t i = 0; i < a.n_pages; i++) {
                        touch_page(a.base + i * PAGE_BYTES, i);
                        a.present[i] = 1;
                        a.n_present++;
                        if (interleave_step(&il, i + 1, a.n_pages) < 0)
                                goto out;
                        if (i % REGION_PAGES == 0 && helper_stop_pending()) {
                                ret = 0;
                                goto out;
                        }
                }
                punch_anon(&a, 0, a.n_pages, o.keep_one_in);
                done_pages = a.n_pages;
        }
        punch_cache(il.cache_fd, il.cache_pages_written, o.keep_one_in);
        regions = done_pages / REGION_PAGES;

        if (il.cache_fd >= 0)
                printf("PAGECACHE bytes=%" PRIu64 " kept_pages=%" PRIu64 " resident_pages=%" PRIu64 "\n",
                       il.cache_pages_written * PAGE_BYTES, il.cache_pages_written / o.keep_one_in,
                       cache_resident(il.cache_fd, il.cache_pages_written));
        if (il.unmovable_total > 0)
                printf("UNMOVABLE pages=%" PRIu64 " pipes=%" PRIu64 "\n", il.unmovable_written, il.n_pipes);
        printf("FRAGMENTED size=%" PRIu64 " kept_pages=%" PRIu64 " regions=%" PRIu64 "\n",
               done_pages * PAGE_BYTES, a.n_present, regions);
        fflush(stdout);

        ret = 0;
        if (o.hold) {
                struct holding h = {
                        .churn = { .a = &a, .cache_fd = il.cache_fd, .cache_pages = il.cache_pages_written,
                                   .pages_per_sec = o.churn_pages_per_sec, .buf = il.buf },
                        .drain = &drain, .keep_one_in = o.keep_one_in,
                        .drain_period_ns = o.drain_milli_per_sec ? HELPER_NSEC_PER_SEC * 1000 / o.drain_milli_per_sec : 0,
                };

                if (h.drain_period_ns)
                        helper_thp_reader_open(&drain.thp);
                if (!helper_stdin_watched())
                        drain_start(&h);
                ret = helper_hold(CHURN_TICK_MSEC, h.churn.pages_per_sec || h.drain_period_ns ? hold_tick : NULL,
                                  drain_start, &h) < 0 ? 1 : 0;
        }
        if (o.drain_milli_per_sec) {
                uint64_t kept = 0;

                for (uint64_t i = 0; i < drain.n_chunks; i++)
                        kept += drain.chunks[i].n_present;
                printf("DRAINED huge_regions=%" PRIu64 " fallback_regions=%" PRIu64 " unknown_regions=%" PRIu64
                       " skipped_no_block=%" PRIu64 " late=%" PRIu64 " kept_pages=%" PRIu64 "\n",
                       drain.huge, drain.fallback, drain.unknown, drain.skipped, drain.late, kept);
                fflush(stdout);
        }
        goto out;

oom:
        fprintf(stderr, "fragmenter: out of memory mapping --size %" PRIu64 "\n", o.size_bytes);
out:
        drain_free(&drain);
        free(res.first);
        free(res.regions);
        if (a.base)
                munmap(a.base, o.size_bytes);
        free(a.present);
        for (uint64_t i = 0; i < il.n_pipes; i++) {
                close(il.pipes[i][0]);
                close(il.pipes[i][1]);
        }
        free(il.pipes);
        if (il.cache_fd >= 0)
                close(il.cache_fd);
        free(il.buf);
        return ret;
}
