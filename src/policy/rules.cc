// Two-path calls (rename, link): a condition on arg_ is evaluated per path.
// A restrictive rule (kill, fault, trap) applies if it holds for either
// path, a permissive one (allow, log, trace) only if it holds for both, so
// that neither kind of rule can be sidestepped by the other path.
#include "policy/rules.h"

#include <linux/seccomp.h>
#include <pcre2.h>

#include <map>

#include "policy/syscall_table.h"
#include "policy/syscalls.h"

#include <linux/audit.h>
#include "util/strings.h"

namespace syd::policy {
namespace {

uint32_t KernelAction(const lang::Rule& r) {
  auto opt = [&](lang::OptKind k) -> const lang::RuleOption* {
    for (const auto& o : r.options)
      if (o.kind == k) return &o;
    return nullptr;
  };
  switch (r.action) {
    case lang::RuleAction::kKillProcess: return SECCOMP_RET_KILL_PROCESS;
    case lang::RuleAction::kKillThread: return SECCOMP_RET_KILL_THREAD;
    case lang::RuleAction::kFault: {
      const auto* e = opt(lang::OptKind::kError);
      return SECCOMP_RET_ERRNO | (static_cast<uint32_t>(e ? e->number : EPERM) & SECCOMP_RET_DATA);
    }
    case lang::RuleAction::kTrap: {
      const auto* e = opt(lang::OptKind::kError);
      const auto* v = opt(lang::OptKind::kRetval);
      int64_t data = e ? e->number : v ? v->number : 0;
      return SECCOMP_RET_TRAP | (static_cast<uint32_t>(data) & SECCOMP_RET_DATA);
    }
    case lang::RuleAction::kAllow: return SECCOMP_RET_ALLOW;
    case lang::RuleAction::kLog: return SECCOMP_RET_LOG;
    case lang::RuleAction::kTrace: return SECCOMP_RET_USER_NOTIF;
  }
  return SECCOMP_RET_USER_NOTIF;
}

// name -> bitmask of int arguments.
const std::map<int, uint8_t>& IntArgs() {
  static const std::map<int, uint8_t> kMap = [] {
    const std::pair<const char*, uint8_t> kNamed[] = {
        {"read", 1}, {"write", 1}, {"close", 1}, {"fstat", 1}, {"lseek", 1 | 4}, {"ioctl", 1 | 2},
        {"pread64", 1}, {"pwrite64", 1}, {"readv", 1}, {"writev", 1}, {"fcntl", 1 | 2}, {"flock", 1 | 2},
        {"fsync", 1}, {"fdatasync", 1}, {"ftruncate", 1}, {"getdents64", 1}, {"fchdir", 1},
        {"fchmod", 1 | 2}, {"fchown", 1 | 2 | 4}, {"dup", 1}, {"dup2", 1 | 2}, {"dup3", 1 | 2 | 4},
        {"socket", 1 | 2 | 4}, {"socketpair", 1 | 2 | 4}, {"connect", 1 | 4}, {"bind", 1 | 4},
        {"accept", 1}, {"accept4", 1 | 8}, {"listen", 1 | 2}, {"shutdown", 1 | 2}, {"sendto", 1 | 8 | 32},
        {"recvfrom", 1 | 8}, {"sendmsg", 1 | 4}, {"recvmsg", 1 | 4}, {"sendmmsg", 1 | 4 | 8},
        {"setsockopt", 1 | 2 | 4 | 16}, {"getsockopt", 1 | 2 | 4}, {"getsockname", 1}, {"getpeername", 1},
        {"open", 2 | 4}, {"openat", 1 | 4 | 8}, {"creat", 2}, {"access", 2}, {"faccessat", 1 | 4},
        {"faccessat2", 1 | 4 | 8}, {"mkdir", 2}, {"mkdirat", 1 | 4}, {"mknod", 2 | 4}, {"mknodat", 1 | 4 | 8},
        {"chmod", 2}, {"fchmodat", 1 | 4}, {"chown", 2 | 4}, {"lchown", 2 | 4}, {"fchownat", 1 | 4 | 8 | 16},
        {"unlinkat", 1 | 4}, {"renameat", 1 | 4}, {"renameat2", 1 | 4 | 16}, {"linkat", 1 | 4 | 16},
        {"symlinkat", 2}, {"readlinkat", 1 | 8}, {"newfstatat", 1 | 8}, {"statx", 1 | 4 | 8},
        {"utimensat", 1 | 8}, {"futimesat", 1}, {"execveat", 1 | 16}, {"kill", 1 | 2}, {"tkill", 1 | 2},
        {"tgkill", 1 | 2 | 4}, {"rt_sigaction", 1}, {"rt_sigprocmask", 1}, {"setuid", 1}, {"setgid", 1},
        {"setreuid", 1 | 2}, {"setregid", 1 | 2}, {"setresuid", 1 | 2 | 4}, {"setresgid", 1 | 2 | 4},
        {"setfsuid", 1}, {"setfsgid", 1}, {"setpgid", 1 | 2}, {"getpgid", 1}, {"getsid", 1},
        {"setns", 1 | 2}, {"unshare", 1}, {"personality", 1}, {"prctl", 1}, {"mprotect", 4},
        {"mmap", 4 | 8 | 16}, {"madvise", 4}, {"umask", 1}, {"wait4", 1 | 4}, {"waitid", 1 | 2 | 8},
        {"exit", 1}, {"exit_group", 1}, {"pipe2", 2}, {"eventfd2", 1 | 2}, {"memfd_create", 2},
        {"inotify_add_watch", 1 | 4}, {"timerfd_create", 1 | 2}, {"epoll_create1", 1},
        {"epoll_ctl", 1 | 2 | 4}, {"epoll_wait", 1 | 4 | 8}, {"setpriority", 1 | 2 | 4},
        {"getpriority", 1 | 2}, {"ioprio_set", 1 | 2 | 4}, {"sched_setscheduler", 1 | 2},
    };
    std::map<int, uint8_t> m;
    for (const auto& [name, mask] : kNamed)
      if (auto nr = SyscallNumber(name)) m[*nr] = mask;
    return m;
  }();
  return kMap;
}

bool ArithHolds(const lang::RuleCond& c, uint64_t a, bool low32) {
  uint64_t v = c.value;
  if (low32) {
    a &= 0xffffffffu;
    v &= 0xffffffffu;
  }
  switch (c.op) {
    case lang::CondOp::kEq: return a == v;
    case lang::CondOp::kNe: return a != v;
    case lang::CondOp::kGt: return a > v;
    case lang::CondOp::kGe: return a >= v;
    case lang::CondOp::kLt: return a < v;
    case lang::CondOp::kLe: return a <= v;
    case lang::CondOp::kAnyBits: return (a & v) != 0;
    case lang::CondOp::kNoBits: return (a & v) == 0;
    default: return false;
  }
}

bool StringHolds(const SysCond& c, std::string_view s) {
  switch (c.cond.op) {
    case lang::CondOp::kRegex: return c.regex->Matches(s);
    case lang::CondOp::kNotRegex: return !c.regex->Matches(s);
    case lang::CondOp::kGlob: return c.glob->Matches(s, MatchOptions{});
    case lang::CondOp::kNotGlob: return !c.glob->Matches(s, MatchOptions{});
    case lang::CondOp::kStrEq: return s == c.cond.text;
    case lang::CondOp::kStrNe: return s != c.cond.text;
    default: return false;
  }
}

}  // namespace

Result<std::shared_ptr<const Regex>> Regex::Compile(const std::string& pattern, bool anchored) {
  int err = 0;
  PCRE2_SIZE off = 0;
  // Anchoring adds PCRE2_ANCHORED|PCRE2_ENDANCHORED rather than wrapping
  // the text, so an unbalanced ')' or '(' cannot pair with ours.
  const uint32_t options = anchored ? (PCRE2_ANCHORED | PCRE2_ENDANCHORED) : 0;
  pcre2_code* code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options, &err, &off, nullptr);
  if (!code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    return Failf("bad regex '{}': {}", pattern, reinterpret_cast<const char*>(msg));
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter if JIT is unavailable
  auto r = std::shared_ptr<Regex>(new Regex());
  r->pattern_ = pattern;
  r->code_ = code;
  return std::shared_ptr<const Regex>(std::move(r));
}

Regex::~Regex() {
  if (code_) pcre2_code_free(static_cast<pcre2_code*>(code_));
}

bool Regex::Matches(std::string_view text) const {
  auto* code = static_cast<pcre2_code*>(code_);
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(code, nullptr);
  int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0, 0, md, nullptr);
  pcre2_match_data_free(md);
  return rc >= 0;
}

