// Membership: the supervisor is a child subreaper and forks only the
// eldest, so the sandbox is exactly the set of its descendants; a process
// is inside when its chain of parents reaches the supervisor.
//
// A call naming one process is checked and then answered CONTINUE: its
// arguments are registers. The target may die and its pid be reused in
// between (docs/SECURITY.md says what that can reach); it can never become
// a thread of the supervisor, whose threads all exist before the command
// runs. A call naming a group, every process, or a descriptor is performed
// here instead, member by member, on a thread that has taken the caller's
// identity (caller.h): the kernel checks each permission as it would have
// for the caller, and group membership cannot change under a CONTINUE.
// Where Landlock scopes signals (Linux 6.12) signals never come here.
#include "supervisor/reach.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <functional>

#include "kernel/proc.h"
#include "supervisor/pid_marks.h"
#include "supervisor/caller.h"
#include "util/strings.h"

namespace syd::supervisor {
namespace {

constexpr unsigned kPidfdSignalProcessGroup = 1u << 2;  // PIDFD_SIGNAL_PROCESS_GROUP (6.9)
constexpr int kIoprioWhoProcess = 1;

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

// Whether the caller names processes in another pid namespace than ours.
// It can only be a descendant of ours (setns(2) enters no ancestor), where
// the supervisor has no pid; but a process group is shared across them.
bool ForeignPidNamespace(pid_t tid) {
  struct stat st;
  if (stat(fmt::format("/proc/{}/ns/pid", tid).c_str(), &st) != 0) return false;  // gone: nothing to say
  return !kernel::SamePidNamespace(tid);
}

// A single target named by pid (0: the caller itself, always fine).
int CheckTarget(pid_t target, bool inside_only) {
  if (target == 0) return 0;
  if (target < 0 || !Exists(target)) return ESRCH;  // answered here: a pid that does not exist yet may later
  if (IsSupervisorThread(target)) return EPERM;
  if (inside_only && !InSandbox(target)) return EPERM;
  return 0;
}

// Every member of group `pgrp` (0: every process but init and `caller`,
// as kill(-1)) that the caller may reach.
std::vector<pid_t> Members(pid_t pgrp, pid_t caller, bool inside_only) {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    auto n = ParseInt(e->d_name);
    if (!n) continue;
    const pid_t pid = static_cast<pid_t>(*n);
    if (pgrp > 0 ? kernel::GroupOf(pid) != pgrp : (pid <= 1 || pid == caller)) continue;
    if (IsSupervisorThread(pid) || (inside_only && !InSandbox(pid))) continue;
    out.push_back(pid);
  }
  closedir(d);
  return out;
}

// Whether any member of the group is out of reach (for calls that only
// register the group, like F_SETOWN, and cannot be performed here).
bool GroupHasOutsider(pid_t pgrp, bool inside_only) {
  DIR* d = opendir("/proc");
  if (!d) return true;
  bool outsider = false;
  while (dirent* e = readdir(d)) {
    auto n = ParseInt(e->d_name);
    if (!n || kernel::GroupOf(static_cast<pid_t>(*n)) != pgrp) continue;
    if (CheckTarget(static_cast<pid_t>(*n), inside_only) == EPERM) outsider = true;
  }
  closedir(d);
  return outsider;
}

// Runs `op(pid)` for each member as the caller, each through a pidfd whose
// process is checked again after opening it (a pid reused meanwhile is not
// hit), and folds the results as the kernel does for a group: success once
// one succeeded, else the last error, ESRCH when there was nobody.
Verdict ForEachMember(Call& c, const std::vector<pid_t>& members, pid_t pgrp, bool inside_only,
                      const std::function<long(int pidfd, pid_t pid)>& op, bool any_tried_succeeds) {
  auto creds = kernel::ReadCreds(c.tid());
  if (!creds || !c.tracee.Recheck()) return Verdict::None();
  AsCaller as(c.env.self, *creds, Act{.full_ids = true});
  bool done = false, tried = false;
  int err = ESRCH;
  for (pid_t pid : members) {
    auto pidfd = kernel::PidfdOpen(pid);
    if (!pidfd) continue;
    if ((pgrp > 0 && kernel::GroupOf(pid) != pgrp) || IsSupervisorThread(pid) || (inside_only && !InSandbox(pid)))
      continue;
    tried = true;
    if (op(pidfd->get(), pid) == 0) done = true;
    else err = errno;
  }
  if (done || (any_tried_succeeds && tried)) return Verdict::Value(0);
  return Verdict::Error(err);
}

Verdict SignalMembers(Call& c, pid_t pgrp, int sig, bool inside_only) {
  if (sig < 0 || sig > SIGRTMAX) return Verdict::Error(EINVAL);
  // kill(-1) succeeds once it found anyone to try (the kernel counts EPERM
  // as tried); a group kill, once one got the signal.
  return ForEachMember(c, Members(pgrp, c.Tgid(), inside_only), pgrp, inside_only,
                       [sig](int pidfd, pid_t) { return syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0); },
                       pgrp == 0);
}

