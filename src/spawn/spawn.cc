// The child runs between fork and exec in a process that has only one
// thread (the supervisor starts its workers after this), so it may use
// async-signal-safe calls only, and reports failures through a pipe the
// parent reads after the go-ahead.
#include "spawn/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "kernel/seccomp.h"

namespace syd::spawn {
namespace {

[[noreturn]] void ChildFail(int errfd, int err) {
  (void)!write(errfd, &err, sizeof err);
  _exit(127);
}

Status SendFd(int sock, int fd) {
  char byte = 'L';
  iovec iov{&byte, 1};
  alignas(cmsghdr) char ctrl[CMSG_SPACE(sizeof(int))];
  std::memset(ctrl, 0, sizeof ctrl);
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctrl;
  msg.msg_controllen = sizeof ctrl;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  if (sendmsg(sock, &msg, MSG_NOSIGNAL) != 1) return Fail(errno, "sendmsg");
  return {};
}

Result<UniqueFd> RecvFd(int sock) {
  char byte;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char ctrl[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctrl;
  msg.msg_controllen = sizeof ctrl;
  ssize_t n;
  do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0) return Fail(n < 0 ? errno : EPIPE, "recvmsg listener");
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) return Fail(EPROTO, "no listener received");
  int fd;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return UniqueFd(fd);
}

}  // namespace

Result<Child> Spawn(const SpawnRequest& req) {
  if (req.argv.empty()) return Failf("no command given");
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return Fail(errno, "socketpair");
  UniqueFd parent_sock(sv[0]), child_sock(sv[1]);
  int pp[2];
  if (pipe2(pp, O_CLOEXEC) != 0) return Fail(errno, "pipe2");
  UniqueFd err_r(pp[0]), err_w(pp[1]);

  // Everything the child needs, prepared before fork (no allocation after).
  std::vector<char*> argv;
  for (const std::string& a : req.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = getpid();

  pid_t pid = fork();
  if (pid < 0) return Fail(errno, "fork");
  if (pid == 0) {
    int errfd = err_w.get();
    // Fail closed: the sandbox dies with its supervisor.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ChildFail(errfd, errno);
    if (getppid() != parent) _exit(127);
    struct sigaction dfl{};
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; ++s) sigaction(s, &dfl, nullptr);
    int err = 0;
    int listener = kernel::InstallFilterWithListener(req.filter.data(),
                                                     static_cast<unsigned short>(req.filter.size()), &err);
    if (listener < 0) ChildFail(errfd, err);
    if (!SendFd(child_sock.get(), listener)) ChildFail(errfd, errno);
    close(listener);
    char go;
    ssize_t n;
    do n = read(child_sock.get(), &go, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1) _exit(127);
    sigprocmask(SIG_SETMASK, &req.child_sigmask, nullptr);
    execvp(argv[0], argv.data());
    ChildFail(errfd, errno);
  }
  child_sock.Reset();
  err_w.Reset();
  Child child;
  child.pid_ = pid;
  auto listener = RecvFd(parent_sock.get());
  if (!listener) {
    // The child failed before handing the listener over: collect its errno.
    int err = 0;
    ssize_t n = read(err_r.get(), &err, sizeof err);
    waitpid(pid, nullptr, 0);
    if (n == sizeof err) return Fail(err, "sandbox setup (seccomp filter)");
    return Unexpected<Error>(std::move(listener).error());
  }
  child.listener_ = std::move(*listener);
  child.control_ = std::move(parent_sock);
  child.exec_err_ = std::move(err_r);
  return child;
}

Result<int> Child::Release() {
  char go = 'G';
  if (write(control_.get(), &go, 1) != 1) return Fail(errno, "release child");
  control_.Reset();
  int err = 0;
  ssize_t n;
  do n = read(exec_err_.get(), &err, sizeof err);
  while (n < 0 && errno == EINTR);
  exec_err_.Reset();
  return n == sizeof err ? err : 0;
}

}  // namespace syd::spawn
