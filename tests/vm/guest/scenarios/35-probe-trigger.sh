#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The probes' trigger path (issue 3): with a 10-minute poll interval, THP
# faults that fail on fragmented memory must make defragd evaluate and act
# within seconds, and the failure report (order, count, command) reaches the
# journal. The host cannot provoke real high-order failures within its memory
# cap (lazily initialised memory grows the zone instead); this guest can.
. /usr/lib/defragd-vm/lib.sh
frag=$gdir/fragmenter
thp=/sys/kernel/mm/transparent_hugepage
zone=DMA32
cur=$(mktemp)
if [ ! -x "$frag" ] || [ ! -w "$thp/defrag" ]; then
        not_ok "fragmenter ($frag) and THP ($thp/defrag) available"
        finish
fi
defrag0=$(sed 's/.*\[\(.*\)\].*/\1/' "$thp/defrag")
restore() {
        echo "$defrag0" >"$thp/defrag"
        systemctl stop vm-fill.service 2>/dev/null
        clear_conf
        rm -f "$cur" /run/vm-fill.out
}
trap restore EXIT

clear_conf
set_conf 50-vm "$base_conf"
sync; echo 1 >/proc/sys/vm/compact_memory; sleep 1
b0=$(suitable_blocks $zone 9)
low=$((b0 / 2)); [ $low -ge 1 ] || low=1
high=$((b0 * 3 / 4)); [ $high -ge $low ] || high=$low
# PollIntervalSec=600s: after the evaluation at start, only a trigger can
# make defragd evaluate during this scenario.
set_conf 60-trigger "[Daemon]
PollIntervalSec=600s
[Order9]
Low=$low
High=$high
[Probes]
TriggerMinOrder=9
TriggerMinIntervalSec=1s"
mark_journal "$cur"
restart_defragd
sleep 3
n0=$(json_entries "$MID_COMPACTION" "$cur" | wc -l)
if [ "$n0" -eq 0 ]; then ok "no compaction at start ($zone: $b0 order-9 blocks, Low=$low)"; else not_ok "no compaction at start" "$(messages_since "$cur")"; fi

# defrag=never: THP faults take a free order-9 block or fall back at once
# (GFP_TRANSHUGE_LIGHT, a failed mm_page_alloc), instead of compacting.
ff0=$(awk '$1 == "thp_fault_fallback" { print $2 }' /proc/vmstat)
echo never >"$thp/defrag"
t0=$(date +%s%6N)
systemctl reset-failed vm-fill.service 2>/dev/null
systemd-run --unit=vm-fill -p StandardOutput=file:/run/vm-fill.out -p StandardError=journal \
        "$frag" --fill-huge --size 3G --keep-one-in 4 --hold >/dev/null
if wait_until 120 has_entry "$cur" "$MID_COMPACTION"; then
        e=$(json_entries "$MID_COMPACTION" "$cur" | head -n 1)
        t1=$(jq -r .__REALTIME_TIMESTAMP <<<"$e")
        ok "defragd acted $(((t1 - t0) / 1000)) ms after the THP faults began (poll interval 600 s): $(jq -r .MESSAGE <<<"$e")"
else
        not_ok "defragd acted on a failure before its 600 s poll" "$(messages_since "$cur" | tail -n 20)" "$(cat /run/vm-fill.out)"
fi
ff1=$(awk '$1 == "thp_fault_fallback" { print $2 }' /proc/vmstat)
note "thp_fault_fallback +$((ff1 - ff0))"

st=$(defragctl status --json)
p=$(jq -c '.probes.counters' <<<"$st")
trig=$(jq -r '.triggers // 0' <<<"$p")
if [ "$trig" -ge 1 ]; then
        ok "probes triggered $trig evaluation(s); failure -> policy: last $(jq -r .last_trigger_to_policy_usec <<<"$p") us, max $(jq -r .max_trigger_to_policy_usec <<<"$p") us; kernel -> daemon max $(jq -r .max_event_latency_usec <<<"$p") us"
        max=$(jq -r .max_trigger_to_policy_usec <<<"$p")
        if [ "$max" -le 100000 ]; then ok "failure reaches the policy within 100 ms (max $max us)"; else not_ok "failure reaches the policy within 100 ms (max $max us)" "$p"; fi
else
        not_ok "probes triggered an evaluation" "$p"
fi
if wait_until 30 has_entry "$cur" "$MID_ALLOC_FAILURE"; then
        a=$(json_entries "$MID_ALLOC_FAILURE" "$cur" | jq -c 'select(.STALL == null)' | head -n 1)
        if [ "$(jq -r '.ORDER // empty' <<<"$a")" -ge 9 ] && [ -n "$(jq -r '.COUNT // empty' <<<"$a")" ]; then
                ok "failure report: $(jq -r .MESSAGE <<<"$a")"
        else
                not_ok "failure report has ORDER >= 9 and COUNT" "$a"
        fi
        n=$(json_entries "$MID_ALLOC_FAILURE" "$cur" | wc -l)
        if [ "$n" -le 3 ]; then ok "failure storm summarised: $n report entries"; else not_ok "failure storm summarised (<= 3 entries, got $n)" "$(json_entries "$MID_ALLOC_FAILURE" "$cur" | jq -r .MESSAGE)"; fi
else
        not_ok "a failure report reached the journal" "$(messages_since "$cur" | tail -n 20)"
fi
finish
