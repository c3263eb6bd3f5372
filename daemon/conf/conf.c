/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The config loader: defaults, defragd.conf and systemd-style drop-ins read
 * with inih, every refusal naming file:line, key=value, why and what is accepted. */
#include <assert.h>
#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "conf-files.h"
#include "conf-parse.h"
#include "conf-table.h"
#include "defragd/conf.h"
#include "defragd/util.h"

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
        assert(c);
        memset(c, 0, sizeof(*c));
        /* Per-lever settings a lever's section has no row for yet; rows below
         * override their fields. */
        for (int k = 0; k < _DF_LEVER_MAX; k++)
                c->levers[k] = (struct df_lever_conf) {
                        .enabled = true,
                        .cooldown_usec = 60 * USEC_PER_SEC,
                        .backoff_max_usec = 3600 * USEC_PER_SEC,
                        .timeout_usec = 60 * USEC_PER_SEC,
                };
        for (int k = 0; k < _DF_KEY_MAX; k++)
                df_conf_item_set_default(&df_conf_items[k], c);
        for (int o = 0; o < DF_MAX_ORDERS; o++)
                c->targets[o].order = o;

        set_all_origins(c);
        for (size_t i = 0; i < df_conf_n_default_targets; i++) {
                const struct df_conf_default_target *d = &df_conf_default_targets[i];

                c->targets[d->order] = (struct df_target) {
                        .enabled = true,
                        .order = d->order,
                        .low_blocks = d->low_blocks,
                        .high_blocks = d->high_blocks,
                };
                for (int k = 0; k < _DF_TKEY_MAX; k++)
                        c->origin.target[d->order][k] = (struct df_conf_origin) { DF_ORIGIN_DEFAULT, 0 };
        }
}

/* ---- one file ---- */

