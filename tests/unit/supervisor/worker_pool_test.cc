// WorkerPool against a notification source made of a pipe: Receive() is a
// blocking read(2) of one 8-byte id (so the stop signal interrupts it as it
// interrupts the real ioctl), Pending() a zero-timeout poll(2).
#include "supervisor/worker_pool.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace syd::supervisor {
namespace {

const int kWake = SIGRTMIN + 3;

class PipeNotifyFd final : public kernel::NotifyFd {
 public:
  PipeNotifyFd() { EXPECT_EQ(pipe(fds_), 0); }
  ~PipeNotifyFd() override {
    close(fds_[0]);
    if (fds_[1] >= 0) close(fds_[1]);
  }
  // As when the last process with the filter is reaped: every Receive()
  // fails at once from now on (read() sees the end of the pipe).
  void HangUp() {
    close(fds_[1]);
    fds_[1] = -1;
  }
  bool HungUp() override {
    pollfd p{fds_[0], POLLIN, 0};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLHUP);
  }
  // A notification `id` from thread `pid` (the pid is id's low 32 bits
  // unless given).
  void Push(uint64_t id, uint32_t pid = 0) {
    const uint64_t v = pid ? (static_cast<uint64_t>(pid) << 32) | id : id;
    ASSERT_EQ(write(fds_[1], &v, sizeof v), static_cast<ssize_t>(sizeof v));
  }

  Result<seccomp_notif> Receive() override {
    ++receives_;
    int now = ++receiving_;
    int seen = max_receiving_.load();
    while (now > seen && !max_receiving_.compare_exchange_weak(seen, now)) {
    }
    uint64_t id = 0;
    ssize_t n = read(fds_[0], &id, sizeof id);
    --receiving_;
    if (n != static_cast<ssize_t>(sizeof id)) return Fail(n < 0 ? errno : EIO, "read");
    seccomp_notif req{};
    req.id = id & 0xffffffffu;
    req.pid = (id >> 32) ? static_cast<uint32_t>(id >> 32) : static_cast<uint32_t>(id);
    return req;
  }
  bool Pending() override {
    ++pendings_;
    pollfd p{fds_[0], POLLIN, 0};
    return poll(&p, 1, 0) == 1;
  }
  bool StillValid(uint64_t) override { return true; }
  Status Respond(const seccomp_notif_resp&) override { return {}; }
  Result<int> AddFdAndSend(uint64_t, int, uint32_t) override { return 0; }

  // The most threads ever inside Receive() at once, and now.
  std::atomic<int> max_receiving_{0};
  std::atomic<int> receiving_{0};
  std::atomic<long> receives_{0};  // calls of Receive()
  std::atomic<long> pendings_{0};  // calls of Pending()

 private:
  int fds_[2];
};

void NoopHandler(int) {}

class WorkerPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    struct sigaction sa{};
    sa.sa_handler = NoopHandler;  // no SA_RESTART: read() returns EINTR
    sigaction(kWake, &sa, nullptr);
  }

  // Waits (up to 10 s) for `pred`; false on timeout.
  template <class Pred>
  bool WaitFor(Pred pred) {
    std::unique_lock<std::mutex> lk(m);
    return cv.wait_for(lk, std::chrono::seconds(10), pred);
  }
  // The same for state nobody signals: polls it every millisecond.
  template <class Pred>
  static bool PollFor(Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }

  PipeNotifyFd nfd;
  std::mutex m;
  std::condition_variable cv;
  std::set<uint64_t> handled;
};

TEST_F(WorkerPoolTest, EveryNotificationIsAnsweredOnceAndOnlyOneWorkerReceives) {
  WorkerPool pool(nfd, nullptr,
                  [&](const seccomp_notif& req) {
                    std::lock_guard<std::mutex> lk(m);
                    EXPECT_TRUE(handled.insert(req.id).second) << req.id;
                    cv.notify_all();
                  },
                  8);
  pool.Start(3);
  for (uint64_t id = 1; id <= 500; ++id) nfd.Push(id);
  EXPECT_TRUE(WaitFor([&] { return handled.size() == 500; }));
  pool.Stop(kWake);
  EXPECT_EQ(nfd.max_receiving_.load(), 1);
}

