/* SPDX-License-Identifier: GPL-2.0-or-later */
/* churn: keeps refragmenting memory for a whole benchmark window (issue 11):
 * random anonymous faults and frees, page-cache reads and drops, small files
 * created and deleted in a directory; seeded, rate-limited, cleans up on exit. */
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

#define PAGE_BYTES 4096UL
#define TICK_NS (10 * 1000 * 1000ULL)   /* 10 ms: smooth at any rate, cheap to wake */
#define NSEC_PER_SEC HELPER_NSEC_PER_SEC
/* When the machine is busy and we fall behind, catch up at most this much at
 * once (the rest is counted as lag): a burst would be a different workload. */
#define CATCH_UP_NS (100 * 1000 * 1000ULL)
#define SIZE_MAX_BYTES (4ULL << 30)      /* the shared machine's per-test memory cap */
#define FILES_MAX 100000

struct options {
        const char *dir;
        uint64_t anon_rate, cache_rate, file_rate;   /* per second */
        uint64_t anon_bytes, cache_bytes;
        uint64_t files, file_max_bytes;
        uint64_t seed;
        uint64_t duration_ns;
        bool cache_rate_set;
};

static const char *const USAGE =
        "usage: churn --dir DIR [--rate N] [--cache-rate N] [--file-rate N] [--anon-size BYTES]\n"
        "             [--cache-size BYTES] [--files N] [--file-max-size BYTES] [--seed N] [--duration SEC]\n"
        "  --dir DIR             where the page-cache file and small files go (a subdirectory churn.PID,\n"
        "                        removed on exit; a disk file system, not tmpfs)\n"
        "  --rate N              anonymous pages faulted, and as many freed, per second (default 20000)\n"
        "  --cache-rate N        page-cache pages read, and as many dropped, per second (default rate/4)\n"
        "  --file-rate N         small files created, and as many deleted once --files exist, per second (default 100)\n"
        "  --anon-size BYTES     anonymous pool, half of it resident at any time (default 512M, at most 4G)\n"
        "  --cache-size BYTES    sparse file read at random pages (default 1G)\n"
        "  --files N             small files kept (default 2000, at most 100000)\n"
        "  --file-max-size BYTES size of a small file is 4K..this, random (default 64K)\n"
        "  --seed N              seed of every random choice (default 1)\n"
        "  --duration SEC        stop after SEC seconds (default 0: until SIGTERM/SIGINT)\n"
        "Prints 'CHURN pid=.. dir=..', 'READY' once set up, 'DONE ...' with the counts at the end.\n";

