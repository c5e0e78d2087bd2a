// The child runs between fork and exec in a process that has only one
// thread (the supervisor starts its workers after this), so it may use
// async-signal-safe calls only, and reports failures through a pipe the
// parent reads after the go-ahead.
#include "spawn/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "kernel/proc.h"
#include "kernel/seccomp.h"
#include "kernel/uapi.h"

namespace syd::spawn {
namespace {

// The step of the child's setup that failed, sent with its errno as
// (step << 16 | errno); exec failures are sent as a bare errno.
enum Step : int { kExec = 0, kDeathSignal, kNoNewPrivs, kLandlock, kBoundingSet, kSeccomp, kMdwe, kLandlockPaths };
// Step i of the process-setup plan is sent as kSetupBase + i.
constexpr int kSetupBase = 0x100;

// hidepid=invisible hides the processes the reader may not ptrace; gid=
// names the group exempt from that (default 0, which root is in): one
// nobody has.
constexpr const char* kHiddenProcOptions = "hidepid=invisible,gid=2147483646";

const char* StepName(int step) {
  switch (step) {
    case kDeathSignal: return "parent-death signal";
    case kNoNewPrivs: return "no_new_privs";
    case kLandlock: return "Landlock domain";
    case kBoundingSet: return "capability bounding set";
    case kSeccomp: return "seccomp filter";
    case kMdwe: return "memory-deny-write-execute (core/restrict/memory_map)";
    case kLandlockPaths: return "Landlock ruleset for paths";
    default: return "exec";
  }
}

[[noreturn]] void ChildFail(int errfd, int step, int err) {
  int code = (step << 16) | (err & 0xffff);
  (void)!write(errfd, &code, sizeof code);
  _exit(127);
}

// Reads exactly one int; false on EOF or error.
bool ReadInt(int fd, int* out) {
  ssize_t n;
  do n = read(fd, out, sizeof *out);
  while (n < 0 && errno == EINTR);
  return n == sizeof *out;
}

}  // namespace

Result<Child> Spawn(const SpawnRequest& req, bool* setup_failed) {
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
  const char* file = argv[0];
  if (!req.setup.alias.empty()) argv[0] = const_cast<char*>(req.setup.alias.c_str());
  char* const* envp = req.setup.own_env ? const_cast<char* const*>(req.setup.envp.data()) : nullptr;
  const pid_t parent = getpid();

  // With --unshare-pid the child is made in its new pid namespace (and
  // user namespace): like fork(2), on this stack, but as pid 1 there,
  // where its parent has no pid (getppid() says 0).
  const int clone_flags = req.setup.clone_flags;
  const pid_t parent_seen = clone_flags & CLONE_NEWPID ? 0 : parent;
  pid_t pid = clone_flags ? static_cast<pid_t>(syscall(SYS_clone, SIGCHLD | clone_flags, nullptr, nullptr, nullptr, 0L))
                          : fork();
  if (pid < 0 && clone_flags) {
    if (setup_failed) *setup_failed = true;
    return Fail(errno, req.setup.clone_what);
  }
  if (pid < 0) return Fail(errno, "fork");
  if (pid == 0) {
    int errfd = err_w.get();
    // Fail closed: the sandbox dies with its supervisor (during the setup
    // always; afterwards unless --allow-daemonize).
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ChildFail(errfd, kDeathSignal, errno);
    if (getppid() != parent_seen) _exit(127);
    struct sigaction dfl{};
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; ++s) sigaction(s, &dfl, nullptr);
    int proc_state = 0;  // 1: private /proc mounted
    // Slave: mounts made outside still appear inside, none leaves. Where
    // procfs cannot be mounted (root of a user namespace that does not own
    // the pid namespace) the copy of the mount table changes nothing.
    if (req.private_proc && unshare(CLONE_NEWNS) == 0 &&
        mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) == 0 &&
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, kHiddenProcOptions) == 0) {
      proc_state = 1;
      // Root could move the supervisor into a frozen or starved cgroup: the
      // cgroup file systems are read-only in here (where they are mounted).
      kernel::uapi::MountAttr ro;
      ro.attr_set = kernel::uapi::kMountAttrRdonly;
      (void)syscall(__NR_mount_setattr, AT_FDCWD, "/sys/fs/cgroup", kernel::uapi::kAtRecursive, &ro, sizeof ro);
    }
    // The user's process setup, ids last. Changing ids clears the
    // parent-death signal: it is set again after.
    const int keep[2] = {errfd, child_sock.get()};
    int setup_err = 0;
    if (int failed = RunSetup(req.setup, keep, 2, &setup_err); failed >= 0)
      ChildFail(errfd, kSetupBase + failed, setup_err);
    // (Until exec the child waits on the socket, which sydbox's death
    // closes.)
    if (prctl(PR_SET_PDEATHSIG, req.setup.death_signal ? SIGKILL : 0) != 0) ChildFail(errfd, kDeathSignal, errno);
    if (getppid() != parent_seen) _exit(127);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ChildFail(errfd, kNoNewPrivs, errno);
    if (req.deny_write_execute &&
        prctl(kernel::uapi::kPrSetMdwe, kernel::uapi::kPrMdweRefuseExecGain, 0L, 0L, 0L) != 0)
      ChildFail(errfd, kMdwe, errno);
    if (req.landlock) {
      if (int e = kernel::LandlockRestrictSelf(req.domain)) ChildFail(errfd, kLandlock, e);
    }
    LandlockOutcome landlock_outcome;
    if (!req.landlock_paths.empty()) {
      if (int e = InstallLandlockPaths(req.landlock_paths, &landlock_outcome)) ChildFail(errfd, kLandlockPaths, e);
    }
    // Unprivileged, the bounding set cannot change (EPERM), but then there
    // is no CAP_SYS_PTRACE to drop either.
    if (req.drop_ptrace_capability && prctl(PR_CAPBSET_DROP, CAP_SYS_PTRACE) != 0 && errno != EPERM)
      ChildFail(errfd, kBoundingSet, errno);
    int err = 0;
    int listener = kernel::InstallFilterWithListener(req.filter.data(),
                                                     static_cast<unsigned short>(req.filter.size()), &err);
    if (listener < 0) ChildFail(errfd, kSeccomp, err);
    // Only numbers go over the socket: write(2) is never intercepted,
    // while sendmsg(2) may be (network sandboxing) and nobody would answer
    // yet. The parent copies the descriptor with pidfd_getfd.
    const int hello[2] = {listener, proc_state};
    if (write(child_sock.get(), hello, sizeof hello) != sizeof hello) _exit(127);
    if (write(child_sock.get(), &landlock_outcome, sizeof landlock_outcome) != sizeof landlock_outcome) _exit(127);
    char go;
    ssize_t n;
    do n = read(child_sock.get(), &go, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1) _exit(127);
    close(listener);
    sigprocmask(SIG_SETMASK, &req.child_sigmask, nullptr);
    if (envp) execvpe(file, argv.data(), envp);
    else execvp(file, argv.data());
    ChildFail(errfd, kExec, errno);
  }
  child_sock.Reset();
  err_w.Reset();
  Child child;
  child.pid_ = pid;
  int remote_fd = -1, proc_state = 0;
  if (!ReadInt(parent_sock.get(), &remote_fd) || !ReadInt(parent_sock.get(), &proc_state)) {
    // The child failed before handing the listener over: collect its errno.
    int code = 0;
    bool got = ReadInt(err_r.get(), &code);
    waitpid(pid, nullptr, 0);
    const int step = code >> 16;
    if (got && step >= kSetupBase && static_cast<size_t>(step - kSetupBase) < req.setup.steps.size()) {
      if (setup_failed) *setup_failed = true;
      return Fail(code & 0xffff, req.setup.steps[static_cast<size_t>(step - kSetupBase)].what);
    }
    if (got) return Fail(code & 0xffff, fmt::format("sandbox setup ({})", StepName(step)));
    return Fail(EPROTO, "sandbox setup: the child died");
  }
  auto pidfd = kernel::PidfdOpen(pid);
  if (!pidfd) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return Unexpected<Error>(std::move(pidfd).error());
  }
  auto listener = kernel::PidfdGetfd(pidfd->get(), remote_fd);
  if (!listener) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return Unexpected<Error>(std::move(listener).error());
  }
  child.listener_ = std::move(*listener);
  child.private_proc_ = proc_state == 1;
  {
    ssize_t n;
    do n = read(parent_sock.get(), &child.landlock_outcome_, sizeof child.landlock_outcome_);
    while (n < 0 && errno == EINTR);
    if (n != sizeof child.landlock_outcome_) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return Fail(EPROTO, "sandbox setup: the child died");
    }
  }
  child.control_ = std::move(parent_sock);
  child.exec_err_ = std::move(err_r);
  return child;
}

Result<int> Child::Release() {
  SYD_TRY_STATUS(Go());
  return ExecError();
}

Status Child::Go() {
  char go = 'G';
  if (write(control_.get(), &go, 1) != 1) return Fail(errno, "release child");
  control_.Reset();
  return {};
}

int Child::ExecError() {
  if (!exec_err_.valid()) return 0;
  int err = 0;
  ssize_t n;
  do n = read(exec_err_.get(), &err, sizeof err);
  while (n < 0 && errno == EINTR);
  exec_err_.Reset();
  return n == sizeof err ? (err & 0xffff) : 0;
}

}  // namespace syd::spawn
