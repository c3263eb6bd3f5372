/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The offlining rung on the live kernel (root; takes the machine lock):
 * fragment, plan, clear the cheapest memory block through the lever in a
 * forked child; the gain and pgmigrate_success match the plan; a block with an
 * unmovable page gets EBUSY fast and is not planned again; a SIGKILLed owner
 * of an offline block is repaired by `defragd --restore-knobs`; every memory
 * block is online at the end. `--bench` also measures (docs/planner.md). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "defragd/knobs.h"
#include "defragd/lever-offline.h"
#include "defragd/plan-source.h"
#include "defragd/plan.h"
#include "defragd/procfs.h"
#include "defragd/snapshot.h"
#include "defragd/util.h"
#include "../unit/test-util.h"

#define LOCK_PATH "/tmp/defragd-machine.lock"
#define PROACTIVENESS "/proc/sys/vm/compaction_proactiveness"
#define MEMDIR "/sys/devices/system/memory"

static const char *fragmenter, *defragd;
static pid_t frag_pid = -1;
static char runtime[] = "/tmp/defragd-offline-rung.XXXXXX";
static char state_file[256];
static char orig_proactiveness[32];
static bool bench;
static uint64_t frag_mib;
static const char *const watched[] = { "Normal", NULL };

/* Every block we may have offlined is in state_file: online them all. */
static void cleanup(void) {
        struct df_error err = { "" };

        if (state_file[0] && df_knobs_recover_memblocks(state_file, "", "test cleanup", &err) < 0)
                fprintf(stderr, "cleanup: %s\n", err.msg);
        if (frag_pid > 0) {
                kill(frag_pid, SIGTERM);
                waitpid(frag_pid, NULL, 0);
                frag_pid = -1;
        }
        if (orig_proactiveness[0])
                df_write_file(PROACTIVENESS, orig_proactiveness);
}

static void on_signal(int sig) {
        cleanup();
        signal(sig, SIG_DFL);
        raise(sig);
}

static const char *df_outcome_name(enum df_action_outcome o) {
        static const char *const names[_DF_OUTCOME_MAX] = { "done", "partial", "contended", "busy", "failed",
                                                             "interrupted", "timeout", "dry-run" };
        return o < _DF_OUTCOME_MAX ? names[o] : "?";
}

static unsigned count_offline_blocks(void) {
        _cleanup_free_ struct df_memblock_info *mb = NULL;
        uint64_t pages;
        bool hot;
        size_t n;
        unsigned off = 0;

        if (df_memblocks_read("", &mb, &n, &pages, &hot, NULL) < 0)
                return 0;
        for (size_t i = 0; i < n; i++)
                off += !mb[i].online;
        return off;
}

/* Free 2 MiB blocks (order >= 9, counted in order-9 units) of node 0 Normal. */
static uint64_t free_order9(void) {
        struct df_snapshot s;
        const struct df_zone *z;
        uint64_t n = 0;

        df_snapshot_init(&s);
        if (df_read_buddyinfo("", &s, NULL) == 0 && (z = df_snapshot_zone_const(&s, 0, "Normal")))
                for (int o = 9; o < z->nr_orders; o++)
                        n += z->free_blocks[o] << (o - 9);
        df_snapshot_clear(&s);
        return n;
}

static uint64_t vmstat(const char *name) {
        struct df_vmstat v = { 0 };
        uint64_t x = 0;

        df_read_vmstat("", &v, NULL);
        df_vmstat_get(&v, name, &x);
        df_vmstat_clear(&v);
        return x;
}

static unsigned kernel_page_dumps(void) {
        FILE *f = popen("dmesg 2>/dev/null | grep -c 'page dumped because'", "r");
        unsigned n = 0;

        if (f) {
                if (fscanf(f, "%u", &n) != 1)
                        n = 0;
                pclose(f);
        }
        return n;
}

static void start_fragmenter(void) {
        char size[32], line[256];
        int p[2];
        FILE *f;

        snprintf(size, sizeof(size), "%" PRIu64 "M", frag_mib);
        if (pipe(p) < 0)
                exit(1);
        frag_pid = fork();
        if (frag_pid == 0) {
                dup2(p[1], STDOUT_FILENO);
                close(p[0]);
                execl(fragmenter, fragmenter, "--fill-huge", "--size", size, "--keep-one-in", "8", "--seed", "5", "--hold",
                      (char *) NULL);
                _exit(127);
        }
        close(p[1]);
        f = fdopen(p[0], "r");
        while (f && fgets(line, sizeof(line), f)) {
                fprintf(stderr, "fragmenter: %s", line);
                if (strncmp(line, "FRAGMENTED", 10) == 0)
                        return; /* keep the pipe open: it holds until SIGTERM */
        }
        fprintf(stderr, "fragmenter did not report FRAGMENTED\n");
        cleanup();
        exit(1);
}

