// Config files as text: .syd-1/.syd-2/.syd-3 (one command per line) and
// .toml (the same settings as tables). Reading files and following
// `include` is the loader's job (cli/), this layer only parses text.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "lang/magic.h"

namespace syd::lang {

struct Include {
  std::string path;  // as written; relative to the including file's directory
  Origin origin;
};

using ConfigItem = std::variant<Command, Include>;

enum class ConfigFormat { kSyd, kToml };

// Picks the format from the file name (".toml" → TOML, anything else → syd).
ConfigFormat FormatForName(std::string_view name);

// Parses a whole file. Every error carries "name:line: message"; on error
// nothing is returned, so nothing is half-applied.
Result<std::vector<ConfigItem>> ParseConfigText(std::string_view text, std::string_view name,
                                                ConfigFormat format);

// `text` made safe for toml++ (which misbehaves on some non-ASCII input):
// non-ASCII in double-quoted strings escaped, in comments blanked, an error
// ("name:line: ...") anywhere else. For every reader of TOML text.
Result<std::string> AsciiToml(std::string_view text, std::string_view name);

}  // namespace syd::lang
