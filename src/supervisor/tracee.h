// The caller of one notification, as the supervisor reaches it: reads of
// its memory, copies of its descriptors, signals. Every way in goes
// through here so that none acts on a process that merely has the
// caller's pid now (the caller may be killed at any time and its pid
// reused):
//  - data read from its memory is trusted only after Valid() (the
//    notification id is checked once more after the reads);
//  - its descriptors and signals go through a pidfd that Pidfd() opened
//    and then confirmed with the notification id, so the pidfd refers to
//    the caller's process for good.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "kernel/seccomp.h"
#include "util/error.h"
#include "util/unique_fd.h"

namespace syd::supervisor {

class Tracee {
 public:
  Tracee(kernel::NotifyFd& nfd, uint64_t id, pid_t tid) : nfd_(nfd), id_(id), tid_(tid) {}
  Tracee(const Tracee&) = delete;
  Tracee& operator=(const Tracee&) = delete;

  pid_t tid() const { return tid_; }
  // The caller's thread group id, computed once.
  pid_t Tgid();
  bool tgid_known() const { return tgid_.has_value(); }
  // The tgid, found elsewhere (the process table: tid is the pid of a live
  // process it has an entry for). Like a read of the caller, trusted only
  // after the next Valid().
  void KnowTgid(pid_t tgid) {
    tgid_ = tgid;
    unconfirmed_ = true;
  }

  // Reads of the caller's memory; what they return is unconfirmed until
  // the next Valid().
  Result<std::string> ReadString(uint64_t addr, size_t max);
  // Reads the start of two strings in one process_vm_readv (rename, link,
  // symlink): ReadString of either then needs no system call of its own
  // when the string ends there. Each is still read exactly once.
  void PrefetchStrings(uint64_t a, uint64_t b);
  ssize_t ReadSome(uint64_t addr, void* buf, size_t len);
  Status ReadMemory(uint64_t addr, void* buf, size_t len);
  // Writes after confirming the notification (results of emulated calls).
  Status WriteMemory(uint64_t addr, const void* buf, size_t len);

  // SECCOMP_IOCTL_NOTIF_ID_VALID, asked only when something was read (or
  // nothing was ever confirmed) since the last answer: false once the
  // caller is gone; the notification must then be dropped.
  bool Valid();
  // Valid(), asked in any case: after reading what /proc says of the caller.
  bool Recheck() {
    unconfirmed_ = true;
    return Valid();
  }

  // A pidfd of the caller's process, confirmed; cached.
  Result<int> Pidfd();
  // A copy of the caller's descriptor `fd` (pidfd_getfd through Pidfd()).
  Result<UniqueFd> TakeFd(int fd);
  // Sends `sig` to the caller's process through Pidfd(); false if gone.
  bool SignalProcess(int sig);
  // Sends `sig` to the calling thread (tgkill), after confirming the
  // notification.
  bool SignalThread(int sig);

 private:
  kernel::NotifyFd& nfd_;
  const uint64_t id_;
  const pid_t tid_;
  std::optional<pid_t> tgid_;
  bool unconfirmed_ = true;  // read since the last successful check
  UniqueFd pidfd_;
  struct Prefetched {
    uint64_t addr = 0;
    size_t len = 0;  // bytes read
    char buf[256];
  };
  Prefetched pre_[2];
};

}  // namespace syd::supervisor
