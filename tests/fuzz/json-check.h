/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A strict JSON (RFC 8259) checker for the harnesses: one value, optional
 * whitespace around it, strings of valid UTF-8 without raw control bytes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* true when text[0..len) is one valid JSON document; *why says what broke. */
bool json_check(const char *text, size_t len, const char **why, size_t *at);

/* Decode the JSON string literal at text[0..len) (quotes included) into
 * UTF-8 in out (size >= len). Returns the decoded length, or -1. */
long json_decode_string(const char *text, size_t len, char *out);
