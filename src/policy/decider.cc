#include "policy/decider.h"

#include <charconv>

#include "util/strings.h"

namespace syd::policy {
namespace {

template <class T, class Get>
std::vector<const Pattern*> Pointers(const std::vector<T>& list, Get get) {
  std::vector<const Pattern*> out;
  out.reserve(list.size());
  for (const T& e : list) out.push_back(&get(e));
  return out;
}

// /proc/TGID or anything below it.
bool UnderOwnProc(std::string_view path, pid_t tgid) {
  if (!StartsWith(path, "/proc/")) return false;
  std::string_view rest = path.substr(6);
  char buf[16];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, tgid);
  std::string_view num(buf, end - buf);
  if (ec != std::errc() || !StartsWith(rest, num)) return false;
  return rest.size() == num.size() || rest[num.size()] == '/';
}

}  // namespace

Decider::Decider(Policy policy) : policy_(std::move(policy)) {
  for (size_t i = 0; i < kNumPathCategories; ++i) {
    rules_[i].Build(Pointers(policy_.path_rules[i], [](const PathRule& r) -> const Pattern& { return r.pattern; }),
                    policy_.match);
    filters_[i].Build(Pointers(policy_.path_filters[i], [](const PatternEntry& e) -> const Pattern& { return e.pattern; }),
                      policy_.match);
  }
  auto entry = [](const PatternEntry& e) -> const Pattern& { return e.pattern; };
  exec_kill_.Build(Pointers(policy_.exec_kill_if_match, entry), policy_.match);
  exec_resume_.Build(Pointers(policy_.exec_resume_if_match, entry), policy_.match);
  for (const SysRule& r : policy_.sys_rules) {
    sys_rules_.push_back(&r);
    rule_syscalls_.insert(r.syscalls.begin(), r.syscalls.end());
  }
}

PathVerdict Decider::CheckPath(Category c, std::string_view path, pid_t tgid) const {
  PathVerdict v;
  const Mode mode = policy_.mode(c);
  if (mode == Mode::kOff) {
    v.allow = true;
    return v;
  }
  const size_t i = static_cast<size_t>(c);
  if (mode != Mode::kBpf) {
    if (auto ord = rules_[i].FirstMatch(path)) {
      const PathRule& r = policy_.path_rules[i][*ord];
      v.allow = r.action == ListAction::kAllow;
      v.rule = &r.origin;
    } else if (policy_.per_process_directories && UnderOwnProc(path, tgid)) {
      v.allow = true;
    } else {
      v.allow = mode == Mode::kAllow;
    }
  }
  // Landlock mode: what still reaches user space (calls Landlock does not
  // check, or sent up for another reason) is decided by the same list as
  // deny mode, and, like everything in that mode, never reported.
  if (!v.allow) v.filtered = mode == Mode::kLandlock || filters_[i].FirstMatch(path).has_value();
  return v;
}

PathVerdict Decider::CheckAddr(Category c, const SockAddr& addr) const {
  PathVerdict v;
  const Mode mode = policy_.mode(c);
  if (mode == Mode::kOff) {
    v.allow = true;
    return v;
  }
  const size_t i = c == Category::kNetBind ? 0 : 1;
  if (mode != Mode::kBpf) {
    if (addr.family == AddrFamily::kOther) {
      v.allow = policy_.unsupported_socket_families;
    } else {
      bool decided = false;
      for (const AddrRule& r : policy_.net_rules[i]) {
        if (r.addr.Matches(addr)) {
          v.allow = r.action == ListAction::kAllow;
          v.rule = &r.origin;
          decided = true;
          break;
        }
      }
      if (!decided) v.allow = mode == Mode::kAllow;
    }
  }
  if (!v.allow) {
    for (const AddrPattern& f : policy_.net_filters[i]) {
      if (f.Matches(addr)) {
        v.filtered = true;
        break;
      }
    }
  }
  return v;
}

bool Decider::ExecKill(std::string_view path) const { return exec_kill_.FirstMatch(path).has_value(); }
bool Decider::ExecResume(std::string_view path) const { return exec_resume_.FirstMatch(path).has_value(); }

std::string DefaultRuleName(Category c) { return "default:" + std::string(CategoryName(c)); }

}  // namespace syd::policy
