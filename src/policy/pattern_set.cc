#include "policy/pattern_set.h"

#include <algorithm>
#include <cctype>
#include <strings.h>

#include "util/strings.h"

namespace syd::policy {
namespace {

constexpr std::string_view kDirAndBelow = "/***";


int Compare(std::string_view a, std::string_view b, CaseFold fold) {
  if (fold == CaseFold::kSensitive) return a.compare(b);
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    int ca = std::tolower(static_cast<unsigned char>(a[i]));
    int cb = std::tolower(static_cast<unsigned char>(b[i]));
    if (ca != cb) return ca < cb ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

}  // namespace

Result<Pattern> Pattern::Compile(std::string text) {
  if (std::string_view err = PatternError(text); !err.empty())
    return Failf("bad pattern '{}': {}", Elide(text), err);
  Pattern p;
  p.text_ = std::move(text);
  if (EndsWith(p.text_, kDirAndBelow)) {
    p.dir_and_below_ = true;
    p.base_ = p.text_.substr(0, p.text_.size() - kDirAndBelow.size());
    p.below_ = p.base_ + "/**";
  } else {
    p.base_ = p.text_;
  }
  p.literal_ = !HasWildcard(p.base_) && p.base_.find('\\') == std::string::npos;
  return p;
}

bool Pattern::Matches(std::string_view path, const MatchOptions& opts) const {
  if (literal_) {
    if (Compare(base_, path, opts.fold) == 0) return true;
    bool prefix = dir_and_below_ || opts.no_wildcard == NoWildcard::kPrefix;
    if (!prefix || path.size() <= base_.size()) return false;
    if (Compare(base_, path.substr(0, base_.size()), opts.fold) != 0) return false;
    return path[base_.size()] == '/' || (!base_.empty() && base_.back() == '/');
  }
  if (WildMatch(base_, path, opts.fold)) return true;
  return dir_and_below_ && WildMatch(below_, path, opts.fold);
}

std::vector<std::string_view> Pattern::LiteralPrefix() const {
  std::vector<std::string_view> out;
  std::string_view b = base_;
  if (b.empty() || b[0] != '/') return out;
  std::vector<std::string_view> comps = Split(b.substr(1), '/');
  for (size_t i = 0; i < comps.size(); ++i) {
    std::string_view c = comps[i];
    if (c.empty() || HasWildcard(c) || c.find('\\') != std::string_view::npos) break;
    // The last component of a non-literal pattern may still need the whole
    // matcher (e.g. "/a/b" of "/a/b/**" is fine, it is a full component).
    out.push_back(c);
  }
  return out;
}

bool PatternIndex::KeyLess(std::string_view a, std::string_view b) const {
  return Compare(a, b, opts_.fold) < 0;
}

int PatternIndex::Child(uint32_t node, std::string_view key) const {
  const auto& ch = nodes_[node].children;
  auto it = std::lower_bound(ch.begin(), ch.end(), key,
                             [&](const auto& e, std::string_view k) { return KeyLess(e.first, k); });
  if (it == ch.end() || Compare(it->first, key, opts_.fold) != 0) return -1;
  return static_cast<int>(it->second);
}

void PatternIndex::Build(const std::vector<const Pattern*>& patterns, const MatchOptions& opts) {
  patterns_ = patterns;
  opts_ = opts;
  nodes_.assign(1, Node{});
  for (uint32_t i = 0; i < patterns_.size(); ++i) {
    uint32_t node = 0;
    for (std::string_view comp : patterns_[i]->LiteralPrefix()) {
      int c = Child(node, comp);
      if (c < 0) {
        c = static_cast<int>(nodes_.size());
        nodes_.push_back(Node{});
        auto& ch = nodes_[node].children;
        auto it = std::lower_bound(ch.begin(), ch.end(), comp,
                                   [&](const auto& e, std::string_view k) { return KeyLess(e.first, k); });
        ch.insert(it, {std::string(comp), static_cast<uint32_t>(c)});
      }
      node = static_cast<uint32_t>(c);
    }
    nodes_[node].entries.push_back(i);  // ordinals arrive ascending
  }
}

std::optional<uint32_t> PatternIndex::FirstMatch(std::string_view path) const {
  std::optional<uint32_t> best;
  uint32_t node = 0;
  size_t pos = (!path.empty() && path[0] == '/') ? 1 : path.size();
  for (;;) {
    for (uint32_t ord : nodes_[node].entries) {
      if (best && ord >= *best) break;
      if (patterns_[ord]->Matches(path, opts_)) {
        best = ord;
        break;
      }
    }
    if (pos >= path.size()) break;
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    int c = Child(node, path.substr(pos, end - pos));
    if (c < 0) break;
    node = static_cast<uint32_t>(c);
    pos = end + 1;
  }
  return best;
}

}  // namespace syd::policy
