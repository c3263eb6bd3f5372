/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `defragctl top` (daemon/ctl-top.c): entry point for the subcommand table. */
#pragma once

/* argv[0] is "top". Returns the process exit status. */
int df_ctl_top(int argc, char **argv);
