// A thread is attached only for the span of one exec: from the worker's
// Arm (its exec notification, before CONTINUE) to the first ptrace stop
// that follows:
//  - PTRACE_EVENT_EXEC: the exec succeeded; the file executed is decided,
//    the process let go or killed (SIGKILL: it never runs);
//  - a signal-delivery-stop or a group-stop: the exec failed (or was
//    interrupted and will be restarted, which notifies again) and the
//    thread is on its way back to user space: let go, with the signal;
//  - its exit.
// While a thread waits in its notification it cannot stop anywhere, so a
// stop seen here always follows the exec that was armed. Nothing else is
// traced: no syscall stops, no fork/clone events, so a sandbox that never
// execs pays nothing, and one that execs pays one attach and one stop per
// exec.
#include "supervisor/exec_trace.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor/handlers.h"
#include "util/strings.h"

namespace syd::supervisor {
namespace {

// Whether `tid` is traced by this process (its TracerPid line).
bool TracedByUs(pid_t tid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/status", tid);
  UniqueFd fd(open(path, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  char buf[4096];
  ssize_t n = read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return false;
  buf[n] = 0;
  const char* t = strstr(buf, "\nTracerPid:");
  return t && strtol(t + 11, nullptr, 10) == getpid();
}

}  // namespace

ExecTracer::ExecTracer(HandlerEnv& env, int wake_signal)
    : env_(env), tracer_tid_(static_cast<pid_t>(syscall(SYS_gettid))), wake_signal_(wake_signal) {}

void ExecTracer::Enqueue(Request* r) {
  // One wake-up per batch: the tracer drains the whole queue each time.
  const bool first = queue_.empty();
  queue_.push_back(r);
  if (first) syscall(SYS_tgkill, getpid(), tracer_tid_, wake_signal_);
}

int ExecTracer::Arm(pid_t tid, const ExecArm& arm) {
  std::unique_lock<std::mutex> lock(mu_);
  if (closed_) return ESRCH;
  Request r{tid, arm, true};
  Enqueue(&r);
  done_.wait(lock, [&r] { return r.done; });
  return r.result;
}

void ExecTracer::Disarm(pid_t tid) {
  std::unique_lock<std::mutex> lock(mu_);
  if (closed_) return;
  Request r{tid, ExecArm{}, false};
  Enqueue(&r);
  done_.wait(lock, [&r] { return r.done; });
}

void ExecTracer::Serve() {
  std::lock_guard<std::mutex> lock(mu_);
  while (!queue_.empty()) {
    Request* r = queue_.front();
    queue_.pop_front();
    if (r->arm_it) {
      if (ptrace(PTRACE_SEIZE, r->tid, nullptr,
                 reinterpret_cast<void*>(static_cast<uintptr_t>(PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL))) == 0) {
        armed_[r->tid] = r->arm;
      } else if (errno == EPERM && (armed_.count(r->tid) || releasing_.count(r->tid)) && TracedByUs(r->tid)) {
        // Still attached since an exec of its failed (no stop since): only
        // what is expected changes. Asked of /proc rather than believed
        // from the table, so that a stale entry never passes for an
        // attachment.
        releasing_.erase(r->tid);
        armed_[r->tid] = r->arm;
      } else {
        r->result = errno;
      }
    } else if (armed_.erase(r->tid)) {
      // Stopped by the interrupt, then let go (OnStatus).
      releasing_.insert(r->tid);
      ptrace(PTRACE_INTERRUPT, r->tid, nullptr, nullptr);
    }
    r->done = true;
  }
  done_.notify_all();
}

void ExecTracer::Detach(pid_t pid, int sig) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    armed_.erase(pid);
  }
  releasing_.erase(pid);
  ptrace(PTRACE_DETACH, pid, nullptr, reinterpret_cast<void*>(static_cast<uintptr_t>(sig)));
}

void ExecTracer::OnExecEvent(pid_t pid) {
  // After an exec by another thread than the leader, the thread has taken
  // the leader's pid; the message is the tid it had.
  unsigned long former = static_cast<unsigned long>(pid);
  ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &former);
  ExecArm arm;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = armed_.find(static_cast<pid_t>(former));
    if (it != armed_.end()) arm = it->second;
    // The old leader, if it was attached, is gone without an exit report.
    armed_.erase(static_cast<pid_t>(former));
    armed_.erase(pid);
  }
  // Even an exec nobody armed (the thread was being let go) is decided:
  // with nothing known from before the exec, on the file alone.
  releasing_.erase(static_cast<pid_t>(former));
  releasing_.erase(pid);
  if (CheckExecuted(env_, pid, arm)) {
    Detach(pid, 0);
  } else {
    // Stopped before its first instruction, and SIGKILL ends it there.
    // The pid cannot name another process: a tracee is not reaped while
    // it is attached.
    kill(pid, SIGKILL);
  }
}

bool ExecTracer::OnStatus(pid_t pid, int status) {
  if (!WIFSTOPPED(status)) {
    // An exit: nothing to let go any more.
    std::lock_guard<std::mutex> lock(mu_);
    armed_.erase(pid);
    releasing_.erase(pid);
    return false;
  }
  const int event = status >> 16;
  if (event == PTRACE_EVENT_EXEC) {
    OnExecEvent(pid);
    return true;
  }
  // Any other stop ends the attachment: a signal-delivery-stop delivers its
  // signal on the way out; a group-stop (PTRACE_EVENT_STOP, also what
  // PTRACE_INTERRUPT gives) stays a group-stop after the detach.
  const int sig = event == 0 ? WSTOPSIG(status) : 0;
  Detach(pid, sig);
  return true;
}

void ExecTracer::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  for (Request* r : queue_) {
    r->result = ESRCH;
    r->done = true;
  }
  queue_.clear();
  done_.notify_all();
}

}  // namespace syd::supervisor
