// kernel/proc.h's look-ups of other processes, on real processes: the
// parent of a child, and a process's children both ways (the
// /proc/PID/task/*/children files and, where a kernel has none, the scan
// of every process's parent).
#include "kernel/proc.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

namespace syd::kernel {
namespace {

bool Has(const std::vector<pid_t>& v, pid_t p) { return std::find(v.begin(), v.end(), p) != v.end(); }

TEST(Proc, ChildrenBothWays) {
  pid_t kids[2];
  for (pid_t& k : kids) {
    k = fork();
    ASSERT_GE(k, 0);
    if (k == 0) {
      pause();
      _exit(0);
    }
  }
  for (pid_t k : kids) EXPECT_EQ(ParentOf(k), getpid());
  const auto listed = ChildrenOf(getpid());
  const auto scanned = ChildrenByScan(getpid());
  for (pid_t k : kids) {
    EXPECT_TRUE(Has(listed, k)) << k;
    EXPECT_TRUE(Has(scanned, k)) << k;
  }
  EXPECT_FALSE(Has(scanned, getpid()));
  for (pid_t k : kids) {
    kill(k, SIGKILL);
    waitpid(k, nullptr, 0);
  }
  EXPECT_FALSE(Has(ChildrenByScan(getpid()), kids[0]));
}

}  // namespace
}  // namespace syd::kernel
