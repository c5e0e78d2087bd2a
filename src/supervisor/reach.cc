// Membership: the supervisor is a child subreaper and forks only the
// eldest, so the sandbox is exactly the set of its descendants; a process
// is inside when its chain of parents reaches the supervisor. The check and
// the kernel's own action are two steps: a target that dies in between may
// have its pid reused (docs/SECURITY.md, "Signals and other processes").
// Where Landlock scopes signals (Linux 6.12) none of this runs for them.
#include "supervisor/reach.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "kernel/proc.h"
#include "util/strings.h"

namespace syd::supervisor {
namespace {

constexpr int kCapKill = 5;
constexpr unsigned kPidfdSignalProcessGroup = 1u << 2;  // PIDFD_SIGNAL_PROCESS_GROUP (6.9)

pid_t Self() {
  static const pid_t self = getpid();
  return self;
}

bool IsSupervisorThread(pid_t tid) {
  if (tid == Self()) return true;
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d", tid);
  return access(path, F_OK) == 0;
}

bool Exists(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d", pid);
  return access(path, F_OK) == 0;
}

bool InSandbox(pid_t pid) {
  if (IsSupervisorThread(pid)) return false;
  for (int depth = 0; depth < 4096; ++depth) {
    pid_t parent = kernel::ParentOf(pid);
    if (parent == Self()) return true;
    if (parent <= 1) return false;
    pid = parent;
  }
  return false;
}

// Whether the caller names processes in another pid namespace than ours:
// then it cannot name the supervisor at all (docs/SECURITY.md).
bool ForeignPidNamespace(pid_t tid) {
  struct stat mine, theirs;
  if (stat("/proc/self/ns/pid", &mine) != 0) return false;
  if (stat(fmt::format("/proc/{}/ns/pid", tid).c_str(), &theirs) != 0) return false;
  return mine.st_ino != theirs.st_ino || mine.st_dev != theirs.st_dev;
}

int CheckTarget(pid_t target, bool inside_only) {
  if (target <= 0 || !Exists(target)) return 0;  // the kernel answers ESRCH/EINVAL itself
  if (IsSupervisorThread(target)) return EPERM;
  if (inside_only && !InSandbox(target)) return EPERM;
  return 0;
}

int CheckGroup(pid_t pgrp, bool inside_only) {
  DIR* d = opendir("/proc");
  if (!d) return EPERM;
  int err = 0;
  while (dirent* e = readdir(d)) {
    auto pid = ParseInt(e->d_name);
    if (!pid || kernel::GroupOf(static_cast<pid_t>(*pid)) != pgrp) continue;
    if (int r = CheckTarget(static_cast<pid_t>(*pid), inside_only)) {
      err = r;
      break;
    }
  }
  closedir(d);
  return err;
}

}  // namespace

int CheckReach(Call& c, const policy::ReachCall& rc) {
  if (rc.when.arg >= 0 && ((c.arg(rc.when.arg) & 0xffffffffu) == rc.when.value) == rc.when.differs) return 0;
  if (ForeignPidNamespace(c.tid())) return 0;
  const bool inside_only = c.policy().restrict_outside_signals;
  const auto arg = [&](int8_t i) { return static_cast<pid_t>(c.arg(i) & 0xffffffffu); };
  switch (rc.target) {
    case policy::Target::kPid: {
      if (int e = CheckTarget(arg(rc.pid_arg), inside_only)) return e;
      return rc.pid_arg2 >= 0 ? CheckTarget(arg(rc.pid_arg2), inside_only) : 0;
    }
    case policy::Target::kKill: {
      const pid_t pid = arg(rc.pid_arg);
      if (pid > 0) return CheckTarget(pid, inside_only);
      // Every process the caller may signal: the supervisor among them.
      if (pid == -1) return EPERM;
      return CheckGroup(pid == 0 ? kernel::GroupOf(c.tid()) : -pid, inside_only);
    }
    case policy::Target::kWhich: {
      const int which = static_cast<int>(c.arg(rc.which_arg));
      const pid_t who = arg(rc.pid_arg);
      if (which == rc.which_process) return CheckTarget(who == 0 ? c.tid() : who, inside_only);
      if (which == rc.which_group) return CheckGroup(who == 0 ? kernel::GroupOf(c.tid()) : who, inside_only);
      if (which == rc.which_user) {
        // Every process of a user: outside ones always, the supervisor's
        // own when it is that user.
        if (inside_only) return EPERM;
        auto st = kernel::ReadStatus(c.tid());
        const uid_t uid = who == 0 && st ? st->uid[0] : static_cast<uid_t>(who);
        return uid == getuid() ? EPERM : 0;
      }
      return 0;  // EINVAL from the kernel
    }
    case policy::Target::kOwner: {
      const pid_t pid = arg(rc.pid_arg);
      if (pid > 0) return CheckTarget(pid, inside_only);
      return pid < 0 ? CheckGroup(-pid, inside_only) : 0;
    }
    case policy::Target::kPidfd:
      break;
  }
  return EPERM;
}

namespace {

// The pid behind a pidfd or a /proc/PID directory descriptor we hold.
pid_t PidOfDescriptor(int fd) {
  auto info = kernel::ReadLink(AT_FDCWD, fmt::format("/proc/self/fd/{}", fd));
  if (info && StartsWith(*info, "/proc/")) {
    auto pid = ParseInt(std::string_view(*info).substr(6));
    return pid ? static_cast<pid_t>(*pid) : -1;
  }
  UniqueFd fdinfo(open(fmt::format("/proc/self/fdinfo/{}", fd).c_str(), O_RDONLY | O_CLOEXEC));
  char buf[1024];
  ssize_t n = fdinfo.valid() ? read(fdinfo.get(), buf, sizeof buf - 1) : -1;
  if (n <= 0) return -1;
  buf[n] = 0;
  for (std::string_view line : Split(buf, '\n')) {
    if (StartsWith(line, "Pid:")) {
      auto pid = ParseInt(Trim(line.substr(4)));
      return pid ? static_cast<pid_t>(*pid) : -1;
    }
  }
  return -1;
}

// kill(2)'s permission rule: the sender's real or effective uid is the
// target's real or saved uid, or the sender has CAP_KILL.
bool MaySignal(pid_t sender, pid_t target) {
  auto s = kernel::ReadStatus(sender);
  auto t = kernel::ReadStatus(target);
  if (!s || !t) return false;
  if (s->cap_eff & (1ull << kCapKill)) return true;
  for (uid_t su : {s->uid[0], s->uid[1]})
    for (uid_t tu : {t->uid[0], t->uid[2]})
      if (su == tu) return true;
  return false;
}

}  // namespace

Verdict HandlePidfdSignal(Call& c) {
  auto copy = c.tracee.TakeFd(static_cast<int>(c.arg(0) & 0xffffffffu));
  if (!copy) return copy.error().sys_errno == ESRCH ? Verdict::None() : Verdict::Error(EBADF);
  const pid_t target = PidOfDescriptor(copy->get());
  if (target <= 0) return Verdict::Error(EBADF);
  const bool inside_only = c.policy().restrict_outside_signals;
  const unsigned flags = static_cast<unsigned>(c.arg(3));
  int err = flags & kPidfdSignalProcessGroup ? CheckGroup(kernel::GroupOf(target), inside_only)
                                             : CheckTarget(target, inside_only);
  if (!err && !MaySignal(c.tid(), target)) err = EPERM;
  if (err) return Verdict::Error(err);
  siginfo_t info;
  siginfo_t* infop = nullptr;
  if (c.arg(2)) {
    if (!c.tracee.ReadMemory(c.arg(2), &info, sizeof info)) return Verdict::Error(EFAULT);
    infop = &info;
  }
  if (!c.tracee.Valid()) return Verdict::None();
  long r = syscall(SYS_pidfd_send_signal, copy->get(), static_cast<int>(c.arg(1)), infop, flags);
  return Verdict::Result(r < 0 ? -errno : r);
}

bool NamesSupervisor(std::string_view path) {
  if (!StartsWith(path, "/proc/")) return false;
  std::string_view rest = path.substr(6);
  std::string_view first = rest.substr(0, rest.find('/'));
  auto pid = ParseInt(first);
  return pid && *pid > 0 && first.find_first_not_of("0123456789") == std::string_view::npos &&
         IsSupervisorThread(static_cast<pid_t>(*pid));
}

}  // namespace syd::supervisor
