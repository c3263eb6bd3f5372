/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Config paths from a bad environment (issue 13): devices, FIFOs, sockets,
 * directories, symlink loops, unreadable, huge and growing files, 10,000
 * drop-ins. Each is a real object in a temp dir: a clear error, never a hang. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "defragd/conf.h"
#include "defragd/util.h"
#include "test-policy-util.h"
#include "test-tmp-util.h"

static char tmpdir[256];

/* --config PATH: the result and the whole message. */
static int load_explicit(const char *path, struct df_error *err) {
        _cleanup_free_ struct df_config *c = malloc(sizeof(*c));

        if (!c)
                return -ENOMEM;
        df_config_defaults(c);
        return df_config_load(c, tmpdir, path, err);
}

static void expect_refused(const char *path, int want_r, const char *why) {
        struct df_error err = { "" };
        char want[800];

        CHECK_INT(load_explicit(path, &err), want_r);
        snprintf(want, sizeof(want), "%s: %s", path, why);
        CHECK_STR(err.msg, want);
}

#define NOT_CONFIG ", not a config file; accepted: a regular file or a symlink to one"

static void test_devices(void) {
        struct df_error err = { "" };

        /* `defragd --check-config --config /dev/zero` used to read forever */
        expect_refused("/dev/zero", -EINVAL, "a character device" NOT_CONFIG);
        /* the null device is systemd's "masked": an empty config, the defaults */
        CHECK_INT(load_explicit("/dev/null", &err), 0);
        CHECK_STR(err.msg, "");
}

static void test_fifo_dir_socket(void) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char path[512];
        int fd;

        /* a FIFO without a writer: open() would wait for one without O_NONBLOCK */
        snprintf(path, sizeof(path), "%s/fifo.conf", tmpdir);
        CHECK(mkfifo(path, 0600) == 0);
        expect_refused(path, -EINVAL, "a FIFO" NOT_CONFIG);

        snprintf(path, sizeof(path), "%s/dir.conf", tmpdir);
        mkdir_p(path);
        expect_refused(path, -EISDIR, "Is a directory");

        snprintf(path, sizeof(path), "%s/sock.conf", tmpdir);
        CHECK(strlen(path) < sizeof(sa.sun_path));
        memcpy(sa.sun_path, path, strlen(path) < sizeof(sa.sun_path) ? strlen(path) + 1 : 0);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        CHECK(fd >= 0 && bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0);
        expect_refused(path, -EINVAL, "a socket" NOT_CONFIG);
        close(fd);
}

static void test_symlink_loops(void) {
        struct df_error err = { "" };
        char root[400], dir[500], a[600], b[600], want[1400];
        char **paths = NULL;
        size_t n = 0;
        _cleanup_free_ struct df_config *c = malloc(sizeof(*c));

        /* a drop-in that is a loop a.conf -> b.conf -> a.conf: named, ELOOP */
        snprintf(root, sizeof(root), "%s/loop1", tmpdir);
        snprintf(dir, sizeof(dir), "%s%s/defragd.conf.d", root, DEFRAGD_SYSCONFDIR);
        mkdir_p(dir);
        snprintf(a, sizeof(a), "%s/a.conf", dir);
        snprintf(b, sizeof(b), "%s/b.conf", dir);
        CHECK(symlink(b, a) == 0 && symlink(a, b) == 0);
        CHECK(c != NULL);
        if (!c)
                return;
        CHECK_INT(df_config_load(c, root, NULL, &err), -ELOOP);
        snprintf(want, sizeof(want), "%s: %s", a, strerror(ELOOP));
        CHECK_STR(err.msg, want);

        /* the drop-in directory itself a loop: refused, naming it */
        snprintf(root, sizeof(root), "%s/loop2", tmpdir);
        snprintf(dir, sizeof(dir), "%s/run", root);
        mkdir_p(dir);
        snprintf(dir, sizeof(dir), "%s/run/defragd.conf.d", root);
        CHECK(symlink(dir, dir) == 0);
        CHECK_INT(df_config_collect_files(root, &paths, &n, &err), -ELOOP);
        snprintf(want, sizeof(want), "%s: %s; accepted: a drop-in directory, or none", dir, strerror(ELOOP));
        CHECK_STR(err.msg, want);
}

/* As root every file is readable: drop to nobody in a child to get EACCES. */
static void test_unreadable(void) {
        char path[512], want[700];
        int status = 0;
        pid_t pid;

        snprintf(path, sizeof(path), "%s/secret.conf", tmpdir);
        write_file(path, "[Daemon]\nDryRun=yes\n");
        CHECK(chmod(path, 0000) == 0);
        pid = fork();
        if (pid == 0) {
                struct df_error err = { "" };
                int r;

                if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
                                       setresuid(65534, 65534, 65534) < 0))
                        _exit(3);
                r = load_explicit(path, &err);
                snprintf(want, sizeof(want), "%s: %s", path, strerror(EACCES));
                _exit(r == -EACCES && strcmp(err.msg, want) == 0 ? 0 : 1);
        }
        CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status));
        CHECK_INT(WEXITSTATUS(status), 0);
}

