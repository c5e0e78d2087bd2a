// Network calls are decided on the address read once from the caller's
// memory and then performed here, on a pidfd_getfd copy of the caller's
// socket (the same open file description), with that same address: the
// kernel never reads the caller's sockaddr again, so a racing thread cannot
// swap it after the check. UNIX socket paths are resolved like any path;
// the call is made relative to an O_PATH handle of the resolved parent
// (this thread has its own cwd, see Run()), as the caller's fsuid/fsgid.
// Calls that may block (connect, sends on blocking sockets) run on the
// blocking-call pool (blocking.h), where the caller's signals interrupt
// them.
// bind() of a UNIX socket path creates a file: it is a write-category
// check on that path as well (whatever network sandboxing is), and the
// socket is bound with the very address the caller gave, so getsockname()
// and core/allowlist/successful_bind see what they would natively — see
// BindUnixExact for how that stays race-free.
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "supervisor/caller.h"
#include "supervisor/families.h"
#include "supervisor/resolve.h"
#include "util/strings.h"

namespace syd::supervisor {
namespace {

using policy::AddrFamily;
using policy::Category;
using policy::SockAddr;

constexpr size_t kMaxSend = 4 << 20;  // bytes copied per emulated send
constexpr size_t kMaxIov = 1024;      // UIO_MAXIOV
constexpr size_t kMaxControl = 64 << 10;

// One decided address, ready to be used by the supervisor.
struct Target {
  SockAddr addr;                 // as decided (unix paths resolved)
  std::vector<char> raw;         // the sockaddr bytes as the caller gave them
  std::string unix_parent;       // for named unix sockets: resolved parent dir (in the caller's root)
  std::string unix_name;         //   and last component
  std::shared_ptr<const ProcessTable::Root> root;  //   and that root
};

// Nothing when the address is allowed (t filled); otherwise the verdict.
// A bind's socket path is a write of that path too, where write
// sandboxing is on; the address is checked only where network sandboxing
// is.
std::optional<Verdict> ReadAndDecide(Call& c, Category cat, uint64_t ptr, uint64_t len, bool creates, Target* t) {
  if (len > sizeof(sockaddr_storage)) return Verdict::Error(EINVAL);
  t->raw.resize(len);
  if (len && !c.tracee.ReadMemory(ptr, t->raw.data(), len)) return Verdict::Error(EFAULT);
  auto a = policy::ParseSockaddr(t->raw.data(), len);
  if (!a) return Verdict::Error(EINVAL);
  t->addr = std::move(*a);
  // For the dump, also when the socket path below does not resolve.
  NoteCategory(c, cat);
  NoteAddress(c, t->raw.data(), len, std::string());
  if (t->addr.raw_family == AF_UNSPEC) return std::nullopt;  // connect(AF_UNSPEC) dissolves an association
  if (t->addr.family == AddrFamily::kUnix && !t->addr.unnamed) {
    // Resolve the socket path as the caller would see it.
    auto root = OpenCallerRoot(c.tid());
    if (!root) return Verdict::Error(ESRCH);
    t->root = *root;
    ResolveRequest rr;
    rr.root_fd = t->root->fd.get();
    rr.path = t->addr.path;
    rr.follow_last = !creates;
    rr.may_be_missing = creates;
    rr.tid = c.tid();
    rr.tgid = c.Tgid();
    if (rr.path[0] != '/') {
      auto cwd = DirOf(c, AT_FDCWD, *t->root);
      if (!cwd) return Verdict::Error(cwd.error().sys_errno ? cwd.error().sys_errno : ENOENT);
      rr.start = *cwd;
    }
    std::optional<AsCaller> as;  // no existence oracle (caller.h)
    if (c.env.self.root) {
      auto cr = c.env.procs->CallerCreds(c.tracee);
      if (!cr) return Verdict::Error(ESRCH);
      as.emplace(c.env.self, *cr, kWalkAsCaller);
    }
    auto r = Resolve(rr);
    as.reset();
    if (!r) return Verdict::Error(r.error().sys_errno ? r.error().sys_errno : ENOENT);
    t->addr.path = InSupervisorView(*t->root, r->path);
    size_t slash = r->path.rfind('/');
    t->unix_parent = slash == 0 ? "/" : r->path.substr(0, slash);
    t->unix_name = r->path.substr(slash + 1);
    if (t->unix_name.size() >= sizeof(sockaddr_un::sun_path)) return Verdict::Error(ENAMETOOLONG);
  }
  NoteCategory(c, cat);
  NoteAddress(c, t->raw.data(), len, t->unix_name.empty() ? std::string() : t->addr.path);
  if (c.rule_allowed) {
    // A sys/ rule allowed the call on the address it read: the first
    // address used must be those very bytes (a racing thread may have
    // changed them since).
    if (c.rule_view.addr && !c.rule_view.addr_compared) {
      c.rule_view.addr_compared = true;
      if (*c.rule_view.addr != t->raw) return Verdict::Error(EPERM);
    }
    return std::nullopt;
  }
  const policy::Policy& pol = c.policy();
  if (cat == Category::kNetBind && !t->unix_name.empty() && pol.mode(Category::kWrite) != policy::Mode::kOff) {
    const std::string& path = t->addr.path;  // as the supervisor sees it
    policy::PathVerdict w = c.decider->CheckPath(Category::kWrite, path, pol.per_process_directories ? c.Tgid() : c.tid());
    if (!w.allow) {
      if (pol.mode(Category::kWrite) == policy::Mode::kBpf) w.filtered = true;
      if (auto v = Violate(c, Category::kWrite, path, false, w, EPERM)) return v;
    }
  }
  if (pol.mode(cat) == policy::Mode::kOff) return std::nullopt;  // only the write was checked
  policy::PathVerdict v = c.decider->CheckAddr(cat, t->addr);
  NoteCategory(c, cat);  // (after a bind's write check)
  if (v.allow) {
    NoteDecision(c, DumpNote::Decision::kAllow, v.rule, true);
    return std::nullopt;
  }
  if (c.policy().mode(cat) == policy::Mode::kBpf) v.filtered = true;
  return Violate(c, cat, t->addr.ToString(), true, v, EPERM);  // nothing with decision cont
}

// The caller's socket, taken through a pidfd confirmed to be the caller's
// (tracee.h), after everything read from its memory is confirmed too.
Result<UniqueFd> CallerSocket(Call& c, int fd) { return c.tracee.TakeFd(fd); }

bool IsBlocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  return fl >= 0 && !(fl & O_NONBLOCK);
}

// Runs `op(addr, len)` with the target address as the caller (caller.h:
// its ids, groups and capabilities where the supervisor runs as root, its
// umask for a socket file `creates` makes): named unix sockets from their
// parent directory.
// Runs op() as the caller, with its real and effective ids (a peer sees
// the sending or connecting thread's), its umask where a file is created.
long AsSender(Call& c, bool creates, uint64_t add_caps, const std::function<long()>& op) {
  std::optional<kernel::Creds> cr;
  if (c.env.self.root || creates) {
    auto r = kernel::ReadCreds(c.tid());
    if (!r || !c.tracee.Recheck()) return -ESRCH;
    cr = std::move(*r);
  }
  auto call = [&] {
    long rc = op();
    return rc < 0 ? -errno : rc;
  };
  return cr ? WithCaller(c.env.self, *cr, Act{.umask = creates, .full_ids = true, .add_caps = add_caps}, call)
            : call();
}

long WithAddress(Call& c, const Target& t, bool creates, const std::function<long(const sockaddr*, socklen_t)>& op,
                 uint64_t add_caps = 0) {
  auto run = [&](const sockaddr* sa, socklen_t len) -> long {
    return AsSender(c, creates, add_caps, [&] { return op(sa, len); });
  };
  if (t.unix_name.empty()) return run(reinterpret_cast<const sockaddr*>(t.raw.data()), static_cast<socklen_t>(t.raw.size()));
  auto parent = OpenResolved(t.root->fd.get(), t.unix_parent, O_PATH | O_DIRECTORY, 0);
  if (!parent) return -(parent.error().sys_errno ? parent.error().sys_errno : ENOENT);
  if (fchdir(parent->get()) != 0) return -errno;  // this thread's own cwd
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::memcpy(un.sun_path, t.unix_name.data(), t.unix_name.size());
  return run(reinterpret_cast<const sockaddr*>(&un),
             static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + t.unix_name.size() + 1));
}

