#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The companion module (kmod/) on the guest kernel, built on the host in a
# chroot of this root against its own headers: load, ABI, bad writes refused
# without a trace, fragment, clear the cheapest blocks of LRU pages picked from
# /proc/kpageflags (free 2 MiB blocks rise, counters move; measured), a block
# holding a slab page refused with EBUSY, unload while a writer holds the file
# open, during clears and while defragd runs, and a clean unload.
. /usr/lib/defragd-vm/lib.sh
ko=$gdir/kmod/defragd_clear.ko
tool=$gdir/kmod-clear-tool
frag=$gdir/fragmenter
sys=/sys/kernel/defragd_clear
zone=DMA32
# Clears measured per run: enough for a rate, short under TCG.
n_clear=48
p0=$(cat /proc/sys/vm/compaction_proactiveness)
printk0=$(cut -f1 /proc/sys/kernel/printk)
cleanup() {
        echo "$p0" >/proc/sys/vm/compaction_proactiveness
        dmesg -n "$printk0"
        systemctl stop vm-fragmenter.service 2>/dev/null
        rmmod defragd_clear 2>/dev/null
        rm -f /run/vm-fragmenter.out /run/kmod-*.txt
}
trap cleanup EXIT
# kcompactd's proactive runs off: the migration counter then shows ours.
echo 0 >/proc/sys/vm/compaction_proactiveness
# Whatever the kernel says while the module runs reaches the console log
# (run/console.log), stack traces included.
dmesg -n 7

if [ ! -f "$ko" ] || [ ! -x "$tool" ] || [ ! -x "$frag" ]; then
        not_ok "the module built for $(uname -r), kmod-clear-tool and the fragmenter are in the payload" "$(ls -la "$gdir" "$gdir/kmod" 2>&1)"
        finish
fi
counters() { "$tool" status 2>&1 | sed -n 2p; }
counter() { cat "$sys/counters/$1"; }
vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
# Kernel taint without the bits loading an out-of-tree (12) unsigned (13) module sets.
taint_other() { echo $(($(cat /proc/sys/kernel/tainted) & ~(4096 | 8192))); }
taint0=$(taint_other)
dmesg_mark=$(dmesg | wc -l)
new_kernel_trouble() { dmesg | tail -n +"$((dmesg_mark + 1))" | grep -E 'BUG:|WARNING:|Oops|page dumped|Call Trace' || true; }

vm=$(modinfo -F vermagic "$ko")
if [ "${vm%% *}" = "$(uname -r)" ]; then ok "module vermagic matches the running kernel ($vm), built in $(cat "$gdir/kmod/build-ms" 2>/dev/null) ms"; else not_ok "module vermagic matches $(uname -r)" "$vm"; fi
res=$("$tool" status 2>&1)
rc=$?
if [ $rc -eq 2 ] && grep -q "is not loaded; accepted: modprobe defragd_clear" <<<"$res"; then ok "client says the module is absent, with the fix: $res"; else not_ok "client reports the absent module (exit 2)" "exit $rc" "$res"; fi

check "insmod defragd_clear.ko" insmod "$ko"
note "kernel: $(dmesg | grep -o 'defragd_clear: ready.*' | tail -n 1)"
if [ "$(cat "$sys/abi_version")" = 1 ] && res=$("$tool" status 2>&1); then ok "abi_version 1, the client opens it: $(head -n 1 <<<"$res")"; else not_ok "abi_version 1 and the client opens it" "$res"; fi
modes="clear=$(stat -c %a "$sys/clear") last=$(stat -c %a "$sys/last") abi_version=$(stat -c %a "$sys/abi_version")"
if [ "$modes" = "clear=200 last=400 abi_version=444" ]; then ok "root-only files: $modes"; else not_ok "clear 0200, last 0400, abi_version 0444" "$modes"; fi

