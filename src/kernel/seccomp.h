// seccomp(2) and the user-notification ioctls. The only code that issues
// SECCOMP_IOCTL_NOTIF_*; handlers see the NotifyFd interface so tests can
// substitute a double. Constants newer than the 6.1 headers are defined here.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>

#include <cstdint>
#include <vector>

#include "util/error.h"
#include "util/unique_fd.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1)
#endif
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

namespace syd::kernel {

// Installs `prog` on the calling thread with a new listener and returns it.
// Sets no-new-privs first. Async-signal-safe enough for a forked child
// (no allocation).
int InstallFilterWithListener(const sock_filter* prog, unsigned short len, int* err);

class NotifyFd {
 public:
  virtual ~NotifyFd() = default;
  // Blocks for the next notification; EINTR/ENOENT come back as errors.
  virtual Result<seccomp_notif> Receive() = 0;
  // Whether a notification is queued that nobody has received yet.
  virtual bool Pending() = 0;
  // True once no process can ever notify again (every process that had the
  // filter has been reaped): RECV then fails at once, forever.
  virtual bool HungUp() { return false; }
  // SECCOMP_IOCTL_NOTIF_ID_VALID: false once the tracee is gone.
  virtual bool StillValid(uint64_t id) = 0;
  virtual Status Respond(const seccomp_notif_resp& resp) = 0;
  // Installs `fd` in the tracee and completes its call with the new number.
  virtual Result<int> AddFdAndSend(uint64_t id, int fd, uint32_t newfd_flags) = 0;
};

class ListenerFd final : public NotifyFd {
 public:
  explicit ListenerFd(UniqueFd fd) : fd_(std::move(fd)) {}
  int get() const { return fd_.get(); }
  Result<seccomp_notif> Receive() override;
  bool Pending() override;
  bool HungUp() override;
  bool StillValid(uint64_t id) override;
  Status Respond(const seccomp_notif_resp& resp) override;
  Result<int> AddFdAndSend(uint64_t id, int fd, uint32_t newfd_flags) override;

 private:
  UniqueFd fd_;
};

}  // namespace syd::kernel
