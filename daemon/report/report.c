/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Log sink: sd_journal_sendv() with structured fields when stderr is the
 * journal stream, readable stderr lines otherwise. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "defragd/report.h"
#include "defragd/util.h"

#define DF_LOG_MAX_FIELDS 48

static bool log_journal;
static int log_max_level = LOG_INFO;

/* systemd sets $JOURNAL_STREAM=dev:ino for the stream it connected to
 * stderr; if it is still ours, journald is listening (sd_journal_print(3)). */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void df_log_open(enum df_log_target target) {
        switch (target) {
        case DF_LOG_JOURNAL: log_journal = true; break;
        case DF_LOG_CONSOLE: log_journal = false; break;
        default: log_journal = stderr_is_journal(); break;
        }
}

bool df_log_to_journal(void) { return log_journal; }

void df_log_set_max_level(int level) { log_max_level = level; }

int df_log_parse_level(const char *s) {
        static const char *const names[] = { "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug" };

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcasecmp(s, names[i]) == 0)
                        return (int) i;
        return -1;
}

static const char *level_prefix(int level) {
        switch (level) {
        case LOG_EMERG: case LOG_ALERT: case LOG_CRIT: case LOG_ERR: return "error: ";
        case LOG_WARNING: return "warning: ";
        case LOG_DEBUG: return "debug: ";
        default: return "";
        }
}

static void emit(int level, const char *const *fields, const char *message) {
        if (log_journal) {
                struct iovec iov[DF_LOG_MAX_FIELDS + 3];
                char prio[16], *msg = NULL;
                size_t n = 0;

                snprintf(prio, sizeof(prio), "PRIORITY=%d", level);
                iov[n++] = (struct iovec) { .iov_base = prio, .iov_len = strlen(prio) };
                if (asprintf(&msg, "MESSAGE=%s", message) < 0)
                        return;
                iov[n++] = (struct iovec) { .iov_base = msg, .iov_len = strlen(msg) };
                for (size_t i = 0; fields && fields[i] && n < ELEMENTSOF(iov); i++)
                        iov[n++] = (struct iovec) { .iov_base = (char *) fields[i], .iov_len = strlen(fields[i]) };
                sd_journal_sendv(iov, (int) n);
                free(msg);
                return;
        }

        fprintf(stderr, "defragd: %s%s", level_prefix(level), message);
        if (log_max_level >= LOG_DEBUG)
                for (size_t i = 0; fields && fields[i]; i++)
                        if (strncmp(fields[i], "MESSAGE_ID=", 11) != 0)
                                fprintf(stderr, " %s", fields[i]);
        fputc('\n', stderr);
        fflush(stderr);
}

static void vemit(int level, const char *const *fields, const char *fmt, va_list ap) {
        char buf[2048];

        if (level > log_max_level)
                return;
        vsnprintf(buf, sizeof(buf), fmt, ap);
        emit(level, fields, buf);
}

void df_log(int level, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vemit(level, NULL, fmt, ap);
        va_end(ap);
}

void df_log_struct(int level, const char *const *fields, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vemit(level, fields, fmt, ap);
        va_end(ap);
}
