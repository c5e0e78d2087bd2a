// Process setup (-C, -D, -E, -u, -g, -G, --umask, --nice, --ionice,
// --unshare-*, --close-fds, --stdout/--stderr, --alias, rlimit/...): each
// checked from inside the command, with the sandbox still enforced (a
// denied write still fails with EPERM), and each failing step reported
// with exit 2 before the command starts.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "harness.h"

namespace syd::test {
namespace {

bool Root() { return geteuid() == 0; }
bool Has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

// sydbox with write sandboxing (only D and /dev/null writable), the
// options, then sh -c SCRIPT; the script ends by trying a denied write.
RunResult Started(const TempDir& d, std::vector<std::string> opts, const std::string& script) {
  std::vector<std::string> args = {"-m", "core/sandbox/write:deny", "-m", "allowlist/write+" + d.path() + "/***",
                                   "-m", "allowlist/write+/dev/null"};
  args.insert(args.end(), opts.begin(), opts.end());
  const std::string denied = d.path() + "-denied";
  args.insert(args.end(), {"--", "/bin/sh", "-c", script + "; (: > " + denied + ") 2>/dev/null && echo WROTE-DENIED; true"});
  RunResult r = Sydbox(args);
  EXPECT_FALSE(Exists(denied)) << "the sandbox let a denied write through\n" << r.out << r.err;
  EXPECT_FALSE(Has(r.out, "WROTE-DENIED"));
  return r;
}

std::string StatusField(const std::string& status, const std::string& field) {
  size_t at = status.find(field + ":\t");
  if (at == std::string::npos) return "";
  size_t end = status.find('\n', at);
  return status.substr(at + field.size() + 2, end - at - field.size() - 2);
}

TEST(ProcessSetup, ChdirEnvUmaskAlias) {
  TempDir d;
  setenv("SYD_SETUP_GONE", "x", 1);
  RunResult r = Started(d, {"-D", d.path(), "-E", "SYD_SETUP_NEW=v a l", "-E", "SYD_SETUP_GONE", "--umask", "027",
                          "--alias", "myname"},
                      "pwd; echo \"new=$SYD_SETUP_NEW gone=${SYD_SETUP_GONE-unset} argv0=$0\"; : > f; umask");
  unsetenv("SYD_SETUP_GONE");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, d.path() + "\nnew=v a l gone=unset argv0=myname\n0027\n") << r.err;
  struct stat st;
  ASSERT_EQ(stat((d / "f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST(ProcessSetup, NiceIoniceAndLimits) {
  TempDir d;
  RunResult r = Started(d,
                      {"--nice", "7", "--ionice", "idle", "-m", "rlimit/nofile:77", "-m", "rlimit/fsize:1M", "-m",
                       "rlimit/cpu:unlimited", "-m", "rlimit/core:0"},
                      "cut -d' ' -f19 /proc/self/stat; grep -E '^Max (open files|file size|cpu time|core)' "
                      "/proc/self/limits | tr -s ' '");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "7\n")) << r.out;
  EXPECT_TRUE(Has(r.out, "Max cpu time unlimited unlimited seconds")) << r.out;
  EXPECT_TRUE(Has(r.out, "Max file size 1048576 1048576 bytes")) << r.out;
  EXPECT_TRUE(Has(r.out, "Max core file size 0 0 bytes")) << r.out;
  EXPECT_TRUE(Has(r.out, "Max open files 77 77 files")) << r.out;
  // The I/O class, read back by ionice(1) (ioprio_get).
  RunResult io = Sydbox({"--ionice", "best-effort:3", "-m", "core/sandbox/write:deny", "--", "/bin/sh", "-c",
                         "ionice -p $$"});
  EXPECT_EQ(io.code, 0) << io.err;
  EXPECT_EQ(io.out, "best-effort: prio 3\n") << io.err;
  RunResult idle = Sydbox({"--ionice", "idle", "-m", "core/sandbox/write:deny", "--", "/bin/sh", "-c", "ionice -p $$"});
  EXPECT_EQ(idle.out, "idle\n") << idle.err;
}

TEST(ProcessSetup, StdoutStderrAndCloseFds) {
  TempDir d;
  RunResult r = Started(d, {"--stdout", d / "out", "--stderr", d / "err"}, "echo to-out; echo to-err >&2");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ReadFile(d / "out"), "to-out\n");
  EXPECT_TRUE(Has(ReadFile(d / "err"), "to-err\n"));
  // Descriptors 101..105 given to sydbox are closed in the command, 100
  // and 106 stay.
  std::vector<int> fds;
  for (int i = 100; i <= 106; ++i) {
    int fd = open("/dev/null", O_RDONLY);
    ASSERT_GE(dup2(fd, i), 0);
    close(fd);
    fds.push_back(i);
  }
  RunResult c = Sydbox({"--close-fds", "101:105", "-m", "core/sandbox/write:deny", "--", "/bin/sh", "-c",
                        "for fd in 100 101 105 106; do [ -e /proc/self/fd/$fd ] && echo open $fd; done; true"});
  RunResult all = Sydbox({"--close-fds", "101:", "-m", "core/sandbox/write:deny", "--", "/bin/sh", "-c",
                          "for fd in 100 101 105 106; do [ -e /proc/self/fd/$fd ] && echo open $fd; done; true"});
  for (int fd : fds) close(fd);
  EXPECT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(c.out, "open 100\nopen 106\n") << c.err;
  EXPECT_EQ(all.out, "open 100\n") << all.err;
}

TEST(ProcessSetup, IdsAndCapabilities) {
  if (!Root()) {
    // Unprivileged, changing ids needs a user namespace: without one the
    // step fails and nothing runs.
    RunResult r = Sydbox({"-u", "0", "-m", "core/sandbox/write:deny", "--", "/bin/true"});
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(Has(r.err, "sydbox: process setup failed, the command did not start: ")) << r.err;
    return;
  }
  TempDir d;
  chmod(d.path().c_str(), 0777);
  RunResult r = Started(d, {"-u", "65534", "-g", "65534", "-G", "100", "-G", "20"},
                      "grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(StatusField(r.out, "Uid"), "65534\t65534\t65534\t65534");
  EXPECT_EQ(StatusField(r.out, "Gid"), "65534\t65534\t65534\t65534");
  EXPECT_EQ(StatusField(r.out, "Groups"), "20 100 ");
  for (const char* cap : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
    EXPECT_EQ(StatusField(r.out, cap), "0000000000000000") << cap;
  EXPECT_EQ(StatusField(r.out, "NoNewPrivs"), "1");
  // Names work as numbers do.
  RunResult n = Sydbox({"-u", "nobody", "-g", "nogroup", "-m", "core/sandbox/write:deny", "--", "/usr/bin/id", "-u"});
  EXPECT_EQ(n.out, "65534\n") << n.err;
}

TEST(ProcessSetup, Namespaces) {
  TempDir d;
  std::vector<std::string> opts = {"--unshare-net", "--unshare-uts", "--unshare-ipc", "--unshare-mount",
                                   "--unshare-cgroup", "--unshare-time"};
  if (!Root()) opts.insert(opts.begin(), "--unshare-user");
  RunResult r = Started(d, opts,
                      "for n in net uts ipc mnt cgroup time user; do echo $n $(readlink /proc/self/ns/$n); done; "
                      "cat /sys/class/net/lo/flags");
  EXPECT_EQ(r.code, 0) << r.err;
  for (const char* ns : {"net", "uts", "ipc", "mnt", "cgroup", "time"}) {
    char outside[64] = {};
    ssize_t k = readlink((std::string("/proc/self/ns/") + ns).c_str(), outside, sizeof outside - 1);
    ASSERT_GT(k, 0);
    EXPECT_TRUE(Has(r.out, std::string(ns) + " ")) << r.out;
    EXPECT_FALSE(Has(r.out, std::string(ns) + " " + outside + "\n")) << ns << " was not unshared\n" << r.out;
  }
  // lo is up (IFF_UP, 0x1) in the new network namespace.
  size_t flags = r.out.rfind("0x");
  ASSERT_NE(flags, std::string::npos) << r.out;
  EXPECT_EQ(std::stoul(r.out.substr(flags), nullptr, 16) & 1, 1u) << r.out;
}

TEST(ProcessSetup, UnprivilegedUserNamespaceMapsIds) {
  // As root, run the check as uid 65534 (a user namespace is what an
  // unprivileged user gets); unprivileged, as is.
  TempDir d;
  chmod(d.path().c_str(), 0777);
  std::vector<std::string> opts = {"--unshare-user", "-u", "0", "-g", "0"};
  RunResult r = Started(d, opts, "id -u; id -g; cat /proc/self/uid_map | tr -s ' '; grep CapEff /proc/self/status");
  EXPECT_EQ(r.code, 0) << r.err;
  const std::string outer = std::to_string(geteuid());
  EXPECT_TRUE(Has(r.out, "0\n0\n 0 " + outer + " 1\n")) << r.out;
  EXPECT_TRUE(Has(r.out, "CapEff:\t0000000000000000")) << r.out;
}

// A new root holding /bin/sh and the libraries it loads (copied as ldd
// lists them) and a marker: the command sees that tree as /.
TEST(ProcessSetup, Chroot) {
  if (!Root()) GTEST_SKIP() << "chroot needs CAP_SYS_CHROOT, which uid " << geteuid() << " has not";
  TempDir d;
  const std::string root = d / "root";
  RunResult ldd = RunCmd({"/bin/sh", "-c", "ldd /bin/sh | grep -o '/[^ ]*'"});
  ASSERT_EQ(ldd.code, 0) << ldd.err;
  std::string files = "/bin/sh\n" + ldd.out;
  for (size_t at = 0, nl; (nl = files.find('\n', at)) != std::string::npos; at = nl + 1) {
    const std::string f = files.substr(at, nl - at);
    if (f.empty()) continue;
    ASSERT_EQ(RunCmd({"/bin/sh", "-c", "mkdir -p \"" + root + "$(dirname " + f + ")\" && cp -L " + f + " \"" + root + f + "\""}).code, 0) << f;
  }
  WriteFile(root + "/marker", "inside\n");
  mkdir((root + "/work").c_str(), 0755);
  RunResult r = Sydbox({"-C", root, "-D", "/work", "-m", "core/sandbox/write:deny", "--", "/bin/sh", "-c",
                        "read x < /marker; echo $x; [ -e /etc/passwd ] || echo no-passwd; echo \"$PWD\"; : > /denied"});
  EXPECT_EQ(r.out, "inside\nno-passwd\n/work\n") << r.err;
  EXPECT_NE(r.code, 0) << "a denied write inside the new root went through";
  EXPECT_FALSE(Exists(root + "/denied"));
}

TEST(ProcessSetup, EachFailingStepIsNamedAndNothingRuns) {
  TempDir d;
  const std::string ran = d / "ran";
  auto run = [&](std::vector<std::string> opts) {
    std::vector<std::string> args = {"-m", "core/sandbox/write:deny", "-m", "allowlist/write+" + d.path() + "/***"};
    args.insert(args.end(), opts.begin(), opts.end());
    args.insert(args.end(), {"--", "/bin/sh", "-c", ": > " + ran});
    return Sydbox(args);
  };
  struct Case {
    std::vector<std::string> opts;
    std::string message;
  };
  std::vector<Case> cases = {
      {{"-D", d / "missing"}, "sydbox: process setup failed, the command did not start: --chdir " + d / "missing" +
                                   ": No such file or directory"},
      {{"-C", d / "missing"}, "--chroot " + d / "missing"},
      {{"--stdout", d / "missing/out"}, "--stdout " + d / "missing/out"},
      {{"-m", "rlimit/nofile:99999999999"}, "rlimit/nofile"},
      {{"--nice", "40"}, "sydbox: --nice 40: want -20 to 19"},
      {{"--ionice", "fast"}, "unknown class 'fast'"},
      {{"--umask", "999"}, "--umask '999'"},
      {{"--close-fds", "1:4"}, "0, 1 and 2 stay open"},
      {{"-u", "no-such-user-x"}, "--uid 'no-such-user-x': no such user"},
      {{"-m", "rlimit/nofiles:3"}, "unknown option 'rlimit/nofiles' (did you mean 'rlimit/nofile'?)"},
      {{"-m", "rlimit/as:lots"}, "bad value 'lots' for rlimit/as"},
  };
  for (const Case& c : cases) {
    RunResult r = run(c.opts);
    EXPECT_EQ(r.code, 2) << c.opts[0] << "\n" << r.err;
    EXPECT_TRUE(Has(r.err, c.message)) << c.opts[0] << ": want '" << c.message << "'\n" << r.err;
    EXPECT_FALSE(Exists(ran)) << c.opts[0] << ": the command ran";
  }
}

// rlimit/ settings take effect when the command starts: at run time they
// are refused, not silently kept.
TEST(ProcessSetup, RlimitsCannotChangeAtRunTime) {
  RunResult r = Sydbox({"-m", "core/sandbox/write:deny", "--", "/bin/sh", "-c",
                        "test -e /dev/sydbox/rlimit/nofile:10 && echo accepted || echo refused"});
  EXPECT_EQ(r.out, "refused\n") << r.err;
  EXPECT_TRUE(Has(r.err, "rlimit/nofile takes effect when the command starts")) << r.err;
}

}  // namespace
}  // namespace syd::test
