#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The sandbox must not stop the job: the probes load, the process holds
# exactly the unit's capabilities, the knob writes need none of them (and the
# read-only mounts would stop them without ReadWritePaths=), the control
# socket works for root in spite of PrivateNetwork= and refuses others, and
# without capabilities the probes degrade with a logged reason.
. /usr/lib/defragd-vm/lib.sh
# The unit's CapabilityBoundingSet=: CAP_PERFMON = 38, CAP_BPF = 39 and nothing
# else (no CAP_SYS_ADMIN = 21: the probes are raw tracepoints).
want_caps="cap_perfmon,cap_bpf"
want_mask=$(printf '%016x' $(((1 << 38) | (1 << 39))))
clear_conf
set_conf 50-vm "$base_conf"
cur=$(mktemp)
mark_journal "$cur"
restart_defragd || not_ok "restart with the VM drop-in" "$(systemctl status --no-pager -n 30 defragd.service)"
pid=$(main_pid)

wait_until 60 has_entry "$cur" "$MID_PROBES"
probes=$(json_entries "$MID_PROBES" "$cur" | tail -n 1)
state=$(jq -r '.PROBES_STATE // empty' <<<"$probes")
paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)
if [ "$state" = attached ] && grep -q '(7 tracepoints)$' <<<"$(jq -r .MESSAGE <<<"$probes")"; then
        ok "probes attached in the hardened unit at perf_event_paranoid=$paranoid: $(jq -r .MESSAGE <<<"$probes")"
else
        not_ok "probes attached in the hardened unit (got ${state:-no entry})" "$(jq -r .MESSAGE <<<"$probes")" "kernel.perf_event_paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)"
fi
nprog=$(bpftool prog show 2>/dev/null | grep -c 'raw_tracepoint .*name df_' || true)
if [ "$nprog" -eq 7 ]; then ok "bpftool sees the 7 raw tracepoint programs loaded"; else not_ok "bpftool sees 7 raw tracepoint programs (got $nprog)" "$(bpftool prog show 2>&1 | tail -n 20)"; fi

capeff=$(awk '/^CapEff/ { print $2 }' "/proc/$pid/status")
capbnd=$(awk '/^CapBnd/ { print $2 }' "/proc/$pid/status")
if [ "$capbnd" = "$want_mask" ] && [ "$capeff" = "$want_mask" ]; then
        ok "capabilities are exactly $want_caps (CapEff=CapBnd=$capeff)"
else
        not_ok "capabilities are exactly $want_caps" "CapEff=$capeff CapBnd=$capbnd want $want_mask" "$(capsh --decode="$capeff" 2>&1)"
fi
check "NoNewPrivs set" grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$pid/status"
check "seccomp filter active" grep -q '^Seccomp:[[:space:]]*2' "/proc/$pid/status"

# The writes need no capability at all, only the unit's ReadWritePaths=;
# the same sandbox without them refuses (read-only /proc/sys).
sandbox=(-p CapabilityBoundingSet= -p ProtectSystem=strict -p ProtectKernelTunables=yes)
rw=(-p ReadWritePaths=/proc/sys/vm/compact_memory -p ReadWritePaths=/proc/sys/vm/compaction_proactiveness -p ReadWritePaths=/sys/devices/system/node)
p=$(cat /proc/sys/vm/compaction_proactiveness)
for w in "/proc/sys/vm/compact_memory 1" "/sys/devices/system/node/node0/compact 1" "/proc/sys/vm/compaction_proactiveness $p"; do
        set -- $w
        check "no capability needed to write $1" systemd-run --pipe --wait -q "${sandbox[@]}" "${rw[@]}" sh -c "echo $2 >$1"
done
if systemd-run --pipe --wait -q "${sandbox[@]}" sh -c "echo 1 >/proc/sys/vm/compact_memory" >/dev/null 2>&1; then
        not_ok "without ReadWritePaths= the sandbox refuses the write (it did not)"
else
        ok "without ReadWritePaths= the sandbox refuses the write (read-only)"
fi

st=$(defragctl status 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ -n "$st" ]; then ok "defragctl status works for root"; note "defragctl status: $(head -n 3 <<<"$st" | tr '\n' '|')"; else not_ok "defragctl status works for root (exit $rc)" "$st"; fi
check "defragctl status --json is JSON" bash -c 'defragctl status --json | jq -e .version >/dev/null'
st=$(runuser -u nobody -- defragctl status 2>&1)
rc=$?
if [ $rc -ne 0 ] && grep -qiE 'permission|denied|root' <<<"$st"; then
        ok "defragctl status refused for an unprivileged user (exit $rc: $(head -n 1 <<<"$st"))"
else
        not_ok "defragctl status refused for an unprivileged user" "exit $rc" "$st"
fi

# Degrade: the same unit with no capability at all.
mkdir -p /run/systemd/system/defragd.service.d
printf '[Service]\nCapabilityBoundingSet=\n' >/run/systemd/system/defragd.service.d/50-nocaps.conf
systemctl daemon-reload
mark_journal "$cur"
restart_defragd
wait_until 60 has_entry "$cur" "$MID_PROBES"
probes=$(json_entries "$MID_PROBES" "$cur" | tail -n 1)
if [ "$(jq -r '.PROBES_STATE // empty' <<<"$probes")" = unavailable ] && systemctl is-active -q defragd.service; then
        ok "without capabilities the probes degrade, logged, and defragd stays active: $(jq -r .MESSAGE <<<"$probes")"
else
        not_ok "without capabilities the probes degrade and defragd stays active" "$probes" "$(systemctl status --no-pager -n 20 defragd.service)"
fi
rm -f /run/systemd/system/defragd.service.d/50-nocaps.conf
systemctl daemon-reload
restart_defragd
rm -f "$cur"
clear_conf
finish
