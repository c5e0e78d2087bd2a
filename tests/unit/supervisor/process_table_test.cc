// The process table with real processes: entries of processes that exited
// are forgotten (a long build must not keep a pidfd for every process it
// ever ran), and a state change is atomic per process.
#include "supervisor/process_table.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

namespace syd::supervisor {
namespace {

// A child that waits until it is killed.
pid_t Sleeper() {
  pid_t p = fork();
  if (p == 0) {
    pause();
    _exit(0);
  }
  return p;
}

void Reap(pid_t p) {
  kill(p, SIGKILL);
  waitpid(p, nullptr, 0);
}

TEST(ProcessTable, ForgetsProcessesThatExited) {
  ProcessTable t(policy::MagicLock::kOff, getpid());
  for (int i = 0; i < 300; ++i) {
    pid_t p = Sleeper();
    ASSERT_GT(p, 0);
    (void)t.Get(p);
    Reap(p);
  }
  // Swept whenever the table doubled: never more than twice what is live.
  EXPECT_LE(t.size(), 34u);
  t.Sweep();
  EXPECT_LE(t.size(), 2u);  // this process (and at most its parent)
}

TEST(ProcessTable, KeepsLiveProcesses) {
  ProcessTable t(policy::MagicLock::kOff, getpid());
  std::vector<pid_t> live;
  for (int i = 0; i < 100; ++i) {
    live.push_back(Sleeper());
    t.Update(live.back(), [](ProcState& st) { st.lock_on_exec = true; });
  }
  t.Sweep();
  for (pid_t p : live) EXPECT_TRUE(t.Get(p).lock_on_exec) << p;
  for (pid_t p : live) Reap(p);
}

// Two threads changing different fields of one process: neither change is
// lost (the handlers used to read, modify and write back).
TEST(ProcessTable, UpdatesAreAtomic) {
  pid_t p = Sleeper();
  ProcessTable t(policy::MagicLock::kOff, getpid());
  std::atomic<bool> go{false};
  std::thread toggler([&] {
    while (!go.load()) {}
    for (int i = 0; i < 20000; ++i) t.Update(p, [i](ProcState& st) { st.lock_on_exec = i % 2; });
  });
  go.store(true);
  t.Update(p, [](ProcState& st) { st.locked = true; });
  toggler.join();
  EXPECT_TRUE(t.Get(p).locked);
  Reap(p);
}

}  // namespace
}  // namespace syd::supervisor
