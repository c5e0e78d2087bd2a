// How a notification is answered, in order:
//  1. a process released by exec/resume_if_match gets CONTINUE;
//  2. path arguments are read once from tracee memory, then the id is
//     re-validated (the tracee may have died and its pid been reused);
//  3. /dev/sydbox paths on stat-like calls are magic commands (§3.2);
//  4. every path is resolved as the kernel would and decided;
//  5. a denial is reported (unless filtered or "safe") and answered with
//     the category's errno, or the process (or all) killed;
//  6. an allowed open is performed here and the fd injected with
//     ADDFD|SEND, so the kernel never looks at the path again. Other allowed
//     calls get CONTINUE: docs/SECURITY.md lists them and why each is
//     acceptable until it is emulated too.
#include "supervisor/handlers.h"

#include "supervisor/call.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/socket.h>
#include <syslog.h>
#include <signal.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <thread>

#include "kernel/proc.h"
#include "policy/apply.h"
#include "policy/syscall_table.h"
#include "policy/syscalls.h"
#include "supervisor/reach.h"
#include "supervisor/resolve.h"
#include "util/strings.h"

namespace syd::supervisor {
namespace {

using policy::Category;
using policy::Mode;
using policy::SyscallInfo;

constexpr std::string_view kMagicPrefix = "/dev/sydbox";
constexpr uint64_t kTmpfileBit = 020000000;
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

struct PathArgValue {
  bool fd_only = false;   // the dirfd itself names the object
  std::string raw;        // as read from the tracee
  Resolved resolved;
};

Category CategoryOf(const Call& c, uint64_t open_flags) {
  switch (c.info.rule) {
    case policy::CategoryRule::kFixed: return c.info.category;
    case policy::CategoryRule::kOpenFlags: return policy::CategoryForOpenFlags(open_flags);
    case policy::CategoryRule::kAccessMode: return policy::CategoryForAccessMode(c.arg(c.info.flags_arg) & 0xffffffffu);
  }
  return c.info.category;
}

int DenyErrno(const Call& c, Category cat) {
  if (c.info.rule == policy::CategoryRule::kAccessMode) return EACCES;
  if (cat == Category::kStat) return ENOENT;
  return EPERM;
}

bool FollowLast(const Call& c, const policy::PathArg& pa, uint64_t open_flags) {
  const uint64_t at = c.info.at_flags_arg >= 0 ? c.arg(c.info.at_flags_arg) : 0;
  switch (pa.follow) {
    case policy::Follow::kYes: return true;
    case policy::Follow::kNo: return false;
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

struct Resolution {
  bool ok = true;
  int err = 0;
};

// Reads and resolves one path argument.
Resolution ReadAndResolve(Call& c, const policy::PathArg& pa, uint64_t open_flags,
                          const open_how* how, const ProcessTable::Root& root, PathArgValue* out) {
  const int dirfd = pa.dirfd >= 0 ? static_cast<int>(c.arg(pa.dirfd) & 0xffffffffu) : AT_FDCWD;
  const uint64_t at = c.info.at_flags_arg >= 0 ? c.arg(c.info.at_flags_arg) : 0;
  if (pa.path < 0) {
    out->fd_only = true;
  } else if (c.arg(pa.path) == 0 && c.info.nr == __NR_utimensat) {
    out->fd_only = true;  // utimensat(fd, NULL, ...) acts on fd
  } else {
    auto s = c.tracee.ReadString(c.arg(pa.path), PATH_MAX);
    if (!s) return {false, s.error().sys_errno ? s.error().sys_errno : EFAULT};
    out->raw = std::move(*s);
    if (out->raw.empty()) {
      if (!(at & AT_EMPTY_PATH)) return {false, ENOENT};
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
  rr.path = out->raw;
  rr.follow_last = FollowLast(c, pa, open_flags);
  rr.may_be_missing = MayBeMissing(pa, open_flags);
  rr.tid = c.tid();
  if (out->raw.find("self") != std::string::npos || out->raw.find("/proc") != std::string::npos ||
      out->raw[0] != '/')
    rr.tgid = c.Tgid();
  else
    rr.tgid = c.tid();
  if (how) {
    rr.no_symlinks = how->resolve & RESOLVE_NO_SYMLINKS;
    rr.beneath = how->resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT);
    rr.in_root = how->resolve & RESOLVE_IN_ROOT;
  }
  if (out->raw[0] != '/' || rr.in_root) {
    auto start = DirOf(c, dirfd, root);
    if (!start) return {false, start.error().sys_errno};
    rr.start = *start;
  }
  auto r = Resolve(rr);
  if (!r) return {false, r.error().sys_errno ? r.error().sys_errno : ENOENT};
  out->resolved = std::move(*r);
  return {};
}

// ---- magic stat (§3.2) -----------------------------------------------------

bool IsMagicPath(std::string_view p) {
  return StartsWith(p, kMagicPrefix) && (p.size() == kMagicPrefix.size() || p[kMagicPrefix.size()] == '/');
}

// Writes a /dev/null-like stat result into the caller's buffer.
int FillStat(Call& c) {
  const struct stat& st = c.env.null_stat;
  switch (c.info.nr) {
    case __NR_stat:
    case __NR_lstat:
      return c.tracee.WriteMemory(c.arg(1), &st, sizeof st) ? 0 : EFAULT;
    case __NR_newfstatat:
      return c.tracee.WriteMemory(c.arg(2), &st, sizeof st) ? 0 : EFAULT;
    case __NR_statx: {
      struct statx sx;
      std::memset(&sx, 0, sizeof sx);
      sx.stx_mask = STATX_BASIC_STATS;
      sx.stx_blksize = static_cast<uint32_t>(st.st_blksize);
      sx.stx_nlink = static_cast<uint32_t>(st.st_nlink);
      sx.stx_uid = st.st_uid;
      sx.stx_gid = st.st_gid;
      sx.stx_mode = static_cast<uint16_t>(st.st_mode);
      sx.stx_ino = st.st_ino;
      sx.stx_rdev_major = major(st.st_rdev);
      sx.stx_rdev_minor = minor(st.st_rdev);
      sx.stx_dev_major = major(st.st_dev);
      sx.stx_dev_minor = minor(st.st_dev);
      return c.tracee.WriteMemory(c.arg(4), &sx, sizeof sx) ? 0 : EFAULT;
    }
    default:
      return 0;  // access family: no buffer
  }
}

void HandleMagic(Call& c, const std::string& raw) {
  std::string_view cmd = std::string_view(raw).substr(kMagicPrefix.size());
  if (!cmd.empty()) cmd.remove_prefix(1);  // the '/'
  auto answer_ok = [&] {
    int e = FillStat(c);
    if (e) c.Error(e);
    else c.Value(0);
  };
  if (cmd.empty() || cmd == "3") {
    answer_ok();
    return;
  }
  auto parsed = lang::ParseCommand(cmd, lang::Origin{"/dev/sydbox", 0});
  if (!parsed) {
    c.env.reporter->Note(fmt::format("magic command from pid {} rejected: {}", c.tid(), parsed.error().what));
    c.Error(EINVAL);
    return;
  }
  const lang::Command& command = *parsed;
  if (command.op == lang::Op::kQuery) {
    auto q = policy::Query(c.policy(), command);
    if (!q) {
      c.Error(EINVAL);
      return;
    }
    if (*q) answer_ok();
    else c.Error(ENOENT);
    return;
  }
  if (command.key == "core/trace/magic_lock" && command.op == lang::Op::kSet) {
    // Per process: the caller (and what it forks afterwards) locks itself.
    const std::string& v = command.value;
    const bool on = v == "on" || v == "true" || v == "1", exec = v == "exec",
               off = v == "off" || v == "false" || v == "0";
    if (!on && !exec && !off) {
      c.Error(EINVAL);
      return;
    }
    c.env.procs->Update(c.Tgid(), [&](ProcState& st) {
      if (on) st.locked = true;
      if (exec) st.lock_on_exec = true;
      if (off) st.lock_on_exec = false;
    });
    answer_ok();
    return;
  }
  std::vector<std::string> warnings;
  auto st = c.env.policy->Change(command, &warnings);
  for (const auto& w : warnings) c.env.reporter->Note(w);
  if (!st) {
    c.env.reporter->Note(fmt::format("magic command '{}' from pid {} rejected: {}", cmd, c.tid(), st.error().what));
    c.Error(EINVAL);
    return;
  }
  answer_ok();
}

}  // namespace

// ---- violations --------------------------------------------------------------

void KillProcess(Call& c) { c.tracee.SignalProcess(SIGKILL); }

namespace {

// Writes one violation report for the current call (handing receiving
// over first: the log may be a pipe that is full).
void Report(Call& c, std::string_view category, const std::string& what, bool is_addr, const char* action, int err,
            std::string rule) {
  c.MayBlock();
  Violation rep;
  rep.pid = c.tid();
  rep.tgid = c.Tgid();
  rep.syscall = std::string(c.info.name);
  rep.category = std::string(category);
  rep.path = what;
  rep.is_addr = is_addr;
  rep.action = action;
  rep.err = err;
  rep.rule = std::move(rule);
  c.env.reporter->Report(rep);
}

}  // namespace

bool Violate(Call& c, Category cat, const std::string& what, bool is_addr, const policy::PathVerdict& v, int err) {
  const policy::Policy& p = c.policy();
  const char* action = "deny";
  switch (p.decision) {
    case policy::Decision::kDeny: action = "deny"; break;
    case policy::Decision::kKill: action = "kill"; break;
    case policy::Decision::kKillAll: action = "killall"; break;
    case policy::Decision::kCont: action = "cont"; break;
  }
  if (p.decision != policy::Decision::kCont) c.env.stats.denied.fetch_add(1, std::memory_order_relaxed);
  if (!v.filtered) {
    Report(c, policy::CategoryName(cat), what, is_addr, action, p.decision == policy::Decision::kDeny ? err : 0,
           v.rule ? v.rule->ToString() : policy::DefaultRuleName(cat));
  }
  switch (p.decision) {
    case policy::Decision::kDeny: c.Error(err); return false;
    case policy::Decision::kKill: KillProcess(c); c.Error(err); return false;
    case policy::Decision::kKillAll:
      c.Error(err);
      if (c.env.kill_all) c.env.kill_all();
      return false;
    case policy::Decision::kCont: return true;
  }
  return false;
}

void RunDetached(Call& c, std::function<void(Call&)> body) {
  HandlerEnv* env = &c.env;
  seccomp_notif req = c.req;
  env->fifo_threads.fetch_add(1);
  std::thread([env, req, body = std::move(body)]() {
    unshare(CLONE_FS);  // own cwd and umask, like the workers
    const SyscallInfo* i = policy::FindSyscall(req.data.nr);
    Call cc(req, *env, *i, env->policy->Load());
    body(cc);
    env->fifo_threads.fetch_sub(1);
  }).detach();
}

namespace {

void ReportResolveFailure(Call& c, Category cat, const std::string& raw, int err) {
  if (c.policy().raise_fail) Report(c, policy::CategoryName(cat), raw, false, "deny", err, "resolve");
}

// ---- open (ADDFD) -------------------------------------------------------------

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

void EmulateOpen(Call& c, const Resolved& target, uint64_t flags, uint64_t mode, int root_fd,
                 const std::optional<kernel::Creds>& known = std::nullopt) {
  kernel::Creds cr;
  bool switch_ids = false;
  const bool creates = flags & (O_CREAT | kTmpfileBit);
  if (creates || c.env.supervisor_is_root) {
    if (known) {
      cr = *known;  // read before the caller's validity was last checked
    } else {
      auto r = c.env.procs->CallerCreds(c.Tgid(), c.tid());
      if (!r) {
        c.Error(ESRCH);
        return;
      }
      cr = *r;
      // /proc may have been read just now: the pid must still be the caller.
      if (!c.tracee.Recheck()) return;
    }
    switch_ids = c.env.supervisor_is_root && (cr.fsuid != 0 || cr.fsgid != 0);
  }
  const uint64_t oflags = OpenFlagsForOpenat2(flags, c.info.kind == policy::CallKind::kOpenHow);
  const uint64_t omode = creates ? (mode & 07777 & ~static_cast<uint64_t>(cr.umask)) : 0;
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
  auto fd = AsCaller(cr, switch_ids, do_open);
  if (!fd) {
    c.Error(fd.error().sys_errno ? fd.error().sys_errno : EIO);
    return;
  }
  // ADDFD|SEND: installed and answered atomically (measured no slower than
  // ADDFD followed by SEND, which would take SYNC_WAKE_UP's path). The
  // ioctl returns only once the caller has run and installed the fd (never,
  // while it is stopped): hand receiving over first.
  c.MayBlock();
  auto added = c.env.nfd->AddFdAndSend(c.req.id, fd->get(), (flags & O_CLOEXEC) ? O_CLOEXEC : 0);
  if (added) c.env.stats.emulated.fetch_add(1, std::memory_order_relaxed);
  else if (added.error().sys_errno != ENOENT) c.Error(added.error().sys_errno);
}

// ---- getdents64 ----------------------------------------------------------------

struct LinuxDirent64 {
  uint64_t d_ino;
  int64_t d_off;
  uint16_t d_reclen;
  uint8_t d_type;
  char d_name[];
};

void HandleGetdents(Call& c) {
  const policy::Policy& p = c.policy();
  bool may_hide = p.mode(Category::kStat) == Mode::kDeny;
  for (const auto& r : p.path_rules[static_cast<size_t>(Category::kStat)])
    may_hide = may_hide || r.action == policy::ListAction::kDeny;
  if (!may_hide) {
    c.Continue();  // nothing can be hidden: the kernel lists the directory itself
    return;
  }
  c.MayBlock();  // a whole directory read and checked, entry by entry
  const int fd = static_cast<int>(c.arg(0) & 0xffffffffu);
  const size_t count = std::min<uint64_t>(c.arg(2) & 0xffffffffu, 1 << 20);
  auto dup = c.tracee.TakeFd(fd);
  if (!dup) {
    if (dup.error().sys_errno != ESRCH) c.Error(EBADF);
    return;
  }
  auto dir = kernel::ReadLink(AT_FDCWD, fmt::format("/proc/self/fd/{}", dup->get()));
  if (!dir) {
    c.Error(EBADF);
    return;
  }
  std::vector<char> in(count), out(count);
  for (;;) {
    long n = syscall(SYS_getdents64, dup->get(), in.data(), count);
    if (n <= 0) {
      if (n < 0) c.Error(errno);
      else c.Value(0);
      return;
    }
    size_t kept = 0;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<LinuxDirent64*>(in.data() + off);
      std::string_view name(d->d_name);
      bool keep = name == "." || name == "..";
      if (!keep) {
        std::string path = JoinPath(*dir, std::string(name));
        keep = c.decider->CheckPath(Category::kStat, path, c.Tgid()).allow;
      }
      if (keep) {
        std::memcpy(out.data() + kept, d, d->d_reclen);
        kept += d->d_reclen;
      }
      off += d->d_reclen;
    }
    if (kept > 0) {
      if (!c.tracee.WriteMemory(c.arg(1), out.data(), kept)) c.Error(EFAULT);
      else c.Value(static_cast<int64_t>(kept));
      return;
    }
    // Everything in this batch was hidden: read on.
  }
}


// Category sandboxing (SPEC §2), after the sys/ rules; `info` is the
// checked-syscall entry of the call.
void CategoryFlow(Call& c, const SyscallInfo* info, const open_how& how, uint64_t open_flags, uint64_t open_mode) {
  HandlerEnv& env = c.env;
  const Category cat = CategoryOf(c, open_flags);
  const policy::Policy& pol = c.policy();
  const bool emulate_open = info->kind == policy::CallKind::kOpen || info->kind == policy::CallKind::kOpenHow;

  if (info->kind == policy::CallKind::kNet) {
    HandleNet(c);
    return;
  }
  if (info->kind == policy::CallKind::kDirList) {
    if (c.rule_allowed) c.Continue();
    else HandleGetdents(c);
    return;
  }

  const bool checked = pol.mode(cat) != Mode::kOff && !c.rule_allowed;
  // An exec needs a look only for exec controls or a pending exec lock.
  const bool exec_controls = info->kind == policy::CallKind::kExec &&
                             (!pol.exec_kill_if_match.empty() || !pol.exec_resume_if_match.empty() ||
                              env.procs->any_exec_lock());
  if (!checked && !exec_controls && info->kind != policy::CallKind::kOpenHow) {
    // Nothing to decide: the kernel runs the call with its own arguments.
    c.Continue();
    return;
  }
  c.WorkAhead();

  // Resolve every path argument against the caller's root (and, for an
  // open that creates or a root supervisor, learn the caller's ids: one
  // process-table lookup for both).
  const bool emulate = info->kind == policy::CallKind::kOpen || info->kind == policy::CallKind::kOpenHow;
  auto caller = env.procs->CallerInfo(c.Tgid(), c.tid(),
                                      emulate && ((open_flags & (O_CREAT | kTmpfileBit)) || env.supervisor_is_root));
  if (!caller) {
    c.Error(ESRCH);
    return;
  }
  const std::shared_ptr<const ProcessTable::Root> root = caller->root;
  PathArgValue args[2];
  std::string seen[2];  // each path as the supervisor sees it: what is matched and reported
  for (uint8_t i = 0; i < info->npaths; ++i) {
    Resolution r = ReadAndResolve(c, info->paths[i], open_flags, info->kind == policy::CallKind::kOpenHow ? &how : nullptr,
                                  *root, &args[i]);
    if (!c.tracee.Valid()) return;
    if (!r.ok) {
      if (checked) ReportResolveFailure(c, cat, args[i].raw, r.err);
      c.Error(r.err);
      return;
    }
    seen[i] = args[i].resolved.magic_link && args[i].fd_only ? args[i].resolved.path
                                                              : InSupervisorView(*root, args[i].resolved.path);
    // The supervisor's /proc entries do not exist for the sandbox.
    if (NamesSupervisor(seen[i])) {
      c.Error(ENOENT);
      return;
    }
  }

  if (checked) {
    for (uint8_t i = 0; i < info->npaths; ++i) {
      const Resolved& res = args[i].resolved;
      if (args[i].fd_only && res.magic_link) continue;  // pipes, sockets: no path
      policy::PathVerdict v =
          c.decider->CheckPath(cat, seen[i], pol.per_process_directories ? c.Tgid() : c.tid());
      if (v.allow) continue;
      int err = DenyErrno(c, cat);
      // "Safe" denials: creating what exists would fail anyway.
      if (cat == Category::kWrite && res.exists &&
          (info->nr == __NR_mkdir || info->nr == __NR_mkdirat || info->nr == __NR_mknod ||
           info->nr == __NR_mknodat || (emulate_open && (open_flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)))) {
        err = EEXIST;
        if (!pol.raise_safe) v.filtered = true;
      }
      if (pol.mode(cat) == Mode::kBpf) v.filtered = true;  // bpf mode never reports
      if (!Violate(c, cat, seen[i], false, v, err)) return;
    }
  }

  if (exec_controls) {
    const std::string& path = seen[0];
    if (c.decider->ExecKill(path)) {
      Report(c, "exec", path, false, "kill", 0, "exec/kill_if_match");
      KillProcess(c);
      c.Error(EPERM);
      return;
    }
    if (c.decider->ExecResume(path)) {
      env.procs->Update(c.Tgid(), [](ProcState& st) { st.resumed = true; });
    }
    env.procs->OnExec(c.Tgid());
    c.Continue();
    return;
  }

  if (emulate_open) {
    const Resolved& target = args[0].resolved;
    if (target.type == S_IFIFO && !(open_flags & O_NONBLOCK)) {
      // Opening a FIFO blocks until the other end opens, possibly in another
      // sandboxed process: do it on a thread of its own so no worker waits.
      RunDetached(c, [target, open_flags, open_mode, root](Call& cc) {
        EmulateOpen(cc, target, open_flags, open_mode, root->fd.get());
      });
      return;
    }
    EmulateOpen(c, target, open_flags, open_mode, root->fd.get(), caller->creds);
    return;
  }
  c.Continue();
}

// ---- sys/ rules in user space ---------------------------------------------------

// The call may run. The kernel runs it (CONTINUE), except pidfd_send_signal,
// whose descriptor could change under a CONTINUE: the supervisor sends the
// signal itself (reach.h).
void Proceed(Call& c) {
  if (c.req.data.nr == __NR_pidfd_send_signal) HandlePidfdSignal(c);
  else c.Continue();
}

// What the rule evaluator may ask about the call, read only when asked.
class CallContext final : public policy::RuleContext {
 public:
  CallContext(Call& c, const SyscallInfo* info, uint64_t open_flags, const open_how* how)
      : c_(c), info_(info), open_flags_(open_flags), how_(how) {}

  std::optional<std::string> String(int arg) override {
    auto s = c_.tracee.ReadString(c_.arg(arg), PATH_MAX);
    if (!s || !c_.tracee.Valid()) return std::nullopt;
    return std::move(*s);
  }
  std::vector<std::string> Paths() override {
    std::vector<std::string> out;
    if (!info_ || info_->npaths == 0) return out;
    auto root = OpenCallerRoot(c_.tid());
    if (!root) return out;
    for (uint8_t i = 0; i < info_->npaths; ++i) {
      PathArgValue v;
      Resolution r = ReadAndResolve(c_, info_->paths[i], open_flags_, how_, **root, &v);
      if (!r.ok) {
        resolve_errno_ = r.err;
        return {};
      }
      out.push_back(v.fd_only && v.resolved.magic_link ? v.resolved.path : InSupervisorView(**root, v.resolved.path));
    }
    return out;
  }
  // Set when a rule needed a path that cannot be resolved: the kernel would
  // fail the call with this errno, and so does the supervisor.
  int resolve_errno() const { return resolve_errno_; }
  std::optional<policy::SockAddr> Address() override {
    if (!info_ || info_->kind != policy::CallKind::kNet) return std::nullopt;
    uint64_t ptr = 0, len = 0;
    switch (info_->nr) {
      case __NR_bind:
      case __NR_connect: ptr = c_.arg(1); len = c_.arg(2) & 0xffffffffu; break;
      case __NR_sendto: ptr = c_.arg(4); len = c_.arg(5) & 0xffffffffu; break;
      default: {  // sendmsg, sendmmsg: the first message's name
        msghdr mh;
        if (!c_.tracee.ReadMemory(c_.arg(1), &mh, sizeof mh)) return std::nullopt;
        ptr = reinterpret_cast<uint64_t>(mh.msg_name);
        len = mh.msg_namelen;
      }
    }
    if (!ptr || len == 0 || len > sizeof(sockaddr_storage)) return std::nullopt;
    sockaddr_storage ss;
    if (!c_.tracee.ReadMemory(ptr, &ss, len)) return std::nullopt;
    auto a = policy::ParseSockaddr(&ss, len);
    if (!a) return std::nullopt;
    return std::move(*a);
  }
  std::string Comm() override { return kernel::ReadComm(c_.tid()); }
  std::string Cmdline() override { return kernel::ReadCmdline(c_.Tgid()); }

 private:
  Call& c_;
  const SyscallInfo* info_;
  uint64_t open_flags_;
  const open_how* how_;
  int resolve_errno_ = 0;
};

// log / :log=FD|syslog: one JSON line per logged call.
void LogCall(Call& c, const policy::SysRule& r, int64_t dest) {
  c.MayBlock();
  std::string name(policy::SyscallName(c.req.data.nr));
  std::string line = fmt::format(
      "{{\"event\":\"syscall\",\"pid\":{},\"tgid\":{},\"comm\":\"{}\",\"syscall\":\"{}\",\"nr\":{},"
      "\"args\":[{},{},{},{},{},{}],\"rule\":\"{}\"}}\n",
      c.tid(), c.Tgid(), JsonEscape(kernel::ReadComm(c.tid())), name.empty() ? "?" : name, c.req.data.nr,
      c.arg(0), c.arg(1), c.arg(2), c.arg(3), c.arg(4), c.arg(5), JsonEscape(r.origin.ToString()));
  if (dest == -1) {
    syslog(LOG_INFO, "%s", line.c_str());
  } else if (dest >= 0) {
    (void)!write(static_cast<int>(dest), line.data(), line.size());
  } else {
    c.env.reporter->Line(line);
  }
}

void Trap(Call& c) { c.tracee.SignalThread(SIGSYS); }

void SignalProcess(Call& c, int sig) { c.tracee.SignalProcess(sig); }

// Carries out the deciding rule. Returns true if category sandboxing still
// has to run (allow: with its checks skipped; trace without an outcome).
bool ApplyRule(Call& c, const policy::SysRule& r) {
  using K = lang::OptKind;
  if (r.restrictive) c.env.stats.denied.fetch_add(1, std::memory_order_relaxed);
  if (const auto* lo = r.Option(K::kLog)) LogCall(c, r, lo->number);
  auto number = [&](K k, int64_t dflt) { const auto* o = r.Option(k); return o ? o->number : dflt; };
  switch (r.rule.action) {
    case lang::RuleAction::kKillProcess:
      SignalProcess(c, SIGKILL);
      c.Error(EPERM);
      return false;
    case lang::RuleAction::kKillThread:
      // A single thread cannot be killed from outside: the process goes.
      c.tracee.SignalThread(SIGKILL);
      c.Error(EPERM);
      return false;
    case lang::RuleAction::kFault:
      c.Error(static_cast<int>(number(K::kError, EPERM)));
      return false;
    case lang::RuleAction::kTrap:
      Trap(c);
      if (r.Option(K::kRetval)) c.Value(number(K::kRetval, 0));
      else c.Error(static_cast<int>(number(K::kError, ENOSYS)));
      return false;
    case lang::RuleAction::kAllow:
      c.rule_allowed = true;
      return true;
    case lang::RuleAction::kLog:
    case lang::RuleAction::kTrace:
      break;
  }
  if (const auto* o = r.Option(K::kKillProcess)) {
    SignalProcess(c, static_cast<int>(o->number));
    c.Error(EPERM);
    return false;
  }
  if (const auto* o = r.Option(K::kKillThread)) {
    c.tracee.SignalThread(static_cast<int>(o->number));
    c.Error(EPERM);
    return false;
  }
  if (const auto* o = r.Option(K::kDetachProcess)) {
    c.env.procs->Update(c.Tgid(), [](ProcState& st) { st.resumed = true; });
    if (o->number) SignalProcess(c, static_cast<int>(o->number));
    Proceed(c);
    return false;
  }
  if (const auto* o = r.Option(K::kDetachThread)) {
    c.env.procs->DetachThread(c.tid());
    if (o->number) c.tracee.SignalThread(static_cast<int>(o->number));
    Proceed(c);
    return false;
  }
  if (r.Option(K::kTrap) || r.Option(K::kRetval)) {
    Trap(c);
    if (r.Option(K::kRetval)) c.Value(number(K::kRetval, 0));
    else c.Error(static_cast<int>(number(K::kTrap, ENOSYS)));
    return false;
  }
  if (r.Option(K::kFault)) {
    c.Error(static_cast<int>(number(K::kFault, EPERM)));
    return false;
  }
  if (r.Option(K::kAllow)) c.rule_allowed = true;
  return true;  // no outcome given: category sandboxing decides
}

}  // namespace

void HandleNotification(const seccomp_notif& req, HandlerEnv& env) {
  const SyscallInfo* info = policy::FindSyscall(req.data.nr);
  // Calls that are only here for a sys/ rule have no checked-syscall entry;
  // `placeholder` keeps Call's reference valid and is never consulted then.
  static const SyscallInfo placeholder{};
  Call c(req, env, info ? *info : placeholder, env.policy->Load());
  // A call acting on another process (policy/reach.h) that the kernel sent
  // here: its target is checked first, for every process, released or not.
  if (const policy::ReachCall* reach = policy::FindReachCall(req.data.nr);
      reach && reach->target != policy::Target::kPidfd) {
    if (int e = CheckReach(c, *reach)) {
      c.Error(e);
      return;
    }
  }
  if (env.procs->any_resumed() &&
      (env.procs->ThreadDetached(c.tid()) || env.procs->Get(c.Tgid()).resumed)) {
    Proceed(c);  // released (resume_if_match, detach_*): only the kernel program applies
    return;
  }

  // A call that changes the caller's identity, umask or root: forget what
  // was cached for its opens (before the call: it may change them now).
  for (int nr : policy::CredentialSyscalls()) {
    if (nr == req.data.nr) {
      env.procs->MarkVolatile(c.Tgid());
      break;
    }
  }

  // Intent: open flags (from the register or struct open_how).
  open_how how{};
  uint64_t open_flags = 0, open_mode = 0;
  if (info && info->kind == policy::CallKind::kOpenHow) {
    const size_t size = c.arg(3);
    if (size < sizeof(open_how) || size > 4096) {
      c.Error(size < sizeof(open_how) ? EINVAL : E2BIG);
      return;
    }
    if (!c.tracee.ReadMemory(c.arg(2), &how, sizeof how)) {
      c.Error(EFAULT);
      return;
    }
    open_flags = how.flags;
    open_mode = how.mode;
  } else if (info && info->nr == __NR_creat) {
    open_flags = O_CREAT | O_WRONLY | O_TRUNC;
    open_mode = c.arg(1);
  } else if (info && info->rule == policy::CategoryRule::kOpenFlags) {
    open_flags = c.arg(info->flags_arg) & 0xffffffffu;
    open_mode = c.arg(info->flags_arg + 1);
  }

  // Magic stat first: the raw string decides, before rules and resolution.
  // Most stat calls are not magic: 12 bytes tell, the rest is read only
  // for a /dev/sydbox path.
  if (info && info->magic) {
    char prefix[12];
    ssize_t n = c.tracee.ReadSome(c.arg(info->paths[0].path), prefix, sizeof prefix);
    if (n >= static_cast<ssize_t>(kMagicPrefix.size()) &&
        IsMagicPath(std::string_view(prefix, static_cast<size_t>(n)).substr(0, std::min<size_t>(n, strnlen(prefix, n))))) {
      auto raw = c.tracee.ReadString(c.arg(info->paths[0].path), PATH_MAX);
      if (raw && IsMagicPath(*raw) && c.tracee.Valid() && !env.procs->Get(c.Tgid()).locked) {
        HandleMagic(c, *raw);
        return;
      }
    }
  }

  // sys/ rules, in order; the category sandboxing is the final rule.
  if (c.decider->HasRules(req.data.nr)) {
    c.WorkAhead();
    CallContext ctx(c, info, open_flags, info && info->kind == policy::CallKind::kOpenHow ? &how : nullptr);
    policy::RuleOutcome out = policy::EvaluateRules(c.decider->rules(), req.data.nr, reinterpret_cast<const uint64_t*>(req.data.args), ctx);
    if (!c.tracee.Recheck()) return;  // memory or /proc of the caller was read
    for (const policy::SysRule* lr : out.logged) {
      const auto* o = lr->Option(lang::OptKind::kLog);
      LogCall(c, *lr, o ? o->number : -2);
    }
    if (ctx.resolve_errno()) {
      c.Error(ctx.resolve_errno());
      return;
    }
    if (out.rule && !ApplyRule(c, *out.rule)) return;
  }
  if (!info) {
    Proceed(c);  // no rule decided and no category applies: allowed, as in the kernel
    return;
  }
  CategoryFlow(c, info, how, open_flags, open_mode);
}

uint64_t Stats::Percentile(double fraction) const {
  uint64_t total = 0;
  for (const auto& b : latency_us) total += b.load(std::memory_order_relaxed);
  if (total == 0) return 0;
  const uint64_t want = static_cast<uint64_t>(fraction * static_cast<double>(total) + 0.5);
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += latency_us[i].load(std::memory_order_relaxed);
    if (seen >= want && seen > 0) return static_cast<uint64_t>(i) + 1;  // bucket i holds [i, i+1) µs
  }
  return kBuckets;
}

std::string Stats::Json() const {
  return fmt::format(
      "{{\"event\":\"stats\",\"notifications\":{},\"continued\":{},\"emulated\":{},\"errors\":{},"
      "\"denied\":{},\"latency_us\":{{\"p50\":{},\"p99\":{}}},\"workers\":{}}}",
      received.load(), continued.load(), emulated.load(), errors.load(), denied.load(), Percentile(0.5),
      Percentile(0.99), workers.load());
}

}  // namespace syd::supervisor
