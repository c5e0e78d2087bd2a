#include "supervisor/shared_policy.h"

#include "bpf/compile.h"
#include "policy/apply.h"

namespace syd::supervisor {

SharedPolicy::SharedPolicy(policy::Policy initial, std::set<int> notified, bpf::LowerOptions lowered_with)
    : current_(std::make_shared<const policy::Decider>(std::move(initial))),
      notified_(std::move(notified)),
      lowered_with_(lowered_with) {}

Status SharedPolicy::Change(const lang::Command& cmd, std::vector<std::string>* warnings) {
  std::lock_guard<std::mutex> lock(writer_);
  policy::Policy next = Load()->policy();
  policy::ApplyEnv env;
  env.runtime = true;
  env.warnings = warnings;
  SYD_TRY_STATUS(policy::Apply(next, cmd, env));
  // The kernel program and the Landlock domain cannot change.
  const policy::Policy& now = Load()->policy();
  if (next.restrict_outside_signals != now.restrict_outside_signals ||
      next.restrict_terminal != now.restrict_terminal || next.restrict_namespaces != now.restrict_namespaces ||
      next.restrict_mounts != now.restrict_mounts || next.restrict_device_nodes != now.restrict_device_nodes)
    return Failf("'{}' is enforced by the kernel and cannot change once the sandbox runs", cmd.key);
  for (int nr : bpf::NotifiedSyscalls(bpf::LowerKernel(next, lowered_with_))) {
    if (!notified_.count(nr))
      return Failf("'{}' needs system calls the sandbox's seccomp program does not intercept "
                   "(set it before the sandbox starts)", cmd.key);
  }
  current_.store(std::make_shared<const policy::Decider>(std::move(next)), std::memory_order_release);
  return {};
}

}  // namespace syd::supervisor
