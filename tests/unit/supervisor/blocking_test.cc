// The blocking-call pool: a call is cancelled by its notification id, by
// the watcher when its caller is gone or has a signal pending, and Stop()
// ends every call and joins the pool.
#include "supervisor/blocking.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/syscall.h>
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

namespace syd::supervisor {
namespace {

const int kKick = SIGRTMIN + 3;

// Only StillValid matters to the pool.
class FakeNotifyFd final : public kernel::NotifyFd {
 public:
  Result<seccomp_notif> Receive() override { return Fail(ENOSYS, "fake"); }
  bool Pending() override { return false; }
  bool StillValid(uint64_t) override { return valid.load(); }
  Status Respond(const seccomp_notif_resp& r) override {
    responded_id = r.id;
    responded_error = r.error;
    return {};
  }
  Result<int> AddFdAndSend(uint64_t, int, uint32_t) override { return Fail(ENOSYS, "fake"); }
  std::atomic<bool> valid{true};
  std::atomic<uint64_t> responded_id{0};
  std::atomic<int> responded_error{0};
};

size_t Threads() {
  size_t n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

void Noop(int) {}

class Blocking : public ::testing::Test {
 protected:
  void SetUp() override {
    struct sigaction sa{};
    sa.sa_handler = Noop;  // no SA_RESTART
    sigaction(kKick, &sa, nullptr);
    ASSERT_EQ(pipe(p_), 0);
  }
  void TearDown() override {
    close(p_[0]);
    close(p_[1]);
  }
  // A task that blocks reading the pipe and records how it ended.
  BlockingCalls::Task Reader(std::atomic<int>* err, std::atomic<int>* why) {
    return [this, err, why](BlockingCalls& pool, BlockingCalls::Ticket& t) {
      char c;
      ssize_t n = read(p_[0], &c, 1);
      *err = n < 0 ? errno : 0;
      *why = static_cast<int>(t.why.load());
      pool.Finish(t);
    };
  }
  template <class F>
  bool Eventually(F f) {
    for (int i = 0; i < 300; ++i) {
      if (f()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  int p_[2];
};

TEST_F(Blocking, CancelledByNotificationId) {
  FakeNotifyFd nfd;
  BlockingCalls pool(nfd, kKick, nullptr, 4);
  std::atomic<int> err{-1}, why{-1};
  const pid_t self = getpid(), tid = static_cast<pid_t>(syscall(SYS_gettid));
  pool.Run(42, self, tid, Reader(&err, &why));
  ASSERT_TRUE(Eventually([&] { return pool.Active() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // blocked in read by now
  EXPECT_FALSE(pool.CancelCall(7, BlockingCalls::Cancel::kSignal));  // no such call
  EXPECT_TRUE(pool.CancelCall(42, BlockingCalls::Cancel::kSignal));
  ASSERT_TRUE(Eventually([&] { return err.load() != -1; }));
  EXPECT_EQ(err.load(), EINTR);
  EXPECT_EQ(why.load(), static_cast<int>(BlockingCalls::Cancel::kSignal));
  EXPECT_TRUE(Eventually([&] { return pool.Active() == 0; }));
  EXPECT_TRUE(pool.Stop(std::chrono::seconds(2)));
}

TEST_F(Blocking, WatcherCancelsTheCallOfACallerThatIsGone) {
  FakeNotifyFd nfd;
  BlockingCalls pool(nfd, kKick, nullptr, 4);
  std::atomic<int> err{-1}, why{-1};
  pool.Run(1, getpid(), static_cast<pid_t>(syscall(SYS_gettid)), Reader(&err, &why));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(err.load(), -1);  // still blocked: the caller is there, no signal
  nfd.valid = false;
  ASSERT_TRUE(Eventually([&] { return err.load() != -1; }));
  EXPECT_EQ(err.load(), EINTR);
  EXPECT_EQ(why.load(), static_cast<int>(BlockingCalls::Cancel::kGone));
  EXPECT_TRUE(pool.Stop(std::chrono::seconds(2)));
}

TEST_F(Blocking, WatcherSeesASignalPendingForTheCaller) {
  FakeNotifyFd nfd;
  // The "caller": a child process that blocks SIGUSR1. A signal pending
  // but blocked must not interrupt; one it does not block must.
  sigset_t usr1, old;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, &old);  // the child starts with it blocked
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  BlockingCalls pool(nfd, kKick, nullptr, 4);
  std::atomic<int> err{-1}, why{-1};
  pool.Run(5, child, child, Reader(&err, &why));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  kill(child, SIGUSR1);  // pending, but blocked by the caller: no interruption
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(BlockingCalls::SignalPending(child, child));
  EXPECT_EQ(err.load(), -1);
  kill(child, SIGUSR2);  // not blocked (default action: it will end it, but is pending first)
  ASSERT_TRUE(Eventually([&] { return err.load() != -1; }));
  EXPECT_EQ(err.load(), EINTR);
  EXPECT_TRUE(why.load() == static_cast<int>(BlockingCalls::Cancel::kSignal) ||
              why.load() == static_cast<int>(BlockingCalls::Cancel::kGone));
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_TRUE(pool.Stop(std::chrono::seconds(2)));
}

TEST_F(Blocking, StopEndsEveryCallAndJoins) {
  FakeNotifyFd nfd;
  BlockingCalls pool(nfd, kKick, nullptr, 4);
  std::atomic<int> err[3] = {-1, -1, -1}, why[3] = {-1, -1, -1};
  std::atomic<int> started{0};
  int p2[2], p3[2];
  ASSERT_EQ(pipe(p2), 0);
  ASSERT_EQ(pipe(p3), 0);
  int reads[3] = {p_[0], p2[0], p3[0]};
  for (int i = 0; i < 3; ++i) {
    pool.Run(100 + i, getpid(), static_cast<pid_t>(syscall(SYS_gettid)),
             [&, i](BlockingCalls& b, BlockingCalls::Ticket& t) {
               ++started;
               char c;
               err[i] = read(reads[i], &c, 1) < 0 ? errno : 0;
               why[i] = static_cast<int>(t.why.load());
               b.Finish(t);
             });
  }
  ASSERT_TRUE(Eventually([&] { return started.load() == 3; }));  // (queued calls are dropped by Stop)
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(pool.Stop(std::chrono::seconds(2)));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(err[i].load(), EINTR) << i;
    EXPECT_EQ(why[i].load(), static_cast<int>(BlockingCalls::Cancel::kGone)) << i;
  }
  for (int fd : {p2[0], p2[1], p3[0], p3[1]}) close(fd);
}

// Without room to grow (max_threads at most the threads started), calls
// beyond the pool's threads wait in a queue and no thread is started.
TEST_F(Blocking, ThreadsAreStartedOnceAndCallsBeyondThemWait) {
  FakeNotifyFd nfd;
  BlockingCalls pool(nfd, kKick, nullptr, 2);
  EXPECT_EQ(pool.threads(), 2u);
  const size_t before = Threads();
  std::atomic<int> err[5] = {-1, -1, -1, -1, -1}, why[5] = {-1, -1, -1, -1, -1};
  for (int i = 0; i < 5; ++i) pool.Run(200 + i, getpid(), static_cast<pid_t>(syscall(SYS_gettid)), Reader(&err[i], &why[i]));
  ASSERT_TRUE(Eventually([&] { return pool.Queued() == 3; }));
  EXPECT_EQ(Threads(), before);  // no thread was started for them
  ASSERT_EQ(write(p_[1], "abcde", 5), 5);  // each read takes one byte: all five end in turn
  ASSERT_TRUE(Eventually([&] { return pool.Active() == 0; }));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(err[i].load(), 0) << i;
  EXPECT_TRUE(pool.Stop(std::chrono::seconds(2)));
}

// A queued call whose caller has a signal pending is answered "restart"
// without waiting for a thread; one whose caller is gone is dropped.
TEST_F(Blocking, QueuedCallsAreAnsweredOrDropped) {
  FakeNotifyFd nfd;
  BlockingCalls pool(nfd, kKick, nullptr, 1);
  std::atomic<int> err{-1}, why{-1};
  pool.Run(1, getpid(), static_cast<pid_t>(syscall(SYS_gettid)), Reader(&err, &why));  // takes the one thread
  ASSERT_TRUE(Eventually([&] { return pool.Queued() == 0 && pool.Active() == 1; }));
  // The "caller": a stopped child with a signal pending that it handles.
  pid_t child = fork();
  if (child == 0) {
    signal(SIGUSR1, Noop);
    for (;;) pause();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // its handler is in place
  kill(child, SIGSTOP);
  int st;
  ASSERT_EQ(waitpid(child, &st, WUNTRACED), child);
  kill(child, SIGUSR1);  // stays pending while it is stopped
  ASSERT_TRUE(Eventually([&] { return BlockingCalls::SignalPending(child, child); }));
  std::atomic<bool> ran{false};
  pool.Run(77, child, child, [&ran](BlockingCalls& p, BlockingCalls::Ticket& t) { ran = true; p.Finish(t); });
  ASSERT_TRUE(Eventually([&] { return nfd.responded_id.load() == 77; }));
  EXPECT_EQ(nfd.responded_error.load(), -kErestartsys);
  EXPECT_EQ(pool.Queued(), 0u);
  EXPECT_FALSE(ran.load());
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(ran.load());  // the answered call never runs later
  ASSERT_EQ(write(p_[1], "x", 1), 1);
  ASSERT_TRUE(Eventually([&] { return pool.Active() == 0; }));
  EXPECT_TRUE(pool.Stop(std::chrono::seconds(2)));
}

// With room to grow, a call never waits behind blocked ones: each gets a
// thread of its own (a FIFO nobody opens must not hold up other FIFOs).
TEST_F(Blocking, GrowsWhileCallsBlock) {
  FakeNotifyFd nfd;
  BlockingCalls pool(nfd, kKick, nullptr, 2, 8);
  std::atomic<int> err[5] = {-1, -1, -1, -1, -1}, why[5] = {-1, -1, -1, -1, -1};
  for (int i = 0; i < 5; ++i) pool.Run(300 + i, getpid(), static_cast<pid_t>(syscall(SYS_gettid)), Reader(&err[i], &why[i]));
  ASSERT_TRUE(Eventually([&] { return pool.Queued() == 0 && pool.Active() == 5; }));
  EXPECT_EQ(pool.threads(), 5u);
  ASSERT_EQ(write(p_[1], "abcde", 5), 5);
  ASSERT_TRUE(Eventually([&] { return pool.Active() == 0; }));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(err[i].load(), 0) << i;
  EXPECT_TRUE(pool.Stop(std::chrono::seconds(2)));
}

// Up to max_threads, then the queue.
TEST_F(Blocking, GrowsNoFurtherThanItsMost) {
  FakeNotifyFd nfd;
  BlockingCalls pool(nfd, kKick, nullptr, 1, 3);
  std::atomic<int> err[5] = {-1, -1, -1, -1, -1}, why[5] = {-1, -1, -1, -1, -1};
  for (int i = 0; i < 5; ++i) pool.Run(400 + i, getpid(), static_cast<pid_t>(syscall(SYS_gettid)), Reader(&err[i], &why[i]));
  ASSERT_TRUE(Eventually([&] { return pool.Queued() == 2; }));
  EXPECT_EQ(pool.threads(), 3u);
  ASSERT_EQ(write(p_[1], "abcde", 5), 5);
  ASSERT_TRUE(Eventually([&] { return pool.Active() == 0; }));
  EXPECT_TRUE(pool.Stop(std::chrono::seconds(2)));
}

// A thread started on demand whose tid is marked (a checked call named
// that pid: pid_marks.h) leaves before taking a call; another is tried.
// Marked tids are never the ones that run a call.
TEST_F(Blocking, AThreadWithAMarkedTidNeverRunsACall) {
  FakeNotifyFd nfd;
  std::atomic<int> asked{0};
  std::mutex m;
  std::set<pid_t> marked;
  BlockingCalls pool(nfd, kKick, nullptr, 1, 8, [&](pid_t tid) {
    // The first three threads started on demand are "marked".
    if (asked.fetch_add(1) >= 3) return false;
    std::lock_guard<std::mutex> lk(m);
    marked.insert(tid);
    return true;
  });
  std::atomic<int> err[2] = {-1, -1}, why[2] = {-1, -1};
  std::atomic<pid_t> ran_on[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    auto read_one = Reader(&err[i], &why[i]);
    pool.Run(500 + i, getpid(), static_cast<pid_t>(syscall(SYS_gettid)),
             [&, i, read_one](BlockingCalls& p, BlockingCalls::Ticket& t) {
               ran_on[i] = static_cast<pid_t>(syscall(SYS_gettid));
               read_one(p, t);
             });
  }
  ASSERT_TRUE(Eventually([&] { return pool.Queued() == 0 && pool.Active() == 2; }));
  EXPECT_GE(asked.load(), 4);
  ASSERT_EQ(write(p_[1], "ab", 2), 2);
  ASSERT_TRUE(Eventually([&] { return pool.Active() == 0; }));
  std::lock_guard<std::mutex> lk(m);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(marked.count(ran_on[i].load()), 0u) << i;
  EXPECT_TRUE(pool.Stop(std::chrono::seconds(2)));
}

// When every tid is marked, growth gives up and calls wait in the queue.
TEST_F(Blocking, AllTidsMarkedMeansTheQueue) {
  FakeNotifyFd nfd;
  BlockingCalls pool(nfd, kKick, nullptr, 1, 8, [](pid_t) { return true; });
  std::atomic<int> err[3] = {-1, -1, -1}, why[3] = {-1, -1, -1};
  for (int i = 0; i < 3; ++i) pool.Run(600 + i, getpid(), static_cast<pid_t>(syscall(SYS_gettid)), Reader(&err[i], &why[i]));
  ASSERT_TRUE(Eventually([&] { return pool.Queued() == 2; }));
  ASSERT_EQ(write(p_[1], "abc", 3), 3);
  ASSERT_TRUE(Eventually([&] { return pool.Active() == 0; }));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(err[i].load(), 0) << i;
  EXPECT_TRUE(pool.Stop(std::chrono::seconds(2)));
}

}  // namespace
}  // namespace syd::supervisor
