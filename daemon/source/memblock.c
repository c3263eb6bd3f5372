/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /sys/devices/system/memory: the memory blocks (range, node, state, zone)
 * and which of them a hypervisor driver added (/proc/iomem). Reads only. */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "defragd/knobs.h"
#include "defragd/plan-source.h"
#include "defragd/procfs.h"
#include "defragd/util.h"

#define MEMORY_DIR "/sys/devices/system/memory"
/* Node numbers are below MAX_NUMNODES (1 << CONFIG_NODES_SHIFT, at most 1 << 10). */
#define DF_MEMBLOCK_MAX_NODE 1023

static int read_hex(const char *path, uint64_t *ret) {
        char buf[64], *end;
        int r = df_knob_read(path, buf, sizeof(buf));

        if (r < 0)
                return r;
        errno = 0;
        *ret = strtoull(buf, &end, 16);
        return errno || end == buf || *end ? -EINVAL : 0;
}

/* Driver-managed RAM is a top-level "System RAM (driver)" resource
 * (add_memory_driver_managed: virtio-mem, dax/kmem). Without CAP_SYS_ADMIN
 * the addresses read 0: then every block counts as managed when any such
 * resource exists (we cannot tell which). */
struct managed_range {
        uint64_t start, end; /* bytes, inclusive end */
        char driver[24];
};

static size_t read_iomem(const char *root, struct managed_range *out, size_t max, bool *unknown_ranges) {
        char path[4096], line[256];
        _cleanup_fclose_ FILE *f = NULL;
        size_t n = 0;

        *unknown_ranges = false;
        if (df_proc_path(root, "iomem", path, sizeof(path)) < 0)
                return 0;
        f = fopen(path, "re");
        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f) && n < max) {
                unsigned long long s, e;
                char drv[24];

                if (line[0] == ' ')
                        continue; /* children of a resource */
                if (sscanf(line, "%llx-%llx : System RAM (%23[^)])", &s, &e, drv) != 3)
                        continue;
                out[n].start = s;
                out[n].end = e;
                snprintf(out[n].driver, sizeof(out[n].driver), "%s", drv);
                if (s == 0 && e == 0)
                        *unknown_ranges = true;
                n++;
        }
        return n;
}

static int node_of(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        int node = -1;

        if (!d)
                return -1;
        while ((de = readdir(d))) {
                char *end;
                long v;

                if (strncmp(de->d_name, "node", 4) != 0 || de->d_name[4] < '0' || de->d_name[4] > '9')
                        continue;
                /* "nodeN" with N a node number: not atoi, whose overflow made a
                 * negative node of node99999999999 (found by fuzz-memblock). */
                errno = 0;
                v = strtol(de->d_name + 4, &end, 10);
                if (errno || *end || v > DF_MEMBLOCK_MAX_NODE)
                        continue;
                node = (int) v;
                break;
        }
        closedir(d);
        return node;
}

static int cmp_id(const void *a, const void *b) {
        const struct df_memblock_info *x = a, *y = b;

        return x->id < y->id ? -1 : x->id > y->id;
}

