// Reads configuration from files, -m and SYDBOX_CONFIG into one ordered
// list of commands, following `include` (relative to the including file,
// cycles refused). Reading files is I/O, so it lives here, above lang/.
#pragma once

#include <string>
#include <vector>

#include "lang/config_text.h"
#include "policy/apply.h"

namespace syd::cli {

// Directories searched for "@NAME" before the profiles built into sydbox
// ($SYDBOX_PROFILE_DIR).
std::vector<std::string> ProfileDirs();

// Loads one PATHSPEC: a file, or @NAME for a bundled profile. ${VAR} in
// values is replaced by the environment variable (unset: an error).
Result<std::vector<lang::Command>> LoadPathspec(const std::string& spec);

// /etc/services lookup for port names.
policy::ServiceLookup SystemServices();

// Applies commands to a fresh policy, collecting warnings (deduplicated).
Result<policy::Policy> BuildPolicy(const std::vector<lang::Command>& cmds, std::vector<std::string>* warnings);

// Pairs of allow/deny entries of one category that can match the same path
// (first match wins here; sydbox-1/2 decided such pairs differently).
std::vector<std::string> OverlapWarnings(const policy::Policy& p);

// Categories in landlock mode whose policy Landlock cannot express
// (policy/landlock_plan.h), one message each with the entry's location.
std::vector<std::string> LandlockModeErrors(const policy::Policy& p);

}  // namespace syd::cli
