/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The BPF collector: loads bpf/defragd.bpf.c through its skeleton, attaches
 * what this kernel offers, sums per-CPU counters and drains the ring buffer. */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <syslog.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf/bpf-config.h"
#include "defragd/probes.h"
#include "defragd/report.h"
#include "defragd/util.h"

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
#define CGROUP_WALK_MAX_DEPTH 32

struct df_probes {
        struct df_probes_status status;
        struct df_probes_conf conf;
        int pageblock_order;
        int n_cpus;
        int n_migratetypes;
        char migratetype_names[DF_MAX_MIGRATETYPES][DF_NAME_MAX];
#if HAVE_BPF_SKEL
        struct defragd_bpf *skel;
        struct ring_buffer *rb;
#endif
        /* last two collects, for rates */
        struct df_bpf_counters cur, prev;
        uint64_t cur_usec, prev_usec;

        /* consume() state */
        bool pending_trigger;
        bool trigger_unanswered;
        uint64_t trigger_event_ns;      /* kernel timestamp of the event behind the last trigger */

        /* threshold reports */
        uint64_t last_report_usec;
        uint64_t base_fail_atomic[DF_MAX_ORDERS], base_fail_reclaim[DF_MAX_ORDERS];
        uint64_t base_stall_over[DF_STALL_KINDS];
        bool have_base;
        bool reports_off;
        bool have_last_event;
        struct df_bpf_event last_event;
};

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

const char *df_compact_result_to_string(unsigned status) {
        /* enum compact_result, include/linux/compaction.h */
        static const char *const names[] = {
                "not_suitable_zone", "skipped", "deferred", "no_suitable_page", "continue",
                "complete", "partial_skipped", "contended", "success",
        };

        return status < ELEMENTSOF(names) ? names[status] : "unknown";
}

static const char *const stall_kind_names[DF_STALL_KINDS] = {
        [DF_STALL_DIRECT_RECLAIM] = "direct_reclaim",
        [DF_STALL_DIRECT_COMPACT] = "direct_compaction",
        [DF_STALL_COMPACTION_RUN] = "compaction_run",
};

/* Migratetype names in enum order, from the first zone of /proc/pagetypeinfo
 * ("Node 0, zone DMA, type Unmovable ..."); the kernel's enum depends on
 * CONFIG_CMA and friends, so do not hard-code it. */
static void read_migratetype_names(struct df_probes *p) {
        _cleanup_fclose_ FILE *f = fopen("/proc/pagetypeinfo", "re");
        char line[1024], first_zone[96] = "";

        p->n_migratetypes = 0;
        while (f && fgets(line, sizeof(line), f) && p->n_migratetypes < DF_MAX_MIGRATETYPES) {
                char zone[64], type[DF_NAME_MAX];
                int node;

                if (sscanf(line, "Node %d, zone %63[^,], type %23s", &node, zone, type) != 3)
                        continue;
                if (first_zone[0] == 0)
                        snprintf(first_zone, sizeof(first_zone), "%d/%s", node, zone);
                else {
                        char this_zone[96];

                        snprintf(this_zone, sizeof(this_zone), "%d/%s", node, zone);
                        if (strcmp(this_zone, first_zone) != 0)
                                break;
                }
                snprintf(p->migratetype_names[p->n_migratetypes++], DF_NAME_MAX, "%s", type);
        }
        if (p->n_migratetypes == 0) {
                static const char *const fallback[] = { "Unmovable", "Movable", "Reclaimable", "HighAtomic" };

                for (size_t i = 0; i < ELEMENTSOF(fallback); i++)
                        snprintf(p->migratetype_names[i], DF_NAME_MAX, "%s", fallback[i]);
                p->n_migratetypes = ELEMENTSOF(fallback);
        }
}

int df_probes_read_pageblock_order(void) {
        _cleanup_fclose_ FILE *f = fopen("/proc/pagetypeinfo", "re");
        char line[256];
        int order;

        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "Page block order: %d", &order) == 1)
                        return order;
        return -1;
}

/* Raw tracepoints take TP_PROTO's arguments by position, unchecked: a kernel
 * whose prototype differs would feed a probe the wrong values. The kernel's
 * BTF has every prototype as `typedef void (*btf_trace_<name>)(void *, ...)`,
 * so compare the kinds of the arguments a probe reads with what it expects. */
