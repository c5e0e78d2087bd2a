// Shared by the BPF tests: a policy from magic-command lines, and a
// seccomp_data for the native architecture.
#pragma once

#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

#include <string>
#include <vector>

#include "bpf/compile.h"
#include "policy/apply.h"

namespace syd::bpf::test {

// One call and the action the compiled program must return for it.
struct Case {
  const char* name;
  seccomp_data in;
  uint32_t want;
};

inline policy::Policy MakePolicy(const std::vector<std::string>& lines) {
  std::vector<lang::Command> cmds;
  uint32_t n = 0;
  for (const auto& l : lines) {
    auto c = lang::ParseCommand(l, {"t", ++n});
    EXPECT_TRUE(c) << l;
    if (c) cmds.push_back(*c);
  }
  auto p = policy::ApplyAll(policy::Policy{}, cmds, policy::ApplyEnv{});
  EXPECT_TRUE(p) << (p ? "" : p.error().what);
  return p ? *p : policy::Policy{};
}

// Lowering as on a kernel with Landlock signal scoping, magic locked, no
// supervisor pid: what the rule tests compare against.
inline LowerOptions Scoped(int supervisor_pid = 0) {
  LowerOptions o;
  o.magic_unlocked = false;
  o.supervisor_pid = supervisor_pid;
  o.signals_scoped = true;
  o.ptrace_scoped = true;
  return o;
}

inline seccomp_data Sys(int nr, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0) {
  seccomp_data d{};
  d.nr = nr;
  d.arch = AUDIT_ARCH_X86_64;
  d.args[0] = a0;
  d.args[1] = a1;
  d.args[2] = a2;
  d.args[3] = a3;
  return d;
}

}  // namespace syd::bpf::test
