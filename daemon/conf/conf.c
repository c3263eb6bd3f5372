/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The config loader: defaults, defragd.conf and systemd-style drop-ins read
 * with inih, every refusal naming file:line, key=value, why and what is accepted. */
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "config.h"
#include "conf-parse.h"
#include "defragd/conf.h"
#include "defragd/util.h"

#define DURATION_EXAMPLES "such as 10, 10s, 500ms, 2min, 1h"
#define BOOL_ACCEPTED "yes, no, true, false, on, off, 1, 0"
#define MARK_MAX_BLOCKS (UINT64_C(1) << 40) /* 2^40 blocks: past any machine's memory, still far from overflow */
#define RECLAIM_MIN_BYTES (UINT64_C(4) << 10)  /* one page: memory.reclaim rounds down to pages */
#define PATTERNS_ACCEPTED "absolute cgroup paths or globs (* ? [..] within one component) separated by spaces, " \
        "at most 32, such as /system.slice/batch-*.service; empty clears the list"
#define MIN_TARGET_ORDER 1                    /* order 0 is free pages: compaction cannot make more of them */

enum value_type {
        TYPE_BOOL,
        TYPE_DURATION,
        TYPE_UINT,
        TYPE_NODES,
        TYPE_ZONES,
        TYPE_OPTIONAL_PERCENT,
        TYPE_SIZE,      /* [Reclaim]: bytes with an optional K/M/G/T suffix (1024-based) */
        TYPE_PATTERNS,  /* [Reclaim]: cgroup paths/globs separated by spaces; empty clears */
};

struct key_def {
        const char *section;
        const char *name;
        enum value_type type;
        uint64_t min, max; /* for TYPE_DURATION (usec) and TYPE_UINT */
        const char *accepted;
};

static const struct key_def keys[_DF_KEY_MAX] = {
        [DF_KEY_POLL_INTERVAL] = { "Daemon", "PollIntervalSec", TYPE_DURATION, 100 * USEC_PER_MSEC, 3600 * USEC_PER_SEC,
                                   "a duration from 100ms to 1h, " DURATION_EXAMPLES },
        [DF_KEY_DRY_RUN] = { "Daemon", "DryRun", TYPE_BOOL, 0, 0, BOOL_ACCEPTED },
        [DF_KEY_NODES] = { "Daemon", "Nodes", TYPE_NODES, 0, 0,
                           "all, or node numbers 0..1023 separated by spaces or commas, with ranges such as 0,2-3" },
        [DF_KEY_ZONES] = { "Daemon", "Zones", TYPE_ZONES, 0, 0, NULL /* built from the zone list */ },
        [DF_KEY_PRESSURE_GUARD] = { "Daemon", "PressureGuardPercent", TYPE_UINT, 0, 100, "an integer 0..100 (0 = off)" },
        [DF_KEY_MAX_ACTIONS] = { "Daemon", "MaxActionsPerHour", TYPE_UINT, 0, 1024, "an integer 0..1024 (0 = unlimited)" },
        [DF_KEY_COMPACTION_ENABLE] = { "Compaction", "Enable", TYPE_BOOL, 0, 0, BOOL_ACCEPTED },
        [DF_KEY_COOLDOWN] = { "Compaction", "CooldownSec", TYPE_DURATION, USEC_PER_SEC, 24 * 3600 * USEC_PER_SEC,
                              "a duration from 1s to 24h, " DURATION_EXAMPLES },
        [DF_KEY_BACKOFF_MAX] = { "Compaction", "BackoffMaxSec", TYPE_DURATION, USEC_PER_SEC, 168 * 3600 * USEC_PER_SEC,
                                 "a duration from 1s to 168h, at least CooldownSec, " DURATION_EXAMPLES },
        [DF_KEY_PROACTIVENESS] = { "Compaction", "ProactivenessWhileShort", TYPE_OPTIONAL_PERCENT, 0, 100,
                                   "empty (leave vm.compaction_proactiveness alone) or an integer 0..100" },
        [DF_KEY_PROBES_ENABLE] = { "Probes", "Enable", TYPE_BOOL, 0, 0, BOOL_ACCEPTED },
        [DF_KEY_TRIGGER_MIN_ORDER] = { "Probes", "TriggerMinOrder", TYPE_UINT, 1, DF_MAX_ORDERS - 1, "an integer 1..15" },
        [DF_KEY_TRIGGER_MIN_INTERVAL] = { "Probes", "TriggerMinIntervalSec", TYPE_DURATION, 0, 3600 * USEC_PER_SEC,
                                          "a duration from 0 to 1h, " DURATION_EXAMPLES },
        [DF_KEY_REPORT_STALL] = { "Probes", "ReportStallSec", TYPE_DURATION, 0, 3600 * USEC_PER_SEC,
                                  "a duration from 0 to 1h, " DURATION_EXAMPLES },
        /* ---- [Reclaim] (issue 9): one block, so the table conversion takes it as rows ---- */
        [DF_KEY_RECLAIM_ENABLE] = { "Reclaim", "Enable", TYPE_BOOL, 0, 0, BOOL_ACCEPTED },
        [DF_KEY_RECLAIM_ALLOW] = { "Reclaim", "Allow", TYPE_PATTERNS, 0, DF_RECLAIM_MAX_PATTERNS, PATTERNS_ACCEPTED },
        [DF_KEY_RECLAIM_DENY] = { "Reclaim", "Deny", TYPE_PATTERNS, 0, DF_RECLAIM_MAX_PATTERNS, PATTERNS_ACCEPTED },
        [DF_KEY_RECLAIM_MAX_PER_ACTION] = { "Reclaim", "MaxReclaimPerAction", TYPE_SIZE, RECLAIM_MIN_BYTES, UINT64_C(1) << 40,
                                            "a size from 4K to 1T, such as 64M, 1G, 65536, at most MaxReclaimPerHour" },
        [DF_KEY_RECLAIM_MAX_PER_HOUR] = { "Reclaim", "MaxReclaimPerHour", TYPE_SIZE, RECLAIM_MIN_BYTES, UINT64_C(1) << 44,
                                          "a size from 4K to 16T, such as 512M, 4G, at least MaxReclaimPerAction" },
        [DF_KEY_RECLAIM_ALLOW_ANON] = { "Reclaim", "AllowAnon", TYPE_BOOL, 0, 0, BOOL_ACCEPTED },
        [DF_KEY_RECLAIM_PRESSURE_LIMIT] = { "Reclaim", "PressureLimitPercent", TYPE_UINT, 0, 100, "an integer 0..100 (0 = off)" },
        [DF_KEY_RECLAIM_CGROUP_PRESSURE_LIMIT] = { "Reclaim", "CgroupPressureLimitPercent", TYPE_UINT, 0, 100,
                                                   "an integer 0..100 (0 = off)" },
        [DF_KEY_RECLAIM_REFAULT_LIMIT] = { "Reclaim", "RefaultLimitPercent", TYPE_UINT, 0, 100, "an integer 0..100 (0 = never back off)" },
        [DF_KEY_RECLAIM_NODE_RECLAIM] = { "Reclaim", "NodeReclaim", TYPE_BOOL, 0, 0, BOOL_ACCEPTED },
};

