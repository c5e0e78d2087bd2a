// The pool threads keep the kick signal blocked except while a task
// runs, and kicks are sent only under the lock while the ticket is active:
// a kick that arrives after its call ended stays pending until the thread
// unblocks the signal for its next task, where the (empty) handler runs at
// once — before that task's first blocking call — so it never interrupts
// a call it was not meant for. A kick that arrives just before the call
// blocks is lost; the watcher repeats it every tick until the task ends.
#include "supervisor/blocking.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <system_error>

#include "kernel/proc.h"

namespace syd::supervisor {
namespace {

constexpr auto kTick = std::chrono::milliseconds(10);
// A thread started on demand leaves after idling this long.
constexpr auto kIdleLeave = std::chrono::seconds(5);
// Threads dropped in a row for a marked tid before growth gives up until
// the next call (pids are handed out in order: the next try gets another).
constexpr unsigned kMaxMisses = 64;

void SetKick(int sig, int how) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  pthread_sigmask(how, &s, nullptr);
}

}  // namespace

BlockingCalls::BlockingCalls(kernel::NotifyFd& nfd, int kick_signal, std::function<void()> thread_init,
                             unsigned threads, unsigned max_threads, std::function<bool(pid_t)> tid_marked)
    : nfd_(nfd), kick_(kick_signal), init_(std::move(thread_init)), tid_marked_(std::move(tid_marked)) {
  std::lock_guard<std::mutex> lk(m_);
  for (unsigned i = 0; i < std::max(1u, threads); ++i) {
    try {
      StartThread(false);
    } catch (const std::system_error&) {
      if (threads_.empty()) throw;  // not one: the caller reports it
      break;
    }
  }
  base_ = static_cast<unsigned>(threads_.size());
  max_ = std::max(base_, max_threads);
  watcher_ = std::thread([this] { Watch(); });
}

size_t BlockingCalls::threads() {
  std::lock_guard<std::mutex> lk(m_);
  return threads_.size() - left_.size();
}

void BlockingCalls::GrowLocked() {
  ReapLocked();
  if (stop_ || queue_.size() <= idle_ + starting_ || threads_.size() - left_.size() >= max_) return;
  try {
    StartThread(true);
  } catch (const std::system_error&) {
    // The system refused (a thread limit): the call waits for a thread.
  }
}

void BlockingCalls::ReapLocked() {
  for (std::thread::id id : left_) {
    for (auto it = threads_.begin(); it != threads_.end(); ++it) {
      if (it->get_id() != id) continue;
      it->join();  // it has returned, or is just returning
      threads_.erase(it);
      break;
    }
  }
  left_.clear();
}

