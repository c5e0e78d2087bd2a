// sys/ rules (SPEC §4) that need user space: string, address or process-
// name conditions, and trace rules. The rule evaluator (policy/rules.cc)
// asks for what it needs through CallContext, read only when asked; the
// deciding rule is then carried out here.
#include "supervisor/rules.h"


#include <limits.h>
#include <signal.h>
#include <sys/socket.h>
#include <syslog.h>

#include "events/events.h"
#include "supervisor/modules.h"
#include "policy/syscall_table.h"
#include "util/strings.h"

namespace syd::supervisor {
namespace {

// What the rule evaluator may ask about the call, read only when asked.
class CallContext final : public policy::RuleContext {
 public:
  CallContext(Call& c, const policy::SyscallInfo* info, uint64_t open_flags, const open_how* how)
      : c_(c), info_(info), open_flags_(open_flags), how_(how) {}

  // Each argument is read once, whatever number of rules ask: every rule
  // decides on the same value, and the handler acts on that value only
  // (Call::rule_view).
  std::optional<std::string> String(int arg) override {
    for (const auto& [a, v] : strings_)
      if (a == arg) return v;
    auto s = c_.tracee.ReadString(c_.arg(arg), PATH_MAX);
    if (!s || !c_.tracee.Valid()) return std::nullopt;
    strings_.emplace_back(arg, *s);
    return std::move(*s);
  }
  std::vector<std::string> Paths() override {
    if (paths_) return *paths_;
    std::vector<std::string> out;
    if (!info_ || info_->npaths == 0) return out;
    if (int e = ResolveForRules(c_, open_flags_, how_, &out)) {
      resolve_errno_ = e;
      return {};
    }
    paths_ = out;
    return out;
  }
  // What was looked at, for the handler of an allowed call.
  Call::RuleView View() const {
    Call::RuleView v;
    v.paths = paths_;
    v.strings = strings_;
    v.addr = addr_raw_;
    return v;
  }
  // Set when a rule needed a path that cannot be resolved: the kernel would
  // fail the call with this errno, and so does the supervisor.
  int resolve_errno() const { return resolve_errno_; }
  std::optional<policy::SockAddr> Address() override {
    if (addr_read_) return addr_;
    addr_read_ = true;
    addr_ = ReadAddress();
    return addr_;
  }
  std::string Comm() override { return kernel::ReadComm(c_.tid()); }
  std::string Cmdline() override { return kernel::ReadCmdline(c_.Tgid()); }

 private:
  std::optional<policy::SockAddr> ReadAddress() {
    if (!info_ || info_->kind != policy::CallKind::kNet) return std::nullopt;
    uint64_t ptr = 0, len = 0;
    switch (info_->nr) {
      case __NR_bind:
      case __NR_connect: ptr = c_.arg(1); len = c_.arg(2) & 0xffffffffu; break;
      case __NR_sendto: ptr = c_.arg(4); len = c_.arg(5) & 0xffffffffu; break;
      default: {  // sendmsg, sendmmsg: the first message's name
        msghdr mh;
        if (!c_.tracee.ReadMemory(c_.arg(1), &mh, sizeof mh)) return std::nullopt;
        ptr = reinterpret_cast<uint64_t>(mh.msg_name);
        len = mh.msg_namelen;
      }
    }
    if (!ptr || len == 0 || len > sizeof(sockaddr_storage)) return std::nullopt;
    sockaddr_storage ss;
    if (!c_.tracee.ReadMemory(ptr, &ss, len)) return std::nullopt;
    addr_raw_.emplace(reinterpret_cast<const char*>(&ss), reinterpret_cast<const char*>(&ss) + len);
    auto a = policy::ParseSockaddr(&ss, len);
    if (!a) return std::nullopt;
    return std::move(*a);
  }

