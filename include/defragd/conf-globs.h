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

/* The one glob semantics of cgroup patterns (docs/configuration.md): a
 * pattern matches a cgroup path as a whole, fnmatch(3) with FNM_PATHNAME |
 * FNM_PERIOD: '*' and '?' stay within one path component (a slice pattern
 * does not reach the cgroups nested below it), a leading '.' of a component
 * needs an explicit dot; trailing slashes are ignored ("/a/b/" = "/a/b"). */
bool df_conf_glob_match(const char *pattern, const char *cgroup_path);
/* Whether a cgroup path ("/system.slice/x.service") matches any pattern. */
bool df_conf_globs_match(const struct df_conf_globs *g, const char *cgroup_path);
