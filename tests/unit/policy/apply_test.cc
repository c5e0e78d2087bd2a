#include "policy/apply.h"

#include <gtest/gtest.h>

namespace syd::policy {
namespace {

Result<Policy> ApplyLines(std::vector<std::string> lines, std::vector<std::string>* warnings = nullptr) {
  std::vector<lang::Command> cmds;
  uint32_t n = 0;
  for (auto& l : lines) {
    auto c = lang::ParseCommand(l, {"test", ++n});
    if (!c) return Failf("test:{}: {}", n, c.error().what);
    cmds.push_back(*c);
  }
  ApplyEnv env;
  env.services = [](std::string_view s) -> std::optional<uint16_t> {
    if (s == "http") return 80;
    return std::nullopt;
  };
  env.warnings = warnings;
  return ApplyAll(Policy{}, cmds, env);
}

TEST(Apply, Defaults) {
  Policy p;
  for (auto m : p.modes) EXPECT_EQ(m, Mode::kOff);
  EXPECT_TRUE(p.exit_wait_all);
  EXPECT_EQ(p.decision, Decision::kDeny);
  EXPECT_EQ(p.magic_lock, MagicLock::kOff);
}

TEST(Apply, EveryOption) {
  std::vector<std::string> warnings;
  auto p = ApplyLines({"core/sandbox/read:allow", "core/sandbox/write:deny", "core/sandbox/exec:bpf",
                "core/sandbox/stat:on", "core/sandbox/network:deny", "core/match/case_sensitive:false",
                "core/match/no_wildcard:prefix", "core/allowlist/per_process_directories:t",
                "core/allowlist/successful_bind:1", "core/allowlist/unsupported_socket_families:deny",
                "core/violation/decision:killall", "core/violation/exit_code:7", "core/violation/raise_fail:true",
                "core/violation/raise_safe:true", "core/trace/exit_wait_all:false", "core/trace/magic_lock:exec",
                "core/restrict/general:2", "core/restrict/identity_change:true", "core/restrict/io_control:true",
                "core/restrict/memory_map:true", "core/restrict/shared_memory_writable:true",
                "exec/kill_if_match+/bin/nc*", "exec/resume_if_match+/usr/bin/make",
                "exec/verify+" + std::string(64, 'a') + ":/bin/sh", "allowlist/syscall+^read$",
                "denylist/syscall+^ptrace$", "core/trace/follow_fork:true"},
               &warnings);
  ASSERT_TRUE(p) << p.error().what;
  EXPECT_EQ(p->mode(Sandbox::kRead), Mode::kAllow);
  EXPECT_EQ(p->mode(Sandbox::kWrite), Mode::kDeny);
  EXPECT_EQ(p->mode(Sandbox::kExec), Mode::kBpf);
  EXPECT_EQ(p->mode(Sandbox::kStat), Mode::kDeny);
  EXPECT_EQ(p->mode(Sandbox::kNetwork), Mode::kDeny);
  EXPECT_EQ(p->match.fold, CaseFold::kInsensitive);
  EXPECT_EQ(p->match.no_wildcard, NoWildcard::kPrefix);
  EXPECT_TRUE(p->per_process_directories);
  EXPECT_TRUE(p->successful_bind);
  EXPECT_FALSE(p->unsupported_socket_families);
  EXPECT_EQ(p->decision, Decision::kKillAll);
  EXPECT_EQ(p->exit_code, 7);
  EXPECT_TRUE(p->raise_fail);
  EXPECT_TRUE(p->raise_safe);
  EXPECT_FALSE(p->exit_wait_all);
  EXPECT_EQ(p->magic_lock, MagicLock::kExec);
  EXPECT_EQ(p->restrict_general, 2);
  EXPECT_TRUE(p->restrict_identity_change && p->restrict_io_control && p->restrict_memory_map &&
              p->restrict_shared_memory_writable);
  ASSERT_EQ(p->exec_kill_if_match.size(), 1u);
  ASSERT_EQ(p->exec_resume_if_match.size(), 1u);
  ASSERT_EQ(p->exec_verify.size(), 1u);
  EXPECT_EQ(p->syscall_allowlist.size(), 1u);
  EXPECT_EQ(p->syscall_denylist.size(), 1u);
  // Everything parsed but not enforced says so; the restrictions are
  // enforced (bpf/restrict.cc) and say nothing.
  auto said = [&](std::string_view what) {
    for (auto& w : warnings) if (w.find(what) != std::string::npos) return true;
    return false;
  };
  EXPECT_FALSE(said("core/restrict/general"));
  EXPECT_FALSE(said("core/restrict/memory_map"));
  EXPECT_FALSE(said("exec/verify"));  // enforced after the exec (supervisor/exec.cc)
  EXPECT_TRUE(said("core/trace/follow_fork"));
}

// What the sandbox may reach outside itself: restricted by default, each
// lifted by its own option, queried like any boolean.
TEST(Apply, ReachRestrictions) {
  Policy d;
  EXPECT_TRUE(d.restrict_outside_signals && d.restrict_terminal && d.restrict_namespaces && d.restrict_mounts &&
              d.restrict_device_nodes);
  auto p = ApplyLines({"core/restrict/outside_signals:false", "core/restrict/terminal:0",
                       "core/restrict/namespaces:f", "core/restrict/mounts:false",
                       "core/restrict/device_nodes:false"});
  ASSERT_TRUE(p) << p.error().what;
  EXPECT_FALSE(p->restrict_outside_signals || p->restrict_terminal || p->restrict_namespaces || p->restrict_mounts ||
               p->restrict_device_nodes);
  auto q = lang::ParseCommand("core/restrict/mounts?", {"t", 1});
  ASSERT_TRUE(q);
  EXPECT_FALSE(*Query(*p, *q));
  EXPECT_TRUE(*Query(d, *q));
  auto qd = lang::ParseCommand("core/restrict/device_nodes?", {"t", 1});
  ASSERT_TRUE(qd);
  EXPECT_FALSE(*Query(*p, *qd));
  EXPECT_TRUE(*Query(d, *qd));
  auto bad = ApplyLines({"core/restrict/namespaces:maybe"});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().what.find("test:1"), std::string::npos) << bad.error().what;
}

TEST(Apply, ResourceLimits) {
  auto p = ApplyLines({"rlimit/nofile:64", "rlimit/as:2G", "rlimit/fsize:10k", "rlimit/cpu:unlimited",
                       "rlimit/core:0"});
  ASSERT_TRUE(p) << p.error().what;
  ASSERT_EQ(p->rlimits.size(), 5u);
  EXPECT_EQ(p->rlimits[0].name, "nofile");
  EXPECT_EQ(p->rlimits[0].value, 64u);
  EXPECT_EQ(p->rlimits[1].value, uint64_t{2} << 30);
  EXPECT_EQ(p->rlimits[2].value, 10240u);
  EXPECT_EQ(p->rlimits[3].value, RlimitSetting::kUnlimited);
  EXPECT_EQ(p->rlimits[4].value, 0u);
  for (const char* bad : {"rlimit/nofile:1K", "rlimit/nofile:-1", "rlimit/as:", "rlimit/as:1Q", "rlimit/nofile+3",
                          "rlimit/files:3", "rlimit/as:99999999999T"})
    EXPECT_FALSE(ApplyLines({bad})) << bad;
  auto unknown = ApplyLines({"rlimit/nofiles:3"});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().what.find("did you mean 'rlimit/nofile'"), std::string::npos) << unknown.error().what;
  // At run time they are refused: they only take effect at the start.
  auto c = lang::ParseCommand("rlimit/nofile:3", {"t", 1});
  ASSERT_TRUE(c);
  Policy q;
  ApplyEnv runtime;
  runtime.runtime = true;
  EXPECT_FALSE(Apply(q, *c, runtime));
  EXPECT_TRUE(q.rlimits.empty());
}

