// The check after an exec and before the new image runs (docs/SECURITY.md,
// "exec"). An exec cannot be performed for the caller, and the kernel reads
// the path (and the descriptor table, the symlinks on the way) again after
// the notification is answered. So the thread about to exec is attached
// with PTRACE_SEIZE and PTRACE_O_TRACEEXEC only — no syscall stops, no
// other events — before its exec notification is answered; at
// PTRACE_EVENT_EXEC the new image is loaded but has not run one
// instruction, and the file actually executed (/proc/PID/exe) is decided.
// The thread is then let go (PTRACE_DETACH) or killed.
//
// Threads: ptrace requests must come from the thread that attached, and
// the ptrace stops are reported to waitpid(), which the supervisor's main
// thread already calls to reap: so the main thread is the tracer. Workers
// ask it to attach (Arm) and wait for the answer; it serves them when
// woken by `wake_signal`, and hands every waitpid() status to OnStatus().
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

namespace syd::supervisor {

struct HandlerEnv;

// What the check before the exec found, for the check after it.
struct ExecArm {
  // The exec category was decided before the exec (allowed, or a sys/
  // rule allowed the call) for the file found at the checked path, whose
  // identity follows: if that file is the one executed, the decision
  // stands.
  bool decided = false;
  bool have_id = false;
  dev_t dev = 0;
  ino_t ino = 0;
  int nr = 0;  // execve or execveat, for reports
};

class ExecTracer {
 public:
  // Constructed on the tracer thread (the one that will call Serve and
  // OnStatus); `wake_signal` must be blocked there and waited for.
  ExecTracer(HandlerEnv& env, int wake_signal);
  ExecTracer(const ExecTracer&) = delete;
  ExecTracer& operator=(const ExecTracer&) = delete;

  // Any thread: the thread `tid`, waiting in its exec notification, is
  // attached (or, after an exec of its that failed, still is) and will be
  // checked at its next exec. Returns 0, or the errno of PTRACE_SEIZE
  // (the exec must then be refused: it could not be checked).
  int Arm(pid_t tid, const ExecArm& arm);
  // Any thread: `tid` was attached for a notification that is no longer
  // valid (the caller died; its tid may name another task): let it go.
  void Disarm(pid_t tid);

  // Tracer thread: serves pending Arm/Disarm requests.
  void Serve();
  // Tracer thread: one status from waitpid(-1, __WALL). Returns true when
  // it was a ptrace stop, handled here; false for an exit, which the
  // caller goes on to handle as a reaped process.
  bool OnStatus(pid_t pid, int status);

  // Tracer thread, when it stops serving: requests from now on fail
  // (ESRCH), and so do those still queued.
  void Close();


 private:
  struct Request {
    pid_t tid;
    ExecArm arm;
    bool arm_it;  // Arm, else Disarm
    int result = 0;
    bool done = false;
  };
  void Enqueue(Request* r);
  void OnExecEvent(pid_t pid);
  // Lets `pid` go, delivering `sig` (0 = none); erases it first, so that a
  // worker never finds a thread here that is no longer attached.
  void Detach(pid_t pid, int sig);

  HandlerEnv& env_;
  const pid_t tracer_tid_;
  const int wake_signal_;
  std::mutex mu_;
  std::condition_variable done_;
  std::deque<Request*> queue_;                  // mu_
  bool closed_ = false;                         // mu_
  std::unordered_map<pid_t, ExecArm> armed_;    // attached threads, mu_
  std::unordered_set<pid_t> releasing_;  // interrupted to be let go (tracer thread only)
};

// The decision on the file actually executed by `pid`, stopped at
// PTRACE_EVENT_EXEC (exec.cc): true lets it run; false means it must not
// (it was reported; the tracer kills it).
bool CheckExecuted(HandlerEnv& env, pid_t pid, const ExecArm& arm);

}  // namespace syd::supervisor