/* Aligned 2 MiB blocks of [pfn, pfn + n) whose every page is free now. */
static uint64_t free_blocks_in(uint64_t pfn, uint64_t n) {
        _cleanup_free_ uint64_t *flags = malloc(n * sizeof(uint64_t));
        struct df_kpageflags k;
        uint64_t free_blocks = 0;

        if (!flags || df_kpageflags_open(&k, "", false, NULL) < 0)
                return 0;
        if (df_kpageflags_read(&k, pfn, n, flags, NULL, NULL) == 0)
                for (uint64_t b = 0; b + 512 <= n; b += 512) {
                        uint64_t i;

                        for (i = 0; i < 512 && ((flags[b + i] >> DF_KPF_BUDDY) & 1); i++)
                                ;
                        free_blocks += i == 512;
                }
        df_kpageflags_close(&k);
        return free_blocks;
}

static int plan_now(struct df_plan_view *v, struct df_plan *p, uint64_t want, uint64_t now) {
        struct df_snapshot s;
        struct df_kpageflags k;
        struct df_error err = { "" };
        struct df_plan_request req = { .granularity = DF_PLAN_MEMBLOCK, .want_blocks = want, .now_usec = now };
        size_t z;

        df_snapshot_init(&s);
        if (df_read_zoneinfo("", &s, &err) < 0 || df_kpageflags_open(&k, "", false, &err) < 0) {
                fprintf(stderr, "plan: %s\n", err.msg);
                return -1;
        }
        if (v->n_zones == 0) {
                if (df_plan_view_init(v, &s, 9, watched, &err) < 0)
                        return -1;
        } else
                df_plan_view_update_zones(v, &s);
        df_snapshot_clear(&s);
        if (df_plan_view_read_memblocks(v, "", &err) < 0 || df_plan_scan_all(v, &k, 1u << 15, now, &err) < 0) {
                fprintf(stderr, "plan: %s\n", err.msg);
                df_kpageflags_close(&k);
                return -1;
        }
        df_kpageflags_close(&k);
        for (z = 0; z < v->n_zones; z++)
                if (v->zones[z].node == 0 && strcmp(v->zones[z].name, "Normal") == 0)
                        break;
        return df_plan_choose(v, z, &req, p);
}

/* The lever in a forked child, as the manager runs it. */
static int run_lever_child(const struct df_action *a, struct df_action_result *res) {
        struct df_lever_env env = { .root = "", .runtime_dir = runtime };
        int p[2], status;
        pid_t pid;

        if (pipe(p) < 0)
                return -errno;
        pid = fork();
        if (pid == 0) {
                char reason[256];
                void *st = NULL;
                struct df_action_result r = { 0 };

                close(p[0]);
                if (df_lever_offline_ops.open(&env, &st, reason, sizeof(reason)) < 0) {
                        r.outcome = DF_OUTCOME_FAILED;
                        snprintf(r.detail, sizeof(r.detail), "open: %.140s", reason);
                } else {
                        df_lever_offline_ops.run(&env, st, a, &r);
                        df_lever_offline_ops.close(st);
                }
                if (write(p[1], &r, sizeof(r)) != sizeof(r))
                        _exit(2);
                _exit(0);
        }
        close(p[1]);
        memset(res, 0, sizeof(*res));
        if (read(p[0], res, sizeof(*res)) != sizeof(*res))
                res->outcome = DF_OUTCOME_FAILED;
        close(p[0]);
        waitpid(pid, &status, 0);
        return 0;
}

static struct df_plan_view view;
static unsigned n_skipped;
static struct df_plan *plan;
static uint64_t cleared_pages, cleared_usec, cleared_gain, cleared_blocks, planned_pages, planned_gain;