static char proto_letter(const struct btf *btf, __u32 id) {
        const struct btf_type *t = btf__type_by_id(btf, id);

        /* typedef, const, volatile, restrict and type tags name another type */
        while (t && (btf_is_typedef(t) || btf_is_mod(t) || btf_kind(t) == BTF_KIND_TYPE_TAG))
                t = btf__type_by_id(btf, t->type);
        if (!t)
                return '?';
        if (btf_is_ptr(t))
                return 'p';
        if (btf_is_int(t) || btf_is_enum(t) || btf_kind(t) == BTF_KIND_ENUM64)
                switch (t->size) {
                case 1: return 'b';
                case 4: return 'i';
                case 8: return 'l';
                }
        return '?';
}

int df_probes_check_tp_proto(const struct btf *btf, const char *tp, const char *want, char *got, size_t got_size) {
        const struct btf_type *t;
        const struct btf_param *param;
        char name[128];
        size_t n_args, n_want = strlen(want), i;
        int id;

        if (got_size > 0)
                got[0] = 0;
        snprintf(name, sizeof(name), "btf_trace_%s", tp);
        id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
        if (id < 0)
                return -ENOENT;
        t = btf__type_by_id(btf, id);
        t = t ? btf__type_by_id(btf, t->type) : NULL;
        t = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;
        if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 1)
                return -EPROTO; /* not the shape bpf_probe.h gives every tracepoint */
        /* the first parameter is the tracepoint's private data, not an argument */
        n_args = btf_vlen(t) - 1;
        param = btf_params(t) + 1;
        for (i = 0; i < n_args && i + 1 < got_size; i++)
                got[i] = proto_letter(btf, param[i].type);
        if (got_size > 0)
                got[i < got_size ? i : got_size - 1] = 0;
        if (n_args < n_want)
                return -EPROTO;
        for (i = 0; i < n_want; i++)
                if (want[i] != '.' && want[i] != proto_letter(btf, param[i].type))
                        return -EPROTO;
        return 0;
}

#if HAVE_BPF_SKEL

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

static int ring_event(void *ctx, void *data, size_t size) {
        struct df_probes *p = ctx;
        const struct df_bpf_event *e = data;
        uint64_t now_usec = df_now_usec(), lat_usec;

        if (size < sizeof(*e) || e->kind != DF_EV_ALLOC_FAIL)
                return 0;
        p->status.events++;
        p->status.events_ratelimited += e->ratelimited;
        lat_usec = now_usec * NSEC_PER_USEC > e->ts_ns ? (now_usec * NSEC_PER_USEC - e->ts_ns) / NSEC_PER_USEC : 0;
        p->status.last_event_latency_usec = lat_usec;
        if (lat_usec > p->status.max_event_latency_usec)
                p->status.max_event_latency_usec = lat_usec;
        p->last_event = *e;
        p->have_last_event = true;
        p->status.last_event_realtime_usec = df_realtime_usec() - lat_usec;
        p->status.last_event_order = (int) e->order;
        snprintf(p->status.last_event_comm, sizeof(p->status.last_event_comm), "%.*s",
                 (int) strnlen(e->comm, sizeof(e->comm)), e->comm);

        /* kernel timestamps, not ours: a late read must not eat the next event */
        if ((int) e->order >= p->conf.trigger_min_order &&
            (p->trigger_event_ns == 0 || e->ts_ns - p->trigger_event_ns >= p->conf.trigger_min_interval_usec * NSEC_PER_USEC)) {
                p->pending_trigger = true;
                p->trigger_event_ns = e->ts_ns;
        }
        return 0;
}

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

