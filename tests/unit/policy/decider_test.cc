#include "policy/decider.h"

#include <gtest/gtest.h>

#include "policy/apply.h"

namespace syd::policy {
namespace {

Decider Make(std::vector<std::string> lines) {
  std::vector<lang::Command> cmds;
  uint32_t n = 0;
  for (auto& l : lines) cmds.push_back(*lang::ParseCommand(l, {"t", ++n}));
  auto p = ApplyAll(Policy{}, cmds, ApplyEnv{});
  EXPECT_TRUE(p) << p.error().what;
  return Decider(*p);
}

TEST(Decider, ModeDecidesWhenNothingMatches) {
  Decider off = Make({});
  EXPECT_TRUE(off.CheckPath(Category::kWrite, "/etc/x", 1).allow);
  Decider deny = Make({"core/sandbox/write:deny"});
  auto v = deny.CheckPath(Category::kWrite, "/etc/x", 1);
  EXPECT_FALSE(v.allow);
  EXPECT_EQ(v.rule, nullptr);
  Decider allow = Make({"core/sandbox/write:allow"});
  EXPECT_TRUE(allow.CheckPath(Category::kWrite, "/etc/x", 1).allow);
  Decider bpf = Make({"core/sandbox/write:bpf", "allowlist/write+/***"});
  EXPECT_FALSE(bpf.CheckPath(Category::kWrite, "/etc/x", 1).allow);
}

TEST(Decider, FirstMatchWinsAcrossBothLists) {
  Decider d = Make({"core/sandbox/write:deny", "denylist/write+/tmp/secret/***", "allowlist/write+/tmp/***"});
  EXPECT_TRUE(d.CheckPath(Category::kWrite, "/tmp/a", 1).allow);
  auto v = d.CheckPath(Category::kWrite, "/tmp/secret/a", 1);
  EXPECT_FALSE(v.allow);
  ASSERT_NE(v.rule, nullptr);
  EXPECT_EQ(v.rule->ToString(), "t:2");
  // The other order: the broad allow comes first and wins.
  Decider e = Make({"core/sandbox/write:deny", "allowlist/write+/tmp/***", "denylist/write+/tmp/secret/***"});
  EXPECT_TRUE(e.CheckPath(Category::kWrite, "/tmp/secret/a", 1).allow);
  // Prepending puts an exception first.
  Decider f = Make({"core/sandbox/write:deny", "allowlist/write+/tmp/***", "denylist/write^/tmp/secret/***"});
  EXPECT_FALSE(f.CheckPath(Category::kWrite, "/tmp/secret/a", 1).allow);
}

TEST(Decider, AllowModeDenylist) {
  Decider d = Make({"core/sandbox/read:allow", "denylist/read+/etc/shadow"});
  EXPECT_FALSE(d.CheckPath(Category::kRead, "/etc/shadow", 1).allow);
  EXPECT_TRUE(d.CheckPath(Category::kRead, "/etc/passwd", 1).allow);
}

TEST(Decider, Filters) {
  Decider d = Make({"core/sandbox/write:deny", "filter/write+/dev/tty*"});
  auto v = d.CheckPath(Category::kWrite, "/dev/tty1", 1);
  EXPECT_FALSE(v.allow);
  EXPECT_TRUE(v.filtered);
  EXPECT_FALSE(d.CheckPath(Category::kWrite, "/etc/x", 1).filtered);
}

TEST(Decider, PerProcessDirectories) {
  Decider d = Make({"core/sandbox/write:deny", "core/allowlist/per_process_directories:true"});
  EXPECT_TRUE(d.CheckPath(Category::kWrite, "/proc/42/attr/current", 42).allow);
  EXPECT_TRUE(d.CheckPath(Category::kWrite, "/proc/42", 42).allow);
  EXPECT_FALSE(d.CheckPath(Category::kWrite, "/proc/421/attr", 42).allow);
  EXPECT_FALSE(d.CheckPath(Category::kWrite, "/proc/43/attr", 42).allow);
}

TEST(Decider, CaseInsensitiveAndPrefix) {
  Decider d = Make({"core/sandbox/write:deny", "core/match/case_sensitive:false",
                    "core/match/no_wildcard:prefix", "allowlist/write+/Build"});
  EXPECT_TRUE(d.CheckPath(Category::kWrite, "/build/x/y", 1).allow);
  EXPECT_FALSE(d.CheckPath(Category::kWrite, "/buildx", 1).allow);
}

TEST(Decider, ExecControls) {
  Decider d = Make({"exec/kill_if_match+/usr/bin/nc*", "exec/resume_if_match+/usr/bin/make"});
  EXPECT_TRUE(d.ExecKill("/usr/bin/ncat"));
  EXPECT_FALSE(d.ExecKill("/usr/bin/cat"));
  EXPECT_TRUE(d.ExecResume("/usr/bin/make"));
}

}  // namespace
}  // namespace syd::policy