TEST_F(WorkerPoolTest, AHandlerThatMayBlockLetsTheNextCallThrough) {
  // Call 1 waits until call 2 has been answered: without the hand-off the
  // receiver would wait on itself.
  std::unique_ptr<WorkerPool> pool;
  pool = std::make_unique<WorkerPool>(
      nfd, nullptr,
      [&](const seccomp_notif& req) {
        if (req.id == 1) {
          pool->HandOff();
          EXPECT_TRUE(WaitFor([&] { return handled.count(2) == 1; }));
        }
        std::lock_guard<std::mutex> lk(m);
        handled.insert(req.id);
        cv.notify_all();
      },
      4);
  pool->Start(0);  // no spare: the hand-off starts a worker
  nfd.Push(1);
  nfd.Push(2);
  EXPECT_TRUE(WaitFor([&] { return handled.size() == 2; }));
  pool->Stop(kWake);
  EXPECT_GE(pool->started(), 2u);
}

TEST_F(WorkerPoolTest, QueuedCallsAreAnsweredInParallel) {
  // Both calls are queued before any worker runs; each handler waits for
  // the other to have started, which only a hand-off on Pending() allows.
  std::atomic<int> inside{0};
  std::unique_ptr<WorkerPool> pool;
  pool = std::make_unique<WorkerPool>(nfd, nullptr,
                  [&](const seccomp_notif&) {
                    pool->HandOffIfQueued();
                    ++inside;
                    {
                      std::lock_guard<std::mutex> lk(m);
                      cv.notify_all();
                    }
                    EXPECT_TRUE(WaitFor([&] { return inside.load() == 2; }));
                    std::lock_guard<std::mutex> lk(m);
                    handled.insert(0);
                  },
                  4);
  nfd.Push(1);
  nfd.Push(2);
  pool->Start(1);
  EXPECT_TRUE(WaitFor([&] { return inside.load() == 2; }));
  pool->Stop(kWake);
}

TEST_F(WorkerPoolTest, NothingQueuedNoHandOff) {
  std::unique_ptr<WorkerPool> pool;
  pool = std::make_unique<WorkerPool>(nfd, nullptr,
                  [&](const seccomp_notif&) {
                    pool->HandOffIfQueued();
                    std::lock_guard<std::mutex> lk(m);
                    handled.insert(0);
                    cv.notify_all();
                  },
                  4);
  pool->Start(0);
  nfd.Push(1);
  EXPECT_TRUE(WaitFor([&] { return handled.size() == 1; }));
  pool->Stop(kWake);
  EXPECT_EQ(pool->started(), 1u);  // no worker was needed
}

TEST_F(WorkerPoolTest, AfterAHandOffTwoReceiveUntilACallNeedsNone) {
  // Call 1 hands off (as before ADDFD): its worker then waits in RECV
  // beside the new receiver, so the next such call wakes nobody. Call 2 is
  // answered at once: its worker leaves RECV to the other one.
  std::unique_ptr<WorkerPool> pool;
  pool = std::make_unique<WorkerPool>(
      nfd, nullptr,
      [&](const seccomp_notif& req) {
        if (req.id == 1) pool->HandOff();
        std::lock_guard<std::mutex> lk(m);
        handled.insert(req.id);
        cv.notify_all();
      },
      4);
  pool->Start(1);
  ASSERT_TRUE(PollFor([&] { return pool->idle() == 1; }));  // the spare is waiting
  nfd.Push(1);
  EXPECT_TRUE(WaitFor([&] { return handled.count(1) == 1; }));
  EXPECT_TRUE(PollFor([&] { return nfd.receiving_.load() == 2; })) << nfd.receiving_.load();
  nfd.Push(2);
  EXPECT_TRUE(WaitFor([&] { return handled.count(2) == 1; }));
  EXPECT_TRUE(PollFor([&] { return nfd.receiving_.load() == 1; })) << nfd.receiving_.load();
  EXPECT_EQ(pool->started(), 2u);  // the spare sufficed
  pool->Stop(kWake);
}

