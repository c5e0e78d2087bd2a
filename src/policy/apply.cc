// Options are looked up by their normalised key. Lists share one helper
// for the +/^/- operators so path, address and exec lists behave alike.
#include "policy/apply.h"

#include <algorithm>
#include <optional>

#include "policy/syscall_table.h"
#include "util/strings.h"

namespace syd::policy {
namespace {

using lang::Command;
using lang::Op;

std::optional<Category> PathCategoryByName(std::string_view n) {
  if (n == "read") return Category::kRead;
  if (n == "write") return Category::kWrite;
  if (n == "exec") return Category::kExec;
  if (n == "stat") return Category::kStat;
  return std::nullopt;
}

std::optional<Sandbox> SandboxByName(std::string_view n) {
  if (n == "read") return Sandbox::kRead;
  if (n == "write") return Sandbox::kWrite;
  if (n == "exec") return Sandbox::kExec;
  if (n == "stat") return Sandbox::kStat;
  if (n == "network") return Sandbox::kNetwork;
  return std::nullopt;
}

}  // namespace

// Every key Apply() knows, for "did you mean" on a typo.
const std::vector<std::string>& KnownKeys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    for (const char* sb : {"read", "write", "exec", "stat", "network"}) k.push_back(std::string("core/sandbox/") + sb);
    for (const char* kind : {"allowlist", "denylist", "filter"})
      for (const char* what : {"read", "write", "exec", "stat", "network/bind", "network/connect"})
        k.push_back(std::string(kind) + "/" + what);
    for (const char* o :
         {"allowlist/syscall", "denylist/syscall", "exec/kill_if_match", "exec/resume_if_match", "exec/verify",
          "core/match/case_sensitive", "core/match/no_wildcard", "core/allowlist/per_process_directories",
          "core/allowlist/successful_bind", "core/allowlist/unsupported_socket_families",
          "core/violation/decision", "core/violation/exit_code", "core/violation/raise_fail",
          "core/violation/raise_safe", "core/trace/exit_wait_all", "core/trace/magic_lock",
          "core/trace/runtime_categories",
          "core/restrict/general", "core/restrict/identity_change", "core/restrict/io_control",
          "core/restrict/memory_map", "core/restrict/shared_memory_writable", "core/restrict/outside_signals",
          "core/restrict/terminal", "core/restrict/namespaces", "core/restrict/mounts",
          "core/restrict/device_nodes"})
      k.emplace_back(o);
    for (const RlimitName& r : RlimitNames()) k.push_back(std::string("rlimit/") + r.name);
    return k;
  }();
  return keys;
}