static void test_clear_cheapest(void) {
        const struct df_plan_candidate *c = NULL;
        struct df_action a = { .lever = DF_LEVER_CLEAR_OFFLINE };
        struct df_action_result r;
        uint64_t before, after, slack, moved_slack, block_free;
        unsigned rounds = bench ? 8 : 1;

        for (unsigned round = 0; round < rounds; round++) {
                /* every candidate, cheapest per block first */
                ASSERT_EQ_INT(plan_now(&view, plan, UINT64_C(1) << 30, df_now_usec()), 0);
                c = NULL;
                /* A block whose every used page has a telling flag: the kernel
                 * prints a page dump for each refusal, so no guessing here. */
                for (size_t i = 0; i < plan->n_chosen && !c; i++)
                        if (plan->chosen[i].unknown_pages == 0)
                                c = &plan->chosen[i];
                if (!c) {
                        fprintf(stderr, "SKIP: no memory block in Normal is clearable without unknown pages right now\n");
                        n_skipped++;
                        return;
                }
                fprintf(stderr, "plan: memory%" PRId64 " cost %" PRIu64 " pages, gain %" PRIu64 " blocks; %" PRIu64 " candidates\n",
                        c->memory_block, c->cost_pages, c->gain_blocks, plan->candidates);
                df_plan_fill_action(&view, c, &a);
                ASSERT_EQ_INT(a.lever, DF_LEVER_CLEAR_OFFLINE);
                before = free_order9();
                ASSERT_EQ_INT(run_lever_child(&a, &r), 0);
                after = free_order9();
                fprintf(stderr, "lever: %s, %s, moved %" PRIu64 " pages in %" PRIu64 " us, free 2 MiB blocks %" PRIu64 " -> %" PRIu64 "\n",
                        df_outcome_name(r.outcome), r.detail, r.pages_moved, r.duration_usec, before, after);
                ASSERT_EQ_INT(r.outcome, DF_OUTCOME_DONE);
                ASSERT_EQ_U64(count_offline_blocks(), 0);
                ASSERT_TRUE(access(state_file, F_OK) < 0); /* record forgotten after onlining */
                /* The promise is about the block: its aligned blocks are free
                 * now (a few may be taken again at once: fresh free memory). */
                block_free = free_blocks_in(c->start_pfn, c->nr_pages);
                fprintf(stderr, "memory%" PRId64 ": %" PRIu64 " of %" PRIu64 " aligned blocks free after clearing\n",
                        c->memory_block, block_free, c->nr_pages / 512);
                ASSERT_TRUE(block_free * 10 >= (c->nr_pages / 512) * 9);
                /* The zone as a whole gained at least that, less what the
                 * moved pages took (each 512 moved may break one free block
                 * elsewhere). More is possible and says nothing: offlining
                 * drains every CPU's free lists, other tenants free memory. */
                slack = 4 + c->cost_pages / 512;
                ASSERT_TRUE(after + slack >= before + c->gain_blocks - (c->nr_pages / 512 - block_free));
                moved_slack = 64 + c->cost_pages / 20;
                ASSERT_TRUE(r.pages_moved + moved_slack >= c->cost_pages);
                ASSERT_TRUE(r.pages_moved <= c->cost_pages + moved_slack);
                cleared_pages += r.pages_moved;
                cleared_usec += r.duration_usec;
                cleared_gain += after > before ? after - before : 0;
                cleared_blocks++;
                planned_pages += c->cost_pages;
                planned_gain += c->gain_blocks;
                df_plan_memblock_outcome(&view, c->memory_block, r.error, df_now_usec());
        }
}

/* A block with a slab page: EBUSY, quickly, one page dump, and then the
 * planner does not offer it again (ten planning rounds). */
