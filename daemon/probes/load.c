/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Loading the collector: bpf/defragd.bpf.c through its skeleton, each probe
 * checked against the kernel's BTF, attached where this kernel allows. */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "defragd/util.h"
#include "probes-internal.h"

#if HAVE_BPF_SKEL
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
#include "bpf/defragd.skel.h"
#pragma GCC diagnostic pop
#endif

_Static_assert(DF_BPF_MAX_ORDERS == DF_MAX_ORDERS, "bpf/defragd.h and snapshot.h disagree on orders");
_Static_assert(DF_BPF_MAX_MIGRATETYPES == DF_MAX_MIGRATETYPES, "bpf/defragd.h and snapshot.h disagree on migratetypes");

#define BTF_VMLINUX_PATH "/sys/kernel/btf/vmlinux"
/* What the kernel uses when pagetypeinfo cannot tell us: HPAGE_PMD_ORDER on x86-64. */
#define DEFAULT_PAGEBLOCK_ORDER 9

static bool libbpf_verbose;

#if HAVE_BPF_SKEL
static char libbpf_last_warning[160];

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap) {
        va_list aq;

        /* keep the last warning: it usually says why loading failed */
        if (level == LIBBPF_WARN) {
                va_copy(aq, ap);
                vsnprintf(libbpf_last_warning, sizeof(libbpf_last_warning), fmt, aq);
                va_end(aq);
                libbpf_last_warning[strcspn(libbpf_last_warning, "\n")] = 0;
        }
        if (!libbpf_verbose)
                return 0;
        return vfprintf(stderr, fmt, ap);
}
#endif

void df_probes_set_libbpf_verbose(bool verbose) {
        libbpf_verbose = verbose;
}

#if HAVE_BPF_SKEL

