// sydbox ends when its command has: whatever the scheduling.
#include <gtest/gtest.h>
#include <unistd.h>

#include "harness.h"

namespace syd::test {
namespace {

bool Runs(const std::string& cmd) { return RunCmd({"/bin/sh", "-c", cmd + " >/dev/null 2>&1"}).code == 0; }

// Under SCHED_FIFO on one CPU, a thread that never sleeps keeps every other
// thread of its priority off that CPU. Once the last sandboxed process had
// been reaped, every SECCOMP_IOCTL_NOTIF_RECV failed at once and the
// worker holding the receiver role tried again at once, forever: the main
// thread, which was to stop the workers, never ran again and sydbox hung
// at exit (killed here after 20 s).
TEST(Exit, UnderSchedFifoOnOneCpu) {
  if (!Runs("command -v taskset && command -v chrt && command -v timeout"))
    GTEST_SKIP() << "taskset, chrt or timeout not installed";
  if (!Runs("chrt -f 1 true")) GTEST_SKIP() << "SCHED_FIFO not permitted here (CAP_SYS_NICE or RLIMIT_RTPRIO)";
  if (!Runs("taskset -c 0 true")) GTEST_SKIP() << "CPU 0 not available";
  for (const char* cmd : {"true", "sh -c 'true; ls / && ls /tmp'"}) {
    RunResult r = RunCmd({"/bin/sh", "-c",
                          "exec timeout -s KILL 20 taskset -c 0 chrt -f 1 \"$0\" -m core/sandbox/write:deny -- " +
                              std::string(cmd),
                          SydboxBin()});
    EXPECT_EQ(r.code, 0) << cmd << " (137: killed after hanging for 20 s)\n" << r.err;
  }
}

}  // namespace
}  // namespace syd::test
