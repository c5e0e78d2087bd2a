// Every probe repeats what sydbox itself does with the feature, with the
// same flags, so that `ok` means sydbox's own call will work: the notify
// probe installs a filter with sydbox's flags in a child, takes the
// listener, answers a real openat with ADDFD and a real getppid with
// CONTINUE, and the child checks what it got; the namespace probes make
// the namespaces and mounts the exact-bind path (supervisor/net.cc) and
// the private /proc (spawn/spawn.cc) make. Children report numbers over a
// pipe or socket and are killed and reaped whatever happens, after at most
// kTimeoutMs of silence, so a probe that hangs in the kernel cannot hang
// sydbox -t.
#include "kernel/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <iterator>
#include <string_view>

#include "kernel/landlock.h"
#include "kernel/seccomp.h"
#include "kernel/uapi.h"
#include "util/error.h"
#include "util/unique_fd.h"

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#endif

namespace syd::kernel {
namespace {

#if defined(__x86_64__)
constexpr uint32_t kNativeArch = AUDIT_ARCH_X86_64;
#else
#error "sydbox's probes know x86_64 only so far"
#endif

constexpr int kTimeoutMs = 10000;
// What the filter probe's program answers the marked call with.
constexpr int kMarkErrno = ENOTUNIQ;
// The path the notify probe's child opens; the supervisor side checks it
// arrives, then answers with /dev/null.
constexpr const char* kMarkPath = "/sydbox-probe";
// As spawn.cc mounts the sandbox's /proc.
constexpr const char* kHiddenProcOptions = "hidepid=invisible,gid=2147483646";

std::string Why(int err, std::string_view call) { return fmt::format("{} from {}", ErrnoName(err), call); }

Feature Make(std::string name, Need need, std::string use, std::string without = {}) {
  Feature f;
  f.name = std::move(name);
  f.need = need;
  f.use = std::move(use);
  f.without = std::move(without);
  return f;
}

void Pass(Feature& f, std::string value = {}) {
  f.ok = true;
  f.value = std::move(value);
}

void Miss(Feature& f, std::string reason) {
  f.ok = false;
  f.reason = std::move(reason);
}

// Milliseconds left before `deadline` (CLOCK_MONOTONIC), at least 0.
int Remaining(const timespec& deadline) {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  long ms = (deadline.tv_sec - now.tv_sec) * 1000 + (deadline.tv_nsec - now.tv_nsec) / 1000000;
  return ms < 0 ? 0 : static_cast<int>(ms);
}

timespec Deadline() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  t.tv_sec += kTimeoutMs / 1000;
  return t;
}

// Waits until `fd` is readable; false on timeout.
bool WaitReadable(int fd, const timespec& deadline) {
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, Remaining(deadline));
    if (r < 0 && errno == EINTR) continue;
    return r == 1;
  }
}

// Reads exactly `n` ints; false on timeout or end of file.
bool ReadInts(int fd, int* out, size_t n) {
  const timespec deadline = Deadline();
  char* p = reinterpret_cast<char*>(out);
  size_t got = 0;
  const size_t want = n * sizeof(int);
  while (got < want) {
    if (!WaitReadable(fd, deadline)) return false;
    ssize_t k = read(fd, p + got, want - got);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;
    got += static_cast<size_t>(k);
  }
  return true;
}

void Put(int fd, const int* v, size_t n) { (void)!write(fd, v, n * sizeof(int)); }

void Reap(pid_t pid) {
  kill(pid, SIGKILL);
  while (waitpid(pid, nullptr, __WALL) < 0 && errno == EINTR) {
  }
}

constexpr const char* kNoAnswer = "the probe's child did not answer";

// Runs `body(report_fd)` in a forked child, which dies with this process.
// Empty when the child reported `n` ints (into `out`) in time, else why not.
template <class F>
std::string InChild(F&& body, int* out, size_t n) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return Why(errno, "pipe2");
  UniqueFd r(p[0]), w(p[1]);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return Why(errno, "fork");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    body(w.get());
    _exit(0);
  }
  w.Reset();
  const bool ok = ReadInts(r.get(), out, n);
  Reap(pid);
  return ok ? "" : kNoAnswer;
}