static void test_unmovable_busy(void) {
        struct df_action a = { .lever = DF_LEVER_CLEAR_OFFLINE };
        struct df_action_result r;
        struct df_plan_request req = { .granularity = DF_PLAN_MEMBLOCK, .want_blocks = 1 << 20, .allow_hypervisor = false };
        int64_t victim = -1;
        size_t vi = 0, z = 0;
        unsigned dumps0, dumps1;
        char why[256];

        ASSERT_EQ_INT(plan_now(&view, plan, 64, df_now_usec()), 0);
        /* the most slab pages and no unknown page: the test forces the lever
         * on a block the planner refuses, as a stale plan would. (A block
         * whose one slab page was freed meanwhile and which held 63 unknown
         * pages was not refused: the kernel retried until the timer.) */
        for (int pass = 0; pass < 2 && victim < 0; pass++)
                for (size_t i = 0, best = 0; i < view.n_memblocks; i++) {
                        struct df_block_stats st;
                        char w[256];

                        if (!df_plan_memblock_stats(&view, i, &z, &st) || st.pages[DF_PAGE_SLAB] < 8 ||
                            df_block_stats_blocking_pages(&st) != st.pages[DF_PAGE_SLAB] ||
                            (pass == 0 && st.pages[DF_PAGE_UNKNOWN] > 0) || st.pages[DF_PAGE_SLAB] <= best)
                                continue;
                        if (!df_memblock_offline_safe(view.memblocks, view.n_memblocks, i, view.zones[z].nr_free_pages,
                                                      view.zones[z].wmark_high_pages, false, w, sizeof(w)))
                                continue;
                        best = st.pages[DF_PAGE_SLAB];
                        victim = view.memblocks[i].id;
                        vi = i;
                }
        if (victim < 0) {
                fprintf(stderr, "SKIP: no online Normal block with only slab pages blocking\n");
                n_skipped++;
                return;
        }
        a.target.node = 0;
        snprintf(a.target.zone, sizeof(a.target.zone), "Normal");
        a.target.memory_block = victim;
        a.target.start_pfn = view.memblocks[vi].start_pfn;
        a.target.nr_pages = view.memblocks[vi].nr_pages;
        dumps0 = kernel_page_dumps();
        ASSERT_EQ_INT(run_lever_child(&a, &r), 0);
        dumps1 = kernel_page_dumps();
        fprintf(stderr, "unmovable: memory%" PRId64 ": %s, %s, %" PRIu64 " us, %u page dump(s)\n", victim,
                df_outcome_name(r.outcome), r.detail, r.duration_usec, dumps1 - dumps0);
        ASSERT_EQ_INT(r.outcome, DF_OUTCOME_BUSY);
        ASSERT_EQ_INT(r.error, -EBUSY);
        ASSERT_TRUE(r.duration_usec < DF_OFFLINE_TIMEOUT_USEC / 2);
        ASSERT_EQ_U64(count_offline_blocks(), 0);
        ASSERT_TRUE(dumps1 - dumps0 <= 2);
        df_plan_memblock_outcome(&view, victim, r.error, df_now_usec());
        for (int tick = 0; tick < 10; tick++) {
                req.now_usec = df_now_usec() + (uint64_t) tick * USEC_PER_SEC;
                ASSERT_TRUE(!df_plan_memblock_allowed(&view, vi, &req, why, sizeof(why)));
                ASSERT_EQ_INT(plan_now(&view, plan, 1 << 20, req.now_usec), 0);
                for (size_t i = 0; i < plan->n_chosen; i++)
                        ASSERT_TRUE(plan->chosen[i].memory_block != victim);
        }
        ASSERT_CONTAINS(why, "memory");
}

/* SIGKILL between offline and online (the lever's own steps: record, then
 * offline), then `defragd --restore-knobs`: online again, record gone. */
static void test_sigkill_restore(void) {
        const struct df_plan_candidate *c = NULL;
        char cmd[1024], path[256], buf[64];
        int p[2], status;
        pid_t pid;
        char ok;

        ASSERT_EQ_INT(plan_now(&view, plan, UINT64_C(1) << 30, df_now_usec()), 0);
        for (size_t i = 0; i < plan->n_chosen && !c; i++)
                if (plan->chosen[i].unknown_pages == 0)
                        c = &plan->chosen[i];
        if (!c) {
                fprintf(stderr, "SKIP: no clearable block for the SIGKILL test\n");
                n_skipped++;
                return;
        }
        ASSERT_TRUE(pipe(p) == 0);
        pid = fork();
        if (pid == 0) {
                char sp[256];

                close(p[0]);
                snprintf(sp, sizeof(sp), MEMDIR "/memory%" PRId64 "/state", c->memory_block);
                if (df_knobs_memblock_record(state_file, c->memory_block, "online_kernel", NULL) < 0 ||
                    df_write_file(sp, "offline") < 0)
                        _exit(1);
                if (write(p[1], "x", 1) != 1)
                        _exit(1);
                pause();
                _exit(0);
        }
        close(p[1]);
        if (read(p[0], &ok, 1) != 1) {
                close(p[0]);
                waitpid(pid, NULL, 0);
                TEST_FAIL_("the child could not offline memory%" PRId64, c->memory_block);
        }
        close(p[0]);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        ASSERT_TRUE(WIFSIGNALED(status));
        snprintf(path, sizeof(path), MEMDIR "/memory%" PRId64 "/state", c->memory_block);
        ASSERT_TRUE(df_knob_read(path, buf, sizeof(buf)) == 0);
        ASSERT_STREQ(buf, "offline");
        snprintf(cmd, sizeof(cmd), "%s --restore-knobs --runtime-dir %s", defragd, runtime);
        ASSERT_EQ_INT(system(cmd), 0);
        ASSERT_TRUE(df_knob_read(path, buf, sizeof(buf)) == 0);
        ASSERT_STREQ(buf, "online");
        ASSERT_TRUE(access(state_file, F_OK) < 0);
        snprintf(path, sizeof(path), MEMDIR "/memory%" PRId64 "/valid_zones", c->memory_block);
        ASSERT_TRUE(df_knob_read(path, buf, sizeof(buf)) == 0);
        ASSERT_STREQ(buf, "Normal");
}