Verdict PrioritizeMembers(Call& c, const policy::ReachCall& rc, pid_t pgrp, bool inside_only) {
  const uint64_t value = c.arg(2);
  const bool io = rc.nr == __NR_ioprio_set;
  return ForEachMember(c, Members(pgrp, 0, inside_only), pgrp, inside_only,
                       [io, value](int, pid_t pid) -> long {
                         return io ? syscall(SYS_ioprio_set, kIoprioWhoProcess, pid, value)
                                   : setpriority(PRIO_PROCESS, static_cast<id_t>(pid), static_cast<int>(value));
                       },
                       false);
}

}  // namespace

std::optional<Verdict> CheckReach(Call& c, const policy::ReachCall& rc) {
  if (rc.when.arg >= 0 && ((c.arg(rc.when.arg) & 0xffffffffu) == rc.when.value) == rc.when.differs)
    return std::nullopt;
  const bool inside_only = c.policy().restrict_outside_signals;
  const bool foreign = ForeignPidNamespace(c.tid());
  const auto arg = [&](int8_t i) { return static_cast<pid_t>(c.arg(i) & 0xffffffffu); };
  auto single = [&](pid_t pid) -> std::optional<Verdict> {
    if (foreign) return std::nullopt;  // a pid of a namespace where the supervisor has none
    // Marked before the look (pid_marks.h): no thread started later takes it.
    if (c.env.named_pids) c.env.named_pids->Mark(pid);
    if (int e = CheckTarget(pid, inside_only)) return Verdict::Error(e);
    return std::nullopt;
  };
  // The caller's own process group, in our namespace.
  auto own_group = [&] { return kernel::GroupOf(c.tid()); };
  switch (rc.target) {
    case policy::Target::kPid: {
      if (auto v = single(arg(rc.pid_arg))) return v;
      return rc.pid_arg2 >= 0 ? single(arg(rc.pid_arg2)) : std::nullopt;
    }
    case policy::Target::kKill: {
      const pid_t pid = arg(rc.pid_arg);
      const int sig = static_cast<int>(c.arg(1) & 0xffffffffu);
      if (pid > 0) return single(pid);
      if (pid == -1) return foreign ? std::nullopt : std::optional(SignalMembers(c, 0, sig, inside_only));
      if (pid < -1 && foreign) return Verdict::Error(EPERM);  // a group id of another namespace
      return SignalMembers(c, pid == 0 ? own_group() : -pid, sig, inside_only);
    }
    case policy::Target::kOwner: {
      const pid_t pid = arg(rc.pid_arg);
      if (pid >= 0) return single(pid);
      if (foreign || GroupHasOutsider(-pid, inside_only)) return Verdict::Error(EPERM);
      return std::nullopt;
    }
    case policy::Target::kWhich: {
      const int which = static_cast<int>(c.arg(rc.which_arg));
      const pid_t who = arg(rc.pid_arg);
      if (which == rc.which_process) return single(who);
      if (which == rc.which_group) {
        if (who != 0 && foreign) return Verdict::Error(EPERM);
        return PrioritizeMembers(c, rc, who == 0 ? own_group() : who, inside_only);
      }
      if (which == rc.which_user) {
        // Every process of a user: outside ones always, the supervisor's
        // own when it is that user.
        if (inside_only) return Verdict::Error(EPERM);
        auto st = kernel::ReadStatus(c.tid());
        const uid_t uid = who == 0 && st ? st->uid[0] : static_cast<uid_t>(who);
        if (uid == getuid()) return Verdict::Error(EPERM);
        return std::nullopt;
      }
      return std::nullopt;  // EINVAL from the kernel
    }
    case policy::Target::kPidfd:
      break;
  }
  return Verdict::Error(EPERM);
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

}  // namespace

Verdict HandlePidfdSignal(Call& c) {
  auto copy = c.tracee.TakeFd(static_cast<int>(c.arg(0) & 0xffffffffu));
  if (!copy) return copy.error().sys_errno == ESRCH ? Verdict::None() : Verdict::Error(EBADF);
  const pid_t target = PidOfDescriptor(copy->get());
  if (target <= 0) return Verdict::Error(EBADF);
  const bool inside_only = c.policy().restrict_outside_signals;
  const int sig = static_cast<int>(c.arg(1) & 0xffffffffu);
  const unsigned flags = static_cast<unsigned>(c.arg(3));
  // PIDFD_SIGNAL_PROCESS_GROUP: the group whose id is the pidfd's pid.
  if (flags & kPidfdSignalProcessGroup) return SignalMembers(c, target, sig, inside_only);
  if (int e = CheckTarget(target, inside_only)) return Verdict::Error(e);
  siginfo_t info;
  siginfo_t* infop = nullptr;
  if (c.arg(2)) {
    if (!c.tracee.ReadMemory(c.arg(2), &info, sizeof info)) return Verdict::Error(EFAULT);
    infop = &info;
  }
  auto creds = kernel::ReadCreds(c.tid());
  if (!creds || !c.tracee.Recheck()) return Verdict::None();
  AsCaller as(c.env.self, *creds, Act{.full_ids = true});
  long r = syscall(SYS_pidfd_send_signal, copy->get(), sig, infop, flags);
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
