/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: the memory-block readers (memblock.c) on a sysfs tree
 * and /proc/iomem built from the input: an error is one line; a success
 * lists each memoryN directory once, sorted by id, with the block size, a
 * zone only for an online block and without spaces, and "managed by a
 * driver" only where iomem names one; the planner takes the list.
 *
 * Input: parts separated by a line "%%": block_size_bytes, /proc/iomem, then
 * one part per directory under /sys/devices/system/memory: its name on the
 * first line, then lines KEY=VALUE written as files (phys_index, state,
 * valid_zones, removable; each value plus "\n" as sysfs ends them), and
 * "node=N" as a nodeN entry (the kernel's symlink). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

#include "defragd/error.h"
#include "defragd/plan-source.h"
#include "defragd/plan.h"
#include "fuzz.h"

#define MAX_DIRS 64

static char root[64];

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
        (void) sb;
        (void) flag;
        (void) ftw;
        return remove(path);
}

/* libFuzzer may exit (-max_total_time) while an input's tree exists. */
static bool cleanup_registered;
static void remove_root(void) {
        if (root[0])
                nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void put(const char *dir, const char *name, const char *text, bool newline) {
        char path[640]; /* a directory (< 512) and a name (< 100) */
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "we");
        if (!f)
                return; /* a name the input made a directory, or too long: skipped */
        fputs(text, f);
        if (newline)
                fputc('\n', f);
        fclose(f);
}

/* A file or directory name from the input: no '/', not "." or "..", not empty. */
static bool name_ok(const char *s) {
        return s[0] && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..") && strlen(s) < 100;
}

static void make_tree(char *text, size_t *n_dirs) {
        static const char *const dirs[] = { "proc", "sys", "sys/devices", "sys/devices/system",
                                            "sys/devices/system/memory" };
        char sys[256], proc[256], *part;

        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
                char p[256];

                snprintf(p, sizeof(p), "%s/%s", root, dirs[i]);
                fuzz_check(mkdir(p, 0700) == 0);
        }
        snprintf(proc, sizeof(proc), "%s/proc", root);
        snprintf(sys, sizeof(sys), "%s/sys/devices/system/memory", root);
        *n_dirs = 0;
        part = fuzz_next_part(&text);
        if (!part)
                return;
        put(sys, "block_size_bytes", part, false);
        part = fuzz_next_part(&text);
        if (!part)
                return;
        put(proc, "iomem", part, false);
        while ((part = fuzz_next_part(&text)) && *n_dirs < MAX_DIRS) {
                char *line, *save = NULL, dir[512];

                line = strtok_r(part, "\n", &save);
                if (!line || !name_ok(line))
                        continue;
                snprintf(dir, sizeof(dir), "%s/%s", sys, line);
                if (mkdir(dir, 0700) < 0)
                        continue; /* the same name twice, or block_size_bytes */
                (*n_dirs)++;
                while ((line = strtok_r(NULL, "\n", &save))) {
                        char *eq = strchr(line, '=');

                        if (!eq)
                                continue;
                        *eq = 0;
                        if (strcmp(line, "node") == 0) {
                                char node[512];

                                snprintf(node, sizeof(node), "node%.100s", eq + 1);
                                if (name_ok(node))
                                        put(dir, node, "", false);
                        } else if (name_ok(line))
                                put(dir, line, eq + 1, true);
                }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct df_memblock_info *mb = NULL;
        struct df_error err = { "" };
        struct df_plan_view v = { 0 };
        uint64_t block_pages = 0;
        size_t n = 0, n_dirs;
        bool hotremove = false;
        char *text = fuzz_strndup(data, size);
        int r;

        if (!text)
                return 0;
        if (!cleanup_registered)
                cleanup_registered = atexit(remove_root) == 0;
        snprintf(root, sizeof(root), "%s/defragd-fuzz-mb.XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        fuzz_check(mkdtemp(root));
        make_tree(text, &n_dirs);

        r = df_memblocks_read(root, &mb, &n, &block_pages, &hotremove, &err);
        if (r < 0) {
                fuzz_check(err.msg[0] && !strchr(err.msg, '\n'));
                fuzz_check(strstr(err.msg, root) != NULL); /* names the path */
        } else {
                fuzz_check(n <= n_dirs);
                fuzz_check(block_pages >= 1);
                for (size_t i = 0; i < n; i++) {
                        fuzz_check(mb[i].id >= 0);
                        fuzz_check(i == 0 || mb[i - 1].id < mb[i].id);
                        fuzz_check(mb[i].nr_pages == block_pages);
                        fuzz_check(mb[i].start_pfn <= UINT64_MAX - mb[i].nr_pages); /* the range does not wrap */
                        fuzz_check(memchr(mb[i].zone, 0, sizeof(mb[i].zone)) && !strchr(mb[i].zone, ' '));
                        fuzz_check(mb[i].online || !mb[i].zone[0]);
                        fuzz_check(strcmp(mb[i].zone, "none") != 0);
                        fuzz_check(memchr(mb[i].manager, 0, sizeof(mb[i].manager)));
                        fuzz_check(mb[i].node >= -1);
                }
                fuzz_check(df_plan_view_set_memblocks(&v, mb, n, block_pages) == 0);
                fuzz_check(v.n_memblocks == n);
                for (size_t i = 1; i < v.n_memblocks; i++)
                        fuzz_check(v.memblocks[i - 1].start_pfn <= v.memblocks[i].start_pfn);
                df_plan_view_clear(&v);
        }
        free(mb);
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        root[0] = 0;
        free(text);
        return 0;
}
