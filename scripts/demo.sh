#!/bin/sh
# A short demonstration: write sandboxing with an allowlist, a violation
# report, and the exit status of the sandboxed command.
set -u
SYDBOX=${SYDBOX:-build/sydbox}
dir=$(mktemp -d /tmp/sydbox-demo.XXXXXX)
trap 'rm -rf "$dir"' EXIT
echo "\$ sydbox -m core/sandbox/write:deny -m 'allowlist/write+$dir/***' -- sh -c 'touch $dir/ok; touch /etc/nope'"
"$SYDBOX" --log-format human -m core/sandbox/write:deny -m "allowlist/write+$dir/***" -- \
  sh -c "touch $dir/ok; touch /etc/nope"
echo "exit status: $?"
[ -e "$dir/ok" ] && echo "created: $dir/ok"
[ -e /etc/nope ] || echo "absent:  /etc/nope"
echo
echo "\$ sydbox match '/tmp/***' /tmp /tmp/a/b /var/tmp --explain"
"$SYDBOX" match --explain '/tmp/***' /tmp /tmp/a/b /var/tmp
echo
echo "A build script widens its own sandbox through magic stat:"
"$SYDBOX" --log-format human -m core/sandbox/write:deny -m 'allowlist/write+/dev/null' -- sh -c \
  "touch $dir/before 2>/dev/null || echo 'denied: $dir/before'; \
   [ -e '/dev/sydbox/allowlist/write+$dir/***' ] && touch $dir/after && echo 'allowed: $dir/after'"