const lang::RuleOption* SysRule::Option(lang::OptKind k) const {
  for (const auto& o : rule.options)
    if (o.kind == k) return &o;
  return nullptr;
}

bool ArgIsInt(int nr, int arg) {
  auto it = IntArgs().find(nr);
  return it != IntArgs().end() && (it->second & (1u << arg));
}

std::string SysRule::Shown() const {
  std::string out = text;
  if (size_t bar = out.find('|'); bar != std::string::npos) out[bar] = '+';
  return out;
}

Result<SysRule> CompileRule(const lang::Command& cmd, const ServiceLookup& services) {
  SYD_TRY(rule, lang::ParseRule(cmd));
  SysRule r;
  r.origin = cmd.origin;
  r.text = cmd.key + "|" + cmd.value;
  auto set = ResolveSyscallSet(rule.set_text);
  if (!set) return FailAt(rule.set_column + (set.error().column ? set.error().column - 1 : 0), set.error().what);
  r.syscalls = std::move(*set);
  for (const lang::RuleCond& c : rule.conds) {
    SysCond sc;
    sc.cond = c;
    if (lang::IsStringOp(c.op)) {
      if (c.op == lang::CondOp::kRegex || c.op == lang::CondOp::kNotRegex) {
        auto re = Regex::Compile(c.text, false);
        if (!re) return FailAt(c.column, re.error().what);
        sc.regex = *re;
      } else if (c.op == lang::CondOp::kGlob || c.op == lang::CondOp::kNotGlob) {
        auto g = Pattern::Compile(c.text);
        if (!g) return FailAt(c.column, g.error().what);
        sc.glob = std::move(*g);
      }
      r.user_space = true;
    } else if (lang::IsAddressOp(c.op)) {
      if (c.arg != -1) return FailAt(c.column, "address conditions apply to arg_");
      auto a = ParseAddrPattern(c.text, services);
      if (!a) return FailAt(c.column, a.error().what);
      sc.addr = std::move(*a);
      r.user_space = true;
    } else if (c.arg == -1) {
      return FailAt(c.column, "arg_ (the path or address) takes a string or address comparison");
    }
    r.conds.push_back(std::move(sc));
  }
  for (const lang::RuleOption& o : rule.options) {
    if (o.kind == lang::OptKind::kCommand || o.kind == lang::OptKind::kCmdline) {
      auto re = Regex::Compile(o.text, false);
      if (!re) return FailAt(o.column, re.error().what);
      (o.kind == lang::OptKind::kCommand ? r.command : r.cmdline) = *re;
      r.user_space = true;
    }
  }
  if (rule.action == lang::RuleAction::kTrace) r.user_space = true;
  switch (rule.action) {
    case lang::RuleAction::kKillProcess:
    case lang::RuleAction::kKillThread:
    case lang::RuleAction::kFault:
    case lang::RuleAction::kTrap: r.restrictive = true; break;
    case lang::RuleAction::kTrace:
      for (const auto& o : rule.options) {
        if (o.kind == lang::OptKind::kFault || o.kind == lang::OptKind::kTrap || o.kind == lang::OptKind::kRetval ||
            o.kind == lang::OptKind::kKillProcess || o.kind == lang::OptKind::kKillThread)
          r.restrictive = true;
      }
      break;
    default: break;
  }
  r.kernel_action = KernelAction(rule);
  r.rule = std::move(rule);
  return r;
}

