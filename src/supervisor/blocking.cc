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

void SetKick(int sig, int how) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  pthread_sigmask(how, &s, nullptr);
}

}  // namespace

BlockingCalls::BlockingCalls(kernel::NotifyFd& nfd, int kick_signal, std::function<void()> thread_init,
                             unsigned threads)
    : nfd_(nfd), kick_(kick_signal), init_(std::move(thread_init)) {
  for (unsigned i = 0; i < std::max(1u, threads); ++i) {
    try {
      StartThread();
    } catch (const std::system_error&) {
      if (threads_.empty()) throw;  // not one: the caller reports it
      break;
    }
  }
  watcher_ = std::thread([this] { Watch(); });
}

void BlockingCalls::StartThread() {
  sigset_t kick, old;  // blocked in the new thread from its start
  sigemptyset(&kick);
  sigaddset(&kick, kick_);
  pthread_sigmask(SIG_BLOCK, &kick, &old);
  try {
    threads_.emplace_back([this] { Worker(); });
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
  work_cv_.notify_one();
  watch_cv_.notify_one();
}

void BlockingCalls::Worker() {
  SetKick(kick_, SIG_BLOCK);
  if (init_) init_();
  const pid_t self = static_cast<pid_t>(syscall(SYS_gettid));
  std::unique_lock<std::mutex> lk(m_);
  for (;;) {
    ++idle_;
    work_cv_.wait(lk, [this] { return stop_ || !queue_.empty(); });
    --idle_;
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
  lk.unlock();
  if (watcher_.joinable()) {
    if (ended) watcher_.join();
    else watcher_.detach();
  }
  for (auto& th : threads_) {
    if (!th.joinable()) continue;
    if (ended) th.join();
    else th.detach();
  }
  threads_.clear();
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
