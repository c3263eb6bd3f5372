/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Targeted reclaim, pure parts: block classification and ranking on captured
 * kpageflags/kpagecgroup/memory.stat, patterns, exclusions, amount, budget, guard, back-off. */
#include <errno.h>
#include <sys/stat.h>
#include <stdlib.h>

#include "config.h"
#include "defragd/memcg.h"
#include "defragd/reclaim-rank.h"
#include "defragd/knobs.h"
#include "defragd/reclaim.h"
#include "defragd/util.h"
#include "test-policy-util.h"

#define BLOCK 512
#define MIB (UINT64_C(1) << 20)
#define MIN_USEC (60 * USEC_PER_SEC)

static const char *fixtures(void) {
        const char *f = getenv("DEFRAGD_FIXTURES");

        return f ? f : DEFRAGD_SOURCE_ROOT "/tests/fixtures";
}

/* A capture of capture-reclaim.py: blocks, their flags and owners, the cgroups. */
struct capture {
        size_t n;
        uint64_t pfn[64];
        unsigned expect[64][4]; /* free file anon stuck, as the Python classifier counted */
        uint64_t *flags, *cg;
        size_t n_cg;
        struct df_reclaim_cgroup cgs[64];
};

static void *slurp(const char *path, size_t want) {
        FILE *f = fopen(path, "re");
        void *buf = malloc(want ? want : 1);

        if (!f || !buf || fread(buf, 1, want, f) != want) {
                printf("Bail out! cannot read %zu bytes of %s\n", want, path);
                exit(1);
        }
        fclose(f);
        return buf;
}

static void load_capture(const char *name, struct capture *c) {
        char path[512], line[512];
        FILE *f;

        memset(c, 0, sizeof(*c));
        snprintf(path, sizeof(path), "%s/reclaim/%s/blocks.txt", fixtures(), name);
        f = fopen(path, "re");
        if (!f) {
                printf("Bail out! %s: %s\n", path, strerror(errno));
                exit(1);
        }
        while (fgets(line, sizeof(line), f) && c->n < 64) {
                unsigned long long pfn;

                if (line[0] != '#' && sscanf(line, "%llu %u %u %u %u", &pfn, &c->expect[c->n][0], &c->expect[c->n][1],
                                             &c->expect[c->n][2], &c->expect[c->n][3]) == 5)
                        c->pfn[c->n++] = pfn;
        }
        fclose(f);
        snprintf(path, sizeof(path), "%s/reclaim/%s/kpageflags", fixtures(), name);
        c->flags = slurp(path, c->n * BLOCK * 8);
        snprintf(path, sizeof(path), "%s/reclaim/%s/kpagecgroup", fixtures(), name);
        c->cg = slurp(path, c->n * BLOCK * 8);
        snprintf(path, sizeof(path), "%s/reclaim/%s/cgroups.txt", fixtures(), name);
        f = fopen(path, "re");
        while (f && fgets(line, sizeof(line), f) && c->n_cg < 64) {
                unsigned long long ino;
                char p[256];

                if (sscanf(line, "%llu %255s", &ino, p) == 2) {
                        c->cgs[c->n_cg].inode = ino;
                        snprintf(c->cgs[c->n_cg].path, sizeof(c->cgs[0].path), "%s", p);
                        c->cgs[c->n_cg].current_bytes = 100 * MIB;
                        c->cgs[c->n_cg].file_bytes = 10 * MIB;
                        c->n_cg++;
                }
        }
        if (f)
                fclose(f);
}

static void free_capture(struct capture *c) {
        free(c->flags);
        free(c->cg);
}

/* The C classifier agrees with the Python one of the capture, block by block. */
static void test_classify_capture(void) {
        struct capture c;

        load_capture("live-6.18-fragmented", &c);
        CHECK(c.n >= 8);
        for (size_t i = 0; i < c.n; i++) {
                struct df_block_sample b;

                df_block_classify(c.pfn[i], c.flags + i * BLOCK, BLOCK, &b);
                CHECK_U64(b.start_pfn, c.pfn[i]);
                CHECK_INT(b.free_pages, c.expect[i][0]);
                CHECK_INT(b.file_pages, c.expect[i][1]);
                CHECK_INT(b.anon_pages, c.expect[i][2]);
                CHECK_INT(b.stuck_pages, c.expect[i][3]);
        }
        free_capture(&c);
}

/* Offer every captured block: the kept ones are the cheapest reclaimable
 * ones, cost ascending; stuck, anon (without AllowAnon) and free blocks never. */
static void test_rank_capture(void) {
        struct capture c;
        struct df_reclaim_sample s = { 0 };
        struct df_reclaim_cgroup cands[64];
        size_t keep = 4, n_reclaimable = 0;
        uint64_t want_pages[64] = { 0 }, total = 0;

        load_capture("live-6.18-fragmented", &c);
        for (size_t i = 0; i < c.n; i++) {
                struct df_block_sample b;

                df_block_classify(c.pfn[i], c.flags + i * BLOCK, BLOCK, &b);
                if (df_block_reclaim_cost(&b, false) != UINT32_MAX)
                        n_reclaimable++;
                df_reclaim_sample_offer(&s, &b, false, keep);
        }
        CHECK_U64(s.blocks_sampled, c.n);
        CHECK(n_reclaimable >= keep); /* the capture has cheap blocks to choose from */
        CHECK_U64(s.n_cheap, keep);
        for (size_t i = 0; i < s.n_cheap; i++) {
                CHECK_INT(s.cheap[i].stuck_pages, 0);
                CHECK_INT(s.cheap[i].anon_pages, 0);
                CHECK(s.cheap[i].file_pages > 0);
                if (i > 0)
                        CHECK(s.cheap[i].file_pages >= s.cheap[i - 1].file_pages);
        }
        /* No block left out is cheaper than the dearest kept one. */
        for (size_t i = 0; i < c.n; i++) {
                struct df_block_sample b;
                bool kept = false;

                df_block_classify(c.pfn[i], c.flags + i * BLOCK, BLOCK, &b);
                for (size_t k = 0; k < s.n_cheap; k++)
                        kept |= s.cheap[k].start_pfn == b.start_pfn;
                if (!kept)
                        CHECK(df_block_reclaim_cost(&b, false) >= df_block_reclaim_cost(&s.cheap[keep - 1], false));
        }
        /* Owners: count file pages of the kept blocks per inode by hand. */
        for (size_t k = 0; k < s.n_cheap; k++)
                for (size_t i = 0; i < c.n; i++)
                        if (c.pfn[i] == s.cheap[k].start_pfn) {
                                df_reclaim_sample_attribute(&s, c.flags + i * BLOCK, c.cg + i * BLOCK, BLOCK, false);
                                for (size_t p = 0; p < BLOCK; p++)
                                        if (df_reclaim_page_kind(c.flags[i * BLOCK + p]) == DF_RPAGE_FILE)
                                                for (size_t g = 0; g < c.n_cg; g++)
                                                        if (c.cgs[g].inode == c.cg[i * BLOCK + p]) {
                                                                want_pages[g]++;
                                                                total++;
                                                        }
                        }
        CHECK(total > 0);
        /* Leaves (every captured cgroup but "/" and its direct parent) are the candidates. */
        memcpy(cands, c.cgs, c.n_cg * sizeof(cands[0]));
        df_reclaim_assign_cheap_pages(&s, c.cgs, c.n_cg, cands, c.n_cg);
        for (size_t g = 0; g < c.n_cg; g++) {
                if (strcmp(c.cgs[g].path, "/") == 0)
                        CHECK_U64(cands[g].cheap_pages, total); /* the root holds everything below it */
                else if (strchr(c.cgs[g].path + 1, '/'))
                        CHECK_U64(cands[g].cheap_pages, want_pages[g]);
        }
        df_reclaim_rank(cands, c.n_cg);
        CHECK_STR(cands[0].path, "/");
        for (size_t g = 1; g < c.n_cg; g++)
                CHECK(cands[g - 1].cheap_pages >= cands[g].cheap_pages);
        free_capture(&c);
}

