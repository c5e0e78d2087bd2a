// Acting as the caller: a worker thread takes the caller's filesystem
// identity for the length of one operation. Per thread: setfsuid and
// setfsgid change only the calling thread (glibc does not broadcast them).
#pragma once

#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel/proc.h"

namespace syd::supervisor {

// Runs `fn` with the caller's filesystem identity on this thread.
template <class Fn>
auto AsCaller(const kernel::Creds& cr, bool switch_ids, Fn fn) {
  uid_t old_uid = 0;
  gid_t old_gid = 0;
  if (switch_ids) {
    old_gid = static_cast<gid_t>(syscall(SYS_setfsgid, cr.fsgid));
    old_uid = static_cast<uid_t>(syscall(SYS_setfsuid, cr.fsuid));
  }
  auto r = fn();
  if (switch_ids) {
    syscall(SYS_setfsuid, old_uid);
    syscall(SYS_setfsgid, old_gid);
  }
  return r;
}

}  // namespace syd::supervisor
