// Issue 9: the supervisor and the world outside are out of the sandbox's
// reach (SPEC §2.9). Every test runs one syd-attack mode twice: first
// without sydbox, where the attack must work on this machine and change its
// target (otherwise the test proves nothing and stops), then under sydbox,
// where it must fail, leave the target untouched, and sydbox must survive
// and exit with the attack's own status (1 = "BLOCKED").
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "harness.h"

namespace syd::test {
namespace {

using Clock = std::chrono::steady_clock;

long MsSince(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
}

// A child process in a process group of its own, with pipes on stdin,
// stdout and stderr; whatever is left of the group is SIGKILLed at the end,
// so no test leaves a process behind.
class Proc {
 public:
  explicit Proc(const std::vector<std::string>& argv, const std::string& cwd = "") {
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) abort();
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      dup2(in[0], 0);
      dup2(out[1], 1);
      dup2(err[1], 2);
      if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(250);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(251);
    }
    setpgid(pid_, pid_);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    in_ = in[1];
    out_ = out[0];
    err_ = err[0];
  }
  ~Proc() {
    if (pid_ > 0 && !reaped_) {
      kill(-pid_, SIGKILL);
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    for (int fd : {in_, out_, err_})
      if (fd >= 0) close(fd);
  }
  pid_t pid() const { return pid_; }
  const std::string& out() const { return r_.out; }
  // Not exited yet (the exit is not collected: Wait() does that).
  bool Running() {
    siginfo_t si{};
    return !(waitid(P_PID, static_cast<id_t>(pid_), &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid_);
  }
  // Writes to stdin; a reader that is gone is no reason to die of SIGPIPE.
  void Write(const std::string& s) {
    if (in_ < 0) return;
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    (void)!write(in_, s.data(), s.size());
    timespec zero{0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
  void CloseStdin() {
    if (in_ >= 0) close(in_);
    in_ = -1;
  }
  // Reads output until `pred(stdout)` holds; false after timeout_ms.
  bool WaitFor(const std::function<bool(const std::string&)>& pred, int timeout_ms) {
    auto t0 = Clock::now();
    while (!pred(r_.out)) {
      long left = timeout_ms - MsSince(t0);
      if (left <= 0) return false;
      if (!Pump(static_cast<int>(std::min(left, 100L))) && !pred(r_.out)) {
        if (out_ < 0 && err_ < 0) return false;  // nothing more will come
      }
    }
    return true;
  }
  bool WaitForText(const std::string& needle, int timeout_ms) {
    return WaitFor([&](const std::string& o) { return o.find(needle) != std::string::npos; }, timeout_ms);
  }
  // Waits for the exit and the end of the output; kills the group after
  // timeout_ms (then timed_out is set and code is 128+9).
  RunResult Wait(int timeout_ms = 30000) {
    auto t0 = Clock::now();
    for (;;) {
      if (!exited_) {
        // WNOWAIT: the zombie keeps the pid, so the group id stays ours
        // until the kill below.
        siginfo_t si{};
        if (waitid(P_PID, static_cast<id_t>(pid_), &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid_) {
          exited_ = true;
          exited_at_ = Clock::now();
        }
      }
      if (exited_ && out_ < 0 && err_ < 0) break;
      // Descendants may hold the pipes: give them a moment after the exit.
      if (exited_ && MsSince(exited_at_) > 3000) break;
      if (MsSince(t0) > timeout_ms) {
        timed_out = true;
        break;
      }
      Pump(50);
    }
    kill(-pid_, SIGKILL);  // anything left in the group
    if (timed_out) kill(pid_, SIGKILL);
    int st = 0;
    while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    r_.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return r_;
  }
  bool timed_out = false;

 private:
  // One poll round; true if something was read.
  bool Pump(int timeout_ms) {
    pollfd fds[2] = {{out_, POLLIN, 0}, {err_, POLLIN, 0}};
    if (out_ < 0 && err_ < 0) {
      usleep(static_cast<useconds_t>(timeout_ms) * 1000);
      return false;
    }
    if (poll(fds, 2, timeout_ms) <= 0) return false;
    bool got = false;
    char buf[65536];
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        (i == 0 ? out_ : err_) = -1;
      } else {
        (i == 0 ? r_.out : r_.err).append(buf, static_cast<size_t>(n));
        got = true;
      }
    }
    return got;
  }

  pid_t pid_ = -1;
  int in_ = -1, out_ = -1, err_ = -1;
  bool exited_ = false, reaped_ = false;
  Clock::time_point exited_at_;
  RunResult r_;
};

RunResult RunArgv(const std::vector<std::string>& argv, int timeout_ms = 30000) {
  Proc p(argv);
  p.CloseStdin();
  RunResult r = p.Wait(timeout_ms);
  if (p.timed_out) r.err += "\n[test: timed out and killed]\n";
  return r;
}

// SYD_ESCAPE_SYDBOX_ARGS: extra options (space-separated) for every sydbox
// these tests start, e.g. "--landlock=off" to test the defences that do
// without Landlock.
std::vector<std::string> ExtraArgs() {
  std::vector<std::string> out;
  if (const char* e = getenv("SYD_ESCAPE_SYDBOX_ARGS")) {
    std::istringstream in(e);
    std::string a;
    while (in >> a) out.push_back(a);
  }
  return out;
}

// sydbox and its extra options, as argv or as a shell command line.
std::vector<std::string> SydboxArgv() {
  std::vector<std::string> argv = {SydboxBin()};
  for (const auto& a : ExtraArgs()) argv.push_back(a);
  return argv;
}
std::string SydboxLine() {
  std::string line;
  for (const auto& a : SydboxArgv()) line += (line.empty() ? "" : " ") + a;
  return line;
}

// sydbox (JSON reports) with `magic`, then -- CMD...
std::vector<std::string> SydArgv(const std::vector<std::string>& magic, const std::vector<std::string>& cmd) {
  std::vector<std::string> argv = SydboxArgv();
  argv.insert(argv.end(), {"--log-format", "json"});
  for (const auto& m : magic) argv.insert(argv.end(), {"-m", m});
  argv.push_back("--");
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  return argv;
}

std::vector<std::string> Attack(std::vector<std::string> args) {
  args.insert(args.begin(), AttackBin());
  return args;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(line);
  }
  return out;
}

bool HasLine(const std::string& text, const std::string& want) {
  for (const auto& l : Lines(text))
    if (l == want) return true;
  return false;
}

// The attack's verdict: its last ESCAPED/BLOCKED line.
std::string Verdict(const std::string& out) {
  std::string v;
  for (const auto& l : Lines(out))
    if (l.rfind("ESCAPED", 0) == 0 || l.rfind("BLOCKED", 0) == 0) v = l;
  return v;
}

bool Escaped(const RunResult& r) { return Verdict(r.out).rfind("ESCAPED", 0) == 0; }

std::string Show(const RunResult& r) {
  return "exit " + std::to_string(r.code) + "\n--- stdout:\n" + r.out + "--- stderr:\n" + r.err.substr(0, 4000);
}

// sydbox neither crashed nor complained about itself.
std::string CrashSigns(const RunResult& r) {
  std::string found;
  for (const char* bad : {"terminate called", "Segmentation fault", "Aborted", "AddressSanitizer", "core dumped"})
    if (r.err.find(bad) != std::string::npos) found += std::string(" stderr mentions '") + bad + "';";
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGKILL})
    if (r.code == 128 + sig) found += " died of signal " + std::to_string(sig) + ";";
  return found;
}

void ExpectNoCrash(const RunResult& r) {
  EXPECT_TRUE(CrashSigns(r).empty()) << "sydbox crashed or was killed:" << CrashSigns(r) << "\n" << Show(r);
}

// Under sydbox: the attack failed, said so, and sydbox passed its status on
// (one failure with the whole story, not one per symptom).
void ExpectBlocked(const RunResult& r) {
  std::string why;
  if (Verdict(r.out).rfind("BLOCKED", 0) != 0) why += " the attack was not blocked;";
  if (r.code != 1) why += " sydbox exited " + std::to_string(r.code) + ", not with the attack's status 1;";
  why += CrashSigns(r);
  EXPECT_TRUE(why.empty()) << why << "\n" << Show(r);
}

// A list of what went wrong, empty when nothing did.
#define EXPECT_NONE(list) EXPECT_TRUE((list).empty()) << (list)
#define ASSERT_NONE(list) ASSERT_TRUE((list).empty()) << (list)

// "item: got (want ...)" for every mismatch, empty when all match.
std::string Mismatches(const std::map<std::string, std::string>& got, const std::vector<std::string>& items,
                       const std::function<std::string(const std::string&)>& want) {
  std::string bad;
  for (const auto& it : items) {
    auto g = got.find(it);
    std::string v = g == got.end() ? "(missing)" : g->second;
    std::string w = want(it);
    if (w.empty()) continue;
    if (v != w && !(w == "OK|ENOSYS" && (v == "OK" || v == "ENOSYS")))
      bad += "  " + it + ": " + v + " (want " + w + ")\n";
  }
  return bad;
}

bool Root() { return geteuid() == 0; }

// ===========================================================================
// 1. Listener theft, actually used: pidfd_getfd the parent's seccomp listener
// and answer our own denied creat() with CONTINUE. Blocked: the listener
// cannot be taken, the creat stays denied, TARGET does not exist.
TEST(Escape, ListenerTheft) {
  TempDir d;
  ASSERT_EQ(mkdir((d / "denied").c_str(), 0777), 0);
  ASSERT_EQ(mkdir((d / "allowed").c_str(), 0777), 0);
  // Native: a naive supervisor (answers EPERM to every open) is robbed.
  RunResult native = RunArgv(Attack({"naive-supervisor", d / "denied/native"}));
  ASSERT_TRUE(Escaped(native)) << Show(native);
  ASSERT_TRUE(Exists(d / "denied/native"));
  ASSERT_NE(native.out.find("before the theft: creat: EPERM"), std::string::npos) << Show(native);
  // Under sydbox.
  RunResult r = RunArgv(SydArgv({"core/sandbox/write:deny", "allowlist/write+" + d / "allowed/***"},
                                Attack({"steal-listener", d / "denied/target"})));
  ExpectBlocked(r);
  EXPECT_EQ(Verdict(r.out), "BLOCKED pidfd_open(parent): EPERM") << Show(r);
  EXPECT_FALSE(Exists(d / "denied/target")) << "the stolen listener let creat through\n" << Show(r);
}

// ===========================================================================
// 2. Signals to the supervisor and its threads (SIGKILL by every call that
// can send one, and as the SIGIO of a socket whose owner is the supervisor,
// F_SETSIG SIGKILL). Blocked: the call fails or the signal never arrives,
// sydbox lives on and exits 1.
class SignalTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SignalTest, SupervisorSurvives) {
  std::string method = GetParam();
  // Native: the stand-in parent (with two idle threads) dies.
  RunResult native = RunArgv(Attack({"parent-wait", AttackBin(), "signal-parent", method}));
  ASSERT_EQ(native.code, 128 + SIGKILL) << Show(native);
  ASSERT_EQ(native.out.find("survived"), std::string::npos) << Show(native);
  ASSERT_TRUE(Escaped(native)) << Show(native);
  // Under sydbox.
  RunResult r = RunArgv(SydArgv({}, Attack({"signal-parent", method})));
  ExpectBlocked(r);
  if (method == "kill" || method == "tgkill") {
    EXPECT_EQ(Verdict(r.out), "BLOCKED " + method + ": EPERM") << Show(r);
  }
  if (method == "pidfd") {
    EXPECT_EQ(Verdict(r.out), "BLOCKED pidfd_open: EPERM") << Show(r);
  }
}

