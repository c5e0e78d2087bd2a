#include "policy/suggest.h"

#include <gtest/gtest.h>

#include "policy/pattern_set.h"

namespace syd::policy {
namespace {

TEST(Suggest, EscapedPathMatchesItselfOnly) {
  for (const char* path : {"/a*b", "/a?b", "/a[b]c", "/a\\b", "/plain", "/x/***"}) {
    auto p = Pattern::Compile(EscapeGlob(path));
    ASSERT_TRUE(p) << path;
    MatchOptions literal;
    EXPECT_TRUE(p->Matches(path, literal)) << path << " as " << EscapeGlob(path);
  }
  auto star = Pattern::Compile(EscapeGlob("/a*b"));
  ASSERT_TRUE(star);
  EXPECT_FALSE(star->Matches("/axxb", MatchOptions{}));
}

TEST(Suggest, AllowingCommand) {
  EXPECT_EQ(AllowingCommand(Category::kWrite, "/etc/x", false), "allowlist/write+/etc/x");
  EXPECT_EQ(AllowingCommand(Category::kRead, "/etc/x", true), "allowlist/read^/etc/x");
  EXPECT_EQ(AllowingCommand(Category::kNetConnect, "inet:127.0.0.1@9", false),
            "allowlist/network/connect+inet:127.0.0.1@9");
  EXPECT_EQ(AllowingCommand(Category::kNetBind, "unix:/run/a*", false), "allowlist/network/bind+unix:/run/a\\*");
  EXPECT_EQ(AllowingCommand(Category::kNetBind, "unix:", false), std::nullopt);
  EXPECT_EQ(AllowingCommand(Category::kNetConnect, "family:16", false),
            "core/allowlist/unsupported_socket_families:allow");
  EXPECT_EQ(AllowingCommand(Category::kWrite, "relative", false), std::nullopt);
}

TEST(Suggest, ShellQuote) {
  EXPECT_EQ(ShellQuote("allowlist/write+/etc/x"), "allowlist/write+/etc/x");
  EXPECT_EQ(ShellQuote("allowlist/write^/x"), "'allowlist/write^/x'");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote(""), "''");
}

}  // namespace
}  // namespace syd::policy