// Binds `sock` to the caller's own address (the string it gave, so that
// getsockname() returns it) while making sure the socket file is created
// in the directory that was checked. The kernel resolves that string
// again at bind time, following symlinks: bound as given from here, a
// directory swapped for a symlink after the check would redirect it. So
// the bind is made by a short-lived child process in a mount namespace of
// its own (inside a user namespace of its own when unprivileged), whose
// root is an empty tmpfs holding exactly the directories the string names,
// the last of them a bind mount of the checked directory (made from a
// descriptor, by open_tree/move_mount). Nothing there can be swapped: the
// string resolves to the checked directory by construction. The checked
// directory is reopened by its path in the new namespace (the new
// namespace's copy of the mount is needed) with RESOLVE_NO_SYMLINKS and
// must be the same inode. The child takes the caller's identity and
// umask, binds, and reports the errno on a pipe.
// Returns -errno, 0, or kCannotExact when this cannot be done (no user
// namespaces, a string with "." or ".." components): the caller then
// binds by the bare name from the checked directory (race-free too, but
// getsockname() shows the bare name).
constexpr long kCannotExact = 1;

long BindUnixExact(Call& c, const Target& t, int sock, const kernel::Creds& cr) {
  // The caller's string as given, split into its directory components.
  const sockaddr_un* un = reinterpret_cast<const sockaddr_un*>(t.raw.data());
  const size_t max = t.raw.size() - offsetof(sockaddr_un, sun_path);
  const std::string given(un->sun_path, strnlen(un->sun_path, max));
  std::vector<std::string> dirs;
  for (std::string_view comp : Split(given, '/'))
    if (!comp.empty()) dirs.emplace_back(comp);
  if (dirs.empty() || dirs.back() != t.unix_name) return kCannotExact;
  dirs.pop_back();
  for (const std::string& d : dirs)
    if (d == "." || d == "..") return kCannotExact;
  const bool absolute = given[0] == '/';
  // The checked directory, reached as the caller (every ancestor's search
  // permission is the caller's).
  auto parent = WithCaller(c.env.self, cr, Act{}, [&] {
    return OpenResolved(t.root->fd.get(), t.unix_parent, O_PATH | O_DIRECTORY, 0);
  });
  if (!parent) return -(parent.error().sys_errno ? parent.error().sys_errno : ENOENT);
  struct stat pst;
  if (fstat(parent->get(), &pst) != 0) return -errno;
  if (dirs.empty() && !absolute) {
    // "name": relative to the cwd, which is the checked directory here.
    if (fchdir(parent->get()) != 0) return -errno;
    return WithCaller(c.env.self, cr, Act{.umask = true}, [&]() -> long {
      return bind(sock, reinterpret_cast<const sockaddr*>(t.raw.data()), static_cast<socklen_t>(t.raw.size())) == 0
                 ? 0
                 : -errno;
    });
  }
  // Everything the child needs, prepared here (it may not allocate).
  const std::string parent_path = InSupervisorView(*t.root, t.unix_parent);
  const std::string uid_map = fmt::format("{} {} 1", geteuid(), geteuid());
  const std::string gid_map = fmt::format("{} {} 1", getegid(), getegid());
  const bool root = c.env.self.root;
  if (!root && !c.env.ptrace_scoped) return kCannotExact;
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) return -errno;
  c.MayBlock();
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(pipefd[0]);
    close(pipefd[1]);
    return -e;
  }
  if (pid == 0) {
    close(pipefd[0]);
    auto report = [&](int v) {
      (void)!write(pipefd[1], &v, sizeof v);
      _exit(0);
    };
    auto put = [](const char* file, const std::string& text) {
      int fd = open(file, O_WRONLY | O_CLOEXEC);
      bool ok = fd >= 0 && write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
      if (fd >= 0) close(fd);
      return ok;
    };
    // Nothing of the supervisor's stays open here but what the bind needs.
    int keep[2] = {std::min(sock, pipefd[1]), std::max(sock, pipefd[1])};
    (void)syscall(SYS_close_range, 3, keep[0] - 1, 0);
    (void)syscall(SYS_close_range, keep[0] + 1, keep[1] - 1, 0);
    (void)syscall(SYS_close_range, keep[1] + 1, ~0U, 0);
    if (unshare(root ? CLONE_NEWNS : (CLONE_NEWUSER | CLONE_NEWNS)) != 0) report(kCannotExact);
    if (!root) {
      // A non-dumpable process cannot write its own id maps (its /proc
      // files are root's): dumpable for as long as that takes. The
      // sandbox's Landlock domain keeps it from reaching this process
      // meanwhile (the reason this path needs ptrace scoping).
      prctl(PR_SET_DUMPABLE, 1);
      bool mapped = put("/proc/self/setgroups", "deny") && put("/proc/self/uid_map", uid_map) &&
                    put("/proc/self/gid_map", gid_map);
      prctl(PR_SET_DUMPABLE, 0);
      if (!mapped) report(kCannotExact);
    }
    // The skeleton's directories 0755 whatever the last caller's umask this
    // worker took (caller.h: a worker does not put it back).
    ResetThreadUmask();
    int fs = static_cast<int>(syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC));
    if (fs < 0 || syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) report(kCannotExact);
    int top = static_cast<int>(syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0));
    if (top < 0) report(kCannotExact);
    open_how how{};
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    int again = static_cast<int>(syscall(SYS_openat2, AT_FDCWD, parent_path.c_str(), &how, sizeof how));
    struct stat st;
    if (again < 0 || fstat(again, &st) != 0 || st.st_dev != pst.st_dev || st.st_ino != pst.st_ino)
      report(kCannotExact);  // renamed meanwhile: bound by the bare name instead
    int tree = static_cast<int>(syscall(SYS_open_tree, again, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH));
    if (tree < 0) report(kCannotExact);
    int at = top;
    for (const std::string& d : dirs) {
      if (mkdirat(at, d.c_str(), 0755) != 0) report(kCannotExact);
      at = openat(at, d.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (at < 0) report(kCannotExact);
    }
    if (dirs.empty()) {
      // "/name": the checked directory is the root itself.
      if (fchdir(again) != 0 || chroot(".") != 0) report(kCannotExact);
    } else {
      if (syscall(SYS_move_mount, tree, "", at, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
        report(kCannotExact);
      if (fchdir(top) != 0 || (absolute && chroot(".") != 0)) report(kCannotExact);
    }
    long r;
    {
      // The caller's identity: as root, its ids, groups and capabilities;
      // unprivileged, the user namespace's capabilities are dropped.
      if (!root) {
        __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
        __user_cap_data_struct d[2] = {};
        (void)syscall(SYS_capset, &h, d);
      }
      AsCaller as(c.env.self, cr, Act{.umask = true});
      r = bind(sock, reinterpret_cast<const sockaddr*>(t.raw.data()), static_cast<socklen_t>(t.raw.size())) == 0
              ? 0
              : -errno;
    }
    report(static_cast<int>(r));
  }
  close(pipefd[1]);
  int v = kCannotExact;
  ssize_t n;
  do n = read(pipefd[0], &v, sizeof v);
  while (n < 0 && errno == EINTR);
  close(pipefd[0]);
  // The child is reaped by the supervisor's main loop (SIGCHLD).
  if (n != sizeof v) return kCannotExact;
  return v;
}

// The sender asked for SIGPIPE semantics; the supervisor sends with
// MSG_NOSIGNAL, so deliver the signal to the caller's thread itself.
void MaybeSigpipe(Call& c, long r, uint64_t flags) {
  if (r == -EPIPE && !(flags & MSG_NOSIGNAL)) c.tracee.SignalThread(SIGPIPE);
}

void AllowBoundAddress(Call& c, int sock) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(sock, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return;
  auto a = policy::ParseSockaddr(&ss, len);
  if (!a || a->family == AddrFamily::kOther || a->unnamed) return;
  std::vector<std::string> patterns = {a->ToString()};
  // A wildcard bind is reached through loopback.
  static const std::array<uint8_t, 16> kAny4 = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0};
  static const std::array<uint8_t, 16> kAny6{};
  if (a->addr == kAny4 && a->family == AddrFamily::kInet) patterns = {fmt::format("LOOPBACK@{}", a->port)};
  if (a->addr == kAny6 && a->family == AddrFamily::kInet6)
    patterns = {fmt::format("LOOPBACK6@{}", a->port), fmt::format("LOOPBACK@{}", a->port)};
  for (const std::string& p : patterns) {
    lang::Command cmd{"allowlist/network/connect", lang::Op::kAppend, p,
                      lang::Origin{"core/allowlist/successful_bind", 0}};
    std::vector<std::string> warnings;
    (void)c.env.policy->Change(cmd, &warnings);
  }
}

