#include "kernel/landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel/uapi.h"

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif

namespace syd::kernel {

int LandlockAbi() {
  long v = syscall(__NR_landlock_create_ruleset, nullptr, 0, uapi::kLandlockCreateRulesetVersion);
  return v < 0 ? 0 : static_cast<int>(v);
}

int LandlockRestrictSelf(const LandlockDomain& d) {
  uapi::LandlockRulesetAttr attr;
  attr.scoped = d.scoped;
  // A ruleset that handles any file access refuses reparenting (rename or
  // link to another directory) unless REFER is granted (ABI 2; ABI 1
  // refuses it always): granted beneath "/" with MAKE_BLOCK.
  const uint64_t granted =
      uapi::kLandlockAccessFsMakeBlock | (LandlockAbi() >= 2 ? uapi::kLandlockAccessFsRefer : 0);
  if (d.handled_make_block) attr.handled_access_fs = granted;
  // Older kernels accept the larger struct as long as the fields they do
  // not know are zero (the caller sets `scoped` only where ABI >= 6).
  long ruleset = syscall(__NR_landlock_create_ruleset, &attr, sizeof attr, 0);
  if (ruleset < 0) return errno;
  int err = 0;
  if (d.handled_make_block) {
    int root = open("/", O_PATH | O_CLOEXEC);
    if (root < 0) {
      err = errno;
    } else {
      uapi::LandlockPathBeneathAttr rule{granted, root};
      if (syscall(__NR_landlock_add_rule, ruleset, uapi::kLandlockRulePathBeneath, &rule, 0) != 0) err = errno;
      close(root);
    }
  }
  if (!err && syscall(__NR_landlock_restrict_self, ruleset, 0) != 0) err = errno;
  close(static_cast<int>(ruleset));
  return err;
}

}  // namespace syd::kernel
