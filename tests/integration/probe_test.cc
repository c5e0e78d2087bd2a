// sydbox -t/--test (kernel/probe.h, cli/probe_report.h): on this machine
// every feature is there; every line parses; a feature the kernel refuses
// (made to refuse here by a seccomp filter around sydbox -t, so the probe
// path is the real one) is reported missing, with exit status 1 when it
// is required and 0 when it is optional; probing leaves the caller as it
// was.
#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "cli/probe_report.h"
#include "harness.h"
#include "kernel/probe.h"
#include "kernel/seccomp.h"

namespace syd::test {
namespace {

// Every line of sydbox -t, split into its fields (cli/probe_report.h).
struct Line {
  std::string name, status, need, detail;
};

std::vector<Line> ParseLines(const std::string& out, std::string* bad) {
  static const std::regex kLine(R"(^([a-z0-9-]+) +(ok|missing) +(required|optional) +(\S.*)$)");
  std::vector<Line> lines;
  std::istringstream in(out);
  std::string text;
  while (std::getline(in, text)) {
    std::smatch m;
    if (!std::regex_match(text, m, kLine)) {
      *bad += text + "\n";
      continue;
    }
    lines.push_back({m[1], m[2], m[3], m[4]});
  }
  return lines;
}

std::map<std::string, Line> ByName(const std::vector<Line>& lines) {
  std::map<std::string, Line> m;
  for (const Line& l : lines) m[l.name] = l;
  return m;
}

const std::set<std::string> kRequired = {
    "seccomp-filter", "seccomp-actions", "seccomp-user-notif", "seccomp-wait-killable-recv", "seccomp-addfd",
    "seccomp-continue", "pidfd-open", "pidfd-getfd", "pidfd-send-signal", "process-vm-readv",
    "process-vm-writev", "openat2"};
const std::set<std::string> kOptional = {"seccomp-sync-wake-up", "landlock", "user-namespaces", "mount-api",
                                         "private-proc"};

TEST(Probe, EveryFeatureIsHereAndEveryLineParses) {
  RunResult r = RunCmd({SydboxBin(), "-t"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.err, "");
  std::string bad;
  auto lines = ParseLines(r.out, &bad);
  EXPECT_EQ(bad, "") << "lines that do not parse";
  std::set<std::string> names;
  for (const Line& l : lines) {
    EXPECT_TRUE(names.insert(l.name).second) << "twice: " << l.name;
    EXPECT_EQ(l.status, "ok") << l.name << ": " << l.detail;
    EXPECT_EQ(l.need, kRequired.count(l.name) ? "required" : "optional") << l.name;
  }
  for (const auto& set : {kRequired, kOptional})
    for (const std::string& n : set) EXPECT_TRUE(names.count(n)) << "no line for " << n << "\n" << r.out;
  EXPECT_EQ(names.size(), kRequired.size() + kOptional.size()) << r.out;
  // The Landlock line gives the ABI (6 or more on this machine).
  auto by = ByName(lines);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(by["landlock"].detail, m, std::regex(R"(^ABI (\d+))"))) << by["landlock"].detail;
  EXPECT_GE(std::stoi(m[1]), 6);
  // The long form, and --help lists it.
  EXPECT_EQ(RunCmd({SydboxBin(), "--test"}).out, r.out);
  RunResult help = RunCmd({SydboxBin(), "--help"});
  EXPECT_NE(help.out.find("-t,--test"), std::string::npos) << help.out;
}

// A call to refuse around sydbox -t: `nr` (with its second argument's low
// 32 bits equal to `arg1`, when given) fails with `err`.
struct Refuse {
  int nr;
  int err;
  bool match_arg1 = false;
  uint32_t arg1 = 0;
};

// Runs sydbox -t with a seccomp filter that refuses `calls` (inherited by
// every probe child), as the kernel would if it lacked them.
RunResult ProbeUnder(const std::vector<Refuse>& calls) {
  std::vector<sock_filter> prog = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  for (const Refuse& c : calls) {
    const uint32_t ret = SECCOMP_RET_ERRNO | static_cast<uint32_t>(c.err);
    prog.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
    if (c.match_arg1) {
      prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(c.nr), 0, 3));
      prog.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[1])));
      prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, c.arg1, 0, 1));
    } else {
      prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(c.nr), 0, 1));
    }
    prog.push_back(BPF_STMT(BPF_RET | BPF_K, ret));
  }
  prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) abort();
  const std::string bin = SydboxBin();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    sock_fprog fp{static_cast<unsigned short>(prog.size()), prog.data()};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) != 0)
      _exit(250);
    execl(bin.c_str(), bin.c_str(), "-t", static_cast<char*>(nullptr));
    _exit(251);
  }
  close(out[1]);
  close(err[1]);
  RunResult r;
  for (auto [fd, dst] : {std::pair{out[0], &r.out}, std::pair{err[0], &r.err}}) {
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) dst->append(buf, static_cast<size_t>(n));
    close(fd);
  }
  int status;
  waitpid(pid, &status, 0);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// The lines of a run under ProbeUnder: every one parses; the ones named in
// `missing` are missing and say why, all others are ok.
void ExpectMissing(const RunResult& r, const std::set<std::string>& missing, const std::string& why) {
  std::string bad;
  auto lines = ParseLines(r.out, &bad);
  EXPECT_EQ(bad, "");
  ASSERT_EQ(lines.size(), kRequired.size() + kOptional.size()) << r.out << r.err;
  for (const Line& l : lines) {
    if (missing.count(l.name)) {
      EXPECT_EQ(l.status, "missing") << l.name;
      EXPECT_NE(l.detail.find(why), std::string::npos) << l.name << ": " << l.detail;
      EXPECT_NE(l.detail.find(l.need == "required" ? "; needed for " : "; without it: "), std::string::npos)
          << l.detail;
    } else {
      EXPECT_EQ(l.status, "ok") << l.name << ": " << l.detail;
    }
  }
}

