// A pandora profile file (SPEC §5.1): `#!` header lines, then the body (a
// .syd-3 configuration). Pure text functions: no system calls.
//
//   #! pandora-profile: 1
//   #! program: /usr/bin/foo
//   #! sha256: HEX            (of the program, 64 lowercase hex digits)
//   #! created: RFC3339
//   #! body-sha256: HEX       (of every byte after the header)
//   #! signature: BASE64      (optional, written by `pandora sign`)
//   #! key-id: HEX            (optional, 16 hex digits, with signature)
//   body...
//
// The header lines come in exactly this order, each "#! key: value\n". The
// header ends at the first line after body-sha256 (or key-id) that does not
// start with "#!"; a body therefore must not start with "#!" (a .syd-3 body
// starts with a comment "# ..." or a rule, so this costs nothing).
#pragma once

#include <string>
#include <string_view>

#include "util/error.h"
#include "util/sha256.h"

namespace syd::pandora {

struct ProfileHeader {
  std::string program;      // "#! program: /usr/bin/foo"
  std::string sha256;       // "#! sha256: HEX" of the program, lowercase hex
  std::string created;      // "#! created: RFC3339"
  std::string body_sha256;  // "#! body-sha256: HEX" of every line after the header
  std::string signature;    // "#! signature: BASE64", empty when unsigned
  std::string key_id;       // "#! key-id: HEX", empty when unsigned
};

struct ProfileFile {
  ProfileHeader header;
  std::string body;         // every line after the header, exactly as in the file
};

// The whole file: "#! pandora-profile: 1", program, sha256, created, body-sha256 (computed here from body,
// ignoring h.body_sha256), then body. Unsigned.
std::string FormatProfile(const ProfileHeader& h, const std::string& body);

// Parses a file; errors name the line ("profile:3: ...") and refuse unknown versions and malformed lines.
Result<ProfileFile> ParseProfile(std::string_view text);

// The body's checksum against the header's body-sha256; the error says "body-sha256 does not match".
Result<void> CheckBody(const ProfileFile& f);

// --- additions beyond the first interface ---

// The file exactly as ParseProfile read it: the header lines as stored in
// f.header (signature and key-id lines when both are set), then f.body.
// Unlike FormatProfile, body-sha256 is written as stored, not recomputed.
std::string FormatProfileFile(const ProfileFile& f);

// The bytes a header signature covers: the five header lines above
// `#! signature:` (version through body-sha256), each with its newline.
std::string SignedHeaderText(const ProfileHeader& h);

// SHA-256 of `data` as 64 lowercase hex digits (util/sha256.h).
using syd::Sha256Hex;

// True when `s` is an RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM).
bool IsRfc3339(std::string_view s);

}  // namespace syd::pandora
