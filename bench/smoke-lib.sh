# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by the bench smoke tests.
# shellcheck shell=bash

# hold_machine_lock "$0" "$@": they fragment memory and write knobs, so the
# calling script runs again under /tmp/defragd-machine.lock (other people
# test on this machine too): up to 300 s of waiting, then SKIP (77). Whoever
# already holds the lock for us (flock ... meson test) sets
# DEFRAGD_MACHINE_LOCK_HELD=1 and the script goes on at once.
hold_machine_lock() {
        [ "${DEFRAGD_MACHINE_LOCK_HELD:-0}" = 1 ] && return 0
        DEFRAGD_MACHINE_LOCK_HELD=1 flock -E 75 -w 300 /tmp/defragd-machine.lock "$@"
        local rc=$?
        if [ "$rc" = 75 ]; then
                echo "SKIP: /tmp/defragd-machine.lock busy for 300 s (if you hold it, set DEFRAGD_MACHINE_LOCK_HELD=1)"
                exit 77
        fi
        exit "$rc"
}

# check WHAT CMD...: "ok - WHAT" when CMD succeeds, else "not ok - WHAT" and
# fail=1 (the script ends with `exit $fail`).
# shellcheck disable=SC2034 # read by the sourcing script
fail=0
check() { local what=$1; shift; if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fail=1; fi; }
