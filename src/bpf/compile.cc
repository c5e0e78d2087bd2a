// Lowering decides, syscall by syscall, what the kernel can answer alone:
// a category that is off needs nothing, one in bpf mode is an errno, and
// only allow/deny modes (and magic stat while unlocked) need user space.
// Open and access carry their intent in an integer argument, so the split
// between read and write happens here, in the kernel, at no cost.
#include "bpf/compile.h"

#include <fcntl.h>
#include <sched.h>
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

#include "bpf/codegen.h"
#include "bpf/guards.h"
#include "policy/landlock_plan.h"
#include "policy/syscall_table.h"
#include "policy/syscalls.h"

namespace syd::bpf {
namespace {

using policy::Category;
using policy::Mode;

constexpr uint32_t kX32Bit = 0x40000000;

uint32_t ActionFor(Mode m) {
  switch (m) {
    case Mode::kOff: return SECCOMP_RET_ALLOW;
    case Mode::kAllow:
    case Mode::kDeny: return SECCOMP_RET_USER_NOTIF;
    case Mode::kBpf: return RetErrno(EPERM);
    case Mode::kLandlock: return SECCOMP_RET_USER_NOTIF;  // what Landlock does not check (CoveredAction)
  }
  return SECCOMP_RET_USER_NOTIF;
}

// User space must see a call whenever any category it may belong to is
// checked there; if every possible category is in bpf mode it is an errno.
uint32_t FixedAction(const policy::Policy& p, Category c) { return ActionFor(p.mode(c)); }

// In landlock mode the kernel's Landlock ruleset decides the calls it
// checks (policy/landlock_plan.h): they stay in the kernel.
uint32_t CoveredAction(const policy::Policy& p, const policy::SyscallInfo& s, Category c) {
  if (p.mode(c) == Mode::kLandlock && policy::LandlockCovers(s, c)) return SECCOMP_RET_ALLOW;
  return FixedAction(p, c);
}

SyscallChain LowerChecked(const policy::Policy& p, const policy::SyscallInfo& s,
                          const LowerOptions& opts) {
  SyscallChain ch;
  ch.nr = s.nr;
  if (s.kind == policy::CallKind::kAttrIoctl) {
    // ioctl is hot: only the attribute-changing requests (a register) take
    // the category's action; every other request stays in the kernel.
    const uint32_t act = FixedAction(p, s.category);
    ch.fallback = SECCOMP_RET_ALLOW;
    if (act != SECCOMP_RET_ALLOW) {
      for (uint32_t req : policy::AttrIoctls())
        ch.rules.push_back({{ArgCond{1, true, CmpOp::kEq, req}}, act});
    }
    return ch;
  }
  const bool magic = s.magic && opts.magic_unlocked;
  switch (s.rule) {
    case policy::CategoryRule::kFixed:
      ch.fallback = CoveredAction(p, s, s.category);
      break;
    case policy::CategoryRule::kOpenFlags: {
      uint32_t rd = FixedAction(p, Category::kRead), wr = FixedAction(p, Category::kWrite);
      if (s.flags_arg < 0) {  // openat2: the flags live in memory
        ch.fallback = (rd == SECCOMP_RET_ALLOW && wr == SECCOMP_RET_ALLOW) ? SECCOMP_RET_ALLOW
                      : (rd == wr)                                        ? rd
                                                                          : SECCOMP_RET_USER_NOTIF;
        break;
      }
      // O_PATH first: the kernel ignores the write flags beside it.
      ch.rules.push_back({{ArgCond{static_cast<uint8_t>(s.flags_arg), true, CmpOp::kAnyBits, O_PATH}},
                          CoveredAction(p, s, Category::kRead)});
      ch.rules.push_back({{ArgCond{static_cast<uint8_t>(s.flags_arg), true, CmpOp::kAnyBits,
                                   policy::OpenWriteFlags()}},
                          CoveredAction(p, s, Category::kWrite)});
      ch.fallback = CoveredAction(p, s, Category::kRead);
      break;
    }
    case policy::CategoryRule::kAccessMode: {
      uint8_t a = static_cast<uint8_t>(s.flags_arg);
      ch.rules.push_back({{ArgCond{a, true, CmpOp::kAnyBits, W_OK}}, CoveredAction(p, s, Category::kWrite)});
      ch.rules.push_back({{ArgCond{a, true, CmpOp::kAnyBits, R_OK | X_OK}}, CoveredAction(p, s, Category::kRead)});
      ch.fallback = FixedAction(p, Category::kStat);
      break;
    }
  }
  if (s.nr == __NR_bind && p.mode(Category::kWrite) != Mode::kOff && p.mode(Category::kWrite) != Mode::kLandlock) {
    // bind() of a UNIX socket path creates a file: a write of that path.
    // The family is in memory, so every bind is seen where writes are
    // checked (in bpf mode too: an inet bind must not fail).
    ch.fallback = Stronger(ch.fallback, SECCOMP_RET_USER_NOTIF);
  }
  if (s.nr == __NR_sendto && ch.fallback == SECCOMP_RET_USER_NOTIF) {
    // sendto without an address (a connected socket) has nothing to check;
    // the NULL is in a register, so the kernel decides it.
    ch.rules.push_back({{ArgCond{4, false, CmpOp::kEq, 0}}, SECCOMP_RET_ALLOW});
  }
  if (s.kind == policy::CallKind::kExec) {
    // Exec controls and the exec magic lock are decided in user space.
    // While magic is unlocked a process may ask for core/trace/magic_lock:exec
    // at any time, so its next exec must be seen.
    bool needed = !p.exec_kill_if_match.empty() || !p.exec_resume_if_match.empty() || !p.exec_verify.empty() ||
                  p.magic_lock == policy::MagicLock::kExec || opts.magic_unlocked;
    if (needed) ch.fallback = Stronger(ch.fallback, SECCOMP_RET_USER_NOTIF);
  }
  if (magic) {
    // Every stat-like call may be a /dev/sydbox command: all go to user
    // space unless the kernel already denies them outright.
    for (ChainRule& r : ch.rules) r.action = Stronger(r.action, SECCOMP_RET_USER_NOTIF);
    const uint32_t plain = ch.fallback;
    ch.fallback = Stronger(ch.fallback, SECCOMP_RET_USER_NOTIF);
    // ... except fstat-style calls: magic commands never use AT_EMPTY_PATH
    // (glibc's fstat() does: newfstatat(fd, "", AT_EMPTY_PATH)), so with
    // stat sandboxing off they stay in the kernel. The flag is a register.
    if (s.at_flags_arg >= 0 && s.rule == policy::CategoryRule::kFixed && plain == SECCOMP_RET_ALLOW)
      ch.rules.insert(ch.rules.begin(), ChainRule{{ArgCond{static_cast<uint8_t>(s.at_flags_arg), true,
                                                            CmpOp::kAnyBits, AT_EMPTY_PATH}},
                                                  SECCOMP_RET_ALLOW});
  }
  // Drop rules that decide the same as the fallback.
  while (!ch.rules.empty() && !ch.rules.back().log_mark && ch.rules.back().action == ch.fallback) ch.rules.pop_back();
  return ch;
}

// A sys/ rule as the kernel sees it for one syscall: its arithmetic
// conditions, then its action, or USER_NOTIF when user space must finish
// the decision (strings, addresses, process names, trace).
ChainRule LowerRule(const policy::SysRule& r, int nr) {
  ChainRule cr;
  for (const policy::SysCond& c : r.conds) {
    if (!lang::IsArithmetic(c.cond.op)) continue;
    CmpOp op = CmpOp::kEq;
    switch (c.cond.op) {
      case lang::CondOp::kEq: op = CmpOp::kEq; break;
      case lang::CondOp::kNe: op = CmpOp::kNe; break;
      case lang::CondOp::kGt: op = CmpOp::kGt; break;
      case lang::CondOp::kGe: op = CmpOp::kGe; break;
      case lang::CondOp::kLt: op = CmpOp::kLt; break;
      case lang::CondOp::kLe: op = CmpOp::kLe; break;
      case lang::CondOp::kAnyBits: op = CmpOp::kAnyBits; break;
      case lang::CondOp::kNoBits: op = CmpOp::kNoBits; break;
      default: break;
    }
    cr.conds.push_back(ArgCond{static_cast<uint8_t>(c.cond.arg), policy::ArgIsInt(nr, c.cond.arg), op, c.cond.value});
  }
  if (r.user_space) {
    cr.action = SECCOMP_RET_USER_NOTIF;
  } else if (r.rule.action == lang::RuleAction::kLog) {
    cr.log_mark = true;
    cr.action = SECCOMP_RET_LOG;
  } else {
    cr.action = r.kernel_action;
  }
  return cr;
}

// Names matching any of the regexes (searched, not anchored).
std::set<int> MatchingSyscalls(const std::vector<std::string>& regexes) {
  std::set<int> out;
  for (const std::string& re : regexes) {
    auto r = policy::Regex::Compile(re, false);
    if (!r) continue;  // validated when the policy was built
    for (const policy::SyscallEntry& e : policy::SyscallTable())
      if ((*r)->Matches(e.name)) out.insert(e.nr);
  }
  return out;
}

struct Builder {
  CodeGen gen;
  CodeGen::Node kill;

