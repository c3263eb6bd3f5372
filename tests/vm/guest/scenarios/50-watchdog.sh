#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Watchdog: a SIGSTOPped defragd stops petting; systemd kills and restarts
# it; the knob the dead instance changed is restored or re-owned by the new
# one (its state file survives the restart), and put back on a clean stop.
. /usr/lib/defragd-vm/lib.sh
knob=/proc/sys/vm/compaction_proactiveness
cur=$(mktemp)
systemctl stop defragd.service
p0=$(cat $knob)
pw=57; [ "$p0" = 57 ] && pw=58
clear_conf
# Marks no zone can reach: always short, so the knob is set and stays set.
set_conf 50-vm "$base_conf"
set_conf 55-knob "[Compaction]
ProactivenessWhileShort=$pw
CooldownSec=30s
BackoffMaxSec=60s
[Order9]
Low=1000000
High=1000000"
mkdir -p /run/systemd/system/defragd.service.d
printf '[Service]\nWatchdogSec=5s\n' >/run/systemd/system/defragd.service.d/50-watchdog.conf
systemctl daemon-reload
mark_journal "$cur"
restart_defragd
if wait_until 30 bash -c "[ \"\$(cat $knob)\" = $pw ]"; then
        ok "defragd set vm.compaction_proactiveness $p0 -> $pw while short"
else
        not_ok "defragd set vm.compaction_proactiveness to $pw" "now $(cat $knob)" "$(journal_since "$cur" | jq -r .MESSAGE | tail -n 20)"
fi
pid=$(main_pid)
n0=$(systemctl show -P NRestarts defragd.service)
t=$(date +%s)
kill -STOP "$pid"
if wait_until 90 bash -c "p=\$(systemctl show -P MainPID defragd.service); [ \"\$p\" != 0 ] && [ \"\$p\" != $pid ] && systemctl is-active -q defragd.service"; then
        ok "SIGSTOPped PID $pid restarted by systemd after $(($(date +%s) - t))s as PID $(main_pid) (NRestarts $n0 -> $(systemctl show -P NRestarts defragd.service))"
else
        not_ok "SIGSTOPped defragd restarted by systemd" "$(systemctl status --no-pager -n 20 defragd.service)"
fi
if messages_since "$cur" | grep -qi 'watchdog timeout'; then
        ok "systemd logged the watchdog timeout"
else
        not_ok "systemd logged the watchdog timeout" "$(messages_since "$cur" | tail -n 15)"
fi
sleep 3
v=$(cat $knob)
owned=$(defragctl status --json 2>/dev/null | jq -r --arg k "$knob" '.knobs[] | select(.path == $k) | .original')
if [ "$v" = "$p0" ]; then
        ok "after the restart the knob is back at $p0 (restored)"
elif [ "$v" = "$pw" ] && [ "$owned" = "$p0" ]; then
        ok "after the restart the knob ($pw) is re-owned by the new instance, original $p0 on record"
else
        not_ok "after the restart the knob is restored or re-owned" "value $v, new instance records original '${owned}', expected $p0" "$(cat /run/defragd/knobs.state 2>&1)"
fi
check "systemctl stop defragd" systemctl stop defragd.service
v=$(cat $knob)
if [ "$v" = "$p0" ]; then ok "after stop vm.compaction_proactiveness is $p0 again"; else not_ok "after stop vm.compaction_proactiveness is $p0 again (is $v)"; fi

rm -f /run/systemd/system/defragd.service.d/50-watchdog.conf "$cur"
systemctl daemon-reload
clear_conf
restart_defragd
finish
