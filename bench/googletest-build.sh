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
build() {  # $1 = native|paludis, $2 = build dir
  case $1 in
    native) sh -c "cmake -S $SRC -B $2 >/dev/null && make -C $2 -j2 >/dev/null" ;;
    paludis) "$SYDBOX" -p paludis -m "allowlist/write+$2/***" -- \
               sh -c "cmake -S $SRC -B $2 >/dev/null && make -C $2 -j2 >/dev/null" 2>>"$work/violations" ;;
  esac
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

i=0
while [ "$i" -lt "$PAIRS" ]; do
  for mode in native paludis; do
    dir="$work/$mode-$i"
    t0=$(now); build "$mode" "$dir"; t1=$(now)
    echo "$t1 - $t0" | bc >> "$work/$mode.times"
    rm -rf "$dir"
  done
  i=$((i + 1))
done
n=$(median < "$work/native.times")
p=$(median < "$work/paludis.times")
echo "machine: nproc=$(nproc) kernel=$(uname -r)"
echo "googletest build (cmake + make -j2), $PAIRS interleaved pairs, median wall seconds:"
printf '| workload | native | sydbox -p paludis | ratio |\n|---|---|---|---|\n'
printf '| googletest build | %.2f | %.2f | %.3f |\n' "$n" "$p" "$(echo "$p / $n" | bc -l)"
echo "runs (native): $(tr '\n' ' ' < "$work/native.times")"
echo "runs (paludis): $(tr '\n' ' ' < "$work/paludis.times")"
v=$(cat "$work/violations" 2>/dev/null | grep -c '"event":"violation"' || true)
echo "violations reported: ${v:-0}"
