// The compiled program is checked three ways: in the strict interpreter
// against the reference semantics (tables and random differential cases),
// and in the kernel, in a forked child.
#include "bpf/compile.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <set>
#include <sstream>

#include "bpf/interpreter.h"
#include "test_util.h"
#include "policy/apply.h"
#include "util/strings.h"

namespace syd::bpf {
namespace {

using test::MakePolicy;
using test::Sys;
using test::Case;

TEST(Compile, WriteDenyWithMagicUnlocked) {
  auto p = MakePolicy({"core/sandbox/write:deny"});
  KernelPolicy k = LowerKernel(p, LowerOptions{true});
  auto prog = Compile(k);
  ASSERT_TRUE(prog) << prog.error().what;
  seccomp_data foreign = Sys(__NR_getpid);
  foreign.arch = AUDIT_ARCH_I386;
  const Case cases[] = {
      {"getpid stays in the kernel", Sys(__NR_getpid), SECCOMP_RET_ALLOW},
      {"read-only open stays in the kernel", Sys(__NR_open, 0, O_RDONLY), SECCOMP_RET_ALLOW},
      {"read-only openat stays in the kernel", Sys(__NR_openat, AT_FDCWD, 0, O_RDONLY), SECCOMP_RET_ALLOW},
      {"O_WRONLY openat is notified", Sys(__NR_openat, AT_FDCWD, 0, O_WRONLY), SECCOMP_RET_USER_NOTIF},
      {"O_CREAT open is notified", Sys(__NR_open, 0, O_CREAT), SECCOMP_RET_USER_NOTIF},
      {"high bits of the int flags are ignored", Sys(__NR_open, 0, 0xffffffff00000000ull), SECCOMP_RET_ALLOW},
      {"openat2 is notified", Sys(__NR_openat2), SECCOMP_RET_USER_NOTIF},
      {"mkdir is notified", Sys(__NR_mkdir), SECCOMP_RET_USER_NOTIF},
      {"stat is notified while magic is unlocked", Sys(__NR_stat), SECCOMP_RET_USER_NOTIF},
      {"newfstatat(path) is notified for magic", Sys(__NR_newfstatat, AT_FDCWD, 0, 0, 0), SECCOMP_RET_USER_NOTIF},
      {"fstat via newfstatat(AT_EMPTY_PATH) stays in the kernel", Sys(__NR_newfstatat, 3, 0, 0, AT_EMPTY_PATH),
       SECCOMP_RET_ALLOW},
      {"statx(AT_EMPTY_PATH) stays in the kernel", Sys(__NR_statx, 3, 0, AT_EMPTY_PATH), SECCOMP_RET_ALLOW},
      {"access(R_OK) notified for magic", Sys(__NR_access, 0, R_OK), SECCOMP_RET_USER_NOTIF},
      {"execve is notified while magic is unlocked (exec lock)", Sys(__NR_execve), SECCOMP_RET_USER_NOTIF},
      {"ptrace is always denied", Sys(__NR_ptrace), RetErrno(EPERM)},
      {"io_uring_setup is always denied", Sys(__NR_io_uring_setup), RetErrno(EPERM)},
      {"x32 is killed", Sys(__NR_getpid | 0x40000000), SECCOMP_RET_KILL_PROCESS},
      {"i386 is killed", foreign, SECCOMP_RET_KILL_PROCESS},
      {"unknown high numbers are allowed", Sys(1000), SECCOMP_RET_ALLOW},
  };
  for (const Case& c : cases) {
    auto got = Evaluate(*prog, c.in);
    ASSERT_TRUE(got) << c.name << ": " << got.error().what;
    EXPECT_EQ(*got, c.want) << c.name;
    EXPECT_EQ(ReferenceEvaluate(k, c.in.arch, c.in.nr, reinterpret_cast<const uint64_t*>(c.in.args)), c.want)
        << c.name;
  }
}

TEST(Compile, LockedMagicKeepsStatInKernel) {
  auto p = MakePolicy({"core/sandbox/write:deny"});
  auto prog = Compile(LowerKernel(p, LowerOptions{false}));
  ASSERT_TRUE(prog);
  EXPECT_EQ(*Evaluate(*prog, Sys(__NR_stat)), SECCOMP_RET_ALLOW);
  EXPECT_EQ(*Evaluate(*prog, Sys(__NR_access, 0, W_OK)), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(*Evaluate(*prog, Sys(__NR_access, 0, R_OK)), SECCOMP_RET_ALLOW);
}

TEST(Compile, BpfModeIsAnErrnoInTheKernel) {
  auto p = MakePolicy({"core/sandbox/write:bpf", "core/sandbox/read:deny"});
  auto prog = Compile(LowerKernel(p, LowerOptions{false}));
  ASSERT_TRUE(prog);
  EXPECT_EQ(*Evaluate(*prog, Sys(__NR_mkdir)), RetErrno(EPERM));
  EXPECT_EQ(*Evaluate(*prog, Sys(__NR_open, 0, O_WRONLY)), RetErrno(EPERM));
  EXPECT_EQ(*Evaluate(*prog, Sys(__NR_open, 0, O_RDONLY)), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(*Evaluate(*prog, Sys(__NR_chdir)), SECCOMP_RET_USER_NOTIF);
}

TEST(Compile, ExecControlsNotifyExecve) {
  auto p = MakePolicy({"exec/kill_if_match+/usr/bin/nc"});
  auto prog = Compile(LowerKernel(p, LowerOptions{false}));
  ASSERT_TRUE(prog);
  EXPECT_EQ(*Evaluate(*prog, Sys(__NR_execve)), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(*Evaluate(*prog, Sys(__NR_execveat)), SECCOMP_RET_USER_NOTIF);
}

TEST(Compile, ListingNamesFieldsAndActions) {
  auto p = MakePolicy({"core/sandbox/write:deny"});
  auto prog = Compile(LowerKernel(p, LowerOptions{false}));
  ASSERT_TRUE(prog);
  std::string text = Disassemble(*prog);
  EXPECT_NE(text.find("0000: ld  arch"), std::string::npos) << text;
  EXPECT_NE(text.find("jeq AUDIT_ARCH_X86_64"), std::string::npos);
  EXPECT_NE(text.find("ret KILL_PROCESS"), std::string::npos);
  EXPECT_NE(text.find("ret USER_NOTIF"), std::string::npos);
  EXPECT_NE(text.find("ret ERRNO(EPERM)"), std::string::npos);
  EXPECT_NE(text.find("ld  args[1].lo"), std::string::npos);
}

// Like libseccomp's PFC listing, each comparison of the syscall number
// names the call; comparisons of arguments (whatever their value) and the
// x32 check do not.
TEST(Compile, ListingNamesTheSyscallsItTests) {
  // read's count is compared with 257, openat's number.
  auto p = MakePolicy({"core/sandbox/write:deny", "sys/fault+read:arg2=257"});
  auto prog = Compile(LowerKernel(p, LowerOptions{false}));
  ASSERT_TRUE(prog);
  const std::string text = Disassemble(*prog);
  std::istringstream in(text);
  std::string line, last_load;
  int nr_257 = 0, arg_257 = 0, named = 0;
  while (std::getline(in, line)) {
    if (line.find(": ld ") != std::string::npos) last_load = line.substr(line.find(": ld ") + 5);
    const bool tests_257 = line.find(" 0x101 ") != std::string::npos;
    if (line.find("  # ") != std::string::npos) {
      ++named;
      EXPECT_EQ(Trim(last_load), "nr") << line;
    }
    if (tests_257 && Trim(last_load) == "nr") {
      ++nr_257;
      EXPECT_NE(line.find("  # openat"), std::string::npos) << line;
    } else if (tests_257) {
      ++arg_257;
      EXPECT_EQ(line.find('#'), std::string::npos) << line;
    }
    if (line.find("0x40000000") != std::string::npos) {
      EXPECT_EQ(line.find('#'), std::string::npos) << line;
    }
  }
  EXPECT_EQ(nr_257, 1) << text;
  EXPECT_EQ(arg_257, 1) << text;
  EXPECT_GT(named, 10) << text;
}

// Random rule chains: the compiled program, run by the interpreter, must
// decide exactly as the reference evaluator, including chains long enough
// to need JA trampolines.
TEST(Compile, DifferentialAgainstReference) {
  std::mt19937_64 rng(7);
  const uint32_t actions[] = {SECCOMP_RET_ALLOW, SECCOMP_RET_USER_NOTIF, RetErrno(EPERM), RetErrno(ENOENT),
                              SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_LOG, SECCOMP_RET_TRAP | 5};
  const uint64_t interesting[] = {0, 1, 2, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
                                  0xffffffff00000000ull, ~0ull, 0x8000000000000000ull, 42, 0x1234567800000001ull};
  auto value = [&] { return rng() % 3 ? interesting[rng() % std::size(interesting)] : rng(); };
  int cases = 0, too_large = 0;
  for (int round = 0; round < 400; ++round) {
    KernelPolicy k;
    k.arch = AUDIT_ARCH_X86_64;
    k.default_action = actions[rng() % 3];
    int nchains = 1 + rng() % 40;
    std::set<int> used;
    for (int i = 0; i < nchains; ++i) {
      int nr = rng() % 20 == 0 ? static_cast<int>(rng() % 500) : static_cast<int>(rng() % 64);
      if (!used.insert(nr).second) continue;
      SyscallChain ch;
      ch.nr = nr;
      ch.fallback = actions[rng() % std::size(actions)];
      int nrules = rng() % (round % 10 == 0 ? 30 : 5);
      for (int r = 0; r < nrules; ++r) {
        ChainRule rule;
        rule.action = actions[rng() % std::size(actions)];
        int nconds = rng() % 4;
        for (int c = 0; c < nconds; ++c)
          rule.conds.push_back(ArgCond{static_cast<uint8_t>(rng() % 6), rng() % 2 == 0,
                                       static_cast<CmpOp>(rng() % 8), value()});
        ch.rules.push_back(rule);
      }
      k.chains.push_back(ch);
    }
    std::sort(k.chains.begin(), k.chains.end(), [](auto& a, auto& b) { return a.nr < b.nr; });
    auto prog = Compile(k);
    if (!prog) {
      // Too large for the kernel: the size check must say so, not truncate.
      EXPECT_NE(prog.error().what.find("limit 4096"), std::string::npos) << prog.error().what;
      ++too_large;
      continue;
    }
    for (int q = 0; q < 300; ++q, ++cases) {
      seccomp_data d{};
      d.arch = rng() % 50 == 0 ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64;
      d.nr = rng() % 4 == 0 ? static_cast<int>(rng() % 600) : (k.chains.empty() ? 0 : k.chains[rng() % k.chains.size()].nr);
      if (rng() % 100 == 0) d.nr |= 0x40000000;
      for (auto& a : d.args) a = value();
      auto got = Evaluate(*prog, d);
      ASSERT_TRUE(got) << got.error().what;
      ASSERT_EQ(*got, ReferenceEvaluate(k, d.arch, d.nr, reinterpret_cast<const uint64_t*>(d.args)))
          << "round " << round << " nr " << d.nr;
    }
  }
  EXPECT_GE(cases, 100000);
  EXPECT_LT(too_large, 40);
}

TEST(Interpreter, RejectsBadPrograms) {
  seccomp_data d = Sys(1);
  std::vector<sock_filter> past_end = {BPF_JUMP(BPF_JMP | BPF_JA, 5, 0, 0), BPF_STMT(BPF_RET | BPF_K, 0)};
  EXPECT_FALSE(Evaluate(past_end, d));
  std::vector<sock_filter> bad_load = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), BPF_STMT(BPF_RET | BPF_K, 0)};
  EXPECT_FALSE(Evaluate(bad_load, d));
  std::vector<sock_filter> off_end = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0)};
  EXPECT_FALSE(Evaluate(off_end, d));
  std::vector<sock_filter> scratch = {BPF_STMT(BPF_LD | BPF_MEM, 3), BPF_STMT(BPF_RET | BPF_K, 0)};
  EXPECT_FALSE(Evaluate(scratch, d));
}

// The same program in the kernel: a forked child installs it (without a
// listener; only kernel-decided calls are made) and reports what happened.
TEST(Compile, InTheKernel) {
  auto p = MakePolicy({"core/sandbox/write:bpf"});
  auto prog = Compile(LowerKernel(p, LowerOptions{false}));
  ASSERT_TRUE(prog);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(10);
    sock_fprog fp{static_cast<unsigned short>(prog->size()), prog->data()};
    if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) != 0) _exit(11);
    if (syscall(__NR_getpid) <= 0) _exit(12);
    if (syscall(__NR_mkdir, "/nonexistent-dir/x", 0755) != -1 || errno != EPERM) _exit(13);
    if (syscall(__NR_open, "/dev/null", O_RDONLY) < 0) _exit(14);
    if (syscall(__NR_open, "/dev/null", O_WRONLY) != -1 || errno != EPERM) _exit(15);
    if (syscall(__NR_ptrace, 0, 0, 0, 0) != -1 || errno != EPERM) _exit(16);
    _exit(0);
  }
  int status;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "child died of signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace syd::bpf
