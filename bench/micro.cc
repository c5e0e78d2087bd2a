// Hot paths in isolation (Google Benchmark): the pattern index with 10,
// 1,000 and 10,000 patterns, address matching, the decider, and the BPF
// interpreter; and the one system call every notified path call pays for,
// reading the caller's path (beside getppid(2), the cheapest call, for
// scale). bench/run.sh prints the 10,000-vs-10 ratio per check.
#include <benchmark/benchmark.h>
#include <linux/audit.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "bpf/compile.h"
#include "bpf/interpreter.h"
#include "kernel/proc.h"
#include "policy/apply.h"
#include "policy/decider.h"

namespace {

using namespace syd;

// N patterns shaped like real profiles: per-package trees, globs, devices.
policy::Policy PolicyWith(int n) {
  std::vector<lang::Command> cmds;
  cmds.push_back(*lang::ParseCommand("core/sandbox/write:deny", {"b", 1}));
  std::mt19937 rng(1);
  for (int i = 0; i < n; ++i) {
    std::string p;
    switch (i % 4) {
      case 0: p = "/var/tmp/paludis/build/pkg" + std::to_string(i) + "/***"; break;
      case 1: p = "/home/user" + std::to_string(i) + "/.cache/*/tmp"; break;
      case 2: p = "/dev/tty" + std::to_string(i); break;
      default: p = "/usr/lib" + std::to_string(i) + "/**/*.so"; break;
    }
    cmds.push_back(*lang::ParseCommand((i % 7 ? "allowlist/write+" : "denylist/write+") + p, {"b", 2}));
  }
  return *policy::ApplyAll(policy::Policy{}, cmds, policy::ApplyEnv{});
}

void BM_PatternCheck(benchmark::State& st) {
  policy::Decider d(PolicyWith(static_cast<int>(st.range(0))));
  const char* paths[] = {"/var/tmp/paludis/build/pkg4/work/src/main.o", "/home/user1/.cache/x/tmp", "/etc/passwd",
                         "/usr/lib3/x86_64/libfoo.so", "/tmp/a/b/c"};
  size_t i = 0;
  for (auto _ : st) {
    benchmark::DoNotOptimize(d.CheckPath(policy::Category::kWrite, paths[i++ % 5], 1));
  }
}
BENCHMARK(BM_PatternCheck)->Arg(10)->Arg(1000)->Arg(10000);

void BM_AddressMatch(benchmark::State& st) {
  auto pat = *policy::ParseAddrPattern("LOCAL@1024-65535", nullptr);
  policy::SockAddr a;
  a.family = policy::AddrFamily::kInet;
  a.addr[10] = a.addr[11] = 0xff;
  a.addr[12] = 192;
  a.addr[13] = 168;
  a.port = 8080;
  for (auto _ : st) benchmark::DoNotOptimize(pat.Matches(a));
}
BENCHMARK(BM_AddressMatch);

void BM_BpfInterpreter(benchmark::State& st) {
  policy::Policy p = PolicyWith(10);
  auto prog = *bpf::Compile(bpf::LowerKernel(p, bpf::LowerOptions{true}));
  seccomp_data d{};
  d.arch = AUDIT_ARCH_X86_64;
  d.nr = __NR_openat;
  d.args[2] = 1;
  for (auto _ : st) benchmark::DoNotOptimize(bpf::Evaluate(prog, d));
}
BENCHMARK(BM_BpfInterpreter);

}  // namespace

// The 12-byte prefix read of a notified stat (process_vm_readv), from a
// live child as the supervisor reads its tracee.
void BM_ReadCallerPrefix(benchmark::State& st) {
  static const char path[] = "/etc/passwd";
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  char buf[12];
  for (auto _ : st) {
    benchmark::DoNotOptimize(kernel::ReadSome(child, reinterpret_cast<uint64_t>(path), buf, sizeof buf));
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
}
BENCHMARK(BM_ReadCallerPrefix);

void BM_Getppid(benchmark::State& st) {
  for (auto _ : st) benchmark::DoNotOptimize(getppid());
}
BENCHMARK(BM_Getppid);

BENCHMARK_MAIN();
