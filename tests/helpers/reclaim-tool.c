/* SPDX-License-Identifier: GPL-2.0-or-later */
/* reclaim-tool: drives the reclaim levers and the aim by hand, for the kernel
 * and guest tests and the ranking benchmark (the daemon drives them through the ladder).
 *
 *   reclaim-tool rank [--node N] [--zone Z] [--max-pages N] [--keep N] [--ticks N]
 *                     [--allow PAT]... [--deny PAT]... [--anon]
 *       sample the zone, list every memory cgroup (cgroup v2) with its
 *       verdict, best first; --ticks N times N samples and prints the cost.
 *   reclaim-tool cgroup PATH BYTES [--anon] [--dry-run] [--pressure-limit P]
 *                [--cgroup-pressure-limit P] [--psi FILE]
 *   reclaim-tool node N BYTES [same options] [--min-unmapped-ratio R|keep]
 *       (R: vm.min_unmapped_ratio during the write, as NodeReclaimMinUnmappedRatio=; default 0)
 *       open the lever, apply the guard (PSI from FILE, default
 *       /proc/pressure/memory; the cgroup's memory.pressure), run it once,
 *       print its result as KEY=VALUE lines (OUTCOME=skipped: the guard).
 *   reclaim-tool plan-sample [--zone Z] [--ticks N] [--anon]
 *       the daemon's sample: a full planner sweep of the zone, then per tick
 *       the pick from the planner's counts and the read of those blocks.
 *   reclaim-tool blocks [--zone Z] [--allow PAT]... [--anon]
 *       every block the daemon's pick could use, its clean file pages per
 *       cgroup inode, the cgroups with their verdict, the pick itself, and
 *       the daemon's aim on that view (SAMPLE, RANK).
 *   reclaim-tool probe
 *       open both levers: usable, or why not. */
#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "defragd/conf.h"
#include "defragd/knobs.h"
#include "defragd/lever.h"
#include "defragd/manager-plan.h"
#include "defragd/procfs.h"
#include "defragd/memcg.h"
#include "defragd/reclaim-rank.h"
#include "defragd/reclaim.h"
#include "defragd/snapshot.h"
#include "defragd/util.h"

static const char *lever_name(enum df_lever_kind k) {
        return k == DF_LEVER_RECLAIM_NODE ? "reclaim-node" : k == DF_LEVER_RECLAIM_CGROUP ? "reclaim-cgroup" : "?";
}

