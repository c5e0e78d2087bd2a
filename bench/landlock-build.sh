#!/bin/sh
# Benchmark: the googletest build (CMake, make -j2) natively, under read
# sandboxing in deny mode (every open notified and performed by sydbox)
# and in landlock mode (the same allowlist as a Landlock ruleset, opens
# never notified), interleaved in one invocation; median wall and CPU
# seconds and ratios to native. Runtime configuration locked (-l) in
# both, so the only difference is how reads are checked.
# Usage: bench/landlock-build.sh [ROUNDS] (default 3); SYDBOX=path/to/sydbox
set -eu
ROUNDS=${1:-3}
SYDBOX=${SYDBOX:-$(dirname "$0")/../build/sydbox}
SRC=/usr/src/googletest
[ -r "$SRC/CMakeLists.txt" ] || { echo "bench: $SRC is missing (Debian package googletest)"; exit 0; }
work=$(mktemp -d /tmp/sydbox-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

allow=""
for p in /usr /etc /lib /lib64 /bin /sbin /proc /sys /dev /tmp /var "${HOME:-/root}"; do
  [ -e "$p" ] && allow="$allow -m allowlist/read+$p/***"
done
now() { date +%s.%N; }
cpu() { awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat; }  # this shell's children, in ticks
build() {  # $1 = native|deny|landlock, $2 = build dir
  cmd="cmake -S $SRC -B $2 >/dev/null && make -C $2 -j2 >/dev/null"
  case $1 in
    native) sh -c "$cmd" ;;
    # shellcheck disable=SC2086
    deny) "$SYDBOX" --stats -l -m core/sandbox/read:deny $allow -- sh -c "$cmd" 2>>"$work/deny.err" ;;
    # shellcheck disable=SC2086
    landlock) "$SYDBOX" --stats -l -m core/sandbox/read:landlock $allow -- sh -c "$cmd" 2>>"$work/landlock.err" ;;
  esac
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

i=0
while [ "$i" -lt "$ROUNDS" ]; do
  for mode in native deny landlock; do
    dir="$work/$mode-$i"
    c0=$(cpu); t0=$(now); build "$mode" "$dir"; t1=$(now); c1=$(cpu)
    echo "$t1 - $t0" | bc >> "$work/$mode.times"
    echo "($c1 - $c0) / $(getconf CLK_TCK)" | bc -l >> "$work/$mode.cpu"
    rm -rf "$dir"
  done
  i=$((i + 1))
done
violations=$(grep -c '"violation"' "$work/deny.err" "$work/landlock.err" | tr '\n' ' ')
trips() { grep -h '"event":"stats"' "$1" 2>/dev/null | sed 's/.*"notifications":\([0-9]*\).*/\1/' | median; }
n=$(median < "$work/native.times"); nc=$(median < "$work/native.cpu")
echo "machine: nproc=$(nproc) kernel=$(uname -r) $(date -u +%Y-%m-%dT%H:%MZ)"
echo "googletest build (cmake + make -j2), read sandboxing, $ROUNDS interleaved rounds, medians:"
printf '| configuration | wall | wall ratio | CPU | CPU ratio | round trips |\n|---|---|---|---|---|---|\n'
for mode in native deny landlock; do
  w=$(median < "$work/$mode.times"); c=$(median < "$work/$mode.cpu")
  label=$mode
  [ "$mode" = deny ] && label="sydbox -l read:deny + allowlist (notified)"
  [ "$mode" = landlock ] && label="sydbox -l read:landlock, same allowlist"
  printf '| %s | %.2f s | %.3f | %.2f s | %.3f | %s |\n' "$label" "$w" "$(echo "$w / $n" | bc -l)" "$c" \
    "$(echo "$c / $nc" | bc -l)" "$(trips "$work/$mode.err")"
done
echo "violations (deny, landlock): $violations"
for mode in native deny landlock; do echo "runs ($mode): $(tr '\n' ' ' < "$work/$mode.times")"; done
