#include "supervisor/worker_pool.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <chrono>

namespace syd::supervisor {
namespace {

// The pool whose receiver role this thread holds, if any.
thread_local WorkerPool* tl_receiver_of = nullptr;
// This thread handed its role over while answering the current call.
thread_local bool tl_handed_off = false;

}  // namespace

WorkerPool::WorkerPool(kernel::NotifyFd& nfd, std::function<void()> init, Handler handle, unsigned max_workers)
    : nfd_(nfd), init_(std::move(init)), handle_(std::move(handle)), max_workers_(max_workers < 2 ? 2 : max_workers) {}

WorkerPool::~WorkerPool() {
  // Stop() joins; a pool destroyed without it must not leave threads
  // running on freed state.
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.detach();
}

void WorkerPool::StartWorkerLocked(bool receiver) {
  auto w = std::make_unique<Worker>();
  Worker* raw = w.get();
  workers_.push_back(std::move(w));
  started_.fetch_add(1);
  raw->thread = std::thread([this, raw, receiver] { Loop(raw, receiver); });
}

void WorkerPool::Start(unsigned spares) {
  std::lock_guard<std::mutex> lk(m_);
  receivers_.store(1);
  StartWorkerLocked(true);
  for (unsigned i = 0; i < spares && started_.load() < max_workers_; ++i) StartWorkerLocked(false);
}

void WorkerPool::Loop(Worker* self, bool receiver) {
  if (init_) init_();
  if (receiver) tl_receiver_of = this;
  while (!stop_.load()) {
    if (tl_receiver_of != this) {
      std::unique_lock<std::mutex> lk(m_);
      ++idle_;
      cv_.wait(lk, [this] { return role_free_ || stop_.load(); });
      --idle_;
      if (stop_.load()) break;
      role_free_ = false;
      receivers_.fetch_add(1);
      tl_receiver_of = this;
    }
    auto req = nfd_.Receive();
    if (!req) {
      // EINTR (stop), ENOENT (the caller died first), or every process
      // that had the filter is gone: then RECV fails at once, forever, and
      // receiving again would spin (under SCHED_FIFO, starving the thread
      // that is to call Stop). Wait for Stop instead.
      if (req.error().sys_errno != EINTR && nfd_.HungUp()) {
        std::unique_lock<std::mutex> lk(m_);
        receivers_.fetch_sub(1);
        tl_receiver_of = nullptr;
        cv_.wait(lk, [this] { return stop_.load(); });
        break;
      }
      continue;
    }
    tl_handed_off = false;
    if (last_pid_.load(std::memory_order_relaxed) == req->pid) {
      if (run_.load(std::memory_order_relaxed) < kRun) run_.fetch_add(1, std::memory_order_relaxed);
    } else {
      last_pid_.store(req->pid, std::memory_order_relaxed);
      run_.store(0, std::memory_order_relaxed);
    }
    handle_(*req);
    if (tl_receiver_of == this) {
      // Answered at once. A second receiver (see below) costs every
      // notification a useless wake-up: leave receiving to the other one.
      if (receivers_.load() > 1) {
        std::lock_guard<std::mutex> lk(m_);
        if (receivers_.load() > 1) {
          receivers_.fetch_sub(1);
          tl_receiver_of = nullptr;
        }
      }
    } else if (tl_handed_off) {
      // Back from a call that had to hand off (ADDFD, a report, ...). While
      // such calls keep coming, a second thread waiting in RECV spares the
      // next one the wake-up of an idle worker: join the receiver.
      std::lock_guard<std::mutex> lk(m_);
      // (A free role is left to the worker woken for it: both receive.)
      if (!stop_.load() && receivers_.load() < 2) {
        receivers_.fetch_add(1);
        tl_receiver_of = this;
      }
    }
  }
  tl_receiver_of = nullptr;
  {
    std::lock_guard<std::mutex> lk(m_);
    self->done.store(true);
  }
  done_cv_.notify_all();
}

void WorkerPool::HandOff() {
  if (tl_receiver_of != this) return;
  tl_receiver_of = nullptr;
  tl_handed_off = true;
  bool wake = false;
  {
    std::lock_guard<std::mutex> lk(m_);
    if (receivers_.fetch_sub(1) > 1) return;  // another thread is receiving
    role_free_ = true;
    if (idle_ > 0) wake = true;
    else if (!stop_.load() && started_.load() < max_workers_) StartWorkerLocked(false);
    // Otherwise every worker is busy: the first to finish takes the role.
  }
  // Outside the lock, so the woken worker does not wait for it.
  if (wake) cv_.notify_one();
}

void WorkerPool::HandOffIfQueued() {
  if (tl_receiver_of != this || run_.load(std::memory_order_relaxed) >= kRun) return;
  if (nfd_.Pending()) HandOff();
}

void WorkerPool::Stop(int wake_signal) {
  {
    std::lock_guard<std::mutex> lk(m_);
    stop_.store(true);
    cv_.notify_all();
  }
  // No worker starts once stop_ is set (StartWorkerLocked runs under m_
  // after checking it), so the list is final.
  for (auto& w : workers_) {
    // A worker in RECV leaves it on the signal, but may miss one sent
    // between its check of stop_ and the ioctl: the signal is repeated
    // after waits that double, and this thread sleeps in between until the
    // worker says it is done (no polling loop: a handful of wake-ups at
    // most, whatever the scheduling class).
    std::unique_lock<std::mutex> lk(m_);
    auto wait = std::chrono::milliseconds(1);
    while (!w->done.load()) {
      lk.unlock();
      pthread_kill(w->thread.native_handle(), wake_signal);
      lk.lock();
      done_cv_.wait_for(lk, wait, [&w] { return w->done.load(); });
      wait = std::min(2 * wait, std::chrono::milliseconds(1000));
    }
    lk.unlock();
    w->thread.join();
  }
}

}  // namespace syd::supervisor
