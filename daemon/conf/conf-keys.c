/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Every configuration key as one row: adding a key is a row here, its entry in
 * enum df_conf_key and its field in struct df_config (conf.h). */
#include "conf-parse.h"
#include "conf-table.h"
#include "defragd/util.h"

#define DURATION_EXAMPLES "such as 10, 10s, 500ms, 2min, 1h"
#define BOOL_ACCEPTED "yes, no, true, false, on, off, 1, 0"
#define STR_(x) #x
#define STR(x) STR_(x)

#define RECLAIM_MIN_BYTES (UINT64_C(4) << 10) /* one page: memory.reclaim rounds down to pages */
#define RECLAIM_PATTERNS_ACCEPTED "absolute cgroup paths or globs ('*' '?' '[..]' within one path component), " \
        "separated by spaces, at most 32, such as /system.slice/batch-*.service"

#define ROW(sect, key, t, field) .section = sect, .name = key, .type = t, DF_CONF_FIELD(struct df_config, field)

const struct df_conf_item df_conf_items[_DF_KEY_MAX] = {
        [DF_KEY_POLL_INTERVAL] = {
                ROW("Daemon", "PollIntervalSec", DF_CONF_DURATION, poll_interval_usec),
                .min = 100 * USEC_PER_MSEC, .max = 3600 * USEC_PER_SEC, .default_value = "10s",
                .accepted = "a duration from 100ms to 1h, " DURATION_EXAMPLES,
                .doc = "how often /proc is read and the policy runs; reading costs ~100us, fragmentation builds over minutes",
        },
        [DF_KEY_DRY_RUN] = {
                ROW("Daemon", "DryRun", DF_CONF_BOOL, dry_run),
                .default_value = "no", .accepted = BOOL_ACCEPTED,
                .doc = "decide and log, change nothing",
        },
        [DF_KEY_NODES] = {
                ROW("Daemon", "Nodes", DF_CONF_NODES, all_nodes),
                .offset_aux = offsetof(struct df_config, nodes_mask), .default_value = "all",
                .accepted = "all, or node numbers 0..1023 separated by spaces or commas, with ranges such as 0,2-3",
                .doc = "NUMA nodes to watch; a node left out is left to fail its large allocations",
        },
        [DF_KEY_ZONES] = {
                ROW("Daemon", "Zones", DF_CONF_ZONES, zones),
                .offset_aux = offsetof(struct df_config, n_zones), .default_value = "DMA32 Normal Movable",
                .accepted = "zone names as in /proc/buddyinfo (" DF_CONF_ZONE_NAMES "), separated by spaces or "
                            "commas, at most " STR(DF_CONF_MAX_ZONES),
                .doc = "zones to watch: every zone huge pages come from on 64-bit",
        },
        [DF_KEY_PRESSURE_GUARD] = {
                ROW("Daemon", "PressureGuardPercent", DF_CONF_UINT, pressure_guard_percent),
                .min = 0, .max = 100, .default_value = "20", .accepted = "an integer 0..100 (0 = off)",
                .doc = "no action while PSI memory some avg10 is at or above; 20: tasks already stall a fifth of the time",
        },
        [DF_KEY_PRESSURE_GUARD_EXCLUDES_COMPACTION] = {
                ROW("Daemon", "PressureGuardExcludesCompaction", DF_CONF_BOOL, pressure_guard_excludes_compaction),
                .default_value = "yes", .accepted = BOOL_ACCEPTED,
                .doc = "the PSI guards (PressureGuardPercent=, [Reclaim] PressureLimitPercent=) discount the time the "
                       "probes see tasks stalled in direct compaction: fragmentation's own stall, what defragd treats",
        },
        [DF_KEY_MAX_ACTIONS] = {
                ROW("Daemon", "MaxActionsPerHour", DF_CONF_UINT, max_actions_per_hour),
                .min = 0, .max = 1024, .default_value = "60", .accepted = "an integer 0..1024 (0 = unlimited)",
                .doc = "budget across all nodes per sliding hour: at most one compaction a minute",
        },
        [DF_KEY_COMPACTION_ENABLE] = {
                ROW("Compaction", "Enable", DF_CONF_BOOL, compaction_enabled),
                .default_value = "yes", .accepted = BOOL_ACCEPTED,
                .doc = "compact a node whose watched zone is short",
        },
        [DF_KEY_COOLDOWN] = {
                ROW("Compaction", "CooldownSec", DF_CONF_DURATION, cooldown_usec),
                .min = USEC_PER_SEC, .max = 24 * 3600 * USEC_PER_SEC, .default_value = "60s",
                .accepted = "a duration from 1s to 24h, " DURATION_EXAMPLES,
                .doc = "per node, after any compaction",
        },
        [DF_KEY_BACKOFF_MAX] = {
                ROW("Compaction", "BackoffMaxSec", DF_CONF_DURATION, backoff_max_usec),
                .min = USEC_PER_SEC, .max = 168 * 3600 * USEC_PER_SEC, .default_value = "1h",
                .accepted = "a duration from 1s to 168h, at least CooldownSec, " DURATION_EXAMPLES,
                .doc = "the cooldown doubles after each run that gained nothing, up to this",
        },
        [DF_KEY_PROACTIVENESS] = {
                ROW("Compaction", "ProactivenessWhileShort", DF_CONF_OPTIONAL_PERCENT, proactiveness_while_short),
                .min = 0, .max = 100, .default_value = "",
                .accepted = "empty (leave vm.compaction_proactiveness alone) or an integer 0..100",
                .doc = "vm.compaction_proactiveness while a watched zone is short; empty leaves it alone",
        },
        [DF_KEY_COMPACT_MAX_ACTIONS] = {
                ROW("Compaction", "MaxActionsPerHour", DF_CONF_UINT, levers[DF_LEVER_COMPACT_NODE].max_actions_per_hour),
                .min = 0, .max = 1024, .default_value = "0",
                .accepted = "an integer 0..1024 (0 = only [Daemon] MaxActionsPerHour= limits it)",
                .doc = "compaction's own share of the hourly budget",
        },
        [DF_KEY_COMPACT_TIMEOUT] = {
                ROW("Compaction", "TimeoutSec", DF_CONF_DURATION, levers[DF_LEVER_COMPACT_NODE].timeout_usec),
                .min = USEC_PER_SEC, .max = 3600 * USEC_PER_SEC, .default_value = "60s",
                .accepted = "a duration from 1s to 1h, " DURATION_EXAMPLES,
                .doc = "a node compaction running longer is killed and reported as timed out (measured: 1-5 s)",
        },
        [DF_KEY_LADDER_ORDER] = {
                ROW("Ladder", "Order", DF_CONF_LADDER, n_ladder),
                .offset_aux = offsetof(struct df_config, ladder),
                .default_value = "compact proactiveness clear-kmod clear-offline reclaim-node reclaim-cgroup",
                .accepted = "lever names separated by spaces, each at most once: compact, proactiveness, "
                            "clear-kmod, clear-offline, reclaim-node, reclaim-cgroup",
                .doc = "the rungs, cheapest first: compaction moves pages and loses nothing; clearing a planned "
                       "block moves few; reclaim drops cache that must be read again",
        },
        [DF_KEY_FRAGMENTATION_THRESHOLD] = {
                ROW("Ladder", "FragmentationThreshold", DF_CONF_UINT, fragmentation_threshold),
                .min = 0, .max = 1000, .default_value = "500",
                .accepted = "an integer 0..1000 (the kernel's vm.extfrag_threshold default is 500)",
                .doc = "compaction helps above this fragmentation index (or at -1000); at or below it memory is short: reclaim",
        },
        [DF_KEY_PROBES_ENABLE] = {
                ROW("Probes", "Enable", DF_CONF_BOOL, probes.enabled),
                .default_value = "yes", .accepted = BOOL_ACCEPTED,
                .doc = "load the BPF collector (failures wake the policy at once)",
        },
        [DF_KEY_TRIGGER_MIN_ORDER] = {
                ROW("Probes", "TriggerMinOrder", DF_CONF_UINT, probes.trigger_min_order),
                .min = 1, .max = DF_MAX_ORDERS - 1, .default_value = "3", .accepted = "an integer 1..15",
                .doc = "failed allocations of this order or above wake the policy (PAGE_ALLOC_COSTLY_ORDER)",
        },
        [DF_KEY_TRIGGER_MIN_INTERVAL] = {
                ROW("Probes", "TriggerMinIntervalSec", DF_CONF_DURATION, probes.trigger_min_interval_usec),
                .min = 0, .max = 3600 * USEC_PER_SEC, .default_value = "1s",
                .accepted = "a duration from 0 to 1h, " DURATION_EXAMPLES,
                .doc = "at most one wake-up per interval, enforced in the kernel (one rate limiter)",
        },
        [DF_KEY_REPORT_STALL] = {
                ROW("Probes", "ReportStallSec", DF_CONF_DURATION, probes.report_stall_usec),
                .min = 0, .max = 3600 * USEC_PER_SEC, .default_value = "100ms",
                .accepted = "a duration from 0 to 1h, " DURATION_EXAMPLES,
                .doc = "direct reclaim/compaction stalls longer than this are reported",
        },
        [DF_KEY_METRICS_TEXTFILE_DIR] = {
                ROW("Metrics", "TextfileDirectory", DF_CONF_PATH, metrics.textfile_dir),
                .default_value = "",
                .accepted = "empty (off) or an absolute directory path of at most 255 bytes, "
                            "such as /var/lib/prometheus/node-exporter",
                .doc = "write defragd.prom there each evaluation for node_exporter's textfile collector; empty: off",
        },
        [DF_KEY_TREND_WINDOW] = {
                ROW("Trend", "WindowSec", DF_CONF_DURATION, trend.window_usec),
                .min = 60 * USEC_PER_SEC, .max = 24 * 3600 * USEC_PER_SEC, .default_value = "10min",
                .accepted = "a duration from 1min to 24h, " DURATION_EXAMPLES,
                .doc = "samples the least-squares trend of free blocks is fitted over",
        },
        [DF_KEY_TREND_ACT_BEFORE] = {
                ROW("Trend", "ActBeforeSec", DF_CONF_DURATION, trend.act_before_usec),
                .min = 0, .max = 24 * 3600 * USEC_PER_SEC, .default_value = "0",
                .accepted = "0 (off) or a duration up to 24h, " DURATION_EXAMPLES,
                .doc = "act when the trend predicts the low mark within this; off until the benchmark shows it pays",
        },
        [DF_KEY_RECLAIM_ENABLE] = {
                ROW("Reclaim", "Enable", DF_CONF_BOOL, reclaim.enabled),
                .default_value = "no", .accepted = BOOL_ACCEPTED,
                .doc = "targeted reclaim throws pages out, so it is opt-in",
        },
        [DF_KEY_RECLAIM_ALLOW] = {
                ROW("Reclaim", "Allow", DF_CONF_GLOBS, reclaim.allow),
                .default_value = "", .accepted = RECLAIM_PATTERNS_ACCEPTED,
                .doc = "the cgroups that may be asked to give back cold file cache; empty: none",
        },
        [DF_KEY_RECLAIM_DENY] = {
                ROW("Reclaim", "Deny", DF_CONF_GLOBS, reclaim.deny),
                .default_value = "", .accepted = RECLAIM_PATTERNS_ACCEPTED,
                .doc = "never asked, nor any cgroup above them",
        },
        [DF_KEY_RECLAIM_MAX_PER_ACTION] = {
                ROW("Reclaim", "MaxReclaimPerAction", DF_CONF_SIZE, reclaim.max_per_action_bytes),
                .min = RECLAIM_MIN_BYTES, .max = UINT64_C(1) << 40, .default_value = "64M",
                .accepted = "a size from 4K to 1T, such as 64M, 1G, 65536, at most MaxReclaimPerHour",
                .doc = "per reclaim: 32 blocks of 2 MiB, a few milliseconds of the kernel's time for clean cache",
        },
        [DF_KEY_RECLAIM_MAX_PER_HOUR] = {
                ROW("Reclaim", "MaxReclaimPerHour", DF_CONF_SIZE, reclaim.max_per_hour_bytes),
                .min = RECLAIM_MIN_BYTES, .max = UINT64_C(1) << 44, .default_value = "512M",
                .accepted = "a size from 4K to 16T, such as 512M, 4G, at least MaxReclaimPerAction",
                .doc = "per sliding hour, all reclaims: a bounded cost in refaults even if every one was useless",
        },
        [DF_KEY_RECLAIM_ALLOW_ANON] = {
                ROW("Reclaim", "AllowAnon", DF_CONF_BOOL, reclaim.allow_anon),
                .default_value = "no", .accepted = BOOL_ACCEPTED,
                .doc = "also reclaim anonymous memory (swap); no: swappiness=0, file cache only",
        },
        [DF_KEY_RECLAIM_PRESSURE_LIMIT] = {
                ROW("Reclaim", "PressureLimitPercent", DF_CONF_UINT, reclaim.pressure_limit_percent),
                .min = 0, .max = 100, .default_value = "5", .accepted = "an integer 0..100 (0 = off)",
                .doc = "no reclaim while PSI memory some avg10 is above: the machine already waits on memory",
        },
        [DF_KEY_RECLAIM_CGROUP_PRESSURE_LIMIT] = {
                ROW("Reclaim", "CgroupPressureLimitPercent", DF_CONF_UINT, reclaim.cgroup_pressure_limit_percent),
                .min = 0, .max = 100, .default_value = "5", .accepted = "an integer 0..100 (0 = off)",
                .doc = "no reclaim from a cgroup whose own memory.pressure some avg10 is above",
        },
        [DF_KEY_RECLAIM_REFAULT_LIMIT] = {
                ROW("Reclaim", "RefaultLimitPercent", DF_CONF_UINT, reclaim.refault_limit_percent),
                .min = 0, .max = 100, .default_value = "25", .accepted = "an integer 0..100 (0 = never back off)",
                .doc = "a cgroup that refaults more than this share of what was taken within a minute was not cold: back off",
        },
        [DF_KEY_RECLAIM_REFAULT_DELAY] = {
                ROW("Reclaim", "RefaultDelaySec", DF_CONF_DURATION, reclaim.refault_delay_usec),
                .min = USEC_PER_SEC, .max = 3600 * USEC_PER_SEC, .default_value = "60s",
                .accepted = "a duration from 1s to 1h, " DURATION_EXAMPLES,
                .doc = "when a reclaimed cgroup's refaults are read: long enough for a hot working set to come back",
        },
        [DF_KEY_RECLAIM_NODE_RECLAIM] = {
                ROW("Reclaim", "NodeReclaim", DF_CONF_BOOL, reclaim.node_reclaim),
                .default_value = "no", .accepted = BOOL_ACCEPTED,
                .doc = "nodeN/reclaim (6.17+) when free memory itself is short; unaimed, so opt-in",
        },
        [DF_KEY_RECLAIM_NODE_MIN_UNMAPPED] = {
                ROW("Reclaim", "NodeReclaimMinUnmappedRatio", DF_CONF_OPTIONAL_PERCENT, reclaim.node_min_unmapped_ratio),
                .min = 0, .max = 100, .default_value = "0",
                .accepted = "empty (leave vm.min_unmapped_ratio alone) or an integer 0..100",
                .doc = "vm.min_unmapped_ratio while a node reclaim runs, restored after: at the kernel's 1 the node's "
                       "reclaim does nothing, not even shrink slab, once its unmapped page cache is under 1%",
        },
        [DF_KEY_PLANNER_SLICE] = {
                ROW("Planner", "SlicePages", DF_CONF_UINT, planner.slice_pages),
                .min = 512, .max = UINT64_C(1) << 26, .default_value = "32768",
                .accepted = "an integer 512..67108864 (pages)",
                .doc = "pages of /proc/kpageflags read per watched zone per poll interval, only while a clearing "
                       "rung is on; 32768 (128 MiB) costs 8-16 ms (docs/planner.md)",
        },
        [DF_KEY_PLANNER_MAX_AGE] = {
                ROW("Planner", "MaxAgeSec", DF_CONF_DURATION, planner.max_age_usec),
                .min = 0, .max = 168 * 3600 * USEC_PER_SEC, .default_value = "1h",
                .accepted = "a duration from 0 (any age) to 168h, " DURATION_EXAMPLES,
                .doc = "blocks read longer ago are not chosen; one sweep of 24 GiB at the defaults takes ~30 min, "
                       "and the lever re-checks the block live anyway",
        },
        [DF_KEY_CLEAR_OFFLINE_ENABLE] = {
                ROW("ClearOffline", "Enable", DF_CONF_BOOL, levers[DF_LEVER_CLEAR_OFFLINE].enabled),
                .default_value = "yes", .accepted = BOOL_ACCEPTED,
                .doc = "clear the planner's cheapest memory block by offlining and onlining it; reached only after "
                       "compaction gained nothing or was contended (measured: +64 blocks for ~4,500 pages moved "
                       "where compaction gained +0)",
        },
        [DF_KEY_CLEAR_OFFLINE_ALLOW_HV] = {
                ROW("ClearOffline", "AllowHypervisorMemory", DF_CONF_BOOL, clear_offline.allow_hypervisor),
                .default_value = "no", .accepted = BOOL_ACCEPTED,
                .doc = "also offline memory a driver manages (virtio-mem, dax kmem): the driver may unplug it meanwhile",
        },
        [DF_KEY_CLEAR_OFFLINE_TIMEOUT] = {
                ROW("ClearOffline", "TimeoutSec", DF_CONF_DURATION, levers[DF_LEVER_CLEAR_OFFLINE].timeout_usec),
                .min = 2 * USEC_PER_SEC, .max = 600 * USEC_PER_SEC, .default_value = "5s",
                .accepted = "a duration from 2s to 10min, " DURATION_EXAMPLES,
                .doc = "the offline write is interrupted after this (the kernel onlines the block again); a 128 MiB "
                       "block took 27-90 ms, a page that will not move retries forever",
        },
        [DF_KEY_CLEAR_OFFLINE_MAX_ACTIONS] = {
                ROW("ClearOffline", "MaxActionsPerHour", DF_CONF_UINT, levers[DF_LEVER_CLEAR_OFFLINE].max_actions_per_hour),
                .min = 0, .max = 1024, .default_value = "12",
                .accepted = "an integer 0..1024 (0 = only [Daemon] MaxActionsPerHour= limits it)",
                .doc = "offlining drains every CPU's page lists and takes the hotplug lock: at most one every 5 min on average",
        },
        [DF_KEY_CLEAR_OFFLINE_MAX_PAGES] = {
                ROW("ClearOffline", "MaxPagesPerAction", DF_CONF_UINT, clear_offline.max_pages_per_action),
                .min = 1, .max = UINT64_C(1) << 32, .default_value = "16384",
                .accepted = "an integer 1..4294967296 (pages moved)",
                .doc = "only blocks the planner says cost at most this many pages moved: 16384 (64 MiB) is half a "
                       "128 MiB block, past which clearing costs more than it frees",
        },
        [DF_KEY_CLEAR_OFFLINE_COOLDOWN] = {
                ROW("ClearOffline", "CooldownSec", DF_CONF_DURATION, levers[DF_LEVER_CLEAR_OFFLINE].cooldown_usec),
                .min = USEC_PER_SEC, .max = 24 * 3600 * USEC_PER_SEC, .default_value = "30s",
                .accepted = "a duration from 1s to 24h, " DURATION_EXAMPLES,
                .doc = "per node, after a clearing; doubles after each that gained nothing, up to an hour",
        },
        [DF_KEY_CLEAR_KMOD_ENABLE] = {
                ROW("ClearKmod", "Enable", DF_CONF_BOOL, levers[DF_LEVER_CLEAR_KMOD].enabled),
                .default_value = "yes", .accepted = BOOL_ACCEPTED,
                .doc = "clear the planner's cheapest aligned block through the defragd_clear module when it is loaded "
                       "(absent otherwise); moves a block's few used pages, nothing else",
        },
        [DF_KEY_CLEAR_KMOD_TIMEOUT] = {
                ROW("ClearKmod", "TimeoutSec", DF_CONF_DURATION, levers[DF_LEVER_CLEAR_KMOD].timeout_usec),
                .min = USEC_PER_SEC, .max = 600 * USEC_PER_SEC, .default_value = "10s",
                .accepted = "a duration from 1s to 10min, " DURATION_EXAMPLES,
                .doc = "a clear running longer is killed (the module's write is interruptible); one 2 MiB block took "
                       "well under a second in the guest",
        },
        [DF_KEY_CLEAR_KMOD_MAX_ACTIONS] = {
                ROW("ClearKmod", "MaxActionsPerHour", DF_CONF_UINT, levers[DF_LEVER_CLEAR_KMOD].max_actions_per_hour),
                .min = 0, .max = 1024, .default_value = "0",
                .accepted = "an integer 0..1024 (0 = only [Daemon] MaxActionsPerHour= limits it)",
                .doc = "the module rung's own share of the hourly budget",
        },
        [DF_KEY_CLEAR_KMOD_MAX_PAGES] = {
                ROW("ClearKmod", "MaxPagesPerAction", DF_CONF_UINT, clear_kmod.max_pages_per_action),
                .min = 1, .max = UINT64_C(1) << 32, .default_value = "256",
                .accepted = "an integer 1..4294967296 (pages moved)",
                .doc = "only aligned blocks the planner says cost at most this many pages moved: half a 2 MiB block",
        },
        [DF_KEY_CLEAR_KMOD_COOLDOWN] = {
                ROW("ClearKmod", "CooldownSec", DF_CONF_DURATION, levers[DF_LEVER_CLEAR_KMOD].cooldown_usec),
                .min = USEC_PER_SEC, .max = 24 * 3600 * USEC_PER_SEC, .default_value = "1s",
                .accepted = "a duration from 1s to 24h, " DURATION_EXAMPLES,
                .doc = "per node, after a clear: one block per action, so short; doubles after each that gained nothing",
        },
};

