// Violation reports (SPEC §6.1): one line per denied (or continued) access,
// as JSON or for people. Thread-safe; one write(2) per report.
#pragma once

#include <sys/types.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace syd::supervisor {

enum class LogFormat { kHuman, kJson };

struct Violation {
  pid_t pid = 0;
  pid_t tgid = 0;
  std::string syscall;
  std::string category;
  std::string path;       // or the address for network
  bool is_addr = false;
  std::string action;     // deny, kill, killall, cont
  int err = 0;            // errno given to the caller (0 with cont/kill)
  std::string rule;       // file:line, -m:N or default:CATEGORY
  // --dry-run: what the decision would have been (deny, kill, killall),
  // and the magic command that would allow it (may be empty).
  std::string would;
  std::string allow;
};

class Reporter {
 public:
  Reporter(int fd, LogFormat format) : fd_(fd), format_(format) {}
  // Reads comm/cmdline/cwd of the caller, then writes one line.
  void Report(const Violation& v);
  // A free-form line ("sydbox: ..."), for warnings at run time.
  void Note(const std::string& text);
  // One complete line (with its newline) to the report descriptor.
  void Line(const std::string& line);
  int fd() const { return fd_; }
  LogFormat format() const { return format_; }
  // --dry-run: what would have been denied, per category, written at exit
  // (one line in JSON; a few lines for people).
  void WriteDryRunSummary();

 private:
  struct Tally {
    uint64_t count = 0;
    std::vector<std::string> first;  // the first few distinct paths or addresses
  };
  static constexpr size_t kSummaryExamples = 5;
  int fd_;
  LogFormat format_;
  std::mutex mu_;
  std::map<std::string, Tally> would_;  // by category, under mu_
};

}  // namespace syd::supervisor