INSTANTIATE_TEST_SUITE_P(Escape, SignalTest,
                         ::testing::Values("kill", "tkill", "tgkill", "sigqueue", "tgsigqueue", "pidfd", "procfd",
                                           "threads", "threads-kill", "sigio-fcntl", "sigio-fcntl-ex",
                                           "sigio-fiosetown", "sigio-siocspgrp"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           std::string n = p.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

// ===========================================================================
// "OK ITEM" or "OK ITEM detail" in the output of a /proc mode.
bool ProcItemOk(const std::string& out, const std::string& item) {
  for (const auto& l : Lines(out))
    if (l == "OK " + item || l.rfind("OK " + item + " ", 0) == 0) return true;
  return false;
}

// Runs MODE under a stand-in parent (every item must work) and under sydbox
// (none may).
void ExpectProcItems(const std::string& mode, const std::vector<std::string>& items,
                     const std::function<bool(const std::string&, const std::string&)>& ok) {
  RunResult native = RunArgv(Attack({"parent-wait", AttackBin(), mode}));
  ASSERT_EQ(native.code, 0) << Show(native);
  for (const auto& it : items)
    ASSERT_TRUE(ok(native.out, it)) << it << " failed on the stand-in parent\n" << Show(native);
  RunResult r = RunArgv(SydArgv({}, Attack({mode})));
  std::string reached;
  for (const auto& it : items)
    if (ok(r.out, it)) reached += " " + it;
  EXPECT_TRUE(reached.empty()) << "reachable in the supervisor:" << reached << "\n" << Show(r);
  ExpectBlocked(r);
}

// ===========================================================================
// 3. /proc/SUPERVISOR: fd links, fdinfo, mem, environ (its contents), cwd,
// root, exe, task/TID/fd, process_vm_readv, pidfd_getfd. Blocked: every one
// fails.
TEST(Escape, ProcEntriesOfSupervisor) {
  const std::vector<std::string> items = {"readlink-fd",      "open-fd",    "fdinfo", "open-mem", "read-mem",
                                          "environ",          "cwd",        "root",   "exe",      "task-fd",
                                          "process_vm_readv", "pidfd_getfd"};
  ExpectProcItems("proc-parent", items, ProcItemOk);
}

// The supervisor's memory layout (/proc/SUPERVISOR/{maps,smaps,...}): with it
// any later memory attack knows where everything is. Not in the brief's
// list; found reading maps as root under the guarded sydbox. Blocked: every
// file fails.
TEST(Escape, SupervisorMemoryLayout) {
  ExpectProcItems("proc-layout", {"maps", "smaps", "smaps_rollup", "numa_maps"}, ProcItemOk);
}

// ===========================================================================
// 4. Priorities and limits of the supervisor: nice 19, one CPU, SCHED_IDLE,
// RLIMIT_NOFILE 10, idle I/O class. Blocked: each call fails and sydbox's
// values, read here from /proc, are those it started with.
struct SchedState {
  int nice = 0, policy = -1;
  std::string cpus;
  std::string nofile;  // "soft hard"
  long ioprio = -1;
};

SchedState ReadSched(pid_t pid) {
  SchedState s;
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  size_t rp = stat.rfind(')');
  if (rp != std::string::npos) {
    std::istringstream in(stat.substr(rp + 2));
    std::vector<std::string> f;
    std::string x;
    while (in >> x) f.push_back(x);
    // fields from 3 (state): nice is field 19, policy field 41
    if (f.size() > 38) {
      s.nice = std::stoi(f[16]);
      s.policy = std::stoi(f[38]);
    }
  }
  for (const auto& l : Lines(ReadFile("/proc/" + std::to_string(pid) + "/status")))
    if (l.rfind("Cpus_allowed_list:", 0) == 0) s.cpus = l.substr(l.find_first_not_of(" \t", 18));
  for (const auto& l : Lines(ReadFile("/proc/" + std::to_string(pid) + "/limits")))
    if (l.rfind("Max open files", 0) == 0) {
      std::istringstream in(l.substr(14));
      std::string soft, hard;
      in >> soft >> hard;
      s.nofile = soft + " " + hard;
    }
  s.ioprio = syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, pid);
  return s;
}

TEST(Escape, PrioritiesAndLimitsOfSupervisor) {
  const SchedState mine = ReadSched(getpid());
  {
    Proc p(Attack({"parent-wait", AttackBin(), "prio-parent"}));
    ASSERT_TRUE(p.WaitFor([](const std::string& o) { return HasLine(o, "DONE"); }, 10000)) << p.out();
    ASSERT_TRUE(p.out().find("ppid=" + std::to_string(p.pid()) + "\n") != std::string::npos) << p.out();
    SchedState s = ReadSched(p.pid());
    p.CloseStdin();
    RunResult native = p.Wait();
    ASSERT_EQ(s.nice, 19) << Show(native);
    ASSERT_EQ(s.policy, SCHED_IDLE) << Show(native);
    ASSERT_EQ(s.nofile, "10 10") << Show(native);
    ASSERT_EQ(s.ioprio >> 13, 3) << "ioprio " << s.ioprio << "\n" << Show(native);
    if (native.out.find("SKIP sched_setaffinity") == std::string::npos) {
      ASSERT_NE(s.cpus, mine.cpus) << Show(native);
    }
    ASSERT_EQ(native.code, 0) << Show(native);
  }
  Proc p(SydArgv({}, Attack({"prio-parent"})));
  ASSERT_TRUE(p.WaitFor([](const std::string& o) { return HasLine(o, "DONE"); }, 10000)) << p.out();
  EXPECT_TRUE(p.out().find("ppid=" + std::to_string(p.pid()) + "\n") != std::string::npos)
      << "the attack's parent is not sydbox\n"
      << p.out();
  SchedState s = ReadSched(p.pid());
  p.CloseStdin();
  RunResult r = p.Wait();
  std::string changed;
  if (s.nice != mine.nice) changed += " nice=" + std::to_string(s.nice);
  if (s.policy != mine.policy) changed += " policy=" + std::to_string(s.policy);
  if (s.nofile == "10 10") changed += " RLIMIT_NOFILE=10";
  if (s.ioprio != mine.ioprio) changed += " ioprio=" + std::to_string(s.ioprio);
  if (s.cpus != mine.cpus) changed += " cpus=" + s.cpus;
  EXPECT_TRUE(changed.empty()) << "sydbox's own settings were changed from inside:" << changed << "\n" << Show(r);
  std::string worked;
  for (const char* call : {"setpriority", "sched_setaffinity", "sched_setscheduler", "prlimit64", "ioprio_set"})
    if (HasLine(r.out, std::string("OK ") + call)) worked += std::string(" ") + call;
  EXPECT_TRUE(worked.empty()) << "calls that succeeded on the supervisor:" << worked << "\n" << Show(r);
  ExpectBlocked(r);
}

// Writable /proc knobs of the supervisor: oom_score_adj 1000 (the OOM killer
// picks sydbox first), timerslack_ns, coredump_filter, and autogroup nice
// 19 (the CPU share of sydbox's whole session). Not in the brief's list;
// found writing them as root under the guarded sydbox. Blocked: every write
// fails and sydbox's values are those it started with. The stand-in parent
// has a session of its own, so the native autogroup write touches only it;
// should the sydbox half get through, the test's own autogroup is restored.
std::string ProcValue(pid_t pid, const std::string& name) {
  std::string v = ReadFile("/proc/" + std::to_string(pid) + "/" + name);
  while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
  return v;
}

TEST(Escape, SupervisorProcKnobs) {
  {
    Proc p(Attack({"parent-wait", "--setsid", AttackBin(), "proc-knobs"}));
    ASSERT_TRUE(p.WaitFor([](const std::string& o) { return HasLine(o, "DONE"); }, 10000)) << p.out();
    const size_t at = p.out().find("ppid=");  // (the stand-in may be a child of p, see --setsid)
    ASSERT_NE(at, std::string::npos) << p.out();
    const pid_t pid = std::atoi(p.out().c_str() + at + 5);
    std::map<std::string, std::string> got;
    for (const char* k : {"oom_score_adj", "timerslack_ns", "coredump_filter", "autogroup"}) got[k] = ProcValue(pid, k);
    p.CloseStdin();
    RunResult native = p.Wait();
    ASSERT_EQ(got["oom_score_adj"], "1000") << Show(native);
    ASSERT_EQ(got["coredump_filter"], "0000007f") << Show(native);
    ASSERT_NE(got["autogroup"].find("nice 19"), std::string::npos) << got["autogroup"] << "\n" << Show(native);
    if (Root()) {
      ASSERT_EQ(got["timerslack_ns"], "100000000") << Show(native);
    } else {
      std::cout << "[ note ] timerslack_ns native half skipped: another process's needs CAP_SYS_NICE\n";
    }
  }
  // sydbox inherits these from us; the autogroup is even shared with us.
  std::map<std::string, std::string> before;
  for (const char* k : {"oom_score_adj", "timerslack_ns", "coredump_filter", "autogroup"})
    before[k] = ProcValue(getpid(), k);
  const std::string my_autogroup = before["autogroup"];
  Proc p(SydArgv({}, Attack({"proc-knobs"})));
  ASSERT_TRUE(p.WaitFor([](const std::string& o) { return HasLine(o, "DONE"); }, 10000)) << p.out();
  std::string changed;
  for (const auto& [k, was] : before) {
    std::string theirs = ProcValue(p.pid(), k);  // empty where we may not read it
    if (!theirs.empty() && theirs != was) changed += " " + k + "=" + theirs + " (was " + was + ")";
  }
  p.CloseStdin();
  RunResult r = p.Wait();
  if (ProcValue(getpid(), "autogroup") != my_autogroup) {
    size_t at = my_autogroup.find("nice ");
    if (at != std::string::npos) WriteFile("/proc/self/autogroup", my_autogroup.substr(at + 5));
  }
  EXPECT_TRUE(changed.empty()) << "sydbox's own settings were changed from inside:" << changed << "\n" << Show(r);
  ExpectBlocked(r);
}

// ===========================================================================
// 5. Signals to processes outside the sandbox. Every kill(-1) runs inside a
// pid namespace made for it (never loose on this machine); process-group
// kills inside a process group made for them. A victim outside the sandbox
// waits in pause(); its death is what the attack looks for.
struct Lab {
  RunResult r;
  bool victim_died() const { return r.out.find("lab: victim died") != std::string::npos; }
  bool victim_alive() const { return r.out.find("lab: victim alive") != std::string::npos; }
  int cmd_status() const {
    size_t at = r.out.find("lab: cmd status ");
    return at == std::string::npos ? -1 : std::atoi(r.out.c_str() + at + 16);
  }
  bool no_ns() const { return r.out.find("lab: cannot") != std::string::npos; }
};

Lab RunLab(const std::string& kind, const std::vector<std::string>& cmd) {
  std::vector<std::string> argv = {AttackBin(), "signal-lab", kind, "--"};
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  return Lab{RunArgv(argv)};
}

// Blocked: the victim survives, sydbox survives and exits with the attack's
// status (1).
void ExpectLabBlocked(const Lab& lab) {
  std::string why;
  if (!lab.victim_alive()) why += " the signal reached the victim outside the sandbox;";
  if (Verdict(lab.r.out).rfind("BLOCKED", 0) != 0) why += " the attack was not blocked;";
  if (lab.cmd_status() != 1)
    why += " sydbox exited " + std::to_string(lab.cmd_status()) + ", not with the attack's status 1;";
  EXPECT_TRUE(why.empty()) << why << "\n" << Show(lab.r);
  ExpectNoCrash(lab.r);
}

// kill(-1, SIGTERM) from the sandbox, in a fresh pid namespace holding a
// victim, sydbox and the attack. Blocked: only sandbox processes could be hit.
TEST(Escape, KillMinusOneStaysInside) {
  Lab native = RunLab("pidns", Attack({"kill-outside", "-1"}));
  if (native.no_ns()) GTEST_SKIP() << "no pid namespace on this machine: " << native.r.out;
  ASSERT_TRUE(native.victim_died()) << Show(native.r);
  ASSERT_TRUE(Escaped(native.r)) << Show(native.r);
  ExpectLabBlocked(RunLab("pidns", SydArgv({}, Attack({"kill-outside", "-1"}))));
}

// kill(0, SIGTERM): the sandbox shares sydbox's process group, and so does a
// victim outside it. Blocked: the victim lives.
TEST(Escape, KillOwnProcessGroupStaysInside) {
  Lab native = RunLab("pgrp", Attack({"kill-outside", "0"}));
  ASSERT_TRUE(native.victim_died()) << Show(native.r);
  ASSERT_TRUE(Escaped(native.r)) << Show(native.r);
  ExpectLabBlocked(RunLab("pgrp", SydArgv({}, Attack({"kill-outside", "0"}))));
}

// kill(-getpgrp(), SIGTERM): the same group named explicitly.
TEST(Escape, KillGroupByIdStaysInside) {
  Lab native = RunLab("pgrp", Attack({"kill-outside", "-pgrp"}));
  ASSERT_TRUE(native.victim_died()) << Show(native.r);
  ExpectLabBlocked(RunLab("pgrp", SydArgv({}, Attack({"kill-outside", "-pgrp"}))));
}

// SIGTERM to the own process group as the SIGIO of a socket (owner -pgrp
// by fcntl F_SETOWN/F_SETOWN_EX, ioctl FIOSETOWN/SIOCSPGRP; F_SETSIG).
// Blocked: the victim lives.
TEST(Escape, SigioToOwnProcessGroupStaysInside) {
  for (const char* how : {"sigio-fcntl", "sigio-fcntl-ex", "sigio-fiosetown", "sigio-siocspgrp"}) {
    SCOPED_TRACE(how);
    Lab native = RunLab("pgrp", Attack({"kill-outside", how}));
    ASSERT_TRUE(native.victim_died()) << Show(native.r);
    ExpectLabBlocked(RunLab("pgrp", SydArgv({}, Attack({"kill-outside", how}))));
  }
}

// core/restrict/outside_signals:false gives kill(0) its reach back, but
// sydbox itself stays out of it: the victim dies, sydbox exits with the
// attack's status (0, ESCAPED).
TEST(Escape, OutsideSignalsOptionLiftsTheRestriction) {
  Lab lab = RunLab("pgrp", SydArgv({"core/restrict/outside_signals:false"}, Attack({"kill-outside", "0"})));
  std::string why;
  if (!lab.victim_died()) why += " the victim survived;";
  if (!Escaped(lab.r)) why += " the attack did not report the victim's death;";
  if (lab.cmd_status() != 0)
    why += " sydbox exited " + std::to_string(lab.cmd_status()) + ", not with the attack's status 0;";
  EXPECT_TRUE(why.empty()) << why << "\n" << Show(lab.r);
  ExpectNoCrash(lab.r);
}

// ===========================================================================
// 6. The terminal, under script(1) for a pty.

// Runs `command` under script with a shell that, once the command is done,
// reads one line from the terminal and evaluates it (what an interactive
// shell does after the sandbox exits). The test types "echo SAFE" after the
// command has finished, so `read` never waits.
RunResult RunThenEvalALine(const TempDir& d, const std::string& command) {
  WriteFile(d / "eval-next-line.sh", "\"$@\"\nread -r line\neval \"$line\"\n");
  Proc p({"script", "-qec", "sh " + d / "eval-next-line.sh " + command, "/dev/null"});
  bool done = p.WaitFor(
      [](const std::string& o) {
        return o.find("ESCAPED") != std::string::npos || o.find("BLOCKED") != std::string::npos;
      },
      10000);
  usleep(100000);
  p.Write("echo SAFE\n");
  RunResult r = p.Wait(15000);
  if (!done) r.err += "\n[test: the attack printed no verdict]\n";
  return r;
}

// TIOCSTI: push "echo PWNED > MARKER\n" into the shared terminal. Blocked:
// the ioctl fails with EPERM and the line the shell reads is the user's.
TEST(Escape, TiocstiInjection) {
  TempDir d;
  chmod(d.path().c_str(), 0777);
  const std::string inject = " tiocsti 'echo PWNED > " + d / "MARKER" + "\\n'";
  RunResult native = RunThenEvalALine(d, AttackBin() + inject);
  ASSERT_TRUE(Escaped(native)) << Show(native);
  ASSERT_TRUE(Exists(d / "MARKER")) << Show(native);
  unlink((d / "MARKER").c_str());
  RunResult r = RunThenEvalALine(d, SydboxLine() + " -- " + AttackBin() + inject);
  EXPECT_FALSE(Exists(d / "MARKER")) << "keystrokes injected from the sandbox ran outside it\n" << Show(r);
  EXPECT_EQ(Verdict(r.out), "BLOCKED ioctl(TIOCSTI): EPERM") << Show(r);
  ExpectNoCrash(r);
}

RunResult InScript(const std::string& command, int timeout_ms = 15000) {
  Proc p({"script", "-qec", command, "/dev/null"});
  RunResult r = p.Wait(timeout_ms);
  if (p.timed_out) r.err += "\n[test: timed out]\n";
  return r;
}

// TIOCLINUX (paste) and TIOCCONS (take the console). Natively on a pty
// TIOCLINUX is not refused for want of permission (it is no VT), and
// TIOCCONS works for root (the attack undoes it at once). Blocked: EPERM.
TEST(Escape, TioclinuxAndTioccons) {
  RunResult native_linux = InScript(AttackBin() + " tioclinux");
  ASSERT_NE(Verdict(native_linux.out), "") << Show(native_linux);
  ASSERT_EQ(native_linux.out.find(": EPERM"), std::string::npos) << Show(native_linux);
  RunResult linux_r = InScript(SydboxLine() + " -- " + AttackBin() + " tioclinux");
  EXPECT_EQ(Verdict(linux_r.out), "BLOCKED ioctl(TIOCLINUX): EPERM") << Show(linux_r);
  if (Root()) {
    RunResult native_cons = InScript(AttackBin() + " tioccons");
    ASSERT_TRUE(Escaped(native_cons)) << Show(native_cons);
    ASSERT_NE(native_cons.out.find("undone: yes"), std::string::npos) << Show(native_cons);
  } else {
    std::cout << "[ note ] TIOCCONS native half skipped: it needs CAP_SYS_ADMIN, uid " << geteuid() << " has none\n";
  }
  RunResult cons = InScript(SydboxLine() + " -- " + AttackBin() + " tioccons");
  EXPECT_EQ(Verdict(cons.out), "BLOCKED ioctl(TIOCCONS): EPERM") << Show(cons);
}

// Job control is kept: ^C typed on the terminal reaches the sandboxed
// command (no new session), and sydbox exits 130 at once.
TEST(Escape, CtrlCStillReachesTheSandbox) {
  // script(1) runs the line with $SHELL, or /bin/sh: dash dies of the ^C
  // itself unless it traps it (bash waits and goes on). A trap, unlike an
  // ignored signal, is reset to the default in sydbox and below.
  Proc p({"script", "-qec", "trap : INT; " + SydboxLine() + " -- sh -c 'echo started; sleep 100'; echo status=$?",
          "/dev/null"});
  ASSERT_TRUE(p.WaitForText("started", 10000)) << p.out();
  usleep(300000);
  auto t0 = Clock::now();
  p.Write("\x03");
  bool got = p.WaitForText("status=", 5000);
  long ms = MsSince(t0);
  RunResult r = p.Wait(10000);
  EXPECT_TRUE(got) << "^C did not end the sandboxed command\n" << Show(r);
  EXPECT_NE(r.out.find("status=130"), std::string::npos) << Show(r);
  EXPECT_LT(ms, 3000) << Show(r);
}

// An interactive shell inside sydbox keeps job control: ^C ends the
// foreground `sleep 100`, not the shell; `exit 7` ends sydbox with 7.
TEST(Escape, InteractiveShellJobControl) {
  Proc p({"script", "-qec", SydboxLine() + " -- sh -i; echo status=$?", "/dev/null"});
  ASSERT_TRUE(p.WaitFor(
      [](const std::string& o) { return o.find("$ ") != std::string::npos || o.find("# ") != std::string::npos; },
      10000))
      << "no prompt\n"
      << p.out();
  p.Write("sleep 100\n");
  usleep(500000);
  p.Write("\x03");
  usleep(300000);
  p.Write("echo ALIVE-$((6*7))\n");
  bool alive = p.WaitForText("ALIVE-42", 5000);
  p.Write("exit 7\n");
  bool ended = p.WaitForText("status=", 5000);
  RunResult r = p.Wait(10000);
  EXPECT_TRUE(alive) << "^C did not stop the foreground job, or it killed the shell\n" << Show(r);
  EXPECT_TRUE(ended) << Show(r);
  EXPECT_NE(r.out.find("status=7"), std::string::npos) << Show(r);
}

// ===========================================================================
// 7. Namespaces and mounts, one call at a time (each in a fresh child).

const std::vector<std::string>& NsItems() {
  static const std::vector<std::string> k = {"unshare(CLONE_NEWNS)",
                                             "unshare(CLONE_NEWUSER)",
                                             "unshare(CLONE_NEWPID)",
                                             "unshare(CLONE_NEWNET)",
                                             "unshare(CLONE_NEWUTS)",
                                             "unshare(CLONE_NEWIPC)",
                                             "unshare(CLONE_NEWCGROUP)",
                                             "unshare(CLONE_NEWTIME)",
                                             "clone(CLONE_NEWUSER)",
                                             "clone(CLONE_NEWNS)",
                                             "clone(CLONE_NEWPID)",
                                             "clone(CLONE_NEWNET)",
                                             "clone3(CLONE_NEWNS)",
                                             "setns(net)",
                                             "setns(uts)",
                                             "setns(ipc)",
                                             "setns(mnt)",
                                             "setns(cgroup)",
                                             "setns(pid)",
                                             "setns(time)",
                                             "setns(user)",
                                             "chroot",
                                             "mount(MS_BIND)",
                                             "mount(tmpfs)",
                                             "umount2",
                                             "pivot_root",
                                             "open_tree",
                                             "move_mount",
                                             "fsopen",
                                             "fsconfig",
                                             "fsmount",
                                             "fspick",
                                             "mount_setattr"};
  return k;
}

bool IsMountCall(const std::string& item) {
  return item.rfind("unshare", 0) != 0 && item.rfind("clone", 0) != 0 && item.rfind("setns", 0) != 0 &&
         item != "chroot";
}

// item -> what the attack printed for it ("OK", "EPERM", ...)
std::map<std::string, std::string> NsResults(const std::string& out) {
  std::map<std::string, std::string> m;
  for (const auto& l : Lines(out)) {
    size_t c = l.rfind(": ");
    if (c != std::string::npos && l.rfind("ESCAPED", 0) != 0 && l.rfind("BLOCKED", 0) != 0)
      m[l.substr(0, c)] = l.substr(c + 2);
  }
  return m;
}

struct NsDir {
  TempDir d;
  NsDir() {
    for (const char* s : {"a", "b", "root"}) mkdir((d / s).c_str(), 0777);
  }
};

// Every namespace and mount call works natively (as root directly, as an
// unprivileged user inside a user namespace of its own). Blocked: each one
// fails with EPERM (clone3 with ENOSYS, so that glibc falls back to clone).
TEST(Escape, NamespaceAndMountCalls) {
  NsDir nd;
  RunResult native = RunArgv(Attack({"ns-calls", nd.d.path()}));
  ASSERT_NONE(Mismatches(NsResults(native.out), NsItems(), [](const std::string&) { return "OK"; })) << Show(native);
  RunResult r = RunArgv(SydArgv({}, Attack({"ns-calls", nd.d.path()})));
  EXPECT_NONE(Mismatches(NsResults(r.out), NsItems(), [](const std::string& it) {
    return it.rfind("clone3", 0) == 0 ? "ENOSYS" : "EPERM";
  })) << Show(r);
  ExpectBlocked(r);
}

// core/restrict/namespaces:false and core/restrict/mounts:false give them
// back (clone3 may stay ENOSYS).
TEST(Escape, NamespaceAndMountOptionsLiftTheRestriction) {
  NsDir nd;
  RunResult r = RunArgv(
      SydArgv({"core/restrict/namespaces:false", "core/restrict/mounts:false"}, Attack({"ns-calls", nd.d.path()})));
  EXPECT_NONE(Mismatches(NsResults(r.out), NsItems(), [](const std::string& it) {
    return it.rfind("clone3", 0) == 0 ? "OK|ENOSYS" : "OK";
  })) << Show(r);
  EXPECT_EQ(r.code, 0) << Show(r);
  ExpectNoCrash(r);
}

// Namespaces allowed but mounts still restricted: a namespace can be made,
// nothing can be mounted in it.
TEST(Escape, NamespacesLiftedMountsStillDenied) {
  NsDir nd;
  RunResult r = RunArgv(SydArgv({"core/restrict/namespaces:false"}, Attack({"ns-calls", nd.d.path()})));
  EXPECT_NONE(Mismatches(NsResults(r.out), NsItems(), [](const std::string& it) {
    if (it == "unshare(CLONE_NEWNS)" || it == "unshare(CLONE_NEWUSER)") return "OK";
    return IsMountCall(it) ? "EPERM" : "";
  })) << Show(r);
  ExpectNoCrash(r);
}

// ===========================================================================
// 8. The bind-mount write: in a mount namespace of its own, the sandboxed
// process binds DENIED over ALLOWED and writes ALLOWED/secret, which the
// supervisor checks as allowed and creates in DENIED. Blocked: DENIED is
// byte-for-byte what it was.
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> m;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d))
      if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")) m[e->d_name] = ReadFile(dir + "/" + e->d_name);
    closedir(d);
  }
  return m;
}

