#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Install as a user would: enable --now, active, verified unit, security
# score; then the guest reboots and defragd must come up by itself.
. /usr/lib/defragd-vm/lib.sh
unit=/usr/lib/systemd/system/defragd.service

if [ "$DEFRAGD_VM_BOOT" -eq 1 ]; then
        check "unit installed at $unit" test -f "$unit"
        check "catalog installed" test -f /usr/lib/systemd/catalog/defragd.catalog
        for m in man8/defragd.8 man8/defragctl.8 man5/defragd.conf.5; do
                check "man page $m installed" bash -c "ls /usr/share/man/$m* >/dev/null"
        done
        check "config installed" test -f /etc/defragd.conf
        v=$(systemd-analyze verify defragd.service 2>&1)
        if [ -z "$v" ]; then ok "systemd-analyze verify defragd.service is clean"; else not_ok "systemd-analyze verify defragd.service is clean" "$v"; fi
        check "systemctl enable --now defragd" systemctl enable --now defragd.service
        if wait_until 60 systemctl is-active -q defragd.service; then
                ok "systemctl is-active defragd: $(systemctl is-active defragd.service)"
        else
                not_ok "systemctl is-active defragd" "$(systemctl status --no-pager -n 30 defragd.service)"
        fi
        note "active $(($(systemctl show -P ActiveEnterTimestampMonotonic defragd.service) - $(systemctl show -P InactiveExitTimestampMonotonic defragd.service)))us after the start job began"
        sec=$(systemd-analyze security --no-pager defragd.service 2>&1)
        score=$(sed -n 's/.*Overall exposure level for defragd.service: \([0-9.]*\).*/\1/p' <<<"$sec")
        if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.5) }'; then
                ok "systemd-analyze security defragd.service: $score (<= 2.5)"
                grep '✗' <<<"$sec" | sed 's/  */ /g' | while IFS= read -r l; do note "exposed: $l"; done
        else
                not_ok "systemd-analyze security defragd.service <= 2.5 (got ${score:-nothing})" "$sec"
        fi
        check "is-enabled" systemctl is-enabled -q defragd.service
        exit 3 # reboot, then run again
fi

# Second boot: nobody started it.
if wait_until 60 systemctl is-active -q defragd.service; then
        ok "active again after a reboot, started by systemd ($(systemctl show -P ActiveEnterTimestampMonotonic defragd.service | awk '{ printf "%.1f", $1 / 1e6 }')s after boot)"
else
        not_ok "active again after a reboot" "$(systemctl status --no-pager -n 30 defragd.service)"
fi
n=$(journalctl -b 0 -u defragd.service -o json --no-pager "MESSAGE_ID=$MID_STARTED" | wc -l)
if [ "$n" -ge 1 ]; then ok "started entry (MESSAGE_ID=$MID_STARTED) in this boot's journal"; else not_ok "started entry in this boot's journal" "$(journalctl -b 0 -u defragd.service --no-pager | tail -n 20)"; fi
finish
