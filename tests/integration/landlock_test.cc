// Landlock for read, write and exec paths:
//  - the backstop under deny mode: with every notification answered
//    CONTINUE unchecked (the test-only --test-continue-all), a denied write
//    still fails with EACCES (Landlock), and it succeeds with
//    --landlock=off or while runtime configuration could add allows;
//  - the landlock mode: enforced, with no report and (almost) no
//    notification; a policy Landlock cannot express is exit 2 with its
//    location and nothing runs; --dry-run installs nothing;
//  - --landlock=require when a backstop path cannot be granted.
// Run as root and as uid 65534 (scripts/test.sh).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <regex>
#include <string>
#include <vector>

#include "harness.h"

namespace syd::test {
namespace {

bool Has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

long Notifications(const std::string& err) {
  std::smatch m;
  static const std::regex re("\"notifications\":([0-9]+)");
  return std::regex_search(err, m, re) ? std::stol(m[1]) : -1;
}

struct Fixture {
  TempDir d;
  std::string ok = d / "ok", no = d / "no";
  Fixture() {
    mkdir(ok.c_str(), 0755);
    mkdir(no.c_str(), 0755);
  }
  // write:deny with ok/ and /dev/null allowed; sh -c SCRIPT.
  RunResult Write(std::vector<std::string> opts, const std::string& script) {
    std::vector<std::string> args = {"-m", "core/sandbox/write:deny", "-m", "allowlist/write+" + ok + "/***",
                                     "-m", "allowlist/write+/dev/null"};
    args.insert(args.end(), opts.begin(), opts.end());
    args.insert(args.end(), {"--", "/bin/sh", "-c", script});
    return Sydbox(args);
  }
};

// (echo, not the special builtin ":", whose failed redirection ends sh.)
const char* kScript = "echo > ok/a && echo A; echo > no/f || echo REFUSED; echo x > /dev/null && echo NULL";

TEST(LandlockBackstop, RefusesAWriteUserSpaceLetThrough) {
  Fixture f;
  // Natively the write works.
  ASSERT_EQ(RunCmd({"/bin/sh", "-c", ": > " + f.no + "/f"}).code, 0);
  ASSERT_EQ(unlink((f.no + "/f").c_str()), 0);
  // Nothing checked in user space, magic locked: Landlock alone refuses.
  RunResult r = f.Write({"-l", "--test-continue-all", "--stats"}, "cd " + f.d.path() + " && " + kScript);
  EXPECT_EQ(r.out, "A\nREFUSED\nNULL\n") << r.err;
  EXPECT_TRUE(Has(r.err, "Permission denied")) << r.err;  // EACCES: Landlock's, not sydbox's EPERM
  EXPECT_TRUE(Has(r.err, "write: Landlock backstop")) << r.err;
  EXPECT_FALSE(Exists(f.no + "/f"));
  EXPECT_TRUE(Exists(f.ok + "/a"));
}

TEST(LandlockBackstop, TheSwitchReallyLetsEverythingThrough) {
  // Without Landlock the same run writes the denied file: the test above
  // can fail.
  Fixture f;
  RunResult r = f.Write({"-l", "--test-continue-all", "--landlock=off"}, "cd " + f.d.path() + " && " + kScript);
  EXPECT_EQ(r.out, "A\nNULL\n") << r.err;
  EXPECT_TRUE(Exists(f.no + "/f"));
}

TEST(LandlockBackstop, OffWhileRuntimeConfigurationCanAddAllows) {
  // Unlocked (core/trace/magic_lock:off, the default): an allow added at
  // run time must work, so no ruleset; the user-space check still holds.
  Fixture f;
  RunResult r = f.Write({"--test-continue-all", "--stats"}, "cd " + f.d.path() + " && " + kScript);
  EXPECT_TRUE(Exists(f.no + "/f")) << r.err;
  EXPECT_TRUE(Has(r.err, "write: no Landlock backstop: runtime configuration is unlocked")) << r.err;
  ASSERT_EQ(unlink((f.no + "/f").c_str()), 0);
  r = f.Write({}, "cd " + f.d.path() + " && " + kScript);
  EXPECT_EQ(r.out, "A\nREFUSED\nNULL\n") << r.err;
  EXPECT_FALSE(Exists(f.no + "/f"));
  // The paludis profile (esandbox adds allows while it builds) runs as it did.
  r = Sydbox({"-p", "paludis", "--stats", "--", "/bin/sh", "-c", "echo x > /dev/null && echo ran"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "ran\n");
  EXPECT_TRUE(Has(r.err, "write: no Landlock backstop")) << r.err;
}

TEST(LandlockBackstop, NoneUnderDryRun) {
  // --dry-run (what pandora learns from) allows everything: a backstop
  // would refuse what it reports as allowed.
  Fixture f;
  RunResult r = f.Write({"-l", "--dry-run", "--stats"}, "cd " + f.d.path() + " && " + kScript);
  EXPECT_EQ(r.out, "A\nNULL\n") << r.err;
  EXPECT_TRUE(Exists(f.no + "/f"));
  EXPECT_TRUE(Has(r.err, "write: no Landlock backstop: --dry-run allows everything")) << r.err;
}

TEST(LandlockBackstop, NotExpressibleMeansNoBackstop) {
  Fixture f;
  RunResult r = f.Write({"-l", "--test-continue-all", "--stats", "-m", "allowlist/write+" + f.d.path() + "/o*/***"},
                        "cd " + f.d.path() + " && " + kScript);
  EXPECT_TRUE(Has(r.err, "write: no Landlock backstop:")) << r.err;
  EXPECT_TRUE(Has(r.err, "is not DIR/*** or an exact file")) << r.err;
  EXPECT_TRUE(Exists(f.no + "/f"));
}

TEST(LandlockBackstop, RequireRefusesAPathItCannotGrant) {
  Fixture f;
  const std::string missing = f.d / "missing";
  for (const char* use : {"--landlock=require", "--landlock=best-effort"}) {
    RunResult r = f.Write({"-l", "--stats", use, "-m", "allowlist/write+" + missing + "/***"},
                          "echo > " + f.ok + "/ran && echo ran");
    if (std::string(use) == "--landlock=require") {
      EXPECT_EQ(r.code, 2) << r.err;
      EXPECT_TRUE(Has(r.err, "--landlock=require: no Landlock backstop for write: " + missing)) << r.err;
      EXPECT_FALSE(Exists(f.ok + "/ran"));
    } else {
      // Best effort: user space alone, which allows creating it later.
      EXPECT_EQ(r.code, 0) << r.err;
      EXPECT_EQ(r.out, "ran\n");
      EXPECT_TRUE(Has(r.err, "write: no Landlock backstop: " + missing + ": No such file")) << r.err;
    }
  }
}

struct ReadFixture {
  TempDir d;
  std::string pub = d / "pub", secret = d / "secret";
  ReadFixture() {
    WriteFile(pub, "public\n");
    WriteFile(secret, "secret\n");
  }
  RunResult Run(const std::string& mode, std::vector<std::string> opts) {
    std::vector<std::string> args = SystemAllowlist("read");
    args.insert(args.begin(), {"-m", "core/sandbox/read:" + mode, "-m", "allowlist/read+" + pub});
    args.insert(args.end(), opts.begin(), opts.end());
    args.insert(args.end(), {"--", "/bin/sh", "-c",
                             "for i in 1 2 3 4 5 6 7 8; do cat " + pub + "; done; cat " + secret +
                                 " || echo REFUSED"});
    return Sydbox(args);
  }
};

TEST(LandlockMode, ReadIsEnforcedWithoutNotificationsOrReports) {
  ReadFixture f;
  std::string eight;
  for (int i = 0; i < 8; ++i) eight += "public\n";
  RunResult deny = f.Run("deny", {"-l", "--stats"});
  EXPECT_EQ(deny.out, eight + "REFUSED\n") << deny.err;
  EXPECT_TRUE(Has(deny.err, "\"violation\"")) << deny.err;
  RunResult ll = f.Run("landlock", {"-l", "--stats"});
  EXPECT_EQ(ll.out, eight + "REFUSED\n") << ll.err;
  EXPECT_TRUE(Has(ll.err, "Permission denied")) << ll.err;
  EXPECT_FALSE(Has(ll.err, "\"violation\"")) << ll.err;
  EXPECT_TRUE(Has(ll.err, "read: landlock mode")) << ll.err;
  // Every cat opens its libraries and the file: notified under deny, not
  // under landlock.
  const long nd = Notifications(deny.err), nl = Notifications(ll.err);
  EXPECT_GT(nd, 40) << deny.err;
  EXPECT_EQ(nl, 0) << ll.err;
}

TEST(LandlockMode, DryRunInstallsNothingAndReports) {
  ReadFixture f;
  RunResult r = f.Run("landlock", {"--dry-run"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "secret\n")) << r.out << r.err;
  EXPECT_FALSE(Has(r.out, "REFUSED"));
  EXPECT_TRUE(Has(r.err, f.secret)) << r.err;
}

TEST(LandlockMode, NotExpressibleIsAConfigurationError) {
  TempDir d;
  const std::string marker = d / "ran";
  RunResult r = Sydbox({"-m", "core/sandbox/write:landlock", "-m", "allowlist/write+/tmp/***", "-m",
                        "denylist/write+/tmp/keep/***", "-m", "allowlist/write+/tmp/keep/x/***", "--", "/bin/sh",
                        "-c", ": > " + marker});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_TRUE(Has(r.err, "core/sandbox/write:landlock")) << r.err;
  EXPECT_TRUE(Has(r.err, "denylist/write+/tmp/keep/***")) << r.err;
  EXPECT_FALSE(Exists(marker));
  r = Sydbox({"-m", "core/sandbox/network:landlock", "--", "/bin/true"});
  EXPECT_EQ(r.code, 2) << r.err;
  // sydbox check finds it, with the file and line.
  const std::string conf = d / "ll.syd-3";
  WriteFile(conf, "core/sandbox/read:landlock\nallowlist/read+/usr/***\nallowlist/read+/home/*/.cache/***\n");
  r = RunCmd({SydboxBin(), "check", conf});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_TRUE(Has(r.err, "core/sandbox/read:landlock: Landlock cannot enforce this: " + conf + ":3")) << r.err;
  WriteFile(conf, "core/sandbox/read:landlock\nallowlist/read+/usr/***\n");
  EXPECT_EQ(RunCmd({SydboxBin(), "check", conf}).code, 0);
}

TEST(LandlockMode, RuntimeChangesCannotWidenIt) {
  // Unlocked: the mode cannot be switched, and an allowlist entry added at
  // run time is accepted with a warning, the kernel still refusing.
  ReadFixture f;
  std::vector<std::string> args = SystemAllowlist("read");
  args.insert(args.begin(), {"-m", "core/sandbox/read:landlock"});
  args.insert(args.end(), {"--", "/bin/sh", "-c",
                           "test -e /dev/sydbox/core/sandbox/read:deny && echo SWITCHED; "
                           "test -e '/dev/sydbox/allowlist/read+" + f.d.path() + "/***' && echo ADDED; "
                           "cat " + f.secret + " || echo REFUSED"});
  RunResult r = Sydbox(args);
  EXPECT_EQ(r.out, "ADDED\nREFUSED\n") << r.err;
  EXPECT_TRUE(Has(r.err, "the landlock mode is a Landlock ruleset and cannot change")) << r.err;
  EXPECT_TRUE(Has(r.err, "still refuses what it refused")) << r.err;
}

TEST(LandlockBackstop, ExecOfADynamicProgramWhoseLoaderIsNotListed) {
  // sydbox's exec check decides the program, not its ELF interpreter; the
  // kernel opens both for execution: the backstop grants the loader.
  for (const char* mode : {"deny", "landlock"}) {
    RunResult r = Sydbox({"-l", "--stats", "-m", std::string("core/sandbox/exec:") + mode, "-m",
                          "allowlist/exec+/usr/bin/***", "--", "/usr/bin/true"});
    EXPECT_EQ(r.code, 0) << mode << "\n" << r.err;
    EXPECT_TRUE(Has(r.err, std::string("exec: ") + (mode == std::string("deny") ? "Landlock backstop" : "landlock mode")))
        << r.err;
  }
}

TEST(LandlockMode, WriteAndExec) {
  TempDir d;
  mkdir((d / "ok").c_str(), 0755);
  std::vector<std::string> args = {"-l", "-m", "core/sandbox/write:landlock", "-m",
                                   "allowlist/write+" + d.path() + "/ok/***", "-m", "allowlist/write+/dev/null",
                                   "-m", "core/sandbox/exec:landlock"};
  for (const char* p : {"/usr/***", "/bin/***", "/lib/***", "/lib64/***"}) {
    args.push_back("-m");
    args.push_back(std::string("allowlist/exec+") + p);
  }
  // A copy of a program outside the exec allowlist cannot run.
  const std::string cp = d / "ok/true";
  ASSERT_EQ(RunCmd({"/bin/cp", "/bin/true", cp}).code, 0);
  ASSERT_EQ(RunCmd({cp}).code, 0);
  args.insert(args.end(), {"--", "/bin/sh", "-c",
                           "cd " + d.path() + " && mkdir ok/dir && echo MKDIR; mkdir nodir || echo NOMKDIR; "
                           "mv ok/dir ok/dir2 && echo MV; " + cp + " || echo NOEXEC; : > /dev/null && echo NULL"});
  RunResult r = Sydbox(args);
  EXPECT_EQ(r.out, "MKDIR\nNOMKDIR\nMV\nNOEXEC\nNULL\n") << r.err;
  EXPECT_FALSE(Exists(d / "nodir"));
  EXPECT_TRUE(Exists(d / "ok/dir2"));
  EXPECT_FALSE(Has(r.err, "\"violation\"")) << r.err;
}

}  // namespace
}  // namespace syd::test
