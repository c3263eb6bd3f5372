/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: df_parse_zoneinfo() on arbitrary text (/proc/zoneinfo as
 * a kernel we have never seen might print it). */
#include "fuzz-procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct df_error err = { "" };
        struct df_snapshot s;
        char *text = fuzz_strndup(data, size);
        int r;

        if (!text)
                return 0;
        df_snapshot_init(&s);
        r = df_parse_zoneinfo(text, FUZZ_ORIGIN, &s, &err);
        fuzz_check_error(r, &err);
        fuzz_check_snapshot(&s);
        df_snapshot_clear(&s);
        free(text);
        return 0;
}