// A program that sends the calls named in `marked` to `action` and allows
// everything else (calls of a foreign ABI included: this is a probe).
std::vector<sock_filter> MarkFilter(std::initializer_list<int> marked, uint32_t action) {
  std::vector<sock_filter> prog = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kNativeArch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
  };
  for (int nr : marked) {
    prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr), 0, 1));
    prog.push_back(BPF_STMT(BPF_RET | BPF_K, action));
  }
  prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  return prog;
}

long InstallFilter(const std::vector<sock_filter>& prog, unsigned long flags) {
  sock_fprog fp{static_cast<unsigned short>(prog.size()), const_cast<sock_filter*>(prog.data())};
  return syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fp);
}

// The id maps a user namespace gets for the exact-bind child: the same ids
// inside as outside (supervisor/net.cc).
struct IdMaps {
  std::string uid = fmt::format("{} {} 1", geteuid(), geteuid());
  std::string gid = fmt::format("{} {} 1", getegid(), getegid());
};

bool PutFile(const char* file, const std::string& text) {
  int fd = open(file, O_WRONLY | O_CLOEXEC);
  bool ok = fd >= 0 && write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  int e = errno;
  if (fd >= 0) close(fd);
  errno = e;
  return ok;
}

// In a child that has just made a user namespace: map its ids. 0 or errno.
int MapIds(const IdMaps& m) {
  // A non-dumpable process cannot write its own maps.
  prctl(PR_SET_DUMPABLE, 1);
  if (!PutFile("/proc/self/setgroups", "deny") && errno != ENOENT) return errno;
  if (!PutFile("/proc/self/uid_map", m.uid)) return errno;
  if (!PutFile("/proc/self/gid_map", m.gid)) return errno;
  return 0;
}

Feature ProbeFilter() {
  Feature f = Make("seccomp-filter", Need::kRequired, "the seccomp-bpf program (what the kernel decides alone)");
  const auto prog = MarkFilter({__NR_getppid}, SECCOMP_RET_ERRNO | kMarkErrno);
  int rep[2] = {-1, 0};  // step, errno
  const std::string got = InChild(
      [&](int fd) {
        int res[2] = {0, 0};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
          res[0] = 1, res[1] = errno;
        } else if (InstallFilter(prog, 0) != 0) {
          res[0] = 2, res[1] = errno;
        } else if (syscall(__NR_getppid) != -1 || errno != kMarkErrno) {
          res[0] = 3;
        }
        Put(fd, res, 2);
      },
      rep, 2);
  if (!got.empty()) Miss(f, got);
  else if (rep[0] == 1) Miss(f, Why(rep[1], "prctl(PR_SET_NO_NEW_PRIVS)"));
  else if (rep[0] == 2) Miss(f, Why(rep[1], "seccomp(SECCOMP_SET_MODE_FILTER)"));
  else if (rep[0] == 3) Miss(f, "the installed program did not decide the call");
  else Pass(f);
  return f;
}

