// The policy as the workers see it: an immutable Decider published through
// an atomic shared_ptr. A runtime change copies the Policy, applies the
// command, checks the installed kernel program can still enforce it, and
// publishes a new Decider; a worker keeps the snapshot it loaded for the
// whole of one decision, so it never sees a half-applied change.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <set>

#include "bpf/compile.h"
#include "lang/magic.h"
#include "policy/decider.h"

namespace syd::supervisor {

class SharedPolicy {
 public:
  SharedPolicy(policy::Policy initial, std::set<int> notified, bpf::LowerOptions lowered_with);

  std::shared_ptr<const policy::Decider> Load() const { return current_.load(std::memory_order_acquire); }

  // Applies a runtime command; EINVAL-style errors carry a message.
  Status Change(const lang::Command& cmd, std::vector<std::string>* warnings);

 private:
  std::atomic<std::shared_ptr<const policy::Decider>> current_;
  std::mutex writer_;
  std::set<int> notified_;  // syscalls the installed program sends to us
  bpf::LowerOptions lowered_with_;  // how the installed program was lowered
};

}  // namespace syd::supervisor
