// A real package build under @paludis: configure and build googletest
// (Debian's /usr/src/googletest) with CMake and make -j2, as Exherbo's
// package manager would, with the build tree allowlisted on the command
// line and the build script adjusting the sandbox through pandora.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

namespace syd::test {
namespace {

TEST(PackageBuild, GoogletestUnderPaludis) {
  if (access("/usr/src/googletest/CMakeLists.txt", R_OK) != 0)
    GTEST_SKIP() << "/usr/src/googletest is missing (Debian package googletest)";
  if (access("/usr/bin/cmake", X_OK) != 0 || access("/usr/bin/make", X_OK) != 0)
    GTEST_SKIP() << "cmake or make is missing";
  TempDir d;
  const std::string build = d / "build";
  const std::string extra = d / "extra";
  mkdir(extra.c_str(), 0755);
  const std::string p = PandoraBin();
  // Inside the build: the sandbox is there and on; a write into the source
  // tree and into /usr is refused; pandora widens the sandbox for a
  // directory that was not allowed, then narrows it again.
  const std::string script =
      "set -u; " + p + " sandbox check || exit 10; " + p + " sandbox enabled_path || exit 11; " +
      "cmake -S /usr/src/googletest -B " + build + " >/dev/null || exit 12; " +
      "make -C " + build + " -j2 >/dev/null || exit 13; " +
      "touch /usr/src/googletest/syd-probe 2>/dev/null && exit 14; " +
      "touch /usr/syd-probe 2>/dev/null && exit 15; " +
      "touch " + extra + "/before 2>/dev/null && exit 16; " +
      p + " sandbox allow_path '" + extra + "/***' || exit 17; " +
      "touch " + extra + "/after || exit 18; " +
      p + " sandbox disallow_path '" + extra + "/***' || exit 19; " +
      "touch " + extra + "/again 2>/dev/null && exit 20; " +
      "exit 0";
  // `extra` is under /tmp, which @paludis allows: deny it after the profile,
  // so pandora's allow_path has to win by being prepended.
  RunResult r = Sydbox({"-p", "paludis", "-m", "allowlist/write+" + build + "/***", "-m",
                        "denylist/write^" + extra + "/***", "--", "sh", "-c", script});
  EXPECT_EQ(r.code, 0) << r.err.substr(0, 4000);
  EXPECT_TRUE(Exists(build + "/lib/libgtest.a") || Exists(build + "/lib/libgtest.so")) << "no libgtest built";
  EXPECT_FALSE(Exists("/usr/src/googletest/syd-probe"));
  EXPECT_FALSE(Exists("/usr/syd-probe"));
  EXPECT_FALSE(Exists(extra + "/before"));
  EXPECT_TRUE(Exists(extra + "/after"));
  EXPECT_FALSE(Exists(extra + "/again"));
  // Exactly the four refused writes were reported.
  EXPECT_EQ(CountLines(r.err, "\"event\":\"violation\""), 4) << r.err.substr(0, 4000);
  EXPECT_NE(r.err.find("\"path\":\"/usr/src/googletest/syd-probe\""), std::string::npos);
  EXPECT_NE(r.err.find("\"rule\":\"default:write\""), std::string::npos);
}

// A profile written only in sys/ rules decides like @paludis: the same
// workload under both gives the same result for every step.
TEST(PackageBuild, SysRulesDecideLikeThePaludisProfile) {
  const std::string h = HelperBin();
  auto workload = [&](const std::string& build) {
    // Each step prints its label and the helper's exit status (its errno).
    std::string s = "set -u; B=" + build + "; H=" + h + "; step() { l=$1; shift; \"$H\" \"$@\" >/dev/null 2>&1; echo \"$l $?\"; }; ";
    s += "mkdir -p $B/src && printf 'int main(void){return 0;}\\n' > $B/src/m.c && cc -o $B/m $B/src/m.c && $B/m; echo \"cc $?\"; ";
    s += "step build-open open-w $B/out; step tmp-open open-w /tmp/syd-mimic-$$; rm -f /tmp/syd-mimic-$$; ";
    s += "step devnull open-w /dev/null; step usr-open open-w /usr/syd-mimic; step etc-mkdir mkdir /etc/syd-mimic; ";
    s += "step build-mkdir mkdir $B/d; step build-rename rename $B/out $B/out2; step cross-rename rename $B/out2 /var/lib/syd-mimic; ";
    s += "step build-symlink symlink /etc/passwd $B/l; step build-chmod chmod $B/out2; step etc-chmod chmod /etc/passwd; ";
    s += "step build-unlink unlink $B/out2; step etc-unlink unlink /etc/syd-mimic-nonexistent; ";
    s += "step access-w access-w /usr/bin/env; step access-r access-r /usr/bin/env; step read-etc open-r /etc/passwd; ";
    s += "step bind-lo net-bind tcp4 127.0.0.1 0; step bind-any net-bind tcp4 0.0.0.0 0; step bind-low net-bind tcp4 127.0.0.1 1000; ";
    s += "step connect-lo net-connect tcp4 127.0.0.1 9; step sendto-lo net-sendto udp4 127.0.0.1 9; ";
    s += "step nscd net-connect unix /var/run/nscd/socket; step abstract net-connect abstract syd-mimic; ";
    s += "step utime-build utimensat $B//m; step truncate-usr truncate /usr/bin/env";
    return s;
  };
  TempDir a, b;
  RunResult profile = Sydbox({"-p", "paludis", "-m", "allowlist/write+" + a.path() + "/***", "--", "sh", "-c",
                              workload(a.path())});
  RunResult rules = Sydbox({"-c", SYD_TEST_DATA "/paludis-sys.syd-3", "-m",
                            "sys/allow^%file_wr:arg_=*\"" + b.path() + "/***\"", "--", "sh", "-c", workload(b.path())});
  EXPECT_EQ(profile.code, rules.code);
  EXPECT_EQ(profile.out, rules.out) << "@paludis:\n" << profile.out << "\nsys/ rules:\n" << rules.out << "\n"
                                    << rules.err.substr(0, 2000);
  // The workload exercised both outcomes.
  EXPECT_NE(profile.out.find("usr-open 1"), std::string::npos) << profile.out;
  EXPECT_NE(profile.out.find("build-open 0"), std::string::npos) << profile.out;
  EXPECT_NE(profile.out.find("cc 0"), std::string::npos) << profile.out << profile.err.substr(0, 2000);
}

TEST(PackageBuild, NoConnectionLeavesTheMachine) {
  // Under @paludis only loopback binds and the nscd/sssd sockets are allowed.
  auto r = Sydbox({"-p", "paludis", "--", HelperBin(), "net-connect", "tcp4", "127.0.0.1", "9"});
  EXPECT_EQ(r.code, EPERM) << r.err;
  auto b = Sydbox({"-p", "paludis", "--", HelperBin(), "net-bind", "tcp4", "127.0.0.1", "0"});
  EXPECT_EQ(b.code, 0) << b.err;
  auto low = Sydbox({"-p", "paludis", "--", HelperBin(), "net-bind", "tcp4", "127.0.0.1", "80"});
  EXPECT_NE(low.code, 0);
}

TEST(Profiles, BundledProfilesLoadAndExpandVariables) {
  for (const char* p : {"@paludis", "@user", "@noipv6"}) {
    RunResult r = RunCmd({SydboxBin(), "check", p});
    EXPECT_EQ(r.code, 0) << p << ": " << r.err;
  }
  TempDir home;
  RunResult user = RunCmd({"/usr/bin/env", "HOME=" + home.path(), SydboxBin(), "--log-format", "json", "-p", "user",
                           "--", "sh", "-c",
                           "touch $HOME/ok; mkdir $HOME/.ssh; cat /etc/shadow; true"});
  EXPECT_EQ(user.code, 0) << user.err;
  EXPECT_TRUE(Exists(home / "ok")) << user.err;
  EXPECT_FALSE(Exists(home / ".ssh")) << user.err;
  EXPECT_NE(user.err.find("\"path\":\"" + home / ".ssh" + "\""), std::string::npos) << user.err;
  EXPECT_NE(user.err.find("\"path\":\"/etc/shadow\""), std::string::npos) << user.err;
  RunResult unset = RunCmd({"/usr/bin/env", "-u", "HOME", SydboxBin(), "-p", "user", "--", "true"});
  EXPECT_EQ(unset.code, 2);
  EXPECT_NE(unset.err.find("HOME is not set"), std::string::npos) << unset.err;
  RunResult v6 = Sydbox({"-p", "user", "-p", "noipv6", "--", HelperBin(), "net-connect", "tcp6", "::1", "9"});
  EXPECT_EQ(v6.code, EPERM) << v6.err;
}

// The esandbox verbs as Paludis's own esandbox sends them during a build:
// stat("/dev/sydbox/whitelist/write+DIR") with a bare directory (legacy
// list name, '+'), allow_net with an address, and pandora's allow_path with
// a bare directory. Under @paludis a bare directory covers its tree, as in
// sydbox-1's Paludis profile (a newcomer found writes below it refused).
TEST(PackageBuild, EsandboxAsPaludisSendsIt) {
  if (access("/usr/bin/make", X_OK) != 0) GTEST_SKIP() << "make is missing";
  TempDir t;
  int srv = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(srv, reinterpret_cast<sockaddr*>(&in), sizeof in), 0);
  listen(srv, 4);
  socklen_t len = sizeof in;
  getsockname(srv, reinterpret_cast<sockaddr*>(&in), &len);
  const std::string port = std::to_string(ntohs(in.sin_port));
  const std::string d = t / "d", e = t / "e";
  WriteFile(t / "Makefile",
            "all:\n"
            "\ttest -e /dev/sydbox\n"
            "\ttest -e '/dev/sydbox/whitelist/write+" + d + "'\n"
            "\tmkdir -p " + d + "/sub/deeper && echo built > " + d + "/sub/deeper/out\n"
            "\t" + PandoraBin() + " sandbox allow_path " + e + "\n"
            "\tmkdir -p " + e + "/a/b && echo x > " + e + "/a/b/c\n"
            "\ttest -e '/dev/sydbox/whitelist/network/connect+inet:127.0.0.1@" + port + "'\n"
            "\t" + HelperBin() + " net-connect tcp4 127.0.0.1 " + port + "\n");
  // The test directory is under /tmp, which @paludis allows: take that away
  // so only what the build asks for is allowed.
  RunResult r = Sydbox({"-p", "paludis", "-m", "allowlist/write-/tmp/***", "--", "make", "-s", "-C", t.path()});
  close(srv);
  EXPECT_EQ(r.code, 0) << r.out << r.err.substr(0, 4000);
  EXPECT_EQ(ReadFile(d + "/sub/deeper/out"), "built\n");
  EXPECT_TRUE(Exists(e + "/a/b/c"));
  EXPECT_EQ(CountLines(r.err, "\"event\":\"violation\""), 0) << r.err.substr(0, 4000);
}

}  // namespace
}  // namespace syd::test
