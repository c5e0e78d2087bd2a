// What a new user trips over (issue 11): valid configurations that are
// almost certainly mistakes are warned about (and fail `sydbox check`),
// messages say what happened and name the rule, and sydbox's own profiles
// are clean. Each message text is checked.
#include <gtest/gtest.h>

#include "harness.h"

namespace syd::test {
namespace {

bool Has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

TEST(SilentMistakes, AnAllowlistEntryThatAllowsEveryWrite) {
  // The README's package build with $BUILD empty.
  RunResult r = RunCmd({SydboxBin(), "-m", "core/sandbox/write:deny", "-m", "allowlist/write+/***", "--", "/bin/true"});
  EXPECT_EQ(r.code, 0);
  EXPECT_TRUE(Has(r.err, "sydbox: warning: -m:2: allowlist/write+/*** allows every write (an empty variable before "
                         "'/***'?)"))
      << r.err;
  TempDir d;
  WriteFile(d / "build.syd-3", "core/sandbox/write:deny\nallowlist/exec+***\n");
  RunResult c = RunCmd({SydboxBin(), "check", d / "build.syd-3"});
  EXPECT_EQ(c.code, 2);
  EXPECT_TRUE(Has(c.err, d / "build.syd-3:2: allowlist/exec+*** allows every exec")) << c.err;
  // Read and stat allowlists of everything are ordinary (exceptions first).
  WriteFile(d / "read.syd-3", "core/sandbox/read:deny\ndenylist/read+/etc/shadow\nallowlist/read+/***\n");
  EXPECT_EQ(RunCmd({SydboxBin(), "check", d / "read.syd-3"}).code, 0);
}

TEST(SilentMistakes, RelativePatternsAreRefused) {
  RunResult r = RunCmd({SydboxBin(), "-m", "core/sandbox/write:deny", "-m", "allowlist/write+tmp/x", "--", "/bin/true"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(Has(r.err, "sydbox: -m:2: 'tmp/x' is not an absolute pattern: paths are matched absolute, so it would "
                         "never match (start it with '/' or '**')"))
      << r.err;
  EXPECT_EQ(RunCmd({SydboxBin(), "-m", "exec/kill_if_match+nc", "--", "/bin/true"}).code, 2);
  EXPECT_EQ(RunCmd({SydboxBin(), "-m", "exec/verify+" + std::string(64, 'a') + ":bin/sh", "--", "/bin/true"}).code, 2);
  EXPECT_EQ(RunCmd({SydboxBin(), "-m", "core/sandbox/write:deny", "-m", "allowlist/write+**/build/***", "--",
                    "/bin/true"})
                .code,
            0);
}

TEST(SilentMistakes, NothingChecked) {
  RunResult r = RunCmd({SydboxBin(), "--", "/bin/true"});
  EXPECT_EQ(r.code, 0);
  EXPECT_TRUE(Has(r.err, "sydbox: warning: no category is on and no sys/ rule is given: nothing the command does is "
                         "checked"))
      << r.err;
  RunResult on = RunCmd({SydboxBin(), "-m", "core/sandbox/write:deny", "--", "/bin/true"});
  EXPECT_FALSE(Has(on.err, "nothing the command does")) << on.err;
}

TEST(SilentMistakes, OwnProfilesAreClean) {
  RunResult r = RunCmd({SydboxBin(), "check", "@user", "@paludis", "@noipv6"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
}

TEST(SilentMistakes, ADeadEntryIsNamed) {
  TempDir d;
  WriteFile(d / "dead.syd-3", "core/sandbox/write:deny\nallowlist/write+/tmp/***\ndenylist/write+/tmp/x\n");
  RunResult r = RunCmd({SydboxBin(), "check", d / "dead.syd-3"});
  EXPECT_TRUE(Has(r.err, d / "dead.syd-3:3 (deny /tmp/x) never decides for write: " + d / "dead.syd-3" +
                             ":2 (allow /tmp/***) comes first and matches everything it does"))
      << r.err;
}

TEST(SilentMistakes, KernelKillRuleIsNamed) {
  RunResult r = RunCmd({SydboxBin(), "-m", "sys/kill_process+getppid", "--", HelperBin(), "getppid"});
  EXPECT_EQ(r.code, 128 + 31);
  EXPECT_TRUE(Has(r.err, ") was killed by SIGSYS: a kill rule the kernel decides: -m:1 (sys/kill_process+getppid)"))
      << r.err;
}

TEST(SilentMistakes, UserSpaceKillRuleIsReported) {
  RunResult r = Sydbox({"-m", "sys/kill_process+getppid:command=^syd-test-helpe", "--", HelperBin(), "getppid"});
  EXPECT_EQ(r.code, 128 + 9);
  EXPECT_TRUE(Has(r.err, "\"category\":\"rule\"") && Has(r.err, "\"action\":\"kill\"") && Has(r.err, "\"rule\":\"-m:1\""))
      << r.err;
}

TEST(SilentMistakes, LogLinesNameThePath) {
  TempDir d;
  WriteFile(d / "f", "x");
  RunResult r = Sydbox({"-m", "sys/trace+openat:arg_=*\"" + d.path() + "/**\":log=2", "--", HelperBin(), "openat-r",
                        d / "f"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Has(r.err, "\"path\":\"" + d / "f" + "\"")) << r.err;
}

TEST(SilentMistakes, Plurals) {
  RunResult r = RunCmd({SydboxBin(), "-m", "allowlist/write+/tmp/***", "--", "/bin/true"});
  EXPECT_TRUE(Has(r.err, "1 entry for write has no effect while core/sandbox/write is off")) << r.err;
  TempDir d;
  WriteFile(d / "one.syd-3", "core/sandbox/write:deny\n");
  EXPECT_TRUE(Has(RunCmd({SydboxBin(), "check", d / "one.syd-3"}).out, "ok (1 command)"));
}

}  // namespace
}  // namespace syd::test

namespace syd::test {
namespace {

// Each option takes one value: COMMAND may follow without "--", as with
// sydbox-1 and sydbox-2.
TEST(CommandLine, CommandWithoutDoubleDash) {
  TempDir d;
  RunResult r = RunCmd({SydboxBin(), "-m", "core/sandbox/write:deny", "-m", "allowlist/write+" + d.path() + "/***",
                        HelperBin(), "open-w", d / "f"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Exists(d / "f"));
  r = RunCmd({SydboxBin(), "-p", "paludis", "-c", "@noipv6", HelperBin(), "exit", "7"});
  EXPECT_EQ(r.code, 7) << r.err;
}

// Words written [...] are patterns, not lists.
TEST(CommandLine, BracketsAreNotLists) {
  EXPECT_EQ(RunCmd({SydboxBin(), "match", "\\[ab]", "[ab]"}).code, 0);
  EXPECT_EQ(RunCmd({SydboxBin(), "match", "[ab]", "a", "b"}).code, 0);
  EXPECT_EQ(RunCmd({SydboxBin(), "match", "[ab]", "[ab]"}).code, 1);
  RunResult none = RunCmd({SydboxBin(), "match", "/x"});
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.err.find("sydbox match: give at least one PATH"), std::string::npos) << none.err;
}

}  // namespace
}  // namespace syd::test