Verdict SocketError(const Error& e) { return e.sys_errno == ESRCH ? Verdict::None() : Verdict::Error(e.sys_errno); }

Verdict HandleBind(Call& c) {
  Target t;
  if (auto v = ReadAndDecide(c, Category::kNetBind, c.arg(1), c.arg(2) & 0xffffffffu, true, &t)) return std::move(*v);
  auto sock = CallerSocket(c, static_cast<int>(c.arg(0)));
  if (!sock) return SocketError(sock.error());
  long r = kCannotExact;
  if (!t.unix_name.empty()) {
    auto cr = kernel::ReadCreds(c.tid());
    if (!cr || !c.tracee.Recheck()) return Verdict::None();
    r = BindUnixExact(c, t, sock->get(), *cr);
  }
  // Binding a privileged port is the caller's right, not the supervisor's:
  // the bind runs with the caller's capabilities (WithAddress).
  if (r == kCannotExact) {
    r = WithAddress(c, t, true, [&](const sockaddr* sa, socklen_t len) -> long {
      return bind(sock->get(), sa, len) == 0 ? 0 : -errno;
    });
  }
  if (r == 0 && c.policy().successful_bind && c.policy().mode(Category::kNetBind) != policy::Mode::kOff)
    AllowBoundAddress(c, sock->get());
  return Verdict::Result(r);
}

