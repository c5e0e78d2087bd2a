// Which handler answers which system call: the supervisor's own table, so
// the policy layer names no handler.
#pragma once

#include "supervisor/families.h"

namespace syd::supervisor {

// The handler for a call with a path or an address (a checked call of
// policy/syscalls.h); nullptr for every other call.
Handler FindHandler(int nr);

}  // namespace syd::supervisor
