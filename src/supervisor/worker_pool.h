// The threads that answer notifications.
//
// The kernel wakes every thread blocked in SECCOMP_IOCTL_NOTIF_RECV for
// each notification (the listener's wait queue is not exclusive), so N
// threads in RECV cost N-1 useless wake-ups per call: measured +1.5 µs per
// extra thread on a notified stat. Here exactly one worker, the receiver,
// waits in RECV. It keeps that role while it answers a call, and hands it
// to an idle worker (waking one, starting one if none is idle) only when
// that matters, as the handler says:
//   - HandOffIfQueued(): the call needs real work (a path to resolve, rules
//     to evaluate) and more notifications are already queued: answer them
//     in parallel. Calls answered at once (a stat that cannot be magic)
//     skip even the poll(2) this costs;
//   - HandOff(): the handler is about to do something that may take long
//     or block (ADDFD, a report, a device's open, ...).
// A worker that handed off goes back to RECV as a second receiver when it
// is done (at most two), so a run of such calls needs no wake-up of an
// idle worker (a cross-CPU IPI); the first call answered at once by one of
// two receivers sends that one back to waiting, so a run of plain calls
// pays no double wake-up. Measured in bench/RESULTS.md.
// A tight loop of calls from one process is thus answered by one thread
// that never sleeps anywhere but in RECV.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

#include "kernel/seccomp.h"

namespace syd::supervisor {

class WorkerPool {
 public:
  using Handler = std::function<void(const seccomp_notif&)>;

  // `init` runs first on every worker thread; `max_workers` bounds the
  // threads started on demand.
  WorkerPool(kernel::NotifyFd& nfd, std::function<void()> init, Handler handle, unsigned max_workers);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Starts the receiver and `spares` idle workers.
  void Start(unsigned spares);
  // Stops every worker (interrupting the receiver's RECV with `wake_signal`,
  // which must have a handler without SA_RESTART) and joins them.
  void Stop(int wake_signal);

  // Called on the thread answering a call: if it is the receiver, another
  // worker becomes the receiver now. A no-op anywhere else.
  void HandOff();
  // HandOff() if another notification is queued. Not even asked (a
  // poll(2), 0.3-0.5 µs) while the last kRun notifications all came from
  // the calling thread of this one: it cannot have queued another, and a
  // newcomer waits for this one call at most (its pid ends the run).
  void HandOffIfQueued();
  static constexpr unsigned kRun = 4;

  // Threads started so far (for tests and --stats); threads waiting for
  // the receiver role (for tests).
  unsigned started() const { return started_.load(); }
  unsigned idle() {
    std::lock_guard<std::mutex> lk(m_);
    return idle_;
  }

 private:
  struct Worker {
    std::thread thread;
    std::atomic<bool> done{false};
  };
  void Loop(Worker* self, bool receiver);
  void StartWorkerLocked(bool receiver);

  kernel::NotifyFd& nfd_;
  std::function<void()> init_;
  Handler handle_;
  const unsigned max_workers_;

  std::mutex m_;
  std::condition_variable cv_;
  std::condition_variable done_cv_;  // a worker left its loop (Stop waits)
  bool role_free_ = false;  // the receiver role waits for a taker
  std::atomic<unsigned> receivers_{0};  // threads holding the role (changed under m_)
  unsigned idle_ = 0;       // workers waiting for the role
  std::list<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> stop_{false};
  std::atomic<unsigned> started_{0};
  // The pid of the last notification received and how many in a row came
  // from it (at most kRun); updated by whichever worker receives.
  std::atomic<uint32_t> last_pid_{0};
  std::atomic<unsigned> run_{0};
};

}  // namespace syd::supervisor
