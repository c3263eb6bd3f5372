/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Finding and reading config files (internal to daemon/conf): which files
 * make the configuration, and reading one without ever blocking. */
#pragma once

#include <stddef.h>

#include "defragd/error.h"

/* Read a config file whole into a NUL-terminated heap buffer (NUL bytes
 * inside are kept; the parser names their line). Never blocks: opened with
 * O_NONBLOCK|O_NOCTTY, then only a regular file (or a symlink to one) is
 * read, and at most DF_CONF_FILE_MAX_BYTES of it; the null device reads as
 * empty. A file that grows past the cap while being read is refused.
 * 0, or -errno with err = "path: why; accepted: ...". */
int df_conf_read_file(const char *path, char **ret, size_t *ret_len, struct df_error *err);