static void load_and_attach(struct df_probes *p) {
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

        p->rb = ring_buffer__new(bpf_map__fd(skel->maps.events), ring_event, p, NULL);
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

#endif /* HAVE_BPF_SKEL */

int df_probes_open(const struct df_probes_conf *conf, int pageblock_order, struct df_probes **ret) {
        struct df_probes *p;

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->conf = *conf;
        p->status.last_event_order = -1;
        p->pageblock_order = pageblock_order;
        if (pageblock_order < 0 || pageblock_order >= DF_MAX_ORDERS)
                p->pageblock_order = DEFAULT_PAGEBLOCK_ORDER; /* shown in dump_json */
        read_migratetype_names(p);

        if (!conf->enabled)
                snprintf(p->status.reason, sizeof(p->status.reason), "disabled in the configuration ([Probes] Enable=no)");
        else {
#if HAVE_BPF_SKEL
                load_and_attach(p);
                if (!p->status.loaded) {
                        ring_buffer__free(p->rb);
                        p->rb = NULL;
                        defragd_bpf__destroy(p->skel);
                        p->skel = NULL;
                }
#else
                snprintf(p->status.reason, sizeof(p->status.reason),
                         "built without BPF support (meson option bpf, clang, bpftool or build-time BTF missing)");
#endif
        }
        *ret = p;
        return 0;
}

void df_probes_evaluation_started(struct df_probes *p) {
        uint64_t now_ns = df_now_usec() * NSEC_PER_USEC, lat_usec;

        if (!p || !p->trigger_unanswered)
                return;
        p->trigger_unanswered = false;
        lat_usec = now_ns > p->trigger_event_ns ? (now_ns - p->trigger_event_ns) / NSEC_PER_USEC : 0;
        p->status.last_trigger_to_policy_usec = lat_usec;
        if (lat_usec > p->status.max_trigger_to_policy_usec)
                p->status.max_trigger_to_policy_usec = lat_usec;
}

void df_probes_free(struct df_probes *p) {
        if (!p)
                return;
#if HAVE_BPF_SKEL
        ring_buffer__free(p->rb);
        defragd_bpf__destroy(p->skel);
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

int df_probes_read_counters(const struct df_probes *p, struct df_bpf_counters *ret) {
#if HAVE_BPF_SKEL
        _cleanup_free_ struct df_bpf_counters *percpu = NULL;
        uint32_t zero = 0;
        const uint64_t *src;
        uint64_t *dst = (uint64_t *) ret;
        size_t n_words = sizeof(*ret) / sizeof(uint64_t);

        _Static_assert(sizeof(struct df_bpf_counters) % sizeof(uint64_t) == 0, "counters are u64 only");
        memset(ret, 0, sizeof(*ret));
        if (!p->status.loaded)
                return -ENODEV;
        percpu = calloc(p->n_cpus, sizeof(*percpu));
        if (!percpu)
                return -ENOMEM;
        if (bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.counters), &zero, percpu) < 0)
                return -errno;
        for (int cpu = 0; cpu < p->n_cpus; cpu++) {
                src = (const uint64_t *) &percpu[cpu];
                for (size_t w = 0; w < n_words; w++)
                        dst[w] += src[w];
        }
        return 0;
#else
        memset(ret, 0, sizeof(*ret));
        return -ENODEV;
#endif
}

/* The longest stall of each kind over all CPUs; with reset, zero them. */
static int read_worst(struct df_probes *p, struct df_bpf_worst worst[DF_STALL_KINDS], bool reset) {
        memset(worst, 0, sizeof(struct df_bpf_worst) * DF_STALL_KINDS);
#if HAVE_BPF_SKEL
        _cleanup_free_ struct df_bpf_worst *percpu = NULL;
        int fd = bpf_map__fd(p->skel->maps.worst);

        percpu = calloc(p->n_cpus, sizeof(*percpu));
        if (!percpu)
                return -ENOMEM;
        for (uint32_t k = 0; k < DF_STALL_KINDS; k++) {
                if (bpf_map_lookup_elem(fd, &k, percpu) < 0)
                        return -errno;
                for (int cpu = 0; cpu < p->n_cpus; cpu++)
                        if (percpu[cpu].duration_ns > worst[k].duration_ns)
                                worst[k] = percpu[cpu];
                if (reset) {
                        /* a stall finishing right now may be lost: it only
                         * feeds the "worst" line of the next report */
                        memset(percpu, 0, sizeof(*percpu) * p->n_cpus);
                        (void) bpf_map_update_elem(fd, &k, percpu, BPF_ANY);
                }
        }
        return 0;
#else
        return -ENODEV;
#endif
}

#if HAVE_BPF_SKEL
static int top_cmp(const void *a, const void *b) {
        const struct df_probes_top *x = a, *y = b;

        if (x->fragmenting != y->fragmenting)
                return x->fragmenting < y->fragmenting ? 1 : -1;
        if (x->fallbacks != y->fallbacks)
                return x->fallbacks < y->fallbacks ? 1 : -1;
        return 0;
}
#endif

