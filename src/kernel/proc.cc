#include "kernel/proc.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "kernel/uapi.h"
#include "util/strings.h"

#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_pidfd_getfd
#define __NR_pidfd_getfd 438
#endif
#ifndef __NR_pidfd_send_signal
#define __NR_pidfd_send_signal 424
#endif

namespace syd::kernel {
namespace {

Result<std::string> ReadSmallFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Fail(errno, "open", path);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Fail(errno, "read", path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > (1 << 20)) break;
  }
  return out;
}

// The value of "Key:\t..." in a /proc status file.
std::string_view StatusField(std::string_view status, std::string_view key) {
  for (std::string_view line : Split(status, '\n')) {
    if (StartsWith(line, key) && line.size() > key.size() && line[key.size()] == ':')
      return Trim(line.substr(key.size() + 1));
  }
  return {};
}

}  // namespace

Result<std::string> ReadString(pid_t pid, uint64_t addr, size_t max) {
  if (addr == 0) return Fail(EFAULT, "read string at NULL");
  std::string out;
  // Small chunks first (most paths are short: copying a page per call
  // showed in profiles), never across a page boundary, since a string may
  // end just before an unmapped page.
  constexpr size_t kPage = 4096;
  char buf[kPage];
  size_t want = 256;
  while (out.size() < max) {
    size_t chunk = std::min(want, kPage - (addr % kPage));
    want = kPage;
    if (chunk > max - out.size()) chunk = max - out.size();
    iovec local{buf, chunk};
    iovec remote{reinterpret_cast<void*>(addr), chunk};
    ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n <= 0) return Fail(n < 0 ? errno : EFAULT, "process_vm_readv");
    if (void* nul = std::memchr(buf, '\0', static_cast<size_t>(n))) {
      out.append(buf, static_cast<const char*>(nul) - buf);
      return out;
    }
    out.append(buf, static_cast<size_t>(n));
    addr += static_cast<uint64_t>(n);
  }
  return Fail(ENAMETOOLONG, "path argument longer than PATH_MAX");
}

ssize_t ReadSome(pid_t pid, uint64_t addr, void* buf, size_t len) {
  if (addr == 0) return -1;
  iovec local{buf, len};
  iovec remote{reinterpret_cast<void*>(addr), len};
  ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  if (n < 0 && errno == EFAULT) {
    // The range crosses into an unmapped page: read up to the boundary.
    size_t first = 4096 - (addr % 4096);
    if (first < len) {
      local.iov_len = remote.iov_len = first;
      n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    }
  }
  return n;
}

Status ReadMemory(pid_t pid, uint64_t addr, void* buf, size_t len) {
  iovec local{buf, len};
  iovec remote{reinterpret_cast<void*>(addr), len};
  ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  if (n < 0) return Fail(errno, "process_vm_readv");
  if (static_cast<size_t>(n) != len) return Fail(EFAULT, "process_vm_readv (short)");
  return {};
}

Status WriteMemory(pid_t pid, uint64_t addr, const void* buf, size_t len) {
  iovec local{const_cast<void*>(buf), len};
  iovec remote{reinterpret_cast<void*>(addr), len};
  ssize_t n = process_vm_writev(pid, &local, 1, &remote, 1, 0);
  if (n < 0) return Fail(errno, "process_vm_writev");
  if (static_cast<size_t>(n) != len) return Fail(EFAULT, "process_vm_writev (short)");
  return {};
}

Result<UniqueFd> PidfdOpen(pid_t pid) {
  long fd = syscall(__NR_pidfd_open, pid, 0);
  if (fd < 0) return Fail(errno, "pidfd_open");
  return UniqueFd(static_cast<int>(fd));
}

Result<UniqueFd> ThreadPidfdOpen(pid_t tid) {
  long fd = syscall(__NR_pidfd_open, tid, uapi::kPidfdThread);
  if (fd < 0) return Fail(errno, "pidfd_open(PIDFD_THREAD)");
  return UniqueFd(static_cast<int>(fd));
}

