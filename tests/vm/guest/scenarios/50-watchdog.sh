#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Watchdog: a SIGSTOPped defragd stops petting; systemd kills and restarts
# it; the knob the dead instance changed is restored or re-owned by the new
# one (its state file survives the restart), and put back on a clean stop.
# Then a lever that hangs (a FIFO bound over node0/compact: the compaction
# child blocks in its write, as on a kernel stuck in compaction) past its
# TimeoutSec=, which is longer than WatchdogSec=: it is killed and reported,
# the watchdog is never missed; a watchdog kill while a lever hangs leaves no
# process behind and the restart finds the knobs consistent.
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

# ---- a hanging lever ----
target=/sys/devices/system/node/node0/compact
[ -e "$target" ] || target=/proc/sys/vm/compact_memory
fifo=/run/defragd-vm-hang.fifo
rm -f "$fifo"
mkfifo -m 0600 "$fifo"
if mount --bind "$fifo" "$target"; then
        ok "a FIFO nobody reads is bound over $target"
else
        not_ok "bind a FIFO over $target"
fi
running_pid() { defragctl status --json 2>/dev/null | jq -r '.ladder.running.pid // empty'; }
set_conf 55-knob "[Compaction]
ProactivenessWhileShort=$pw
CooldownSec=1s
BackoffMaxSec=2s
TimeoutSec=8s
[Order9]
Low=1000000
High=1000000"
mark_journal "$cur"
restart_defragd
n0=$(systemctl show -P NRestarts defragd.service)
pid=$(main_pid)
if wait_until 40 bash -c '[ -n "$(defragctl status --json 2>/dev/null | jq -r ".ladder.running.pid // empty")" ]'; then
        child=$(running_pid)
        ok "the compaction lever hangs in process $child (write to $target blocked)"
else
        child=
        not_ok "the compaction lever started and hung" "$(messages_since "$cur" | tail -n 20)"
fi
# TimeoutSec=8s > WatchdogSec=5s: a loop waiting on the lever would be killed.
if wait_until 40 bash -c "journalctl -u defragd.service -o cat --no-pager --since=@$(($(cat "$cur") / 1000000)) | grep -q 'compact node 0 timed out: killed after'"; then
        ok "the hung lever was abandoned and reported: $(messages_since "$cur" | grep -m1 'timed out' | cut -c1-160)"
else
        not_ok "the hung lever was abandoned at TimeoutSec=8s and reported" "$(messages_since "$cur" | tail -n 20)"
fi
if [ -n "$child" ] && ! kill -0 "$child" 2>/dev/null; then
        ok "the hung lever process $child is gone"
else
        not_ok "the hung lever process ${child:-?} is gone" "$(ps -o pid,stat,wchan:20,cmd -p "${child:-1}" 2>&1)"
fi
if [ "$(main_pid)" = "$pid" ] && [ "$(systemctl show -P NRestarts defragd.service)" = "$n0" ] &&
   ! messages_since "$cur" | grep -qi 'watchdog timeout'; then
        ok "the watchdog was never missed while the lever hung (PID $pid, NRestarts $n0)"
else
        not_ok "the watchdog was never missed while the lever hung" "main PID $pid -> $(main_pid), NRestarts $n0 -> $(systemctl show -P NRestarts defragd.service)" "$(messages_since "$cur" | tail -n 15)"
fi
# A watchdog kill while a lever hangs: systemd kills the whole unit, children too.
if wait_until 40 bash -c '[ -n "$(defragctl status --json 2>/dev/null | jq -r ".ladder.running.pid // empty")" ]'; then
        child=$(running_pid)
else
        child=
fi
v_before=$(cat $knob)
kill -STOP "$pid"
t=$(date +%s)
if wait_until 90 bash -c "p=\$(systemctl show -P MainPID defragd.service); [ \"\$p\" != 0 ] && [ \"\$p\" != $pid ] && systemctl is-active -q defragd.service"; then
        ok "SIGSTOPped with a lever hanging: restarted by systemd after $(($(date +%s) - t))s as PID $(main_pid)"
else
        not_ok "SIGSTOPped with a lever hanging: restarted by systemd" "$(systemctl status --no-pager -n 20 defragd.service)"
fi
left=
for p in $pid $child; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
if [ -n "$child" ] && [ -z "$left" ]; then
        ok "nothing of the killed instance is left (daemon $pid, lever $child)"
else
        not_ok "nothing of the killed instance is left" "lever pid '${child}', still there:${left:- none}" "$(cat /sys/fs/cgroup/system.slice/defragd.service/cgroup.procs 2>&1)"
fi
sleep 3
v=$(cat $knob)
owned=$(defragctl status --json 2>/dev/null | jq -r --arg k "$knob" '.knobs[] | select(.path == $k) | .original')
if [ "$v" = "$p0" ] || { [ "$v" = "$pw" ] && [ "$owned" = "$p0" ]; }; then
        ok "after the restart the knob is consistent: $v (was $v_before at the kill; original $p0 ${owned:+on record})"
else
        not_ok "after the restart the knob is restored or re-owned" "value $v, new instance records original '${owned}', expected $p0" "$(cat /run/defragd/knobs.state 2>&1)"
fi
check "systemctl stop defragd (lever hanging)" systemctl stop defragd.service
umount "$target" || not_ok "unbind the FIFO from $target"
rm -f "$fifo"
v=$(cat $knob)
if [ "$v" = "$p0" ]; then ok "after stop vm.compaction_proactiveness is $p0 again"; else not_ok "after the hanging-lever stop vm.compaction_proactiveness is $p0 again (is $v)"; fi
if [ ! -e /run/defragd/knobs.state ]; then ok "no state file after the clean stop"; else not_ok "no state file after the clean stop" "$(cat /run/defragd/knobs.state)"; fi

rm -f /run/systemd/system/defragd.service.d/50-watchdog.conf "$cur"
systemctl daemon-reload
clear_conf
restart_defragd
finish
