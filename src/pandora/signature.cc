// minisign-compatible keys and signatures. The byte layouts are minisign's
// (see the header comment of signature.h); every cryptographic operation is
// one libsodium call: Ed25519 (crypto_sign_*), BLAKE2b (crypto_generichash),
// scrypt (crypto_pwhash_scryptsalsa208sha256), base64 (sodium_bin2base64).
// Parsers take the whole file text, so they are pure and fuzzable.
#include "pandora/signature.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>

namespace syd::pandora {
namespace {

constexpr std::string_view kCommentPrefix = "untrusted comment: ";
constexpr std::string_view kTrustedPrefix = "trusted comment: ";
constexpr uint8_t kAlgEd[2] = {'E', 'd'};
constexpr uint8_t kAlgHashed[2] = {'E', 'D'};
constexpr uint8_t kKdfScrypt[2] = {'S', 'c'};
constexpr uint8_t kKdfNone[2] = {0, 0};
constexpr uint8_t kChkBlake2b[2] = {'B', '2'};
constexpr size_t kPubBytes = 2 + 8 + 32;
constexpr size_t kSigBytes = 2 + 8 + 64;
constexpr size_t kSecBytes = 2 + 2 + 2 + 32 + 8 + 8 + 8 + 64 + 32;
// A crafted key file must not make us allocate without bound.
constexpr uint64_t kMaxMemlimit = uint64_t{4} << 30;

bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

uint64_t Le64Load(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void Le64Store(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

std::string ToBase64(const uint8_t* data, size_t len) {
  std::string out(sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), data, len, sodium_base64_VARIANT_ORIGINAL);
  out.resize(strlen(out.c_str()));
  return out;
}

// Decodes exactly `len` bytes of standard base64 (padding required).
bool FromBase64(std::string_view b64, uint8_t* out, size_t len) {
  size_t bin_len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out, len, b64.data(), b64.size(), nullptr, &bin_len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0)
    return false;
  return bin_len == len && end == b64.data() + b64.size();
}

std::string_view TrimEnd(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Splits the first line (without its newline) off `text`.
std::string_view TakeLine(std::string_view& text) {
  size_t nl = text.find('\n');
  std::string_view line = text.substr(0, nl);
  text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  return TrimEnd(line);
}

std::array<uint8_t, 32> SecretChecksum(const uint8_t alg[2], const uint8_t* keynum, const uint8_t* sk) {
  std::array<uint8_t, 32> chk{};
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, chk.size());
  crypto_generichash_update(&st, alg, 2);
  crypto_generichash_update(&st, keynum, 8);
  crypto_generichash_update(&st, sk, 64);
  crypto_generichash_final(&st, chk.data(), chk.size());
  return chk;
}

std::array<uint8_t, 64> Blake2b512(std::string_view msg) {
  std::array<uint8_t, 64> h{};
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), nullptr, 0);
  return h;
}

Result<std::array<uint8_t, 104>> ScryptStream(std::string_view password, const std::array<uint8_t, 32>& salt,
                                              uint64_t opslimit, uint64_t memlimit) {
  std::array<uint8_t, 104> stream{};
  if (crypto_pwhash_scryptsalsa208sha256(stream.data(), stream.size(), password.data(), password.size(),
                                         salt.data(), opslimit, static_cast<size_t>(memlimit)) != 0)
    return Failf("scrypt key derivation failed (opslimit {}, memlimit {}): out of memory?", opslimit, memlimit);
  return stream;
}

}  // namespace

SecretKey::~SecretKey() { sodium_memzero(key.data(), key.size()); }

SecretKeyFile::~SecretKeyFile() { sodium_memzero(sealed.data(), sealed.size()); }

PublicKey SecretKey::Public() const {
  PublicKey pk;
  pk.key_id = key_id;
  std::copy(key.begin() + 32, key.end(), pk.key.begin());
  return pk;
}

std::string KeyIdHex(const KeyId& id) { return fmt::format("{:016X}", Le64Load(id.data())); }

