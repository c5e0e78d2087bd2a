#include "policy/pattern_set.h"

#include <gtest/gtest.h>

#include <random>

#include "policy/wildmatch.h"

namespace syd::policy {
namespace {

Pattern P(const std::string& s) {
  auto p = Pattern::Compile(s);
  EXPECT_TRUE(p) << s;
  return *p;
}

TEST(Pattern, TripleStarMatchesDirectoryAndBelow) {
  MatchOptions o;
  Pattern p = P("/tmp/***");
  EXPECT_TRUE(p.Matches("/tmp", o));
  EXPECT_TRUE(p.Matches("/tmp/a", o));
  EXPECT_TRUE(p.Matches("/tmp/a/b/c", o));
  EXPECT_FALSE(p.Matches("/tmpx", o));
  EXPECT_FALSE(p.Matches("/tm", o));
  Pattern g = P("/home/*/.cache/***");
  EXPECT_TRUE(g.Matches("/home/u/.cache", o));
  EXPECT_TRUE(g.Matches("/home/u/.cache/x/y", o));
  EXPECT_FALSE(g.Matches("/home/u/v/.cache", o));
}

TEST(Pattern, NoWildcardPrefix) {
  MatchOptions lit, pre;
  pre.no_wildcard = NoWildcard::kPrefix;
  Pattern p = P("/var/tmp");
  EXPECT_TRUE(p.Matches("/var/tmp", lit));
  EXPECT_FALSE(p.Matches("/var/tmp/x", lit));
  EXPECT_TRUE(p.Matches("/var/tmp/x", pre));
  EXPECT_FALSE(p.Matches("/var/tmpx", pre));
  // Patterns with wildcards are unaffected by the prefix option.
  EXPECT_FALSE(P("/var/t*").Matches("/var/tmp/x", pre));
}

TEST(Pattern, CaseInsensitive) {
  MatchOptions o;
  o.fold = CaseFold::kInsensitive;
  EXPECT_TRUE(P("/Tmp/***").Matches("/tmp/X", o));
  EXPECT_TRUE(P("/ETC/passwd").Matches("/etc/PASSWD", o));
}

TEST(Pattern, BadPatternsAreRejected) {
  EXPECT_FALSE(Pattern::Compile(""));
  EXPECT_FALSE(Pattern::Compile("/a/[b"));
  EXPECT_FALSE(Pattern::Compile("/a\\"));
}

TEST(PatternIndex, FirstMatchInOrder) {
  std::vector<Pattern> pats = {P("/tmp/secret/***"), P("/tmp/***"), P("**/x"), P("/usr/lib/*.so")};
  std::vector<const Pattern*> ptrs;
  for (auto& p : pats) ptrs.push_back(&p);
  PatternIndex idx;
  idx.Build(ptrs, MatchOptions{});
  EXPECT_EQ(idx.FirstMatch("/tmp/secret/a"), 0u);
  EXPECT_EQ(idx.FirstMatch("/tmp/other"), 1u);
  EXPECT_EQ(idx.FirstMatch("/tmp/x"), 1u);
  EXPECT_EQ(idx.FirstMatch("/var/x"), 2u);
  EXPECT_EQ(idx.FirstMatch("/usr/lib/libc.so"), 3u);
  EXPECT_FALSE(idx.FirstMatch("/usr/lib/sub/libc.so"));
  EXPECT_FALSE(idx.FirstMatch("/"));
}

// The index must agree with a linear scan on random lists and paths.
TEST(PatternIndex, AgreesWithLinearScan) {
  std::mt19937 rng(42);
  const std::vector<std::string> comps = {"a", "b", "tmp", "usr", "X", "x"};
  const std::vector<std::string> wild = {"*", "**", "?", "[ab]", "***"};
  auto rand_comp = [&](bool allow_wild) {
    if (allow_wild && rng() % 4 == 0) return wild[rng() % wild.size()];
    return comps[rng() % comps.size()];
  };
  for (int round = 0; round < 200; ++round) {
    std::vector<Pattern> pats;
    int n = 1 + rng() % 30;
    for (int i = 0; i < n; ++i) {
      std::string s = rng() % 8 == 0 ? "" : "/";
      int depth = 1 + rng() % 4;
      for (int d = 0; d < depth; ++d) s += (d ? "/" : "") + rand_comp(true);
      if (rng() % 5 == 0) s += "/***";
      auto p = Pattern::Compile(s);
      if (p) pats.push_back(*p);
    }
    MatchOptions o;
    o.fold = rng() % 2 ? CaseFold::kSensitive : CaseFold::kInsensitive;
    o.no_wildcard = rng() % 2 ? NoWildcard::kLiteral : NoWildcard::kPrefix;
    std::vector<const Pattern*> ptrs;
    for (auto& p : pats) ptrs.push_back(&p);
    PatternIndex idx;
    idx.Build(ptrs, o);
    for (int q = 0; q < 100; ++q) {
      std::string path;
      int depth = rng() % 5;
      for (int d = 0; d < depth; ++d) path += "/" + rand_comp(false);
      if (path.empty()) path = "/";
      std::optional<uint32_t> want;
      for (uint32_t i = 0; i < pats.size(); ++i)
        if (pats[i].Matches(path, o)) { want = i; break; }
      ASSERT_EQ(idx.FirstMatch(path), want) << "round " << round << " path " << path;
    }
  }
}

}  // namespace
}  // namespace syd::policy

namespace syd::policy {
namespace {

// The matcher recurses once per run of '*': a hostile profile must not be
// able to exhaust a worker's stack with a long path and many stars.
TEST(Pattern, WildcardsAreBounded) {
  std::string ok = "/";
  for (int i = 0; i < kMaxWildcards; ++i) ok += "*a";
  EXPECT_TRUE(Pattern::Compile(ok));
  auto bad = Pattern::Compile(ok + "*");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().what.find("more than 256"), std::string::npos);
  EXPECT_LT(bad.error().what.size(), 200u) << "the pattern is quoted whole";
  EXPECT_TRUE(Pattern::Compile("/a/***"));  // '***' is one run
  EXPECT_TRUE(Pattern::Compile(std::string(1000, '*')));
}

}  // namespace
}  // namespace syd::policy
