#include "util/strings.h"

#include <gtest/gtest.h>

namespace syd {
namespace {

TEST(Closest, ATypoIsFoundAndAStrangerIsNot) {
  const std::vector<std::string> words = {"--lock", "--log-fd", "--log-file", "--log-format", "--landlock"};
  EXPECT_EQ(Closest("--lok", words), "--lock");
  EXPECT_EQ(Closest("--log-fromat", words), "--log-format");  // a transposition is one edit
  EXPECT_EQ(Closest("--frobnicate", words), std::nullopt);
  EXPECT_EQ(Closest("--lock", words), std::nullopt);  // not a typo: nothing to suggest
  EXPECT_EQ(Closest("", words), std::nullopt);
  EXPECT_EQ(Closest(std::string(100000, 'x'), words), std::nullopt);  // bounded work on hostile input
}

TEST(DidYouMean, Text) {
  EXPECT_EQ(DidYouMean("opnat", {"openat", "open"}), " (did you mean 'openat'?)");
  EXPECT_EQ(DidYouMean("zzzzzz", {"openat"}), "");
}

}  // namespace
}  // namespace syd