/* Ties on cheap pages fall to inactive file cache, then the path. */
static void test_rank_ties(void) {
        struct df_reclaim_cgroup c[3] = {
                { .path = "/b", .cheap_pages = 5, .inactive_file_bytes = 1 },
                { .path = "/a", .cheap_pages = 5, .inactive_file_bytes = 9 },
                { .path = "/c", .cheap_pages = 0, .inactive_file_bytes = 1000 },
        };

        df_reclaim_rank(c, 3);
        CHECK_STR(c[0].path, "/a");
        CHECK_STR(c[1].path, "/b");
        CHECK_STR(c[2].path, "/c");
}

/* memory.stat as cgroup v2 prints it (mm/memcontrol.c memory_stat_format). */
static void test_memory_stat(void) {
        char path[512];
        FILE *f;
        char *text;
        size_t n;
        struct df_reclaim_cgroup cg = { 0 };
        struct df_memcg_counters k = { 0 };
        uint64_t v;

        snprintf(path, sizeof(path), "%s/reclaim/guest-6.12/memory.stat", fixtures());
        f = fopen(path, "re");
        CHECK(f);
        if (!f)
                return;
        text = calloc(1, 65536);
        n = fread(text, 1, 65535, f);
        fclose(f);
        CHECK(n > 0);
        df_memcg_parse_stat(text, &cg, &k);
        CHECK(cg.file_bytes > 0);
        CHECK(cg.inactive_file_bytes > 0 && cg.inactive_file_bytes <= cg.file_bytes);
        CHECK(k.pgsteal > 0 || k.refault_file == 0);
        free(text);
        CHECK_INT(df_memcg_parse_bytes("max\n", &v), 0);
        CHECK_U64(v, UINT64_MAX);
        CHECK_INT(df_memcg_parse_bytes("1048576\n", &v), 0);
        CHECK_U64(v, MIB);
        CHECK(df_memcg_parse_bytes("\n", &v) < 0);
        CHECK(df_memcg_parse_bytes("12x\n", &v) < 0);
}

static void test_patterns(void) {
        char why[96];

        CHECK(df_reclaim_pattern_match("/system.slice/batch-*.service", "/system.slice/batch-7.service"));
        CHECK(!df_reclaim_pattern_match("/system.slice/batch-*.service", "/system.slice/batch-7.service/sub"));
        CHECK(!df_reclaim_pattern_match("/system.slice/*", "/system.slice/a/b")); /* '*' stays in one component */
        CHECK(df_reclaim_pattern_match("/system.slice/*/b", "/system.slice/a/b"));
        CHECK(df_reclaim_pattern_match("/work.slice/job-[0-9]", "/work.slice/job-3"));
        CHECK(!df_reclaim_pattern_match("/work.slice/job-[0-9]", "/work.slice/job-x"));
        CHECK(df_reclaim_pattern_match("/a/b/", "/a/b"));
        CHECK(df_reclaim_pattern_match("/a/b", "/a/b/"));
        CHECK(!df_reclaim_pattern_match("/a/*", "/a/.hidden"));
        CHECK(df_reclaim_pattern_match("/", "/"));
        CHECK(!df_reclaim_pattern_match("/a", "/ab"));
        CHECK_INT(df_reclaim_pattern_check("/ok/x-*.service", why, sizeof(why)), 0);
        CHECK(df_reclaim_pattern_check("relative", why, sizeof(why)) < 0);
        CHECK(df_reclaim_pattern_check("/a/..", why, sizeof(why)) < 0);
        CHECK(df_reclaim_pattern_check("/a/./b", why, sizeof(why)) < 0);
        CHECK_INT(df_reclaim_pattern_check("/a/.b", why, sizeof(why)), 0);
}

#define CG(p, cur, mn, lo, file) { .path = p, .current_bytes = (cur), .min_bytes = (mn), .low_bytes = (lo), \
                                   .file_bytes = (file), .inactive_file_bytes = (file) / 2 }