Result<KeyId> ParseKeyIdHex(std::string_view hex) {
  if (hex.size() != 16) return Failf("key id '{}' is not 16 hex digits", hex);
  uint64_t v = 0;
  for (char c : hex) {
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                                              : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
    if (d < 0) return Failf("key id '{}' is not 16 hex digits", hex);
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  KeyId id;
  Le64Store(id.data(), v);
  return id;
}

SecretKey GenerateKey() {
  SYD_CHECK(SodiumReady());
  SecretKey sk;
  std::array<uint8_t, 32> pk;
  randombytes_buf(sk.key_id.data(), sk.key_id.size());
  crypto_sign_keypair(pk.data(), sk.key.data());
  return sk;
}

Result<PublicKey> ParsePublicKey(std::string_view text) {
  // A file is a comment line then the key; a single line is the key alone.
  std::string_view rest = text;
  std::string_view first = TakeLine(rest);
  std::string_view b64 = first;
  if (!TrimEnd(rest).empty()) b64 = TakeLine(rest);
  if (!TrimEnd(rest).empty()) return Failf("public key: unexpected text after the key line");
  uint8_t raw[kPubBytes];
  if (!FromBase64(b64, raw, sizeof raw)) return Failf("public key: not a minisign public key (bad base64 or length)");
  if (memcmp(raw, kAlgEd, 2) != 0) return Failf("public key: unsupported signature algorithm (not Ed25519)");
  PublicKey pk;
  std::copy(raw + 2, raw + 10, pk.key_id.begin());
  std::copy(raw + 10, raw + kPubBytes, pk.key.begin());
  return pk;
}

std::string FormatPublicKey(const PublicKey& pk) {
  uint8_t raw[kPubBytes];
  memcpy(raw, kAlgEd, 2);
  std::copy(pk.key_id.begin(), pk.key_id.end(), raw + 2);
  std::copy(pk.key.begin(), pk.key.end(), raw + 10);
  return fmt::format("{}minisign public key {}\n{}\n", kCommentPrefix, KeyIdHex(pk.key_id), ToBase64(raw, sizeof raw));
}

KdfCost SensitiveKdfCost() {
  return {crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE, crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE};
}

Result<SecretKeyFile> ParseSecretKeyFile(std::string_view text) {
  std::string_view rest = text;
  std::string_view comment = TakeLine(rest);
  if (comment.substr(0, kCommentPrefix.size()) != kCommentPrefix)
    return Failf("secret key: the first line must start with '{}'", kCommentPrefix);
  std::string_view b64 = TakeLine(rest);
  if (!TrimEnd(rest).empty()) return Failf("secret key: unexpected text after the key line");
  std::array<uint8_t, kSecBytes> raw{};
  struct Wipe {
    std::array<uint8_t, kSecBytes>& r;
    ~Wipe() { sodium_memzero(r.data(), r.size()); }
  } wipe{raw};
  if (!FromBase64(b64, raw.data(), raw.size()))
    return Failf("secret key: not a minisign secret key (bad base64 or length)");
  if (memcmp(raw.data(), kAlgEd, 2) != 0) return Failf("secret key: unsupported signature algorithm (not Ed25519)");
  if (memcmp(raw.data() + 4, kChkBlake2b, 2) != 0) return Failf("secret key: unsupported checksum function");
  SecretKeyFile f;
  if (memcmp(raw.data() + 2, kKdfScrypt, 2) == 0) {
    f.encrypted = true;
  } else if (memcmp(raw.data() + 2, kKdfNone, 2) != 0) {
    return Failf("secret key: unsupported key derivation function");
  }
  std::copy(raw.begin() + 6, raw.begin() + 38, f.salt.begin());
  f.opslimit = Le64Load(raw.data() + 38);
  f.memlimit = Le64Load(raw.data() + 46);
  std::copy(raw.begin() + 54, raw.end(), f.sealed.begin());
  if (f.encrypted && (f.memlimit > kMaxMemlimit || f.opslimit > (uint64_t{1} << 40)))
    return Failf("secret key: scrypt limits out of range (opslimit {}, memlimit {})", f.opslimit, f.memlimit);
  f.untrusted_comment = std::string(comment.substr(kCommentPrefix.size()));
  return f;
}

Result<SecretKey> OpenSecretKey(const SecretKeyFile& f, std::string_view password) {
  SYD_CHECK(SodiumReady());
  std::array<uint8_t, 104> plain = f.sealed;
  if (f.encrypted) {
    SYD_TRY(stream, ScryptStream(password, f.salt, f.opslimit, f.memlimit));
    for (size_t i = 0; i < plain.size(); ++i) plain[i] ^= stream[i];
    sodium_memzero(stream.data(), stream.size());
  }
  SecretKey sk;
  std::copy(plain.begin(), plain.begin() + 8, sk.key_id.begin());
  std::copy(plain.begin() + 8, plain.begin() + 72, sk.key.begin());
  auto chk = SecretChecksum(kAlgEd, plain.data(), plain.data() + 8);
  const bool zero_chk = std::all_of(plain.begin() + 72, plain.end(), [](uint8_t b) { return b == 0; });
  const bool chk_ok = sodium_memcmp(chk.data(), plain.data() + 72, 32) == 0;
  sodium_memzero(plain.data(), plain.size());
  if (!chk_ok && !(zero_chk && !f.encrypted))
    return Fail(0, f.encrypted ? "secret key: wrong password (the key's checksum does not match)"
                               : "secret key: damaged (the key's checksum does not match)");
  // The public half stored in the secret key must be the one its seed makes.
  std::array<uint8_t, 32> pk{};
  crypto_sign_ed25519_sk_to_pk(pk.data(), sk.key.data());
  std::array<uint8_t, 32> seed{};
  crypto_sign_ed25519_sk_to_seed(seed.data(), sk.key.data());
  std::array<uint8_t, 32> pk2{};
  std::array<uint8_t, 64> sk2{};
  crypto_sign_seed_keypair(pk2.data(), sk2.data(), seed.data());
  const bool same = sodium_memcmp(pk.data(), pk2.data(), 32) == 0;
  sodium_memzero(seed.data(), seed.size());
  sodium_memzero(sk2.data(), sk2.size());
  if (!same) return Failf("secret key: damaged (its public half does not match its seed)");
  return sk;
}

Result<std::string> FormatSecretKey(const SecretKey& sk, Encrypt encrypt, std::string_view password, KdfCost cost) {
  SYD_CHECK(SodiumReady());
  std::array<uint8_t, kSecBytes> raw{};
  memcpy(raw.data(), kAlgEd, 2);
  memcpy(raw.data() + 2, encrypt == Encrypt::kYes ? kKdfScrypt : kKdfNone, 2);
  memcpy(raw.data() + 4, kChkBlake2b, 2);
  uint8_t* sealed = raw.data() + 54;
  std::copy(sk.key_id.begin(), sk.key_id.end(), sealed);
  std::copy(sk.key.begin(), sk.key.end(), sealed + 8);
  auto chk = SecretChecksum(kAlgEd, sealed, sealed + 8);
  std::copy(chk.begin(), chk.end(), sealed + 72);
  if (encrypt == Encrypt::kYes) {
    std::array<uint8_t, 32> salt{};
    randombytes_buf(salt.data(), salt.size());
    std::copy(salt.begin(), salt.end(), raw.begin() + 6);
    Le64Store(raw.data() + 38, cost.opslimit);
    Le64Store(raw.data() + 46, cost.memlimit);
    auto stream = ScryptStream(password, salt, cost.opslimit, cost.memlimit);
    if (!stream) {
      sodium_memzero(raw.data(), raw.size());
      return Unexpected<Error>(std::move(stream).error());
    }
    for (size_t i = 0; i < 104; ++i) sealed[i] ^= (*stream)[i];
    sodium_memzero(stream->data(), stream->size());
  }
  std::string out = fmt::format("{}{}\n{}\n", kCommentPrefix,
                                encrypt == Encrypt::kYes ? "minisign encrypted secret key" : "minisign secret key",
                                ToBase64(raw.data(), raw.size()));
  sodium_memzero(raw.data(), raw.size());
  return out;
}

std::string DefaultTrustedComment(uint64_t unix_time, std::string_view file_basename) {
  return fmt::format("timestamp:{}\tfile:{}\thashed", unix_time, file_basename);
}

std::string SignDetached(const SecretKey& sk, std::string_view message, std::string_view trusted_comment,
                         std::string_view untrusted_comment) {
  SYD_CHECK(SodiumReady());
  uint8_t sig[kSigBytes];
  memcpy(sig, kAlgHashed, 2);
  std::copy(sk.key_id.begin(), sk.key_id.end(), sig + 2);
  auto h = Blake2b512(message);
  crypto_sign_detached(sig + 10, nullptr, h.data(), h.size(), sk.key.data());
  std::string global_msg(reinterpret_cast<const char*>(sig + 10), 64);
  global_msg += trusted_comment;
  uint8_t global[64];
  crypto_sign_detached(global, nullptr, reinterpret_cast<const uint8_t*>(global_msg.data()), global_msg.size(),
                       sk.key.data());
  return fmt::format("{}{}\n{}\n{}{}\n{}\n", kCommentPrefix, untrusted_comment, ToBase64(sig, sizeof sig),
                     kTrustedPrefix, trusted_comment, ToBase64(global, sizeof global));
}

Result<DetachedSignature> ParseDetachedSignature(std::string_view text) {
  std::string_view rest = text;
  std::string_view comment = TakeLine(rest);
  if (comment.substr(0, kCommentPrefix.size()) != kCommentPrefix)
    return Failf("signature: the first line must start with '{}'", kCommentPrefix);
  std::string_view sig_b64 = TakeLine(rest);
  std::string_view trusted = TakeLine(rest);
  if (trusted.substr(0, kTrustedPrefix.size()) != kTrustedPrefix)
    return Failf("signature: the third line must start with '{}'", kTrustedPrefix);
  std::string_view global_b64 = TakeLine(rest);
  if (!TrimEnd(rest).empty()) return Failf("signature: unexpected text after the global signature");
  uint8_t sig[kSigBytes];
  if (!FromBase64(sig_b64, sig, sizeof sig)) return Failf("signature: not a minisign signature (bad base64 or length)");
  DetachedSignature d;
  if (memcmp(sig, kAlgHashed, 2) == 0) {
    d.prehashed = true;
  } else if (memcmp(sig, kAlgEd, 2) == 0) {
    d.prehashed = false;
  } else {
    return Failf("signature: unsupported signature algorithm");
  }
  std::copy(sig + 2, sig + 10, d.key_id.begin());
  std::copy(sig + 10, sig + kSigBytes, d.signature.begin());
  if (!FromBase64(global_b64, d.global_signature.data(), d.global_signature.size()))
    return Failf("signature: the global signature is not base64 of 64 bytes");
  d.untrusted_comment = std::string(comment.substr(kCommentPrefix.size()));
  d.trusted_comment = std::string(trusted.substr(kTrustedPrefix.size()));
  return d;
}

Result<void> VerifyDetached(const PublicKey& pk, std::string_view message, const DetachedSignature& sig) {
  SYD_CHECK(SodiumReady());
  if (sig.key_id != pk.key_id)
    return Failf("signature key id is {} but the public key's is {}", KeyIdHex(sig.key_id), KeyIdHex(pk.key_id));
  int bad;
  if (sig.prehashed) {
    auto h = Blake2b512(message);
    bad = crypto_sign_verify_detached(sig.signature.data(), h.data(), h.size(), pk.key.data());
  } else {
    bad = crypto_sign_verify_detached(sig.signature.data(), reinterpret_cast<const uint8_t*>(message.data()),
                                      message.size(), pk.key.data());
  }
  if (bad) return Failf("signature does not verify (the file changed, or it was signed by another key)");
  std::string global_msg(reinterpret_cast<const char*>(sig.signature.data()), sig.signature.size());
  global_msg += sig.trusted_comment;
  if (crypto_sign_verify_detached(sig.global_signature.data(), reinterpret_cast<const uint8_t*>(global_msg.data()),
                                  global_msg.size(), pk.key.data()) != 0)
    return Failf("the trusted comment's signature does not verify");
  return {};
}

Result<ProfileFile> SignProfile(ProfileFile f, const SecretKey& sk) {
  SYD_CHECK(SodiumReady());
  if (auto body = CheckBody(f); !body)
    return Failf("refusing to sign: {} (was the body edited after the profile was made?)", body.error().what);
  uint8_t sig[kSigBytes];
  memcpy(sig, kAlgHashed, 2);
  std::copy(sk.key_id.begin(), sk.key_id.end(), sig + 2);
  auto h = Blake2b512(SignedHeaderText(f.header));
  crypto_sign_detached(sig + 10, nullptr, h.data(), h.size(), sk.key.data());
  f.header.signature = ToBase64(sig, sizeof sig);
  f.header.key_id = KeyIdHex(sk.key_id);
  return f;
}

Result<void> VerifyProfile(const ProfileFile& f, const std::vector<PublicKey>& trusted, bool require_signature) {
  SYD_CHECK(SodiumReady());
  SYD_TRY_STATUS(CheckBody(f));
  if (f.header.signature.empty()) {
    if (require_signature) return Failf("profile is not signed (a signature by a trusted key is required)");
    return {};
  }
  uint8_t sig[kSigBytes];
  if (!FromBase64(f.header.signature, sig, sizeof sig))
    return Failf("signature: not a minisign signature (bad base64 or length)");
  bool prehashed;
  if (memcmp(sig, kAlgHashed, 2) == 0) {
    prehashed = true;
  } else if (memcmp(sig, kAlgEd, 2) == 0) {
    prehashed = false;
  } else {
    return Failf("signature: unsupported signature algorithm");
  }
  KeyId id;
  std::copy(sig + 2, sig + 10, id.begin());
  SYD_TRY(header_id, ParseKeyIdHex(f.header.key_id));
  if (header_id != id)
    return Failf("key-id {} does not match the signature's key id {}", f.header.key_id, KeyIdHex(id));
  auto key = std::find_if(trusted.begin(), trusted.end(), [&](const PublicKey& k) { return k.key_id == id; });
  if (key == trusted.end()) {
    if (trusted.empty()) return Failf("profile is signed by key {}, but no trusted public key was given", KeyIdHex(id));
    return Failf("profile is signed by key {}, which is not a trusted key", KeyIdHex(id));
  }
  const std::string signed_text = SignedHeaderText(f.header);
  int bad;
  if (prehashed) {
    auto h = Blake2b512(signed_text);
    bad = crypto_sign_verify_detached(sig + 10, h.data(), h.size(), key->key.data());
  } else {
    bad = crypto_sign_verify_detached(sig + 10, reinterpret_cast<const uint8_t*>(signed_text.data()),
                                      signed_text.size(), key->key.data());
  }
  if (bad)
    return Failf("signature does not verify with key {} (a header line above the signature was changed)",
                 KeyIdHex(id));
  return {};
}

}  // namespace syd::pandora
