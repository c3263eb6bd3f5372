/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The effective configuration: defaults, then defragd.conf, then drop-ins
 * merged systemd-style. Loading validates everything; nothing downstream
 * re-checks ranges. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "defragd/action.h"
#include "defragd/error.h"
#include "defragd/reclaim-conf.h"
#include "defragd/snapshot.h"

#define DF_CONF_MAX_ZONES 8
#define DF_CONF_MAX_NODES 1024
/* Files remembered as origins of values (for file:line in df_config_validate). */
#define DF_CONF_MAX_ORIGIN_FILES 64
#define DF_CONF_ORIGIN_PATH_MAX 256
/* Config files larger than this are refused: the shipped file is ~6 KiB. */
#define DF_CONF_FILE_MAX_BYTES (1u << 20)
/* At most this many drop-ins are read (all three directories together);
 * more is refused with an error naming the directory. */
#define DF_CONF_MAX_DROPINS 1024

/* Where a value came from: files[file] line `line` of df_config_origins. */
#define DF_ORIGIN_UNSET   (-2) /* never set (e.g. High= of an [OrderN] only Low= was given for) */
#define DF_ORIGIN_DEFAULT (-1) /* built-in default */
#define DF_ORIGIN_OVERFLOW (-3) /* a file beyond DF_CONF_MAX_ORIGIN_FILES */
struct df_conf_origin {
        int file;
        unsigned line;
};

/* Keys outside [OrderN], in dump order: the index of each key's row in
 * daemon/conf/conf-keys.c (a new key is a row there, an entry here and its field). */
enum df_conf_key {
        DF_KEY_POLL_INTERVAL,
        DF_KEY_DRY_RUN,
        DF_KEY_NODES,
        DF_KEY_ZONES,
        DF_KEY_PRESSURE_GUARD,
        DF_KEY_PRESSURE_GUARD_EXCLUDES_COMPACTION,
        DF_KEY_MAX_ACTIONS,
        DF_KEY_COMPACTION_ENABLE,
        DF_KEY_COOLDOWN,
        DF_KEY_BACKOFF_MAX,
        DF_KEY_PROACTIVENESS,
        DF_KEY_COMPACT_MAX_ACTIONS,
        DF_KEY_COMPACT_TIMEOUT,
        DF_KEY_LADDER_ORDER,
        DF_KEY_FRAGMENTATION_THRESHOLD,
        DF_KEY_PROBES_ENABLE,
        DF_KEY_TRIGGER_MIN_ORDER,
        DF_KEY_TRIGGER_MIN_INTERVAL,
        DF_KEY_REPORT_STALL,
        /* [Metrics], [Trend] (helper "metrics") */
        DF_KEY_METRICS_TEXTFILE_DIR,
        DF_KEY_TREND_WINDOW,
        DF_KEY_TREND_ACT_BEFORE,
        /* [Reclaim] (issue 9) */
        DF_KEY_RECLAIM_ENABLE,
        DF_KEY_RECLAIM_ALLOW,
        DF_KEY_RECLAIM_DENY,
        DF_KEY_RECLAIM_MAX_PER_ACTION,
        DF_KEY_RECLAIM_MAX_PER_HOUR,
        DF_KEY_RECLAIM_ALLOW_ANON,
        DF_KEY_RECLAIM_PRESSURE_LIMIT,
        DF_KEY_RECLAIM_CGROUP_PRESSURE_LIMIT,
        DF_KEY_RECLAIM_REFAULT_LIMIT,
        DF_KEY_RECLAIM_REFAULT_DELAY,
        DF_KEY_RECLAIM_NODE_RECLAIM,
        DF_KEY_RECLAIM_NODE_MIN_UNMAPPED,
        DF_KEY_PLANNER_SLICE,
        DF_KEY_PLANNER_MAX_AGE,
        DF_KEY_CLEAR_OFFLINE_ENABLE,
        DF_KEY_CLEAR_OFFLINE_ALLOW_HV,
        DF_KEY_CLEAR_OFFLINE_TIMEOUT,
        DF_KEY_CLEAR_OFFLINE_MAX_ACTIONS,
        DF_KEY_CLEAR_OFFLINE_MAX_PAGES,
        DF_KEY_CLEAR_OFFLINE_COOLDOWN,
        DF_KEY_CLEAR_KMOD_ENABLE,
        DF_KEY_CLEAR_KMOD_TIMEOUT,
        DF_KEY_CLEAR_KMOD_MAX_ACTIONS,
        DF_KEY_CLEAR_KMOD_MAX_PAGES,
        DF_KEY_CLEAR_KMOD_COOLDOWN,
        _DF_KEY_MAX,
};

