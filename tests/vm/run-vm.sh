#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Host side of the guest suite: builds the image (cached) and a plain install
# of the project, boots the Debian guest under qemu/TCG and prints its TAP.
#
# Usage: run-vm.sh [--tap]
#   --tap  print "1..0 # SKIP why" and exit 0 instead of exiting 77 (meson's
#          TAP protocol counts a non-zero exit as an error).
# Environment:
#   DEFRAGD_SOURCE_ROOT, DEFRAGD_BUILD_ROOT  set by tests/meson.build's test_env
#   DEFRAGD_VM_CACHE      where the image is kept (default BUILD_ROOT/tests/vm/cache)
#   DEFRAGD_VM_SCENARIOS  space-separated scenario names to run (default: all
#                         but the guest benchmark's bench-*, run only when named)
#   DEFRAGD_VM_TIMEOUT    hard limit for the guest in seconds (default 600)
#   DEFRAGD_VM_MEM        guest memory (default 1536M)
#   DEFRAGD_VM_KEEP=1     keep the run directory (console log, payload)
set -uo pipefail

tap=0
[ "${1:-}" = "--tap" ] && tap=1
here=$(cd "$(dirname "$0")" && pwd)
src=${DEFRAGD_SOURCE_ROOT:-$(cd "$here/../.." && pwd)}
bld=${DEFRAGD_BUILD_ROOT:?DEFRAGD_BUILD_ROOT is not set (run through meson test)}
cache=${DEFRAGD_VM_CACHE:-$bld/tests/vm/cache}
timeout_s=${DEFRAGD_VM_TIMEOUT:-900}
mem=${DEFRAGD_VM_MEM:-1536M}
t0=$(date +%s.%N)

skip() {
        if [ $tap -eq 1 ]; then
                echo "1..0 # SKIP $*"
                exit 0
        fi
        echo "run-vm: SKIP: $*" >&2
        exit 77
}
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
diag() { sed 's/^/# /'; }

command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
[ "$(id -u)" -eq 0 ] || skip "the guest image needs root to build (mmdebstrap --mode=root)"

# 1. The image (cold: mmdebstrap + mkfs; warm: a lookup).
t=$(date +%s.%N)
mkdir -p "$(dirname "$cache")"
img=$("$here/mkimage.sh" "$cache" 2>"$cache.mkimage.err")
rc=$?
if [ $rc -eq 77 ]; then
        skip "$(grep SKIP "$cache.mkimage.err" | sed 's/^mkimage: SKIP: //' | tail -n1)"
elif [ $rc -ne 0 ]; then
        echo "Bail out! guest image could not be built (mkimage.sh exit $rc)"
        diag <"$cache.mkimage.err"
        exit 1
fi
image_s=$(since "$t")

# 2. A plain (no sanitizer) install of the current tree, as a package would.
t=$(date +%s.%N)
vmb="$bld/tests/vm/build"
stage="$bld/tests/vm/stage"
run="$bld/tests/vm/run"
buildlog="$bld/tests/vm/build.log"
mkdir -p "$bld/tests/vm"
(
        # The outer test environment is for the sanitized build; not for this one.
        unset ASAN_OPTIONS UBSAN_OPTIONS MALLOC_PERTURB_ MESON_TEST_ITERATION
        set -e
        if [ ! -f "$vmb/build.ninja" ]; then
                meson setup "$vmb" "$src" --prefix=/usr --sysconfdir=/etc --localstatedir=/var \
                        -Dbuildtype=debugoptimized -Db_sanitize=none \
                        -Dkernel_tests=false -Dvm_tests=false
        fi
        ninja -C "$vmb" -j2
        rm -rf "$stage"
        meson install -C "$vmb" --destdir "$stage" --no-rebuild
) >"$buildlog" 2>&1
if [ $? -ne 0 ]; then
        echo "Bail out! plain build/install of the project failed (log: $buildlog)"
        tail -n 30 "$buildlog" | diag
        exit 1
fi
# Test-only pieces: the runner, the scenarios and the helpers they use.
gdir="$stage/usr/lib/defragd-vm"
mkdir -p "$gdir/scenarios"
install -m 0755 "$here/guest/guest-run.sh" "$gdir/guest-run.sh"
install -m 0644 "$here/guest/lib.sh" "$gdir/lib.sh"
install -m 0755 "$here"/guest/scenarios/*.sh "$gdir/scenarios/"
for h in fragmenter metrics-render reclaim-tool kmod-clear-tool; do
        [ -x "$vmb/tests/helpers/$h" ] && install -m 0755 "$vmb/tests/helpers/$h" "$gdir/$h"
done
# The benchmark's own scripts for the guest benchmark (bench-* scenarios).
mkdir -p "$gdir/bench"
install -m 0755 "$src/bench/efficiency.py" "$gdir/bench/efficiency.py"
install -m 0644 "$src/bench/benchlib.py" "$gdir/bench/benchlib.py"
sed -n 's/^#define DF_\(MID_[A-Z_]*\) *"\([0-9a-f]\{32\}\)".*/\1=\2/p' \
        "$src/include/defragd/report.h" >"$gdir/mids.sh"
