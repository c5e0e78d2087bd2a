// The calls that create, remove and rename names — mkdir, mknod, symlink,
// link, unlink, rmdir, rename and their *at forms — performed here, never
// answered CONTINUE, so the kernel never reads a path from the caller's
// memory after the check:
//  1. ResolveAndCheck (paths.h) reads each path once, resolves it inside
//     the caller's root without following the last component (link's old
//     path with AT_SYMLINK_FOLLOW is resolved to its target) and decides;
//  2. the parent directory of each path is opened with OpenParent (no
//     symlink followed on the way: a symlink swapped in after the check
//     fails the call with ELOOP, it never redirects it);
//  3. the *at() call is made on (parent, name), which never follows a
//     final symlink, as the caller (caller.h): its fsuid/fsgid, groups and
//     capabilities when the supervisor is root, its umask where the call
//     creates, with the raw mode (the kernel applies the umask, or a
//     default ACL instead).
// The kernel keeps the last word on every answer: a trailing slash goes
// with the name ("name/" is EEXIST for mkdir of a file, ENOTDIR for unlink
// of a symlink), and a last component "." or ".." is passed as it is on
// the directory that holds it, so EEXIST, EBUSY, EINVAL, ENOTEMPTY, EISDIR
// and EXDEV come from the kernel itself. What the kernel refuses before
// looking at a path (unknown flags, a mknod type) is refused first here.
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "supervisor/caller.h"
#include "supervisor/families.h"

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

