/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: df_parse_vmstat() on arbitrary text; a success keeps
 * every counter findable by name. */
#include "fuzz-procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct df_error err = { "" };
        struct df_vmstat v = { 0 };
        char *text = fuzz_strndup(data, size);
        int r;

        if (!text)
                return 0;
        r = df_parse_vmstat(text, FUZZ_ORIGIN, &v, &err);
        fuzz_check_error(r, &err);
        if (r < 0)
                fuzz_check(v.n == 0 && !v.items);
        for (size_t i = 0; i < v.n; i++) {
                uint64_t value;

                fuzz_check(memchr(v.items[i].name, 0, sizeof(v.items[i].name)));
                fuzz_check(df_vmstat_get(&v, v.items[i].name, &value));
        }
        df_vmstat_clear(&v);
        free(text);
        return 0;
}
