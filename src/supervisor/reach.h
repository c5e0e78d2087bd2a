// User space's half of the guards (bpf/guards.h): the calls by which a
// sandboxed process acts on another one, when the kernel sent them here
// because no Landlock scope keeps them inside. A call may go on when its
// target is a process of the sandbox — with
// core/restrict/outside_signals:false, any process but the supervisor.
#pragma once

#include <string_view>

#include "policy/reach.h"
#include "supervisor/call.h"

namespace syd::supervisor {

// Nothing when the call may go on (CONTINUE: every argument it acts on is
// in a register), else its verdict: an error, or the result of a
// process-group or kill(-1) signal the supervisor sent itself to the
// processes the caller may reach (the kernel would reach the others too).
// Not for Target::kPidfd.
std::optional<Verdict> CheckReach(Call& c, const policy::ReachCall& rc);

// pidfd_send_signal: the descriptor could be replaced between a check and
// the kernel's own look at it, so the supervisor checks and sends on a
// copy of it, with the caller's permission to signal checked as the
// kernel would (kill(2), "Permissions").
Verdict HandlePidfdSignal(Call& c);

// True when `path` (resolved, absolute) is the /proc directory of the
// supervisor or one of its threads, or lies below it.
bool NamesSupervisor(std::string_view path);

}  // namespace syd::supervisor
