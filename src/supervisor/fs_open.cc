// open, openat, openat2, creat: the path is resolved and decided, then
// opened here with openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|
// RESOLVE_NO_MAGICLINKS) from the caller's root, as the caller's
// fsuid/fsgid with its umask, and the descriptor is installed with
// ADDFD|SEND (Respond): the kernel never reads the path again.
// Where the supervisor's open would not be the caller's:
//  - O_PATH: ADDFD cannot install an O_PATH file. open/openat with O_PATH
//    are checked and answered CONTINUE: the kernel strips every other flag
//    (no access, no creation), and every later use of the descriptor is
//    checked on the path it names (docs/SECURITY.md, "O_PATH").
//  - /dev/tty names the opener's controlling terminal: the caller's is
//    found from /proc/TID/stat and opened instead of the supervisor's.
//  - A FIFO open may block: it runs on the blocking-call pool, where the
//    caller's signals interrupt it.
#include "supervisor/caller.h"
#include "supervisor/families.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include "kernel/proc.h"
#include "util/strings.h"

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

// The controlling terminal of the caller's process (tty_nr of
// /proc/TID/stat), 0 if it has none.
Result<dev_t> CallerTty(pid_t tid) {
  int fd = open(fmt::format("/proc/{}/stat", tid).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail(errno, "/proc/TID/stat");
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return Fail(ESRCH, "stat");
  buf[n] = 0;
  const char* p = strrchr(buf, ')');  // comm may hold anything but ')'
  char state;
  int ppid, pgrp, session, tty;
  if (!p || sscanf(p + 2, "%c %d %d %d %d", &state, &ppid, &pgrp, &session, &tty) != 5) return Fail(ESRCH, "stat");
  // tty_nr packs the device number like the kernel's new_encode_dev().
  const unsigned u = static_cast<unsigned>(tty);
  return makedev((u >> 8) & 0xfff, (u & 0xff) | ((u >> 12) & 0xfff00));
}

// An O_PATH handle of the character device `dev` inside the caller's root:
// /dev/pts/N for a pty slave, else the first node of /dev that is the
// device. Verified on the handle itself (fstat), so a node renamed or
// swapped meanwhile is never taken for it.
UniqueFd FindDevice(int root_fd, dev_t dev) {
  auto is_dev = [dev](int fd) {
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == dev;
  };
  const unsigned maj = major(dev);
  if (maj >= 136 && maj <= 143) {  // UNIX98_PTY_SLAVE_MAJOR, 8 majors
    auto fd = OpenResolved(root_fd, fmt::format("/dev/pts/{}", (maj - 136) * 256 + minor(dev)), O_PATH | O_NOFOLLOW, 0);
    if (fd && is_dev(fd->get())) return std::move(*fd);
  }
  auto devdir = OpenResolved(root_fd, "/dev", O_RDONLY | O_DIRECTORY, 0);
  if (!devdir) return UniqueFd();
  DIR* d = fdopendir(dup(devdir->get()));
  if (!d) return UniqueFd();
  UniqueFd found;
  while (dirent* e = readdir(d)) {
    if (e->d_type != DT_CHR && e->d_type != DT_UNKNOWN) continue;
    UniqueFd fd(openat(devdir->get(), e->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (fd.valid() && is_dev(fd.get())) {
      found = std::move(fd);
      break;
    }
  }
  closedir(d);
  return found;
}

// /dev/tty for the caller: its controlling terminal, opened afresh with
// the caller's flags (the permission check on /dev/tty itself was made as
// the caller already), ENXIO when it has none. Never the supervisor's.
Verdict OpenControllingTty(Call& c, uint64_t oflags, bool cloexec, int root_fd) {
  auto tty = CallerTty(c.tid());
  if (!c.tracee.Recheck()) return Verdict::None();  // /proc was read: still the caller?
  if (!tty) return Verdict::Error(ESRCH);
  if (*tty == 0) return Verdict::Error(ENXIO);
  c.MayBlock();  // a terminal's open may wait for its carrier
  UniqueFd node = FindDevice(root_fd, *tty);
  if (!node.valid()) return Verdict::Error(ENXIO);
  int fd = open(fmt::format("/proc/self/fd/{}", node.get()).c_str(),
                static_cast<int>((oflags & ~static_cast<uint64_t>(O_CREAT | O_EXCL | O_TRUNC)) | O_NOCTTY | O_CLOEXEC));
  if (fd < 0) return Verdict::Error(errno);
  return Verdict::Fd(UniqueFd(fd), cloexec);
}

bool IsDevTty(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == makedev(5, 0); }

// Whether `fd`, just opened for `target`, is the memory of a process other
// than the caller's (/proc/PID/mem, /proc/PID/task/TID/mem): writing it is
// taking the other process over, as process_vm_writev and ptrace would,
// which are refused in the kernel. The resolved name picks the opens
// looked at (its last component "mem": a bind mount under another name,
// which needs mounts allowed, is not recognized); then the object opened
// decides: a procfs file whose path, read back from our descriptor, is not
// the caller's own /proc/TGID/mem (in a procfs of another pid namespace,
// the caller's own memory is refused too). docs/SECURITY.md, "A locked
// process's reach into another".
bool AnotherProcessMemory(int fd, const Resolved& target, pid_t tgid) {
  const std::string& p = target.path;
  if (target.magic_link || p.size() < 4 || p.compare(p.size() - 4, 4, "/mem") != 0) return false;
  struct statfs fs;
  if (fstatfs(fd, &fs) != 0) return true;
  if (fs.f_type != PROC_SUPER_MAGIC) return false;
  auto at = kernel::ReadLink(AT_FDCWD, fmt::format("/proc/self/fd/{}", fd));
  if (!at) return true;
  const std::string own = fmt::format("/proc/{}/", tgid);
  if (at->compare(0, own.size(), own) != 0) return true;
  const std::string_view rest = std::string_view(*at).substr(own.size());
  if (rest == "mem") return false;
  // task/TID/mem: a thread of the same process, the same memory.
  if (rest.substr(0, 5) != "task/" || rest.size() < 10 || rest.substr(rest.size() - 4) != "/mem") return true;
  const std::string_view tid = rest.substr(5, rest.size() - 9);
  return tid.empty() || tid.find_first_not_of("0123456789") != std::string_view::npos;
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
      auto r = c.env.procs->CallerCreds(c.tracee);
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
      // /proc/PID/fd/N was checked as leading to something without a path
      // (a pipe, a socket), or, no category checking the open, to a file
      // with no name left; another thread of the caller may have put a
      // file at N since. The object is pinned first, confirmed pathless
      // (or nameless) still, and only then opened with the caller's flags
      // (an O_TRUNC must never reach a file that was not checked).
      UniqueFd pinned(open(target.path.c_str(), O_PATH | O_CLOEXEC));
      if (!pinned.valid()) return Fail(errno, "open", target.path);
      const std::string self = fmt::format("/proc/self/fd/{}", pinned.get());
      auto now = kernel::ReadLink(AT_FDCWD, self);
      struct stat pst;
      const bool nameless = target.deleted && fstat(pinned.get(), &pst) == 0 && pst.st_nlink == 0;
      if (!now || (!now->empty() && (*now)[0] == '/' && !nameless))
        return Fail(EPERM, "changed since the check", target.path);
      int fd = open(self.c_str(), static_cast<int>(oflags | O_CLOEXEC), static_cast<mode_t>(omode));
      if (fd < 0) return Fail(errno, "open", target.path);
      return UniqueFd(fd);
    }
    return OpenResolved(root_fd, target.path, oflags, omode);
  };
  // Opening a device may wait on the hardware (a tty's carrier, a tape).
  if (target.type == S_IFCHR || target.type == S_IFBLK) c.MayBlock();
  auto fd = cr ? WithCaller(c.env.self, *cr, Act{.umask = creates}, do_open) : do_open();
  if (target.type == S_IFCHR && !target.magic_link) {
    // /dev/tty opens the opener's terminal: had the supervisor's open
    // reached /dev/tty (its own terminal, or ENXIO where it has none), the
    // caller's is opened instead. The permission check on the node was
    // the caller's either way (ENXIO comes from the driver, after it).
    struct stat st;
    if (fd && fstat(fd->get(), &st) == 0 && IsDevTty(st))
      return OpenControllingTty(c, oflags, (flags & O_CLOEXEC) != 0, root_fd);
    if (!fd && fd.error().sys_errno == ENXIO) {
      auto node = OpenResolved(root_fd, target.path, O_PATH | O_NOFOLLOW, 0);
      if (node && fstat(node->get(), &st) == 0 && IsDevTty(st))
        return OpenControllingTty(c, oflags, (flags & O_CLOEXEC) != 0, root_fd);
    }
  }
  if (!fd) return Verdict::Error(fd.error().sys_errno ? fd.error().sys_errno : EIO);
  if ((oflags & O_ACCMODE) != O_RDONLY && AnotherProcessMemory(fd->get(), target, c.Tgid()))
    return Verdict::Error(EACCES);  // as the kernel says where ptrace access is refused
  return Verdict::Fd(std::move(*fd), (flags & O_CLOEXEC) != 0);
}

}  // namespace

