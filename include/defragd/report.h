/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Everything a person reads: journald structured entries (MESSAGE_IDs from
 * systemd/defragd.catalog) or, without journald, readable lines on stderr. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

/* MESSAGE_IDs; the catalog systemd/defragd.catalog explains each. */
#define DF_MID_STARTED          "cf40718b9e4844e7843e3eef593233be"
#define DF_MID_STOPPED          "198213abd4c64166a0ea3ce3641c158a"
#define DF_MID_THRESHOLD        "f4ae5bb28eb24b0d9e1973168d7e38af"
#define DF_MID_COMPACTION       "64429e83b5804fb694a6b0c78519fe3b"
#define DF_MID_ACTION_FAILED    "553c762ebe0644978e54955b5486ac0d"
#define DF_MID_KNOB             "1f6f10034ebb4c0291070c28bd0241bd"
#define DF_MID_CONFIG_RELOADED  "711fb6bfa620481385bf98db00adef9f"
#define DF_MID_CONFIG_REJECTED  "305639c4c345432590864ebbdc354190"
#define DF_MID_ALLOC_FAILURE    "1d4b7364c7d1443db1099172bf720111"
#define DF_MID_PROBES           "9e53da5b008d426ab044a891013e9a27"
#define DF_MID_LEVER_ACTED      "83b1be85b4f84c738f85408355559fe4" /* a lever other than compaction acted */
#define DF_MID_LEVER_OPENED     "a94ad1602d9b438484f668fa500ac591" /* a lever is unusable on this kernel, or degraded */
#define DF_MID_RECLAIM_REFAULTS "4bd63716261742b5aff9f3015ec8cb28" /* the refaults a cgroup reclaim caused, read later */

enum df_log_target {
        DF_LOG_AUTO = 0, /* journal when stderr is the journal stream ($JOURNAL_STREAM), else console */
        DF_LOG_JOURNAL,
        DF_LOG_CONSOLE,
};

void df_log_open(enum df_log_target target);
bool df_log_to_journal(void);
void df_log_set_max_level(int level); /* LOG_DEBUG .. LOG_ERR; default LOG_INFO */
int df_log_parse_level(const char *s); /* "debug", "info", ... or -1 */

/* Plain message. Returns -abs(error) when error != 0, else 0, for `return df_log_errno(...)`. */
void df_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A structured entry. `fields` is NULL-terminated "KEY=value" strings
 * (MESSAGE_ID included by the caller when wanted); MESSAGE comes from fmt.
 * On the console, fields other than MESSAGE_ID are appended as key=value
 * only at debug level; the message alone must read well. */
void df_log_struct(int level, const char *const *fields, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

