/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A list of cgroup path patterns, the value of a DF_CONF_GLOBS row (the
 * reclaim rung's Allow=/Deny=): plain data shared by the config and the aim. */
#pragma once

#include <stdbool.h>

#define DF_CONF_MAX_GLOBS 32
#define DF_CONF_GLOB_MAX 256

/* Patterns as written, in order; each starts with '/' (a path below the
 * cgroup2 mount). */
struct df_conf_globs {
        unsigned n;
        char pattern[DF_CONF_MAX_GLOBS][DF_CONF_GLOB_MAX];
};

/* Whether a cgroup path ("/system.slice/x.service") matches any pattern
 * (fnmatch(3) without FNM_PATHNAME: '*' also matches '/'). The reclaim rung
 * matches per path component instead (df_reclaim_pattern_match). */
bool df_conf_globs_match(const struct df_conf_globs *g, const char *cgroup_path);
