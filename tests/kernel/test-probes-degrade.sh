#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The probes degrade, they never stop the daemon: without CAP_BPF/CAP_PERFMON
# (and CAP_SYS_ADMIN) defragctl top says why and fails; defragd says it once,
# keeps polling, and exits cleanly. With CAP_BPF+CAP_PERFMON alone and no
# tracefs, every probe attaches (raw tracepoints).
# usage: test-probes-degrade.sh DEFRAGD DEFRAGCTL
set -u
defragd=$1
defragctl=$2
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP not root: cannot drop capabilities we do not have"; exit 77; }
command -v capsh >/dev/null || { echo "1..0 # SKIP capsh (libcap2-bin) not installed"; exit 77; }
drop=cap_bpf,cap_perfmon,cap_sys_admin
work=$(mktemp -d)
dpid=
cleanup() {
        [ -n "$dpid" ] && kill "$dpid" 2>/dev/null
        rm -rf "$work"
}
trap cleanup EXIT
n=0 failed=0
check() { # DESC CONDITION-EXIT-STATUS [EVIDENCE]
        n=$((n + 1))
        if [ "$2" = 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=1; [ -n "${3:-}" ] && sed 's/^/#   /' <<<"$3"; fi
}

out=$(capsh --drop=$drop -- -c "exec '$defragctl' top --iterations 1 --interval 100ms" 2>&1); rc=$?
grep -q 'probes not loaded: loading BPF was refused.*CAP_BPF and CAP_PERFMON' <<<"$out"; m=$?
check "defragctl top without $drop: exit $rc (want 1), says why" $(( rc == 1 && m == 0 ? 0 : 1 )) "$out"

# Raw tracepoints need neither tracefs nor CAP_SYS_ADMIN: in a private mount
# namespace without tracefs or debugfs, with every capability dropped but
# CAP_BPF and CAP_PERFMON, all seven probes attach and none is missing.
others=$(capsh --print | sed -n 's/^Bounding set =//p' | tr ',' '\n' | grep -vx 'cap_bpf\|cap_perfmon' | paste -sd, -)
if command -v unshare >/dev/null && [ -n "$others" ]; then
        out=$(unshare -m sh -c "umount -l /sys/kernel/tracing 2>/dev/null; umount -l /sys/kernel/debug 2>/dev/null; exec capsh --drop=$others -- -c \"grep ^CapEff /proc/self/status; exec '$defragctl' top --iterations 1 --interval 200ms\"" 2>&1); rc=$?
        grep -q '^CapEff:[[:space:]]*000000c000000000$' <<<"$out"; c=$?
        grep -q 'probes: 7 attached (allocations: raw_tp/mm_page_alloc)$' <<<"$out"; m=$?
        check "without tracefs, with only CAP_BPF+CAP_PERFMON (CapEff ok: $c): all 7 probes attach, none missing (exit $rc)" $(( rc == 0 && c == 0 && m == 0 ? 0 : 1 )) "$out"
fi

printf '[Daemon]\nPollIntervalSec=1s\nDryRun=yes\n[Probes]\nEnable=yes\n' > "$work/conf"
mkdir -p "$work/rt"
capsh --drop=$drop -- -c "exec '$defragd' --config '$work/conf' --runtime-dir '$work/rt' --log-target console" 2> "$work/log" &
dpid=$!
sleep 4.5
kill -TERM "$dpid"; wait "$dpid"; rc=$?; dpid=
log=$(cat "$work/log")
c=$(grep -c 'probes not loaded, polling only: loading BPF was refused' <<<"$log")
check "defragd without $drop logs the reason once (got $c)" $(( c == 1 ? 0 : 1 )) "$log"
ev=$(sed -n 's/.*stopped after \([0-9]*\) evaluations.*/\1/p' <<<"$log")
check "defragd keeps polling without probes (${ev:-0} evaluations in 4.5 s at 1 s) and exits 0 (got $rc)" $(( ${ev:-0} >= 3 && rc == 0 ? 0 : 1 )) "$log"
echo "1..$n"
exit $failed
