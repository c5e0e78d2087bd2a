#include "pandora/share.h"

#include <gtest/gtest.h>

namespace syd::pandora {
namespace {

const std::string kProg(64, 'a'), kOther(64, 'b');

std::string Profile(const std::string& sha) {
  ProfileHeader h;
  h.program = "/usr/bin/prog";
  h.sha256 = sha;
  h.created = "2026-12-01T07:30:00Z";
  return FormatProfile(h, "sandbox/write:deny\n");
}

std::string Err(std::string_view text, const FetchChecks& c) {
  auto r = VerifyFetched(text, c);
  return r ? "ok" : r.error().what;
}

TEST(Share, ProfileUrl) {
  EXPECT_EQ(*ProfileUrl("https://p.example.org", kProg), "https://p.example.org/sha256/" + kProg + ".syd-3");
  EXPECT_EQ(*ProfileUrl("http://h:8080/base//", kProg), "http://h:8080/base/sha256/" + kProg + ".syd-3");
  EXPECT_EQ(ProfileUrl("ftp://h", kProg).error().what, "URL 'ftp://h' must start with http:// or https://");
  EXPECT_FALSE(ProfileUrl("http://h", "ABC"));
  EXPECT_FALSE(ProfileUrl("http://h", std::string(64, 'A')));
}

TEST(Share, VerifyFetched) {
  FetchChecks c;
  c.program_sha256 = kProg;
  EXPECT_EQ(Err(Profile(kProg), c), "ok");
  EXPECT_EQ(Err(Profile(kOther), c),
            "downloaded profile is for another binary: its sha256 is " + kOther + " (/usr/bin/prog), the local binary's is " +
                kProg);
  EXPECT_EQ(Err("<html>404</html>", c),
            "downloaded profile: profile:1: not a pandora profile (the first line must be '#! pandora-profile: 1')");
  std::string changed = Profile(kProg);
  changed.back() = 'X';
  EXPECT_TRUE(Err(changed, c).starts_with("downloaded profile: body-sha256 does not match")) << Err(changed, c);
  c.require_signature = true;
  EXPECT_EQ(Err(Profile(kProg), c), "downloaded profile: profile is not signed (a signature by a trusted key is required)");
  SecretKey sk = GenerateKey();
  auto signed_f = SignProfile(*ParseProfile(Profile(kProg)), sk);
  ASSERT_TRUE(signed_f);
  const std::string text = FormatProfileFile(*signed_f);
  EXPECT_NE(Err(text, c).find("no trusted public key was given"), std::string::npos) << Err(text, c);
  c.trusted = {GenerateKey().Public()};
  EXPECT_NE(Err(text, c).find("which is not a trusted key"), std::string::npos) << Err(text, c);
  c.trusted.push_back(sk.Public());
  EXPECT_EQ(Err(text, c), "ok");
}

TEST(Share, RedactUrl) {
  EXPECT_EQ(RedactUrl("https://me:s3cret@h.example/sha256/x"), "https://me:***@h.example/sha256/x");
  EXPECT_EQ(RedactUrl("https://me@h.example/a"), "https://me@h.example/a");
  EXPECT_EQ(RedactUrl("http://h.example/a@b:c"), "http://h.example/a@b:c");
  EXPECT_EQ(RedactUrl("http://h.example"), "http://h.example");
  EXPECT_EQ(RedactUrl("http://u:p:q@h"), "http://u:***@h");
}

TEST(Share, HttpGetRefusesOtherSchemes) {
  auto r = HttpGet("file:///etc/passwd", HttpOptions{});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what.find("GET file:///etc/passwd"), std::string::npos) << r.error().what;
}

}  // namespace
}  // namespace syd::pandora
