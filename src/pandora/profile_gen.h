// A profile body from a sydbox dump (SPEC §1.2, §5, §6.2): what a program
// did, as the configuration that allows exactly that. Pure: the dump comes
// in as bytes, the body goes out as text; no system calls here (reading
// the dump, running sydbox and hashing the program are pandora_main's).
//
// The body denies every category (core/sandbox/CATEGORY:deny), locks the
// runtime configuration, and allows each path, address and system call
// the dump shows, one `allowlist/...` line each, sorted, with a comment
// line above saying how often and by which commands (comm) it was used.
// The same dump gives the same body, byte for byte.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace syd::pandora {

struct GenOptions {
  // --limit N: a path of more than N components becomes its first N
  // components and `/***` (0: every path literal), except where that
  // would cover a place that holds secrets (SecretPlaces()).
  int limit = 0;
  // The home directory of the user the profile is for ($HOME), whose
  // secret places are kept literal as well as those under /home/*.
  std::string home;
  // Write allowlist/syscall lines. Only right when the dump holds every
  // system call (pandora profile traces them all, see TracesAllSyscalls).
  enum class Syscalls { kAuto, kYes, kNo } syscalls = Syscalls::kAuto;
  // Paths left out of the stat list: what the standard descriptors of the
  // run pointed to (fstat of stdout is a stat of its path, which differs
  // from run to run; pandora box allows its own).
  std::vector<std::string> ignore_stat;
};

// Places whose contents are secrets: `--limit` never widens a path into
// them or into a directory that holds one; a path in them stays literal.
// Patterns: absolute, `*` stands for one whole component, `~` for a home
// directory (GenOptions::home, /root and /home/*).
const std::vector<std::string>& SecretPlaces();

// A line of the dump that is not what sydbox writes.
struct DumpProblem {
  uint64_t line = 0;
  std::string what;
};

struct GenStats {
  uint64_t lines = 0;       // lines read (blank ones too)
  uint64_t calls = 0;       // `call` lines
  uint64_t paths = 0;       // distinct (category, path) pairs so far
  uint64_t addresses = 0;   // distinct (direction, address) pairs so far
  uint64_t syscalls = 0;    // distinct system call names
  uint64_t problems = 0;    // lines that are not a dump's
  uint64_t skipped = 0;     // paths or addresses that cannot be allowlisted (relative, other families)
  bool saw_init = false, saw_exit = false;
  int exit_code = -1;       // from the exit line
};

struct DumpLine;  // what one line says (profile_gen.cc)

// Hashing for look-ups by std::string_view in maps keyed by std::string.
struct ViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
template <class V>
using ViewMap = std::unordered_map<std::string, V, ViewHash, std::equal_to<>>;

class ProfileBuilder {
 public:
  explicit ProfileBuilder(GenOptions opts = {});

  // Bytes of the dump as they come (a pipe read live): whole lines are
  // taken at once, a partial line waits for its end (or Finish()).
  void Feed(std::string_view bytes);
  // The end of the dump: takes a last line without a newline.
  void Finish();
  // One line, without its newline.
  void AddLine(std::string_view line);

  const GenStats& stats() const { return stats_; }
  // The first few problems (all are counted in stats().problems).
  const std::vector<DumpProblem>& problems() const { return problems_; }
  // COMMAND's argv from the init line.
  const std::vector<std::string>& argv() const { return argv_; }
  // The program the eldest process executed first (the first exec call's
  // path), or "" when the dump has none.
  const std::string& first_exec() const { return first_exec_; }
  // Whether the dump looks like one with every system call in it (calls
  // that only a `sys/trace+/.*` rule sends to sydbox are there).
  bool TracesAllSyscalls() const;

  // The profile body (everything after the §5.1 header).
  std::string Body() const;

  static constexpr size_t kMaxProblems = 100;

 private:
  struct Use {
    uint64_t count = 0;
    std::vector<uint32_t> comms;  // ids into comm_names_, in first-use order
  };
  void Take(const DumpLine& l);
  void Note(ViewMap<Use>& m, std::string_view key, uint32_t comm, uint64_t* distinct);
  uint32_t CommId(std::string_view comm);
  void Problem(std::string what);

  GenOptions opts_;
  GenStats stats_;
  std::vector<DumpProblem> problems_;
  std::string partial_;
  std::vector<std::string> argv_;
  std::string first_exec_;
  std::vector<std::string> comm_names_;
  ViewMap<uint32_t> comm_ids_;
  // read, write, exec, stat
  ViewMap<Use> paths_[4];
  ViewMap<Use> addrs_[2];  // bind, connect
  ViewMap<Use> syscalls_;
  std::unordered_set<int64_t> pids_;  // every pid and tgid of the sandbox
  // Look-ups the line before made: most lines repeat them.
  uint32_t last_comm_id_ = UINT32_MAX;
  int64_t last_pid_ = -1, last_tgid_ = -1;
  std::vector<std::pair<const std::string*, Use*>> by_nr_ = std::vector<std::pair<const std::string*, Use*>>(1024);
};

// For the fuzzer: whether the fast reader takes `line` by itself (it must
// take nothing that is not JSON).
bool FastReaderAccepts(std::string_view line);

// For tests and docs: how the body writes one path (escaped for wildmatch,
// /proc/PID of a sandbox process generalised, trimmed to `limit`).
std::string PathPattern(std::string_view path, int limit, const std::string& home,
                        const std::unordered_set<int64_t>& pids);

}  // namespace syd::pandora
