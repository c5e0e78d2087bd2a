// The rules that keep a sandbox away from its supervisor and from the
// world outside (SPEC §2.9): lowered ahead of every rule of the
// configuration, so no sys/ rule or category can lift them.
#pragma once

#include <map>
#include <set>
#include <vector>

#include "bpf/compile.h"

namespace syd::bpf {

struct Guards {
  std::map<int, std::vector<ChainRule>> first;  // rules ahead of everything, per syscall
  std::map<int, uint32_t> forced;               // the whole call, whatever else is configured
  // Calls user space must see unless one of these argument conditions
  // (alternatives, each a conjunction) says the call acts on the caller.
  std::map<int, std::vector<std::vector<ArgCond>>> notify_unless;
};

Guards LowerGuards(const policy::Policy& p, const LowerOptions& opts);

// Rewrites a chain (whose first `kept` rules are guards) so that, unless an
// exemption holds, every answer that would let the call run comes to user
// space instead; errors and kills stay in the kernel.
void NotifyUnless(SyscallChain& ch, size_t kept, const std::vector<std::vector<ArgCond>>& unless);

}  // namespace syd::bpf
