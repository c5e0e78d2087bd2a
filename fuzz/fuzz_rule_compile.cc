// Random valid policies built from the fuzzer's bytes: the compiled
// program, run by the interpreter, must decide exactly like the reference
// semantics of the rules (policy::RulesReferenceAction) on random calls.
#include <fuzzer/FuzzedDataProvider.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

#include <cstdlib>
#include <string>

#include "bpf/compile.h"
#include "bpf/interpreter.h"
#include "policy/apply.h"

namespace {

const char* kActions[] = {"kill_process", "kill_thread", "fault", "trap", "log", "allow", "trace"};
const char* kSets[] = {"read", "write", "setuid", "getppid", "mmap", "ioctl", "kill", "personality", "umask",
                       "%memory", "%signal", "/^get.*", "openat", "read,write,!write", "%net"};
const char* kOps[] = {"=", "!=", ">", ">=", "<", "<=", "&", "!&"};
const int kNrs[] = {0, 1, 9, 16, 37, 41, 42, 49, 62, 95, 105, 110, 135, 257, 1000};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  std::vector<syd::lang::Command> cmds;
  int n = in.ConsumeIntegralInRange(1, 12);
  for (int i = 0; i < n; ++i) {
    std::string r = std::string("sys/") + kActions[in.ConsumeIntegralInRange<size_t>(0, std::size(kActions) - 1)] +
                    "+" + kSets[in.ConsumeIntegralInRange<size_t>(0, std::size(kSets) - 1)];
    int conds = in.ConsumeIntegralInRange(0, 3);
    for (int c = 0; c < conds; ++c) {
      r += ":arg" + std::to_string(in.ConsumeIntegralInRange(0, 5)) +
           kOps[in.ConsumeIntegralInRange<size_t>(0, std::size(kOps) - 1)] + std::to_string(in.ConsumeIntegral<uint64_t>());
    }
    if (in.ConsumeBool()) r += ":command=^x$";
    auto cmd = syd::lang::ParseCommand(r, {"fuzz", static_cast<uint32_t>(i + 1)});
    if (!cmd) abort();  // generated rules are always well formed
    cmds.push_back(*cmd);
  }
  auto p = syd::policy::ApplyAll(syd::policy::Policy{}, cmds, syd::policy::ApplyEnv{});
  if (!p) abort();
  // The rules alone: the guards (bpf/guards.h) have tests of their own.
  p->restrict_terminal = p->restrict_namespaces = p->restrict_mounts = p->restrict_device_nodes = false;
  syd::bpf::LowerOptions lo;
  lo.magic_unlocked = false;
  lo.signals_scoped = lo.ptrace_scoped = true;
  auto prog = syd::bpf::Compile(syd::bpf::LowerKernel(*p, lo));
  if (!prog) return 0;  // too large for the kernel: refused, not truncated
  for (int q = 0; q < 16 && in.remaining_bytes() > 0; ++q) {
    seccomp_data d{};
    d.arch = AUDIT_ARCH_X86_64;
    d.nr = kNrs[in.ConsumeIntegralInRange<size_t>(0, std::size(kNrs) - 1)];
    for (auto& a : d.args) a = in.ConsumeIntegral<uint64_t>();
    auto got = syd::bpf::Evaluate(*prog, d);
    if (!got) abort();
    if (*got != syd::policy::RulesReferenceAction(p->sys_rules, d.arch, d.nr, reinterpret_cast<const uint64_t*>(d.args)))
      abort();
  }
  return 0;
}
