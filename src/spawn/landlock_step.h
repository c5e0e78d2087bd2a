// The Landlock ruleset that enforces read, write and exec paths (as a
// backstop under deny mode, or alone in landlock mode): prepared before
// fork from policy/landlock_plan.h, installed by the child after process
// setup (so paths are those of its root) and before the seccomp filter.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace syd::spawn {

// Categories, as bits: 1 read, 2 write, 4 exec; arrays indexed 0, 1, 2.
struct LandlockPathRule {
  std::string path;
  uint64_t access = 0;  // LANDLOCK_ACCESS_FS_*, already masked to the ABI
  bool beneath = true;  // a tree; else one file (a directory there is not granted)
  uint8_t category = 0;  // the one category bit it serves
  bool optional = false;  // missing: left out quietly (the dynamic loader)
};

struct LandlockPaths {
  int abi = 0;                  // the running kernel's
  uint64_t handled[3] = {};     // per category slot, masked to the ABI
  uint8_t categories = 0;       // categories to install
  // Of `categories`: those in landlock mode. A rule of theirs that cannot
  // be added (the path is missing, or an exact entry is a directory) is
  // left out: Landlock then grants less. A backstop category is instead
  // left out whole, so the backstop never refuses what user space allows.
  uint8_t strict = 0;
  std::vector<LandlockPathRule> rules;
  bool empty() const { return categories == 0; }
};

// What the child did, sent back to the parent.
struct LandlockOutcome {
  uint8_t installed = 0;   // category bits in the ruleset
  uint8_t dropped = 0;     // backstop categories left out
  int32_t dropped_rule[3] = {-1, -1, -1};  // per slot: index in rules of the entry at fault
  int32_t dropped_errno[3] = {};           // ENOENT..., or EISDIR for an exact entry that is a directory
};

// In the child: opens every rule's path, creates and enters the ruleset.
// Needs no_new_privs. Async-signal-safe, no allocation. Returns 0 or the
// errno of the ruleset calls.
int InstallLandlockPaths(const LandlockPaths& lp, LandlockOutcome* out);

}  // namespace syd::spawn
