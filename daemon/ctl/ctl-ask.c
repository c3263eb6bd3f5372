/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the subcommands that ask the running daemon share (status, metrics):
 * its control socket under --runtime-dir, one request answered on stdout. */
#include <assert.h>
#include <stdio.h>

#include "defragd/control.h"
#include "defragd/ctl.h"

void df_ctl_socket_path(const char *runtime_dir, char *buf, size_t size) {
        assert(runtime_dir);
        assert(buf);
        snprintf(buf, size, "%s/%s", runtime_dir, DF_CONTROL_SOCKET_NAME);
}

int df_ctl_ask(const char *socket_path, const char *request) {
        struct df_error err = { "" };

        assert(socket_path);
        assert(request);
        if (df_control_request(socket_path, request, stdout, &err) < 0) {
                fprintf(stderr, "defragctl: %s\n", err.msg);
                return 1;
        }
        return 0;
}