# Bad writes: EINVAL each, and nothing moves: counters, `last`, migrations,
# free 2 MiB blocks (a wrongly accepted clear would add one).
end_pfn=$(awk '$1 == "spanned" { s = $2 } $1 == "start_pfn:" { if ($2 + s > m) m = $2 + s } END { print m }' /proc/zoneinfo)
beyond=$(((end_pfn + 1023) / 1024 * 1024 + 1024))
c0=$(counters)
l0=$(cat "$sys/last")
m0=$(vmstat pgmigrate_success)
b0=$(suitable_blocks $zone 9)
bad_ok=1
for w in "513 9" "$beyond 9" "$((1 << 50)) 9" "hello" "" "512" "512 9 3" "512 11" "512 8" "-512 9" "512 9x" "0x200 nine"; do
        err=$( { printf '%s\n' "$w" >"$sys/clear"; } 2>&1)
        if ! grep -q "Invalid argument" <<<"$err"; then
                not_ok "write \"$w\" gets EINVAL" "${err:-the write succeeded}"
                bad_ok=0
        fi
done
[ $bad_ok -eq 1 ] && ok "12 bad writes (unaligned, beyond memory at pfn $beyond, garbage, empty, 3 fields, order 11 and 8) get EINVAL"
c1=$(counters)
l1=$(cat "$sys/last")
m1=$(vmstat pgmigrate_success)
b1=$(suitable_blocks $zone 9)
if [ "$c1" = "$c0" ] && [ "$l1" = "$l0" ] && [ "$m1" = "$m0" ] && [ "$b1" -le "$b0" ]; then
        ok "bad writes change nothing: counters, last, pgmigrate_success $m0, $zone order-9 blocks $b0 -> $b1"
else
        not_ok "bad writes change nothing" "counters $c0 -> $c1" "last $l0 -> $l1" "pgmigrate_success $m0 -> $m1" "$zone order-9 blocks $b0 -> $b1"
fi

# A fragmented state: every 2 MiB region of 256 MiB keeps one page in four.
systemctl reset-failed vm-fragmenter.service 2>/dev/null
systemd-run --unit=vm-fragmenter -p StandardOutput=file:/run/vm-fragmenter.out -p StandardError=journal \
        "$frag" --size 256M --hold >/dev/null
if wait_until 120 grep -q '^FRAGMENTED' /run/vm-fragmenter.out; then
        ok "fragmenter: $(grep '^FRAGMENTED' /run/vm-fragmenter.out)"
else
        not_ok "fragmenter reports FRAGMENTED" "$(cat /run/vm-fragmenter.out)"
        finish
fi
sleep 2

# One block, checked page by page right after: all its pages free in the
# buddy allocator (not parked on a per-CPU list), the record read back.
"$tool" candidates $zone 9 $((n_clear + 1)) >/run/kmod-cands.txt 2>/run/kmod-cands.err
note "candidates: $(cat /run/kmod-cands.err)"
first=$(grep -m 1 ' unknown=0$' /run/kmod-cands.txt | cut -d' ' -f1)
if [ -z "$first" ]; then
        not_ok "kpageflags shows a block of LRU and free pages only to clear" "$(cat /run/kmod-cands.err)" "$(head -n 5 /run/kmod-cands.txt)" "$(cat /proc/buddyinfo)"
        finish
fi
res=$("$tool" clear "$first" 9 2>&1)
rc=$?
freep=$("$tool" free-pages "$first" 9)
if [ $rc -eq 0 ] && grep -q "detail_known=1" <<<"$res" && [ "$freep" -eq 512 ]; then
        ok "cleared block $first: all 512 pages free in the buddy allocator at once; $res"
else
        not_ok "clear block $first and find its 512 pages free" "exit $rc: $res" "free pages now: $freep"
fi

