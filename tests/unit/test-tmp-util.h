/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Temp trees for unit tests: a private directory under $TMPDIR, files and
 * directories in it, and removing it all. Failing to set up bails out (TAP). */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* <$TMPDIR or /tmp>/defragd-<name>.XXXXXX, created 0700. */
static inline void tmp_dir_make(char *buf, size_t size, const char *name) {
        const char *t = getenv("TMPDIR");

        snprintf(buf, size, "%s/defragd-%s.XXXXXX", t && *t ? t : "/tmp", name);
        if (!mkdtemp(buf)) {
                printf("Bail out! mkdtemp %s: %s\n", buf, strerror(errno));
                exit(1);
        }
}

static inline void rm_rf(const char *path) {
        char cmd[600];

        snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", path);
        if (system(cmd) != 0)
                printf("# could not remove %s\n", path);
}

static inline void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");

        if (!f) {
                printf("Bail out! cannot write %s: %s\n", path, strerror(errno));
                exit(1);
        }
        fputs(text, f);
        fclose(f);
}

static inline void mkdir_p(const char *path) {
        char buf[512];

        snprintf(buf, sizeof(buf), "%s", path);
        for (char *p = buf + 1; *p; p++)
                if (*p == '/') {
                        *p = 0;
                        (void) mkdir(buf, 0755);
                        *p = '/';
                }
        (void) mkdir(buf, 0755);
}
