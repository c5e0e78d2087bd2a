// sys/ rules in the kernel: one table of cases run three ways (the strict
// interpreter on the compiled program, a golden listing, and the real
// kernel in a forked child), plus a differential test of random rule lists
// against the semantics stated by policy::EvaluateRules.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>

#include "bpf/compile.h"
#include "bpf/interpreter.h"
#include "test_util.h"
#include "policy/apply.h"
#include "policy/syscalls.h"

namespace syd::bpf {
namespace {

using test::MakePolicy;
using test::Sys;


// The examples plus every kernel action, as one policy.
const std::vector<std::string> kRules = {
    "sys/log+/setuid(32)?:arg0=0",
    "sys/kill_process+/setuid(32)?:arg0=0",
    "sys/fault+getpriority:arg0=0:error=EACCES",  // PRIO_PROCESS
    "sys/trap+getpriority:arg0=1:error=EPERM",  // PRIO_PGRP
    "sys/kill_thread+getpriority:arg0=2:arg1>1000",  // PRIO_USER
    "sys/log+getppid",
    "sys/allow+kill:arg1=0",
    "sys/fault+kill:arg1&SIGKILL|SIGTERM",
    "sys/trace+umask:arg0!&077",
    "sys/allow+personality:arg0=0xffffffff",
    "sys/fault+personality",
    "denylist/syscall+^(ptrace|acct)$",
    "sys/allow+ptrace",
};

struct Case {
  const char* name;
  seccomp_data in;
  uint32_t want;
};

const std::vector<Case>& Cases() {
  static const std::vector<Case> kCases = {
      {"setuid(0) is logged then killed", Sys(__NR_setuid, 0), SECCOMP_RET_KILL_PROCESS},
      {"setuid(0) in the low 32 bits only", Sys(__NR_setuid, 0xffffffff00000000ull), SECCOMP_RET_KILL_PROCESS},
      {"setuid(1000) is allowed", Sys(__NR_setuid, 1000), SECCOMP_RET_ALLOW},
      {"getpriority(PRIO_PROCESS) faults", Sys(__NR_getpriority, PRIO_PROCESS), RetErrno(EACCES)},
      {"getpriority(PRIO_PGRP) traps", Sys(__NR_getpriority, PRIO_PGRP), SECCOMP_RET_TRAP | EPERM},
      {"getpriority(PRIO_USER, 2000) kills the thread", Sys(__NR_getpriority, PRIO_USER, 2000), SECCOMP_RET_KILL_THREAD},
      {"getpriority(PRIO_USER, 5) is allowed", Sys(__NR_getpriority, PRIO_USER, 5), SECCOMP_RET_ALLOW},
      {"getppid is logged", Sys(__NR_getppid), SECCOMP_RET_LOG},
      // (a pid that cannot exist: the kernel run must not signal anyone)
      {"kill(pid, 0) is allowed", Sys(__NR_kill, 0x3ffffff0, 0), SECCOMP_RET_ALLOW},
      {"kill(pid, SIGTERM) faults", Sys(__NR_kill, 0x3ffffff0, SIGTERM), RetErrno(EPERM)},
      {"kill(pid, 16): no bit of SIGKILL|SIGTERM (15), allowed", Sys(__NR_kill, 0x3ffffff0, 16), SECCOMP_RET_ALLOW},
      {"umask(0) goes to user space", Sys(__NR_umask, 0), SECCOMP_RET_USER_NOTIF},
      {"umask(022) stays in the kernel", Sys(__NR_umask, 022), SECCOMP_RET_ALLOW},
      {"personality query allowed", Sys(__NR_personality, 0xffffffff), SECCOMP_RET_ALLOW},
      {"personality change faults", Sys(__NR_personality, 8), RetErrno(EPERM)},
      {"ptrace: denylist wins over a rule", Sys(__NR_ptrace), RetErrno(ENOSYS)},
      {"acct: denylisted", Sys(__NR_acct), RetErrno(ENOSYS)},
      {"getpid: untouched", Sys(__NR_getpid), SECCOMP_RET_ALLOW},
  };
  return kCases;
}

std::vector<sock_filter> CompileOrDie(const policy::Policy& p) {
  auto prog = Compile(LowerKernel(p, test::Scoped()));
  EXPECT_TRUE(prog) << (prog ? "" : prog.error().what);
  return prog ? *prog : std::vector<sock_filter>{};
}

TEST(RuleProgram, Interpreted) {
  auto prog = CompileOrDie(MakePolicy(kRules));
  for (const Case& c : Cases()) {
    auto got = Evaluate(prog, c.in);
    ASSERT_TRUE(got) << c.name << ": " << got.error().what;
    EXPECT_EQ(*got, c.want) << c.name;
  }
}

// Golden listing: tests/golden/rules.pfc (SYD_UPDATE_GOLDEN=1 rewrites it).
TEST(RuleProgram, GoldenListing) {
  const std::string got = Disassemble(CompileOrDie(MakePolicy(kRules)));
  const std::string path = SYD_GOLDEN_DIR "/rules.pfc";
  if (getenv("SYD_UPDATE_GOLDEN")) {
    std::ofstream(path) << got;
    GTEST_SKIP() << "golden listing rewritten";
  }
  std::ifstream in(path);
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(got, want.str()) << "the compiled program changed; if intended, rerun with SYD_UPDATE_GOLDEN=1";
}

// The same cases in the kernel: each runs in a forked child that installs
// the program and makes the call; the parent reads what happened.
TEST(RuleProgram, InTheKernel) {
  auto prog = CompileOrDie(MakePolicy(kRules));
  for (const Case& c : Cases()) {
    if (c.want == SECCOMP_RET_USER_NOTIF) continue;  // needs a listener: covered by the integration tests
    int pipefd[2];
    ASSERT_EQ(pipe(pipefd), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(pipefd[0]);
      struct sigaction sa {};
      sa.sa_handler = [](int) {};
      if ((c.want & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRAP) sigaction(SIGSYS, &sa, nullptr);
      if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(100);
      sock_fprog fp{static_cast<unsigned short>(prog.size()), prog.data()};
      if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) != 0) _exit(101);
      errno = 0;
      long r = syscall(c.in.nr, c.in.args[0], c.in.args[1], c.in.args[2]);
      int e = r == -1 ? errno : 0;
      (void)!write(pipefd[1], &e, sizeof e);
      _exit(0);
    }
    close(pipefd[1]);
    int e = -1;
    bool wrote = read(pipefd[0], &e, sizeof e) == sizeof e;
    close(pipefd[0]);
    int status;
    waitpid(pid, &status, 0);
    const uint32_t act = c.want & SECCOMP_RET_ACTION_FULL;
    if (act == SECCOMP_RET_KILL_PROCESS || act == SECCOMP_RET_KILL_THREAD) {
      EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) << c.name;
    } else if (act == SECCOMP_RET_ERRNO) {
      ASSERT_TRUE(wrote) << c.name;
      EXPECT_EQ(e, static_cast<int>(c.want & SECCOMP_RET_DATA)) << c.name;
    } else {  // ALLOW, LOG, TRAP (the handler returns, the call did not run)
      ASSERT_TRUE(wrote) << c.name << " status " << status;
      if (act != SECCOMP_RET_TRAP) {
        EXPECT_NE(e, EPERM) << c.name;
      }
    }
  }
}