/* Whole-node compaction on the same (still fragmented) state, for the docs. */
static void bench_compaction(void) {
        uint64_t before, m0, t0, t1, after, moved;
        size_t z;

        /* the planner's bound on this state, at 2 MiB granularity */
        for (uint64_t want = 64; want <= 16384; want *= 4) {
                struct df_plan_request req = { .granularity = DF_PLAN_BLOCK, .want_blocks = want, .now_usec = df_now_usec() };

                if (plan_now(&view, plan, 64, req.now_usec) < 0)
                        return;
                for (z = 0; z < view.n_zones && strcmp(view.zones[z].name, "Normal"); z++)
                        ;
                df_plan_choose(&view, z, &req, plan);
                fprintf(stderr, "BENCH bound: %" PRIu64 " more free 2 MiB blocks need at least %" PRIu64 " pages moved (%.1f per block; %" PRIu64 " reachable)\n",
                        want, plan->bound_pages, plan->bound_blocks ? (double) plan->bound_pages / (double) plan->bound_blocks : 0.0,
                        plan->bound_blocks);
        }
        before = free_order9();
        m0 = vmstat("pgmigrate_success");
        t0 = df_now_usec();

        for (int run = 0; run < 2; run++) {
                if (run == 1) {
                        /* on 6.18 node compaction stops at the first large page-cache
                         * folio it cannot place (docs/kernel-notes.md): drop clean
                         * cache, as test-daemon-compacts.sh does, and try again */
                        sync();
                        df_write_file("/proc/sys/vm/drop_caches", "1");
                        before = free_order9();
                        m0 = vmstat("pgmigrate_success");
                        t0 = df_now_usec();
                }
                df_write_file("/sys/devices/system/node/node0/compact", "1");
                t1 = df_now_usec();
                after = free_order9();
                moved = vmstat("pgmigrate_success") - m0;
                fprintf(stderr, "BENCH compaction%s: %" PRIu64 " ms, %+" PRId64 " free 2 MiB blocks, %" PRIu64
                        " pages migrated, %.1f pages/block, %.0f blocks/s\n", run ? " after drop_caches" : "",
                        (t1 - t0) / USEC_PER_MSEC, (int64_t) (after - before), moved,
                        after > before ? (double) moved / (double) (after - before) : 0.0,
                        after > before ? (double) (after - before) * 1e6 / (double) (t1 - t0) : 0.0);
        }
}

static void bench_planner_cost(void) {
        struct df_kpageflags k;
        struct df_plan_view v = { 0 };
        struct df_snapshot s;
        struct df_error err = { "" };
        uint64_t t0, full, slice_total = 0, n_slices = 0;
        static const char *const all[] = { "DMA32", "Normal", "Movable", NULL };

        df_snapshot_init(&s);
        if (df_read_zoneinfo("", &s, &err) < 0 || df_plan_view_init(&v, &s, 9, all, &err) < 0 ||
            df_plan_view_read_memblocks(&v, "", &err) < 0 || df_kpageflags_open(&k, "", false, &err) < 0)
                return;
        t0 = df_now_usec();
        df_plan_scan_all(&v, &k, 1u << 15, t0, &err);
        full = df_now_usec() - t0;
        for (int i = 0; i < 50; i++) {
                uint64_t t = df_now_usec();

                df_plan_refresh(&v, &k, 1u << 15, NULL, t, &err);
                slice_total += df_now_usec() - t;
                n_slices++;
        }
        fprintf(stderr, "BENCH planner: full scan %" PRIu64 " ms; per tick (32768 pages per zone) %" PRIu64 " us\n",
                full / USEC_PER_MSEC, slice_total / n_slices);
        df_kpageflags_close(&k);
        df_plan_view_clear(&v);
        df_snapshot_clear(&s);
}