RuleOutcome EvaluateRules(const std::vector<const SysRule*>& rules, int nr, const uint64_t args[6],
                          RuleContext& ctx) {
  RuleOutcome out;
  std::optional<std::vector<std::string>> paths;
  std::optional<std::optional<SockAddr>> addr;
  for (const SysRule* r : rules) {
    if (!r->syscalls.count(nr)) continue;
    bool all = true;
    for (const SysCond& c : r->conds) {
      bool ok;
      if (lang::IsArithmetic(c.cond.op)) {
        ok = ArithHolds(c.cond, args[c.cond.arg], ArgIsInt(nr, c.cond.arg));
      } else if (lang::IsAddressOp(c.cond.op)) {
        if (!addr) addr = ctx.Address();
        ok = addr->has_value() && (c.addr->Matches(**addr) == (c.cond.op == lang::CondOp::kAddrIn));
      } else if (c.cond.arg >= 0) {
        auto s = ctx.String(c.cond.arg);
        ok = s && StringHolds(c, *s);
      } else {
        if (!paths) paths = ctx.Paths();
        if (paths->empty()) {
          ok = false;
        } else if (r->restrictive) {
          ok = false;
          for (const auto& p : *paths) ok = ok || StringHolds(c, p);
        } else {
          ok = true;
          for (const auto& p : *paths) ok = ok && StringHolds(c, p);
        }
      }
      if (!ok) {
        all = false;
        break;
      }
    }
    if (!all) continue;
    if (r->command && !r->command->Matches(ctx.Comm())) continue;
    if (r->cmdline && !r->cmdline->Matches(ctx.Cmdline())) continue;
    if (r->rule.action == lang::RuleAction::kLog) {
      out.logged.push_back(r);
      continue;
    }
    out.rule = r;
    return out;
  }
  return out;
}

}  // namespace syd::policy