# The companion module, built in a chroot of the guest root against its own
# kernel's headers (and the 6.1 headers it carries), as dkms would there.
"$here/build-kmod.sh" "$img" "$src/kmod" "$gdir/kmod" >"$bld/tests/vm/kmod-build.tap" 2>&1
echo "${DEFRAGD_VM_SCENARIOS:-}" >"$gdir/selected"
rm -rf "$run"
mkdir -p "$run"
tar -C "$stage" -cf "$run/payload.tar" --owner=0 --group=0 --numeric-owner .
build_s=$(since "$t")

# 3. Boot. One vCPU: multi-threaded TCG with more crashes the guest when the
# kernel patches live code (tracepoints). NVMe root needs no initrd; the
# payload is a raw tar on a virtio disk; ttyS0 is the console, ttyS1 the TAP.
# Emulation is slow and uneven: one alloc_contig_range() of a 2 MiB block,
# ~30 ms most times in this guest, has taken 1.2, 4, 5 and 40 s (70-kmod's
# "slow clears" line; RIP in clear_page_rep, the zeroing of the cleared
# pages, always the same low blocks: our guess, not proven, is TCG's
# invalidation of code it translated from pages that are then zeroed). The guest's soft-lockup (2 x watchdog_thresh = 20 s) and RCU stall
# (21 s) detectors then fire and "kernel clean" fails on the emulator's
# speed, not on a kernel bug: their thresholds go to 120 s and 180 s here;
# BUG, WARNING and Oops are still checked, and slow clears still printed.
# -mem-prealloc: every page of guest RAM is backed before the guest boots,
# so that no late first touch waits for a host the kernel suite has just
# fragmented.
t=$(date +%s.%N)
: >"$run/console.log"
: >"$run/results.log"
timeout --kill-after=10 "$timeout_s" qemu-system-x86_64 \
        -accel tcg -smp 1 -m "$mem" -mem-prealloc \
        -no-user-config -nodefaults -display none -monitor none \
        -kernel "$img/vmlinuz" \
        -append "root=/dev/nvme0n1 rw console=ttyS0 systemd.unified_cgroup_hierarchy=1 panic=-1 loglevel=4 systemd.show_status=auto watchdog_thresh=60 rcupdate.rcu_cpu_stall_timeout=180" \
        -drive "file=$img/root.img,if=none,id=root,format=raw,snapshot=on" \
        -device nvme,drive=root,serial=defragd-root \
        -drive "file=$run/payload.tar,if=virtio,format=raw,readonly=on" \
        -serial "file:$run/console.log" -serial "file:$run/results.log" \
        >"$run/qemu.log" 2>&1
qrc=$?
guest_s=$(since "$t")

# 4. The guest's lines, numbered here; the host's own checks around them.
n=0
failed=0
emit() { # ok|not ok, description (a trailing " # SKIP why" is kept)
        local desc=$2 directive=""
        if [[ $desc == *" # SKIP"* ]]; then
                directive=" # SKIP${desc##* # SKIP}"
                desc=${desc% # SKIP*}
        fi
        n=$((n + 1))
        # Any other '#' would start a TAP directive.
        echo "$1 $n - ${desc//#/No.}$directive"
        [ "$1" = "ok" ] || failed=$((failed + 1))
}
echo "# image: $img ($(cat "$img/kernel-version" 2>/dev/null)), ${image_s}s; build+payload ${build_s}s"
done_seen=0
while IFS= read -r line; do
        line=${line%$'\r'}
        case "$line" in
        "ok "*|"ok") emit "ok" "${line#ok }" ;;
        "not ok "*) emit "not ok" "${line#not ok }" ;;
        "Bail out!"*) echo "$line"; done_seen=2 ;;
        "VM-DONE"*) done_seen=1 ;;
        "#"*) echo "$line" ;;
        "") ;;
        *) echo "# guest: $line" ;;
        esac
done < <(cat "$bld/tests/vm/kmod-build.tap" "$run/results.log")

if [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
        emit "not ok" "guest finished within ${timeout_s}s (killed after ${guest_s}s)"
elif [ $done_seen -ne 1 ]; then
        emit "not ok" "guest ran every scenario and powered off (qemu exit $qrc after ${guest_s}s)"
else
        emit "ok" "guest ran every scenario and powered off (${guest_s}s)"
fi
if [ $failed -gt 0 ] || [ $done_seen -ne 1 ]; then
        echo "# last console lines ($run/console.log):"
        grep -v '^\s*$' "$run/console.log" | tail -n 40 | diag
        [ -s "$run/qemu.log" ] && diag <"$run/qemu.log"
fi
echo "# total $(since "$t0")s: image ${image_s}s, build ${build_s}s, guest ${guest_s}s"
echo "1..$n"
if [ "${DEFRAGD_VM_KEEP:-0}" != 1 ] && [ $failed -eq 0 ]; then
        rm -f "$run/payload.tar"
fi
[ $failed -eq 0 ]
