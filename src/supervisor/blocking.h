// Calls the supervisor performs for a caller that may block: FIFO opens,
// blocking connects and sends. Each runs on a thread of a joinable pool so
// that no worker waits on the sandbox, and each can be cancelled by its
// notification id.
//
// Why a watcher: the caller waits for the answer killably only
// (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV), so a signal sent to it does not
// interrupt it the way it would interrupt its own blocking open. The
// watcher thread looks at every waiting caller a few times a second: when
// its notification is no longer valid (the caller was killed) or a signal
// is pending for it that it neither blocks nor ignores, the call is
// cancelled — the pool thread performing it is interrupted with
// `kick_signal` (a handler without SA_RESTART: the system call returns
// EINTR). The task then answers -ERESTARTSYS, and the kernel, on the
// caller's way back to user space, delivers the signal and restarts the
// call or makes it fail with EINTR exactly as SA_RESTART says.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "kernel/seccomp.h"

namespace syd::supervisor {

// The kernel's "restart unless the handler says otherwise": answered only
// while a signal is pending for the caller's thread, which makes the kernel
// turn it into a restart (SA_RESTART, or no handler runs) or EINTR.
inline constexpr int kErestartsys = 512;

class BlockingCalls {
 public:
  enum class Cancel : uint8_t {
    kNone,
    kSignal,  // a signal is pending for the caller
    kGone,    // the caller is gone (or the supervisor is stopping)
  };
  // One call in progress, shared by the thread performing it and the
  // watcher.
  struct Ticket {
    uint64_t id = 0;
    pid_t tgid = 0, tid = 0;  // the caller
    std::atomic<Cancel> why{Cancel::kNone};
    pid_t thread = 0;   // the pool thread performing it (under the pool's lock)
    bool active = false;  // kicks may be sent (under the pool's lock)
  };
  using Task = std::function<void(BlockingCalls&, Ticket&)>;

  // `kick_signal` must have a handler installed without SA_RESTART;
  // `thread_init` runs first on every pool thread. `threads` pool threads
  // and the watcher start here, before the sandbox runs. When every one
  // is busy (calls that block for as long as the sandbox likes: a FIFO
  // nobody opens), another is started for the next call, up to
  // `max_threads`, so that blocked calls never hold up others; one that
  // then idles for a while leaves again. A started thread whose tid is
  // marked (`tid_marked`, pid_marks.h: a checked call named that pid)
  // leaves at once and another is tried. Where the system refuses a
  // thread, calls wait in a queue, where the watcher still answers those
  // whose caller has a signal pending and drops those whose caller is
  // gone.
  BlockingCalls(kernel::NotifyFd& nfd, int kick_signal, std::function<void()> thread_init, unsigned threads,
                unsigned max_threads = 0, std::function<bool(pid_t)> tid_marked = {});
  // Threads alive now (fewer than asked if the system refused some; at
  // least one at the start, or the constructor throws).
  size_t threads();
  ~BlockingCalls();
  BlockingCalls(const BlockingCalls&) = delete;
  BlockingCalls& operator=(const BlockingCalls&) = delete;

  // Runs task on a pool thread (queued while all are busy). The task performs the call, calls Finish()
  // before it answers the kernel (no interruption after that) and may call
  // Rearm() to go on waiting after a cancellation it found spurious.
  void Run(uint64_t id, pid_t tgid, pid_t tid, Task task);
  // Cancels the call answering notification `id`; false if there is none.
  bool CancelCall(uint64_t id, Cancel why);
  void Finish(Ticket& t);
  void Rearm(Ticket& t);

  // Whether a signal is pending for thread `tid` of `tgid` that would
  // interrupt a blocking system call it made itself (neither blocked by
  // the thread nor ignored).
  static bool SignalPending(pid_t tgid, pid_t tid);

  // Cancels every call (kGone) and joins the pool. Returns false if some
  // call did not end within `grace` (its thread is left behind, detached:
  // the process must then leave without unwinding).
  bool Stop(std::chrono::milliseconds grace);

  size_t Active();  // calls in progress or queued (for tests)
  size_t Queued();  // calls waiting for a thread (for tests)

 private:
  struct Job {
    std::shared_ptr<Ticket> ticket;
    Task task;
  };
  void Worker(bool extra);
  void Watch();
  void KickLocked(Ticket& t);
  void StartThread(bool extra);
  // Starts another thread if queued calls outnumber the threads that
  // will take them (under m_).
  void GrowLocked();
  void ReapLocked();  // joins threads that left (under m_)

  kernel::NotifyFd& nfd_;
  const int kick_;
  std::function<void()> init_;
  std::mutex m_;
  std::condition_variable work_cv_, watch_cv_, done_cv_;
  std::list<Job> queue_;
  std::list<std::shared_ptr<Ticket>> running_;
  std::list<std::thread> threads_;
  std::vector<std::thread::id> left_;  // threads that returned, to be joined
  unsigned idle_ = 0;
  unsigned starting_ = 0;  // started, not yet waiting for work
  unsigned base_ = 0, max_ = 0;
  unsigned misses_ = 0;    // threads dropped in a row for a marked tid
  std::function<bool(pid_t)> tid_marked_;
  std::thread watcher_;
  bool stop_ = false;
};

}  // namespace syd::supervisor
