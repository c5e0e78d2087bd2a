// Process setup: what the command starts with besides the sandbox — its
// namespaces, root, working directory, environment, ids, priorities and
// limits. One parsed structure (ProcessSetup) that sydbox and pandora box
// share; before fork it becomes an ordered list of steps (SetupPlan) with
// every string and number prepared, and the child runs the steps between
// fork and exec with async-signal-safe calls only, reporting the first one
// that fails. The order is the one that is safe: namespaces first, then
// mounts and the root, then the rest, ids and capabilities last.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "util/error.h"

namespace syd::spawn {

struct Ionice {
  int klass = 0;  // IOPRIO_CLASS_*: 1 realtime, 2 best-effort, 3 idle
  int data = 0;   // 0..7 for realtime and best-effort
};

struct Rlimit {
  int resource = 0;
  uint64_t value = 0;  // RLIM_INFINITY for unlimited
  std::string name;    // for messages: rlimit/NAME
};

struct ProcessSetup {
  std::string chroot;                  // -C: a directory to become /
  std::string pivot_new, pivot_old;    // -R NEW:OLD: NEW becomes /, the old root is put at OLD (inside NEW)
  std::string chdir;                   // -D: the working directory (inside the new root)
  std::vector<std::pair<std::string, std::optional<std::string>>> env;  // -E: set, or unset (nullopt)
  std::optional<uid_t> uid;            // -u
  std::optional<gid_t> gid;            // -g
  std::vector<gid_t> add_gids;         // -G
  std::optional<mode_t> umask;         // --umask
  std::optional<int> nice;             // --nice
  std::optional<Ionice> ionice;        // --ionice
  int unshare = 0;                     // CLONE_NEW* of --unshare-*
  std::vector<std::pair<int, int>> close_fds;  // --close-fds A:B ranges (B = -1: to the last)
  std::string stdout_file, stderr_file;        // --stdout, --stderr
  std::string alias;                   // --alias: argv[0]
  std::vector<Rlimit> rlimits;         // rlimit/... from the configuration
  bool allow_daemonize = false;        // --allow-daemonize: no parent-death signal

  bool changes_ids() const { return uid || gid || !add_gids.empty(); }
};

// Parsers for the command-line values (pure). Names of users and groups
// are looked up by the caller (the CLI), not here.
Result<std::pair<std::string, std::optional<std::string>>> ParseEnv(const std::string& spec);  // VAR[=VAL]
Result<Ionice> ParseIonice(const std::string& spec);                   // CLASS[:DATA]
Result<mode_t> ParseUmask(const std::string& spec);                    // octal, at most 0777
Result<std::pair<int, int>> ParseFdRange(const std::string& spec);     // A:B, A: or A
Result<int> UnshareFlag(const std::string& what);                      // user, mount, pid, net, ...
Result<std::pair<std::string, std::string>> ParsePivotRoot(const std::string& spec);  // NEW:OLD

// One step of the child's setup. `what` names it for the user
// ("--chdir /srv", "--unshare-user (uid map)").
struct SetupStep {
  enum Kind : uint8_t {
    kUnshareUser, kWriteFile, kUnshare, kLoopbackUp, kChroot, kChdir, kUmask, kNice, kIonice, kRlimit,
    kOpenStdout, kOpenStderr, kCloseFds, kDropBoundingSet, kSetGroups, kSetGid, kSetUid, kDropCapabilities,
    kPivotRoot, kMountProc,
  };
  Kind kind;
  std::string what;
  std::string path;       // a file or directory
  std::string data;       // what kWriteFile writes
  uint64_t a = 0, b = 0;  // numbers: flags, ids, limits, a descriptor range
  std::vector<gid_t> groups;
};

struct SetupPlan {
  std::vector<SetupStep> steps;
  // The command's environment when -E changed it (else it inherits
  // sydbox's), prepared before fork: "VAR=VAL" strings and the pointers.
  bool own_env = false;
  std::vector<std::string> env_strings;
  std::vector<char*> envp;
  // argv[0] of the command when --alias gave one; the program is still
  // looked up by its own name.
  std::string alias;
  // --unshare-pid: the namespaces the child is created in (clone(2)
  // flags: CLONE_NEWPID, and CLONE_NEWUSER with --unshare-user, which
  // then is no step of its own), so that the command is pid 1 of the new
  // pid namespace; `clone_what` names them for a failure.
  int clone_flags = 0;
  std::string clone_what;
  // The command keeps the parent-death signal (SIGKILL when sydbox dies)
  // unless --allow-daemonize.
  bool death_signal = true;
};

// The ordered steps for `setup`, given sydbox's own ids (outside).
Result<SetupPlan> PlanSetup(const ProcessSetup& setup, uid_t outer_uid, gid_t outer_gid);

// In the child, after fork: runs the steps in order. Descriptors in `keep`
// survive --close-fds (the child's channels to sydbox). Returns -1 when
// every step succeeded, else the index of the failed step with its errno
// in *err.
int RunSetup(const SetupPlan& plan, const int* keep, int nkeep, int* err);

}  // namespace syd::spawn
