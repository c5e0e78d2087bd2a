// The Landlock domain sydbox makes where the kernel cannot scope signals
// (ABI 1..5: block devices handled and granted beneath "/", a domain that
// restricts nothing). Every ruleset refuses moving or linking a file to
// another directory unless REFER is granted (Landlock denies it by
// default from ABI 2): the domain must grant it, or rename(2) across
// directories fails with EXDEV in every sandbox on those kernels. Checked
// here in a forked child, on this kernel.
#include "kernel/landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace syd::kernel {
namespace {

// Runs fn in a child inside the domain; its return value (an errno, 0
// for success) comes back as the exit status.
int InDomain(const LandlockDomain& d, int (*fn)(const std::string&), const std::string& dir) {
  pid_t pid = fork();
  if (pid == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(200);
    if (LandlockRestrictSelf(d) != 0) _exit(201);
    _exit(fn(dir));
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 202;
}

int MoveAndLink(const std::string& dir) {
  const std::string a = dir + "/a/f", b = dir + "/b/f", c = dir + "/b/g";
  if (rename(a.c_str(), b.c_str()) != 0) return errno;
  if (link(b.c_str(), (dir + "/a/h").c_str()) != 0) return errno;
  if (rename(c.c_str(), (dir + "/a/g").c_str()) != 0) return errno;
  return 0;
}

TEST(LandlockDomain, MovingAFileToAnotherDirectoryStillWorks) {
  if (LandlockAbi() < 2) GTEST_SKIP() << "Landlock ABI < 2 here";
  char tmpl[] = "/tmp/syd-ll-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  ASSERT_EQ(mkdir((dir + "/a").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((dir + "/b").c_str(), 0755), 0);
  for (const char* f : {"/a/f", "/b/g"}) close(open((dir + f).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
  LandlockDomain d;
  d.handled_make_block = true;  // what supervisor.cc asks for below ABI 6
  const int err = InDomain(d, MoveAndLink, dir);
  EXPECT_EQ(err, 0) << "errno " << err << " (" << strerror(err) << ")";
  EXPECT_EQ(system(("rm -rf " + dir).c_str()), 0);
}

}  // namespace
}  // namespace syd::kernel
