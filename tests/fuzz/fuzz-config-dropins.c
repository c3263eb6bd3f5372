/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: the config loader with drop-in directories, on a root
 * in a temporary directory. Each part of the input (split at lines "%%")
 * is one file: its first byte picks the place (/usr/lib, /run, /etc
 * drop-in directory, or the main /etc/defragd.conf), the rest of its first
 * line the name, the rest the text ("@null" makes a symlink to /dev/null).
 * Checks df_config_collect_files against the rules of conf.h (sorted by
 * name, /etc over /run over /usr/lib, masks, dot files ignored), then loads. */
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "defragd/conf.h"
#include "fuzz.h"

#define PLACES 4 /* 0 /usr/lib, 1 /run, 2 /etc drop-ins (priority ascending), 3 main file */
#define FILES_MAX 16
#define NAME_MAX_BYTES 24

static const char *const place_dir[3] = {
        DEFRAGD_LIBDIR_NOARCH "/defragd.conf.d",
        "/run/defragd.conf.d",
        DEFRAGD_SYSCONFDIR "/defragd.conf.d",
};

static char root[64];

struct file {
        int place;
        char name[NAME_MAX_BYTES + 8];
        bool null_link, empty;
};

static void mkdir_p(const char *path) {
        char buf[512];

        snprintf(buf, sizeof(buf), "%s", path);
        for (char *p = buf + 1; *p; p++)
                if (*p == '/') {
                        *p = 0;
                        (void) mkdir(buf, 0755);
                        *p = '/';
                }
        (void) mkdir(buf, 0755);
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) remove(path); /* best effort: a temporary directory */
        return 0;
}

static void remove_root(void) {
        (void) nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup_once(void) {
        char dir[512];

        if (root[0])
                return;
        snprintf(root, sizeof(root), "/tmp/fuzz-dropins.XXXXXX");
        fuzz_check(mkdtemp(root));
        atexit(remove_root);
        for (int i = 0; i < 3; i++) {
                snprintf(dir, sizeof(dir), "%s%s", root, place_dir[i]);
                mkdir_p(dir);
        }
        snprintf(dir, sizeof(dir), "%s%s", root, DEFRAGD_SYSCONFDIR);
        mkdir_p(dir);
}

static void path_of(const struct file *f, char *buf, size_t size) {
        if (f->place == 3)
                snprintf(buf, size, "%s%s/defragd.conf", root, DEFRAGD_SYSCONFDIR);
        else
                snprintf(buf, size, "%s%s/%s", root, place_dir[f->place], f->name);
}

static void clean(void) {
        char dir[512], path[1024];

        for (int i = 0; i < 3; i++) {
                DIR *d;
                struct dirent *de;

                snprintf(dir, sizeof(dir), "%s%s", root, place_dir[i]);
                d = opendir(dir);
                fuzz_check(d);
                while ((de = readdir(d)))
                        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
                                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                                (void) unlink(path);
                        }
                closedir(d);
        }
        snprintf(path, sizeof(path), "%s%s/defragd.conf", root, DEFRAGD_SYSCONFDIR);
        (void) unlink(path);
}

/* Part -> file on disk; returns false for an empty part. */
static bool make_file(char *part, struct file *f) {
        char path[1024], *nl = strchr(part, '\n'), *text;
        size_t o = 0;
        FILE *fp;

        if (!*part || !nl)
                return false;
        *nl = 0;
        text = nl + 1;
        f->place = (unsigned char) part[0] % PLACES;
        for (const char *p = part + 1; *p && o < NAME_MAX_BYTES; p++)
                if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_')
                        f->name[o++] = *p;
        if (o == 0)
                f->name[o++] = 'x';
        f->name[o] = 0;
        if (o < 5 || strcmp(f->name + o - 5, ".conf") != 0)
                strcat(f->name, ".conf");
        f->null_link = strncmp(text, "@null", 5) == 0;
        f->empty = !f->null_link && !*text;
        path_of(f, path, sizeof(path));
        (void) unlink(path);
        if (f->null_link)
                fuzz_check(symlink("/dev/null", path) == 0);
        else {
                fp = fopen(path, "we");
                fuzz_check(fp);
                fputs(text, fp);
                fclose(fp);
        }
        return true;
}

/* What conf.h says df_config_collect_files returns, from the files made. */
static size_t expected(const struct file *files, size_t n, char out[][1024]) {
        const struct file *winner[FILES_MAX];
        size_t n_win = 0, n_out = 0;
        char path[1024];

        /* The main file, first, unless masked. */
        for (size_t i = n; i-- > 0;)
                if (files[i].place == 3) {
                        if (!files[i].null_link && !files[i].empty)
                                path_of(&files[i], out[n_out++], sizeof(out[0]));
                        break;
                }
        /* Per name the file of the highest place (the last made wins within one). */
        for (size_t i = 0; i < n; i++) {
                size_t k;

                if (files[i].place == 3 || files[i].name[0] == '.')
                        continue;
                for (k = 0; k < n_win; k++)
                        if (strcmp(winner[k]->name, files[i].name) == 0)
                                break;
                if (k == n_win)
                        winner[n_win++] = &files[i];
                else if (files[i].place >= winner[k]->place)
                        winner[k] = &files[i];
        }
        /* Sorted by name; masks drop the name. */
        for (size_t a = 0; a < n_win; a++)
                for (size_t b = a + 1; b < n_win; b++)
                        if (strcmp(winner[b]->name, winner[a]->name) < 0) {
                                const struct file *t = winner[a];
                                winner[a] = winner[b];
                                winner[b] = t;
                        }
        for (size_t k = 0; k < n_win; k++)
                if (!winner[k]->null_link && !winner[k]->empty) {
                        path_of(winner[k], path, sizeof(path));
                        memcpy(out[n_out++], path, sizeof(path));
                }
        return n_out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = fuzz_strndup(data, size), *rest = text, *part;
        static char want[FILES_MAX + 1][1024];
        struct file files[FILES_MAX];
        struct df_error err = { "" };
        struct df_config c;
        char **paths = NULL;
        size_t n = 0, n_paths = 0, n_want;
        int r;

        if (!text)
                return 0;
        setup_once();
        memset(files, 0, sizeof(files));
        while (n < FILES_MAX && (part = fuzz_next_part(&rest)))
                if (make_file(part, &files[n]))
                        n++;
        n_want = expected(files, n, want);

        r = df_config_collect_files(root, &paths, &n_paths, &err);
        fuzz_check(r >= 0);
        if (n_paths != n_want) {
                fprintf(stderr, "collected %zu files, expected %zu\n", n_paths, n_want);
                abort();
        }
        for (size_t i = 0; i < n_paths; i++) {
                if (strcmp(paths[i], want[i]) != 0) {
                        fprintf(stderr, "file %zu: collected %s, expected %s\n", i, paths[i], want[i]);
                        abort();
                }
                free(paths[i]);
        }
        free(paths);

        df_config_defaults(&c);
        r = df_config_load(&c, root, NULL, &err);
        if (r < 0 && (!err.msg[0] || strchr(err.msg, '\n'))) {
                fprintf(stderr, "refusal without a one-line message: \"%s\"\n", err.msg);
                abort();
        }
        clean();
        free(text);
        return 0;
}