static void parse_options(int argc, char **argv, struct options *o) {
        enum { OPT_DIR = 256, OPT_RATE, OPT_CACHE_RATE, OPT_FILE_RATE, OPT_ANON, OPT_CACHE, OPT_FILES,
               OPT_FILE_MAX, OPT_SEED, OPT_DURATION, OPT_HELP };
        static const struct option longopts[] = {
                { "dir",           required_argument, NULL, OPT_DIR },
                { "rate",          required_argument, NULL, OPT_RATE },
                { "cache-rate",    required_argument, NULL, OPT_CACHE_RATE },
                { "file-rate",     required_argument, NULL, OPT_FILE_RATE },
                { "anon-size",     required_argument, NULL, OPT_ANON },
                { "cache-size",    required_argument, NULL, OPT_CACHE },
                { "files",         required_argument, NULL, OPT_FILES },
                { "file-max-size", required_argument, NULL, OPT_FILE_MAX },
                { "seed",          required_argument, NULL, OPT_SEED },
                { "duration",      required_argument, NULL, OPT_DURATION },
                { "help",          no_argument,       NULL, OPT_HELP },
                { NULL, 0, NULL, 0 }
        };
        int c;

        assert(o);
        *o = (struct options) {
                .anon_rate = 20000, .file_rate = 100,
                .anon_bytes = 512ULL << 20, .cache_bytes = 1ULL << 30,
                .files = 2000, .file_max_bytes = 64 << 10, .seed = 1,
        };
        opterr = 0;
        while ((c = getopt_long(argc, argv, "", longopts, NULL)) >= 0) {
                switch (c) {
                case OPT_DIR:
                        if (!*optarg)
                                helper_die_usage("--dir", optarg, "an existing writable directory on a disk file system");
                        o->dir = optarg;
                        break;
                case OPT_RATE:
                        if (helper_parse_u64(optarg, 10000000, &o->anon_rate) < 0)
                                helper_die_usage("--rate", optarg, "0..10000000 pages per second");
                        break;
                case OPT_CACHE_RATE:
                        if (helper_parse_u64(optarg, 10000000, &o->cache_rate) < 0)
                                helper_die_usage("--cache-rate", optarg, "0..10000000 pages per second");
                        o->cache_rate_set = true;
                        break;
                case OPT_FILE_RATE:
                        if (helper_parse_u64(optarg, 100000, &o->file_rate) < 0)
                                helper_die_usage("--file-rate", optarg, "0..100000 files per second");
                        break;
                case OPT_ANON:
                        if (helper_parse_bytes(optarg, &o->anon_bytes) < 0 || o->anon_bytes < 2 * PAGE_BYTES ||
                            o->anon_bytes > SIZE_MAX_BYTES || o->anon_bytes % PAGE_BYTES)
                                helper_die_usage("--anon-size", optarg, "8K..4G, a multiple of 4K, optional suffix K, M or G");
                        break;
                case OPT_CACHE:
                        if (helper_parse_bytes(optarg, &o->cache_bytes) < 0 || o->cache_bytes < PAGE_BYTES ||
                            o->cache_bytes > (64ULL << 30) || o->cache_bytes % PAGE_BYTES)
                                helper_die_usage("--cache-size", optarg, "4K..64G, a multiple of 4K, optional suffix K, M or G");
                        break;
                case OPT_FILES:
                        if (helper_parse_u64(optarg, FILES_MAX, &o->files) < 0 || o->files == 0)
                                helper_die_usage("--files", optarg, "1..100000");
                        break;
                case OPT_FILE_MAX:
                        if (helper_parse_bytes(optarg, &o->file_max_bytes) < 0 || o->file_max_bytes < PAGE_BYTES ||
                            o->file_max_bytes > (16ULL << 20) || o->file_max_bytes % PAGE_BYTES)
                                helper_die_usage("--file-max-size", optarg, "4K..16M, a multiple of 4K");
                        break;
                case OPT_SEED:
                        if (helper_parse_u64(optarg, UINT64_MAX, &o->seed) < 0)
                                helper_die_usage("--seed", optarg, "an unsigned decimal integer");
                        break;
                case OPT_DURATION:
                        if (helper_parse_sec(optarg, &o->duration_ns) < 0)
                                helper_die_usage("--duration", optarg, "0..86400 seconds (0 = until SIGTERM)");
                        break;
                case OPT_HELP:
                        fputs(USAGE, stdout);
                        exit(0);
                default:
                        helper_die_unknown_option(argv[optind - 1], "--dir --rate --cache-rate --file-rate --anon-size --cache-size --files --file-max-size --seed --duration --help");
                }
        }
        if (optind < argc)
                helper_die_operand(argv[optind], false);
        if (!o->dir) {
                fprintf(stderr, "churn: --dir missing; accepted: --dir DIR (a writable directory on a disk file system)\n");
                fputs(USAGE, stderr);
                exit(2);
        }
        if (!o->cache_rate_set)
                o->cache_rate = o->anon_rate / 4;
}

struct counts {
        uint64_t anon_faults, anon_frees, cache_reads, cache_drops, files_created, files_deleted, file_errors;
        uint64_t lag_ops; /* ops skipped because we fell more than CATCH_UP_NS behind */
};

struct churn {
        struct options o;
        char dir[PATH_MAX];
        /* anonymous pool */
        uint8_t *anon;
        uint64_t anon_pages, anon_present;
        uint8_t *present;
        /* page cache: one sparse file */
        int cache_fd;
        uint64_t cache_pages;
        /* small files: live file numbers */
        uint64_t *live;
        uint64_t n_live, next_file;
        uint8_t *buf;
        struct counts n;
};

static void anon_fault(struct churn *c) {
        uint64_t i;

        assert(c);
        if (c->anon_present >= c->anon_pages)
                return;
        do
                i = helper_rng_below(c->anon_pages);
        while (c->present[i]);
        /* a non-zero word: never mistaken for the zero page */
        *(volatile uint64_t *) (c->anon + i * PAGE_BYTES) = i | 1;
        c->present[i] = 1;
        c->anon_present++;
        c->n.anon_faults++;
}

static void anon_free(struct churn *c) {
        uint64_t i;

        assert(c);
        if (c->anon_present == 0)
                return;
        do
                i = helper_rng_below(c->anon_pages);
        while (!c->present[i]);
        (void) madvise(c->anon + i * PAGE_BYTES, PAGE_BYTES, MADV_DONTNEED);
        c->present[i] = 0;
        c->anon_present--;
        c->n.anon_frees++;
}

