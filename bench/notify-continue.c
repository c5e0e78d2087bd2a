/* bench/notify-continue: the user-notification floor. notify-continue
 * CLASS -- COMMAND: every call of CLASS (stat | open | exec | chmod | names | all)
 * goes to this supervisor, which answers CONTINUE without looking at it.
 * One thread, blocking receive: the smallest possible supervisor.
 *
 * NOTIFY_ADDFD=1: openat(2) calls are instead performed here, unchecked,
 * and the descriptor handed over with ADDFD|SEND: the floor of answering
 * an open race-free (read the path, open it, install it). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/uio.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

static int nrs[32], nnrs;

static void add(int nr) { nrs[nnrs++] = nr; }
static void on_signal(int sig) { (void)sig; }

int main(int argc, char** argv) {
  if (argc < 4 || strcmp(argv[2], "--")) {
    fprintf(stderr, "usage: notify-continue stat|open|exec|chmod|names|all -- COMMAND\n");
    return 2;
  }
  const char* cls = argv[1];
  int all = !strcmp(cls, "all");
  if (all || !strcmp(cls, "stat")) { add(SYS_stat); add(SYS_lstat); add(SYS_newfstatat); add(SYS_statx); }
  if (all || !strcmp(cls, "open")) { add(SYS_open); add(SYS_openat); add(SYS_creat); }
  if (all || !strcmp(cls, "exec")) { add(SYS_execve); add(SYS_execveat); }
  if (all || !strcmp(cls, "chmod")) { add(SYS_chmod); add(SYS_fchmodat); add(452 /* fchmodat2 */); }
  /* names: the calls that create, remove and rename them (mknod, link and
   * symlink aside: the loops do not make them) */
  if (all || !strcmp(cls, "names")) {
    add(SYS_mkdir); add(SYS_mkdirat); add(SYS_rmdir); add(SYS_unlink); add(SYS_unlinkat);
    add(SYS_rename); add(SYS_renameat); add(SYS_renameat2);
  }
  struct sock_filter f[64];
  int n = 0;
  f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
  for (int i = 0; i < nnrs; ++i) {
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nrs[i], (unsigned char)(nnrs - i), 0);
  }
  f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
  struct sock_fprog prog = {(unsigned short)n, f};
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  pid_t child = fork();
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    int fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                     SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &prog);
    if (fd < 0) _exit(126);
    if (write(sv[1], &fd, sizeof fd) != sizeof fd) _exit(126);
    char go;
    if (read(sv[1], &go, 1) != 1) _exit(126);
    close(fd);
    execvp(argv[3], argv + 3);
    _exit(127);
  }
  int remote;
  if (read(sv[0], &remote, sizeof remote) != sizeof remote) return 1;
  int pidfd = syscall(SYS_pidfd_open, child, 0);
  int listener = syscall(SYS_pidfd_getfd, pidfd, remote, 0);
  if (listener < 0) { perror("pidfd_getfd"); return 1; }
  /* NOTIFY_SYNC=1: hand the CPU over on each notification (Linux 6.6),
   * as sydbox does by default. */
  const char* sync = getenv("NOTIFY_SYNC");
  if (sync && !strcmp(sync, "1")) {
    /* SECCOMP_IOCTL_NOTIF_SET_FLAGS takes the flags by value. */
    if (ioctl(listener, SECCOMP_IOW(4, unsigned long long), 1UL /* SYNC_WAKE_UP */) != 0) {
      perror("SECCOMP_IOCTL_NOTIF_SET_FLAGS");
      return 1;
    }
  }
  const char* addfd_env = getenv("NOTIFY_ADDFD");
  const int addfd = addfd_env && !strcmp(addfd_env, "1");
  if (write(sv[0], "g", 1) != 1) return 1;
  close(sv[0]);
  /* The receive blocks; SIGCHLD and a 50 ms timer (handlers without
   * SA_RESTART) interrupt it so the child's exit is noticed. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGCHLD, &sa, NULL);
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {{0, 50000}, {0, 50000}};
  setitimer(ITIMER_REAL, &it, NULL);
  for (;;) {
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    memset(&req, 0, sizeof req);
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
      int st;
      if (waitpid(child, &st, WNOHANG) == child) return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
      if (errno == EINTR || errno == ENOENT) continue;
      break;
    }
    if (addfd && req.data.nr == SYS_openat && (int)req.data.args[0] == AT_FDCWD) {
      char path[256];
      struct iovec local = {path, sizeof path}, remote_iov = {(void*)req.data.args[1], sizeof path};
      if (process_vm_readv((pid_t)req.pid, &local, 1, &remote_iov, 1, 0) > 0 && memchr(path, 0, sizeof path)) {
        int fd = openat(AT_FDCWD, path, (int)req.data.args[2] | O_CLOEXEC, (mode_t)req.data.args[3]);
        if (fd >= 0) {
          struct seccomp_notif_addfd a;
          memset(&a, 0, sizeof a);
          a.id = req.id;
          a.flags = SECCOMP_ADDFD_FLAG_SEND;
          a.srcfd = (unsigned)fd;
          a.newfd_flags = (unsigned)(req.data.args[2] & O_CLOEXEC);
          int r = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
          close(fd);
          if (r >= 0) continue;
        }
      }
    }
    memset(&resp, 0, sizeof resp);
    resp.id = req.id;
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  }
  int st;
  waitpid(child, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
