/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: the control socket's request parser on any bytes a
 * client can send. A refusal is one line of printable ASCII (it goes back
 * to a terminal); an acceptance names a known request. */
#include <errno.h>
#include <stdio.h>

#include "defragd/control.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        enum df_control_request what = _DF_CONTROL_REQUEST_MAX;
        char why[256];
        int r;

        /* The server hands over at most one buffer's worth. */
        if (size > DF_CONTROL_REQUEST_MAX_BYTES)
                size = DF_CONTROL_REQUEST_MAX_BYTES;
        r = df_control_parse_request((const char *) data, size, &what, why, sizeof(why));
        if (r >= 0) {
                fuzz_check(what >= 0 && what < _DF_CONTROL_REQUEST_MAX);
                return 0;
        }
        fuzz_check(r == -EINVAL || r == -E2BIG);
        fuzz_check(why[0]);
        for (const char *p = why; *p; p++)
                if (*p < 0x20 || *p > 0x7e) {
                        fprintf(stderr, "refusal holds byte 0x%02x: \"%s\"\n", (unsigned char) *p, why);
                        abort();
                }
        return 0;
}