namespace syd::supervisor {
namespace {

constexpr uint64_t kRenameNoreplace = 1, kRenameExchange = 2, kRenameWhiteout = 4;

// The last component as the kernel's parent lookup classifies it.
enum class Last : uint8_t { kNormal, kDot, kDotDot, kRoot };

Last LastOf(const std::string& raw) {
  const size_t end = raw.find_last_not_of('/');
  if (end == std::string::npos) return Last::kRoot;  // "/", "//"
  const size_t slash = raw.rfind('/', end);
  const size_t start = slash == std::string::npos ? 0 : slash + 1;
  const std::string_view name(raw.data() + start, end + 1 - start);
  if (name == ".") return Last::kDot;
  if (name == "..") return Last::kDotDot;
  return Last::kNormal;
}

// Where the *at() call acts for one path argument.
struct At {
  int dir = -1;
  UniqueFd owned;  // `dir` when opened here
  std::string name;
};

enum class Slash : uint8_t { kKeep, kDrop };

// Whether the handles resolution opened (as the supervisor) serve the
// caller as they are: when taking on the caller's identity would change
// nothing, the walk to them was the caller's walk.
bool ResolvedAsCaller(const Call& c, const Checked& ck) {
  const SelfIdentity& s = c.env.self;
  if (!s.root) return true;  // same uid, no privilege the caller lacks (caller.h)
  return ck.creds && ck.creds->fsuid == s.fsuid && ck.creds->fsgid == s.fsgid && ck.creds->groups == s.groups &&
         ck.creds->cap_eff == s.cap_eff;
}

// The handle and name to give the *at() call for a checked path: its
// parent and last name, with the caller's trailing slash (kKeep) for calls
// on the name itself; for ".", ".." (and "/", which every call here
// answers like "." but rmdir) the directory they were found in and that
// name, so the kernel classifies it as it would have. The parent is the
// one resolution reached (`reuse`), or opened again, as the caller.
Result<At> Place(const Checked& ck, const PathArgValue& a, Slash slash, bool reuse) {
  const int root = ck.root->fd.get();
  const Last last = LastOf(a.raw());
  At at;
  if (last != Last::kNormal) {
    SYD_TRY(d, OpenResolved(root, a.resolved.path, O_PATH | O_DIRECTORY, 0));
    at.owned = std::move(d);
    at.dir = at.owned.get();
    at.name = last == Last::kDotDot ? ".." : ".";
    return at;
  }
  if (reuse && a.resolved.parent) {
    at.dir = a.resolved.parent->get();
    at.name = a.resolved.name;
  } else {
    SYD_TRY(p, OpenParent(root, a.resolved.path));
    at.owned = std::move(p.dir);
    at.dir = at.owned.get();
    at.name = std::move(p.name);
  }
  if (slash == Slash::kKeep && !a.raw().empty() && a.raw().back() == '/') at.name += '/';
  return at;
}

long Neg(const Error& e) { return -(e.sys_errno ? e.sys_errno : EIO); }
long Sys(long r) { return r < 0 ? -errno : r; }

// Runs `fn` (0 or -errno) as the caller and answers with its result.
// `creates`: the caller's umask applies. The parents are opened inside
// `fn`, so the walk to them is checked with the caller's identity too
// (search permission on every directory on the way).
template <class Fn>
Verdict Perform(Call& c, const Checked& ck, bool creates, Fn fn) {
  if (!creates && !c.env.self.root) return Verdict::Result(fn());  // nothing of the caller's to take on
  if (!ck.creds) return Verdict::Error(ESRCH);
  return Verdict::Result(WithCaller(c.env.self, *ck.creds, Act{.umask = creates}, fn));
}

// Resolved, checked, and still to be performed: the Checked, or the verdict
// that settles the call.
std::variant<Verdict, Checked> Check(Call& c, const Intent& in, bool creates) {
  return ResolveAndCheck(c, in, Need{false, creates || c.env.self.root});
}

// Performs a call on the one (parent, name) of a checked path argument:
// fn(dir, name) returns the raw system call's result.
template <class Fn>
Verdict OnName(Call& c, const Checked& ck, bool creates, Fn fn) {
  const bool reuse = ResolvedAsCaller(c, ck);
  return Perform(c, ck, creates, [&] {
    auto at = Place(ck, ck.args[0], Slash::kKeep, reuse);
    if (!at) return Neg(at.error());
    return Sys(fn(at->dir, at->name.c_str()));
  });
}

Verdict Mkdir(Call& c, const Intent& in) {
  const uint64_t mode = c.arg(c.nr() == __NR_mkdir ? 1 : 2);
  auto r = Check(c, in, true);
  if (auto* v = std::get_if<Verdict>(&r)) return std::move(*v);
  const Checked& ck = std::get<Checked>(r);
  return OnName(c, ck, true, [&](int dir, const char* name) { return syscall(SYS_mkdirat, dir, name, mode); });
}

bool IsDevice(uint32_t mode) { return S_ISCHR(mode) || S_ISBLK(mode); }

Verdict Mknod(Call& c, const Intent& in) {
  const bool at_form = c.nr() == __NR_mknodat;
  // umode_t and unsigned int in the kernel: the registers' low bits.
  const uint32_t mode = c.arg(at_form ? 2 : 1) & 0xffff;
  const uint32_t dev = c.arg(at_form ? 3 : 2) & 0xffffffffu;
  // What the kernel refuses before it looks at the path (may_mknod).
  switch (mode & S_IFMT) {
    case 0: case S_IFREG: case S_IFIFO: case S_IFSOCK: case S_IFCHR: case S_IFBLK: break;
    case S_IFDIR: return Verdict::Error(EPERM);
    default: return Verdict::Error(EINVAL);
  }
  // Device nodes (a whiteout, character 0:0, names none): refused in the
  // kernel program already (bpf/guards.cc); this covers the user-space half.
  const bool whiteout = S_ISCHR(mode) && dev == 0;
  if (IsDevice(mode) && !whiteout && c.policy().restrict_device_nodes) return Verdict::Error(EPERM);
  auto r = Check(c, in, true);
  if (auto* v = std::get_if<Verdict>(&r)) return std::move(*v);
  const Checked& ck = std::get<Checked>(r);
  return OnName(c, ck, true, [&](int dir, const char* name) { return syscall(SYS_mknodat, dir, name, mode, dev); });
}

Verdict Symlink(Call& c, const Intent& in) {
  // The link's contents are not a path to check, but the kernel reads them
  // first (EFAULT, ENAMETOOLONG, ENOENT for ""): read once, here, too.
  std::string target;
  const bool checked = c.policy().mode(policy::Category::kWrite) != policy::Mode::kOff && !c.rule_allowed;
  if (checked || c.RulePinned()) {
    auto t = c.tracee.ReadString(c.arg(0), PATH_MAX);
    if (!t) return Verdict::Error(t.error().sys_errno ? t.error().sys_errno : EFAULT);
    if (t->empty()) return Verdict::Error(ENOENT);
    target = std::move(*t);
    // A rule that allowed the call on the link's contents saw these.
    if (const std::string* seen = c.RuleString(0); seen && *seen != target) return Verdict::Error(EPERM);
  }
  auto r = Check(c, in, false);
  if (auto* v = std::get_if<Verdict>(&r)) return std::move(*v);
  const Checked& ck = std::get<Checked>(r);  // (ResolveAndCheck confirmed the target's read too)
  return OnName(c, ck, false, [&](int dir, const char* name) { return syscall(SYS_symlinkat, target.c_str(), dir, name); });
}

// linkat(fd, "", ..., AT_EMPTY_PATH): the caller's descriptor (or its cwd)
// names the file. A copy of it is taken, its path checked again (the
// caller may have put another file under that number since the check), and
// the file linked through /proc/self/fd of the copy.
Verdict LinkFromFd(Call& c, const Checked& ck) {
  const int dirfd = static_cast<int>(c.arg(0) & 0xffffffffu);
  UniqueFd obj;
  if (dirfd == AT_FDCWD) {
    obj.Reset(open(fmt::format("/proc/{}/cwd", c.tid()).c_str(), O_PATH | O_CLOEXEC));
    if (!obj.valid()) return Verdict::Error(errno == ENOENT ? ESRCH : errno);
    if (!c.tracee.Recheck()) return Verdict::None();
  } else {
    auto fd = c.tracee.TakeFd(dirfd);
    if (!fd) return fd.error().sys_errno == ESRCH ? Verdict::None() : Verdict::Error(EBADF);
    obj = std::move(*fd);
  }
  const std::string self = fmt::format("/proc/self/fd/{}", obj.get());
  auto now = kernel::ReadLink(AT_FDCWD, self);
  if (!now) return Verdict::Error(now.error().sys_errno ? now.error().sys_errno : EIO);
  const PathArgValue& old = ck.args[0];
  if ((ck.checked || c.RulePinned()) && !now->empty() && (*now)[0] == '/' && (old.resolved.magic_link || *now != old.seen())) {
    if (!ck.checked) return Verdict::Error(EPERM);  // not the file the allowing rule looked at
    const policy::PathVerdict v =
        c.decider->CheckPath(ck.cat, *now, c.policy().per_process_directories ? c.Tgid() : c.tid());
    if (!v.allow) {
      if (auto verdict = Violate(c, ck.cat, *now, false, v, EPERM)) return std::move(*verdict);
    }
  }
  const bool reuse = ResolvedAsCaller(c, ck);
  return Perform(c, ck, false, [&] {
    auto to = Place(ck, ck.args[1], Slash::kKeep, reuse);
    if (!to) return Neg(to.error());
    return Sys(syscall(SYS_linkat, AT_FDCWD, self.c_str(), to->dir, to->name.c_str(), AT_SYMLINK_FOLLOW));
  });
}

Verdict Link(Call& c, const Intent& in) {
  const bool at_form = c.nr() == __NR_linkat;
  const uint64_t flags = at_form ? (c.arg(4) & 0xffffffffu) : 0;
  if (flags & ~static_cast<uint64_t>(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return Verdict::Error(EINVAL);
  auto r = Check(c, in, false);
  if (auto* v = std::get_if<Verdict>(&r)) return std::move(*v);
  const Checked& ck = std::get<Checked>(r);
  if (ck.args[0].fd_only) return LinkFromFd(c, ck);
  // The old path was resolved to the object to link (its target, with
  // AT_SYMLINK_FOLLOW): link that name, following nothing more.
  const bool reuse = ResolvedAsCaller(c, ck);
  return Perform(c, ck, false, [&] {
    auto from = Place(ck, ck.args[0], Slash::kDrop, reuse);
    if (!from) return Neg(from.error());
    auto to = Place(ck, ck.args[1], Slash::kKeep, reuse);
    if (!to) return Neg(to.error());
    return Sys(syscall(SYS_linkat, from->dir, from->name.c_str(), to->dir, to->name.c_str(), 0));
  });
}

Verdict Remove(Call& c, const Intent& in) {
  uint64_t flags = 0;
  if (c.nr() == __NR_rmdir) {
    flags = AT_REMOVEDIR;
  } else if (c.nr() == __NR_unlinkat) {
    flags = c.arg(2) & 0xffffffffu;
    if (flags & ~static_cast<uint64_t>(AT_REMOVEDIR)) return Verdict::Error(EINVAL);
  }
  auto r = Check(c, in, false);
  if (auto* v = std::get_if<Verdict>(&r)) return std::move(*v);
  const Checked& ck = std::get<Checked>(r);
  // rmdir("/") is EBUSY, rmdir("x/.") EINVAL: "/" cannot be passed as ".".
  if ((flags & AT_REMOVEDIR) && LastOf(ck.args[0].raw()) == Last::kRoot) return Verdict::Error(EBUSY);
  return OnName(c, ck, false, [&](int dir, const char* name) { return syscall(SYS_unlinkat, dir, name, flags); });
}

Verdict Rename(Call& c, const Intent& in) {
  const uint64_t flags = c.nr() == __NR_renameat2 ? (c.arg(4) & 0xffffffffu) : 0;
  if (flags & ~(kRenameNoreplace | kRenameExchange | kRenameWhiteout)) return Verdict::Error(EINVAL);
  if ((flags & (kRenameNoreplace | kRenameWhiteout)) && (flags & kRenameExchange)) return Verdict::Error(EINVAL);
  // Both paths are written (RENAME_EXCHANGE moves both objects): both were
  // checked for the write category.
  auto r = Check(c, in, false);
  if (auto* v = std::get_if<Verdict>(&r)) return std::move(*v);
  const Checked& ck = std::get<Checked>(r);
  const bool reuse = ResolvedAsCaller(c, ck);
  return Perform(c, ck, false, [&] {
    auto from = Place(ck, ck.args[0], Slash::kKeep, reuse);
    if (!from) return Neg(from.error());
    auto to = Place(ck, ck.args[1], Slash::kKeep, reuse);
    if (!to) return Neg(to.error());
    return Sys(syscall(SYS_renameat2, from->dir, from->name.c_str(), to->dir, to->name.c_str(), flags));
  });
}

}  // namespace

Verdict HandleNameChange(Call& c, const Intent& in) {
  switch (c.nr()) {
    case __NR_mkdir:
    case __NR_mkdirat: return Mkdir(c, in);
    case __NR_mknod:
    case __NR_mknodat: return Mknod(c, in);
    case __NR_symlink:
    case __NR_symlinkat: return Symlink(c, in);
    case __NR_link:
    case __NR_linkat: return Link(c, in);
    case __NR_unlink:
    case __NR_unlinkat:
    case __NR_rmdir: return Remove(c, in);
    case __NR_rename:
    case __NR_renameat:
    case __NR_renameat2: return Rename(c, in);
    default: return HandleChecked(c, in);
  }
}

}  // namespace syd::supervisor
