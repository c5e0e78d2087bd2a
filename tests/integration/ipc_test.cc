// Issue 12, items 3 and 4: the control socket (--ipc PATH, sydbox ctl,
// pandora sandbox with SYDBOX_IPC) and runtime changes that take effect
// for every category from `off`, through every channel: magic stat,
// pandora sandbox (esandbox) and the socket.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace syd::test {
namespace {

// A sydbox left running in the background, output in files.
class Background {
 public:
  Background(const std::vector<std::string>& argv, const TempDir& dir) : out_(dir / "bg.out"), err_(dir / "bg.err") {
    pid_ = fork();
    if (pid_ == 0) {
      int in = open("/dev/null", O_RDONLY);
      int o = open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(in, 0);
      dup2(o, 1);
      dup2(e, 2);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~Background() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::string out() const { return ReadFile(out_); }
  std::string err() const { return ReadFile(err_); }

 private:
  pid_t pid_ = -1;
  std::string out_, err_;
};

bool WaitFor(const std::string& path) {
  for (int i = 0; i < 400; ++i) {
    if (Exists(path)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

// A raw client of the socket, to hold connections open side by side.
class Conn {
 public:
  explicit Conn(const std::string& path) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    ok_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Conn() { close(fd_); }
  bool ok() const { return ok_; }
  void Send(const std::string& bytes) { ASSERT_EQ(write(fd_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size())); }
  std::string Line() {
    for (;;) {
      size_t nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string l = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return l;
      }
      char b[4096];
      ssize_t n = read(fd_, b, sizeof b);
      if (n <= 0) return "<closed>";
      buf_.append(b, static_cast<size_t>(n));
    }
  }
  std::string Ask(const std::string& cmd) {
    Send(cmd + "\n");
    return Line();
  }

 private:
  int fd_ = -1;
  bool ok_ = false;
  std::string buf_;
};

// The sandbox waits for `go` before it runs `then` (bash: its builtins
// open, stat and connect by themselves, so nothing after the change needs
// a library loaded).
std::vector<std::string> WaitThen(const TempDir& d, const std::string& then) {
  return {"/bin/bash", "-c", "while [ ! -e " + d / "go" + " ]; do sleep 0.02; done; " + then};
}

TEST(ControlSocket, TwoClientsMalformedLinesAndCleanup) {
  TempDir d;
  const std::string sock = d / "ctl.sock";
  std::vector<std::string> argv = {SydboxBin(), "--ipc", sock, "--"};
  for (const auto& a : WaitThen(d, "echo done")) argv.push_back(a);
  Background bg(argv, d);
  ASSERT_TRUE(WaitFor(sock)) << bg.err();
  struct stat st{};
  ASSERT_EQ(lstat(sock.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  {
    Conn a(sock), b(sock);
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(a.Ask("core/sandbox/write?"), "FALSE");
    EXPECT_EQ(b.Ask("core/sandbox/write:deny"), "OK");
    EXPECT_EQ(a.Ask("core/sandbox/write?"), "TRUE");
    // Malformed lines: ERR, and the connection goes on.
    EXPECT_EQ(a.Ask("no such thing").rfind("ERR EINVAL ", 0), 0u);
    EXPECT_EQ(a.Ask("core/sandbox/write:sideways").rfind("ERR EINVAL ", 0), 0u);
    EXPECT_EQ(a.Ask("").rfind("ERR EINVAL ", 0), 0u);
    EXPECT_EQ(a.Ask(std::string(20000, 'x')).rfind("ERR ENAMETOOLONG ", 0), 0u);
    // A change the kernel program decides cannot be made.
    EXPECT_EQ(a.Ask("core/restrict/namespaces:false").rfind("ERR EINVAL ", 0), 0u);
    // Two commands in one write, and a CRLF line.
    a.Send("allowlist/write+/x/***\r\nallowlist/write?/x/***\n");
    EXPECT_EQ(a.Line(), "OK");
    EXPECT_EQ(a.Line(), "TRUE");
    EXPECT_EQ(b.Ask("core/sandbox/write:off"), "OK");
  }
  // sydbox ctl: each reply printed, exit status from the replies.
  RunResult r = RunCmd({SydboxBin(), "ctl", sock, "core/sandbox/read?", "core/sandbox/write:deny", "core/sandbox/write?"});
  EXPECT_EQ(r.code, 1) << r.err;  // the first query is FALSE
  EXPECT_EQ(r.out, "FALSE\nOK\nTRUE\n");
  r = RunCmd({SydboxBin(), "ctl", sock, "bogus/key:1", "core/sandbox/read:deny"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out.rfind("ERR EINVAL", 0), 0u) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << "nothing is sent after an ERR: " << r.out;
  r = RunCmd({SydboxBin(), "ctl", sock, "core/sandbox/read?"});
  EXPECT_EQ(r.out, "FALSE\n");
  WriteFile(d / "go", "");
  EXPECT_EQ(bg.Wait(), 0) << bg.err();
  EXPECT_FALSE(Exists(sock)) << "the socket file is removed at exit";
  r = RunCmd({SydboxBin(), "ctl", sock, "core/sandbox/read?"});
  EXPECT_EQ(r.code, 2);
}

TEST(ControlSocket, LockClosesTheDoor) {
  TempDir d;
  const std::string sock = d / "ctl.sock";
  std::vector<std::string> argv = {SydboxBin(), "--ipc", sock, "--"};
  for (const auto& a : WaitThen(d, "test -e /dev/sydbox && echo present || echo absent")) argv.push_back(a);
  Background bg(argv, d);
  ASSERT_TRUE(WaitFor(sock)) << bg.err();
  Conn a(sock);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.Ask("core/trace/magic_lock:exec").rfind("ERR EINVAL ", 0), 0u);
  EXPECT_EQ(a.Ask("core/trace/magic_lock:on"), "OK");
  // Changes and queries alike, on this connection and on new ones.
  EXPECT_EQ(a.Ask("core/sandbox/write:deny"), "ERR EPERM runtime configuration is locked");
  EXPECT_EQ(a.Ask("core/sandbox/write?"), "ERR EPERM runtime configuration is locked");
  RunResult r = RunCmd({SydboxBin(), "ctl", sock, "core/sandbox/read?"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "ERR EPERM runtime configuration is locked\n");
  // And magic stat answers as locked inside.
  WriteFile(d / "go", "");
  EXPECT_EQ(bg.Wait(), 0) << bg.err();
  EXPECT_EQ(bg.out(), "absent\n");
}

TEST(ControlSocket, LockedFromTheStart) {
  TempDir d;
  const std::string sock = d / "ctl.sock";
  std::vector<std::string> argv = {SydboxBin(), "-l", "--ipc", sock, "--"};
  for (const auto& a : WaitThen(d, "true")) argv.push_back(a);
  Background bg(argv, d);
  ASSERT_TRUE(WaitFor(sock)) << bg.err();
  RunResult r = RunCmd({SydboxBin(), "ctl", sock, "core/sandbox/write?"});
  EXPECT_EQ(r.out, "ERR EPERM runtime configuration is locked\n");
  WriteFile(d / "go", "");
  EXPECT_EQ(bg.Wait(), 0) << bg.err();
}

TEST(ControlSocket, AnotherUserIsRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (to connect as another uid with setpriv)";
  TempDir d;
  chmod(d.path().c_str(), 0755);
  const std::string sock = d / "ctl.sock";
  std::vector<std::string> argv = {SydboxBin(), "--ipc", sock, "--"};
  for (const auto& a : WaitThen(d, "true")) argv.push_back(a);
  Background bg(argv, d);
  ASSERT_TRUE(WaitFor(sock)) << bg.err();
  const std::vector<std::string> as_nobody = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
  auto ctl = [&](const std::string& cmd) {
    std::vector<std::string> v = as_nobody;
    for (const std::string& a : {SydboxBin(), std::string("ctl"), sock, cmd}) v.push_back(a);
    return RunCmd(v);
  };
  // Mode 0600: the file system refuses the connection already.
  RunResult r = ctl("core/sandbox/write:deny");
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  // Opened to everyone: sydbox itself refuses the peer, and says so.
  ASSERT_EQ(chmod(sock.c_str(), 0666), 0);
  r = ctl("core/sandbox/write:deny");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_EQ(r.out.rfind("ERR EACCES ", 0), 0u) << r.out;
  // Nothing changed.
  r = RunCmd({SydboxBin(), "ctl", sock, "core/sandbox/write?"});
  EXPECT_EQ(r.out, "FALSE\n");
  WriteFile(d / "go", "");
  EXPECT_EQ(bg.Wait(), 0);
  EXPECT_NE(bg.err().find("control socket: refused pid"), std::string::npos) << bg.err();
  EXPECT_NE(bg.err().find("(uid 65534)"), std::string::npos) << bg.err();
}

TEST(ControlSocket, SafeCreation) {
  TempDir d;
  // A file, a directory, a symlink (to a missing target) are never replaced.
  WriteFile(d / "file", "keep");
  mkdir((d / "dir").c_str(), 0755);
  ASSERT_EQ(symlink((d / "target").c_str(), (d / "link").c_str()), 0);
  for (const char* name : {"file", "dir", "link"}) {
    RunResult r = Sydbox({"--ipc", d / name, "--", "/bin/true"});
    EXPECT_EQ(r.code, 2) << name;
    EXPECT_NE(r.err.find("not a socket"), std::string::npos) << r.err;
  }
  EXPECT_EQ(ReadFile(d / "file"), "keep");
  EXPECT_FALSE(Exists(d / "target"));
  // A stale socket (nobody listens) is replaced; a live one is not.
  {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, (d / "stale").c_str(), sizeof a.sun_path - 1);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    close(fd);
  }
  EXPECT_EQ(Sydbox({"--ipc", d / "stale", "--", "/bin/true"}).code, 0);
  const std::string sock = d / "live.sock";
  std::vector<std::string> argv = {SydboxBin(), "--ipc", sock, "--"};
  for (const auto& a : WaitThen(d, "true")) argv.push_back(a);
  Background bg(argv, d);
  ASSERT_TRUE(WaitFor(sock));
  RunResult r = Sydbox({"--ipc", sock, "--", "/bin/true"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("another process listens"), std::string::npos) << r.err;
  WriteFile(d / "go", "");
  EXPECT_EQ(bg.Wait(), 0);
}

// A process of the sandbox that locked itself cannot use the socket to
// get around its lock; an unlocked one is served.
TEST(ControlSocket, PeerInsideTheSandboxKeepsItsLock) {
  TempDir d;
  const std::string sock = d / "ctl.sock";
  const std::string ctl = SydboxBin() + " ctl " + sock;
  std::vector<std::string> argv = {SydboxBin(), "--ipc", sock, "--", "/bin/bash", "-c",
                                   ctl + " core/sandbox/write?; test -e /dev/sydbox/core/trace/magic_lock:on; " + ctl +
                                       " core/sandbox/write:off"};
  Background bg(argv, d);
  EXPECT_EQ(bg.Wait(), 1) << bg.err();
  EXPECT_EQ(bg.out(), "FALSE\nERR EPERM runtime configuration is locked for this process\n");
}

// --- Runtime enabling of each category from off, by every channel ---

struct CategoryCase {
  const char* category;       // core/sandbox/CATEGORY
  const char* esandbox;       // pandora sandbox verb, or nullptr
  std::string op;             // bash: succeeds natively, fails once the category denies
};

std::vector<CategoryCase> Cases(const TempDir& d) {
  WriteFile(d / "f", "x\n");
  return {
      {"read", nullptr, "read x < " + d / "f"},
      {"write", "enable_path", "echo y > " + d / "w"},
      {"exec", "enable_exec", "/bin/true"},
      {"stat", nullptr, "test -e " + d / "f"},
      // Nobody listens: ECONNREFUSED natively, EPERM once denied.
      {"network", "enable_net", "(echo > /dev/tcp/127.0.0.1/1) 2>&1 | grep -qv 'not permitted'"},
  };
}

// What a channel does inside the sandbox to switch `c` to deny.
std::string Enable(const std::string& channel, const CategoryCase& c) {
  if (channel == "magic") return std::string("test -e /dev/sydbox/core/sandbox/") + c.category + ":deny";
  if (c.esandbox == nullptr) return "";  // esandbox has no verb for read and stat
  return PandoraBin() + " sandbox " + c.esandbox;
}

TEST(RuntimeCategories, EachCategoryFromOffInsideTheSandbox) {
  for (const std::string channel : {"magic", "pandora"}) {
    TempDir d;
    for (const CategoryCase& c : Cases(d)) {
      const std::string enable = Enable(channel, c);
      if (enable.empty()) continue;
      const std::string script = c.op + " && echo before-ok; " + enable + " && echo applied; " + c.op +
                                 " && echo after-allowed || echo after-denied";
      RunResult r = Sydbox({"--", "/bin/bash", "-c", script});
      EXPECT_EQ(r.out, "before-ok\napplied\nafter-denied\n") << channel << " " << c.category << ": " << r.err;
    }
  }
}

TEST(RuntimeCategories, EachCategoryFromOffThroughTheSocket) {
  for (const std::string channel : {"ctl", "pandora-ipc"}) {
    TempDir d;
    const std::string sock = d / "ctl.sock";
    for (const CategoryCase& c : Cases(d)) {
      if (channel == "pandora-ipc" && c.esandbox == nullptr) continue;
      unlink((d / "go").c_str());
      std::vector<std::string> argv = {SydboxBin(), "--ipc", sock, "--"};
      for (const auto& a : WaitThen(d, c.op + " && echo before-ok; touch " + d / "ready" +
                                           "; while [ ! -e " + d / "go2" + " ]; do :; done; " + c.op +
                                           " && echo after-allowed || echo after-denied"))
        argv.push_back(a);
      unlink((d / "ready").c_str());
      unlink((d / "go2").c_str());
      Background bg(argv, d);
      ASSERT_TRUE(WaitFor(sock)) << bg.err();
      WriteFile(d / "go", "");
      ASSERT_TRUE(WaitFor(d / "ready"));
      RunResult r = channel == "ctl"
                        ? RunCmd({SydboxBin(), "ctl", sock, std::string("core/sandbox/") + c.category + ":deny"})
                        : RunCmd({"/usr/bin/env", "SYDBOX_IPC=" + sock, PandoraBin(), "sandbox", c.esandbox});
      EXPECT_EQ(r.code, 0) << channel << " " << c.category << ": " << r.out << r.err;
      // The waiting loop stats go2: with stat denied it would never see it,
      // so the flag is made visible by the file's parent being allowed.
      if (std::string(c.category) == "stat") {
        EXPECT_EQ(RunCmd({SydboxBin(), "ctl", sock, "allowlist/stat+" + d / "go2"}).code, 0);
      }
      WriteFile(d / "go2", "");
      EXPECT_EQ(bg.Wait(), 0) << bg.err();
      EXPECT_EQ(bg.out(), "before-ok\nafter-denied\n") << channel << " " << c.category << ": " << bg.err();
      unlink((d / "w").c_str());
    }
  }
}

// -l (or a configuration that locks) keeps the minimal program: the one a
// config locked by magic_lock:on gets, smaller than the unlocked one, and
// a category that is off cannot be switched on.
TEST(RuntimeCategories, LockKeepsTheMinimalProgram) {
  RunResult locked = Sydbox({"-p", "paludis", "-l", "-e", "pfc", "noexec"});
  RunResult config_locked = Sydbox({"-p", "paludis", "-m", "core/trace/magic_lock:on", "-e", "pfc", "noexec"});
  RunResult unlocked = Sydbox({"-p", "paludis", "-e", "pfc", "noexec"});
  ASSERT_EQ(locked.code, 0) << locked.err;
  EXPECT_EQ(locked.out, config_locked.out);
  EXPECT_NE(locked.out, unlocked.out);
  TempDir d;
  WriteFile(d / "f", "x\n");
  RunResult r = Sydbox({"-l", "--", "/bin/bash", "-c",
                        "test -e /dev/sydbox/core/sandbox/read:deny && echo applied; read x < " + d / "f" +
                            " && echo still-allowed"});
  EXPECT_EQ(r.out, "still-allowed\n") << r.err;
}

// A category core/trace/runtime_categories leaves out stays as it started:
// @paludis lists what esandbox switches (write, exec, network).
TEST(RuntimeCategories, PaludisSwitchesWhatEsandboxSwitches) {
  TempDir d;
  WriteFile(d / "f", "x\n");
  RunResult r = Sydbox({"-p", "paludis", "--", "/bin/bash", "-c",
                        "test -e /dev/sydbox/core/sandbox/read:deny || echo read-refused; read x < " + d / "f" +
                            " && echo read-allowed; test -e /dev/sydbox/core/sandbox/write:off && echo write-off; "
                            "test -e /dev/sydbox/core/sandbox/exec:deny && echo exec-on; /bin/true || echo exec-denied"});
  EXPECT_EQ(r.out, "read-refused\nread-allowed\nwrite-off\nexec-on\nexec-denied\n") << r.err;
  EXPECT_NE(r.err.find("core/trace/runtime_categories does not list this category"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace syd::test
