// The second red team on the calls the supervisor performs for the caller
// (issues 9 and 10): each attack (tests/helpers/syd-rt2.c) runs natively
// first, then under sydbox, where the target must be untouched and the
// caller must get what it gets natively — never more than it has.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "harness.h"

namespace syd::test {
namespace {

std::string Rt2() { return Helper("syd-rt2"); }

mode_t ModeOf(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

RunResult Under(std::vector<std::string> args, const std::vector<std::string>& cmd) {
  args.push_back("--");
  args.insert(args.end(), cmd.begin(), cmd.end());
  return Sydbox(args);
}

// A root-owned file in a directory only root may search, and a file the
// caller may warm the supervisor's cache with.
struct RootFixture {
  TempDir d;
  std::string priv = d / "priv", target = d / "priv/f", warm = d / "warm";
  RootFixture() {
    mkdir(priv.c_str(), 0700);
    WriteFile(target, "secret\n");
    chmod(target.c_str(), 0644);
    WriteFile(warm, "");
    chmod(d.path().c_str(), 0777);
  }
};

// The supervisor keeps a process's ids once it has read them, and forgets
// them when the process makes one of the calls that change them — which
// the kernel sent to user space only with read or write sandboxing on.
// With only a sys/ rule allowing chmod (decided in user space: it looks at
// the path), a process that dropped root still had its chmod performed as
// root.
TEST(RedTeam2, SetuidIsSeenWhenASysRulePerformsTheCall) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root: the attack drops from root to uid 65534";
  RootFixture f;
  // Natively: uid 65534 cannot chmod root's file.
  RunResult native = RunCmd({Rt2(), "drop-chmod", f.warm, f.target});
  ASSERT_EQ(native.code, 0) << native.out;
  ASSERT_EQ(ModeOf(f.target), 0644u);
  RunResult r = Under({"-m", "sys/allow+chmod:arg_=*\"" + f.d.path() + "/***\""},
                      {Rt2(), "drop-chmod", f.warm, f.target});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, native.out);
  EXPECT_EQ(ModeOf(f.target), 0644u);
}

// The same with only stat sandboxing on: the dropped process's stat was
// made as root, through a directory it cannot search.
TEST(RedTeam2, SetuidIsSeenWithOnlyStatSandboxing) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root: the attack drops from root to uid 65534";
  RootFixture f;
  RunResult native = RunCmd({Rt2(), "drop-stat", f.warm, f.target});
  ASSERT_EQ(native.code, 0) << native.out;
  ASSERT_EQ(native.out, "stat EACCES\n");
  RunResult r = Under({"-m", "core/sandbox/stat:deny", "-m", "allowlist/stat+/***"},
                      {Rt2(), "drop-stat", f.warm, f.target});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, native.out);
}

// Capabilities can also be lost at an exec, with no call the supervisor
// sees: root that emptied its bounding set runs the next program with no
// capabilities. The supervisor kept the full set it had read before and
// performed the new program's chmod and write open of another user's
// file with CAP_FOWNER and CAP_DAC_OVERRIDE.
TEST(RedTeam2, CapabilitiesLostAtExecAreLostForTheSupervisorToo) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root: the attack drops capabilities root has";
  TempDir d;
  const std::string target = d / "other", warm = d / "warm";
  WriteFile(target, "theirs\n");
  ASSERT_EQ(chown(target.c_str(), 1000, 1000), 0);
  ASSERT_EQ(chmod(target.c_str(), 0600), 0);
  RunResult native = RunCmd({Rt2(), "bset-exec", warm, target});
  ASSERT_EQ(native.code, 0) << native.out;
  ASSERT_EQ(native.out, "chmod EPERM\nopen-w EACCES\n");
  RunResult r = Under({"-m", "core/sandbox/write:deny", "-m", "allowlist/write+" + d.path() + "/***"},
                      {Rt2(), "bset-exec", warm, target});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, native.out);
  EXPECT_EQ(ModeOf(target), 0600u);
  EXPECT_EQ(ReadFile(target), "theirs\n");
}

// open("/proc/self/fd/N") of a pipe is a /proc path the caller may write
// (per_process_directories, as @paludis allows); the supervisor opened
// that magic link again after the check, when another thread could have
// dup2()ed a write-denied file over N: the file was opened for writing.
TEST(RedTeam2, FdFlippedUnderProcSelfFdNeverOpensTheFile) {
  TempDir d;
  const std::string file = d / "denied";
  WriteFile(file, "orig\n");
  RunResult native = RunCmd({Rt2(), "fd-flip", file});
  ASSERT_EQ(native.code, 1) << native.out;
  ASSERT_EQ(ReadFile(file), "PWNED\n");
  WriteFile(file, "orig\n");
  RunResult r = Under({"--log-file", "/dev/null", "-m", "core/sandbox/write:deny", "-m",
                       "core/allowlist/per_process_directories:true", "-m", "allowlist/write+/dev/***"},
                      {Rt2(), "fd-flip", file});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(ReadFile(file), "orig\n");
}

// Resolution walked the caller's path as the supervisor (root), so a
// missing name in a directory the caller cannot search said ENOENT where
// the kernel says EACCES: an unprivileged caller learnt which names exist
// in root's 0700 directories (stat and open alike). The same held for a
// name the policy denies there (its errno, not EACCES). A root supervisor
// now walks as the caller (paths.cc, caller.h kWalkAsCaller).
TEST(RedTeam2, ResolutionIsNoExistenceOracle) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root: the caller drops to uid 65534";
  RootFixture f;
  const std::string missing = f.priv + "/missing";
  RunResult native = RunCmd({Rt2(), "exists", f.target, missing});
  ASSERT_EQ(native.out, f.target + " stat EACCES open EACCES\n" + missing + " stat EACCES open EACCES\n");
  RunResult r = Under({"-m", "core/sandbox/stat:deny", "-m", "core/sandbox/read:deny", "-m", "allowlist/stat+/***",
                       "-m", "allowlist/read+/***"},
                      {Rt2(), "exists", f.target, missing});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, native.out);
  // A name the policy denies behind the unsearchable directory: EACCES
  // too, not the policy's errno.
  RunResult denied = Under({"-m", "core/sandbox/stat:allow", "-m", "core/sandbox/read:allow", "-m",
                            "denylist/stat+" + f.priv + "/***", "-m", "denylist/read+" + f.priv + "/***"},
                           {Rt2(), "exists", f.target, missing});
  EXPECT_EQ(denied.code, 0) << denied.err;
  EXPECT_EQ(denied.out, native.out);
}

// FIFO opens ran on a fixed pool of 32 threads and calls beyond it waited
// in a queue: 40 threads blocked on FIFOs nobody opens for writing filled
// the pool, and a reader and a writer that would meet at once natively
// then waited for ever (any process of the sandbox could hang every other
// FIFO user of it: a build's jobserver, a test harness). The pool now
// grows while calls block (blocking.h).
TEST(RedTeam2, BlockedFifoOpensDoNotStarveOthers) {
  TempDir native_dir, dir;
  RunResult native = RunCmd({Rt2(), "fifo-pool", native_dir.path(), "40"});
  ASSERT_EQ(native.code, 0) << native.out;
  RunResult r = Under({"-m", "core/sandbox/read:deny", "-m", "allowlist/read+/***"},
                      {Rt2(), "fifo-pool", dir.path(), "40"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("reader OK"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("writer OK"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace syd::test