Result<UniqueFd> PidfdGetfd(int pidfd, int targetfd) {
  long fd = syscall(__NR_pidfd_getfd, pidfd, targetfd, 0);
  if (fd < 0) return Fail(errno, "pidfd_getfd");
  return UniqueFd(static_cast<int>(fd));
}

Result<UniqueFd> PeerPidfd(int sock) {
  constexpr int kSoPeerPidfd = 77;  // SO_PEERPIDFD (6.5; newer than these headers)
  int fd = -1;
  socklen_t len = sizeof fd;
  if (getsockopt(sock, SOL_SOCKET, kSoPeerPidfd, &fd, &len) != 0) return Fail(errno, "getsockopt(SO_PEERPIDFD)");
  return UniqueFd(fd);
}

int PidfdSignal(int pidfd, int sig) {
  return syscall(__NR_pidfd_send_signal, pidfd, sig, nullptr, 0) == 0 ? 0 : errno;
}

bool PidfdExited(int pidfd) {
  if (pidfd < 0) return true;
  pollfd p{pidfd, POLLIN, 0};
  // The system call itself: glibc's poll() is a cancellation point, whose
  // bookkeeping costs as much again on a hot path.
  return syscall(SYS_poll, &p, 1, 0) != 0;
}

Result<pid_t> TgidOf(pid_t tid) {
  SYD_TRY(status, ReadSmallFile(fmt::format("/proc/{}/status", tid)));
  auto v = ParseInt(StatusField(status, "Tgid"));
  if (!v) return Failf("no Tgid in /proc/{}/status", tid);
  return static_cast<pid_t>(*v);
}

pid_t ParentOf(pid_t pid) {
  auto status = ReadSmallFile(fmt::format("/proc/{}/status", pid));
  if (!status) return 0;
  auto v = ParseInt(StatusField(*status, "PPid"));
  return v ? static_cast<pid_t>(*v) : 0;
}