static const struct key_def target_keys[_DF_TKEY_MAX] = {
        [DF_TKEY_ENABLE] = { "OrderN", "Enable", TYPE_BOOL, 0, 0, BOOL_ACCEPTED },
        [DF_TKEY_LOW] = { "OrderN", "Low", TYPE_UINT, 1, MARK_MAX_BLOCKS, "an integer 1..1099511627776 (blocks), at most High" },
        [DF_TKEY_HIGH] = { "OrderN", "High", TYPE_UINT, 1, MARK_MAX_BLOCKS, "an integer 1..1099511627776 (blocks), at least Low" },
};

#define SECTIONS_ACCEPTED "[Daemon], [Compaction], [Probes], [Reclaim], [Order1]..[Order15]"

/* ---- origins ---- */

const char *df_config_origin_str(const struct df_config *c, struct df_conf_origin o, char *buf, size_t size) {
        if (o.file >= 0 && (unsigned) o.file < c->origin.n_files)
                snprintf(buf, size, "%s:%u", c->origin.files[o.file], o.line);
        else if (o.file == DF_ORIGIN_DEFAULT)
                snprintf(buf, size, "(built-in default)");
        else if (o.file == DF_ORIGIN_OVERFLOW)
                snprintf(buf, size, "(one of many files):%u", o.line);
        else
                snprintf(buf, size, "(unset)");
        return buf;
}

/* a was set after b (files are interned in load order; defaults come first). */
static bool origin_later(struct df_conf_origin a, struct df_conf_origin b) {
        int fa = a.file == DF_ORIGIN_OVERFLOW ? DF_CONF_MAX_ORIGIN_FILES : a.file;
        int fb = b.file == DF_ORIGIN_OVERFLOW ? DF_CONF_MAX_ORIGIN_FILES : b.file;

        return fa > fb || (fa == fb && a.line > b.line);
}

static void set_all_origins(struct df_config *c) {
        for (int k = 0; k < _DF_KEY_MAX; k++)
                c->origin.key[k] = (struct df_conf_origin) { DF_ORIGIN_DEFAULT, 0 };
        for (int o = 0; o < DF_MAX_ORDERS; o++)
                for (int k = 0; k < _DF_TKEY_MAX; k++)
                        c->origin.target[o][k] = (struct df_conf_origin) { DF_ORIGIN_UNSET, 0 };
}

void df_config_defaults(struct df_config *c) {
        memset(c, 0, sizeof(*c));
        c->poll_interval_usec = 10 * USEC_PER_SEC;
        c->dry_run = false;
        c->all_nodes = true;
        c->n_zones = 3;
        snprintf(c->zones[0], DF_NAME_MAX, "DMA32");
        snprintf(c->zones[1], DF_NAME_MAX, "Normal");
        snprintf(c->zones[2], DF_NAME_MAX, "Movable");
        c->pressure_guard_percent = 20;
        c->max_actions_per_hour = 60;

        c->compaction_enabled = true;
        c->cooldown_usec = 60 * USEC_PER_SEC;
        c->backoff_max_usec = 3600 * USEC_PER_SEC;
        c->proactiveness_while_short = -1;

        for (int o = 0; o < DF_MAX_ORDERS; o++)
                c->targets[o].order = o;
        c->targets[9].enabled = true;
        c->targets[9].low_blocks = 64;
        c->targets[9].high_blocks = 256;

        c->probes.enabled = true;
        c->probes.trigger_min_order = 3;
        c->probes.trigger_min_interval_usec = USEC_PER_SEC;
        c->probes.report_stall_usec = 100 * USEC_PER_MSEC;

        df_reclaim_conf_defaults(&c->reclaim);

        set_all_origins(c);
        for (int k = 0; k < _DF_TKEY_MAX; k++)
                c->origin.target[9][k] = (struct df_conf_origin) { DF_ORIGIN_DEFAULT, 0 };
}

/* ---- one file ---- */

struct load_ctx {
        struct df_config *c;
        const char *path;
        FILE *f;
        char *buf;
        size_t buf_size;
        unsigned line;
        int origin_file;        /* index in c->origin.files, or -4 before the first value */
        unsigned seen_key[_DF_KEY_MAX];                   /* line a key was set in this file, 0 = not */
        unsigned seen_target[DF_MAX_ORDERS][_DF_TKEY_MAX];
        int r;                  /* first error (0 = none) */
        unsigned err_line;
        struct df_error *err;
};

#define ORIGIN_FILE_PENDING (-4)