static void test_exclusions(void) {
        struct df_reclaim_conf conf;
        struct df_reclaim_cgroup all[] = {
                CG("/", 1000 * MIB, 0, 0, 500 * MIB),
                CG("/system.slice", 900 * MIB, 0, 0, 400 * MIB),
                CG("/system.slice/batch-1.service", 100 * MIB, 0, 0, 80 * MIB),
                CG("/system.slice/batch-2.service", 100 * MIB, 0, 100 * MIB, 80 * MIB), /* low covers usage */
                CG("/system.slice/batch-3.service", 100 * MIB, 0, 50 * MIB, 80 * MIB),  /* partly protected: still a candidate */
                CG("/system.slice/batch-4.service", 100 * MIB, 200 * MIB, 0, 80 * MIB), /* min above usage */
                CG("/system.slice/batch-5.service", 100 * MIB, 0, 0, 0),                /* no file cache */
                CG("/system.slice/defragd.service", 10 * MIB, 0, 0, 1 * MIB),
                CG("/system.slice/db.service", 300 * MIB, 0, 0, 200 * MIB),
                CG("/work.slice", 200 * MIB, 0, 0, 100 * MIB),
                CG("/work.slice/job-1", 100 * MIB, 0, 0, 50 * MIB),
                CG("/work.slice/job-1/inner", 100 * MIB, 0, 0, 50 * MIB),
                CG("/work.slice/job-2", 100 * MIB, 0, 0, 50 * MIB),
                CG("/work.slice/job-2/keep", 50 * MIB, 50 * MIB, 0, 50 * MIB),       /* protected child */
        };
        size_t n = ELEMENTSOF(all);
        const char *own = "/system.slice/defragd.service";

        df_reclaim_conf_defaults(&conf);
        /* Nothing allowed by default. */
        for (size_t i = 0; i < n; i++)
                CHECK_INT(df_reclaim_exclusion(&conf, all, n, &all[i], own), DF_RECLAIM_NOT_ALLOWED);

        conf.allow.n = 4;
        snprintf(conf.allow.pattern[0], sizeof(conf.allow.pattern[0]), "/system.slice/*.service");
        snprintf(conf.allow.pattern[1], sizeof(conf.allow.pattern[1]), "/work.slice/*");
        snprintf(conf.allow.pattern[2], sizeof(conf.allow.pattern[2]), "/system.slice");
        snprintf(conf.allow.pattern[3], sizeof(conf.allow.pattern[3]), "/work.slice");
        conf.deny.n = 1;
        snprintf(conf.deny.pattern[0], sizeof(conf.deny.pattern[0]), "/system.slice/db.service");

        CHECK_INT(df_reclaim_exclusion(&conf, all, n, &all[0], own), DF_RECLAIM_NOT_ALLOWED);
        CHECK_INT(df_reclaim_exclusion(&conf, all, n, &all[1], own), DF_RECLAIM_OWN);     /* defragd runs below it */
        CHECK_INT(df_reclaim_exclusion(&conf, all, n, &all[1], "/elsewhere"), DF_RECLAIM_DENIED); /* a denied child */
        CHECK_INT(df_reclaim_exclusion(&conf, all, n, &all[2], own), DF_RECLAIM_OK);
        CHECK_INT(df_reclaim_exclusion(&conf, all, n, &all[3], own), DF_RECLAIM_PROTECTED);
        CHECK_INT(df_reclaim_exclusion(&conf, all, n, &all[4], own), DF_RECLAIM_OK);
        CHECK_INT(df_reclaim_exclusion(&conf, all, n, &all[5], own), DF_RECLAIM_PROTECTED);
        CHECK_INT(df_reclaim_exclusion(&conf, all, n, &all[6], own), DF_RECLAIM_EMPTY);
        CHECK_INT(df_reclaim_exclusion(&conf, all, n, &all[7], own), DF_RECLAIM_OWN);     /* allowed by the glob, still never */
        CHECK_INT(df_reclaim_exclusion(&conf, all, n, &all[8], own), DF_RECLAIM_DENIED);
        CHECK_INT(df_reclaim_exclusion(&conf, all, n, &all[9], own), DF_RECLAIM_PROTECTED); /* job-2/keep below it */
        CHECK_INT(df_reclaim_exclusion(&conf, all, n, &all[10], own), DF_RECLAIM_OK);
        CHECK_INT(df_reclaim_exclusion(&conf, all, n, &all[11], own), DF_RECLAIM_NOT_ALLOWED); /* the glob stops at one component */
        CHECK_INT(df_reclaim_exclusion(&conf, all, n, &all[12], own), DF_RECLAIM_PROTECTED);
        /* Own cgroup below an allowed one. */
        CHECK_INT(df_reclaim_exclusion(&conf, all, n, &all[10], "/work.slice/job-1/inner"), DF_RECLAIM_OWN);
        /* Deny of a parent covers its children. */
        snprintf(conf.deny.pattern[0], sizeof(conf.deny.pattern[0]), "/work.slice");
        CHECK_INT(df_reclaim_exclusion(&conf, all, n, &all[10], own), DF_RECLAIM_DENIED);
        /* AllowAnon: a cgroup without file cache is a candidate. */
        conf.allow_anon = true;
        CHECK_INT(df_reclaim_exclusion(&conf, all, n, &all[6], own), DF_RECLAIM_OK);
        CHECK_STR(df_reclaim_exclusion_to_string(DF_RECLAIM_PROTECTED), "protected");
        /* A pattern matching nothing is named (bit per Allow= entry). */
        conf.allow.n = 3;
        snprintf(conf.allow.pattern[2], sizeof(conf.allow.pattern[2]), "/system.slice/bacth-*.service");
        CHECK_U64(df_reclaim_unmatched_allow(&conf, all, n), UINT64_C(1) << 2);
}

static void test_amount_and_budget(void) {
        struct df_reclaim_conf conf;
        struct df_reclaim_budget b = { 0 };
        uint64_t t = 1000 * USEC_PER_SEC, block = 2 * MIB, page = 4096;

        df_reclaim_conf_defaults(&conf); /* 64M per action, 512M per hour */
        CHECK_U64(df_reclaim_amount(&conf, &b, 0, block, page, t), 0);
        CHECK_U64(df_reclaim_amount(&conf, &b, 3, block, page, t), 6 * MIB);       /* what the target needs */
        CHECK_U64(df_reclaim_amount(&conf, &b, 1000, block, page, t), 64 * MIB);   /* never more than per action */
        CHECK_U64(df_reclaim_amount(&conf, &b, UINT64_MAX, block, page, t), 64 * MIB); /* no overflow */
        /* Seven full reclaims in half an hour: 448M used, 64M left. */
        for (int i = 0; i < 7; i++)
                df_reclaim_budget_add(&b, t + (uint64_t) i * 5 * MIN_USEC, 64 * MIB);
        CHECK_U64(df_reclaim_budget_used(&b, t + 30 * MIN_USEC), 448 * MIB);
        CHECK_U64(df_reclaim_amount(&conf, &b, 1000, block, page, t + 30 * MIN_USEC), 64 * MIB);
        df_reclaim_budget_add(&b, t + 31 * MIN_USEC, 60 * MIB);
        CHECK_U64(df_reclaim_amount(&conf, &b, 1000, block, page, t + 32 * MIN_USEC), 4 * MIB);
        df_reclaim_budget_add(&b, t + 33 * MIN_USEC, 4 * MIB);
        CHECK_U64(df_reclaim_amount(&conf, &b, 1, block, page, t + 34 * MIN_USEC), 0); /* the hour is spent */
        /* The first one leaves the hour at t + 60 min: its 64M come back. */
        CHECK_U64(df_reclaim_amount(&conf, &b, 1000, block, page, t + 60 * MIN_USEC), 64 * MIB);
        CHECK_U64(df_reclaim_amount(&conf, &b, 1000, block, page, t + 200 * MIN_USEC), 64 * MIB);
        CHECK_U64(df_reclaim_budget_used(&b, t + 200 * MIN_USEC), 0);
        /* Whole pages only. */
        conf.max_per_action_bytes = 10000;
        CHECK_U64(df_reclaim_amount(&conf, &b, 1, block, page, t + 200 * MIN_USEC), 8192);
        /* A full history keeps the sum (the oldest merges into the next). */
        memset(&b, 0, sizeof(b));
        for (int i = 0; i < DF_RECLAIM_HISTORY + 10; i++)
                df_reclaim_budget_add(&b, t + (uint64_t) i * USEC_PER_SEC, MIB);
        CHECK_U64(b.n, DF_RECLAIM_HISTORY);
        CHECK_U64(df_reclaim_budget_used(&b, t + 100 * USEC_PER_SEC), (DF_RECLAIM_HISTORY + 10) * MIB);
}

