#include "lang/magic.h"

#include <array>

#include "util/strings.h"

namespace syd::lang {
namespace {

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '/';
}

bool IsOpChar(char c) {
  return c == ':' || c == '?' || c == '+' || c == '^' || c == '-' || c == '!';
}

struct Rename { std::string_view from, to; };
constexpr std::array<Rename, 5> kLegacy = {{
    {"whitelist/", "allowlist/"},
    {"blacklist/", "denylist/"},
    {"core/whitelist/", "core/allowlist/"},
    {"core/blacklist/", "core/denylist/"},
    {"filter/network/", "filter/network/"},
}};

}  // namespace

std::string Origin::ToString() const {
  if (line == 0) return file;
  return fmt::format("{}:{}", file, line);
}

Result<Command> ParseCommand(std::string_view text, Origin origin) {
  size_t i = 0;
  while (i < text.size() && IsKeyChar(text[i])) ++i;
  if (i == 0 || !(text[0] >= 'a' && text[0] <= 'z'))
    return Failf("expected SECTION/OPTION at the start of '{}'", text);
  // "allowlist/write/tmp/***": the operator is missing before a path.
  for (std::string_view list : {"allowlist/", "denylist/", "filter/", "whitelist/", "blacklist/"}) {
    if (!StartsWith(text, list)) continue;
    for (std::string_view what : {"network/bind", "network/connect", "read", "write", "exec", "stat", "syscall"}) {
      const size_t n = list.size() + what.size();
      if (text.substr(list.size(), what.size()) == what && text.size() > n && text[n] == '/')
        return Failf("missing operator after '{}' (write '{}+{}' to append)", text.substr(0, n), text.substr(0, n),
                     Elide(text.substr(n)));
    }
  }
  if (i == text.size()) {
    return Failf("'{}' has no operator (one of : ? + ^ - ! and a value)", text);
  }
  if (!IsOpChar(text[i])) {
    return Failf("unexpected character '{}' after '{}' (expected one of : ? + ^ - !)",
                 text[i], text.substr(0, i));
  }
  Command c;
  c.key = std::string(text.substr(0, i));
  while (!c.key.empty() && c.key.back() == '/') c.key.pop_back();
  if (c.key.find('/') == std::string::npos) {
    return Failf("'{}' is not of the form SECTION/OPTION", c.key);
  }
  for (const Rename& r : kLegacy) {
    if (StartsWith(c.key, r.from)) {
      c.key = std::string(r.to) + c.key.substr(r.from.size());
      break;
    }
  }
  c.op = static_cast<Op>(text[i]);
  c.value = std::string(text.substr(i + 1));
  c.origin = std::move(origin);
  return c;
}

}  // namespace syd::lang
