// What SIGUSR1 and SIGUSR2 show of a running sandbox (SPEC §6.3): its
// processes, and the state dump ("sydcore": configuration in effect,
// process table, counters, workers). Run on the supervisor's main thread
// from its signal loop (sigwaitinfo), never in a signal handler; the
// workers keep answering meanwhile.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "events/events.h"
#include "policy/policy.h"
#include "supervisor/process_table.h"
#include "util/error.h"

namespace syd::supervisor {

// Every process below `self` (sydbox), from /proc, in pid order, with its
// magic lock state from the process table.
std::vector<events::ProcessInfo> SandboxProcesses(pid_t self, ProcessTable& procs);

// The configuration in effect, as the state dump shows it.
events::Sydcore::Config DescribeConfig(const policy::Policy& p);

// Writes `doc` to $TMPDIR/sydcore.PID.json (/tmp without TMPDIR): to a new
// file beside it first (mode 0600), then renamed over, so a reader sees
// the old dump or the new one whole. Returns the path.
Result<std::string> WriteStateDump(const std::string& doc, pid_t pid);

}  // namespace syd::supervisor
