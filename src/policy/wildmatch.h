// rsync-style wildmatch: `?` one byte but '/', `*` any run without '/',
// `**` any run, `[...]` classes (with `!`/`^` negation and [:name:]), `\`
// escapes. Pure function; no allocation.
#pragma once

#include <string_view>

namespace syd::policy {

enum class CaseFold { kSensitive, kInsensitive };

// True if `text` matches `pattern` entirely.
bool WildMatch(std::string_view pattern, std::string_view text,
               CaseFold fold = CaseFold::kSensitive);

// True if the pattern contains an unescaped wildcard character (* ? [).
bool HasWildcard(std::string_view pattern);

// Empty string if the pattern is well formed, else what is wrong with it
// (trailing backslash, unterminated bracket, unknown [:class:]). rsync
// silently fails to match such patterns; a sandbox rule must not.
std::string_view PatternError(std::string_view pattern);

// The most runs of '*' a pattern may have: the matcher recurses once per
// run, and patterns come from profiles that may be hostile.
inline constexpr int kMaxWildcards = 256;

}  // namespace syd::policy
