// What a learner is told beside a would-be denial: the magic command that
// would allow exactly what was reported. Pure text work.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "policy/policy.h"

namespace syd::policy {

// `path` as a pattern matching only itself: the wildcard characters
// * ? [ and the escape \ are escaped.
std::string EscapeGlob(std::string_view path);

// The command that allows `what` (a path, or a reported address such as
// "inet:127.0.0.1@80" for the network categories). A denial made by a list
// entry needs the allowance ahead of it ('^', first match wins); one made
// by the mode needs it anywhere ('+'). Nothing for what no list can allow
// (an unnamed socket).
std::optional<std::string> AllowingCommand(Category cat, std::string_view what, bool denied_by_entry);

// `s` quoted for a POSIX shell when it needs quoting.
std::string ShellQuote(std::string_view s);

}  // namespace syd::policy
