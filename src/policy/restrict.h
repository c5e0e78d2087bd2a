// What the core/restrict/ options of SPEC §2.9 deny, as data: the system
// calls of each core/restrict/general level and the ioctl requests
// core/restrict/io_control leaves. Lowered to seccomp-bpf by
// bpf/restrict.cc; listed by `sydbox syscall %restrict_generalN`.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace syd::policy {

// The calls core/restrict/general:N denies (EPERM), N = 1..3: each level
// denies its own calls and those of the levels below. Level 1 also
// refuses personality(2) changes (a query, and PER_LINUX, stay), which
// is an argument rule and not in the list.
std::vector<int> GeneralRestricted(int level);
// The calls level N adds to level N-1.
std::span<const int> GeneralRestrictedAt(int level);

// The ioctl requests core/restrict/io_control allows; every other request
// fails with EPERM.
std::span<const uint32_t> IoctlAllowlist();

}  // namespace syd::policy