TEST_F(WorkerPoolTest, HandOffOutsideTheReceiverDoesNothing) {
  WorkerPool pool(nfd, nullptr, [](const seccomp_notif&) {}, 4);
  pool.Start(0);
  pool.HandOff();  // this thread is not a worker
  EXPECT_EQ(pool.started(), 1u);
  pool.Stop(kWake);
}

TEST_F(WorkerPoolTest, StopsWhileIdle) {
  std::atomic<int> inits{0};
  WorkerPool pool(nfd, [&] { ++inits; }, [](const seccomp_notif&) {}, 4);
  pool.Start(2);
  pool.Stop(kWake);  // the receiver is blocked in read(): the signal ends it
  EXPECT_EQ(inits.load(), 3);
}

// A run of calls from one thread: it cannot have queued another while it
// waits for this one, so after kRun of them nothing is polled; a call from
// another thread ends the run.
TEST_F(WorkerPoolTest, NoPollDuringARunOfCallsFromOneThread) {
  std::unique_ptr<WorkerPool> pool;
  std::vector<long> polls;  // Pending() calls before each call returned
  pool = std::make_unique<WorkerPool>(nfd, nullptr,
                                      [&](const seccomp_notif&) {
                                        pool->HandOffIfQueued();
                                        std::lock_guard<std::mutex> lk(m);
                                        polls.push_back(nfd.pendings_.load());
                                        cv.notify_all();
                                      },
                                      4);
  pool->Start(0);
  const unsigned n = WorkerPool::kRun + 4;
  for (uint64_t i = 1; i <= n; ++i) {
    nfd.Push(i, 77);
    ASSERT_TRUE(WaitFor([&] { return polls.size() == i; }));
  }
  nfd.Push(n + 1, 78);  // another thread
  nfd.Push(n + 2, 77);
  ASSERT_TRUE(WaitFor([&] { return polls.size() == n + 2; }));
  pool->Stop(kWake);
  // Every call polled until the run was long enough, then none did...
  for (unsigned i = 0; i < WorkerPool::kRun; ++i) EXPECT_EQ(polls[i], static_cast<long>(i + 1)) << i;
  EXPECT_EQ(polls[n - 1], static_cast<long>(WorkerPool::kRun));
  // ...until another thread's call, and the one after it.
  EXPECT_EQ(polls[n], polls[n - 1] + 1);
  EXPECT_EQ(polls[n + 1], polls[n] + 1);
}

// Once no process can notify, RECV fails at once every time: a receiver
// that tried again would spin, and under SCHED_FIFO on one CPU never let
// the thread that stops the pool run (sydbox hung at exit so).
TEST_F(WorkerPoolTest, NoReceivingOnceHungUp) {
  WorkerPool pool(nfd, nullptr, [](const seccomp_notif&) {}, 4);
  pool.Start(1);
  ASSERT_TRUE(PollFor([&] { return nfd.receiving_.load() == 1; }));
  nfd.HangUp();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_LE(nfd.receives_.load(), 3);
  pool.Stop(kWake);
}

// Stop signals a worker that is still answering a call only now and then
// (each signal interrupts what it is doing, as it interrupts RECV): a
// handler busy for 300 ms is interrupted a few times, not every 200 µs.
TEST_F(WorkerPoolTest, StopWaitsForABusyWorkerWithoutPolling) {
  std::atomic<bool> busy{false};
  std::atomic<int> interrupted{0};
  WorkerPool pool(nfd, nullptr,
                  [&](const seccomp_notif&) {
                    busy.store(true);
                    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
                    for (;;) {
                      auto left = end - std::chrono::steady_clock::now();
                      if (left <= std::chrono::nanoseconds(0)) break;
                      auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
                      timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
                      if (nanosleep(&ts, nullptr) != 0 && errno == EINTR) ++interrupted;
                    }
                  },
                  4);
  pool.Start(0);
  nfd.Push(1);
  ASSERT_TRUE(PollFor([&] { return busy.load(); }));
  pool.Stop(kWake);
  EXPECT_LE(interrupted.load(), 12);
}

}  // namespace
}  // namespace syd::supervisor