Feature ProbeActions() {
  Feature f = Make("seccomp-actions", Need::kRequired,
                   "the program's actions (KILL_PROCESS, KILL_THREAD, TRAP, ERRNO, USER_NOTIF, LOG, ALLOW)");
  struct A { uint32_t action; const char* name; };
  const A kActions[] = {{SECCOMP_RET_KILL_PROCESS, "KILL_PROCESS"}, {SECCOMP_RET_KILL_THREAD, "KILL_THREAD"},
                        {SECCOMP_RET_TRAP, "TRAP"},                 {SECCOMP_RET_ERRNO, "ERRNO"},
                        {SECCOMP_RET_USER_NOTIF, "USER_NOTIF"},     {SECCOMP_RET_LOG, "LOG"},
                        {SECCOMP_RET_ALLOW, "ALLOW"}};
  std::string missing;
  int first_err = 0;
  bool same = true;
  for (const A& a : kActions) {
    uint32_t action = a.action;
    // Asks only; changes nothing in the calling process.
    if (syscall(__NR_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0) {
      same = false;
      continue;
    }
    if (!first_err) first_err = errno;
    same = same && errno == first_err;
    missing += fmt::format("{}{} ({})", missing.empty() ? "" : ", ", a.name, ErrnoName(errno));
  }
  if (missing.empty()) Pass(f);
  else if (same) Miss(f, Why(first_err, "seccomp(SECCOMP_GET_ACTION_AVAIL)"));
  else Miss(f, "seccomp(SECCOMP_GET_ACTION_AVAIL) refuses " + missing);
  return f;
}

// The user-notification family, from one child: its filter is installed
// with sydbox's flags, the listener comes over a socket, and the child
// makes two calls that come here: openat, answered with ADDFD|SEND of
// /dev/null, and getppid, answered with CONTINUE. The child says what it
// got: the descriptor it received must be /dev/null, getppid's answer its
// real parent.
std::vector<Feature> ProbeNotify() {
  Feature notif = Make("seccomp-user-notif", Need::kRequired,
                       "calls decided by the supervisor (NEW_LISTENER, NOTIF_RECV, NOTIF_SEND, NOTIF_ID_VALID)");
  Feature killable = Make("seccomp-wait-killable-recv", Need::kRequired,
                          "the flag of sydbox's filter: a received call is not restarted by a signal");
  Feature addfd = Make("seccomp-addfd", Need::kRequired,
                       "opens performed by the supervisor (NOTIF_ADDFD with ADDFD_FLAG_SEND)");
  Feature cont = Make("seccomp-continue", Need::kRequired, "letting a checked call run (USER_NOTIF_FLAG_CONTINUE)");
  Feature sync = Make("seccomp-sync-wake-up", Need::kOptional,
                      "a faster round trip to the supervisor (NOTIF_SET_FLAGS with USER_NOTIF_FD_SYNC_WAKE_UP)",
                      "the default wake-up, measured 16 instead of 11 microseconds per notified call");
  auto all = [&] { return std::vector<Feature>{notif, killable, addfd, cont, sync}; };
  auto miss_rest = [&](const std::string& why) {
    for (Feature* f : {&addfd, &cont, &sync})
      if (!f->ok && f->reason.empty()) Miss(*f, why);
  };

  struct stat null_st;
  if (stat("/dev/null", &null_st) != 0 || !S_ISCHR(null_st.st_mode)) {
    Miss(notif, "no /dev/null to answer with");
    Miss(killable, "not probed: no /dev/null");
    miss_rest("not probed: no /dev/null");
    return all();
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    Miss(notif, Why(errno, "socketpair"));
    Miss(killable, "not probed");
    miss_rest("not probed");
    return all();
  }
  UniqueFd ours(sv[0]), theirs(sv[1]);
  const auto prog = MarkFilter({__NR_openat, __NR_getppid}, SECCOMP_RET_USER_NOTIF);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    Miss(notif, Why(errno, "fork"));
    Miss(killable, "not probed");
    miss_rest("not probed");
    return all();
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    const int sock = theirs.get();
    // errno of the install with sydbox's flags, and of one without
    // WAIT_KILLABLE_RECV (tried only when the first fails).
    int hdr[2] = {0, 0};
    long listener = -1;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
      hdr[0] = hdr[1] = errno;
    } else {
      listener = InstallFilter(prog, SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
      if (listener < 0) {
        hdr[0] = errno;
        listener = InstallFilter(prog, SECCOMP_FILTER_FLAG_NEW_LISTENER);
        if (listener < 0) hdr[1] = errno;
      }
    }
    iovec iov{hdr, sizeof hdr};
    alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))] = {};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (listener >= 0) {
      mh.msg_control = cbuf;
      mh.msg_controllen = sizeof cbuf;
      cmsghdr* cm = CMSG_FIRSTHDR(&mh);
      cm->cmsg_level = SOL_SOCKET;
      cm->cmsg_type = SCM_RIGHTS;
      cm->cmsg_len = CMSG_LEN(sizeof(int));
      const int lfd = static_cast<int>(listener);
      std::memcpy(CMSG_DATA(cm), &lfd, sizeof lfd);
    }
    if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 || listener < 0) _exit(0);
    close(static_cast<int>(listener));
    // 1: got /dev/null; 2: got another file; -errno: the call failed.
    int res[2] = {0, 0};
    long fd = syscall(__NR_openat, AT_FDCWD, kMarkPath, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0) res[0] = -errno;
    else res[0] = fstat(static_cast<int>(fd), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == null_st.st_rdev ? 1 : 2;
    // 1: the real parent (the call ran); 2: another answer.
    long pp = syscall(__NR_getppid);
    res[1] = pp == parent ? 1 : pp < 0 ? -errno : 2;
    Put(sock, res, 2);
    _exit(0);
  }
  theirs.Reset();

  // The listener and the install's errnos.
  int hdr[2] = {0, 0};
  UniqueFd listener;
  {
    iovec iov{hdr, sizeof hdr};
    alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))] = {};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof cbuf;
    ssize_t n = -1;
    if (WaitReadable(ours.get(), Deadline())) n = recvmsg(ours.get(), &mh, MSG_CMSG_CLOEXEC);
    if (n != sizeof hdr) {
      Reap(pid);
      Miss(notif, kNoAnswer);
      Miss(killable, kNoAnswer);
      miss_rest(kNoAnswer);
      return all();
    }
    for (cmsghdr* cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
      if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
        int lfd;
        std::memcpy(&lfd, CMSG_DATA(cm), sizeof lfd);
        listener.Reset(lfd);
      }
    }
  }
  if (hdr[0] == 0) Pass(killable);
  else Miss(killable, Why(hdr[0], "seccomp(NEW_LISTENER|WAIT_KILLABLE_RECV)"));
  if (!listener.valid()) {
    Reap(pid);
    Miss(notif, hdr[1] ? Why(hdr[1], "seccomp(SECCOMP_FILTER_FLAG_NEW_LISTENER)") : "no listener came back");
    miss_rest("needs seccomp-user-notif");
    return all();
  }
  const uint64_t wake = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
  if (ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_SET_FLAGS, wake) == 0) Pass(sync);
  else Miss(sync, Why(errno, "ioctl(SECCOMP_IOCTL_NOTIF_SET_FLAGS, SYNC_WAKE_UP)"));

  // Receives the next call; the reason it could not, or empty.
  auto receive = [&](seccomp_notif& req, int want_nr) -> std::string {
    std::memset(&req, 0, sizeof req);
    if (!WaitReadable(listener.get(), Deadline())) return "no notification arrived";
    if (ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) return Why(errno, "ioctl(SECCOMP_IOCTL_NOTIF_RECV)");
    if (req.data.nr != want_nr || req.pid != static_cast<uint32_t>(pid)) return "an unexpected notification arrived";
    if (ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_ID_VALID, &req.id) != 0)
      return Why(errno, "ioctl(SECCOMP_IOCTL_NOTIF_ID_VALID)");
    return {};
  };
  auto answer_error = [&](uint64_t id) {
    seccomp_notif_resp resp{};
    resp.id = id;
    resp.error = -ENOSYS;
    return ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0;
  };
  std::string notif_why;
  int addfd_err = 0, cont_err = 0;
  seccomp_notif req;
  // 1. openat: answered with /dev/null, installed by ADDFD with SEND.
  notif_why = receive(req, __NR_openat);
  if (notif_why.empty()) {
    UniqueFd null_fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
    seccomp_notif_addfd add{};
    add.id = req.id;
    add.flags = SECCOMP_ADDFD_FLAG_SEND;
    add.srcfd = static_cast<uint32_t>(null_fd.get());
    add.newfd_flags = O_CLOEXEC;
    if (!null_fd.valid()) addfd_err = errno;
    else if (ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0) addfd_err = errno;
    if (addfd_err && !answer_error(req.id)) notif_why = Why(errno, "ioctl(SECCOMP_IOCTL_NOTIF_SEND)");
  }
  // 2. getppid: runs in the caller.
  if (notif_why.empty()) notif_why = receive(req, __NR_getppid);
  if (notif_why.empty()) {
    seccomp_notif_resp resp{};
    resp.id = req.id;
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    if (ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0) {
      cont_err = errno;
      if (!answer_error(req.id)) notif_why = Why(errno, "ioctl(SECCOMP_IOCTL_NOTIF_SEND)");
    }
    // An answered call is no longer valid: what sydbox's re-checks rely on.
    if (notif_why.empty() && ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_ID_VALID, &req.id) == 0)
      notif_why = "NOTIF_ID_VALID still says valid after the answer";
  }
  int res[2] = {0, 0};
  const bool reported = notif_why.empty() && ReadInts(ours.get(), res, 2);
  Reap(pid);
  if (!notif_why.empty()) {
    Miss(notif, notif_why);
    miss_rest("needs seccomp-user-notif");
    return all();
  }
  if (!reported) {
    Miss(notif, kNoAnswer);
    miss_rest(kNoAnswer);
    return all();
  }
  Pass(notif);
  if (addfd_err) Miss(addfd, Why(addfd_err, "ioctl(SECCOMP_IOCTL_NOTIF_ADDFD, ADDFD_FLAG_SEND)"));
  else if (res[0] == 1) Pass(addfd);
  else if (res[0] < 0) Miss(addfd, Why(-res[0], "the caller's openat after ADDFD"));
  else Miss(addfd, "the caller did not receive the descriptor sent");
  if (cont_err) Miss(cont, Why(cont_err, "ioctl(SECCOMP_IOCTL_NOTIF_SEND, USER_NOTIF_FLAG_CONTINUE)"));
  else if (res[1] == 1) Pass(cont);
  else if (res[1] < 0) Miss(cont, Why(-res[1], "the caller's getppid after CONTINUE"));
  else Miss(cont, "the call did not run in the caller");
  return all();
}

