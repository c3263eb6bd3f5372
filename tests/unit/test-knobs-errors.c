/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Knob changes when the kernel or the runtime directory says no (issue 13),
 * with real errors: a knob read-only to its writer (EACCES), a read-only
 * bind mount (EROFS), /dev/full (ENOSPC) or /proc/self/mem (EIO) bound over
 * a knob; a full tmpfs and
 * a read-only tmpfs as runtime directory (the state file cannot be written,
 * so the knob must not change); a truncated or corrupt state file at start
 * (nothing restored, nothing changed, the file kept). Root: mounts happen in
 * a private mount namespace and vanish with the test. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <grp.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "defragd/knobs.h"
#include "defragd/util.h"
#include "test-util.h"

#define KNOB "/proc/sys/vm/compaction_proactiveness"

static char tmp[64], root[128], knob[256], run[128], state[192];

static void put(const char *path, const char *text) {
        FILE *f = fopen(path, "we");

        if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
                fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
                exit(1);
        }
}

static const char *get(const char *path) {
        static char buf[256];

        if (df_knob_read(path, buf, sizeof(buf)) < 0)
                snprintf(buf, sizeof(buf), "(unreadable)");
        return buf;
}

static bool exists(const char *path) { return access(path, F_OK) == 0; }

static void reset(void) {
        put(knob, "20\n");
        chmod(knob, 0644);
        unlink(state);
}

/* Set the knob expecting `want_r`; then the knob must still read 20 and no
 * record may be left behind. */
static int set_fails(int want_r, const char *want_msg) {
        struct df_error err = { "" };
        struct df_knobs *k = NULL;
        int r;

        if (df_knobs_new(state, root, &k) < 0)
                return -1;
        r = df_knobs_set(k, KNOB, "55", "test", &err);
        fprintf(stderr, "  df_knobs_set -> %d: %s\n", r, err.msg);
        if (r != want_r || !strstr(err.msg, want_msg) || strcmp(get(knob), "20") != 0 || df_knobs_count(k) != 0) {
                fprintf(stderr, "  expected %d (\"%s\"), knob 20, nothing recorded; knob %s, %u recorded\n", want_r,
                        want_msg, get(knob), df_knobs_count(k));
                df_knobs_free(k);
                return -1;
        }
        df_knobs_free(k);
        return 0;
}

static void test_knob_eacces(void) {
        pid_t pid;
        int status;

        reset();
        /* A knob the writer may read but not write (as sysfs 0444 files are). */
        ASSERT_TRUE(chmod(knob, 0444) == 0);
        ASSERT_TRUE(chown(run, 65534, 65534) == 0);
        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                        _exit(2);
                _exit(set_fails(-EACCES, "cannot write") == 0 ? 0 : 1);
        }
        ASSERT_TRUE(waitpid(pid, &status, 0) == pid);
        ASSERT_TRUE(chown(run, 0, 0) == 0);
        ASSERT_EQ_INT(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
        ASSERT_TRUE(!exists(state));
}

static void test_knob_erofs(void) {
        reset();
        ASSERT_TRUE(mount(knob, knob, NULL, MS_BIND, NULL) == 0);
        ASSERT_TRUE(mount(NULL, knob, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) == 0);
        ASSERT_EQ_INT(set_fails(-EROFS, "Read-only file system"), 0);
        ASSERT_TRUE(umount(knob) == 0);
        ASSERT_TRUE(!exists(state));
}

static void test_knob_enospc(void) {
        reset();
        /* /dev/full reads as zeros and refuses every write with ENOSPC. */
        ASSERT_TRUE(mount("/dev/full", knob, NULL, MS_BIND, NULL) == 0);
        {
                struct df_error err = { "" };
                struct df_knobs *k = NULL;
                int r;

                ASSERT_TRUE(df_knobs_new(state, root, &k) == 0);
                r = df_knobs_set(k, KNOB, "55", "test", &err);
                fprintf(stderr, "  df_knobs_set -> %d: %s\n", r, err.msg);
                ASSERT_EQ_INT(df_knobs_count(k), 0);
                df_knobs_free(k);
                ASSERT_EQ_INT(r, -ENOSPC);
        }
        ASSERT_TRUE(umount(knob) == 0);
        ASSERT_TRUE(!exists(state));
        ASSERT_STREQ(get(knob), "20");
}

