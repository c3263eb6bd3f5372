/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The memory-offlining rung (DF_LEVER_CLEAR_OFFLINE): offline one memory
 * block, then online it with the zone it had; the lever table's row. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "defragd/knobs.h" /* DF_KNOBS_STATE_FILE */
#include "defragd/lever.h"

/* The offline write blocks while the kernel migrates, and retries forever
 * when a page will not move; a timer signal ends it (EINTR; the kernel puts
 * the block back online by itself), reported as DF_OUTCOME_TIMEOUT with
 * -ETIMEDOUT. Clearing a 128 MiB block took 27-90 ms here: 5 s is ample. */
#define DF_OFFLINE_TIMEOUT_USEC (5 * UINT64_C(1000000))

extern const struct df_lever_ops df_lever_offline_ops;

/* Settings from the configuration (defaults: refuse hypervisor-managed
 * memory, DF_OFFLINE_TIMEOUT_USEC). state is what open() returned. */
void df_lever_offline_configure(void *state, bool allow_hypervisor, uint64_t timeout_usec);