Verdict HandleConnect(Call& c) {
  auto t = std::make_shared<Target>();
  if (auto v = ReadAndDecide(c, Category::kNetConnect, c.arg(1), c.arg(2) & 0xffffffffu, false, t.get()))
    return std::move(*v);
  auto sock = CallerSocket(c, static_cast<int>(c.arg(0)));
  if (!sock) return SocketError(sock.error());
  auto shared = std::make_shared<UniqueFd>(std::move(*sock));
  auto body = [t, shared](Call& cc) {
    long r = WithAddress(cc, *t, false, [&](const sockaddr* sa, socklen_t len) -> long {
      return connect(shared->get(), sa, len) == 0 ? 0 : -errno;
    });
    return Verdict::Result(r);
  };
  if (IsBlocking(shared->get())) return RunBlocking(c, body);
  return body(c);
}

// A message as the supervisor will send it: data flattened into one buffer,
// control messages copied with SCM_RIGHTS descriptors translated.
struct Message {
  std::shared_ptr<Target> target;  // null: no address given
  std::vector<char> data;
  std::vector<char> control;
  std::vector<UniqueFd> fds;       // keeps translated descriptors open
  bool own_credentials = false;    // SCM_CREDENTIALS naming the caller itself
};

// SCM_CREDENTIALS: the claim the kernel would let the caller make
// (__scm_check_creds: its own pid unless CAP_SYS_ADMIN, one of its real,
// effective or saved ids unless CAP_SETUID/CAP_SETGID), decided here on the
// caller's identity, because the kernel will check the supervisor's (whose
// pid is sydbox's and whose saved ids are 0). 0 or EPERM; *own set when the
// claim names the caller's own process, which the supervisor can only send
// with CAP_SYS_ADMIN.
int CheckCredentials(Call& c, const ucred& u, bool* own) {
  auto st = kernel::ReadStatus(c.tid());
  if (!st || !c.tracee.Recheck()) return ESRCH;
  const uint64_t caps = kernel::SameUserNamespace(c.tid()) ? st->cap_eff : 0;
  auto has = [&](int cap) { return (caps >> cap) & 1; };
  const bool self = u.pid == c.Tgid() && kernel::SamePidNamespace(c.tid());
  const bool pid_ok = self || has(CAP_SYS_ADMIN);
  const bool uid_ok = u.uid == st->uid[0] || u.uid == st->uid[1] || u.uid == st->uid[2] || has(CAP_SETUID);
  const bool gid_ok = u.gid == st->gid[0] || u.gid == st->gid[1] || u.gid == st->gid[2] || has(CAP_SETGID);
  if (!pid_ok || !uid_ok || !gid_ok) return EPERM;
  *own = *own || self;
  return 0;
}