TEST(Escape, BindMountWrite) {
  TempDir d;
  const std::string allowed = d / "allowed", denied = d / "denied";
  mkdir(allowed.c_str(), 0777);
  mkdir(denied.c_str(), 0777);
  WriteFile(denied + "/keep", "keep me\n");
  RunResult native = RunArgv(Attack({"bindmount-write", allowed, denied}));
  ASSERT_TRUE(Escaped(native)) << Show(native);
  ASSERT_EQ(ReadFile(denied + "/secret"), "pwned\n") << Show(native);
  ASSERT_FALSE(Exists(allowed + "/secret"));
  unlink((denied + "/secret").c_str());
  auto before = Snapshot(denied);
  RunResult r = RunArgv(SydArgv({"core/sandbox/write:deny", "allowlist/write+" + allowed + "/***"},
                                Attack({"bindmount-write", allowed, denied})));
  ExpectBlocked(r);
  EXPECT_FALSE(Exists(denied + "/secret")) << "the write landed in the denied directory\n" << Show(r);
  EXPECT_EQ(Snapshot(denied), before) << Show(r);
}

// ===========================================================================
// 9. connect after pid reuse. A child C connects through a path whose
// resolution costs the supervisor tens of ms (39 symlinks of "d/../" runs);
// meanwhile the parent kills C, reaps it, sets ns_last_pid and forks D,
// which gets C's pid and holds an unconnected socket at C's fd number. If
// the supervisor takes "the caller's" socket by pid after C died, it
// connects D's. Blocked: D's socket is never connected. Runs in a pid
// namespace of its own (ns_last_pid), as root of a user namespace when
// unprivileged.
void MakeSlowPath(const TempDir& d) {
  mkdir((d / "d").c_str(), 0777);
  const int kLinks = 39;
  std::string run;
  for (int i = 0; i < 810; ++i) run += "d/../";
  for (int i = 1; i <= kLinks; ++i) {
    std::string target = run + (i < kLinks ? "l" + std::to_string(i + 1) : std::string("sock"));
    ASSERT_EQ(symlink(target.c_str(), (d / ("l" + std::to_string(i))).c_str()), 0) << strerror(errno);
  }
}

int UnixServer(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::strncpy(un.sun_path, path.c_str(), sizeof un.sun_path - 1);
  if (bind(fd, reinterpret_cast<sockaddr*>(&un), sizeof un) != 0 || listen(fd, 64) != 0) {
    close(fd);
    return -1;
  }
  chmod(path.c_str(), 0777);
  return fd;
}

TEST(Escape, ConnectAfterPidReuse) {
  TempDir d;
  chmod(d.path().c_str(), 0777);
  MakeSlowPath(d);
  int server = UnixServer(d / "sock");
  ASSERT_GE(server, 0) << strerror(errno);
  std::vector<std::string> lab = {AttackBin(), "signal-lab", "ns-run"};
  if (!Root()) lab.push_back("--map-root");
  lab.push_back("--");
  // Native: the reproduction works here (D gets C's pid every round); with
  // nobody acting on C's behalf, D's socket stays unconnected.
  auto native_argv = lab;
  for (const auto& a : Attack({"connect-reuse", d / "l1", "3"})) native_argv.push_back(a);
  RunResult native = RunArgv(native_argv);
  if (native.out.find("lab: cannot") != std::string::npos) {
    close(server);
    GTEST_SKIP() << "no pid/user namespace here: " << native.out;
  }
  ASSERT_NE(native.out.find("pid reused in 3 of 3 rounds"), std::string::npos) << Show(native);
  ASSERT_EQ(native.out.find("connected by someone else"), std::string::npos) << Show(native);
  // Under sydbox.
  auto argv = lab;
  for (const auto& a : SydArgv({"core/sandbox/network:deny", "allowlist/network/connect+unix:" + d / "sock"},
                               Attack({"connect-reuse", d / "l1", "5"})))
    argv.push_back(a);
  RunResult r = RunArgv(argv, 60000);
  close(server);
  int reused = 0;
  if (size_t at = r.out.find("pid reused in "); at != std::string::npos) reused = std::atoi(r.out.c_str() + at + 14);
  EXPECT_GE(reused, 3) << "the pid was not reused: the test shows nothing\n" << Show(r);
  EXPECT_EQ(r.out.find("connected by someone else"), std::string::npos)
      << "the supervisor connected a socket of a process that never called connect\n"
      << Show(r);
  ExpectBlocked(r);
}

