// Landlock (Documentation/userspace-api/landlock.rst): detecting the ABI and
// putting the calling process in a new domain. Sydbox uses a domain for
// what Landlock scopes regardless of rules: a process in a domain cannot
// use ptrace-checked access (pidfd_getfd, process_vm_readv, /proc/PID/mem,
// fd/ links...) on processes outside it, and with LANDLOCK_SCOPE_SIGNAL
// (ABI 6) cannot signal them either.
#pragma once

#include <cstdint>

namespace syd::kernel {

// The Landlock ABI version the running kernel offers; 0 when Landlock is
// absent or disabled.
int LandlockAbi();

struct LandlockDomain {
  uint64_t scoped = 0;          // LANDLOCK_SCOPE_* (ABI 6)
  // Handle MAKE_BLOCK (and REFER from ABI 2), granted beneath "/": a
  // domain that restricts nothing. (On ABI 1 such a domain refuses moving
  // a file to another directory: Landlock's reparenting rule.)
  bool handled_make_block = false;
};

// Restricts the calling thread (and what it executes) to a new domain.
// Needs no_new_privs already set. Async-signal-safe (for a forked child):
// returns 0 or an errno.
int LandlockRestrictSelf(const LandlockDomain& d);

}  // namespace syd::kernel
