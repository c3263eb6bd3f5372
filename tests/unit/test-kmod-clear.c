/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The companion module's client on a copy of a sysfs capture (guest, 6.12):
 * ABI check, absence, the record read back after a clear, counters, errors. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "defragd/kmod-clear.h"
#include "defragd/util.h"
#include "test-util.h"

#define CAPTURE "kmod-clear-6.12"

static const char *const files[] = {
        "abi_version", "order_min", "order_max", "free_mode", "clear", "last",
        "counters/tried", "counters/cleared", "counters/busy", "counters/interrupted", "counters/nomem",
        "counters/failed", "counters/pages_in_use", "counters/pages_moved", "counters/clear_usec",
        "counters/fallback_pages",
};

static char root[PATH_MAX];

static void put(const char *rel, const char *text) {
        char path[PATH_MAX * 2];
        FILE *f;

        snprintf(path, sizeof(path), "%s" DF_KMOD_CLEAR_DIR "/%s", root, rel);
        f = fopen(path, "w");
        if (!f) {
                perror(path);
                exit(1);
        }
        fputs(text, f);
        fclose(f);
}

static void get(const char *rel, char *buf, size_t size) {
        char path[PATH_MAX * 2];
        FILE *f;
        size_t n;

        snprintf(path, sizeof(path), "%s" DF_KMOD_CLEAR_DIR "/%s", root, rel);
        f = fopen(path, "r");
        if (!f) {
                perror(path);
                exit(1);
        }
        n = fread(buf, 1, size - 1, f);
        buf[n] = '\0';
        fclose(f);
}

/* A fresh writable copy of the capture in a temporary root. */
static void fresh_root(void) {
        char cmd[PATH_MAX * 3];

        if (root[0]) {
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
                if (system(cmd) != 0)
                        exit(1);
        }
        snprintf(root, sizeof(root), "/tmp/test-kmod-clear.XXXXXX");
        if (!mkdtemp(root)) {
                perror("mkdtemp");
                exit(1);
        }
        snprintf(cmd, sizeof(cmd), "mkdir -p '%s" DF_KMOD_CLEAR_DIR "/counters'", root);
        if (system(cmd) != 0)
                exit(1);
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                char rel[256], buf[4096];
                FILE *f;
                size_t n;

                snprintf(rel, sizeof(rel), CAPTURE DF_KMOD_CLEAR_DIR "/%s", files[i]);
                f = fopen(test_fixture_path(rel), "r");
                if (!f) {
                        perror(test_fixture_path(rel));
                        exit(1);
                }
                n = fread(buf, 1, sizeof(buf) - 1, f);
                buf[n] = '\0';
                fclose(f);
                put(files[i], buf);
        }
}

static void test_capture_opens(void) {
        struct df_error err = { { 0 } };
        struct df_kmod_clear *k = NULL;
        struct df_kmod_clear_counters c;

        fresh_root();
        ASSERT_OK(df_kmod_clear_open(root, &k, &err), &err);
        ASSERT_EQ_U64(df_kmod_clear_order_min(k), 9);
        ASSERT_EQ_U64(df_kmod_clear_order_max(k), 10);
        ASSERT_OK(df_kmod_clear_read_counters(k, &c, &err), &err);
        ASSERT_TRUE(c.tried >= c.cleared + c.busy);
        df_kmod_clear_close(k);
}

static void test_absent_module(void) {
        struct df_error err = { { 0 } };
        struct df_kmod_clear *k = NULL;
        char cmd[PATH_MAX + 64];

        fresh_root();
        snprintf(cmd, sizeof(cmd), "rm -rf '%s/sys'", root);
        ASSERT_EQ_INT(system(cmd), 0);
        ASSERT_EQ_INT(df_kmod_clear_open(root, &k, &err), -ENOENT);
        ASSERT_TRUE(k == NULL);
        ASSERT_CONTAINS(err.msg, DF_KMOD_CLEAR_DIR ": No such file or directory: kernel module defragd_clear is not loaded; accepted: modprobe defragd_clear");
}

static void test_abi_mismatch(void) {
        struct df_error err = { { 0 } };
        struct df_kmod_clear *k = NULL;

        fresh_root();
        put("abi_version", "2\n");
        ASSERT_EQ_INT(df_kmod_clear_open(root, &k, &err), -EPROTO);
        ASSERT_CONTAINS(err.msg, DF_KMOD_CLEAR_DIR "/abi_version: abi_version=2; accepted: 1 (this defragd's)");
        put("abi_version", "one\n");
        ASSERT_EQ_INT(df_kmod_clear_open(root, &k, &err), -EPROTO);
        ASSERT_CONTAINS(err.msg, "abi_version: \"one\" is not a number; accepted: an unsigned decimal");
        put("abi_version", "1\n");
        put("order_max", "7\n");
        ASSERT_EQ_INT(df_kmod_clear_open(root, &k, &err), -EPROTO);
        ASSERT_CONTAINS(err.msg, "order range 9..7 is impossible");
        ASSERT_TRUE(k == NULL);
}