// ===========================================================================
// 9b. A reused pid and the process table. The supervisor keeps a process's
// root and ids from its first checked call, keyed by its pid, and for a
// caller whose tid names an entry asks whether that entry's process still
// lives only after reading the call (one poll standing for the
// notification-id check). A (the namespace's root, uid 0) makes a checked
// mkdir and exits; P takes another root (chroot DIR) or uid (65534) and
// forks B with A's pid; B's first call is a mkdir. With A's entry taken
// for B's, B's mkdir would be resolved in A's root (ENOENT) or performed
// with A's ids (a directory in a root-only one). Checked: every B gets its
// own, natively and under sydbox, in a pid namespace of its own.
void StaleEntry(const std::string& what) {
  TempDir d;
  chmod(d.path().c_str(), 0777);
  ASSERT_EQ(mkdir((d / "sub").c_str(), 0777), 0);
  ASSERT_EQ(mkdir((d / "ro").c_str(), 0755), 0);
  ASSERT_EQ(chmod((d / "sub").c_str(), 0777), 0);
  std::vector<std::string> lab = {AttackBin(), "signal-lab", "ns-run"};
  if (!Root()) lab.push_back("--map-root");
  lab.push_back("--");
  auto native_argv = lab;
  for (const auto& a : Attack({"stale-entry", d.path(), "3", what})) native_argv.push_back(a);
  RunResult native = RunArgv(native_argv);
  if (native.out.find("lab: cannot") != std::string::npos) GTEST_SKIP() << "no pid/user namespace here: " << native.out;
  ASSERT_NE(native.out.find("pid reused in 3 of 3 rounds"), std::string::npos) << Show(native);
  ASSERT_EQ(Verdict(native.out).rfind("BLOCKED stale-entry", 0), 0u) << Show(native);
  for (int i = 1; i <= 3; ++i) rmdir((d / ("sub/x." + std::to_string(i))).c_str());  // made natively
  auto argv = lab;
  for (const auto& a : SydArgv({"core/restrict/namespaces:false", "core/sandbox/write:deny",
                                "allowlist/write+" + d / "***", "allowlist/write+/proc/sys/kernel/ns_last_pid"},
                               Attack({"stale-entry", d.path(), "5", what})))
    argv.push_back(a);
  RunResult r = RunArgv(argv, 60000);
  int reused = 0;
  if (size_t at = r.out.find("pid reused in "); at != std::string::npos) reused = std::atoi(r.out.c_str() + at + 14);
  EXPECT_GE(reused, 3) << "the pid was not reused: the test shows nothing\n" << Show(r);
  ExpectBlocked(r);
  for (int i = 1; i <= 5; ++i) {
    if (what == "ids") {
      EXPECT_FALSE(Exists(d / ("ro/x." + std::to_string(i)))) << Show(r);
    } else if (i <= reused) {
      EXPECT_TRUE(Exists(d / ("sub/x." + std::to_string(i)))) << Show(r);
    }
  }
}

TEST(Escape, AReusedPidGetsItsOwnRoot) { StaleEntry("root"); }

TEST(Escape, AReusedPidGetsItsOwnIds) {
  if (!Root()) GTEST_SKIP() << "takes uid 65534 from real root";
  StaleEntry("ids");
}

// The two attacks that syd-hold.so (LD_PRELOAD into sydbox) makes
// deterministic: ATTACK DIR HOLD runs in a pid namespace of its own under
// sydbox with writes allowed under DIR (0777, with a root-only DIR/ro) and
// to ns_last_pid; `hold_at` chooses the shim's window. The run must show
// that the pid was reused (`reused`) and the worker held (`held`, in the
// shim's log), else it shows nothing; then DIR/ro/pwned must not exist.
// Root only: the attacks take uid 65534 from real root.
void HeldWorkerAttack(const std::string& attack, const std::string& hold_at, const std::string& reused,
                      const std::string& held, const std::string& what) {
  if (!Root()) GTEST_SKIP() << "takes uid 65534 from real root";
  TempDir d;
  chmod(d.path().c_str(), 0777);
  ASSERT_EQ(mkdir((d / "ro").c_str(), 0755), 0);
  std::vector<std::string> argv = {AttackBin(), "signal-lab", "ns-run", "--", "/usr/bin/env",
                                   "LD_PRELOAD=" + Helper("syd-hold.so"), "SYD_HOLD_FILE=" + d / "hold",
                                   "SYD_HOLD_LOG=" + d / "hold.log"};
  if (!hold_at.empty()) argv.push_back("SYD_HOLD_AT=" + hold_at);
  for (const auto& a : SydArgv({"core/sandbox/write:deny", "allowlist/write+" + d / "***",
                                "allowlist/write+/proc/sys/kernel/ns_last_pid"},
                               Attack({attack, d.path(), d / "hold"})))
    argv.push_back(a);
  RunResult r = RunArgv(argv, 60000);
  if (r.out.find("lab: cannot") != std::string::npos) GTEST_SKIP() << "no pid namespace here: " << r.out;
  ASSERT_NE(r.out.find(reused), std::string::npos) << "the pid was not reused\n" << Show(r);
  const std::string log = ReadFile(d / "hold.log");
  ASSERT_NE(log.find(held), std::string::npos) << "the worker was never held: the test shows nothing\n"
                                                << log << Show(r);
  EXPECT_FALSE(Exists(d / "ro/pwned")) << what << "\n" << Show(r);
  ExpectBlocked(r);
}

// ===========================================================================
// 9c. An entry made after RECV (found by a red-team review of a change that
// let a poll of the entry's pidfd after the reads stand for the
// notification-id check). C (uid 65534) calls mkdir in a root-only
// directory; syd-hold.so (LD_PRELOAD into sydbox) keeps the worker that
// received it from looking C up for 3 s, as a preemption could; C is
// killed, X1 (uid 0) takes its pid and makes a checked call, which gives X1
// an entry. The held worker must not perform C's mkdir with X1's ids: the
// directory is never made. Root only; in a pid namespace of its own.
TEST(Escape, AnEntryMadeAfterReceiveIsNotTheCallers) {
  HeldWorkerAttack("entry-after-recv", "", "# X1 took C's pid", "held before the process table",
                   "a killed caller's mkdir was performed with another process's ids");
}

// ===========================================================================
// 9d. What was read of a caller that died (a reviewer's suspicion, made a
// test): a worker that reads a caller's root and ids for its process-table
// entry looks the entry up again to keep them there. C (uid 0) makes its
// first checked call; syd-hold.so (SYD_HOLD_AT=status:2) keeps the worker for
// 3 s after it read C's /proc status, as a preemption could; C is killed
// and N (uid 65534) takes its pid and stays quiet. The worker must not keep
// C's ids for N: N's later mkdir in a root-only directory is EACCES, not
// performed as root. Root only; in a pid namespace of its own.
TEST(Escape, WhatIsReadOfADeadCallerIsNotKeptForItsPid) {
  HeldWorkerAttack("status-of-the-dead", "status:2", "# N took C's pid", "held after reading the caller's status",
                   "a dead caller's ids were kept for the process that took its pid");
}

// ===========================================================================
// 9f. Capabilities across an exec (a red-team review): every sandboxed
// process has no_new_privs, so an exec never grants ids or capabilities,
// but a process that is not root loses its (non-ambient) capabilities at
// exec. P keeps CAP_DAC_OVERRIDE across setresuid(65534); its child C
// makes a checked call in the root-only DIR/ro (so the supervisor learns
// its ids) and execs; the new image's creation of DIR/ro/pwned must be
// EACCES, as natively, not performed with the capability C had. Root only.
TEST(Escape, ACapabilityLostAtExecIsNotKept) {
  if (!Root()) GTEST_SKIP() << "takes uid 65534 with a capability from real root";
  for (bool sandboxed : {false, true}) {
    TempDir d;
    chmod(d.path().c_str(), 0777);
    ASSERT_EQ(mkdir((d / "ro").c_str(), 0755), 0);
    std::vector<std::string> cmd = Attack({"caps-across-exec", d.path()});
    RunResult r = sandboxed ? RunArgv(SydArgv({"core/sandbox/write:deny", "allowlist/write+" + d / "***"}, cmd), 30000)
                            : RunArgv(cmd, 30000);
    const char* where = sandboxed ? "under sydbox" : "natively";
    ASSERT_NE(r.out.find("# C made"), std::string::npos) << where << ": the capability did not work\n" << Show(r);
    EXPECT_FALSE(Exists(d / "ro/pwned")) << where << "\n" << Show(r);
    ExpectBlocked(r);
  }
}

// ===========================================================================
// 10. The process table leaks: 300 short-lived processes each make one
// write-checked call; sydbox must not keep descriptors for each of them.
// sydbox runs with RLIMIT_NOFILE 64 (the bound asked for, enforced at every
// moment, also where /proc/SYDBOX/fd cannot be read: a non-dumpable sydbox
// as uid 65534), and its /proc/PID/fd is counted where it can be read.
// Blocked: every one of the 300 calls worked and sydbox holds few
// descriptors (< 64) afterwards.
TEST(Escape, ProcessTableDoesNotLeak) {
  TempDir d;
  // (Output goes to the pipe: nothing but the 300 opens is checked.)
  const std::string script =
      "for i in $(seq 300); do " + HelperBin() + " open-w " + d / "f$i" + "; done; echo LOOP-DONE; exec sleep 30";
  std::vector<std::string> argv = {"sh", "-c", "ulimit -n 64 && exec \"$0\" \"$@\""};
  for (const auto& a :
       SydArgv({"core/sandbox/write:deny", "allowlist/write+" + d.path() + "/***"}, {"sh", "-c", script}))
    argv.push_back(a);
  Proc p(argv);
  p.CloseStdin();
  ASSERT_TRUE(p.WaitForText("LOOP-DONE", 60000)) << "the loop did not finish\n" << Show(p.Wait(1000));
  usleep(100000);
  int fds = -1, fd_dir_errno = 0;
  DIR* dir = opendir(("/proc/" + std::to_string(p.pid()) + "/fd").c_str());
  if (!dir) fd_dir_errno = errno;
  if (dir) {
    fds = 0;
    while (dirent* e = readdir(dir))
      if (e->d_name[0] != '.') ++fds;
    closedir(dir);
  }
  kill(p.pid(), SIGTERM);  // forwarded to the sleep
  RunResult r = p.Wait(10000);
  int missing = 0;
  for (int i = 1; i <= 300; ++i) missing += !Exists(d / ("f" + std::to_string(i)));
  std::string failure;
  for (const auto& l : Lines(r.out))
    if (l != "OK" && l != "LOOP-DONE") failure = l;
  EXPECT_EQ(missing, 0) << missing << " of 300 write-checked calls failed (sydbox out of descriptors?), e.g. with "
                        << failure;
  if (fds < 0) {
    std::cout << "[ note ] /proc/" << p.pid() << "/fd is not readable here (" << strerror(fd_dir_errno)
              << "); only the 300 calls are checked\n";
  } else {
    EXPECT_LT(fds, 64) << "sydbox holds " << fds << " descriptors after 300 processes came and went";
  }
}

// ===========================================================================
// 11. Per-process magic lock lost to a racing thread: thread A locks the
// process (magic_lock:on) while two others keep setting magic_lock:exec;
// a third keeps a denied write going so that several supervisor workers
// answer at once. A fresh process per round. Blocked: every process ends up
// locked (its query of /dev/sydbox/core/sandbox/write? is ENOENT).
// SYD_ATTACK_RACE_ROUNDS sets the number of rounds (default 1000, ~5 s;
// today the lock is lost in ~0.2-0.4% of them, so nearly every run sees it).
TEST(Escape, MagicLockIsNotLostToARacingThread) {
  TempDir d;
  const char* env = getenv("SYD_ATTACK_RACE_ROUNDS");
  const std::string rounds = env ? env : "1000";
  // Reports go to /dev/null: thousands of them, and each costs a worker hand-off.
  std::vector<std::string> argv = SydboxArgv();
  for (const auto& a : {"--log-format", "json", "--log-file", "/dev/null", "-m", "core/sandbox/write:deny", "--"})
    argv.push_back(a);
  for (const auto& a : Attack({"magic-race", rounds, d / "noise"})) argv.push_back(a);
  RunResult r = RunArgv(argv, 120000);
  EXPECT_EQ(Verdict(r.out), "BLOCKED magic-race (every process locked): ENOENT") << Show(r);
  EXPECT_EQ(r.code, 1) << Show(r);
  ExpectNoCrash(r);
}

// ===========================================================================
// 12. The red-team's findings (README of the red-team pass: A, B, D, F-M),
// one test each (two for D, G), with the attacks of syd-attack.c section 12.

