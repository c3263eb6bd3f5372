/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `defragctl plan`: one full sweep of /proc/kpageflags (or a fixture root),
 * then the cheapest blocks of each granularity, their costs and the bound. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defragd/ctl.h"
#include "defragd/json.h"
#include "defragd/plan-source.h"
#include "defragd/plan.h"
#include "defragd/procfs.h"
#include "defragd/snapshot.h"
#include "defragd/util.h"

#define SHOW_MAX 10
#define DEFAULT_WANT_BLOCKS 64       /* one 128 MiB memory block's worth of 2 MiB blocks */
#define SCAN_SLICE_PAGES (1u << 15)  /* 256 KiB of flags per read */

static const char *const default_zones[] = { "DMA32", "Normal", "Movable", "HighMem", NULL };

static void plan_help(FILE *f) {
        fputs("Usage: defragctl plan [--json [--costs]] [--root DIR] [--order N] [--blocks N] [--budget PAGES]\n"
              "Read every page's flags once and show the cheapest blocks to clear: aligned\n"
              "blocks of order N (the module rung) and memory blocks (the offlining rung),\n"
              "with pages to move and the lower bound for N more free blocks. Needs root.\n"
              "  --json          machine-readable output\n"
              "  --costs         with --json: every candidate's cost, cheapest first (the bound\n"
              "                  for any number of blocks): [pages, blocks] pairs, runs of equal\n"
              "                  aligned-block costs as [pages, count]\n"
              "  --root DIR      read DIR/proc and DIR/sys instead (fixtures, captures)\n"
              "  --order N       block order (default: the pageblock order, 9 on x86-64)\n"
              "  --blocks N      how many more free blocks the bound is for (default 64)\n"
              "  --budget PAGES  pages one plan may move (default: no limit)\n", f);
}

static void text_candidate(const struct df_plan_candidate *c, unsigned order) {
        const uint32_t *p = c->stats.pages;

        if (c->memory_block >= 0)
                printf("    memory%-5" PRId64 " pfn 0x%-9" PRIx64 " cost %6" PRIu64 " pages, gain %3" PRIu64 " blocks (%.1f pages/block)",
                       c->memory_block, c->start_pfn, c->cost_pages, c->gain_blocks,
                       (double) c->cost_pages / (double) c->gain_blocks);
        else
                printf("    pfn 0x%-9" PRIx64 " order %u cost %4" PRIu64 " pages", c->start_pfn, order, c->cost_pages);
        printf("  [free %u anon %u file %u dirty %u large %u unknown %u]\n", p[DF_PAGE_FREE], p[DF_PAGE_ANON],
               p[DF_PAGE_FILE_CLEAN], p[DF_PAGE_FILE_DIRTY], p[DF_PAGE_LARGE], p[DF_PAGE_UNKNOWN]);
}

static void text_plan(const struct df_plan *p, const struct df_plan_request *req, unsigned order) {
        const char *what = p->granularity == DF_PLAN_BLOCK ? "aligned blocks" : "memory blocks";

        printf("  %s: %" PRIu64 " candidates, %" PRIu64 " already free; skipped %" PRIu64 " unmovable, %" PRIu64
               " spanning zones, %" PRIu64 " cooling, %" PRIu64 " unsafe\n",
               what, p->candidates, p->already_free, p->skipped_blocking, p->skipped_spanning, p->skipped_cooling,
               p->skipped_unsafe);
        if (p->bound_blocks >= req->want_blocks)
                printf("    bound: %" PRIu64 " more free blocks of order %u need at least %" PRIu64 " pages moved\n",
                       req->want_blocks, order, p->bound_pages);
        else
                printf("    bound: only %" PRIu64 " of %" PRIu64 " more free blocks of order %u are reachable, moving %" PRIu64
                       " pages\n", p->bound_blocks, req->want_blocks, order, p->bound_pages);
        for (size_t i = 0; i < p->n_chosen && i < SHOW_MAX; i++)
                text_candidate(&p->chosen[i], order);
        if (p->n_chosen > SHOW_MAX)
                printf("    ... %zu chosen in all: %" PRIu64 " pages for %" PRIu64 " blocks\n", p->n_chosen,
                       p->chosen_cost_pages, p->chosen_gain_blocks);
}

/* The curve: aligned blocks (gain 1 each) as runs [cost, count], memory
 * blocks as [cost, gain] each, in the order the planner ranks them. */
static void json_costs(struct df_json *j, const struct df_plan *p, const struct df_plan_request *req) {
        df_json_key(j, "costs");
        df_json_begin_array(j);
        for (size_t i = 0; i < p->n_curve;) {
                uint64_t cost = req->curve[i].cost_pages, n = req->curve[i].gain_blocks;
                size_t next = i + 1;

                if (p->granularity == DF_PLAN_BLOCK)
                        for (n = 1; next < p->n_curve && req->curve[next].cost_pages == cost; next++)
                                n++;
                df_json_begin_array(j);
                df_json_u64(j, cost);
                df_json_u64(j, n);
                df_json_end_array(j);
                i = next;
        }
        df_json_end_array(j);
}