// 0 on success, else an errno for the caller.
int ReadMessage(Call& c, const msghdr& mh, Message* m) {
  if (mh.msg_iovlen > kMaxIov) return EMSGSIZE;
  std::vector<iovec> iov(mh.msg_iovlen);
  if (!iov.empty() &&
      !c.tracee.ReadMemory(reinterpret_cast<uint64_t>(mh.msg_iov), iov.data(), iov.size() * sizeof(iovec)))
    return EFAULT;
  size_t total = 0;
  for (const iovec& v : iov) total += std::min(v.iov_len, kMaxSend);
  m->data.resize(std::min(total, kMaxSend));
  size_t off = 0;
  for (const iovec& v : iov) {
    size_t n = std::min(v.iov_len, m->data.size() - off);
    if (n && !c.tracee.ReadMemory(reinterpret_cast<uint64_t>(v.iov_base), m->data.data() + off, n))
      return EFAULT;
    off += n;
  }
  if (mh.msg_controllen > 0) {
    if (mh.msg_controllen > kMaxControl) return ENOBUFS;
    m->control.resize(mh.msg_controllen);
    if (!c.tracee.ReadMemory(reinterpret_cast<uint64_t>(mh.msg_control), m->control.data(),
                            m->control.size()))
      return EFAULT;
    msghdr local{};
    local.msg_control = m->control.data();
    local.msg_controllen = m->control.size();
    for (cmsghdr* cm = CMSG_FIRSTHDR(&local); cm; cm = CMSG_NXTHDR(&local, cm)) {
      if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS && cm->cmsg_len >= CMSG_LEN(sizeof(ucred))) {
        ucred u;
        std::memcpy(&u, CMSG_DATA(cm), sizeof u);
        if (int err = CheckCredentials(c, u, &m->own_credentials)) return err;
        continue;
      }
      if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
      size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      int* fds = reinterpret_cast<int*>(CMSG_DATA(cm));
      for (size_t i = 0; i < n; ++i) {
        auto dup = c.tracee.TakeFd(fds[i]);
        if (!dup) return dup.error().sys_errno == ESRCH ? ESRCH : EBADF;
        fds[i] = dup->get();
        m->fds.push_back(std::move(*dup));
      }
    }
  }
  return 0;
}