# The measured batch: the cheapest blocks first, as the planner would pick.
t0=$(counter tried)
k0=$(counter cleared)
f0=$(counter fallback_pages)
m0=$(vmstat pgmigrate_success)
b0=$(suitable_blocks $zone 9)
grep -v "^$first " /run/kmod-cands.txt | head -n $n_clear | cut -d' ' -f1 | "$tool" clear-list 9 --budget-ms 10000 >/run/kmod-list.txt 2>&1
rc=$?
b1=$(suitable_blocks $zone 9)
m1=$(vmstat pgmigrate_success)
total=$(grep '^TOTAL' /run/kmod-list.txt)
tried=$(sed -n 's/.* tried=\([0-9]*\).*/\1/p' <<<"$total")
cleared=$(sed -n 's/.* cleared=\([0-9]*\).*/\1/p' <<<"$total")
note "batch: $total"
note "batch: $zone order-9 blocks $b0 -> $b1, pgmigrate_success +$((m1 - m0))"
# What the cleared and the refused blocks held (kpageflags at the pick) and
# what the module counted: clean page cache is dropped, not migrated.
sed -n 's/^pfn=\([0-9]*\) order=[0-9]* result=\([-0-9]*\) .*pages_in_use=\([0-9]*\) pages_moved=\([0-9]*\) .*/\1 \2 \3 \4/p' /run/kmod-list.txt >/run/kmod-res.txt
note "cleared blocks held: $(awk 'NR == FNR { r[$1] = $2; next } ($1 in r) && r[$1] == 0 { n++; u += $2; for (i = 3; i <= NF; i++) { split($i, kv, "="); s[kv[1]] += kv[2] } }
        END { printf "%d blocks, %d used pages (anon %d, file %d, dirty file %d, unevictable %d, thp %d, no flag %d)", n, u, s["anon"], s["file"], s["dirty"], s["unevictable"], s["thp"], s["unknown"] }' /run/kmod-res.txt /run/kmod-cands.txt); module: $(awk '$2 == 0 { i += $3; m += $4 } END { printf "pages_in_use %d, pages_moved %d", i, m }' /run/kmod-res.txt)"
note "slow clears (> 1 s): $(awk -F'[ =]' '/^pfn=/ { for (i = 1; i < NF; i++) if ($i == "duration_usec" && $(i + 1) > 1000000) printf "pfn %s %d ms; ", $2, $(i + 1) / 1000 }' /run/kmod-list.txt)"
note "EBUSY blocks: $(awk 'NR == FNR { r[$1] = $2; next } ($1 in r) && r[$1] == -16 { printf "%s; ", $0 }' /run/kmod-res.txt /run/kmod-cands.txt)"
if [ $rc -eq 0 ] && [ -n "$cleared" ] && [ "$cleared" -ge $((tried / 2)) ] && [ "$cleared" -ge 1 ]; then
        ok "cleared $cleared of $tried chosen blocks, no error but EBUSY"
else
        not_ok "cleared at least half of the chosen blocks, no error but EBUSY" "exit $rc" "$(tail -n 20 /run/kmod-list.txt)"
fi
if [ -n "$cleared" ] && [ $((b1 - b0)) -ge $((cleared / 2)) ]; then
        ok "free 2 MiB blocks in $zone rose by $((b1 - b0)) for $cleared cleared"
else
        not_ok "free 2 MiB blocks rise with the cleared blocks" "$zone order-9 blocks $b0 -> $b1, cleared ${cleared:-?}" "$(cat /proc/buddyinfo)"
fi
dt=$(($(counter tried) - t0))
dk=$(($(counter cleared) - k0))
df=$(($(counter fallback_pages) - f0))
if [ "$dt" = "$tried" ] && [ "$dk" = "$cleared" ] && [ "$df" -eq 0 ] && [ "$(counter pages_moved)" -gt 0 ]; then
        ok "counters: tried +$dt, cleared +$dk, pages_moved $(counter pages_moved), fallback_pages +0 (every block back as one)"
else
        not_ok "counters follow the batch, every block back as one" "tried +$dt (tool $tried), cleared +$dk (tool $cleared), fallback_pages +$df" "$(counters)"
fi

# A block holding a slab page: refused quickly with EBUSY, nothing dumped.
busy=$("$tool" candidates $zone 9 1 --busy 2>/dev/null | cut -d' ' -f1)
if [ -n "$busy" ]; then
        kb=$(counter busy)
        kc=$(counter cleared)
        res=$("$tool" clear "$busy" 9 2>&1)
        rc=$?
        if [ $rc -eq 1 ] && grep -q "result=-16 " <<<"$res" && [ "$(counter busy)" -eq $((kb + 1)) ] && [ "$(counter cleared)" -eq "$kc" ]; then
                ok "block $busy with a slab page: EBUSY, busy +1; $res"
        else
                not_ok "a block with a slab page gets EBUSY" "exit $rc: $res" "$(counters)"
        fi
else
        skip "a block with a slab page gets EBUSY" "kpageflags shows no $zone block whose only unmovable pages are slab"
fi

