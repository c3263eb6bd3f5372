/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The probes' journal reports without a kernel: which failures are due
 * (pending.c: baseline, deltas, one summary a minute) and the entries
 * report/probe-entries.c composes from them, text for text. */
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "defragd/probe-entries.h"
#include "defragd/report.h"
#include "defragd/util.h"
#include "probes-internal.h"
#include "test-policy-util.h"
#include "test-tmp-util.h"

static struct df_probes *fake_probes(void) {
        struct df_probes *p = calloc(1, sizeof(*p));

        if (!p)
                exit(1);
        p->status.loaded = true;           /* as if attached: no map is read without stalls */
        p->conf.trigger_min_order = 3;
        p->conf.report_stall_usec = 100 * USEC_PER_MSEC;
        return p;
}

static void test_due(void) {
        _cleanup_free_ struct df_probes *p = fake_probes();
        struct df_bpf_counters c = { 0 };
        struct df_probe_report r;
        const uint64_t t0 = 1000 * USEC_PER_SEC;

        /* failures from before the probes loaded are the baseline */
        c.alloc_fail_atomic[9] = 50;
        CHECK(!df_probes_take_report(p, &c, t0, &r));
        CHECK(!r.due);
        /* below TriggerMinOrder: not reported */
        c.alloc_fail_reclaim[2] = 7;
        CHECK(!df_probes_take_report(p, &c, t0 + 1, &r));
        /* the first report goes out at once */
        c.alloc_fail_atomic[4] = 1;
        c.alloc_fail_reclaim[4] = 2;
        c.alloc_fail_reclaim[9] = 1;
        CHECK(df_probes_take_report(p, &c, t0 + 2, &r));
        CHECK(r.due);
        CHECK_U64(r.since_usec, 0);
        CHECK_U64(r.fail_total, 4);
        CHECK_INT(r.fail_max_order, 9);
        CHECK_U64(r.fail_atomic[4], 1);
        CHECK_U64(r.fail_reclaim[4], 2);
        CHECK_U64(r.fail_atomic[9], 0); /* the 50 of the baseline are not ours */
        CHECK_U64(r.fail_reclaim[2], 0);
        /* a storm within the minute: nothing due, the next summary covers it */
        c.alloc_fail_atomic[5] = 1000;
        CHECK(!df_probes_take_report(p, &c, t0 + 30 * USEC_PER_SEC, &r));
        CHECK(!r.due);
        CHECK(df_probes_take_report(p, &c, t0 + 2 + DF_PROBES_REPORT_INTERVAL_USEC, &r));
        CHECK_U64(r.fail_atomic[5], 1000);
        CHECK_U64(r.since_usec, DF_PROBES_REPORT_INTERVAL_USEC);
        /* off: never due */
        df_probes_set_reports(p, false);
        c.alloc_fail_atomic[6] = 1;
        CHECK(!df_probes_take_report(p, &c, t0 + 10 * DF_PROBES_REPORT_INTERVAL_USEC, &r));
}

/* The entries as the console prints them (stderr redirected to a file). */
static void test_entries_text(void) {
        struct df_probe_report r = { 0 };
        char path[300], tmp[256], *text = NULL;
        size_t cap = 0;
        int saved, fd;
        FILE *f;

        tmp_dir_make(tmp, sizeof(tmp), "test-probe-report");
        snprintf(path, sizeof(path), "%s/stderr", tmp);
        r.due = true;
        r.fail_total = 3;
        r.fail_max_order = 4;
        r.fail_atomic[4] = 1;
        r.fail_reclaim[4] = 2;
        r.have_event = true;
        r.event_cgroup_id = UINT64_MAX - 1; /* no such cgroup: "(unknown)" (1 is the cgroup2 root here) */
        r.event_pid = 42;
        snprintf(r.event_comm, sizeof(r.event_comm), "cc1");
        r.report_stall_usec = 100 * USEC_PER_MSEC;
        r.stall[DF_STALL_DIRECT_COMPACT] = (struct df_probe_report_stall) {
                .count = 2, .worst_usec = 250 * USEC_PER_MSEC, .order = 9, .cgroup_id = UINT64_MAX - 1, .pid = 7, .comm = "java",
        };

        df_log_open(DF_LOG_CONSOLE);
        fflush(stderr);
        saved = dup(STDERR_FILENO);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        CHECK(saved >= 0 && fd >= 0 && dup2(fd, STDERR_FILENO) == STDERR_FILENO);
        CHECK_INT(df_probes_report_entries(&r), 2);
        r.due = false;
        CHECK_INT(df_probes_report_entries(&r), 0);
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        close(fd);

        f = fopen(path, "re");
        CHECK(f && getdelim(&text, &cap, 0, f) > 0);
        if (f)
                fclose(f);
        CHECK_STR(text, "defragd: warning: high-order allocation failures: order 4: 3 (1 atomic, 2 could reclaim); "
                        "latest by cc1[42] in cgroup (unknown)\n"
                        "defragd: warning: 2 direct_compaction stall(s) longer than 100 ms; worst 250 ms (order 9) "
                        "by java[7] in cgroup (unknown)\n");
        free(text);
        rm_rf(tmp);
}

/* Commands are bytes from the kernel: UTF-8 passes through whole (it was
 * escaped byte by byte, "caf\u00c3\u00a9"), quotes and control bytes are
 * escaped, invalid UTF-8 becomes an escaped U+FFFD: the writer's rules, not the probes'. */
static void test_json_strings(void) {
        _cleanup_free_ struct df_probes *p = fake_probes();
        char *json = NULL;
        size_t len = 0;
        FILE *f;

        p->status.loaded = false; /* status only: no map is read */
        snprintf(p->status.reason, sizeof(p->status.reason), "say \"no\"\n");
        snprintf(p->status.last_event_comm, sizeof(p->status.last_event_comm), "caf\xc3\xa9\xff");
        p->status.last_event_order = -1;
        f = open_memstream(&json, &len);
        CHECK(f != NULL);
        if (!f)
                return;
        df_probes_dump_json(p, f);
        fclose(f);
        CHECK(strstr(json, "\"reason\":\"say \\\"no\\\"\\n\"") != NULL);
        CHECK(strstr(json, "\"last_event_comm\":\"caf\xc3\xa9\\ufffd\"") != NULL);
        CHECK(json[0] == '{' && json[len - 1] == '}');
        free(json);
}

int main(void) {
        RUN(test_due);
        RUN(test_json_strings);
        RUN(test_entries_text);
        return tp_finish();
}
