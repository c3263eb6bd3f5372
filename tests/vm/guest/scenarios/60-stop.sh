#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `systemctl stop` leaves every sysctl (and the THP knobs) as they were
# before start, although defragd changed one while it ran.
. /usr/lib/defragd-vm/lib.sh
knob=/proc/sys/vm/compaction_proactiveness
# Counters, random values and the like change by themselves.
volatile='^(fs\.(dentry-state|file-nr|inode-nr|inode-state|quota\.)|kernel\.(random\.(entropy_avail|uuid)|ns_last_pid|pty\.nr|tainted)|vm\.stat_refresh)'
snap() {
        sysctl -a 2>/dev/null | grep -Ev "$volatile"
        # The THP knobs: the writable files only (full_scans etc. count).
        find /sys/kernel/mm/transparent_hugepage -type f -perm -u+w | sort | while read -r f; do echo "$f = $(cat "$f")"; done
}
cur=$(mktemp)
systemctl stop defragd.service
p0=$(cat $knob)
pw=63; [ "$p0" = 63 ] && pw=64
clear_conf
set_conf 50-vm "$base_conf"
set_conf 55-knob "[Compaction]
ProactivenessWhileShort=$pw
CooldownSec=30s
BackoffMaxSec=60s
[Order9]
Low=1000000
High=1000000"
snap >/run/vm-sysctl.before
mark_journal "$cur"
systemctl reset-failed defragd.service
check "systemctl start defragd" systemctl start defragd.service
if wait_until 30 bash -c "[ \"\$(cat $knob)\" = $pw ]"; then
        ok "while running, defragd changed vm.compaction_proactiveness $p0 -> $pw"
else
        not_ok "while running, defragd changed vm.compaction_proactiveness" "$(journal_since "$cur" | jq -r .MESSAGE | tail -n 20)"
fi
k=$(json_entries "$MID_KNOB" "$cur" | head -n 1)
if [ -n "$k" ]; then ok "knob change logged: $(jq -r .MESSAGE <<<"$k")"; else not_ok "knob change logged (MESSAGE_ID=$MID_KNOB)"; fi
check "systemctl stop defragd" systemctl stop defragd.service
snap >/run/vm-sysctl.after
d=$(diff /run/vm-sysctl.before /run/vm-sysctl.after)
if [ -z "$d" ]; then
        ok "every sysctl as before start ($(wc -l </run/vm-sysctl.before) compared)"
else
        not_ok "every sysctl as before start" "$d"
fi
if json_entries "$MID_STOPPED" "$cur" | grep -q .; then ok "stopped entry logged"; else not_ok "stopped entry logged (MESSAGE_ID=$MID_STOPPED)"; fi
rm -f "$cur" /run/vm-sysctl.before /run/vm-sysctl.after
clear_conf
finish