// Marks a child's memory for the process_vm probes: the child changes its
// copy after fork, so the parent's copy and the child's differ.
char g_marker[32] = "parent";
constexpr char kChildText[] = "written-by-the-child";
constexpr char kParentText[] = "written-by-the-parent";

// pidfd_open, pidfd_send_signal, pidfd_getfd, process_vm_readv and
// process_vm_writev, on a plain child of the same user (as sydbox uses them
// on the sandbox's processes).
std::vector<Feature> ProbeProcessAccess() {
  Feature open_f = Make("pidfd-open", Need::kRequired, "process handles that a reused pid cannot redirect");
  Feature getfd = Make("pidfd-getfd", Need::kRequired,
                       "taking the listener; socket calls made on a copy of the caller's socket");
  Feature signal_f = Make("pidfd-send-signal", Need::kRequired,
                          "kill decisions and liveness checks through process handles");
  Feature readv = Make("process-vm-readv", Need::kRequired,
                       "reading the caller's path, address and structure arguments");
  Feature writev = Make("process-vm-writev", Need::kRequired,
                        "writing answers into the caller's memory (magic stat, stat, directory listings)");
  auto all = [&] { return std::vector<Feature>{open_f, getfd, signal_f, readv, writev}; };
  auto miss_all = [&](const std::string& why) {
    for (Feature* f : {&open_f, &getfd, &signal_f, &readv, &writev}) Miss(*f, why);
    return all();
  };
  int up[2], down[2];
  if (pipe2(up, O_CLOEXEC) != 0) return miss_all(Why(errno, "pipe2"));
  UniqueFd up_r(up[0]), up_w(up[1]);
  if (pipe2(down, O_CLOEXEC) != 0) return miss_all(Why(errno, "pipe2"));
  UniqueFd down_r(down[0]), down_w(down[1]);
  const int child_fd = up_w.get();  // the number the child's copy has
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return miss_all(Why(errno, "fork"));
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    prctl(PR_SET_DUMPABLE, 1);
    std::memcpy(g_marker, kChildText, sizeof kChildText);
    int ready = 1;
    Put(up_w.get(), &ready, 1);
    char go;
    while (read(down_r.get(), &go, 1) < 0 && errno == EINTR) {
    }
    asm volatile("" ::: "memory");  // g_marker was written from outside
    int res = std::memcmp(g_marker, kParentText, sizeof kParentText) == 0 ? 1 : 2;
    Put(up_w.get(), &res, 1);
    _exit(0);
  }
  up_w.Reset();
  down_r.Reset();
  int ready = 0;
  if (!ReadInts(up_r.get(), &ready, 1)) {
    Reap(pid);
    return miss_all(kNoAnswer);
  }
  struct stat pipe_st;
  fstat(up_r.get(), &pipe_st);

  long pidfd_raw = syscall(SYS_pidfd_open, pid, 0);
  UniqueFd pidfd(pidfd_raw < 0 ? -1 : static_cast<int>(pidfd_raw));
  if (!pidfd.valid()) {
    Miss(open_f, Why(errno, "pidfd_open"));
    Miss(getfd, "needs pidfd-open");
    Miss(signal_f, "needs pidfd-open");
  } else {
    Pass(open_f);
    if (syscall(SYS_pidfd_send_signal, pidfd.get(), 0, nullptr, 0) == 0) Pass(signal_f);
    else Miss(signal_f, Why(errno, "pidfd_send_signal"));
    long copy_raw = syscall(SYS_pidfd_getfd, pidfd.get(), child_fd, 0);
    UniqueFd copy(copy_raw < 0 ? -1 : static_cast<int>(copy_raw));
    struct stat st;
    if (!copy.valid()) Miss(getfd, Why(errno, "pidfd_getfd"));
    else if (fstat(copy.get(), &st) == 0 && st.st_ino == pipe_st.st_ino && st.st_dev == pipe_st.st_dev) Pass(getfd);
    else Miss(getfd, "the copy is not the child's descriptor");
  }

  char buf[sizeof g_marker] = {};
  iovec local{buf, sizeof kChildText};
  iovec remote{g_marker, sizeof kChildText};
  ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  if (n < 0) Miss(readv, Why(errno, "process_vm_readv"));
  else if (n == static_cast<ssize_t>(sizeof kChildText) && std::memcmp(buf, kChildText, sizeof kChildText) == 0) Pass(readv);
  else Miss(readv, "read something else than the child's memory");

  iovec wlocal{const_cast<char*>(kParentText), sizeof kParentText};
  iovec wremote{g_marker, sizeof kParentText};
  n = process_vm_writev(pid, &wlocal, 1, &wremote, 1, 0);
  const int write_err = n < 0 ? errno : 0;
  char go = 'G';
  (void)!write(down_w.get(), &go, 1);
  int res = 0;
  const bool reported = ReadInts(up_r.get(), &res, 1);
  Reap(pid);
  if (write_err) Miss(writev, Why(write_err, "process_vm_writev"));
  else if (!reported) Miss(writev, kNoAnswer);
  else if (res == 1) Pass(writev);
  else Miss(writev, "the child's memory did not change");
  return all();
}

