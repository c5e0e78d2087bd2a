// One poll loop over the listening socket, an eventfd (Stop) and every
// client. Clients are non-blocking: a reply that does not fit in the
// socket waits in the client's buffer and its input is not read meanwhile,
// so a client that never reads only stops itself. Peers are checked once,
// at accept (SO_PEERCRED is the connecting process's credentials).
#include "supervisor/control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "kernel/proc.h"
#include "supervisor/magic.h"

namespace syd::supervisor {

namespace {

constexpr size_t kMaxClients = 64;

struct Client {
  UniqueFd fd;
  pid_t pid = 0;
  UniqueFd pidfd;  // of the connecting process (SO_PEERPIDFD)
  bool inside = false;  // a process of the sandbox
  LineReader in;
  std::string out;  // replies not yet written
};

// The chain of parents from `pid` up to sydbox or pid 1, read from /proc
// by pid number. False when a process on the way is gone.
bool ParentChain(pid_t pid, pid_t self, std::vector<pid_t>* out) {
  for (;;) {
    out->push_back(pid);
    if (pid == self || pid == 1) return true;
    if (out->size() > (1u << 22)) return false;  // above any pid_max: reused pids in a cycle
    pid = kernel::ParentOf(pid);
    if (pid == 0) return false;
  }
}

// Whether `pid` descends from this process (sydbox is the sandbox's child
// subreaper: every sandboxed process does, orphans included). A peer in an
// ancestor pid namespace has pid 0: outside. sydbox may itself be pid 1 of
// its namespace (a container's entry point): it is compared before the
// walk stops at 1. No depth bound: a chain of nested processes is the
// sandbox's to make as deep as it likes. The walk reads pids, which can
// outlive their processes, so it is read twice: a process whose parent
// exited in between has been reparented for good (to a live reaper, whose
// pid cannot be the dead parent's), so the same chain twice is the true
// one (the peer itself is confirmed alive afterwards, by its pidfd). A
// chain that changed, or that reaches a process that is gone, is not
// known to be outside: inside.
bool InSandbox(pid_t pid) {
  const pid_t self = getpid();
  if (pid <= 0) return false;
  std::vector<pid_t> first, second;
  if (!ParentChain(pid, self, &first) || !ParentChain(pid, self, &second) || first != second) return true;
  return first.back() == self;
}

std::string OneLine(std::string s) {
  for (char& ch : s)
    if (ch == '\n' || ch == '\r') ch = ' ';
  return s;
}

std::string ErrLine(int err, const std::string& why) { return fmt::format("ERR {} {}\n", ErrnoName(err), OneLine(why)); }

// Writes what fits; false when the client is gone.
bool Flush(Client& c) {
  while (!c.out.empty()) {
    ssize_t n = send(c.fd.get(), c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
    c.out.erase(0, static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<ControlSocket>> ControlSocket::Listen(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    return Failf("--ipc {}: a socket path must be 1 to {} bytes long", path, sizeof addr.sun_path - 1);
  std::memcpy(addr.sun_path, path.data(), path.size());
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Fail(errno, "socket", path);
  struct stat st{};
  if (lstat(path.c_str(), &st) == 0) {
    // Only a socket nobody listens on is replaced: never a file, a
    // directory or a symlink (bind would not follow one anyway).
    if (!S_ISSOCK(st.st_mode))
      return Failf("--ipc {}: it exists and is not a socket (sydbox replaces only a stale socket)", path);
    UniqueFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (probe.valid() && connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0)
      return Failf("--ipc {}: another process listens on it", path);
    if (unlink(path.c_str()) != 0 && errno != ENOENT) return Fail(errno, "unlink", path);
  }
  // 0600 from the start: the mode of a socket file comes from the umask.
  const mode_t old = umask(0177);
  const int b = bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  const int bind_errno = errno;
  umask(old);
  if (b != 0) return Fail(bind_errno, "bind", path);
  std::unique_ptr<ControlSocket> s(new ControlSocket);
  s->path_ = path;
  if (lstat(path.c_str(), &st) == 0) {
    s->dev_ = st.st_dev;
    s->ino_ = st.st_ino;
  }
  if (listen(fd.get(), 16) != 0) return Fail(errno, "listen", path);
  s->listen_ = std::move(fd);
  s->wake_ = UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!s->wake_.valid()) return Fail(errno, "eventfd", path);
  return s;
}

ControlSocket::~ControlSocket() {
  Stop();
  // Removed only if it is still the socket made here.
  struct stat st{};
  if (!path_.empty() && lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == dev_ &&
      st.st_ino == ino_)
    unlink(path_.c_str());
}

void ControlSocket::Start(HandlerEnv& env, bool locked) {
  locked_ = locked;
  thread_ = std::thread([this, &env] { Serve(&env); });
}

void ControlSocket::Stop() {
  if (!thread_.joinable()) return;
  uint64_t one = 1;
  (void)!write(wake_.get(), &one, sizeof one);
  thread_.join();
}

void ControlSocket::Serve(HandlerEnv* env) {
  const uid_t owner = getuid();
  std::vector<std::unique_ptr<Client>> clients;
  auto reply = [](Client& c, std::string_view text) { c.out.append(text); };
  auto handle_line = [&](Client& c, const LineReader::Line& line) {
    if (line.too_long)
      return reply(c, ErrLine(ENAMETOOLONG, fmt::format("a line is at most {} bytes", LineReader::kMaxLine)));
    if (locked_ || env->runtime_locked.load(std::memory_order_acquire))
      return reply(c, ErrLine(EPERM, "runtime configuration is locked"));
    // A connection from inside is not its connecting process's alone: any
    // process of the sandbox can hold it (pidfd_getfd, which the kernel
    // allows inside one Landlock domain, SCM_RIGHTS, a fork), and which
    // one writes a line is not known. So once any process of the sandbox is
    // locked (the connecting one included), or may lock at an exec, no line
    // from inside is served, nor once the connecting process is gone.
    if (c.inside && (env->procs->any_lock() || kernel::PidfdExited(c.pidfd.get())))
      return reply(c, ErrLine(EPERM, "runtime configuration is locked for this process"));
    std::string_view text = line.text;
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    if (text.empty()) return reply(c, ErrLine(EINVAL, "empty line: one magic command per line"));
    const MagicOutcome out = RunMagicCommand(
        *env, text, lang::Origin{"--ipc", 0}, fmt::format("the control socket (pid {})", c.pid),
        [&](policy::MagicLock lock) {
          switch (lock) {
            case policy::MagicLock::kOn:
              // For everyone: this door, and magic stat in every process.
              env->runtime_locked.store(true, std::memory_order_release);
              env->reporter->Note(fmt::format("runtime configuration locked through the control socket (pid {})", c.pid));
              return MagicOutcome{};
            case policy::MagicLock::kOff: return MagicOutcome{};  // nothing is locked (else this line was refused)
            case policy::MagicLock::kExec: break;
          }
          return MagicOutcome{MagicOutcome::Kind::kError, EINVAL,
                              "core/trace/magic_lock:exec locks a process at its next exec; the control socket "
                              "takes on (lock everything now) or off"};
        });
    switch (out.kind) {
      case MagicOutcome::Kind::kOk: return reply(c, "OK\n");
      case MagicOutcome::Kind::kTrue: return reply(c, "TRUE\n");
      case MagicOutcome::Kind::kFalse: return reply(c, "FALSE\n");
      case MagicOutcome::Kind::kError: return reply(c, ErrLine(out.err, out.message));
    }
  };
  auto accept_one = [&] {
    UniqueFd cfd(accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!cfd.valid()) return;
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(cfd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) cred.uid = static_cast<uid_t>(-1);
    auto refuse = [&](int err, const std::string& why) {
      std::string line = ErrLine(err, why);
      (void)!send(cfd.get(), line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    };
    if (cred.uid != owner) {
      env->reporter->Note(fmt::format("control socket: refused pid {} (uid {}): only uid {} is served", cred.pid,
                                      static_cast<int>(cred.uid), owner));
      return refuse(EACCES, fmt::format("only uid {} is served", owner));
    }
    if (clients.size() >= kMaxClients) {
      env->reporter->Note(fmt::format("control socket: refused pid {}: {} clients already", cred.pid, kMaxClients));
      return refuse(EMFILE, "too many clients");
    }
    auto c = std::make_unique<Client>();
    if (auto pfd = kernel::PeerPidfd(cfd.get())) c->pidfd = std::move(*pfd);
    c->fd = std::move(cfd);
    c->pid = cred.pid;
    c->inside = InSandbox(cred.pid);
    // What /proc said of the pid was of the connecting process only if it
    // still lives now; a peer gone (or of unknown identity) is refused.
    if (!c->pidfd.valid() || kernel::PidfdExited(c->pidfd.get())) {
      env->reporter->Note(fmt::format("control socket: refused pid {}: the connecting process is gone", cred.pid));
      std::string line = ErrLine(ESRCH, "the connecting process is gone");
      (void)!send(c->fd.get(), line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      return;
    }
    clients.push_back(std::move(c));
  };

  std::vector<pollfd> fds;
  for (;;) {
    fds.clear();
    fds.push_back({wake_.get(), POLLIN, 0});
    fds.push_back({listen_.get(), POLLIN, 0});
    for (const auto& c : clients)
      fds.push_back({c->fd.get(), static_cast<short>(c->out.empty() ? POLLIN : POLLOUT), 0});
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents) return;
    for (size_t i = 0; i < clients.size(); ++i) {
      Client& c = *clients[i];
      const short ev = fds[i + 2].revents;
      if (!ev) continue;
      bool alive = true;
      if (!c.out.empty()) {
        alive = Flush(c);
      } else if (ev & (POLLIN | POLLHUP | POLLERR)) {
        char buf[4096];
        ssize_t n = recv(c.fd.get(), buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
          c.in.Feed(std::string_view(buf, static_cast<size_t>(n)));
          LineReader::Line line;
          while (c.in.Next(&line)) handle_line(c, line);
          alive = Flush(c);
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
          alive = false;
        }
      }
      if (!alive) c.fd.Reset();
    }
    std::erase_if(clients, [](const std::unique_ptr<Client>& c) { return !c->fd.valid(); });
    if (fds[1].revents & POLLIN) accept_one();
  }
}

}  // namespace syd::supervisor
