// Which of read, write and exec get a Landlock ruleset in the child, and
// why the others do not (policy/landlock_plan.h decides what is
// expressible; this adds what the run allows: the kernel's ABI,
// --landlock, --dry-run, and whether runtime configuration could still
// add allows).
#pragma once

#include <array>
#include <string>

#include "policy/policy.h"
#include "spawn/landlock_step.h"
#include "supervisor/supervisor.h"

namespace syd::supervisor {

struct LandlockChoice {
  spawn::LandlockPaths paths;
  // A configuration error (a landlock mode Landlock cannot enforce, or
  // --landlock=require without a backstop it could have): exit 2, nothing
  // runs. Empty when fine.
  std::string error;
  // Per category (read, write, exec): what was chosen and why, for
  // --stats ("" for a category off or allow).
  std::array<std::string, 3> notes;
};

// `runtime_changes`: magic commands or the control socket may change the
// policy at run time (runtime configuration unlocked); then no backstop
// is installed, since an allow added later could not widen a ruleset.
LandlockChoice ChooseLandlock(const policy::Policy& p, LandlockUse use, int abi, bool dry_run,
                              bool runtime_changes);

// The policy a --dry-run runs with: categories in landlock mode are
// checked (and reported) in user space like deny, so they can be learned.
policy::Policy LandlockAsDeny(const policy::Policy& p);

// Checks what the child installed against the choice: the notes of the
// categories it had to leave out, and for --landlock=require an error when
// a backstop category was left out.
std::string LandlockOutcomeError(LandlockChoice& c, const spawn::LandlockOutcome& o, LandlockUse use);

}  // namespace syd::supervisor
