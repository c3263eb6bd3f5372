/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup v2 memory.reclaim of one cgroup: "BYTES swappiness=0" unless
 * AllowAnon=; what it took is the cgroup's pgsteal delta (memory.stat). */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "defragd/fault.h"
#include "defragd/lever.h"
#include "defragd/memcg.h"
#include "defragd/reclaim.h"
#include "defragd/util.h"

static int cgroup_open(const struct df_lever_env *env, void **state, char *reason, size_t reason_size) {
        _cleanup_free_ struct df_reclaim_lever_state *st = NULL;
        char path[DF_CGROUP_PATH_MAX + 32];
        int r;

        assert(env);
        assert(state);
        assert(reason);
        st = calloc(1, sizeof(*st));
        if (!st)
                return -ENOMEM;
        r = df_memcg_probe(env->root ? env->root : "", st->cgroup2_mount, sizeof(st->cgroup2_mount), reason, reason_size);
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "%s/memory.reclaim", st->cgroup2_mount);
        if (access(path, F_OK) < 0) {
                r = -errno;
                snprintf(reason, reason_size, "no %s: memory.reclaim needs kernel 5.19 or later", path);
                return r;
        }
        /* Probing writes nothing: a lever is opened whether or not it is
         * enabled. Whether the kernel takes swappiness= (6.11+) is learned
         * from the first reclaim's answer (EINVAL: it does not). */
        if (access(path, W_OK) < 0) {
                r = -errno;
                snprintf(reason, reason_size, "%s: not writable (%s)", path, strerror(-r));
                return r;
        }
        st->swappiness_arg = -1;
        *state = st;
        st = NULL;
        return 0;
}

/* A target path must stay inside the mount. */
static bool path_ok(const char *p) {
        char why[128];

        return p[0] == '/' && p[1] != 0 && df_reclaim_pattern_check(p, why, sizeof(why)) == 0;
}

static int read_pgsteal(const char *dir, uint64_t *ret) {
        char path[DF_CGROUP_PATH_MAX + 300], buf[8192];
        struct df_memcg_counters k;
        _cleanup_fclose_ FILE *f = NULL;
        size_t n;

        snprintf(path, sizeof(path), "%s/memory.stat", dir);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = 0;
        df_memcg_parse_stat(buf, NULL, &k);
        *ret = k.pgsteal;
        return 0;
}

static int cgroup_run(const struct df_lever_env *env, void *state, const struct df_action *a, struct df_action_result *r) {
        const struct df_reclaim_lever_state *st = state;
        char dir[DF_CGROUP_PATH_MAX * 2], path[sizeof(dir) + 32], req[64];
        uint64_t before = 0, after = 0, start;
        long page_bytes = sysconf(_SC_PAGESIZE);
        bool swappiness0;
        int e, rb, ra;

        assert(env);
        assert(st);
        assert(a);
        assert(r);
        r->lever = DF_LEVER_RECLAIM_CGROUP;
        r->node = a->target.node;
        if (!path_ok(a->target.cgroup)) {
                snprintf(r->detail, sizeof(r->detail), "cgroup \"%.100s\": not a path below the cgroup2 mount",
                         a->target.cgroup);
                r->outcome = DF_OUTCOME_FAILED;
                return r->error = -EINVAL;
        }
        snprintf(dir, sizeof(dir), "%s%s", st->cgroup2_mount, a->target.cgroup);
        snprintf(path, sizeof(path), "%s/memory.reclaim", dir);
        swappiness0 = !st->allow_anon;
        df_reclaim_request_format(a->amount, swappiness0, req, sizeof(req));
        snprintf(r->detail, sizeof(r->detail), "%.100s <- \"%.32s\"", path, req);
        if (a->dry_run) {
                r->outcome = DF_OUTCOME_DRY_RUN;
                return r->error = 0;
        }
        if (a->amount == 0) {
                r->outcome = DF_OUTCOME_FAILED;
                return r->error = -EINVAL;
        }
        rb = read_pgsteal(dir, &before);
        if (rb == -ENOENT) {
                snprintf(r->detail, sizeof(r->detail), "%.120s: the cgroup vanished", dir);
                r->outcome = DF_OUTCOME_FAILED;
                return r->error = -ENOENT;
        }
        df_fault_point("reclaim-cgroup-before-write");
        start = df_now_usec();
        e = df_write_file(path, req);
        r->duration_usec = df_now_usec() - start;
        ra = read_pgsteal(dir, &after);
        if (rb == 0 && ra == 0 && after > before && page_bytes > 0)
                r->amount_done = (after - before) * (uint64_t) page_bytes;
        if (e == -EINVAL && swappiness0) {
                /* Before 6.11 memory.reclaim refuses any argument (the whole
                 * write: nothing was reclaimed); without swappiness=0 it would
                 * take anonymous memory too, which AllowAnon=no forbids. */
                snprintf(r->detail, sizeof(r->detail), "%.60s: the kernel does not take swappiness= (before 6.11) "
                         "and AllowAnon=no; not reclaiming", path);
                e = -EOPNOTSUPP;
        } else if (e == -EAGAIN)
                snprintf(r->detail, sizeof(r->detail), "%.90s <- \"%.32s\": EAGAIN, less than asked", path, req);
        else if (e == -ENOENT)
                snprintf(r->detail, sizeof(r->detail), "%.120s: the cgroup vanished", dir);
        r->error = e == -EAGAIN ? 0 : e;
        r->outcome = e == 0 ? DF_OUTCOME_DONE : e == -EAGAIN ? DF_OUTCOME_PARTIAL : DF_OUTCOME_FAILED;
        return r->error;
}

static void cgroup_close(void *state) {
        free(state);
}

const struct df_lever_ops df_lever_reclaim_cgroup = {
        .kind = DF_LEVER_RECLAIM_CGROUP,
        .open = cgroup_open,
        .run = cgroup_run,
        .close = cgroup_close,
};
