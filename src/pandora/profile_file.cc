// Profile header parsing and formatting. The parser is strict on purpose:
// every header line is "#! key: value\n" with the keys in one fixed order,
// so re-formatting a parsed header gives back the very bytes that were
// read. That is what lets a signature cover "the header lines above it"
// without keeping the raw text around, and what keeps two readers from
// disagreeing about which bytes were signed.
#include "pandora/profile_file.h"

#include "util/sha256.h"

#include <sodium.h>

#include <array>

namespace syd::pandora {
namespace {

constexpr std::string_view kVersionKey = "pandora-profile";
constexpr std::string_view kVersion = "1";

// The header keys in file order; the last two are optional together.
constexpr std::array<std::string_view, 7> kKeys = {
    "pandora-profile", "program", "sha256", "created", "body-sha256", "signature", "key-id"};

bool IsKnownKey(std::string_view k) {
  for (auto key : kKeys)
    if (key == k) return true;
  return false;
}

bool IsLowerHex(std::string_view s, size_t len) {
  if (s.size() != len) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool IsHex(std::string_view s, size_t len) {
  if (s.size() != len) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

bool IsBase64(std::string_view s) {
  if (s.empty() || s.size() % 4 != 0) return false;
  size_t pad = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '=') {
      if (i + 2 < s.size()) return false;  // '=' only in the last two places
      ++pad;
      continue;
    }
    if (pad) return false;
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/'))
      return false;
  }
  return true;
}

bool Digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return false;
  for (size_t i = pos; i < pos + n; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

int Num(std::string_view s, size_t pos, size_t n) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

void AppendLine(std::string& out, std::string_view key, std::string_view value) {
  out += "#! ";
  out += key;
  out += ": ";
  out += value;
  out += '\n';
}

// One header line split into key and value, or why it is not one.
struct HeaderLine {
  std::string_view key;
  std::string_view value;
};

Result<HeaderLine> SplitHeaderLine(std::string_view line, size_t lineno) {
  if (line.substr(0, 3) != "#! ")
    return Failf("profile:{}: malformed header line (expected '#! key: value')", lineno);
  std::string_view rest = line.substr(3);
  size_t colon = rest.find(": ");
  if (colon == std::string_view::npos || colon == 0)
    return Failf("profile:{}: malformed header line (expected '#! key: value')", lineno);
  HeaderLine h{rest.substr(0, colon), rest.substr(colon + 2)};
  for (char c : h.key)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
      return Failf("profile:{}: malformed header key '{}'", lineno, h.key);
  if (h.value.empty()) return Failf("profile:{}: empty value for '{}'", lineno, h.key);
  for (char c : h.value)
    if (c == '\0' || c == '\r')
      return Failf("profile:{}: control character in the value of '{}'", lineno, h.key);
  return h;
}

Result<void> CheckValue(std::string_view key, std::string_view value, size_t lineno) {
  if (key == "sha256" || key == "body-sha256") {
    if (!IsLowerHex(value, 64)) return Failf("profile:{}: {} must be 64 lowercase hex digits", lineno, key);
  } else if (key == "created") {
    if (!IsRfc3339(value)) return Failf("profile:{}: created is not an RFC 3339 date-time: '{}'", lineno, value);
  } else if (key == "signature") {
    if (!IsBase64(value)) return Failf("profile:{}: signature is not base64", lineno);
  } else if (key == "key-id") {
    if (!IsHex(value, 16)) return Failf("profile:{}: key-id must be 16 hex digits", lineno);
  }
  return {};
}

}  // namespace

bool IsRfc3339(std::string_view s) {
  // date
  if (!Digits(s, 0, 4) || s.size() < 20 || s[4] != '-' || !Digits(s, 5, 2) || s[7] != '-' || !Digits(s, 8, 2))
    return false;
  int month = Num(s, 5, 2), day = Num(s, 8, 2);
  if (month < 1 || month > 12 || day < 1 || day > 31) return false;
  if (s[10] != 'T' && s[10] != 't') return false;
  // time (leap second 60 allowed, as RFC 3339 does)
  if (!Digits(s, 11, 2) || s[13] != ':' || !Digits(s, 14, 2) || s[16] != ':' || !Digits(s, 17, 2)) return false;
  if (Num(s, 11, 2) > 23 || Num(s, 14, 2) > 59 || Num(s, 17, 2) > 60) return false;
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return false;
  }
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) return i + 1 == s.size();
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    if (!Digits(s, i + 1, 2) || i + 3 >= s.size() || s[i + 3] != ':' || !Digits(s, i + 4, 2)) return false;
    if (Num(s, i + 1, 2) > 23 || Num(s, i + 4, 2) > 59) return false;
    return i + 6 == s.size();
  }
  return false;
}

