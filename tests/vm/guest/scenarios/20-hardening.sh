#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The sandbox must not stop the job: the probes load, the capabilities are
# the two the unit grants, the control socket works for root (in spite of
# PrivateNetwork=) and refuses others; without CAP_BPF the probes degrade
# with a logged reason and the daemon keeps running.
. /usr/lib/defragd-vm/lib.sh
clear_conf
set_conf 50-vm "$base_conf"
cur=$(mktemp)
mark_journal "$cur"
restart_defragd || not_ok "restart with the VM drop-in" "$(systemctl status --no-pager -n 30 defragd.service)"
pid=$(main_pid)

wait_until 60 bash -c "journalctl -u defragd.service --after-cursor='$(cat "$cur")' -o json MESSAGE_ID=$MID_PROBES | grep -q PROBES_STATE"
probes=$(json_entries "$MID_PROBES" "$cur" | tail -n 1)
state=$(jq -r '.PROBES_STATE // empty' <<<"$probes")
if [ "$state" = attached ]; then
        ok "probes attached in the hardened unit: $(jq -r .MESSAGE <<<"$probes")"
else
        not_ok "probes attached in the hardened unit (got ${state:-no entry})" "$probes" "$(journalctl -u defragd.service -n 20 --no-pager)"
fi
nprog=$(bpftool prog show 2>/dev/null | grep -c 'tracepoint\|raw_tracepoint' || true)
if [ "$nprog" -ge 1 ]; then ok "bpftool sees $nprog tracepoint programs loaded"; else not_ok "bpftool sees tracepoint programs" "$(bpftool prog show 2>&1 | tail -n 20)"; fi

capeff=$(awk '/^CapEff/ { print $2 }' "/proc/$pid/status")
capbnd=$(awk '/^CapBnd/ { print $2 }' "/proc/$pid/status")
# CAP_PERFMON = 38, CAP_BPF = 39.
want=$(printf '%016x' $(((1 << 38) | (1 << 39))))
if [ "$capbnd" = "$want" ] && [ "$capeff" = "$want" ]; then
        ok "capabilities are CAP_BPF CAP_PERFMON only (CapEff=$capeff)"
else
        not_ok "capabilities are CAP_BPF CAP_PERFMON only" "CapEff=$capeff CapBnd=$capbnd want $want" "$(capsh --decode="$capeff" 2>&1)"
fi
check "NoNewPrivs set" grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$pid/status"
check "seccomp filter active" grep -q '^Seccomp:[[:space:]]*2' "/proc/$pid/status"

st=$(defragctl status 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ -n "$st" ]; then ok "defragctl status works for root"; note "defragctl status: $(head -n 3 <<<"$st" | tr '\n' '|')"; else not_ok "defragctl status works for root (exit $rc)" "$st"; fi
check "defragctl status --json is JSON" bash -c 'defragctl status --json | jq -e . >/dev/null'
st=$(runuser -u nobody -- defragctl status 2>&1)
rc=$?
if [ $rc -ne 0 ] && grep -qiE 'permission|denied|root' <<<"$st"; then
        ok "defragctl status refused for an unprivileged user (exit $rc: $(head -n 1 <<<"$st"))"
else
        not_ok "defragctl status refused for an unprivileged user" "exit $rc" "$st"
fi
check "control socket is root-only (0700 runtime dir)" bash -c '[ "$(stat -c %a /run/defragd)" = 700 ]'

# Degrade: the same unit without CAP_BPF.
mkdir -p /run/systemd/system/defragd.service.d
printf '[Service]\nCapabilityBoundingSet=\nCapabilityBoundingSet=CAP_PERFMON\n' >/run/systemd/system/defragd.service.d/50-nobpf.conf
systemctl daemon-reload
mark_journal "$cur"
restart_defragd
wait_until 60 bash -c "journalctl -u defragd.service --after-cursor='$(cat "$cur")' -o json MESSAGE_ID=$MID_PROBES | grep -q PROBES_STATE"
probes=$(json_entries "$MID_PROBES" "$cur" | tail -n 1)
if [ "$(jq -r '.PROBES_STATE // empty' <<<"$probes")" = unavailable ] && systemctl is-active -q defragd.service; then
        ok "without CAP_BPF the probes degrade, logged, and defragd stays active: $(jq -r .MESSAGE <<<"$probes")"
else
        not_ok "without CAP_BPF the probes degrade and defragd stays active" "$probes" "$(systemctl status --no-pager -n 20 defragd.service)"
fi
rm -f /run/systemd/system/defragd.service.d/50-nobpf.conf
systemctl daemon-reload
restart_defragd
rm -f "$cur"
finish
