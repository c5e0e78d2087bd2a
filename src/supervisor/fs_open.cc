// open, openat, openat2, creat: the path is resolved and decided, then
// opened here with openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|
// RESOLVE_NO_MAGICLINKS) from the caller's root, as the caller's
// fsuid/fsgid with its umask, and the descriptor is installed with
// ADDFD|SEND (Respond): the kernel never reads the path again.
#include "supervisor/caller.h"
#include "supervisor/families.h"

#include <fcntl.h>
#include <sys/stat.h>

namespace syd::supervisor {
namespace {

// open(2) ignores flag bits it does not know and, with O_PATH, every flag
// but a few; openat2(2), which performs the call here, refuses them. Keep
// what open(2) would have honoured. O_NOCTTY: the supervisor must never
// acquire a controlling terminal. O_CLOEXEC goes to ADDFD instead.
uint64_t OpenFlagsForOpenat2(uint64_t flags, bool from_openat2) {
  if (from_openat2) return flags & ~static_cast<uint64_t>(O_CLOEXEC);
  if (flags & O_PATH) return flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW);
  constexpr uint64_t kKnown = O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC |
                              O_ASYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_SYNC |
                              kTmpfileBit;
  return (flags & kKnown) | O_NOCTTY;
}

Verdict EmulateOpen(Call& c, const Resolved& target, uint64_t flags, uint64_t mode, int root_fd,
                    const std::optional<kernel::Creds>& known = std::nullopt) {
  const bool creates = flags & (O_CREAT | kTmpfileBit);
  // The caller's identity: its umask for a creating open (the kernel then
  // applies it, or a default ACL of the directory instead), and everything
  // when the supervisor runs as root (caller.h).
  std::optional<kernel::Creds> cr;
  if (creates || c.env.self.root) {
    if (known) {
      cr = *known;  // read before the caller's validity was last checked
    } else {
      auto r = c.env.procs->CallerCreds(c.Tgid(), c.tid());
      if (!r) return Verdict::Error(ESRCH);
      cr = std::move(*r);
      // /proc may have been read just now: the pid must still be the caller.
      if (!c.tracee.Recheck()) return Verdict::None();
    }
  }
  const uint64_t oflags = OpenFlagsForOpenat2(flags, c.info.kind == policy::CallKind::kOpenHow);
  const uint64_t omode = creates ? (mode & 07777) : 0;
  auto do_open = [&]() -> Result<UniqueFd> {
    if (target.magic_link) {
      int fd = open(target.path.c_str(), static_cast<int>(oflags | O_CLOEXEC), static_cast<mode_t>(omode));
      if (fd < 0) return Fail(errno, "open", target.path);
      return UniqueFd(fd);
    }
    return OpenResolved(root_fd, target.path, oflags, omode);
  };
  // Opening a device may wait on the hardware (a tty's carrier, a tape).
  if (target.type == S_IFCHR || target.type == S_IFBLK) c.MayBlock();
  auto fd = cr ? WithCaller(c.env.self, *cr, creates, do_open) : do_open();
  if (!fd) return Verdict::Error(fd.error().sys_errno ? fd.error().sys_errno : EIO);
  return Verdict::Fd(std::move(*fd), (flags & O_CLOEXEC) != 0);
}

}  // namespace

Verdict HandleOpen(Call& c, const Intent& in) {
  // openat2 reached user space because its flags are in memory: even where
  // its category is off, a CONTINUE would let the kernel read flags that
  // may have changed since; it is always performed here.
  const bool how = c.info.kind == policy::CallKind::kOpenHow;
  const bool creates = in.open_flags & (O_CREAT | kTmpfileBit);
  auto r = ResolveAndCheck(c, in, Need{how, creates || c.env.self.root});
  if (auto* v = std::get_if<Verdict>(&r)) return std::move(*v);
  Checked& ck = std::get<Checked>(r);
  const Resolved& target = ck.args[0].resolved;
  if (target.type == S_IFIFO && !(in.open_flags & O_NONBLOCK)) {
    // Opening a FIFO blocks until the other end opens, possibly in another
    // sandboxed process: do it on a thread of its own so no worker waits.
    auto root = ck.root;
    const uint64_t flags = in.open_flags, mode = in.open_mode;
    return RunBlocking(c, [target, flags, mode, root](Call& cc) {
      return EmulateOpen(cc, target, flags, mode, root->fd.get());
    });
  }
  return EmulateOpen(c, target, in.open_flags, in.open_mode, ck.root->fd.get(), ck.creds);
}


}  // namespace syd::supervisor
