// One notification in, one answer out. Handlers resolve paths, ask the
// Decider, and answer: CONTINUE, an errno, or the call performed by the
// supervisor (open via ADDFD). They talk to the kernel only through
// NotifyFd and the kernel/ helpers.
#pragma once

#include <linux/seccomp.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <atomic>
#include <functional>
#include <string>

#include "events/events.h"
#include "kernel/seccomp.h"
#include "supervisor/caller.h"
#include "supervisor/process_table.h"
#include "supervisor/report.h"
#include "supervisor/shared_policy.h"

namespace syd::supervisor {

class ExecTracer;
class BlockingCalls;
class PidMarks;
class LoadedModule;
class Dump;

// Counters for --stats. Relaxed atomics and a fixed histogram: nothing on
// the hot path allocates or locks.
struct Stats {
  static constexpr int kBuckets = 2048;  // 1 µs each; the last one is "or more"
  std::atomic<uint64_t> received{0}, continued{0}, emulated{0}, errors{0}, denied{0};
  std::atomic<uint64_t> latency_us[kBuckets] = {};
  std::atomic<unsigned> workers{0};  // worker threads started
  void Record(uint64_t us) {
    latency_us[us < kBuckets ? us : kBuckets - 1].fetch_add(1, std::memory_order_relaxed);
  }
  // The smallest latency (µs) at or below which `fraction` of calls were answered.
  uint64_t Percentile(double fraction) const;
  events::Stats Snapshot() const;
};

struct HandlerEnv {
  kernel::NotifyFd* nfd = nullptr;
  SharedPolicy* policy = nullptr;
  ProcessTable* procs = nullptr;
  Reporter* reporter = nullptr;
  std::function<void()> kill_all;  // core/violation/decision:killall
  bool dry_run = false;            // --dry-run: report what would be denied, allow it
  struct stat null_stat{};        // what a successful magic stat returns
  SelfIdentity self;  // the supervisor's own identity (caller.h)
  // Calls that may block run on this pool (blocking.h); Run() stops it
  // before this environment goes away.
  BlockingCalls* blocking = nullptr;
  // Pids of processes that checked calls let the kernel act on (pid_marks.h).
  PidMarks* named_pids = nullptr;
  // The module stat-like calls go to first (magic_stat, built in): null
  // when a rule loads it instead, where the user placed it.
  const LoadedModule* stat_module = nullptr;
  // The sandbox is in a Landlock domain, which refuses it every
  // ptrace-checked access to processes outside (docs/SECURITY.md).
  bool ptrace_scoped = false;
  // The kernel program sends up every call that changes a process's ids,
  // umask or root (bpf::KernelPolicy::identity_changes_seen): what the
  // process table caches is current even for a call no category checks.
  bool identity_changes_seen = false;
  // The check after an exec (exec_trace.h); null where there is none (an
  // exec is then decided on the path named only).
  ExecTracer* exec_tracer = nullptr;
  // Called before work that may take long or block: if this thread is the
  // one receiving notifications, another worker takes over (worker_pool.h).
  std::function<void()> hand_off;
  // Called where a call needs real work: the same, if other calls wait.
  std::function<void()> hand_off_if_queued;
  Dump* dump = nullptr;  // --dump: Respond() records every answer (dump.h)
  Stats stats;
  // Runtime configuration locked for every process (core/trace/magic_lock:on
  // through the control socket, control.h): magic stat answers as locked.
  std::atomic<bool> runtime_locked{false};
};

// Answers one notification. Never throws; every path ends in a response
// (or in the tracee being gone).
void HandleNotification(const seccomp_notif& req, HandlerEnv& env);

}  // namespace syd::supervisor
