// Compiled path patterns and an index that finds, among an ordered list of
// patterns, the first one matching a path without testing them all.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/wildmatch.h"
#include "util/error.h"

namespace syd::policy {

enum class NoWildcard { kLiteral, kPrefix };

struct MatchOptions {
  CaseFold fold = CaseFold::kSensitive;
  NoWildcard no_wildcard = NoWildcard::kLiteral;
  bool operator==(const MatchOptions&) const = default;
};

// One pattern as written, plus what matching needs precomputed.
class Pattern {
 public:
  // Validates the syntax; the text is kept verbatim.
  static Result<Pattern> Compile(std::string text);

  const std::string& text() const { return text_; }
  bool Matches(std::string_view path, const MatchOptions& opts) const;
  // Leading path components that are plain literals (for indexing); empty
  // for relative patterns or ones starting with a wildcard.
  std::vector<std::string_view> LiteralPrefix() const;

 private:
  std::string text_;
  std::string base_;     // text_ without a trailing "/***"
  std::string below_;    // base_ + "/**" when text_ ends in "/***"
  bool dir_and_below_ = false;
  bool literal_ = false;  // no wildcard and no escape: plain string compare
};

// Finds the lowest-numbered pattern of an ordered list matching a path.
// Patterns are grouped by their literal leading components in a trie; a
// lookup walks the path's components and only tests the groups it meets,
// so cost grows with path depth and group size, not with the list length.
class PatternIndex {
 public:
  PatternIndex() = default;
  // `patterns[i]` has ordinal i. Pointers must outlive the index.
  void Build(const std::vector<const Pattern*>& patterns, const MatchOptions& opts);
  std::optional<uint32_t> FirstMatch(std::string_view path) const;
  size_t size() const { return patterns_.size(); }

 private:
  struct Node {
    std::vector<std::pair<std::string, uint32_t>> children;  // sorted by key
    std::vector<uint32_t> entries;                           // ordinals, ascending
  };
  int Child(uint32_t node, std::string_view key) const;
  bool KeyLess(std::string_view a, std::string_view b) const;

  std::vector<const Pattern*> patterns_;
  std::vector<Node> nodes_;
  MatchOptions opts_;
};

}  // namespace syd::policy