/* Reading a hole of a sparse file still puts a zeroed page in the page cache;
 * with POSIX_FADV_RANDOM each read brings exactly one 4 KiB page. */
static void cache_read_and_drop(struct churn *c) {
        assert(c);
        if (pread(c->cache_fd, c->buf, PAGE_BYTES, (off_t) (helper_rng_below(c->cache_pages) * PAGE_BYTES)) == (ssize_t) PAGE_BYTES)
                c->n.cache_reads++;
        if (posix_fadvise(c->cache_fd, (off_t) (helper_rng_below(c->cache_pages) * PAGE_BYTES), PAGE_BYTES, POSIX_FADV_DONTNEED) == 0)
                c->n.cache_drops++;
}

static int file_path(const struct churn *c, uint64_t num, char *buf, size_t size) {
        assert(c);
        assert(buf);
        return snprintf(buf, size, "%s/f%" PRIu64, c->dir, num) >= (int) size ? -ENAMETOOLONG : 0;
}

static void file_create(struct churn *c) {
        char path[PATH_MAX];
        uint64_t pages = 1 + helper_rng_below(c->o.file_max_bytes / PAGE_BYTES);
        int fd;

        assert(c);
        if (file_path(c, c->next_file, path, sizeof path) < 0)
                return;
        fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
        if (fd < 0) {
                c->n.file_errors++;
                return;
        }
        for (uint64_t p = 0; p < pages; p++)
                if (write(fd, c->buf, PAGE_BYTES) != (ssize_t) PAGE_BYTES) {
                        c->n.file_errors++;
                        break;
                }
        close(fd);
        c->live[c->n_live++] = c->next_file++;
        c->n.files_created++;
}

static void file_delete(struct churn *c, uint64_t slot) {
        char path[PATH_MAX];

        assert(c);
        assert(slot < c->n_live);
        if (file_path(c, c->live[slot], path, sizeof path) == 0 && unlink(path) == 0)
                c->n.files_deleted++;
        else
                c->n.file_errors++;
        c->live[slot] = c->live[--c->n_live];
}

static void file_step(struct churn *c) {
        assert(c);
        if (c->n_live >= c->o.files)
                file_delete(c, helper_rng_below(c->n_live));
        file_create(c);
}

