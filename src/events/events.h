// What sydbox tells the world, as types: violation reports, the lines of
// `log=` rules, the learning-mode summary and the statistics at exit (and
// the dump and state dump to come). One writer turns each into a JSON line
// (events/json.h) and the same values into text for people (Human()).
// Pure: nothing here reads /proc or writes anywhere.
//
// Schema (version kSchemaVersion): every JSON line is one object whose
// first member is "event" (its type). Strings carry bytes: bytes 0x80-0xff
// appear as \u0080-\u00ff (one code point per byte, so any path survives
// the trip, UTF-8 or not); BytesFromJson() undoes it. Golden examples of
// each event are in tests/golden/events/.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace syd::events {

inline constexpr int kSchemaVersion = 1;

// A denied (or, with decision cont or --dry-run, continued) access.
struct Violation {
  double ts = 0;  // seconds since the epoch
  pid_t pid = 0, tgid = 0;
  std::string comm, cmdline, cwd;
  std::string syscall;
  std::string category;  // read, write, exec, stat, net/bind, net/connect, rule
  std::string path;      // or the address when is_addr
  bool is_addr = false;
  std::string action;    // deny, kill, killall, cont
  std::string errno_name;  // given to the caller: "EPERM"; empty: none (cont, kill)
  std::string rule;        // file:line, -m:N, default:CATEGORY
  // --dry-run: the decision that would have been made, and the magic
  // command that would allow the access (empty when none can).
  std::string would;
  std::string allow;
};

// One call logged by a `log` rule or a rule's `log=` option.
struct SyscallLog {
  pid_t pid = 0, tgid = 0;
  std::string comm;
  std::string syscall;  // "?" when the number has no name
  int nr = 0;
  std::array<uint64_t, 6> args{};
  std::vector<std::string> paths;  // resolved: "path", then "path2"
  std::optional<std::string> addr;
  std::string rule;
};

// --dry-run, at exit: what would have been denied, by category.
struct DryRunSummary {
  struct Category {
    std::string name;
    uint64_t count = 0;
    std::vector<std::string> first;  // the first few distinct paths or addresses
  };
  std::vector<Category> categories;  // in name order
  uint64_t total() const;
};

// --stats, at exit.
struct Stats {
  uint64_t notifications = 0, continued = 0, emulated = 0, errors = 0, denied = 0;
  uint64_t p50_us = 0, p99_us = 0;
  unsigned workers = 0;
};

// One JSON line each (with its newline).
std::string Json(const Violation& e);
std::string Json(const SyscallLog& e);
std::string Json(const DryRunSummary& e);
std::string Json(const Stats& e);

// The same for people: "sydbox: ..." lines (with their newlines).
std::string Human(const Violation& e);
std::string Human(const DryRunSummary& e);
std::string Human(const Stats& e);

// The bytes a string member of an event carried (see the schema above).
std::string BytesFromJson(const std::string& utf8);

}  // namespace syd::events
