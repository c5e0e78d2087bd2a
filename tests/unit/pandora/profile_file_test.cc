#include "pandora/profile_file.h"

#include <gtest/gtest.h>

namespace syd::pandora {
namespace {

const std::string kSha(64, 'a');

ProfileHeader Header() {
  ProfileHeader h;
  h.program = "/usr/bin/foo";
  h.sha256 = kSha;
  h.created = "2026-12-01T06:50:00Z";
  h.body_sha256 = "ignored";
  return h;
}

std::string Error(std::string_view text) {
  auto r = ParseProfile(text);
  EXPECT_FALSE(r) << text;
  return r ? std::string() : r.error().what;
}

TEST(ProfileFile, Sha256HexKnownAnswer) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ProfileFile, FormatWritesTheHeaderAndComputesBodySha) {
  const std::string body = "# comment\nsandbox/write:deny\n";
  std::string text = FormatProfile(Header(), body);
  EXPECT_EQ(text, "#! pandora-profile: 1\n#! program: /usr/bin/foo\n#! sha256: " + kSha +
                      "\n#! created: 2026-12-01T06:50:00Z\n#! body-sha256: " + Sha256Hex(body) + "\n" + body);
}

TEST(ProfileFile, RoundTrip) {
  const std::string body = "# comment\nallowlist/write+/tmp/***\n\n";
  std::string text = FormatProfile(Header(), body);
  auto f = ParseProfile(text);
  ASSERT_TRUE(f) << f.error().what;
  EXPECT_EQ(f->header.program, "/usr/bin/foo");
  EXPECT_EQ(f->header.sha256, kSha);
  EXPECT_EQ(f->header.created, "2026-12-01T06:50:00Z");
  EXPECT_EQ(f->header.body_sha256, Sha256Hex(body));
  EXPECT_TRUE(f->header.signature.empty());
  EXPECT_TRUE(f->header.key_id.empty());
  EXPECT_EQ(f->body, body);
  EXPECT_TRUE(CheckBody(*f));
  EXPECT_EQ(FormatProfileFile(*f), text);
}

TEST(ProfileFile, EmptyBodyAndBodyWithoutFinalNewline) {
  for (std::string body : {"", "sandbox/read:off"}) {
    auto f = ParseProfile(FormatProfile(Header(), body));
    ASSERT_TRUE(f) << f.error().what;
    EXPECT_EQ(f->body, body);
    EXPECT_TRUE(CheckBody(*f));
  }
}

TEST(ProfileFile, SignedRoundTrip) {
  const std::string body = "sandbox/write:deny\n";
  ProfileFile in{Header(), body};
  in.header.body_sha256 = Sha256Hex(body);
  in.header.signature = "RURBQkNERUZHSA==";
  in.header.key_id = "0123456789ABCDEF";
  std::string text = FormatProfileFile(in);
  EXPECT_EQ(text.substr(0, SignedHeaderText(in.header).size()), SignedHeaderText(in.header));
  EXPECT_NE(text.find("\n#! body-sha256: " + in.header.body_sha256 +
                      "\n#! signature: RURBQkNERUZHSA==\n#! key-id: 0123456789ABCDEF\nsandbox/write:deny\n"),
            std::string::npos);
  auto f = ParseProfile(text);
  ASSERT_TRUE(f) << f.error().what;
  EXPECT_EQ(f->header.signature, "RURBQkNERUZHSA==");
  EXPECT_EQ(f->header.key_id, "0123456789ABCDEF");
  EXPECT_EQ(f->body, body);
  EXPECT_EQ(FormatProfileFile(*f), text);
}

TEST(ProfileFile, CheckBodyRefusesAChangedByte) {
  auto f = ParseProfile(FormatProfile(Header(), "allowlist/write+/tmp\n"));
  ASSERT_TRUE(f);
  f->body[0] = 'A';
  auto r = CheckBody(*f);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what.find("body-sha256 does not match"), std::string::npos) << r.error().what;
}

TEST(ProfileFile, RefusesUnknownVersion) {
  std::string text = FormatProfile(Header(), "");
  text.replace(text.find(": 1"), 3, ": 2");
  EXPECT_EQ(Error(text), "profile:1: unknown profile version '2' (this pandora reads version 1)");
}

TEST(ProfileFile, RefusesNonProfiles) {
  EXPECT_NE(Error("").find("profile:1: not a pandora profile"), std::string::npos);
  EXPECT_NE(Error("sandbox/write:deny\n").find("profile:1: not a pandora profile"), std::string::npos);
  EXPECT_NE(Error("#! program: /bin/x\n").find("profile:1: not a pandora profile"), std::string::npos);
}

