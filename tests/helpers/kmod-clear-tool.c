/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kmod-clear-tool: drives the companion module through the daemon's own
 * client (daemon/lever/kmod-clear.c) for the guest scenario and by hand. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "defragd/kmod-clear.h"
#include "defragd/util.h"

/* /proc/kpageflags bits (include/uapi/linux/kernel-page-flags.h). */
#define KPF_DIRTY 4
#define KPF_LRU 5
#define KPF_SLAB 7
#define KPF_WRITEBACK 8
#define KPF_ANON 12
#define KPF_UNEVICTABLE 18
#define KPF_THP 22
#define KPF_BUDDY 10
#define KPF_NOPAGE 20
#define KPF_OFFLINE 23
#define KPF_PGTABLE 26
#define KPF_RESERVED 32
#define BIT(n) (UINT64_C(1) << (n))

static const char *const USAGE =
        "usage: kmod-clear-tool [--root DIR] status\n"
        "       kmod-clear-tool [--root DIR] clear PFN ORDER\n"
        "       kmod-clear-tool [--root DIR] clear-list ORDER [--budget-ms N]   (PFNs on stdin, one per line)\n"
        "       kmod-clear-tool candidates ZONE ORDER N [--busy]\n"
        "       kmod-clear-tool free-pages PFN ORDER\n"
        "  status      ABI, accepted orders and counters of /sys/kernel/defragd_clear\n"
        "  clear       clear one block; exit 0 cleared, 1 the kernel refused (errno printed)\n"
        "  clear-list  clear every listed block, then print totals (rate, pages moved per block);\n"
        "              stops when the module goes away (ENODEV) or, with --budget-ms, when the\n"
        "              time is spent (a block is never cut short)\n"
        "  candidates  N aligned blocks of node 0's ZONE holding LRU pages and no slab, page table,\n"
        "              reserved, dirty file or writeback page (migrating those waits for the disk);\n"
        "              pages with no flag are allowed (per-CPU lists); cheapest first:\n"
        "              \"PFN USED anon= file= dirty= unevictable= thp= unknown=\";\n"
        "              --busy: blocks holding slab pages (and no page table or reserved page)\n"
        "  free-pages  how many pages of the block /proc/kpageflags marks free (KPF_BUDDY)\n";

static int open_or_say(const char *root, struct df_kmod_clear **k) {
        struct df_error err = { { 0 } };
        int r = df_kmod_clear_open(root, k, &err);

        if (r < 0)
                fprintf(stderr, "kmod-clear-tool: %s\n", err.msg);
        return r;
}

static int cmd_status(const char *root) {
        struct df_error err = { { 0 } };
        struct df_kmod_clear_counters c;
        struct df_kmod_clear *k;

        if (open_or_say(root, &k) < 0)
                return 2;
        if (df_kmod_clear_read_counters(k, &c, &err) < 0) {
                fprintf(stderr, "kmod-clear-tool: %s\n", err.msg);
                df_kmod_clear_close(k);
                return 2;
        }
        printf("abi=%d order_min=%u order_max=%u\n", DF_KMOD_CLEAR_ABI, df_kmod_clear_order_min(k), df_kmod_clear_order_max(k));
        printf("tried=%" PRIu64 " cleared=%" PRIu64 " busy=%" PRIu64 " interrupted=%" PRIu64 " nomem=%" PRIu64
               " failed=%" PRIu64 " pages_in_use=%" PRIu64 " pages_moved=%" PRIu64 " clear_usec=%" PRIu64
               " fallback_pages=%" PRIu64 "\n",
               c.tried, c.cleared, c.busy, c.interrupted, c.nomem, c.failed, c.pages_in_use, c.pages_moved,
               c.clear_usec, c.fallback_pages);
        df_kmod_clear_close(k);
        return 0;
}