namespace syd::policy {
namespace {

// Kernel-side evaluation: nothing but the arguments is known.
struct ArgumentsOnly final : RuleContext {
  std::optional<std::string> String(int) override { return std::nullopt; }
  std::vector<std::string> Paths() override { return {}; }
  std::optional<SockAddr> Address() override { return std::nullopt; }
  std::string Comm() override { return {}; }
  std::string Cmdline() override { return {}; }
};

}  // namespace

uint32_t RulesReferenceAction(const std::vector<SysRule>& rules, uint32_t arch, int nr, const uint64_t args[6]) {
  if (arch != AUDIT_ARCH_X86_64 || (static_cast<uint32_t>(nr) & 0x40000000u)) return SECCOMP_RET_KILL_PROCESS;
  for (int d : AlwaysDeniedSyscalls())
    if (d == nr) return SECCOMP_RET_ERRNO | EPERM;
  // A user-space rule stops the kernel's evaluation where its arithmetic
  // conditions hold: strip what the kernel cannot see and evaluate.
  std::vector<SysRule> kernel_view;
  for (const SysRule& r : rules) {
    SysRule k = r;
    if (r.user_space) {
      std::vector<SysCond> arith;
      for (const SysCond& c : r.conds)
        if (lang::IsArithmetic(c.cond.op)) arith.push_back(c);
      k.conds = std::move(arith);
      k.command.reset();
      k.cmdline.reset();
      k.rule.action = lang::RuleAction::kTrace;
    }
    kernel_view.push_back(std::move(k));
  }
  std::vector<const SysRule*> ptrs;
  for (const SysRule& r : kernel_view) ptrs.push_back(&r);
  ArgumentsOnly ctx;
  RuleOutcome out = EvaluateRules(ptrs, nr, args, ctx);
  uint32_t a = SECCOMP_RET_ALLOW;
  if (out.rule) a = out.rule->user_space ? SECCOMP_RET_USER_NOTIF : out.rule->kernel_action;
  if (!out.logged.empty() && a == SECCOMP_RET_ALLOW) a = SECCOMP_RET_LOG;
  return a;
}

}  // namespace syd::policy
