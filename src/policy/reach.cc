#include "policy/reach.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <algorithm>
#include <vector>

namespace syd::policy {
namespace {

// ioprio_set(2)'s `which`, from linux/ioprio.h.
constexpr int kIoprioWhoProcess = 1, kIoprioWhoPgrp = 2, kIoprioWhoUser = 3;

ReachCall Call(int nr, std::string_view name, ReachFamily f, Target t, int8_t pid_arg = 0) {
  ReachCall c;
  c.nr = nr;
  c.name = name;
  c.family = f;
  c.target = t;
  c.pid_arg = pid_arg;
  return c;
}

// The call acts on the caller when args[arg] == 0.
ReachCall SelfWhenZero(ReachCall c, int8_t arg) {
  c.self[0][0] = ArgTest{arg, 0};
  return c;
}

std::vector<ReachCall> Build() {
  using F = ReachFamily;
  using T = Target;
  std::vector<ReachCall> t = {
      Call(__NR_kill, "kill", F::kSignal, T::kKill),
      Call(__NR_tkill, "tkill", F::kSignal, T::kPid),
      Call(__NR_tgkill, "tgkill", F::kSignal, T::kPid),
      Call(__NR_rt_sigqueueinfo, "rt_sigqueueinfo", F::kSignal, T::kPid),
      Call(__NR_rt_tgsigqueueinfo, "rt_tgsigqueueinfo", F::kSignal, T::kPid),
      Call(__NR_pidfd_send_signal, "pidfd_send_signal", F::kSignal, T::kPidfd),
      Call(__NR_pidfd_open, "pidfd_open", F::kSignal, T::kPid),
      SelfWhenZero(Call(__NR_sched_setaffinity, "sched_setaffinity", F::kPriority, T::kPid), 0),
      SelfWhenZero(Call(__NR_sched_setscheduler, "sched_setscheduler", F::kPriority, T::kPid), 0),
      SelfWhenZero(Call(__NR_sched_setparam, "sched_setparam", F::kPriority, T::kPid), 0),
      SelfWhenZero(Call(__NR_sched_setattr, "sched_setattr", F::kPriority, T::kPid), 0),
      SelfWhenZero(Call(__NR_migrate_pages, "migrate_pages", F::kPtrace, T::kPid), 0),
      SelfWhenZero(Call(__NR_move_pages, "move_pages", F::kPtrace, T::kPid), 0),
      SelfWhenZero(Call(__NR_get_robust_list, "get_robust_list", F::kPtrace, T::kPid), 0),
      Call(__NR_process_vm_readv, "process_vm_readv", F::kPtrace, T::kPid),
  };
  // prlimit64: pid 0 is the caller; a NULL new limit only reads.
  ReachCall prl = SelfWhenZero(Call(__NR_prlimit64, "prlimit64", F::kPriority, T::kPid), 0);
  prl.self[1][0] = ArgTest{2, 0, false, /*wide=*/true};  // a pointer: NULL in all 64 bits
  t.push_back(prl);
  ReachCall kcmp = Call(__NR_kcmp, "kcmp", F::kPtrace, T::kPid);
  kcmp.pid_arg2 = 1;
  t.push_back(kcmp);
  // setpriority(which, who): PRIO_PROCESS with who 0 is the caller; a group
  // of 0 is the caller's group, which may hold processes outside.
  ReachCall prio = Call(__NR_setpriority, "setpriority", F::kPriority, T::kWhich, 1);
  prio.which_arg = 0;
  prio.which_process = PRIO_PROCESS;
  prio.which_group = PRIO_PGRP;
  prio.which_user = PRIO_USER;
  prio.self[0][0] = ArgTest{0, PRIO_PROCESS};
  prio.self[0][1] = ArgTest{1, 0};
  t.push_back(prio);
  ReachCall io = Call(__NR_ioprio_set, "ioprio_set", F::kPriority, T::kWhich, 1);
  io.which_arg = 0;
  io.which_process = kIoprioWhoProcess;
  io.which_group = kIoprioWhoPgrp;
  io.which_user = kIoprioWhoUser;
  io.self[0][0] = ArgTest{0, static_cast<uint64_t>(kIoprioWhoProcess)};
  io.self[0][1] = ArgTest{1, 0};
  t.push_back(io);
  // fcntl(fd, F_SETOWN, pid): the process (or group) that SIGIO and
  // F_SETSIG's signal will go to. Other commands name no process.
  ReachCall own = Call(__NR_fcntl, "fcntl", F::kSignal, T::kOwner, 2);
  own.when = ArgTest{1, F_SETOWN};
  own.self[0][0] = ArgTest{1, F_SETOWN, true};
  own.self[1][0] = ArgTest{2, 0};
  t.push_back(own);
  std::sort(t.begin(), t.end(), [](const ReachCall& a, const ReachCall& b) { return a.nr < b.nr; });
  return t;
}

}  // namespace

std::span<const ReachCall> ReachCalls() {
  static const std::vector<ReachCall> kCalls = Build();
  return kCalls;
}

const ReachCall* FindReachCall(int nr) {
  auto calls = ReachCalls();
  auto it = std::lower_bound(calls.begin(), calls.end(), nr, [](const ReachCall& c, int n) { return c.nr < n; });
  return it != calls.end() && it->nr == nr ? &*it : nullptr;
}

}  // namespace syd::policy
