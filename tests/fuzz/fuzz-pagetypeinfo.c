/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: df_parse_pagetypeinfo() on arbitrary text (/proc/pagetypeinfo as
 * a kernel we have never seen might print it). */
#include "fuzz-procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        return fuzz_snapshot_parser(df_parse_pagetypeinfo, data, size);
}
