// A category is Landlock-expressible when Landlock's union of "beneath"
// grants decides every path exactly as the ordered first-match list does.
// Allow entries become grants; deny entries only matter when a path they
// match is granted by an allow entry after them, so each deny entry is
// compared with the later allow entries by its literal prefix (the
// components before its first wildcard): conservative, never wrong in the
// direction of granting more.
#include "policy/landlock_plan.h"

#include <algorithm>
#include <string_view>

#include "util/strings.h"

namespace syd::policy {
namespace {

using namespace landlock;

bool HasSpecial(std::string_view s) { return s.find_first_of("*?[\\") != std::string_view::npos; }

// `a` is `b` or below it, component-wise ("/" contains everything).
bool Within(std::string_view a, std::string_view b) {
  if (b == "/" || a == b) return true;
  return a.size() > b.size() && a.substr(0, b.size()) == b && a[b.size()] == '/';
}

// Paths whose object depends on the process that looks (a rule added in
// the child would name the child's).
bool PerProcess(std::string_view path) {
  for (std::string_view p : {"/proc/self", "/proc/thread-self", "/dev/fd", "/dev/stdin", "/dev/stdout",
                             "/dev/stderr"})
    if (Within(path, p)) return true;
  return false;
}

// The literal leading components of a pattern ("" when relative or when
// the first component has a wildcard: then it may match anywhere).
std::string LiteralPrefix(std::string_view text) {
  if (text.empty() || text[0] != '/') return "";
  size_t wild = text.find_first_of("*?[\\");
  if (wild == std::string_view::npos) return std::string(text);
  size_t slash = text.rfind('/', wild);
  return slash == 0 ? "/" : std::string(text.substr(0, slash));
}

std::string Where(const Origin& o) {
  std::string s = o.ToString();
  return s.empty() ? "" : s + ": ";
}

std::string_view CategoryLists(Category c) { return CategoryName(c); }

}  // namespace

uint64_t landlock::RightsOfAbi(int abi) {
  if (abi <= 0) return 0;
  uint64_t r = (1ull << 13) - 1;  // ABI 1: EXECUTE .. MAKE_SYM
  if (abi >= 2) r |= kRefer;
  if (abi >= 3) r |= kTruncate;
  if (abi >= 5) r |= kIoctlDev;
  return r;
}

uint64_t LandlockRights(Category c) {
  switch (c) {
    case Category::kRead: return kReadFile | kReadDir;
    case Category::kWrite:
      return kWriteFile | kTruncate | kRemoveDir | kRemoveFile | kMakeChar | kMakeDir | kMakeReg | kMakeSock |
             kMakeFifo | kMakeBlock | kMakeSym | kRefer;
    case Category::kExec: return kExecute;
    default: return 0;
  }
}

bool LandlockCovers(const SyscallInfo& s, Category c) {
  if (!CanBeCategory(s, c)) return false;
  switch (s.kind) {
    case CallKind::kOpen: return c == Category::kRead || c == Category::kWrite;  // by intent
    case CallKind::kExec: return c == Category::kExec;
    case CallKind::kPath: break;
    default: return false;  // openat2 (flags in memory), ioctl, directory listing, network
  }
  // Every read call: what Landlock does not check of them (access, chdir,
  // xattrs, O_PATH) tells metadata only. access(W_OK) asks, changes nothing.
  if (c == Category::kRead || s.rule == CategoryRule::kAccessMode) return true;
  if (c != Category::kWrite) return false;
  static constexpr std::string_view kWrites[] = {
      "mkdir", "mkdirat", "mknod", "mknodat", "rmdir", "unlink", "unlinkat", "rename", "renameat",
      "renameat2", "link", "linkat", "symlink", "symlinkat", "truncate"};
  return std::find(std::begin(kWrites), std::end(kWrites), s.name) != std::end(kWrites);
}

LandlockCategoryPlan PlanLandlockCategory(const Policy& p, Category c) {
  LandlockCategoryPlan out;
  out.handled = LandlockRights(c);
  auto no = [&out](std::string why) {
    out.expressible = false;
    out.reason = std::move(why);
    out.grants.clear();
    return out;
  };
  if (out.handled == 0) return no("Landlock has no rights for this category");
  const Mode m = p.mode(c);
  if (m != Mode::kDeny && m != Mode::kLandlock) return no(fmt::format("the mode is {}", ModeName(m)));
  if (p.match.fold != CaseFold::kSensitive) return no("core/match/case_sensitive is false");
  if (p.per_process_directories)
    return no("core/allowlist/per_process_directories is true (Landlock cannot grant /proc/PID per process)");
  const bool prefix = p.match.no_wildcard == NoWildcard::kPrefix;
  const std::vector<PathRule>& rules = p.path_rules[static_cast<size_t>(c)];
  struct Allowed {
    std::string path;
    bool beneath;
    const Pattern* pattern;
  };
  std::vector<Allowed> allowed;  // in order, to compare deny entries with what comes after
  std::vector<size_t> allowed_at;
  for (size_t i = 0; i < rules.size(); ++i) {
    const PathRule& r = rules[i];
    if (r.action != ListAction::kAllow) continue;
    const std::string& t = r.pattern.text();
    std::string_view base = t;
    bool beneath = prefix;
    if (EndsWith(base, "/***")) {
      base.remove_suffix(4);
      beneath = true;
      if (base.empty()) base = "/";
    }
    if (base.empty() || base[0] != '/' || HasSpecial(base))
      return no(fmt::format("{}allowlist/{}+{} is not DIR/*** or an exact file", Where(r.origin),
                            CategoryLists(c), t));
    std::string path(base);
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    if (PerProcess(path))
      return no(fmt::format("{}allowlist/{}+{} names a per-process path", Where(r.origin), CategoryLists(c), t));
    allowed.push_back({path, beneath, &r.pattern});
    allowed_at.push_back(i);
  }
  for (size_t i = 0; i < rules.size(); ++i) {
    const PathRule& r = rules[i];
    if (r.action != ListAction::kDeny) continue;
    const std::string pre = LiteralPrefix(r.pattern.text());
    for (size_t j = 0; j < allowed.size(); ++j) {
      if (allowed_at[j] < i) continue;  // an earlier allow entry wins over this one
      const Allowed& a = allowed[j];
      const bool overlap = pre.empty() || (a.beneath ? (Within(pre, a.path) || Within(a.path, pre))
                                                     : r.pattern.Matches(a.path, p.match));
      if (overlap)
        return no(fmt::format("{}denylist/{}+{} makes an exception in what {} allows after it",
                              Where(r.origin), CategoryLists(c), r.pattern.text(),
                              Where(rules[allowed_at[j]].origin) + "allowlist/" + std::string(CategoryLists(c)) +
                                  "+" + a.pattern->text()));
    }
  }
  for (const SysRule& r : p.sys_rules) {
    if (r.rule.action != lang::RuleAction::kAllow && r.rule.action != lang::RuleAction::kTrace) continue;
    for (int nr : r.syscalls) {
      const SyscallInfo* s = FindSyscall(nr);
      if (s && LandlockCovers(*s, c))
        return no(fmt::format("{}{} decides {} calls before the {} lists", Where(r.origin), r.Shown(), s->name,
                              CategoryName(c)));
    }
  }
  out.expressible = true;
  for (const Allowed& a : allowed)
    out.grants.push_back({a.path, a.beneath ? out.handled : (out.handled & kFileRights), a.beneath});
  if (c == Category::kExec)
    for (const std::string& ld : LandlockDynamicLoaders()) out.grants.push_back({ld, kExecute, false, true});
  return out;
}

const std::vector<std::string>& LandlockDynamicLoaders() {
  static const std::vector<std::string> loaders = {"/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux.so.2",
                                                   "/libx32/ld-linux-x32.so.2", "/lib/ld-musl-x86_64.so.1",
                                                   "/lib/ld-musl-i386.so.1"};
  return loaders;
}

}  // namespace syd::policy
