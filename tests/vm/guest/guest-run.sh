#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest side of the suite, started by defragd-vm-runner.service after boot:
# runs the scenarios in order, survives the reboots they ask for (exit 3:
# "run me again after a reboot"), then powers the guest off.
set -u
out=${1:-/dev/ttyS1}
export DEFRAGD_VM_OUT=$out
gdir=/usr/lib/defragd-vm
state=/var/lib/defragd-vm
mkdir -p "$state/done"
tap() { printf '%s\n' "$*" >"$out"; }

boot=$(($(cat "$state/boots" 2>/dev/null || echo 0) + 1))
echo "$boot" >"$state/boots"
export DEFRAGD_VM_BOOT=$boot
tap "# boot $boot: runner started $(cut -d' ' -f1 /proc/uptime)s after the kernel did"

# Where the boot spent its time: the longest gaps in this boot's journal.
journalctl -b 0 -o short-monotonic --no-pager 2>/dev/null |
        awk -F'[][]' '/^\[/ { t = $2 + 0; if (p != "") printf "%.2f %.2fs before: %s\n", t - p, t, substr($0, index($0, "]") + 2); p = t }' |
        sort -rn | head -n 3 | while IFS= read -r l; do tap "# boot $boot: gap $l"; done

if [ "$boot" -eq 1 ]; then
        # What a package's triggers would do after installing our files.
        journalctl --update-catalog
        systemctl daemon-reload
        ldconfig
fi

selected=$(cat "$gdir/selected" 2>/dev/null)
for s in "$gdir"/scenarios/*.sh; do
        name=$(basename "$s" .sh)
        name=${name#[0-9][0-9]-}
        [ -e "$state/done/$name" ] && continue
        if [ -n "$selected" ] && ! grep -qw -- "$name" <<<"$selected"; then
                continue
        fi
        # bench-* scenarios (the guest benchmark) only when named: minutes each
        limit=300
        if [[ $name == bench-* ]]; then
                grep -qw -- "$name" <<<"$selected" || continue
                limit=1800
        fi
        export DEFRAGD_VM_SCENARIO=$name
        t=$(date +%s)
        timeout -k 5 $limit bash "$s" >>"$state/$name.log" 2>&1
        rc=$?
        if [ $rc -eq 3 ]; then
                tap "# $name: rebooting the guest ($(($(date +%s) - t))s)"
                sync
                systemctl --no-block reboot
                exit 0
        fi
        touch "$state/done/$name"
        if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
                tap "not ok $name: finished within ${limit}s"
                tail -n 30 "$state/$name.log" | sed 's/^/#    /' >"$out"
        elif [ $rc -ne 0 ]; then
                tap "# $name: exit $rc, its stderr:"
                tail -n 30 "$state/$name.log" | sed 's/^/#    /' >"$out"
        fi
        tap "# $name: $(($(date +%s) - t))s"
done
tap "VM-DONE"
sync
systemctl --no-block poweroff
