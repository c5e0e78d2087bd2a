#include "policy/rules.h"

#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#include "policy/apply.h"
#include "policy/syscall_table.h"

namespace syd::policy {
namespace {

// The same broken rules as lang's table, through the whole pipeline (set
// resolution, regex and pattern compilation): every one must fail with
// "file:line:col: message".
TEST(SysRules, BrokenRulesThroughApply) {
  struct Case { const char* text; const char* where; const char* what; };
  const Case kBroken[] = {
      {"sys/explode+read", "b:1:5:", "unknown action"},
      {"sys/allow+nosuchcall", "b:1:11:", "unknown system call"},
      {"sys/allow+read,nosuchcall", "b:1:16:", "unknown system call"},
      {"sys/allow+%nosuchclass", "b:1:11:", "unknown class"},
      {"sys/allow+/(unclosed", "b:1:11:", "bad regex"},
      {"sys/allow+/^zzz$", "b:1:11:", "matches no system call"},
      {"sys/allow+read:arg0=O_NOPE", "b:1:21:", "unknown constant"},
      {"sys/allow+connect:arg_@~\"bogus:1\"", "b:1:19:", "unknown address"},
      {"sys/allow+open:arg_=~\"(x\"", "b:1:16:", "bad regex"},
      {"sys/allow+open:arg_=*\"[x\"", "b:1:16:", "bad pattern"},
      {"sys/trace+read:command=(x", "b:1:16:", "bad regex"},
  };
  for (const Case& c : kBroken) {
    auto cmd = lang::ParseCommand(c.text, {"b", 1});
    ASSERT_TRUE(cmd);
    auto p = ApplyAll(Policy{}, {*cmd}, ApplyEnv{});
    ASSERT_FALSE(p) << c.text;
    EXPECT_EQ(p.error().what.rfind(c.where, 0), 0u) << c.text << " -> " << p.error().what;
    EXPECT_NE(p.error().what.find(c.what), std::string::npos) << c.text << " -> " << p.error().what;
  }
}

TEST(SysRules, SetsAndListEditing) {
  auto set = ResolveSyscallSet("%net,!bind");
  ASSERT_TRUE(set);
  EXPECT_TRUE(set->count(__NR_connect));
  EXPECT_FALSE(set->count(__NR_bind));
  EXPECT_TRUE(ResolveSyscallSet("?nosuchcall,read"));
  EXPECT_EQ(ResolveSyscallSet("/^(open|openat)$")->size(), 2u);
  EXPECT_TRUE(ResolveSyscallSet("%file")->count(__NR_openat));
  EXPECT_TRUE(ResolveSyscallSet("%file_wr")->count(__NR_unlink));
  EXPECT_FALSE(ResolveSyscallSet("%file_rd")->count(__NR_unlink));
  EXPECT_TRUE(ResolveSyscallSet("%exec")->count(__NR_execveat));
  EXPECT_TRUE(ResolveSyscallSet("59")->count(__NR_execve));
  EXPECT_EQ(SyscallName(__NR_openat), "openat");
  std::vector<lang::Command> cmds;
  for (const char* t : {"sys/allow+read", "sys/fault+write", "sys/kill_process^ptrace", "sys/allow-read"})
    cmds.push_back(*lang::ParseCommand(t, {"t", 1}));
  auto p = ApplyAll(Policy{}, cmds, ApplyEnv{});
  ASSERT_TRUE(p) << p.error().what;
  ASSERT_EQ(p->sys_rules.size(), 2u);
  EXPECT_EQ(p->sys_rules[0].rule.action, lang::RuleAction::kKillProcess);
  EXPECT_EQ(p->sys_rules[1].rule.action, lang::RuleAction::kFault);
}

struct FakeContext : RuleContext {
  std::vector<std::string> paths;
  std::optional<SockAddr> addr;
  std::string comm = "make";
  std::optional<std::string> String(int) override { return std::string("/etc/passwd"); }
  std::vector<std::string> Paths() override { return paths; }
  std::optional<SockAddr> Address() override { return addr; }
  std::string Comm() override { return comm; }
  std::string Cmdline() override { return comm + " -j2"; }
};

Policy Make(std::vector<std::string> lines) {
  std::vector<lang::Command> cmds;
  for (auto& l : lines) cmds.push_back(*lang::ParseCommand(l, {"t", 1}));
  auto p = ApplyAll(Policy{}, cmds, ApplyEnv{});
  EXPECT_TRUE(p) << p.error().what;
  return *p;
}

std::vector<const SysRule*> Ptrs(const Policy& p) {
  std::vector<const SysRule*> out;
  for (const auto& r : p.sys_rules) out.push_back(&r);
  return out;
}

TEST(SysRules, UserSpaceEvaluation) {
  Policy p = Make({"sys/log+openat", "sys/fault+openat:arg_=*\"/etc/***\"", "sys/trace+openat:command=^make$:allow",
                   "sys/kill_process+openat"});
  FakeContext ctx;
  uint64_t args[6] = {};
  ctx.paths = {"/etc/shadow"};
  auto o = EvaluateRules(Ptrs(p), __NR_openat, args, ctx);
  ASSERT_NE(o.rule, nullptr);
  EXPECT_EQ(o.rule->rule.action, lang::RuleAction::kFault);
  EXPECT_EQ(o.logged.size(), 1u);
  ctx.paths = {"/tmp/x"};
  EXPECT_EQ(EvaluateRules(Ptrs(p), __NR_openat, args, ctx).rule->rule.action, lang::RuleAction::kTrace);
  ctx.comm = "cc";
  EXPECT_EQ(EvaluateRules(Ptrs(p), __NR_openat, args, ctx).rule->rule.action, lang::RuleAction::kKillProcess);
  EXPECT_EQ(EvaluateRules(Ptrs(p), __NR_read, args, ctx).rule, nullptr);
}

TEST(SysRules, TwoPathsRestrictOnEitherAllowOnBoth) {
  Policy p = Make({"sys/fault+rename:arg_=*\"/etc/***\"", "sys/allow+rename:arg_=*\"/tmp/***\"", "sys/kill_process+rename"});
  FakeContext ctx;
  uint64_t args[6] = {};
  ctx.paths = {"/tmp/a", "/etc/b"};
  EXPECT_EQ(EvaluateRules(Ptrs(p), __NR_rename, args, ctx).rule->rule.action, lang::RuleAction::kFault);
  ctx.paths = {"/tmp/a", "/var/b"};
  EXPECT_EQ(EvaluateRules(Ptrs(p), __NR_rename, args, ctx).rule->rule.action, lang::RuleAction::kKillProcess);
  ctx.paths = {"/tmp/a", "/tmp/b"};
  EXPECT_EQ(EvaluateRules(Ptrs(p), __NR_rename, args, ctx).rule->rule.action, lang::RuleAction::kAllow);
}

// arg_="..." and arg_!="..." compare the resolved path exactly (not as a
// glob: '*' is a character); argN="..." the string at argN as given.
TEST(SysRules, ExactStringEquality) {
  Policy p = Make({"sys/fault+mkdir:arg_=\"/tmp/a*\"", "sys/trace+rmdir:arg_!=\"/tmp/keep\":fault=EACCES",
                   "sys/fault+unlink:arg0=\"/etc/passwd\"", "sys/fault+chdir:arg0!=\"/etc/passwd\""});
  for (const SysRule& r : p.sys_rules) EXPECT_TRUE(r.user_space) << r.Shown();
  FakeContext ctx;
  uint64_t args[6] = {};
  ctx.paths = {"/tmp/a*"};
  EXPECT_NE(EvaluateRules(Ptrs(p), __NR_mkdir, args, ctx).rule, nullptr);
  for (const char* other : {"/tmp/ab", "/tmp/a", "/tmp/a*/", "/tmp/A*"}) {
    ctx.paths = {other};
    EXPECT_EQ(EvaluateRules(Ptrs(p), __NR_mkdir, args, ctx).rule, nullptr) << other;
  }
  ctx.paths = {"/tmp/keep"};
  EXPECT_EQ(EvaluateRules(Ptrs(p), __NR_rmdir, args, ctx).rule, nullptr);
  ctx.paths = {"/tmp/other"};
  EXPECT_NE(EvaluateRules(Ptrs(p), __NR_rmdir, args, ctx).rule, nullptr);
  ctx.paths = {};  // no resolved path: no comparison holds
  EXPECT_EQ(EvaluateRules(Ptrs(p), __NR_rmdir, args, ctx).rule, nullptr);
  // argN: the fake's string at any argument is "/etc/passwd".
  EXPECT_NE(EvaluateRules(Ptrs(p), __NR_unlink, args, ctx).rule, nullptr);
  EXPECT_EQ(EvaluateRules(Ptrs(p), __NR_chdir, args, ctx).rule, nullptr);
  // Two paths: a restricting != holds if either path differs.
  Policy two = Make({"sys/fault+rename:arg_!=\"/tmp/a\""});
  ctx.paths = {"/tmp/a", "/tmp/a"};
  EXPECT_EQ(EvaluateRules(Ptrs(two), __NR_rename, args, ctx).rule, nullptr);
  ctx.paths = {"/tmp/a", "/tmp/b"};
  EXPECT_NE(EvaluateRules(Ptrs(two), __NR_rename, args, ctx).rule, nullptr);
  // The kernel's half sends these calls to user space.
  EXPECT_EQ(RulesReferenceAction(p.sys_rules, AUDIT_ARCH_X86_64, __NR_mkdir, args), SECCOMP_RET_USER_NOTIF);
}

TEST(SysRules, AddressesAndIntArguments) {
  Policy p = Make({"sys/trace+connect:arg_@!\"LOOPBACK\":fault=ECONNREFUSED", "sys/fault+setuid:arg0=0"});
  FakeContext ctx;
  uint64_t args[6] = {};
  ctx.addr = SockAddr{};
  ctx.addr->family = AddrFamily::kInet;
  ctx.addr->addr[10] = ctx.addr->addr[11] = 0xff;
  ctx.addr->addr[12] = 8;
  EXPECT_NE(EvaluateRules(Ptrs(p), __NR_connect, args, ctx).rule, nullptr);
  ctx.addr->addr[12] = 127;
  EXPECT_EQ(EvaluateRules(Ptrs(p), __NR_connect, args, ctx).rule, nullptr);
  // setuid's argument is an int: the high 32 bits are ignored.
  args[0] = 0xdeadbeef00000000ull;
  EXPECT_NE(EvaluateRules(Ptrs(p), __NR_setuid, args, ctx).rule, nullptr);
  EXPECT_TRUE(ArgIsInt(__NR_setuid, 0));
  EXPECT_FALSE(ArgIsInt(__NR_clone, 0));
}

}  // namespace
}  // namespace syd::policy