static void print_result(uint64_t pfn, unsigned order, const struct df_kmod_clear_result *r) {
        printf("pfn=%" PRIu64 " order=%u result=%d meaning=\"%s\" duration_usec=%" PRIu64 " detail_known=%d",
               pfn, order, r->error, df_kmod_clear_error_meaning(r->error), r->duration_usec, r->detail_known);
        if (r->detail_known)
                printf(" pages_in_use=%" PRIu64 " pages_moved=%" PRIu64 " kernel_usec=%" PRIu64 " fallback_pages=%" PRIu64,
                       r->detail.pages_in_use, r->detail.pages_moved, r->detail.usec, r->detail.fallback_pages);
        printf("\n");
}

static int parse_order(const char *s, unsigned *order) {
        uint64_t v;

        if (df_parse_u64(s, &v) < 0 || v > 63) {
                fprintf(stderr, "kmod-clear-tool: ORDER '%s' is invalid; accepted: 0..63\n", s);
                return -EINVAL;
        }
        *order = (unsigned) v;
        return 0;
}

static int cmd_clear(const char *root, const char *pfn_s, const char *order_s) {
        struct df_kmod_clear_result r;
        struct df_kmod_clear *k;
        unsigned order;
        uint64_t pfn;

        if (df_parse_u64(pfn_s, &pfn) < 0) {
                fprintf(stderr, "kmod-clear-tool: PFN '%s' is invalid; accepted: an unsigned decimal\n", pfn_s);
                return 2;
        }
        if (parse_order(order_s, &order) < 0)
                return 2;
        if (open_or_say(root, &k) < 0)
                return 2;
        df_kmod_clear_block(k, pfn, order, &r);
        print_result(pfn, order, &r);
        df_kmod_clear_close(k);
        return r.error == 0 ? 0 : 1;
}

static int cmd_clear_list(const char *root, const char *order_s, const char *budget_s) {
        uint64_t n = 0, ok = 0, busy = 0, other = 0, moved = 0, in_use = 0, usec = 0, known = 0;
        uint64_t t0 = df_now_usec(), wall, budget_msec = 0;
        struct df_kmod_clear *k;
        const char *stopped = "end of input";
        char line[64];
        unsigned order;

        if (parse_order(order_s, &order) < 0)
                return 2;
        if (budget_s && df_parse_u64(budget_s, &budget_msec) < 0) {
                fprintf(stderr, "kmod-clear-tool: --budget-ms '%s' is invalid; accepted: milliseconds\n", budget_s);
                return 2;
        }
        if (open_or_say(root, &k) < 0)
                return 2;
        while (fgets(line, sizeof(line), stdin)) {
                struct df_kmod_clear_result r;
                uint64_t pfn;

                line[strcspn(line, " \n")] = '\0';
                if (!*line)
                        continue;
                if (df_parse_u64(line, &pfn) < 0) {
                        fprintf(stderr, "kmod-clear-tool: stdin: PFN '%s' is invalid; accepted: an unsigned decimal per line\n", line);
                        df_kmod_clear_close(k);
                        return 2;
                }
                if (budget_msec && df_now_usec() - t0 >= budget_msec * USEC_PER_MSEC) {
                        stopped = "time budget spent";
                        break;
                }
                df_kmod_clear_block(k, pfn, order, &r);
                print_result(pfn, order, &r);
                if (r.error == -ENODEV) {
                        stopped = "module gone";
                        break;
                }
                n++;
                usec += r.duration_usec;
                if (r.error == 0)
                        ok++;
                else if (r.error == -EBUSY)
                        busy++;
                else
                        other++;
                if (r.detail_known && r.error == 0) {
                        known++;
                        moved += r.detail.pages_moved;
                        in_use += r.detail.pages_in_use;
                }
        }
        wall = df_now_usec() - t0;
        printf("TOTAL tried=%" PRIu64 " cleared=%" PRIu64 " busy=%" PRIu64 " other=%" PRIu64 " clear_usec=%" PRIu64
               " wall_usec=%" PRIu64 " pages_moved=%" PRIu64 " pages_in_use=%" PRIu64 " blocks_per_sec=%.1f"
               " moved_per_block=%.1f stopped=\"%s\"\n",
               n, ok, busy, other, usec, wall, moved, in_use, usec ? (double) ok * 1e6 / (double) usec : 0.0,
               known ? (double) moved / (double) known : 0.0, stopped);
        df_kmod_clear_close(k);
        return other ? 1 : 0;
}