#define TROW(key, t, field) .section = "OrderN", .name = key, .type = t, DF_CONF_FIELD(struct df_target, field)

const struct df_conf_item df_conf_target_items[_DF_TKEY_MAX] = {
        [DF_TKEY_ENABLE] = {
                TROW("Enable", DF_CONF_BOOL, enabled), .accepted = BOOL_ACCEPTED,
                .doc = "keep this order's free blocks between the marks",
        },
        [DF_TKEY_LOW] = {
                TROW("Low", DF_CONF_UINT, low_blocks), .min = 1, .max = DF_CONF_MARK_MAX_BLOCKS,
                .accepted = "an integer 1..1099511627776 (blocks), at most High",
                .doc = "below this many suitable free blocks the zone is short and the daemon acts",
        },
        [DF_TKEY_HIGH] = {
                TROW("High", DF_CONF_UINT, high_blocks), .min = 1, .max = DF_CONF_MARK_MAX_BLOCKS,
                .accepted = "an integer 1..1099511627776 (blocks), at least Low",
                .doc = "a short zone is OK again at this many",
        },
};

/* [Order9]: 2 MiB blocks (huge pages on x86-64). Low 64 = 128 MiB of them,
 * High 256: enough headroom that one compaction lasts a while. */
const struct df_conf_default_target df_conf_default_targets[] = {
        { .order = 9, .low_blocks = 64, .high_blocks = 256 },
};
const size_t df_conf_n_default_targets = ELEMENTSOF(df_conf_default_targets);