static int setup(struct churn *c) {
        char path[PATH_MAX];
        char dir[PATH_MAX];

        assert(c);
        /* c->dir is set only once the directory exists: cleanup removes it */
        if (snprintf(dir, sizeof dir, "%s/churn.%d", c->o.dir, (int) getpid()) >= (int) sizeof dir)
                return -ENAMETOOLONG;
        if (mkdir(dir, 0700) < 0) {
                int r = -errno;

                fprintf(stderr, "churn: --dir '%s': cannot create %s: %s; accepted: a writable directory\n", c->o.dir, dir, strerror(errno));
                return r;
        }
        memcpy(c->dir, dir, sizeof dir);
        c->buf = aligned_alloc(PAGE_BYTES, PAGE_BYTES);
        c->anon_pages = c->o.anon_bytes / PAGE_BYTES;
        c->present = calloc(c->anon_pages, 1);
        c->live = calloc(c->o.files, sizeof *c->live);
        if (!c->buf || !c->present || !c->live)
                return -ENOMEM;
        memset(c->buf, 0x5a, PAGE_BYTES);
        c->anon = mmap(NULL, c->o.anon_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (c->anon == MAP_FAILED) {
                c->anon = NULL;
                return -ENOMEM;
        }
        /* 4 KiB pages only: a THP would hide the churn inside one 2 MiB page */
        (void) madvise(c->anon, c->o.anon_bytes, MADV_NOHUGEPAGE);
        if (snprintf(path, sizeof path, "%s/cache", c->dir) >= (int) sizeof path)
                return -ENAMETOOLONG;
        c->cache_fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
        if (c->cache_fd < 0)
                return -errno;
        if (ftruncate(c->cache_fd, (off_t) c->o.cache_bytes) < 0)
                return -errno;
        (void) posix_fadvise(c->cache_fd, 0, 0, POSIX_FADV_RANDOM);
        c->cache_pages = c->o.cache_bytes / PAGE_BYTES;
        /* start in the steady state: half the pool resident, half the files there */
        while (c->anon_present < c->anon_pages / 2)
                anon_fault(c);
        while (c->n_live < c->o.files / 2)
                file_create(c);
        c->n = (struct counts) { 0 };
        return 0;
}

static void cleanup(struct churn *c) {
        char path[PATH_MAX];

        assert(c);
        while (c->n_live > 0)
                file_delete(c, c->n_live - 1);
        if (c->cache_fd >= 0) {
                (void) posix_fadvise(c->cache_fd, 0, 0, POSIX_FADV_DONTNEED);
                close(c->cache_fd);
                if (snprintf(path, sizeof path, "%s/cache", c->dir) < (int) sizeof path && unlink(path) < 0)
                        fprintf(stderr, "churn: unlink %s: %s, ignoring\n", path, strerror(errno));
        }
        if (c->dir[0] && rmdir(c->dir) < 0)
                fprintf(stderr, "churn: rmdir %s: %s (something else wrote there?), ignoring\n", c->dir, strerror(errno));
        if (c->anon)
                munmap(c->anon, c->o.anon_bytes);
        free(c->present);
        free(c->live);
        free(c->buf);
}

/* Ops of one kind due by `elapsed_ns` at `rate` per second, of which `done`
 * are done; falls behind by at most CATCH_UP_NS, the rest counts as lag. */
static uint64_t due_ops(uint64_t rate, uint64_t elapsed_ns, uint64_t *done, uint64_t *lag) {
        uint64_t due = (uint64_t) ((double) rate * (double) elapsed_ns / (double) NSEC_PER_SEC);
        uint64_t cap = rate * CATCH_UP_NS / NSEC_PER_SEC + 1, n;

        assert(done);
        assert(lag);
        if (due <= *done)
                return 0;
        n = due - *done;
        if (n > cap) {
                *lag += n - cap;
                *done += n - cap;
                n = cap;
        }
        *done += n;
        return n;
}

int main(int argc, char **argv) {
        struct churn c = { .cache_fd = -1 };
        uint64_t t0, done_anon = 0, done_cache = 0, done_file = 0;
        const char *stopped_by = "signal";
        int r, ret = 1;

        helper_init("churn", USAGE);
        parse_options(argc, argv, &c.o);
        helper_rng_seed(c.o.seed);
        helper_block_stop_signals();

        r = setup(&c);
        if (r < 0) {
                fprintf(stderr, "churn: setting up in %s: %s\n", c.dir[0] ? c.dir : c.o.dir, strerror(-r));
                ret = r == -ENOENT || r == -EACCES || r == -ENOTDIR ? 2 : 1;
                goto out;
        }
        printf("CHURN pid=%d dir=%s\nREADY anon_resident_bytes=%" PRIu64 " files=%" PRIu64 "\n", (int) getpid(), c.dir,
               c.anon_present * PAGE_BYTES, c.n_live);
        fflush(stdout);
        t0 = helper_now_ns();
        for (uint64_t tick = 1;; tick++) {
                uint64_t deadline = t0 + tick * TICK_NS, now = helper_now_ns(), n;
                struct timespec ts;

                if (helper_stop_pending())
                        break;
                if (c.o.duration_ns && now - t0 >= c.o.duration_ns) {
                        stopped_by = "duration";
                        break;
                }
                if (deadline > now) {
                        ts.tv_sec = (time_t) ((deadline - now) / NSEC_PER_SEC);
                        ts.tv_nsec = (long) ((deadline - now) % NSEC_PER_SEC);
                        if (sigtimedwait(&helper_stop_signals, NULL, &ts) > 0)
                                break;
                }
                now = helper_now_ns();
                n = due_ops(c.o.anon_rate, now - t0, &done_anon, &c.n.lag_ops);
                for (uint64_t k = 0; k < n; k++) {
                        anon_fault(&c);
                        anon_free(&c);
                }
                n = due_ops(c.o.cache_rate, now - t0, &done_cache, &c.n.lag_ops);
                for (uint64_t k = 0; k < n; k++)
                        cache_read_and_drop(&c);
                n = due_ops(c.o.file_rate, now - t0, &done_file, &c.n.lag_ops);
                for (uint64_t k = 0; k < n; k++)
                        file_step(&c);
        }
        printf("DONE stopped_by=%s elapsed_sec=%.3f anon_faults=%" PRIu64 " anon_frees=%" PRIu64 " cache_reads=%" PRIu64
               " cache_drops=%" PRIu64 " files_created=%" PRIu64 " files_deleted=%" PRIu64 " file_errors=%" PRIu64 " lag_ops=%" PRIu64 "\n",
               stopped_by, (double) (helper_now_ns() - t0) / NSEC_PER_SEC, c.n.anon_faults, c.n.anon_frees, c.n.cache_reads,
               c.n.cache_drops, c.n.files_created, c.n.files_deleted, c.n.file_errors, c.n.lag_ops);
        fflush(stdout);
        ret = 0;
out:
        cleanup(&c);
        return ret;
}
