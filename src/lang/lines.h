// Line framing of the control socket's protocol (SPEC §3.4): bytes in,
// lines out, each bounded. Pure (no system calls), fuzzed
// (fuzz/fuzz_lines.cc).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace syd::lang {

// Splits a byte stream into lines of at most kMaxLine bytes; a longer line
// is reported once as too long and skipped to its newline. Pure (fuzzed).
class LineReader {
 public:
  static constexpr size_t kMaxLine = 16384;
  struct Line {
    std::string text;       // without the newline (or a trailing '\r')
    bool too_long = false;  // text is empty then
  };
  // Appends bytes; complete lines are returned by Next().
  void Feed(std::string_view bytes);
  bool Next(Line* out);

 private:
  std::string buf_;
  bool skipping_ = false;  // inside a line already reported too long
  std::vector<Line> ready_;
  size_t next_ = 0;
};

}  // namespace syd::lang