/* Node 0's ZONE span from /proc/zoneinfo. */
static int zone_span(const char *zone, uint64_t *start, uint64_t *spanned) {
        _cleanup_fclose_ FILE *f = fopen("/proc/zoneinfo", "re");
        char line[256], name[32];
        bool in = false, have_start = false, have_span = false;
        int node;

        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                if (sscanf(line, "Node %d, zone %31s", &node, name) == 2) {
                        if (in)
                                break;
                        in = node == 0 && strcmp(name, zone) == 0;
                } else if (in && sscanf(line, " spanned %" SCNu64, spanned) == 1)
                        have_span = true;
                else if (in && sscanf(line, " start_pfn: %" SCNu64, start) == 1)
                        have_start = true;
        }
        return have_start && have_span ? 0 : -ENOENT;
}

struct candidate {
        uint64_t pfn, in_use;
        uint64_t anon, file, dirty, unevictable, thp; /* of the LRU pages; dirty: file or writeback */
        uint64_t unknown;                             /* used pages with no flag */
};

static int by_in_use(const void *a, const void *b) {
        const struct candidate *x = a, *y = b;

        return x->in_use < y->in_use ? -1 : x->in_use > y->in_use ? 1 : x->pfn < y->pfn ? -1 : 1;
}

static int cmd_candidates(const char *zone, const char *order_s, const char *n_s, bool busy) {
        _cleanup_close_ int fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
        _cleanup_free_ uint64_t *flags = NULL;
        _cleanup_free_ struct candidate *c = NULL;
        uint64_t start, spanned, want, nr, pfn, n_c = 0;
        unsigned order;

        if (parse_order(order_s, &order) < 0 || df_parse_u64(n_s, &want) < 0)
                return 2;
        if (fd < 0) {
                fprintf(stderr, "kmod-clear-tool: /proc/kpageflags: %s\n", strerror(errno));
                return 2;
        }
        if (zone_span(zone, &start, &spanned) < 0) {
                fprintf(stderr, "kmod-clear-tool: /proc/zoneinfo: no zone %s on node 0\n", zone);
                return 2;
        }
        nr = UINT64_C(1) << order;
        flags = malloc(nr * sizeof(*flags));
        c = calloc(spanned / nr + 1, sizeof(*c));
        if (!flags || !c)
                return 2;
        for (pfn = (start + nr - 1) & ~(nr - 1); pfn + nr <= start + spanned; pfn += nr) {
                struct candidate k = { .pfn = pfn };
                uint64_t used = 0, slab = 0, bad = 0;

                if (pread(fd, flags, nr * sizeof(*flags), (off_t) (pfn * sizeof(*flags))) != (ssize_t) (nr * sizeof(*flags)))
                        continue;
                for (uint64_t i = 0; i < nr; i++) {
                        uint64_t f = flags[i];

                        if (f & (BIT(KPF_NOPAGE) | BIT(KPF_OFFLINE) | BIT(KPF_RESERVED)))
                                bad++;
                        else if (f & BIT(KPF_BUDDY))
                                continue;
                        else if (f & BIT(KPF_SLAB))
                                slab++;
                        else if (f & BIT(KPF_PGTABLE))
                                bad++;
                        else if (!(f & BIT(KPF_LRU)))
                                k.unknown++; /* no flag: on a per-CPU list (drained by the clear) or a raw kernel page */
                        used++;
                        if (f & BIT(KPF_LRU)) {
                                k.anon += (f & BIT(KPF_ANON)) != 0;
                                k.file += (f & BIT(KPF_ANON)) == 0;
                                /* Dirty anonymous pages migrate like clean ones (a
                                 * migrated anon page is always dirty); dirty or
                                 * writeback file pages wait for the disk. */
                                k.dirty += (f & BIT(KPF_WRITEBACK)) || ((f & BIT(KPF_DIRTY)) && !(f & BIT(KPF_ANON)));
                                k.unevictable += (f & BIT(KPF_UNEVICTABLE)) != 0;
                                k.thp += (f & BIT(KPF_THP)) != 0;
                        }
                }
                k.in_use = used;
                /* A block of LRU pages may also hold pages with no flag: per-CPU
                 * list pages are the usual ones right after mass frees, and the
                 * clear drains them; a raw kernel page shows up as EBUSY. */
                if (busy ? (slab > 0 && bad == 0)
                         : (k.anon + k.file > 0 && slab == 0 && bad == 0 && k.dirty == 0))
                        c[n_c++] = k;
        }
        qsort(c, n_c, sizeof(*c), by_in_use);
        for (uint64_t i = 0; i < n_c && i < want; i++)
                printf("%" PRIu64 " %" PRIu64 " anon=%" PRIu64 " file=%" PRIu64 " dirty=%" PRIu64 " unevictable=%" PRIu64
                       " thp=%" PRIu64 " unknown=%" PRIu64 "\n",
                       c[i].pfn, c[i].in_use, c[i].anon, c[i].file, c[i].dirty, c[i].unevictable, c[i].thp, c[i].unknown);
        fprintf(stderr, "kmod-clear-tool: zone %s pfn %" PRIu64 "..%" PRIu64 ": %" PRIu64 " %s blocks of order %u\n",
                zone, start, start + spanned, n_c, busy ? "slab-holding" : "LRU (no dirty file page)", order);
        return 0;
}

