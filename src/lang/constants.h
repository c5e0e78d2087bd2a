// Named integer constants for sys/ rule expressions, generated at build
// time from the system headers (scripts/gen-constants.sh).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace syd::lang {

struct Constant {
  std::string_view name;
  uint64_t value;  // sign-extended to 64 bits
};

// Sorted by name.
const std::vector<Constant>& Constants();

inline std::optional<uint64_t> LookupConstant(std::string_view name) {
  const auto& t = Constants();
  size_t lo = 0, hi = t.size();
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (t[mid].name < name) lo = mid + 1;
    else hi = mid;
  }
  if (lo < t.size() && t[lo].name == name) return t[lo].value;
  return std::nullopt;
}

}  // namespace syd::lang
