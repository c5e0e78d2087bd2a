#include "supervisor/report.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "kernel/proc.h"
#include "policy/suggest.h"
#include "util/error.h"
#include "util/strings.h"

namespace syd::supervisor {
namespace {

void WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    off += static_cast<size_t>(n);
  }
}

}  // namespace

void Reporter::Report(const Violation& v) {
  const double ts = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::string comm = kernel::ReadComm(v.pid);
  std::string cmdline = kernel::ReadCmdline(v.tgid);
  auto cwd = kernel::ReadLink(AT_FDCWD, fmt::format("/proc/{}/cwd", v.pid));
  std::string cwd_s = cwd ? *cwd : "?";
  std::string errname = v.err ? ErrnoName(v.err) : "";
  std::string line;
  if (format_ == LogFormat::kJson) {
    line = fmt::format(
        "{{\"event\":\"violation\",\"ts\":{:.6f},\"pid\":{},\"tgid\":{},\"comm\":\"{}\",\"cmdline\":\"{}\","
        "\"cwd\":\"{}\",\"syscall\":\"{}\",\"category\":\"{}\",\"{}\":\"{}\",\"action\":\"{}\","
        "\"errno\":{},\"rule\":\"{}\"{}}}\n",
        ts, v.pid, v.tgid, JsonEscape(comm), JsonEscape(cmdline), JsonEscape(cwd_s), v.syscall, v.category,
        v.is_addr ? "addr" : "path", JsonEscape(v.path), v.action,
        v.err ? fmt::format("\"{}\"", errname) : std::string("null"), JsonEscape(v.rule),
        v.would.empty() ? std::string()
                        : fmt::format(",\"would\":\"{}\",\"allow\":{}", v.would,
                                      v.allow.empty() ? std::string("null") : "\"" + JsonEscape(v.allow) + "\""));
  } else {
    line = fmt::format("sydbox: {} {} {} {} ({}{}) by {}[{}] cwd {} cmd \"{}\" rule {}{}\n",
                       v.would.empty() ? v.action : "would " + v.would, v.category, v.is_addr ? "addr" : "path",
                       v.path, v.syscall, v.err ? ", " + errname : std::string(), comm, v.pid, cwd_s, cmdline,
                       v.rule, v.allow.empty() ? std::string() : "; to allow: -m " + policy::ShellQuote(v.allow));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!v.would.empty()) {
    Tally& t = would_[v.category];
    ++t.count;
    if (t.first.size() < kSummaryExamples && std::find(t.first.begin(), t.first.end(), v.path) == t.first.end())
      t.first.push_back(v.path);
  }
  WriteAll(fd_, line);
}

void Reporter::WriteDryRunSummary() {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t total = 0;
  for (const auto& [cat, t] : would_) total += t.count;
  std::string out;
  if (format_ == LogFormat::kJson) {
    std::string cats;
    for (const auto& [cat, t] : would_) {
      std::string first;
      for (const std::string& p : t.first) first += fmt::format("{}\"{}\"", first.empty() ? "" : ",", JsonEscape(p));
      cats += fmt::format("{}\"{}\":{{\"count\":{},\"first\":[{}]}}", cats.empty() ? "" : ",", cat, t.count, first);
    }
    out = fmt::format("{{\"event\":\"dry_run\",\"would_deny\":{},\"categories\":{{{}}}}}\n", total, cats);
  } else if (total == 0) {
    out = "sydbox: dry run: nothing would have been denied\n";
  } else {
    out = fmt::format("sydbox: dry run: {} access{} would have been denied\n", total, total == 1 ? "" : "es");
    for (const auto& [cat, t] : would_) {
      std::string first;
      for (const std::string& p : t.first) first += (first.empty() ? "" : ", ") + p;
      out += fmt::format("sydbox:   {}: {} ({}{})\n", cat, t.count, first, t.count > t.first.size() ? ", ..." : "");
    }
  }
  WriteAll(fd_, out);
}

void Reporter::Line(const std::string& line) {
  std::lock_guard<std::mutex> lock(mu_);
  WriteAll(fd_, line);
}

void Reporter::Note(const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  WriteAll(fd_, "sydbox: " + text + "\n");
}

}  // namespace syd::supervisor
