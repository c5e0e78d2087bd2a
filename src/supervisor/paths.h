// The path arguments of a call: read once from the caller's memory,
// resolved as the kernel would inside the caller's root, and decided for
// the call's category. Every family of path handlers starts here.
#pragma once

#include <linux/openat2.h>

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "supervisor/call.h"
#include "supervisor/process_table.h"
#include "supervisor/resolve.h"

namespace syd::supervisor {

inline constexpr uint64_t kTmpfileBit = 020000000;  // __O_TMPFILE without O_DIRECTORY

// What an open asks for: flags and mode from the registers or, for
// openat2, from struct open_how (read once).
struct Intent {
  uint64_t open_flags = 0;
  uint64_t open_mode = 0;
  open_how how{};
  bool has_how = false;
};

// Reads the call's intent; an error verdict for a bad open_how.
std::optional<Verdict> ReadIntent(Call& c, Intent* in);

struct PathArgValue {
  bool fd_only = false;  // the dirfd itself names the object
  // As read from the caller. A plain absolute path is its own resolved
  // form: then it is held once, as resolved.path.
  const std::string& raw() const { return raw_is_path ? resolved.path : raw_own; }
  std::string raw_own;
  bool raw_is_path = false;
  Resolved resolved;     // path inside the caller's root
  // The path as the supervisor sees it: what is matched and reported.
  // The resolved path itself unless the caller has another root.
  const std::string& seen() const { return in_view ? view : resolved.path; }
  std::string view;      // seen() when in_view
  bool in_view = false;
};

// The resolved and allowed path arguments of a call.
struct Checked {
  policy::Category cat = policy::Category::kRead;
  bool checked = false;  // the category is on and no rule allowed the call
  std::shared_ptr<const ProcessTable::Root> root;
  std::optional<kernel::Creds> creds;  // when asked for
  uint8_t n = 0;
  PathArgValue args[2];
};

struct Need {
  bool always = false;  // resolve even where nothing is checked
  bool creds = false;   // the caller's fsuid/fsgid/umask too
  bool handle = false;  // keep what resolution opened (Resolved::handle)
};

// Resolves and decides every path argument. A verdict when the call is
// settled here (denied, unresolvable, the caller gone, or — unless
// `need.always` or a sys/ rule allowed the call on what it read of the
// paths — nothing to check: CONTINUE), else what was found. Where a rule
// allowed the call on its paths, they are not checked but must be what the
// rule saw (EPERM otherwise: they changed in between), and the handler
// performs the call on them.
std::variant<Verdict, Checked> ResolveAndCheck(Call& c, const Intent& in, Need need);

// Every path argument resolved and as the supervisor sees it, for rules
// that match paths: 0, or the errno the kernel would give.
int ResolveForRules(Call& c, uint64_t open_flags, const open_how* how, std::vector<std::string>* out);

// The category this call is checked for, given its intent.
policy::Category CategoryOf(const Call& c, uint64_t open_flags);

// The absolute path, inside the caller's root, of its cwd (AT_FDCWD) or of
// one of its descriptors; EPERM for a directory outside that root.
Result<std::string> DirOf(Call& c, int dirfd, const ProcessTable::Root& root);

}  // namespace syd::supervisor