/* EIO, real: /proc/self/mem bound over the knob answers every read and
 * write at offset 0 (never mapped, mmap_min_addr) with EIO. A knob that
 * cannot be read is not changed; one that cannot be put back keeps its
 * record for the next start. */
static void test_knob_eio(void) {
        struct df_error err = { "" };
        struct df_knobs *k = NULL;

        reset();
        ASSERT_TRUE(mount("/proc/self/mem", knob, NULL, MS_BIND, NULL) == 0);
        ASSERT_TRUE(df_knobs_new(state, root, &k) == 0);
        ASSERT_EQ_INT(df_knobs_set(k, KNOB, "55", "test", &err), -EIO);
        fprintf(stderr, "  df_knobs_set -> %s\n", err.msg);
        ASSERT_EQ_INT(df_knobs_count(k), 0);
        df_knobs_free(k);
        ASSERT_TRUE(umount(knob) == 0);
        ASSERT_TRUE(!exists(state));
        ASSERT_STREQ(get(knob), "20");

        ASSERT_TRUE(df_knobs_new(state, root, &k) == 0);
        ASSERT_OK(df_knobs_set(k, KNOB, "55", "test", &err), &err);
        ASSERT_TRUE(mount("/proc/self/mem", knob, NULL, MS_BIND, NULL) == 0);
        ASSERT_EQ_INT(df_knobs_restore_all(k, "test", &err), -EIO);
        fprintf(stderr, "  restore -> %s\n", err.msg);
        df_knobs_free(k);
        ASSERT_TRUE(umount(knob) == 0);
        ASSERT_TRUE(exists(state));
        ASSERT_STREQ(get(knob), "55");
        ASSERT_TRUE(df_knobs_new(state, root, &k) == 0);
        ASSERT_EQ_INT(df_knobs_recover(k, &err), 1);
        df_knobs_free(k);
        ASSERT_STREQ(get(knob), "20");
        ASSERT_TRUE(!exists(state));
}

