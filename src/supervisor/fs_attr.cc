// Calls that change a file's attributes, performed by the supervisor:
// truncate, the chmod, chown and utime families, the setxattr and
// removexattr families, file_setattr, and the attribute ioctls
// (FS_IOC_SETFLAGS, FS_IOC_FSSETXATTR). Each is checked (paths.h), then
// performed on a held object (fs_attr.h) with the caller's identity and
// the supervisor's copies of its buffers, and answered with the result:
// the kernel never reads the path, the buffers or the descriptor table
// again after the check.
//
// How each acts on the held object:
//   path argument (O_PATH handle H)     caller's descriptor (copy F)
//   truncate("/proc/self/fd/H")          -
//   fchmodat2(H, "", AT_EMPTY_PATH)      fchmod(F) / fchmodat2(F, "", flags)
//   fchownat(H, "", AT_EMPTY_PATH)       fchown(F) / fchownat(F, "", flags)
//   utimensat(H, "", AT_EMPTY_PATH)      utimensat(F, NULL|"", flags), futimesat(F, NULL)
//   *xattr("/proc/self/fd/H")            f*xattr(F) / *xattrat(F, "", flags)
//   file_setattr(AT_FDCWD, "/proc/self/fd/H")   file_setattr(F, "", flags)
//   -                                    ioctl(F)
// On a copy of the caller's descriptor the call is repeated as made, so
// the kernel answers exactly as it would have (EBADF for an O_PATH
// descriptor where the call needs an open file, EINVAL for bad flags).
#include "supervisor/fs_attr.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <utime.h>

#include <array>
#include <cstring>
#include <vector>

#include "supervisor/resolve.h"

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

