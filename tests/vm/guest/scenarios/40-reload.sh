#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `systemctl reload`: a changed drop-in takes effect in the running process;
# a broken one is refused with file:line, the old config stays, no restart.
. /usr/lib/defragd-vm/lib.sh
cur=$(mktemp)
marks() { defragctl status --json | jq -r '[.zones[] | select(.zone == "DMA32") | .orders[9] | .low_blocks, .high_blocks] | map(tostring) | join("/")'; }
clear_conf
set_conf 50-vm "$base_conf"
set_conf 60-target '[Order9]
Low=11
High=22'
restart_defragd
pid=$(main_pid)
wait_until 10 bash -c '[ -n "$(defragctl status --json | jq -r ".zones[0].orders[9].low_blocks // empty")" ]'
m0=$(marks)
if [ "$m0" = 11/22 ]; then ok "running with Low=11 High=22"; else not_ok "running with Low=11 High=22 (got $m0)" "$(defragctl status 2>&1)"; fi

set_conf 60-target '[Order9]
Low=33
High=44'
mark_journal "$cur"
check "systemctl reload defragd (changed drop-in)" systemctl reload defragd.service
if wait_until 20 bash -c "[ \"\$(defragctl status --json | jq -r '[.zones[] | select(.zone == \"DMA32\") | .orders[9] | .low_blocks, .high_blocks] | map(tostring) | join(\"/\")')\" = 33/44 ]"; then
        ok "the changed drop-in took effect: $(marks)"
else
        not_ok "the changed drop-in took effect (marks $(marks))" "$(journal_since "$cur" | jq -r .MESSAGE)"
fi
e=$(json_entries "$MID_CONFIG_RELOADED" "$cur" | tail -n 1)
if [ -n "$e" ]; then ok "reload logged: $(jq -r .MESSAGE <<<"$e")"; else not_ok "reload logged (MESSAGE_ID=$MID_CONFIG_RELOADED)" "$(journal_since "$cur" | jq -r .MESSAGE)"; fi
if [ "$(main_pid)" = "$pid" ]; then ok "same process after reload (PID $pid)"; else not_ok "same process after reload" "PID $pid -> $(main_pid)"; fi

# Broken: line 3 of the drop-in has a value the parser refuses.
set_conf 70-broken '[Order9]
Low=55
High=lots'
mark_journal "$cur"
systemctl reload defragd.service
wait_until 20 has_entry "$cur" "$MID_CONFIG_REJECTED"
e=$(json_entries "$MID_CONFIG_REJECTED" "$cur" | tail -n 1)
msg=$(jq -r '.MESSAGE // empty' <<<"$e")
if grep -q '/etc/defragd.conf.d/70-broken.conf:3' <<<"$msg"; then
        ok "broken drop-in refused with file:line: $msg"
else
        not_ok "broken drop-in refused with file:line (70-broken.conf:3)" "${msg:-no MESSAGE_ID=$MID_CONFIG_REJECTED entry}" "$(journal_since "$cur" | jq -r .MESSAGE)"
fi
sleep 2
if systemctl is-active -q defragd.service && [ "$(main_pid)" = "$pid" ]; then ok "still active, same PID"; else not_ok "still active, same PID" "$(systemctl status --no-pager -n 20 defragd.service)"; fi
m=$(marks)
if [ "$m" = 33/44 ]; then ok "old config kept (Low=33 High=44)"; else not_ok "old config kept (got $m)"; fi

rm -f "$cur"
clear_conf
systemctl reload defragd.service
finish
