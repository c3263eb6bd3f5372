/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: the kpageflags/kpagecgroup sampler (kpageflags.c) and
 * the planner fed by it, on files of arbitrary bytes: every aligned block
 * read counts exactly its pages, choices stay inside the zone and the budget,
 * per-cgroup counts never exceed the pages chosen.
 *
 * Input: an 8-byte header, then the bytes of /proc/kpageflags; with header
 * bit 0 set, the last ([0] >> 2)/64 of them are /proc/kpagecgroup instead.
 * Header: [0] bit 0 kpagecgroup, bit 1 a max age; [1] block order (2 + % 6);
 * [2..3] zone start pfn; [4..5] zone spanned pages; [6] memory block = block
 * << (2 + % 4), and the budget; [7] slice (% 64 blocks; 0: none, then 1
 * page) and blocks wanted. The files' sizes need not be multiples of 8 (a
 * short read is an error). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "defragd/error.h"
#include "defragd/plan-source.h"
#include "defragd/plan.h"
#include "defragd/snapshot.h"
#include "fuzz.h"

#define HEADER_BYTES 8

static char root[64];

static void write_file(const char *name, const uint8_t *data, size_t size) {
        char path[128];
        int fd;

        snprintf(path, sizeof(path), "%s/proc/%s", root, name);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        fuzz_check(fd >= 0);
        fuzz_check(size == 0 || write(fd, data, size) == (ssize_t) size);
        close(fd);
}

/* The root goes with the process (libFuzzer exits through exit()). */
static void remove_root(void) {
        char path[128];

        snprintf(path, sizeof(path), "%s/proc/kpageflags", root);
        (void) unlink(path);
        snprintf(path, sizeof(path), "%s/proc/kpagecgroup", root);
        (void) unlink(path);
        snprintf(path, sizeof(path), "%s/proc", root);
        (void) rmdir(path);
        (void) rmdir(root);
}

