/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Value parsers and printers of the config loader (internal to conf.c and its
 * tests): node lists, zone lists, cgroup patterns, durations in their shortest exact unit. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "defragd/conf.h"

/* "all", or node numbers separated by spaces or commas, with ranges "2-3".
 * 0, or -EINVAL with `why` filled. */
int df_conf_parse_nodes(const char *value, bool *ret_all, uint64_t ret_mask[DF_CONF_MAX_NODES / 64],
                        char *why, size_t why_size);
/* "all" or the shortest list with ranges ("0-3,7"). */
void df_conf_format_nodes(bool all, const uint64_t mask[DF_CONF_MAX_NODES / 64], char *buf, size_t size);

/* Zone names as /proc/buddyinfo prints them, separated by spaces or commas. */
int df_conf_parse_zones(const char *value, char ret_zones[DF_CONF_MAX_ZONES][DF_NAME_MAX], int *ret_n,
                        char *why, size_t why_size);
bool df_conf_zone_name_known(const char *name);
/* The kernel's zone_names[] (mm/page_alloc.c), as /proc/buddyinfo prints them. */
#define DF_CONF_ZONE_NAMES "DMA DMA32 Normal HighMem Movable Device"
extern const char df_conf_zone_names_accepted[];

/* Cgroup path patterns separated by blanks: each starts with '/', at most
 * DF_CONF_GLOB_MAX - 1 bytes, at most DF_CONF_MAX_GLOBS, none twice, '['
 * closed by ']'. Empty: no pattern. */
int df_conf_parse_globs(const char *value, struct df_conf_globs *ret, char *why, size_t why_size);

/* A duration in the largest unit that represents it exactly, minutes spelt
 * as seconds (as the shipped file writes them): "1h", "60s", "500ms", "7us", "0". */
void df_conf_format_duration(uint64_t usec, char *buf, size_t size);
/* Bytes with an optional 1024-based suffix K, M, G, T ("64M"). 0, -EINVAL or -ERANGE. */
int df_conf_parse_size(const char *value, uint64_t *ret);
/* The largest whole suffix: 67108864 -> "64M". */
void df_conf_format_size(uint64_t bytes, char *buf, size_t size);
