/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The raw-tracepoint prototype check (df_probes_check_tp_proto) on BTF built
 * here the way include/trace/bpf_probe.h declares btf_trace_<name>. */
#include <errno.h>
#include <bpf/btf.h>

#include "defragd/probes.h"
#include "defragd/util.h"
#include "test-util.h"

struct fixture {
        struct btf *btf;
        int t_int, t_uint, t_ulong, t_bool, t_gfp, t_page_ptr, t_cc_ptr, t_void_ptr;
};

/* typedef void (*btf_trace_<name>)(void *, args...); */
static int add_trace(struct fixture *f, const char *name, const int *args, size_t n) {
        char tname[128];
        int proto, ptr;

        proto = btf__add_func_proto(f->btf, 0);
        if (proto < 0 || btf__add_func_param(f->btf, "__data", f->t_void_ptr) < 0)
                return -1;
        for (size_t i = 0; i < n; i++)
                if (btf__add_func_param(f->btf, "", args[i]) < 0)
                        return -1;
        ptr = btf__add_ptr(f->btf, proto);
        snprintf(tname, sizeof(tname), "btf_trace_%s", name);
        return ptr < 0 ? -1 : btf__add_typedef(f->btf, tname, ptr);
}

/* The prototypes of Linux 6.18 (include/trace/events/kmem.h, compaction.h;
 * the same as `bpftool btf dump file /sys/kernel/btf/vmlinux` shows there)
 * and mm_compaction_end as older kernels declared it, before struct
 * compact_control became its first argument (zone_start, migrate_pfn,
 * free_pfn, zone_end, sync, status). */
static int fixture_init(struct fixture *f) {
        f->btf = btf__new_empty();
        if (!f->btf)
                return -1;
        f->t_int = btf__add_int(f->btf, "int", 4, BTF_INT_SIGNED);
        f->t_uint = btf__add_int(f->btf, "unsigned int", 4, 0);
        f->t_ulong = btf__add_int(f->btf, "long unsigned int", 8, 0);
        f->t_bool = btf__add_int(f->btf, "_Bool", 1, BTF_INT_BOOL);
        f->t_gfp = btf__add_typedef(f->btf, "gfp_t", f->t_uint);
        f->t_page_ptr = btf__add_ptr(f->btf, btf__add_fwd(f->btf, "page", BTF_FWD_STRUCT));
        f->t_cc_ptr = btf__add_ptr(f->btf, btf__add_fwd(f->btf, "compact_control", BTF_FWD_STRUCT));
        f->t_void_ptr = btf__add_ptr(f->btf, 0);

        const int page_alloc[] = { f->t_page_ptr, f->t_uint, f->t_gfp, f->t_int };
        const int compaction_end[] = { f->t_cc_ptr, f->t_ulong, f->t_ulong, f->t_bool, f->t_int };
        const int try_to_compact[] = { f->t_int, f->t_gfp, f->t_int };
        const int old_compaction_end[] = { f->t_ulong, f->t_ulong, f->t_ulong, f->t_ulong, f->t_bool, f->t_int };
        if (add_trace(f, "mm_page_alloc", page_alloc, ELEMENTSOF(page_alloc)) < 0 ||
            add_trace(f, "mm_compaction_end", compaction_end, ELEMENTSOF(compaction_end)) < 0 ||
            add_trace(f, "mm_compaction_try_to_compact_pages", try_to_compact, ELEMENTSOF(try_to_compact)) < 0 ||
            add_trace(f, "old_mm_compaction_end", old_compaction_end, ELEMENTSOF(old_compaction_end)) < 0)
                return -1;
        /* not a function pointer: what a tracepoint typedef never is */
        return btf__add_typedef(f->btf, "btf_trace_odd", f->t_int) < 0 ? -1 : 0;
}

static struct fixture fx;

static void test_match(void) {
        char got[16];

        ASSERT_EQ_INT(df_probes_check_tp_proto(fx.btf, "mm_page_alloc", "piii", got, sizeof(got)), 0);
        ASSERT_STREQ(got, "piii");
        ASSERT_EQ_INT(df_probes_check_tp_proto(fx.btf, "mm_compaction_end", "pllbi", got, sizeof(got)), 0);
        ASSERT_STREQ(got, "pllbi");
        /* a prefix is enough: arguments after the last one read do not matter */
        ASSERT_EQ_INT(df_probes_check_tp_proto(fx.btf, "mm_compaction_try_to_compact_pages", "i", got, sizeof(got)), 0);
        ASSERT_STREQ(got, "iii");
        ASSERT_EQ_INT(df_probes_check_tp_proto(fx.btf, "mm_compaction_end", "....i", got, sizeof(got)), 0);
        /* "" checks only that the tracepoint exists */
        ASSERT_EQ_INT(df_probes_check_tp_proto(fx.btf, "mm_page_alloc", "", got, sizeof(got)), 0);
}

static void test_mismatch(void) {
        char got[16];

        /* status moved from argument 5 to 4 when cc came in: caught */
        ASSERT_EQ_INT(df_probes_check_tp_proto(fx.btf, "old_mm_compaction_end", "pllbi", got, sizeof(got)), -EPROTO);
        ASSERT_STREQ(got, "llllbi");
        ASSERT_EQ_INT(df_probes_check_tp_proto(fx.btf, "mm_page_alloc", "iiii", got, sizeof(got)), -EPROTO);
        /* more arguments read than declared */
        ASSERT_EQ_INT(df_probes_check_tp_proto(fx.btf, "mm_page_alloc", "piiii", got, sizeof(got)), -EPROTO);
        ASSERT_STREQ(got, "piii");
        ASSERT_EQ_INT(df_probes_check_tp_proto(fx.btf, "odd", "", got, sizeof(got)), -EPROTO);
        /* got is cut to its size, still terminated */
        ASSERT_EQ_INT(df_probes_check_tp_proto(fx.btf, "mm_compaction_end", "pllbi", got, 3), 0);
        ASSERT_STREQ(got, "pl");
}

static void test_absent(void) {
        char got[16] = "x";

        ASSERT_EQ_INT(df_probes_check_tp_proto(fx.btf, "mm_vmscan_direct_reclaim_begin", "i", got, sizeof(got)), -ENOENT);
        ASSERT_STREQ(got, "");
}

int main(void) {
        int r;

        if (fixture_init(&fx) < 0) {
                fprintf(stderr, "building the BTF fixture failed\n");
                return EXIT_FAILURE;
        }
        RUN_TEST(test_match);
        RUN_TEST(test_mismatch);
        RUN_TEST(test_absent);
        r = test_summary();
        btf__free(fx.btf);
        return r;
}