bool WriteOpenToPerform(Call& c, uint64_t open_flags) {
  if ((open_flags & O_ACCMODE) == O_RDONLY || (open_flags & O_PATH)) return false;
  return c.env.procs->any_resumed() || c.env.procs->any_lock();
}

Verdict HandleOpen(Call& c, const Intent& in) {
  // openat2 reached user space because its flags are in memory: even where
  // its category is off, a CONTINUE would let the kernel read flags that
  // may have changed since; it is always performed here.
  const bool how = c.info.kind == policy::CallKind::kOpenHow;
  const bool opath = in.open_flags & O_PATH;
  // openat2 with O_PATH can be neither installed (ADDFD refuses O_PATH
  // files) nor let through (its flags are in memory, read again by the
  // kernel after a CONTINUE): not supported here, as on a kernel without
  // openat2; callers fall back to openat, which works.
  if (how && opath) return Verdict::Error(ENOSYS);
  const bool creates = !opath && (in.open_flags & (O_CREAT | kTmpfileBit));
  // openat2 refuses a mode without O_CREAT/O_TMPFILE, mode bits beyond
  // 07777 and unknown resolve flags (EINVAL); open(2) ignores them.
  if (how && ((in.how.mode && !creates) || (in.how.mode & ~07777ULL) ||
              (in.how.resolve & ~static_cast<uint64_t>(RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS |
                                                        RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_CACHED))))
    return Verdict::Error(EINVAL);
  const bool perform = how || WriteOpenToPerform(c, in.open_flags);
  auto r = ResolveAndCheck(c, in, Need{perform, !opath && (creates || c.env.self.root)});
  if (auto* v = std::get_if<Verdict>(&r)) return std::move(*v);
  Checked& ck = std::get<Checked>(r);
  const Resolved& target = ck.args[0].resolved;
  // An allowed O_PATH open: the kernel performs it. The flags are in a
  // register and it keeps only O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC of them,
  // so whatever the path names by then, the descriptor grants no access:
  // each later use of it is checked on the path it names.
  if (opath) return Verdict::Continue();
  // "name/" with O_CREAT names a directory to be: the kernel will not
  // create a file by it (EISDIR); the resolution has dropped the slash.
  const std::string& raw = ck.args[0].raw();
  if ((in.open_flags & O_CREAT) && !raw.empty() && raw.back() == '/' && !target.exists) return Verdict::Error(EISDIR);
  if (target.type == S_IFIFO && !(in.open_flags & O_NONBLOCK)) {
    // Opening a FIFO blocks until the other end opens, possibly in another
    // sandboxed process: on the blocking-call pool, so no worker waits and
    // the caller's signals interrupt it.
    auto root = ck.root;
    const uint64_t flags = in.open_flags, mode = in.open_mode;
    return RunBlocking(c, [target, flags, mode, root](Call& cc) {
      return EmulateOpen(cc, target, flags, mode, root->fd.get());
    });
  }
  return EmulateOpen(c, target, in.open_flags, in.open_mode, ck.root->fd.get(), ck.creds);
}


}  // namespace syd::supervisor