// A line that starts with `prefix`.
bool HasLinePrefix(const std::string& text, const std::string& prefix) {
  for (const auto& l : Lines(text))
    if (l.rfind(prefix, 0) == 0) return true;
  return false;
}

// A. Failing closed, from the sandbox's side: sydbox is killed from outside
// (nothing inside can kill it); a sandboxed process that survives it (not
// the eldest: that one dies with sydbox) finds every notified call failing
// with ENOSYS, and must not get a seccomp listener of its own, which would
// answer its children's calls with CONTINUE (the kernel refuses a second
// listener only while the first is open). Natively a stand-in supervisor
// (creat(2) goes to its listener, answered EPERM) is killed the same way:
// the survivor's own listener lets creat through. Blocked: the listener is
// EPERM, creat stays ENOSYS, TARGET does not exist, and sydbox died of our
// SIGKILL, not before.
RunResult KillParentThenGo(Proc& p) {
  const bool ready = p.WaitFor([](const std::string& o) { return HasLine(o, "READY"); }, 10000);
  if (ready) {
    kill(p.pid(), SIGKILL);
    for (int i = 0; i < 500 && p.Running(); ++i) usleep(10000);  // its descriptors are closed once it is a zombie
    p.Write("go\n");
    p.WaitFor([](const std::string& o) { return !Verdict(o).empty(); }, 10000);
  }
  RunResult r = p.Wait(10000);
  if (!ready) r.err += "\n[test: the attack never said READY]\n";
  return r;
}

TEST(Escape, NoListenerOfItsOwnOnceTheSupervisorIsKilled) {
  TempDir d;
  ASSERT_EQ(mkdir((d / "denied").c_str(), 0777), 0);
  {
    Proc p(Attack({"listener-parent", AttackBin(), "own-listener", d / "denied/native"}));
    RunResult native = KillParentThenGo(p);
    ASSERT_TRUE(HasLine(native.out, "while the parent lives: seccomp(NEW_LISTENER): EBUSY")) << Show(native);
    ASSERT_TRUE(HasLine(native.out, "after the parent: creat: ENOSYS")) << Show(native);
    ASSERT_TRUE(Escaped(native)) << Show(native);
    ASSERT_TRUE(Exists(d / "denied/native")) << Show(native);
  }
  Proc p(SydArgv({"core/sandbox/write:deny", "allowlist/write+" + d / "allowed/***"},
                 Attack({"own-listener", d / "denied/target"})));
  RunResult r = KillParentThenGo(p);
  EXPECT_EQ(Verdict(r.out), "BLOCKED seccomp(NEW_LISTENER): EPERM") << Show(r);
  EXPECT_TRUE(HasLine(r.out, "after the parent: creat: ENOSYS")) << Show(r);
  EXPECT_TRUE(HasLine(r.out, "after the refusal: creat: ENOSYS")) << Show(r);
  EXPECT_FALSE(Exists(d / "denied/target")) << "a call sydbox checked went through after its death\n" << Show(r);
  EXPECT_EQ(r.code, 128 + SIGKILL) << "sydbox did not die of the test's SIGKILL\n" << Show(r);
}

// ===========================================================================
// B. prlimit64 with a new limit is checked in user space, but a NULL new
// limit only reads and is let through in BPF; were the pointer compared on
// its low 32 bits, a struct at 0x100000000 would pass as NULL. The attack
// sets RLIMIT_MSGQUEUE 4096 on a worker thread of its parent (limits are per
// process; the tid is not the parent's pid, which BPF refuses outright),
// given to it on stdin. Blocked: EPERM, and sydbox's limit is ours.
std::string MsgqueueLimit(pid_t pid) {
  for (const auto& l : Lines(ReadFile("/proc/" + std::to_string(pid) + "/limits")))
    if (l.rfind("Max msgqueue size", 0) == 0) {
      std::istringstream in(l.substr(17));
      std::string soft, hard;
      in >> soft >> hard;
      return soft + " " + hard;
    }
  return "";
}

std::vector<pid_t> Threads(pid_t pid) {
  std::vector<pid_t> out;
  if (DIR* d = opendir(("/proc/" + std::to_string(pid) + "/task").c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') out.push_back(std::atoi(e->d_name));
    closedir(d);
  }
  return out;
}

struct WideRun {
  RunResult r;
  pid_t tid = 0;
  std::string limit;  // the parent's RLIMIT_MSGQUEUE after the attack
};

WideRun RunPrlimitWide(const std::vector<std::string>& argv) {
  WideRun w;
  Proc p(argv);
  if (p.WaitFor([](const std::string& o) { return HasLine(o, "WAITING"); }, 10000)) {
    for (pid_t t : Threads(p.pid()))
      if (t != p.pid()) w.tid = t;
    p.Write(std::to_string(w.tid) + "\n");
    if (p.WaitFor([](const std::string& o) { return HasLine(o, "DONE"); }, 10000)) w.limit = MsgqueueLimit(p.pid());
  }
  p.CloseStdin();
  w.r = p.Wait();
  return w;
}

TEST(Escape, PrlimitNewLimitAbove4GiBIsNotNull) {
  const std::string mine = MsgqueueLimit(getpid());
  ASSERT_NE(mine, "4096 4096");
  WideRun native = RunPrlimitWide(Attack({"parent-wait", AttackBin(), "prlimit-wide"}));
  ASSERT_NE(native.tid, 0) << Show(native.r);
  ASSERT_TRUE(HasLine(native.r.out, "prlimit64(" + std::to_string(native.tid) + ", new at 0x100000000): OK"))
      << Show(native.r);
  ASSERT_EQ(native.limit, "4096 4096") << Show(native.r);
  ASSERT_TRUE(Escaped(native.r)) << Show(native.r);
  WideRun r = RunPrlimitWide(SydArgv({}, Attack({"prlimit-wide"})));
  ASSERT_NE(r.tid, 0) << "no worker thread of sydbox found\n" << Show(r.r);
  EXPECT_TRUE(HasLine(r.r.out, "prlimit64(" + std::to_string(r.tid) + ", new at 0x100000000): EPERM")) << Show(r.r);
  EXPECT_EQ(r.limit, mine) << "sydbox's RLIMIT_MSGQUEUE was set from inside\n" << Show(r.r);
  ExpectBlocked(r.r);
}

// ===========================================================================
// D. A root sydbox connects and sends for the sandbox (network sandboxing):
// a server outside that trusts its peer's credentials must see the
// caller's, as without sydbox. The attack drops to uid 65534, connects, asks
// the server what it saw (SO_PEERCRED, the SCM_CREDENTIALS of a plain
// sendmsg), then sends a message claiming pid 1, uid 0, gid 0 (the kernel
// lets only root claim what it is not). Natively: uid 65534 everywhere, the
// forged message EPERM. Unprivileged, sydbox has no ids but the caller's:
// nothing to test.
class PeerServer {
 public:
  PeerServer(const std::string& path, int connections) : fd_(UnixServer(path)) {
    if (fd_ >= 0) thread_ = std::thread([this, connections] { Serve(connections); });
  }
  ~PeerServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  // One line per connection: "peer PID UID GID creds PID UID GID|none".
  std::vector<std::string> Seen() {
    std::lock_guard<std::mutex> lk(m_);
    return seen_;
  }

 private:
  void Serve(int connections) {
    for (int n = 0; n < connections && !stop_;) {
      pollfd pf{fd_, POLLIN, 0};
      if (poll(&pf, 1, 100) <= 0) continue;
      int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      ++n;
      int one = 1;
      setsockopt(c, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
      ucred peer{};
      socklen_t len = sizeof peer;
      getsockopt(c, SOL_SOCKET, SO_PEERCRED, &peer, &len);
      std::string line = "peer " + std::to_string(peer.pid) + " " + std::to_string(peer.uid) + " " +
                         std::to_string(peer.gid) + " creds none";
      char data[64];
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
      iovec v{data, sizeof data};
      msghdr mh{};
      mh.msg_iov = &v;
      mh.msg_iovlen = 1;
      mh.msg_control = control;
      mh.msg_controllen = sizeof control;
      pollfd cp{c, POLLIN, 0};
      if (poll(&cp, 1, 3000) > 0 && recvmsg(c, &mh, 0) > 0) {
        for (cmsghdr* cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
          if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS) {
            ucred u;
            std::memcpy(&u, CMSG_DATA(cm), sizeof u);
            line = line.substr(0, line.find(" creds ")) + " creds " + std::to_string(u.pid) + " " +
                   std::to_string(u.uid) + " " + std::to_string(u.gid);
          }
      }
      (void)!send(c, (line + "\n").data(), line.size() + 1, MSG_NOSIGNAL);
      close(c);
      std::lock_guard<std::mutex> lk(m_);
      seen_.push_back(line);
    }
  }

  int fd_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex m_;
  std::vector<std::string> seen_;
};

struct PeerRun {
  RunResult r;
  std::vector<std::string> seen;
};

PeerRun RunPeercred(const TempDir& d, bool sandboxed) {
  const std::string sock = d / "sock";
  unlink(sock.c_str());
  PeerServer server(sock, 4);  // plain, forged, the parent's pid, our own
  PeerRun p;
  if (!server.ok()) {
    p.r.err = "the server could not listen on " + sock;
    return p;
  }
  p.r = RunArgv(sandboxed ? SydArgv({"core/sandbox/network:deny", "allowlist/network/connect+unix:" + sock},
                                    Attack({"peercred", sock}))
                          : Attack({"peercred", sock}));
  p.seen = server.Seen();
  return p;
}

// "peer PID UID GID creds ..." -> (UID, GID) of the peer, or of the creds.
std::pair<long, long> Ids(const std::string& line, const char* which) {
  size_t at = line.find(which);
  long pid = -1, uid = -1, gid = -1;
  if (at != std::string::npos) std::sscanf(line.c_str() + at + std::strlen(which), "%ld %ld %ld", &pid, &uid, &gid);
  return {uid, gid};
}

// What the server saw of a connection made by sydbox: SO_PEERCRED names the
// caller (uid and gid 65534), as natively.
TEST(Escape, ConnectedPeerSeesTheCallersIds) {
  if (!Root()) GTEST_SKIP() << "needs a root sydbox: unprivileged, it has no ids but the caller's";
  TempDir d;
  PeerRun native = RunPeercred(d, false);
  ASSERT_EQ(native.seen.size(), 4u) << Show(native.r);
  for (const auto& s : native.seen) ASSERT_EQ(Ids(s, "peer "), std::make_pair(65534L, 65534L)) << s;
  PeerRun p = RunPeercred(d, true);
  ASSERT_FALSE(p.seen.empty()) << Show(p.r);
  for (const auto& s : p.seen)
    EXPECT_EQ(Ids(s, "peer "), std::make_pair(65534L, 65534L)) << "the server's peer is not the caller: " << s << "\n"
                                                               << Show(p.r);
  ExpectNoCrash(p.r);
}

// What a message sent through sydbox carries: the SCM_CREDENTIALS of a plain
// sendmsg name the caller's ids; forged ones are EPERM, as natively.
TEST(Escape, MessagesCarryTheCallersCredentials) {
  if (!Root()) GTEST_SKIP() << "needs a root sydbox: unprivileged, it has no ids but the caller's";
  TempDir d;
  PeerRun native = RunPeercred(d, false);
  ASSERT_EQ(Verdict(native.r.out), "BLOCKED sendmsg(forged SCM_CREDENTIALS): EPERM") << Show(native.r);
  ASSERT_FALSE(native.seen.empty()) << Show(native.r);
  ASSERT_EQ(Ids(native.seen[0], "creds "), std::make_pair(65534L, 65534L)) << native.seen[0];
  PeerRun p = RunPeercred(d, true);
  ASSERT_FALSE(p.seen.empty()) << Show(p.r);
  EXPECT_EQ(Ids(p.seen[0], "creds "), std::make_pair(65534L, 65534L))
      << "a plain message's credentials are not the caller's: " << p.seen[0] << "\n"
      << Show(p.r);
  for (const auto& s : p.seen)
    EXPECT_EQ(s.find("creds 1 0 0"), std::string::npos) << "the server took forged credentials: " << s;
  EXPECT_TRUE(HasLinePrefix(p.r.out, "forged: sendmsg: EPERM")) << Show(p.r);
  // sydbox's own pid with root's ids: what the supervisor itself could
  // claim (its pid, its saved ids 0), refused as for the caller natively.
  EXPECT_TRUE(HasLinePrefix(native.r.out, "parent: sendmsg: EPERM")) << Show(native.r);
  EXPECT_TRUE(HasLinePrefix(p.r.out, "parent: sendmsg: EPERM")) << Show(p.r);
  // The caller's own credentials go through, as natively.
  EXPECT_TRUE(HasLinePrefix(native.r.out, "own: sendmsg: OK")) << Show(native.r);
  EXPECT_TRUE(HasLinePrefix(p.r.out, "own: sendmsg: OK")) << Show(p.r);
  ExpectBlocked(p.r);
}

// The same with datagrams sent to an address, which sydbox sends itself: a
// plain one carries the caller's ids, forged credentials are EPERM. The
// server answers each datagram with the credentials it came with.
class DgramServer {
 public:
  explicit DgramServer(const std::string& path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    std::strncpy(un.sun_path, path.c_str(), sizeof un.sun_path - 1);
    int one = 1;
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&un), sizeof un) != 0 ||
        setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0) {
      if (fd_ >= 0) close(fd_);
      fd_ = -1;
      return;
    }
    chmod(path.c_str(), 0777);
    thread_ = std::thread([this] { Serve(); });
  }
  ~DgramServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  std::vector<std::string> Seen() {
    std::lock_guard<std::mutex> lk(m_);
    return seen_;
  }

 private:
  void Serve() {
    while (!stop_) {
      pollfd pf{fd_, POLLIN, 0};
      if (poll(&pf, 1, 100) <= 0) continue;
      char data[64];
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
      sockaddr_un from{};
      iovec v{data, sizeof data};
      msghdr mh{};
      mh.msg_name = &from;
      mh.msg_namelen = sizeof from;
      mh.msg_iov = &v;
      mh.msg_iovlen = 1;
      mh.msg_control = control;
      mh.msg_controllen = sizeof control;
      if (recvmsg(fd_, &mh, 0) < 0) continue;
      std::string line = "creds none";
      for (cmsghdr* cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS) {
          ucred u;
          std::memcpy(&u, CMSG_DATA(cm), sizeof u);
          line = "creds " + std::to_string(u.pid) + " " + std::to_string(u.uid) + " " + std::to_string(u.gid);
        }
      (void)!sendto(fd_, (line + "\n").data(), line.size() + 1, MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&from),
                    mh.msg_namelen);
      std::lock_guard<std::mutex> lk(m_);
      seen_.push_back(line);
    }
  }

  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex m_;
  std::vector<std::string> seen_;
};