std::string SignedHeaderText(const ProfileHeader& h) {
  std::string out;
  AppendLine(out, kVersionKey, kVersion);
  AppendLine(out, "program", h.program);
  AppendLine(out, "sha256", h.sha256);
  AppendLine(out, "created", h.created);
  AppendLine(out, "body-sha256", h.body_sha256);
  return out;
}

std::string FormatProfile(const ProfileHeader& h, const std::string& body) {
  ProfileHeader unsigned_h = h;
  unsigned_h.body_sha256 = Sha256Hex(body);
  return SignedHeaderText(unsigned_h) + body;
}

std::string FormatProfileFile(const ProfileFile& f) {
  std::string out = SignedHeaderText(f.header);
  if (!f.header.signature.empty() || !f.header.key_id.empty()) {
    AppendLine(out, "signature", f.header.signature);
    AppendLine(out, "key-id", f.header.key_id);
  }
  out += f.body;
  return out;
}

Result<ProfileFile> ParseProfile(std::string_view text) {
  ProfileFile f;
  size_t pos = 0;
  size_t lineno = 0;
  // The next line (without its newline) if it is a header line; the
  // caller advances `pos` past it once taken.
  auto peek = [&](std::string_view& line, size_t& next) -> bool {
    if (pos >= text.size() || text.substr(pos, 2) != "#!") return false;
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      line = text.substr(pos);
      next = text.size();
    } else {
      line = text.substr(pos, nl - pos);
      next = nl + 1;
    }
    return true;
  };
  std::string* fields[] = {nullptr, &f.header.program, &f.header.sha256, &f.header.created,
                           &f.header.body_sha256, &f.header.signature, &f.header.key_id};
  for (size_t k = 0; k < kKeys.size(); ++k) {
    std::string_view line;
    size_t next = 0;
    const bool optional = k >= 5;
    if (!peek(line, next)) {
      if (k == 6) return Failf("profile:{}: '#! signature:' must be followed by '#! key-id:'", lineno + 1);
      if (optional) break;
      if (k == 0) return Failf("profile:1: not a pandora profile (the first line must be '#! pandora-profile: 1')");
      return Failf("profile:{}: missing header line '#! {}:'", lineno + 1, kKeys[k]);
    }
    ++lineno;
    if (next == text.size() && (text.empty() || text.back() != '\n'))
      return Failf("profile:{}: header line without a newline", lineno);
    SYD_TRY(h, SplitHeaderLine(line, lineno));
    if (k == 0 && h.key != kVersionKey)
      return Failf("profile:1: not a pandora profile (the first line must be '#! pandora-profile: 1')");
    if (k == 0 && h.value != kVersion)
      return Failf("profile:1: unknown profile version '{}' (this pandora reads version {})", h.value, kVersion);
    if (h.key != kKeys[k]) {
      if (!IsKnownKey(h.key)) return Failf("profile:{}: unknown header key '{}'", lineno, h.key);
      if (k == 6) return Failf("profile:{}: '#! signature:' must be followed by '#! key-id:'", lineno);
      if (k == 5 && h.key != "key-id")
        return Failf("profile:{}: header line '#! {}:' out of place or repeated", lineno, h.key);
      return Failf("profile:{}: expected '#! {}:' here, found '#! {}:'", lineno, kKeys[k], h.key);
    }
    SYD_TRY_STATUS(CheckValue(h.key, h.value, lineno));
    if (fields[k]) *fields[k] = std::string(h.value);
    pos = next;
  }
  // Anything "#!" after the header is a header line out of place.
  std::string_view extra;
  size_t unused = 0;
  if (peek(extra, unused)) {
    ++lineno;
    auto h = SplitHeaderLine(extra, lineno);
    if (!h) return Unexpected<Error>(std::move(h).error());
    if (!IsKnownKey(h->key)) return Failf("profile:{}: unknown header key '{}'", lineno, h->key);
    return Failf("profile:{}: header line '#! {}:' out of place or repeated", lineno, h->key);
  }
  f.body = std::string(text.substr(pos));
  return f;
}

Result<void> CheckBody(const ProfileFile& f) {
  std::string actual = Sha256Hex(f.body);
  if (actual != f.header.body_sha256)
    return Failf("body-sha256 does not match: the header says {}, the body's SHA-256 is {}", f.header.body_sha256,
                 actual);
  return {};
}

}  // namespace syd::pandora
