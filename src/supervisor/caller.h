// Acting as the caller: a worker thread takes the caller's identity for
// the file system — fsuid/fsgid, supplementary groups, effective
// capabilities — and its umask, for the length of one operation, so that
// the kernel checks the operation exactly as it would have checked the
// caller's own call. All of these are per thread in the kernel: the raw
// system calls change only the calling thread (glibc's setgroups() would
// broadcast to every thread; it is not used), and a worker has its own
// umask (it unshared CLONE_FS).
#pragma once

#include <linux/capability.h>
#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "kernel/proc.h"

namespace syd::supervisor {

// The supervisor's own identity, read once at start.
struct SelfIdentity {
  bool root = false;  // euid 0: can take any identity
  uid_t fsuid = 0;
  gid_t fsgid = 0;
  std::vector<gid_t> groups;
  uint64_t cap_eff = 0;
};
SelfIdentity ReadSelfIdentity();

// What of the caller's identity an operation needs.
struct Act {
  bool umask = false;     // its umask (calls that create files)
  bool full_ids = false;  // its real and effective ids, not just the file
                          // system ones: calls on other processes, and
                          // sockets (a peer sees the connecting thread's)
  // Capabilities added to the caller's, where the supervisor has them: for
  // what the kernel would allow the caller itself but checks against the
  // supervisor (SCM_CREDENTIALS naming the caller's own pid).
  uint64_t add_caps = 0;
};

// Walking a path as the caller (resolution, when the supervisor is root):
// a directory the caller cannot search stops the walk with EACCES as the
// kernel would, so nothing behind it is told apart. One capability is kept
// where the supervisor has it: CAP_SYS_PTRACE, which grants no file access
// but lets it read the caller's /proc entries (fd links, cwd, memory) as
// the caller itself always may, even one that made itself undumpable.
inline constexpr Act kWalkAsCaller{.add_caps = 1ULL << CAP_SYS_PTRACE};

// Takes the caller's identity on this thread; gives it back when
// destroyed — all but the umask, which stays the caller's until another
// creating call sets its own (ResetThreadUmask() for code that wants 0). An unprivileged supervisor cannot (and need not) change ids,
// groups or capabilities: its sandboxed processes have its uid and cannot
// gain privileges (no_new_privs); it applies the umask only.
class AsCaller {
 public:
  AsCaller(const SelfIdentity& self, const kernel::Creds& caller, Act act);
  ~AsCaller();
  AsCaller(const AsCaller&) = delete;
  AsCaller& operator=(const AsCaller&) = delete;

 private:
  const SelfIdentity& self_;
  bool ids_ = false, full_ = false, groups_ = false, caps_ = false;
};

// Sets this thread's umask to 0, as a worker starts: before code that
// creates files and is not a caller's call (a module's hook).
void ResetThreadUmask();

// Runs fn() as the caller.
template <class Fn>
auto WithCaller(const SelfIdentity& self, const kernel::Creds& caller, Act act, Fn fn) {
  AsCaller as(self, caller, act);
  return fn();
}

}  // namespace syd::supervisor
