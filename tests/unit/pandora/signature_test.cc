#include "pandora/signature.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace syd::pandora {
namespace {

// tests/data/minisign/: a key pair made by `minisign -G -W` (0.11), a
// message, and its signatures by `minisign -S` (prehashed) and `-S -l`
// (legacy), with comments "kat untrusted" / "kat trusted". A test key only.
std::string Data(const std::string& name) {
  std::ifstream in(std::string(SYD_TEST_DATA) + "/minisign/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The cheapest scrypt libsodium accepts: tests need not spend 1 GiB.
constexpr KdfCost kCheap{32768, 16777216};

std::string Msg(const Result<void>& r) { return r ? "ok" : r.error().what; }
bool Has(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

SecretKey KatKey() {
  auto file = ParseSecretKeyFile(Data("kat.key"));
  EXPECT_TRUE(file) << file.error().what;
  EXPECT_FALSE(file->encrypted);
  auto sk = OpenSecretKey(*file, "");
  EXPECT_TRUE(sk) << sk.error().what;
  return *sk;
}

TEST(Minisign, ParsesMinisignPublicKey) {
  auto pk = ParsePublicKey(Data("kat.pub"));
  ASSERT_TRUE(pk) << pk.error().what;
  EXPECT_EQ(KeyIdHex(pk->key_id), "47934527A4C91D70");
  // Formatting gives minisign's file back byte for byte.
  EXPECT_EQ(FormatPublicKey(*pk), Data("kat.pub"));
  // The bare base64 line, as minisign -P takes it.
  std::string text = Data("kat.pub");
  auto bare = ParsePublicKey(text.substr(text.find('\n') + 1));
  ASSERT_TRUE(bare) << bare.error().what;
  EXPECT_EQ(bare->key, pk->key);
}

TEST(Minisign, OpensMinisignUnencryptedSecretKey) {
  SecretKey sk = KatKey();
  EXPECT_EQ(KeyIdHex(sk.key_id), "47934527A4C91D70");
  auto pk = ParsePublicKey(Data("kat.pub"));
  ASSERT_TRUE(pk);
  EXPECT_EQ(sk.Public().key, pk->key);
}

TEST(Minisign, SignsExactlyAsMinisignDoes) {
  // Ed25519 is deterministic: the same key, message and comments give
  // minisign's signature file byte for byte.
  SecretKey sk = KatKey();
  EXPECT_EQ(SignDetached(sk, Data("kat.txt"), "kat trusted", "kat untrusted"), Data("kat.txt.minisig"));
}

TEST(Minisign, VerifiesMinisignSignatures) {
  auto pk = ParsePublicKey(Data("kat.pub"));
  ASSERT_TRUE(pk);
  for (const char* name : {"kat.txt.minisig", "kat.txt.legacy.minisig"}) {
    auto sig = ParseDetachedSignature(Data(name));
    ASSERT_TRUE(sig) << sig.error().what;
    EXPECT_EQ(sig->prehashed, std::string(name) == "kat.txt.minisig");
    EXPECT_EQ(sig->trusted_comment, "kat trusted");
    EXPECT_EQ(Msg(VerifyDetached(*pk, Data("kat.txt"), *sig)), "ok") << name;
    EXPECT_TRUE(Has(Msg(VerifyDetached(*pk, "hello pandorA\n", *sig)), "signature does not verify"));
    DetachedSignature forged = *sig;
    forged.trusted_comment = "kat trusted, honest";
    EXPECT_TRUE(Has(Msg(VerifyDetached(*pk, Data("kat.txt"), forged)), "trusted comment's signature does not verify"));
  }
}

TEST(Minisign, DetachedSignatureWithAnotherKey) {
  SecretKey other = GenerateKey();
  auto pk = ParsePublicKey(Data("kat.pub"));
  ASSERT_TRUE(pk);
  auto sig = ParseDetachedSignature(SignDetached(other, "m", "t"));
  ASSERT_TRUE(sig);
  EXPECT_TRUE(Has(Msg(VerifyDetached(*pk, "m", *sig)), "key id is " + KeyIdHex(other.key_id)));
  EXPECT_EQ(Msg(VerifyDetached(other.Public(), "m", *sig)), "ok");
  // Same key id, different key: the signature check itself refuses.
  PublicKey impostor = other.Public();
  impostor.key = pk->key;
  EXPECT_TRUE(Has(Msg(VerifyDetached(impostor, "m", *sig)), "signature does not verify"));
}

TEST(Minisign, EncryptedSecretKeyRoundTrip) {
  SecretKey sk = GenerateKey();
  auto text = FormatSecretKey(sk, Encrypt::kYes, "correct horse", kCheap);
  ASSERT_TRUE(text) << text.error().what;
  EXPECT_TRUE(text->starts_with("untrusted comment: minisign encrypted secret key\n"));
  auto file = ParseSecretKeyFile(*text);
  ASSERT_TRUE(file) << file.error().what;
  EXPECT_TRUE(file->encrypted);
  EXPECT_EQ(file->opslimit, kCheap.opslimit);
  EXPECT_EQ(file->memlimit, kCheap.memlimit);
  auto opened = OpenSecretKey(*file, "correct horse");
  ASSERT_TRUE(opened) << opened.error().what;
  EXPECT_EQ(opened->key, sk.key);
  EXPECT_EQ(opened->key_id, sk.key_id);
  auto wrong = OpenSecretKey(*file, "battery staple");
  ASSERT_FALSE(wrong);
  EXPECT_TRUE(Has(wrong.error().what, "wrong password"));
}

TEST(Minisign, UnencryptedSecretKeyRoundTrip) {
  SecretKey sk = GenerateKey();
  auto text = FormatSecretKey(sk, Encrypt::kNo, "", kCheap);
  ASSERT_TRUE(text);
  auto file = ParseSecretKeyFile(*text);
  ASSERT_TRUE(file);
  EXPECT_FALSE(file->encrypted);
  auto opened = OpenSecretKey(*file, "ignored");
  ASSERT_TRUE(opened) << opened.error().what;
  EXPECT_EQ(opened->key, sk.key);
}

TEST(Minisign, DamagedSecretKeyRefused) {
  SecretKey sk = GenerateKey();
  auto text = FormatSecretKey(sk, Encrypt::kNo, "", kCheap);
  ASSERT_TRUE(text);
  auto file = ParseSecretKeyFile(*text);
  ASSERT_TRUE(file);
  file->sealed[20] ^= 1;  // one bit of the secret key; the checksum is set
  auto opened = OpenSecretKey(*file, "");
  ASSERT_FALSE(opened);
  EXPECT_TRUE(Has(opened.error().what, "damaged"));
}

TEST(Minisign, ParserErrors) {
  EXPECT_TRUE(Has(ParsePublicKey("").error().what, "not a minisign public key"));
  EXPECT_TRUE(Has(ParsePublicKey("untrusted comment: x\nRWQ=\n").error().what, "not a minisign public key"));
  // "EX" instead of "Ed".
  EXPECT_TRUE(Has(ParsePublicKey("RVhwHcmkJ0WTR7klaBtkhcShNyUXXSmobdIuMT+UKm4akCezIMN/DD3x").error().what,
                  "unsupported signature algorithm"));
  EXPECT_TRUE(Has(ParsePublicKey(Data("kat.pub") + "junk\n").error().what, "unexpected text"));
  EXPECT_TRUE(Has(ParseSecretKeyFile("RWQ=\n").error().what, "first line"));
  EXPECT_TRUE(Has(ParseSecretKeyFile(Data("kat.pub")).error().what, "not a minisign secret key"));
  EXPECT_TRUE(Has(ParseDetachedSignature(Data("kat.pub")).error().what, "third line"));
  std::string sig = Data("kat.txt.minisig");
  EXPECT_TRUE(Has(ParseDetachedSignature(sig.substr(0, sig.rfind('\n', sig.size() - 2) + 1) + "AAAA\n").error().what,
                  "global signature"));
  EXPECT_TRUE(ParseKeyIdHex("47934527a4c91d70"));
  EXPECT_FALSE(ParseKeyIdHex("47934527a4c91d7"));
  EXPECT_FALSE(ParseKeyIdHex("47934527a4c91d7g"));
}

TEST(Minisign, KeyIdHexRoundTrip) {
  SecretKey sk = GenerateKey();
  auto id = ParseKeyIdHex(KeyIdHex(sk.key_id));
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, sk.key_id);
}

// --- profile header signatures ---

ProfileFile Profile(const std::string& body = "sandbox/write:deny\nallowlist/write+/tmp/***\n") {
  ProfileHeader h;
  h.program = "/usr/bin/foo";
  h.sha256 = std::string(64, 'b');
  h.created = "2026-12-01T07:00:00Z";
  auto f = ParseProfile(FormatProfile(h, body));
  EXPECT_TRUE(f);
  return *f;
}

TEST(ProfileSignature, SignAndVerify) {
  SecretKey sk = GenerateKey();
  auto signed_f = SignProfile(Profile(), sk);
  ASSERT_TRUE(signed_f) << signed_f.error().what;
  EXPECT_EQ(signed_f->header.key_id, KeyIdHex(sk.key_id));
  EXPECT_FALSE(signed_f->header.signature.empty());
  EXPECT_EQ(Msg(VerifyProfile(*signed_f, {sk.Public()}, true)), "ok");
  // Through the file text and back.
  auto reread = ParseProfile(FormatProfileFile(*signed_f));
  ASSERT_TRUE(reread) << reread.error().what;
  EXPECT_EQ(Msg(VerifyProfile(*reread, {GenerateKey().Public(), sk.Public()}, true)), "ok");
}

TEST(ProfileSignature, UnsignedProfile) {
  EXPECT_EQ(Msg(VerifyProfile(Profile(), {}, false)), "ok");
  EXPECT_TRUE(Has(Msg(VerifyProfile(Profile(), {}, true)), "profile is not signed"));
}

TEST(ProfileSignature, WrongKeyRefused) {
  SecretKey sk = GenerateKey();
  auto f = SignProfile(Profile(), sk);
  ASSERT_TRUE(f);
  EXPECT_TRUE(Has(Msg(VerifyProfile(*f, {GenerateKey().Public()}, false)), "which is not a trusted key"));
  EXPECT_TRUE(Has(Msg(VerifyProfile(*f, {}, false)), "no trusted public key was given"));
  PublicKey impostor = GenerateKey().Public();
  impostor.key_id = sk.key_id;
  EXPECT_TRUE(Has(Msg(VerifyProfile(*f, {impostor}, false)), "signature does not verify"));
}

TEST(ProfileSignature, ChangedBodyByteRefused) {
  SecretKey sk = GenerateKey();
  auto f = SignProfile(Profile(), sk);
  ASSERT_TRUE(f);
  f->body[f->body.size() - 3] ^= 1;
  EXPECT_TRUE(Has(Msg(VerifyProfile(*f, {sk.Public()}, true)), "body-sha256 does not match"));
}

TEST(ProfileSignature, ForgedBodySha256Refused) {
  SecretKey sk = GenerateKey();
  auto f = SignProfile(Profile(), sk);
  ASSERT_TRUE(f);
  f->body += "allowlist/write+/***\n";
  f->header.body_sha256 = Sha256Hex(f->body);  // the forger recomputes the checksum
  EXPECT_EQ(Msg(CheckBody(*f)), "ok");
  EXPECT_TRUE(Has(Msg(VerifyProfile(*f, {sk.Public()}, true)), "signature does not verify"));
}

TEST(ProfileSignature, ChangedHeaderLinesRefused) {
  SecretKey sk = GenerateKey();
  auto f = SignProfile(Profile(), sk);
  ASSERT_TRUE(f);
  for (int field = 0; field < 3; ++field) {
    ProfileFile g = *f;
    if (field == 0) g.header.program = "/usr/bin/bar";
    if (field == 1) g.header.sha256 = std::string(64, 'c');
    if (field == 2) g.header.created = "2026-12-01T07:00:01Z";
    EXPECT_TRUE(Has(Msg(VerifyProfile(g, {sk.Public()}, true)), "signature does not verify")) << field;
  }
  ProfileFile g = *f;
  g.header.key_id = "0000000000000000";
  EXPECT_TRUE(Has(Msg(VerifyProfile(g, {sk.Public()}, true)), "does not match the signature's key id"));
}

TEST(ProfileSignature, RefusesToSignAMismatchedBody) {
  ProfileFile f = Profile();
  f.body += "x\n";
  auto r = SignProfile(f, GenerateKey());
  ASSERT_FALSE(r);
  EXPECT_TRUE(Has(r.error().what, "refusing to sign: body-sha256 does not match"));
}

}  // namespace
}  // namespace syd::pandora
