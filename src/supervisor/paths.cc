// One pass per argument: read the string once, resolve it inside the
// caller's root (supervisor/resolve.cc), confirm the notification (the
// string came from the caller), then decide. Nothing here performs the
// call: the family handlers do, on what this returns.
#include "supervisor/paths.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "kernel/uapi.h"
#include "policy/syscalls.h"
#include "supervisor/caller.h"
#include "supervisor/reach.h"
#include "util/strings.h"

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

namespace syd::supervisor {

using policy::Category;
using policy::Mode;

policy::Category CategoryOf(const Call& c, uint64_t open_flags) {
  switch (c.info.rule) {
    case policy::CategoryRule::kFixed: return c.info.category;
    case policy::CategoryRule::kOpenFlags: return policy::CategoryForOpenFlags(open_flags);
    case policy::CategoryRule::kAccessMode: return policy::CategoryForAccessMode(c.arg(c.info.flags_arg) & 0xffffffffu);
  }
  return c.info.category;
}

namespace {

int DenyErrno(const Call& c, Category cat) {
  if (c.info.rule == policy::CategoryRule::kAccessMode) return EACCES;
  if (cat == Category::kStat) return ENOENT;
  return EPERM;
}

bool FollowLast(const Call& c, const policy::PathArg& pa, uint64_t open_flags) {
  const uint64_t at = c.info.at_flags_arg >= 0 ? c.arg(c.info.at_flags_arg) : 0;
  switch (pa.follow) {
    case policy::Follow::kYes: return true;
    case policy::Follow::kNo:
    case policy::Follow::kNever: return false;
    case policy::Follow::kUnlessAtFlag: return !(at & AT_SYMLINK_NOFOLLOW);
    case policy::Follow::kIfAtFlag: return (at & AT_SYMLINK_FOLLOW) != 0;
    case policy::Follow::kOpenFlags:
      if (open_flags & O_NOFOLLOW) return false;
      return (open_flags & (O_CREAT | O_EXCL)) != (O_CREAT | O_EXCL);
  }
  return true;
}

bool MayBeMissing(const policy::PathArg& pa, uint64_t open_flags) {
  switch (pa.missing) {
    case policy::Missing::kMustExist: return false;
    case policy::Missing::kMayCreate: return true;
    case policy::Missing::kOpenFlags: return (open_flags & O_CREAT) != 0;
  }
  return false;
}

}  // namespace

Result<std::string> DirOf(Call& c, int dirfd, const ProcessTable::Root& root) {
  std::string link = dirfd == AT_FDCWD ? fmt::format("/proc/{}/cwd", c.tid())
                                       : fmt::format("/proc/{}/fd/{}", c.tid(), dirfd);
  auto target = kernel::ReadLink(AT_FDCWD, link);
  if (target) {
    // The kernel names it from the supervisor's root: back inside the caller's.
    if (root.prefix.empty() || (*target)[0] != '/') return *target;
    if (*target == root.prefix) return std::string("/");
    if (StartsWith(*target, root.prefix) && (*target)[root.prefix.size()] == '/')
      return target->substr(root.prefix.size());
    // A directory outside the caller's root (a chroot without chdir): the
    // kernel would resolve from there; the supervisor refuses.
    return Fail(EPERM, "directory outside the caller's root");
  }
  if (target.error().sys_errno == ENAMETOOLONG) {
    // Deeper than the kernel will print: walk up from the directory itself.
    UniqueFd dir(open(link.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (dir.valid()) return PathOfDirectory(dir.get(), root.fd.get());
  }
  return Fail(target.error().sys_errno == ENOENT ? EBADF : target.error().sys_errno, "dirfd");
}

namespace {

// /proc/PID/autogroup (or /proc/PID/task/TID/autogroup).
bool IsAutogroup(std::string_view p) {
  if (!StartsWith(p, "/proc/")) return false;
  const size_t slash = p.rfind('/');
  return p.substr(slash + 1) == "autogroup";
}

struct Resolution {
  bool ok = true;
  int err = 0;
};

// Calls that take a NULL path as "the descriptor itself": utimensat and
// futimesat with a real descriptor (with AT_FDCWD the kernel says EFAULT),
// and, with AT_EMPTY_PATH (Linux 6.11+), the stat and *xattrat calls and
// file_getattr/file_setattr (checked on this kernel: faccessat2, fchownat,
// fchmodat2 and readlinkat say EFAULT instead).
bool NullPathIsFd(const Call& c, int dirfd, uint64_t at) {
  switch (c.info.nr) {
    case __NR_utimensat:
    case __NR_futimesat: return dirfd != AT_FDCWD;
    case __NR_newfstatat:
    case __NR_statx:
    case kernel::uapi::kNrSetxattrat:
    case kernel::uapi::kNrGetxattrat:
    case kernel::uapi::kNrListxattrat:
    case kernel::uapi::kNrRemovexattrat:
    case kernel::uapi::kNrFileGetattr:
    case kernel::uapi::kNrFileSetattr: return (at & AT_EMPTY_PATH) != 0;
    default: return false;
  }
}

// Reads and resolves one path argument.
Resolution ReadAndResolve(Call& c, const policy::PathArg& pa, uint64_t open_flags,
                          const open_how* how, const ProcessTable::Root& root, PathArgValue* out,
                          bool keep_handle = false, const Resolved* sibling = nullptr, bool unchecked = false) {
  const int dirfd = pa.dirfd >= 0 ? static_cast<int>(c.arg(pa.dirfd) & 0xffffffffu) : AT_FDCWD;
  const uint64_t at = c.info.at_flags_arg >= 0 ? c.arg(c.info.at_flags_arg) : 0;
  if (pa.path < 0) {
    out->fd_only = true;
  } else if (c.arg(pa.path) == 0 && NullPathIsFd(c, dirfd, at)) {
    out->fd_only = true;  // utimensat(fd, NULL, ...), statx(fd, NULL, AT_EMPTY_PATH, ...): the fd
  } else {
    auto s = c.tracee.ReadString(c.arg(pa.path), PATH_MAX);
    if (!s) return {false, s.error().sys_errno ? s.error().sys_errno : EFAULT};
    out->raw_own = std::move(*s);
    if (out->raw_own.empty()) {
      // readlinkat(fd, "") reads the symlink an O_PATH descriptor names.
      if (!(at & AT_EMPTY_PATH) && c.info.nr != __NR_readlinkat) return {false, ENOENT};
      out->fd_only = true;
    }
  }
  if (out->fd_only) {
    if (dirfd == AT_FDCWD) {
      auto cwd = DirOf(c, AT_FDCWD, root);
      if (!cwd) return {false, cwd.error().sys_errno};
      out->resolved.path = *cwd;
      out->resolved.exists = true;
      return {};
    }
    auto target = DirOf(c, dirfd, root);
    if (!target) return {false, target.error().sys_errno == EPERM ? EPERM : EBADF};
    out->resolved.exists = true;
    if (target->empty() || (*target)[0] != '/') {
      // pipe:[..], socket:[..], anon_inode:[..]: no path to check.
      out->resolved.magic_link = true;
      out->resolved.path = fmt::format("/proc/{}/fd/{}", c.Tgid(), dirfd);
    } else {
      out->resolved.path = *target;
    }
    return {};
  }
  ResolveRequest rr;
  rr.root_fd = root.fd.get();
  rr.path = std::move(out->raw_own);  // lent to the request, back below (no copy)
  rr.follow_last = FollowLast(c, pa, open_flags);
  rr.slash_follows = pa.follow != policy::Follow::kNever;
  rr.want_parent = pa.follow == policy::Follow::kNever;  // performed on (parent, name): fs_write.cc
  rr.may_be_missing = MayBeMissing(pa, open_flags);
  rr.keep_handle = keep_handle;
  rr.may_defer_name = rr.want_parent;  // looked at only if denied (ResolveAndCheck)
  rr.sibling = rr.want_parent ? sibling : nullptr;  // rename's second path in the first's directory
  // What is followed to its end is never a symlink: the write calls that
  // act on it (chmod, chown, utimes, truncate, xattrs) need no type.
  rr.may_skip_type = c.info.kind == policy::CallKind::kPath && c.info.category == Category::kWrite;
  // An open no category checks reopens a file with no name left as the
  // kernel would (an open for writing performed while a process is locked).
  rr.deleted_as_object =
      unchecked && (c.info.kind == policy::CallKind::kOpen || c.info.kind == policy::CallKind::kOpenHow);
  rr.tid = c.tid();
  if (rr.path.find("self") != std::string::npos || rr.path.find("/proc") != std::string::npos || rr.path[0] != '/')
    rr.tgid = c.Tgid();
  else
    rr.tgid = c.tid();
  if (how) {
    rr.no_symlinks = how->resolve & RESOLVE_NO_SYMLINKS;
    rr.beneath = how->resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT);
    rr.in_root = how->resolve & RESOLVE_IN_ROOT;
  }
  if (rr.path[0] != '/' || rr.in_root) {
    auto start = DirOf(c, dirfd, root);
    if (!start) {
      out->raw_own = std::move(rr.path);
      return {false, start.error().sys_errno};
    }
    rr.start = std::move(*start);
  }
  auto r = Resolve(rr, &rr.path);
  if (!r) {
    out->raw_own = std::move(rr.path);
    return {false, r.error().sys_errno ? r.error().sys_errno : ENOENT};
  }
  out->resolved = std::move(*r);
  // Taken by the fast path: the string read is the resolved path itself.
  if (rr.path.empty()) out->raw_is_path = true;
  else out->raw_own = std::move(rr.path);
  return {};
}

void ReportResolveFailure(Call& c, Category cat, const std::string& raw, int err) {
  if (c.policy().raise_fail) Report(c, policy::CategoryName(cat), raw, false, "deny", err, "resolve");
}

}  // namespace

int ResolveForRules(Call& c, uint64_t open_flags, const open_how* how, std::vector<std::string>* out) {
  auto root = OpenCallerRoot(c.tid());
  if (!root) return ESRCH;
  std::optional<AsCaller> as;  // as in ResolveAndCheck: no existence oracle
  if (c.env.self.root) {
    auto cr = c.env.procs->CallerCreds(c.tracee);
    if (!cr) return ESRCH;
    as.emplace(c.env.self, *cr, kWalkAsCaller);
  }
  for (uint8_t i = 0; i < c.info.npaths; ++i) {
    PathArgValue v;
    Resolution r = ReadAndResolve(c, c.info.paths[i], open_flags, how, **root, &v);
    if (!r.ok) return r.err;
    // Rules decide on what exists, as the category check does on a denial.
    if (int e = LookAtName(&v.resolved, MayBeMissing(c.info.paths[i], open_flags))) return e;
    out->push_back(v.fd_only && v.resolved.magic_link ? v.resolved.path : InSupervisorView(**root, v.resolved.path));
  }
  return 0;
}

std::optional<Verdict> ReadIntent(Call& c, Intent* in) {
  const policy::SyscallInfo& info = c.info;
  if (info.kind == policy::CallKind::kOpenHow) {
    const size_t size = c.arg(3);
    if (size < sizeof(open_how) || size > 4096) return Verdict::Error(size < sizeof(open_how) ? EINVAL : E2BIG);
    if (!c.tracee.ReadMemory(c.arg(2), &in->how, sizeof in->how)) return Verdict::Error(EFAULT);
    in->has_how = true;
    in->open_flags = in->how.flags;
    in->open_mode = in->how.mode;
  } else if (info.nr == __NR_creat) {
    in->open_flags = O_CREAT | O_WRONLY | O_TRUNC;
    in->open_mode = c.arg(1);
  } else if (info.rule == policy::CategoryRule::kOpenFlags) {
    in->open_flags = c.arg(info.flags_arg) & 0xffffffffu;
    in->open_mode = c.arg(info.flags_arg + 1);
  }
  return std::nullopt;
}

std::variant<Verdict, Checked> ResolveAndCheck(Call& c, const Intent& in, Need need) {
  const policy::SyscallInfo& info = c.info;
  const policy::Policy& pol = c.policy();
  Checked out;
  out.cat = CategoryOf(c, in.open_flags);
  out.checked = pol.mode(out.cat) != Mode::kOff && !c.rule_allowed;
  NoteCategory(c, out.cat);
  // Nothing to decide: the kernel runs the call with its own arguments —
  // unless a sys/ rule allowed it on what it read of them: then the call is
  // performed here, on the same (below), never by the kernel reading the
  // caller's memory again.
  const bool pinned = c.RulePinned();
  if (!out.checked && !need.always && !pinned) return Verdict::Continue();
  c.WorkAhead();

  // The caller's root (and, when asked or when resolution must walk as the
  // caller, its ids: one process-table lookup for both).
  const bool walk_as_caller = c.env.self.root;
  const bool want_creds = need.creds || walk_as_caller;
  auto caller = c.env.procs->CallerInfo(c.tracee, want_creds);
  if (!caller) return Verdict::Error(ESRCH);
  out.root = std::move(caller->root);
  out.creds = std::move(caller->creds);
  if (!out.checked && !c.env.identity_changes_seen) {
    // Performed with no category on (a sys/ rule allowed it, openat2, an
    // open for writing while a process is locked): unless the kernel sends
    // the calls that change ids and root to user space (bpf/compile.cc),
    // what the table keeps may be stale.
    auto root = OpenCallerRoot(c.tid());
    if (!root) return Verdict::Error(ESRCH);
    out.root = std::move(*root);
    if (want_creds) {
      auto cr = kernel::ReadCreds(c.tid());
      if (!cr) return Verdict::Error(ESRCH);
      out.creds = std::move(*cr);
    }
    if (!c.tracee.Recheck()) return Verdict::None();
  }
  out.n = info.npaths;
  // A root supervisor walks the caller's paths with the caller's file
  // system identity: a directory the caller cannot search stops the walk
  // with EACCES as the kernel would, so what lies behind it (a name that
  // exists or not, one the policy denies) is never told apart.
  std::optional<AsCaller> as;
  if (walk_as_caller && out.creds) as.emplace(c.env.self, *out.creds, kWalkAsCaller);
  if (info.npaths == 2 && info.paths[0].path >= 0 && info.paths[1].path >= 0)
    c.tracee.PrefetchStrings(c.arg(info.paths[0].path), c.arg(info.paths[1].path));
  for (uint8_t i = 0; i < info.npaths; ++i) {
    PathArgValue& a = out.args[i];
    Resolution r =
        ReadAndResolve(c, info.paths[i], in.open_flags, in.has_how ? &in.how : nullptr, *out.root, &a, need.handle,
                       i > 0 ? &out.args[0].resolved : nullptr, !out.checked);
    NotePath(c, i, a.raw());  // as given, until resolved
    if (!r.ok) {
      if (!c.tracee.Valid()) return Verdict::None();
      if (out.checked) ReportResolveFailure(c, out.cat, a.raw(), r.err);
      return Verdict::Error(r.err);
    }
    if (!(a.resolved.magic_link && a.fd_only) && !out.root->prefix.empty()) {
      a.view = InSupervisorView(*out.root, a.resolved.path);
      a.in_view = true;
    }
    NotePath(c, i, a.seen());
    // The supervisor's /proc entries do not exist for the sandbox.
    if (NamesSupervisor(a.seen())) return Verdict::Error(ENOENT);
    // The rule that allowed the call looked at this argument: it must be
    // what the rule saw, else it changed in between (a racing thread).
    if (pinned) {
      const std::string* raw = info.paths[i].path >= 0 ? c.RuleString(info.paths[i].path) : nullptr;
      const auto& seen = c.rule_view.paths;
      if ((raw && *raw != a.raw()) || (seen && (seen->size() <= i || (*seen)[i] != a.seen()))) return Verdict::Error(EPERM);
    }
  }
  as.reset();
  // Everything read came from the caller: one confirmation for all the
  // arguments (resolution only looked, nothing was acted on yet).
  if (!c.tracee.Valid()) return Verdict::None();
  if (!out.checked) return out;

  const bool open_excl = (info.kind == policy::CallKind::kOpen || info.kind == policy::CallKind::kOpenHow) &&
                         (in.open_flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL);
  for (uint8_t i = 0; i < info.npaths; ++i) {
    const PathArgValue& a = out.args[i];
    // A process's autogroup is its session's, which the supervisor and the
    // user's other jobs share: its nice is not the sandbox's to change.
    if (out.cat == Category::kWrite && IsAutogroup(a.seen())) {
      static const lang::Origin kBuiltin{"builtin:autogroup", 0};
      policy::PathVerdict v;
      v.rule = &kBuiltin;
      if (auto verdict = Violate(c, out.cat, a.seen(), false, v, EPERM)) return std::move(*verdict);
    }
    if (a.fd_only && a.resolved.magic_link) continue;  // pipes, sockets: no path
    policy::PathVerdict v = c.decider->CheckPath(out.cat, a.seen(), pol.per_process_directories ? c.Tgid() : c.tid());
    if (v.allow) {
      if (i == 0) NoteDecision(c, DumpNote::Decision::kAllow, v.rule, true);  // the first path's rule
      continue;
    }
    // A denial: first what resolution would have said of names it did not
    // look at (ENOENT for a missing name comes before EPERM), and whether
    // the name exists (EEXIST below) — looked at as the caller too.
    if (walk_as_caller && out.creds) as.emplace(c.env.self, *out.creds, kWalkAsCaller);
    for (uint8_t j = 0; j < info.npaths; ++j) {
      PathArgValue& b = out.args[j];
      if (int e = LookAtName(&b.resolved, MayBeMissing(info.paths[j], in.open_flags))) {
        ReportResolveFailure(c, out.cat, b.raw(), e);
        return Verdict::Error(e);
      }
    }
    as.reset();
    int err = DenyErrno(c, out.cat);
    // "Safe" denials: creating what exists would fail anyway.
    if (out.cat == Category::kWrite && a.resolved.exists &&
        (info.nr == __NR_mkdir || info.nr == __NR_mkdirat || info.nr == __NR_mknod || info.nr == __NR_mknodat ||
         open_excl)) {
      err = EEXIST;
      if (!pol.raise_safe) v.filtered = true;
    }
    if (pol.mode(out.cat) == Mode::kBpf) v.filtered = true;  // bpf mode never reports
    if (auto verdict = Violate(c, out.cat, a.seen(), false, v, err)) return std::move(*verdict);
  }
  if (c.note && c.note->decision == DumpNote::Decision::kNone) NoteDecision(c, DumpNote::Decision::kAllow, nullptr, false);
  return out;
}


}  // namespace syd::supervisor
