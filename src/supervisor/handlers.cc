// How a notification is answered, in order:
//  1. a call acting on another process (reach.h) has its target checked;
//  2. a process released by exec/resume_if_match gets CONTINUE;
//  3. a call that changes the caller's ids, umask or root, or makes a
//     process sharing its umask and root, drops what was cached for it;
//  4. the call's intent is read (open flags, once);
//  5. stat-like calls go to the stat hook, the built-in module magic_stat
//     (magic.cc), unless a rule loads it where the user wants it;
//  6. the configuration's sys/ rules that need user space (rules.h);
//  7. category sandboxing, by the handler of the call's family
//     (dispatch.h): resolve and decide every path or address, then
//     perform the call as the caller where the family does.
// Every answer goes through Respond() (call.h).
#include "supervisor/handlers.h"

#include <fcntl.h>
#include <sched.h>

#include <algorithm>

#include "policy/reach.h"
#include "policy/syscalls.h"
#include "supervisor/call.h"
#include "supervisor/dispatch.h"
#include "supervisor/families.h"
#include "supervisor/modules.h"
#include "supervisor/reach.h"
#include "supervisor/rules.h"
#include "supervisor/shared_policy.h"

#include <linux/seccomp.h>

namespace syd::supervisor {
namespace {

// What the process table caches for a caller's performed calls (its ids,
// umask and root) is forgotten when the caller is about to change it, and
// for good when it makes a process that shares its umask and root
// (clone with CLONE_FS and without CLONE_THREAD: a change by either is
// the other's, and the other's calls say nothing about this one; clone3
// never runs: bpf/guards.cc).
void NoteIdentityChange(Call& c) {
  const int nr = c.nr();
  const auto sharing = policy::FsSharingSyscalls();
  if (std::find(sharing.begin(), sharing.end(), nr) != sharing.end()) {
    const uint64_t flags = c.arg(0);
    if ((flags & CLONE_FS) && !(flags & CLONE_THREAD)) c.env.procs->MarkSharesFs(c.Tgid());
    return;
  }
  for (int cred : policy::CredentialSyscalls()) {
    if (cred == nr) {
      c.env.procs->MarkVolatile(c.Tgid());
      return;
    }
  }
}

Verdict Decide(Call& c, bool checked_call) {
  HandlerEnv& env = c.env;
  const int nr = c.nr();
  // A call acting on another process that the kernel sent here: its target
  // is checked first, for every process, released or not.
  if (const policy::ReachCall* reach = policy::FindReachCall(nr); reach && reach->target != policy::Target::kPidfd) {
    if (auto v = CheckReach(c, *reach)) return std::move(*v);
  }
  if (env.procs->any_resumed() && (env.procs->ThreadDetached(c.tid()) || env.procs->Get(c.Tgid()).resumed))
    return Proceed(c);  // released (resume_if_match, detach_*): only the kernel program applies

  // A call that changes the caller's identity, umask or root: forget what
  // was cached for its opens (before the call: it may change them now).
  NoteIdentityChange(c);
  if (nr == __NR_prctl) {  // the capabilities its next exec leaves
    for (uint64_t option : policy::CredentialPrctls())
      if ((c.arg(0) & 0xffffffffu) == option) env.procs->MarkVolatile(c.Tgid());
  }

  Intent in;
  if (checked_call) {
    if (auto v = ReadIntent(c, &in)) return std::move(*v);
    if (c.info.magic && env.stat_module) {
      if (auto v = CallModule(c, *env.stat_module, nullptr)) {
        if (c.note) c.note->module = &env.stat_module->name();
        return std::move(*v);
      }
    }
  }
  // sys/ rules, in order; the category sandboxing is the final rule.
  if (c.decider->HasRules(nr)) {
    if (auto v = RunRules(c, in)) return std::move(*v);
  }
  // No rule decided and no category applies: allowed, as in the kernel.
  if (!checked_call) return Proceed(c);
  Handler h = FindHandler(nr);
  return h ? h(c, in) : Proceed(c);
}

// While runtime configuration is unlocked the kernel program sends up every
// call a category could check later (bpf::LowerOptions::
// categories_may_change). What the current policy's own program would have
// decided in the kernel is decided here from the registers alone, before
// anything is read: CONTINUE for a call it would have let through (safe:
// nothing was checked, so nothing can change between a check and the
// call), its errno for one it would have failed. Magic stat, the guards
// and sys/ rules are in that program too, so their calls still reach
// Decide().
std::optional<Verdict> AnswerFromRegisters(Call& c, const bpf::KernelPolicy& needed) {
  const uint32_t act = NeededAction(needed, c.req.data);
  switch (act & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_USER_NOTIF: return std::nullopt;
    case SECCOMP_RET_ERRNO: return Verdict::Error(static_cast<int>(act & SECCOMP_RET_DATA));
    case SECCOMP_RET_ALLOW:
    case SECCOMP_RET_LOG: break;
    default: return std::nullopt;  // not produced for a notified call (bpf::CannotEnforce)
  }
  // An open for writing while a process is locked or released: performed
  // by the open handler, which refuses another process's memory.
  if (c.info.kind == policy::CallKind::kOpen) {
    const uint64_t flags = c.nr() == __NR_creat ? O_WRONLY : c.arg(c.info.flags_arg) & 0xffffffffu;
    if (WriteOpenToPerform(c, flags)) return std::nullopt;
  }
  // A change of identity, umask or root while no category needed it: what
  // was cached for the caller's opens must not outlive it.
  NoteIdentityChange(c);
  return Proceed(c);
}

}  // namespace

void HandleNotification(const seccomp_notif& req, HandlerEnv& env) {
  const policy::SyscallInfo* info = policy::FindSyscall(req.data.nr);
  // Calls that are only here for a sys/ rule or a guard have no checked-
  // syscall entry; `placeholder` keeps Call's reference valid.
  static const policy::SyscallInfo placeholder{};
  const SharedPolicy::View view = env.policy->ThreadView();
  Call c(req, env, info ? *info : placeholder, view.decider);
  if (env.dump) c.note = FreshDumpNote();
  if (env.policy->superset()) {
    if (auto v = AnswerFromRegisters(c, *view.needed)) return Respond(c, std::move(*v));
  }
  Respond(c, Decide(c, info != nullptr));
}


uint64_t Stats::Percentile(double fraction) const {
  uint64_t total = 0;
  for (const auto& b : latency_us) total += b.load(std::memory_order_relaxed);
  if (total == 0) return 0;
  const uint64_t want = static_cast<uint64_t>(fraction * static_cast<double>(total) + 0.5);
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += latency_us[i].load(std::memory_order_relaxed);
    if (seen >= want && seen > 0) return static_cast<uint64_t>(i) + 1;  // bucket i holds [i, i+1) µs
  }
  return kBuckets;
}

events::Stats Stats::Snapshot() const {
  events::Stats e;
  e.notifications = received.load();
  e.continued = continued.load();
  e.emulated = emulated.load();
  e.errors = errors.load();
  e.denied = denied.load();
  e.p50_us = Percentile(0.5);
  e.p99_us = Percentile(0.99);
  e.workers = workers.load();
  return e;
}

}  // namespace syd::supervisor