namespace {

Unexpected<Error> Unknown(std::string_view what, std::string_view key) {
  return Failf("unknown {} '{}'{}", what, key, DidYouMean(key, KnownKeys()));
}

Result<Mode> ParseMode(std::string_view v) {
  if (v == "off") return Mode::kOff;
  if (v == "allow") return Mode::kAllow;
  if (v == "deny" || v == "on") return Mode::kDeny;  // "on": syd-3 spelling
  if (v == "bpf") return Mode::kBpf;
  if (v == "landlock") return Mode::kLandlock;
  return Failf("bad sandbox mode '{}' (want off, allow, deny, bpf or landlock)", v);
}

Result<bool> Bool(std::string_view v) {
  if (auto b = ParseBool(v)) return *b;
  return Failf("bad boolean '{}' (want true/false/t/f/1/0)", v);
}

void Warn(const ApplyEnv& env, std::string msg) {
  if (env.warnings) env.warnings->push_back(std::move(msg));
}

Status NeedSet(const Command& c) {
  if (c.op != Op::kSet) return Failf("'{}' takes ':' (set), not '{}'", c.key, static_cast<char>(c.op));
  return {};
}

Status NeedListOp(const Command& c) {
  if (c.op != Op::kAppend && c.op != Op::kPrepend && c.op != Op::kRemove)
    return Failf("'{}' is a list: use '+', '^' or '-', not '{}'", c.key, static_cast<char>(c.op));
  if (c.value.empty()) return Failf("'{}' needs a value", c.key);
  return {};
}

// +, ^ and - on any ordered list; `same` decides equality for '-'.
template <class T, class Same>
void EditList(std::vector<T>& list, Op op, T item, Same same) {
  if (op == Op::kAppend) {
    list.push_back(std::move(item));
  } else if (op == Op::kPrepend) {
    list.insert(list.begin(), std::move(item));
  } else {
    auto it = std::find_if(list.begin(), list.end(), [&](const T& e) { return same(e, item); });
    if (it != list.end()) list.erase(it);
  }
}

// Options that only mattered to the ptrace-based sydbox-1; accepted so old
// profiles load, and said to be ignored.
bool IsLegacyTraceOption(std::string_view key) {
  static const char* kKeys[] = {"core/trace/follow_fork",  "core/trace/interrupt",
                                "core/trace/use_seccomp",  "core/trace/use_seize",
                                "core/trace/use_toolong_hack", "core/abort/decision",
                                "core/panic/decision",     "core/panic/exit_code",
                                "core/restrict/file_control", "log/file",
                                "log/level",               "log/console_fd",
                                "log/console_level"};
  return std::find(std::begin(kKeys), std::end(kKeys), key) != std::end(kKeys);
}

// Paths are matched absolute: a pattern that starts with anything but '/'
// or '**' can never match one.
Status NeedAbsolute(const Command& c) {
  if (c.op == Op::kRemove || StartsWith(c.value, "/") || StartsWith(c.value, "**")) return {};
  return Failf("'{}' is not an absolute pattern: paths are matched absolute, so it would never match "
               "(start it with '/' or '**')",
               Elide(c.value));
}

// Whether a pattern matches every path (as "/***", "/**" and "***" do).
bool MatchesEverything(const Pattern& pat, const MatchOptions& m) {
  for (const char* probe : {"/", "/etc/passwd", "/home/u/.ssh/id_ed25519", "/x/y/z/w", "/.hidden"})
    if (!pat.Matches(probe, m)) return false;
  return true;
}

Status ApplyList(Policy& p, const Command& c, const ApplyEnv& env, std::string_view kind,
                 std::string_view what) {
  SYD_TRY_STATUS(NeedListOp(c));
  const bool is_filter = kind == "filter";
  const ListAction action = kind == "denylist" ? ListAction::kDeny : ListAction::kAllow;
  // '#' starts a comment only at the start of a line: written after a
  // value, it and what follows become part of the pattern, which then
  // matches nothing the writer meant.
  if (env.mistakes && c.op != Op::kRemove) {
    size_t hash = c.value.find('#');
    if (hash != std::string::npos && hash > 0 && (c.value[hash - 1] == ' ' || c.value[hash - 1] == '\t'))
      env.mistakes->push_back(fmt::format("{}: {}{}{}: '{}' is part of the value ('#' starts a comment only at "
                                          "the start of a line)",
                                          c.origin.ToString(), c.key, static_cast<char>(c.op), c.value,
                                          c.value.substr(hash - 1)));
  }
  if (auto cat = PathCategoryByName(what)) {
    SYD_TRY_STATUS(NeedAbsolute(c));
    SYD_TRY(pat, Pattern::Compile(c.value));
    if (env.mistakes && action == ListAction::kAllow && !is_filter && c.op != Op::kRemove &&
        (*cat == Category::kWrite || *cat == Category::kExec) && MatchesEverything(pat, p.match))
      env.mistakes->push_back(fmt::format("{}: {}+{} allows every {}{}", c.origin.ToString(), c.key, c.value,
                                          what == "write" ? "write" : "exec",
                                          c.value.size() <= 4 ? " (an empty variable before '/***'?)" : ""));
    size_t i = static_cast<size_t>(*cat);
    if (is_filter) {
      EditList(p.path_filters[i], c.op, PatternEntry{std::move(pat), c.origin},
               [](const PatternEntry& a, const PatternEntry& b) { return a.pattern.text() == b.pattern.text(); });
    } else {
      EditList(p.path_rules[i], c.op, PathRule{action, std::move(pat), c.origin},
               [](const PathRule& a, const PathRule& b) {
                 return a.action == b.action && a.pattern.text() == b.pattern.text();
               });
    }
    return {};
  }
  if (what == "network/bind" || what == "network/connect") {
    size_t i = what == "network/bind" ? 0 : 1;
    SYD_TRY(addr, ParseAddrPattern(c.value, env.services));
    if (is_filter) {
      EditList(p.net_filters[i], c.op, std::move(addr),
               [](const AddrPattern& a, const AddrPattern& b) { return a.text == b.text; });
    } else {
      EditList(p.net_rules[i], c.op, AddrRule{action, std::move(addr), c.origin},
               [](const AddrRule& a, const AddrRule& b) {
                 return a.action == b.action && a.addr.text == b.addr.text;
               });
    }
    return {};
  }
  if (what == "syscall" && !is_filter) {
    // A regex searched in each system call name (anchor it with ^...$).
    SYD_TRY(re, Regex::Compile(c.value, false));
    if (env.mistakes && c.op != Op::kRemove) {
      bool any = false;
      for (const SyscallEntry& e : SyscallTable()) any = any || re->Matches(e.name);
      if (!any) env.mistakes->push_back(fmt::format("{}: {}+{} matches no system call", c.origin.ToString(), c.key, c.value));
    }
    auto& list = action == ListAction::kAllow ? p.syscall_allowlist : p.syscall_denylist;
    EditList(list, c.op, c.value, [](const std::string& a, const std::string& b) { return a == b; });
    return {};
  }
  return Unknown("list", c.key);
}

Status ApplyExec(Policy& p, const Command& c) {
  SYD_TRY_STATUS(NeedListOp(c));
  if (c.key == "exec/kill_if_match" || c.key == "exec/resume_if_match") {
    SYD_TRY_STATUS(NeedAbsolute(c));
    SYD_TRY(pat, Pattern::Compile(c.value));
    auto& list = c.key == "exec/kill_if_match" ? p.exec_kill_if_match : p.exec_resume_if_match;
    EditList(list, c.op, PatternEntry{std::move(pat), c.origin},
             [](const PatternEntry& a, const PatternEntry& b) { return a.pattern.text() == b.pattern.text(); });
    return {};
  }
  // exec/verify+HEX:PATTERN
  size_t colon = c.value.find(':');
  if (colon != 64) return Failf("exec/verify wants SHA256HEX:PATTERN (64 hex digits, a colon, a pattern)");
  std::string hex = c.value.substr(0, 64);
  for (char& ch : hex) {
    if (!std::isxdigit(static_cast<unsigned char>(ch))) return Failf("exec/verify: '{}' is not hex", hex);
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  Command pattern_only = c;
  pattern_only.value = c.value.substr(65);
  SYD_TRY_STATUS(NeedAbsolute(pattern_only));
  SYD_TRY(pat, Pattern::Compile(pattern_only.value));
  EditList(p.exec_verify, c.op, ExecVerify{hex, std::move(pat), c.origin},
           [](const ExecVerify& a, const ExecVerify& b) {
             return a.sha256_hex == b.sha256_hex && a.pattern.text() == b.pattern.text();
           });
  return {};
}

// The enforced restrictions on reaching outside the sandbox, by key.
template <class P>
auto RestrictionFlag(P& p, std::string_view k) -> decltype(&p.restrict_mounts) {
  if (k == "core/restrict/outside_signals") return &p.restrict_outside_signals;
  if (k == "core/restrict/terminal") return &p.restrict_terminal;
  if (k == "core/restrict/namespaces") return &p.restrict_namespaces;
  if (k == "core/restrict/mounts") return &p.restrict_mounts;
  if (k == "core/restrict/device_nodes") return &p.restrict_device_nodes;
  return nullptr;
}

Status ApplyCore(Policy& p, const Command& c, const ApplyEnv& /*env*/) {
  const std::string& k = c.key;
  const std::string& v = c.value;
  if (StartsWith(k, "core/sandbox/")) {
    auto sb = SandboxByName(std::string_view(k).substr(13));
    if (!sb) return Unknown("sandbox", k);
    SYD_TRY_STATUS(NeedSet(c));
    SYD_TRY(mode, ParseMode(v));
    if (mode == Mode::kLandlock && *sb != Sandbox::kRead && *sb != Sandbox::kWrite && *sb != Sandbox::kExec)
      return Failf("mode landlock is for read, write and exec only, not {}", std::string_view(k).substr(13));
    p.modes[static_cast<size_t>(*sb)] = mode;
    return {};
  }
  SYD_TRY_STATUS(NeedSet(c));
  auto set_bool = [&](bool* field) -> Status {
    SYD_TRY(b, Bool(v));
    *field = b;
    return {};
  };
  if (k == "core/match/case_sensitive") {
    SYD_TRY(b, Bool(v));
    p.match.fold = b ? CaseFold::kSensitive : CaseFold::kInsensitive;
    return {};
  }
  if (k == "core/match/no_wildcard") {
    if (v == "literal") p.match.no_wildcard = NoWildcard::kLiteral;
    else if (v == "prefix") p.match.no_wildcard = NoWildcard::kPrefix;
    else return Failf("bad value '{}' for {} (want literal or prefix)", v, k);
    return {};
  }
  if (k == "core/allowlist/per_process_directories") return set_bool(&p.per_process_directories);
  if (k == "core/allowlist/successful_bind") return set_bool(&p.successful_bind);
  if (k == "core/allowlist/unsupported_socket_families") {
    if (v == "allow") { p.unsupported_socket_families = true; return {}; }
    if (v == "deny") { p.unsupported_socket_families = false; return {}; }
    return set_bool(&p.unsupported_socket_families);
  }
  if (k == "core/violation/decision") {
    if (v == "deny") p.decision = Decision::kDeny;
    else if (v == "kill") p.decision = Decision::kKill;
    else if (v == "killall") p.decision = Decision::kKillAll;
    else if (v == "cont") p.decision = Decision::kCont;
    else return Failf("bad decision '{}' (want deny, kill, killall or cont)", v);
    return {};
  }
  if (k == "core/violation/exit_code") {
    auto n = ParseInt(v);
    // sydbox-1 profiles say -1 for "the eldest's status"; that is 0 here.
    if (!n || *n < -1 || *n > 255) return Failf("bad exit code '{}' (want 0..255)", v);
    p.exit_code = *n < 0 ? 0 : static_cast<int>(*n);
    return {};
  }
  if (k == "core/violation/raise_fail") return set_bool(&p.raise_fail);
  if (k == "core/violation/raise_safe") return set_bool(&p.raise_safe);
  if (k == "core/trace/exit_wait_all") return set_bool(&p.exit_wait_all);
  if (k == "core/trace/runtime_categories") {
    std::array<bool, kNumSandboxes> on{};
    if (v == "all") {
      on.fill(true);
    } else if (v != "none") {
      size_t at = 0;
      while (at <= v.size()) {
        size_t comma = v.find(',', at);
        if (comma == std::string::npos) comma = v.size();
        const std::string_view name = std::string_view(v).substr(at, comma - at);
        auto sb = SandboxByName(name);
        if (!sb) return Failf("bad category '{}' in {} (want read, write, exec, stat, network, all or none)", name, k);
        on[static_cast<size_t>(*sb)] = true;
        at = comma + 1;
      }
    }
    p.runtime_change = on;
    return {};
  }
  if (k == "core/trace/magic_lock") {
    if (v == "exec") {
      p.magic_lock = MagicLock::kExec;
      return {};
    }
    std::optional<bool> b = v == "on" ? std::optional<bool>(true) : v == "off" ? std::optional<bool>(false) : ParseBool(v);
    if (!b) return Failf("bad magic lock '{}' (want on, off or exec; true/false/t/f/1/0 for on/off)", v);
    p.magic_lock = *b ? MagicLock::kOn : MagicLock::kOff;
    return {};
  }
  if (k == "core/restrict/general") {
    auto n = ParseInt(v);
    if (!n || *n < 0 || *n > 3) return Failf("bad value '{}' for {} (want 0..3)", v, k);
    p.restrict_general = static_cast<int>(*n);
    return {};
  }
  bool* restrict_flag = k == "core/restrict/identity_change"          ? &p.restrict_identity_change
                        : k == "core/restrict/io_control"             ? &p.restrict_io_control
                        : k == "core/restrict/memory_map"             ? &p.restrict_memory_map
                        : k == "core/restrict/shared_memory_writable" ? &p.restrict_shared_memory_writable
                                                                      : nullptr;
  if (bool* reach = RestrictionFlag(p, k)) return set_bool(reach);
  if (restrict_flag) return set_bool(restrict_flag);
  return Unknown("option", k);
}

}  // namespace

namespace {

// rlimit/NAME:VALUE — a number (sizes may end in K, M, G or T, powers of
// 1024) or "unlimited"/"inf".
Status ApplyRlimit(Policy& p, const Command& c, const ApplyEnv& env) {
  const std::string_view name = std::string_view(c.key).substr(7);
  const RlimitName* known = nullptr;
  for (const RlimitName& r : RlimitNames())
    if (name == r.name) known = &r;
  if (!known) return Unknown("option", c.key);
  SYD_TRY_STATUS(NeedSet(c));
  if (env.runtime)
    return Failf("{} takes effect when the command starts; it cannot change while the sandbox runs", c.key);
  const std::string& v = c.value;
  uint64_t value = 0;
  if (v == "unlimited" || v == "inf" || v == "infinity") {
    value = RlimitSetting::kUnlimited;
  } else {
    std::string_view digits = v;
    uint64_t scale = 1;
    if (!digits.empty() && std::string_view(known->unit) == "bytes") {
      const char last = digits.back();
      const int shift = last == 'K' || last == 'k' ? 10 : last == 'M' || last == 'm' ? 20 : last == 'G' || last == 'g' ? 30
                        : last == 'T' || last == 't'                                   ? 40
                                                                                       : 0;
      if (shift) {
        scale = uint64_t{1} << shift;
        digits.remove_suffix(1);
      }
    }
    auto n = ParseInt(digits);
    if (!n || *n < 0 || static_cast<uint64_t>(*n) > RlimitSetting::kUnlimited / scale - 1)
      return Failf("bad value '{}' for {} (want a number{} or 'unlimited')", v, c.key,
                   std::string_view(known->unit) == "bytes" ? " of bytes, K, M, G or T after it" : "");
    value = static_cast<uint64_t>(*n) * scale;
  }
  p.rlimits.push_back(RlimitSetting{known->name, known->resource, value, c.origin});
  return {};
}

}  // namespace

Status Apply(Policy& p, const Command& c, const ApplyEnv& env) {
  if (c.op == Op::kQuery) return Failf("'{}?' is a query, not a setting", c.key);
  if (c.op == Op::kExec) return Failf("'{}!' (running commands) is not supported", c.key);
  if (lang::IsRuleKey(c.key)) {
    SYD_TRY(rule, CompileRule(c, env.services));
    // A module runs inside the supervisor: only a configuration read when
    // sydbox starts may load one, never a sandboxed process at run time.
    if (const auto* load = rule.Option(lang::OptKind::kLoad); load && env.runtime && c.op != Op::kRemove)
      return FailAt(load->column, "load= (a module) is accepted when sydbox starts, not at run time");
    EditList(p.sys_rules, c.op == Op::kRemove ? Op::kRemove : c.op, std::move(rule),
             [](const SysRule& a, const SysRule& b) { return a.text == b.text; });
    return {};
  }
  if (IsLegacyTraceOption(c.key)) {
    Warn(env, fmt::format("{} is a sydbox-1 (ptrace) option and is ignored", c.key));
    return {};
  }
  const std::string_view key = c.key;
  for (std::string_view kind : {"allowlist", "denylist", "filter"}) {
    if (StartsWith(key, kind) && key.size() > kind.size() && key[kind.size()] == '/') {
      return ApplyList(p, c, env, kind, key.substr(kind.size() + 1));
    }
  }
  if (StartsWith(key, "exec/")) {
    if (key != "exec/kill_if_match" && key != "exec/resume_if_match" && key != "exec/verify")
      return Unknown("option", key);
    SYD_TRY_STATUS(ApplyExec(p, c));
    return {};
  }
  if (StartsWith(key, "core/")) return ApplyCore(p, c, env);
  if (StartsWith(key, "rlimit/")) return ApplyRlimit(p, c, env);
  return Unknown("option", key);
}

Result<bool> Query(const Policy& p, const Command& c) {
  const std::string_view key = c.key;
  if (StartsWith(key, "core/sandbox/")) {
    auto sb = SandboxByName(key.substr(13));
    if (!sb) return Unknown("sandbox", key);
    return p.mode(*sb) != Mode::kOff;
  }
  if (key == "core/match/case_sensitive") return p.match.fold == CaseFold::kSensitive;
  if (key == "core/allowlist/per_process_directories") return p.per_process_directories;
  if (key == "core/allowlist/successful_bind") return p.successful_bind;
  if (key == "core/allowlist/unsupported_socket_families") return p.unsupported_socket_families;
  if (key == "core/violation/raise_fail") return p.raise_fail;
  if (key == "core/violation/raise_safe") return p.raise_safe;
  if (key == "core/trace/exit_wait_all") return p.exit_wait_all;
  if (key == "core/trace/magic_lock") return p.magic_lock == MagicLock::kOn;
  if (const bool* reach = RestrictionFlag(p, key)) return *reach;
  for (std::string_view kind : {"allowlist", "denylist", "filter"}) {
    if (!StartsWith(key, kind) || key.size() <= kind.size() || key[kind.size()] != '/') continue;
    std::string_view what = key.substr(kind.size() + 1);
    ListAction action = kind == "denylist" ? ListAction::kDeny : ListAction::kAllow;
    if (auto cat = PathCategoryByName(what)) {
      size_t i = static_cast<size_t>(*cat);
      if (kind == "filter") {
        for (const auto& e : p.path_filters[i]) if (e.pattern.text() == c.value) return true;
        return false;
      }
      for (const auto& r : p.path_rules[i])
        if (r.action == action && r.pattern.text() == c.value) return true;
      return false;
    }
    if (what == "network/bind" || what == "network/connect") {
      size_t i = what == "network/bind" ? 0 : 1;
      if (kind == "filter") {
        for (const auto& a : p.net_filters[i]) if (a.text == c.value) return true;
        return false;
      }
      for (const auto& r : p.net_rules[i])
        if (r.action == action && r.addr.text == c.value) return true;
      return false;
    }
  }
  return Failf("'{}' cannot be queried", key);
}

std::string FormatError(const lang::Origin& origin, const Error& e) {
  if (e.column > 0) return fmt::format("{}:{}: {}", origin.ToString(), e.column, e.what);
  return fmt::format("{}: {}", origin.ToString(), e.what);
}

Result<Policy> ApplyAll(const Policy& base, const std::vector<lang::Command>& cmds,
                        const ApplyEnv& env) {
  Policy p = base;
  for (const Command& c : cmds) {
    auto st = Apply(p, c, env);
    if (!st) return Failf("{}", FormatError(c.origin, st.error()));
  }
  return p;
}

}  // namespace syd::policy
