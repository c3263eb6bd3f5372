/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Clocks, strict number parsing and the one function that writes a knob. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "defragd/util.h"

static uint64_t clock_usec(clockid_t id) {
        struct timespec ts;

        clock_gettime(id, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / NSEC_PER_USEC;
}

uint64_t df_now_usec(void) { return clock_usec(CLOCK_MONOTONIC); }
uint64_t df_realtime_usec(void) { return clock_usec(CLOCK_REALTIME); }
uint64_t df_thread_cpu_usec(void) { return clock_usec(CLOCK_THREAD_CPUTIME_ID); }

int df_parse_u64(const char *s, uint64_t *ret) {
        uint64_t v = 0;

        if (!s || !*s)
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (!isdigit((unsigned char) *p))
                        return -EINVAL;
                if (v > (UINT64_MAX - (uint64_t) (*p - '0')) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        *ret = v;
        return 0;
}

int df_parse_bool(const char *s, bool *ret) {
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        return -EINVAL;
}

int df_parse_duration_usec(const char *s, uint64_t *ret) {
        static const struct {
                const char *suffix;
                uint64_t usec;
        } units[] = {
                { "",    USEC_PER_SEC },
                { "s",   USEC_PER_SEC },
                { "sec", USEC_PER_SEC },
                { "ms",  USEC_PER_MSEC },
                { "msec", USEC_PER_MSEC },
                { "us",  1 },
                { "usec", 1 },
                { "m",   60 * USEC_PER_SEC },
                { "min", 60 * USEC_PER_SEC },
                { "h",   3600 * USEC_PER_SEC },
                { "hour", 3600 * USEC_PER_SEC },
        };
        char num[32];
        size_t n = 0;
        uint64_t v;
        int r;

        if (!s)
                return -EINVAL;
        while (s[n] && isdigit((unsigned char) s[n]))
                n++;
        if (n == 0 || n >= sizeof(num))
                return n == 0 ? -EINVAL : -ERANGE;
        memcpy(num, s, n);
        num[n] = 0;
        r = df_parse_u64(num, &v);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (strcmp(s + n, units[i].suffix) == 0) {
                        if (v > UINT64_MAX / units[i].usec)
                                return -ERANGE;
                        *ret = v * units[i].usec;
                        return 0;
                }
        return -EINVAL;
}

int df_write_file(const char *path, const char *value) {
        _cleanup_close_ int fd = -1;
        size_t len = strlen(value);
        ssize_t n;

        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        n = write(fd, value, len);
        if (n < 0)
                return -errno;
        if ((size_t) n != len)
                return -EIO;
        return 0;
}
