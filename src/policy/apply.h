// Applying magic commands to a Policy (SPEC §2–§3). Pure: the same code
// serves config files at start-up and magic stat at run time.
#pragma once

#include <string>
#include <vector>

#include "lang/magic.h"
#include "policy/policy.h"

namespace syd::policy {

struct ApplyEnv {
  ServiceLookup services;               // for port names; may be empty
  std::vector<std::string>* warnings = nullptr;  // "parsed but not enforced" notes
  // Commands that are valid but almost certainly wrong (an allowlist entry
  // that allows every write, say), with their origin: sydbox warns,
  // `sydbox check` fails.
  std::vector<std::string>* mistakes = nullptr;
  // A change while the sandbox runs (magic stat, the control socket):
  // settings that only take effect when the command starts are refused.
  bool runtime = false;
};

// Applies one command (set, append, prepend, remove). On error the policy
// is unchanged and the error text has no location (the caller adds it).
// Queries ('?') are rejected here; use Query().
Status Apply(Policy& policy, const lang::Command& cmd, const ApplyEnv& env);

// Answers a '?' command: a boolean, a mode (true unless off), or for a list
// with a value, whether the list holds an equal entry.
Result<bool> Query(const Policy& policy, const lang::Command& cmd);

// Every option and list key Apply() knows (core/..., allowlist/...,
// exec/...), for "did you mean" and for checking the documentation.
// sys/ rules and the ignored sydbox-1 options are not included.
const std::vector<std::string>& KnownKeys();

// "origin:col: message" (or "origin: message" without a column).
std::string FormatError(const lang::Origin& origin, const Error& e);

// Applies commands in order to a copy; returns the new policy or the first
// error prefixed with its origin ("file:line: ..."). Nothing half-applied.
Result<Policy> ApplyAll(const Policy& base, const std::vector<lang::Command>& cmds,
                        const ApplyEnv& env);

}  // namespace syd::policy
