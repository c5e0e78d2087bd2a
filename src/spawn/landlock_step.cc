// Two passes over the rules: the first opens each path to learn which
// backstop categories can be installed exactly (a missing path or an exact
// entry that is a directory would make Landlock refuse what user space
// allows), the second creates the ruleset for what remains and adds the
// rules. Landlock handles REFER in every ruleset (a file moved or linked
// to another directory needs it on both sides): without write in the
// ruleset, REFER is handled and granted beneath "/", so only write's rules
// ever decide a rename.
#include "spawn/landlock_step.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel/uapi.h"

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif

namespace syd::spawn {
namespace {

constexpr uint64_t kRefer = 1ull << 13;
constexpr uint64_t kFileRights = (1ull << 0) | (1ull << 1) | (1ull << 2) | (1ull << 14) | (1ull << 15);
constexpr uint8_t kWriteBit = 2;

int Slot(uint8_t bit) { return bit == 1 ? 0 : bit == 2 ? 1 : 2; }

// Opens a rule's path; 0 and *fd, or an errno (EISDIR: an exact entry
// names a directory).
int OpenRule(const LandlockPathRule& r, int* fd, bool* dir) {
  int f = open(r.path.c_str(), O_PATH | O_CLOEXEC);
  if (f < 0) return errno;
  struct stat st;
  if (fstat(f, &st) != 0) {
    int e = errno;
    close(f);
    return e;
  }
  *dir = S_ISDIR(st.st_mode);
  if (*dir && !r.beneath) {
    close(f);
    return EISDIR;
  }
  *fd = f;
  return 0;
}

}  // namespace

int InstallLandlockPaths(const LandlockPaths& lp, LandlockOutcome* out) {
  uint8_t cats = lp.categories;
  for (size_t i = 0; i < lp.rules.size(); ++i) {
    const LandlockPathRule& r = lp.rules[i];
    if (!(cats & r.category) || (lp.strict & r.category) || r.optional) continue;
    int fd = -1;
    bool dir = false;
    if (int e = OpenRule(r, &fd, &dir)) {
      cats &= static_cast<uint8_t>(~r.category);
      out->dropped |= r.category;
      out->dropped_rule[Slot(r.category)] = static_cast<int32_t>(i);
      out->dropped_errno[Slot(r.category)] = e;
      continue;
    }
    close(fd);
  }
  if (!cats) return 0;
  kernel::uapi::LandlockRulesetAttr attr;
  for (int s = 0; s < 3; ++s)
    if (cats & (1u << s)) attr.handled_access_fs |= lp.handled[s];
  const bool refer_everywhere = !(cats & kWriteBit) && lp.abi >= 2;
  if (refer_everywhere) attr.handled_access_fs |= kRefer;
  // Only the fs field: the struct's size tells older kernels nothing more.
  long ruleset = syscall(__NR_landlock_create_ruleset, &attr, sizeof attr.handled_access_fs, 0);
  if (ruleset < 0) return errno;
  int err = 0;
  auto add = [&](int fd, uint64_t access) {
    kernel::uapi::LandlockPathBeneathAttr rule{access, fd};
    if (syscall(__NR_landlock_add_rule, ruleset, kernel::uapi::kLandlockRulePathBeneath, &rule, 0) != 0)
      err = errno;
  };
  if (refer_everywhere) {
    int root = open("/", O_PATH | O_CLOEXEC);
    if (root < 0) err = errno;
    else {
      add(root, kRefer);
      close(root);
    }
  }
  for (const LandlockPathRule& r : lp.rules) {
    if (err) break;
    if (!(cats & r.category)) continue;
    int fd = -1;
    bool dir = false;
    if (OpenRule(r, &fd, &dir) != 0) continue;  // landlock mode (or gone since): granted nothing
    const uint64_t access = dir ? r.access : (r.access & kFileRights);
    if (access) add(fd, access);
    close(fd);
  }
  if (!err && syscall(__NR_landlock_restrict_self, ruleset, 0) != 0) err = errno;
  close(static_cast<int>(ruleset));
  if (!err) out->installed = cats;
  return err;
}

}  // namespace syd::spawn
