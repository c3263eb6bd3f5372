#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzz one harness (or "all", one after the other) for SECONDS each:
#     tests/fuzz/run.sh HARNESS SECONDS [--build-dir DIR] [--fresh] [--quiet] [-- LIBFUZZER_ARGS...]
# e.g. tests/fuzz/run.sh zoneinfo 3600. Harnesses: the fuzz-*.c files here.
# Keeps its own clang build (default: build-fuzz/ at the top of the tree,
# configured with -Dfuzz=true on first use), a growing corpus in
# DIR/corpus/HARNESS (seeded from tests/fixtures by make-seeds.sh) and crash
# inputs in DIR/artifacts/HARNESS/ (--fresh: a corpus of the seeds only,
# thrown away after, as the test suite does). A crash fails the run: fix it, then keep
# the input as a regression: cp DIR/artifacts/HARNESS/crash-* tests/fuzz/regress/HARNESS/
# Exit: 0 ok, 1 crash or build failure, 77 no clang/libFuzzer here.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$src/build-fuzz quiet=0 fresh=0 extra=()

[ $# -ge 2 ] || { sed -n '3,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
harness=$1 seconds=$2
shift 2
while [ $# -gt 0 ]; do
        case $1 in
        --build-dir) build=$2; shift 2 ;;
        --quiet) quiet=1; shift ;;
        --fresh) fresh=1; shift ;;
        --) shift; extra=("$@"); break ;;
        *) echo "run.sh: unknown argument \"$1\"; accepted: --build-dir DIR, --fresh, --quiet, -- LIBFUZZER_ARGS" >&2; exit 2 ;;
        esac
done
case $seconds in ''|*[!0-9]*) echo "run.sh: SECONDS=\"$seconds\": expected a whole number" >&2; exit 2 ;; esac

if [ "$harness" = all ]; then
        rc=0
        for f in "$here"/fuzz-*.c; do
                h=$(basename "$f" .c); h=${h#fuzz-}
                case $h in main|procfs) continue ;; esac
                "$0" "$h" "$seconds" --build-dir "$build" $([ $quiet = 1 ] && echo --quiet) $([ $fresh = 1 ] && echo --fresh) \
                        -- "${extra[@]}" || rc=1
        done
        exit $rc
fi
[ -f "$here/fuzz-$harness.c" ] || { echo "run.sh: no harness \"$harness\"; accepted: all $(cd "$here" && ls fuzz-*.c | sed 's/^fuzz-//; s/\.c$//' | grep -vx 'main\|procfs' | tr '\n' ' ')" >&2; exit 2; }

clang=${CC_FUZZ:-clang}
if ! command -v "$clang" >/dev/null; then
        echo "SKIP: $clang not found (build-aux/deps.sh installs it): cannot build libFuzzer harnesses" >&2
        exit 77
fi
if ! printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' |
        "$clang" -fsanitize=fuzzer,address -x c - -o /dev/null 2>/dev/null; then
        echo "SKIP: $clang cannot link -fsanitize=fuzzer (no libFuzzer runtime)" >&2
        exit 77
fi

# One build for every harness; tests running at once take turns.
(
        flock 9
        if [ ! -f "$build/build.ninja" ]; then
                CC=$clang meson setup "$build" "$src" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
                        -Dbpf=disabled -Dkernel_tests=false -Dvm_tests=false -Dfuzz_seconds=0 >"$build.setup.log" 2>&1 ||
                        { cat "$build.setup.log"; exit 1; }
        fi
        # A harness added since the build was configured needs a reconfigure first.
        meson compile -C "$build" "fuzz-$harness" >"$build.compile.log" 2>&1 ||
                { meson setup --reconfigure "$build" >>"$build.compile.log" 2>&1 &&
                  meson compile -C "$build" "fuzz-$harness" >>"$build.compile.log" 2>&1; } ||
                { tail -40 "$build.compile.log"; exit 1; }
) 9>"$build.lock" || { echo "FAIL: cannot build fuzz-$harness with $clang (in $build)"; exit 1; }

corpus=$build/corpus/$harness artifacts=$build/artifacts/$harness log=$build/logs/$harness.log
if [ $fresh = 1 ]; then
        # Short runs explore from the seeds: a grown corpus would take all their time to load.
        corpus=$(mktemp -d "$build/fresh-$harness.XXXXXX") log=$build/logs/$harness.fresh.log
        trap 'rm -rf "$corpus"' EXIT
fi
mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
[ -n "$(ls -A "$corpus")" ] || "$here/make-seeds.sh" "$harness" "$corpus" || exit 1
regress=$here/regress/$harness
dict=()
[ -f "$here/$harness.dict" ] && dict=(-dict="$here/$harness.dict")

start=$(date +%s)
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$build/tests/fuzz/fuzz-$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 -artifact_prefix="$artifacts/" "${dict[@]}" \
        "${extra[@]}" "$corpus" "$regress" >"$log" 2>&1
rc=$?
end=$(date +%s)
runs=$(grep -a -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
cov=$(grep -a -o 'cov: [0-9]*' "$log" | tail -1)
echo "fuzz-$harness: $((end - start)) s, ${runs:-?} runs, ${cov:-cov: ?}, corpus $(ls "$corpus" | wc -l) files, exit $rc (log: $log)"
if [ $rc -ne 0 ]; then
        grep -a -E 'ERROR|SUMMARY|runtime error|Test unit written|check failed|error message|wrote invalid|accepted invalid|does not|exact' "$log" | head -20
        echo "FAIL: fuzz-$harness found a crash; inputs in $artifacts/. Fix it, then keep the input:"
        echo "  cp $artifacts/crash-* $regress/"
        exit 1
fi
[ $quiet = 1 ] || tail -5 "$log"
exit 0
