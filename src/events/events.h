// What sydbox tells the world, as types: violation reports, the lines of
// `log=` rules, the learning-mode summary, the statistics at exit, the
// dump of every intercepted call (--dump) and the state dump (SIGUSR1,
// SIGUSR2). One writer turns each into a JSON line
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

// --dump (SPEC §6.2), first line: who is dumping what.
struct DumpInit {
  double ts = 0;
  pid_t pid = 0;          // sydbox's
  pid_t eldest = 0;       // COMMAND's process
  std::string sydbox;     // sydbox's version
  std::vector<std::string> argv;  // COMMAND
  bool dry_run = false;
};

// --dump: one intercepted call, as it was answered. Optional members are
// left out when empty (path2 only for two-path calls; addr for network
// calls; errno with answer "error"; ret with answer "value").
struct DumpCall {
  double ts = 0;
  pid_t pid = 0, tgid = 0;
  std::string comm;
  std::string syscall;  // "?" when the number has no name
  int nr = 0;
  std::array<uint64_t, 6> args{};
  std::optional<std::string> path, path2, addr;
  std::string category;  // "" = none (no category was checked)
  // allow, deny, kill, killall, cont, trap, detach, or none (the policy
  // decided nothing: no category on, or the call failed before a check).
  std::string decision;
  std::string would;  // --dry-run: the decision that would have been made
  std::string rule;   // file:line, -m:N, default:CATEGORY, builtin:..; "" = none
  std::string module;  // the module the rule loaded, when it decided; "" = none
  std::string answer;  // continue, error, value, fd, none (the caller was gone)
  std::string errno_name;
  std::optional<int64_t> ret;
};

// --dump, last line: COMMAND's status and how many calls were dumped.
struct DumpExit {
  double ts = 0;
  int code = 0;    // sydbox's exit code (128+N for signal N)
  int signal = 0;  // the signal that ended COMMAND, 0 if it exited
  uint64_t calls = 0;
};

// SIGUSR1: one sandboxed process; a member of the SIGUSR2 state dump.
struct ProcessInfo {
  pid_t pid = 0, tgid = 0, ppid = 0;
  std::string comm, cwd;
  std::string lock;  // on, off, exec (magic commands, SPEC §3.2)
  bool resumed = false;  // released by exec/resume_if_match or detach_*
};

// SIGUSR2: the state dump ("sydcore"), one JSON document.
struct Sydcore {
  double ts = 0;
  pid_t pid = 0, eldest = 0;
  std::string sydbox;
  std::vector<std::string> argv;
  struct ListEntry {
    std::string list;      // allowlist, denylist, filter
    std::string category;  // read, write, exec, stat, network/bind, network/connect
    std::string pattern;
    std::string origin;    // file:line, -m:N
  };
  struct Config {
    std::vector<std::pair<std::string, std::string>> sandbox;  // category -> mode
    std::vector<std::pair<std::string, std::string>> options;  // core/..., in a fixed order
    std::vector<ListEntry> lists;  // in the order they are consulted
    std::vector<std::string> rules;  // sys/ rules, as written, with their origin
  } config;
  std::vector<ProcessInfo> processes;
  Stats counters;
  struct Workers {
    unsigned started = 0, idle = 0, max = 0, blocking_threads = 0;
  } workers;
  std::string dump;  // the --dump target, "" without one
  bool dry_run = false;
  bool locked = false;  // -l
};

// One JSON line each (with its newline).
std::string Json(const DumpInit& e);
std::string Json(const DumpCall& e);
std::string Json(const DumpExit& e);
std::string Json(const ProcessInfo& e);
// The state dump: one JSON document over several lines (indented).
std::string Json(const Sydcore& e);
std::string Human(const ProcessInfo& e);
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