static void test_rundir_full(void) {
        char fill[256], tmpf[256];
        int fd;

        reset();
        ASSERT_TRUE(mount("tmpfs", run, "tmpfs", 0, "size=4k,mode=0700") == 0);
        snprintf(fill, sizeof(fill), "%s/fill", run);
        fd = open(fill, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        {
                char block[512] = { 0 };
                while (write(fd, block, sizeof(block)) > 0)
                        ;
                ASSERT_EQ_INT(errno, ENOSPC);
        }
        close(fd);
        ASSERT_EQ_INT(set_fails(-ENOSPC, "cannot write"), 0);
        snprintf(tmpf, sizeof(tmpf), "%s.tmp", state);
        ASSERT_TRUE(!exists(state));
        ASSERT_TRUE(!exists(tmpf)); /* no partial record left for a later start to trust */
        ASSERT_TRUE(umount(run) == 0);
}

static void test_rundir_readonly(void) {
        reset();
        ASSERT_TRUE(mount("tmpfs", run, "tmpfs", MS_RDONLY, "size=64k,mode=0700") == 0);
        ASSERT_EQ_INT(set_fails(-EROFS, "cannot create"), 0);
        ASSERT_TRUE(umount(run) == 0);
}

/* A knob written once, then refusing: its record stays until it is restored,
 * also across an instance that could not restore it. */
static void test_restore_refused_keeps_record(void) {
        struct df_error err = { "" };
        struct df_knobs *k = NULL;

        reset();
        ASSERT_TRUE(df_knobs_new(state, root, &k) == 0);
        ASSERT_OK(df_knobs_set(k, KNOB, "55", "test", &err), &err);
        ASSERT_TRUE(mount(knob, knob, NULL, MS_BIND, NULL) == 0);
        ASSERT_TRUE(mount(NULL, knob, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) == 0);
        ASSERT_EQ_INT(df_knobs_set(k, KNOB, "60", "test", &err), -EROFS);
        ASSERT_EQ_INT(df_knobs_count(k), 1); /* still changed (55): the record stays */
        ASSERT_TRUE(df_knobs_restore_all(k, "test", &err) == -EROFS);
        df_knobs_free(k);
        ASSERT_TRUE(exists(state));
        ASSERT_STREQ(get(knob), "55");
        ASSERT_TRUE(umount(knob) == 0);
        /* The next start puts it back. */
        ASSERT_TRUE(df_knobs_new(state, root, &k) == 0);
        ASSERT_EQ_INT(df_knobs_recover(k, &err), 1);
        df_knobs_free(k);
        ASSERT_STREQ(get(knob), "20");
        ASSERT_TRUE(!exists(state));
}

static void corrupt_case(const char *content, const char *want_msg) {
        struct df_error err = { "" };
        struct df_knobs *k = NULL;
        char buf[512] = "";
        FILE *f;
        int r;

        put(knob, "55\n"); /* a crashed instance's value */
        put(state, content);
        ASSERT_TRUE(df_knobs_new(state, root, &k) == 0);
        r = df_knobs_recover(k, &err);
        fprintf(stderr, "  recover -> %d: %s\n", r, err.msg);
        ASSERT_EQ_INT(r, -EBADMSG);
        ASSERT_CONTAINS(err.msg, want_msg);
        ASSERT_CONTAINS(err.msg, "kept");
        ASSERT_STREQ(get(knob), "55");                           /* not restored from an untrusted record */
        ASSERT_EQ_INT(df_knobs_set(k, KNOB, "30", "test", &err), -EBADMSG); /* nor changed */
        ASSERT_CONTAINS(err.msg, "corrupt");
        ASSERT_STREQ(get(knob), "55");
        ASSERT_EQ_INT(df_knobs_restore_all(k, "test", &err), 0);
        df_knobs_free(k);
        f = fopen(state, "re");
        ASSERT_TRUE(f);
        (void) !fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        ASSERT_STREQ(buf, content); /* kept, untouched */
}

static void test_state_truncated(void) {
        /* "20" cut to "2": restoring it would set a value nobody had. */
        corrupt_case(KNOB "\t2", "knobs.state:1: line cut short");
}

static void test_state_garbage(void) {
        corrupt_case(KNOB "\t20\n\x01\x02\xff garbage\n", "knobs.state:2: not \"/proc/sys/");
}

static void test_state_foreign_path(void) {
        corrupt_case("/etc/passwd\troot\n", "knobs.state:1: not \"/proc/sys/");
}

static void test_state_good(void) {
        struct df_error err = { "" };
        struct df_knobs *k = NULL;

        put(knob, "55\n");
        put(state, KNOB "\t20\n");
        ASSERT_TRUE(df_knobs_new(state, root, &k) == 0);
        ASSERT_EQ_INT(df_knobs_recover(k, &err), 1);
        df_knobs_free(k);
        ASSERT_STREQ(get(knob), "20");
        ASSERT_TRUE(!exists(state));
}

int main(void) {
        if (geteuid() != 0)
                TEST_SKIP("needs root (mounts in a private namespace, a non-root writer)");
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                TEST_SKIP("cannot make a private mount namespace: %s", strerror(errno));
        snprintf(tmp, sizeof(tmp), "/tmp/defragd-knobs.XXXXXX");
        if (!mkdtemp(tmp))
                return 1;
        chmod(tmp, 0755); /* the non-root writer must reach its runtime directory */
        snprintf(root, sizeof(root), "%s/root", tmp);
        snprintf(run, sizeof(run), "%s/run", tmp);
        snprintf(knob, sizeof(knob), "%s" KNOB, root);
        snprintf(state, sizeof(state), "%s/knobs.state", run);
        {
                char cmd[1024];
                snprintf(cmd, sizeof(cmd), "mkdir -p %s/proc/sys/vm %s && chmod 755 %s %s/proc %s/proc/sys %s/proc/sys/vm",
                         root, run, root, root, root, root);
                if (system(cmd) != 0)
                        return 1;
        }

        RUN_TEST(test_knob_eacces);
        RUN_TEST(test_knob_erofs);
        RUN_TEST(test_knob_enospc);
        RUN_TEST(test_knob_eio);
        RUN_TEST(test_rundir_full);
        RUN_TEST(test_rundir_readonly);
        RUN_TEST(test_restore_refused_keeps_record);
        RUN_TEST(test_state_truncated);
        RUN_TEST(test_state_garbage);
        RUN_TEST(test_state_foreign_path);
        RUN_TEST(test_state_good);

        {
                char cmd[128];
                snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
                (void) !system(cmd);
        }
        return test_summary();
}
