#!/bin/sh
# Benchmark: configure and build /usr/src/googletest (CMake, make -j2)
# natively and under `sydbox -p paludis` with the build tree allowlisted,
# interleaved (native, sydbox, native, sydbox, ...) in one invocation, and
# print the median wall time of each and the ratio to native.
# Usage: bench/googletest-build.sh [PAIRS] (default 3); SYDBOX=path/to/sydbox
set -eu
PAIRS=${1:-3}
SYDBOX=${SYDBOX:-$(dirname "$0")/../build/sydbox}
SRC=/usr/src/googletest
[ -r "$SRC/CMakeLists.txt" ] || { echo "bench: $SRC is missing (Debian package googletest)"; exit 0; }
work=$(mktemp -d /tmp/sydbox-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
build() {  # $1 = native|paludis|locked|dumped, $2 = build dir
  case $1 in
    native) sh -c "cmake -S $SRC -B $2 >/dev/null && make -C $2 -j2 >/dev/null" ;;
    paludis) "$SYDBOX" --stats -p paludis -m "allowlist/write+$2/***" -- \
               sh -c "cmake -S $SRC -B $2 >/dev/null && make -C $2 -j2 >/dev/null" 2>>"$work/violations" ;;
    all) "$SYDBOX" --stats -p paludis -m core/trace/runtime_categories:all -m "allowlist/write+$2/***" -- \
               sh -c "cmake -S $SRC -B $2 >/dev/null && make -C $2 -j2 >/dev/null" 2>>"$work/all.err" ;;
    locked) "$SYDBOX" --stats -l -p paludis -m "allowlist/write+$2/***" -- \
               sh -c "cmake -S $SRC -B $2 >/dev/null && make -C $2 -j2 >/dev/null" 2>>"$work/locked.err" ;;
    # --dump: every answered call written as a JSON line (issue 12).
    dumped) "$SYDBOX" --stats -p paludis --dump "$work/dump.jsonl" -m "allowlist/write+$2/***" -- \
               sh -c "cmake -S $SRC -B $2 >/dev/null && make -C $2 -j2 >/dev/null" 2>>"$work/dumped.err"
            wc -l < "$work/dump.jsonl" >> "$work/dumped.lines" ;;
  esac
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

i=0
while [ "$i" -lt "$PAIRS" ]; do
  for mode in native paludis all locked dumped; do
    dir="$work/$mode-$i"
    t0=$(now); build "$mode" "$dir"; t1=$(now)
    echo "$t1 - $t0" | bc >> "$work/$mode.times"
    rm -rf "$dir"
  done
  i=$((i + 1))
done
n=$(median < "$work/native.times")
p=$(median < "$work/paludis.times")
l=$(median < "$work/locked.times")
a=$(median < "$work/all.times")
# Round trips to the supervisor per build (from --stats): they do not drift.
trips() { grep -h '"event":"stats"' "$1" 2>/dev/null | sed 's/.*"notifications":\([0-9]*\).*/\1/' | median; }
echo "machine: nproc=$(nproc) kernel=$(uname -r)"
echo "googletest build (cmake + make -j2), $PAIRS interleaved rounds, median wall seconds:"
printf '| workload | configuration | median | ratio to native | round trips |\n|---|---|---|---|---|\n'
printf '| googletest build | native | %.2f s | 1.000 | |\n' "$n"
printf '| googletest build | sydbox -p paludis (magic unlocked) | %.2f s | %.3f | %s |\n' "$p" "$(echo "$p / $n" | bc -l)" "$(trips "$work/violations")"
printf '| googletest build | sydbox -p paludis, every category switchable at run time (runtime_categories:all) | %.2f s | %.3f | %s |\n' "$a" "$(echo "$a / $n" | bc -l)" "$(trips "$work/all.err")"
printf '| googletest build | sydbox -p paludis --lock | %.2f s | %.3f | %s |\n' "$l" "$(echo "$l / $n" | bc -l)" "$(trips "$work/locked.err")"
d=$(median < "$work/dumped.times")
printf '| googletest build | sydbox -p paludis --dump FILE | %.2f s | %.3f | %s (%s dump lines) |\n' "$d" "$(echo "$d / $n" | bc -l)" "$(trips "$work/dumped.err")" "$(median < "$work/dumped.lines")"
echo "runs (native): $(tr '\n' ' ' < "$work/native.times")"
echo "runs (paludis): $(tr '\n' ' ' < "$work/paludis.times")"
echo "runs (runtime_categories:all): $(tr '\n' ' ' < "$work/all.times")"
echo "runs (paludis --lock): $(tr '\n' ' ' < "$work/locked.times")"
echo "runs (paludis --dump): $(tr '\n' ' ' < "$work/dumped.times")"
v=$(cat "$work/violations" 2>/dev/null | grep -c '"event":"violation"' || true)
echo "violations reported: ${v:-0}"
