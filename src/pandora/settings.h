// pandora's own settings (not sydbox's configuration): one TOML file,
// $XDG_CONFIG_HOME/pandora/pandora.toml, else ~/.config/pandora/pandora.toml.
//
//   sydbox  = "/usr/local/bin/sydbox"        # sydbox for profile and box
//   keyring = "~/.config/pandora/keys"       # directory of trusted *.pub keys
//   url     = "https://profiles.example.org" # base URL of push, pull, box --fetch
//   limit   = 3                              # default --limit of profile/inspect
//   cacert  = "/etc/ssl/private-ca.pem"      # certificates to trust instead of the system's (HTTPS)
//   timeout = 30                             # seconds for one HTTP transfer
//
// Every key is optional; an unknown key, a wrong type or a bad value is an
// error naming "FILE:LINE". Paths are absolute or start with "~/".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pandora/signature.h"
#include "util/error.h"

namespace syd::pandora {

struct Settings {
  std::string sydbox;            // empty: "sydbox" from PATH
  std::string keyring;           // empty: DefaultKeyring()
  std::string url;               // empty: push/pull need a URL argument
  std::optional<uint32_t> limit;  // unset: no trimming (0)
  std::string cacert;            // empty: the system's certificates only
  std::optional<long> timeout;   // unset: HttpOptions' default
  std::string file;              // the file read, empty when there was none
};

// Where the settings and the default keyring live, from the environment
// values given ($XDG_CONFIG_HOME, $HOME; either may be null). Empty when
// neither is set.
std::string SettingsPath(const char* xdg_config_home, const char* home);
std::string DefaultKeyring(const char* xdg_config_home, const char* home);

// Parses the file's text; `file` names it in errors ("FILE:LINE: ...").
// `home` expands a leading "~/" in paths (null: "~/" is an error). Pure.
Result<Settings> ParseSettings(std::string_view text, const std::string& file, const char* home);

// Reads SettingsPath(getenv(...)); a missing file gives the defaults.
Result<Settings> LoadSettings();

// The keyring: every "*.pub" file in `dir` (a missing directory is an empty
// keyring; an unreadable or malformed key file is an error naming it).
Result<std::vector<PublicKey>> LoadKeyring(const std::string& dir);

// The keyring directory in effect: settings.keyring, else the default.
std::string KeyringDir(const Settings& s);

// LoadKeyring(KeyringDir(s)): the trusted keys when no key is named on the
// command line (verify, pull, box). `dir` (optional) receives the directory.
Result<std::vector<PublicKey>> LoadTrustedKeys(const Settings& s, std::string* dir = nullptr);

}  // namespace syd::pandora
