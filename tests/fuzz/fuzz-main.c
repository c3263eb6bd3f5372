/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A main() for the harnesses without libFuzzer: runs every file named (or
 * every file in each directory named) through LLVMFuzzerTestOneInput once.
 * The gcc build replays the committed regression corpus with it. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path) {
        char *text = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        /* Not df_read_file: inputs may hold NUL bytes on purpose. */
        f = fopen(path, "re");
        if (!f) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return -errno;
        }
        {
                char buf[65536];
                size_t n;
                FILE *m = open_memstream(&text, &len);

                if (!m) {
                        fclose(f);
                        return -ENOMEM;
                }
                while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
                        fwrite(buf, 1, n, m);
                r = ferror(f) ? -EIO : 0;
                fclose(m);
        }
        fclose(f);
        if (r == 0) {
                printf("%s (%zu bytes)\n", path, len);
                fflush(stdout);
                (void) LLVMFuzzerTestOneInput((const uint8_t *) text, len);
        }
        free(text);
        return r;
}

static int run_dir(const char *dir, unsigned *n_run) {
        struct dirent **names = NULL;
        int n, r = 0;

        n = scandir(dir, &names, NULL, alphasort);
        if (n < 0) {
                fprintf(stderr, "%s: %s\n", dir, strerror(errno));
                return -errno;
        }
        for (int i = 0; i < n; i++) {
                char path[4096];
                struct stat st;

                if (names[i]->d_name[0] != '.' &&
                    snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name) < (int) sizeof(path) &&
                    stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                        if (run_file(path) < 0)
                                r = -EIO;
                        else
                                (*n_run)++;
                }
                free(names[i]);
        }
        free(names);
        return r;
}

int main(int argc, char **argv) {
        unsigned n_run = 0;
        int r = 0;

        if (argc < 2) {
                fprintf(stderr, "Usage: %s FILE|DIR...\nRuns each input through the harness once.\n", argv[0]);
                return 2;
        }
        for (int i = 1; i < argc; i++) {
                struct stat st;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
                        r = -ENOENT;
                } else if (S_ISDIR(st.st_mode)) {
                        if (run_dir(argv[i], &n_run) < 0)
                                r = -EIO;
                } else if (run_file(argv[i]) < 0)
                        r = -EIO;
                else
                        n_run++;
        }
        printf("%u input(s) replayed\n", n_run);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
