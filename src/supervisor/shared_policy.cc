#include "supervisor/shared_policy.h"

#include "bpf/compile.h"
#include "policy/apply.h"
#include "policy/syscall_table.h"

namespace syd::supervisor {

namespace {

std::atomic<uint64_t> g_instances{0};

// A worker thread's snapshot (SharedPolicy::ThreadView): which instance
// and version it is of, so a later instance never serves an earlier one's.
struct ThreadSnapshot {
  uint64_t id = 0, version = 0;
  std::shared_ptr<const void> keep;
  const policy::Decider* decider = nullptr;
  const bpf::KernelPolicy* needed = nullptr;
};
thread_local ThreadSnapshot t_snapshot;

}  // namespace

SharedPolicy::SharedPolicy(policy::Policy initial, bpf::KernelPolicy installed, bpf::LowerOptions lowered_with)
    : id_(g_instances.fetch_add(1) + 1),
      installed_(std::move(installed)),
      lowered_with_(lowered_with),
      superset_(lowered_with.categories_may_change) {
  current_.store(Make(std::move(initial)));
}

SharedPolicy::View SharedPolicy::ThreadView() const {
  // Acquire: a version seen is one whose snapshot was stored before it (a
  // change answered to one process is seen by its next call on any thread).
  const uint64_t v = version_.load(std::memory_order_acquire);
  ThreadSnapshot& t = t_snapshot;
  if (t.id != id_ || t.version != v || !t.keep) {
    std::shared_ptr<const Snapshot> s = current_.load(std::memory_order_acquire);
    t.decider = &s->decider;
    t.needed = &s->needed;
    t.keep = std::move(s);
    t.id = id_;
    t.version = v;
  }
  return {t.decider, t.needed};
}

std::shared_ptr<const policy::Decider> SharedPolicy::ThreadShared() const {
  const ThreadSnapshot& t = t_snapshot;
  if (t.id != id_ || !t.keep) return Load();
  return std::shared_ptr<const policy::Decider>(t.keep, t.decider);
}

std::shared_ptr<const SharedPolicy::Snapshot> SharedPolicy::Make(policy::Policy p) const {
  bpf::LowerOptions needed_with = lowered_with_;
  needed_with.categories_may_change = false;
  bpf::KernelPolicy needed = bpf::LowerKernel(p, needed_with);
  return std::make_shared<const Snapshot>(std::move(p), std::move(needed));
}

std::shared_ptr<const policy::Decider> SharedPolicy::Load() const {
  std::shared_ptr<const Snapshot> s = current_.load(std::memory_order_acquire);
  return std::shared_ptr<const policy::Decider>(s, &s->decider);
}

std::shared_ptr<const bpf::KernelPolicy> SharedPolicy::Needed() const {
  std::shared_ptr<const Snapshot> s = current_.load(std::memory_order_acquire);
  return std::shared_ptr<const bpf::KernelPolicy>(s, &s->needed);
}

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
  // Landlock mode (a ruleset entered before exec): the mode cannot change,
  // and the kernel keeps refusing what a later allowlist entry would allow.
  for (policy::Category c : {policy::Category::kRead, policy::Category::kWrite, policy::Category::kExec}) {
    const bool was = now.mode(c) == policy::Mode::kLandlock, is = next.mode(c) == policy::Mode::kLandlock;
    if (was != is)
      return Failf("'{}': the landlock mode is a Landlock ruleset and cannot change once the sandbox runs", cmd.key);
    const size_t i = static_cast<size_t>(c);
    if (was && warnings && next.path_rules[i].size() != now.path_rules[i].size())
      warnings->push_back(fmt::format("'{}': {} is in landlock mode: the kernel's ruleset does not change, it still "
                                      "refuses what it refused",
                                      cmd.key, policy::CategoryName(c)));
  }
  // Lowered as the installed program was (every category checked while
  // unlocked): a change of categories alone lowers to the same program; a
  // change that needs another one in the kernel is refused unless user
  // space can answer every case of it.
  if (auto nr = bpf::CannotEnforce(installed_, bpf::LowerKernel(next, lowered_with_))) {
    const std::string call = *nr < 0 ? std::string("the default action") : std::string(policy::SyscallName(*nr));
    std::string why;
    if (!superset_) {
      why = "; runtime configuration was locked when the sandbox started, so the program intercepts only what "
            "the policy needed then (set it before the sandbox starts)";
    } else if (cmd.key.rfind("core/sandbox/", 0) == 0) {
      why = "; core/trace/runtime_categories does not list this category, so its calls are not intercepted "
            "(set it before the sandbox starts)";
    }
    return Failf("'{}' changes what the sandbox's seccomp program decides in the kernel ({}){}", cmd.key, call, why);
  }
  current_.store(Make(std::move(next)), std::memory_order_release);
  version_.fetch_add(1, std::memory_order_release);
  return {};
}

uint32_t NeededAction(const bpf::KernelPolicy& needed, const seccomp_data& data) {
  uint64_t args[6];
  for (int i = 0; i < 6; ++i) args[i] = data.args[i];
  return bpf::ReferenceEvaluate(needed, data.arch, data.nr, args);
}

}  // namespace syd::supervisor