int df_memblocks_read(const char *root, struct df_memblock_info **ret, size_t *n, uint64_t *block_pages, bool *hotremove,
                      struct df_error *err) {
        char base[4096], path[4400], buf[128];
        struct managed_range managed[64];
        struct df_memblock_info *mb = NULL;
        size_t n_mb = 0, cap = 0, n_managed;
        uint64_t block_bytes, page_bytes = (uint64_t) sysconf(_SC_PAGESIZE);
        bool unknown_ranges, removable = false;
        struct dirent *de;
        DIR *d;
        int r;

        assert(ret);
        assert(n);
        assert(block_pages);
        assert(hotremove);
        snprintf(base, sizeof(base), "%s" MEMORY_DIR, root && strcmp(root, "/") ? root : "");
        snprintf(path, sizeof(path), "%s/block_size_bytes", base);
        r = read_hex(path, &block_bytes);
        if (r < 0)
                return df_error_set(err, r, "%s: %s; expected a hexadecimal size (memory hotplug sysfs)", path,
                                    r == -EINVAL ? "not a hexadecimal number" : strerror(-r));
        if (block_bytes < page_bytes || block_bytes % page_bytes)
                return df_error_set(err, -EINVAL, "%s: %" PRIu64 " bytes is not a whole number of %" PRIu64 "-byte pages",
                                    path, block_bytes, page_bytes);
        n_managed = read_iomem(root, managed, ELEMENTSOF(managed), &unknown_ranges);

        d = opendir(base);
        if (!d)
                return df_error_set(err, -errno, "%s: %s", base, strerror(errno));
        while ((de = readdir(d))) {
                struct df_memblock_info *m;
                uint64_t phys_index;
                char *end;
                long long id;

                if (strncmp(de->d_name, "memory", 6) != 0)
                        continue;
                /* Only the kernel's spelling, "memory%u": "memory05" or
                 * "memory+5" would be a second block 5 (found by fuzz-memblock). */
                if (de->d_name[6] < '0' || de->d_name[6] > '9' || (de->d_name[6] == '0' && de->d_name[7]))
                        continue;
                errno = 0;
                id = strtoll(de->d_name + 6, &end, 10);
                if (errno || end == de->d_name + 6 || *end || id < 0)
                        continue;
                if (n_mb == cap) {
                        struct df_memblock_info *nm = realloc(mb, (cap ? cap * 2 : 256) * sizeof(*mb));

                        if (!nm) {
                                closedir(d);
                                free(mb);
                                return df_error_set(err, -ENOMEM, "%s: out of memory", base);
                        }
                        mb = nm;
                        cap = cap ? cap * 2 : 256;
                }
                m = &mb[n_mb];
                memset(m, 0, sizeof(*m));
                m->id = id;
                snprintf(path, sizeof(path), "%s/%s/phys_index", base, de->d_name);
                if (read_hex(path, &phys_index) < 0)
                        phys_index = (uint64_t) id;
                m->nr_pages = block_bytes / page_bytes;
                /* A range past 2^64 pages is no memory (found by fuzz-memblock):
                 * left out rather than wrapped onto real pfns. */
                if (phys_index > (UINT64_MAX - m->nr_pages) / m->nr_pages)
                        continue;
                m->start_pfn = phys_index * m->nr_pages;
                snprintf(path, sizeof(path), "%s/%s", base, de->d_name);
                m->node = node_of(path);
                snprintf(path, sizeof(path), "%s/%s/state", base, de->d_name);
                m->online = df_knob_read(path, buf, sizeof(buf)) == 0 && strcmp(buf, "online") == 0;
                /* An online block shows its zone, or "none" when it spans two. */
                snprintf(path, sizeof(path), "%s/%s/valid_zones", base, de->d_name);
                if (m->online && df_knob_read(path, buf, sizeof(buf)) == 0 && !strchr(buf, ' ') && strcmp(buf, "none") != 0)
                        snprintf(m->zone, sizeof(m->zone), "%.*s", DF_NAME_MAX - 1, buf);
                snprintf(path, sizeof(path), "%s/%s/removable", base, de->d_name);
                if (!removable && df_knob_read(path, buf, sizeof(buf)) == 0 && strcmp(buf, "1") == 0)
                        removable = true;
                for (size_t i = 0; i < n_managed; i++) {
                        uint64_t s = m->start_pfn * page_bytes, e = s + block_bytes - 1;

                        if (unknown_ranges || (s <= managed[i].end && e >= managed[i].start)) {
                                m->hypervisor_managed = true;
                                snprintf(m->manager, sizeof(m->manager), "%s", managed[i].driver);
                                break;
                        }
                }
                n_mb++;
        }
        closedir(d);
        if (n_mb > 1) /* no memoryN at all leaves mb NULL, which qsort must not get */
                qsort(mb, n_mb, sizeof(*mb), cmp_id);
        *ret = mb;
        *n = n_mb;
        *block_pages = block_bytes / page_bytes;
        /* removable reads 1 on every block when CONFIG_MEMORY_HOTREMOVE is set (6.x). */
        *hotremove = removable;
        return 0;
}

int df_plan_view_read_memblocks(struct df_plan_view *v, const char *root, struct df_error *err) {
        _cleanup_free_ struct df_memblock_info *mb = NULL;
        uint64_t block_pages;
        bool hotremove;
        size_t n;
        int r;

        assert(v);
        r = df_memblocks_read(root, &mb, &n, &block_pages, &hotremove, err);
        if (r < 0)
                return r;
        r = df_plan_view_set_memblocks(v, mb, n, block_pages);
        if (r < 0)
                return df_error_set(err, r, "planner: out of memory for %zu memory blocks", n);
        v->hotremove = hotremove;
        return 0;
}
