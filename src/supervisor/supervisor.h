// Runs a command under a policy: compiles the kernel half, spawns the
// child, serves notifications on worker threads, reaps (as a child
// subreaper) and returns the exit code SPEC §1.1 describes.
#pragma once

#include <string>
#include <vector>

#include "policy/policy.h"
#include "spawn/setup.h"
#include "supervisor/report.h"

namespace syd::supervisor {

// How sydbox uses Landlock (kernel/landlock.h) for the sandbox's domain.
enum class LandlockUse { kOff, kBestEffort, kRequire };

struct Options {
  LogFormat log_format = LogFormat::kJson;
  int log_fd = 2;
  unsigned workers = 0;  // worker threads, all started at once; 0 = max(16, 4 x online CPUs)
  bool lock = false;     // -l: magic locked from the start
  bool stats = false;    // --stats: counters at exit, in the log format
  bool dry_run = false;  // --dry-run: report what would be denied, allow everything, summarise at exit
  LandlockUse landlock = LandlockUse::kBestEffort;
  // How the command starts (-C, -D, -E, -u, --unshare-*, ...); the
  // policy's rlimit/ settings are added to it.
  spawn::ProcessSetup setup;
  std::string dump;     // --dump: fd:N, PATH or tmp (dump.h); "" = none
  std::string version;  // sydbox's, for the dump and the state dump
  std::string ipc_path;  // --ipc: the control socket (control.h); empty = none
  // --background: a descriptor that gets one byte once the command is
  // released (the process setup succeeded), and is closed; -1 = none.
  int started_fd = -1;
  // Tests only (the hidden --test-continue-all): every notification is
  // answered CONTINUE unchecked, so what is still refused is the kernel's
  // doing (the Landlock backstop). Never a sandbox.
  bool test_continue_all = false;
};

// Returns the exit code for sydbox: COMMAND's status, 128+signal, 127/126
// when it cannot be executed, or the killall exit code.
int Run(const policy::Policy& policy, const std::vector<std::string>& argv, const Options& opts);

}  // namespace syd::supervisor
