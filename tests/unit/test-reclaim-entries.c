/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The reclaim rung's journal entries as the console prints them: a dry run
 * names the cgroup and the amount, a reclaim says asked/taken and EAGAIN,
 * the refault reading a while later says the share and the back-off, a
 * refusal before the write (guard, budget) is a notice without amounts. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "defragd/entries.h"
#include "defragd/manager-reclaim.h"
#include "defragd/report.h"
#include "defragd/util.h"
#include "test-policy-util.h"
#include "test-tmp-util.h"

static struct df_recent_action reclaim_action(bool dry_run) {
        struct df_recent_action ra = { 0 };

        ra.action = (struct df_action) {
                .lever = DF_LEVER_RECLAIM_CGROUP, .amount = UINT64_C(32) << 20, .dry_run = dry_run,
                .target = { .node = 0, .zone = "DMA32", .order = 9, .cgroup = "/system.slice/batch.service",
                            .memory_block = -1 },
                .suitable_blocks = 470, .target_high_blocks = 620,
        };
        ra.result = (struct df_action_result) {
                .lever = DF_LEVER_RECLAIM_CGROUP, .outcome = dry_run ? DF_OUTCOME_DRY_RUN : DF_OUTCOME_PARTIAL,
                .duration_usec = 44 * USEC_PER_MSEC, .amount_done = dry_run ? 0 : UINT64_C(24) << 20,
                .gain_known = !dry_run, .suitable_before = 470, .suitable_after = dry_run ? 470 : 531,
        };
        return ra;
}

static void test_entries_text(void) {
        struct df_recent_action dry = reclaim_action(true), done = reclaim_action(false), refused = { 0 };
        struct df_reclaim_refault_record rec = {
                .path = "/system.slice/batch.service", .reclaimed_bytes = UINT64_C(32) << 20,
                .refault_pages = 8192, .percent = 100, .backed_off = true,
        };
        char path[300], tmp[256], *text = NULL;
        size_t cap = 0;
        int saved, fd;
        FILE *f;

        /* The probes saw some compaction contended during the reclaim
         * (the consumer's, kcompactd's): not this reclaim's to report. */
        done.kernel_stopped_early = true;
        /* What the manager records when the aim refuses: no amount chosen. */
        refused.action = (struct df_action) { .lever = DF_LEVER_RECLAIM_NODE,
                                              .target = { .node = 0, .zone = "Normal", .order = 9, .memory_block = -1 } };
        refused.result = (struct df_action_result) { .lever = DF_LEVER_RECLAIM_NODE, .outcome = DF_OUTCOME_FAILED,
                                                     .error = -EAGAIN, .suitable_before = 3, .suitable_after = 3 };
        snprintf(refused.result.detail, sizeof(refused.result.detail), "node reclaim not run: memory pressure");

        tmp_dir_make(tmp, sizeof(tmp), "test-reclaim-entries");
        snprintf(path, sizeof(path), "%s/stderr", tmp);
        df_log_open(DF_LOG_CONSOLE);
        fflush(stderr);
        saved = dup(STDERR_FILENO);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        CHECK(saved >= 0 && fd >= 0 && dup2(fd, STDERR_FILENO) == STDERR_FILENO);
        df_report_action(&dry);
        df_report_action(&done);
        df_report_action(&refused);
        df_report_refaults(&rec, 60 * USEC_PER_SEC, 25, 3600 * USEC_PER_SEC);
        rec.backed_off = false, rec.refault_pages = 10, rec.percent = 0;
        df_report_refaults(&rec, 60 * USEC_PER_SEC, 25, 0);
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        close(fd);

        f = fopen(path, "re");
        CHECK(f && getdelim(&text, &cap, 0, f) > 0);
        if (f)
                fclose(f);
        CHECK_STR(text,
                  "defragd: dry run: would reclaim-cgroup cgroup /system.slice/batch.service (32.0 MiB) "
                  "(DMA32 order 9: 470 free blocks, target 620, unusable index 0.000)\n"
                  "defragd: reclaim-cgroup cgroup /system.slice/batch.service (24.0 of 32.0 MiB, EAGAIN: partial): "
                  "DMA32 order 9 free blocks 470 -> 531 (+61), unusable index 0.000 -> 0.000, 44 ms\n"
                  "defragd: reclaim-node node 0: node reclaim not run: memory pressure\n"
                  "defragd: reclaim-cgroup /system.slice/batch.service: 8192 pages refaulted within 60 s of "
                  "32768 KiB reclaimed (100%, above RefaultLimitPercent=25): not cold, left alone for 60 min\n"
                  "defragd: reclaim-cgroup /system.slice/batch.service: 10 pages refaulted within 60 s of 32768 KiB "
                  "reclaimed (0%)\n");
        free(text);
        rm_rf(tmp);
}

int main(void) {
        RUN(test_entries_text);
        return tp_finish();
}
