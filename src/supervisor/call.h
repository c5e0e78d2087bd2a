// Internal to supervisor/: the state of one notification while a handler
// works on it, the one answer point, and what every family of handlers
// shares (reports, violations, hand-off to a thread of its own).
#pragma once

#include <sys/syscall.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kernel/proc.h"
#include "policy/decider.h"
#include "policy/syscalls.h"
#include "supervisor/dump.h"
#include "supervisor/handlers.h"
#include "supervisor/tracee.h"
#include "supervisor/verdict.h"

namespace syd::supervisor {

// Per-notification state: the request, the policy snapshot it is decided
// on, and the caller (every read of its memory, copy of its descriptors
// and signal goes through `tracee`).
struct Call {
  Call(const seccomp_notif& r, HandlerEnv& e, const policy::SyscallInfo& i,
       std::shared_ptr<const policy::Decider> d)
      : req(r), env(e), info(i), decider(d.get()), keep_(std::move(d)), tracee(*e.nfd, r.id, static_cast<pid_t>(r.pid)) {}
  // On a worker's own snapshot (SharedPolicy::ThreadView), which outlives
  // the call on that thread.
  Call(const seccomp_notif& r, HandlerEnv& e, const policy::SyscallInfo& i, const policy::Decider* d)
      : req(r), env(e), info(i), decider(d), tracee(*e.nfd, r.id, static_cast<pid_t>(r.pid)) {}

  const seccomp_notif& req;
  HandlerEnv& env;
  const policy::SyscallInfo& info;  // a placeholder for calls that carry no path
  const policy::Decider* decider;
 private:
  std::shared_ptr<const policy::Decider> keep_;  // when not the thread's own snapshot
 public:
  // The snapshot, shared: for what outlives the call (a dump note).
  std::shared_ptr<const policy::Decider> KeepDecider() const;
  Tracee tracee;
  bool rule_allowed = false;  // a sys/ rule allowed the call: no category check
  DumpNote* note = nullptr;   // --dump: what the handlers found (dump.h); null otherwise
  // What the sys/ rules looked at, each read once, when a rule allowed the
  // call: the handler then performs the call only on the same (a path
  // resolved to the same place, the same string, the same address bytes),
  // so that a racing thread cannot make the call act on what the rule did
  // not look at (paths.cc, net.cc).
  struct RuleView {
    std::optional<std::vector<std::string>> paths;     // resolved, as the supervisor sees them
    std::vector<std::pair<int, std::string>> strings;  // raw string arguments (argument, value)
    std::optional<std::vector<char>> addr;              // the (first) address's bytes
    bool addr_compared = false;
  } rule_view;
  // A rule allowed the call after looking at a path or a string argument.
  bool RulePinned() const { return rule_allowed && (rule_view.paths || !rule_view.strings.empty()); }
  // The string argument `arg` a rule read, if it did.
  const std::string* RuleString(int arg) const {
    for (const auto& [a, v] : rule_view.strings)
      if (a == arg) return &v;
    return nullptr;
  }

  pid_t tid() const { return static_cast<pid_t>(req.pid); }
  pid_t Tgid() { return tracee.Tgid(); }
  uint64_t arg(int i) const { return req.data.args[i]; }
  int nr() const { return req.data.nr; }
  // Before anything that may wait on something other than this CPU (a
  // write to a log, ADDFD, a device's open): another worker takes over
  // receiving notifications, so the sandbox never waits behind this call.
  void MayBlock() {
    if (env.hand_off) env.hand_off();
  }
  // Where the answer needs real work (resolution, rules): if other calls
  // are queued, another worker answers them meanwhile.
  void WorkAhead() {
    if (env.hand_off_if_queued) env.hand_off_if_queued();
  }
  const policy::Policy& policy() const { return decider->policy(); }
};

// The one answer point: sends `v` to the kernel and counts it.
void Respond(Call& c, Verdict v);

// The call may run: CONTINUE, except pidfd_send_signal, whose descriptor
// could change under a CONTINUE: the supervisor sends it itself (reach.h).
Verdict Proceed(Call& c);

// Reports a denial (unless filtered) and decides it as the configured
// decision says: a verdict, or nothing when the call may go on (decision
// "cont"). `what` is the path, or the address when `is_addr`.
std::optional<Verdict> Violate(Call& c, policy::Category cat, const std::string& what, bool is_addr,
                               const policy::PathVerdict& v, int err);

// Writes one violation report for the current call.
// The report of a call, before it is written (Report fills and writes it).
Violation MakeViolation(Call& c, std::string_view category, const std::string& what, bool is_addr,
                        const char* action, int err, std::string rule);
void Report(Call& c, std::string_view category, const std::string& what, bool is_addr, const char* action,
            int err, std::string rule);

// SIGKILLs the caller's process through a pidfd confirmed to be the caller's.
void KillProcess(Call& c);

// Runs `body` on a thread of the blocking-call pool (blocking.h) with a
// fresh Call for the same notification, and answers with what it returns:
// for calls that may block (FIFO opens, blocking connects and sends) so
// that no worker waits on the sandbox. A signal for the caller interrupts
// the call as it would have interrupted the caller's own (EINTR or a
// restart, per SA_RESTART); `body` must return Error(EINTR) when its
// system call was interrupted, and may be run again. Returns
// Verdict::None() for the caller's thread.
Verdict RunBlocking(Call& c, std::function<Verdict(Call&)> body);

}  // namespace syd::supervisor
