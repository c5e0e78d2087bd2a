// Settings through toml++ (header-only, exceptions off, fed only ASCII via
// lang::AsciiToml like sydbox's own TOML reader). Unknown keys are errors,
// not warnings: a misspelt "keyring" silently ignored would mean trusting
// a different set of keys than the user believes.
#include "pandora/settings.h"

#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include <dirent.h>
#include <errno.h>

#include <algorithm>
#include <cstdlib>

#include "lang/config_text.h"
#include "pandora/file_io.h"

namespace syd::pandora {
namespace {

Result<std::string> PathValue(const toml::node& n, std::string_view key, const std::string& file, const char* home) {
  const auto line = n.source().begin.line;
  const auto* s = n.as_string();
  if (!s) return Failf("{}:{}: {} must be a string", file, line, key);
  std::string v = s->get();
  if (v.starts_with("~/")) {
    if (!home || !*home) return Failf("{}:{}: {}: '~/' but $HOME is not set", file, line, key);
    v = std::string(home) + v.substr(1);
  }
  if (v.empty() || v[0] != '/') return Failf("{}:{}: {} must be an absolute path or start with ~/", file, line, key);
  return v;
}

}  // namespace

std::string SettingsPath(const char* xdg, const char* home) {
  if (xdg && *xdg == '/') return std::string(xdg) + "/pandora/pandora.toml";
  if (home && *home) return std::string(home) + "/.config/pandora/pandora.toml";
  return "";
}

std::string DefaultKeyring(const char* xdg, const char* home) {
  if (xdg && *xdg == '/') return std::string(xdg) + "/pandora/keys";
  if (home && *home) return std::string(home) + "/.config/pandora/keys";
  return "";
}

Result<Settings> ParseSettings(std::string_view text, const std::string& file, const char* home) {
  SYD_TRY(ascii, lang::AsciiToml(text, file));
  toml::parse_result parsed = toml::parse(ascii, file);
  if (!parsed) {
    const toml::parse_error& err = parsed.error();
    return Failf("{}:{}: {}", file, err.source().begin.line, err.description());
  }
  Settings s;
  s.file = file;
  for (const auto& [k, node] : parsed.table()) {
    const std::string_view key = k.str();
    const auto line = node.source().begin.line;
    if (key == "sydbox") {
      SYD_TRY(v, PathValue(node, key, file, home));
      s.sydbox = v;
    } else if (key == "keyring") {
      SYD_TRY(v, PathValue(node, key, file, home));
      s.keyring = v;
    } else if (key == "cacert") {
      SYD_TRY(v, PathValue(node, key, file, home));
      s.cacert = v;
    } else if (key == "url") {
      const auto* str = node.as_string();
      if (!str) return Failf("{}:{}: url must be a string", file, line);
      const std::string& u = str->get();
      if (!u.starts_with("http://") && !u.starts_with("https://"))
        return Failf("{}:{}: url must start with http:// or https://", file, line);
      s.url = u;
    } else if (key == "limit") {
      const auto* i = node.as_integer();
      if (!i || i->get() < 0 || i->get() > 4096)
        return Failf("{}:{}: limit must be an integer from 0 to 4096", file, line);
      s.limit = static_cast<uint32_t>(i->get());
    } else if (key == "timeout") {
      const auto* i = node.as_integer();
      if (!i || i->get() < 1 || i->get() > 86400)
        return Failf("{}:{}: timeout must be an integer number of seconds from 1 to 86400", file, line);
      s.timeout = static_cast<long>(i->get());
    } else {
      return Failf("{}:{}: unknown key '{}' (known: sydbox, keyring, url, limit, cacert, timeout)", file,
                   k.source().begin.line, key);
    }
  }
  return s;
}

Result<Settings> LoadSettings() {
  const char* home = getenv("HOME");
  const std::string path = SettingsPath(getenv("XDG_CONFIG_HOME"), home);
  if (path.empty()) return Settings{};
  auto text = ReadFile(path, size_t{1} << 20);
  if (!text) {
    if (text.error().sys_errno == ENOENT) return Settings{};
    return Unexpected<Error>(std::move(text).error());
  }
  return ParseSettings(*text, path, home);
}

std::string KeyringDir(const Settings& s) {
  return s.keyring.empty() ? DefaultKeyring(getenv("XDG_CONFIG_HOME"), getenv("HOME")) : s.keyring;
}

Result<std::vector<PublicKey>> LoadTrustedKeys(const Settings& s, std::string* dir) {
  const std::string d = KeyringDir(s);
  if (dir) *dir = d;
  return LoadKeyring(d);
}

Result<std::vector<PublicKey>> LoadKeyring(const std::string& dir) {
  std::vector<PublicKey> keys;
  if (dir.empty()) return keys;
  DIR* d = opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return keys;
    return Fail(errno, "opendir", dir);
  }
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string_view n = e->d_name;
    if (n.size() > 4 && n.ends_with(".pub") && n[0] != '.') names.emplace_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    const std::string path = dir + "/" + n;
    SYD_TRY(text, ReadFile(path, size_t{1} << 16));
    auto pk = ParsePublicKey(text);
    if (!pk) return Failf("keyring {}: {}", path, pk.error().what);
    keys.push_back(*pk);
  }
  return keys;
}

}  // namespace syd::pandora
