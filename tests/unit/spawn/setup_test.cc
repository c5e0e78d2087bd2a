// The process-setup parsers and the order of the plan (spawn/setup.h).
#include "spawn/setup.h"

#include <gtest/gtest.h>
#include <sched.h>

namespace syd::spawn {
namespace {

TEST(SetupParse, Env) {
  auto set = ParseEnv("A=b=c");
  ASSERT_TRUE(set);
  EXPECT_EQ(set->first, "A");
  EXPECT_EQ(set->second, std::optional<std::string>("b=c"));
  auto unset = ParseEnv("A");
  ASSERT_TRUE(unset);
  EXPECT_FALSE(unset->second);
  auto empty = ParseEnv("A=");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->second, std::optional<std::string>(""));
  EXPECT_FALSE(ParseEnv("=x"));
}

TEST(SetupParse, Ionice) {
  EXPECT_EQ(ParseIonice("idle")->klass, 3);
  EXPECT_EQ(ParseIonice("best-effort")->data, 4);
  EXPECT_EQ(ParseIonice("realtime:0")->klass, 1);
  EXPECT_EQ(ParseIonice("2:7")->data, 7);
  for (const char* bad : {"", "fast", "idle:1", "best-effort:8", "realtime:-1", "2:x"}) EXPECT_FALSE(ParseIonice(bad)) << bad;
}

TEST(SetupParse, UmaskAndFds) {
  EXPECT_EQ(*ParseUmask("022"), 022u);
  EXPECT_EQ(*ParseUmask("0777"), 0777u);
  for (const char* bad : {"", "8", "01000", "-1", "abc", "07777"}) EXPECT_FALSE(ParseUmask(bad)) << bad;
  EXPECT_EQ(*ParseFdRange("3:9"), std::make_pair(3, 9));
  EXPECT_EQ(*ParseFdRange("5:"), std::make_pair(5, -1));
  EXPECT_EQ(*ParseFdRange("7"), std::make_pair(7, 7));
  for (const char* bad : {"2:5", "0:", "9:3", "x", ":4", "3:y"}) EXPECT_FALSE(ParseFdRange(bad)) << bad;
}

// Namespaces first (the user namespace and its maps before the others),
// then the root and directory, then the rest, ids and capabilities last.
TEST(SetupPlan, StepsInTheSafeOrder) {
  ProcessSetup s;
  s.unshare = CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWUTS;
  s.chroot = "/srv/root";
  s.chdir = "/work";
  s.umask = 022;
  s.nice = 3;
  s.rlimits.push_back(Rlimit{7, 100, "nofile"});
  s.stdout_file = "/tmp/o";
  s.close_fds.push_back({3, -1});
  s.uid = 0;
  s.gid = 0;
  auto plan = PlanSetup(s, 1000, 1000);
  ASSERT_TRUE(plan) << plan.error().what;
  std::vector<SetupStep::Kind> kinds;
  for (const auto& st : plan->steps) kinds.push_back(st.kind);
  using K = SetupStep;
  EXPECT_EQ(kinds, (std::vector<SetupStep::Kind>{K::kUnshareUser, K::kWriteFile, K::kWriteFile, K::kWriteFile,
                                                 K::kUnshare, K::kLoopbackUp, K::kChroot, K::kChdir, K::kUmask,
                                                 K::kNice, K::kRlimit, K::kOpenStdout, K::kCloseFds,
                                                 K::kDropBoundingSet, K::kSetGid, K::kSetUid, K::kDropCapabilities}));
  EXPECT_EQ(plan->steps[2].data, "0 1000 1\n");  // uid map: 0 inside is 1000 outside
  EXPECT_EQ(plan->steps[3].data, "0 1000 1\n");
  EXPECT_EQ(plan->steps[4].a, static_cast<uint64_t>(CLONE_NEWNET | CLONE_NEWUTS));
  EXPECT_EQ(plan->steps[4].what, "--unshare-net --unshare-uts");
  // Nothing to do, nothing planned.
  auto none = PlanSetup(ProcessSetup{}, 0, 0);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->steps.empty());
  EXPECT_FALSE(none->own_env);
  // -G cannot be mapped into a user namespace of one id; a relative root
  // is refused.
  ProcessSetup g;
  g.unshare = CLONE_NEWUSER;
  g.add_gids = {5};
  EXPECT_FALSE(PlanSetup(g, 1000, 1000));
  ProcessSetup rel;
  rel.chroot = "root";
  EXPECT_FALSE(PlanSetup(rel, 0, 0));
}

