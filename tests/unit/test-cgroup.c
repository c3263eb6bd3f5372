/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Cgroups by number: the walk on a temp tree, then on this machine's own
 * hierarchies the path of our cgroup from its id and from its memory cgroup
 * inode, and a memory cgroup file read through libcgroup. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "defragd/cgroup.h"
#include "defragd/util.h"
#include "test-policy-util.h"
#include "test-tmp-util.h"

static char tmpdir[256];

static uint64_t inode_of(const char *path) {
        struct stat st;

        return stat(path, &st) == 0 ? (uint64_t) st.st_ino : 0;
}

static void test_walk_tree(void) {
        char path[600], buf[512];

        snprintf(path, sizeof(path), "%s/a", tmpdir);
        CHECK(mkdir(path, 0755) == 0);
        snprintf(path, sizeof(path), "%s/a/b.slice", tmpdir);
        CHECK(mkdir(path, 0755) == 0);
        snprintf(path, sizeof(path), "%s/a/b.slice/c d", tmpdir);
        CHECK(mkdir(path, 0755) == 0);
        CHECK_INT(df_cgroup_find_inode(tmpdir, inode_of(path), buf, sizeof(buf)), 0);
        CHECK_STR(buf, "/a/b.slice/c d");
        CHECK_INT(df_cgroup_find_inode(tmpdir, inode_of(tmpdir), buf, sizeof(buf)), 0);
        CHECK_STR(buf, "/");
        CHECK_INT(df_cgroup_find_inode(tmpdir, 1, buf, sizeof(buf)), -ENOENT);
        CHECK_STR(buf, "");
        /* too small a buffer: refused, not cut */
        CHECK_INT(df_cgroup_find_inode(tmpdir, inode_of(path), buf, 4), -ENAMETOOLONG);
        CHECK_INT(df_cgroup_find_inode("/nonexistent-defragd", 1, buf, sizeof(buf)), -ENOENT);
}

static void test_walk_depth_bounded(void) {
        char path[4096], buf[4096];
        size_t len;

        snprintf(path, sizeof(path), "%s/deep", tmpdir);
        CHECK(mkdir(path, 0755) == 0);
        for (int i = 0; i < DF_CGROUP_WALK_MAX_DEPTH + 4; i++) {
                len = strlen(path);
                snprintf(path + len, sizeof(path) - len, "/d");
                CHECK(mkdir(path, 0755) == 0);
        }
        /* below the depth bound: not found, and the walk ends */
        CHECK_INT(df_cgroup_find_inode(tmpdir, inode_of(path), buf, sizeof(buf)), -ENOENT);
}

/* Our cgroup as /proc/self/cgroup names it: "0::/path" (v2) or
 * "N:...memory...:/path" (v1 memory). */
static bool own_cgroup(bool memory_v1, char *buf, size_t size) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
        char line[1024];

        while (f && fgets(line, sizeof(line), f)) {
                char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

                if (!c2)
                        continue;
                line[strcspn(line, "\n")] = 0;
                *c2 = 0;
                if (memory_v1 ? strstr(c1 + 1, "memory") != NULL : strcmp(line, "0:") == 0 && c1[1] == 0) {
                        snprintf(buf, size, "%s", c2 + 1);
                        return true;
                }
        }
        return false;
}

static void test_live_by_id(void) {
        char mount[1024], own[1024], full[2100], buf[1024];

        if (df_cgroup_v2_mount(mount, sizeof(mount)) < 0 || !own_cgroup(false, own, sizeof(own))) {
                printf("# no cgroup2 mount here: id -> path not tested on the live hierarchy\n");
                return;
        }
        snprintf(full, sizeof(full), "%s%s", mount, own);
        CHECK_INT(df_cgroup_path_by_id(inode_of(full), buf, sizeof(buf)), 0);
        CHECK_STR(buf, own);
        printf("# cgroup2 at %s; ours %s\n", mount, own);
}

static void test_live_memory(void) {
        char mount[1024], v2[1024] = "", own[1024], full[2100], buf[1024];
        bool is_v2;

        if (df_cgroup_memory_mount(mount, sizeof(mount)) < 0) {
                printf("# no memory controller mounted (libcgroup): inode -> path not tested\n");
                return;
        }
        (void) df_cgroup_v2_mount(v2, sizeof(v2));
        is_v2 = strcmp(mount, v2) == 0;
        CHECK(own_cgroup(!is_v2, own, sizeof(own)));
        snprintf(full, sizeof(full), "%s%s", mount, own);
        CHECK_INT(df_cgroup_path_by_inode(inode_of(full), buf, sizeof(buf)), 0);
        CHECK_STR(buf, own);
        printf("# memory controller at %s (%s); ours %s\n", mount, is_v2 ? "v2" : "v1", own);
}

int main(void) {
        int r;

        tmp_dir_make(tmpdir, sizeof(tmpdir), "test-cgroup");
        RUN(test_walk_tree);
        RUN(test_walk_depth_bounded);
        RUN(test_live_by_id);
        RUN(test_live_memory);
        r = tp_finish();
        rm_rf(tmpdir);
        return r;
}