  Call& c_;
  std::optional<std::vector<std::string>> paths_;
  std::vector<std::pair<int, std::string>> strings_;
  bool addr_read_ = false;
  std::optional<policy::SockAddr> addr_;
  std::optional<std::vector<char>> addr_raw_;
  const policy::SyscallInfo* info_;
  uint64_t open_flags_;
  const open_how* how_;
  int resolve_errno_ = 0;
};

// log / :log=FD|syslog: one JSON line per logged call, naming what the
// call named, resolved.
void LogCall(Call& c, const policy::SysRule& r, int64_t dest, CallContext& ctx) {
  c.MayBlock();
  events::SyscallLog e;
  e.pid = c.tid();
  e.tgid = c.Tgid();
  e.comm = kernel::ReadComm(c.tid());
  e.syscall = std::string(policy::SyscallName(c.req.data.nr));
  if (e.syscall.empty()) e.syscall = "?";
  e.nr = c.req.data.nr;
  for (int i = 0; i < 6; ++i) e.args[static_cast<size_t>(i)] = c.arg(i);
  e.paths = ctx.Paths();
  if (auto a = ctx.Address()) e.addr = a->ToString();
  e.rule = r.origin.ToString();
  const std::string line = events::Json(e);
  if (dest == -1) {
    syslog(LOG_INFO, "%s", line.c_str());
  } else if (dest >= 0) {
    (void)!write(static_cast<int>(dest), line.data(), line.size());
  } else {
    c.env.reporter->Line(line);
  }
}

void Trap(Call& c) { c.tracee.SignalThread(SIGSYS); }

void SignalProcess(Call& c, int sig) { c.tracee.SignalProcess(sig); }

// Carries out the deciding rule: a verdict, or nothing when category
// sandboxing still has to run (allow: with its checks skipped; trace
// without an outcome).
std::optional<Verdict> ApplyRuleInner(Call& c, const policy::SysRule& r, CallContext& ctx) {
  using K = lang::OptKind;
  if (r.restrictive) c.env.stats.denied.fetch_add(1, std::memory_order_relaxed);
  if (const auto* lo = r.Option(K::kLog)) LogCall(c, r, lo->number, ctx);
  auto number = [&](K k, int64_t dflt) { const auto* o = r.Option(k); return o ? o->number : dflt; };
  switch (r.rule.action) {
    case lang::RuleAction::kKillProcess:
      Report(c, "rule", std::string(policy::SyscallName(c.nr())), false, "kill", 0, r.origin.ToString());
      SignalProcess(c, SIGKILL);
      return Verdict::Error(EPERM);
    case lang::RuleAction::kKillThread:
      // A single thread cannot be killed from outside: the process goes.
      Report(c, "rule", std::string(policy::SyscallName(c.nr())), false, "kill", 0, r.origin.ToString());
      c.tracee.SignalThread(SIGKILL);
      return Verdict::Error(EPERM);
    case lang::RuleAction::kFault:
      return Verdict::Error(static_cast<int>(number(K::kError, EPERM)));
    case lang::RuleAction::kTrap:
      Trap(c);
      if (r.Option(K::kRetval)) return Verdict::Value(number(K::kRetval, 0));
      return Verdict::Error(static_cast<int>(number(K::kError, ENOSYS)));
    case lang::RuleAction::kAllow:
      c.rule_allowed = true;
      return std::nullopt;
    case lang::RuleAction::kLog:
    case lang::RuleAction::kTrace:
      break;
  }
  if (r.Option(K::kLoad)) {
    // load=: the module decides (modules.h). Loaded when sydbox started;
    // a rule without its module (never expected) fails the call.
    if (!r.module) return Verdict::Error(EPERM);
    const auto& m = static_cast<const LoadedModule&>(*r.module);
    // The paths, resolved once when the module asks (the ones an allow is
    // then performed on: Call::rule_view).
    struct Source final : ModuleCallSource {
      explicit Source(CallContext& x) : ctx(x) {}
      const std::vector<std::string>* Paths() override {
        auto p = ctx.Paths();
        if (ctx.resolve_errno() || p.empty()) return nullptr;
        paths = std::move(p);
        return &paths;
      }
      CallContext& ctx;
      std::vector<std::string> paths;
    } src(ctx);
    const std::vector<std::string>* shown = nullptr;
    std::optional<Verdict> v = CallModule(c, m, &src, &shown);
    if (c.note && (v || c.rule_allowed)) {
      c.note->module = &m.name();
      for (size_t i = 0; shown && i < shown->size() && i < 2; ++i) NotePath(c, static_cast<int>(i), (*shown)[i]);
    }
    return v;
  }
  if (const auto* o = r.Option(K::kKillProcess)) {
    SignalProcess(c, static_cast<int>(o->number));
    return Verdict::Error(EPERM);
  }
  if (const auto* o = r.Option(K::kKillThread)) {
    c.tracee.SignalThread(static_cast<int>(o->number));
    return Verdict::Error(EPERM);
  }
  if (const auto* o = r.Option(K::kDetachProcess)) {
    if (!c.env.procs->UpdateCaller(c.tracee, [](ProcState& st) { st.resumed = true; })) return Verdict::None();
    if (o->number) SignalProcess(c, static_cast<int>(o->number));
    return Proceed(c);
  }
  if (const auto* o = r.Option(K::kDetachThread)) {
    // Without a pidfd of the thread (Linux before 6.9) it stays decided
    // here: the call and the signal go on as the rule says.
    c.env.procs->DetachThread(c.tracee);
    if (o->number) c.tracee.SignalThread(static_cast<int>(o->number));
    return Proceed(c);
  }
  if (r.Option(K::kTrap) || r.Option(K::kRetval)) {
    Trap(c);
    if (r.Option(K::kRetval)) return Verdict::Value(number(K::kRetval, 0));
    return Verdict::Error(static_cast<int>(number(K::kTrap, ENOSYS)));
  }
  if (r.Option(K::kFault)) return Verdict::Error(static_cast<int>(number(K::kFault, EPERM)));
  if (r.Option(K::kAllow)) c.rule_allowed = true;
  return std::nullopt;  // no outcome given: category sandboxing decides
}

// --dump: the deciding rule and what it decided (a trace rule without an
// outcome leaves the decision to category sandboxing).
std::optional<Verdict> ApplyRule(Call& c, const policy::SysRule& r, CallContext& ctx) {
  std::optional<Verdict> v = ApplyRuleInner(c, r, ctx);
  if (!c.note) return v;
  using D = DumpNote::Decision;
  using K = lang::OptKind;
  D d = D::kNone;
  if (c.rule_allowed) d = D::kAllow;
  else if (!v) return v;
  else if (r.rule.action == lang::RuleAction::kKillProcess || r.rule.action == lang::RuleAction::kKillThread ||
           r.Option(K::kKillProcess) || r.Option(K::kKillThread))
    d = D::kKill;
  else if (r.Option(K::kDetachProcess) || r.Option(K::kDetachThread)) d = D::kDetach;
  else if (r.rule.action == lang::RuleAction::kTrap || r.Option(K::kTrap) || r.Option(K::kRetval)) d = D::kTrap;
  else d = D::kDeny;  // fault
  NoteDecision(c, d, &r.origin, false);
  return v;
}

}  // namespace

std::optional<Verdict> RunRules(Call& c, const Intent& in) {
  c.WorkAhead();
  const policy::SyscallInfo* info = c.info.nr >= 0 ? &c.info : nullptr;
  CallContext ctx(c, info, in.open_flags, in.has_how ? &in.how : nullptr);
  policy::RuleOutcome out =
      policy::EvaluateRules(c.decider->rules(), c.nr(), reinterpret_cast<const uint64_t*>(c.req.data.args), ctx);
  if (!c.tracee.Recheck()) return Verdict::None();  // memory or /proc of the caller was read
  for (const policy::SysRule* lr : out.logged) {
    const auto* o = lr->Option(lang::OptKind::kLog);
    LogCall(c, *lr, o ? o->number : -2, ctx);
  }
  if (ctx.resolve_errno()) return Verdict::Error(ctx.resolve_errno());
  if (out.rule) {
    std::optional<Verdict> v = ApplyRule(c, *out.rule, ctx);
    if (!v && c.rule_allowed) c.rule_view = ctx.View();
    return v;
  }
  return std::nullopt;
}

}  // namespace syd::supervisor
