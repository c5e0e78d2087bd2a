// A pattern and a path (split at the first NUL): compile the pattern as a
// profile would give it, match the path every way the policy can. Nothing
// may crash, hang or exhaust the stack; a malformed pattern is refused.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "policy/pattern_set.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nul = in.find('\0');
  if (nul == std::string_view::npos) return 0;
  auto pat = syd::policy::Pattern::Compile(std::string(in.substr(0, nul)));
  if (!pat) return 0;
  std::string_view path = in.substr(nul + 1);
  for (auto fold : {syd::policy::CaseFold::kSensitive, syd::policy::CaseFold::kInsensitive})
    for (auto nw : {syd::policy::NoWildcard::kLiteral, syd::policy::NoWildcard::kPrefix}) {
      syd::policy::MatchOptions o;
      o.fold = fold;
      o.no_wildcard = nw;
      (void)pat->Matches(path, o);
    }
  return 0;
}
