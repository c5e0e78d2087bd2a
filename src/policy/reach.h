// The system calls by which one process acts on another: signals, pidfds,
// priorities and limits, and the ptrace-checked calls. Pure data shared by
// the BPF lowering (which denies in the kernel any call naming the
// supervisor's pid and sends the others it cannot decide to user space)
// and the supervisor (which checks the target is a process of the sandbox,
// or at least not one of its own threads). SPEC §2.9.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace syd::policy {

enum class ReachFamily : uint8_t {
  kSignal,    // signals and pidfds: kept inside by Landlock's signal scope where the kernel has it
  kPriority,  // priorities, affinity, scheduling, limits: checked in user space
  kPtrace,    // ptrace-checked access: kept inside by the Landlock domain
};

// How a call names the process it acts on.
enum class Target : uint8_t {
  kPid,    // args[pid_arg] is a pid or tid (0 = the caller, where self_zero)
  kKill,   // kill(2): >0 a process, 0 the caller's group, -1 every process, <-1 group -pid
  kPidfd,  // args[pid_arg] is a pidfd or a /proc/PID directory descriptor
  kWhich,  // setpriority/ioprio_set: args[which_arg] says process, group or user
  kOwner,  // fcntl F_SETOWN: args[pid_arg] > 0 a process, < 0 group -pid, 0 nobody
};

// One condition on an argument: args[arg] == value (or != with `differs`),
// on its low 32 bits (pids, flags, commands: the kernel takes an int) or
// all 64 with `wide` (pointers).
struct ArgTest {
  int8_t arg = -1;
  uint64_t value = 0;
  bool differs = false;
  bool wide = false;
};

struct ReachCall {
  int nr = -1;
  std::string_view name;
  ReachFamily family = ReachFamily::kSignal;
  Target target = Target::kPid;
  int8_t pid_arg = 0;
  int8_t pid_arg2 = -1;  // a second process (kcmp)
  int8_t which_arg = -1;
  int which_process = -1, which_group = -1, which_user = -1;
  // Argument values with which the call acts on no other process (the
  // caller only, or only reads): never sent to user space. Up to two
  // alternatives of up to two conditions each; arg < 0 ends a list.
  ArgTest self[2][2];
  // What must hold for the call to name a process at all (fcntl: F_SETOWN).
  ArgTest when;
};

std::span<const ReachCall> ReachCalls();
const ReachCall* FindReachCall(int nr);

}  // namespace syd::policy
