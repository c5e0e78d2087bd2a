#include "pandora/settings.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

namespace syd::pandora {
namespace {

std::string Err(std::string_view text) {
  auto r = ParseSettings(text, "/c/pandora.toml", "/home/u");
  EXPECT_FALSE(r) << text;
  return r ? "" : r.error().what;
}

TEST(Settings, AllKeys) {
  auto s = ParseSettings(
      "# pandora\n"
      "sydbox = \"/opt/sydbox/bin/sydbox\"\n"
      "keyring = \"~/keys\"\n"
      "url = \"https://profiles.example.org/base/\"\n"
      "limit = 3\n"
      "cacert = \"/etc/ssl/ca.pem\"\n"
      "timeout = 7\n",
      "/c/pandora.toml", "/home/u");
  ASSERT_TRUE(s) << s.error().what;
  EXPECT_EQ(s->sydbox, "/opt/sydbox/bin/sydbox");
  EXPECT_EQ(s->keyring, "/home/u/keys");
  EXPECT_EQ(s->url, "https://profiles.example.org/base/");
  EXPECT_EQ(s->limit, 3u);
  EXPECT_EQ(s->cacert, "/etc/ssl/ca.pem");
  EXPECT_EQ(s->timeout, 7);
  EXPECT_EQ(s->file, "/c/pandora.toml");
}

TEST(Settings, EmptyFileGivesDefaults) {
  auto s = ParseSettings("", "f", nullptr);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->sydbox, "");
  EXPECT_FALSE(s->limit);
  EXPECT_FALSE(s->timeout);
}

TEST(Settings, NonAsciiPathInAString) {
  auto s = ParseSettings("keyring = \"/home/jos\xc3\xa9/keys\"\n", "f", nullptr);
  ASSERT_TRUE(s) << s.error().what;
  EXPECT_EQ(s->keyring, "/home/jos\xc3\xa9/keys");
}

TEST(Settings, ErrorsNameFileAndLine) {
  EXPECT_EQ(Err("\n\nkeyrign = \"/k\"\n"),
            "/c/pandora.toml:3: unknown key 'keyrign' (known: sydbox, keyring, url, limit, cacert, timeout)");
  EXPECT_EQ(Err("[keys]\ndir = \"/k\"\n"),
            "/c/pandora.toml:1: unknown key 'keys' (known: sydbox, keyring, url, limit, cacert, timeout)");
  EXPECT_EQ(Err("limit = \"3\"\n"), "/c/pandora.toml:1: limit must be an integer from 0 to 4096");
  EXPECT_EQ(Err("\nlimit = -1\n"), "/c/pandora.toml:2: limit must be an integer from 0 to 4096");
  EXPECT_EQ(Err("timeout = 0\n"), "/c/pandora.toml:1: timeout must be an integer number of seconds from 1 to 86400");
  EXPECT_EQ(Err("url = \"ftp://x\"\n"), "/c/pandora.toml:1: url must start with http:// or https://");
  EXPECT_EQ(Err("sydbox = \"bin/sydbox\"\n"), "/c/pandora.toml:1: sydbox must be an absolute path or start with ~/");
  EXPECT_EQ(Err("cacert = 1\n"), "/c/pandora.toml:1: cacert must be a string");
  EXPECT_TRUE(Err("sydbox = \n").starts_with("/c/pandora.toml:1: ")) << Err("sydbox = \n");
  EXPECT_TRUE(Err("a = 1\na = 2\n").starts_with("/c/pandora.toml:2: ")) << Err("a = 1\na = 2\n");
  auto no_home = ParseSettings("keyring = \"~/k\"\n", "f", nullptr);
  ASSERT_FALSE(no_home);
  EXPECT_EQ(no_home.error().what, "f:1: keyring: '~/' but $HOME is not set");
}

TEST(Settings, Paths) {
  EXPECT_EQ(SettingsPath("/x", "/home/u"), "/x/pandora/pandora.toml");
  EXPECT_EQ(SettingsPath(nullptr, "/home/u"), "/home/u/.config/pandora/pandora.toml");
  EXPECT_EQ(SettingsPath("relative", "/home/u"), "/home/u/.config/pandora/pandora.toml");
  EXPECT_EQ(SettingsPath(nullptr, nullptr), "");
  EXPECT_EQ(DefaultKeyring("/x", "/home/u"), "/x/pandora/keys");
  EXPECT_EQ(DefaultKeyring(nullptr, "/home/u"), "/home/u/.config/pandora/keys");
}

TEST(Settings, Keyring) {
  char tmpl[] = "/tmp/syd-keyring-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  auto missing = LoadKeyring(dir + "/none");
  ASSERT_TRUE(missing);
  EXPECT_TRUE(missing->empty());
  SecretKey a = GenerateKey(), b = GenerateKey();
  std::ofstream(dir + "/a.pub") << FormatPublicKey(a.Public());
  std::ofstream(dir + "/b.pub") << FormatPublicKey(b.Public());
  std::ofstream(dir + "/notes.txt") << "not a key";
  auto keys = LoadKeyring(dir);
  ASSERT_TRUE(keys) << keys.error().what;
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].key, a.Public().key);
  EXPECT_EQ((*keys)[1].key, b.Public().key);
  std::ofstream(dir + "/c.pub") << "garbage\n";
  auto bad = LoadKeyring(dir);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().what.rfind("keyring " + dir + "/c.pub: ", 0), 0u) << bad.error().what;
  std::string rm = "rm -rf '" + dir + "'";
  ASSERT_EQ(system(rm.c_str()), 0);
}

}  // namespace
}  // namespace syd::pandora