// A rule loading a module is taken from the configuration and refused at
// run time (a sandboxed process must never choose code for the
// supervisor); the same rule without load= is taken at run time.
TEST(Apply, LoadIsRefusedAtRunTime) {
  auto at_start = ApplyLines({"sys/trace+getuid:load=fakeid:uid=0"});
  ASSERT_TRUE(at_start) << at_start.error().what;
  ASSERT_EQ(at_start->sys_rules.size(), 1u);
  EXPECT_EQ(at_start->sys_rules[0].module, nullptr);  // loaded by the supervisor, not here
  ApplyEnv runtime;
  runtime.runtime = true;
  Policy q;
  auto load = lang::ParseCommand("sys/trace+getuid:load=fakeid:uid=0", {"t", 1});
  ASSERT_TRUE(load);
  auto st = Apply(q, *load, runtime);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().what.find("not at run time"), std::string::npos) << st.error().what;
  EXPECT_EQ(st.error().column, 18u);
  EXPECT_TRUE(q.sys_rules.empty());
  auto plain = lang::ParseCommand("sys/trace+getuid:fault=EPERM", {"t", 2});
  ASSERT_TRUE(plain);
  EXPECT_TRUE(Apply(q, *plain, runtime));
}

TEST(Apply, ListsKeepOneOrderAcrossAllowAndDeny) {
  auto p = ApplyLines({"allowlist/write+/a", "denylist/write+/b", "allowlist/write^/c", "denylist/write+/d",
                "allowlist/write-/a", "allowlist/write-/nonexistent"});
  ASSERT_TRUE(p) << p.error().what;
  const auto& l = p->path_rules[static_cast<size_t>(Category::kWrite)];
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].pattern.text(), "/c");
  EXPECT_EQ(l[1].pattern.text(), "/b");
  EXPECT_EQ(l[1].action, ListAction::kDeny);
  EXPECT_EQ(l[2].pattern.text(), "/d");
  EXPECT_EQ(l[0].origin.ToString(), "test:3");
}