  static uint32_t ArgLo(uint8_t i) { return offsetof(seccomp_data, args) + 8 * i; }
  static uint32_t ArgHi(uint8_t i) { return ArgLo(i) + 4; }

  // Unsigned 64-bit "a > v" (or >=) as two 32-bit comparisons.
  CodeGen::Node Greater(const ArgCond& c, bool or_equal, CodeGen::Node yes, CodeGen::Node no) {
    uint32_t lo = static_cast<uint32_t>(c.value), hi = static_cast<uint32_t>(c.value >> 32);
    CodeGen::Node low = gen.Load(ArgLo(c.arg), gen.Jump(or_equal ? BPF_JGE : BPF_JGT, lo, yes, no));
    if (c.low32) return low;
    CodeGen::Node eq_hi = gen.Jump(BPF_JEQ, hi, low, no);
    return gen.Load(ArgHi(c.arg), gen.Jump(BPF_JGT, hi, yes, eq_hi));
  }

  CodeGen::Node Cond(const ArgCond& c, CodeGen::Node yes, CodeGen::Node no) {
    uint32_t lo = static_cast<uint32_t>(c.value), hi = static_cast<uint32_t>(c.value >> 32);
    switch (c.op) {
      case CmpOp::kEq:
      case CmpOp::kNe: {
        CodeGen::Node t = c.op == CmpOp::kEq ? yes : no, f = c.op == CmpOp::kEq ? no : yes;
        CodeGen::Node low = gen.Load(ArgLo(c.arg), gen.Jump(BPF_JEQ, lo, t, f));
        if (c.low32) return low;
        return gen.Load(ArgHi(c.arg), gen.Jump(BPF_JEQ, hi, low, f));
      }
      case CmpOp::kAnyBits:
      case CmpOp::kNoBits: {
        CodeGen::Node t = c.op == CmpOp::kAnyBits ? yes : no, f = c.op == CmpOp::kAnyBits ? no : yes;
        CodeGen::Node low = lo ? gen.Load(ArgLo(c.arg), gen.Jump(BPF_JSET, lo, t, f)) : f;
        if (c.low32 || hi == 0) return low;
        return gen.Load(ArgHi(c.arg), gen.Jump(BPF_JSET, hi, t, low));
      }
      case CmpOp::kGt: return Greater(c, false, yes, no);
      case CmpOp::kGe: return Greater(c, true, yes, no);
      case CmpOp::kLt: return Greater(c, true, no, yes);   // !(a >= v)
      case CmpOp::kLe: return Greater(c, false, no, yes);  // !(a > v)
    }
    return no;
  }

