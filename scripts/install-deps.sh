#!/bin/sh
# Installs the Debian 12 packages sydbox needs to build and test, if missing.
# Debian packages only; needs root (or sudo) when something is missing.
# Test-only: minisign (signature interoperability), openssl and libssl-dev
# (the HTTPS test server and its certificate).
set -eu
PKGS="build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
libseccomp-dev libpcre2-dev libcli11-dev libfmt-dev nlohmann-json3-dev
libtomlplusplus-dev libsodium-dev libcurl4-openssl-dev libgtest-dev
libgmock-dev libbenchmark-dev util-linux
minisign openssl libssl-dev"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
  echo "install-deps: all packages present"
  exit 0
fi
echo "install-deps: installing$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -q
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