long SendOne(Call& c, int sock, const Message& m, uint64_t flags) {
  auto op = [&](const sockaddr* sa, socklen_t len) -> long {
    iovec v{const_cast<char*>(m.data.data()), m.data.size()};
    msghdr mh{};
    mh.msg_name = const_cast<sockaddr*>(sa);
    mh.msg_namelen = sa ? len : 0;
    mh.msg_iov = &v;
    mh.msg_iovlen = 1;
    if (!m.control.empty()) {
      mh.msg_control = const_cast<char*>(m.control.data());
      mh.msg_controllen = m.control.size();
    }
    ssize_t r = sendmsg(sock, &mh, static_cast<int>(flags) | MSG_NOSIGNAL);
    return r < 0 ? -errno : r;
  };
  // Sent as the caller, address or not: the receiver's SO_PASSCRED and
  // the peer's checks see the caller's ids (its pid only in a claim it
  // makes itself: the kernel adds the sender's, sydbox's, otherwise).
  const uint64_t add_caps = m.own_credentials ? uint64_t{1} << CAP_SYS_ADMIN : 0;
  long r = m.target ? WithAddress(c, *m.target, false, op, add_caps)
                    : AsSender(c, false, add_caps, [&] { return op(nullptr, 0); });
  MaybeSigpipe(c, r, flags);
  return r;
}

