/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Cgroup mounts, id/inode -> path and cgroup files: libcgroup finds the
 * memory controller and reads its files; the cgroup2 mount and the walk are ours. */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <libcgroup.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include "defragd/cgroup.h"
#include "defragd/report.h"
#include "defragd/util.h"

static pthread_once_t cg_once = PTHREAD_ONCE_INIT;
static int cg_init_result;

/* libcgroup's default logger writes to stdout, where `defragctl top --json`
 * writes its document: route its messages to ours, at debug level. */
static void cg_logger(void *userdata, int level, const char *fmt, va_list ap) {
        char msg[512];

        vsnprintf(msg, sizeof(msg), fmt, ap);
        msg[strcspn(msg, "\n")] = 0;
        df_log(LOG_DEBUG, "libcgroup: %s", msg);
}

static void cg_init_once(void) {
        cgroup_set_logger(cg_logger, CGROUP_LOG_WARNING, NULL);
        cg_init_result = cgroup_init();
}

static int cg_init(void) {
        (void) pthread_once(&cg_once, cg_init_once);
        return cg_init_result == 0 ? 0 : -ENODEV;
}

static int copy_path(const char *src, char *buf, size_t size) {
        if ((size_t) snprintf(buf, size, "%s", src) >= size)
                return -ENAMETOOLONG;
        return 0;
}

int df_cgroup_memory_mount(char *buf, size_t size) {
        _cleanup_free_ char *mnt = NULL;

        assert(buf && size > 0);
        buf[0] = 0;
        if (cg_init() < 0 || cgroup_get_subsys_mount_point("memory", &mnt) != 0 || !mnt)
                return -ENODEV;
        return copy_path(mnt, buf, size);
}

/* libcgroup 2.0 knows a cgroup2 mount only through its controllers, and
 * names a controller-less one after the wrong controller ("hugetlb
 * /sys/fs/cgroup/unified" on the build machine): read the mount table. */
int df_cgroup_v2_mount(char *buf, size_t size) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mounts", "re");
        char dev[256], dir[1024], type[64];

        assert(buf && size > 0);
        buf[0] = 0;
        while (f && fscanf(f, "%255s %1023s %63s %*[^\n]", dev, dir, type) == 3)
                if (strcmp(type, "cgroup2") == 0)
                        return copy_path(dir, buf, size);
        return -ENODEV;
}

/* Depth-first; d_ino of a kernfs directory entry is the cgroup's inode, so
 * no stat() per cgroup. */
static bool walk(char *path, size_t size, size_t len, uint64_t ino, int depth) {
        struct dirent *de;
        bool found = false;
        DIR *d;

        if (depth > DF_CGROUP_WALK_MAX_DEPTH)
                return false;
        d = opendir(path);
        if (!d)
                return false;
        while (!found && (de = readdir(d))) {
                if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if ((size_t) snprintf(path + len, size - len, "/%s", de->d_name) >= size - len) {
                        path[len] = 0;
                        continue;
                }
                found = (uint64_t) de->d_ino == ino || walk(path, size, strlen(path), ino, depth + 1);
                if (!found)
                        path[len] = 0;
        }
        closedir(d);
        return found;
}

int df_cgroup_find_inode(const char *mount, uint64_t ino, char *buf, size_t size) {
        char path[4096];
        struct stat st;
        size_t mlen;

        assert(mount && buf && size > 0);
        buf[0] = 0;
        if (stat(mount, &st) < 0)
                return -errno;
        if ((uint64_t) st.st_ino == ino)
                return copy_path("/", buf, size);
        if (copy_path(mount, path, sizeof(path)) < 0)
                return -ENAMETOOLONG;
        mlen = strlen(path);
        while (mlen > 1 && path[mlen - 1] == '/')
                path[--mlen] = 0;
        if (!walk(path, sizeof(path), mlen, ino, 0))
                return -ENOENT;
        return copy_path(path + mlen, buf, size);
}

/* The cgroup with inode `ino` below the mount `find_mount` names. */
static int path_below(int (*find_mount)(char *, size_t), uint64_t ino, char *buf, size_t size) {
        char mount[1024];
        int r;

        assert(buf && size > 0);
        buf[0] = 0;
        r = find_mount(mount, sizeof(mount));
        return r < 0 ? r : df_cgroup_find_inode(mount, ino, buf, size);
}

int df_cgroup_path_by_id(uint64_t id, char *buf, size_t size) {
        return path_below(df_cgroup_v2_mount, id, buf, size);
}

int df_cgroup_path_by_inode(uint64_t ino, char *buf, size_t size) {
        return path_below(df_cgroup_memory_mount, ino, buf, size);
}
