#include "lang/lines.h"

#include <gtest/gtest.h>

namespace syd::lang {
namespace {

std::vector<LineReader::Line> All(LineReader& r) {
  std::vector<LineReader::Line> out;
  LineReader::Line l;
  while (r.Next(&l)) out.push_back(l);
  return out;
}

TEST(LineReader, SplitsAcrossFeeds) {
  LineReader r;
  r.Feed("core/sandbox/wr");
  EXPECT_TRUE(All(r).empty());
  r.Feed("ite?\r\nallowlist/write+/x\n\n");
  auto lines = All(r);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].text, "core/sandbox/write?");
  EXPECT_EQ(lines[1].text, "allowlist/write+/x");
  EXPECT_EQ(lines[2].text, "");
  EXPECT_FALSE(lines[0].too_long);
}

TEST(LineReader, LongLineReportedOnceAndSkipped) {
  LineReader r;
  r.Feed(std::string(LineReader::kMaxLine, 'a') + "\n");
  auto lines = All(r);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_FALSE(lines[0].too_long);
  r.Feed(std::string(LineReader::kMaxLine + 1, 'a'));
  r.Feed(std::string(100000, 'b'));
  r.Feed("\nnext\n");
  lines = All(r);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(lines[0].too_long);
  EXPECT_EQ(lines[1].text, "next");
}

}  // namespace
}  // namespace syd::lang
