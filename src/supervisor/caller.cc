#include "supervisor/caller.h"

#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace syd::supervisor {
namespace {

// capset(2) on the calling thread: effective as given, permitted and
// inheritable as they are. Those two never change on a supervisor thread
// (no identity change here leaves the saved uid, so the kernel keeps the
// permitted set): read once per thread.
void SetEffective(uint64_t eff) {
  thread_local bool known = false;
  thread_local __user_cap_data_struct have[2];
  __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
  if (!known) {
    if (syscall(SYS_capget, &h, have) != 0) return;
    known = true;
  }
  __user_cap_data_struct d[2] = {have[0], have[1]};
  const uint64_t permitted = (static_cast<uint64_t>(d[1].permitted) << 32) | d[0].permitted;
  eff &= permitted;
  d[0].effective = static_cast<uint32_t>(eff);
  d[1].effective = static_cast<uint32_t>(eff >> 32);
  (void)syscall(SYS_capset, &h, d);
}

// The umask this thread last set (-1: not known yet). A worker keeps the
// last caller's umask instead of restoring 0 after each creating call
// (two umask(2) calls fewer per mkdir, creat...): nothing a worker does
// depends on it except creating a file, and every creation sets the
// umask it needs through here first (Act::umask).
thread_local int t_umask = -1;

void SetUmask(mode_t m) {
  if (t_umask == static_cast<int>(m)) return;
  ::umask(m);
  t_umask = static_cast<int>(m);
}

}  // namespace

void ResetThreadUmask() { SetUmask(0); }

SelfIdentity ReadSelfIdentity() {
  SelfIdentity s;
  s.root = geteuid() == 0;
  if (auto st = kernel::ReadStatus(static_cast<pid_t>(syscall(SYS_gettid)))) {
    s.fsuid = st->uid[3];
    s.fsgid = st->gid[3];
    s.groups = st->groups;
    s.cap_eff = st->cap_eff;
  }
  return s;
}

AsCaller::AsCaller(const SelfIdentity& self, const kernel::Creds& caller, Act act) : self_(self) {
  if (self.root) {
    // Groups and gids first (they need CAP_SETGID, which the uid change
    // below drops from the effective set), then the uids, then exactly the
    // caller's effective capabilities. The saved ids stay 0, so the thread
    // can come back.
    if (caller.groups != self.groups) {
      groups_ = syscall(SYS_setgroups, caller.groups.size(), caller.groups.data()) == 0;
    }
    if (act.full_ids) {
      syscall(SYS_setresgid, caller.rgid, caller.egid, -1);
      syscall(SYS_setresuid, caller.ruid, caller.euid, -1);
      full_ = true;
    } else if (caller.fsuid != self.fsuid || caller.fsgid != self.fsgid) {
      syscall(SYS_setfsgid, caller.fsgid);
      syscall(SYS_setfsuid, caller.fsuid);
      ids_ = true;
    }
    const uint64_t eff = caller.cap_eff | (act.add_caps & self.cap_eff);
    if (eff != self.cap_eff || ids_ || full_) {
      SetEffective(eff);
      caps_ = true;
    }
  }
  if (act.umask) SetUmask(caller.umask & 0777);
}

AsCaller::~AsCaller() {
  // The ids back first: each goes back to what the real or saved ids still
  // are (0), which needs no capability. Then the capabilities, exactly
  // (an id change from 0 dropped some, and coming back to 0 raises the
  // file system ones), once. Then the groups, which need CAP_SETGID.
  if (full_) {
    syscall(SYS_setresuid, 0, 0, -1);
    syscall(SYS_setresgid, 0, 0, -1);
  }
  if (ids_) {
    syscall(SYS_setfsuid, self_.fsuid);
    syscall(SYS_setfsgid, self_.fsgid);
  }
  if (caps_) SetEffective(self_.cap_eff);
  if (groups_) syscall(SYS_setgroups, self_.groups.size(), self_.groups.data());
}

}  // namespace syd::supervisor