static void append_missing(struct df_probes_status *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append_missing(struct df_probes_status *st, const char *fmt, ...) {
        size_t len = strlen(st->missing);
        va_list ap;

        if (len + 2 >= sizeof(st->missing))
                return;
        if (len > 0) {
                strcpy(st->missing + len, ", ");
                len += 2;
        }
        va_start(ap, fmt);
        vsnprintf(st->missing + len, sizeof(st->missing) - len, fmt, ap);
        va_end(ap);
        st->n_missing++;
}

/* What each probe reads of its tracepoint's TP_PROTO (bpf/defragd.bpf.c), one
 * letter per argument up to the last one read: 'p' pointer, 'i' 32-bit and
 * 'l' 64-bit integer or enum, 'b' bool. "" reads none: only that the
 * tracepoint exists is checked. */
static const struct {
        const char *tp;
        const char *args;
} probe_protos[] = {
        { "mm_page_alloc", "piii" },                    /* page, order, gfp_flags, migratetype */
        { "mm_page_alloc_extfrag", "piiii" },           /* page, alloc_order, fallback_order, alloc_mt, fallback_mt */
        { "mm_compaction_begin", "" },
        { "mm_compaction_end", "pllbi" },               /* cc, zone_start, zone_end, sync, status */
        { "mm_compaction_try_to_compact_pages", "i" },  /* order */
        { "mm_vmscan_direct_reclaim_begin", "i" },      /* order */
        { "mm_vmscan_direct_reclaim_end", "" },
};

/* Open the skeleton and leave out each probe whose tracepoint this kernel
 * lacks or declares with other arguments than the probe reads. */
static struct defragd_bpf *open_skel(struct df_probes *p, const struct btf *btf) {
        struct df_probes_status *st = &p->status;
        struct defragd_bpf *skel;

        st->missing[0] = 0;
        st->n_missing = 0;
        skel = defragd_bpf__open();
        if (!skel)
                return NULL;
        skel->rodata->pageblock_order = p->pageblock_order;
        skel->rodata->trigger_min_order = p->conf.trigger_min_order;
        skel->rodata->trigger_min_interval_ns = p->conf.trigger_min_interval_usec * NSEC_PER_USEC;
        skel->rodata->report_stall_ns = p->conf.report_stall_usec * NSEC_PER_USEC;

        for (int i = 0; i < skel->skeleton->prog_cnt; i++) {
                struct bpf_program *prog = *skel->skeleton->progs[i].prog;
                const char *sec = bpf_program__section_name(prog), *tp = sec + strlen("raw_tp/"), *want = NULL;
                char got[32];
                int r;

                assert(strncmp(sec, "raw_tp/", strlen("raw_tp/")) == 0);
                for (size_t j = 0; j < ELEMENTSOF(probe_protos); j++)
                        if (strcmp(probe_protos[j].tp, tp) == 0)
                                want = probe_protos[j].args;
                assert(want); /* every program has its row in probe_protos */
                r = want ? df_probes_check_tp_proto(btf, tp, want, got, sizeof(got)) : -EPROTO;
                if (r == -ENOENT)
                        append_missing(st, "%s (absent)", tp);
                else if (r < 0)
                        append_missing(st, "%s (TP_PROTO differs: arguments %s, probe reads %s)", tp,
                                       want && got[0] ? got : "?", want ? want : "?");
                if (r < 0)
                        bpf_program__set_autoload(prog, false);
        }
        return skel;
}

static bool load_failed(struct df_probes_status *st, int r) {
        int e = -r;

        if (e == EPERM || e == EACCES)
                snprintf(st->reason, sizeof(st->reason),
                         "loading BPF was refused (%s): needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN",
                         strerror(e));
        else
                snprintf(st->reason, sizeof(st->reason), "loading BPF failed: %s%s%s",
                         strerror(e), libbpf_last_warning[0] ? ": " : "", libbpf_last_warning);
        return e == EPERM || e == EACCES;
}

void df_probes_load_and_attach(struct df_probes *p) {
        struct df_probes_status *st = &p->status;
        struct defragd_bpf *skel;
        struct btf *btf;
        int r;

        if (access(BTF_VMLINUX_PATH, R_OK) < 0) {
                snprintf(st->reason, sizeof(st->reason),
                         "no BTF at %s (%s): the probes are CO-RE and need CONFIG_DEBUG_INFO_BTF=y",
                         BTF_VMLINUX_PATH, strerror(errno));
                return;
        }
        libbpf_set_print(libbpf_print);
        libbpf_last_warning[0] = 0;
        btf = btf__parse(BTF_VMLINUX_PATH, NULL);
        if (!btf) {
                snprintf(st->reason, sizeof(st->reason), "cannot read the kernel's BTF from %s: %s",
                         BTF_VMLINUX_PATH, strerror(errno));
                return;
        }
        skel = open_skel(p, btf);
        btf__free(btf);
        if (!skel) {
                snprintf(st->reason, sizeof(st->reason), "opening the BPF object failed: %s%s%s",
                         strerror(errno), libbpf_last_warning[0] ? ": " : "", libbpf_last_warning);
                return;
        }
        p->skel = skel;
        r = defragd_bpf__load(skel);
        if (r < 0) {
                (void) load_failed(st, r);
                return;
        }

        /* Raw tracepoints attach with BPF_RAW_TRACEPOINT_OPEN: CAP_BPF +
         * CAP_PERFMON at any perf_event_paranoid, no tracefs, no perf event. */
        for (int i = 0; i < skel->skeleton->prog_cnt; i++) {
                struct bpf_program *prog = *skel->skeleton->progs[i].prog;
                struct bpf_link **link = skel->skeleton->progs[i].link;
                const char *sec = bpf_program__section_name(prog);

                if (!bpf_program__autoload(prog))
                        continue;
                *link = bpf_program__attach(prog);
                if (!*link) {
                        int e = errno;

                        *link = NULL;
                        if (e == EPERM || e == EACCES) {
                                snprintf(st->reason, sizeof(st->reason),
                                         "attaching %s was refused (%s): needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN",
                                         sec, strerror(e));
                                return;
                        }
                        if (e == ENOENT)
                                append_missing(st, "%s (absent)", sec + strlen("raw_tp/"));
                        else
                                append_missing(st, "%s (attach: %s)", sec + strlen("raw_tp/"), strerror(e));
                        continue;
                }
                if (prog == skel->progs.df_page_alloc)
                        snprintf(st->alloc_probe, sizeof(st->alloc_probe), "%s", sec);
                st->n_attached++;
        }
        if (st->n_attached == 0) {
                snprintf(st->reason, sizeof(st->reason), "no tracepoint could be attached: %.440s", st->missing);
                return;
        }

        p->rb = ring_buffer__new(bpf_map__fd(skel->maps.events), df_probes_ring_event, p, NULL);
        if (!p->rb) {
                snprintf(st->reason, sizeof(st->reason), "ring buffer setup failed: %s", strerror(errno));
                return;
        }
        p->n_cpus = libbpf_num_possible_cpus();
        if (p->n_cpus <= 0) {
                snprintf(st->reason, sizeof(st->reason), "cannot count possible CPUs: %s", strerror(-p->n_cpus));
                return;
        }
        st->reason[0] = 0;
        st->loaded = true;
}

void df_probes_unload(struct df_probes *p) {
        ring_buffer__free(p->rb);
        p->rb = NULL;
        defragd_bpf__destroy(p->skel);
        p->skel = NULL;
}

#endif /* HAVE_BPF_SKEL */

/* Page block order and migratetype names from the snapshot's pagetypeinfo
 * (read through the source reader, so --root holds); the kernel's enum
 * depends on CONFIG_CMA and friends, so nothing is hard-coded but the
 * fallback when pagetypeinfo was not readable. */
static void set_layout(struct df_probes *p, const struct df_snapshot *layout) {
        static const char *const fallback[] = { "Unmovable", "Movable", "Reclaimable", "HighAtomic" };

        p->pageblock_order = layout ? layout->pageblock_order : -1;
        if (p->pageblock_order < 0 || p->pageblock_order >= DF_MAX_ORDERS)
                p->pageblock_order = DEFAULT_PAGEBLOCK_ORDER; /* shown in the JSON */
        if (layout && layout->nr_migratetypes > 0) {
                p->n_migratetypes = layout->nr_migratetypes;
                memcpy(p->migratetype_names, layout->migratetype_names, sizeof(p->migratetype_names));
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(fallback); i++)
                snprintf(p->migratetype_names[i], DF_NAME_MAX, "%s", fallback[i]);
        p->n_migratetypes = ELEMENTSOF(fallback);
}

int df_probes_open(const struct df_probes_conf *conf, const struct df_snapshot *layout, struct df_probes **ret) {
        struct df_probes *p;

        assert(conf && ret);
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->conf = *conf;
        p->status.last_event_order = -1;
        set_layout(p, layout);

        if (!conf->enabled)
                snprintf(p->status.reason, sizeof(p->status.reason), "disabled in the configuration ([Probes] Enable=no)");
        else {
#if HAVE_BPF_SKEL
                df_probes_load_and_attach(p);
                if (!p->status.loaded)
                        df_probes_unload(p);
#else
                snprintf(p->status.reason, sizeof(p->status.reason),
                         "built without BPF support (meson option bpf, clang, bpftool or build-time BTF missing)");
#endif
        }
        *ret = p;
        return 0;
}

void df_probes_free(struct df_probes *p) {
        if (!p)
                return;
#if HAVE_BPF_SKEL
        df_probes_unload(p);
#endif
        free(p);
}

const struct df_probes_status *df_probes_status(const struct df_probes *p) {
        return &p->status;
}

int df_probes_ring_fd(const struct df_probes *p) {
#if HAVE_BPF_SKEL
        if (p && p->status.loaded && p->rb)
                return ring_buffer__epoll_fd(p->rb);
#endif
        return -1;
}
