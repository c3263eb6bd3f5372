/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Temporary kernel knob changes that are always put back: the original value
 * is written to a state file (atomically, before the knob is touched) so a
 * crashed or killed instance's changes are restored by the next start or by
 * `defragd --restore-knobs` (the unit's ExecStopPost=). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "defragd/error.h"

/* The state file's name inside the runtime directory (defragd.c, manager.c
 * and the offlining lever must agree). */
#define DF_KNOBS_STATE_FILE "knobs.state"

struct df_knobs;

/* `state_path` e.g. /run/defragd/knobs.state; `root` prefixes knob paths ("" live). */
int df_knobs_new(const char *state_path, const char *root, struct df_knobs **ret);
void df_knobs_free(struct df_knobs *k);

/* If a state file exists (a previous instance did not exit cleanly), write
 * every original value back, log each, and remove the file. Returns the
 * number of knobs restored, or -errno (the file is kept on failure). */
int df_knobs_recover(struct df_knobs *k, struct df_error *err);

/* Set `path` (must be under /proc/sys/ or /sys/) to `value`; the first change
 * of a path records its original. No-op when already at value. */
int df_knobs_set(struct df_knobs *k, const char *path, const char *value, const char *why, struct df_error *err);

/* Put one knob / all knobs back and forget them; the state file is removed
 * when nothing is changed any more. */
int df_knobs_restore(struct df_knobs *k, const char *path, const char *why, struct df_error *err);
int df_knobs_restore_all(struct df_knobs *k, const char *why, struct df_error *err);

bool df_knobs_is_changed(const struct df_knobs *k, const char *path);
unsigned df_knobs_count(const struct df_knobs *k);
/* i-th changed knob, for status output. */
bool df_knobs_get(const struct df_knobs *k, unsigned i, const char **path, const char **original, const char **current);

/* Read a knob's value without the trailing newline. */
int df_knob_read(const char *path, char *buf, size_t size);

/* Memory blocks the offlining lever takes offline share the state file
 * ("memblock<TAB>N<TAB>online_movable" lines), so one recovery path
 * (df_knobs_recover at start, df_knobs_restore_all at exit, `defragd
 * --restore-knobs`) restores knobs and onlines blocks. These take the file's
 * lock and may be called from any process (the lever runs in a child).
 * Record BEFORE writing "offline"; forget after onlining. */
int df_knobs_memblock_record(const char *state_path, int64_t id, const char *online_type, struct df_error *err);
int df_knobs_memblock_forget(const char *state_path, int64_t id, struct df_error *err);
/* Online every recorded block that is offline (with its recorded type) and
 * forget the records; `why` goes to the log. Returns the number onlined or
 * -errno (records that failed are kept). The manager may call it after a
 * lever child was killed. */
int df_knobs_recover_memblocks(const char *state_path, const char *root, const char *why, struct df_error *err);