static void json_plan(struct df_json *j, const struct df_plan *p, const struct df_plan_request *req) {
        df_json_begin_object(j);
        df_json_kv_string(j, "granularity", p->granularity == DF_PLAN_BLOCK ? "block" : "memory_block");
        df_json_kv_u64(j, "candidates", p->candidates);
        df_json_kv_u64(j, "already_free", p->already_free);
        if (p->min_cost_pages != UINT64_MAX)
                df_json_kv_u64(j, "min_cost_pages", p->min_cost_pages);
        df_json_kv_u64(j, "want_blocks", req->want_blocks);
        df_json_kv_u64(j, "bound_blocks", p->bound_blocks);
        df_json_kv_u64(j, "bound_pages", p->bound_pages);
        df_json_kv_u64(j, "chosen_cost_pages", p->chosen_cost_pages);
        df_json_kv_u64(j, "chosen_gain_blocks", p->chosen_gain_blocks);
        df_json_kv_u64(j, "skipped_blocking", p->skipped_blocking);
        df_json_kv_u64(j, "skipped_spanning", p->skipped_spanning);
        df_json_kv_u64(j, "skipped_cooling", p->skipped_cooling);
        df_json_kv_u64(j, "skipped_unsafe", p->skipped_unsafe);
        if (req->curve)
                json_costs(j, p, req);
        df_json_key(j, "chosen");
        df_json_begin_array(j);
        for (size_t i = 0; i < p->n_chosen; i++) {
                const struct df_plan_candidate *c = &p->chosen[i];

                df_json_begin_object(j);
                if (c->memory_block >= 0)
                        df_json_kv_i64(j, "memory_block", c->memory_block);
                df_json_kv_u64(j, "start_pfn", c->start_pfn);
                df_json_kv_u64(j, "nr_pages", c->nr_pages);
                df_json_kv_u64(j, "cost_pages", c->cost_pages);
                df_json_kv_u64(j, "gain_blocks", c->gain_blocks);
                df_json_key(j, "pages");
                df_json_begin_object(j);
                for (int k = 0; k < _DF_PAGE_KIND_MAX; k++)
                        if (c->stats.pages[k])
                                df_json_kv_u64(j, df_page_kind_to_string((enum df_page_kind) k), c->stats.pages[k]);
                df_json_end_object(j);
                df_json_end_object(j);
        }
        df_json_end_array(j);
        df_json_end_object(j);
}

static int parse_opt_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *ret) {
        if (df_parse_u64(s, ret) < 0 || *ret < min || *ret > max) {
                fprintf(stderr, "defragctl plan: %s=%s: expected a whole number from %" PRIu64 " to %" PRIu64 "\n", opt, s,
                        min, max);
                return -EINVAL;
        }
        return 0;
}

