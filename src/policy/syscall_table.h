// System call names, numbers and strace classes (x86_64), and the syscall
// sets of the rule language: names, numbers, /regex, %class, ?ITEM, !ITEM.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace syd::policy {

struct SyscallEntry {
  int nr;
  std::string_view name;
  int nargs;
  std::string_view classes;  // "%desc %file", space separated
};

// Generated from data/syscalls/x86_64.tsv; sorted by number.
std::span<const SyscallEntry> SyscallTable();

std::optional<int> SyscallNumber(std::string_view name);
std::string_view SyscallName(int nr);  // "" if unknown

// Resolves a comma-separated set in strace syntax. Errors carry the
// 1-based column (within `text`) in Error::column.
Result<std::set<int>> ResolveSyscallSet(std::string_view text);

// Every class name a set may use (strace's and sydbox's).
std::vector<std::string> SyscallClasses();

}  // namespace syd::policy