Feature ProbeOpenat2() {
  Feature f = Make("openat2", Need::kRequired,
                   "the supervisor's lookups, which refuse what was not checked (RESOLVE_BENEATH, "
                   "RESOLVE_IN_ROOT, RESOLVE_NO_SYMLINKS, RESOLVE_NO_MAGICLINKS)");
  auto open2 = [](int dirfd, const char* path, uint64_t resolve) {
    open_how how{};
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = resolve;
    long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    return UniqueFd(fd < 0 ? -1 : static_cast<int>(fd));
  };
  UniqueFd root = open2(AT_FDCWD, "/", RESOLVE_NO_MAGICLINKS);
  if (!root.valid()) {
    Miss(f, Why(errno, "openat2(RESOLVE_NO_MAGICLINKS)"));
    return f;
  }
  if (!open2(root.get(), ".", RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS).valid()) {
    Miss(f, Why(errno, "openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS)"));
    return f;
  }
  if (!open2(root.get(), "/", RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS).valid()) {
    Miss(f, Why(errno, "openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS)"));
    return f;
  }
  Pass(f);
  return f;
}

Feature ProbeLandlock() {
  Feature f = Make("landlock", Need::kOptional,
                   "keeping the sandbox's ptrace-checked access (ABI 1) and signals (ABI 6) inside, in the kernel; "
                   "read/write/exec paths in landlock mode (ABI 1) and as a backstop under deny mode (ABI 2)",
                   "those calls are checked in user space, /proc/PID/mem of the user's processes outside is "
                   "guarded by write sandboxing only, exact UNIX binds need root, no backstop, the landlock "
                   "mode and --landlock=require refuse to run");
  long abi = syscall(__NR_landlock_create_ruleset, nullptr, 0, uapi::kLandlockCreateRulesetVersion);
  if (abi < 0) {
    const int e = errno;
    Miss(f, Why(e, "landlock_create_ruleset") + (e == EOPNOTSUPP ? " (disabled at boot)" : ""));
    return f;
  }
  // The domain sydbox makes (supervisor.cc): the signal scope where the
  // kernel has it, else block devices handled and granted again.
  LandlockDomain d;
  if (abi >= 6) d.scoped = uapi::kLandlockScopeSignal;
  else d.handled_make_block = true;
  int rep[2] = {-1, 0};
  const std::string got = InChild(
      [&](int fd) {
        int res[2] = {0, 0};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) res[0] = 1, res[1] = errno;
        else if (int e = LandlockRestrictSelf(d)) res[0] = 2, res[1] = e;
        Put(fd, res, 2);
      },
      rep, 2);
  if (!got.empty()) Miss(f, got);
  else if (rep[0] == 1) Miss(f, Why(rep[1], "prctl(PR_SET_NO_NEW_PRIVS)"));
  else if (rep[0] == 2) Miss(f, Why(rep[1], "landlock_restrict_self"));
  else if (abi < 6)
    Pass(f, fmt::format("ABI {} (signals are scoped from ABI 6: here they are checked in user space, and "
                        "--landlock=require refuses to run)", abi));
  else Pass(f, fmt::format("ABI {}", abi));
  return f;
}

