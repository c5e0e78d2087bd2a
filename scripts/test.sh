#!/bin/sh
# Builds and runs every test: unit and integration tests as the current
# user, then the integration tests again as an unprivileged user (uid
# 65534) when running as root, and a short run of each fuzz target.
set -eu
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
ninja -C build
(cd build && ctest --output-on-failure -j2)
if [ "$(id -u)" = 0 ]; then
  # The unprivileged user must reach the binaries: run copies from /tmp.
  copy=$(mktemp -d /tmp/sydbox-unpriv.XXXXXX)
  trap 'rm -rf "$copy"' EXIT
  cp build/sydbox build/pandora build/tests/syd-test-helper build/tests/syd-attack build/tests/integration_test "$copy/"
  chmod -R a+rX "$copy"
  echo "== integration tests as uid 65534 =="
  SYDBOX_BIN="$copy/sydbox" PANDORA_BIN="$copy/pandora" SYD_TEST_HELPER="$copy/syd-test-helper" \
    SYD_ATTACK_HELPER="$copy/syd-attack" HOME=/tmp \
    setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
    "$copy/integration_test" --gtest_brief=1
fi
if command -v clang++ >/dev/null 2>&1; then
  echo "== fuzzing (short runs) =="
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DSYD_BUILD_FUZZ=ON -DSYD_BUILD_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  ninja -C build-fuzz fuzz_config fuzz_rule fuzz_rule_compile
  mkdir -p build-fuzz/corpus build-fuzz/corpus-rule build-fuzz/corpus-compile
  cp fuzz/corpus/* build-fuzz/corpus/
  cp fuzz/corpus-rule/* build-fuzz/corpus-rule/
  t=${FUZZ_SECONDS:-20}
  build-fuzz/fuzz/fuzz_config -max_total_time="$t" -timeout=10 build-fuzz/corpus
  build-fuzz/fuzz/fuzz_rule -max_total_time="$t" -timeout=10 build-fuzz/corpus-rule
  build-fuzz/fuzz/fuzz_rule_compile -max_total_time="$t" -timeout=10 build-fuzz/corpus-compile
fi
echo "all tests passed"