static void test_clear_reads_its_record(void) {
        struct df_error err = { { 0 } };
        struct df_kmod_clear *k = NULL;
        struct df_kmod_clear_result r;
        struct df_kmod_clear_last before;
        char buf[256];

        fresh_root();
        get("last", buf, sizeof(buf));
        ASSERT_EQ_INT(df_kmod_clear_parse_last(buf, &before), 0);
        ASSERT_OK(df_kmod_clear_open(root, &k, &err), &err);
        /* What the module would record for this write, one seq on. */
        snprintf(buf, sizeof(buf), "seq=%llu pfn=262144 order=9 result=0 pages_in_use=128 pages_moved=128 usec=2100 fallback_pages=0\n",
                 (unsigned long long) before.seq + 1);
        put("last", buf);
        ASSERT_EQ_INT(df_kmod_clear_block(k, 262144, 9, &r), 0);
        get("clear", buf, sizeof(buf));
        ASSERT_STREQ(buf, "262144 9\n");
        ASSERT_TRUE(r.detail_known);
        ASSERT_EQ_U64(r.detail.pages_moved, 128);
        ASSERT_EQ_U64(r.detail.usec, 2100);
        /* The same record again (a write the module rejected): not ours. */
        ASSERT_EQ_INT(df_kmod_clear_block(k, 262144, 9, &r), 0);
        ASSERT_TRUE(!r.detail_known);
        /* A newer record for another block (a second writer): not ours either. */
        snprintf(buf, sizeof(buf), "seq=%llu pfn=262656 order=9 result=-16 pages_in_use=3 pages_moved=0 usec=40 fallback_pages=0\n",
                 (unsigned long long) before.seq + 2);
        put("last", buf);
        ASSERT_EQ_INT(df_kmod_clear_block(k, 262144, 9, &r), 0);
        ASSERT_TRUE(!r.detail_known);
        df_kmod_clear_close(k);
}

static void test_unloaded_module(void) {
        struct df_error err = { { 0 } };
        struct df_kmod_clear *k = NULL;
        struct df_kmod_clear_result r;
        char cmd[PATH_MAX + 64];

        fresh_root();
        ASSERT_OK(df_kmod_clear_open(root, &k, &err), &err);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s/sys'", root);
        ASSERT_EQ_INT(system(cmd), 0);
        ASSERT_EQ_INT(df_kmod_clear_block(k, 512, 9, &r), -ENODEV);
        ASSERT_EQ_INT(r.error, -ENODEV);
        ASSERT_STREQ(df_kmod_clear_error_meaning(r.error), "the module was unloaded");
        df_kmod_clear_close(k);
}

static void test_error_meanings(void) {
        ASSERT_CONTAINS(df_kmod_clear_error_meaning(-EBUSY), "cannot be moved");
        ASSERT_CONTAINS(df_kmod_clear_error_meaning(-EINVAL), "rejected: ");
        ASSERT_CONTAINS(df_kmod_clear_error_meaning(-EINTR), "interrupted");
        ASSERT_CONTAINS(df_kmod_clear_error_meaning(-ENOMEM), "no free memory");
        ASSERT_CONTAINS(df_kmod_clear_error_meaning(-EROFS), "ReadWritePaths=/sys/kernel/defragd_clear");
        ASSERT_STREQ(df_kmod_clear_error_meaning(-EIO), strerror(EIO));
}

static void test_parse_last(void) {
        struct df_kmod_clear_last l;

        ASSERT_EQ_INT(df_kmod_clear_parse_last("seq=7 pfn=1024 order=10 result=-16 pages_in_use=12 pages_moved=0 usec=55 fallback_pages=0\n", &l), 0);
        ASSERT_EQ_U64(l.seq, 7);
        ASSERT_EQ_U64(l.pfn, 1024);
        ASSERT_EQ_U64(l.order, 10);
        ASSERT_EQ_INT(l.result, -EBUSY);
        /* Keys a newer module adds are skipped; a missing or bad one is not. */
        ASSERT_EQ_INT(df_kmod_clear_parse_last("seq=1 pfn=0 order=9 result=0 pages_in_use=0 pages_moved=0 usec=1 fallback_pages=0 zone=DMA32", &l), 0);
        ASSERT_EQ_INT(df_kmod_clear_parse_last("seq=1 pfn=0 order=9 result=0 pages_in_use=0 pages_moved=0 usec=1", &l), -EINVAL);
        ASSERT_EQ_INT(df_kmod_clear_parse_last("seq=1 pfn=0 order=9 result=16 pages_in_use=0 pages_moved=0 usec=1 fallback_pages=0", &l), -EINVAL);
        ASSERT_EQ_INT(df_kmod_clear_parse_last("seq=x pfn=0 order=9 result=0 pages_in_use=0 pages_moved=0 usec=1 fallback_pages=0", &l), -EINVAL);
        ASSERT_EQ_INT(df_kmod_clear_parse_last("garbage", &l), -EINVAL);
        ASSERT_EQ_INT(df_kmod_clear_parse_last("", &l), -EINVAL);
}

int main(void) {
        RUN_TEST(test_capture_opens);
        RUN_TEST(test_absent_module);
        RUN_TEST(test_abi_mismatch);
        RUN_TEST(test_clear_reads_its_record);
        RUN_TEST(test_unloaded_module);
        RUN_TEST(test_error_meanings);
        RUN_TEST(test_parse_last);
        if (root[0]) {
                char cmd[PATH_MAX + 16];

                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
                if (system(cmd) != 0)
                        fprintf(stderr, "cannot remove %s, ignoring\n", root);
        }
        return test_summary();
}
