/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Malformed inputs: every one is refused with -EINVAL and a message naming
 * file:line, what was found and what is accepted; none crashes (ASan/UBSan). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "defragd/procfs.h"
#include "defragd/util.h"
#include "test-util.h"

enum kind { BUDDY, PAGETYPE, ZONE, VMSTAT, PSI };

struct bad {
        const char *file;   /* under malformed/ */
        enum kind kind;
        const char *msg;    /* after "<fixtures>/malformed/<file>" */
};

static const struct bad bads[] = {
        { "buddyinfo-truncated", BUDDY,
          ":2: last line ends without a newline (file cut short?); expected complete lines" },
        { "buddyinfo-garbage", BUDDY,
          ":1: found \"\\x7fELF\\x02\\x01\\x01 garbage \\xff\\xfe\"; expected a line \"Node N, zone NAME COUNT...\" with 1..16 counts" },
        { "buddyinfo-huge-number", BUDDY,
          ":1: free block count \"99999999999999999999999\" is larger than 18446744073709551615; expected an unsigned decimal count of free blocks" },
        { "buddyinfo-17-orders", BUDDY,
          ":1: zone Normal of node 0 has 17 orders; expected at most 16 (DF_MAX_ORDERS)" },
        { "buddyinfo-ragged", BUDDY,
          ":2: zone Movable of node 0 has 2 orders; expected 11 like line 1" },
        { "buddyinfo-empty", BUDDY,
          ":1: no zones; expected a line \"Node N, zone NAME COUNT...\" with 1..16 counts" },
        { "buddyinfo-duplicate", BUDDY,
          ":2: zone Normal of node 0 appears twice; expected each zone once" },
        { "buddyinfo-page-overflow", BUDDY,
          ":1: zone Normal of node 0: 18014398509481984 free blocks of order 10 make more than 2^50 pages; expected real counts" },
        { "buddyinfo-bad-node", BUDDY,
          ":1: node number \"x\" is not an unsigned decimal number; expected a node number 0..65535" },
        { "buddyinfo-no-counts", BUDDY,
          ":1: zone Normal of node 0 has no free block counts; expected 1..16 counts" },
        { "pagetypeinfo-truncated", PAGETYPE,
          ":10: pageblock counts for 0 of 1 zones (file cut short?); expected a \"Number of blocks type\" line per zone" },
        { "pagetypeinfo-bad-pages-per-block", PAGETYPE,
          ":2: 500 pages per block; expected 512 (2^9)" },
        { "pagetypeinfo-too-many-types", PAGETYPE,
          ":11: 9 migratetypes; expected at most 8" },
        { "pagetypeinfo-garbage", PAGETYPE,
          ":6: migratetype name \"Mov\\x01able\" has a non-printable character; expected a name like \"Normal\"" },
        { "pagetypeinfo-short-row", PAGETYPE,
          ":5: zone Normal of node 0 type Unmovable has 1 counts; expected 11, one per order of the header" },
        { "zoneinfo-truncated", ZONE,
          ":1: zone DMA of node 0 has no \"managed\" line (file cut short?); expected pages free, min, low, high, spanned, present and managed" },
        { "zoneinfo-bad-number", ZONE,
          ":32: \"present\" value \"1048576x\" is not an unsigned decimal number; expected a page count (unsigned decimal)" },
        { "zoneinfo-no-node", ZONE,
          ":1: found \"  pages free     12\" before any zone; expected \"Node N, zone NAME\" first" },
        { "zoneinfo-huge", ZONE,
          ":32: \"present\" value \"184467440737095516160\" is larger than 18446744073709551615; expected a page count (unsigned decimal)" },
        { "vmstat-bad-line", VMSTAT,
          ":2: found \"this line has three\"; expected \"name value\"" },
        { "vmstat-huge", VMSTAT,
          ":1: value of nr_free_pages \"18446744073709551616\" is larger than 18446744073709551615; expected an unsigned decimal number" },
        { "psi-garbage", PSI,
          ":2: avg10=\"abc\" is not a percentage; expected a decimal 0.00..100.00" },
        { "psi-missing-field", PSI,
          ":1: 4 fields; expected \"some|full avg10=P avg60=P avg300=P total=USEC\"" },
};