std::vector<pid_t> ChildrenOf(pid_t tgid) {
  std::vector<pid_t> kids;
  bool listed = false;
  if (DIR* d = opendir(fmt::format("/proc/{}/task", tgid).c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      UniqueFd f(open(fmt::format("/proc/{}/task/{}/children", tgid, e->d_name).c_str(), O_RDONLY | O_CLOEXEC));
      if (!f.valid()) continue;
      listed = true;
      std::string text;
      char buf[4096];
      for (ssize_t n; (n = read(f.get(), buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
      for (std::string_view w : Split(text, ' '))
        if (auto n = ParseInt(Trim(w))) kids.push_back(static_cast<pid_t>(*n));
    }
    closedir(d);
  }
  return listed ? kids : ChildrenByScan(tgid);
}

std::vector<pid_t> ChildrenByScan(pid_t tgid) {
  std::vector<pid_t> kids;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      auto n = ParseInt(e->d_name);
      if (n && *n > 0 && ParentOf(static_cast<pid_t>(*n)) == tgid) kids.push_back(static_cast<pid_t>(*n));
    }
    closedir(d);
  }
  return kids;
}

bool IsNestedPidNamespaceInit(pid_t pid) {
  auto status = ReadSmallFile(fmt::format("/proc/{}/status", pid));
  if (!status) return false;
  std::string_view ns = Trim(StatusField(*status, "NSpid"));
  const size_t sp = ns.find_last_of(" \t");
  return sp != std::string_view::npos && Trim(ns.substr(sp + 1)) == "1";
}

namespace {

bool SameNamespace(pid_t tid, const char* kind) {
  struct stat mine, theirs;
  return stat(fmt::format("/proc/self/ns/{}", kind).c_str(), &mine) == 0 &&
         stat(fmt::format("/proc/{}/ns/{}", tid, kind).c_str(), &theirs) == 0 && mine.st_ino == theirs.st_ino &&
         mine.st_dev == theirs.st_dev;
}

}  // namespace

bool SameUserNamespace(pid_t tid) { return SameNamespace(tid, "user"); }
bool SamePidNamespace(pid_t tid) { return SameNamespace(tid, "pid"); }

Result<Creds> ReadCreds(pid_t tid) {
  SYD_TRY(t, ReadStatus(tid));
  Creds c;
  c.ruid = t.uid[0];
  c.euid = t.uid[1];
  c.fsuid = t.uid[3];
  c.rgid = t.gid[0];
  c.egid = t.gid[1];
  c.fsgid = t.gid[3];
  c.groups = std::move(t.groups);
  // /proc shows ids as the reader's user namespace maps them, but
  // capabilities as they are in the thread's own user namespace.
  const bool same_userns = SameUserNamespace(tid);
  c.cap_eff = same_userns ? t.cap_eff : 0;
  c.cap_prm = same_userns ? t.cap_prm : 0;
  c.umask = t.umask;
  return c;
}

Result<TaskStatus> ReadStatus(pid_t tid) {
  SYD_TRY(status, ReadSmallFile(fmt::format("/proc/{}/status", tid)));
  TaskStatus t;
  auto four = [&](std::string_view key, auto* out) -> bool {
    int i = 0;
    for (std::string_view p : Split(StatusField(status, key), '\t')) {
      if (Trim(p).empty() || i == 4) continue;
      auto v = ParseInt(Trim(p));
      if (!v) return false;
      out[i++] = static_cast<std::remove_pointer_t<decltype(out)>>(*v);
    }
    return i == 4;
  };
  auto tgid = ParseInt(StatusField(status, "Tgid"));
  auto ppid = ParseInt(StatusField(status, "PPid"));
  if (!tgid || !ppid || !four("Uid", t.uid) || !four("Gid", t.gid)) return Failf("bad /proc/{}/status", tid);
  t.tgid = static_cast<pid_t>(*tgid);
  t.ppid = static_cast<pid_t>(*ppid);
  std::string cap(StatusField(status, "CapEff"));
  t.cap_eff = std::strtoull(cap.c_str(), nullptr, 16);
  std::string prm(StatusField(status, "CapPrm"));
  t.cap_prm = std::strtoull(prm.c_str(), nullptr, 16);
  for (std::string_view g : Split(StatusField(status, "Groups"), ' ')) {
    if (auto v = ParseInt(Trim(g))) t.groups.push_back(static_cast<gid_t>(*v));
  }
  std::string um(StatusField(status, "Umask"));
  if (!um.empty()) t.umask = static_cast<mode_t>(std::strtol(um.c_str(), nullptr, 8));
  return t;
}

Result<SignalState> ReadSignals(pid_t tgid, pid_t tid) {
  SYD_TRY(status, ReadSmallFile(fmt::format("/proc/{}/task/{}/status", tgid, tid)));
  SignalState s;
  auto hex = [&](std::string_view key, uint64_t* out) -> bool {
    std::string v(StatusField(status, key));
    if (v.empty()) return false;
    *out = std::strtoull(v.c_str(), nullptr, 16);
    return true;
  };
  if (!hex("SigPnd", &s.pending) || !hex("ShdPnd", &s.shared) || !hex("SigBlk", &s.blocked) ||
      !hex("SigIgn", &s.ignored) || !hex("SigCgt", &s.caught))
    return Failf("bad /proc/{}/task/{}/status", tgid, tid);
  return s;
}

pid_t GroupOf(pid_t pid) { return getpgid(pid); }

std::string ReadComm(pid_t pid) {
  auto s = ReadSmallFile(fmt::format("/proc/{}/comm", pid));
  if (!s) return "?";
  std::string out = *s;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string ReadCmdline(pid_t pid) {
  auto s = ReadSmallFile(fmt::format("/proc/{}/cmdline", pid));
  if (!s) return "";
  std::string out = *s;
  while (!out.empty() && out.back() == '\0') out.pop_back();
  for (char& c : out)
    if (c == '\0') c = ' ';
  return out;
}

Result<std::string> ReadLink(int dirfd, const std::string& path) {
  std::string buf(256, '\0');
  for (;;) {
    ssize_t n = readlinkat(dirfd, path.c_str(), buf.data(), buf.size());
    if (n < 0) return Fail(errno, "readlink", path);
    if (static_cast<size_t>(n) < buf.size()) {
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
    buf.resize(buf.size() * 2);
  }
}

}  // namespace syd::kernel
