#!/bin/sh
# Builds and runs every test: unit and integration tests as the current
# user, then the integration tests again as an unprivileged user (uid
# 65534) when running as root, and a short run of each fuzz target.
set -eu
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
ninja -C build
# pandora report's test renders its page in headless Chromium: a test
# dependency only, installed here when missing (as root; else it is skipped).
if [ "$(id -u)" = 0 ] && ! command -v chromium >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends chromium >/dev/null; } ||
    echo "test.sh: chromium could not be installed: the report's rendering test is skipped"
fi
(cd build && ctest --output-on-failure -j2)
if [ "$(id -u)" = 0 ]; then
  # The unprivileged user must reach the binaries: run copies from /tmp.
  copy=$(mktemp -d /tmp/sydbox-unpriv.XXXXXX)
  trap 'rm -rf "$copy"' EXIT
  cp build/sydbox build/pandora build/tests/syd-* build/tests/integration_test "$copy/"
  cp -r build/modules "$copy/modules"  # found next to sydbox by name
  chmod -R a+rX "$copy"
  echo "== integration tests as uid 65534 =="
  SYDBOX_BIN="$copy/sydbox" PANDORA_BIN="$copy/pandora" SYD_HELPER_DIR="$copy" HOME=/tmp \
    setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
    "$copy/integration_test" --gtest_brief=1
fi
if command -v clang++ >/dev/null 2>&1; then
  # Each parser's fuzz target for FUZZ_SECONDS (default 10) from its corpus
  # in fuzz/. Whoever changes a parser runs them for minutes first
  # (FUZZ_SECONDS=600, the nightly length); docs/FUZZING.md says how, and
  # how to turn a finding into a corpus entry and a regression test.
  echo "== fuzzing (short runs) =="
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DSYD_BUILD_FUZZ=ON -DSYD_BUILD_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  t=${FUZZ_SECONDS:-10}
  for target in config:corpus rule:corpus-rule rule_compile:corpus-compile sockaddr:corpus-sockaddr \
                match:corpus-match lines:corpus-lines \
                profile:corpus-profile minisign:corpus-minisign settings:corpus-settings dump:corpus-dump \
                report:corpus-report; do
    name=${target%%:*}; corpus=${target#*:}
    ninja -C build-fuzz "fuzz_$name" >/dev/null
    mkdir -p "build-fuzz/$corpus"
    [ -d "fuzz/$corpus" ] && cp -r "fuzz/$corpus/." "build-fuzz/$corpus/"
    log="build-fuzz/fuzz_$name.log"
    if ! "build-fuzz/fuzz/fuzz_$name" -max_total_time="$t" -timeout=10 "build-fuzz/$corpus" >"$log" 2>&1; then
      tail -40 "$log"
      echo "fuzz_$name found a crash (above; the input is in the current directory)"
      exit 1
    fi
    echo "fuzz_$name: $(tail -1 "$log")"
  done
fi
echo "all tests passed"
