// The policy as the workers see it: an immutable Decider published through
// an atomic shared_ptr. A runtime change copies the Policy, applies the
// command, checks the installed kernel program can still enforce it, and
// publishes a new snapshot; a worker keeps the snapshot it loaded for the
// whole of one decision, so it never sees a half-applied change.
//
// Each snapshot also carries the kernel half the policy needs now
// (`Needed()`): while runtime configuration is unlocked the installed
// program sends up more than that (bpf::LowerOptions::categories_may_change),
// and a call the needed program would have answered in the kernel is
// answered at once from the registers alone (NeededAction).
#pragma once

#include <linux/seccomp.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

#include "bpf/compile.h"
#include "lang/magic.h"
#include "policy/decider.h"

namespace syd::supervisor {

class SharedPolicy {
 public:
  // `installed` is the program the sandbox runs, lowered from `initial`
  // with `lowered_with`.
  SharedPolicy(policy::Policy initial, bpf::KernelPolicy installed, bpf::LowerOptions lowered_with);

  std::shared_ptr<const policy::Decider> Load() const;

  // The kernel half the current policy needs (lowered without
  // categories_may_change), for the registers-only answer.
  std::shared_ptr<const bpf::KernelPolicy> Needed() const;
  // The same two for the notification a worker thread starts on, without
  // touching the shared count: the thread keeps the snapshot it last saw
  // and loads again only once a change published another (one load of a
  // counter per call). Valid until this thread calls ThreadView() again:
  // only the start of a notification's handling does.
  struct View {
    const policy::Decider* decider;
    const bpf::KernelPolicy* needed;
  };
  View ThreadView() const;
  // The snapshot ThreadView() returned, shared (to outlive the call).
  std::shared_ptr<const policy::Decider> ThreadShared() const;

  // Whether the installed program sends up more than the policy needs
  // (then NeededAction must be consulted for every notification).
  bool superset() const { return superset_; }

  // Applies a runtime command; EINVAL-style errors carry a message.
  Status Change(const lang::Command& cmd, std::vector<std::string>* warnings);

 private:
  struct Snapshot {
    Snapshot(policy::Policy p, bpf::KernelPolicy k) : decider(std::move(p)), needed(std::move(k)) {}
    policy::Decider decider;
    bpf::KernelPolicy needed;
  };
  std::shared_ptr<const Snapshot> Make(policy::Policy p) const;

  std::atomic<std::shared_ptr<const Snapshot>> current_;
  std::atomic<uint64_t> version_{0};  // bumped after each store to current_
  const uint64_t id_;                 // this instance, for the threads' caches
  std::mutex writer_;
  bpf::KernelPolicy installed_;     // the program the sandbox runs
  bpf::LowerOptions lowered_with_;  // how it was lowered
  bool superset_ = false;
};

// What the kernel would have done with this call under `needed`: ALLOW (or
// LOG) means the call needs nothing from user space, ERRNO is the answer,
// USER_NOTIF means handle it. Reads registers only.
uint32_t NeededAction(const bpf::KernelPolicy& needed, const seccomp_data& data);

}  // namespace syd::supervisor
