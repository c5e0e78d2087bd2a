// Magic commands: the one-line configuration language shared by config
// files, -m, magic stat and the control socket (SPEC §3.1). Pure parsing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/error.h"

namespace syd::lang {

// Where a command came from: "paludis.syd-3:12", "-m:3", "/dev/sydbox".
struct Origin {
  std::string file;
  uint32_t line = 0;  // 0 = no line (e.g. runtime magic)
  std::string ToString() const;
  bool operator==(const Origin&) const = default;
};

enum class Op : char {
  kSet = ':',
  kQuery = '?',
  kAppend = '+',
  kPrepend = '^',
  kRemove = '-',
  kExec = '!',
};

struct Command {
  std::string key;    // normalised: legacy whitelist/blacklist renamed
  Op op = Op::kSet;
  std::string value;  // verbatim after the operator
  Origin origin;
};

// Parses "SECTION/OPTION<op>VALUE". Legacy list names (whitelist,
// blacklist, core/whitelist) are renamed to their current names.
Result<Command> ParseCommand(std::string_view text, Origin origin);

// True if the key names a sys/ rule (SPEC §4) rather than an option.
inline bool IsRuleKey(std::string_view key) { return key.substr(0, 4) == "sys/"; }

}  // namespace syd::lang