/* Keys of [OrderN]. */
enum df_target_key {
        DF_TKEY_ENABLE,
        DF_TKEY_LOW,
        DF_TKEY_HIGH,
        _DF_TKEY_MAX,
};

struct df_config_origins {
        unsigned n_files;
        char files[DF_CONF_MAX_ORIGIN_FILES][DF_CONF_ORIGIN_PATH_MAX];
        struct df_conf_origin key[_DF_KEY_MAX];
        struct df_conf_origin target[DF_MAX_ORDERS][_DF_TKEY_MAX];
};

/* [OrderN] (N = 1..15): keep free blocks of order >= N, per watched zone, between the
 * marks. Below `low_blocks` the zone is SHORT and the daemon acts; it stays
 * SHORT (and keeps acting, subject to cooldown) until the count reaches
 * `high_blocks`, then it is OK again. Counted as the kernel counts
 * "suitable" blocks: a free block of order k >= N counts 2^(k-N). */
struct df_target {
        bool enabled;
        int order;
        uint64_t low_blocks;
        uint64_t high_blocks;
};

/* [Probes] (BPF collector). */
struct df_probes_conf {
        bool enabled;                 /* Enable=yes */
        int trigger_min_order;        /* TriggerMinOrder=3: failures at or above wake the policy */
        uint64_t trigger_min_interval_usec; /* TriggerMinIntervalSec=1s: at most one wake-up per interval */
        uint64_t report_stall_usec;   /* ReportStallSec=100ms: stalls longer than this are logged */
};

/* [Planner] (the block planner's view of /proc/kpageflags). */
struct df_planner_conf {
        uint64_t slice_pages;         /* SlicePages=32768: pages read per watched zone per evaluation */
        uint64_t max_age_usec;        /* MaxAgeSec=1h: blocks read longer ago are not chosen */
};

/* [ClearOffline] beyond the per-lever fields (levers[DF_LEVER_CLEAR_OFFLINE]). */
struct df_clear_offline_conf {
        bool allow_hypervisor;        /* AllowHypervisorMemory=no: never offline memory a driver manages */
        uint64_t max_pages_per_action; /* MaxPagesPerAction=16384: the planner chooses blocks costing at most this */
};

/* [ClearKmod] beyond the per-lever fields (levers[DF_LEVER_CLEAR_KMOD]). */
struct df_clear_kmod_conf {
        uint64_t max_pages_per_action; /* MaxPagesPerAction=256: an aligned block costing at most this */
};

/* Per lever (rows of each lever's section point here). For compaction,
 * cooldown_usec and backoff_max_usec mirror [Compaction] CooldownSec= and
 * BackoffMaxSec= (struct df_config's own fields; df_policy_lever_conf()
 * resolves them). */
struct df_lever_conf {
        bool enabled;                 /* the lever's Enable= (default yes) */
        uint64_t cooldown_usec;       /* wait after any run, per node */
        uint64_t backoff_max_usec;    /* the wait doubles per run that gained nothing, up to this */
        unsigned max_actions_per_hour; /* per-lever budget; 0 = only the total MaxActionsPerHour= */
        uint64_t timeout_usec;        /* a run longer than this is killed and reported "timeout" */
};

/* [Ladder] Order=: the rungs, cheapest first. Knob levers in it are a
 * standing desired state, not a step (docs/design.md, "The ladder"). */
#define DF_LADDER_MAX_RUNGS _DF_LEVER_MAX

/* [Metrics] and [Trend]. */
#define DF_CONF_PATH_MAX 256
struct df_metrics_conf {
        char textfile_dir[DF_CONF_PATH_MAX]; /* TextfileDirectory=: "" off; node_exporter's textfile collector directory */
};
struct df_trend_conf {
        uint64_t window_usec;      /* WindowSec=10min: samples the least-squares fit uses */
        uint64_t act_before_usec;  /* ActBeforeSec=0: act when the low mark is predicted within this; 0 = off */
};

struct df_config {
        /* [Daemon] */
        uint64_t poll_interval_usec;  /* PollIntervalSec=10s */
        bool dry_run;                 /* DryRun=no */
        bool all_nodes;               /* Nodes=all (default) or a list "0 1 3" / "0,2-3" */
        uint64_t nodes_mask[DF_CONF_MAX_NODES / 64];
        int n_zones;                  /* Zones=Normal Movable (names as in /proc/buddyinfo) */
        char zones[DF_CONF_MAX_ZONES][DF_NAME_MAX];
        unsigned pressure_guard_percent; /* PressureGuardPercent=20: no action while PSI memory some avg10 is above; 0 = off */
        bool pressure_guard_excludes_compaction; /* PressureGuardExcludesCompaction=yes: both PSI guards discount direct-compaction stalls */
        unsigned max_actions_per_hour;   /* MaxActionsPerHour=60: budget across all nodes; 0 = unlimited */