int main(int argc, char **argv) {
        uint64_t free_kb = 0;
        unsigned offline_at_start;
        int lock_fd, ret;
        FILE *f;

        if (argc < 3) {
                fprintf(stderr, "usage: %s FRAGMENTER DEFRAGD [--bench]\n", argv[0]);
                return 2;
        }
        fragmenter = argv[1];
        defragd = argv[2];
        bench = argc > 3 && strcmp(argv[3], "--bench") == 0;
        if (geteuid() != 0)
                TEST_SKIP("needs root: offlines memory blocks, reads /proc/kpageflags");
        if (access(MEMDIR "/block_size_bytes", R_OK) < 0)
                TEST_SKIP("no %s (kernel without memory hotplug)", MEMDIR);
        {
                char reason[256];
                void *st = NULL;
                struct df_lever_env env = { .root = "", .runtime_dir = "/tmp" };

                if (df_lever_offline_ops.open(&env, &st, reason, sizeof(reason)) < 0)
                        TEST_SKIP("offlining rung absent: %s", reason);
                df_lever_offline_ops.close(st);
        }
        /* The caller may hold it already (a whole kernel-suite run). */
        lock_fd = getenv("DEFRAGD_MACHINE_LOCK_HELD") ? -2 : open(LOCK_PATH, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (lock_fd == -1 || (lock_fd >= 0 && flock(lock_fd, LOCK_EX) < 0)) {
                fprintf(stderr, "%s: %s\n", LOCK_PATH, strerror(errno));
                return 1;
        }
        offline_at_start = count_offline_blocks();
        if (offline_at_start)
                TEST_SKIP("%u memory block(s) already offline: not ours to judge", offline_at_start);
        if (!mkdtemp(runtime))
                return 1;
        snprintf(state_file, sizeof(state_file), "%s/" DF_KNOBS_STATE_FILE, runtime);
        atexit(cleanup);
        signal(SIGTERM, on_signal);
        signal(SIGINT, on_signal);
        /* kcompactd's proactive runs would move pages meanwhile */
        if (df_knob_read(PROACTIVENESS, orig_proactiveness, sizeof(orig_proactiveness)) == 0)
                df_write_file(PROACTIVENESS, "0");

        f = fopen("/proc/meminfo", "re");
        if (f) {
                char line[128];
                while (fgets(line, sizeof(line), f))
                        if (sscanf(line, "MemFree: %" SCNu64, &free_kb) == 1)
                                break;
                fclose(f);
        }
        if (free_kb / 1024 < 4096)
                TEST_SKIP("only %" PRIu64 " MiB free; wants 4 GiB", free_kb / 1024);
        /* all free memory but 1.5 GiB is faulted; one page in 8 is kept */
        frag_mib = (free_kb / 1024 - 1536) / 2 * 2;
        if (!bench && frag_mib > 4096)
                frag_mib = 4096;
        plan = malloc(sizeof(*plan));
        start_fragmenter();

        RUN_TEST(test_sigkill_restore);
        RUN_TEST(test_clear_cheapest);
        RUN_TEST(test_unmovable_busy);
        if (cleared_blocks)
                fprintf(stderr, "BENCH offline rung: %" PRIu64 " blocks cleared, +%" PRIu64 " free 2 MiB blocks (planned %" PRIu64
                        "), %" PRIu64 " pages migrated (planned %" PRIu64 "), %.1f pages/block gained, %.0f blocks/s, %" PRIu64 " ms\n",
                        cleared_blocks, cleared_gain, planned_gain, cleared_pages, planned_pages,
                        cleared_gain ? (double) cleared_pages / (double) cleared_gain : 0.0,
                        cleared_usec ? (double) cleared_gain * 1e6 / (double) cleared_usec : 0.0, cleared_usec / USEC_PER_MSEC);
        if (bench) {
                bench_compaction();
                bench_planner_cost();
        }
        cleanup();
        if (count_offline_blocks() != 0) {
                fprintf(stderr, "FAIL: %u memory block(s) left offline\n", count_offline_blocks());
                test_n_failed++;
        }
        df_plan_view_clear(&view);
        free(plan);
        {
                char lock[300];

                snprintf(lock, sizeof(lock), "%s.lock", state_file);
                unlink(lock);
                rmdir(runtime);
        }
        ret = test_summary();
        if (ret == 0 && n_skipped == test_n_run) {
                fprintf(stderr, "SKIP: every test lacked a suitable block\n");
                ret = 77;
        }
        if (lock_fd >= 0)
                close(lock_fd);
        return ret;
}
