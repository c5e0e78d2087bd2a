#!/bin/sh
# sydbox benchmarks: every workload natively and under each configuration,
# runs interleaved (native, config, native, config, ...) in one invocation;
# prints the median time of each and the ratio to native (and, where the
# budget is per call, the overhead per call against the minimal CONTINUE
# supervisor's). Usage: bench/run.sh [--quick] [--no-build]
#   BUILD=build (the CMake build directory)
set -eu
cd "$(dirname "$0")/.."
B=${BUILD:-build}
SYD=$B/sydbox
L=$B/bench/syd-bench-loops
ALLOW=$B/bench/syd-bench-seccomp-allow
CONT=$B/bench/syd-bench-notify-continue
ROUNDS=5
SCALE=1
WITH_BUILD=1
for a in "$@"; do
  case $a in
    --quick) ROUNDS=3; SCALE=4 ;;
    --no-build) WITH_BUILD=0 ;;
  esac
done
for f in "$SYD" "$L" "$ALLOW" "$CONT"; do
  [ -x "$f" ] || { echo "bench: $f is missing: build first (cmake --build $B)"; exit 1; }
done
work=$(mktemp -d /tmp/sydbox-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "nan"} else {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}}'; }
now() { date +%s%N; }

echo "machine: nproc=$(nproc) kernel=$(uname -r) $(date -u +%Y-%m-%dT%H:%MZ)"
echo
printf '| workload | configuration | median | ratio to native | per call over native |\n'
printf '|---|---|---|---|---|\n'

