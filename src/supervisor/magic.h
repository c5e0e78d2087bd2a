// Magic commands (SPEC §3): the one code path of magic stat (the built-in
// module magic_stat, magic.cc) and the control socket.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "supervisor/call.h"

namespace syd::supervisor {

// The built-in module magic_stat (modules.h, FindBuiltinModule) answers
// stat-like calls on /dev/sydbox/CMD; the dispatch only calls its hook.

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
