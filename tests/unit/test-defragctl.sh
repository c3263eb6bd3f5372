#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# defragctl as a person runs it: report on fixtures (text, JSON), --help,
# --version, and every usage error exits 2 with a message naming the problem.
set -u
ctl=${1:?usage: test-defragctl.sh DEFRAGCTL}
fx=${DEFRAGD_FIXTURES:?DEFRAGD_FIXTURES not set}
fail=0
n=0
check() { # check NAME EXPECTED_RC GREP_PATTERN CMD...
        local name=$1 want=$2 pat=$3; shift 3
        local out rc
        n=$((n + 1))
        out=$("$@" 2>&1); rc=$?
        if [ "$rc" != "$want" ]; then echo "FAIL $name: exit $rc, expected $want: $out"; fail=$((fail + 1)); return; fi
        if ! grep -qE -- "$pat" <<<"$out"; then echo "FAIL $name: output lacks /$pat/:"; echo "$out"; fail=$((fail + 1)); return; fi
        echo "ok   $name"
}
check help 0 '^  report ' "$ctl" --help
check version 0 '^defragctl [0-9]+\.[0-9]+' "$ctl" --version
check no-args 2 'Usage: defragctl' "$ctl"
check unknown-command 2 'unknown command "frobnicate"; expected one of:.* report' "$ctl" frobnicate
check report-help 0 'Usage: defragctl report' "$ctl" report --help
check report-bad-option 2 'unknown or incomplete option "--bogus"' "$ctl" report --bogus
check report-missing-root-arg 2 'unknown or incomplete option "--root"' "$ctl" report --root
check report-extra-arg 2 'unexpected argument "extra"' "$ctl" report extra
check report-bad-color 2 '--color=sometimes: expected auto, always or never' "$ctl" report --color=sometimes
check report-no-root 1 "/nonexistent/proc/buddyinfo: cannot open: No such file or directory" "$ctl" report --root /nonexistent
check report-text 0 '  free       194975 175041' "$ctl" report --root "$fx/live-6.18-fragmented"
check report-no-color-when-piped 0 '^Node 0, zone Normal ' "$ctl" report --root "$fx/live-6.18-fragmented"
check report-color-always 0 $'\e\\[1mNode 0' "$ctl" report --color=always --root "$fx/live-6.18-fragmented"
NO_COLOR=1 check report-json 0 '"fragmentation_index": 0.996' "$ctl" report --json --root "$fx/numa-2node"
if command -v python3 >/dev/null; then
        check report-json-parses 0 '^66$' bash -c "'$ctl' report --json --root '$fx/numa-64node' | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(len(n[\"zones\"]) for n in d[\"nodes\"]))'"
fi
# a malformed file: exit 1 and the file:line message
mal=$(mktemp -d); trap 'rm -rf "$mal"' EXIT
mkdir -p "$mal/proc"; cp "$fx/malformed/buddyinfo-huge-number" "$mal/proc/buddyinfo"
check report-malformed 1 "$mal/proc/buddyinfo:1: free block count \"99999999999999999999999\" is larger than 18446744073709551615" "$ctl" report --root "$mal"
echo "$n checks, $fail failed"
[ "$fail" = 0 ]
