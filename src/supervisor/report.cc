#include "supervisor/report.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "events/events.h"
#include "kernel/proc.h"
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
  events::Violation e;
  e.ts = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  e.pid = v.pid;
  e.tgid = v.tgid;
  e.comm = kernel::ReadComm(v.pid);
  e.cmdline = kernel::ReadCmdline(v.tgid);
  auto cwd = kernel::ReadLink(AT_FDCWD, fmt::format("/proc/{}/cwd", v.pid));
  e.cwd = cwd ? *cwd : "?";
  e.syscall = v.syscall;
  e.category = v.category;
  e.path = v.path;
  e.is_addr = v.is_addr;
  e.action = v.action;
  e.errno_name = v.err ? ErrnoName(v.err) : "";
  e.rule = v.rule;
  e.would = v.would;
  e.allow = v.allow;
  const std::string line = format_ == LogFormat::kJson ? events::Json(e) : events::Human(e);
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
  events::DryRunSummary sum;
  for (const auto& [cat, t] : would_) sum.categories.push_back({cat, t.count, t.first});
  WriteAll(fd_, format_ == LogFormat::kJson ? events::Json(sum) : events::Human(sum));
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