# The files as they stand after real use: tests/fixtures/kmod-clear-6.12.
note "capture: $(for f in abi_version order_min order_max free_mode last "$sys"/counters/*; do f=${f#"$sys"/}; printf '%s=%s; ' "$f" "$(cat "$sys/$f")"; done)"

# Whole-machine compaction on what is left, for comparison (noted, not judged).
b0=$(suitable_blocks $zone 9)
m0=$(vmstat pgmigrate_success)
s0=$(date +%s%N)
echo 1 >/proc/sys/vm/compact_memory
ms=$((($(date +%s%N) - s0) / 1000000))
note "compact_memory on the same state: ${ms} ms, $zone order-9 blocks $b0 -> $(suitable_blocks $zone 9), pgmigrate_success +$(($(vmstat pgmigrate_success) - m0))"
systemctl stop vm-fragmenter.service

# Unload with a writer holding `clear` open: sysfs does not pin the module,
# the removal goes through and the held file answers ENODEV.
exec 3>"$sys/clear"
if rmmod defragd_clear 2>/run/kmod-rmmod.txt && [ ! -e "$sys" ]; then ok "rmmod while a writer holds clear open"; else not_ok "rmmod while a writer holds clear open" "$(cat /run/kmod-rmmod.txt)"; fi
err=$( { printf '%s 9\n' "$first" >&3; } 2>&1)
exec 3>&-
if grep -q "No such device" <<<"$err"; then ok "the held file answers ENODEV after the unload"; else not_ok "the held file answers ENODEV after the unload" "${err:-the write succeeded}"; fi
res=$("$tool" clear "$first" 9 2>&1)
if [ $? -eq 2 ] && grep -q "not loaded" <<<"$res"; then ok "client: module gone, said once: $res"; else not_ok "client reports the unloaded module" "$res"; fi

# Unload in the middle of clears: an endless batch on one block runs until
# the module is gone; rmmod waits for the clear in progress, the next write
# gets ENODEV and ends the batch.
insmod "$ko"
( yes "$first" 2>/dev/null | "$tool" clear-list 9 >/run/kmod-race.txt 2>&1 ) &
bg=$!
sleep 1
rmmod defragd_clear
rmrc=$?
if wait_until 30 sh -c "! kill -0 $bg 2>/dev/null"; then
        if [ $rmrc -eq 0 ] && [ ! -e "$sys" ] && tail -n 2 /run/kmod-race.txt | grep -q 'result=-19 ' && grep -q 'stopped="module gone"' /run/kmod-race.txt; then
                ok "rmmod during endless clears: done, the next write got ENODEV ($(grep -c '^pfn=' /run/kmod-race.txt) writes)"
        else
                not_ok "rmmod during endless clears" "rmmod exit $rmrc" "$(tail -n 3 /run/kmod-race.txt)"
        fi
else
        kill $bg 2>/dev/null
        not_ok "the endless clears end with the module (ENODEV)" "$(tail -n 3 /run/kmod-race.txt)"
fi

# While defragd runs: load, clear through the client, unload; the daemon
# does not notice or mind.
clear_conf
set_conf 50-vm "$base_conf"
restart_defragd
pid=$(main_pid)
insmod "$ko"
"$tool" clear "$first" 9 >/dev/null 2>&1
rmmod defragd_clear
sleep 2
if systemctl is-active -q defragd.service && [ "$(main_pid)" = "$pid" ]; then ok "defragd (pid $pid) runs on through load, clear and unload"; else not_ok "defragd survives the module's load and unload" "$(systemctl status --no-pager defragd.service 2>&1 | tail -n 10)"; fi
systemctl stop defragd.service
clear_conf

if ! lsmod | grep -q '^defragd_clear ' && [ ! -e "$sys" ]; then ok "unloaded cleanly: no module, no $sys"; else not_ok "unloaded cleanly" "$(lsmod | grep defragd)"; fi
trouble=$(new_kernel_trouble)
if [ "$(taint_other)" = "$taint0" ] && [ -z "$trouble" ]; then
        ok "kernel clean: no BUG, WARNING or dumped page; taint only the module bits ($(cat /proc/sys/kernel/tainted))"
else
        not_ok "kernel clean: no BUG, WARNING or dumped page, no taint but the module bits" "tainted $(cat /proc/sys/kernel/tainted) (others $taint0 -> $(taint_other))" "$trouble"
fi
finish
