// What a new user trips over (issue 11): valid configurations that are
// almost certainly mistakes are warned about (and fail `sydbox check`),
// messages say what happened and name the rule, and sydbox's own profiles
// are clean. Each message text is checked.
#include <unistd.h>

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

// A comment after a value is part of the pattern (syd-3 comments are whole
// lines): said, with the part that would never match.
TEST(SilentMistakes, ACommentAfterAValueIsNamed) {
  TempDir d;
  WriteFile(d / "c.syd-3", "core/sandbox/write:deny\nallowlist/write+/tmp/*** # scratch space\n");
  RunResult c = RunCmd({SydboxBin(), "check", d / "c.syd-3"});
  EXPECT_EQ(c.code, 2) << c.err;
  EXPECT_TRUE(Has(c.err, d / "c.syd-3:2: allowlist/write+/tmp/*** # scratch space: ' # scratch space' is part of "
                             "the value"))
      << c.err;
  RunResult r = RunCmd({SydboxBin(), "-c", d / "c.syd-3", "--", "/bin/true"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Has(r.err, "sydbox: warning: " + (d / "c.syd-3") + ":2:")) << r.err;
  // '#' inside a pattern is ordinary.
  WriteFile(d / "ok.syd-3", "core/sandbox/write:deny\nallowlist/write+/tmp/#build/***\n");
  EXPECT_EQ(RunCmd({SydboxBin(), "check", d / "ok.syd-3"}).code, 0);
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
  // Without a command, the one message is that there is none; an export
  // runs nothing and is not warned about either.
  RunResult none = RunCmd({SydboxBin()});
  EXPECT_EQ(none.code, 2);
  EXPECT_EQ(none.err, "sydbox: no command given (see sydbox --help)\n");
  RunResult exported = RunCmd({SydboxBin(), "-e", "pfc", "noexec"});
  EXPECT_EQ(exported.code, 0);
  EXPECT_EQ(exported.err, "");
}

// The magic lock takes the booleans every other switch takes.
TEST(SilentMistakes, MagicLockTakesBooleans) {
  for (const char* v : {"t", "true", "1", "on"}) {
    RunResult r = RunCmd({SydboxBin(), "-m", std::string("core/trace/magic_lock:") + v, "-m", "core/sandbox/write:deny",
                          "--", "/bin/sh", "-c", "test -e /dev/sydbox && echo unlocked || echo locked"});
    EXPECT_EQ(r.code, 0) << v << ": " << r.err;
    EXPECT_EQ(r.out, "locked\n") << v;
  }
  for (const char* v : {"f", "false", "0", "off"}) {
    RunResult r = RunCmd({SydboxBin(), "-m", std::string("core/trace/magic_lock:") + v, "-m", "core/sandbox/write:deny",
                          "--", "/bin/sh", "-c", "test -e /dev/sydbox && echo unlocked || echo locked"});
    EXPECT_EQ(r.out, "unlocked\n") << v << ": " << r.err;
  }
  RunResult bad = RunCmd({SydboxBin(), "-m", "core/trace/magic_lock:maybe", "--", "/bin/true"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_TRUE(Has(bad.err, "bad magic lock 'maybe'")) << bad.err;
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

TEST(SilentMistakes, TrapRuleIsNamed) {
  RunResult r = RunCmd({SydboxBin(), "-m", "sys/trap+getppid", "--", HelperBin(), "getppid"});
  EXPECT_EQ(r.code, 128 + 31);
  EXPECT_TRUE(Has(r.err, ") was killed by SIGSYS: a trap rule whose SIGSYS the program does not handle: -m:1 "
                         "(sys/trap+getppid) (or a call of a foreign ABI)\n"))
      << r.err;
}
TEST(SilentMistakes, UserSpaceKillRuleIsReported) {
  RunResult r = Sydbox({"-m", "sys/kill_process+getppid:command=^syd-test-helpe", "--", HelperBin(), "getppid"});
  EXPECT_EQ(r.code, 128 + 9);
  EXPECT_TRUE(Has(r.err, "\"category\":\"rule\"") && Has(r.err, "\"action\":\"kill\"") && Has(r.err, "\"rule\":\"-m:1\""))
      << r.err;
  RunResult h = RunCmd({SydboxBin(), "--log-format", "human", "-m", "sys/kill_process+getppid:command=^syd-test-helpe",
                        "--", HelperBin(), "getppid"});
  EXPECT_TRUE(Has(h.err, "sydbox: kill getppid (a sys/ rule) by syd-test-helper[")) << h.err;
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

// -c and -p apply in the order given: @noipv6 prepends its denials, so a
// file after it can prepend an exception, and one before it cannot.
TEST(CommandLine, ConfigsAndProfilesInTheOrderGiven) {
  TempDir d;
  WriteFile(d / "allow6.syd-3", "core/sandbox/network:deny\nallowlist/network/connect^inet6:::1@9\n");
  RunResult after = RunCmd({SydboxBin(), "-p", "noipv6", "-c", d / "allow6.syd-3", "--", HelperBin(), "net-connect",
                            "tcp6", "::1", "9"});
  EXPECT_EQ(after.out, "ECONNREFUSED\n") << after.err;  // allowed: nothing listens there
  RunResult before = RunCmd({SydboxBin(), "-c", d / "allow6.syd-3", "-p", "@noipv6", "--", HelperBin(), "net-connect",
                             "tcp6", "::1", "9"});
  EXPECT_EQ(before.out, "EPERM\n") << before.err;
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

namespace syd::test {
namespace {

// Errors that teach (issue 11 item 8): each text as a user sees it.
TEST(ErrorsThatTeach, DidYouMean) {
  struct Case {
    std::vector<std::string> argv;
    std::string err;
  };
  const std::vector<Case> cases = {
      {{SydboxBin(), "--lok", "/bin/true"}, "sydbox: unknown option '--lok' (did you mean '--lock'? see sydbox --help)\n"},
      {{SydboxBin(), "--log-fromat=json", "/bin/true"},
       "sydbox: unknown option '--log-fromat=json' (did you mean '--log-format'? see sydbox --help)\n"},
      {{SydboxBin(), "match", "--explian", "a", "a"},
       "sydbox match: unknown option '--explian' (did you mean '--explain'? see sydbox match --help)\n"},
      {{SydboxBin(), "-m", "allowlist/wirte+/tmp", "/bin/true"},
       "sydbox: -m:1: unknown list 'allowlist/wirte' (did you mean 'allowlist/write'?)\n"},
      {{SydboxBin(), "-m", "core/sandbox/netwrk:deny", "/bin/true"},
       "sydbox: -m:1: unknown sandbox 'core/sandbox/netwrk' (did you mean 'core/sandbox/network'?)\n"},
      {{SydboxBin(), "-m", "core/restrict/mount:false", "/bin/true"},
       "sydbox: -m:1: unknown option 'core/restrict/mount' (did you mean 'core/restrict/mounts'?)\n"},
      {{SydboxBin(), "-c", "user", "/bin/true"},
       "sydbox: cannot read config file 'user': No such file or directory (did you mean '@user', the bundled "
       "profile?)\n"},
      {{SydboxBin(), "-p", "usr", "/bin/true"},
       "sydbox: no bundled profile named 'usr' (did you mean 'user'?) (bundled: @noipv6 @paludis @user)\n"},
      {{SydboxBin(), "-m", "sys/fault+opnat", "/bin/true"},
       "sydbox: -m:1:11: unknown system call 'opnat' (did you mean 'openat'?)\n"},
      {{SydboxBin(), "syscall", "opnat"}, "sydbox syscall: opnat:1: unknown system call 'opnat' (did you mean 'openat'?)\n"},
      {{PandoraBin(), "sandox"}, "pandora: unknown subcommand 'sandox' (did you mean 'sandbox'?)\n"},
      {{PandoraBin(), "sandbox", "alow_path", "/x"},
       "pandora sandbox: unknown command 'alow_path' (did you mean 'allow_path'?)\n"},
  };
  for (const Case& c : cases) {
    RunResult r = RunCmd(c.argv);
    EXPECT_EQ(r.code, 2) << c.argv[1];
    EXPECT_EQ(r.err.substr(0, c.err.size()), c.err) << r.err;
  }
}

TEST(ErrorsThatTeach, MissingOperatorIsPointedAt) {
  RunResult r = RunCmd({SydboxBin(), "-m", "allowlist/write/tmp/***", "/bin/true"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "sydbox: -m:1: missing operator after 'allowlist/write' (write 'allowlist/write+/tmp/***' to append)\n");
}

TEST(ErrorsThatTeach, CommandIsADirectory) {
  TempDir d;
  RunResult r = RunCmd({SydboxBin(), "-m", "core/sandbox/write:deny", "--", d.path()});
  EXPECT_EQ(r.code, 126);
  EXPECT_EQ(r.err, "sydbox: " + d.path() + ": Is a directory\n");
  r = RunCmd({SydboxBin(), "-m", "core/sandbox/write:deny", "--", d / "missing"});
  EXPECT_EQ(r.code, 127);
  EXPECT_EQ(r.err, "sydbox: " + (d / "missing") + ": No such file or directory\n");
}

TEST(ErrorsThatTeach, OnePrefixOnEveryMessage) {
  TempDir d;
  WriteFile(d / "bad.syd-3", "core/sandbox/write:deny\nallowlist/write+/***\ncore/sandbox/wrte:deny\n");
  RunResult r = RunCmd({SydboxBin(), "check", d / "bad.syd-3", d / "missing.syd-3"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "sydbox check: " + (d / "bad.syd-3") +
                       ":3: unknown sandbox 'core/sandbox/wrte' (did you mean 'core/sandbox/write'?)\n"
                       "sydbox check: " + (d / "bad.syd-3") + ":2: allowlist/write+/*** allows every write (an empty "
                       "variable before '/***'?)\n"
                       "sydbox check: cannot read config file '" + (d / "missing.syd-3") +
                       "': No such file or directory\n");
}

TEST(ErrorsThatTeach, UsageOnceAndVersions) {
  RunResult h = RunCmd({SydboxBin(), "--help"});
  EXPECT_EQ(h.code, 0);
  size_t first = h.out.find("Usage:");
  ASSERT_NE(first, std::string::npos) << h.out;
  EXPECT_EQ(h.out.find("Usage:", first + 1), std::string::npos) << h.out;
  EXPECT_TRUE(Has(h.out, "Usage: sydbox [OPTIONS] [--] COMMAND [ARG...]\n")) << h.out;
  RunResult v = RunCmd({PandoraBin(), "--version"});
  EXPECT_EQ(v.code, 0);
  EXPECT_EQ(v.out.rfind("pandora ", 0), 0u) << v.out;
  RunResult sv = RunCmd({SydboxBin(), "--version"});
  const std::string version = sv.out.substr(0, sv.out.find('\n')).substr(std::string("sydbox ").size());
  EXPECT_EQ(v.out, "pandora " + version + "\n");
}

TEST(ErrorsThatTeach, AnAllowlistOfNoSystemCall) {
  TempDir d;
  WriteFile(d / "s.syd-3", "allowlist/syscall+^opnat$\n");
  RunResult r = RunCmd({SydboxBin(), "check", d / "s.syd-3"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "sydbox check: " + (d / "s.syd-3") + ":1: allowlist/syscall+^opnat$ matches no system call\n");
}

}  // namespace
}  // namespace syd::test

namespace syd::test {
namespace {

// Learning mode (issue 11 item 6): each would-be denial names the magic
// command that would allow it, and that command does.
TEST(DryRun, ReportsWouldDenyAndTheCommandThatAllows) {
  TempDir d;
  const std::string odd = d / "we ir*d";
  RunResult r = RunCmd({SydboxBin(), "--dry-run", "--log-format", "human", "-m", "core/sandbox/write:deny", "-m",
                        "denylist/write+" + d.path() + "/no*", "--", HelperBin(), "open-w", odd});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Exists(odd));  // allowed: it is a dry run
  EXPECT_TRUE(Has(r.err, "sydbox: would deny write path " + odd + " (open) by ")) << r.err;
  const std::string allow = "allowlist/write+" + d.path() + "/we ir\\*d";
  EXPECT_TRUE(Has(r.err, "rule default:write; to allow: -m '" + allow + "'\n")) << r.err;
  EXPECT_TRUE(Has(r.err, "sydbox: dry run: 1 access would have been denied\nsydbox:   write: 1 (" + odd + ")\n"))
      << r.err;

  // The suggested command allows it for real.
  ASSERT_EQ(unlink(odd.c_str()), 0);
  RunResult real = RunCmd({SydboxBin(), "-m", "core/sandbox/write:deny", "-m", allow, "--", HelperBin(), "open-w", odd});
  EXPECT_EQ(real.code, 0) << real.err;
  EXPECT_TRUE(Exists(odd));

  // Denied by a list entry: the allowance must come first ('^').
  RunResult e = RunCmd({SydboxBin(), "--dry-run", "--log-format", "json", "-m", "core/sandbox/write:deny", "-m",
                        "denylist/write+" + d.path() + "/no*", "--", HelperBin(), "open-w", d / "no1"});
  EXPECT_EQ(e.code, 0) << e.err;
  EXPECT_TRUE(Has(e.err, "\"action\":\"cont\",\"errno\":null,\"rule\":\"-m:2\",\"would\":\"deny\",\"allow\":\"allowlist/write^" +
                             d.path() + "/no1\"}")) << e.err;
  EXPECT_TRUE(Has(e.err, "{\"event\":\"dry_run\",\"would_deny\":1,\"categories\":{\"write\":{\"count\":1,\"first\":[\"" +
                             d.path() + "/no1\"]}}}\n")) << e.err;
  RunResult real2 = RunCmd({SydboxBin(), "-m", "core/sandbox/write:deny", "-m", "denylist/write+" + d.path() + "/no*",
                            "-m", "allowlist/write^" + d.path() + "/no2", "--", HelperBin(), "open-w", d / "no2"});
  EXPECT_EQ(real2.code, 0) << real2.err;
}

TEST(DryRun, NetworkAndNothingDenied) {
  RunResult r = RunCmd({SydboxBin(), "--dry-run", "--log-format", "human", "-m", "core/sandbox/network:deny", "--",
                        HelperBin(), "net-connect", "tcp4", "127.0.0.1", "9"});
  EXPECT_TRUE(Has(r.err, "to allow: -m allowlist/network/connect+inet:127.0.0.1@9\n")) << r.err;
  RunResult none = RunCmd({SydboxBin(), "--dry-run", "--log-format", "human", "-m", "core/sandbox/write:deny", "--",
                           "/bin/true"});
  EXPECT_EQ(none.code, 0);
  EXPECT_EQ(none.err, "sydbox: dry run: nothing would have been denied\n");
}

TEST(Stats, FollowTheLogFormat) {
  RunResult h = RunCmd({SydboxBin(), "--stats", "--log-format", "human", "-m", "core/sandbox/write:deny", "--",
                        "/bin/true"});
  EXPECT_EQ(h.code, 0);
  EXPECT_EQ(h.err.rfind("sydbox: stats: ", 0), 0u) << h.err;
  EXPECT_FALSE(Has(h.err, "{")) << h.err;
  RunResult j = RunCmd({SydboxBin(), "--stats", "--log-format", "json", "-m", "core/sandbox/write:deny", "--",
                        "/bin/true"});
  EXPECT_EQ(j.err.rfind("{\"event\":\"stats\",", 0), 0u) << j.err;
}

}  // namespace
}  // namespace syd::test
