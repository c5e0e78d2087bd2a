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

// kill(2)'s permission rule: the sender's real or effective uid is the
// target's real or saved uid, or the sender has CAP_KILL; SIGCONT goes to
// any process of the sender's session.
bool MaySignal(pid_t sender, pid_t target, int sig) {
  auto s = kernel::ReadStatus(sender);
  auto t = kernel::ReadStatus(target);
  if (!s || !t) return false;
  if (s->cap_eff & (1ull << kCapKill)) return true;
  for (uid_t su : {s->uid[0], s->uid[1]})
    for (uid_t tu : {t->uid[0], t->uid[2]})
      if (su == tu) return true;
  return sig == SIGCONT && getsid(sender) == getsid(target);
}

// A signal to every process of group `pgrp` (0: every process but init and
// the caller, as kill(-1)) that the caller may reach, sent by the
// supervisor through a pidfd of each. Membership is checked again after
// the pidfd is opened, so a pid reused meanwhile is not hit.
Verdict SignalGroup(Call& c, pid_t pgrp, int sig, bool inside_only) {
  if (sig < 0 || sig > SIGRTMAX) return Verdict::Error(EINVAL);
  const pid_t caller = c.Tgid();
  DIR* d = opendir("/proc");
  if (!d) return Verdict::Error(EPERM);
  bool any = false, sent = false;
  int err = ESRCH;
  auto member = [&](pid_t pid) {
    if (pgrp > 0 ? kernel::GroupOf(pid) != pgrp : (pid <= 1 || pid == caller)) return false;
    return !IsSupervisorThread(pid) && (!inside_only || InSandbox(pid));
  };
  while (dirent* e = readdir(d)) {
    auto n = ParseInt(e->d_name);
    if (!n || !member(static_cast<pid_t>(*n))) continue;
    const pid_t pid = static_cast<pid_t>(*n);
    any = true;
    if (!MaySignal(c.tid(), pid, sig)) {
      err = EPERM;
      continue;
    }
    auto pidfd = kernel::PidfdOpen(pid);
    if (!pidfd || !member(pid)) continue;
    if (syscall(SYS_pidfd_send_signal, pidfd->get(), sig, nullptr, 0) == 0) sent = true;
    else err = errno;
  }
  closedir(d);
  if (!c.tracee.Valid()) return Verdict::None();
  // kill(-1) succeeds once it found anyone to try (kill(2) in the kernel
  // counts EPERM as tried); a group kill, once one got the signal.
  if (sent || (pgrp == 0 && any)) return Verdict::Value(0);
  return Verdict::Error(err);
}

int CheckTargets(Call& c, const policy::ReachCall& rc);

}  // namespace

std::optional<Verdict> CheckReach(Call& c, const policy::ReachCall& rc) {
  if (int e = CheckTargets(c, rc)) return Verdict::Error(e);
  if (rc.target == policy::Target::kKill && static_cast<pid_t>(c.arg(rc.pid_arg) & 0xffffffffu) <= 0 &&
      !ForeignPidNamespace(c.tid())) {
    const pid_t pid = static_cast<pid_t>(c.arg(rc.pid_arg) & 0xffffffffu);
    const int sig = static_cast<int>(c.arg(1) & 0xffffffffu);
    const bool inside_only = c.policy().restrict_outside_signals;
    if (pid == -1) return SignalGroup(c, 0, sig, inside_only);
    return SignalGroup(c, pid == 0 ? kernel::GroupOf(c.tid()) : -pid, sig, inside_only);
  }
  return std::nullopt;
}

namespace {

int CheckTargets(Call& c, const policy::ReachCall& rc) {
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
      return pid > 0 ? CheckTarget(pid, inside_only) : 0;  // groups: SignalGroup
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

}  // namespace

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
  if (!err && !MaySignal(c.tid(), target, static_cast<int>(c.arg(1)))) err = EPERM;
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