TEST(Probe, MissingRequiredFeatureExitsOne) {
  RunResult r = ProbeUnder({{SYS_openat2, ENOSYS}});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  ExpectMissing(r, {"openat2"}, "ENOSYS from openat2(");
  EXPECT_EQ(r.err, "sydbox: this kernel lacks what sydbox requires: openat2\n");

  // ADDFD refused on a real notification (the filter sees the ioctl's
  // request number): only that line goes.
  r = ProbeUnder({{SYS_ioctl, EINVAL, true, static_cast<uint32_t>(SECCOMP_IOCTL_NOTIF_ADDFD)}});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  ExpectMissing(r, {"seccomp-addfd"}, "EINVAL from ioctl(SECCOMP_IOCTL_NOTIF_ADDFD");

  // No memory access to other processes.
  r = ProbeUnder({{SYS_process_vm_readv, EPERM}, {SYS_process_vm_writev, EPERM}});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  ExpectMissing(r, {"process-vm-readv", "process-vm-writev"}, "EPERM from process_vm_");
}

TEST(Probe, MissingOptionalFeatureExitsZero) {
  RunResult r = ProbeUnder({{SYS_landlock_create_ruleset, ENOSYS}});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  ExpectMissing(r, {"landlock"}, "ENOSYS from landlock_create_ruleset");
  EXPECT_EQ(r.err, "");

  r = ProbeUnder({{SYS_unshare, EPERM}});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  ExpectMissing(r, {"user-namespaces", "mount-api", "private-proc"}, "EPERM from unshare");

  // A kernel without SYNC_WAKE_UP refuses the flag with EINVAL.
  r = ProbeUnder({{SYS_ioctl, EINVAL, true, static_cast<uint32_t>(SECCOMP_IOCTL_NOTIF_SET_FLAGS)}});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  ExpectMissing(r, {"seccomp-sync-wake-up"}, "EINVAL from ioctl(SECCOMP_IOCTL_NOTIF_SET_FLAGS");
}

// The exit status and the stderr line come from the report alone: one
// missing required feature among ok ones is enough for 1, missing
// optional ones never are.
TEST(Probe, ReportExitStatus) {
  auto feature = [](std::string name, kernel::Need need, bool ok) {
    kernel::Feature f;
    f.name = std::move(name);
    f.need = need;
    f.ok = ok;
    f.use = "its use";
    f.without = "what happens";
    f.reason = ok ? "" : "ENOSYS from it";
    return f;
  };
  using kernel::Need;
  auto all_ok = cli::FormatProbeReport({feature("a", Need::kRequired, true), feature("b", Need::kOptional, false),
                                        feature("e", Need::kOptional, true)});
  EXPECT_EQ(all_ok.exit_code, 0);
  EXPECT_EQ(all_ok.err, "");
  EXPECT_EQ(all_ok.out,
            "a                          ok      required its use\n"
            "b                          missing optional ENOSYS from it; without it: what happens\n"
            "e                          ok      optional its use; without it: what happens\n");
  auto lacking = cli::FormatProbeReport({feature("a", Need::kRequired, true), feature("c", Need::kRequired, false),
                                         feature("d", Need::kRequired, false)});
  EXPECT_EQ(lacking.exit_code, 1);
  EXPECT_EQ(lacking.err, "sydbox: this kernel lacks what sydbox requires: c, d\n");
  EXPECT_NE(lacking.out.find("c                          missing required ENOSYS from it; needed for its use\n"),
            std::string::npos)
      << lacking.out;
}

std::set<std::string> OpenFds() {
  std::set<std::string> fds;
  DIR* d = opendir("/proc/self/fd");
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') fds.insert(e->d_name);
  closedir(d);
  return fds;
}

std::string StatusField(const std::string& key) {
  std::istringstream in(ReadFile("/proc/self/status"));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0) return line;
  return "";
}

std::string Ns(const char* name) {
  char buf[128] = {};
  std::string path = std::string("/proc/self/ns/") + name;
  ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// Probing in this very process changes nothing of it: no descriptor, child,
// filter, no_new_privs, namespace or Landlock domain is left behind.
TEST(Probe, LeavesTheCallerAsItWas) {
  const auto fds = OpenFds();
  const std::string seccomp = StatusField("Seccomp"), nnp = StatusField("NoNewPrivs");
  const std::string user = Ns("user"), mnt = Ns("mnt"), pid = Ns("pid_for_children");
  // A process of ours started before the probes: outside any Landlock
  // domain they could have left this process in.
  const pid_t outside = fork();
  if (outside == 0) {
    pause();
    _exit(0);
  }
  ASSERT_GT(outside, 0);
  auto features = kernel::ProbeKernel();
  for (const auto& f : features) EXPECT_TRUE(f.ok) << f.name << ": " << f.reason;
  // A domain with the signal scope (what the Landlock probe makes in its
  // child, ABI 7 here) would refuse this signal.
  EXPECT_EQ(kill(outside, 0), 0) << strerror(errno);
  kill(outside, SIGKILL);
  waitpid(outside, nullptr, 0);
  EXPECT_EQ(OpenFds(), fds);
  int status;
  EXPECT_EQ(waitpid(-1, &status, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
  EXPECT_EQ(StatusField("Seccomp"), seccomp);
  EXPECT_EQ(StatusField("NoNewPrivs"), nnp);
  EXPECT_EQ(Ns("user"), user);
  EXPECT_EQ(Ns("mnt"), mnt);
  EXPECT_EQ(Ns("pid_for_children"), pid);
}

}  // namespace
}  // namespace syd::test
