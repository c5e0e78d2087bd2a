// Ed25519 keys and signatures in minisign's formats (SPEC §5.2), and the
// checks `pandora verify` and `pandora box` make on a profile. libsodium
// does all the cryptography; this file only lays bytes out as minisign does.
// No system calls except where a comment says so (randomness comes from
// libsodium's randombytes).
//
// minisign's files, each a comment line then one base64 line:
//   public key  "untrusted comment: ..."  base64("Ed" | key id (8) | public key (32))
//   secret key  "untrusted comment: ..."  base64("Ed" | kdf "Sc" or "\0\0" | "B2" | salt (32) |
//               opslimit (le64) | memlimit (le64) | XOR(key id (8) | secret key (64) | BLAKE2b-256 checksum (32)))
//   signature   "untrusted comment: ..."  base64("ED" or "Ed" | key id (8) | signature (64))
//               "trusted comment: ..."     base64(global signature (64) of signature | trusted comment)
// "ED" signs BLAKE2b-512 of the message (minisign's default since 0.11),
// "Ed" the message itself (legacy; accepted, never written).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pandora/profile_file.h"
#include "util/error.h"

namespace syd::pandora {

using KeyId = std::array<uint8_t, 8>;

struct PublicKey {
  KeyId key_id{};
  std::array<uint8_t, 32> key{};
};

// A decrypted secret key. Holds secret bytes: the destructor wipes them.
struct SecretKey {
  KeyId key_id{};
  std::array<uint8_t, 64> key{};  // libsodium's Ed25519 secret key (seed | public key)
  SecretKey() = default;
  SecretKey(const SecretKey&) = default;
  SecretKey& operator=(const SecretKey&) = default;
  ~SecretKey();
  PublicKey Public() const;
};

// A detached minisign signature file, parsed.
struct DetachedSignature {
  bool prehashed = true;          // "ED" (true) or legacy "Ed"
  KeyId key_id{};
  std::array<uint8_t, 64> signature{};
  std::string untrusted_comment;  // without "untrusted comment: "
  std::string trusted_comment;    // without "trusted comment: "
  std::array<uint8_t, 64> global_signature{};
};

// The key id as minisign prints it: 16 uppercase hex digits of the id read
// as a little-endian number ("minisign public key 0123456789ABCDEF").
std::string KeyIdHex(const KeyId& id);
// The inverse; either case of hex digits.
Result<KeyId> ParseKeyIdHex(std::string_view hex);

// --- key files ---

// Generates a key pair with a random key id (libsodium's randombytes).
SecretKey GenerateKey();

// A public key file (comment line, base64 line) or a bare base64 line (as
// minisign -P takes). Errors say what is wrong, not where the file is.
Result<PublicKey> ParsePublicKey(std::string_view text);
std::string FormatPublicKey(const PublicKey& pk);

// Scrypt cost of an encrypted secret key; minisign's defaults are libsodium's
// *_SENSITIVE values (1 GiB of memory).
struct KdfCost {
  uint64_t opslimit;
  uint64_t memlimit;
};
KdfCost SensitiveKdfCost();

// A secret key file as stored: still encrypted when `encrypted`.
struct SecretKeyFile {
  bool encrypted = false;
  std::array<uint8_t, 32> salt{};
  uint64_t opslimit = 0;
  uint64_t memlimit = 0;
  std::array<uint8_t, 8 + 64 + 32> sealed{};  // key id | secret key | checksum, XOR-ed when encrypted
  std::string untrusted_comment;
  ~SecretKeyFile();
};
Result<SecretKeyFile> ParseSecretKeyFile(std::string_view text);
// Opens the file: derives the scrypt stream from `password` (ignored when
// not encrypted) and checks the BLAKE2b checksum ("wrong password").
// An unencrypted key whose checksum field is all zero (minisign -W) is
// accepted as minisign does.
Result<SecretKey> OpenSecretKey(const SecretKeyFile& f, std::string_view password);
// The secret key file text; encrypted with `password` at `cost` unless
// `password` is empty and `encrypt` is false.
enum class Encrypt { kNo, kYes };
Result<std::string> FormatSecretKey(const SecretKey& sk, Encrypt encrypt, std::string_view password, KdfCost cost);

// --- detached signatures (minisign -S / -V) ---

// minisign's default trusted comment: "timestamp:UNIX\tfile:BASENAME\thashed".
std::string DefaultTrustedComment(uint64_t unix_time, std::string_view file_basename);
// The whole .minisig file for `message` (prehashed "ED").
std::string SignDetached(const SecretKey& sk, std::string_view message, std::string_view trusted_comment,
                         std::string_view untrusted_comment = "signature from pandora secret key");
Result<DetachedSignature> ParseDetachedSignature(std::string_view text);
// Checks the key id, the signature of `message` and the global signature.
Result<void> VerifyDetached(const PublicKey& pk, std::string_view message, const DetachedSignature& sig);

// --- profile header signatures (SPEC §5.1) ---

// Returns `f` with `#! signature:` (base64 of "ED" | key id | Ed25519 of
// BLAKE2b-512 of SignedHeaderText) and `#! key-id:` set. Refuses a profile
// whose body does not match its body-sha256.
Result<ProfileFile> SignProfile(ProfileFile f, const SecretKey& sk);

// The checks `pandora verify` and `pandora box` make, in this order, each
// error naming the check that failed:
//   "body-sha256 does not match" (CheckBody);
//   unsigned: fine unless `require_signature` ("profile is not signed");
//   signed: the key-id line agrees with the signature's key id, a key in
//   `trusted` has that id ("signed by key X, which is not trusted"), and
//   the signature verifies ("signature does not verify").
Result<void> VerifyProfile(const ProfileFile& f, const std::vector<PublicKey>& trusted, bool require_signature);

}  // namespace syd::pandora