PeerRun RunPeercredDgram(const TempDir& d, bool sandboxed) {
  const std::string sock = d / "dgram";
  unlink(sock.c_str());
  DgramServer server(sock);
  PeerRun p;
  if (!server.ok()) {
    p.r.err = "the server could not bind " + sock;
    return p;
  }
  p.r = RunArgv(sandboxed ? SydArgv({"core/sandbox/network:deny", "allowlist/network/connect+unix:" + sock},
                                    Attack({"peercred-dgram", sock}))
                          : Attack({"peercred-dgram", sock}));
  p.seen = server.Seen();
  return p;
}

TEST(Escape, DatagramsCarryTheCallersCredentials) {
  if (!Root()) GTEST_SKIP() << "needs a root sydbox: unprivileged, it has no ids but the caller's";
  TempDir d;
  PeerRun native = RunPeercredDgram(d, false);
  ASSERT_EQ(Verdict(native.r.out), "BLOCKED sendmsg(forged SCM_CREDENTIALS, datagram): EPERM") << Show(native.r);
  // Natively: the plain datagram and the one with the sender's own
  // credentials arrive; the forged ones (pid 1, and the parent's pid with
  // root's ids) are EPERM.
  ASSERT_EQ(native.seen.size(), 2u) << Show(native.r);
  ASSERT_EQ(Ids(native.seen[0], "creds "), std::make_pair(65534L, 65534L)) << native.seen[0];
  ASSERT_EQ(Ids(native.seen[1], "creds "), std::make_pair(65534L, 65534L)) << native.seen[1];
  ASSERT_TRUE(HasLinePrefix(native.r.out, "parent: sendmsg: EPERM")) << Show(native.r);
  PeerRun p = RunPeercredDgram(d, true);
  ASSERT_FALSE(p.seen.empty()) << Show(p.r);
  EXPECT_EQ(Ids(p.seen[0], "creds "), std::make_pair(65534L, 65534L))
      << "a plain datagram's credentials are not the caller's: " << p.seen[0] << "\n"
      << Show(p.r);
  EXPECT_EQ(p.seen.size(), 2u) << "the server got a forged datagram, or not the one with the caller's own "
                                  "credentials\n"
                               << Show(p.r);
  EXPECT_TRUE(HasLinePrefix(p.r.out, "parent: sendmsg: EPERM")) << Show(p.r);
  EXPECT_TRUE(HasLinePrefix(p.r.out, "own: sendmsg: OK")) << Show(p.r);
  ExpectBlocked(p.r);
}

// ===========================================================================
// F and G are races between the supervisor's check and the kernel's action.
// The attacks hold the answered call (nice 19 on a CPU with a spinner) while
// they change the world, round after round, until 100 (F) or 50 (G) rounds
// were held or 4 s passed; each reports "rounds R held H [taken T]". The
// code before the fixes lost almost every held round; a test where too few
// rounds were held shows nothing and fails.
struct HoldCounts {
  int rounds = -1, held = -1, taken = -1;
};

HoldCounts ParseHold(const std::string& out) {
  HoldCounts c;
  for (const auto& l : Lines(out))
    if (std::sscanf(l.c_str(), "rounds %d held %d taken %d", &c.rounds, &c.held, &c.taken) >= 2) break;
  return c;
}

const int kMinHeld = 10;

// F. A call on a pid that does not exist yet: checked, it names nobody of
// the supervisor; acted on later, the pid may be a supervisor thread's. Each
// round calls prlimit64(ns_last_pid + 1, RLIMIT_MSGQUEUE, 4096) and, while the
// answered call is held, opens a FIFO for writing, which the supervisor does
// on a new thread: the predicted pid ("taken"). Before the rounds, a burst
// of denied creations from four threads makes a supervisor that starts
// workers on demand start them now. Blocked: every call fails (ESRCH),
// sydbox's limit is ours, and it has no thread that it did not have when
// the command started.
TEST(Escape, CallOnAPidNotYetTakenFails) {
  TempDir d;
  chmod(d.path().c_str(), 0777);
  ASSERT_EQ(mkfifo((d / "fifo").c_str(), 0666), 0) << strerror(errno);
  ASSERT_EQ(mkdir((d / "denied").c_str(), 0777), 0);
  const std::string mine = MsgqueueLimit(getpid());
  std::vector<std::string> argv = SydboxArgv();
  for (const auto& a : {"--log-format", "json", "--log-file", "/dev/null", "-m", "core/sandbox/write:deny", "-m"})
    argv.push_back(a);
  argv.push_back("allowlist/write+" + d / "fifo");
  argv.push_back("--");
  for (const auto& a : Attack({"future-pid", "100", d / "fifo", d / "denied/x"})) argv.push_back(a);
  Proc p(argv);
  ASSERT_TRUE(p.WaitFor([](const std::string& o) { return HasLine(o, "WAITING"); }, 10000)) << p.out();
  const std::vector<pid_t> at_start = Threads(p.pid());
  p.Write("go\n");
  const bool done = p.WaitFor([](const std::string& o) { return HasLine(o, "DONE"); }, 30000);
  const std::string limit = MsgqueueLimit(p.pid());
  std::string added;
  for (int i = 0; i < 100; ++i) {  // the last FIFO threads may still be ending
    added.clear();
    for (pid_t t : Threads(p.pid()))
      if (std::find(at_start.begin(), at_start.end(), t) == at_start.end()) added += " " + std::to_string(t);
    if (added.empty()) break;
    usleep(20000);
  }
  p.CloseStdin();
  RunResult r = p.Wait();
  ASSERT_TRUE(done) << Show(r);
  const HoldCounts c = ParseHold(r.out);
  EXPECT_GE(c.held, kMinHeld) << "the answered call was hardly ever held: the test shows little\n" << Show(r);
  // The FIFO open may start a supervisor thread (the blocking-call pool
  // grows while calls block, blocking.h), and that thread may take the
  // predicted pid ("taken"): never one a checked call named (pid_marks.h).
  // Either the pid was nobody's when checked (ESRCH) or already the new
  // thread's (EPERM): the call never reaches sydbox, whose limit stays.
  EXPECT_EQ(limit, mine) << "sydbox's RLIMIT_MSGQUEUE was set from inside\n" << Show(r);
  const std::string v = Verdict(r.out);
  EXPECT_TRUE(v == "BLOCKED prlimit64(a pid that does not exist yet): ESRCH" ||
              v == "BLOCKED prlimit64(a pid that does not exist yet): EPERM")
      << v << "\n" << Show(r) << "\nthreads started since the command did:" << added;
  ExpectBlocked(r);
}

// G. setpriority / ioprio_set on the caller's own process group (0) from a
// group of its own, where only the sandbox is: while the answered call is
// held, the process joins sydbox's group. Were the call checked and then let
// through, the kernel would act on sydbox's group. Natively the call made
// from the stand-in's group reaches the stand-in. Blocked: sydbox's nice
// (its I/O priority) never changes, and the call from its group changes
// nothing of it either.
void ExpectGroupRaceBlocked(const std::string& what) {
  RunResult native = RunArgv(Attack({"parent-wait", AttackBin(), "group-race", what}));
  ASSERT_TRUE(HasLine(native.out, "in the parent's group: OK")) << Show(native);
  ASSERT_TRUE(Escaped(native)) << Show(native);
  RunResult r = RunArgv(SydArgv({}, Attack({"group-race", what, "50"})));
  const HoldCounts c = ParseHold(r.out);
  if (!Escaped(r)) {  // (an escape ends the rounds at once)
    EXPECT_GE(c.held, kMinHeld) << "the answered call was hardly ever held: the test shows little\n" << Show(r);
  }
  EXPECT_EQ(Verdict(r.out), "BLOCKED group-race (the parent untouched): EPERM") << Show(r);
  ExpectBlocked(r);
}

TEST(Escape, GroupNiceRaceDoesNotReachSydbox) { ExpectGroupRaceBlocked("setpriority"); }
TEST(Escape, GroupIoprioRaceDoesNotReachSydbox) { ExpectGroupRaceBlocked("ioprio"); }

// ===========================================================================
// H. A caller in a pid namespace of its own still shares sydbox's process
// group: setpriority(PRIO_PGRP, 0, 19) and kill(0, SIGALRM) from there (the
// attack ignores SIGALRM; sydbox does not). Namespaces allowed; the kill
// with signals checked in user space (outside_signals:false: Landlock would
// refuse it by itself). Natively the stand-in parent is reniced, or killed.
// Blocked: sydbox's nice unchanged, sydbox alive and exiting 1.
TEST(Escape, GroupZeroFromAnotherPidNamespaceIsStillChecked) {
  for (const std::string what : {"nice", "kill"}) {
    SCOPED_TRACE(what);
    RunResult native = RunArgv(Attack({"parent-wait", AttackBin(), "pidns-group", what}));
    if (native.out.find("SETUP") != std::string::npos) GTEST_SKIP() << native.out;
    ASSERT_TRUE(Escaped(native)) << Show(native);
    if (what == "kill") {
      ASSERT_EQ(native.code, 128 + SIGALRM) << Show(native);
    }
    std::vector<std::string> magic = {"core/restrict/namespaces:false"};
    if (what == "kill") magic.push_back("core/restrict/outside_signals:false");
    ExpectBlocked(RunArgv(SydArgv(magic, Attack({"pidns-group", what}))));
  }
}

// ===========================================================================
// I. With signals checked in user space and namespaces allowed, a root
// sydbox sends group kills and pidfd_send_signal itself. The attack drops to
// uid 65534 and enters a user namespace of its own, where it has every
// capability (as /proc shows them); outside, they count for nothing. Two
// root processes outside: SIGTERM to one by pidfd_send_signal, to the other's
// group by kill(-pgrp). Natively (as root, no drop) both die; natively with
// the drop, the kernel refuses both. Blocked: EPERM and both alive.
TEST(Escape, CapabilitiesOfAnotherUserNamespaceSignalNothingOutside) {
  if (!Root()) GTEST_SKIP() << "needs a root sydbox: unprivileged, it can signal nothing the caller cannot";
  {
    Proc v1({"sleep", "30"}), v2({"sleep", "30"});
    RunResult native =
        RunArgv(Attack({"userns-signal", std::to_string(v1.pid()), std::to_string(v2.pid()), "--no-drop"}));
    ASSERT_NE(native.out.find("victims killed by pidfd_send_signal; kill(-pgrp);"), std::string::npos) << Show(native);
  }
  {
    Proc v1({"sleep", "30"}), v2({"sleep", "30"});
    RunResult native = RunArgv(Attack({"userns-signal", std::to_string(v1.pid()), std::to_string(v2.pid())}));
    ASSERT_EQ(Verdict(native.out), "BLOCKED signals from a user namespace of its own: EPERM") << Show(native);
  }
  Proc v1({"sleep", "30"}), v2({"sleep", "30"});
  RunResult r = RunArgv(SydArgv({"core/restrict/namespaces:false", "core/restrict/outside_signals:false"},
                                Attack({"userns-signal", std::to_string(v1.pid()), std::to_string(v2.pid())})));
  EXPECT_TRUE(v1.Running()) << "pidfd_send_signal reached a root process outside\n" << Show(r);
  EXPECT_TRUE(v2.Running()) << "kill(-pgrp) reached a root process outside\n" << Show(r);
  EXPECT_TRUE(HasLine(r.out, "in a user namespace of its own: pidfd_send_signal(victim 1, SIGTERM): EPERM")) << Show(r);
  EXPECT_TRUE(HasLine(r.out, "in a user namespace of its own: kill(-victim 2, SIGTERM): EPERM")) << Show(r);
  ExpectBlocked(r);
}

// ===========================================================================
// J. The terminal. Hanging it up (vhangup, ioctl TIOCVHANGUP) sends SIGHUP
// to its session leader: the shell that ran sydbox. Natively (root: it
// takes CAP_SYS_TTY_CONFIG, CAP_SYS_ADMIN) the shell dies before its echo.
// Blocked: EPERM, and the shell goes on to echo sydbox's status (1).
TEST(Escape, TerminalHangupIsRefused) {
  for (const std::string how : {"vhangup", "tiocvhangup"}) {
    SCOPED_TRACE(how);
    if (Root()) {
      RunResult native = InScript(AttackBin() + " " + how + "; echo SHELL-ALIVE-$?");
      ASSERT_EQ(native.out.find("SHELL-ALIVE"), std::string::npos) << "the hang-up left the shell alive\n"
                                                                   << Show(native);
    } else {
      std::cout << "[ note ] " << how << " native half skipped: it needs privileges uid " << geteuid() << " has not\n";
    }
    RunResult r = InScript(SydboxLine() + " -- " + AttackBin() + " " + how + "; echo SHELL-ALIVE-$?");
    EXPECT_EQ(Verdict(r.out), how == "vhangup" ? "BLOCKED vhangup: EPERM" : "BLOCKED ioctl(TIOCVHANGUP): EPERM")
        << Show(r);
    EXPECT_NE(r.out.find("SHELL-ALIVE-1"), std::string::npos) << "the shell that ran sydbox did not go on\n" << Show(r);
  }
}

