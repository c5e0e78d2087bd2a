#include "supervisor/shared_policy.h"

#include "bpf/compile.h"
#include "policy/apply.h"

namespace syd::supervisor {

SharedPolicy::SharedPolicy(policy::Policy initial, std::set<int> notified, bool magic_unlocked)
    : current_(std::make_shared<const policy::Decider>(std::move(initial))),
      notified_(std::move(notified)),
      magic_unlocked_(magic_unlocked) {}

Status SharedPolicy::Change(const lang::Command& cmd, std::vector<std::string>* warnings) {
  std::lock_guard<std::mutex> lock(writer_);
  policy::Policy next = Load()->policy();
  policy::ApplyEnv env;
  env.warnings = warnings;
  SYD_TRY_STATUS(policy::Apply(next, cmd, env));
  // The kernel program cannot change: refuse what it would not send us.
  bpf::LowerOptions lo;
  lo.magic_unlocked = magic_unlocked_;
  for (int nr : bpf::NotifiedSyscalls(bpf::LowerKernel(next, lo))) {
    if (!notified_.count(nr))
      return Failf("'{}' needs system calls the sandbox's seccomp program does not intercept "
                   "(set it before the sandbox starts)", cmd.key);
  }
  current_.store(std::make_shared<const policy::Decider>(std::move(next)), std::memory_order_release);
  return {};
}

}  // namespace syd::supervisor
