/* SPDX-License-Identifier: GPL-2.0-or-later */
/* alloc-bench: page-allocator hot-path microbenchmark for the probe overhead
 * (bench/probe-overhead): time per page allocated and freed, in three paths. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE_BYTES 4096UL
#define THP_BYTES (2UL << 20)
#define PIPE_CHUNK_BYTES (64UL << 10) /* 16 order-0 pages per write, freed by the read */
#define MAX_REPS 1000

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return x < y ? -1 : x > y;
}

/* Thread CPU time, user + system (the faults and the allocator run in the
 * kernel on our behalf): unlike wall time it does not count the waits
 * behind the other tenants of this shared 2-CPU machine. */
static uint64_t now_nsec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

/* mmap, touch every 4 KiB page (one order-0 allocation per fault), munmap. */
static uint64_t run_fault4k(size_t bytes, unsigned rounds) {
        uint64_t pages = 0;

        for (unsigned r = 0; r < rounds; r++) {
                char *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

                if (m == MAP_FAILED) {
                        perror("mmap");
                        exit(1);
                }
                (void) madvise(m, bytes, MADV_NOHUGEPAGE);
                for (size_t off = 0; off < bytes; off += PAGE_BYTES)
                        m[off] = 1;
                munmap(m, bytes);
                pages += bytes / PAGE_BYTES;
        }
        return pages;
}

/* MADV_HUGEPAGE: one order-9 allocation per 2 MiB. */
static uint64_t run_thp(size_t bytes, unsigned rounds) {
        uint64_t n = 0;

        for (unsigned r = 0; r < rounds; r++) {
                size_t len = bytes + THP_BYTES;
                char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                char *a;

                if (m == MAP_FAILED) {
                        perror("mmap");
                        exit(1);
                }
                a = (char *) (((uintptr_t) m + THP_BYTES - 1) & ~(THP_BYTES - 1));
                (void) madvise(a, bytes, MADV_HUGEPAGE);
                for (size_t off = 0; off < bytes; off += THP_BYTES)
                        a[off] = 1;
                munmap(m, len);
                n += bytes / THP_BYTES;
        }
        return n;
}

/* Kernel-side order-0 allocations without page faults: pipe buffers. */
static uint64_t run_pipe(size_t bytes, unsigned rounds) {
        static char buf[PIPE_CHUNK_BYTES];
        uint64_t pages = 0;
        int fds[2];

        if (pipe(fds) < 0 || fcntl(fds[1], F_SETPIPE_SZ, (int) PIPE_CHUNK_BYTES) < 0) {
                perror("pipe");
                exit(1);
        }
        for (unsigned r = 0; r < rounds; r++)
                for (size_t done = 0; done < bytes; done += PIPE_CHUNK_BYTES) {
                        if (write(fds[1], buf, sizeof(buf)) != (ssize_t) sizeof(buf) ||
                            read(fds[0], buf, sizeof(buf)) != (ssize_t) sizeof(buf)) {
                                perror("pipe io");
                                exit(1);
                        }
                        pages += PIPE_CHUNK_BYTES / PAGE_BYTES;
                }
        close(fds[0]);
        close(fds[1]);
        return pages;
}

static uint64_t run(const char *mode, size_t bytes, unsigned rounds) {
        if (strcmp(mode, "fault4k") == 0)
                return run_fault4k(bytes, rounds);
        if (strcmp(mode, "thp") == 0)
                return run_thp(bytes, rounds);
        return run_pipe(bytes, rounds);
}

int main(int argc, char **argv) {
        const char *mode = argc > 1 ? argv[1] : "fault4k";
        size_t mib = argc > 2 ? strtoul(argv[2], NULL, 10) : 64;
        unsigned rounds = argc > 3 ? (unsigned) strtoul(argv[3], NULL, 10) : 1;
        unsigned reps = argc > 4 ? (unsigned) strtoul(argv[4], NULL, 10) : 20;
        static double ns[MAX_REPS];
        uint64_t n = 0;

        if (mib == 0 || mib > 1024 || rounds == 0 || reps == 0 || reps > MAX_REPS ||
            (strcmp(mode, "fault4k") != 0 && strcmp(mode, "thp") != 0 && strcmp(mode, "pipe") != 0)) {
                fprintf(stderr, "usage: alloc-bench fault4k|thp|pipe [MiB (1..1024)] [rounds] [repetitions (1..%d)]\n", MAX_REPS);
                return 2;
        }
        /* warm-up: first-touch effects (lazy memory init) out of the timing */
        run(mode, mib << 20, 1);
        for (unsigned r = 0; r < reps; r++) {
                uint64_t t0 = now_nsec(), k = run(mode, mib << 20, rounds);

                ns[r] = (double) (now_nsec() - t0) / (double) k;
                n += k;
        }
        qsort(ns, reps, sizeof(ns[0]), cmp_double);
        /* one line: mode allocations min median max (ns of CPU time per allocation) */
        printf("%s %" PRIu64 " %.1f %.1f %.1f\n", mode, n, ns[0], ns[reps / 2], ns[reps - 1]);
        return 0;
}