// --unshare-pid makes the child in the namespace (with its user
// namespace, whose maps stay steps); --pivot-root implies a mount
// namespace and comes where the root changes; a new /proc follows.
TEST(SetupPlan, PidNamespaceAndPivotRoot) {
  ProcessSetup s;
  s.unshare = CLONE_NEWUSER | CLONE_NEWPID;
  auto pr = ParsePivotRoot("/srv/new/:old");
  ASSERT_TRUE(pr) << pr.error().what;
  EXPECT_EQ(*pr, std::make_pair(std::string("/srv/new"), std::string("/old")));
  s.pivot_new = pr->first;
  s.pivot_old = pr->second;
  s.allow_daemonize = true;
  auto plan = PlanSetup(s, 1000, 1000);
  ASSERT_TRUE(plan) << plan.error().what;
  EXPECT_EQ(plan->clone_flags, CLONE_NEWPID | CLONE_NEWUSER);
  EXPECT_FALSE(plan->death_signal);
  std::vector<SetupStep::Kind> kinds;
  for (const auto& st : plan->steps) kinds.push_back(st.kind);
  using K = SetupStep;
  EXPECT_EQ(kinds, (std::vector<SetupStep::Kind>{K::kWriteFile, K::kWriteFile, K::kWriteFile, K::kUnshare,
                                                 K::kPivotRoot, K::kMountProc}));
  EXPECT_EQ(plan->steps[3].a, static_cast<uint64_t>(CLONE_NEWNS));
  EXPECT_EQ(plan->steps[3].what, "--unshare-mount (for --pivot-root)");
  EXPECT_EQ(plan->steps[4].path, "/srv/new");
  EXPECT_EQ(plan->steps[4].data, "/srv/new/old");
  // Without a mount namespace no /proc is mounted (it would be sydbox's).
  ProcessSetup p;
  p.unshare = CLONE_NEWPID;
  auto pid_only = PlanSetup(p, 0, 0);
  ASSERT_TRUE(pid_only);
  EXPECT_EQ(pid_only->clone_flags, CLONE_NEWPID);
  EXPECT_TRUE(pid_only->steps.empty());
  EXPECT_TRUE(pid_only->death_signal);
  for (const char* bad : {"/new", "new:/old", "/new:", ":/old", "/new:/", "/new:/../x"})
    EXPECT_FALSE(ParsePivotRoot(bad)) << bad;
  ProcessSetup both;
  both.chroot = "/a";
  both.pivot_new = "/b";
  both.pivot_old = "/o";
  EXPECT_FALSE(PlanSetup(both, 0, 0));
}

TEST(SetupPlan, EnvironmentIsEditedInOrder) {
  setenv("SYD_PLAN_A", "1", 1);
  ProcessSetup s;
  s.env = {{"SYD_PLAN_A", std::nullopt}, {"SYD_PLAN_B", "x"}, {"SYD_PLAN_B", "y"}};
  auto plan = PlanSetup(s, 0, 0);
  unsetenv("SYD_PLAN_A");
  ASSERT_TRUE(plan);
  ASSERT_TRUE(plan->own_env);
  int b = 0;
  for (const std::string& kv : plan->env_strings) {
    EXPECT_NE(kv.rfind("SYD_PLAN_A=", 0), 0u) << kv;
    if (kv.rfind("SYD_PLAN_B=", 0) == 0) {
      ++b;
      EXPECT_EQ(kv, "SYD_PLAN_B=y");
    }
  }
  EXPECT_EQ(b, 1);
  EXPECT_EQ(plan->envp.size(), plan->env_strings.size() + 1);
  EXPECT_EQ(plan->envp.back(), nullptr);
}

}  // namespace
}  // namespace syd::spawn
