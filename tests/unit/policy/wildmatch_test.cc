// Every vector of rsync's wildtest.txt (MATCH column), plus our additions.
#include "policy/wildmatch.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

namespace syd::policy {
namespace {

struct Vector {
  int line;
  bool match;
  std::string text, pattern;
};

// Items are whitespace separated and may be quoted with ' " or `.
std::vector<std::string> Items(const std::string& line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    char q = line[i];
    std::string item;
    if (q == '\'' || q == '"' || q == '`') {
      size_t end = line.find(q, i + 1);
      item = line.substr(i + 1, end - i - 1);
      i = end + 1;
    } else {
      size_t end = line.find_first_of(" \t", i);
      if (end == std::string::npos) end = line.size();
      item = line.substr(i, end - i);
      i = end;
    }
    out.push_back(item);
  }
  return out;
}

std::vector<Vector> LoadVectors() {
  std::ifstream in(SYD_TEST_DATA "/wildtest.txt");
  std::vector<Vector> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    auto items = Items(line);
    if (items.size() != 4) continue;
    out.push_back({n, items[0] == "1", items[2], items[3]});
  }
  return out;
}

TEST(WildMatch, RsyncVectors) {
  auto vectors = LoadVectors();
  ASSERT_GT(vectors.size(), 100u) << "wildtest.txt not found or unreadable";
  for (const auto& v : vectors) {
    EXPECT_EQ(WildMatch(v.pattern, v.text), v.match)
        << "wildtest.txt:" << v.line << ": text '" << v.text << "' pattern '" << v.pattern << "'";
  }
}

TEST(WildMatch, CaseFolding) {
  EXPECT_FALSE(WildMatch("/TMP/*", "/tmp/x"));
  EXPECT_TRUE(WildMatch("/TMP/*", "/tmp/x", CaseFold::kInsensitive));
  EXPECT_TRUE(WildMatch("/[A-C]x", "/bX", CaseFold::kInsensitive));
  EXPECT_FALSE(WildMatch("/[A-C]x", "/dx", CaseFold::kInsensitive));
}

TEST(WildMatch, PatternErrors) {
  EXPECT_EQ(PatternError("/tmp/***"), "");
  EXPECT_EQ(PatternError("[[:]ab]"), "");
  EXPECT_NE(PatternError(""), "");
  EXPECT_NE(PatternError("/tmp/\\"), "");
  EXPECT_NE(PatternError("/tmp/[ab"), "");
  EXPECT_NE(PatternError("/tmp/[[:nope:]]"), "");
}

}  // namespace
}  // namespace syd::policy