uint32_t Reference(const policy::Policy& p, const seccomp_data& d) {
  return policy::RulesReferenceAction(p.sys_rules, d.arch, d.nr, reinterpret_cast<const uint64_t*>(d.args));
}

std::string RandomRule(std::mt19937_64& rng) {
  static const char* kActions[] = {"kill_process", "kill_thread", "fault", "trap", "log", "allow"};
  static const char* kSets[] = {"read", "write", "setuid", "getppid", "mmap", "ioctl", "socket", "kill",
                                "personality", "umask", "%memory", "%signal", "/^get.*", "read,write,!write",
                                "openat", "getpriority"};
  static const char* kOps[] = {"=", "!=", ">", ">=", "<", "<=", "&", "!&"};
  static const uint64_t kVals[] = {0, 1, 2, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
                                   0xffffffff00000000ull, ~0ull, 42, 0x8000000000000000ull};
  std::string action = kActions[rng() % std::size(kActions)];
  std::string r = "sys/" + action + "+" + kSets[rng() % std::size(kSets)];
  int nconds = rng() % 4;
  for (int i = 0; i < nconds; ++i) {
    uint64_t v = rng() % 3 ? kVals[rng() % std::size(kVals)] : rng();
    r += fmt::format(":arg{}{}0x{:x}", rng() % 6, kOps[rng() % std::size(kOps)], v);
  }
  if (action == "fault" && rng() % 2) r += ":error=" + std::to_string(1 + rng() % 100);
  if (action == "trap" && rng() % 2) r += rng() % 2 ? ":error=EACCES" : ":retval=7";
  // Some rules need user space: the kernel must stop at them (USER_NOTIF).
  if (rng() % 8 == 0) r += ":arg0=~\"x\"";
  if (rng() % 10 == 0) r += ":command=^make$";
  return r;
}

TEST(RuleProgram, DifferentialAgainstTheRuleSemantics) {
  std::mt19937_64 rng(20261128);
  static const int kNrs[] = {__NR_read, __NR_write, __NR_setuid, __NR_getppid, __NR_mmap, __NR_ioctl, __NR_socket,
                             __NR_kill, __NR_personality, __NR_umask, __NR_mprotect, __NR_rt_sigaction,
                             __NR_getpid, __NR_openat, __NR_getpriority, __NR_ptrace, 1000};
  static const uint64_t kVals[] = {0, 1, 2, 42, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
                                   0xffffffff00000000ull, ~0ull, 0x8000000000000000ull};
  int cases = 0;
  for (int round = 0; round < 500; ++round) {
    std::vector<std::string> lines;
    int n = 1 + rng() % (round % 10 == 0 ? 40 : 8);
    for (int i = 0; i < n; ++i) lines.push_back(RandomRule(rng));
    policy::Policy p = MakePolicy(lines);
    // Only the rules: the guards of bpf/guards.h are tested on their own.
    p.restrict_terminal = p.restrict_namespaces = p.restrict_mounts = p.restrict_device_nodes = false;
    auto prog = Compile(LowerKernel(p, test::Scoped()));
    ASSERT_TRUE(prog) << prog.error().what;
    for (int q = 0; q < 250; ++q, ++cases) {
      seccomp_data d{};
      d.arch = rng() % 100 == 0 ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64;
      d.nr = kNrs[rng() % std::size(kNrs)];
      for (auto& a : d.args) a = rng() % 3 ? kVals[rng() % std::size(kVals)] : rng();
      auto got = Evaluate(*prog, d);
      ASSERT_TRUE(got) << got.error().what;
      uint32_t want = Reference(p, d);
      if (*got != want) {
        std::string all;
        for (auto& l : lines) all += l + "\n";
        FAIL() << "nr " << d.nr << " got 0x" << std::hex << *got << " want 0x" << want << "\n" << all;
      }
    }
  }
  EXPECT_GE(cases, 100000);
}

}  // namespace
}  // namespace syd::bpf