/* Pages on per-CPU lists are not KPF_BUDDY: a block given back as one free
 * block shows all its pages free at once. */
static int cmd_free_pages(const char *pfn_s, const char *order_s) {
        _cleanup_close_ int fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
        _cleanup_free_ uint64_t *flags = NULL;
        uint64_t pfn, nr, free_pages = 0;
        unsigned order;

        if (df_parse_u64(pfn_s, &pfn) < 0 || parse_order(order_s, &order) < 0)
                return 2;
        if (fd < 0) {
                fprintf(stderr, "kmod-clear-tool: /proc/kpageflags: %s\n", strerror(errno));
                return 2;
        }
        nr = UINT64_C(1) << order;
        flags = malloc(nr * sizeof(*flags));
        if (!flags || pread(fd, flags, nr * sizeof(*flags), (off_t) (pfn * sizeof(*flags))) != (ssize_t) (nr * sizeof(*flags))) {
                fprintf(stderr, "kmod-clear-tool: /proc/kpageflags: cannot read pfn %" PRIu64 " order %u\n", pfn, order);
                return 2;
        }
        for (uint64_t i = 0; i < nr; i++)
                free_pages += (flags[i] & BIT(KPF_BUDDY)) != 0;
        printf("%" PRIu64 "\n", free_pages);
        return 0;
}

int main(int argc, char **argv) {
        const char *root = "";
        int i = 1;

        if (argc > 2 && strcmp(argv[1], "--root") == 0) {
                root = argv[2];
                i = 3;
        }
        if (argc - i == 1 && strcmp(argv[i], "status") == 0)
                return cmd_status(root);
        if (argc - i == 3 && strcmp(argv[i], "clear") == 0)
                return cmd_clear(root, argv[i + 1], argv[i + 2]);
        if (argc - i == 2 && strcmp(argv[i], "clear-list") == 0)
                return cmd_clear_list(root, argv[i + 1], NULL);
        if (argc - i == 4 && strcmp(argv[i], "clear-list") == 0 && strcmp(argv[i + 2], "--budget-ms") == 0)
                return cmd_clear_list(root, argv[i + 1], argv[i + 3]);
        if (argc - i == 3 && strcmp(argv[i], "free-pages") == 0)
                return cmd_free_pages(argv[i + 1], argv[i + 2]);
        if ((argc - i == 4 || argc - i == 5) && strcmp(argv[i], "candidates") == 0) {
                bool busy = argc - i == 5 && strcmp(argv[i + 4], "--busy") == 0;

                if (argc - i == 5 && !busy) {
                        fputs(USAGE, stderr);
                        return 2;
                }
                return cmd_candidates(argv[i + 1], argv[i + 2], argv[i + 3], busy);
        }
        fputs(USAGE, stderr);
        return 2;
}
