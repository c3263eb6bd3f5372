/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: df_parse_psi() on arbitrary text; a success gives
 * percentages within 0..100 (the pressure guard compares against them). */
#include "fuzz-procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct df_error err = { "" };
        struct df_psi p;
        char *text = fuzz_strndup(data, size);
        int r;

        if (!text)
                return 0;
        r = df_parse_psi(text, FUZZ_ORIGIN, &p, &err);
        fuzz_check_error(r, &err);
        if (r >= 0) {
                const struct df_psi_line *l[2] = { &p.some, &p.full };

                fuzz_check(p.present && p.some.present);
                for (int i = 0; i < 2; i++)
                        fuzz_check(l[i]->avg10 >= 0 && l[i]->avg10 <= 100 && l[i]->avg60 >= 0 && l[i]->avg60 <= 100 &&
                               l[i]->avg300 >= 0 && l[i]->avg300 <= 100);
        }
        free(text);
        return 0;
}