static int ctx_error(struct load_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int ctx_error(struct load_ctx *ctx, const char *fmt, ...) {
        char text[DF_ERROR_MAX];
        va_list ap;

        if (ctx->r < 0)
                return 0;
        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        ctx->r = -EINVAL;
        ctx->err_line = ctx->line;
        df_error_set(ctx->err, -EINVAL, "%s:%u: %s", ctx->path, ctx->line, text);
        return 0;
}

static struct df_conf_origin ctx_origin(struct load_ctx *ctx) {
        struct df_config_origins *o = &ctx->c->origin;

        if (ctx->origin_file == ORIGIN_FILE_PENDING) {
                if (o->n_files < DF_CONF_MAX_ORIGIN_FILES) {
                        snprintf(o->files[o->n_files], DF_CONF_ORIGIN_PATH_MAX, "%s", ctx->path);
                        ctx->origin_file = (int) o->n_files++;
                } else
                        ctx->origin_file = DF_ORIGIN_OVERFLOW;
        }
        return (struct df_conf_origin) { ctx->origin_file, ctx->line };
}

/* Like inih's find_chars_or_comment(): the first of `chars`, stopping at an
 * inline ';' comment (one preceded by whitespace). */
static const char *find_chars_or_comment(const char *s, const char *chars) {
        bool was_space = false;

        while (*s && !strchr(chars, *s) && !(was_space && *s == ';')) {
                was_space = *s == ' ' || *s == '\t';
                s++;
        }
        return s;
}

static bool section_known(const char *name, int *ret_order) {
        uint64_t order;

        *ret_order = -1;
        if (strcmp(name, "Daemon") == 0 || strcmp(name, "Compaction") == 0 || strcmp(name, "Probes") == 0 ||
            strcmp(name, "Reclaim") == 0)
                return true;
        if (strncmp(name, "Order", 5) != 0 || (name[5] == '0' && name[6]) || df_parse_u64(name + 5, &order) < 0)
                return false;
        if (order < MIN_TARGET_ORDER || order >= DF_MAX_ORDERS)
                return false;
        *ret_order = (int) order;
        return true;
}

/* Check a line the way inih will read it, so syntax errors get their text
 * and line; inih still parses it (and its verdict is cross-checked). */
static void check_line(struct load_ctx *ctx, const char *s) {
        if (!*s || *s == '#' || *s == ';')
                return;
        if (*s == '[') {
                const char *end = find_chars_or_comment(s + 1, "]");
                char name[64];
                size_t n;
                int order;

                if (*end != ']') {
                        ctx_error(ctx, "%s: section header without ']'; accepted: " SECTIONS_ACCEPTED, s);
                        return;
                }
                n = (size_t) (end - (s + 1));
                if (n >= sizeof(name) || (memcpy(name, s + 1, n), name[n] = 0, !section_known(name, &order))) {
                        if (strncmp(s + 1, "Order", 5) == 0)
                                ctx_error(ctx, "%.*s: unknown section (order out of range or malformed); accepted: "
                                          SECTIONS_ACCEPTED, (int) (n + 2), s);
                        else
                                ctx_error(ctx, "%.*s: unknown section; accepted: " SECTIONS_ACCEPTED, (int) (n + 2), s);
                        return;
                }
                end += 1 + strspn(end + 1, " \t");
                if (*end && *end != ';' && *end != '#')
                        ctx_error(ctx, "%s: text after the section header; accepted: a comment starting with ; or #", s);
                return;
        }
        if (!*find_chars_or_comment(s, "=:"))
                ctx_error(ctx, "%s: neither a [Section], a Key=value nor a comment; accepted: those three kinds of line", s);
}

/* inih's fgets-style reader: one call per line, so ctx->line is the line the
 * handler is called for. Leading whitespace is stripped here, so an indented
 * key never becomes a multi-line continuation (Debian's inih 55 is built
 * with INI_ALLOW_MULTILINE=1, which would glue "  Low=1" onto the key above). */
static char *reader(char *str, int num, void *stream) {
        struct load_ctx *ctx = stream;
        ssize_t n;
        char *s;
        size_t len;

        errno = 0;
        n = getline(&ctx->buf, &ctx->buf_size, ctx->f);
        if (n < 0) {
                if (ferror(ctx->f) && ctx->r == 0) {
                        int e = errno ? errno : EIO;

                        ctx->r = -e;
                        df_error_set(ctx->err, -e, "%s: %s", ctx->path, strerror(e));
                }
                return NULL;
        }
        ctx->line++;
        s = ctx->buf;
        if ((size_t) n != strlen(s)) {
                ctx_error(ctx, "line contains a NUL byte; accepted: text");
                goto empty;
        }
        if (ctx->line == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
                s += 3;
        s += strspn(s, " \t");
        len = strlen(s);
        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
                s[--len] = 0;
        if (num < 4 || len > (size_t) num - 3) {
                ctx_error(ctx, "line of %zu characters; accepted: at most %d", len, num - 3);
                goto empty;
        }
        check_line(ctx, s);
        memcpy(str, s, len);
        str[len] = '\n';
        str[len + 1] = 0;
        return str;
empty:
        if (num >= 2) {
                str[0] = '\n';
                str[1] = 0;
        } else
                str[0] = 0;
        return str;
}

/* ---- [Reclaim] values (issue 9) ---- */

/* "65536", "64K", "64M", "1G", "1T" (1024-based). 0, -EINVAL or -ERANGE. */
static int reclaim_parse_size(const char *value, uint64_t *ret) {
        static const char suffixes[] = "KMGT";
        char num[32];
        size_t n = strspn(value, "0123456789");
        const char *unit;
        uint64_t v;
        int r;

        if (n == 0 || n >= sizeof(num))
                return n == 0 ? -EINVAL : -ERANGE;
        memcpy(num, value, n);
        num[n] = 0;
        r = df_parse_u64(num, &v);
        if (r < 0)
                return r;
        if (!value[n]) {
                *ret = v;
                return 0;
        }
        unit = strchr(suffixes, value[n]);
        if (!unit || value[n + 1])
                return -EINVAL;
        for (int shift = (int) (unit - suffixes + 1) * 10; shift > 0; shift -= 10) {
                if (v > UINT64_MAX >> 10)
                        return -ERANGE;
                v <<= 10;
        }
        *ret = v;
        return 0;
}

static void reclaim_format_size(uint64_t v, char *buf, size_t size) {
        static const char suffixes[] = "KMGT";
        int u = -1;

        while (u < 3 && v >= 1024 && v % 1024 == 0) {
                v /= 1024;
                u++;
        }
        if (u < 0)
                snprintf(buf, size, "%llu", (unsigned long long) v);
        else
                snprintf(buf, size, "%llu%c", (unsigned long long) v, suffixes[u]);
}

static int reclaim_parse_patterns(const char *value, struct df_config *c, bool allow, char *why, size_t why_size) {
        char(*list)[DF_RECLAIM_PATTERN_MAX] = allow ? c->reclaim.allow : c->reclaim.deny;
        int *n = allow ? &c->reclaim.n_allow : &c->reclaim.n_deny;
        char tmp[DF_RECLAIM_MAX_PATTERNS][DF_RECLAIM_PATTERN_MAX];
        int count = 0;
        const char *s = value;

        while (*(s += strspn(s, " \t"))) {
                size_t len = strcspn(s, " \t");
                char pat[DF_RECLAIM_PATTERN_MAX + 1], pwhy[48];

                if (count == DF_RECLAIM_MAX_PATTERNS) {
                        snprintf(why, why_size, "more than %d patterns", DF_RECLAIM_MAX_PATTERNS);
                        return -ERANGE;
                }
                if (len >= DF_RECLAIM_PATTERN_MAX) {
                        snprintf(why, why_size, "pattern %.*s...: longer than %d characters", 40, s, DF_RECLAIM_PATTERN_MAX - 1);
                        return -ERANGE;
                }
                memcpy(pat, s, len);
                pat[len] = 0;
                if (df_reclaim_pattern_check(pat, pwhy, sizeof(pwhy)) < 0) {
                        snprintf(why, why_size, "pattern %.60s: %.47s", pat, pwhy);
                        return -EINVAL;
                }
                memcpy(tmp[count++], pat, len + 1);
                s += len;
        }
        memset(list, 0, sizeof(tmp));
        memcpy(list, tmp, (size_t) count * sizeof(tmp[0]));
        *n = count;
        return 0;
}

static void reclaim_dump_patterns(const char (*list)[DF_RECLAIM_PATTERN_MAX], int n, FILE *f) {
        for (int i = 0; i < n; i++)
                fprintf(f, "%s%s", i ? " " : "", list[i]);
        fputc('\n', f);
}

static bool reclaim_conf_equal(const struct df_reclaim_conf *a, const struct df_reclaim_conf *b) {
        if (a->enabled != b->enabled || a->n_allow != b->n_allow || a->n_deny != b->n_deny ||
            a->max_per_action_bytes != b->max_per_action_bytes || a->max_per_hour_bytes != b->max_per_hour_bytes ||
            a->allow_anon != b->allow_anon || a->pressure_limit_percent != b->pressure_limit_percent ||
            a->cgroup_pressure_limit_percent != b->cgroup_pressure_limit_percent ||
            a->refault_limit_percent != b->refault_limit_percent || a->node_reclaim != b->node_reclaim)
                return false;
        for (int i = 0; i < a->n_allow; i++)
                if (strcmp(a->allow[i], b->allow[i]) != 0)
                        return false;
        for (int i = 0; i < a->n_deny; i++)
                if (strcmp(a->deny[i], b->deny[i]) != 0)
                        return false;
        return true;
}

static int validate_error(const struct df_config *c, struct df_error *err, struct df_conf_origin at,
                          const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int reclaim_validate(const struct df_config *c, struct df_error *err) {
        const struct df_config_origins *o = &c->origin;
        char a[32], b[32], where[DF_CONF_ORIGIN_PATH_MAX + 32];

        if (c->reclaim.max_per_action_bytes <= c->reclaim.max_per_hour_bytes)
                return 0;
        reclaim_format_size(c->reclaim.max_per_action_bytes, a, sizeof(a));
        reclaim_format_size(c->reclaim.max_per_hour_bytes, b, sizeof(b));
        if (origin_later(o->key[DF_KEY_RECLAIM_MAX_PER_ACTION], o->key[DF_KEY_RECLAIM_MAX_PER_HOUR]))
                return validate_error(c, err, o->key[DF_KEY_RECLAIM_MAX_PER_ACTION],
                                      "MaxReclaimPerAction=%s: above MaxReclaimPerHour=%s (set at %s); accepted: "
                                      "MaxReclaimPerAction <= MaxReclaimPerHour", a, b,
                                      df_config_origin_str(c, o->key[DF_KEY_RECLAIM_MAX_PER_HOUR], where, sizeof(where)));
        return validate_error(c, err, o->key[DF_KEY_RECLAIM_MAX_PER_HOUR],
                              "MaxReclaimPerHour=%s: below MaxReclaimPerAction=%s (set at %s); accepted: "
                              "MaxReclaimPerHour >= MaxReclaimPerAction", b, a,
                              df_config_origin_str(c, o->key[DF_KEY_RECLAIM_MAX_PER_ACTION], where, sizeof(where)));
}

/* ---- end of [Reclaim] values ---- */

static int parse_value(const struct key_def *def, const char *value, struct df_config *c, void *dest,
                       char *why, size_t why_size) {
        uint64_t v;
        int r;

        switch (def->type) {
        case TYPE_BOOL:
                if (df_parse_bool(value, dest) < 0) {
                        snprintf(why, why_size, "not a boolean");
                        return -EINVAL;
                }
                return 0;
        case TYPE_DURATION:
                r = df_parse_duration_usec(value, &v);
                if (r == -EINVAL) {
                        snprintf(why, why_size, "not a duration");
                        return r;
                }
                if (r < 0 || v < def->min || v > def->max) {
                        snprintf(why, why_size, "out of range");
                        return -ERANGE;
                }
                *(uint64_t *) dest = v;
                return 0;
        case TYPE_UINT:
        case TYPE_OPTIONAL_PERCENT:
                if (def->type == TYPE_OPTIONAL_PERCENT && !*value) {
                        *(int *) dest = -1;
                        return 0;
                }
                r = df_parse_u64(value, &v);
                if (r == -EINVAL) {
                        snprintf(why, why_size, "not a non-negative integer");
                        return r;
                }
                if (r < 0 || v < def->min || v > def->max) {
                        snprintf(why, why_size, "out of range");
                        return -ERANGE;
                }
                if (def->type == TYPE_OPTIONAL_PERCENT)
                        *(int *) dest = (int) v;
                else if (def->max > UINT32_MAX)
                        *(uint64_t *) dest = v;
                else if (def == &keys[DF_KEY_TRIGGER_MIN_ORDER])
                        *(int *) dest = (int) v;
                else
                        *(unsigned *) dest = (unsigned) v;
                return 0;
        case TYPE_NODES:
                return df_conf_parse_nodes(value, &c->all_nodes, c->nodes_mask, why, why_size);
        case TYPE_ZONES:
                return df_conf_parse_zones(value, c->zones, &c->n_zones, why, why_size);
        case TYPE_SIZE:
                r = reclaim_parse_size(value, &v);
                if (r == -EINVAL) {
                        snprintf(why, why_size, "not a size");
                        return r;
                }
                if (r < 0 || v < def->min || v > def->max) {
                        snprintf(why, why_size, "out of range");
                        return -ERANGE;
                }
                *(uint64_t *) dest = v;
                return 0;
        case TYPE_PATTERNS:
                return reclaim_parse_patterns(value, c, def == &keys[DF_KEY_RECLAIM_ALLOW], why, why_size);
        }
        return -EINVAL;
}

static void *key_dest(struct df_config *c, enum df_conf_key k) {
        switch (k) {
        case DF_KEY_POLL_INTERVAL:        return &c->poll_interval_usec;
        case DF_KEY_DRY_RUN:              return &c->dry_run;
        case DF_KEY_NODES:                return NULL;
        case DF_KEY_ZONES:                return NULL;
        case DF_KEY_PRESSURE_GUARD:       return &c->pressure_guard_percent;
        case DF_KEY_MAX_ACTIONS:          return &c->max_actions_per_hour;
        case DF_KEY_COMPACTION_ENABLE:    return &c->compaction_enabled;
        case DF_KEY_COOLDOWN:             return &c->cooldown_usec;
        case DF_KEY_BACKOFF_MAX:          return &c->backoff_max_usec;
        case DF_KEY_PROACTIVENESS:        return &c->proactiveness_while_short;
        case DF_KEY_PROBES_ENABLE:        return &c->probes.enabled;
        case DF_KEY_TRIGGER_MIN_ORDER:    return &c->probes.trigger_min_order;
        case DF_KEY_TRIGGER_MIN_INTERVAL: return &c->probes.trigger_min_interval_usec;
        case DF_KEY_REPORT_STALL:         return &c->probes.report_stall_usec;
        case DF_KEY_RECLAIM_ENABLE:       return &c->reclaim.enabled;
        case DF_KEY_RECLAIM_ALLOW:        return NULL;
        case DF_KEY_RECLAIM_DENY:         return NULL;
        case DF_KEY_RECLAIM_MAX_PER_ACTION: return &c->reclaim.max_per_action_bytes;
        case DF_KEY_RECLAIM_MAX_PER_HOUR: return &c->reclaim.max_per_hour_bytes;
        case DF_KEY_RECLAIM_ALLOW_ANON:   return &c->reclaim.allow_anon;
        case DF_KEY_RECLAIM_PRESSURE_LIMIT: return &c->reclaim.pressure_limit_percent;
        case DF_KEY_RECLAIM_CGROUP_PRESSURE_LIMIT: return &c->reclaim.cgroup_pressure_limit_percent;
        case DF_KEY_RECLAIM_REFAULT_LIMIT: return &c->reclaim.refault_limit_percent;
        case DF_KEY_RECLAIM_NODE_RECLAIM: return &c->reclaim.node_reclaim;
        case _DF_KEY_MAX:                 break;
        }
        return NULL;
}

static const char *accepted_of(const struct key_def *def, char *buf, size_t size) {
        if (def->accepted)
                return def->accepted;
        snprintf(buf, size, "zone names as in /proc/buddyinfo (%s), separated by spaces or commas, at most %d",
                 df_conf_zone_names_accepted, DF_CONF_MAX_ZONES);
        return buf;
}

static void keys_of_section(const char *section, char *buf, size_t size) {
        size_t len = 0;

        buf[0] = 0;
        if (strncmp(section, "Order", 5) == 0) {
                snprintf(buf, size, "Enable, Low, High");
                return;
        }
        for (int k = 0; k < _DF_KEY_MAX; k++)
                if (strcmp(keys[k].section, section) == 0 && len < size) {
                        int w = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", keys[k].name);
                        if (w > 0)
                                len += (size_t) w;
                }
}

static int handler(void *user, const char *section, const char *name, const char *value) {
        struct load_ctx *ctx = user;
        const struct key_def *def = NULL;
        char why[160], acc[200];
        unsigned *seen;
        int order, k = -1, r;

        if (ctx->r < 0)
                return 1;
        if (!*section)
                return ctx_error(ctx, "%s=%s: key outside any section; accepted: keys under " SECTIONS_ACCEPTED,
                                 name, value);
        if (!section_known(section, &order))
                return ctx_error(ctx, "%s=%s: in unknown section [%s]; accepted: " SECTIONS_ACCEPTED,
                                 name, value, section);
        if (order >= 0) {
                for (int i = 0; i < _DF_TKEY_MAX; i++)
                        if (strcmp(target_keys[i].name, name) == 0)
                                k = i;
                if (k >= 0) {
                        def = &target_keys[k];
                        seen = &ctx->seen_target[order][k];
                }
        } else {
                for (int i = 0; i < _DF_KEY_MAX; i++)
                        if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
                                k = i;
                if (k >= 0) {
                        def = &keys[k];
                        seen = &ctx->seen_key[k];
                }
        }
        if (!def) {
                keys_of_section(section, acc, sizeof(acc));
                return ctx_error(ctx, "%s=%s: unknown key in [%s]; accepted: %s", name, value, section, acc);
        }
        if (*seen)
                return ctx_error(ctx, "%s=%s: [%s] %s= already set on line %u of this file; accepted: each key once "
                                 "per section and file (a later file may override it)", name, value, section, name, *seen);

        if (order >= 0) {
                struct df_target *t = &ctx->c->targets[order];
                uint64_t v;
                bool b;

                r = parse_value(def, value, ctx->c, k == DF_TKEY_ENABLE ? (void *) &b : (void *) &v, why, sizeof(why));
                if (r < 0)
                        return ctx_error(ctx, "%s=%s: %s; accepted: %s", name, value, why, def->accepted);
                if (k == DF_TKEY_ENABLE)
                        t->enabled = b;
                else {
                        if (k == DF_TKEY_LOW)
                                t->low_blocks = v;
                        else
                                t->high_blocks = v;
                        /* Setting a mark defines the target, unless a file said Enable= explicitly. */
                        int enable_from = ctx->c->origin.target[order][DF_TKEY_ENABLE].file;

                        if (enable_from == DF_ORIGIN_DEFAULT || enable_from == DF_ORIGIN_UNSET)
                                t->enabled = true;
                }
                ctx->c->origin.target[order][k] = ctx_origin(ctx);
        } else {
                r = parse_value(def, value, ctx->c, key_dest(ctx->c, k), why, sizeof(why));
                if (r < 0)
                        return ctx_error(ctx, "%s=%s: %s; accepted: %s", name, value, why,
                                         accepted_of(def, acc, sizeof(acc)));
                ctx->c->origin.key[k] = ctx_origin(ctx);
        }
        *seen = ctx->line;
        return 1;
}

static int load_one(struct df_config *c, const char *path, struct df_error *err) {
        struct load_ctx ctx = {
                .c = c,
                .path = path,
                .origin_file = ORIGIN_FILE_PENDING,
                .err = err,
        };
        struct stat st;
        int r;

        ctx.f = fopen(path, "re");
        if (!ctx.f)
                return df_error_set(err, -errno, "%s: %s", path, strerror(errno));
        if (fstat(fileno(ctx.f), &st) < 0 || S_ISDIR(st.st_mode)) {
                int e = S_ISDIR(st.st_mode) ? EISDIR : errno;

                fclose(ctx.f);
                return df_error_set(err, -e, "%s: %s", path, strerror(e));
        }
        r = ini_parse_stream(reader, &ctx, handler, &ctx);
        free(ctx.buf);
        fclose(ctx.f);
        if (ctx.r < 0)
                return ctx.r;
        if (r == -2)
                return df_error_set(err, -ENOMEM, "%s: %s", path, strerror(ENOMEM));
        if (r != 0)
                /* inih refused a line our own check let through: still name it. */
                return df_error_set(err, -EINVAL, "%s:%d: line not understood by the INI parser; accepted: "
                                    "[Section], Key=value, # comment", path, r);
        return 0;
}

/* ---- validation ---- */

static int validate_error(const struct df_config *c, struct df_error *err, struct df_conf_origin at,
                          const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int validate_error(const struct df_config *c, struct df_error *err, struct df_conf_origin at,
                          const char *fmt, ...) {
        char where[DF_CONF_ORIGIN_PATH_MAX + 32], text[DF_ERROR_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        return df_error_set(err, -EINVAL, "%s: %s", df_config_origin_str(c, at, where, sizeof(where)), text);
}

int df_config_validate(const struct df_config *c, struct df_error *err) {
        const struct df_config_origins *o = &c->origin;
        char a[32], b[32], where[DF_CONF_ORIGIN_PATH_MAX + 32];

        if (c->poll_interval_usec < keys[DF_KEY_POLL_INTERVAL].min || c->poll_interval_usec > keys[DF_KEY_POLL_INTERVAL].max) {
                df_conf_format_duration(c->poll_interval_usec, a, sizeof(a));
                return validate_error(c, err, o->key[DF_KEY_POLL_INTERVAL], "PollIntervalSec=%s: out of range; accepted: %s",
                                      a, keys[DF_KEY_POLL_INTERVAL].accepted);
        }
        if (c->n_zones <= 0 || c->n_zones > DF_CONF_MAX_ZONES)
                return validate_error(c, err, o->key[DF_KEY_ZONES], "Zones=: no zone to watch; accepted: %s",
                                      df_conf_zone_names_accepted);
        if (c->cooldown_usec > c->backoff_max_usec) {
                bool cooldown_later = origin_later(o->key[DF_KEY_COOLDOWN], o->key[DF_KEY_BACKOFF_MAX]);

                df_conf_format_duration(c->cooldown_usec, a, sizeof(a));
                df_conf_format_duration(c->backoff_max_usec, b, sizeof(b));
                if (cooldown_later)
                        return validate_error(c, err, o->key[DF_KEY_COOLDOWN],
                                              "CooldownSec=%s: above BackoffMaxSec=%s (set at %s); accepted: CooldownSec <= BackoffMaxSec",
                                              a, b, df_config_origin_str(c, o->key[DF_KEY_BACKOFF_MAX], where, sizeof(where)));
                return validate_error(c, err, o->key[DF_KEY_BACKOFF_MAX],
                                      "BackoffMaxSec=%s: below CooldownSec=%s (set at %s); accepted: BackoffMaxSec >= CooldownSec",
                                      b, a, df_config_origin_str(c, o->key[DF_KEY_COOLDOWN], where, sizeof(where)));
        }
        if (reclaim_validate(c, err) < 0)
                return -EINVAL;
        for (int n = 0; n < DF_MAX_ORDERS; n++) {
                const struct df_target *t = &c->targets[n];
                const struct df_conf_origin *to = o->target[n];

                if (!t->enabled)
                        continue;
                if (n < MIN_TARGET_ORDER)
                        return validate_error(c, err, to[DF_TKEY_ENABLE], "[Order%d]: order below %d; accepted: "
                                              SECTIONS_ACCEPTED, n, MIN_TARGET_ORDER);
                if (t->low_blocks == 0 || t->high_blocks == 0) {
                        bool has_low = t->low_blocks != 0;
                        struct df_conf_origin at = has_low ? to[DF_TKEY_LOW] :
                                t->high_blocks ? to[DF_TKEY_HIGH] : to[DF_TKEY_ENABLE];

                        return validate_error(c, err, at, "[Order%d] %s=%llu: %s= is not set; accepted: an enabled target "
                                              "with both Low= and High=", n, has_low ? "Low" : "High",
                                              (unsigned long long) (has_low ? t->low_blocks : t->high_blocks),
                                              has_low ? "High" : "Low");
                }
                if (t->low_blocks > MARK_MAX_BLOCKS || t->high_blocks > MARK_MAX_BLOCKS)
                        return validate_error(c, err, to[DF_TKEY_HIGH], "[Order%d]: mark out of range; accepted: %s",
                                              n, target_keys[DF_TKEY_HIGH].accepted);
                if (t->low_blocks > t->high_blocks) {
                        if (origin_later(to[DF_TKEY_LOW], to[DF_TKEY_HIGH]))
                                return validate_error(c, err, to[DF_TKEY_LOW],
                                                      "Low=%llu: above High=%llu of [Order%d] (set at %s); accepted: Low <= High",
                                                      (unsigned long long) t->low_blocks, (unsigned long long) t->high_blocks, n,
                                                      df_config_origin_str(c, to[DF_TKEY_HIGH], where, sizeof(where)));
                        return validate_error(c, err, to[DF_TKEY_HIGH],
                                              "High=%llu: below Low=%llu of [Order%d] (set at %s); accepted: High >= Low",
                                              (unsigned long long) t->high_blocks, (unsigned long long) t->low_blocks, n,
                                              df_config_origin_str(c, to[DF_TKEY_LOW], where, sizeof(where)));
                }
        }
        return 0;
}

/* ---- loading ---- */

int df_config_load_files(struct df_config *c, const char *const *paths, size_t n_paths, struct df_error *err) {
        _cleanup_free_ struct df_config *tmp = NULL;
        int r;

        tmp = malloc(sizeof(*tmp));
        if (!tmp)
                return df_error_set(err, -ENOMEM, "config: %s", strerror(ENOMEM));
        df_config_defaults(tmp);
        for (size_t i = 0; i < n_paths; i++) {
                r = load_one(tmp, paths[i], err);
                if (r < 0)
                        return r;
        }
        r = df_config_validate(tmp, err);
        if (r < 0)
                return r;
        *c = *tmp;
        return 0;
}

struct dropin {
        char *name;
        char *path;
        bool masked;
};

static void dropins_free(struct dropin *d, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(d[i].name);
                free(d[i].path);
        }
        free(d);
}

static int dropin_cmp(const void *a, const void *b) {
        return strcmp(((const struct dropin *) a)->name, ((const struct dropin *) b)->name);
}

/* A symlink to /dev/null, the null device itself or an empty file masks a
 * name (systemd's null_or_empty()). */
static bool is_mask(const char *path) {
        char target[16];
        struct stat st;
        ssize_t n;

        n = readlink(path, target, sizeof(target) - 1);
        if (n > 0) {
                target[n] = 0;
                if (strcmp(target, "/dev/null") == 0)
                        return true;
        }
        if (stat(path, &st) < 0)
                return false;
        return (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)) || (S_ISREG(st.st_mode) && st.st_size == 0);
}

static const char *normalize_root(const char *root) {
        if (!root || strcmp(root, "/") == 0)
                return "";
        return root;
}

static char *join(const char *a, const char *b, const char *c) {
        size_t n = strlen(a) + strlen(b) + (c ? strlen(c) : 0) + 1;
        char *s = malloc(n);

        if (s)
                snprintf(s, n, "%s%s%s", a, b, c ? c : "");
        return s;
}

static int scan_dir(const char *dir, struct dropin **d, size_t *n, struct df_error *err) {
        DIR *dh;
        struct dirent *de;
        int r = 0;

        dh = opendir(dir);
        if (!dh) {
                if (errno == ENOENT || errno == ENOTDIR)
                        return 0;
                return df_error_set(err, -errno, "%s: %s", dir, strerror(errno));
        }
        while ((errno = 0, de = readdir(dh))) {
                size_t len = strlen(de->d_name);
                struct stat st;
                char *path;
                size_t i;

                if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
                        continue;
                path = join(dir, "/", de->d_name);
                if (!path) {
                        r = df_error_set(err, -ENOMEM, "%s: %s", dir, strerror(ENOMEM));
                        break;
                }
                /* Directories are not config files; a dangling link stays, so loading names it. */
                if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
                        free(path);
                        continue;
                }
                for (i = 0; i < *n; i++)
                        if (strcmp((*d)[i].name, de->d_name) == 0)
                                break;
                if (i == *n) {
                        struct dropin *nd = realloc(*d, (*n + 1) * sizeof(**d));
                        char *name = strdup(de->d_name);

                        if (!nd || !name) {
                                if (nd)
                                        *d = nd;
                                free(name);
                                free(path);
                                r = df_error_set(err, -ENOMEM, "%s: %s", dir, strerror(ENOMEM));
                                break;
                        }
                        *d = nd;
                        (*d)[i] = (struct dropin) { .name = name };
                        (*n)++;
                } else
                        free((*d)[i].path);
                /* Directories are scanned lowest priority first: a later one replaces the name. */
                (*d)[i].path = path;
                (*d)[i].masked = is_mask(path);
        }
        if (r == 0 && errno != 0)
                r = df_error_set(err, -errno, "%s: %s", dir, strerror(errno));
        closedir(dh);
        return r;
}

int df_config_collect_files(const char *root, char ***ret_paths, size_t *ret_n, struct df_error *err) {
        const char *const dirs[] = {
                DEFRAGD_LIBDIR_NOARCH "/defragd.conf.d",
                "/run/defragd.conf.d",
                DEFRAGD_SYSCONFDIR "/defragd.conf.d",
        };
        struct dropin *d = NULL;
        size_t n = 0, n_out = 0;
        char **out = NULL, *main_path;
        struct stat st;
        int r = 0;

        root = normalize_root(root);
        for (size_t i = 0; i < ELEMENTSOF(dirs) && r == 0; i++) {
                _cleanup_free_ char *dir = join(root, dirs[i], NULL);

                r = dir ? scan_dir(dir, &d, &n, err) : df_error_set(err, -ENOMEM, "config: %s", strerror(ENOMEM));
        }
        if (r < 0)
                goto fail;
        if (n > 0)
                qsort(d, n, sizeof(*d), dropin_cmp);

        out = calloc(n + 2, sizeof(*out));
        main_path = join(root, DEFRAGD_SYSCONFDIR "/defragd.conf", NULL);
        if (!out || !main_path) {
                free(main_path);
                r = df_error_set(err, -ENOMEM, "config: %s", strerror(ENOMEM));
                goto fail;
        }
        /* Optional: absent is fine; anything else that exists is read (and its error reported). */
        if (lstat(main_path, &st) == 0 && !is_mask(main_path))
                out[n_out++] = main_path;
        else
                free(main_path);
        for (size_t i = 0; i < n; i++)
                if (!d[i].masked) {
                        out[n_out++] = d[i].path;
                        d[i].path = NULL;
                }
        dropins_free(d, n);
        *ret_paths = out;
        *ret_n = n_out;
        return 0;
fail:
        if (out)
                for (size_t i = 0; i < n_out; i++)
                        free(out[i]);
        free(out);
        dropins_free(d, n);
        return r;
}

int df_config_load(struct df_config *c, const char *root, const char *explicit_path, struct df_error *err) {
        char **paths = NULL;
        size_t n = 0;
        int r;

        if (explicit_path)
                return df_config_load_files(c, &explicit_path, 1, err);
        r = df_config_collect_files(root, &paths, &n, err);
        if (r < 0)
                return r;
        r = df_config_load_files(c, (const char *const *) paths, n, err);
        for (size_t i = 0; i < n; i++)
                free(paths[i]);
        free(paths);
        return r;
}

/* ---- output ---- */

static void dump_origin(const struct df_config *c, struct df_conf_origin o, FILE *f) {
        char where[DF_CONF_ORIGIN_PATH_MAX + 32];

        if (o.file >= 0 || o.file == DF_ORIGIN_OVERFLOW)
                fprintf(f, "# %s\n", df_config_origin_str(c, o, where, sizeof(where)));
}

void df_config_dump(const struct df_config *c, FILE *f) {
        char buf[DF_CONF_MAX_NODES * 6];
        const char *section = NULL;

        fprintf(f, "# defragd effective configuration; a '# file:line' comment names where a value was set\n");
        for (int k = 0; k < _DF_KEY_MAX; k++) {
                const struct key_def *def = &keys[k];
                const void *p = key_dest((struct df_config *) c, k);

                if (!section || strcmp(section, def->section) != 0) {
                        section = def->section;
                        fprintf(f, "%s[%s]\n", k ? "\n" : "", section);
                }
                dump_origin(c, c->origin.key[k], f);
                switch (k) {
                case DF_KEY_NODES:
                        df_conf_format_nodes(c->all_nodes, c->nodes_mask, buf, sizeof(buf));
                        fprintf(f, "%s=%s\n", def->name, buf);
                        continue;
                case DF_KEY_ZONES:
                        fprintf(f, "%s=", def->name);
                        for (int z = 0; z < c->n_zones; z++)
                                fprintf(f, "%s%s", z ? " " : "", c->zones[z]);
                        fputc('\n', f);
                        continue;
                case DF_KEY_PROACTIVENESS:
                        if (c->proactiveness_while_short < 0)
                                fprintf(f, "%s=\n", def->name);
                        else
                                fprintf(f, "%s=%d\n", def->name, c->proactiveness_while_short);
                        continue;
                case DF_KEY_TRIGGER_MIN_ORDER:
                        fprintf(f, "%s=%d\n", def->name, c->probes.trigger_min_order);
                        continue;
                case DF_KEY_RECLAIM_ALLOW:
                case DF_KEY_RECLAIM_DENY:
                        fprintf(f, "%s=", def->name);
                        if (k == DF_KEY_RECLAIM_ALLOW)
                                reclaim_dump_patterns(c->reclaim.allow, c->reclaim.n_allow, f);
                        else
                                reclaim_dump_patterns(c->reclaim.deny, c->reclaim.n_deny, f);
                        continue;
                case DF_KEY_RECLAIM_MAX_PER_ACTION:
                case DF_KEY_RECLAIM_MAX_PER_HOUR:
                        reclaim_format_size(*(const uint64_t *) p, buf, sizeof(buf));
                        fprintf(f, "%s=%s\n", def->name, buf);
                        continue;
                default:
                        break;
                }
                switch (def->type) {
                case TYPE_BOOL:
                        fprintf(f, "%s=%s\n", def->name, *(const bool *) p ? "yes" : "no");
                        break;
                case TYPE_DURATION:
                        df_conf_format_duration(*(const uint64_t *) p, buf, sizeof(buf));
                        fprintf(f, "%s=%s\n", def->name, buf);
                        break;
                default:
                        fprintf(f, "%s=%u\n", def->name, *(const unsigned *) p);
                        break;
                }
        }
        for (int n = 0; n < DF_MAX_ORDERS; n++) {
                const struct df_target *t = &c->targets[n];
                const struct df_conf_origin *to = c->origin.target[n];

                if (!t->enabled && !t->low_blocks && !t->high_blocks)
                        continue;
                fprintf(f, "\n[Order%d]\n", n);
                dump_origin(c, to[DF_TKEY_ENABLE], f);
                fprintf(f, "Enable=%s\n", t->enabled ? "yes" : "no");
                if (t->low_blocks) {
                        dump_origin(c, to[DF_TKEY_LOW], f);
                        fprintf(f, "Low=%llu\n", (unsigned long long) t->low_blocks);
                }
                if (t->high_blocks) {
                        dump_origin(c, to[DF_TKEY_HIGH], f);
                        fprintf(f, "High=%llu\n", (unsigned long long) t->high_blocks);
                }
        }
}

bool df_config_equal(const struct df_config *a, const struct df_config *b) {
        if (a->poll_interval_usec != b->poll_interval_usec || a->dry_run != b->dry_run ||
            a->all_nodes != b->all_nodes || a->n_zones != b->n_zones ||
            a->pressure_guard_percent != b->pressure_guard_percent ||
            a->max_actions_per_hour != b->max_actions_per_hour ||
            a->compaction_enabled != b->compaction_enabled || a->cooldown_usec != b->cooldown_usec ||
            a->backoff_max_usec != b->backoff_max_usec ||
            a->proactiveness_while_short != b->proactiveness_while_short ||
            a->probes.enabled != b->probes.enabled ||
            a->probes.trigger_min_order != b->probes.trigger_min_order ||
            a->probes.trigger_min_interval_usec != b->probes.trigger_min_interval_usec ||
            a->probes.report_stall_usec != b->probes.report_stall_usec ||
            !reclaim_conf_equal(&a->reclaim, &b->reclaim))
                return false;
        if (!a->all_nodes && memcmp(a->nodes_mask, b->nodes_mask, sizeof(a->nodes_mask)) != 0)
                return false;
        for (int z = 0; z < a->n_zones && z < DF_CONF_MAX_ZONES; z++)
                if (strcmp(a->zones[z], b->zones[z]) != 0)
                        return false;
        for (int n = 0; n < DF_MAX_ORDERS; n++)
                if (a->targets[n].enabled != b->targets[n].enabled ||
                    a->targets[n].low_blocks != b->targets[n].low_blocks ||
                    a->targets[n].high_blocks != b->targets[n].high_blocks)
                        return false;
        return true;
}

bool df_config_node_watched(const struct df_config *c, int node) {
        if (node < 0 || node >= DF_CONF_MAX_NODES)
                return false;
        return c->all_nodes || (c->nodes_mask[node / 64] & (UINT64_C(1) << (node % 64)));
}

bool df_config_zone_watched(const struct df_config *c, const char *zone) {
        for (int z = 0; z < c->n_zones && z < DF_CONF_MAX_ZONES; z++)
                if (strcmp(c->zones[z], zone) == 0)
                        return true;
        return false;
}
