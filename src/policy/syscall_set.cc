// Sets are evaluated left to right: items add, "!" items remove, "?"
// items may name nothing this architecture has. %file_rd, %file_wr,
// %exec and %net come from the checked-syscall table (SPEC §2.1),
// %restrict_general1..3 from core/restrict/general's levels; the other
// classes from strace's tables.

#include <algorithm>

#include "policy/restrict.h"
#include "policy/rules.h"
#include "policy/syscall_table.h"
#include "policy/syscalls.h"
#include "util/strings.h"

namespace syd::policy {
namespace {

bool InClass(const SyscallEntry& e, std::string_view cls) {
  for (std::string_view c : Split(e.classes, ' '))
    if (c == cls) return true;
  return false;
}

// %file_rd, %file_wr, %exec, %net: from the categories of SPEC §2.1.
bool SydClass(std::string_view cls, std::set<int>* out) {
  std::optional<Category> want;
  bool net = false;
  if (cls == "%file_rd") want = Category::kRead;
  else if (cls == "%file_wr") want = Category::kWrite;
  else if (cls == "%exec") want = Category::kExec;
  else if (cls == "%net") net = true;
  else if (cls.starts_with("%restrict_general") && cls.size() == 18 && cls[17] >= '1' && cls[17] <= '3') {
    for (int nr : GeneralRestricted(cls[17] - '0')) out->insert(nr);
    return true;
  } else return false;
  for (const SyscallInfo& s : CheckedSyscalls()) {
    if (s.kind == CallKind::kAttrIoctl) continue;  // only some requests are writes: not in §2.1's sets
    if (net ? (s.category == Category::kNetBind || s.category == Category::kNetConnect) : CanBeCategory(s, *want))
      out->insert(s.nr);
  }
  return true;
}

Result<std::set<int>> MatchRegex(std::string_view re, size_t col) {
  auto code = Regex::Compile(std::string(re), true);
  if (!code) return FailAt(static_cast<uint32_t>(col), code.error().what);
  std::set<int> out;
  for (const SyscallEntry& e : SyscallTable())
    if ((*code)->Matches(e.name)) out.insert(e.nr);
  return out;
}

// Splits at commas outside (), [] and {} (a regex may contain commas).
// Unbalanced brackets leave the rest as one item, for its parser to judge.
std::vector<std::pair<std::string_view, size_t>> Items(std::string_view text) {
  std::vector<std::pair<std::string_view, size_t>> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size()) { ++i; continue; }
    if (c == '(' || c == '[' || c == '{') ++depth;
    else if ((c == ')' || c == ']' || c == '}') && depth > 0) --depth;
    else if (c == ',' && depth == 0) {
      out.emplace_back(text.substr(start, i - start), start + 1);
      start = i + 1;
    }
  }
  out.emplace_back(text.substr(start), start + 1);
  return out;
}

}  // namespace

std::optional<int> SyscallNumber(std::string_view name) {
  for (const SyscallEntry& e : SyscallTable())
    if (e.name == name) return e.nr;
  return std::nullopt;
}

std::string_view SyscallName(int nr) {
  auto t = SyscallTable();
  auto it = std::lower_bound(t.begin(), t.end(), nr, [](const SyscallEntry& e, int n) { return e.nr < n; });
  return it != t.end() && it->nr == nr ? it->name : std::string_view();
}

std::vector<std::string> SyscallClasses() {
  std::set<std::string> all = {"%file_rd", "%file_wr", "%exec", "%net", "%restrict_general1", "%restrict_general2",
                               "%restrict_general3"};
  for (const SyscallEntry& e : SyscallTable())
    for (std::string_view c : Split(e.classes, ' '))
      if (!c.empty()) all.emplace(c);
  return {all.begin(), all.end()};
}

Result<std::set<int>> ResolveSyscallSet(std::string_view text) {
  std::set<int> result;
  if (Trim(text).empty()) return FailAt(static_cast<uint32_t>(1), "empty system call set");
  for (auto [raw, col] : Items(text)) {
    std::string_view item = raw;
    bool optional = false, remove = false;
    while (!item.empty() && (item[0] == '?' || item[0] == '!')) {
      (item[0] == '?' ? optional : remove) = true;
      item.remove_prefix(1);
      ++col;
    }
    if (item.empty()) return FailAt(static_cast<uint32_t>(col), "empty item in system call set");
    std::set<int> got;
    if (item[0] == '/') {
      SYD_TRY(m, MatchRegex(item.substr(1), col));
      got = std::move(m);
    } else if (item[0] == '%') {
      if (!SydClass(item, &got)) {
        bool known = false;
        for (const SyscallEntry& e : SyscallTable()) {
          if (InClass(e, item)) {
            got.insert(e.nr);
            known = true;
          }
        }
        // %clock has no member on x86_64 in strace's table, but is a class.
        if (!known && item != "%clock" && item != "%pure" && item != "%creds")
          return FailAt(static_cast<uint32_t>(col), fmt::format("unknown class '{}'", item));
      }
    } else if (item[0] >= '0' && item[0] <= '9') {
      auto n = ParseInt(item);
      if (!n || *n < 0 || *n > 4095) return FailAt(static_cast<uint32_t>(col), fmt::format("bad system call number '{}'", item));
      got.insert(static_cast<int>(*n));
    } else {
      auto nr = SyscallNumber(item);
      if (nr) got.insert(*nr);
      else if (!optional) {
        std::vector<std::string> names;
        for (const SyscallEntry& e : SyscallTable()) names.emplace_back(e.name);
        return FailAt(static_cast<uint32_t>(col), fmt::format("unknown system call '{}'{}", item, DidYouMean(item, names)));
      }
    }
    if (got.empty() && !optional && item[0] == '/')
      return FailAt(static_cast<uint32_t>(col), fmt::format("regex '{}' matches no system call", item));
    for (int nr : got) {
      if (remove) result.erase(nr);
      else result.insert(nr);
    }
  }
  return result;
}

}  // namespace syd::policy
