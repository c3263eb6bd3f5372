/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Per-node proactive reclaim: "BYTES swappiness=0" into nodeN/reclaim (6.17+).
 * What it took is the pgsteal_proactive delta (the LRU) plus the drop of the
 * node's reclaimable slab; -EAGAIN means less than asked. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "defragd/fault.h"
#include "defragd/knobs.h"
#include "defragd/lever.h"
#include "defragd/procfs.h"
#include "defragd/reclaim.h"
#include "defragd/snapshot.h"
#include "defragd/util.h"

int df_reclaim_read_pgsteal(const char *root, uint64_t *ret_pages) {
        char path[512], key[64];
        unsigned long long v;
        uint64_t proactive = 0, all = 0;
        bool has_proactive = false;
        _cleanup_fclose_ FILE *f = NULL;

        assert(root);
        assert(ret_pages);
        snprintf(path, sizeof(path), "%s/proc/vmstat", root);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fscanf(f, "%63s %llu", key, &v) == 2) {
                if (strcmp(key, "pgsteal_proactive") == 0) {
                        proactive = v;
                        has_proactive = true;
                }
                /* pgsteal_anon/_file split the same pages again by type */
                if (strncmp(key, "pgsteal_", 8) == 0 && strcmp(key, "pgsteal_anon") != 0 && strcmp(key, "pgsteal_file") != 0)
                        all += v;
        }
        *ret_pages = has_proactive ? proactive : all;
        return 0;
}

static void node_path(const char *root, int node, char *buf, size_t size) {
        snprintf(buf, size, "%s/sys/devices/system/node/node%d/reclaim", root, node);
}

/* The node's vmstat has /proc/vmstat's format: the procfs parser reads it. */
int df_reclaim_read_node_slab(const char *root, int node, uint64_t *ret_pages) {
        _cleanup_free_ char *text = NULL;
        struct df_vmstat vs = { 0 };
        struct df_error err;
        char path[512];
        int r;

        assert(root);
        assert(ret_pages);
        snprintf(path, sizeof(path), "%s/sys/devices/system/node/node%d/vmstat", root, node);
        r = df_read_file(path, &text, NULL, &err);
        if (r >= 0)
                r = df_parse_vmstat(text, path, &vs, &err);
        if (r >= 0)
                r = df_vmstat_get(&vs, "nr_slab_reclaimable", ret_pages) ? 0 : -ENOENT;
        df_vmstat_clear(&vs);
        return r;
}

int df_reclaim_node_gate_open(struct df_knobs *k, int ratio, struct df_error *err) {
        char value[16];

        assert(k);
        if (ratio < 0)
                return 0; /* NodeReclaimMinUnmappedRatio= empty: the kernel's value stays */
        snprintf(value, sizeof(value), "%d", ratio);
        return df_knobs_set(k, DF_RECLAIM_NODE_GATE_KNOB, value,
                            "node reclaim: nodeN/reclaim does nothing while the node's unmapped page cache is under "
                            "this share, not even shrink slab",
                            err);
}

int df_reclaim_node_gate_close(struct df_knobs *k, struct df_error *err) {
        assert(k);
        if (!df_knobs_is_changed(k, DF_RECLAIM_NODE_GATE_KNOB))
                return 0;
        return df_knobs_restore(k, DF_RECLAIM_NODE_GATE_KNOB, "node reclaim done", err);
}

static int node_open(const struct df_lever_env *env, void **state, char *reason, size_t reason_size) {
        struct df_reclaim_lever_state *st;
        char path[512];
        const char *root;

        assert(env);
        assert(state);
        assert(reason);
        root = env->root ? env->root : "";
        node_path(root, 0, path, sizeof(path));
        if (access(path, F_OK) < 0) {
                int e = errno;

                snprintf(reason, reason_size, "no %s: per-node proactive reclaim needs kernel 6.17 or later", path);
                return -e;
        }
        if (access(path, W_OK) < 0) {
                int e = errno;

                snprintf(reason, reason_size, "%s: not writable (%s)", path, strerror(e));
                return -e;
        }
        st = calloc(1, sizeof(*st));
        if (!st)
                return -ENOMEM;
        st->swappiness_arg = 1; /* the node file came with the swappiness= syntax */
        *state = st;
        return 0;
}

static int node_run(const struct df_lever_env *env, void *state, const struct df_action *a, struct df_action_result *r) {
        const struct df_reclaim_lever_state *st = state;
        const char *root;
        char path[512], req[64];
        uint64_t before = 0, after = 0, slab_before = 0, slab_after = 0, slab_pages = 0, start;
        long page_bytes = sysconf(_SC_PAGESIZE);
        int e, rb, ra, sb, sa;

        assert(env);
        assert(a);
        assert(r);
        root = env->root ? env->root : "";
        r->lever = DF_LEVER_RECLAIM_NODE;
        r->node = a->target.node;
        node_path(root, a->target.node, path, sizeof(path));
        df_reclaim_request_format(a->amount, !(st && st->allow_anon), req, sizeof(req));
        snprintf(r->detail, sizeof(r->detail), "%.100s <- \"%.32s\"", path, req);
        if (a->dry_run) {
                r->outcome = DF_OUTCOME_DRY_RUN;
                return r->error = 0;
        }
        if (a->amount == 0 || a->target.node < 0) {
                r->outcome = DF_OUTCOME_FAILED;
                return r->error = -EINVAL;
        }
        rb = df_reclaim_read_pgsteal(root, &before);
        sb = df_reclaim_read_node_slab(root, a->target.node, &slab_before);
        df_fault_point("reclaim-node-before-write");
        start = df_now_usec();
        e = df_write_file(path, req);
        r->duration_usec = df_now_usec() - start;
        ra = df_reclaim_read_pgsteal(root, &after);
        sa = df_reclaim_read_node_slab(root, a->target.node, &slab_after);
        if (rb == 0 && ra == 0 && after > before && page_bytes > 0)
                r->amount_done = (after - before) * (uint64_t) page_bytes;
        /* The shrinkers' share: what the node's reclaimable slab shrank by
         * (others allocate meanwhile, so a lower bound; 0 if it grew). */
        if (sb == 0 && sa == 0 && slab_before > slab_after && page_bytes > 0) {
                slab_pages = slab_before - slab_after;
                r->slab_bytes = slab_pages * (uint64_t) page_bytes;
                r->amount_done += r->slab_bytes;
        }
        /* EAGAIN: the kernel reclaimed less than asked; not an error, a partial result. */
        if (e == -EAGAIN)
                snprintf(r->detail, sizeof(r->detail), "%.90s <- \"%.32s\": EAGAIN, less than asked", path, req);
        if (sb == 0 && sa == 0) {
                size_t l = strlen(r->detail);

                snprintf(r->detail + l, sizeof(r->detail) - l, "; slab -%.1f MiB",
                         (double) slab_pages * (double) page_bytes / (1 << 20));
        }
        r->error = e == -EAGAIN ? 0 : e;
        r->outcome = e == 0 ? DF_OUTCOME_DONE : e == -EAGAIN ? DF_OUTCOME_PARTIAL : DF_OUTCOME_FAILED;
        return r->error;
}

static void reclaim_close(void *state) {
        free(state);
}

void df_reclaim_lever_set_allow_anon(void *state, bool allow_anon) {
        struct df_reclaim_lever_state *st = state;

        if (st)
                st->allow_anon = allow_anon;
}

const struct df_lever_ops df_lever_reclaim_node = {
        .kind = DF_LEVER_RECLAIM_NODE,
        .open = node_open,
        .run = node_run,
        .close = reclaim_close,
};
