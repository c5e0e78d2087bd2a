// Magic stat (SPEC §3.2) on the stat-like calls that may carry a
// /dev/sydbox command.
#pragma once

#include <optional>

#include "supervisor/call.h"

namespace syd::supervisor {

// The verdict when the call names /dev/sydbox and the caller may still
// configure; nothing when the call is not magic (it goes on as usual).
std::optional<Verdict> TryMagic(Call& c);

}  // namespace syd::supervisor
