// sys/ rules decided in user space (SPEC §4).
#pragma once

#include <optional>

#include "supervisor/call.h"
#include "supervisor/paths.h"

namespace syd::supervisor {

// Evaluates the configuration's sys/ rules for the call, in order, and
// carries out the deciding one: a verdict when it settles the call,
// nothing when category sandboxing decides (with c.rule_allowed set when a
// rule allowed the call).
std::optional<Verdict> RunRules(Call& c, const Intent& in);

}  // namespace syd::supervisor
