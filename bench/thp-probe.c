/* SPDX-License-Identifier: GPL-2.0-or-later */
/* thp-probe: the benchmark's THP metric. Faults in a MADV_HUGEPAGE region,
 * timing the fault-in, and reports how much of it the kernel backed with THPs. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE_BYTES 4096UL
#define HUGE_BYTES (2UL << 20)

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* AnonHugePages of the mapping that starts at `start` (from /proc/self/smaps). */
static int anon_huge_kib(uintptr_t start, uint64_t *ret) {
        FILE *f = fopen("/proc/self/smaps", "re");
        char line[512];
        bool in = false;

        if (!f)
                return -errno;
        while (fgets(line, sizeof line, f)) {
                uintptr_t lo, hi;

                if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
                        in = lo == start;
                        continue;
                }
                if (in && sscanf(line, "AnonHugePages: %" SCNu64, ret) == 1) {
                        fclose(f);
                        return 0;
                }
        }
        fclose(f);
        return -ENOENT;
}

int main(int argc, char **argv) {
        uint64_t bytes, t0, t1, huge_kib = 0;
        uint8_t *raw, *p;
        char *end;

        if (argc != 2 || (bytes = strtoull(argv[1], &end, 10)) == 0 || *end || bytes % HUGE_BYTES != 0 || bytes > (4ULL << 30)) {
                fprintf(stderr, "thp-probe: argument '%s' is invalid; accepted: one size in bytes, a multiple of 2 MiB, at most 4 GiB\n",
                        argc > 1 ? argv[1] : "");
                return 2;
        }
        raw = mmap(NULL, bytes + HUGE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (raw == MAP_FAILED) {
                fprintf(stderr, "thp-probe: mmap %" PRIu64 " bytes: %s\n", bytes, strerror(errno));
                return 1;
        }
        p = (uint8_t *) (((uintptr_t) raw + HUGE_BYTES - 1) & ~(HUGE_BYTES - 1));
        /* its own VMA, starting at p, so smaps reports it alone */
        if (p > raw)
                munmap(raw, (size_t) (p - raw));
        munmap(p + bytes, (size_t) (raw + bytes + HUGE_BYTES - (p + bytes)));
        if (madvise(p, bytes, MADV_HUGEPAGE) < 0) {
                fprintf(stderr, "thp-probe: madvise(MADV_HUGEPAGE): %s (is THP compiled in?)\n", strerror(errno));
                return 1;
        }
        t0 = now_usec();
        for (uint64_t off = 0; off < bytes; off += PAGE_BYTES)
                p[off] = 1;
        t1 = now_usec();
        if (anon_huge_kib((uintptr_t) p, &huge_kib) < 0) {
                fprintf(stderr, "thp-probe: mapping %p not found in /proc/self/smaps\n", (void *) p);
                return 1;
        }
        printf("THP size=%" PRIu64 " huge=%" PRIu64 " fault_usec=%" PRIu64 "\n", bytes, huge_kib * 1024, t1 - t0);
        munmap(p, bytes);
        return 0;
}
