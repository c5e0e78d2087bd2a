// The kernel/user split is declared once: whatever a lowered program can
// send to user space, the supervisor has a plan for — a handler of its
// family (dispatch.h), the check of a call on another process (reach.h),
// the cache drop of a credential call, or a sys/ rule of the configuration.
#include <gtest/gtest.h>

#include <algorithm>

#include "bpf/compile.h"
#include "policy/apply.h"
#include "policy/reach.h"
#include "policy/syscalls.h"
#include "supervisor/dispatch.h"

namespace syd::supervisor {
namespace {

policy::Policy Make(const std::vector<std::string>& lines) {
  std::vector<lang::Command> cmds;
  for (const auto& l : lines) cmds.push_back(*lang::ParseCommand(l, {"t", 1}));
  return *policy::ApplyAll(policy::Policy{}, cmds, policy::ApplyEnv{});
}

TEST(Plan, EveryNotifiedCallHasAHandler) {
  const std::vector<std::vector<std::string>> policies = {
      {},
      {"core/sandbox/read:deny", "core/sandbox/write:deny", "core/sandbox/exec:deny", "core/sandbox/stat:deny",
       "core/sandbox/network:deny"},
      {"core/sandbox/read:allow", "core/sandbox/write:allow", "core/sandbox/exec:allow", "core/sandbox/stat:allow",
       "core/sandbox/network:allow"},
      {"core/sandbox/write:deny", "exec/kill_if_match+/bin/x"},
      {"core/sandbox/read:deny", "core/sandbox/write:bpf"},
      {"core/restrict/outside_signals:false", "core/restrict/namespaces:false"},
  };
  int checked = 0;
  for (const auto& lines : policies) {
    const policy::Policy p = Make(lines);
    for (bool unlocked : {false, true}) {
      for (bool scoped : {false, true}) {
        bpf::LowerOptions lo;
        lo.magic_unlocked = unlocked;
        lo.supervisor_pid = 4242;
        lo.signals_scoped = lo.ptrace_scoped = scoped;
        for (int nr : bpf::NotifiedSyscalls(bpf::LowerKernel(p, lo))) {
          ++checked;
          const auto creds = policy::CredentialSyscalls();
          const auto sharing = policy::FsSharingSyscalls();
          const bool plan = FindHandler(nr) != nullptr || policy::FindReachCall(nr) != nullptr ||
                            std::find(creds.begin(), creds.end(), nr) != creds.end() ||
                            std::find(sharing.begin(), sharing.end(), nr) != sharing.end() ||
                            (nr == __NR_prctl && !policy::CredentialPrctls().empty());
          EXPECT_TRUE(plan) << "syscall " << nr << " reaches user space with no plan";
        }
      }
    }
  }
  EXPECT_GT(checked, 100);
}

// And the other way round: every checked call has its handler.
TEST(Plan, EveryCheckedCallIsDispatched) {
  for (const policy::SyscallInfo& s : policy::CheckedSyscalls())
    EXPECT_NE(FindHandler(s.nr), nullptr) << s.name;
}

}  // namespace
}  // namespace syd::supervisor