# loop WORKLOAD N PATH CONFIG...: each CONFIG is "label|command prefix".
loop() {
  name=$1; n=$2; path=$3; shift 3
  i=0
  while [ "$i" -lt "$ROUNDS" ]; do
    for cfg in "native|" "$@"; do
      label=${cfg%%|*}; prefix=${cfg#*|}
      # shellcheck disable=SC2086
      ns=$($prefix $L "$name" "$n" "$path" 2>>"$work/stderr" | tail -1)
      echo "$ns" >> "$work/$name.$label"
    done
    i=$((i + 1))
  done
  base=$(median < "$work/$name.native")
  for cfg in "native|" "$@"; do
    label=${cfg%%|*}
    m=$(median < "$work/$name.$label")
    awk -v w="$name x$n" -v l="$label" -v m="$m" -v b="$base" -v n="$n" \
      'BEGIN {printf "| %s | %s | %.1f ms | %.3f | %+.3f µs |\n", w, l, m/1e6, m/b, (m-b)/n/1000}'
  done
}

P="-p paludis"
loop open $((200000 / SCALE)) /etc/passwd "seccomp-bpf allow-all|$ALLOW" "sydbox $P|$SYD $P --"
loop stat $((200000 / SCALE)) /etc/passwd "seccomp-bpf allow-all|$ALLOW" "sydbox $P --lock|$SYD $P --lock --" \
  "CONTINUE supervisor (stat)|$CONT stat --" "CONTINUE supervisor + SYNC_WAKE_UP (stat)|env NOTIFY_SYNC=1 $CONT stat --" \
  "sydbox $P (magic unlocked)|$SYD $P --"
loop getpid $((2000000 / SCALE)) - "seccomp-bpf allow-all|$ALLOW" "sydbox $P|$SYD $P --"
# Issue 15: a trace rule decided by a module (fakeid, answering a value)
# against one decided by the built-in code (fault=, answering an errno):
# both answer in user space without CONTINUE.
loop getuid $((100000 / SCALE)) - "trace rule, built in (fault=EPERM)|$SYD -m sys/trace+getuid:fault=EPERM --" \
  "trace rule, module (load=fakeid:uid=0)|$SYD -m sys/trace+getuid:load=fakeid:uid=0 --"
loop creat $((20000 / SCALE)) "$work/created" "CONTINUE supervisor (open)|$CONT open --" \
  "CONTINUE supervisor + SYNC_WAKE_UP (open)|env NOTIFY_SYNC=1 $CONT open --" \
  "ADDFD supervisor + SYNC_WAKE_UP (open, unchecked)|env NOTIFY_SYNC=1 NOTIFY_ADDFD=1 $CONT open --" \
  "sydbox write:deny + allowlist|$SYD -m core/sandbox/write:deny -m allowlist/write+$work/*** --"
# chmod: performed by the supervisor on an O_PATH handle of the checked
# file (issue 10), against the CONTINUE round trip that only checks.
: > "$work/chmod-target"
loop chmod $((20000 / SCALE)) "$work/chmod-target" "CONTINUE supervisor (chmod)|$CONT chmod --" \
  "CONTINUE supervisor + SYNC_WAKE_UP (chmod)|env NOTIFY_SYNC=1 $CONT chmod --" \
  "sydbox write:deny + allowlist|$SYD -m core/sandbox/write:deny -m allowlist/write+$work/*** --"
# The two per-call budget lines: sydbox's overhead over native divided by
# the minimal supervisor's, against the reference with the same wake-up
# mode as sydbox (SYNC_WAKE_UP) and, for the open, the race-free floor.
percall() {
  nat=$(median < "$work/$1.native"); a=$(median < "$work/$1.$2"); b=$(median < "$work/$1.$3")
  awk -v w="$1" -v x="$2" -v y="$3" -v n="$nat" -v a="$a" -v b="$b" \
    'BEGIN {printf "| %s: per-call overhead of \"%s\" / \"%s\" | | | %.2f | |\n", w, x, y, (a-n)/(b-n)}'
}
percall stat "sydbox $P (magic unlocked)" "CONTINUE supervisor + SYNC_WAKE_UP (stat)"
percall creat "sydbox write:deny + allowlist" "CONTINUE supervisor + SYNC_WAKE_UP (open)"
percall creat "sydbox write:deny + allowlist" "ADDFD supervisor + SYNC_WAKE_UP (open, unchecked)"
percall chmod "sydbox write:deny + allowlist" "CONTINUE supervisor + SYNC_WAKE_UP (chmod)"
# Names created, removed and renamed (mkdir+rmdir, unlink, rename back and
# forth), performed by sydbox race-free, against the CONTINUE round trip
# of the same calls; budget: per-call overhead <= 2x the reference's. On
# tmpfs where there is one: on this VM's ext4 (mounted with discard) each
# rmdir waits milliseconds for the disk, which drowns the per-call figure.
names=$work
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  names=$(mktemp -d /dev/shm/sydbox-bench.XXXXXX)
  trap 'rm -rf "$work" "$names"' EXIT
fi
for w in mkdir unlink rename; do
  loop $w $((20000 / SCALE)) "$names/$w.x" "CONTINUE supervisor (names)|$CONT names --" \
    "CONTINUE supervisor + SYNC_WAKE_UP (names)|env NOTIFY_SYNC=1 $CONT names --" \
    "sydbox write:deny + allowlist|$SYD -m core/sandbox/write:deny -m allowlist/write+$names/*** --"
done
for w in mkdir unlink rename; do
  percall $w "sydbox write:deny + allowlist" "CONTINUE supervisor + SYNC_WAKE_UP (names)"
done
# Why the per-call lines cost what they cost: context switches and
# cross-CPU wake-ups (IPIs) per call, system-wide, when perf can count them
# (root or kernel.perf_event_paranoid <= 0). On a VM whose idle vCPUs halt,
# every IPI that wakes one costs tens of µs.
if command -v perf >/dev/null 2>&1 && perf stat -a -e context-switches true >/dev/null 2>&1; then
  n=$((20000 / SCALE))
  echo
  printf '| creat x%s, per call | context switches | CPU migrations | IPIs (call-function-single) |\n|---|---|---|---|\n' "$n"
  for cfg in "CONTINUE supervisor + SYNC_WAKE_UP (open)|env NOTIFY_SYNC=1 $CONT open --" \
             "ADDFD supervisor + SYNC_WAKE_UP (open, unchecked)|env NOTIFY_SYNC=1 NOTIFY_ADDFD=1 $CONT open --" \
             "sydbox write:deny + allowlist|$SYD -m core/sandbox/write:deny -m allowlist/write+$work/*** --"; do
    label=${cfg%%|*}; prefix=${cfg#*|}
    # shellcheck disable=SC2086
    perf stat -a -x, -e context-switches,cpu-migrations,irq_vectors:call_function_single_entry -o "$work/perf" \
      $prefix $L creat "$n" "$work/created" >/dev/null 2>&1 || true
    awk -F, -v n="$n" -v l="$label" '/^[0-9]/ {v[++k] = $1 / n}
      END {if (k == 3) printf "| %s | %.2f | %.2f | %.2f |\n", l, v[1], v[2], v[3]}' "$work/perf"
  done
  echo
fi
loop threads $((200000 / SCALE)) /etc/passwd "seccomp-bpf allow-all|$ALLOW" "sydbox $P|$SYD $P --" \
  "sydbox read:allow (every open notified)|$SYD -m core/sandbox/read:allow --"
# Under exec sandboxing each exec is decided twice (docs/SECURITY.md,
# "exec"): an attach and a ptrace stop per exec; under $P (exec off)
# nothing is attached.
loop forkexec $((1000 / SCALE)) - "seccomp-bpf allow-all|$ALLOW" "sydbox $P|$SYD $P --" \
  "sydbox exec:deny + allowlist|$SYD -m core/sandbox/exec:deny -m allowlist/exec+/*** --"

# Start-up: sydbox -- true against true, wall time of 20 runs.
i=0
while [ "$i" -lt "$ROUNDS" ]; do
  t0=$(now); for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do /bin/true; done; t1=$(now)
  echo $(( (t1 - t0) / 20 )) >> "$work/start.native"
  t0=$(now); for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do "$SYD" -- /bin/true; done; t1=$(now)
  echo $(( (t1 - t0) / 20 )) >> "$work/start.sydbox"
  i=$((i + 1))
done
sn=$(median < "$work/start.native"); ss=$(median < "$work/start.sydbox")
awk -v a="$sn" -v b="$ss" 'BEGIN {printf "| start-up | true | %.2f ms | 1.000 | |\n| start-up | sydbox -- true | %.2f ms | %.1f | |\n", a/1e6, b/1e6, b/a}'

# References where installed.
for tool in strace bwrap firejail; do
  command -v "$tool" >/dev/null 2>&1 || echo "| (reference) | $tool | not installed | | |"
done
if command -v strace >/dev/null 2>&1; then
  loop stat $((50000 / SCALE)) /etc/passwd "strace -f|strace -f -qq -o /dev/null"
fi

# Hot paths (Google Benchmark), when built: and the 10,000-vs-10 patterns
# ratio per check, a budget line of its own.
MICRO=$B/bench/syd-bench-micro
if [ -x "$MICRO" ]; then
  echo
  "$MICRO" --benchmark_min_time=0.2 2>/dev/null | tee "$work/micro" | grep -E '^(Benchmark|BM_)'
  awk '$1 == "BM_PatternCheck/10" {a = $2} $1 == "BM_PatternCheck/10000" {b = $2}
       END {if (a > 0) printf "pattern check, 10,000 vs 10 patterns: %.2fx\n", b / a}' "$work/micro"
else
  echo "(Google Benchmark hot paths: $MICRO not built)"
fi

if [ "$WITH_BUILD" = 1 ]; then
  echo
  sh bench/googletest-build.sh 3
  # Read sandboxing notified (deny) against the same allowlist as a
  # Landlock ruleset (landlock mode): goal <= 1.03x native for landlock.
  echo
  sh bench/landlock-build.sh 3
fi
