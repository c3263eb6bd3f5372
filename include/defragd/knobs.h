/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Temporary kernel knob changes that are always put back: the original value
 * is written to a state file (atomically, before the knob is touched) so a
 * crashed or killed instance's changes are restored by the next start or by
 * `defragd --restore-knobs` (the unit's ExecStopPost=). */
#pragma once

#include <stdbool.h>

#include "defragd/error.h"

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
