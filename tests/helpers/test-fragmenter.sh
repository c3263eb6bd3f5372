#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Checks the fragmenter's contract: argument errors (exit 2, naming the flag),
# the FRAGMENTED line, the kept share of memory, --hold exits 0 on SIGTERM
# and on stdin EOF, and reproducibility of the kept pattern for one seed.
set -u
frag=${1:?usage: test-fragmenter.sh FRAGMENTER}
fail=0
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT

check() { # description, condition...
        local what=$1; shift
        if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fail=1; fi
}

bad_arg() { # expected-flag, args...
        local flag=$1; shift
        local err rc
        err=$("$frag" "$@" 2>&1 >/dev/null); rc=$?
        check "rejects $* (exit 2, names $flag)" test "$rc" = 2 -a -n "$(grep -F -- "$flag" <<<"$err" | grep accepted)"
}

bad_arg --size --size 12X
bad_arg --size --size 1K
bad_arg --size --size -5M
bad_arg --keep-one-in --keep-one-in 3
bad_arg --keep-one-in --keep-one-in 1
bad_arg --seed --seed abc
bad_arg --churn --churn 5
bad_arg --pagecache --pagecache /tmp
bad_arg --unknown --unknown
bad_arg --size --size 3M
bad_arg --drain-rate --drain-rate 5
bad_arg --drain-rate --drain-rate 0 --hold
bad_arg --drain-rate --drain-rate 2x --hold
bad_arg --reserve-blocks --reserve-blocks 4
bad_arg --reserve-blocks --reserve-blocks 8 --fill-huge --size 8M

out=$("$frag" --size 8M --keep-one-in 4 --seed 7); rc=$?
check "8M run exits 0" test "$rc" = 0
check "8M run prints FRAGMENTED line" test "$out" = "FRAGMENTED size=8388608 kept_pages=512 regions=4"

out=$("$frag" --size 4M --keep-one-in 512); rc=$?
check "keep-one-in 512" test "$rc:$out" = "0:FRAGMENTED size=4194304 kept_pages=2 regions=2"

# --hold: the process keeps 1/4 of 64 MiB resident (Rss of its anon area).
fifo=$(mktemp -u /tmp/fragmenter-test.XXXXXX)
mkfifo "$fifo.out"
"$frag" --size 64M --hold </dev/null >"$fifo.out" &
pid=$!; pids+=("$pid")
read -r -t 60 line <"$fifo.out"
check "--hold prints FRAGMENTED before holding" test "$line" = "FRAGMENTED size=67108864 kept_pages=4096 regions=32"
rss_kib=$(awk '/^Rss:/ {s += $2} END {print s}' "/proc/$pid/smaps" 2>/dev/null || echo 0)
# 16 MiB kept + binary/libc/stack; the 48 MiB freed must not be there.
check "--hold keeps about a quarter resident (Rss ${rss_kib} KiB)" test "$rss_kib" -ge 16384 -a "$rss_kib" -lt 24576
anon_huge=$(awk '/^AnonHugePages:/ {s += $2} END {print s}' "/proc/$pid/smaps" 2>/dev/null || echo 1)
check "no THP in the fragmented area (AnonHugePages ${anon_huge} KiB)" test "$anon_huge" = 0
check "--hold with stdin /dev/null still holds" kill -0 "$pid"
kill -TERM "$pid"; wait "$pid"; rc=$?
check "--hold exits 0 on SIGTERM" test "$rc" = 0
rm -f "$fifo.out"

# --hold with a piped stdin: EOF ends it.
coproc FR { exec "$frag" --size 4M --hold; }
frpid=$FR_PID; pids+=("$frpid")
read -r -t 60 line <&"${FR[0]}"
check "--hold (coproc) FRAGMENTED" test "${line%% *}" = FRAGMENTED
exec {FR[1]}>&-
for _ in $(seq 50); do kill -0 "$frpid" 2>/dev/null || break; sleep 0.1; done
wait "$frpid"; rc=$?
check "--hold exits 0 on stdin EOF" test "$rc" = 0

# Reproducible pattern: same seed -> same resident page offsets; other seed differs.
# pagemap 'present' bit per page of the process's 4 MiB or 8 MiB anon area.
present_bits() { # pid bytes
        python3 - "$1" "$2" <<'PY'
import sys, struct
pid, size = int(sys.argv[1]), int(sys.argv[2])
with open(f"/proc/{pid}/pagemap", "rb") as pm:
    for m in open(f"/proc/{pid}/maps").read().split("\n"):
        f = m.split()
        if len(f) != 5:   # anonymous mappings have no path
            continue
        lo, hi = (int(x, 16) for x in f[0].split("-"))
        if hi - lo != size:
            continue
        pm.seek(lo // 4096 * 8)
        data = pm.read((hi - lo) // 4096 * 8)
        print("".join("1" if struct.unpack_from("<Q", data, i * 8)[0] >> 63 else "0"
                      for i in range((hi - lo) // 4096)))
PY
}
pattern() { # seed
        local p line
        coproc P { exec "$frag" --size 4M --seed "$1" --hold; }
        p=$P_PID; pids+=("$p")
        read -r -t 60 line <&"${P[0]}"
        present_bits "$p" $((4 << 20))
        kill -TERM "$p"; wait "$p"
}
a=$(pattern 11); b=$(pattern 11); c=$(pattern 12)
ones=$(tr -cd 1 <<<"$a" | wc -c)
check "seeded pattern keeps 256 of 1024 pages (got $ones)" test "$ones" = 256
check "same seed, same pattern" test -n "$a" -a "$a" = "$b"
check "other seed, other pattern" test "$a" != "$c"
# not a fixed stride: kept offsets within groups of 4 vary
strides=$(python3 -c 'import sys; b=sys.argv[1]; print(len({i % 4 for i,c in enumerate(b) if c=="1"}))' "$a")
check "kept page varies within groups ($strides distinct offsets)" test "$strides" = 4

# page cache and unmovable modes
tmpd=$(mktemp -d /tmp/fragmenter-test.XXXXXX)
out=$("$frag" --size 8M --pagecache "$tmpd" --pagecache-size 4M --unmovable 300); rc=$?
check "pagecache+unmovable run exits 0" test "$rc" = 0
check "pagecache line" grep -qx "PAGECACHE bytes=4194304 kept_pages=256 resident_pages=256" <<<"$out"
check "unmovable line" grep -qx "UNMOVABLE pages=300 pipes=2" <<<"$out"
check "no file left in the pagecache dir" test -z "$(ls -A "$tmpd")"
rmdir "$tmpd"
out=$("$frag" --size 4M --unmovable 100000000 2>&1); rc=$?
check "too many unmovable pages refused (exit 2)" test "$rc" = 2

# churn moves the kept pages around at a constant footprint
coproc C { exec "$frag" --size 8M --hold --churn 2000; }
cpid=$C_PID; pids+=("$cpid")
read -r -t 60 line <&"${C[0]}"
before=$(present_bits "$cpid" $((8 << 20)))
sleep 1
after=$(present_bits "$cpid" $((8 << 20)))
check "churn changes which pages are resident" test -n "$before" -a "$before" != "$after"
check "churn keeps the footprint (512 pages: $(tr -cd 1 <<<"$after" | wc -c))" test "$(tr -cd 1 <<<"$after" | wc -c)" = 512
kill -TERM "$cpid"; wait "$cpid"; rc=$?
check "churn exits 0 on SIGTERM" test "$rc" = 0

exit $fail