TEST(ProfileFile, ErrorsNameTheLine) {
  const std::string good = FormatProfile(Header(), "x\n");
  auto replace = [&](std::string_view from, std::string_view to) {
    std::string t = good;
    size_t at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    t.replace(at, from.size(), to);
    return t;
  };
  EXPECT_EQ(Error(replace("#! program: /usr/bin/foo", "#!program: /usr/bin/foo")),
            "profile:2: malformed header line (expected '#! key: value')");
  EXPECT_EQ(Error(replace("#! program: /usr/bin/foo", "#! program:")),
            "profile:2: malformed header line (expected '#! key: value')");
  EXPECT_EQ(Error(replace("#! program: /usr/bin/foo", "#! colour: blue")), "profile:2: unknown header key 'colour'");
  EXPECT_EQ(Error(replace("#! program: /usr/bin/foo\n", "")),
            "profile:2: expected '#! program:' here, found '#! sha256:'");
  EXPECT_EQ(Error(replace("#! sha256: " + kSha, "#! sha256: " + std::string(64, 'A'))),
            "profile:3: sha256 must be 64 lowercase hex digits");
  EXPECT_EQ(Error(replace("#! sha256: " + kSha, "#! sha256: abc")), "profile:3: sha256 must be 64 lowercase hex digits");
  EXPECT_EQ(Error(replace("2026-12-01T06:50:00Z", "yesterday")),
            "profile:4: created is not an RFC 3339 date-time: 'yesterday'");
  EXPECT_EQ(Error(replace("#! body-sha256: ", "#! body-sha256: x")),
            "profile:5: body-sha256 must be 64 lowercase hex digits");
  EXPECT_EQ(Error(replace("\nx\n", "\n#! extra: 1\nx\n")), "profile:6: unknown header key 'extra'");
  EXPECT_EQ(Error(replace("\nx\n", "\n#! program: /x\nx\n")),
            "profile:6: header line '#! program:' out of place or repeated");
  EXPECT_EQ(Error(replace("\nx\n", "\n#! signature: QUJD\nx\n")),
            "profile:7: '#! signature:' must be followed by '#! key-id:'");
  EXPECT_EQ(Error(replace("\nx\n", "\n#! signature: QUJD\n")),
            "profile:7: '#! signature:' must be followed by '#! key-id:'");
  EXPECT_EQ(Error(replace("\nx\n", "\n#! key-id: 0123456789abcdef\nx\n")),
            "profile:6: expected '#! signature:' here, found '#! key-id:'");
  EXPECT_EQ(Error(replace("\nx\n", "\n#! signature: QU*D\n#! key-id: 0123456789abcdef\nx\n")),
            "profile:6: signature is not base64");
  EXPECT_EQ(Error(replace("\nx\n", "\n#! signature: QUJD\n#! key-id: 0123\nx\n")),
            "profile:7: key-id must be 16 hex digits");
  EXPECT_EQ(Error(replace("\nx\n", "\n#! signature: QUJD\n#! key-id: 0123456789abcdef\n#! key-id: 0\n")),
            "profile:8: header line '#! key-id:' out of place or repeated");
  EXPECT_EQ(Error(replace("/usr/bin/foo", "/usr/bin/foo\r")), "profile:2: control character in the value of 'program'");
  // A file that ends inside the header.
  std::string cut = good.substr(0, good.find("#! created"));
  EXPECT_EQ(Error(cut), "profile:4: missing header line '#! created:'");
  std::string no_nl = good.substr(0, good.find("\nx\n"));
  EXPECT_EQ(Error(no_nl), "profile:5: header line without a newline");
}

TEST(ProfileFile, Rfc3339) {
  EXPECT_TRUE(IsRfc3339("2026-12-01T06:50:00Z"));
  EXPECT_TRUE(IsRfc3339("2026-12-01T06:50:00.123456Z"));
  EXPECT_TRUE(IsRfc3339("2026-12-01T06:50:00+01:00"));
  EXPECT_TRUE(IsRfc3339("2026-12-01t06:50:00-09:30"));
  EXPECT_FALSE(IsRfc3339("2026-12-01 06:50:00Z"));
  EXPECT_FALSE(IsRfc3339("2026-13-01T06:50:00Z"));
  EXPECT_FALSE(IsRfc3339("2026-12-01T24:00:00Z"));
  EXPECT_FALSE(IsRfc3339("2026-12-01T06:50:00"));
  EXPECT_FALSE(IsRfc3339("2026-12-01T06:50:00.Z"));
  EXPECT_FALSE(IsRfc3339("2026-12-01T06:50:00Zjunk"));
  EXPECT_FALSE(IsRfc3339("2026-12-01T06:50:00+0100"));
}

}  // namespace
}  // namespace syd::pandora
