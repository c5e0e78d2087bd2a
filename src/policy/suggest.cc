#include "policy/suggest.h"

#include "util/strings.h"

namespace syd::policy {

std::string EscapeGlob(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (char ch : path) {
    if (ch == '*' || ch == '?' || ch == '[' || ch == '\\') out += '\\';
    out += ch;
  }
  return out;
}

std::optional<std::string> AllowingCommand(Category cat, std::string_view what, bool denied_by_entry) {
  const char op = denied_by_entry ? '^' : '+';
  if (cat == Category::kNetBind || cat == Category::kNetConnect) {
    const std::string list = cat == Category::kNetBind ? "allowlist/network/bind" : "allowlist/network/connect";
    if (StartsWith(what, "family:")) return std::string("core/allowlist/unsupported_socket_families:allow");
    for (std::string_view unix_kind : {"unix:", "unix-abstract:"}) {
      if (!StartsWith(what, unix_kind)) continue;
      if (what.size() == unix_kind.size()) return std::nullopt;  // unnamed: no address to allow
      return list + op + std::string(unix_kind) + EscapeGlob(what.substr(unix_kind.size()));
    }
    return list + op + std::string(what);
  }
  if (what.empty() || what[0] != '/') return std::nullopt;
  return "allowlist/" + std::string(CategoryName(cat)) + op + EscapeGlob(what);
}

std::string ShellQuote(std::string_view s) {
  bool plain = !s.empty();
  for (char ch : s) {
    const bool safe = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                      ch == '/' || ch == '.' || ch == '_' || ch == '-' || ch == '+' || ch == ':' || ch == '@' ||
                      ch == ',' || ch == '=' || ch == '%';
    plain = plain && safe;
  }
  if (plain) return std::string(s);
  std::string out = "'";
  for (char ch : s) {
    if (ch == '\'') out += "'\\''";
    else out += ch;
  }
  return out + "'";
}

}  // namespace syd::policy