static int parse_file(const char *path, enum kind kind, struct df_error *err) {
        _cleanup_free_ char *text = NULL;
        struct df_snapshot s;
        struct df_vmstat v = { 0, NULL };
        struct df_psi p;
        int r;

        r = df_read_file(path, &text, NULL, err);
        if (r < 0)
                return r;
        df_snapshot_init(&s);
        switch (kind) {
        case BUDDY:    r = df_parse_buddyinfo(text, path, &s, err); break;
        case PAGETYPE: r = df_parse_pagetypeinfo(text, path, &s, err); break;
        case ZONE:     r = df_parse_zoneinfo(text, path, &s, err); break;
        case VMSTAT:   r = df_parse_vmstat(text, path, &v, err); break;
        case PSI:      r = df_parse_psi(text, path, &p, err); break;
        }
        df_snapshot_clear(&s);
        df_vmstat_clear(&v);
        return r;
}

static void check_one(const struct bad *b) {
        struct df_error err = { "" };
        char path[4096], expected[4096];
        int r;

        snprintf(path, sizeof(path), "%s/malformed/%s", test_fixtures(), b->file);
        snprintf(expected, sizeof(expected), "%s%s", path, b->msg);
        r = parse_file(path, b->kind, &err);
        if (getenv("PRINT_MESSAGES"))
                printf("{ \"%s\", %d, \"%s\" },\n", b->file, b->kind, err.msg + strlen(path));
        ASSERT_EQ_INT(r, -EINVAL);
        ASSERT_STREQ(err.msg, expected);
}

static void test_malformed_files(void) {
        bool failed = false;

        for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
                test_current_failed = false;
                check_one(&bads[i]);
                failed |= test_current_failed;
        }
        test_current_failed = failed;
}

/* Texts built in memory: too many zones, NUL bytes, too many orders in pagetypeinfo. */
static void test_limits(void) {
        struct df_snapshot s;
        struct df_error err = { "" };
        char tmpl[] = "/tmp/defragd-test-nul-XXXXXX";
        _cleanup_free_ char *text = NULL, *big = NULL;
        size_t len = 0;
        int fd;

        /* DF_MAX_ZONES + 1 zones */
        big = malloc((DF_MAX_ZONES + 1) * 40);
        ASSERT_TRUE(big != NULL);
        big[0] = 0;
        for (int i = 0; i <= DF_MAX_ZONES; i++)
                len += (size_t) sprintf(big + len, "Node %d, zone Normal 1\n", i % 65536);
        df_snapshot_init(&s);
        ASSERT_EQ_INT(df_parse_buddyinfo(big, "big", &s, &err), -EINVAL);
        ASSERT_STREQ(err.msg, "big:8193: cannot add zone Normal of node 8192; expected at most 8192 zones");
        df_snapshot_clear(&s);

        /* node number out of range */
        ASSERT_EQ_INT(df_parse_buddyinfo("Node 65536, zone Normal 1\n", "n", &s, &err), -EINVAL);
        ASSERT_STREQ(err.msg, "n:1: node number 65536 is out of range; expected a node number 0..65535");
        df_snapshot_clear(&s);

        /* zone name too long */
        ASSERT_EQ_INT(df_parse_buddyinfo("Node 0, zone ABCDEFGHIJKLMNOPQRSTUVWXYZ 1\n", "z", &s, &err), -EINVAL);
        ASSERT_STREQ(err.msg, "z:1: zone name \"ABCDEFGHIJKLMNOPQRSTUVWXYZ\" has 26 characters; expected 1..23");
        df_snapshot_clear(&s);

        /* a NUL byte inside a file */
        fd = mkstemp(tmpl);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ_INT(write(fd, "Node 0,\0zone", 12), 12);
        close(fd);
        ASSERT_EQ_INT(df_read_file(tmpl, &text, &len, &err), -EINVAL);
        unlink(tmpl);
        ASSERT_CONTAINS(err.msg, ": NUL byte at offset 7; expected a text file");

        /* pagetypeinfo with 17 orders in the header */
        ASSERT_EQ_INT(df_parse_pagetypeinfo("Page block order: 9\nPages per block:  512\n\n"
                                            "Free pages count per migrate type at order 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
                                            "p", &s, &err), -EINVAL);
        ASSERT_STREQ(err.msg, "p:4: 17 orders in the header; expected 1..16");
        df_snapshot_clear(&s);

        /* pageblock order out of range */
        ASSERT_EQ_INT(df_parse_pagetypeinfo("Page block order: 16\n", "p", &s, &err), -EINVAL);
        ASSERT_STREQ(err.msg, "p:1: pageblock order 16; expected 0..15");
        df_snapshot_clear(&s);
}

int main(void) {
        RUN_TEST(test_malformed_files);
        RUN_TEST(test_limits);
        return test_summary();
}