int df_probes_read_top(const struct df_probes *p, struct df_probes_top *out, size_t max, size_t *ret_n) {
        *ret_n = 0;
#if HAVE_BPF_SKEL
        _cleanup_free_ struct df_probes_top *all = NULL;
        struct df_bpf_top_key key, next;
        struct df_bpf_top_val val;
        size_t n = 0;
        int fd;

        if (!p->status.loaded)
                return -ENODEV;
        all = calloc(DF_BPF_TOP_MAX, sizeof(*all));
        if (!all)
                return -ENOMEM;
        fd = bpf_map__fd(p->skel->maps.top);
        for (void *prev = NULL; n < DF_BPF_TOP_MAX && bpf_map_get_next_key(fd, prev, &next) == 0; prev = &key) {
                key = next;
                if (bpf_map_lookup_elem(fd, &key, &val) < 0)
                        continue; /* deleted meanwhile */
                all[n].cgroup_id = key.cgroup_id;
                memcpy(all[n].comm, key.comm, DF_BPF_COMM_LEN);
                all[n].comm[DF_BPF_COMM_LEN] = 0;
                all[n].fallbacks = val.fallbacks;
                all[n].fragmenting = val.fragmenting;
                n++;
        }
        qsort(all, n, sizeof(*all), top_cmp);
        if (n > max)
                n = max;
        memcpy(out, all, n * sizeof(*out));
        *ret_n = n;
        return 0;
#else
        return -ENODEV;
#endif
}

/* ---- cgroup id -> path ---- */

static bool cgroup_walk(char *path, size_t size, size_t len, uint64_t id, int depth) {
        DIR *d;
        struct dirent *de;
        bool found = false;

        if (depth > CGROUP_WALK_MAX_DEPTH)
                return false;
        d = opendir(path);
        if (!d)
                return false;
        while (!found && (de = readdir(d))) {
                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                if ((size_t) snprintf(path + len, size - len, "/%s", de->d_name) >= size - len)
                        continue;
                if (de->d_ino == id) {
                        found = true;
                        break;
                }
                found = cgroup_walk(path, size, strlen(path), id, depth + 1);
                if (!found)
                        path[len] = 0;
        }
        closedir(d);
        return found;
}

static bool find_cgroup2_mount(char *buf, size_t size) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mounts", "re");
        char dev[256], dir[512], type[64];

        while (f && fscanf(f, "%255s %511s %63s %*[^\n]", dev, dir, type) == 3)
                if (strcmp(type, "cgroup2") == 0) {
                        snprintf(buf, size, "%s", dir);
                        return true;
                }
        return false;
}

void df_cgroup_path_by_id(uint64_t id, char *buf, size_t size) {
        char root[512], path[4096];
        struct stat st;
        size_t rlen;

        buf[0] = 0;
        if (!find_cgroup2_mount(root, sizeof(root)))
                return;
        if (stat(root, &st) == 0 && (uint64_t) st.st_ino == id) {
                snprintf(buf, size, "/");
                return;
        }
        snprintf(path, sizeof(path), "%s", root);
        rlen = strlen(path);
        if (cgroup_walk(path, sizeof(path), rlen, id, 0))
                snprintf(buf, size, "%s", path + rlen);
}

/* ---- collection and reports ---- */

static uint64_t sum_orders(const uint64_t v[DF_MAX_ORDERS]) {
        uint64_t s = 0;

        for (int o = 0; o < DF_MAX_ORDERS; o++)
                s += v[o];
        return s;
}

int df_probes_collect(struct df_probes *p, struct df_snapshot *s) {
        struct df_probe_counters *pc = &s->probes;
        const struct df_bpf_counters *c;
        int r;

        memset(pc, 0, sizeof(*pc));
        if (!p || !p->status.loaded)
                return 0;
        c = &p->cur;
        p->prev = p->cur;
        p->prev_usec = p->cur_usec;
        r = df_probes_read_counters(p, &p->cur);
        if (r < 0)
                return r;
        p->cur_usec = s->taken_usec ? s->taken_usec : df_now_usec();

        pc->present = true;
        for (int o = 0; o < DF_MAX_ORDERS; o++) {
                pc->alloc[o] = c->alloc[o];
                pc->alloc_fail_atomic[o] = c->alloc_fail_atomic[o];
                pc->alloc_fail_reclaim[o] = c->alloc_fail_reclaim[o];
        }
        for (int a = 0; a < DF_MAX_MIGRATETYPES; a++)
                for (int f = 0; f < DF_MAX_MIGRATETYPES; f++) {
                        pc->extfrag_fallbacks += c->fallback[a][f];
                        pc->extfrag_fragmenting += c->fallback_fragmenting[a][f];
                }
        pc->compaction_runs = c->compaction_begin;
        for (int i = 0; i < DF_COMPACT_RESULTS && i < DF_BPF_COMPACT_RESULTS; i++)
                pc->compaction_result[i] = c->compaction_result[i];
        for (int i = 0; i < DF_BPF_HIST_SLOTS; i++) {
                pc->direct_reclaim_stalls += c->stall_hist[DF_STALL_DIRECT_RECLAIM][i];
                pc->direct_compact_stalls += c->stall_hist[DF_STALL_DIRECT_COMPACT][i];
        }
        pc->direct_reclaim_stall_usec = c->stall_total_ns[DF_STALL_DIRECT_RECLAIM] / NSEC_PER_USEC;
        pc->direct_compact_stall_usec = c->stall_total_ns[DF_STALL_DIRECT_COMPACT] / NSEC_PER_USEC;
        pc->failure_events = p->status.events;

        (void) df_probes_report(p, p->cur_usec);
        return 0;
}

