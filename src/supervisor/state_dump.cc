#include "supervisor/state_dump.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "kernel/proc.h"
#include "util/strings.h"

namespace syd::supervisor {

std::vector<events::ProcessInfo> SandboxProcesses(pid_t self, ProcessTable& procs) {
  std::multimap<pid_t, pid_t> children;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      auto pid = ParseInt(e->d_name);
      if (!pid) continue;
      pid_t ppid = kernel::ParentOf(static_cast<pid_t>(*pid));
      if (ppid > 0) children.emplace(ppid, static_cast<pid_t>(*pid));
    }
    closedir(d);
  }
  std::vector<std::pair<pid_t, pid_t>> found;  // pid, ppid
  std::vector<pid_t> pending{self};
  while (!pending.empty()) {
    pid_t p = pending.back();
    pending.pop_back();
    auto [b, e] = children.equal_range(p);
    for (auto it = b; it != e; ++it) {
      found.emplace_back(it->second, p);
      pending.push_back(it->second);
    }
  }
  std::sort(found.begin(), found.end());
  std::vector<events::ProcessInfo> out;
  for (const auto& [pid, ppid] : found) {
    events::ProcessInfo i;
    i.pid = i.tgid = pid;
    i.ppid = ppid;
    i.comm = kernel::ReadComm(pid);
    auto cwd = kernel::ReadLink(AT_FDCWD, fmt::format("/proc/{}/cwd", pid));
    i.cwd = cwd ? *cwd : "?";
    const ProcState st = procs.Get(pid);
    i.lock = st.locked ? "on" : st.lock_on_exec ? "exec" : "off";
    i.resumed = st.resumed;
    out.push_back(std::move(i));
  }
  return out;
}

events::Sydcore::Config DescribeConfig(const policy::Policy& p) {
  using policy::Category;
  events::Sydcore::Config c;
  static constexpr std::pair<const char*, policy::Sandbox> kSandboxes[] = {
      {"read", policy::Sandbox::kRead},   {"write", policy::Sandbox::kWrite},
      {"exec", policy::Sandbox::kExec},   {"stat", policy::Sandbox::kStat},
      {"network", policy::Sandbox::kNetwork}};
  for (const auto& [name, s] : kSandboxes) c.sandbox.emplace_back(name, std::string(policy::ModeName(p.mode(s))));
  auto flag = [](bool b) { return std::string(b ? "true" : "false"); };
  const char* decision = p.decision == policy::Decision::kDeny      ? "deny"
                         : p.decision == policy::Decision::kKill    ? "kill"
                         : p.decision == policy::Decision::kKillAll ? "killall"
                                                                    : "cont";
  c.options = {
      {"core/violation/decision", decision},
      {"core/violation/exit_code", std::to_string(p.exit_code)},
      {"core/violation/raise_fail", flag(p.raise_fail)},
      {"core/violation/raise_safe", flag(p.raise_safe)},
      {"core/trace/exit_wait_all", flag(p.exit_wait_all)},
      {"core/trace/magic_lock", p.magic_lock == policy::MagicLock::kOn     ? "on"
                                : p.magic_lock == policy::MagicLock::kExec ? "exec"
                                                                           : "off"},
      {"core/match/case_sensitive", flag(p.match.fold == policy::CaseFold::kSensitive)},
      {"core/match/no_wildcard", p.match.no_wildcard == policy::NoWildcard::kPrefix ? "prefix" : "literal"},
      {"core/allowlist/per_process_directories", flag(p.per_process_directories)},
      {"core/allowlist/successful_bind", flag(p.successful_bind)},
      {"core/allowlist/unsupported_socket_families", flag(p.unsupported_socket_families)},
      {"core/restrict/general", std::to_string(p.restrict_general)},
      {"core/restrict/outside_signals", flag(p.restrict_outside_signals)},
      {"core/restrict/terminal", flag(p.restrict_terminal)},
      {"core/restrict/namespaces", flag(p.restrict_namespaces)},
      {"core/restrict/mounts", flag(p.restrict_mounts)},
      {"core/restrict/device_nodes", flag(p.restrict_device_nodes)},
  };
  for (size_t i = 0; i < policy::kNumPathCategories; ++i) {
    const std::string cat(policy::CategoryName(static_cast<Category>(i)));
    for (const auto& r : p.path_rules[i])
      c.lists.push_back({r.action == policy::ListAction::kAllow ? "allowlist" : "denylist", cat, r.pattern.text(),
                         r.origin.ToString()});
    for (const auto& f : p.path_filters[i]) c.lists.push_back({"filter", cat, f.pattern.text(), f.origin.ToString()});
  }
  for (size_t i = 0; i < 2; ++i) {
    const std::string cat = i == 0 ? "network/bind" : "network/connect";
    for (const auto& r : p.net_rules[i])
      c.lists.push_back({r.action == policy::ListAction::kAllow ? "allowlist" : "denylist", cat, r.addr.text,
                         r.origin.ToString()});
    for (const auto& f : p.net_filters[i]) c.lists.push_back({"filter", cat, f.text, ""});
  }
  for (const auto& e : p.exec_kill_if_match) c.lists.push_back({"exec/kill_if_match", "exec", e.pattern.text(), e.origin.ToString()});
  for (const auto& e : p.exec_resume_if_match)
    c.lists.push_back({"exec/resume_if_match", "exec", e.pattern.text(), e.origin.ToString()});
  for (const auto& r : p.sys_rules) c.rules.push_back(fmt::format("{} ({})", r.Shown(), r.origin.ToString()));
  return c;
}

Result<std::string> WriteStateDump(const std::string& doc, pid_t pid) {
  const char* dir = getenv("TMPDIR");
  const std::string base = dir && *dir ? dir : "/tmp";
  const std::string path = fmt::format("{}/sydcore.{}.json", base, pid);
  std::string tmp = fmt::format("{}/.sydcore.{}.json.XXXXXX", base, pid);
  int fd = mkostemp(tmp.data(), O_CLOEXEC);  // mode 0600
  if (fd < 0) return Fail(errno, fmt::format("cannot create a file in {}", base));
  size_t off = 0;
  while (off < doc.size()) {
    ssize_t n = write(fd, doc.data() + off, doc.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = errno;
      close(fd);
      unlink(tmp.c_str());
      return Fail(e, fmt::format("cannot write {}", tmp));
    }
    off += static_cast<size_t>(n);
  }
  close(fd);
  // rename() replaces the name itself: a symlink planted at `path` is
  // replaced, never followed.
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    unlink(tmp.c_str());
    return Fail(e, fmt::format("cannot rename {} to {}", tmp, path));
  }
  return path;
}

}  // namespace syd::supervisor
