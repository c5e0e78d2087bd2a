// Internal to supervisor/: the state of one notification while a handler
// works on it, and the helpers every handler family shares.
#pragma once

#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "kernel/proc.h"
#include "policy/decider.h"
#include "policy/syscalls.h"
#include "supervisor/handlers.h"
#include "supervisor/tracee.h"

namespace syd::supervisor {

// Per-notification state: the request, the policy snapshot it is decided
// on, and the caller (every read of its memory, copy of its descriptors
// and signal goes through `tracee`).
struct Call {
  Call(const seccomp_notif& r, HandlerEnv& e, const policy::SyscallInfo& i,
       std::shared_ptr<const policy::Decider> d)
      : req(r), env(e), info(i), decider(std::move(d)), tracee(*e.nfd, r.id, static_cast<pid_t>(r.pid)) {}

  const seccomp_notif& req;
  HandlerEnv& env;
  const policy::SyscallInfo& info;
  std::shared_ptr<const policy::Decider> decider;
  Tracee tracee;
  bool rule_allowed = false;  // a sys/ rule allowed the call: no category check

  pid_t tid() const { return static_cast<pid_t>(req.pid); }
  pid_t Tgid() { return tracee.Tgid(); }
  uint64_t arg(int i) const { return req.data.args[i]; }
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

  void Continue() {
    env.stats.continued.fetch_add(1, std::memory_order_relaxed);
    seccomp_notif_resp r{};
    r.id = req.id;
    r.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    (void)env.nfd->Respond(r);
  }
  void Error(int e) {
    env.stats.errors.fetch_add(1, std::memory_order_relaxed);
    seccomp_notif_resp r{};
    r.id = req.id;
    r.error = -e;
    (void)env.nfd->Respond(r);
  }
  void Value(int64_t v) {
    env.stats.emulated.fetch_add(1, std::memory_order_relaxed);
    seccomp_notif_resp r{};
    r.id = req.id;
    r.val = v;
    (void)env.nfd->Respond(r);
  }
};


// Reports a denial (unless filtered) and answers it as the configured
// decision says. Returns true if the call may go on (decision "cont").
// `what` is the path, or the address when `is_addr`.
bool Violate(Call& c, policy::Category cat, const std::string& what, bool is_addr,
             const policy::PathVerdict& v, int err);

// SIGKILLs the caller's process, through a pidfd taken while the
// notification is still valid (so a reused pid is never hit).
void KillProcess(Call& c);

// The absolute path, inside the caller's root, of its cwd (AT_FDCWD) or of
// one of its descriptors; EPERM for a directory outside that root.
Result<std::string> DirOf(Call& c, int dirfd, const ProcessTable::Root& root);

// bind, connect, sendto, sendmsg, sendmmsg (net.cc).
void HandleNet(Call& c);

// Runs `body` on a thread of its own with a fresh Call for the same
// notification: for calls that may block (FIFO opens, blocking connects and
// sends) so that no worker waits on the sandbox.
void RunDetached(Call& c, std::function<void(Call&)> body);

// Runs `fn` with the caller's filesystem identity on this thread.
template <class Fn>
auto AsCaller(const kernel::Creds& cr, bool switch_ids, Fn fn) {
  uid_t old_uid = 0;
  gid_t old_gid = 0;
  if (switch_ids) {
    old_gid = static_cast<gid_t>(syscall(SYS_setfsgid, cr.fsgid));
    old_uid = static_cast<uid_t>(syscall(SYS_setfsuid, cr.fsuid));
  }
  auto r = fn();
  if (switch_ids) {
    syscall(SYS_setfsuid, old_uid);
    syscall(SYS_setfsgid, old_gid);
  }
  return r;
}

}  // namespace syd::supervisor