static void test_size_cap(void) {
        char path[512], why[300];
        int fd;

        /* sparse: st_size says 2 MiB before a byte is read */
        snprintf(path, sizeof(path), "%s/huge.conf", tmpdir);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        CHECK(fd >= 0 && ftruncate(fd, 2u << 20) == 0);
        if (fd >= 0)
                close(fd);
        snprintf(why, sizeof(why), "%u bytes; accepted: a config file of at most %u bytes", 2u << 20,
                 DF_CONF_FILE_MAX_BYTES);
        expect_refused(path, -EFBIG, why);
}

/* A writer appends comment lines without pause while the loader reads:
 * either it reads a prefix (all comments: the defaults) or the file grew
 * past the cap while being read. Both are bounded; nothing else may happen. */
static void test_growing_file(void) {
        char path[512], grew[700];
        unsigned n_read = 0, n_refused = 0;
        pid_t pid;

        snprintf(path, sizeof(path), "%s/growing.conf", tmpdir);
        write_file(path, "[Daemon]\n");
        pid = fork();
        if (pid == 0) {
                FILE *f = fopen(path, "ae");

                for (;;) {
                        if (!f || fputs("# a comment line that keeps the file growing while it is read\n", f) < 0)
                                _exit(1);
                        fflush(f);
                }
        }
        CHECK(pid > 0);
        for (int i = 0; i < 20; i++) {
                struct df_error err = { "" };
                int r = load_explicit(path, &err);

                snprintf(grew, sizeof(grew), "%s: grew past %u bytes while being read; accepted: a config file of "
                         "at most %u bytes, replaced atomically (write a new file, then rename it)",
                         path, DF_CONF_FILE_MAX_BYTES, DF_CONF_FILE_MAX_BYTES);
                if (r == -EFBIG && strncmp(err.msg, path, strlen(path)) == 0 && strstr(err.msg, "bytes; accepted")) {
                        n_refused++; /* st_size already over the cap, or grew past it: both refused */
                        continue;
                }
                if (r != 0)
                        CHECK_STR(err.msg, grew);
                n_read++;
        }
        printf("# growing file: %u loads read a prefix, %u refused as too large\n", n_read, n_refused);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);

        /* A file whose st_size says 0 and that holds megabytes (procfs): read
         * up to the cap and refused, as a file that grew while read. */
        if (access("/proc/kallsyms", R_OK) == 0) {
                struct df_error err = { "" };

                CHECK_INT(load_explicit("/proc/kallsyms", &err), -EFBIG);
                snprintf(grew, sizeof(grew), "/proc/kallsyms: grew past %u bytes while being read; accepted: a config "
                         "file of at most %u bytes, replaced atomically (write a new file, then rename it)",
                         DF_CONF_FILE_MAX_BYTES, DF_CONF_FILE_MAX_BYTES);
                CHECK_STR(err.msg, grew);
        } else
                printf("# /proc/kallsyms not readable: the size-0 procfs case is not tested\n");
}

static void make_dropins(const char *root, unsigned n) {
        char dir[500], path[600];

        snprintf(dir, sizeof(dir), "%s%s/defragd.conf.d", root, DEFRAGD_SYSCONFDIR);
        mkdir_p(dir);
        for (unsigned i = 0; i < n; i++) {
                snprintf(path, sizeof(path), "%s/%05u.conf", dir, i);
                write_file(path, i % 2 ? "[Daemon]\nDryRun=yes\n" : "[Daemon]\nDryRun=no\n");
        }
}

static void test_many_dropins(void) {
        _cleanup_free_ struct df_config *c = malloc(sizeof(*c));
        struct df_error err = { "" };
        char root[400], dir[500], want[900];

        CHECK(c != NULL);
        if (!c)
                return;
        /* at the cap: every file read, the last one wins */
        snprintf(root, sizeof(root), "%s/many-ok", tmpdir);
        make_dropins(root, DF_CONF_MAX_DROPINS);
        CHECK_INT(df_config_load(c, root, NULL, &err), 0);
        CHECK_STR(err.msg, "");
        CHECK(c->dry_run == ((DF_CONF_MAX_DROPINS - 1) % 2 == 1));
        CHECK_INT(c->origin.key[DF_KEY_DRY_RUN].file, DF_ORIGIN_OVERFLOW);

        /* 10,000: refused with the directory named, after at most the cap */
        snprintf(root, sizeof(root), "%s/many", tmpdir);
        make_dropins(root, 10000);
        snprintf(dir, sizeof(dir), "%s%s/defragd.conf.d", root, DEFRAGD_SYSCONFDIR);
        CHECK_INT(df_config_load(c, root, NULL, &err), -E2BIG);
        snprintf(want, sizeof(want), "%s: more than %d drop-ins in the drop-in directories; accepted: at most %d "
                 "*.conf files", dir, DF_CONF_MAX_DROPINS, DF_CONF_MAX_DROPINS);
        CHECK_STR(err.msg, want);
}

int main(void) {
        int r;

        tmp_dir_make(tmpdir, sizeof(tmpdir), "test-conf-paths");
        if (chmod(tmpdir, 0755) < 0) { /* test_unreadable's child runs as nobody */
                printf("Bail out! chmod %s: %s\n", tmpdir, strerror(errno));
                return 1;
        }
        RUN(test_devices);
        RUN(test_fifo_dir_socket);
        RUN(test_symlink_loops);
        RUN(test_unreadable);
        RUN(test_size_cap);
        RUN(test_growing_file);
        RUN(test_many_dropins);
        r = tp_finish();
        rm_rf(tmpdir);
        return r;
}
