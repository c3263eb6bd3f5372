/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test helper: the metrics exposition of this machine's /proc right now, as
 * the daemon renders it (no daemon: health says one evaluation, now). */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "defragd/metrics.h"
#include "defragd/procfs.h"
#include "defragd/snapshot.h"
#include "defragd/util.h"

int main(int argc, char **argv) {
        struct df_metrics_input in = { 0 };
        struct df_error err = { "" };
        struct df_snapshot s;
        bool om = argc > 1 && strcmp(argv[1], "--openmetrics") == 0;
        int r;

        if (argc > 2 || (argc == 2 && !om)) {
                fprintf(stderr, "usage: metrics-render [--openmetrics]\n");
                return 2;
        }
        df_snapshot_init(&s);
        r = df_snapshot_read_procfs(NULL, df_now_usec(), &s, &err);
        if (r < 0) {
                fprintf(stderr, "metrics-render: %s\n", err.msg);
                return 1;
        }
        in.snapshot = &s;
        in.compaction_score_order = s.pageblock_order > 0 ? s.pageblock_order : 9;
        in.version = DEFRAGD_VERSION;
        in.start_realtime_usec = in.last_evaluation_realtime_usec = df_realtime_usec();
        in.evaluations = 1;
        in.config_generation = 1;
        r = df_metrics_render_format(stdout, &in, om ? DF_METRICS_OPENMETRICS : DF_METRICS_PROMETHEUS);
        df_snapshot_clear(&s);
        return r < 0;
}