static void setup_root(void) {
        char path[128];

        if (root[0])
                return;
        /* tmpfs where there is one: a file written per input */
        snprintf(root, sizeof(root), "%s/defragd-fuzz-kpf.XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        fuzz_check(mkdtemp(root));
        snprintf(path, sizeof(path), "%s/proc", root);
        fuzz_check(mkdir(path, 0700) == 0);
        fuzz_check(atexit(remove_root) == 0);
}

static void check_stats(const struct df_plan_view *v) {
        for (size_t z = 0; z < v->n_zones; z++)
                for (size_t i = 0; i < v->zones[z].n_blocks; i++) {
                        const struct df_block_stats *b = &v->zones[z].blocks[i];
                        uint64_t sum = 0;

                        if (!b->read_usec)
                                continue;
                        for (int k = 0; k < _DF_PAGE_KIND_MAX; k++)
                                sum += b->pages[k];
                        fuzz_check(sum == UINT64_C(1) << v->block_order);
                        fuzz_check(df_block_stats_cost_pages(b) + df_block_stats_blocking_pages(b) <= sum);
                }
}

static void check_plan(const struct df_plan_view *v, const struct df_kpageflags *k, const struct df_plan_request *req,
                       struct df_plan *p, bool cgroups) {
        const struct df_plan_zone *pz = &v->zones[0];
        uint64_t cost = 0, chosen_pages = 0;

        if (df_plan_choose(v, 0, req, p) < 0)
                return;
        fuzz_check(p->n_chosen <= DF_PLAN_MAX_CHOSEN);
        for (size_t i = 0; i < p->n_chosen; i++) {
                const struct df_plan_candidate *c = &p->chosen[i];

                fuzz_check(c->start_pfn >= pz->start_pfn && c->start_pfn + c->nr_pages <= pz->end_pfn);
                fuzz_check(c->cost_pages == df_block_stats_cost_pages(&c->stats));
                fuzz_check(c->unknown_pages <= c->cost_pages);
                fuzz_check(req->granularity == DF_PLAN_BLOCK ? c->memory_block == -1 : c->memory_block >= 0);
                cost += c->cost_pages;
                chosen_pages += c->nr_pages;
        }
        fuzz_check(cost == p->chosen_cost_pages);
        fuzz_check(req->budget_pages == 0 || cost <= req->budget_pages);
        if (cgroups) {
                struct df_cgroup_pages out[32];
                struct df_error err = { "" };
                uint64_t counted = 0;
                int n = df_plan_cgroups_of(k, p, out, 32, &err);

                fuzz_check(n < 0 ? err.msg[0] != 0 : n <= 32);
                for (int i = 0; i < n; i++) {
                        fuzz_check(out[i].file_pages + out[i].anon_pages <= out[i].pages);
                        counted += out[i].pages;
                }
                fuzz_check(counted <= chosen_pages);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct df_snapshot s;
        struct df_plan_view v;
        struct df_kpageflags k;
        struct df_error err = { "" };
        struct df_memblock_info *mbs = NULL;
        struct df_plan *p;
        struct df_zone *z;
        bool want_cgroup;
        unsigned block_order;
        uint64_t start_pfn, spanned, mb_pages, slice, first, n_mb;
        size_t body, cg_bytes;
        int64_t n;

        if (size < HEADER_BYTES || size > FUZZ_INPUT_MAX_BYTES)
                return 0;
        setup_root();
        want_cgroup = data[0] & 1;
        block_order = 2 + data[1] % 6;
        start_pfn = (uint64_t) data[2] | (uint64_t) data[3] << 8;
        spanned = (uint64_t) data[4] | (uint64_t) data[5] << 8;
        mb_pages = (UINT64_C(1) << block_order) << (2 + data[6] % 4);
        slice = (uint64_t) (data[7] % 64) << block_order;
        body = size - HEADER_BYTES;
        cg_bytes = want_cgroup ? body * (size_t) (data[0] >> 2) / 64 : 0;
        write_file("kpageflags", data + HEADER_BYTES, body - cg_bytes);
        if (want_cgroup)
                write_file("kpagecgroup", data + HEADER_BYTES + body - cg_bytes, cg_bytes);

        df_snapshot_init(&s);
        z = df_snapshot_zone(&s, 0, "Normal", true);
        fuzz_check(z);
        z->has_zoneinfo = z->has_start_pfn = true;
        z->start_pfn = start_pfn;
        z->spanned_pages = z->present_pages = z->managed_pages = spanned ? spanned : 1;
        z->nr_free_pages = spanned;
        z->wmark_high_pages = spanned / 64;
        fuzz_check(df_plan_view_init(&v, &s, block_order, NULL, &err) == 0);

        /* Memory blocks tiling the zone, all online and removable. */
        first = start_pfn / mb_pages;
        n_mb = (start_pfn + z->spanned_pages + mb_pages - 1) / mb_pages - first;
        mbs = calloc(n_mb, sizeof(*mbs));
        fuzz_check(mbs);
        for (uint64_t i = 0; i < n_mb; i++)
                mbs[i] = (struct df_memblock_info) { .id = (int64_t) (first + i), .start_pfn = (first + i) * mb_pages,
                                                      .nr_pages = mb_pages, .node = 0, .online = true, .zone = "Normal" };
        fuzz_check(df_plan_view_set_memblocks(&v, mbs, n_mb, mb_pages) == 0);
        v.hotremove = true;

        fuzz_check(df_kpageflags_open(&k, root, want_cgroup, &err) == 0);
        n = df_plan_refresh(&v, &k, slice, NULL, 1000, &err);
        fuzz_check(n < 0 ? err.msg[0] != 0 : (uint64_t) n <= z->spanned_pages + (UINT64_C(1) << block_order));
        if (n >= 0) {
                n = df_plan_scan_all(&v, &k, slice ? slice : 1, 2000, &err);
                fuzz_check(n < 0 ? err.msg[0] != 0 : n >= 0);
        }
        check_stats(&v);
        p = malloc(sizeof(*p));
        fuzz_check(p);
        for (int g = DF_PLAN_BLOCK; g <= DF_PLAN_MEMBLOCK; g++) {
                struct df_plan_request req = { .granularity = (enum df_plan_granularity) g, .want_blocks = 1 + data[7] % 5,
                                               .budget_pages = (uint64_t) data[6] << 4, .now_usec = 3000,
                                               .max_age_usec = data[0] & 2 ? 1500 : 0 };

                if (v.n_zones == 1)
                        check_plan(&v, &k, &req, p, want_cgroup);
        }
        free(p);
        df_kpageflags_close(&k);
        df_plan_view_clear(&v);
        df_snapshot_clear(&s);
        free(mbs);
        return 0;
}
