// Which path categories (read, write, exec) a policy lets Landlock enforce,
// and with which "beneath" rules: pure (no system calls), so the child's
// setup only opens the paths and adds the rules. Used twice: as a kernel
// backstop under a category in deny mode (user space still decides, the
// kernel refuses what slips past it), and alone for the `landlock` mode
// (SPEC §2.2). docs/REFERENCE.md "Landlock" lists the mapping.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "policy/policy.h"
#include "policy/syscalls.h"

namespace syd::policy {

// LANDLOCK_ACCESS_FS_* (linux/landlock.h; the policy layer names no
// kernel header). The ABI that brought each is in the comment.
namespace landlock {
inline constexpr uint64_t kExecute = 1ull << 0;      // ABI 1
inline constexpr uint64_t kWriteFile = 1ull << 1;    // ABI 1
inline constexpr uint64_t kReadFile = 1ull << 2;     // ABI 1
inline constexpr uint64_t kReadDir = 1ull << 3;      // ABI 1
inline constexpr uint64_t kRemoveDir = 1ull << 4;    // ABI 1
inline constexpr uint64_t kRemoveFile = 1ull << 5;   // ABI 1
inline constexpr uint64_t kMakeChar = 1ull << 6;     // ABI 1
inline constexpr uint64_t kMakeDir = 1ull << 7;      // ABI 1
inline constexpr uint64_t kMakeReg = 1ull << 8;      // ABI 1
inline constexpr uint64_t kMakeSock = 1ull << 9;     // ABI 1
inline constexpr uint64_t kMakeFifo = 1ull << 10;    // ABI 1
inline constexpr uint64_t kMakeBlock = 1ull << 11;   // ABI 1
inline constexpr uint64_t kMakeSym = 1ull << 12;     // ABI 1
inline constexpr uint64_t kRefer = 1ull << 13;       // ABI 2
inline constexpr uint64_t kTruncate = 1ull << 14;    // ABI 3
inline constexpr uint64_t kIoctlDev = 1ull << 15;    // ABI 5
// The rights that may be granted on a file (not a directory).
inline constexpr uint64_t kFileRights = kExecute | kWriteFile | kReadFile | kTruncate | kIoctlDev;
// Every right the given ABI knows (0 for ABI 0).
uint64_t RightsOfAbi(int abi);
}  // namespace landlock

// The rights Landlock checks for a category: read: READ_FILE, READ_DIR;
// write: WRITE_FILE, TRUNCATE, REMOVE_*, MAKE_*, REFER; exec: EXECUTE.
// 0 for the other categories.
uint64_t LandlockRights(Category c);

// Whether a call of `c` stays in the kernel with `c` in landlock mode:
// what Landlock checks (opens for reading or writing, creating, removing,
// renaming, linking, truncating, executing), and the calls that only ask
// (access(), chdir, reading xattrs, O_PATH opens: Landlock lets them
// through, they reveal metadata only). Not: chmod, chown, utimes, xattr
// changes and the attribute ioctls (they change a file and Landlock cannot
// refuse them), nor openat2 (its flags are in memory): these stay with
// user space, decided by the same allowlist. For the open and access
// families this answers for the intent `c` (the filter splits on flags).
bool LandlockCovers(const SyscallInfo& s, Category c);

// One rule: `access` granted on `path` and, when `beneath`, on everything
// below it (a directory); else on that one file.
struct LandlockGrant {
  std::string path;
  uint64_t access = 0;
  bool beneath = true;
  // Not from the policy but needed to run at all (the dynamic loader for
  // exec): where the path is missing, the rule is left out quietly.
  bool implied = false;
  bool operator==(const LandlockGrant&) const = default;
};

// A category's rules, or why it cannot have any.
struct LandlockCategoryPlan {
  bool expressible = false;
  // Why not (when !expressible), starting with the location of the entry
  // or rule at fault where there is one ("file:3:1: allowlist/read+...").
  std::string reason;
  uint64_t handled = 0;  // LandlockRights(c)
  std::vector<LandlockGrant> grants;
};

// Whether `c` (read, write or exec) as `p` states it can be enforced by
// Landlock: the mode is deny or landlock; every allowlist entry is
// `DIR/***` or an exact file with no wildcard (with
// core/match/no_wildcard:prefix an exact entry is a tree too); no
// denylist entry could match a path an allowlist entry after it grants
// (an exception carved under an allowed tree); matching is case
// sensitive; per-process /proc directories are off; no entry names a
// per-process path (/proc/self, /dev/fd, ...); and no sys/ rule allows
// or traces a call Landlock checks for `c`.
// For exec the grants end with EXECUTE on the dynamic loaders
// (LandlockDynamicLoaders, `implied`): the kernel opens a program's ELF
// interpreter for execution too, while sydbox's exec check does not
// decide it.
LandlockCategoryPlan PlanLandlockCategory(const Policy& p, Category c);

// The ELF interpreters of this architecture's usual programs.
const std::vector<std::string>& LandlockDynamicLoaders();

}  // namespace syd::policy