static void test_guard(void) {
        struct df_reclaim_conf conf;
        struct df_reclaim_cgroup cg = { .path = "/x", .has_pressure = true, .pressure_some_avg10 = 2.0 };

        df_reclaim_conf_defaults(&conf); /* 5% and 5% */
        CHECK_INT(df_reclaim_guard(&conf, true, 0.0, &cg), DF_RECLAIM_GUARD_OPEN);
        CHECK_INT(df_reclaim_guard(&conf, true, 5.0, NULL), DF_RECLAIM_GUARD_OPEN);    /* at the limit: open */
        CHECK_INT(df_reclaim_guard(&conf, true, 5.01, NULL), DF_RECLAIM_GUARD_PSI);
        CHECK_INT(df_reclaim_guard(&conf, false, 0.0, NULL), DF_RECLAIM_GUARD_PSI);    /* unknown pressure: closed */
        cg.pressure_some_avg10 = 7.5;
        CHECK_INT(df_reclaim_guard(&conf, true, 0.0, &cg), DF_RECLAIM_GUARD_CGROUP_PSI);
        CHECK_INT(df_reclaim_guard(&conf, true, 0.0, NULL), DF_RECLAIM_GUARD_OPEN);    /* node reclaim: no cgroup */
        cg.has_pressure = false;
        CHECK_INT(df_reclaim_guard(&conf, true, 0.0, &cg), DF_RECLAIM_GUARD_OPEN);
        conf.pressure_limit_percent = 0;
        conf.cgroup_pressure_limit_percent = 0;
        cg.has_pressure = true;
        CHECK_INT(df_reclaim_guard(&conf, false, 99.0, &cg), DF_RECLAIM_GUARD_OPEN);  /* both off */
}

static void test_refault_backoff(void) {
        struct df_reclaim_conf conf;
        struct df_reclaim_backoff bo = { 0 };
        struct df_reclaim_followup f = { .at_usec = 100 * USEC_PER_SEC, .reclaimed_bytes = 64 * MIB };
        uint64_t page = 4096, now = 200 * USEC_PER_SEC, pages = 64 * MIB / 4096; /* 16384 */

        df_reclaim_conf_defaults(&conf); /* 25% */
        CHECK(!df_reclaim_followup_due(&f, f.at_usec + 59 * USEC_PER_SEC));
        CHECK(df_reclaim_followup_due(&f, f.at_usec + 60 * USEC_PER_SEC));
        CHECK_INT(df_reclaim_refault_percent(64 * MIB, pages / 4, page), 25);
        CHECK_INT(df_reclaim_refault_percent(0, 0, page), 0);
        CHECK_INT(df_reclaim_refault_percent(0, 5, page), 1000);
        CHECK_INT(df_reclaim_refault_percent(4096, UINT64_MAX, page), 1000);
        /* 25% exactly is within the limit. */
        CHECK(!df_reclaim_refault_verdict(&conf, 64 * MIB, pages / 4, page, now, &bo));
        CHECK(!df_reclaim_backed_off(&bo, now));
        /* Above it: an hour off, then two, four ... a week at most. */
        CHECK(df_reclaim_refault_verdict(&conf, 64 * MIB, pages / 2, page, now, &bo));
        CHECK_U64(bo.until_usec, now + 3600 * USEC_PER_SEC);
        CHECK(df_reclaim_backed_off(&bo, now + 3599 * USEC_PER_SEC));
        CHECK(!df_reclaim_backed_off(&bo, now + 3600 * USEC_PER_SEC));
        CHECK(df_reclaim_refault_verdict(&conf, 64 * MIB, pages, page, now, &bo));
        CHECK_U64(bo.until_usec, now + 2 * 3600 * USEC_PER_SEC);
        for (int i = 0; i < 20; i++)
                df_reclaim_refault_verdict(&conf, 64 * MIB, pages, page, now, &bo);
        CHECK_U64(bo.until_usec, now + DF_RECLAIM_BACKOFF_MAX_USEC);
        /* A cold verdict resets. */
        CHECK(!df_reclaim_refault_verdict(&conf, 64 * MIB, 0, page, now, &bo));
        CHECK_INT(bo.level, 0);
        CHECK(!df_reclaim_backed_off(&bo, now));
        /* RefaultLimitPercent=0: never back off. */
        conf.refault_limit_percent = 0;
        CHECK(!df_reclaim_refault_verdict(&conf, 64 * MIB, pages * 5, page, now, &bo));
}

/* The blocks of a tick are spread, in range, distinct, and move between ticks. */
static void test_sample_blocks(void) {
        uint64_t nr = 10752, n = 64;
        bool moved = false;

        for (uint64_t t = 0; t < 4; t++)
                for (uint64_t i = 0; i < n; i++) {
                        uint64_t b = df_reclaim_sample_block(nr, n, i, t);

                        CHECK(b < nr);
                        CHECK(b / (nr / n) == i); /* one per stride */
                        if (t > 0 && b != df_reclaim_sample_block(nr, n, i, 0))
                                moved = true;
                }
        CHECK(moved);
        CHECK_U64(df_reclaim_sample_block(0, 5, 0, 0), 0);
        CHECK(df_reclaim_sample_block(3, 10, 2, 7) < 3);
}

static void test_request_text(void) {
        char buf[64];

        df_reclaim_request_format(64 * MIB, true, buf, sizeof(buf));
        CHECK_STR(buf, "67108864 swappiness=0");
        df_reclaim_request_format(4096, false, buf, sizeof(buf));
        CHECK_STR(buf, "4096");
}

