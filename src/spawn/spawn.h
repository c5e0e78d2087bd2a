// Starting the sandboxed command: fork, install the seccomp filter in the
// child, pass the listener to the parent over a socketpair, wait for the
// parent's go-ahead, exec. Process setup (setup.h: namespaces, root, ids,
// limits) runs in the child before the Landlock domain and the filter.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "kernel/landlock.h"
#include "spawn/landlock_step.h"
#include "spawn/setup.h"
#include "util/error.h"
#include "util/unique_fd.h"

namespace syd::spawn {

struct SpawnRequest {
  std::vector<std::string> argv;      // argv[0] is looked up in PATH
  std::vector<sock_filter> filter;
  sigset_t child_sigmask;             // signal mask the command starts with
  // A Landlock domain for the sandbox (kernel/landlock.h), when the kernel
  // has Landlock; a failure to enter it is a failure to start.
  bool landlock = false;
  kernel::LandlockDomain domain;
  // Without Landlock: drop CAP_SYS_PTRACE from the bounding set, so that
  // root inside cannot reach the (non-dumpable) supervisor.
  bool drop_ptrace_capability = false;
  // A mount namespace of the sandbox's own (receiving mounts from outside)
  // with a procfs that shows only the processes it may ptrace
  // (hidepid=invisible): with the Landlock domain, nothing outside the
  // sandbox has a /proc entry in it. Needs CAP_SYS_ADMIN; when the mount
  // namespace cannot be made, the command runs without it and
  // Child::private_proc() says so.
  bool private_proc = false;
  // core/restrict/memory_map: the kernel's memory-deny-write-execute
  // (PR_SET_MDWE) for the command and everything it starts, set after the
  // process setup; a kernel without it fails the start.
  bool deny_write_execute = false;
  // Process setup (setup.h), run after the private /proc and before the
  // Landlock domain and the filter.
  SetupPlan setup;
  // Landlock rules for read, write, exec paths (landlock_step.h), entered
  // after the domain; a failure of the ruleset calls is a failure to start.
  LandlockPaths landlock_paths;
};

class Child {
 public:
  pid_t pid() const { return pid_; }
  UniqueFd& listener() { return listener_; }
  // Lets the child exec. Returns 0 if exec succeeded, else its errno.
  Result<int> Release();
  // Release() in two halves, for a caller that must keep serving the
  // child while it execs (its exec may wait on the supervisor): Go() lets
  // it exec and returns at once; ExecError() waits until the child has
  // exec'd or died and returns 0, or the errno its exec failed with.
  Status Go();
  int ExecError();
  // Whether the child got its private /proc (SpawnRequest::private_proc).
  bool private_proc() const { return private_proc_; }
  // What the child installed of SpawnRequest::landlock_paths.
  const LandlockOutcome& landlock_outcome() const { return landlock_outcome_; }

 private:
  friend Result<Child> Spawn(const SpawnRequest& req, bool* setup_failed);
  pid_t pid_ = -1;
  UniqueFd listener_;
  UniqueFd control_;    // our end of the socketpair
  UniqueFd exec_err_;   // read end of the O_CLOEXEC error pipe
  bool private_proc_ = false;
  LandlockOutcome landlock_outcome_;
};

// Forks the child; when this returns, the child's filter is installed and
// the listener is ours, and the child waits for Release(). A failure of a
// process-setup step (the user's option) sets *setup_failed (when given);
// other failures are sydbox's.
Result<Child> Spawn(const SpawnRequest& req, bool* setup_failed = nullptr);

}  // namespace syd::spawn
