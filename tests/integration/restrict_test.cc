// core/restrict/* (SPEC §2.9): each restriction's calls are first shown
// to work natively (syd-restrict), then to fail under sydbox, with the
// rest of the program untouched; every level of core/restrict/general
// denies a call the level below allows.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "harness.h"

namespace syd::test {
namespace {

// "TEST=RESULT" lines of syd-restrict.
std::map<std::string, std::string> Results(const std::string& out) {
  std::map<std::string, std::string> m;
  size_t at = 0;
  while (at < out.size()) {
    size_t nl = out.find('\n', at);
    if (nl == std::string::npos) nl = out.size();
    std::string line = out.substr(at, nl - at);
    size_t eq = line.find('=');
    if (eq != std::string::npos) m[line.substr(0, eq)] = line.substr(eq + 1);
    at = nl + 1;
  }
  return m;
}

std::vector<std::string> HelperArgs(const TempDir& d, const std::vector<std::string>& tests) {
  std::vector<std::string> a = {Helper("syd-restrict"), "--file", d / "map"};
  a.insert(a.end(), tests.begin(), tests.end());
  return a;
}

std::map<std::string, std::string> Native(const TempDir& d, const std::vector<std::string>& tests) {
  RunResult r = RunCmd(HelperArgs(d, tests));
  EXPECT_EQ(r.code, 0) << r.err;
  return Results(r.out);
}

// Under sydbox with write sandboxing on (the directory writable) and the
// given options.
std::map<std::string, std::string> Sandboxed(const TempDir& d, const std::vector<std::string>& opts,
                                             const std::vector<std::string>& tests) {
  std::vector<std::string> args = {"-m", "core/sandbox/write:deny", "-m", "allowlist/write+" + d.path() + "/***"};
  args.insert(args.end(), opts.begin(), opts.end());
  args.push_back("--");
  for (const std::string& a : HelperArgs(d, tests)) args.push_back(a);
  RunResult r = Sydbox(args);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find("not enforced"), std::string::npos) << r.err;
  return Results(r.out);
}

TEST(Restrict, GeneralEachLevelDeniesWhatTheLevelBelowAllows) {
  TempDir d;
  const std::vector<std::string> tests = {"personality", "personality_query", "keyctl", "msgget", "semget"};
  for (const auto& [t, got] : Native(d, tests)) EXPECT_EQ(got, "ok") << t << " natively";
  // The first level that denies each call.
  const std::map<std::string, int> level = {
      {"personality", 1}, {"personality_query", 4}, {"keyctl", 1}, {"msgget", 2}, {"semget", 3}};
  for (int n = 0; n <= 3; ++n) {
    auto got = Sandboxed(d, {"-m", "core/restrict/general:" + std::to_string(n)}, tests);
    ASSERT_EQ(got.size(), tests.size());
    for (const auto& [t, first] : level)
      EXPECT_EQ(got[t], n >= first ? "EPERM" : "ok") << t << " at core/restrict/general:" << n;
  }
}

TEST(Restrict, GeneralLevelsAreListedBySyscall) {
  RunResult one = RunCmd({SydboxBin(), "syscall", "%restrict_general1"});
  RunResult two = RunCmd({SydboxBin(), "syscall", "%restrict_general2"});
  RunResult three = RunCmd({SydboxBin(), "syscall", "%restrict_general3"});
  ASSERT_EQ(one.code, 0) << one.err;
  EXPECT_NE(one.out.find(" keyctl\n"), std::string::npos) << one.out;
  EXPECT_EQ(one.out.find(" msgget\n"), std::string::npos) << one.out;
  EXPECT_NE(two.out.find(" keyctl\n"), std::string::npos) << two.out;
  EXPECT_NE(two.out.find(" msgget\n"), std::string::npos) << two.out;
  EXPECT_EQ(two.out.find(" semget\n"), std::string::npos) << two.out;
  EXPECT_NE(three.out.find(" semget\n"), std::string::npos) << three.out;
  EXPECT_NE(three.out.find(" msgget\n"), std::string::npos) << three.out;
}

TEST(Restrict, IdentityChange) {
  TempDir d;
  std::vector<std::string> tests = {"setuid", "setgid", "setresuid"};
  if (geteuid() == 0) tests.push_back("setgroups");  // unprivileged it fails natively
  for (const auto& [t, got] : Native(d, tests)) EXPECT_EQ(got, "ok") << t << " natively";
  auto off = Sandboxed(d, {}, tests);
  for (const std::string& t : tests) EXPECT_EQ(off[t], "ok") << t << " without the restriction";
  auto on = Sandboxed(d, {"-m", "core/restrict/identity_change:true"}, tests);
  for (const std::string& t : tests) EXPECT_EQ(on[t], "EPERM") << t;
}

TEST(Restrict, IoControlAllowsOnlyTheListedRequests) {
  TempDir d;
  const std::vector<std::string> tests = {"fioasync", "fionread", "fioclex", "tcgets"};
  auto native = Native(d, tests);
  EXPECT_EQ(native["fioasync"], "ok");
  EXPECT_EQ(native["fionread"], "ok");
  EXPECT_EQ(native["tcgets"], "ENOTTY");  // /dev/null is no terminal
  auto on = Sandboxed(d, {"-m", "core/restrict/io_control:1"}, tests);
  EXPECT_EQ(on["fioasync"], "EPERM");
  EXPECT_EQ(on["fionread"], "ok");
  EXPECT_EQ(on["fioclex"], "ok");
  EXPECT_EQ(on["tcgets"], "ENOTTY");  // allowed: the device answers
}

TEST(Restrict, MemoryMap) {
  TempDir d;
  const std::vector<std::string> tests = {"wx",          "mprotect_wx",  "mprotect_x",  "shared_file",
                                          "shared_file_ro", "private_file", "shared_anon", "private_anon"};
  // Natively, code written to a W|X mapping (or one made executable) runs.
  for (const auto& [t, got] : Native(d, tests)) EXPECT_EQ(got, "ok") << t << " natively";
  for (const auto& [t, got] : Sandboxed(d, {}, tests)) EXPECT_EQ(got, "ok") << t << " without the restriction";
  auto on = Sandboxed(d, {"-m", "core/restrict/memory_map:1"}, tests);
  EXPECT_EQ(on["wx"], "EPERM");
  EXPECT_EQ(on["mprotect_wx"], "EPERM");
  EXPECT_EQ(on["mprotect_x"], "EACCES");  // the kernel's memory-deny-write-execute
  EXPECT_EQ(on["shared_file"], "EPERM");
  EXPECT_EQ(on["shared_file_ro"], "ok");
  EXPECT_EQ(on["private_file"], "ok");
  EXPECT_EQ(on["shared_anon"], "ok");
  EXPECT_EQ(on["private_anon"], "ok");
}

TEST(Restrict, MemoryMapHoldsInDescendants) {
  // PR_SET_MDWE is inherited: a grandchild through a shell cannot gain
  // an executable mapping either.
  TempDir d;
  RunResult r = Sydbox({"-m", "core/restrict/memory_map:1", "--", "/bin/sh", "-c",
                        Helper("syd-restrict") + " --file " + (d / "map") + " mprotect_x"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "mprotect_x=EACCES\n") << r.err;
}

TEST(Restrict, SharedMemoryWritable) {
  TempDir d;
  const std::vector<std::string> tests = {"shared_file", "shared_file_ro", "shared_anon", "shared_anon_ro",
                                          "shmat",       "shmat_ro",       "private_anon", "private_file"};
  for (const auto& [t, got] : Native(d, tests)) EXPECT_EQ(got, "ok") << t << " natively";
  auto on = Sandboxed(d, {"-m", "core/restrict/shared_memory_writable:1"}, tests);
  EXPECT_EQ(on["shared_file"], "EPERM");
  EXPECT_EQ(on["shared_anon"], "EPERM");
  EXPECT_EQ(on["shared_anon_ro"], "EPERM");
  EXPECT_EQ(on["shmat"], "EPERM");
  EXPECT_EQ(on["shared_file_ro"], "ok");
  EXPECT_EQ(on["shmat_ro"], "ok");
  EXPECT_EQ(on["private_anon"], "ok");
  EXPECT_EQ(on["private_file"], "ok");
}

TEST(Restrict, NoSysRuleLiftsARestriction) {
  TempDir d;
  auto got = Sandboxed(d, {"-m", "core/restrict/identity_change:1", "-m", "sys/allow+setuid"}, {"setuid"});
  EXPECT_EQ(got["setuid"], "EPERM");
}

}  // namespace
}  // namespace syd::test