static const char *outcome_name(enum df_action_outcome o) {
        static const char *const n[] = { "done", "partial", "contended", "busy", "failed", "interrupted", "timeout", "dry-run" };

        return o < ELEMENTSOF(n) ? n[o] : "?";
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

static int do_probe(void) {
        const struct df_lever_ops *ops[] = { &df_lever_reclaim_node, &df_lever_reclaim_cgroup };
        struct df_lever_env env = { .root = "" };

        for (size_t i = 0; i < ELEMENTSOF(ops); i++) {
                char reason[512] = "";
                void *state = NULL;
                int r = ops[i]->open(&env, &state, reason, sizeof(reason));

                if (r == 0) {
                        const struct df_reclaim_lever_state *st = state;

                        printf("%s: usable (swappiness= %s)\n", lever_name(ops[i]->kind),
                               st->swappiness_arg > 0   ? "taken"
                               : st->swappiness_arg < 0 ? "learned at the first reclaim"
                                                        : "refused");
                        ops[i]->close(state);
                } else
                        printf("%s: absent: %s\n", lever_name(ops[i]->kind), reason);
        }
        return 0;
}

/* The guard as the ladder will apply it: machine PSI (from psi_path) and,
 * for a cgroup, its own memory.pressure. 1 = closed (printed), 0 = open. */
static int guard_closed(const struct df_reclaim_conf *conf, const char *psi_path, const char *cgroup) {
        char text[1024] = "", mount[DF_CGROUP_PATH_MAX], reason[256];
        struct df_reclaim_cgroup cg;
        struct df_psi psi = { 0 };
        struct df_error err;
        bool have_cg = false;
        enum df_reclaim_guard g;
        FILE *f = fopen(psi_path, "re");

        if (f) {
                size_t n = fread(text, 1, sizeof(text) - 1, f);

                text[n] = 0;
                fclose(f);
                if (df_parse_psi(text, psi_path, &psi, &err) < 0)
                        psi.present = false;
        }
        if (cgroup && df_memcg_probe("", mount, sizeof(mount), reason, sizeof(reason)) == 0 &&
            df_memcg_read(mount, cgroup, &cg, NULL) == 0)
                have_cg = true;
        g = df_reclaim_guard(conf, psi.present && psi.some.present, psi.some.avg10, have_cg ? &cg : NULL);
        if (g == DF_RECLAIM_GUARD_OPEN)
                return 0;
        printf("OUTCOME=skipped\nGUARD=%s\nPSI_SOME_AVG10=%.2f\nCGROUP_PSI_SOME_AVG10=%.2f\n",
               g == DF_RECLAIM_GUARD_PSI ? "psi" : "cgroup-psi", psi.some.avg10, have_cg ? cg.pressure_some_avg10 : 0.0);
        return 1;
}

static int do_run(enum df_lever_kind kind, const char *target, const char *bytes, bool anon, bool dry_run,
                  const struct df_reclaim_conf *conf, const char *psi_path) {
        const struct df_lever_ops *ops = kind == DF_LEVER_RECLAIM_NODE ? &df_lever_reclaim_node : &df_lever_reclaim_cgroup;
        struct df_lever_env env = { .root = "" };
        struct df_action a = { .lever = kind, .dry_run = dry_run };
        struct df_action_result res = { 0 };
        char reason[512] = "", state_path[128];
        struct df_knobs *knobs = NULL;
        struct df_error err = { "" };
        bool gated = false;
        void *state = NULL;
        uint64_t node;
        int r;

        if (df_parse_u64(bytes, &a.amount) < 0) {
                fprintf(stderr, "reclaim-tool: BYTES '%s': not a number; accepted: a byte count\n", bytes);
                return 2;
        }
        if (kind == DF_LEVER_RECLAIM_NODE) {
                if (df_parse_u64(target, &node) < 0 || node > 1023) {
                        fprintf(stderr, "reclaim-tool: node '%s': accepted: 0..1023\n", target);
                        return 2;
                }
                a.target.node = (int) node;
        } else
                snprintf(a.target.cgroup, sizeof(a.target.cgroup), "%s", target);
        r = ops->open(&env, &state, reason, sizeof(reason));
        if (r < 0) {
                printf("ABSENT=%s\n", reason);
                return 77;
        }
        if (guard_closed(conf, psi_path, kind == DF_LEVER_RECLAIM_CGROUP ? target : NULL)) {
                ops->close(state);
                return 0;
        }
        df_reclaim_lever_set_allow_anon(state, anon);
        /* The node lever's gate as the manager sets it: vm.min_unmapped_ratio
         * recorded in a state file of our own, restored after the write. */
        if (kind == DF_LEVER_RECLAIM_NODE && !dry_run && conf->node_min_unmapped_ratio >= 0) {
                snprintf(state_path, sizeof(state_path), "/tmp/reclaim-tool-%d.knobs.state", (int) getpid());
                if (df_knobs_new(state_path, "", &knobs) < 0 ||
                    df_reclaim_node_gate_open(knobs, conf->node_min_unmapped_ratio, &err) < 0) {
                        fprintf(stderr, "reclaim-tool: %s\n", knobs ? err.msg : "out of memory");
                        df_knobs_free(knobs);
                        ops->close(state);
                        return 1;
                }
        }
        r = ops->run(&env, state, &a, &res);
        if (knobs) {
                gated = df_knobs_is_changed(knobs, DF_RECLAIM_NODE_GATE_KNOB);
                if (df_reclaim_node_gate_close(knobs, &err) < 0)
                        fprintf(stderr, "reclaim-tool: %s\n", err.msg);
                df_knobs_free(knobs);
        }
        printf("LEVER=%s\nOUTCOME=%s\nERROR=%d\nASKED_BYTES=%" PRIu64 "\nRECLAIMED_BYTES=%" PRIu64
               "\nLRU_BYTES=%" PRIu64 "\nSLAB_BYTES=%" PRIu64 "\nDURATION_USEC=%" PRIu64 "\nGATE_LOWERED=%s\nDETAIL=%s\n",
               lever_name(kind), outcome_name(res.outcome), res.error, a.amount, res.amount_done,
               res.amount_done - res.slab_bytes, res.slab_bytes, res.duration_usec, gated ? "yes" : "no", res.detail);
        ops->close(state);
        return r < 0 ? 1 : 0;
}

struct rank_opts {
        int node;
        const char *zone;
        uint64_t max_pages;
        size_t keep;
        unsigned ticks;
        bool anon;
        struct df_reclaim_conf conf;
};

static int do_rank(const struct rank_opts *o) {
        char mount[DF_CGROUP_PATH_MAX] = "", reason[512] = "", own[DF_CGROUP_PATH_MAX] = "";
        _cleanup_free_ struct df_reclaim_cgroup *all = NULL;
        _cleanup_free_ struct df_reclaim_cgroup *cands = NULL;
        _cleanup_free_ uint64_t *sample_usec = NULL, *cg_usec = NULL;
        struct df_reclaim_sample s;
        uint64_t start_pfn, spanned;
        size_t n_all = 0, n_cands = 0;
        bool have_cg;
        int r;

        r = df_zone_pfn_range("", o->node, o->zone, &start_pfn, &spanned);
        if (r < 0) {
                fprintf(stderr, "reclaim-tool: zone %s of node %d not in /proc/zoneinfo: %s\n", o->zone, o->node, strerror(-r));
                return 1;
        }
        have_cg = df_memcg_probe("", mount, sizeof(mount), reason, sizeof(reason)) == 0;
        if (!have_cg)
                printf("# cgroups: %s\n", reason);
        (void) df_memcg_own("", own, sizeof(own));
        sample_usec = calloc(o->ticks ? o->ticks : 1, sizeof(uint64_t));
        cg_usec = calloc(o->ticks ? o->ticks : 1, sizeof(uint64_t));
        if (!sample_usec || !cg_usec)
                return 1;
        for (unsigned t = 0; t < (o->ticks ? o->ticks : 1); t++) {
                uint64_t t0 = df_now_usec();

                r = df_reclaim_sample_zone("", start_pfn, spanned, 512, o->max_pages, t, o->anon, o->keep, &s);
                if (r < 0) {
                        fprintf(stderr, "reclaim-tool: sampling /proc/kpageflags: %s\n", strerror(-r));
                        return 1;
                }
                sample_usec[t] = df_now_usec() - t0;
                t0 = df_now_usec();
                if (have_cg) {
                        free(all);
                        all = NULL;
                        r = df_memcg_list(mount, 4096, &all, &n_all);
                        if (r < 0)
                                return 1;
                        free(cands);
                        cands = calloc(n_all ? n_all : 1, sizeof(*cands));
                        if (!cands)
                                return 1;
                        n_cands = 0;
                        for (size_t i = 0; i < n_all; i++)
                                if (df_reclaim_exclusion(&o->conf, all, n_all, &all[i], own) == DF_RECLAIM_OK)
                                        cands[n_cands++] = all[i];
                        df_reclaim_assign_cheap_pages(&s, all, n_all, cands, n_cands);
                        df_reclaim_rank(cands, n_cands);
                }
                cg_usec[t] = df_now_usec() - t0;
        }
        printf("# zone %s node %d: pfn %" PRIu64 " +%" PRIu64 "; sampled %" PRIu64 " blocks (%" PRIu64
               " pages), %zu cheap kept\n", o->zone, o->node, start_pfn, spanned, s.blocks_sampled, s.pages_read, s.n_cheap);
        for (size_t i = 0; i < s.n_cheap; i++)
                printf("# cheap block pfn %" PRIu64 ": free %u file %u anon %u stuck %u\n", s.cheap[i].start_pfn,
                       s.cheap[i].free_pages, s.cheap[i].file_pages, s.cheap[i].anon_pages, s.cheap[i].stuck_pages);
        for (size_t i = 0; i < s.n_inodes; i++)
                printf("# inode %" PRIu64 ": %" PRIu64 " pages in cheap blocks\n", s.inodes[i].inode, s.inodes[i].pages);
        if (o->ticks) {
                qsort(sample_usec, o->ticks, sizeof(uint64_t), cmp_u64);
                qsort(cg_usec, o->ticks, sizeof(uint64_t), cmp_u64);
                printf("TICKS=%u\nSAMPLE_USEC_MEDIAN=%" PRIu64 "\nSAMPLE_USEC_MIN=%" PRIu64 "\nSAMPLE_USEC_MAX=%" PRIu64
                       "\nCGROUPS_USEC_MEDIAN=%" PRIu64 "\nCGROUPS=%zu\n", o->ticks, sample_usec[o->ticks / 2], sample_usec[0],
                       sample_usec[o->ticks - 1], cg_usec[o->ticks / 2], n_all);
        }
        /* Every cgroup with its verdict; candidates first, ranked. */
        for (size_t i = 0; i < n_cands; i++)
                printf("RANK %zu %s cheap_pages=%" PRIu64 " inactive_file=%" PRIu64 " current=%" PRIu64 "\n", i + 1,
                       cands[i].path, cands[i].cheap_pages, cands[i].inactive_file_bytes, cands[i].current_bytes);
        for (size_t i = 0; i < n_all; i++) {
                enum df_reclaim_exclusion e = df_reclaim_exclusion(&o->conf, all, n_all, &all[i], own);

                if (e != DF_RECLAIM_OK && e != DF_RECLAIM_NOT_ALLOWED)
                        printf("EXCLUDED %s %s\n", all[i].path, df_reclaim_exclusion_to_string(e));
        }
        return 0;
}

static void add_pattern(struct df_conf_globs *g, const char *p) {
        char why[96];

        if (g->n >= DF_RECLAIM_MAX_PATTERNS || df_reclaim_pattern_check(p, why, sizeof(why)) < 0) {
                fprintf(stderr, "reclaim-tool: pattern '%s': %s\n", p, g->n >= DF_RECLAIM_MAX_PATTERNS ? "too many" : why);
                exit(2);
        }
        snprintf(g->pattern[g->n++], DF_RECLAIM_PATTERN_MAX, "%s", p);
}

static size_t watched_blocks(const struct df_plan_view *v) {
        size_t n = 0;

        for (size_t z = 0; z < v->n_zones; z++)
                n += v->zones[z].watched ? v->zones[z].n_blocks : 0;
        return n;
}

/* The daemon's sample: the block planner's view of the zone (a full sweep
 * first), then per tick the pick of the cheapest blocks from its counts and
 * the kpageflags + kpagecgroup read of just those (df_manager_plan_reclaim_sample). */
static int do_plan_sample(const struct rank_opts *o) {
        _cleanup_free_ uint64_t *tick_usec = NULL, *pick_usec = NULL;
        struct df_reclaim_block_ref refs[DF_RECLAIM_CHEAP_MAX];
        static struct df_manager_plan p;
        static struct df_reclaim_sample s;
        struct df_error err = { "" };
        struct df_snapshot snap;
        struct df_config c;
        unsigned ticks = o->ticks ? o->ticks : 20;
        uint64_t t0, sweep_usec, reclaim_alone = 0;
        int64_t pages;
        size_t n = 0;

        df_config_defaults(&c);
        c.n_zones = 1;
        snprintf(c.zones[0], sizeof(c.zones[0]), "%s", o->zone);
        df_snapshot_init(&snap);
        if (df_snapshot_read_procfs(NULL, df_now_usec(), &snap, &err) < 0 ||
            df_manager_plan_start(&p, &snap, snap.pageblock_order, &c, true, NULL, &err) < 0) {
                fprintf(stderr, "reclaim-tool: %s\n", err.msg);
                df_snapshot_clear(&snap);
                return 1;
        }
        t0 = df_now_usec();
        pages = df_plan_scan_all(&p.view, &p.kpf, 32768, df_now_usec(), &err);
        sweep_usec = df_now_usec() - t0;
        if (pages < 0) {
                fprintf(stderr, "reclaim-tool: %s\n", err.msg);
                df_manager_plan_stop(&p);
                df_snapshot_clear(&snap);
                return 1;
        }
        tick_usec = calloc(ticks, sizeof(uint64_t));
        pick_usec = calloc(ticks, sizeof(uint64_t));
        if (!tick_usec || !pick_usec)
                return 1;
        for (unsigned i = 0; i < ticks; i++) {
                t0 = df_now_usec();
                n = df_reclaim_cheap_blocks(&p.view, o->anon, 0, df_now_usec(), DF_RECLAIM_CHEAP_MAX, refs);
                pick_usec[i] = df_now_usec() - t0;
                t0 = df_now_usec();
                if (df_manager_plan_reclaim_sample(&p, o->anon, 0, df_now_usec(), NULL, 0, &s, &err) < 0) {
                        fprintf(stderr, "reclaim-tool: %s\n", err.msg);
                        return 1;
                }
                tick_usec[i] = df_now_usec() - t0;
        }
        for (size_t i = 0; i < n; i++)
                reclaim_alone += refs[i].leftover_pages == 0;
        qsort(tick_usec, ticks, sizeof(uint64_t), cmp_u64);
        qsort(pick_usec, ticks, sizeof(uint64_t), cmp_u64);
        printf("ZONE_BLOCKS=%zu\nSWEEP_PAGES=%" PRId64 "\nSWEEP_USEC=%" PRIu64 "\n", watched_blocks(&p.view),
               pages, sweep_usec);
        printf("CHEAP_BLOCKS=%zu\nRECLAIM_ALONE_BLOCKS=%" PRIu64 "\nINODES=%zu\n", n, reclaim_alone, s.n_inodes);
        printf("PICK_USEC_MEDIAN=%" PRIu64 "\nPICK_USEC_MIN=%" PRIu64 "\nPICK_USEC_MAX=%" PRIu64 "\n",
               pick_usec[ticks / 2], pick_usec[0], pick_usec[ticks - 1]);
        printf("SAMPLE_USEC_MEDIAN=%" PRIu64 "\nSAMPLE_USEC_MIN=%" PRIu64 "\nSAMPLE_USEC_MAX=%" PRIu64 "\n",
               tick_usec[ticks / 2], tick_usec[0], tick_usec[ticks - 1]);
        for (size_t i = 0; i < s.n_inodes && i < 8; i++)
                printf("INODE %" PRIu64 " %" PRIu64 "\n", s.inodes[i].inode, s.inodes[i].pages);
        df_manager_plan_stop(&p);
        df_snapshot_clear(&snap);
        return 0;
}

/* Every block of the zone the daemon's pick could use (no page neither
 * reclaim nor compaction can shift, some clean file cache), with its page
 * kinds and its clean file pages per cgroup; the cgroups with their verdict;
 * the daemon's pick. For reproducing the aim offline from a guest run. */
static int do_blocks(const struct rank_opts *o) {
        char mount[DF_CGROUP_PATH_MAX] = "", reason[512] = "", own[DF_CGROUP_PATH_MAX] = "";
        _cleanup_free_ struct df_reclaim_cgroup *all = NULL;
        _cleanup_free_ struct df_reclaim_cgroup *cands = NULL;
        _cleanup_free_ uint64_t *flags = NULL, *cg = NULL, *inodes = NULL;
        struct df_reclaim_block_ref refs[DF_RECLAIM_CHEAP_MAX];
        static struct df_manager_plan p;
        static struct df_reclaim_sample s;
        size_t n_cands = 0, n_inodes;
        struct df_error err = { "" };
        struct df_snapshot snap;
        struct df_config c;
        uint64_t bs;
        size_t n_all = 0, n;

        df_config_defaults(&c);
        c.n_zones = 1;
        snprintf(c.zones[0], sizeof(c.zones[0]), "%s", o->zone);
        df_snapshot_init(&snap);
        if (df_snapshot_read_procfs(NULL, df_now_usec(), &snap, &err) < 0 ||
            df_manager_plan_start(&p, &snap, snap.pageblock_order, &c, true, NULL, &err) < 0 ||
            df_plan_scan_all(&p.view, &p.kpf, 32768, df_now_usec(), &err) < 0) {
                fprintf(stderr, "reclaim-tool: %s\n", err.msg);
                df_snapshot_clear(&snap);
                return 1;
        }
        if (df_memcg_probe("", mount, sizeof(mount), reason, sizeof(reason)) == 0)
                (void) df_memcg_list(mount, 4096, &all, &n_all);
        (void) df_memcg_own("", own, sizeof(own));
        for (size_t i = 0; i < n_all; i++)
                printf("CG %" PRIu64 " %s %s\n", all[i].inode, all[i].path,
                       df_reclaim_exclusion_to_string(df_reclaim_exclusion(&o->conf, all, n_all, &all[i], own)));
        bs = UINT64_C(1) << p.view.block_order;
        flags = malloc(bs * sizeof(uint64_t));
        cg = malloc(bs * sizeof(uint64_t));
        if (!flags || !cg)
                return 1;
        printf("# B pfn free anon file_clean other_movable blocking inode:clean_file_pages...\n");
        for (size_t z = 0; z < p.view.n_zones; z++) {
                const struct df_plan_zone *pz = &p.view.zones[z];

                if (!pz->watched)
                        continue;
                printf("ZONE %s blocks=%zu first_pfn=%" PRIu64 "\n", pz->name, pz->n_blocks, pz->first_block_pfn);
                for (size_t i = 0; i < pz->n_blocks; i++) {
                        const struct df_block_stats *b = &pz->blocks[i];
                        uint64_t pfn = pz->first_block_pfn + ((uint64_t) i << p.view.block_order);
                        struct df_cgroup_pages owners[16];
                        size_t n_owners = 0;

                        if (b->pages[DF_PAGE_FILE_CLEAN] == 0 || df_block_stats_blocking_pages(b) > 0)
                                continue;
                        if (df_kpageflags_read(&p.kpf, pfn, bs, flags, cg, &err) < 0) {
                                fprintf(stderr, "reclaim-tool: %s\n", err.msg);
                                return 1;
                        }
                        for (uint64_t k = 0; k < bs; k++) {
                                size_t j;

                                if (df_page_kind_of(flags[k]) != DF_PAGE_FILE_CLEAN)
                                        continue;
                                for (j = 0; j < n_owners && owners[j].inode != cg[k]; j++)
                                        ;
                                if (j == n_owners) {
                                        if (n_owners == ELEMENTSOF(owners))
                                                continue;
                                        owners[n_owners++] = (struct df_cgroup_pages) { .inode = cg[k] };
                                }
                                owners[j].pages++;
                        }
                        printf("B %" PRIu64 " %u %u %u %" PRIu64 " 0", pfn, b->pages[DF_PAGE_FREE], b->pages[DF_PAGE_ANON],
                               b->pages[DF_PAGE_FILE_CLEAN],
                               df_block_stats_cost_pages(b) - b->pages[DF_PAGE_ANON] - b->pages[DF_PAGE_FILE_CLEAN]);
                        for (size_t j = 0; j < n_owners; j++)
                                printf(" %" PRIu64 ":%" PRIu64, owners[j].inode, owners[j].pages);
                        printf("\n");
                }
        }
        n = df_reclaim_cheap_blocks(&p.view, o->anon, 0, df_now_usec(), DF_RECLAIM_CHEAP_MAX, refs);
        for (size_t i = 0; i < n; i++)
                printf("PICK %zu %" PRIu64 " reclaim=%" PRIu64 " leftover=%" PRIu64 "\n", i + 1, refs[i].start_pfn,
                       refs[i].reclaim_pages, refs[i].leftover_pages);
        /* The daemon's aim on this view: the candidates' owners, the sample
         * read down the cost order, the rank (df_manager_reclaim_hints). */
        cands = calloc(n_all ? n_all : 1, sizeof(*cands));
        inodes = calloc(n_all ? n_all : 1, sizeof(*inodes));
        if (!cands || !inodes)
                return 1;
        for (size_t i = 0; i < n_all; i++)
                if (df_reclaim_exclusion(&o->conf, all, n_all, &all[i], own) == DF_RECLAIM_OK)
                        cands[n_cands++] = all[i];
        n_inodes = df_reclaim_candidate_inodes(all, n_all, cands, n_cands, inodes, n_all);
        if (df_manager_plan_reclaim_sample(&p, o->anon, 0, df_now_usec(), inodes, n_inodes, &s, &err) < 0) {
                fprintf(stderr, "reclaim-tool: %s\n", err.msg);
                return 1;
        }
        df_reclaim_assign_cheap_pages(&s, all, n_all, cands, n_cands);
        df_reclaim_rank(cands, n_cands);
        printf("SAMPLE kept=%zu passed_over=%" PRIu64 " usec=%" PRIu64 "\n", s.n_cheap, s.blocks_passed_over,
               p.last_cgroup_sample_cost_usec);
        for (size_t i = 0; i < n_cands; i++)
                printf("RANK %zu %s cheap_pages=%" PRIu64 " inactive_file=%" PRIu64 "\n", i + 1, cands[i].path,
                       cands[i].cheap_pages, cands[i].inactive_file_bytes);
        df_manager_plan_stop(&p);
        df_snapshot_clear(&snap);
        return 0;
}

int main(int argc, char **argv) {
        static const struct option longopts[] = {
                { "node", required_argument, NULL, 'n' },   { "zone", required_argument, NULL, 'z' },
                { "max-pages", required_argument, NULL, 'm' }, { "keep", required_argument, NULL, 'k' },
                { "ticks", required_argument, NULL, 't' },  { "allow", required_argument, NULL, 'a' },
                { "deny", required_argument, NULL, 'd' },   { "anon", no_argument, NULL, 'A' },
                { "dry-run", no_argument, NULL, 'D' },      { "pressure-limit", required_argument, NULL, 'p' },
                { "cgroup-pressure-limit", required_argument, NULL, 'P' }, { "psi", required_argument, NULL, 'S' },
                { "min-unmapped-ratio", required_argument, NULL, 'U' },
                { 0 },
        };
        struct rank_opts o = { .node = 0, .zone = "Normal", .max_pages = 64 * 512, .keep = 32 };
        bool dry_run = false;
        const char *psi_path = "/proc/pressure/memory";
        const char *cmd;
        uint64_t v;
        int c;

        if (argc < 2) {
                fprintf(stderr, "usage: reclaim-tool rank|cgroup PATH BYTES|node N BYTES|probe [options]\n");
                return 2;
        }
        cmd = argv[1];
        df_reclaim_conf_defaults(&o.conf);
        optind = 2;
        while ((c = getopt_long(argc, argv, "", longopts, NULL)) >= 0) {
                switch (c) {
                case 'n': o.node = atoi(optarg); break;
                case 'z': o.zone = optarg; break;
                case 'm': if (df_parse_u64(optarg, &o.max_pages) < 0) return 2; break;
                case 'k': if (df_parse_u64(optarg, &v) < 0) return 2; o.keep = (size_t) v; break;
                case 't': if (df_parse_u64(optarg, &v) < 0 || v > 100000) return 2; o.ticks = (unsigned) v; break;
                case 'a': add_pattern(&o.conf.allow, optarg); break;
                case 'd': add_pattern(&o.conf.deny, optarg); break;
                case 'A': o.anon = o.conf.allow_anon = true; break;
                case 'D': dry_run = true; break;
                case 'p': if (df_parse_u64(optarg, &v) < 0 || v > 100) return 2; o.conf.pressure_limit_percent = (unsigned) v; break;
                case 'P': if (df_parse_u64(optarg, &v) < 0 || v > 100) return 2; o.conf.cgroup_pressure_limit_percent = (unsigned) v; break;
                case 'S': psi_path = optarg; break;
                case 'U':
                        if (strcmp(optarg, "keep") == 0)
                                o.conf.node_min_unmapped_ratio = -1;
                        else if (df_parse_u64(optarg, &v) < 0 || v > 100) {
                                fprintf(stderr, "reclaim-tool: --min-unmapped-ratio '%s': accepted: keep or 0..100\n", optarg);
                                return 2;
                        } else
                                o.conf.node_min_unmapped_ratio = (int) v;
                        break;
                default: return 2;
                }
        }
        if (strcmp(cmd, "probe") == 0)
                return do_probe();
        if (strcmp(cmd, "rank") == 0)
                return do_rank(&o);
        if (strcmp(cmd, "plan-sample") == 0)
                return do_plan_sample(&o);
        if (strcmp(cmd, "blocks") == 0)
                return do_blocks(&o);
        if ((strcmp(cmd, "cgroup") == 0 || strcmp(cmd, "node") == 0) && argc - optind == 2)
                return do_run(cmd[0] == 'c' ? DF_LEVER_RECLAIM_CGROUP : DF_LEVER_RECLAIM_NODE, argv[optind], argv[optind + 1],
                              o.anon, dry_run, &o.conf, psi_path);
        fprintf(stderr, "reclaim-tool: unknown command or arguments; accepted: rank, cgroup PATH BYTES, node N BYTES, probe\n");
        return 2;
}
