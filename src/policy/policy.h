// The policy IR: everything a configuration can say, after parsing and
// before compilation. Plain data, cheap to copy (a runtime change copies
// it, applies one command, and publishes a new Decider).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lang/magic.h"
#include "policy/netaddr.h"
#include "policy/pattern_set.h"
#include "policy/rules.h"

namespace syd::policy {

using lang::Origin;

// What a path or address is checked for (SPEC §2.1).
enum class Category : uint8_t { kRead, kWrite, kExec, kStat, kNetBind, kNetConnect };
inline constexpr size_t kNumCategories = 6;
inline constexpr size_t kNumPathCategories = 4;  // read, write, exec, stat

// The five switches of core/sandbox/* (network covers bind and connect).
enum class Sandbox : uint8_t { kRead, kWrite, kExec, kStat, kNetwork };
inline constexpr size_t kNumSandboxes = 5;

// kLandlock: read, write and exec only, enforced by a Landlock ruleset alone
// (policy/landlock_plan.h).
enum class Mode : uint8_t { kOff, kAllow, kDeny, kBpf, kLandlock };
enum class ListAction : uint8_t { kAllow, kDeny };
enum class Decision : uint8_t { kDeny, kKill, kKillAll, kCont };
enum class MagicLock : uint8_t { kOff, kOn, kExec };

std::string_view CategoryName(Category c);      // "read", "net/bind", ...
std::string_view ModeName(Mode m);
Sandbox SandboxOf(Category c);
inline bool IsPathCategory(Category c) { return static_cast<size_t>(c) < kNumPathCategories; }

struct PathRule {
  ListAction action;
  Pattern pattern;
  Origin origin;
};

struct AddrRule {
  ListAction action;
  AddrPattern addr;
  Origin origin;
};

struct PatternEntry {
  Pattern pattern;
  Origin origin;
};

struct ExecVerify {
  std::string sha256_hex;
  Pattern pattern;
  Origin origin;
};

struct RlimitSetting {
  static constexpr uint64_t kUnlimited = ~uint64_t{0};
  std::string name;  // as written after rlimit/: nofile, as, cpu, ...
  int resource = 0;  // RLIMIT_*
  uint64_t value = 0;
  Origin origin;
};

// The rlimit/ names and their RLIMIT_* numbers (policy.cc).
struct RlimitName {
  const char* name;
  int resource;
  const char* unit;  // "bytes", "seconds" or "" (a count)
};
const std::vector<RlimitName>& RlimitNames();

struct Policy {
  std::array<Mode, kNumSandboxes> modes{};  // all off
  // One ordered list per path category; allowlist and denylist entries
  // interleave in the order given and the first match wins.
  std::array<std::vector<PathRule>, kNumPathCategories> path_rules;
  std::array<std::vector<PatternEntry>, kNumPathCategories> path_filters;
  std::array<std::vector<AddrRule>, 2> net_rules;  // bind, connect
  std::array<std::vector<AddrPattern>, 2> net_filters;

  MatchOptions match;
  bool per_process_directories = false;
  bool successful_bind = false;
  bool unsupported_socket_families = true;  // true = allow

  Decision decision = Decision::kDeny;
  int exit_code = 0;
  bool raise_fail = false;
  bool raise_safe = false;

  bool exit_wait_all = true;
  MagicLock magic_lock = MagicLock::kOff;
  // core/trace/runtime_categories: the categories whose mode may be
  // switched at run time while runtime configuration is unlocked (their
  // calls are all sent to user space for that); all by default.
  std::array<bool, kNumSandboxes> runtime_change{true, true, true, true, true};

  std::vector<PatternEntry> exec_kill_if_match;
  std::vector<PatternEntry> exec_resume_if_match;
  std::vector<ExecVerify> exec_verify;

  int restrict_general = 0;
  bool restrict_identity_change = false;
  bool restrict_io_control = false;
  bool restrict_memory_map = false;
  bool restrict_shared_memory_writable = false;
  // What the sandbox may reach outside itself (SPEC §2.9); each is enforced
  // by the kernel (seccomp-bpf, Landlock) and true means restricted.
  bool restrict_outside_signals = true;  // signals, priorities, limits: sandbox processes only
  bool restrict_terminal = true;         // TIOCSTI, TIOCLINUX, TIOCCONS
  bool restrict_namespaces = true;       // unshare/clone CLONE_NEW*, setns, chroot
  bool restrict_mounts = true;           // mount, umount2, pivot_root, the new mount API
  bool restrict_device_nodes = true;     // mknod(at) of character and block devices (whiteouts aside)

  // Resource limits the command starts with (rlimit/NAME:VALUE), in the
  // order given: soft and hard limit both, the last one for a resource wins.
  std::vector<RlimitSetting> rlimits;

  std::vector<std::string> syscall_allowlist;  // regex texts (SPEC §4), validated
  std::vector<std::string> syscall_denylist;

  // sys/ rules in order; the category sandboxing comes after them.
  std::vector<SysRule> sys_rules;

  Mode mode(Sandbox s) const { return modes[static_cast<size_t>(s)]; }
  Mode mode(Category c) const { return mode(SandboxOf(c)); }
};

}  // namespace syd::policy
