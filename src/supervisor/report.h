// Violation reports (SPEC §6.1): one line per denied (or continued) access,
// as JSON or for people. Thread-safe; one write(2) per report.
#pragma once

#include <sys/types.h>

#include <mutex>
#include <string>

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

 private:
  int fd_;
  LogFormat format_;
  std::mutex mu_;
};

}  // namespace syd::supervisor