TEST(Apply, RemoveTakesTheFirstEqualEntryOfTheSameList) {
  auto p = ApplyLines({"denylist/read+/x", "allowlist/read+/x", "allowlist/read-/x"});
  ASSERT_TRUE(p);
  const auto& l = p->path_rules[static_cast<size_t>(Category::kRead)];
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].action, ListAction::kDeny);
}

TEST(Apply, NetworkListsAndFilters) {
  auto p = ApplyLines({"allowlist/network/bind+LOOPBACK@0", "allowlist/network/bind+LOOPBACK@1024-65535",
                "allowlist/network/connect+unix:/var/run/nscd/socket", "denylist/network/connect+inet6:::1@http",
                "filter/network/connect+unix-abstract:foo*", "filter/write+/dev/tty*"});
  ASSERT_TRUE(p) << p.error().what;
  EXPECT_EQ(p->net_rules[0].size(), 2u);
  EXPECT_EQ(p->net_rules[1].size(), 2u);
  EXPECT_EQ(p->net_filters[1].size(), 1u);
  EXPECT_EQ(p->path_filters[static_cast<size_t>(Category::kWrite)].size(), 1u);
}

TEST(Apply, ErrorsNameTheLineAndApplyNothing) {
  struct Case { std::vector<std::string> lines; const char* want; };
  const Case cases[] = {
      {{"core/sandbox/write:deny", "core/sandbox/write:maybe"}, "test:2: bad sandbox mode"},
      {{"core/sandbox/bogus:deny"}, "test:1: unknown sandbox"},
      {{"core/nope/x:1"}, "test:1: unknown option"},
      {{"allowlist/write:/tmp"}, "test:1: 'allowlist/write' is a list"},
      {{"allowlist/write+/tmp/[x"}, "test:1: bad pattern"},
      {{"allowlist/bogus+/tmp"}, "test:1: unknown list"},
      {{"core/violation/decision:maybe"}, "test:1: bad decision"},
      {{"core/trace/exit_wait_all:perhaps"}, "test:1: bad boolean"},
      {{"core/violation/exit_code:300"}, "test:1: bad exit code"},
      {{"allowlist/network/bind+inet:300.1.1.1"}, "test:1: bad IPv4"},
      {{"allowlist/network/bind+inet:1.2.3.4@nosuchservice"}, "test:1: unknown port"},
      {{"allowlist/network/bind+bogus:x"}, "test:1: unknown address"},
      {{"exec/verify+abc:/bin/sh"}, "test:1: exec/verify wants"},
      {{"sys/kill_process+nosuchcall"}, "test:1:18: unknown system call"},
      {{"allowlist/syscall+(unclosed"}, "test:1: bad regex"},
      {{"core/sandbox/write?"}, "test:1: 'core/sandbox/write?' is a query"},
      {{"core/match/no_wildcard:glob"}, "test:1: bad value"},
  };
  for (const Case& c : cases) {
    auto p = ApplyLines(c.lines);
    ASSERT_FALSE(p) << c.want;
    EXPECT_EQ(p.error().what.rfind(c.want, 0), 0u) << p.error().what;
  }
}

TEST(Apply, Query) {
  auto p = ApplyLines({"core/sandbox/write:deny", "allowlist/write+/tmp/***"});
  ASSERT_TRUE(p);
  auto q = [&](const char* text) {
    auto c = lang::ParseCommand(text, {});
    EXPECT_TRUE(c);
    return Query(*p, *c);
  };
  EXPECT_TRUE(*q("core/sandbox/write?"));
  EXPECT_FALSE(*q("core/sandbox/read?"));
  EXPECT_TRUE(*q("allowlist/write?/tmp/***"));
  EXPECT_FALSE(*q("allowlist/write?/var/***"));
  EXPECT_FALSE(*q("denylist/write?/tmp/***"));
  EXPECT_TRUE(*q("core/trace/exit_wait_all?"));
  EXPECT_FALSE(q("exec/kill_if_match?x"));
}

}  // namespace
}  // namespace syd::policy