int df_probes_consume(struct df_probes *p, bool *trigger) {
        int r = 0;

        *trigger = false;
#if HAVE_BPF_SKEL
        if (!p || !p->status.loaded)
                return 0;
        r = ring_buffer__consume(p->rb);
        if (r < 0)
                return r;
        if (p->pending_trigger) {
                *trigger = true;
                p->pending_trigger = false;
                p->trigger_unanswered = true;
                p->status.triggers++;
        }
        (void) df_probes_report(p, df_now_usec());
#endif
        return r;
}

static void who(const struct df_probes *p, uint64_t cgroup_id, uint32_t pid, const char *comm, size_t comm_len,
                char *buf, size_t size, char *cg, size_t cg_size) {
        df_cgroup_path_by_id(cgroup_id, cg, cg_size);
        snprintf(buf, size, "%.*s[%" PRIu32 "] in cgroup %s", (int) strnlen(comm, comm_len), comm, pid,
                 cg[0] ? cg : "(unknown)");
}

void df_probes_set_reports(struct df_probes *p, bool on) {
        p->reports_off = !on;
}

int df_probes_report(struct df_probes *p, uint64_t now_usec) {
        struct df_bpf_counters c;
        struct df_bpf_worst worst[DF_STALL_KINDS];
        uint64_t d_atomic[DF_MAX_ORDERS] = { 0 }, d_reclaim[DF_MAX_ORDERS] = { 0 }, d_stall[DF_STALL_KINDS] = { 0 };
        uint64_t total_fail = 0, total_stall = 0, since_usec;
        int written = 0, max_order = -1;

        if (!p || !p->status.loaded || p->reports_off || df_probes_read_counters(p, &c) < 0)
                return 0;
        if (!p->have_base) {
                /* failures from before we loaded are not ours to report */
                for (int o = 0; o < DF_MAX_ORDERS; o++) {
                        p->base_fail_atomic[o] = c.alloc_fail_atomic[o];
                        p->base_fail_reclaim[o] = c.alloc_fail_reclaim[o];
                }
                memcpy(p->base_stall_over, c.stall_over_report, sizeof(p->base_stall_over));
                p->have_base = true;
        }
        for (int o = p->conf.trigger_min_order; o >= 0 && o < DF_MAX_ORDERS; o++) {
                d_atomic[o] = c.alloc_fail_atomic[o] - p->base_fail_atomic[o];
                d_reclaim[o] = c.alloc_fail_reclaim[o] - p->base_fail_reclaim[o];
                total_fail += d_atomic[o] + d_reclaim[o];
                if (d_atomic[o] + d_reclaim[o] > 0)
                        max_order = o;
        }
        for (int k = 0; k < DF_STALL_KINDS; k++) {
                d_stall[k] = c.stall_over_report[k] - p->base_stall_over[k];
                if (k != DF_STALL_COMPACTION_RUN) /* kcompactd's runs stall nobody */
                        total_stall += d_stall[k];
        }
        if (total_fail == 0 && total_stall == 0)
                return 0;
        if (p->last_report_usec != 0 && now_usec - p->last_report_usec < DF_PROBES_REPORT_INTERVAL_USEC)
                return 0; /* a storm: the next summary covers it */
        since_usec = p->last_report_usec ? now_usec - p->last_report_usec : 0;

        if (total_fail > 0) {
                char orders[512] = "", w[256] = "(no event sampled)", cg[256] = "";
                char f_order[32], f_count[48], f_comm[48], f_cg[300], f_cgid[48];
                size_t len = 0;

                for (int o = 0; o < DF_MAX_ORDERS; o++) {
                        if (d_atomic[o] + d_reclaim[o] == 0)
                                continue;
                        len += snprintf(orders + len, sizeof(orders) - len, "%sorder %d: %" PRIu64 " (%" PRIu64
                                        " atomic, %" PRIu64 " could reclaim)", len ? ", " : "", o,
                                        d_atomic[o] + d_reclaim[o], d_atomic[o], d_reclaim[o]);
                        if (len >= sizeof(orders))
                                break;
                }
                if (p->have_last_event)
                        who(p, p->last_event.cgroup_id, p->last_event.pid, p->last_event.comm,
                            sizeof(p->last_event.comm), w, sizeof(w), cg, sizeof(cg));
                snprintf(f_order, sizeof(f_order), "ORDER=%d", max_order);
                snprintf(f_count, sizeof(f_count), "COUNT=%" PRIu64, total_fail);
                snprintf(f_comm, sizeof(f_comm), "COMM=%.*s", DF_BPF_COMM_LEN,
                         p->have_last_event ? p->last_event.comm : "");
                snprintf(f_cg, sizeof(f_cg), "CGROUP=%s", cg);
                snprintf(f_cgid, sizeof(f_cgid), "CGROUP_ID=%" PRIu64,
                         p->have_last_event ? (uint64_t) p->last_event.cgroup_id : 0);
                const char *fields[] = { "MESSAGE_ID=" DF_MID_ALLOC_FAILURE, f_order, f_count, f_comm, f_cg, f_cgid, NULL };
                df_log_struct(LOG_WARNING, fields, "high-order allocation failures%s: %s; latest by %s",
                              since_usec ? " since the last report" : "", orders, w);
                written++;
        }
        if (total_stall > 0 && read_worst(p, worst, true) == 0) {
                for (int k = 0; k < DF_STALL_KINDS; k++) {
                        char w[512], cg[256], f_order[32], f_count[48], f_usec[48], f_comm[48], f_cg[300], f_kind[48];

                        if (k == DF_STALL_COMPACTION_RUN || d_stall[k] == 0)
                                continue;
                        who(p, worst[k].cgroup_id, worst[k].pid, worst[k].comm, sizeof(worst[k].comm),
                            w, sizeof(w), cg, sizeof(cg));
                        snprintf(f_kind, sizeof(f_kind), "STALL=%s", stall_kind_names[k]);
                        snprintf(f_order, sizeof(f_order), "ORDER=%d", worst[k].order);
                        snprintf(f_count, sizeof(f_count), "COUNT=%" PRIu64, d_stall[k]);
                        snprintf(f_usec, sizeof(f_usec), "STALL_USEC=%" PRIu64, (uint64_t) worst[k].duration_ns / NSEC_PER_USEC);
                        snprintf(f_comm, sizeof(f_comm), "COMM=%.*s", DF_BPF_COMM_LEN, worst[k].comm);
                        snprintf(f_cg, sizeof(f_cg), "CGROUP=%s", cg);
                        const char *fields[] = { "MESSAGE_ID=" DF_MID_ALLOC_FAILURE, f_kind, f_order, f_count, f_usec,
                                                 f_comm, f_cg, NULL };
                        df_log_struct(LOG_WARNING, fields,
                                      "%" PRIu64 " %s stall(s) longer than %" PRIu64 " ms%s; worst %" PRIu64
                                      " ms (order %d) by %s",
                                      d_stall[k], stall_kind_names[k], p->conf.report_stall_usec / USEC_PER_MSEC,
                                      since_usec ? " since the last report" : "",
                                      (uint64_t) worst[k].duration_ns / (NSEC_PER_USEC * USEC_PER_MSEC),
                                      worst[k].order, w);
                        written++;
                }
        }
        for (int o = 0; o < DF_MAX_ORDERS; o++) {
                p->base_fail_atomic[o] = c.alloc_fail_atomic[o];
                p->base_fail_reclaim[o] = c.alloc_fail_reclaim[o];
        }
        memcpy(p->base_stall_over, c.stall_over_report, sizeof(p->base_stall_over));
        p->have_last_event = false;
        p->last_report_usec = now_usec;
        return written;
}

