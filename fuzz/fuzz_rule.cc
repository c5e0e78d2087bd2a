// Arbitrary bytes as a sys/ rule: parse, resolve, compile to BPF and run
// the program on a few calls. Nothing may crash, hang or leak; a compiled
// program must always pass the strict interpreter.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <linux/audit.h>

#include "bpf/compile.h"
#include "bpf/interpreter.h"
#include "lang/magic.h"
#include "policy/apply.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto cmd = syd::lang::ParseCommand(text, {"fuzz", 1});
  if (!cmd) return 0;
  syd::policy::Policy p;
  syd::policy::ApplyEnv env;
  if (!syd::policy::Apply(p, *cmd, env)) return 0;
  auto prog = syd::bpf::Compile(syd::bpf::LowerKernel(p, syd::bpf::LowerOptions{true}));
  if (!prog) return 0;
  for (int nr : {0, 1, 2, 59, 105, 257, 439}) {
    seccomp_data d{};
    d.arch = AUDIT_ARCH_X86_64;
    d.nr = nr;
    for (int i = 0; i < 6; ++i) d.args[i] = static_cast<uint64_t>(i) << 31;
    if (!syd::bpf::Evaluate(*prog, d)) abort();
  }
  return 0;
}