namespace syd::supervisor {

namespace uapi = kernel::uapi;

// ---------------------------------------------------------------------------
// Holding the checked object (fs_attr.h)

std::string Held::Proc() const { return fmt::format("/proc/self/fd/{}", fd()); }

Verdict FromError(const Error& e) {
  if (e.sys_errno == ESRCH) return Verdict::None();  // the caller is gone
  return FromErrno(e.sys_errno);
}

namespace {

// The path of a descriptor the supervisor holds, as DirOf (paths.h) gives
// it for the caller's: inside the caller's root; a name without a leading
// '/' (pipe:[..], socket:[..], anon_inode:[..]) when it has no path.
Result<std::string> HeldPath(int fd, const ProcessTable::Root& root) {
  const std::string link = fmt::format("/proc/self/fd/{}", fd);
  auto target = kernel::ReadLink(AT_FDCWD, link);
  if (!target) {
    if (target.error().sys_errno == ENAMETOOLONG) return PathOfDirectory(fd, root.fd.get());
    return Unexpected<Error>(target.error());
  }
  if (root.prefix.empty() || target->empty() || (*target)[0] != '/') return std::move(*target);
  if (*target == root.prefix) return std::string("/");
  if (target->size() > root.prefix.size() && target->compare(0, root.prefix.size(), root.prefix) == 0 &&
      (*target)[root.prefix.size()] == '/')
    return target->substr(root.prefix.size());
  return Fail(EPERM, "outside the caller's root");
}

bool Pathless(const std::string& p) { return p.empty() || p[0] != '/'; }

}  // namespace

Result<Held> HoldDescriptor(Call& c, const Checked& ck, int i) {
  const PathArgValue& a = ck.args[i];
  const policy::PathArg& pa = c.info.paths[i];
  const int dirfd = pa.dirfd >= 0 ? static_cast<int>(c.arg(pa.dirfd) & 0xffffffffu) : AT_FDCWD;
  Held h;
  h.caller_fd = true;
  if (dirfd == AT_FDCWD) {
    // The working directory (shared by the caller's threads: another one
    // may chdir meanwhile, hence the path check below, as for a dup2).
    const std::string cwd = fmt::format("/proc/{}/cwd", c.tid());
    h.own.Reset(open(cwd.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!h.own.valid()) return Fail(errno == ENOENT ? ESRCH : errno, "open", cwd);
    if (!c.tracee.Recheck()) return Fail(ESRCH, "the caller is gone");
  } else {
    auto copy = c.tracee.TakeFd(dirfd);
    if (!copy) return Fail(copy.error().sys_errno == ESRCH ? ESRCH : EBADF, "pidfd_getfd");
    h.own = std::move(*copy);
  }
  // What was checked is the path the descriptor had when DirOf read it:
  // the copy must still have it.
  auto p = HeldPath(h.fd(), *ck.root);
  if (!p) return Fail(ESTALE, "descriptor changed");
  const bool pathless = Pathless(*p);
  if (pathless != a.resolved.magic_link || (!pathless && *p != a.resolved.path)) return Fail(ESTALE, "changed");
  return h;
}

Result<Held> OpenChecked(Call& c, const Checked& ck, const std::optional<kernel::Creds>& creds, int i) {
  const PathArgValue& a = ck.args[i];
  Held h;
  if (a.resolved.magic_link) {
    // /proc/PID/fd/N naming a pipe, a socket...: through the link itself,
    // confirmed to lead to something without a path still (the caller may
    // have put a file at N since).
    h.own.Reset(open(a.seen().c_str(), O_PATH | O_CLOEXEC));
    if (!h.own.valid()) return Fail(errno, "open", a.seen());
    auto p = HeldPath(h.fd(), *ck.root);
    if (!p || !Pathless(*p)) return Fail(ESTALE, "changed");
    return h;
  }
  // What resolution opened is the very object checked, found with no
  // symlink followed on the way; it was opened with the supervisor's
  // identity, so it serves where that is the identity the call runs with.
  const kernel::Creds* cr = creds ? &*creds : nullptr;
  const SelfIdentity& self = c.env.self;
  const bool same_identity = !self.root || (cr && cr->fsuid == self.fsuid && cr->fsgid == self.fsgid &&
                                            cr->groups == self.groups && cr->cap_eff == self.cap_eff);
  if (a.resolved.handle && same_identity) {
    h.shared = a.resolved.handle;
    return h;
  }
  // Else the object afresh, as the caller: the kernel checks search
  // permission of every directory on the way with the caller's identity.
  // The resolution followed a final symlink where the call does: unless
  // what it found is a symlink the call acts on (lchown,
  // AT_SYMLINK_NOFOLLOW), a symlink here now was swapped in after the
  // check: ELOOP.
  const uint64_t flags = O_PATH | (a.resolved.type == S_IFLNK ? O_NOFOLLOW : 0);
  SYD_TRY(fd, OpenResolved(ck.root->fd.get(), a.resolved.path, flags, 0));
  h.own = std::move(fd);
  return h;
}

std::optional<Verdict> ReadXattrName(Call& c, uint64_t addr, std::string* out) {
  auto s = c.tracee.ReadString(addr, uapi::kXattrNameMax + 1);
  if (!s) return Verdict::Error(s.error().sys_errno == ENAMETOOLONG ? ERANGE : EFAULT);
  if (s->empty()) return Verdict::Error(ERANGE);
  *out = std::move(*s);
  return std::nullopt;
}

std::optional<Verdict> ReadXattrArgs(Call& c, uint64_t addr, uint64_t usize, uapi::XattrArgs* out) {
  if (usize > 4096) return Verdict::Error(E2BIG);
  if (usize < uapi::kXattrArgsSizeVer0) return Verdict::Error(EINVAL);
  std::array<unsigned char, 4096> buf{};
  if (!c.tracee.ReadMemory(addr, buf.data(), usize)) return Verdict::Error(EFAULT);
  for (size_t i = sizeof *out; i < usize; ++i)
    if (buf[i]) return Verdict::Error(E2BIG);  // a field this kernel does not know
  std::memcpy(out, buf.data(), sizeof *out);
  return std::nullopt;
}

namespace {

long Ret(long r) { return r < 0 ? -errno : r; }

// What a notification's answer is, from a system call's return.
Verdict Answer(long r) { return Verdict::Result(Ret(r)); }

bool ValidXattratFlags(uint64_t at) { return (at & ~static_cast<uint64_t>(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) == 0; }

// ---------------------------------------------------------------------------

Verdict Truncate(Call& c, const Intent& in) {
  const off_t length = static_cast<off_t>(c.arg(1));
  return CheckedThen(c, in, [&](Checked& ck) {
    c.MayBlock();  // freeing a large file's blocks takes long
    return Perform(c, ck, ck.creds, [&](Held& h) { return Answer(truncate(h.Proc().c_str(), length)); });
  });
}

Verdict Chmod(Call& c, const Intent& in) {
  const int nr = c.nr();
  const int mode_arg = (nr == __NR_chmod || nr == __NR_fchmod) ? 1 : 2;
  const mode_t mode = static_cast<mode_t>(c.arg(mode_arg));
  const uint64_t flags = nr == uapi::kNrFchmodat2 ? c.arg(3) : 0;
  return CheckedThen(c, in, [&](Checked& ck) {
    return Perform(c, ck, ck.creds, [&](Held& h) {
      if (nr == __NR_fchmod) return Answer(fchmod(h.fd(), mode));
      if (h.caller_fd) return Answer(syscall(uapi::kNrFchmodat2, h.fd(), "", mode, flags));
      long r = syscall(uapi::kNrFchmodat2, h.fd(), "", mode, flags | AT_EMPTY_PATH);
      if (r < 0 && errno == ENOSYS) r = chmod(h.Proc().c_str(), mode);  // before Linux 6.6
      return Answer(r);
    });
  });
}

Verdict Chown(Call& c, const Intent& in) {
  const int nr = c.nr();
  const int first = nr == __NR_fchownat ? 2 : 1;
  const uid_t uid = static_cast<uid_t>(c.arg(first));
  const gid_t gid = static_cast<gid_t>(c.arg(first + 1));
  const int flags = nr == __NR_fchownat ? static_cast<int>(c.arg(4)) : 0;
  return CheckedThen(c, in, [&](Checked& ck) {
    return Perform(c, ck, ck.creds, [&](Held& h) {
      if (nr == __NR_fchown) return Answer(fchown(h.fd(), uid, gid));
      if (h.caller_fd) return Answer(fchownat(h.fd(), "", uid, gid, flags));
      return Answer(fchownat(h.fd(), "", uid, gid, AT_EMPTY_PATH | flags));
    });
  });
}

// The times of utime, utimes, futimesat and utimensat, read once and made
// timespecs; `now` when the pointer is NULL.
struct Times {
  bool now = true;
  timespec ts[2]{};
  timeval tv[2]{};  // futimesat repeated on a descriptor takes timevals
};

std::optional<Verdict> ReadTimes(Call& c, Times* t) {
  const int nr = c.nr();
  const uint64_t addr = c.arg(nr == __NR_utime || nr == __NR_utimes ? 1 : 2);
  if (addr == 0) return std::nullopt;
  t->now = false;
  switch (nr) {
    case __NR_utime: {
      utimbuf b;
      if (!c.tracee.ReadMemory(addr, &b, sizeof b)) return Verdict::Error(EFAULT);
      t->ts[0] = {b.actime, 0};
      t->ts[1] = {b.modtime, 0};
      return std::nullopt;
    }
    case __NR_utimes:
    case __NR_futimesat: {
      if (!c.tracee.ReadMemory(addr, t->tv, sizeof t->tv)) return Verdict::Error(EFAULT);
      for (int i = 0; i < 2; ++i) {
        // The kernel's check (utimes(2)): EINVAL out of range.
        if (t->tv[i].tv_usec < 0 || t->tv[i].tv_usec >= 1000000) return Verdict::Error(EINVAL);
        t->ts[i] = {t->tv[i].tv_sec, t->tv[i].tv_usec * 1000};
      }
      return std::nullopt;
    }
    default:  // utimensat: UTIME_NOW, UTIME_OMIT and ranges checked by the kernel
      if (!c.tracee.ReadMemory(addr, t->ts, sizeof t->ts)) return Verdict::Error(EFAULT);
      return std::nullopt;
  }
}

Verdict Utimes(Call& c, const Intent& in) {
  const int nr = c.nr();
  const int flags = nr == __NR_utimensat ? static_cast<int>(c.arg(3)) : 0;
  return CheckedThen(c, in, [&](Checked& ck) -> std::optional<Verdict> {
    Times t;
    if (auto v = ReadTimes(c, &t)) return std::move(*v);
    if (!c.tracee.Valid()) return Verdict::None();
    const timespec* ts = t.now ? nullptr : t.ts;
    return Perform(c, ck, ck.creds, [&](Held& h) {
      if (h.caller_fd) {
        // As made: NULL or "" as the path, the caller's flags.
        const char* path = c.arg(1) == 0 ? nullptr : "";
        if (nr == __NR_futimesat) return Answer(syscall(__NR_futimesat, h.fd(), path, t.now ? nullptr : t.tv));
        if (nr == __NR_utimensat) return Answer(syscall(__NR_utimensat, h.fd(), path, ts, flags));
      }
      return Answer(syscall(__NR_utimensat, h.fd(), "", ts, flags | AT_EMPTY_PATH));
    });
  });
}

Verdict SetXattr(Call& c, const Intent& in) {
  const int nr = c.nr();
  const bool at = nr == uapi::kNrSetxattrat;
  const uint64_t at_flags = at ? c.arg(2) : 0;
  return CheckedThen(c, in, [&](Checked& ck) -> std::optional<Verdict> {
    if (at && !ValidXattratFlags(at_flags)) return Verdict::Error(EINVAL);
    std::string name;
    if (auto v = ReadXattrName(c, c.arg(at ? 3 : 1), &name)) return std::move(*v);
    uapi::XattrArgs args;
    if (at) {
      if (auto v = ReadXattrArgs(c, c.arg(4), c.arg(5), &args)) return std::move(*v);
    } else {
      args.value = c.arg(2);
      args.size = static_cast<uint32_t>(std::min<uint64_t>(c.arg(3), UINT32_MAX));
      args.flags = static_cast<uint32_t>(c.arg(4));
      if (c.arg(3) > uapi::kXattrSizeMax) return Verdict::Error(E2BIG);
    }
    if (args.size > uapi::kXattrSizeMax) return Verdict::Error(E2BIG);
    std::vector<char> value(args.size);
    if (args.size && !c.tracee.ReadMemory(args.value, value.data(), args.size)) return Verdict::Error(EFAULT);
    if (!c.tracee.Valid()) return Verdict::None();
    return Perform(c, ck, ck.creds, [&](Held& h) {
      const int f = static_cast<int>(args.flags);
      if (h.caller_fd && nr == __NR_fsetxattr)
        return Answer(fsetxattr(h.fd(), name.c_str(), value.data(), value.size(), f));
      if (h.caller_fd && at) {
        uapi::XattrArgs mine{reinterpret_cast<uint64_t>(value.data()), args.size, args.flags};
        return Answer(syscall(uapi::kNrSetxattrat, h.fd(), "", at_flags, name.c_str(), &mine, sizeof mine));
      }
      return Answer(setxattr(h.Proc().c_str(), name.c_str(), value.data(), value.size(), f));
    });
  });
}

Verdict RemoveXattr(Call& c, const Intent& in) {
  const int nr = c.nr();
  const bool at = nr == uapi::kNrRemovexattrat;
  const uint64_t at_flags = at ? c.arg(2) : 0;
  return CheckedThen(c, in, [&](Checked& ck) -> std::optional<Verdict> {
    if (at && !ValidXattratFlags(at_flags)) return Verdict::Error(EINVAL);
    std::string name;
    if (auto v = ReadXattrName(c, c.arg(at ? 3 : 1), &name)) return std::move(*v);
    if (!c.tracee.Valid()) return Verdict::None();
    return Perform(c, ck, ck.creds, [&](Held& h) {
      if (h.caller_fd && nr == __NR_fremovexattr) return Answer(fremovexattr(h.fd(), name.c_str()));
      if (h.caller_fd && at) return Answer(syscall(uapi::kNrRemovexattrat, h.fd(), "", at_flags, name.c_str()));
      return Answer(removexattr(h.Proc().c_str(), name.c_str()));
    });
  });
}

Verdict FileSetattr(Call& c, const Intent& in) {
  const uint64_t usize = c.arg(3), at_flags = c.arg(4);
  return CheckedThen(c, in, [&](Checked& ck) -> std::optional<Verdict> {
    // The kernel's checks, in its order; the struct goes to the kernel as
    // read (it checks the tail and every field itself).
    if (!ValidXattratFlags(at_flags)) return Verdict::Error(EINVAL);
    if (usize > 4096) return Verdict::Error(E2BIG);
    if (usize < uapi::kFileAttrSizeVer0) return Verdict::Error(EINVAL);
    std::vector<unsigned char> attr(usize);
    if (!c.tracee.ReadMemory(c.arg(2), attr.data(), usize)) return Verdict::Error(EFAULT);
    if (!c.tracee.Valid()) return Verdict::None();
    return Perform(c, ck, ck.creds, [&](Held& h) {
      if (h.caller_fd) return Answer(syscall(uapi::kNrFileSetattr, h.fd(), "", attr.data(), usize, at_flags));
      return Answer(syscall(uapi::kNrFileSetattr, AT_FDCWD, h.Proc().c_str(), attr.data(), usize, 0));
    });
  });
}

// FS_IOC_SETFLAGS (the kernel reads an int whatever the request's declared
// size) and FS_IOC_FSSETXATTR (struct fsxattr), on a copy of the caller's
// descriptor. Other requests reach user space only through a sys/ rule.
Verdict AttrIoctl(Call& c, const Intent& in) {
  const uint32_t req = static_cast<uint32_t>(c.arg(1));
  bool ours = false;
  for (uint32_t r : policy::AttrIoctls()) ours = ours || r == req;
  if (!ours) return Proceed(c);
  return CheckedThen(c, in, [&](Checked& ck) -> std::optional<Verdict> {
    union {
      int flags;
      fsxattr fsx;
    } arg{};
    const size_t size = req == static_cast<uint32_t>(FS_IOC_FSSETXATTR) ? sizeof arg.fsx : sizeof arg.flags;
    if (!c.tracee.ReadMemory(c.arg(2), &arg, size)) return Verdict::Error(EFAULT);
    if (!c.tracee.Valid()) return Verdict::None();
    return Perform(c, ck, ck.creds, [&](Held& h) { return Answer(ioctl(h.fd(), req, &arg)); });
  });
}

constexpr std::array<int, 22> kChanges = {
    __NR_truncate,          __NR_chmod,           __NR_fchmod,       __NR_fchmodat,
    uapi::kNrFchmodat2,     __NR_chown,           __NR_fchown,       __NR_lchown,
    __NR_fchownat,          __NR_utime,           __NR_utimes,       __NR_utimensat,
    __NR_futimesat,         __NR_setxattr,        __NR_lsetxattr,    __NR_fsetxattr,
    __NR_removexattr,       __NR_lremovexattr,    __NR_fremovexattr, uapi::kNrSetxattrat,
    uapi::kNrRemovexattrat, uapi::kNrFileSetattr,
};

}  // namespace

std::span<const int> AttrChangeSyscalls() { return kChanges; }

Verdict HandleAttrChange(Call& c, const Intent& in) {
  switch (c.nr()) {
    case __NR_truncate:
      return Truncate(c, in);
    case __NR_chmod:
    case __NR_fchmod:
    case __NR_fchmodat:
    case uapi::kNrFchmodat2:
      return Chmod(c, in);
    case __NR_chown:
    case __NR_fchown:
    case __NR_lchown:
    case __NR_fchownat:
      return Chown(c, in);
    case __NR_utime:
    case __NR_utimes:
    case __NR_utimensat:
    case __NR_futimesat:
      return Utimes(c, in);
    case __NR_setxattr:
    case __NR_lsetxattr:
    case __NR_fsetxattr:
    case uapi::kNrSetxattrat:
      return SetXattr(c, in);
    case __NR_removexattr:
    case __NR_lremovexattr:
    case __NR_fremovexattr:
    case uapi::kNrRemovexattrat:
      return RemoveXattr(c, in);
    case uapi::kNrFileSetattr:
      return FileSetattr(c, in);
    default:
      return HandleChecked(c, in);
  }
}

Verdict HandleAttrIoctl(Call& c, const Intent& in) { return AttrIoctl(c, in); }

}  // namespace syd::supervisor
