/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: the config loader on up to 4 files (a main file and
 * drop-ins, split at lines "%%"), each a memfd. A refusal must be one
 * non-empty line; an accepted config must dump to a file that loads back
 * to the same config (conf.h promises it). */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "defragd/conf.h"
#include "fuzz.h"

#define FUZZ_CONFIG_FILES_MAX 4

static int memfd_with(const char *text, size_t len, char *path, size_t size) {
        int fd = memfd_create("fuzz-config", MFD_CLOEXEC);

        fuzz_check(fd >= 0);
        fuzz_check(write(fd, text, len) == (ssize_t) len);
        snprintf(path, size, "/proc/self/fd/%d", fd);
        return fd;
}

static void check_error(int r, const struct df_error *err) {
        if (r < 0 && (!err->msg[0] || strchr(err->msg, '\n'))) {
                fprintf(stderr, "refusal without a one-line message: \"%s\"\n", err->msg);
                abort();
        }
}

static void check_round_trip(const struct df_config *c) {
        char *dump = NULL, *dump2 = NULL, path[64];
        size_t len = 0, len2 = 0;
        struct df_error err = { "" };
        struct df_config back;
        const char *paths[1] = { path };
        FILE *f = open_memstream(&dump, &len);
        int fd, r;

        fuzz_check(f);
        df_config_dump(c, f);
        fclose(f);
        fd = memfd_with(dump, len, path, sizeof(path));
        df_config_defaults(&back);
        r = df_config_load_files(&back, paths, 1, &err);
        close(fd);
        if (r < 0 || !df_config_equal(c, &back)) {
                f = open_memstream(&dump2, &len2);
                fuzz_check(f);
                if (r >= 0)
                        df_config_dump(&back, f);
                fclose(f);
                fprintf(stderr, "the dump does not load back to the same config (%s):\n%s\n-- loads as:\n%s\n",
                        r < 0 ? err.msg : "different values", dump, dump2);
                abort();
        }
        free(dump);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = fuzz_strndup(data, size), *rest = text, *part;
        char path_buf[FUZZ_CONFIG_FILES_MAX][64];
        const char *paths[FUZZ_CONFIG_FILES_MAX];
        int fds[FUZZ_CONFIG_FILES_MAX];
        struct df_error err = { "" };
        struct df_config c;
        size_t n = 0;
        int r;

        if (!text)
                return 0;
        while (n < FUZZ_CONFIG_FILES_MAX && (part = fuzz_next_part(&rest))) {
                fds[n] = memfd_with(part, strlen(part), path_buf[n], sizeof(path_buf[n]));
                paths[n] = path_buf[n];
                n++;
        }
        df_config_defaults(&c);
        r = df_config_load_files(&c, paths, n, &err);
        check_error(r, &err);
        if (r >= 0)
                check_round_trip(&c);
        for (size_t i = 0; i < n; i++)
                close(fds[i]);
        free(text);
        return 0;
}