Verdict HandleSendto(Call& c) {
  auto m = std::make_shared<Message>();
  const uint64_t flags = c.arg(3) & 0xffffffffu;
  if (c.arg(4) != 0) {
    m->target = std::make_shared<Target>();
    if (auto v = ReadAndDecide(c, Category::kNetConnect, c.arg(4), c.arg(5) & 0xffffffffu, false, m->target.get()))
      return std::move(*v);
  }
  m->data.resize(std::min<uint64_t>(c.arg(2), kMaxSend));
  if (!m->data.empty() && !c.tracee.ReadMemory(c.arg(1), m->data.data(), m->data.size()))
    return Verdict::Error(EFAULT);
  auto sock = CallerSocket(c, static_cast<int>(c.arg(0)));
  if (!sock) return SocketError(sock.error());
  auto shared = std::make_shared<UniqueFd>(std::move(*sock));
  auto body = [m, shared, flags](Call& cc) { return Verdict::Result(SendOne(cc, shared->get(), *m, flags)); };
  if (IsBlocking(shared->get()) && !(flags & MSG_DONTWAIT)) return RunBlocking(c, body);
  return body(c);
}

// sendmsg and sendmmsg: every message's address is checked, every message
// is sent by the supervisor (a message without an address too: its
// msg_name could otherwise be filled in after the check). A sendmmsg with
// any denied address sends nothing.
Verdict HandleSendmsg(Call& c, bool multi) {
  const uint64_t flags = c.arg(multi ? 3 : 2) & 0xffffffffu;
  const size_t count = multi ? std::min<uint64_t>(c.arg(2) & 0xffffffffu, kMaxIov) : 1;
  struct Entry {
    uint64_t at;  // tracee address of the mmsghdr, for msg_len
    Message m;
  };
  auto entries = std::make_shared<std::vector<Entry>>();
  for (size_t i = 0; i < count; ++i) {
    uint64_t at = c.arg(1) + i * (multi ? sizeof(mmsghdr) : sizeof(msghdr));
    msghdr mh;
    if (!c.tracee.ReadMemory(at, &mh, sizeof mh)) return Verdict::Error(EFAULT);
    Entry e{at, {}};
    if (mh.msg_name && mh.msg_namelen) {
      e.m.target = std::make_shared<Target>();
      // One denied address denies the whole call: nothing is sent.
      if (auto v = ReadAndDecide(c, Category::kNetConnect, reinterpret_cast<uint64_t>(mh.msg_name), mh.msg_namelen,
                                 false, e.m.target.get()))
        return std::move(*v);
    }
    if (int err = ReadMessage(c, mh, &e.m)) return err == ESRCH ? Verdict::None() : Verdict::Error(err);
    entries->push_back(std::move(e));
  }
  if (entries->empty()) return Verdict::Value(0);
  auto sock = CallerSocket(c, static_cast<int>(c.arg(0)));
  if (!sock) return SocketError(sock.error());
  auto shared = std::make_shared<UniqueFd>(std::move(*sock));
  auto body = [entries, shared, flags, multi](Call& cc) {
    long sent = 0;
    for (Entry& e : *entries) {
      long r = SendOne(cc, shared->get(), e.m, flags);
      if (!multi) return Verdict::Result(r);
      if (r < 0) return Verdict::Result(sent > 0 ? sent : r);
      unsigned len = static_cast<unsigned>(r);
      (void)cc.tracee.WriteMemory(e.at + offsetof(mmsghdr, msg_len), &len, sizeof len);
      ++sent;
    }
    return Verdict::Value(sent);
  };
  if (IsBlocking(shared->get()) && !(flags & MSG_DONTWAIT)) return RunBlocking(c, body);
  return body(c);
}

}  // namespace

Verdict HandleNet(Call& c, const Intent&) {
  // Not checked: nothing read, nothing to race. A bind is a write of its
  // socket path too: with write sandboxing on, every bind is performed
  // here (an address read as inet could be a path when the kernel read it
  // again).
  const bool write_checks_bind =
      c.info.nr == __NR_bind && c.policy().mode(Category::kWrite) != policy::Mode::kOff;
  if (c.policy().mode(c.info.category) == policy::Mode::kOff && !c.rule_allowed && !write_checks_bind)
    return Verdict::Continue();
  c.WorkAhead();
  switch (c.info.nr) {
    case __NR_bind: return HandleBind(c);
    case __NR_connect: return HandleConnect(c);
    case __NR_sendto: return HandleSendto(c);
    case __NR_sendmsg: return HandleSendmsg(c, false);
    case __NR_sendmmsg: return HandleSendmsg(c, true);
  }
  return Verdict::Error(ENOSYS);
}

}  // namespace syd::supervisor
