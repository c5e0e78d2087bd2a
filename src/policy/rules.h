// sys/ rules in the policy IR: the parsed rule with its syscall set
// resolved and its patterns compiled, and the user-space half of their
// semantics. The kernel half is lowered by bpf::LowerKernel.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lang/rule.h"
#include "policy/netaddr.h"
#include "policy/pattern_set.h"

namespace syd::policy {

// A PCRE2 pattern compiled once (with JIT when available); thread-safe to
// match from several workers (each match allocates its own match data).
class Regex {
 public:
  static Result<std::shared_ptr<const Regex>> Compile(const std::string& pattern, bool anchored);
  ~Regex();
  bool Matches(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }

 private:
  Regex() = default;
  std::string pattern_;
  void* code_ = nullptr;  // pcre2_code*
};

struct SysCond {
  lang::RuleCond cond;
  std::shared_ptr<const Regex> regex;  // =~ !~
  std::optional<Pattern> glob;         // =* !*
  // = != with a string: cond.text, compared exactly (nothing to compile)
  std::optional<AddrPattern> addr;     // @~ @!
};

// What a rule's load= loaded (supervisor/modules.h). The policy only
// carries it: loading and calling modules are the supervisor's.
class RuleModule {
 public:
  virtual ~RuleModule() = default;
  virtual const std::string& name() const = 0;
};

struct SysRule {
  lang::Rule rule;
  std::string text;  // "sys/ACTION|VALUE" (the operator left out), for '-' equality
  std::string Shown() const;  // "sys/ACTION+VALUE", for messages
  lang::Origin origin;
  std::set<int> syscalls;
  std::vector<SysCond> conds;
  std::shared_ptr<const Regex> command, cmdline;
  bool user_space = false;      // needs user space to decide (strings, addresses, names, trace)
  bool restrictive = false;     // kill/fault/trap (or trace with such an option)
  uint32_t kernel_action = 0;   // SECCOMP_RET_* when !user_space (unused for log)
  // With load=: the loaded module, set once when sydbox starts (null until
  // then, and in `sydbox check` before loading). Shared by every copy of
  // the policy.
  std::shared_ptr<const RuleModule> module;

  const lang::RuleOption* Option(lang::OptKind k) const;
};

Result<SysRule> CompileRule(const lang::Command& cmd, const ServiceLookup& services);

// Whether an argument of a system call is an `int` in the kernel (compared
// on its low 32 bits). A table of common calls; others compare 64 bits.
bool ArgIsInt(int nr, int arg);

// What the supervisor knows about one call, asked lazily by the evaluator.
class RuleContext {
 public:
  virtual ~RuleContext() = default;
  virtual std::optional<std::string> String(int arg) = 0;  // NUL-terminated string at argN
  virtual std::vector<std::string> Paths() = 0;            // resolved path arguments
  virtual std::optional<SockAddr> Address() = 0;           // the address argument
  virtual std::string Comm() = 0;
  virtual std::string Cmdline() = 0;
};

struct RuleOutcome {
  const SysRule* rule = nullptr;           // the deciding rule; null = none (category decides)
  std::vector<const SysRule*> logged;      // log rules that matched on the way
};

// Evaluates `rules` (all rules; those not naming `nr` are skipped) in order.
RuleOutcome EvaluateRules(const std::vector<const SysRule*>& rules, int nr, const uint64_t args[6],
                          RuleContext& ctx);

// The seccomp action the rules alone call for (every category off), as the
// compiled program must return it: foreign ABIs killed, always-denied calls
// EPERM, user-space rules USER_NOTIF, a logged ALLOW is LOG, no match ALLOW.
// The reference the BPF compiler is tested against.
uint32_t RulesReferenceAction(const std::vector<SysRule>& rules, uint32_t arch, int nr, const uint64_t args[6]);

}  // namespace syd::policy
