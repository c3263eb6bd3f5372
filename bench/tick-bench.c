/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tick-bench: what one monitoring tick costs (read + parse procfs, model,
 * policy), over fixture trees of 1, 8 and 64 NUMA nodes; medians of many ticks. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "defragd/conf.h"
#include "defragd/model.h"
#include "defragd/policy.h"
#include "defragd/procfs.h"
#include "defragd/util.h"

static uint64_t now_nsec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, unsigned n) {
        qsort(v, n, sizeof *v, cmp_u64);
        return v[n / 2];
}

static int bench_root(const char *root, unsigned iterations) {
        _cleanup_free_ uint64_t *t_read = calloc(iterations, sizeof(uint64_t));
        _cleanup_free_ uint64_t *t_model = calloc(iterations, sizeof(uint64_t));
        _cleanup_free_ uint64_t *t_policy = calloc(iterations, sizeof(uint64_t));
        _cleanup_free_ uint64_t *t_total = calloc(iterations, sizeof(uint64_t));
        _cleanup_free_ struct df_policy_state *st = malloc(sizeof *st);
        _cleanup_free_ struct df_decision *d = malloc(sizeof *d);
        struct df_config c;
        struct df_snapshot s;
        struct df_error err = { .msg = "" };
        unsigned n_nodes = 0, n_zones = 0;
        int64_t sink = 0;

        if (!t_read || !t_model || !t_policy || !t_total || !st || !d)
                return -ENOMEM;
        df_config_defaults(&c);
        df_policy_state_init(st);
        df_snapshot_init(&s);
        for (unsigned i = 0; i < iterations; i++) {
                uint64_t t0, t1, t2, t3;
                int last_node = -1;
                int r;

                t0 = now_nsec();
                r = df_snapshot_read_procfs(root, t0 / 1000, &s, &err);
                if (r < 0) {
                        fprintf(stderr, "tick-bench: %s: %s\n", root, err.msg);
                        df_snapshot_clear(&s);
                        return r;
                }
                t1 = now_nsec();
                n_nodes = n_zones = 0;
                for (size_t z = 0; z < s.n_zones; z++) {
                        struct df_zone_model m;

                        df_zone_model_compute(&s.zones[z], &m);
                        sink += m.unusable_index[9 < m.nr_orders ? 9 : 0];
                        n_zones++;
                        if (s.zones[z].node != last_node) {
                                last_node = s.zones[z].node;
                                sink += df_node_compaction_score(&s, last_node, 9);
                                n_nodes++;
                        }
                }
                t2 = now_nsec();
                df_policy_decide(&c, &s, NULL, t2 / 1000, st, d);
                sink += d->n_actions;
                t3 = now_nsec();
                t_read[i] = t1 - t0;
                t_model[i] = t2 - t1;
                t_policy[i] = t3 - t2;
                t_total[i] = t3 - t0;
        }
        df_snapshot_clear(&s);
        printf("TICK root=%s nodes=%u zones=%u iterations=%u read_parse_nsec=%" PRIu64 " model_nsec=%" PRIu64
               " policy_nsec=%" PRIu64 " total_nsec=%" PRIu64 " sink=%" PRId64 "\n",
               root, n_nodes, n_zones, iterations, median(t_read, iterations), median(t_model, iterations),
               median(t_policy, iterations), median(t_total, iterations), sink & 1);
        return n_zones > 0 ? 0 : -ENODATA;
}

int main(int argc, char **argv) {
        uint64_t iterations;
        int ret = 0;

        if (argc < 3 || df_parse_u64(argv[1], &iterations) < 0 || iterations == 0 || iterations > 10000000) {
                fprintf(stderr, "usage: tick-bench ITERATIONS ROOT...; ITERATIONS '%s' accepted: 1..10000000; ROOT: a directory with proc/buddyinfo\n",
                        argc > 1 ? argv[1] : "");
                return 2;
        }
        for (int i = 2; i < argc; i++)
                if (bench_root(argv[i], (unsigned) iterations) < 0)
                        ret = 1;
        return ret;
}