        /* [Compaction] */
        bool compaction_enabled;      /* Enable=yes */
        uint64_t cooldown_usec;       /* CooldownSec=60s: per node, after any compaction */
        uint64_t backoff_max_usec;    /* BackoffMaxSec=1h: cooldown doubles after each run that gained nothing, up to this */
        int proactiveness_while_short; /* ProactivenessWhileShort=: -1 (empty, default) leaves vm.compaction_proactiveness alone; 0..100 sets it while any watched zone is SHORT, restored once all are OK */

        /* [Ladder] */
        unsigned n_ladder;            /* Order=compact proactiveness clear-kmod clear-offline reclaim-node reclaim-cgroup */
        enum df_lever_kind ladder[DF_LADDER_MAX_RUNGS];
        unsigned fragmentation_threshold; /* FragmentationThreshold=500: compaction helps above it (or at -1000), reclaim at or below */

        /* Per lever; [Compaction] MaxActionsPerHour= and TimeoutSec= fill levers[DF_LEVER_COMPACT_NODE]. */
        struct df_lever_conf levers[_DF_LEVER_MAX];

        /* [OrderN], indexed by order; targets[o].enabled for each defined one */
        struct df_target targets[DF_MAX_ORDERS];

        struct df_probes_conf probes;
        struct df_metrics_conf metrics;
        struct df_trend_conf trend;

        struct df_reclaim_conf reclaim; /* [Reclaim] (defragd/reclaim.h) */
        struct df_planner_conf planner;
        struct df_clear_offline_conf clear_offline;
        struct df_clear_kmod_conf clear_kmod;

        /* Where each value was set; not part of the value (df_config_equal ignores it). */
        struct df_config_origins origin;
};

/* Built-in defaults (the values conf/defragd.conf documents). */
void df_config_defaults(struct df_config *c);

/* Load the effective config, systemd-style:
 *   defaults, then <root>/etc/defragd.conf if it exists (meson install puts
 *   conf/defragd.conf there: every key commented out, at its default),
 *   then the drop-ins <root>{/usr/lib,/run,/etc}/defragd.conf.d/ *.conf,
 *   all sorted together by file name; a file in /etc replaces a same-named
 *   one in /run or /usr/lib, /run replaces /usr/lib; a symlink to /dev/null
 *   (or an empty file) masks the name. Names starting with '.' are ignored.
 *   "/etc" is the build's sysconfdir and "/usr/lib" is <prefix>/lib
 *   (DEFRAGD_SYSCONFDIR, DEFRAGD_LIBDIR_NOARCH in config.h): /etc and
 *   /usr/lib for a prefix=/usr build, /usr/local/etc and /usr/local/lib for
 *   meson's default prefix.
 * Within one file a key may appear once per section (a second one is an
 * error); a later file overrides a key set by an earlier one, key by key.
 * An [OrderN] section that sets Low= or High= enables that target unless
 * some file set its Enable= explicitly. A new target needs both marks.
 * `root` is "" (or NULL) for the real system; tests pass a directory.
 * With `explicit_path` (--config FILE): defaults, then that file only (it
 * must exist), no drop-ins.
 * Every file is opened without blocking and must be a regular file (or the
 * null device, read as empty) of at most DF_CONF_FILE_MAX_BYTES; at most
 * DF_CONF_MAX_DROPINS drop-ins (docs/configuration.md, "Paths that are not
 * config files").
 * Returns 0 or negative errno with err = "file:line: key=value: why; accepted: ...".
 * On error *c is untouched (callers keep the old config on reload). */
int df_config_load(struct df_config *c, const char *root, const char *explicit_path, struct df_error *err);

/* Lower level, for tests: defaults, then these files in order. */
int df_config_load_files(struct df_config *c, const char *const *paths, size_t n_paths, struct df_error *err);

/* The files df_config_load(root, NULL) would read, in order (for
 * --check-config). Caller frees each string and the array. */
int df_config_collect_files(const char *root, char ***ret_paths, size_t *ret_n, struct df_error *err);

/* Cross-field checks after merging (low <= high, at least one zone, ...). */
int df_config_validate(const struct df_config *c, struct df_error *err);

/* Print the effective config as an INI file that loads back to the same config. */
void df_config_dump(const struct df_config *c, FILE *f);

/* Same values (origins ignored). */
bool df_config_equal(const struct df_config *a, const struct df_config *b);

/* "path:line", "(default)" or "(unset)" for a value's origin. */
const char *df_config_origin_str(const struct df_config *c, struct df_conf_origin o, char *buf, size_t size);

bool df_config_node_watched(const struct df_config *c, int node);
bool df_config_zone_watched(const struct df_config *c, const char *zone);
