#include "kernel/seccomp.h"

#include <errno.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace syd::kernel {

int InstallFilterWithListener(const sock_filter* prog, unsigned short len, int* err) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    *err = errno;
    return -1;
  }
  sock_fprog fprog{len, const_cast<sock_filter*>(prog)};
  long fd = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
                    SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &fprog);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  return static_cast<int>(fd);
}

Result<seccomp_notif> ListenerFd::Receive() {
  seccomp_notif req;
  std::memset(&req, 0, sizeof req);
  if (ioctl(fd_.get(), SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) return Fail(errno, "SECCOMP_IOCTL_NOTIF_RECV");
  return req;
}

bool ListenerFd::Pending() {
  // The listener polls readable while a notification is unreceived; a zero
  // timeout never sleeps.
  pollfd p{fd_.get(), POLLIN, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

bool ListenerFd::HungUp() {
  // POLLHUP once the filter has no users left (Linux 5.8+).
  pollfd p{fd_.get(), POLLIN, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLHUP);
}

bool ListenerFd::StillValid(uint64_t id) {
  return ioctl(fd_.get(), SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

Status ListenerFd::Respond(const seccomp_notif_resp& resp) {
  seccomp_notif_resp r = resp;
  if (ioctl(fd_.get(), SECCOMP_IOCTL_NOTIF_SEND, &r) != 0) return Fail(errno, "SECCOMP_IOCTL_NOTIF_SEND");
  return {};
}

Result<int> ListenerFd::AddFdAndSend(uint64_t id, int fd, uint32_t newfd_flags) {
  seccomp_notif_addfd add;
  std::memset(&add, 0, sizeof add);
  add.id = id;
  add.flags = SECCOMP_ADDFD_FLAG_SEND;
  add.srcfd = static_cast<uint32_t>(fd);
  add.newfd = 0;
  add.newfd_flags = newfd_flags;
  int r = ioctl(fd_.get(), SECCOMP_IOCTL_NOTIF_ADDFD, &add);
  if (r < 0) return Fail(errno, "SECCOMP_IOCTL_NOTIF_ADDFD");
  return r;
}

}  // namespace syd::kernel