  CodeGen::Node Conds(const std::vector<ArgCond>& conds, CodeGen::Node yes, CodeGen::Node no) {
    for (auto c = conds.rbegin(); c != conds.rend(); ++c) yes = Cond(*c, yes, no);
    return yes;
  }

  // Two versions of every suffix of the chain: reached with or without a
  // log mark. Built back to front, each shares everything it can.
  CodeGen::Node Chain(const SyscallChain& ch) {
    auto logged = [](uint32_t a) { return a == SECCOMP_RET_ALLOW ? SECCOMP_RET_LOG : a; };
    // A call can only be marked once it passed a log rule: the logged
    // version is needed for the rules after the first one only.
    size_t first_log = ch.rules.size();
    for (size_t i = 0; i < ch.rules.size(); ++i) {
      if (ch.rules[i].log_mark) {
        first_log = i;
        break;
      }
    }
    CodeGen::Node plain = gen.Ret(ch.fallback);
    CodeGen::Node marked = first_log < ch.rules.size() ? gen.Ret(logged(ch.fallback)) : plain;
    for (size_t i = ch.rules.size(); i-- > 0;) {
      const ChainRule& r = ch.rules[i];
      if (r.log_mark) {
        plain = Conds(r.conds, marked, plain);
        continue;  // already marked: a second mark changes nothing
      }
      CodeGen::Node np = Conds(r.conds, gen.Ret(r.action), plain);
      if (i > first_log) marked = Conds(r.conds, gen.Ret(logged(r.action)), marked);
      plain = np;
    }
    return plain;
  }