// J. Job control: sydbox runs as a job of an interactive session (its own
// process group in the terminal's foreground). The sandboxed process puts a
// child of its own in the foreground, then reads from the terminal (ttin)
// or writes to it with TOSTOP (ttou): the kernel stops its whole process
// group, sydbox's. Natively the stand-in parent's job is stopped (the
// session reports it and brings it back a second later). Blocked: sydbox
// keeps running (a call it must answer comes back), the job is never
// stopped and ends with the attack's status.
TEST(Escape, JobControlStopsDoNotStopSydbox) {
  for (const std::string how : {"ttin", "ttou"}) {
    SCOPED_TRACE(how);
    const std::string stopped =
        "tty-session: job stopped by signal " + std::to_string(how == "ttin" ? SIGTTIN : SIGTTOU);
    RunResult native = RunArgv(Attack({"tty-session", AttackBin(), "parent-wait", AttackBin(), "tty-stop", how}));
    ASSERT_TRUE(HasLine(native.out, stopped)) << Show(native);
    ASSERT_TRUE(Escaped(native)) << Show(native);
    std::vector<std::string> argv = {AttackBin(), "tty-session"};
    for (const auto& a : SydboxArgv()) argv.push_back(a);
    argv.push_back("--");
    for (const auto& a : Attack({"tty-stop", how})) argv.push_back(a);
    RunResult r = RunArgv(argv);
    EXPECT_EQ(r.out.find("tty-session: job stopped"), std::string::npos) << "sydbox was stopped\n" << Show(r);
    EXPECT_EQ(Verdict(r.out), "BLOCKED tty-stop(" + how + "): the parent kept running") << Show(r);
    EXPECT_TRUE(HasLine(r.out, "tty-session: job status 1")) << Show(r);
    EXPECT_EQ(r.code, 1) << Show(r);
  }
}

// ===========================================================================
// K. Root inside writes cgroup.procs: it could move sydbox into a frozen
// cgroup, or one with a tiny memory limit. The attack makes a cgroup, moves
// its parent into it, and back once the test has looked. Natively the
// stand-in parent is moved. Blocked: the cgroup file systems are read-only
// (EROFS) and cannot be remounted read-write (EPERM); sydbox stays where it
// started.
TEST(Escape, CgroupsAreReadOnlyForRootInside) {
  if (!Root()) GTEST_SKIP() << "needs root: the cgroup files are root's";
  auto moved_or_verdict = [](const std::string& o) {
    return o.find("MOVED ") != std::string::npos || !Verdict(o).empty() || o.find("SETUP") != std::string::npos;
  };
  const std::string mine = ReadFile("/proc/self/cgroup");
  {
    Proc p(Attack({"parent-wait", AttackBin(), "cgroup-move"}));
    p.WaitFor(moved_or_verdict, 10000);
    const std::string during = ReadFile("/proc/" + std::to_string(p.pid()) + "/cgroup");
    p.CloseStdin();
    RunResult native = p.Wait();
    if (native.out.find("SETUP") != std::string::npos) GTEST_SKIP() << native.out;
    ASSERT_TRUE(Escaped(native)) << Show(native);
    ASSERT_NE(during.find("syd-attack-"), std::string::npos) << during << Show(native);
    ASSERT_NE(native.out.find("moved back: yes"), std::string::npos) << Show(native);
  }
  Proc p(SydArgv({}, Attack({"cgroup-move"})));
  p.WaitFor(moved_or_verdict, 10000);
  const std::string during = ReadFile("/proc/" + std::to_string(p.pid()) + "/cgroup");
  p.CloseStdin();
  RunResult r = p.Wait();
  EXPECT_EQ(during, mine) << "sydbox was moved into another cgroup from inside\n" << Show(r);
  EXPECT_EQ(Verdict(r.out), "BLOCKED mkdir in the cgroup hierarchy: EROFS") << Show(r);
  EXPECT_NE(r.out.find("read-write: EPERM"), std::string::npos) << Show(r);
  ExpectBlocked(r);
}

// ===========================================================================
// M. /proc/self/autogroup is the caller's own file, but the autogroup is the
// session's, sydbox's and the user's shell's: written through /proc/self,
// /proc/PID and a /proc/self directory descriptor, under write sandboxing
// that allows /proc (and under the paludis profile, which allows the
// process's own /proc directory). Everything runs in a session of its own
// (parent-wait --setsid), so that only the stand-in's autogroup can change.
// Natively its nice becomes 19. Blocked: each open is EPERM, reported with
// rule builtin:autogroup; the nice is unchanged.
TEST(Escape, AutogroupWritesAreRefusedWhereWritesAreChecked) {
  if (!Exists("/proc/self/autogroup")) GTEST_SKIP() << "no autogroups in this kernel";
  RunResult native = RunArgv(Attack({"parent-wait", "--setsid", AttackBin(), "autogroup", "19"}));
  ASSERT_TRUE(Escaped(native)) << Show(native);
  const std::vector<std::vector<std::string>> configs = {
      {"-m", "core/sandbox/write:deny", "-m", "allowlist/write+/proc/***"}, {"-p", "paludis"}};
  for (const auto& config : configs) {
    SCOPED_TRACE(config[1]);
    std::vector<std::string> argv = Attack({"parent-wait", "--setsid"});
    for (const auto& a : SydboxArgv()) argv.push_back(a);
    argv.insert(argv.end(), {"--log-format", "json"});
    argv.insert(argv.end(), config.begin(), config.end());
    argv.push_back("--");
    for (const auto& a : Attack({"autogroup", "19"})) argv.push_back(a);
    RunResult r = RunArgv(argv);
    EXPECT_EQ(Verdict(r.out), "BLOCKED write /proc/self/autogroup: EPERM") << Show(r);
    for (const std::string name : {"/proc/self/autogroup", "openat(/proc/self, autogroup)"})
      EXPECT_TRUE(HasLine(r.out, name + ": open: EPERM")) << Show(r);
    EXPECT_EQ(CountLines(r.err, "\"rule\":\"builtin:autogroup\""), 3) << Show(r);
    EXPECT_TRUE(HasLine(r.out, "parent-wait: survived, child status 1")) << Show(r);
    ExpectNoCrash(r);
  }
}

}  // namespace
}  // namespace syd::test