/* ---- JSON ---- */

static void json_string(FILE *f, const char *s, size_t max) {
        fputc('"', f);
        for (size_t i = 0; i < max && s[i]; i++) {
                unsigned char ch = (unsigned char) s[i];

                if (ch == '"' || ch == '\\')
                        fprintf(f, "\\%c", ch);
                else if (ch < 0x20 || ch >= 0x7f)
                        fprintf(f, "\\u%04x", ch);
                else
                        fputc(ch, f);
        }
        fputc('"', f);
}

static void json_array(FILE *f, const __u64 *v, size_t n) {
        fputc('[', f);
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%s%" PRIu64, i ? "," : "", (uint64_t) v[i]);
        fputc(']', f);
}

static double rate(uint64_t cur, uint64_t prev, uint64_t dt_usec) {
        return dt_usec && cur >= prev ? (double) (cur - prev) * USEC_PER_SEC / (double) dt_usec : 0.0;
}

void df_probes_dump_json(const struct df_probes *p, FILE *f) {
        const struct df_probes_status *st = &p->status;
        const struct df_bpf_counters *c = &p->cur, *pr = &p->prev;
        uint64_t dt = p->prev_usec && p->cur_usec > p->prev_usec ? p->cur_usec - p->prev_usec : 0;
        struct df_probes_top top[10];
        size_t n_top = 0;
        int nmt = p->n_migratetypes;

        fprintf(f, "{\"loaded\":%s,\"reason\":", st->loaded ? "true" : "false");
        json_string(f, st->reason, sizeof(st->reason));
        fprintf(f, ",\"attached\":%u,\"missing_count\":%u,\"missing\":", st->n_attached, st->n_missing);
        json_string(f, st->missing, sizeof(st->missing));
        fprintf(f, ",\"alloc_probe\":");
        json_string(f, st->alloc_probe, sizeof(st->alloc_probe));
        fprintf(f, ",\"pageblock_order\":%d,\"trigger_min_order\":%d,"
                "\"trigger_min_interval_usec\":%" PRIu64 ",\"report_stall_usec\":%" PRIu64 ",",
                p->pageblock_order, p->conf.trigger_min_order,
                p->conf.trigger_min_interval_usec, p->conf.report_stall_usec);
        fprintf(f, "\"events\":%" PRIu64 ",\"events_ratelimited\":%" PRIu64 ",\"triggers\":%" PRIu64
                ",\"last_event_latency_usec\":%" PRIu64 ",\"max_event_latency_usec\":%" PRIu64,
                st->events, st->events_ratelimited, st->triggers, st->last_event_latency_usec,
                st->max_event_latency_usec);
        fprintf(f, ",\"last_trigger_to_policy_usec\":%" PRIu64 ",\"max_trigger_to_policy_usec\":%" PRIu64,
                st->last_trigger_to_policy_usec, st->max_trigger_to_policy_usec);
        fprintf(f, ",\"last_event_realtime_usec\":%" PRIu64 ",\"last_event_order\":%d,\"last_event_comm\":",
                st->last_event_realtime_usec, st->last_event_order);
        json_string(f, st->last_event_comm, sizeof(st->last_event_comm));
        if (!st->loaded) {
                fputc('}', f);
                return;
        }

        fprintf(f, ",\"counters\":{\"alloc\":");
        json_array(f, c->alloc, DF_MAX_ORDERS);
        fprintf(f, ",\"alloc_fail_atomic\":");
        json_array(f, c->alloc_fail_atomic, DF_MAX_ORDERS);
        fprintf(f, ",\"alloc_fail_reclaim\":");
        json_array(f, c->alloc_fail_reclaim, DF_MAX_ORDERS);
        fprintf(f, ",\"migratetypes\":[");
        for (int i = 0; i < nmt; i++) {
                fputs(i ? "," : "", f);
                json_string(f, p->migratetype_names[i], DF_NAME_MAX);
        }
        fprintf(f, "],\"fallbacks\":[");
        for (int a = 0, first = 1; a < DF_MAX_MIGRATETYPES; a++)
                for (int b = 0; b < DF_MAX_MIGRATETYPES; b++) {
                        if (c->fallback[a][b] == 0)
                                continue;
                        fprintf(f, "%s{\"alloc\":", first ? "" : ",");
                        json_string(f, a < nmt ? p->migratetype_names[a] : "?", DF_NAME_MAX);
                        fprintf(f, ",\"fallback\":");
                        json_string(f, b < nmt ? p->migratetype_names[b] : "?", DF_NAME_MAX);
                        fprintf(f, ",\"count\":%" PRIu64 ",\"fragmenting\":%" PRIu64 "}",
                                (uint64_t) c->fallback[a][b], (uint64_t) c->fallback_fragmenting[a][b]);
                        first = 0;
                }
        fprintf(f, "],\"compaction_runs\":%" PRIu64 ",\"compaction_results\":{", (uint64_t) c->compaction_begin);
        for (unsigned i = 0, first = 1; i < DF_BPF_COMPACT_RESULTS; i++) {
                if (c->compaction_result[i] == 0)
                        continue;
                fprintf(f, "%s\"%s\":%" PRIu64, first ? "" : ",", df_compact_result_to_string(i), (uint64_t) c->compaction_result[i]);
                first = 0;
        }
        fprintf(f, "},\"direct_compact_attempts\":%" PRIu64 ",\"direct_compact_ran\":%" PRIu64 ",\"stalls\":{",
                (uint64_t) c->direct_compact_attempts, (uint64_t) c->direct_compact_ran);
        for (int k = 0; k < DF_STALL_KINDS; k++) {
                uint64_t count = 0;

                for (int i = 0; i < DF_BPF_HIST_SLOTS; i++)
                        count += c->stall_hist[k][i];
                fprintf(f, "%s\"%s\":{\"count\":%" PRIu64 ",\"total_usec\":%" PRIu64 ",\"over_report\":%" PRIu64
                        ",\"hist_log2_usec\":", k ? "," : "", stall_kind_names[k], count,
                        (uint64_t) c->stall_total_ns[k] / NSEC_PER_USEC, (uint64_t) c->stall_over_report[k]);
                json_array(f, c->stall_hist[k], DF_BPF_HIST_SLOTS);
                fputc('}', f);
        }
        fprintf(f, "},\"events_sent\":%" PRIu64 ",\"events_lost\":%" PRIu64 ",\"top_overflow\":%" PRIu64
                ",\"unpaired_end\":%" PRIu64 "}", (uint64_t) c->events_sent, (uint64_t) c->events_lost,
                (uint64_t) c->top_overflow, (uint64_t) c->unpaired_end);

        fprintf(f, ",\"interval_usec\":%" PRIu64 ",\"rates_per_sec\":{\"alloc\":[", dt);
        for (int o = 0; o < DF_MAX_ORDERS; o++)
                fprintf(f, "%s%.1f", o ? "," : "", rate(c->alloc[o], pr->alloc[o], dt));
        fprintf(f, "],\"fail\":[");
        for (int o = 0; o < DF_MAX_ORDERS; o++)
                fprintf(f, "%s%.1f", o ? "," : "",
                        rate(c->alloc_fail_atomic[o] + c->alloc_fail_reclaim[o],
                             pr->alloc_fail_atomic[o] + pr->alloc_fail_reclaim[o], dt));
        {
                uint64_t fb = 0, fbp = 0, fr = 0, frp = 0;

                for (int a = 0; a < DF_MAX_MIGRATETYPES; a++)
                        for (int b = 0; b < DF_MAX_MIGRATETYPES; b++) {
                                fb += c->fallback[a][b];
                                fbp += pr->fallback[a][b];
                                fr += c->fallback_fragmenting[a][b];
                                frp += pr->fallback_fragmenting[a][b];
                        }
                fprintf(f, "],\"fallbacks\":%.1f,\"fragmenting\":%.1f}", rate(fb, fbp, dt), rate(fr, frp, dt));
        }

        fprintf(f, ",\"top\":[");
        if (df_probes_read_top(p, top, ELEMENTSOF(top), &n_top) == 0)
                for (size_t i = 0; i < n_top; i++) {
                        char cg[256];

                        df_cgroup_path_by_id(top[i].cgroup_id, cg, sizeof(cg));
                        fprintf(f, "%s{\"cgroup_id\":%" PRIu64 ",\"cgroup\":", i ? "," : "", top[i].cgroup_id);
                        json_string(f, cg, sizeof(cg));
                        fprintf(f, ",\"comm\":");
                        json_string(f, top[i].comm, sizeof(top[i].comm));
                        fprintf(f, ",\"fallbacks\":%" PRIu64 ",\"fragmenting\":%" PRIu64 "}",
                                top[i].fallbacks, top[i].fragmenting);
                }
        fprintf(f, "]}");
}

uint64_t df_probes_total_failures(const struct df_probe_counters *pc) {
        return sum_orders(pc->alloc_fail_atomic) + sum_orders(pc->alloc_fail_reclaim);
}
