// The user-space half of a policy: answers "may this path be used for
// this category?" using the ordered lists and their indexes. Immutable
// once built, so worker threads share one through a shared_ptr snapshot.
#pragma once

#include <sys/types.h>

#include <array>
#include <memory>
#include <set>
#include <vector>
#include <string_view>

#include "policy/policy.h"

namespace syd::policy {

struct PathVerdict {
  bool allow = false;
  bool filtered = false;         // denied but matches a filter/ pattern: no report
  const Origin* rule = nullptr;  // deciding list entry; nullptr = the mode decided
};

class Decider {
 public:
  explicit Decider(Policy policy);
  Decider(const Decider&) = delete;
  Decider& operator=(const Decider&) = delete;

  const Policy& policy() const { return policy_; }

  // Decides a resolved absolute path for a path category. `tgid` is the
  // caller's, for core/allowlist/per_process_directories.
  PathVerdict CheckPath(Category c, std::string_view path, pid_t tgid) const;

  // Decides a socket address for net/bind or net/connect. Unix socket
  // paths must already be absolute and resolved.
  PathVerdict CheckAddr(Category c, const SockAddr& addr) const;

  // sys/ rules naming `nr`, in order (for rules::EvaluateRules).
  bool HasRules(int nr) const { return rule_syscalls_.count(nr) != 0; }
  const std::vector<const SysRule*>& rules() const { return sys_rules_; }

  // Exec controls (SPEC §2.8).
  bool ExecKill(std::string_view path) const;
  bool ExecResume(std::string_view path) const;

 private:
  Policy policy_;
  std::array<PatternIndex, kNumPathCategories> rules_;
  std::array<PatternIndex, kNumPathCategories> filters_;
  std::vector<const SysRule*> sys_rules_;
  std::set<int> rule_syscalls_;
  PatternIndex exec_kill_;
  PatternIndex exec_resume_;
};

// "default:write" style name of the mode decision, for reports.
std::string DefaultRuleName(Category c);

}  // namespace syd::policy
