// Which categories Landlock can enforce, and with which rules
// (policy/landlock_plan.h).
#include "policy/landlock_plan.h"

#include <gtest/gtest.h>
#include <sys/syscall.h>

#include "policy/apply.h"

namespace syd::policy {
namespace {

using namespace landlock;

Policy Make(const std::vector<std::string>& lines) {
  std::vector<lang::Command> cmds;
  uint32_t n = 0;
  for (const auto& l : lines) {
    auto c = lang::ParseCommand(l, {"p.syd-3", ++n});
    EXPECT_TRUE(c) << l;
    if (c) cmds.push_back(*c);
  }
  auto p = ApplyAll(Policy{}, cmds, ApplyEnv{});
  EXPECT_TRUE(p) << (p ? "" : p.error().what);
  return p ? *p : Policy{};
}

constexpr uint64_t kWriteRights = kWriteFile | kTruncate | kRemoveDir | kRemoveFile | kMakeChar | kMakeDir |
                                  kMakeReg | kMakeSock | kMakeFifo | kMakeBlock | kMakeSym | kRefer;

TEST(LandlockPlan, RightsPerCategory) {
  EXPECT_EQ(LandlockRights(Category::kRead), kReadFile | kReadDir);
  EXPECT_EQ(LandlockRights(Category::kWrite), kWriteRights);
  EXPECT_EQ(LandlockRights(Category::kExec), kExecute);
  EXPECT_EQ(LandlockRights(Category::kStat), 0u);
  EXPECT_EQ(RightsOfAbi(0), 0u);
  EXPECT_EQ(RightsOfAbi(1), (1ull << 13) - 1);
  EXPECT_EQ(RightsOfAbi(2) & kRefer, kRefer);
  EXPECT_EQ(RightsOfAbi(2) & kTruncate, 0u);
  EXPECT_EQ(RightsOfAbi(3) & kTruncate, kTruncate);
  EXPECT_EQ(RightsOfAbi(7), (1ull << 16) - 1);
}

TEST(LandlockPlan, TreesAndFilesBecomeGrants) {
  auto p = Make({"core/sandbox/write:deny", "allowlist/write+/tmp/***", "allowlist/write+/dev/null",
                 "allowlist/write+/***"});
  auto w = PlanLandlockCategory(p, Category::kWrite);
  ASSERT_TRUE(w.expressible) << w.reason;
  EXPECT_EQ(w.handled, kWriteRights);
  ASSERT_EQ(w.grants.size(), 3u);
  EXPECT_EQ(w.grants[0], (LandlockGrant{"/tmp", kWriteRights, true}));
  // An exact file gets the rights a file can have: writing and truncating.
  EXPECT_EQ(w.grants[1], (LandlockGrant{"/dev/null", kWriteFile | kTruncate, false}));
  EXPECT_EQ(w.grants[2], (LandlockGrant{"/", kWriteRights, true}));
}

TEST(LandlockPlan, ModeMustBeDenyOrLandlock) {
  for (const char* m : {"off", "allow", "bpf"}) {
    auto p = Make({std::string("core/sandbox/read:") + m, "allowlist/read+/usr/***"});
    auto r = PlanLandlockCategory(p, Category::kRead);
    EXPECT_FALSE(r.expressible) << m;
    EXPECT_NE(r.reason.find(m), std::string::npos) << r.reason;
  }
  auto p = Make({"core/sandbox/read:landlock", "allowlist/read+/usr/***"});
  EXPECT_TRUE(PlanLandlockCategory(p, Category::kRead).expressible);
  EXPECT_FALSE(PlanLandlockCategory(p, Category::kStat).expressible);
}

TEST(LandlockPlan, WildcardsAreNotExpressibleWithTheirLocation) {
  auto p = Make({"core/sandbox/read:deny", "allowlist/read+/usr/***", "allowlist/read+/home/*/.cache/***"});
  auto r = PlanLandlockCategory(p, Category::kRead);
  EXPECT_FALSE(r.expressible);
  EXPECT_NE(r.reason.find("p.syd-3:3"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("/home/*/.cache/***"), std::string::npos) << r.reason;
  EXPECT_TRUE(r.grants.empty());
  for (const char* bad : {"/usr/**", "/dev/tty[0-9]*", "**/foo/***", "/a\\*b"}) {
    auto q = Make({"core/sandbox/write:deny", std::string("allowlist/write+") + bad});
    EXPECT_FALSE(PlanLandlockCategory(q, Category::kWrite).expressible) << bad;
  }
}

TEST(LandlockPlan, DenyExceptionUnderAnAllowedTree) {
  // First match wins: /home/u/.ssh is denied, /home/u allowed. Landlock
  // can only grant /home/u beneath, .ssh included.
  auto p = Make({"core/sandbox/read:deny", "denylist/read+/home/u/.ssh/***", "allowlist/read+/home/u/***"});
  auto r = PlanLandlockCategory(p, Category::kRead);
  EXPECT_FALSE(r.expressible);
  EXPECT_NE(r.reason.find("p.syd-3:2"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("p.syd-3:3"), std::string::npos) << r.reason;
  // A deny entry over a wider tree that an allow entry after it narrows.
  auto q = Make({"core/sandbox/read:deny", "denylist/read+/home/**", "allowlist/read+/home/u/***"});
  EXPECT_FALSE(PlanLandlockCategory(q, Category::kRead).expressible);
  // A deny entry that could match an allowed exact file.
  auto f = Make({"core/sandbox/read:deny", "denylist/read+/etc/*", "allowlist/read+/etc/passwd"});
  EXPECT_FALSE(PlanLandlockCategory(f, Category::kRead).expressible);
  // Denied paths no later allow entry reaches: mode deny refuses them anyway.
  auto ok = Make({"core/sandbox/read:deny", "denylist/read+/etc/shadow", "allowlist/read+/usr/***",
                  "allowlist/read+/etc/passwd", "denylist/read+/usr/secret/***"});
  auto o = PlanLandlockCategory(ok, Category::kRead);
  EXPECT_TRUE(o.expressible) << o.reason;
  EXPECT_EQ(o.grants.size(), 2u);
  // An allow entry before the deny entry wins for its paths.
  auto before = Make({"core/sandbox/read:deny", "allowlist/read+/home/u/***", "denylist/read+/home/u/.ssh/***"});
  EXPECT_TRUE(PlanLandlockCategory(before, Category::kRead).expressible);
}

TEST(LandlockPlan, MatchingOptions) {
  auto fold = Make({"core/sandbox/write:deny", "core/match/case_sensitive:false", "allowlist/write+/tmp/***"});
  EXPECT_FALSE(PlanLandlockCategory(fold, Category::kWrite).expressible);
  auto ppd = Make({"core/sandbox/write:deny", "core/allowlist/per_process_directories:true",
                   "allowlist/write+/tmp/***"});
  EXPECT_FALSE(PlanLandlockCategory(ppd, Category::kWrite).expressible);
  // no_wildcard:prefix makes an exact entry a tree, as Landlock's are.
  auto prefix = Make({"core/sandbox/write:deny", "core/match/no_wildcard:prefix", "allowlist/write+/var/tmp"});
  auto r = PlanLandlockCategory(prefix, Category::kWrite);
  ASSERT_TRUE(r.expressible) << r.reason;
  EXPECT_EQ(r.grants[0], (LandlockGrant{"/var/tmp", kWriteRights, true}));
}

TEST(LandlockPlan, PerProcessPaths) {
  for (const char* e : {"/proc/self/fd/***", "/dev/fd/***", "/dev/stdout"}) {
    auto p = Make({"core/sandbox/write:deny", std::string("allowlist/write+") + e});
    EXPECT_FALSE(PlanLandlockCategory(p, Category::kWrite).expressible) << e;
  }
  auto pid = Make({"core/sandbox/write:deny", "allowlist/write+/proc/***"});
  EXPECT_TRUE(PlanLandlockCategory(pid, Category::kWrite).expressible);
}

TEST(LandlockPlan, SysRulesThatDecideTheCategoryCalls) {
  auto allow = Make({"core/sandbox/write:deny", "allowlist/write+/tmp/***", "sys/allow+mkdir"});
  auto r = PlanLandlockCategory(allow, Category::kWrite);
  EXPECT_FALSE(r.expressible);
  EXPECT_NE(r.reason.find("p.syd-3:3"), std::string::npos) << r.reason;
  // Only narrowing, or about calls Landlock does not check: fine.
  auto narrow = Make({"core/sandbox/write:deny", "allowlist/write+/tmp/***", "sys/fault+mkdir", "sys/allow+chmod"});
  EXPECT_TRUE(PlanLandlockCategory(narrow, Category::kWrite).expressible);
  // ... but an allowed open is a read for read sandboxing.
  auto open = Make({"core/sandbox/read:deny", "allowlist/read+/usr/***", "sys/allow+openat"});
  EXPECT_FALSE(PlanLandlockCategory(open, Category::kRead).expressible);
}

TEST(LandlockPlan, CoveredCalls) {
  auto covers = [](const char* name, Category c) { return LandlockCovers(*FindSyscall(name), c); };
  EXPECT_TRUE(covers("openat", Category::kRead));
  EXPECT_TRUE(covers("openat", Category::kWrite));
  EXPECT_TRUE(covers("creat", Category::kWrite));
  EXPECT_FALSE(covers("openat2", Category::kRead));   // flags in memory: user space splits them
  // Queries Landlock lets through: metadata only, they stay in the kernel.
  EXPECT_TRUE(covers("access", Category::kRead));
  EXPECT_TRUE(covers("faccessat2", Category::kWrite));
  EXPECT_TRUE(covers("chdir", Category::kRead));
  EXPECT_TRUE(covers("getxattr", Category::kRead));
  for (const char* w : {"mkdir", "mknodat", "rmdir", "unlinkat", "renameat2", "linkat", "symlink", "truncate"})
    EXPECT_TRUE(covers(w, Category::kWrite)) << w;
  for (const char* w : {"chmod", "fchownat", "utimensat", "setxattr", "ioctl", "fremovexattr"})
    EXPECT_FALSE(covers(w, Category::kWrite)) << w;
  EXPECT_TRUE(covers("execve", Category::kExec));
  EXPECT_TRUE(covers("execveat", Category::kExec));
  EXPECT_FALSE(covers("execve", Category::kRead));
}

TEST(LandlockPlan, ExecGrantsTheDynamicLoader) {
  // The kernel opens a program's ELF interpreter for execution as well.
  auto p = Make({"core/sandbox/exec:deny", "allowlist/exec+/usr/bin/***"});
  auto r = PlanLandlockCategory(p, Category::kExec);
  ASSERT_TRUE(r.expressible) << r.reason;
  ASSERT_EQ(r.grants.size(), 1 + LandlockDynamicLoaders().size());
  EXPECT_EQ(r.grants[0], (LandlockGrant{"/usr/bin", kExecute, true}));
  EXPECT_EQ(r.grants[1], (LandlockGrant{"/lib64/ld-linux-x86-64.so.2", kExecute, false, true}));
  // Not for read or write.
  auto w = PlanLandlockCategory(Make({"core/sandbox/write:deny", "allowlist/write+/tmp/***"}), Category::kWrite);
  EXPECT_EQ(w.grants.size(), 1u);
}

TEST(LandlockPlan, ModeParsing) {
  std::vector<lang::Command> cmds;
  auto c = lang::ParseCommand("core/sandbox/network:landlock", {"t", 1});
  ASSERT_TRUE(c);
  auto p = ApplyAll(Policy{}, {*c}, ApplyEnv{});
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().what.find("read, write and exec only"), std::string::npos) << p.error().what;
  auto s = lang::ParseCommand("core/sandbox/stat:landlock", {"t", 1});
  EXPECT_FALSE(ApplyAll(Policy{}, {*s}, ApplyEnv{}));
  EXPECT_EQ(Make({"core/sandbox/exec:landlock"}).mode(Sandbox::kExec), Mode::kLandlock);
  EXPECT_EQ(ModeName(Mode::kLandlock), "landlock");
}

}  // namespace
}  // namespace syd::policy
