// Network calls are decided on the address read once from the caller's
// memory and then performed here, on a pidfd_getfd copy of the caller's
// socket (the same open file description), with that same address: the
// kernel never reads the caller's sockaddr again, so a racing thread cannot
// swap it after the check. UNIX socket paths are resolved like any path;
// the call is made relative to an O_PATH handle of the resolved parent
// (this thread has its own cwd, see Run()), as the caller's fsuid/fsgid.
// Calls that may block (connect, sends on blocking sockets) run on a
// thread of their own.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

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
std::optional<Verdict> ReadAndDecide(Call& c, Category cat, uint64_t ptr, uint64_t len, bool creates, Target* t) {
  if (len > sizeof(sockaddr_storage)) return Verdict::Error(EINVAL);
  t->raw.resize(len);
  if (len && !c.tracee.ReadMemory(ptr, t->raw.data(), len)) return Verdict::Error(EFAULT);
  auto a = policy::ParseSockaddr(t->raw.data(), len);
  if (!a) return Verdict::Error(EINVAL);
  t->addr = std::move(*a);
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
    auto r = Resolve(rr);
    if (!r) return Verdict::Error(r.error().sys_errno ? r.error().sys_errno : ENOENT);
    t->addr.path = InSupervisorView(*t->root, r->path);
    size_t slash = r->path.rfind('/');
    t->unix_parent = slash == 0 ? "/" : r->path.substr(0, slash);
    t->unix_name = r->path.substr(slash + 1);
    if (t->unix_name.size() >= sizeof(sockaddr_un::sun_path)) return Verdict::Error(ENAMETOOLONG);
  }
  if (c.rule_allowed) return std::nullopt;  // a sys/ rule allowed the call
  policy::PathVerdict v = c.decider->CheckAddr(cat, t->addr);
  if (v.allow) return std::nullopt;
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
long WithAddress(Call& c, const Target& t, bool creates, const std::function<long(const sockaddr*, socklen_t)>& op) {
  auto run = [&](const sockaddr* sa, socklen_t len) -> long {
    std::optional<kernel::Creds> cr;
    if (c.env.self.root || creates) {
      auto r = kernel::ReadCreds(c.tid());
      if (!r || !c.tracee.Recheck()) return -ESRCH;
      cr = std::move(*r);
    }
    auto call = [&] {
      long rc = op(sa, len);
      return rc < 0 ? -errno : rc;
    };
    return cr ? WithCaller(c.env.self, *cr, creates, call) : call();
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
  // Binding a privileged port is the caller's right, not the supervisor's:
  // the bind runs with the caller's capabilities (WithAddress).
  long r = WithAddress(c, t, true, [&](const sockaddr* sa, socklen_t len) -> long {
    return bind(sock->get(), sa, len) == 0 ? 0 : -errno;
  });
  if (r == 0 && c.policy().successful_bind) AllowBoundAddress(c, sock->get());
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
};

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
  long r = m.target ? WithAddress(c, *m.target, false, op) : op(nullptr, 0);
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
  if (c.policy().mode(c.info.category) == policy::Mode::kOff && !c.rule_allowed)
    return Verdict::Continue();  // not checked: nothing read, nothing to race
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