/* The rung: guard, budget, back-off and the cgroup's own pressure pick the first usable candidate. */
static void test_choose(void) {
        struct df_reclaim_conf conf;
        struct df_reclaim_budget b = { 0 };
        struct df_reclaim_cgroup ranked[2] = {
                { .path = "/system.slice/batch-1.service", .has_pressure = true, .pressure_some_avg10 = 0 },
                { .path = "/system.slice/batch-2.service", .has_pressure = true, .pressure_some_avg10 = 0 },
        };
        struct df_reclaim_backoff bo[2] = { { 0 }, { 0 } };
        struct df_reclaim_choice_input in = {
                .ranked = ranked, .backoff = bo, .n = 2, .psi_present = true, .psi_some_avg10 = 0,
                .blocks_short = 10, .block_bytes = 2 * MIB, .page_bytes = 4096,
        };
        struct df_action a;
        uint64_t now = 5000 * USEC_PER_SEC;
        size_t idx = 99;

        df_reclaim_conf_defaults(&conf);
        memset(&a, 0, sizeof(a));
        CHECK_INT(df_reclaim_choose_cgroup(&conf, &b, &in, now, &a, &idx), DF_RECLAIM_SKIP_DISABLED);
        conf.enabled = true;
        CHECK_INT(df_reclaim_choose_cgroup(&conf, &b, &in, now, &a, &idx), DF_RECLAIM_ACT);
        CHECK_INT(a.lever, DF_LEVER_RECLAIM_CGROUP);
        CHECK_STR(a.target.cgroup, "/system.slice/batch-1.service");
        CHECK_U64(a.amount, 20 * MIB);
        CHECK_U64(idx, 0);
        /* A page sample that found no candidate's page while the planner's
         * view is still filling in: wait for the view, do not rank blind. */
        in.sample_present = true;
        CHECK_INT(df_reclaim_choose_cgroup(&conf, &b, &in, now, &a, &idx), DF_RECLAIM_SKIP_AIM_PENDING);
        CHECK_STR(df_reclaim_verdict_to_string(DF_RECLAIM_SKIP_AIM_PENDING), "waiting for the planner's view");
        ranked[1].cheap_pages = 7; /* one candidate seen: the rank decides (its order is the caller's) */
        CHECK_INT(df_reclaim_choose_cgroup(&conf, &b, &in, now, &a, &idx), DF_RECLAIM_ACT);
        ranked[1].cheap_pages = 0;
        in.view_complete = true;   /* the whole view read, still none: inactive_file decides */
        CHECK_INT(df_reclaim_choose_cgroup(&conf, &b, &in, now, &a, &idx), DF_RECLAIM_ACT);
        CHECK_STR(a.target.cgroup, "/system.slice/batch-1.service");
        in.sample_present = in.view_complete = false;
        /* The first one backed off, the second under its own pressure: none. */
        bo[0].until_usec = now + 1;
        ranked[1].pressure_some_avg10 = 30;
        CHECK_INT(df_reclaim_choose_cgroup(&conf, &b, &in, now, &a, &idx), DF_RECLAIM_SKIP_NO_CANDIDATE);
        ranked[1].pressure_some_avg10 = 1;
        CHECK_INT(df_reclaim_choose_cgroup(&conf, &b, &in, now, &a, &idx), DF_RECLAIM_ACT);
        CHECK_STR(a.target.cgroup, "/system.slice/batch-2.service");
        CHECK_U64(idx, 1);
        /* Machine pressure closes the rung; so does a spent budget. */
        in.psi_some_avg10 = 6;
        CHECK_INT(df_reclaim_choose_cgroup(&conf, &b, &in, now, &a, &idx), DF_RECLAIM_SKIP_GUARD);
        in.psi_some_avg10 = 0;
        df_reclaim_budget_add(&b, now - USEC_PER_SEC, 512 * MIB);
        CHECK_INT(df_reclaim_choose_cgroup(&conf, &b, &in, now, &a, &idx), DF_RECLAIM_SKIP_BUDGET);
        CHECK_INT(df_reclaim_choose_node(&conf, &b, &in, 0, now, &a), DF_RECLAIM_SKIP_DISABLED);
        conf.node_reclaim = true;
        CHECK_INT(df_reclaim_choose_node(&conf, &b, &in, 0, now, &a), DF_RECLAIM_SKIP_BUDGET);
        CHECK_INT(df_reclaim_choose_node(&conf, &b, &in, 1, now + 3600 * USEC_PER_SEC, &a), DF_RECLAIM_ACT);
        CHECK_INT(a.lever, DF_LEVER_RECLAIM_NODE);
        CHECK_INT(a.target.node, 1);
        CHECK_U64(a.amount, 20 * MIB);
        CHECK_STR(df_reclaim_verdict_to_string(DF_RECLAIM_SKIP_GUARD), "memory pressure");
}

/* ---- the thin readers on file trees ---- */

static void put(const char *root, const char *rel, const char *text) {
        char path[1024], cmd[1100];
        FILE *f;

        snprintf(path, sizeof(path), "%s%s", root, rel);
        snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
        if (system(cmd) != 0 || !(f = fopen(path, "we"))) {
                printf("Bail out! cannot write %s\n", path);
                exit(1);
        }
        fputs(text, f);
        fclose(f);
}

/* cgroup v1 memory controller (this build host's real mountinfo lines). */
static void test_probe_v1_host(void) {
        char root[512], mount[256], reason[512];

        snprintf(root, sizeof(root), "%s/reclaim/host-6.18-v1", fixtures());
        CHECK_INT(df_memcg_probe(root, mount, sizeof(mount), reason, sizeof(reason)), -EOPNOTSUPP);
        CHECK_STR(reason, "the memory controller is on cgroup v1 (/sys/fs/cgroup/memory): memory.reclaim needs it on cgroup v2");
}