int df_ctl_plan(int argc, char **argv) {
        static const struct option options[] = {
                { "json",   no_argument,       NULL, 'j' },
                { "root",   required_argument, NULL, 'r' },
                { "order",  required_argument, NULL, 'o' },
                { "blocks", required_argument, NULL, 'b' },
                { "budget", required_argument, NULL, 'B' },
                { "costs",  no_argument,       NULL, 'c' },
                { "help",   no_argument,       NULL, 'h' },
                { NULL, 0, NULL, 0 }
        };
        struct df_plan_request req = { .want_blocks = DEFAULT_WANT_BLOCKS };
        struct df_kpageflags k = { .fd_flags = -1, .fd_cgroup = -1 };
        struct df_error err = { "" };
        struct df_plan_view v;
        struct df_snapshot s;
        _cleanup_free_ struct df_plan *plan = NULL;
        _cleanup_free_ struct df_plan_cost *curve = NULL;
        const char *root = NULL;
        uint64_t order = UINT64_MAX, t0, scan_usec;
        struct df_json j;
        bool json = false, costs = false;
        int64_t scanned;
        int c, r, ret = 1;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+hjr:", options, NULL)) >= 0)
                switch (c) {
                case 'j': json = true; break;
                case 'c': costs = true; break;
                case 'r': root = optarg; break;
                case 'o':
                        if (parse_opt_u64("--order", optarg, 0, DF_MAX_ORDERS - 1, &order) < 0)
                                return 2;
                        break;
                case 'b':
                        if (parse_opt_u64("--blocks", optarg, 1, UINT64_C(1) << 32, &req.want_blocks) < 0)
                                return 2;
                        break;
                case 'B':
                        if (parse_opt_u64("--budget", optarg, 1, UINT64_C(1) << 40, &req.budget_pages) < 0)
                                return 2;
                        break;
                case 'h':
                        plan_help(stdout);
                        return 0;
                default:
                        fprintf(stderr, "defragctl plan: unknown or incomplete option \"%s\"; expected --json, --costs, --root DIR, --order N, --blocks N, --budget PAGES or --help\n",
                                argv[optind - 1]);
                        return 2;
                }
        if (optind < argc) {
                fprintf(stderr, "defragctl plan: unexpected argument \"%s\"; expected only options\n", argv[optind]);
                return 2;
        }
        if (costs && !json) {
                fprintf(stderr, "defragctl plan: --costs without --json; expected --costs together with --json\n");
                return 2;
        }

        df_snapshot_init(&s);
        memset(&v, 0, sizeof(v));
        r = df_snapshot_read_procfs(root, df_now_usec(), &s, &err);
        if (r < 0) {
                fprintf(stderr, "defragctl plan: %s\n", err.msg[0] ? err.msg : strerror(-r));
                goto out;
        }
        if (order == UINT64_MAX)
                order = s.pageblock_order > 0 ? (uint64_t) s.pageblock_order : 9;
        r = df_plan_view_init(&v, &s, (unsigned) order, default_zones, &err);
        if (r >= 0)
                r = df_kpageflags_open(&k, root, false, &err);
        if (r < 0) {
                fprintf(stderr, "defragctl plan: %s\n", err.msg);
                goto out;
        }
        if (df_plan_view_read_memblocks(&v, root, &err) < 0 && !json)
                fprintf(stderr, "defragctl plan: no memory blocks (%s), showing aligned blocks only\n", err.msg);
        t0 = df_now_usec();
        scanned = df_plan_scan_all(&v, &k, SCAN_SLICE_PAGES, t0, &err);
        scan_usec = df_now_usec() - t0;
        if (scanned < 0) {
                fprintf(stderr, "defragctl plan: %s\n", err.msg);
                goto out;
        }
        req.now_usec = t0;
        if (costs) {
                size_t cap = v.n_memblocks;

                for (size_t z = 0; z < v.n_zones; z++)
                        cap = v.zones[z].n_blocks > cap ? v.zones[z].n_blocks : cap;
                curve = calloc(cap ? cap : 1, sizeof(*curve));
                if (!curve) {
                        fprintf(stderr, "defragctl plan: out of memory\n");
                        goto out;
                }
                req.curve = curve;
                req.curve_cap = cap;
        }
        plan = malloc(sizeof(*plan));
        if (!plan) {
                fprintf(stderr, "defragctl plan: out of memory\n");
                goto out;
        }

        if (json) {
                df_json_init(&j, stdout, true);
                df_json_begin_object(&j);
                df_json_kv_u64(&j, "order", order);
                df_json_kv_u64(&j, "pages_scanned", (uint64_t) scanned);
                df_json_kv_u64(&j, "scan_usec", scan_usec);
                df_json_kv_u64(&j, "memory_block_pages", v.memblock_pages);
                df_json_kv_bool(&j, "hotremove", v.hotremove);
                df_json_key(&j, "zones");
                df_json_begin_array(&j);
        } else
                printf("Scanned %" PRId64 " pages in %" PRIu64 " ms; blocks of order %" PRIu64 ", memory blocks of %" PRIu64
                       " pages%s\n", scanned, scan_usec / USEC_PER_MSEC, order, v.memblock_pages,
                       v.hotremove || !v.n_memblocks ? "" : " (kernel cannot offline memory)");
        for (size_t z = 0; z < v.n_zones; z++) {
                if (!v.zones[z].watched || v.zones[z].n_blocks == 0)
                        continue;
                if (json) {
                        df_json_begin_object(&j);
                        df_json_kv_i64(&j, "node", v.zones[z].node);
                        df_json_kv_string(&j, "zone", v.zones[z].name);
                        df_json_kv_u64(&j, "start_pfn", v.zones[z].start_pfn);
                        df_json_kv_u64(&j, "end_pfn", v.zones[z].end_pfn);
                        df_json_kv_u64(&j, "blocks", v.zones[z].n_blocks);
                        df_json_key(&j, "plans");
                        df_json_begin_array(&j);
                } else
                        printf("Node %d, zone %s: pfn 0x%" PRIx64 "-0x%" PRIx64 ", %zu blocks\n", v.zones[z].node,
                               v.zones[z].name, v.zones[z].start_pfn, v.zones[z].end_pfn, v.zones[z].n_blocks);
                for (int g = DF_PLAN_BLOCK; g <= DF_PLAN_MEMBLOCK; g++) {
                        req.granularity = (enum df_plan_granularity) g;
                        if (g == DF_PLAN_MEMBLOCK && v.n_memblocks == 0)
                                continue;
                        if (df_plan_choose(&v, z, &req, plan) < 0)
                                continue;
                        if (json)
                                json_plan(&j, plan, &req);
                        else
                                text_plan(plan, &req, (unsigned) order);
                }
                if (json) {
                        df_json_end_array(&j);
                        df_json_end_object(&j);
                }
        }
        if (json) {
                df_json_end_array(&j);
                df_json_end_object(&j);
                if (df_json_finish(&j) < 0) {
                        fprintf(stderr, "defragctl plan: writing JSON failed\n");
                        goto out;
                }
                fputc('\n', stdout);
        }
        ret = 0;
out:
        df_kpageflags_close(&k);
        df_plan_view_clear(&v);
        df_snapshot_clear(&s);
        return ret;
}
