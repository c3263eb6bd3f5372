/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Our model against the running kernel: /proc/buddyinfo, then debugfs
 * extfrag/unusable_index and extfrag_index, then buddyinfo again; when both
 * buddyinfo reads agree, every index of every populated zone and order must
 * equal the kernel's digit for digit. Root only; mounts debugfs if needed. */
#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "defragd/model.h"
#include "defragd/procfs.h"
#include "defragd/util.h"
#include "../unit/test-util.h"

#define DEBUGFS_DIR "/sys/kernel/debug"
#define DEBUGFS_MAGIC_NR 0x64626720
#define MAX_ATTEMPTS 200

static bool mounted_here;
static unsigned n_cells, n_zones, n_attempts;

static void unmount_ours(void) {
        if (mounted_here && umount2(DEBUGFS_DIR, 0) < 0)
                fprintf(stderr, "warning: cannot unmount %s that this test mounted: %s\n", DEBUGFS_DIR, strerror(errno));
        mounted_here = false;
}

static void setup_debugfs(void) {
        struct statfs sfs;

        if (geteuid() != 0)
                TEST_SKIP("needs root to read debugfs extfrag files (running as uid %u)", (unsigned) geteuid());
        if (statfs(DEBUGFS_DIR, &sfs) < 0)
                TEST_SKIP("%s does not exist: %s", DEBUGFS_DIR, strerror(errno));
        if ((unsigned long) sfs.f_type != DEBUGFS_MAGIC_NR) {
                if (mount("debugfs", DEBUGFS_DIR, "debugfs", 0, NULL) < 0)
                        TEST_SKIP("debugfs is not mounted and cannot be mounted on %s: %s", DEBUGFS_DIR, strerror(errno));
                mounted_here = true;
                atexit(unmount_ours);
        }
        if (access(DEBUGFS_DIR "/extfrag/unusable_index", R_OK) < 0)
                TEST_SKIP("no %s/extfrag/unusable_index (kernel without CONFIG_COMPACTION or CONFIG_DEBUG_FS): %s",
                          DEBUGFS_DIR, strerror(errno));
}

/* One debugfs file against the model of buddyinfo text; returns mismatches. */
static unsigned compare(const char *buddy, const char *text, const char *name, bool unusable) {
        _cleanup_free_ char *copy = strdup(text);
        struct df_snapshot s;
        struct df_error err = { "" };
        unsigned mismatches = 0, lines = 0;
        char *save = NULL;

        df_snapshot_init(&s);
        if (!copy || df_parse_buddyinfo(buddy, "/proc/buddyinfo", &s, &err) < 0) {
                fprintf(stderr, "cannot parse /proc/buddyinfo: %s\n", err.msg);
                df_snapshot_clear(&s);
                return 1;
        }
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char zone[32], *tsave = NULL;
                int node, consumed = 0, order = 0;
                const struct df_zone *z;
                struct df_zone_model m;

                if (sscanf(line, "Node %d, zone %31s %n", &node, zone, &consumed) != 2) {
                        fprintf(stderr, "%s: cannot read line \"%s\"\n", name, line);
                        mismatches++;
                        continue;
                }
                lines++;
                z = df_snapshot_zone_const(&s, node, zone);
                if (!z) {
                        fprintf(stderr, "%s: node %d zone %s is not in /proc/buddyinfo\n", name, node, zone);
                        mismatches++;
                        continue;
                }
                df_zone_model_compute(z, &m);
                for (char *tok = strtok_r(line + consumed, " ", &tsave); tok; tok = strtok_r(NULL, " ", &tsave), order++) {
                        char ours[16];

                        if (order >= m.nr_orders) {
                                fprintf(stderr, "%s: node %d zone %s has more columns than buddyinfo\n", name, node, zone);
                                mismatches++;
                                break;
                        }
                        df_format_index(unusable ? m.unusable_index[order] : m.fragmentation_index[order], ours, sizeof(ours));
                        n_cells++;
                        if (strcmp(ours, tok) != 0) {
                                fprintf(stderr, "%s: node %d zone %s order %d: kernel %s, ours %s\n", name, node, zone, order, tok, ours);
                                mismatches++;
                        }
                }
                if (order != m.nr_orders) {
                        fprintf(stderr, "%s: node %d zone %s: %d columns, buddyinfo has %d\n", name, node, zone, order, m.nr_orders);
                        mismatches++;
                }
        }
        if (lines != s.n_zones) {
                fprintf(stderr, "%s: %u zones, /proc/buddyinfo has %zu (both list populated zones only)\n", name, lines, s.n_zones);
                mismatches++;
        }
        n_zones = (unsigned) s.n_zones;
        df_snapshot_clear(&s);
        return mismatches;
}

static int read_all(char **b1, char **u, char **e, char **b2, struct df_error *err) {
        int r;

        if ((r = df_read_file("/proc/buddyinfo", b1, NULL, err)) < 0 ||
            (r = df_read_file(DEBUGFS_DIR "/extfrag/unusable_index", u, NULL, err)) < 0 ||
            (r = df_read_file(DEBUGFS_DIR "/extfrag/extfrag_index", e, NULL, err)) < 0 ||
            (r = df_read_file("/proc/buddyinfo", b2, NULL, err)) < 0)
                return r;
        return 0;
}

static void test_live_indices(void) {
        for (n_attempts = 1; n_attempts <= MAX_ATTEMPTS; n_attempts++) {
                _cleanup_free_ char *b1 = NULL, *u = NULL, *e = NULL, *b2 = NULL;
                struct df_error err = { "" };
                const struct timespec pause = { 0, 20 * 1000 * 1000 };

                ASSERT_OK(read_all(&b1, &u, &e, &b2, &err), &err);
                if (strcmp(b1, b2) != 0) {
                        nanosleep(&pause, NULL);
                        continue;
                }
                ASSERT_EQ_INT(compare(b1, u, "extfrag/unusable_index", true), 0);
                ASSERT_EQ_INT(compare(b1, e, "extfrag/extfrag_index", false), 0);
                ASSERT_TRUE(n_cells >= 2 * n_zones);
                fprintf(stderr, "compared %u cells in %u zones, digit for digit; buddyinfo agreed on attempt %u\n",
                        n_cells, n_zones, n_attempts);
                return;
        }
        unmount_ours();
        TEST_SKIP("/proc/buddyinfo changed between the reads around debugfs in all %d attempts", MAX_ATTEMPTS);
}

int main(void) {
        setup_debugfs();
        RUN_TEST(test_live_indices);
        unmount_ours();
        return test_summary();
}
