// The matcher follows the recursive algorithm rsync uses (Rich Salz's
// wildmat extended by Wayne Davison), with its three-valued result: besides
// match/no-match, "abort all" stops every enclosing `*` from trying further
// positions once the text ran out, and "abort to `**`" stops single-star
// loops at a '/' so only a `**` further out keeps trying. That keeps the
// worst case polynomial on patterns like `-*-*-*-*-...`.
#include "policy/wildmatch.h"

#include <cctype>

namespace syd::policy {
namespace {

enum Outcome { kMatch, kNoMatch, kAbortAll, kAbortToStarStar };

struct Matcher {
  std::string_view pat;
  std::string_view txt;
  bool fold;

  unsigned char Fold(unsigned char c) const {
    return fold ? static_cast<unsigned char>(std::tolower(c)) : c;
  }
  // 0 past the end, like a C string, so the class parser reads naturally.
  unsigned char P(size_t i) const { return i < pat.size() ? pat[i] : 0; }

  static bool ClassMatches(std::string_view name, unsigned char c, bool* known) {
    *known = true;
    if (name == "alnum") return std::isalnum(c);
    if (name == "alpha") return std::isalpha(c);
    if (name == "blank") return c == ' ' || c == '\t';
    if (name == "cntrl") return std::iscntrl(c);
    if (name == "digit") return std::isdigit(c);
    if (name == "graph") return std::isgraph(c);
    if (name == "lower") return std::islower(c);
    if (name == "print") return std::isprint(c);
    if (name == "punct") return std::ispunct(c);
    if (name == "space") return std::isspace(c);
    if (name == "upper") return std::isupper(c);
    if (name == "xdigit") return std::isxdigit(c);
    *known = false;
    return false;
  }

  // Matches a bracket expression starting at pat[p] == '['. On return *p is
  // the index of the closing ']'.
  Outcome Bracket(size_t* p, unsigned char t) const {
    size_t i = *p + 1;
    unsigned char pc = P(i);
    if (pc == '^') pc = '!';
    bool negated = pc == '!';
    if (negated) pc = P(++i);
    unsigned char prev = 0;
    bool matched = false;
    const unsigned char ft = Fold(t);
    do {
      if (pc == 0) return kAbortAll;
      if (pc == '\\') {
        pc = P(++i);
        if (pc == 0) return kAbortAll;
        if (ft == Fold(pc)) matched = true;
      } else if (pc == '-' && prev != 0 && P(i + 1) != 0 && P(i + 1) != ']') {
        pc = P(++i);
        if (pc == '\\') {
          pc = P(++i);
          if (pc == 0) return kAbortAll;
        }
        if (t <= pc && t >= prev) matched = true;
        if (fold && ft <= Fold(pc) && ft >= Fold(prev)) matched = true;
        pc = 0;  // a range cannot start another range
      } else if (pc == '[' && P(i + 1) == ':') {
        size_t start = i + 2;
        size_t j = start;
        while (P(j) != 0 && P(j) != ']') ++j;
        if (P(j) == 0) return kAbortAll;
        if (j == start || P(j - 1) != ':') {
          // No ":]": the '[' is an ordinary member.
          if (t == '[') matched = true;
          pc = '[';
        } else {
          bool known = false;
          bool in = ClassMatches(pat.substr(start, j - 1 - start), t, &known);
          if (!known) return kAbortAll;
          if (in) matched = true;
          i = j;
          pc = 0;
        }
      } else if (ft == Fold(pc)) {
        matched = true;
      }
      prev = pc;
      pc = P(++i);
    } while (pc != ']');
    *p = i;
    if (matched == negated || t == '/') return kNoMatch;
    return kMatch;
  }

  Outcome Match(size_t p, size_t t) const {
    for (; p < pat.size(); ++p, ++t) {
      unsigned char pc = pat[p];
      if (t >= txt.size() && pc != '*') return kAbortAll;
      unsigned char tc = t < txt.size() ? txt[t] : 0;
      switch (pc) {
        case '\\':
          pc = P(++p);
          [[fallthrough]];
        default:
          if (Fold(tc) != Fold(pc)) return kNoMatch;
          continue;
        case '?':
          if (tc == '/') return kNoMatch;
          continue;
        case '[': {
          Outcome o = Bracket(&p, tc);
          if (o != kMatch) return o;
          continue;
        }
        case '*': {
          bool slashes = false;
          if (P(p + 1) == '*') {
            while (P(p + 1) == '*') ++p;
            slashes = true;
          }
          ++p;
          if (p >= pat.size()) {
            // Trailing star: `*` must not cross a '/', `**` may.
            if (!slashes && txt.find('/', t) != std::string_view::npos) return kNoMatch;
            return kMatch;
          }
          for (; t < txt.size(); ++t) {
            Outcome o = Match(p, t);
            if (o != kNoMatch) {
              if (!slashes || o != kAbortToStarStar) return o;
            } else if (!slashes && txt[t] == '/') {
              return kAbortToStarStar;
            }
          }
          return kAbortAll;
        }
      }
    }
    return t >= txt.size() ? kMatch : kNoMatch;
  }
};

}  // namespace

bool WildMatch(std::string_view pattern, std::string_view text, CaseFold fold) {
  Matcher m{pattern, text, fold == CaseFold::kInsensitive};
  return m.Match(0, 0) == kMatch;
}

bool HasWildcard(std::string_view pattern) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\') { ++i; continue; }
    if (c == '*' || c == '?' || c == '[') return true;
  }
  return false;
}

std::string_view PatternError(std::string_view pattern) {
  if (pattern.empty()) return "empty pattern";
  Matcher m{pattern, {}, false};
  int stars = 0;  // runs of '*': each is one level of the matcher's recursion
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      if (i + 1 >= pattern.size()) return "trailing backslash";
      ++i;
      continue;
    }
    if (pattern[i] == '*' && (i == 0 || pattern[i - 1] != '*') && ++stars > kMaxWildcards)
      return "more than 256 '*' wildcards";
    if (pattern[i] != '[') continue;
    // Bracket() reports kAbortAll exactly for the malformed cases; the text
    // byte it is asked about does not change that.
    size_t p = i;
    if (m.Bracket(&p, 'a') == kAbortAll) return "unterminated '[' or unknown [:class:]";
    i = p;
  }
  return {};
}

}  // namespace syd::policy
