// Policy → seccomp-bpf. The kernel half of a policy is a list of rule
// chains, one per system call number: ordered (conditions → action) pairs
// over the six arguments and a fallback. The compiler emits an arch check
// that kills foreign ABIs, a binary search over syscall numbers, and each
// chain with 64-bit (or low-32-bit) argument comparisons.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/policy.h"
#include "util/error.h"

namespace syd::bpf {

enum class CmpOp : uint8_t { kEq, kNe, kGt, kGe, kLt, kLe, kAnyBits, kNoBits };

struct ArgCond {
  uint8_t arg = 0;     // 0..5
  bool low32 = false;  // compare only the low 32 bits (int arguments)
  CmpOp op = CmpOp::kEq;
  uint64_t value = 0;
};

struct ChainRule {
  std::vector<ArgCond> conds;  // all must hold
  uint32_t action = 0;         // SECCOMP_RET_*
  // A log rule: when it matches, evaluation goes on with the call marked
  // as logged; a logged call that ends in ALLOW returns LOG instead.
  bool log_mark = false;
};

struct SyscallChain {
  int nr = 0;
  std::vector<ChainRule> rules;  // first match decides
  uint32_t fallback = 0;
};

struct KernelPolicy {
  uint32_t arch = 0;                  // AUDIT_ARCH_*
  std::vector<SyscallChain> chains;   // sorted by nr, unique
  uint32_t default_action = 0;
  // The calls that change a process's ids, umask or root (and the clones
  // that share them) reach user space: what the supervisor's process
  // table caches of a caller can be trusted (supervisor/process_table.h).
  bool identity_changes_seen = false;
};

struct LowerOptions {
  bool magic_unlocked = true;  // the stat family must reach user space
  // The supervisor's pid: calls naming it are EPERM in the kernel. 0 when
  // not known (sydbox -e), then the program lacks those comparisons.
  int supervisor_pid = 0;
  // What a Landlock domain around the sandbox already keeps inside, so the
  // calls need not come to user space: signals (LANDLOCK_SCOPE_SIGNAL) and
  // ptrace-checked access (any domain).
  bool signals_scoped = false;
  bool ptrace_scoped = false;
  // Runtime configuration is unlocked (magic stat, esandbox, the control
  // socket): every call a category may check later is sent to user space
  // whatever its mode now (categories in bpf mode, and those
  // core/trace/runtime_categories leaves out, aside), and user space answers a call whose category is off with
  // CONTINUE at once (NeededAction). Off: only what the policy needs now.
  bool categories_may_change = false;
};

// The kernel half of a policy, for the native architecture.
KernelPolicy LowerKernel(const policy::Policy& p, const LowerOptions& opts);

// The policy a program lowered with `categories_may_change` enforces in
// the kernel: every category core/trace/runtime_categories lists (all by
// default) that is not in bpf or landlock mode (neither can change at run time) is
// treated as deny.
policy::Policy CategoriesAllChecked(const policy::Policy& p);

// Whether a program lowered as `installed` can enforce `wanted` (the
// configuration after a runtime change, lowered with the same options):
// for every call, the two chains are equal, or the installed one sends
// every case to user space and `wanted` only allows, fails with an errno
// or notifies (what user space can answer in the kernel's place).
// Otherwise the first system call that differs (-1: the default action).
std::optional<int> CannotEnforce(const KernelPolicy& installed, const KernelPolicy& wanted);

// Which syscall numbers a KernelPolicy may send to user space.
std::vector<int> NotifiedSyscalls(const KernelPolicy& k);

Result<std::vector<sock_filter>> Compile(const KernelPolicy& k);

// The reference semantics of a KernelPolicy, for differential tests.
uint32_t ReferenceEvaluate(const KernelPolicy& k, uint32_t arch, int nr, const uint64_t args[6]);

// A readable listing of a program, one instruction per line; a comparison
// of the syscall number names the call ("jge 0x101 ...  # openat").
std::string Disassemble(const std::vector<sock_filter>& prog);

uint32_t RetErrno(int e);

// The more severe of two actions, as the kernel ranks those of stacked
// filters: KILL > TRAP > ERRNO > USER_NOTIF > TRACE > LOG > ALLOW.
uint32_t Stronger(uint32_t a, uint32_t b);

}  // namespace syd::bpf