void BlockingCalls::StartThread(bool extra) {
  sigset_t kick, old;  // blocked in the new thread from its start
  sigemptyset(&kick);
  sigaddset(&kick, kick_);
  pthread_sigmask(SIG_BLOCK, &kick, &old);
  try {
    threads_.emplace_back([this, extra] { Worker(extra); });
    ++starting_;
  } catch (...) {
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    throw;
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

BlockingCalls::~BlockingCalls() { (void)Stop(std::chrono::milliseconds(0)); }

bool BlockingCalls::SignalPending(pid_t tgid, pid_t tid) {
  auto s = kernel::ReadSignals(tgid, tid);
  if (!s) return false;
  // SIGKILL ends the caller (its notification turns invalid); stop and
  // continue signals are acted on by the kernel but pending all the same.
  return ((s->pending | s->shared) & ~s->blocked & ~s->ignored) != 0;
}

void BlockingCalls::Run(uint64_t id, pid_t tgid, pid_t tid, Task task) {
  auto t = std::make_shared<Ticket>();
  t->id = id;
  t->tgid = tgid;
  t->tid = tid;
  std::lock_guard<std::mutex> lk(m_);
  queue_.push_back(Job{std::move(t), std::move(task)});
  GrowLocked();
  work_cv_.notify_one();
  watch_cv_.notify_one();
}

void BlockingCalls::Worker(bool extra) {
  SetKick(kick_, SIG_BLOCK);
  const pid_t self = static_cast<pid_t>(syscall(SYS_gettid));
  std::unique_lock<std::mutex> lk(m_);
  --starting_;
  if (extra && tid_marked_ && tid_marked_(self)) {
    // A checked call named this pid (pid_marks.h): leave before doing
    // anything, and let another thread (another pid) take the call.
    if (++misses_ < kMaxMisses) GrowLocked();  // (before this one is listed to be joined)
    left_.push_back(std::this_thread::get_id());
    return;
  }
  misses_ = 0;
  lk.unlock();
  if (init_) init_();
  lk.lock();
  for (;;) {
    ++idle_;
    const auto ready = [this] { return stop_ || !queue_.empty(); };
    bool woke = true;
    if (extra) woke = work_cv_.wait_for(lk, kIdleLeave, ready);
    else work_cv_.wait(lk, ready);
    --idle_;
    if (!woke) {  // idle for long: a thread started on demand leaves
      left_.push_back(std::this_thread::get_id());
      return;
    }
    if (queue_.empty()) return;  // stopping
    Job job = std::move(queue_.front());
    queue_.pop_front();
    Ticket& t = *job.ticket;
    t.thread = self;
    t.active = true;
    if (stop_) t.why = Cancel::kGone;
    running_.push_back(job.ticket);
    watch_cv_.notify_one();  // the watcher sleeps while nothing runs
    lk.unlock();
    SetKick(kick_, SIG_UNBLOCK);
    job.task(*this, t);
    Finish(t);
    lk.lock();
    running_.remove(job.ticket);
    done_cv_.notify_all();
  }
}

void BlockingCalls::Finish(Ticket& t) {
  {
    std::lock_guard<std::mutex> lk(m_);
    t.active = false;
  }
  SetKick(kick_, SIG_BLOCK);
}

void BlockingCalls::Rearm(Ticket& t) {
  SetKick(kick_, SIG_UNBLOCK);
  std::lock_guard<std::mutex> lk(m_);
  t.why = Cancel::kNone;
  t.active = true;
  if (stop_) t.why = Cancel::kGone;
}

void BlockingCalls::KickLocked(Ticket& t) {
  if (t.active && t.thread > 0) syscall(SYS_tgkill, getpid(), t.thread, kick_);
}

bool BlockingCalls::CancelCall(uint64_t id, Cancel why) {
  std::lock_guard<std::mutex> lk(m_);
  for (auto& t : running_) {
    if (t->id != id) continue;
    t->why = why;
    KickLocked(*t);
    return true;
  }
  return false;
}

void BlockingCalls::Watch() {
  std::unique_lock<std::mutex> lk(m_);
  while (!stop_ || !running_.empty()) {
    if (running_.empty() && queue_.empty()) {
      watch_cv_.wait(lk);
      continue;
    }
    std::vector<std::shared_ptr<Ticket>> look(running_.begin(), running_.end());
    for (const Job& j : queue_) look.push_back(j.ticket);
    lk.unlock();
    for (auto& t : look) {
      if (t->why.load() != Cancel::kNone) continue;
      if (!nfd_.StillValid(t->id)) t->why = Cancel::kGone;
      else if (SignalPending(t->tgid, t->tid)) t->why = Cancel::kSignal;
    }
    lk.lock();
    // Kick every cancelled call that is still running, again each tick.
    for (auto& t : running_)
      if (t->why.load() != Cancel::kNone) KickLocked(*t);
    // A cancelled call still waiting for a thread has not started: a gone
    // caller needs no answer, one with a signal pending is told to restart
    // (the kernel delivers the signal, then restarts or fails with EINTR).
    std::vector<uint64_t> restart;
    for (auto it = queue_.begin(); it != queue_.end();) {
      const Cancel why = it->ticket->why.load();
      if (why == Cancel::kNone) {
        ++it;
        continue;
      }
      if (why == Cancel::kSignal) restart.push_back(it->ticket->id);
      it = queue_.erase(it);
    }
    if (!restart.empty()) {
      lk.unlock();
      for (uint64_t id : restart) {
        seccomp_notif_resp resp{};
        resp.id = id;
        resp.error = -kErestartsys;
        (void)nfd_.Respond(resp);  // the caller may be gone meanwhile
      }
      lk.lock();
    }
    watch_cv_.wait_for(lk, kTick);
  }
}

bool BlockingCalls::Stop(std::chrono::milliseconds grace) {
  std::unique_lock<std::mutex> lk(m_);
  stop_ = true;
  for (auto& t : running_) {
    t->why = Cancel::kGone;
    KickLocked(*t);
  }
  queue_.clear();
  work_cv_.notify_all();
  watch_cv_.notify_all();
  const bool ended = done_cv_.wait_for(lk, grace, [this] { return running_.empty(); });
  // No thread starts once stop_ is set (GrowLocked): the list is final.
  std::list<std::thread> threads = std::move(threads_);
  threads_.clear();
  left_.clear();
  lk.unlock();
  if (watcher_.joinable()) {
    if (ended) watcher_.join();
    else watcher_.detach();
  }
  for (auto& th : threads) {
    if (!th.joinable()) continue;
    if (ended) th.join();
    else th.detach();
  }
  return ended;
}

size_t BlockingCalls::Active() {
  std::lock_guard<std::mutex> lk(m_);
  return running_.size() + queue_.size();
}

size_t BlockingCalls::Queued() {
  std::lock_guard<std::mutex> lk(m_);
  return queue_.size();
}

}  // namespace syd::supervisor
