// sys/ rules (SPEC §4) end to end: every action, every option of trace
// rules, and each example of the rule language's issue, on the real binary.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

namespace syd::test {
namespace {

RunResult Rules(std::vector<std::string> magic, std::vector<std::string> cmd, const std::string& cwd = "") {
  std::vector<std::string> args;
  for (auto& m : magic) args.insert(args.end(), {"-m", m});
  args.push_back("--");
  args.insert(args.end(), cmd.begin(), cmd.end());
  return Sydbox(args, cwd);
}

const std::string& H() {
  static const std::string h = HelperBin();
  return h;
}

TEST(Rules, KernelActions) {
  TempDir d;
  EXPECT_EQ(Rules({"sys/kill_process+setuid:arg0=0"}, {H(), "setuid", "0"}).code, 128 + SIGSYS);
  EXPECT_EQ(Rules({"sys/kill_thread+getppid"}, {H(), "getppid"}).code, 128 + SIGSYS);
  EXPECT_EQ(Rules({"sys/fault+mkdir:error=EACCES"}, {H(), "mkdir", d / "x"}).code, EACCES);
  EXPECT_EQ(Rules({"sys/fault+mkdir"}, {H(), "mkdir", d / "x"}).code, EPERM);
  EXPECT_FALSE(Exists(d / "x"));
  auto trap = Rules({"sys/trap+getppid:error=EPERM"}, {H(), "trap-getppid"});
  EXPECT_EQ(trap.code, 0) << trap.err;
  EXPECT_EQ(trap.out.rfind("SIGSYS", 0), 0u) << trap.out;
  // log is not terminal: logged, then the next rule decides.
  EXPECT_EQ(Rules({"sys/log+mkdir", "sys/fault+mkdir:error=EROFS"}, {H(), "mkdir", d / "x"}).code, EROFS);
  EXPECT_EQ(Rules({"sys/log+mkdir"}, {H(), "mkdir", d / "logged"}).code, 0);
  EXPECT_TRUE(Exists(d / "logged"));
  // allow: decided before category sandboxing, in the kernel.
  EXPECT_EQ(Rules({"core/sandbox/write:deny", "sys/allow+mkdir"}, {H(), "mkdir", d / "allowed"}).code, 0);
  EXPECT_TRUE(Exists(d / "allowed"));
  // First match decides: order matters.
  EXPECT_EQ(Rules({"sys/allow+mkdir", "sys/fault+mkdir"}, {H(), "mkdir", d / "first"}).code, 0);
  EXPECT_EQ(Rules({"sys/fault+mkdir", "sys/allow+mkdir"}, {H(), "mkdir", d / "second"}).code, EPERM);
  EXPECT_EQ(Rules({"sys/allow+mkdir", "sys/fault^mkdir"}, {H(), "mkdir", d / "third"}).code, EPERM);
}

TEST(Rules, TraceOptions) {
  TempDir d;
  mkdir((d / "ok").c_str(), 0755);
  // allow: a string condition on the resolved path, over write:deny.
  auto allow = Rules({"core/sandbox/write:deny", "sys/trace+mkdir:arg_=*\"" + d / "ok/***" + "\":allow"},
                     {"sh", "-c", H() + " mkdir " + d / "ok/a" + "; " + H() + " mkdir " + d / "no"});
  EXPECT_EQ(allow.code, EPERM) << allow.err;
  EXPECT_TRUE(Exists(d / "ok/a"));
  EXPECT_FALSE(Exists(d / "no"));
  // fault=
  EXPECT_EQ(Rules({"sys/trace+mkdir:arg_=~\"secret\":fault=EACCES"}, {H(), "mkdir", d / "secret"}).code, EACCES);
  EXPECT_EQ(Rules({"sys/trace+mkdir:arg_=~\"secret\":fault=EACCES"}, {H(), "mkdir", d / "public"}).code, 0);
  // trap= and retval=: SIGSYS delivered, the call answered.
  auto trap = Rules({"sys/trace+getppid:trap=EACCES"}, {H(), "trap-getppid"});
  EXPECT_EQ(trap.out, "SIGSYS r=-1 errno=EACCES\n") << trap.err;
  auto retval = Rules({"sys/trace+getppid:retval=7"}, {H(), "trap-getppid"});
  EXPECT_EQ(retval.out, "SIGSYS r=7 errno=0\n") << retval.err;
  // kill_process=SIG / kill_thread=SIG
  EXPECT_EQ(Rules({"sys/trace+getppid:kill_process=SIGTERM"}, {H(), "getppid"}).code, 128 + SIGTERM);
  auto kt = Rules({"sys/trace+getppid:kill_thread=SIGUSR1"}, {H(), "trap-getppid"});
  EXPECT_NE(kt.out.find("SIGSYS"), std::string::npos) << kt.out;  // the handler caught SIGUSR1 too
  // detach_process / detach_thread: afterwards nothing is decided in user space.
  auto dp = Rules({"core/sandbox/write:deny", "sys/trace+getppid:detach_process=0"},
                  {H(), "getppid-then-open-w", d / "detached"});
  EXPECT_EQ(dp.code, 0) << dp.err;
  EXPECT_TRUE(Exists(d / "detached"));
  auto dt = Rules({"core/sandbox/write:deny", "sys/trace+getppid:detach_thread=0"},
                  {H(), "getppid-then-open-w", d / "detached-thread"});
  EXPECT_EQ(dt.code, 0) << dt.err;
  auto still = Rules({"core/sandbox/write:deny", "sys/trace+getppid"}, {H(), "getppid-then-open-w", d / "checked"});
  EXPECT_EQ(still.code, EPERM) << still.err;
  // log=FD and log=syslog
  auto log = Rules({"sys/trace+getppid:log=2"}, {H(), "getppid"});
  EXPECT_EQ(log.code, 0);
  EXPECT_NE(log.err.find("\"event\":\"syscall\""), std::string::npos) << log.err;
  EXPECT_NE(log.err.find("\"syscall\":\"getppid\""), std::string::npos) << log.err;
  EXPECT_EQ(Rules({"sys/trace+getppid:log=syslog"}, {H(), "getppid"}).code, 0);
  // command= and cmdline=
  auto cmd = Rules({"sys/fault+mkdir:command=^syd-test-helpe"},
                   {"sh", "-c", H() + " mkdir " + d / "c1" + "; mkdir " + d / "c2"});
  EXPECT_FALSE(Exists(d / "c1"));
  EXPECT_TRUE(Exists(d / "c2")) << cmd.err;
  Rules({"sys/fault+mkdir:cmdline=forbidden"}, {"sh", "-c", "mkdir " + d / "forbidden" + "; mkdir " + d / "fine"});
  EXPECT_FALSE(Exists(d / "forbidden"));
  EXPECT_TRUE(Exists(d / "fine"));
  // The log action with a string condition: reported, then allowed.
  auto logged = Rules({"sys/log+mkdir:arg_=*\"" + d / "l/***" + "\""}, {H(), "mkdir", d / "l"});
  EXPECT_EQ(logged.code, 0);
  EXPECT_NE(logged.err.find("\"syscall\":\"mkdir\""), std::string::npos) << logged.err;
}

TEST(Rules, IssueExamples) {
  TempDir d;
  // 1. log then kill setuid(0); setuid of another id passes.
  EXPECT_EQ(Rules({"sys/log+/setuid(32)?:arg0=0", "sys/kill_process+/setuid(32)?:arg0=0"}, {H(), "setuid", "0"}).code,
            128 + SIGSYS);
  const std::string other = std::to_string(getuid() == 0 ? 65534 : getuid());
  EXPECT_EQ(Rules({"sys/log+/setuid(32)?:arg0=0", "sys/kill_process+/setuid(32)?:arg0=0"}, {H(), "setuid", other}).code, 0);
  // 2. read-only opens allowed by a rule, in the kernel; a write open falls
  //    through to write sandboxing.
  WriteFile(d / "f", "x");
  //    (For openat, arg1 is the path pointer: the rule as written only
  //    means something for open, so the loader's openat needs the allowlist.)
  std::vector<std::string> ex2_magic = {"core/sandbox/read:deny", "sys/allow+/open(at)?:arg1!&O_WRONLY|O_RDWR|O_CREAT"};
  auto sys = SystemAllowlist("read");
  for (size_t i = 1; i < sys.size(); i += 2) ex2_magic.push_back(sys[i]);
  auto ex2 = Rules(ex2_magic, {H(), "open-r", d / "f"});
  EXPECT_EQ(ex2.code, 0) << ex2.err;
  auto ex2_denied = Rules({ex2_magic[0], ex2_magic[2], ex2_magic[3], ex2_magic[4], ex2_magic[5], ex2_magic[6], ex2_magic[7],
                           ex2_magic[8], ex2_magic[9], ex2_magic[10], ex2_magic[11], ex2_magic[12]},
                          {H(), "open-r", d / "f"});
  EXPECT_EQ(ex2_denied.code, EPERM) << ex2_denied.err;
  EXPECT_EQ(Rules({"core/sandbox/write:deny", "sys/allow+/open(at)?:arg1!&O_WRONLY|O_RDWR|O_CREAT"},
                  {H(), "open-w", d / "g"}).code, EPERM);
  // 3. secrets in home directories (the test's home is under its temp dir).
  mkdir((d / "home").c_str(), 0755);
  mkdir((d / "home/u").c_str(), 0755);
  mkdir((d / "home/u/.gnupg").c_str(), 0700);
  WriteFile(d / "home/u/.netrc", "machine x");
  WriteFile(d / "home/u/notes", "n");
  std::string re = d.path() + "/home/[^/]+/\\.(gnupg|netrc).*";
  auto ex3 = Rules({"sys/trace+%file:arg_=~\"" + re + "\":fault=EPERM:log=2"},
                   {"sh", "-c", "cat " + d / "home/u/.netrc" + "; ls " + d / "home/u/.gnupg" + "; cat " + d / "home/u/notes"});
  EXPECT_EQ(ex3.out, "n") << ex3.err;
  EXPECT_NE(ex3.err.find("\"event\":\"syscall\""), std::string::npos) << ex3.err;
  // 4. binds outside loopback fail.
  EXPECT_EQ(Rules({"sys/trace+bind:arg_@!\"LOOPBACK\":fault=EPERM"}, {H(), "net-bind", "tcp4", "127.0.0.1", "0"}).code, 0);
  EXPECT_EQ(Rules({"sys/trace+bind:arg_@!\"LOOPBACK\":fault=EPERM"}, {H(), "net-bind", "tcp4", "0.0.0.0", "0"}).code, EPERM);
  // 5. only one destination: the rest is refused as if nobody listened.
  auto ok = Rules({"sys/trace+%net:arg_@!\"inet://127.0.0.1@9\":fault=ECONNREFUSED"},
                  {H(), "net-sendto", "udp4", "127.0.0.1", "9"});
  EXPECT_EQ(ok.code, 0) << ok.err;
  auto refused = Rules({"sys/trace+%net:arg_@!\"inet://127.0.0.1@9\":fault=ECONNREFUSED"},
                       {H(), "net-sendto", "udp4", "127.0.0.1", "10"});
  EXPECT_EQ(refused.code, ECONNREFUSED) << refused.err;
  // 6. syscall denylist: ENOSYS in the kernel.
  EXPECT_EQ(Rules({"denylist/syscall+^(ptrace|personality)$"}, {H(), "personality"}).code, ENOSYS);
  EXPECT_EQ(Rules({"allowlist/syscall+^(?!personality$)"}, {H(), "personality"}).code, ENOSYS);
  EXPECT_EQ(Rules({"allowlist/syscall+^(?!personality$)"}, {H(), "getppid"}).code, 0);
  // 7. what was compiled.
  auto pfc = RunCmd({SydboxBin(), "-m", "sys/kill_process+/setuid(32)?:arg0=0", "-m", "sys/trace+bind:arg_@!\"LOOPBACK\"",
                     "-e", "pfc", "noexec"});
  EXPECT_EQ(pfc.code, 0);
  EXPECT_NE(pfc.out.find("ret KILL_PROCESS"), std::string::npos);
  EXPECT_NE(pfc.out.find("ret USER_NOTIF"), std::string::npos);
  // Where the number is tested, the call is named (as in libseccomp's PFC).
  EXPECT_NE(pfc.out.find("jge 0x69 true:"), std::string::npos) << pfc.out;
  EXPECT_NE(pfc.out.find(" # setuid\n"), std::string::npos) << pfc.out;
  EXPECT_NE(pfc.out.find(" # bind\n"), std::string::npos) << pfc.out;
}

// = and != with a string (SPEC §4's string operators): arg_ compares the
// resolved path exactly, argN the string as the caller gave it.
TEST(Rules, ExactStringEquality) {
  TempDir d;
  const std::string eq = "sys/fault+mkdir:arg_=\"" + d / "x" + "\"";
  auto x = Rules({eq}, {H(), "mkdir", d / "x"});
  EXPECT_EQ(x.code, EPERM) << x.err;
  EXPECT_FALSE(Exists(d / "x"));
  EXPECT_EQ(Rules({eq}, {H(), "mkdir", d / "y"}).code, 0);
  EXPECT_TRUE(Exists(d / "y"));
  // The resolved path: a relative name of the same directory is caught.
  EXPECT_EQ(Rules({eq}, {H(), "mkdir", "x"}, d.path()).code, EPERM);
  EXPECT_EQ(Rules({eq}, {H(), "mkdir", "y/../x"}, d.path()).code, EPERM);
  EXPECT_FALSE(Exists(d / "x"));
  // Exact: no wildcard in it.
  EXPECT_EQ(Rules({"sys/fault+mkdir:arg_=\"" + d / "*" + "\""}, {H(), "mkdir", d / "star"}).code, 0);
  // !=: every other path.
  const std::string ne = "sys/fault+mkdir:arg_!=\"" + d / "keep" + "\"";
  EXPECT_EQ(Rules({ne}, {H(), "mkdir", d / "keep"}).code, 0);
  EXPECT_TRUE(Exists(d / "keep"));
  EXPECT_EQ(Rules({ne}, {H(), "mkdir", d / "other"}).code, EPERM);
  EXPECT_FALSE(Exists(d / "other"));
  // argN: the caller's string, not resolved.
  EXPECT_EQ(Rules({"sys/fault+mkdir:arg0=\"rel\""}, {H(), "mkdir", "rel"}, d.path()).code, EPERM);
  EXPECT_EQ(Rules({"sys/fault+mkdir:arg0=\"rel\""}, {H(), "mkdir", d / "rel"}).code, 0);
  EXPECT_EQ(Rules({"sys/fault+mkdir:arg0!=\"" + d / "rel2" + "\":error=EROFS"}, {H(), "mkdir", "rel2"}, d.path()).code,
            EROFS);
  // trace rules take it too.
  EXPECT_EQ(Rules({"sys/trace+mkdir:arg_=\"" + d / "t" + "\":fault=EACCES"}, {H(), "mkdir", d / "t"}).code, EACCES);
}

TEST(Rules, SyscallSubcommandAndErrors) {
  auto r = RunCmd({SydboxBin(), "syscall", "openat", "59", "%net,!bind"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("257 openat"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("59 execve"), std::string::npos);
  EXPECT_NE(r.out.find("42 connect"), std::string::npos);
  EXPECT_EQ(r.out.find("49 bind"), std::string::npos);
  EXPECT_EQ(RunCmd({SydboxBin(), "syscall", "nosuchcall"}).code, 2);
  TempDir d;
  WriteFile(d / "bad.syd-3", "# rules\nsys/allow+read\nsys/fault+write:arg0=O_NOPE\n");
  auto bad = Sydbox({"-c", d / "bad.syd-3", "--", "true"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("bad.syd-3:3:22: unknown constant 'O_NOPE'"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace syd::test
