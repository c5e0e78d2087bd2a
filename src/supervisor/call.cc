#include "supervisor/call.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>

#include "policy/suggest.h"
#include "policy/syscall_table.h"
#include "supervisor/blocking.h"
#include "supervisor/reach.h"
#include "supervisor/shared_policy.h"

namespace syd::supervisor {

std::shared_ptr<const policy::Decider> Call::KeepDecider() const {
  return keep_ ? keep_ : env.policy->ThreadShared();
}

void Respond(Call& c, Verdict v) {
  HandlerEnv& env = c.env;
  seccomp_notif_resp r{};
  r.id = c.req.id;
  // Recorded before the answer: the caller's next call comes after it.
  if (c.note && env.dump) env.dump->Record(c, v);
  switch (v.kind()) {
    case Verdict::Kind::kNone:
      return;
    case Verdict::Kind::kContinue:
      env.stats.continued.fetch_add(1, std::memory_order_relaxed);
      r.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
      break;
    case Verdict::Kind::kError:
      env.stats.errors.fetch_add(1, std::memory_order_relaxed);
      r.error = -v.err();
      break;
    case Verdict::Kind::kValue:
      env.stats.emulated.fetch_add(1, std::memory_order_relaxed);
      r.val = v.value();
      break;
    case Verdict::Kind::kFd: {
      // ADDFD|SEND: installed and answered atomically (measured no slower
      // than ADDFD followed by SEND, which would take SYNC_WAKE_UP's path).
      // The ioctl returns only once the caller has run and installed the
      // fd (never, while it is stopped): hand receiving over first.
      c.MayBlock();
      auto added = env.nfd->AddFdAndSend(c.req.id, v.fd().get(), v.cloexec() ? O_CLOEXEC : 0);
      if (added) {
        env.stats.emulated.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      if (added.error().sys_errno == ENOENT) return;  // the caller is gone
      env.stats.errors.fetch_add(1, std::memory_order_relaxed);
      r.error = -added.error().sys_errno;
      break;
    }
  }
  (void)env.nfd->Respond(r);
}

Verdict Proceed(Call& c) {
  if (c.nr() == __NR_pidfd_send_signal) return HandlePidfdSignal(c);
  return Verdict::Continue();
}

void KillProcess(Call& c) { c.tracee.SignalProcess(SIGKILL); }

Violation MakeViolation(Call& c, std::string_view category, const std::string& what, bool is_addr,
                        const char* action, int err, std::string rule) {
  Violation rep;
  rep.pid = c.tid();
  rep.tgid = c.Tgid();
  rep.syscall = std::string(c.info.name.empty() ? policy::SyscallName(c.nr()) : c.info.name);
  rep.category = std::string(category);
  rep.path = what;
  rep.is_addr = is_addr;
  rep.action = action;
  rep.err = err;
  rep.rule = std::move(rule);
  return rep;
}

void Report(Call& c, std::string_view category, const std::string& what, bool is_addr, const char* action, int err,
            std::string rule) {
  c.MayBlock();  // the log may be a pipe that is full
  c.env.reporter->Report(MakeViolation(c, category, what, is_addr, action, err, std::move(rule)));
}

std::optional<Verdict> Violate(Call& c, policy::Category cat, const std::string& what, bool is_addr,
                               const policy::PathVerdict& v, int err) {
  const policy::Policy& p = c.policy();
  const char* action = "deny";
  switch (p.decision) {
    case policy::Decision::kDeny: action = "deny"; break;
    case policy::Decision::kKill: action = "kill"; break;
    case policy::Decision::kKillAll: action = "killall"; break;
    case policy::Decision::kCont: action = "cont"; break;
  }
  // --dry-run: report what would have been decided, and allow.
  const bool dry = c.env.dry_run && p.decision != policy::Decision::kCont;
  const policy::Decision decision = dry ? policy::Decision::kCont : p.decision;
  if (decision != policy::Decision::kCont) c.env.stats.denied.fetch_add(1, std::memory_order_relaxed);
  NoteCategory(c, cat);
  NoteDecision(c, DumpDecision(decision), v.rule, true, dry ? DumpDecision(p.decision) : DumpNote::Decision::kNone);
  if (!v.filtered) {
    Violation rep = MakeViolation(c, policy::CategoryName(cat), what, is_addr, dry ? "cont" : action,
                                  decision == policy::Decision::kDeny ? err : 0,
                                  v.rule ? v.rule->ToString() : policy::DefaultRuleName(cat));
    if (dry) {
      rep.would = action;
      rep.allow = policy::AllowingCommand(cat, what, v.rule != nullptr).value_or("");
    }
    c.MayBlock();  // the log may be a pipe that is full
    c.env.reporter->Report(rep);
  }
  switch (decision) {
    case policy::Decision::kDeny: return Verdict::Error(err);
    case policy::Decision::kKill: KillProcess(c); return Verdict::Error(err);
    case policy::Decision::kKillAll:
      if (c.env.kill_all) c.env.kill_all();
      return Verdict::Error(err);
    case policy::Decision::kCont: return std::nullopt;
  }
  return Verdict::Error(err);
}

Verdict RunBlocking(Call& c, std::function<Verdict(Call&)> body) {
  HandlerEnv* env = &c.env;
  const seccomp_notif req = c.req;
  const policy::SyscallInfo* info = &c.info;
  const bool rule_allowed = c.rule_allowed;
  std::shared_ptr<DumpNote> note = CarryDumpNote(c);  // dumped where answered, or never started
  auto task = [env, req, info, rule_allowed, note, body = std::move(body)](BlockingCalls& pool,
                                                                          BlockingCalls::Ticket& t) {
    Call cc(req, *env, *info, env->policy->Load());
    cc.rule_allowed = rule_allowed;
    cc.note = note.get();
    for (;;) {
      Verdict v = body(cc);
      const BlockingCalls::Cancel why = t.why.load();
      if (why == BlockingCalls::Cancel::kGone) return;  // nobody to answer
      const bool interrupted = v.kind() == Verdict::Kind::kError && v.err() == EINTR;
      if (why == BlockingCalls::Cancel::kSignal && interrupted) {
        // Another thread of the caller may have taken a process-wide
        // signal meanwhile: then the call goes on, as it would have.
        if (!BlockingCalls::SignalPending(t.tgid, t.tid)) {
          pool.Rearm(t);
          continue;
        }
        v = Verdict::Error(kErestartsys);
      }
      pool.Finish(t);
      Respond(cc, std::move(v));
      return;
    }
  };
  env->blocking->Run(c.req.id, c.Tgid(), c.tid(), std::move(task));
  return Verdict::None();
}

}  // namespace syd::supervisor
