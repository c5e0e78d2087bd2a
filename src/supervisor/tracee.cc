#include "supervisor/tracee.h"

#include <errno.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "kernel/proc.h"

namespace syd::supervisor {

pid_t Tracee::Tgid() {
  if (!tgid_) {
    // Most callers lead their thread group: tgkill(tid, tid, 0) succeeds
    // exactly then, at the cost of one system call instead of /proc.
    if (syscall(SYS_tgkill, tid_, tid_, 0) == 0) {
      tgid_ = tid_;
    } else {
      auto t = kernel::TgidOf(tid_);
      tgid_ = t ? *t : tid_;
    }
  }
  return *tgid_;
}

Result<std::string> Tracee::ReadString(uint64_t addr, size_t max) {
  unconfirmed_ = true;
  for (Prefetched& p : pre_) {
    if (p.addr != addr || p.len == 0 || addr == 0) continue;
    const size_t n = std::min(p.len, max);
    p.len = 0;  // used once
    if (const void* nul = std::memchr(p.buf, '\0', n)) return std::string(p.buf, static_cast<const char*>(nul) - p.buf);
  }
  return kernel::ReadString(tid_, addr, max);
}

void Tracee::PrefetchStrings(uint64_t a, uint64_t b) {
  if (a == 0 || b == 0) return;
  constexpr uint64_t kPage = 4096;
  // As kernel::ReadString's first chunk: never across a page boundary.
  const size_t la = std::min<uint64_t>(sizeof pre_[0].buf, kPage - a % kPage);
  const size_t lb = std::min<uint64_t>(sizeof pre_[1].buf, kPage - b % kPage);
  iovec local[2] = {{pre_[0].buf, la}, {pre_[1].buf, lb}};
  iovec remote[2] = {{reinterpret_cast<void*>(a), la}, {reinterpret_cast<void*>(b), lb}};
  const ssize_t n = process_vm_readv(tid_, local, 2, remote, 2, 0);
  if (n <= 0) return;  // each is read on its own, with its own error
  pre_[0].addr = a;
  pre_[0].len = std::min<size_t>(static_cast<size_t>(n), la);
  pre_[1].addr = b;
  pre_[1].len = static_cast<size_t>(n) > la ? static_cast<size_t>(n) - la : 0;
}

ssize_t Tracee::ReadSome(uint64_t addr, void* buf, size_t len) {
  unconfirmed_ = true;
  return kernel::ReadSome(tid_, addr, buf, len);
}

Status Tracee::ReadMemory(uint64_t addr, void* buf, size_t len) {
  unconfirmed_ = true;
  return kernel::ReadMemory(tid_, addr, buf, len);
}

Status Tracee::WriteMemory(uint64_t addr, const void* buf, size_t len) {
  if (!Valid()) return Fail(ESRCH, "the caller is gone");
  return kernel::WriteMemory(tid_, addr, buf, len);
}

bool Tracee::Valid() {
  if (!unconfirmed_) return true;
  if (!nfd_.StillValid(id_)) return false;
  unconfirmed_ = false;
  return true;
}

Result<int> Tracee::Pidfd() {
  if (pidfd_.valid()) return pidfd_.get();
  SYD_TRY(fd, kernel::PidfdOpen(Tgid()));
  // The caller was alive after the pidfd was opened, so the pid named it.
  unconfirmed_ = true;
  if (!Valid()) return Fail(ESRCH, "the caller is gone");
  pidfd_ = std::move(fd);
  return pidfd_.get();
}

Result<UniqueFd> Tracee::TakeFd(int fd) {
  SYD_TRY(pidfd, Pidfd());
  SYD_TRY(copy, kernel::PidfdGetfd(pidfd, fd));
  // What was read to decide on this descriptor came from the caller.
  if (!Valid()) return Fail(ESRCH, "the caller is gone");
  return copy;
}

bool Tracee::SignalProcess(int sig) {
  auto pidfd = Pidfd();
  return pidfd && kernel::PidfdSignal(*pidfd, sig) == 0;
}

bool Tracee::SignalThread(int sig) {
  // tgkill names both ids: a reused tid in another process is not hit.
  if (!Valid()) return false;
  return syscall(SYS_tgkill, Tgid(), tid_, sig) == 0;
}

}  // namespace syd::supervisor