// ===========================================================================
// 9e. Look-ups by pid number (a red-team review; syd-attack section 9e).
// A locked process must not get a magic command applied through an earlier
// owner of a pid: its child's parent entry left by an exited process
// (stale-parent), an orphan given the exited eldest's pid (eldest-pid), a
// control-socket peer that exited before the accept and so looked outside
// the sandbox (ipc-dead-peer); and a thread released by detach_thread must
// not release the next task given its tid (detached-tid). Blocked:
// DIR/denied/pwned is never made.
namespace syd::test {
namespace {
std::vector<std::string> LockAttackArgv(const std::string& mode, const TempDir& d, std::vector<std::string> magic,
                                 std::vector<std::string> extra = {}, bool ns = true) {
  mkdir((d / "denied").c_str(), 0755);
  mkdir((d / "allowed").c_str(), 0755);
  magic.insert(magic.begin(), {"core/sandbox/write:deny", "allowlist/write+" + d / "allowed/***",
                               "allowlist/write+/proc/sys/kernel/ns_last_pid"});
  std::vector<std::string> cmd = {mode};
  for (const auto& e : extra) cmd.push_back(e);
  std::vector<std::string> argv;
  if (ns) argv = {AttackBin(), "signal-lab", "ns-run", "--"};
  for (const auto& a : SydArgv(magic, Attack(cmd))) argv.push_back(a);
  return argv;
}
}  // namespace

TEST(Escape, AStaleParentEntryDoesNotUnlockAGrandchild) {
  if (!Root()) GTEST_SKIP() << "ns_last_pid";
  TempDir d;
  RunResult r = RunArgv(LockAttackArgv("stale-parent", d, {}, {d.path()}), 30000);
  if (r.out.find("lab: cannot") != std::string::npos) GTEST_SKIP() << r.out;
  EXPECT_FALSE(Exists(d / "denied/pwned")) << Show(r);
  EXPECT_FALSE(Escaped(r)) << Show(r);
}

TEST(Escape, AnOrphanWithTheEldestsPidIsLocked) {
  if (!Root()) GTEST_SKIP() << "ns_last_pid";
  for (const char* how : {"self", "exec"}) {
    TempDir d;
    std::vector<std::string> magic;
    if (std::string(how) == "exec") magic.push_back("core/trace/magic_lock:exec");
    RunResult r = RunArgv(LockAttackArgv("eldest-pid", d, magic, {d.path(), how}), 30000);
    if (r.out.find("lab: cannot") != std::string::npos) GTEST_SKIP() << r.out;
    EXPECT_FALSE(Exists(d / "denied/pwned")) << how << "\n" << Show(r);
    EXPECT_FALSE(Escaped(r)) << how << "\n" << Show(r);
  }
}

// A locked process's attack on the control socket: sydbox --ipc SOCKET
// runs `syd-attack MODE SOCKET DIR ARG`, after `prefix` if any.
void ControlSocketAttack(const std::string& mode, const std::string& arg,
                         const std::vector<std::string>& prefix = {}) {
  TempDir d;
  const std::string sock = d / "ctl.sock";
  std::vector<std::string> argv = LockAttackArgv(mode, d, {}, {sock, d.path(), arg}, false);
  argv.insert(argv.begin() + 1, {"--ipc", sock});
  argv.insert(argv.begin(), prefix.begin(), prefix.end());
  RunResult r = RunArgv(argv, 30000);
  EXPECT_FALSE(Exists(d / "denied/pwned")) << Show(r);
  EXPECT_FALSE(Escaped(r)) << Show(r);
}

// ===========================================================================
// 9h. A locked process's reach into an unlocked one. The magic lock is per
// process, but /proc/PID/mem lets a process write the memory of another
// of its uid: a locked child wrote a magic command into its unlocked
// parent's memory, the parent stat'ed it, and the child then did what its
// lock had kept: wrote under DIR/denied (write sandboxing allowing /proc)
// or read DIR/denied/secret (read sandboxing, write sandboxing off: the
// open for writing went to the kernel unseen). Blocked: the open of
// another process's memory for writing is refused (EACCES), and while any
// process is locked every open for writing is performed by sydbox.
TEST(Escape, ALockedProcessDoesNotWriteAnUnlockedOnesMemory) {
  TempDir d;
  ASSERT_EQ(mkdir((d / "denied").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((d / "allowed").c_str(), 0755), 0);
  {
    // Native: the write into the parent's memory works, and the parent
    // stats what its child put there.
    RunResult native = RunArgv(Attack({"mem-hijack", d.path(), "write"}));
    ASSERT_TRUE(Escaped(native)) << Show(native);
    ASSERT_NE(native.out.find("which L wrote into our memory"), std::string::npos) << Show(native);
    ASSERT_EQ(unlink((d / "denied/pwned").c_str()), 0);
  }
  WriteFile(d / "denied/secret", "secret\n");
  struct Case {
    const char* what;
    std::vector<std::string> magic;
  };
  const Case cases[] = {
      {"write", {"core/sandbox/write:deny", "allowlist/write+" + d / "allowed/***", "allowlist/write+/proc/***"}},
      {"read", {"core/sandbox/read:deny", "denylist/read+" + d / "denied/***", "allowlist/read+/***"}},
  };
  for (const Case& k : cases) {
    RunResult r = RunArgv(SydArgv(k.magic, Attack({"mem-hijack", d.path(), k.what})));
    ExpectBlocked(r);
    EXPECT_NE(r.out.find("/mem: EACCES"), std::string::npos) << k.what << "\n" << Show(r);
    EXPECT_NE(r.out.find("U: our memory is as it was"), std::string::npos) << k.what << "\n" << Show(r);
    EXPECT_FALSE(Exists(d / "denied/pwned")) << k.what << "\n" << Show(r);
  }
}

// An attack MODE FILE that has the kernel itself write FILE, with no open
// of it for writing that sydbox could check: natively FILE changes; under
// write sandboxing with FILE's directory not allowed, the attack stops at
// `verdict` and FILE is as it was.
void KernelWritesNoDeniedFile(const std::string& mode, const std::string& verdict) {
  TempDir d;
  ASSERT_EQ(mkdir((d / "ro").c_str(), 0755), 0);
  const std::string file = d / "ro/D";
  WriteFile(file, "ORIGINAL\n");
  RunResult native = RunArgv(Attack({mode, file}));
  ASSERT_TRUE(Escaped(native)) << Show(native);
  ASSERT_NE(ReadFile(file), "ORIGINAL\n") << Show(native);
  WriteFile(file, "ORIGINAL\n");
  RunResult r =
      RunArgv(SydArgv({"core/sandbox/write:deny", "allowlist/write+" + d / "allowed/***"}, Attack({mode, file})));
  ExpectBlocked(r);
  EXPECT_EQ(Verdict(r.out), verdict) << Show(r);
  EXPECT_EQ(ReadFile(file), "ORIGINAL\n") << Show(r);
}

// acct(FILE) (a red-team review): the kernel opens FILE itself and appends
// a record for every process that exits; no path was checked, so root
// appended to a file the policy let it only read. Blocked: acct is EPERM
// whatever the configuration (so are swapon, quotactl, modules, port I/O).
TEST(Escape, AcctWritesNoFileThePolicyDenies) {
  if (!Root()) GTEST_SKIP() << "acct needs CAP_SYS_PACCT";
  KernelWritesNoDeniedFile("acct-append", "BLOCKED acct: EPERM");
}

// A core dump (a red-team review): with a relative core_pattern the kernel
// writes (or replaces) DIR/core as the dying process, in its working
// directory, which chdir() only reads: a file made where the policy allows
// no write. Blocked: where writes are checked the command starts with
// RLIMIT_CORE 0 (soft and hard), so no core is written.
TEST(Escape, ACoreDumpWritesNoFileThePolicyDenies) {
  TempDir d;
  ASSERT_EQ(mkdir((d / "ro").c_str(), 0777), 0);
  ASSERT_EQ(chmod((d / "ro").c_str(), 0777), 0);
  ASSERT_EQ(chmod(d.path().c_str(), 0755), 0);
  RunResult native = RunArgv(Attack({"core-drop", d / "ro"}));
  if (!Escaped(native)) GTEST_SKIP() << "no core file natively here (core_pattern, RLIMIT_CORE)\n" << Show(native);
  unlink((d / "ro/core").c_str());
  RunResult r = RunArgv(SydArgv({"core/sandbox/write:deny", "allowlist/write+" + d / "allowed/***"},
                                Attack({"core-drop", d / "ro"})));
  ExpectBlocked(r);
  EXPECT_FALSE(Exists(d / "ro/core")) << Show(r);
  // rlimit/core from the configuration still decides.
  RunResult kept = RunArgv(SydArgv({"core/sandbox/write:deny", "allowlist/write+" + d / "allowed/***", "rlimit/core:unlimited"},
                                   Attack({"core-drop", d / "ro"})));
  EXPECT_TRUE(Escaped(kept)) << Show(kept);
}

// The inode generation (a red-team review): FS_IOC_SETVERSION through a
// descriptor opened read-only changed a write-denied file's generation (the
// owner or root may). It is now a write-category check on the descriptor's
// path, like chattr's requests. (Natively it needs a file system that takes
// it: ext4 here; elsewhere the test is skipped.)
TEST(Escape, AnInodeGenerationIsAWrite) {
  TempDir d;
  ASSERT_EQ(mkdir((d / "ro").c_str(), 0755), 0);
  WriteFile(d / "ro/D", "ORIGINAL\n");
  RunResult native = RunArgv(Attack({"fs-ioctl", d / "ro/D", "setversion", "2222"}));
  if (!Escaped(native)) GTEST_SKIP() << "FS_IOC_SETVERSION not taken here\n" << Show(native);
  RunResult r = RunArgv(SydArgv({"core/sandbox/write:deny", "allowlist/write+" + d / "allowed/***"},
                                Attack({"fs-ioctl", d / "ro/D", "setversion", "3333"})));
  ExpectBlocked(r);
  EXPECT_EQ(Verdict(r.out), "BLOCKED FS_IOC_SETVERSION: EPERM") << Show(r);
}

// While a process is locked, opens for writing are performed by sydbox even
// with write sandboxing off. A file with no name left (a memfd, an
// unlinked file, an O_TMPFILE file) is still reopened for writing through
// /proc/self/fd/N, as natively (a red-team review found ENOENT: the link
// was resolved as the text "/memfd:nameless (deleted)").
TEST(Escape, ALockedProcessReopensItsNamelessFiles) {
  TempDir d;
  for (const char* lock : {"", "core/trace/magic_lock:on"}) {
    RunResult r = RunArgv(SydArgv({"core/sandbox/read:deny", "allowlist/read+/***"},
                                  Attack({"reopen-nameless", d.path(), lock})));
    EXPECT_EQ(r.code, 0) << lock << "\n" << Show(r);
    EXPECT_EQ(r.out, "memfd: reopened\nunlinked: reopened\ntmpfile: reopened\n") << lock << "\n" << Show(r);
  }
}

// fanotify (a red-team review): root's listener gets, for a file only
// read under a FAN_OPEN mark, a descriptor the kernel opened with the
// listener's flags (O_RDWR), and no path is checked. Blocked: fanotify_init
// is EPERM whatever the configuration, DIR/denied/f unchanged.
TEST(Escape, FanotifyEventsOpenNothingForWriting) {
  if (!Root()) GTEST_SKIP() << "fanotify with descriptors needs CAP_SYS_ADMIN";
  KernelWritesNoDeniedFile("fan-write", "BLOCKED fanotify_init: EPERM");
}

// A process still writes its own memory through /proc/self/mem (and its
// threads' /proc/self/task/TID/mem), locked or not.
TEST(Escape, AProcessWritesItsOwnMemoryThroughProc) {
  for (const char* lock : {"", "core/trace/magic_lock:on"}) {
    std::vector<std::string> magic = {"core/sandbox/write:deny", "allowlist/write+/proc/***"};
    RunResult r = RunArgv(SydArgv(magic, Attack({"own-mem", lock})));
    EXPECT_EQ(r.code, 0) << lock << "\n" << Show(r);
    EXPECT_NE(r.out.find("own memory: written, thread's: written"), std::string::npos) << lock << "\n" << Show(r);
  }
}

TEST(Escape, ADeadControlSocketPeerIsNotOutside) { ControlSocketAttack("ipc-dead-peer", "50"); }

TEST(Escape, ADetachedThreadsTidIsNotReleasedForTheNextTask) {
  if (!Root()) GTEST_SKIP() << "ns_last_pid";
  TempDir d;
  RunResult r = RunArgv(LockAttackArgv("detached-tid", d, {"sys/trace+getppid:detach_thread=0"}, {d.path()}), 30000);
  if (r.out.find("lab: cannot") != std::string::npos) GTEST_SKIP() << r.out;
  EXPECT_FALSE(Exists(d / "denied/pwned")) << Show(r);
  EXPECT_FALSE(Escaped(r)) << Show(r);
}

}  // namespace syd::test

// ===========================================================================
// 9g. The control socket's "inside the sandbox" walk (a second red-team
// review). It followed PPid links up to sydbox for at most 4096 steps and
// stopped at pid 1 before comparing: a locked process's descendant 4096
// levels down, or any locked process when sydbox is pid 1 of its pid
// namespace, counted as outside and its lines were never checked against
// its lock. Blocked: DIR/denied/pwned is never made.
namespace syd::test {

TEST(Escape, ADeepDescendantOfALockedProcessIsNotOutside) { ControlSocketAttack("ipc-deep", "4100"); }

// sydbox itself as the namespace's init (as in a container whose entry
// point it is): unshare -p -f --mount-proc SYDBOX...
TEST(Escape, ALockedProcessIsNotOutsideWhenSydboxIsPidOne) {
  if (!Root()) GTEST_SKIP() << "a pid namespace of our own";
  ControlSocketAttack("ipc-deep", "0", {"unshare", "-p", "-f", "--mount-proc"});
}

}  // namespace syd::test

// 9h. A child forked before its parent was released (detach_process,
// exec/resume_if_match) is not released: its entry, made at its first
// notification, must not copy a release that came after its fork (the
// same review).
namespace syd::test {

// An attack on release (detach_process, exec/resume_if_match): runs
// `syd-attack MODE DIR HOW /bin/sleep` with writes allowed only under
// DIR/allowed, once released by its getppid (detach_process) and once by
// an exec of /bin/sleep (resume_if_match; HOW is `exec_word`). What it
// leaves running may outlive sydbox's eldest: the test waits for it.
void ReleaseAttack(const std::string& mode, const char* exec_word) {
  for (const std::string how : {"getppid", exec_word}) {
    TempDir d;
    mkdir((d / "denied").c_str(), 0755);
    std::vector<std::string> magic = {"core/sandbox/write:deny", "allowlist/write+" + d / "allowed/***"};
    if (how == "getppid") magic.push_back("sys/trace+getppid:detach_process=0");
    else magic.insert(magic.end(), {"exec/resume_if_match+/bin/sleep", "exec/resume_if_match+/usr/bin/sleep"});
    RunResult r = RunArgv(SydArgv(magic, Attack({mode, d.path(), how, "/bin/sleep"})), 30000);
    usleep(1200 * 1000);
    EXPECT_FALSE(Exists(d / "denied/pwned")) << how << "\n" << Show(r);
    EXPECT_FALSE(Escaped(r)) << how << "\n" << Show(r);
  }
}

TEST(Escape, AChildForkedBeforeItsParentsReleaseIsNotReleased) { ReleaseAttack("early-child", "exec"); }

}  // namespace syd::test

// 9i. (A third red-team review.) An entry copies the state of the parent
// /proc names at the process's first notification. That parent need not
// be the process that made it: clone(CLONE_PARENT) makes the caller's
// parent the child's, and a process whose parent exits is reparented to
// the nearest child subreaper. A locked or unreleased process so makes a
// process that copies a looser state than its own. Blocked:
// DIR/denied/pwned is never made.
namespace syd::test {

TEST(Escape, ACloneParentSiblingOfALockedProcessIsLocked) {
  for (const char* how : {"lock", "exec"}) {
    TempDir d;
    mkdir((d / "denied").c_str(), 0755);
    std::vector<std::string> magic = {"core/sandbox/write:deny", "allowlist/write+" + d / "allowed/***"};
    if (std::string(how) == "exec") magic.push_back("core/trace/magic_lock:exec");
    RunResult r = RunArgv(SydArgv(magic, Attack({"clone-parent", d.path(), how, AttackBin()})), 30000);
    EXPECT_FALSE(Exists(d / "denied/pwned")) << how << "\n" << Show(r);
    EXPECT_FALSE(Escaped(r)) << how << "\n" << Show(r);
  }
}

TEST(Escape, ACloneParentSiblingOfAnUnreleasedProcessIsNotReleased) { ReleaseAttack("clone-parent", "resume"); }

TEST(Escape, AGrandchildReparentedToAReleasedSubreaperIsNotReleased) { ReleaseAttack("reaped-grandchild", "exec"); }

}  // namespace syd::test

// 9j. (A fourth red-team review.) The control socket decides each line by
// the lock of the process that connected, not of the one that writes it: a
// locked process takes its unlocked parent's connection with pidfd_getfd
// (ptrace-checked, so allowed inside one Landlock domain; the supervisor
// does not look at it) and applies a magic command through it. And an
// orphan of a pid namespace the sandbox made (core/restrict/namespaces:
// false) is adopted by that namespace's init: a locked process's orphan
// copies the init's looser state (documented, not closed: this shows
// what it gives, with magic_lock:exec as well as lock:on). Blocked:
// DIR/denied/pwned is never made.
namespace syd::test {

// The eldest's first exec (of COMMAND) is exempt from magic_lock:exec, but
// it was only noted while an exec lock was pending: the eldest that asks
// for magic_lock:exec at run time had its next exec taken for the first,
// and the program it exec'd ran unlocked.
TEST(Escape, TheEldestsRuntimeExecLockLocksItsNextProgram) {
  TempDir d;
  RunResult r = RunArgv(LockAttackArgv("eldest-exec-lock", d, {}, {d.path()}, false), 30000);
  EXPECT_FALSE(Exists(d / "denied/pwned")) << Show(r);
  EXPECT_FALSE(Escaped(r)) << Show(r);
}

// An orphan's entry got the strictest lock seen but no pending exec lock:
// the orphan of a process that asked for magic_lock:exec ran its next
// program unlocked.
TEST(Escape, AnOrphanOfAnExecLockedProcessIsLockedAtItsExec) {
  TempDir d;
  RunResult r = RunArgv(LockAttackArgv("orphan-exec-lock", d, {}, {d.path()}, false), 30000);
  EXPECT_FALSE(Exists(d / "denied/pwned")) << Show(r);
  EXPECT_FALSE(Escaped(r)) << Show(r);
}

TEST(Escape, AStolenControlConnectionIsNotItsMakersLock) {
  for (const char* how : {"lock", "exec"}) {
    TempDir d;
    const std::string sock = d / "ctl.sock";
    std::vector<std::string> magic;
    if (std::string(how) == "exec") magic.push_back("core/trace/magic_lock:exec");
    std::vector<std::string> argv = LockAttackArgv("ipc-stolen-conn", d, magic, {sock, d.path(), how}, false);
    argv.insert(argv.begin() + 1, {"--ipc", sock});
    RunResult r = RunArgv(argv, 30000);
    EXPECT_FALSE(Exists(d / "denied/pwned")) << how << "\n" << Show(r);
    EXPECT_FALSE(Escaped(r)) << how << "\n" << Show(r);
  }
}

TEST(Escape, AnOrphanAdoptedByAPidNamespaceInitIsLocked) {
  if (!Root()) GTEST_SKIP() << "a pid namespace of our own";
  for (const char* how : {"lock", "exec"}) {
    TempDir d;
    std::vector<std::string> magic = {"core/restrict/namespaces:false"};
    if (std::string(how) == "exec") magic.push_back("core/trace/magic_lock:exec");
    RunResult r = RunArgv(LockAttackArgv("pidns-orphan", d, magic, {d.path(), how}, false), 30000);
    EXPECT_FALSE(Exists(d / "denied/pwned")) << how << "\n" << Show(r);
    EXPECT_FALSE(Escaped(r)) << how << "\n" << Show(r);
  }
}

}  // namespace syd::test
