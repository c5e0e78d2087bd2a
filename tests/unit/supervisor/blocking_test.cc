// The blocking-call pool: a call is cancelled by its notification id, by
// the watcher when its caller is gone or has a signal pending, and Stop()
// ends every call and joins the pool.
#include "supervisor/blocking.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
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
  Status Respond(const seccomp_notif_resp&) override { return {}; }
  Result<int> AddFdAndSend(uint64_t, int, uint32_t) override { return Fail(ENOSYS, "fake"); }
  std::atomic<bool> valid{true};
};

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
  BlockingCalls pool(nfd, kKick, nullptr);
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
  BlockingCalls pool(nfd, kKick, nullptr);
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
  BlockingCalls pool(nfd, kKick, nullptr);
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
  BlockingCalls pool(nfd, kKick, nullptr);
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

}  // namespace
}  // namespace syd::supervisor