constexpr const char* kExactBindWithout =
    "binds by the bare name from the checked directory (race-free too; getsockname() shows that name)";

Feature ProbeUserNamespaces() {
  Feature f = Make("user-namespaces", Need::kOptional,
                   "unprivileged, UNIX sockets bound race-free with the very address the caller gave",
                   kExactBindWithout);
  const IdMaps maps;
  int rep[2] = {-1, 0};
  const std::string got = InChild(
      [&](int fd) {
        int res[2] = {0, 0};
        if (unshare(CLONE_NEWUSER) != 0) res[0] = 1, res[1] = errno;
        else if (int e = MapIds(maps)) res[0] = 2, res[1] = e;
        Put(fd, res, 2);
      },
      rep, 2);
  if (!got.empty()) Miss(f, got);
  else if (rep[0] == 1) Miss(f, Why(rep[1], "unshare(CLONE_NEWUSER)"));
  else if (rep[0] == 2) Miss(f, Why(rep[1], "writing the id maps"));
  else Pass(f);
  return f;
}

// What supervisor/net.cc's exact bind does before it binds: a mount
// namespace (in a user namespace when unprivileged), a detached tmpfs, a
// clone of a directory's mount moved into it.
Feature ProbeMountApi() {
  Feature f = Make("mount-api", Need::kOptional,
                   "the same exact binds (fsopen, fsmount, open_tree, move_mount)",
                   kExactBindWithout);
  const IdMaps maps;
  const bool root = geteuid() == 0;
  const char* const kSteps[] = {"",
                                root ? "unshare(CLONE_NEWNS)" : "unshare(CLONE_NEWUSER|CLONE_NEWNS)",
                                "writing the id maps",
                                "fsopen(tmpfs)",
                                "fsconfig(FSCONFIG_CMD_CREATE)",
                                "fsmount",
                                "mkdirat in the new tmpfs",
                                "open_tree(OPEN_TREE_CLONE)",
                                "move_mount"};
  int rep[2] = {-1, 0};
  const std::string got = InChild(
      [&](int fd) {
        int res[2] = {0, 0};
        auto fail = [&](int step) {
          res[0] = step;
          res[1] = errno;
          Put(fd, res, 2);
          _exit(0);
        };
        if (unshare(root ? CLONE_NEWNS : (CLONE_NEWUSER | CLONE_NEWNS)) != 0) fail(1);
        if (!root) {
          if (int e = MapIds(maps)) {
            errno = e;
            fail(2);
          }
        }
        int fs = static_cast<int>(syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC));
        if (fs < 0) fail(3);
        if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) fail(4);
        int top = static_cast<int>(syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0));
        if (top < 0) fail(5);
        if (mkdirat(top, "d", 0755) != 0) fail(6);
        int at = openat(top, "d", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (at < 0) fail(6);
        int src = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        int tree = src < 0 ? -1
                           : static_cast<int>(syscall(SYS_open_tree, src, "",
                                                      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH));
        if (tree < 0) fail(7);
        if (syscall(SYS_move_mount, tree, "", at, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) fail(8);
        Put(fd, res, 2);
      },
      rep, 2);
  if (!got.empty()) Miss(f, got);
  else if (rep[0] > 0 && rep[0] < static_cast<int>(std::size(kSteps))) Miss(f, Why(rep[1], kSteps[rep[0]]));
  else Pass(f);
  return f;
}

