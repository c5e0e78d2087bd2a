#include "lang/config_text.h"

#include <gtest/gtest.h>

namespace syd::lang {
namespace {

TEST(ConfigText, SydLinesCommentsIncludes) {
  const char* text =
      "# a comment\n"
      "\n"
      "core/sandbox/write:deny\n"
      "   allowlist/write+/tmp/***   \n"
      "include other.syd-3\n";
  auto r = ParseConfigText(text, "p.syd-3", ConfigFormat::kSyd);
  ASSERT_TRUE(r) << r.error().what;
  ASSERT_EQ(r->size(), 3u);
  auto& c0 = std::get<Command>((*r)[0]);
  EXPECT_EQ(c0.key, "core/sandbox/write");
  EXPECT_EQ(c0.origin.ToString(), "p.syd-3:3");
  auto& c1 = std::get<Command>((*r)[1]);
  EXPECT_EQ(c1.value, "/tmp/***");
  auto& inc = std::get<Include>((*r)[2]);
  EXPECT_EQ(inc.path, "other.syd-3");
  EXPECT_EQ(inc.origin.line, 5u);
}

TEST(ConfigText, ErrorsNameFileAndLine) {
  auto r = ParseConfigText("core/sandbox/write:deny\nthis is wrong\n", "bad.syd-3", ConfigFormat::kSyd);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what.rfind("bad.syd-3:2: ", 0), 0u) << r.error().what;
  auto inc = ParseConfigText("include\n", "x.syd-3", ConfigFormat::kSyd);
  EXPECT_FALSE(inc);
}

TEST(ConfigText, Toml) {
  const char* text =
      "rules = [\"core/violation/raise_safe:true\"]\n"
      "[core.sandbox]\n"
      "write = \"deny\"\n"
      "[core.trace]\n"
      "exit_wait_all = false\n"
      "[allowlist]\n"
      "write = [\"/tmp/***\", \"/var/tmp/***\"]\n"
      "[allowlist.network]\n"
      "bind = [\"LOOPBACK@0\"]\n";
  auto r = ParseConfigText(text, "p.toml", ConfigFormat::kToml);
  ASSERT_TRUE(r) << r.error().what;
  std::vector<std::string> got;
  for (auto& it : *r) {
    auto& c = std::get<Command>(it);
    got.push_back(c.key + static_cast<char>(c.op) + c.value);
  }
  std::vector<std::string> want = {"core/violation/raise_safe:true", "core/sandbox/write:deny",
                                   "core/trace/exit_wait_all:false", "allowlist/write+/tmp/***",
                                   "allowlist/write+/var/tmp/***", "allowlist/network/bind+LOOPBACK@0"};
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
}

// Entries apply in the order written (the first matching list entry
// wins): a denylist table before an allowlist table stays first, though
// toml++ keeps keys in name order.
TEST(ConfigText, TomlKeepsTheOrderWritten) {
  const char* text =
      "[denylist]\n"
      "write = [\"/tmp/secret/***\"]\n"
      "[allowlist]\n"
      "write = [\"/tmp/***\", \"/var/tmp/***\"]\n"
      "[core.sandbox]\n"
      "write = \"deny\"\n"
      "inline = { b = \"2\", a = \"1\" }\n";
  auto r = ParseConfigText(text, "p.toml", ConfigFormat::kToml);
  ASSERT_TRUE(r) << r.error().what;
  std::vector<std::string> got;
  for (auto& it : *r) {
    auto& c = std::get<Command>(it);
    got.push_back(c.key + static_cast<char>(c.op) + c.value);
  }
  std::vector<std::string> want = {"denylist/write+/tmp/secret/***", "allowlist/write+/tmp/***",
                                   "allowlist/write+/var/tmp/***",   "core/sandbox/write:deny",
                                   "core/sandbox/inline/b:2",        "core/sandbox/inline/a:1"};
  EXPECT_EQ(got, want);
}

TEST(ConfigText, TomlErrorsHaveLines) {
  auto r = ParseConfigText("[core.sandbox]\nwrite = \n", "bad.toml", ConfigFormat::kToml);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what.rfind("bad.toml:2:", 0), 0u) << r.error().what;
  auto t = ParseConfigText("[core.sandbox]\nwrite = 1.5\n", "f.toml", ConfigFormat::kToml);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().what.rfind("f.toml:2:", 0), 0u) << t.error().what;
}

TEST(ConfigText, TomlNonAsciiOnlyInStringsAndComments) {
  // Non-ASCII in strings and comments is fine...
  auto ok = ParseConfigText("# caf\xc3\xa9\n[allowlist]\nwrite = [\"/home/caf\xc3\xa9/***\"]\n", "u.toml",
                            ConfigFormat::kToml);
  ASSERT_TRUE(ok) << ok.error().what;
  EXPECT_EQ(std::get<Command>((*ok)[0]).value, "/home/caf\xc3\xa9/***");
  // ...elsewhere it is refused before toml++ sees it (toml++ 3.3.0 has
  // undefined behaviour on some non-ASCII characters).
  auto bad = ParseConfigText("[allowlist]\nwrite\xc3\xa9 = 1\n", "u.toml", ConfigFormat::kToml);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().what.rfind("u.toml:2:", 0), 0u) << bad.error().what;
  auto lit = ParseConfigText("[allowlist]\nwrite = ['/caf\xc3\xa9']\n", "u.toml", ConfigFormat::kToml);
  EXPECT_FALSE(lit);
  auto broken = ParseConfigText("x = \"\xc3(\"\n", "u.toml", ConfigFormat::kToml);
  EXPECT_FALSE(broken);
}

TEST(ConfigText, FormatForName) {
  EXPECT_EQ(FormatForName("a.toml"), ConfigFormat::kToml);
  EXPECT_EQ(FormatForName("a.syd-3"), ConfigFormat::kSyd);
  EXPECT_EQ(FormatForName("a.syd-1"), ConfigFormat::kSyd);
}

}  // namespace
}  // namespace syd::lang