  struct Range {
    uint32_t start;
    CodeGen::Node node;
  };

  // Binary search over [ranges[lo].start, ranges[hi].start) with nr in A.
  CodeGen::Node Search(const std::vector<Range>& ranges, size_t lo, size_t hi) {
    if (hi - lo == 1) return ranges[lo].node;
    size_t mid = (lo + hi) / 2;
    CodeGen::Node right = Search(ranges, mid, hi);
    CodeGen::Node left = Search(ranges, lo, mid);
    return gen.Jump(BPF_JGE, ranges[mid].start, right, left);
  }
};

}  // namespace

uint32_t RetErrno(int e) { return SECCOMP_RET_ERRNO | (static_cast<uint32_t>(e) & SECCOMP_RET_DATA); }

uint32_t Stronger(uint32_t a, uint32_t b) {
  auto rank = [](uint32_t act) {
    switch (act & SECCOMP_RET_ACTION_FULL) {
      case SECCOMP_RET_KILL_PROCESS: return 7;
      case SECCOMP_RET_KILL_THREAD: return 6;
      case SECCOMP_RET_TRAP: return 5;
      case SECCOMP_RET_ERRNO: return 4;
      case SECCOMP_RET_USER_NOTIF: return 3;
      case SECCOMP_RET_TRACE: return 2;
      case SECCOMP_RET_LOG: return 1;
      default: return 0;
    }
  };
  return rank(a) >= rank(b) ? a : b;
}

policy::Policy CategoriesAllChecked(const policy::Policy& p) {
  policy::Policy out = p;
  for (size_t i = 0; i < out.modes.size(); ++i)
    if (out.modes[i] != Mode::kBpf && out.modes[i] != Mode::kLandlock && p.runtime_change[i])
      out.modes[i] = Mode::kDeny;
  return out;
}

KernelPolicy LowerKernel(const policy::Policy& given, const LowerOptions& opts) {
  // While categories may change, lower as if every one were checked: the
  // program sends up whatever a later change could need.
  policy::Policy all_checked;
  if (opts.categories_may_change) all_checked = CategoriesAllChecked(given);
  const policy::Policy& p = opts.categories_may_change ? all_checked : given;
  KernelPolicy k;
  k.arch = AUDIT_ARCH_X86_64;
  k.default_action = SECCOMP_RET_ALLOW;
  std::map<int, SyscallChain> chains;
  for (int nr : policy::AlwaysDeniedSyscalls()) chains[nr] = SyscallChain{nr, {}, RetErrno(EPERM)};
  for (const policy::SyscallInfo& s : policy::CheckedSyscalls()) chains[s.nr] = LowerChecked(p, s, opts);
  // Path calls are performed by the supervisor with a per-process cached
  // identity and root — opens and writes, and the stat family under stat
  // sandboxing: calls that change those must be seen (they are rare), and
  // so must the prctl options after which an exec drops capabilities. (A
  // call a sys/ rule allowed with no category on reads them afresh.)
  if (p.mode(policy::Sandbox::kRead) != Mode::kOff || p.mode(policy::Sandbox::kWrite) != Mode::kOff ||
      p.mode(policy::Sandbox::kStat) != Mode::kOff) {
    k.identity_changes_seen = true;
    for (int nr : policy::CredentialSyscalls())
      if (!chains.count(nr)) chains[nr] = SyscallChain{nr, {}, SECCOMP_RET_USER_NOTIF};
    if (!chains.count(__NR_prctl)) {
      SyscallChain ch{__NR_prctl, {}, SECCOMP_RET_ALLOW};
      for (uint64_t option : policy::CredentialPrctls())
        ch.rules.push_back({{ArgCond{0, true, CmpOp::kEq, option}}, SECCOMP_RET_USER_NOTIF});
      chains[__NR_prctl] = std::move(ch);
    }
    // So must a clone that makes a process sharing the caller's umask and
    // root (CLONE_FS without CLONE_THREAD): a change by either is the
    // other's too. (clone3 is always ENOSYS: bpf/guards.cc.)
    SyscallChain& clone = chains.try_emplace(__NR_clone, SyscallChain{__NR_clone, {}, SECCOMP_RET_ALLOW}).first->second;
    clone.rules.insert(clone.rules.begin(), ChainRule{{ArgCond{0, true, CmpOp::kAnyBits, CLONE_FS},
                                                       ArgCond{0, true, CmpOp::kNoBits, CLONE_THREAD}},
                                                      SECCOMP_RET_USER_NOTIF});
  }
  // The old getdents cannot be answered with entries hidden; make callers
  // use getdents64 while stat sandboxing is on.
  // (While stat sandboxing may still be switched on or off, user space
  // answers it: ENOSYS or CONTINUE, as the mode says at the time.)
  if (p.mode(policy::Sandbox::kStat) != Mode::kOff) {
    const bool later = opts.categories_may_change && given.mode(policy::Sandbox::kStat) != Mode::kBpf &&
                       given.runtime_change[static_cast<size_t>(policy::Sandbox::kStat)];
    chains[__NR_getdents] = SyscallChain{__NR_getdents, {}, later ? SECCOMP_RET_USER_NOTIF : RetErrno(ENOSYS)};
  }
  // Guards first (bpf/guards.h), then the sys/ rules in order, then the
  // category chain. Calls that are always denied or forced by a guard take
  // no rule at all.
  const Guards guards = LowerGuards(p, opts);
  std::set<int> fixed(policy::AlwaysDeniedSyscalls().begin(), policy::AlwaysDeniedSyscalls().end());
  for (const auto& [nr, action] : guards.forced) {
    if (fixed.count(nr)) continue;
    chains[nr] = SyscallChain{nr, {}, action};
    fixed.insert(nr);
  }
  std::map<int, std::vector<ChainRule>> pre;
  std::map<int, size_t> guard_rules;
  for (const auto& [nr, rules] : guards.first) {
    if (fixed.count(nr)) continue;
    pre[nr] = rules;
    guard_rules[nr] = rules.size();
  }
  for (const policy::SysRule& r : p.sys_rules) {
    for (int nr : r.syscalls) {
      if (fixed.count(nr)) continue;
      pre[nr].push_back(LowerRule(r, nr));
    }
  }
  for (auto& [nr, rules] : pre) {
    auto it = chains.find(nr);
    if (it == chains.end()) it = chains.emplace(nr, SyscallChain{nr, {}, SECCOMP_RET_ALLOW}).first;
    rules.insert(rules.end(), it->second.rules.begin(), it->second.rules.end());
    it->second.rules = std::move(rules);
  }
  for (const auto& [nr, unless] : guards.notify_unless) {
    if (fixed.count(nr)) continue;
    auto it = chains.find(nr);
    if (it == chains.end()) it = chains.emplace(nr, SyscallChain{nr, {}, SECCOMP_RET_ALLOW}).first;
    NotifyUnless(it->second, guard_rules[nr], unless);
  }
  // allowlist/syscall and denylist/syscall decide before anything else.
  const uint32_t enosys = RetErrno(ENOSYS);
  if (!p.syscall_allowlist.empty()) {
    std::set<int> allowed = MatchingSyscalls(p.syscall_allowlist);
    // What sydbox's own child needs between installing the filter and exec.
    for (int nr : {__NR_read, __NR_write, __NR_close, __NR_rt_sigprocmask, __NR_execve, __NR_exit, __NR_exit_group})
      allowed.insert(nr);
    k.default_action = enosys;
    for (auto& [nr, ch] : chains) {
      if (!allowed.count(nr)) ch = SyscallChain{nr, {}, enosys};
    }
    for (int nr : allowed)
      if (!chains.count(nr)) chains[nr] = SyscallChain{nr, {}, SECCOMP_RET_ALLOW};
  }
  for (int nr : MatchingSyscalls(p.syscall_denylist)) chains[nr] = SyscallChain{nr, {}, enosys};
  for (auto& [nr, ch] : chains) {
    if (ch.rules.empty() && ch.fallback == k.default_action) continue;
    k.chains.push_back(std::move(ch));
  }
  return k;
}

namespace {

bool SameChain(const SyscallChain& a, const SyscallChain& b) {
  if (a.fallback != b.fallback || a.rules.size() != b.rules.size()) return false;
  for (size_t i = 0; i < a.rules.size(); ++i) {
    const ChainRule &x = a.rules[i], &y = b.rules[i];
    if (x.action != y.action || x.log_mark != y.log_mark || x.conds.size() != y.conds.size()) return false;
    for (size_t j = 0; j < x.conds.size(); ++j) {
      const ArgCond &c = x.conds[j], &d = y.conds[j];
      if (c.arg != d.arg || c.low32 != d.low32 || c.op != d.op || c.value != d.value) return false;
    }
  }
  return true;
}

// Every case of the chain goes to user space (log marks aside).
bool AllNotified(const SyscallChain& ch) {
  if (ch.fallback != SECCOMP_RET_USER_NOTIF) return false;
  for (const ChainRule& r : ch.rules)
    if (!r.log_mark && r.action != SECCOMP_RET_USER_NOTIF) return false;
  return true;
}

// What user space can answer in the kernel's place.
bool Answerable(uint32_t action) {
  switch (action & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW:
    case SECCOMP_RET_LOG:
    case SECCOMP_RET_ERRNO:
    case SECCOMP_RET_USER_NOTIF: return true;
    default: return false;
  }
}

}  // namespace

std::optional<int> CannotEnforce(const KernelPolicy& installed, const KernelPolicy& wanted) {
  if (installed.arch != wanted.arch || installed.default_action != wanted.default_action) return -1;
  auto chain_of = [](const KernelPolicy& k, int nr) {
    auto it = std::lower_bound(k.chains.begin(), k.chains.end(), nr,
                               [](const SyscallChain& c, int n) { return c.nr < n; });
    return it != k.chains.end() && it->nr == nr ? *it : SyscallChain{nr, {}, k.default_action};
  };
  std::set<int> nrs;
  for (const SyscallChain& ch : installed.chains) nrs.insert(ch.nr);
  for (const SyscallChain& ch : wanted.chains) nrs.insert(ch.nr);
  for (int nr : nrs) {
    const SyscallChain i = chain_of(installed, nr), w = chain_of(wanted, nr);
    if (SameChain(i, w)) continue;
    bool answerable = AllNotified(i) && Answerable(w.fallback);
    for (const ChainRule& r : w.rules) answerable = answerable && (r.log_mark || Answerable(r.action));
    if (!answerable) return nr;
  }
  return std::nullopt;
}

std::vector<int> NotifiedSyscalls(const KernelPolicy& k) {
  std::vector<int> out;
  for (const SyscallChain& ch : k.chains) {
    bool n = ch.fallback == SECCOMP_RET_USER_NOTIF;
    for (const ChainRule& r : ch.rules) n = n || r.action == SECCOMP_RET_USER_NOTIF;
    if (n) out.push_back(ch.nr);
  }
  return out;
}

Result<std::vector<sock_filter>> Compile(const KernelPolicy& k) {
  Builder b;
  b.kill = b.gen.Ret(SECCOMP_RET_KILL_PROCESS);
  CodeGen::Node dflt = b.gen.Ret(k.default_action);
  std::vector<Builder::Range> ranges;
  ranges.push_back({0, dflt});
  for (const SyscallChain& ch : k.chains) {
    uint32_t nr = static_cast<uint32_t>(ch.nr);
    CodeGen::Node node = b.Chain(ch);
    // Chains load arguments into A, so each leaf is entered with nr in A and
    // never returns to the search.
    if (ranges.back().start == nr) ranges.back().node = node;
    else ranges.push_back({nr, node});
    ranges.push_back({nr + 1, dflt});
  }
  // Merge neighbours that lead to the same node.
  std::vector<Builder::Range> merged;
  for (const auto& r : ranges) {
    if (!merged.empty() && merged.back().node == r.node) continue;
    merged.push_back(r);
  }
  CodeGen::Node search = b.Search(merged, 0, merged.size());
  CodeGen::Node x32 = b.gen.Jump(BPF_JGE, kX32Bit, b.kill, search);
  CodeGen::Node nr = b.gen.Load(offsetof(seccomp_data, nr), x32);
  CodeGen::Node arch = b.gen.Jump(BPF_JEQ, k.arch, nr, b.kill);
  CodeGen::Node entry = b.gen.Load(offsetof(seccomp_data, arch), arch);
  return b.gen.Finish(entry);
}

uint32_t ReferenceEvaluate(const KernelPolicy& k, uint32_t arch, int nr, const uint64_t args[6]) {
  if (arch != k.arch) return SECCOMP_RET_KILL_PROCESS;
  if (static_cast<uint32_t>(nr) >= kX32Bit) return SECCOMP_RET_KILL_PROCESS;
  auto it = std::lower_bound(k.chains.begin(), k.chains.end(), nr,
                             [](const SyscallChain& c, int n) { return c.nr < n; });
  if (it == k.chains.end() || it->nr != nr) return k.default_action;
  bool marked = false;
  auto finish = [&](uint32_t a) { return marked && a == SECCOMP_RET_ALLOW ? SECCOMP_RET_LOG : a; };
  for (const ChainRule& r : it->rules) {
    bool all = true;
    for (const ArgCond& c : r.conds) {
      uint64_t a = args[c.arg], v = c.value;
      if (c.low32) {
        a &= 0xffffffffu;
        v &= 0xffffffffu;
      }
      bool ok = false;
      switch (c.op) {
        case CmpOp::kEq: ok = a == v; break;
        case CmpOp::kNe: ok = a != v; break;
        case CmpOp::kGt: ok = a > v; break;
        case CmpOp::kGe: ok = a >= v; break;
        case CmpOp::kLt: ok = a < v; break;
        case CmpOp::kLe: ok = a <= v; break;
        case CmpOp::kAnyBits: ok = (a & v) != 0; break;
        case CmpOp::kNoBits: ok = (a & v) == 0; break;
      }
      if (!ok) {
        all = false;
        break;
      }
    }
    if (!all) continue;
    if (r.log_mark) {
      marked = true;
      continue;
    }
    return finish(r.action);
  }
  return finish(it->fallback);
}

}  // namespace syd::bpf