// spawn.cc's private /proc: as root exactly that (a mount namespace, every
// mount a slave, procfs with hidepid=invisible); unprivileged, sydbox does
// not make one, and the same mounts are made in a user and pid namespace
// to see whether the kernel could.
Feature ProbePrivateProc() {
  Feature f = Make("private-proc", Need::kOptional,
                   "as root, a /proc of the sandbox's own (mount namespace, hidepid=invisible)",
                   "the sandbox's /proc shows sydbox's entries");
  const IdMaps maps;
  const bool root = geteuid() == 0;
  const char* const kSteps[] = {"",
                                root ? "unshare(CLONE_NEWNS)" : "unshare(CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWPID)",
                                "writing the id maps",
                                "fork",
                                "mount(/, MS_REC|MS_SLAVE)",
                                "mount(proc, hidepid=invisible)"};
  constexpr int kInitDied = 6;  // with the signal instead of an errno
  // step, errno, and a last number written by the probe's own child when
  // nothing of the probe is left (the namespace's first process reaped).
  int rep[3] = {-1, 0, 0};
  const std::string got = InChild(
      [&](int fd) {
        auto fail = [&](int step) {
          const int res[3] = {step, errno, 1};
          Put(fd, res, 3);
          _exit(0);
        };
        // 0, or the step that failed (errno set).
        auto mount_proc = [] {
          if (mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) return 4;
          if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, kHiddenProcOptions) != 0) return 5;
          return 0;
        };
        if (root) {
          if (unshare(CLONE_NEWNS) != 0) fail(1);
          if (int step = mount_proc()) fail(step);
          const int res[3] = {0, 0, 1};
          Put(fd, res, 3);
          return;
        }
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID) != 0) fail(1);
        if (int e = MapIds(maps)) {
          errno = e;
          fail(2);
        }
        // The first child is the new pid namespace's init: procfs can be
        // mounted for that namespace only from inside it.
        pid_t init = fork();
        if (init < 0) fail(3);
        if (init == 0) {
          const int step = mount_proc();
          const int res[2] = {step, step ? errno : 0};
          Put(fd, res, 2);
          _exit(0);
        }
        int status = 0;
        while (waitpid(init, &status, 0) < 0 && errno == EINTR) {
        }
        if (!WIFEXITED(status)) {
          errno = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
          fail(kInitDied);
        }
        const int done = 1;
        Put(fd, &done, 1);
      },
      rep, 3);
  if (!got.empty()) Miss(f, got);
  else if (rep[0] == kInitDied) Miss(f, fmt::format("the pid namespace's first process died (signal {})", rep[1]));
  else if (rep[0] > 0 && rep[0] < static_cast<int>(std::size(kSteps))) Miss(f, Why(rep[1], kSteps[rep[0]]));
  else Pass(f, root ? "" : "in a user and pid namespace here (sydbox makes one only as root)");
  return f;
}

}  // namespace

std::vector<Feature> ProbeKernel() {
  std::vector<Feature> out;
  auto add = [&](std::vector<Feature> v) {
    for (Feature& f : v) out.push_back(std::move(f));
  };
  out.push_back(ProbeFilter());
  out.push_back(ProbeActions());
  add(ProbeNotify());
  add(ProbeProcessAccess());
  out.push_back(ProbeOpenat2());
  out.push_back(ProbeLandlock());
  out.push_back(ProbeUserNamespaces());
  out.push_back(ProbeMountApi());
  out.push_back(ProbePrivateProc());
  return out;
}

}  // namespace syd::kernel