/* A systemd cgroup v2 tree as Debian 12 mounts it; then read-only, and without the memory controller. */
static void test_probe_and_read_v2(void) {
        char tmpl[] = "/tmp/defragd-test-reclaim.XXXXXX", mount[256], reason[512], own[256], cmd[300];
        const char *root = mkdtemp(tmpl);
        const char *mi = "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
                         "rw,nsdelegate,memory_recursiveprot\n";
        struct df_reclaim_cgroup cg, *all = NULL;
        struct df_memcg_counters k;
        size_t n = 0;
        uint64_t start = 0, spanned = 0;

        CHECK(root != NULL);
        if (!root)
                return;
        put(root, "/proc/self/mountinfo", mi);
        put(root, "/proc/self/cgroup", "0::/system.slice/defragd.service\n");
        put(root, "/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
        put(root, "/sys/fs/cgroup/memory.reclaim", "");
        put(root, "/sys/fs/cgroup/system.slice/memory.current", "300000000\n");
        put(root, "/sys/fs/cgroup/system.slice/a.service/memory.current", "104857600\n");
        put(root, "/sys/fs/cgroup/system.slice/a.service/memory.min", "0\n");
        put(root, "/sys/fs/cgroup/system.slice/a.service/memory.low", "max\n");
        put(root, "/sys/fs/cgroup/system.slice/a.service/memory.stat",
            "anon 1000\nfile 52748288\ninactive_file 48238592\nworkingset_refault_anon 3\nworkingset_refault_file 12\n"
            "pgsteal 40\n");
        put(root, "/sys/fs/cgroup/system.slice/a.service/memory.pressure",
            "some avg10=1.50 avg60=0.20 avg300=0.00 total=12345\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=10\n");
        put(root, "/sys/fs/cgroup/system.slice/b.service/memory.current", "4096\n");
        put(root, "/sys/fs/cgroup/init.scope/cgroup.procs", "1\n"); /* no memory.current: no memory controller there */
        put(root, "/proc/zoneinfo", "Node 0, zone      DMA\n  pages free     3\n        spanned  4095\n  start_pfn:           1\n"
                                    "Node 0, zone    DMA32\n  pages free     3\n        spanned  389088\n  start_pfn:           4096\n");

        CHECK_INT(df_memcg_probe(root, mount, sizeof(mount), reason, sizeof(reason)), 0);
        {
                char want[600];

                snprintf(want, sizeof(want), "%s/sys/fs/cgroup", root);
                CHECK_STR(mount, want);
        }
        CHECK_INT(df_memcg_read(mount, "/system.slice/a.service", &cg, &k), 0);
        CHECK_U64(cg.current_bytes, 100 * MIB);
        CHECK_U64(cg.low_bytes, UINT64_MAX);
        CHECK_U64(cg.file_bytes, 52748288);
        CHECK_U64(cg.inactive_file_bytes, 48238592);
        CHECK_U64(k.refault_file + k.refault_anon, 15);
        CHECK_U64(k.pgsteal, 40);
        CHECK(cg.has_pressure);
        CHECK(cg.pressure_some_avg10 > 1.49 && cg.pressure_some_avg10 < 1.51);
        CHECK(cg.inode != 0);
        CHECK_INT(df_memcg_read(mount, "/system.slice/gone.service", &cg, &k), -ENOENT);
        CHECK_INT(df_memcg_list(mount, 64, &all, &n), 0);
        CHECK_U64(n, 4); /* /, system.slice, a, b; not init.scope */
        for (size_t i = 0; i < n; i++)
                CHECK(strcmp(all[i].path, "/init.scope") != 0);
        free(all);
        CHECK_INT(df_memcg_list(mount, 2, &all, &n), 0); /* bounded */
        CHECK_U64(n, 2);
        free(all);
        CHECK_INT(df_memcg_own(root, own, sizeof(own)), 0);
        CHECK_STR(own, "/system.slice/defragd.service");
        CHECK_INT(df_zone_pfn_range(root, 0, "DMA32", &start, &spanned), 0);
        CHECK_U64(start, 4096);
        CHECK_U64(spanned, 389088);
        CHECK_INT(df_zone_pfn_range(root, 0, "Normal", &start, &spanned), -ENOENT);

        /* Read-only (ProtectControlGroups=yes in a unit looks like this). */
        put(root, "/proc/self/mountinfo", "35 24 0:30 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw\n");
        CHECK_INT(df_memcg_probe(root, mount, sizeof(mount), reason, sizeof(reason)), -EROFS);
        CHECK(strstr(reason, "/sys/fs/cgroup is mounted read-only") != NULL);
        /* No memory controller in v2 either. */
        put(root, "/proc/self/mountinfo", mi);
        put(root, "/sys/fs/cgroup/cgroup.controllers", "cpu io pids\n");
        CHECK_INT(df_memcg_probe(root, mount, sizeof(mount), reason, sizeof(reason)), -EOPNOTSUPP);
        CHECK(strstr(reason, "cgroup.controllers: no memory controller in cgroup v2") != NULL);
        /* No cgroup2 at all. */
        put(root, "/proc/self/mountinfo", "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n");
        CHECK_INT(df_memcg_probe(root, mount, sizeof(mount), reason, sizeof(reason)), -ENOENT);
        CHECK(strstr(reason, "no cgroup2 file system mounted") != NULL);

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        CHECK_INT(system(cmd), 0);
}

/* The climb to the reclaim rungs. */
static void test_rung(void) {
        struct df_reclaim_conf conf;

        df_reclaim_conf_defaults(&conf);
        CHECK_INT(df_reclaim_rung(&conf, 300, false, false, true, true), DF_LEVER_NONE); /* Enable=no */
        conf.enabled = true;
        conf.allow.n = 1;
        CHECK_INT(df_reclaim_rung(&conf, -1000, false, false, true, true), DF_LEVER_NONE); /* a block is free */
        CHECK_INT(df_reclaim_rung(&conf, 900, false, false, true, true), DF_LEVER_NONE);   /* compaction's case */
        CHECK_INT(df_reclaim_rung(&conf, 500, false, false, true, true), DF_LEVER_RECLAIM_CGROUP);
        CHECK_INT(df_reclaim_rung(&conf, 0, false, false, true, true), DF_LEVER_RECLAIM_CGROUP);
        CHECK_INT(df_reclaim_rung(&conf, 501, false, false, true, true), DF_LEVER_NONE);
        CHECK_INT(df_reclaim_rung(&conf, 900, true, false, true, true), DF_LEVER_RECLAIM_CGROUP); /* contended */
        CHECK_INT(df_reclaim_rung(&conf, 900, false, true, true, true), DF_LEVER_RECLAIM_CGROUP); /* gained nothing */
        /* No cgroup lever (cgroup v1 host): node reclaim only for lack of free memory, only if allowed. */
        CHECK_INT(df_reclaim_rung(&conf, 300, false, false, false, true), DF_LEVER_NONE);
        conf.node_reclaim = true;
        CHECK_INT(df_reclaim_rung(&conf, 300, false, false, false, true), DF_LEVER_RECLAIM_NODE);
        CHECK_INT(df_reclaim_rung(&conf, 900, true, false, false, true), DF_LEVER_NONE);
        CHECK_INT(df_reclaim_rung(&conf, 300, false, false, false, false), DF_LEVER_NONE);
        conf.allow.n = 0; /* nothing allowed: the cgroup rung has no one to ask */
        CHECK_INT(df_reclaim_rung(&conf, 300, false, false, true, true), DF_LEVER_RECLAIM_NODE);
}

/* The thin sampler on a root whose /proc/kpageflags and /proc/kpagecgroup
 * hold the captured blocks at their own pfns (sparse files; the holes read
 * as pages with no flags, which reclaim cannot free). */
static void test_sample_zone_on_capture(void) {
        char tmpl[] = "/tmp/defragd-test-reclaim.XXXXXX", path[600], cmd[300];
        const char *root = mkdtemp(tmpl);
        struct capture c;
        struct df_reclaim_sample s, ref = { 0 };
        uint64_t start = 1048576, end = 0;
        FILE *ff, *fc;

        CHECK(root != NULL);
        if (!root)
                return;
        load_capture("live-6.18-fragmented", &c);
        snprintf(path, sizeof(path), "%s/proc", root);
        CHECK_INT(mkdir(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/proc/kpageflags", root);
        ff = fopen(path, "we");
        snprintf(path, sizeof(path), "%s/proc/kpagecgroup", root);
        fc = fopen(path, "we");
        CHECK(ff && fc);
        if (!ff || !fc)
                return;
        for (size_t i = 0; i < c.n; i++) {
                struct df_block_sample b;

                CHECK_INT(fseeko(ff, (off_t) (c.pfn[i] * 8), SEEK_SET), 0);
                CHECK_INT(fseeko(fc, (off_t) (c.pfn[i] * 8), SEEK_SET), 0);
                CHECK_U64(fwrite(c.flags + i * BLOCK, 8, BLOCK, ff), BLOCK);
                CHECK_U64(fwrite(c.cg + i * BLOCK, 8, BLOCK, fc), BLOCK);
                if (c.pfn[i] + BLOCK > end)
                        end = c.pfn[i] + BLOCK;
                df_block_classify(c.pfn[i], c.flags + i * BLOCK, BLOCK, &b);
                df_reclaim_sample_offer(&ref, &b, false, 8);
        }
        fclose(ff);
        fclose(fc);
        /* Every block of the zone: the same cheapest blocks as offering the capture alone. */
        CHECK_INT(df_reclaim_sample_zone(root, start, end - start, BLOCK, end - start, 0, false, 8, &s), 0);
        CHECK_U64(s.blocks_sampled, (end - start) / BLOCK);
        CHECK_U64(s.pages_read, end - start);
        CHECK_U64(s.n_cheap, ref.n_cheap);
        for (size_t i = 0; i < s.n_cheap && i < ref.n_cheap; i++)
                CHECK_U64(df_block_reclaim_cost(&s.cheap[i], false), df_block_reclaim_cost(&ref.cheap[i], false));
        CHECK(s.n_inodes > 0);
        /* Bounded: 16 blocks per tick whatever the zone's size. */
        CHECK_INT(df_reclaim_sample_zone(root, start, end - start, BLOCK, 16 * BLOCK, 3, false, 8, &s), 0);
        CHECK_U64(s.blocks_sampled, 16);
        CHECK_U64(s.pages_read, 16 * BLOCK);
        /* No kpageflags: an error, not a crash. */
        CHECK(df_reclaim_sample_zone("/nonexistent", start, end - start, BLOCK, 16 * BLOCK, 0, false, 8, &s) < 0);
        free_capture(&c);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        CHECK_INT(system(cmd), 0);
}

/* The daemon's sample: the blocks of the planner's view cheapest to free
 * with reclaim, from its per-block counts alone. */
static void test_cheap_blocks_from_view(void) {
        struct df_block_stats blocks[7] = { 0 };
        struct df_plan_zone zone = { .node = 0, .name = "Normal", .watched = true, .first_block_pfn = 0x10000,
                                     .n_blocks = 7, .blocks = blocks };
        struct df_plan_view v = { .block_order = 9, .n_zones = 1, .zones = &zone };
        struct df_reclaim_block_ref out[4];
        uint64_t now = 10 * MIN_USEC;
        size_t n;

        for (size_t i = 0; i < 7; i++)
                blocks[i].read_usec = now - MIN_USEC;
        /* 0: 400 free, 112 clean file: reclaim alone empties it */
        blocks[0].pages[DF_PAGE_FREE] = 400, blocks[0].pages[DF_PAGE_FILE_CLEAN] = 112;
        /* 1: 500 free, 10 file, 2 anon: compaction moves 2 after */
        blocks[1].pages[DF_PAGE_FREE] = 500, blocks[1].pages[DF_PAGE_FILE_CLEAN] = 10, blocks[1].pages[DF_PAGE_ANON] = 2;
        /* 2: one slab page: neither can empty it */
        blocks[2].pages[DF_PAGE_FREE] = 501, blocks[2].pages[DF_PAGE_FILE_CLEAN] = 10, blocks[2].pages[DF_PAGE_SLAB] = 1;
        /* 3: all free: nothing to gain */
        blocks[3].pages[DF_PAGE_FREE] = 512;
        /* 4: 500 free, 12 file: reclaim alone, fewer pages than 0 */
        blocks[4].pages[DF_PAGE_FREE] = 500, blocks[4].pages[DF_PAGE_FILE_CLEAN] = 12;
        /* 5: anon only: nothing for swappiness=0 */
        blocks[5].pages[DF_PAGE_FREE] = 412, blocks[5].pages[DF_PAGE_ANON] = 100;
        /* 6: like 4, but read long ago */
        blocks[6] = blocks[4];
        blocks[6].read_usec = 1;

        n = df_reclaim_cheap_blocks(&v, false, 5 * MIN_USEC, now, 4, out);
        CHECK_U64(n, 3);
        CHECK_U64(out[0].start_pfn, 0x10000 + 4 * 512);
        CHECK_U64(out[0].leftover_pages, 0);
        CHECK_U64(out[0].reclaim_pages, 12);
        CHECK_U64(out[1].start_pfn, 0x10000);
        CHECK_U64(out[2].start_pfn, 0x10000 + 512);
        CHECK_U64(out[2].leftover_pages, 2);
        /* any age: block 6 too; keep 2 keeps the two cheapest */
        n = df_reclaim_cheap_blocks(&v, false, 0, now, 2, out);
        CHECK_U64(n, 2);
        CHECK_U64(out[0].start_pfn, 0x10000 + 4 * 512);
        CHECK_U64(out[1].start_pfn, 0x10000 + 6 * 512);
        /* AllowAnon=yes: block 1 is emptied by reclaim alone, block 5 becomes one */
        n = df_reclaim_cheap_blocks(&v, true, 5 * MIN_USEC, now, 4, out);
        CHECK_U64(n, 4);
        CHECK_U64(out[0].start_pfn, 0x10000 + 512);      /* 12 to reclaim, 0 left */
        CHECK_U64(out[1].start_pfn, 0x10000 + 4 * 512);  /* 12, 0, higher pfn */
        CHECK_U64(out[2].start_pfn, 0x10000 + 5 * 512);  /* 100 to reclaim, before block 0 (112) */
        /* an unwatched zone gives nothing */
        zone.watched = false;
        CHECK_U64(df_reclaim_cheap_blocks(&v, false, 0, now, 4, out), 0);
}

/* The pick's owner filter (the reason the guest's aim saw 0 pages: the
 * zone's cheapest blocks held the test runner's and the root's cache). */
static void test_candidate_owners(void) {
        struct df_reclaim_cgroup all[5] = {
                { .path = "/", .inode = 1 },
                { .path = "/system.slice", .inode = 2 },
                { .path = "/system.slice/a.service", .inode = 10 },
                { .path = "/system.slice/a.service/sub", .inode = 11 },
                { .path = "/system.slice/ab.service", .inode = 12 }, /* a prefix, not below */
        };
        struct df_reclaim_cgroup cands[1] = { { .path = "/system.slice/a.service", .inode = 10 } };
        const uint64_t FILE = DF_KPF_BIT(DF_KPF_LRU), ANON = DF_KPF_BIT(DF_KPF_LRU) | DF_KPF_BIT(DF_KPF_ANON);
        const uint64_t FREE = DF_KPF_BIT(DF_KPF_BUDDY), DIRTY = FILE | DF_KPF_BIT(DF_KPF_DIRTY);
        uint64_t flags[8] = { FILE, FILE, FILE, ANON, FREE, DIRTY, FILE, ANON };
        uint64_t cg[8] = { 1, 12, 2, 10, 0, 10, 0, 11 };
        uint64_t inodes[5];
        size_t n;

        n = df_reclaim_candidate_inodes(all, 5, cands, 1, inodes, 5);
        CHECK_U64(n, 2);
        CHECK_U64(inodes[0], 10);
        CHECK_U64(inodes[1], 11);
        CHECK_U64(df_reclaim_candidate_inodes(all, 5, cands, 1, inodes, 1), 1); /* bounded */
        /* clean file of others only; the candidate's anon (no AllowAnon) and dirty page do not count */
        CHECK_U64(df_reclaim_block_candidate_pages(flags, cg, 8, inodes, 2, false), 0);
        CHECK_U64(df_reclaim_block_candidate_pages(flags, cg, 8, inodes, 2, true), 2);
        cg[6] = 11; /* a clean file page of the candidate's child */
        CHECK_U64(df_reclaim_block_candidate_pages(flags, cg, 8, inodes, 2, false), 1);
        CHECK_U64(df_reclaim_block_candidate_pages(flags, cg, 8, inodes, 0, false), 0);
        /* the root as the candidate: everything below */
        cands[0] = all[0];
        CHECK_U64(df_reclaim_candidate_inodes(all, 5, cands, 1, inodes, 5), 5);
}

static void read_back(const char *root, const char *rel, char *buf, size_t size) {
        char path[1024];

        snprintf(path, sizeof(path), "%s%s", root, rel);
        if (df_knob_read(path, buf, size) < 0)
                snprintf(buf, size, "(unreadable)");
}

/* The node lever's gate: vm.min_unmapped_ratio lowered for the write with
 * its original recorded in the state file first, then put back and the
 * record gone; empty (-1) leaves the knob alone. A fixture root. */
static void test_node_gate(void) {
        char tmpl[] = "/tmp/defragd-test-gate.XXXXXX", state[600], v[64], cmd[300];
        const char *root = mkdtemp(tmpl);
        struct df_knobs *k = NULL;
        struct df_error err = { "" };
        FILE *f;

        CHECK(root != NULL);
        if (!root)
                return;
        put(root, "/proc/sys/vm/min_unmapped_ratio", "1\n");
        put(root, "/run/.keep", "");
        snprintf(state, sizeof(state), "%s/run/knobs.state", root);
        CHECK_INT(df_knobs_new(state, root, &k), 0);
        CHECK_INT(df_reclaim_node_gate_open(k, 0, &err), 0);
        read_back(root, DF_RECLAIM_NODE_GATE_KNOB, v, sizeof(v));
        CHECK_STR(v, "0");
        f = fopen(state, "re");
        CHECK(f != NULL);
        if (f) {
                char line[256] = "";

                CHECK(fgets(line, sizeof(line), f) != NULL);
                CHECK_STR(line, "/proc/sys/vm/min_unmapped_ratio\t1\n");
                fclose(f);
        }
        CHECK_INT(df_reclaim_node_gate_close(k, &err), 0);
        read_back(root, DF_RECLAIM_NODE_GATE_KNOB, v, sizeof(v));
        CHECK_STR(v, "1");
        CHECK(access(state, F_OK) < 0);
        /* Empty: nothing written, nothing recorded; closing is a no-op. */
        CHECK_INT(df_reclaim_node_gate_open(k, -1, &err), 0);
        read_back(root, DF_RECLAIM_NODE_GATE_KNOB, v, sizeof(v));
        CHECK_STR(v, "1");
        CHECK(access(state, F_OK) < 0);
        CHECK_INT(df_reclaim_node_gate_close(k, &err), 0);
        /* Already at the value: no change, no record. */
        put(root, "/proc/sys/vm/min_unmapped_ratio", "0\n");
        CHECK_INT(df_reclaim_node_gate_open(k, 0, &err), 0);
        CHECK(access(state, F_OK) < 0);
        /* No such knob (a kernel without CONFIG_NUMA): an error that names it. */
        snprintf(cmd, sizeof(cmd), "rm -f '%s/proc/sys/vm/min_unmapped_ratio'", root);
        CHECK_INT(system(cmd), 0);
        CHECK(df_reclaim_node_gate_open(k, 0, &err) < 0);
        CHECK(strstr(err.msg, "/proc/sys/vm/min_unmapped_ratio") != NULL);
        df_knobs_free(k);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        CHECK_INT(system(cmd), 0);
}

int main(void) {
        RUN(test_node_gate);
        RUN(test_classify_capture);
        RUN(test_rank_capture);
        RUN(test_rank_ties);
        RUN(test_memory_stat);
        RUN(test_patterns);
        RUN(test_exclusions);
        RUN(test_amount_and_budget);
        RUN(test_guard);
        RUN(test_refault_backoff);
        RUN(test_sample_blocks);
        RUN(test_request_text);
        RUN(test_choose);
        RUN(test_rung);
        RUN(test_sample_zone_on_capture);
        RUN(test_cheap_blocks_from_view);
        RUN(test_candidate_owners);
        RUN(test_probe_v1_host);
        RUN(test_probe_and_read_v2);
        return tp_finish();
}
