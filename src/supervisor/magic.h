// Magic stat (SPEC §3.2) on the stat-like calls that may carry a
// /dev/sydbox command.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "supervisor/call.h"

namespace syd::supervisor {

// The verdict when the call names /dev/sydbox and the caller may still
// configure; nothing when the call is not magic (it goes on as usual).
std::optional<Verdict> TryMagic(Call& c);

// The outcome of one magic command, whatever channel brought it.
struct MagicOutcome {
  enum class Kind { kOk, kTrue, kFalse, kError } kind = Kind::kOk;
  int err = 0;          // with kError: EINVAL for a bad command, ...
  std::string message;  // with kError: why, for people
};

// Parses and applies one magic command (`text` is what follows
// /dev/sydbox/): the one code path of magic stat and the control socket
// (control.h). A query answers kTrue/kFalse; core/trace/magic_lock:VALUE is
// handed to `lock` with the value parsed (each channel has its own idea of
// who locks; it returns the outcome); anything else changes the shared
// policy. `from` names the requester in notes ("pid 12").
MagicOutcome RunMagicCommand(HandlerEnv& env, std::string_view text, const lang::Origin& origin,
                             std::string_view from, const std::function<MagicOutcome(policy::MagicLock)>& lock);

}  // namespace syd::supervisor
