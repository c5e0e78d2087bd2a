// Sharing profiles by the program's checksum (SPEC §5.3): PUT and GET of
// BASE/sha256/HEX.syd-3 over HTTP or HTTPS with libcurl. Network I/O lives
// here; what is fetched is verified (VerifyFetched) before anyone uses it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pandora/profile_file.h"
#include "pandora/settings.h"
#include "pandora/signature.h"
#include "util/error.h"

namespace syd::pandora {

struct HttpOptions {
  long connect_timeout_s = 10;  // connecting (TCP and TLS handshake)
  long timeout_s = 60;          // the whole transfer
  std::string ca_file;          // PEM certificates to trust instead of the system's (curl --cacert); empty = the system's
  size_t max_bytes = size_t{16} << 20;  // a larger answer is an error, not a truncated profile
};

// HttpOptions from pandora's settings (cacert, timeout), for pull, push
// and box --fetch.
HttpOptions HttpOptionsFrom(const Settings& s);

// BASE/sha256/HEX.syd-3; a trailing '/' of `base` is dropped. `base` must
// start with http:// or https://.
Result<std::string> ProfileUrl(std::string_view base, std::string_view program_sha256);

// `url` with the password of its user information, if any, replaced by
// "***" ("https://me:***@host/..."): for messages. Credentials in the URL
// (user:password@) are how push authenticates to a server that wants it.
std::string RedactUrl(std::string_view url);

// One GET; the body on 200. Errors name the URL and say what happened:
// "HTTP 404 (not found)", "connection refused", "TLS: certificate ...",
// "timed out after N s".
Result<std::string> HttpGet(const std::string& url, const HttpOptions& opts);
// One PUT of `body`; any 2xx status is success.
Status HttpPut(const std::string& url, const std::string& body, const HttpOptions& opts);

// What a downloaded profile must satisfy before it is written or used.
struct FetchChecks {
  std::string program_sha256;     // the local binary's SHA-256: the header's sha256 must equal it
  std::vector<PublicKey> trusted;  // keys for VerifyProfile
  bool require_signature = false;  // true when the user named keys (--key / -p)
};

// Parses `text` and checks it: the header's program sha256 against
// checks.program_sha256 ("profile is for another binary"), then
// VerifyProfile (body-sha256, signature). Pure.
Result<ProfileFile> VerifyFetched(std::string_view text, const FetchChecks& checks);

// GET of ProfileUrl(base, checks.program_sha256), then VerifyFetched. The
// text returned is exactly what the server sent, and has passed every check.
Result<std::string> FetchProfile(const std::string& base_url, const FetchChecks& checks, const HttpOptions& opts);

}  // namespace syd::pandora