struct load_ctx {
        struct df_config *c;
        const char *path;
        const char *text;       /* the whole file */
        size_t len, pos;
        char *buf;              /* the current line */
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
        for (int k = 0; k < _DF_KEY_MAX; k++)
                if (strcmp(name, df_conf_items[k].section) == 0)
                        return true;
        if (strncmp(name, "Order", 5) != 0 || (name[5] == '0' && name[6]) || df_parse_u64(name + 5, &order) < 0)
                return false;
        if (order < DF_CONF_MIN_TARGET_ORDER || order >= DF_MAX_ORDERS)
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
                        ctx_error(ctx, "%s: section header without ']'; accepted: " DF_CONF_SECTIONS_ACCEPTED, s);
                        return;
                }
                n = (size_t) (end - (s + 1));
                if (n >= sizeof(name) || (memcpy(name, s + 1, n), name[n] = 0, !section_known(name, &order))) {
                        if (strncmp(s + 1, "Order", 5) == 0)
                                ctx_error(ctx, "%.*s: unknown section (order out of range or malformed); accepted: "
                                          DF_CONF_SECTIONS_ACCEPTED, (int) (n + 2), s);
                        else
                                ctx_error(ctx, "%.*s: unknown section; accepted: " DF_CONF_SECTIONS_ACCEPTED, (int) (n + 2), s);
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

/* inih's fgets-style reader over the file's text, read whole beforehand
 * (df_conf_read_file: bounded, never blocks): one call per line, so
 * ctx->line is the line the handler is called for. Leading whitespace is
 * stripped here, so an indented key never becomes a multi-line continuation
 * (Debian's inih 55 is built with INI_ALLOW_MULTILINE=1, which would glue
 * "  Low=1" onto the key above). */
static char *reader(char *str, int num, void *stream) {
        struct load_ctx *ctx = stream;
        const char *start, *nl;
        size_t n, len;
        char *s;

        if (ctx->pos >= ctx->len)
                return NULL;
        start = ctx->text + ctx->pos;
        nl = memchr(start, '\n', ctx->len - ctx->pos);
        n = nl ? (size_t) (nl - start) + 1 : ctx->len - ctx->pos;
        ctx->pos += n;
        ctx->line++;
        if (memchr(start, 0, n)) {
                ctx_error(ctx, "line contains a NUL byte; accepted: text");
                goto empty;
        }
        if (n + 1 > ctx->buf_size) {
                char *b = realloc(ctx->buf, n + 1);

                if (!b) {
                        if (ctx->r == 0)
                                ctx->r = df_error_set(ctx->err, -ENOMEM, "%s: %s", ctx->path, strerror(ENOMEM));
                        return NULL;
                }
                ctx->buf = b;
                ctx->buf_size = n + 1;
        }
        memcpy(ctx->buf, start, n);
        ctx->buf[n] = 0;
        s = ctx->buf;
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

static void keys_of_section(const char *section, char *buf, size_t size) {
        size_t len = 0;

        const struct df_conf_item *items = df_conf_items;
        size_t n = _DF_KEY_MAX;

        buf[0] = 0;
        if (strncmp(section, "Order", 5) == 0) {
                items = df_conf_target_items;
                n = _DF_TKEY_MAX;
        }
        for (size_t k = 0; k < n; k++)
                if ((items == df_conf_target_items || strcmp(items[k].section, section) == 0) && len < size) {
                        int w = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", items[k].name);
                        if (w > 0)
                                len += (size_t) w;
                }
}

static int handler(void *user, const char *section, const char *name, const char *value) {
        struct load_ctx *ctx = user;
        const struct df_conf_item *def = NULL;
        char why[160], acc[320];
        unsigned *seen;
        int order, k = -1, r;

        if (ctx->r < 0)
                return 1;
        if (!*section)
                return ctx_error(ctx, "%s=%s: key outside any section; accepted: keys under " DF_CONF_SECTIONS_ACCEPTED,
                                 name, value);
        if (!section_known(section, &order))
                return ctx_error(ctx, "%s=%s: in unknown section [%s]; accepted: " DF_CONF_SECTIONS_ACCEPTED,
                                 name, value, section);
        if (order >= 0) {
                for (int i = 0; i < _DF_TKEY_MAX; i++)
                        if (strcmp(df_conf_target_items[i].name, name) == 0)
                                k = i;
                if (k >= 0) {
                        def = &df_conf_target_items[k];
                        seen = &ctx->seen_target[order][k];
                }
        } else {
                for (int i = 0; i < _DF_KEY_MAX; i++)
                        if (strcmp(df_conf_items[i].section, section) == 0 && strcmp(df_conf_items[i].name, name) == 0)
                                k = i;
                if (k >= 0) {
                        def = &df_conf_items[k];
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

        r = df_conf_item_parse(def, value, order >= 0 ? (void *) &ctx->c->targets[order] : (void *) ctx->c,
                               why, sizeof(why));
        if (r < 0)
                return ctx_error(ctx, "%s=%s: %s; accepted: %s", name, value, why, def->accepted);
        if (order >= 0) {
                int enable_from = ctx->c->origin.target[order][DF_TKEY_ENABLE].file;

                /* Setting a mark defines the target, unless a file said Enable= explicitly. */
                if (k != DF_TKEY_ENABLE && (enable_from == DF_ORIGIN_DEFAULT || enable_from == DF_ORIGIN_UNSET))
                        ctx->c->targets[order].enabled = true;
                ctx->c->origin.target[order][k] = ctx_origin(ctx);
        } else
                ctx->c->origin.key[k] = ctx_origin(ctx);
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
        _cleanup_free_ char *text = NULL;
        int r;

        r = df_conf_read_file(path, &text, &ctx.len, err);
        if (r < 0)
                return r;
        ctx.text = text;
        r = ini_parse_stream(reader, &ctx, handler, &ctx);
        free(ctx.buf);
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

        if (c->poll_interval_usec < df_conf_items[DF_KEY_POLL_INTERVAL].min || c->poll_interval_usec > df_conf_items[DF_KEY_POLL_INTERVAL].max) {
                df_conf_format_duration(c->poll_interval_usec, a, sizeof(a));
                return validate_error(c, err, o->key[DF_KEY_POLL_INTERVAL], "PollIntervalSec=%s: out of range; accepted: %s",
                                      a, df_conf_items[DF_KEY_POLL_INTERVAL].accepted);
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
        if (c->reclaim.max_per_action_bytes > c->reclaim.max_per_hour_bytes) {
                df_conf_format_size(c->reclaim.max_per_action_bytes, a, sizeof(a));
                df_conf_format_size(c->reclaim.max_per_hour_bytes, b, sizeof(b));
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
        for (int n = 0; n < DF_MAX_ORDERS; n++) {
                const struct df_target *t = &c->targets[n];
                const struct df_conf_origin *to = o->target[n];

                if (!t->enabled)
                        continue;
                if (n < DF_CONF_MIN_TARGET_ORDER)
                        return validate_error(c, err, to[DF_TKEY_ENABLE], "[Order%d]: order below %d; accepted: "
                                              DF_CONF_SECTIONS_ACCEPTED, n, DF_CONF_MIN_TARGET_ORDER);
                if (t->low_blocks == 0 || t->high_blocks == 0) {
                        bool has_low = t->low_blocks != 0;
                        struct df_conf_origin at = has_low ? to[DF_TKEY_LOW] :
                                t->high_blocks ? to[DF_TKEY_HIGH] : to[DF_TKEY_ENABLE];

                        return validate_error(c, err, at, "[Order%d] %s=%llu: %s= is not set; accepted: an enabled target "
                                              "with both Low= and High=", n, has_low ? "Low" : "High",
                                              (unsigned long long) (has_low ? t->low_blocks : t->high_blocks),
                                              has_low ? "High" : "Low");
                }
                if (t->low_blocks > DF_CONF_MARK_MAX_BLOCKS || t->high_blocks > DF_CONF_MARK_MAX_BLOCKS)
                        return validate_error(c, err, to[DF_TKEY_HIGH], "[Order%d]: mark out of range; accepted: %s",
                                              n, df_conf_target_items[DF_TKEY_HIGH].accepted);
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

static bool load_is_zero(const struct df_conf_item *it, const void *base) {
        char buf[32];

        df_conf_item_format(it, base, buf, sizeof(buf));
        return strcmp(buf, "0") == 0;
}

static void dump_origin(const struct df_config *c, struct df_conf_origin o, FILE *f) {
        char where[DF_CONF_ORIGIN_PATH_MAX + 32];

        if (o.file >= 0 || o.file == DF_ORIGIN_OVERFLOW)
                fprintf(f, "# %s\n", df_config_origin_str(c, o, where, sizeof(where)));
}

void df_config_dump(const struct df_config *c, FILE *f) {
        _cleanup_free_ char *buf = malloc(DF_CONF_VALUE_MAX);
        const char *section = NULL;

        assert(c && f);
        if (!buf) {
                fprintf(f, "# out of memory\n");
                return;
        }
        fprintf(f, "# defragd effective configuration; a '# file:line' comment names where a value was set\n");
        for (int k = 0; k < _DF_KEY_MAX; k++) {
                const struct df_conf_item *def = &df_conf_items[k];

                if (!section || strcmp(section, def->section) != 0) {
                        section = def->section;
                        fprintf(f, "%s[%s]\n", k ? "\n" : "", section);
                }
                dump_origin(c, c->origin.key[k], f);
                df_conf_item_format(def, c, buf, DF_CONF_VALUE_MAX);
                fprintf(f, "%s=%s\n", def->name, buf);
        }
        for (int n = 0; n < DF_MAX_ORDERS; n++) {
                const struct df_target *t = &c->targets[n];

                if (!t->enabled && !t->low_blocks && !t->high_blocks)
                        continue;
                fprintf(f, "\n[Order%d]\n", n);
                for (int k = 0; k < _DF_TKEY_MAX; k++) {
                        /* an unset mark (0) is left out: 0 is not a value it accepts */
                        if (df_conf_target_items[k].type == DF_CONF_UINT && load_is_zero(&df_conf_target_items[k], t))
                                continue;
                        dump_origin(c, c->origin.target[n][k], f);
                        df_conf_item_format(&df_conf_target_items[k], t, buf, DF_CONF_VALUE_MAX);
                        fprintf(f, "%s=%s\n", df_conf_target_items[k].name, buf);
                }
        }
}

bool df_config_equal(const struct df_config *a, const struct df_config *b) {
        assert(a && b);
        for (int k = 0; k < _DF_KEY_MAX; k++)
                if (!df_conf_item_equal(&df_conf_items[k], a, b))
                        return false;
        for (int n = 0; n < DF_MAX_ORDERS; n++)
                for (int k = 0; k < _DF_TKEY_MAX; k++)
                        if (!df_conf_item_equal(&df_conf_target_items[k], &a->targets[n], &b->targets[n]))
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
