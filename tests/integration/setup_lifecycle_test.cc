// The process-setup options that change where and how long the command
// lives: -R/--pivot-root, --unshare-pid, -D tmp, --background and
// --allow-daemonize. Each is checked from inside the command, with the
// sandbox still enforced (a denied write fails with EPERM), and a failing
// step stops sydbox with status 2 before anything runs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace syd::test {
namespace {

bool Root() { return geteuid() == 0; }
bool Has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

// Write sandboxing on, /dev/null and `writable` (when given) allowed.
std::vector<std::string> Sandbox(const std::string& writable = "") {
  std::vector<std::string> a = {"-m", "core/sandbox/write:deny", "-m", "allowlist/write+/dev/null"};
  if (!writable.empty()) a.insert(a.end(), {"-m", "allowlist/write+" + writable + "/***"});
  return a;
}

RunResult Boxed(std::vector<std::string> args, const std::vector<std::string>& opts, const std::vector<std::string>& cmd) {
  args.insert(args.end(), opts.begin(), opts.end());
  args.push_back("--");
  args.insert(args.end(), cmd.begin(), cmd.end());
  return Sydbox(args);
}

// A root holding /bin/sh, what it loads, /marker and an empty /oldroot.
std::string MakeRoot(const TempDir& d) {
  const std::string root = d / "root";
  RunResult ldd = RunCmd({"/bin/sh", "-c", "ldd /bin/sh | grep -o '/[^ ]*'"});
  EXPECT_EQ(ldd.code, 0) << ldd.err;
  std::string files = "/bin/sh\n" + ldd.out;
  for (size_t at = 0, nl; (nl = files.find('\n', at)) != std::string::npos; at = nl + 1) {
    const std::string f = files.substr(at, nl - at);
    if (f.empty()) continue;
    EXPECT_EQ(RunCmd({"/bin/sh", "-c", "mkdir -p \"" + root + "$(dirname " + f + ")\" && cp -L " + f + " \"" + root + f + "\""}).code, 0) << f;
  }
  WriteFile(root + "/marker", "inside\n");
  mkdir((root + "/oldroot").c_str(), 0755);
  return root;
}

TEST(PivotRoot, NewRootWithTheOldOneInsideIt) {
  TempDir d;
  const std::string root = MakeRoot(d);
  WriteFile(d / "outside", "outside\n");
  std::vector<std::string> opts = {"-R", root + ":/oldroot"};
  if (!Root()) opts.insert(opts.begin(), "--unshare-user");  // CAP_SYS_ADMIN over a mount namespace of its own
  RunResult r = Boxed(Sandbox(), opts,
                    {"/bin/sh", "-c",
                     "read x < /marker; echo $x; read y < /oldroot" + d.path() + "/outside; echo $y; echo \"$PWD\"; "
                     "(: > /denied) 2>/dev/null || echo denied"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "inside\noutside\n/\ndenied\n") << r.err;
  EXPECT_FALSE(Exists(root + "/denied"));
  // Nothing moved outside.
  EXPECT_TRUE(Exists("/etc/passwd"));
}

TEST(PivotRoot, FailuresStopBeforeTheCommand) {
  TempDir d;
  const std::string root = MakeRoot(d);
  std::vector<std::string> ns;
  if (!Root()) ns.push_back("--unshare-user");
  const std::string ran = d / "ran";
  auto run = [&](std::vector<std::string> opts) {
    opts.insert(opts.begin(), ns.begin(), ns.end());
    return Boxed(Sandbox(d.path()), opts, {"/bin/sh", "-c", ": > " + ran});
  };
  RunResult missing = run({"-R", root + ":/nowhere"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_TRUE(Has(missing.err, "process setup failed, the command did not start: --pivot-root " + root +
                                   ":/nowhere: No such file or directory"))
      << missing.err;
  RunResult relative = run({"-R", "root:/oldroot"});
  EXPECT_EQ(relative.code, 2);
  EXPECT_TRUE(Has(relative.err, "give NEW as an absolute path")) << relative.err;
  RunResult both = run({"-R", root + ":/oldroot", "-C", root});
  EXPECT_EQ(both.code, 2);
  EXPECT_TRUE(Has(both.err, "--chroot and --pivot-root exclude each other")) << both.err;
  EXPECT_FALSE(Exists(ran));
}

TEST(UnsharePid, CommandIsPidOneAndSupervisionGoesOn) {
  TempDir d;
  std::vector<std::string> opts = {"--unshare-pid"};
  if (!Root()) opts = {"--unshare-user", "--unshare-pid", "--unshare-mount"};
  char outside[64] = {};
  ASSERT_GT(readlink("/proc/self/ns/pid", outside, sizeof outside - 1), 0);
  // pid 1; a /proc of the namespace (only its processes); a job killed
  // by its pid inside; a denied write from a grandchild.
  RunResult r = Boxed(Sandbox(d.path()), opts,
                    {"/bin/sh", "-c",
                     "echo pid=$$; readlink /proc/self/ns/pid; ls /proc | grep -c '^[0-9]'; "
                     "sleep 30 & kill $!; wait $!; echo killed=$?; "
                     "/bin/sh -c ': > " + d.path() + "-denied' 2>/dev/null || echo denied; : > " + (d / "ok") +
                         "; echo wrote"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "pid=1\n")) << r.out;
  EXPECT_FALSE(Has(r.out, std::string(outside) + "\n")) << "the pid namespace was not new\n" << r.out;
  // sh, ls and grep (and perhaps the reaped sleep's slot): a handful.
  const size_t at = r.out.find("\n", r.out.find("pid:["));
  ASSERT_NE(at, std::string::npos) << r.out;
  EXPECT_LE(std::stoi(r.out.substr(at + 1)), 4) << r.out;
  EXPECT_TRUE(Has(r.out, "killed=143\n")) << r.out;
  EXPECT_TRUE(Has(r.out, "denied\nwrote\n")) << r.out;
  EXPECT_FALSE(Exists(d.path() + "-denied"));
  EXPECT_TRUE(Exists(d / "ok"));
  EXPECT_TRUE(Has(r.err, d.path() + "-denied")) << "no violation report\n" << r.err;
}

// The command is pid 1: the kernel drops a signal it has no handler for,
// so sydbox's forwarded SIGTERM ends it the way the signal would (SIGKILL),
// and one it catches reaches its handler.
TEST(UnsharePid, ForwardedSignalsStillEndTheCommand) {
  TempDir d;
  const std::string ns = Root() ? "--unshare-pid" : "--unshare-user --unshare-pid";
  auto run = [&](const std::string& script) {
    const std::string ready = d / "ready";
    unlink(ready.c_str());
    const std::string sh =
        "'" + SydboxBin() + "' -m core/sandbox/write:deny -m 'allowlist/write+" + d.path() + "/***' " + ns +
        " -- /bin/sh -c '" + script + "' 2>/dev/null & s=$!; i=0; while [ ! -e " + ready +
        " ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; kill -TERM $s; wait $s; echo status=$?";
    const auto t0 = std::chrono::steady_clock::now();
    RunResult r = RunCmd({"/bin/sh", "-c", sh});
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(4)) << script;
    return r.out;
  };
  EXPECT_EQ(run(": > " + (d / "ready") + "; exec sleep 6"), "status=137\n");
  EXPECT_EQ(run("trap \"echo caught; exit 3\" TERM; : > " + (d / "ready") + "; while :; do sleep 0.1; done"),
            "caught\nstatus=3\n");
}

TEST(UnsharePid, UnprivilegedWithoutUserNamespaceFails) {
  if (Root()) GTEST_SKIP() << "root may create a pid namespace";
  TempDir d;
  RunResult r = Boxed(Sandbox(d.path()), {"--unshare-pid"}, {"/bin/sh", "-c", ": > " + (d / "ran")});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(Has(r.err, "process setup failed, the command did not start: --unshare-pid: Operation not permitted"))
      << r.err;
  EXPECT_FALSE(Exists(d / "ran"));
}

TEST(ChdirTmp, FreshPrivateWritableAndRemoved) {
  TempDir d, tmp;
  chmod(tmp.path().c_str(), 0777);
  WriteFile(d / "keep", "keep\n");
  setenv("TMPDIR", tmp.path().c_str(), 1);
  std::vector<std::string> opts = {"-D", "tmp"};
  if (Root()) opts.insert(opts.end(), {"-u", "65534", "-g", "65534"});  // the directory is the command's
  RunResult r = Boxed(Sandbox(), opts,
                    {"/bin/sh", "-c",
                     "echo \"$PWD\"; stat -c %a .; echo x > f; mkdir -p a/b && echo y > a/b/g; chmod 500 a; "
                     "ln -s " + d.path() + " link; ls; (: > " + (d / "denied") + ") 2>/dev/null || echo denied"});
  unsetenv("TMPDIR");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, tmp.path() + "/sydbox-tmp.")) << r.out;
  EXPECT_TRUE(Has(r.out, "\n700\na\nf\nlink\ndenied\n")) << r.out << r.err;
  // Removed, and the link was not followed.
  RunResult left = RunCmd({"/bin/ls", "-A", tmp.path()});
  EXPECT_EQ(left.out, "") << "left behind: " << left.out;
  EXPECT_EQ(ReadFile(d / "keep"), "keep\n");
  EXPECT_FALSE(Exists(d / "denied"));
}

// Its allowlist entry is sydbox's: no warning about an entry that has no
// effect while write sandboxing is off.
TEST(ChdirTmp, NoWarningWithoutWriteSandboxing) {
  RunResult r = Sydbox({"-D", "tmp", "--", "/bin/sh", "-c", "pwd"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "/sydbox-tmp.")) << r.out;
  EXPECT_FALSE(Has(r.err, "entry for write")) << r.err;
}

TEST(ChdirTmp, NotWithANewRoot) {
  TempDir d;
  RunResult r = Boxed(Sandbox(), {"-D", "tmp", "-C", d.path()}, {"/bin/true"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(Has(r.err, "-D tmp cannot be used with --chroot or --pivot-root")) << r.err;
}

TEST(Background, ReturnsOnceTheCommandStarted) {
  TempDir d;
  const std::string cmd = "'" + SydboxBin() + "' -m core/sandbox/write:deny -m 'allowlist/write+" + d.path() +
                          "/***' --background -- /bin/sh -c 'sleep 1; echo done > " + (d / "out") + "; : > " +
                          d.path() + "-denied' >/dev/null 2>" + (d / "log") + "; echo status=$?";
  const auto t0 = std::chrono::steady_clock::now();
  RunResult r = RunCmd({"/bin/sh", "-c", cmd});
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.out, "status=0\n") << r.err;
  EXPECT_LT(took, std::chrono::milliseconds(900)) << "sydbox waited for the command";
  EXPECT_FALSE(Exists(d / "out")) << "returned only after the command ended";
  for (int i = 0; i < 100 && !Has(ReadFile(d / "log"), "-denied"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(ReadFile(d / "out"), "done\n");
  EXPECT_FALSE(Exists(d.path() + "-denied"));
  EXPECT_TRUE(Has(ReadFile(d / "log"), d.path() + "-denied")) << "the background sydbox reported nothing";
  // The background sydbox removes a -D tmp directory when the command ends.
  TempDir tmp;
  RunResult t = RunCmd({"/bin/sh", "-c",
                        "TMPDIR='" + tmp.path() + "' '" + SydboxBin() +
                            "' -m core/sandbox/write:deny --background -D tmp -- /bin/sh -c 'echo x > f; sleep 0.3' "
                            ">/dev/null 2>&1; ls " + tmp.path() + "; echo status=$?"});
  EXPECT_TRUE(Has(t.out, "sydbox-tmp.")) << "not there while the command runs: " << t.out;
  for (int i = 0; i < 100 && !RunCmd({"/bin/ls", "-A", tmp.path()}).out.empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(RunCmd({"/bin/ls", "-A", tmp.path()}).out, "") << "the background sydbox left its -D tmp";
  // A failing setup is still status 2, and nothing runs.
  RunResult bad = RunCmd({"/bin/sh", "-c",
                          "'" + SydboxBin() + "' -m core/sandbox/write:deny --background -D /nonexistent-dir -- "
                          "/bin/sh -c ': > " + (d / "ran") + "' 2>&1; echo status=$?"});
  EXPECT_TRUE(Has(bad.out, "--chdir /nonexistent-dir: No such file or directory")) << bad.out;
  EXPECT_TRUE(Has(bad.out, "status=2\n")) << bad.out;
  EXPECT_FALSE(Exists(d / "ran"));
}

// The command's parent-death signal, read by syd-setup from inside; and
// what it means: a killed sydbox takes the command with it, or not.
TEST(AllowDaemonize, ParentDeathSignal) {
  TempDir d;
  RunResult def = Boxed(Sandbox(), {}, {Helper("syd-setup")});
  RunResult allow = Boxed(Sandbox(), {"--allow-daemonize"}, {Helper("syd-setup")});
  EXPECT_TRUE(Has(def.out, "pdeathsig=9 ")) << def.out << def.err;
  EXPECT_TRUE(Has(allow.out, "pdeathsig=0 ")) << allow.out << allow.err;
  auto survives = [&](const std::string& opt) {
    const std::string pidfile = d / ("pid" + opt);
    const std::string script =
        "'" + SydboxBin() + "' -m core/sandbox/write:deny -m 'allowlist/write+" + d.path() + "/***' " + opt +
        " -- /bin/sh -c 'echo $$ > " + pidfile + "; exec sleep 30' >/dev/null 2>&1 & s=$!; "
        "i=0; while [ ! -s " + pidfile + " ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; "
        "kill -9 $s; wait $s; sleep 0.3; p=$(cat " + pidfile + "); "
        "st=$(cut -d' ' -f3 /proc/$p/stat 2>/dev/null); "  // a zombie (Z) no one reaped yet is dead
        "if [ -n \"$st\" ] && [ \"$st\" != Z ]; then echo alive; kill -9 $p; else echo dead; fi";
    return RunCmd({"/bin/sh", "-c", script}).out;
  };
  EXPECT_EQ(survives(""), "dead\n");
  EXPECT_EQ(survives("--allow-daemonize"), "alive\n");
}

}  // namespace
}  // namespace syd::test
