/* syd-caller: programs that check that a call the supervisor performs is
 * the caller's call: O_PATH descriptors, the controlling terminal, signals
 * that interrupt a blocking call, the address of a bound UNIX socket, the
 * umask and root of a process whose fs_struct another process shares.
 * Exit status: 0 on success, else the errno of the call under test; what
 * the call observed is printed on stdout, one line.
 *
 *   syd-caller CASE ARG...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

static const char* ename(int e) { return e ? (strerrorname_np(e) ? strerrorname_np(e) : "?") : "OK"; }

static int fail(const char* what) {
  int e = errno;
  printf("%s %s\n", what, ename(e));
  return e;
}

/* The controlling terminal's device number, from /proc/self/stat (0: none). */
static long tty_nr(void) {
  char buf[4096];
  int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  char* p = strrchr(buf, ')');
  if (!p) return -1;
  char state;
  int ppid, pgrp, session, tty;
  if (sscanf(p + 2, "%c %d %d %d %d", &state, &ppid, &pgrp, &session, &tty) != 5) return -1;
  return tty;
}

/* A new pty: master fd and the slave's name. */
static int new_pty(char* name, size_t len) {
  int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0 || ptsname_r(m, name, len) != 0) return -1;
  return m;
}

/* Reads what arrived on a pty master within a short time. */
static void drain(int m, char* out, size_t len) {
  size_t got = 0;
  out[0] = 0;
  for (int i = 0; i < 50 && got + 1 < len; ++i) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    ssize_t n = read(m, out + got, len - 1 - got);
    if (n > 0) {
      got += (size_t)n;
      out[got] = 0;
      if (strchr(out, '\n')) break;
    } else {
      nanosleep(&ts, NULL);
    }
  }
  for (char* p = out; *p; ++p)
    if (*p == '\r' || *p == '\n') *p = 0;
}

/* ---- O_PATH ---------------------------------------------------------- */

/* opath DIR NAME: an O_PATH descriptor of DIR used every way one is used:
 * fstat, as a dirfd, through /proc/self/fd/N, readlink of that link. */
static int opath(const char* dir, const char* name) {
  int fd = (int)syscall(__NR_openat, AT_FDCWD, dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail("open");
  int fl = fcntl(fd, F_GETFL);
  struct stat st;
  if (fstat(fd, &st) != 0) return fail("fstat");
  int in = openat(fd, name, O_RDONLY | O_CLOEXEC);
  if (in < 0) return fail("openat");
  char data[64] = {0};
  if (read(in, data, sizeof data - 1) < 0) return fail("read");
  data[strcspn(data, "\n")] = 0;
  char link[64], target[4096] = {0}, via[4200];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  if (readlink(link, target, sizeof target - 1) < 0) return fail("readlink");
  snprintf(via, sizeof via, "%s/%s", link, name);
  int again = open(via, O_RDONLY | O_CLOEXEC);
  if (again < 0) return fail("reopen");
  printf("opath=%d dir=%d data=%s target=%s\n", (fl & O_PATH) != 0, S_ISDIR(st.st_mode), data, target);
  return 0;
}

/* opath-file PATH: O_PATH of a file (or a symlink with O_NOFOLLOW). */
static int opath_file(const char* path, int nofollow) {
  int fd = (int)syscall(__NR_open, path, O_PATH | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
  if (fd < 0) return fail("open");
  struct stat st;
  if (fstat(fd, &st) != 0) return fail("fstat");
  printf("opath=%d type=%o\n", (fcntl(fd, F_GETFL) & O_PATH) != 0, st.st_mode & S_IFMT);
  return 0;
}

/* opath-exec PROG: fexecve through an O_PATH descriptor. */
static int opath_exec(const char* prog) {
  int fd = (int)syscall(__NR_open, prog, O_PATH | O_CLOEXEC);
  if (fd < 0) return fail("open");
  char* argv[] = {(char*)prog, NULL};
  char* envp[] = {NULL};
  syscall(__NR_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
  return fail("execveat");
}

/* openat2-mode PATH: openat2 for reading with a mode (EINVAL natively). */
static int openat2_mode(const char* path) {
  struct { uint64_t flags, mode, resolve; } how = {O_RDONLY | O_CLOEXEC, 0600, 0};
  int fd = (int)syscall(__NR_openat2, AT_FDCWD, path, &how, sizeof how);
  if (fd < 0) return fail("openat2");
  printf("openat2 OK\n");
  return 0;
}

/* opath2 PATH: openat2 with O_PATH. */
static int opath2(const char* path) {
  struct { uint64_t flags, mode, resolve; } how = {O_PATH | O_CLOEXEC, 0, 0};
  int fd = (int)syscall(__NR_openat2, AT_FDCWD, path, &how, sizeof how);
  if (fd < 0) return fail("openat2");
  struct stat st;
  if (fstat(fd, &st) != 0) return fail("fstat");
  printf("opath=%d\n", (fcntl(fd, F_GETFL) & O_PATH) != 0);
  return 0;
}

/* opath-race ALLOWED DENIED SECONDS: a thread flips the path buffer of
 * O_PATH opens between an allowed path and one read sandboxing denies.
 * Every descriptor that names the denied object is then used to read it:
 * a file reopened through /proc/self/fd, a directory as the dirfd of an
 * open of its "secret"; "denied_reads" counts the reads that worked. */
static char race_buf[4096];
static const char* race_a;
static const char* race_b;
static volatile int race_stop;
static void* flipper(void* arg) {
  (void)arg;
  /* Alternate, so that wherever this thread is preempted the buffer is
   * either path with even odds. */
  for (unsigned i = 0; !race_stop; ++i) strcpy(race_buf, (i & 1) ? race_b : race_a);
  return NULL;
}
static int opath_race(const char* allowed, const char* denied, int seconds) {
  race_a = allowed;
  race_b = denied;
  strcpy(race_buf, allowed);
  pthread_t t;
  pthread_create(&t, NULL, flipper, NULL);
  struct stat dst;
  if (stat(denied, &dst) != 0) dst.st_ino = 0;
  long opened = 0, got_denied = 0, read_denied = 0;
  time_t end = time(NULL) + seconds;
  while (time(NULL) < end) {
    int fd = (int)syscall(__NR_open, race_buf, O_PATH | O_CLOEXEC);
    if (fd < 0) continue;
    ++opened;
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_ino == dst.st_ino) {
      ++got_denied;
      char via[64], data[64];
      snprintf(via, sizeof via, "/proc/self/fd/%d", fd);
      /* A directory: as the dirfd of an open of "secret" in it. */
      int r = S_ISDIR(st.st_mode) ? openat(fd, "secret", O_RDONLY | O_CLOEXEC) : open(via, O_RDONLY | O_CLOEXEC);
      if (r >= 0 && read(r, data, sizeof data) > 0) ++read_denied;
      if (r >= 0) close(r);
    }
    close(fd);
  }
  race_stop = 1;
  pthread_join(t, NULL);
  printf("opened=%ld denied_fds=%ld denied_reads=%ld\n", opened, got_denied, read_denied);
  return 0;
}

/* open-flags PATH SPEC: openat(AT_FDCWD, PATH, flags, 0666) with SPEC a
 * comma list of rdonly wronly rdwr creat excl trunc append nonblock
 * directory nofollow tmpfile path; prints the file type it opened. */
static int open_flags(const char* path, const char* spec) {
  static const struct { const char* name; int flag; } kFlags[] = {
      {"rdonly", O_RDONLY}, {"wronly", O_WRONLY}, {"rdwr", O_RDWR}, {"creat", O_CREAT},
      {"excl", O_EXCL}, {"trunc", O_TRUNC}, {"append", O_APPEND}, {"nonblock", O_NONBLOCK},
      {"directory", O_DIRECTORY}, {"nofollow", O_NOFOLLOW}, {"tmpfile", O_TMPFILE}, {"path", O_PATH}};
  int flags = O_CLOEXEC;
  char buf[256];
  snprintf(buf, sizeof buf, "%s", spec);
  for (char* tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
    int known = 0;
    for (size_t i = 0; i < sizeof kFlags / sizeof kFlags[0]; ++i)
      if (strcmp(tok, kFlags[i].name) == 0) {
        flags |= kFlags[i].flag;
        known = 1;
      }
    if (!known) return 100;
  }
  int fd = (int)syscall(__NR_openat, AT_FDCWD, path, flags, 0666);
  if (fd < 0) return fail("open");
  struct stat st;
  if (fstat(fd, &st) != 0) return fail("fstat");
  printf("open OK type=%o\n", st.st_mode & S_IFMT);
  return 0;
}

/* ---- the controlling terminal ---------------------------------------- */

/* in-pty CMD...: runs CMD as a session leader whose controlling terminal
 * is a new pty; what CMD writes to the pty is copied to stderr. */
static int in_pty(char** cmd) {
  char name[128];
  int m = new_pty(name, sizeof name);
  if (m < 0) return fail("pty");
  pid_t p = fork();
  if (p == 0) {
    setsid();
    int s = open(name, O_RDWR);
    if (s < 0 || ioctl(s, TIOCSCTTY, 0) != 0) _exit(fail("sctty"));
    close(s);
    execv(cmd[0], cmd);
    _exit(127);
  }
  int st;
  char buf[4096];
  fcntl(m, F_SETFL, O_NONBLOCK);
  int done = 0;
  for (;;) {
    ssize_t n = read(m, buf, sizeof buf);
    if (n > 0) {
      (void)!write(2, buf, (size_t)n);
      continue;
    }
    if (done) break;  /* drained after the exit */
    if (waitpid(p, &st, WNOHANG) == p) done = 1;
    else usleep(5000);
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* setsid-tty: after setsid() there is no controlling terminal: opening
 * /dev/tty fails with ENXIO (and must not reach anyone's terminal). */
static int setsid_tty(void) {
  pid_t p = fork();
  if (p == 0) {
    if (setsid() < 0) _exit(fail("setsid"));
    int fd = (int)syscall(__NR_open, "/dev/tty", O_WRONLY | O_CLOEXEC);
    if (fd < 0) _exit(fail("open"));
    (void)!write(fd, "LEAKED\n", 7);
    printf("open OK tty_nr=%ld\n", tty_nr());
    _exit(0);
  }
  int st;
  waitpid(p, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

/* pty-tty [sctty]: a session leader opens a new pty's slave (without
 * O_NOCTTY); prints whether it became the controlling terminal, then (with
 * "sctty") takes it with TIOCSCTTY, and writes through /dev/tty: the line
 * must arrive on this pty's master. */
static int pty_tty(int sctty) {
  char name[128];
  int m = new_pty(name, sizeof name);
  if (m < 0) return fail("pty");
  int pipefd[2];
  if (pipe(pipefd) != 0) return fail("pipe");
  pid_t p = fork();
  if (p == 0) {
    close(pipefd[0]);
    if (setsid() < 0) _exit(fail("setsid"));
    int s = (int)syscall(__NR_open, name, O_RDWR | O_CLOEXEC);
    if (s < 0) _exit(fail("open-slave"));
    int acquired = tty_nr() > 0;
    int took = -1;
    if (sctty) took = ioctl(s, TIOCSCTTY, 0) == 0 ? 0 : errno;
    int fd = (int)syscall(__NR_open, "/dev/tty", O_RDWR | O_CLOEXEC);
    int err = fd < 0 ? errno : 0;
    if (fd >= 0) (void)!write(fd, "via-dev-tty\n", 12);
    char line[256];
    int n = snprintf(line, sizeof line, "acquired=%d sctty=%s devtty=%s", acquired,
                     took < 0 ? "-" : ename(took), ename(err));
    (void)!write(pipefd[1], line, (size_t)n);
    _exit(0);
  }
  close(pipefd[1]);
  int st;
  waitpid(p, &st, 0);
  char line[256] = {0}, got[256];
  (void)!read(pipefd[0], line, sizeof line - 1);
  fcntl(m, F_SETFL, O_NONBLOCK);
  drain(m, got, sizeof got);
  printf("%s read=%s\n", line, got[0] ? got : "-");
  return 0;
}

/* ---- signals during a blocking call ----------------------------------- */

static const char* sig_fifo;
static int sig_listener = -1;
static volatile sig_atomic_t handled;
static void on_alarm(int sig) {
  (void)sig;
  handled = 1;
  /* With SA_RESTART the call starts again: let it succeed this time. */
  if (sig_fifo) (void)open(sig_fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (sig_listener >= 0) (void)accept(sig_listener, NULL, NULL);
}

/* fifo-alarm FIFO intr|restart: open FIFO for writing, which blocks (no
 * reader); SIGALRM arrives after 0.3 s. Without SA_RESTART the open fails
 * with EINTR; with it the handler opens a reader and the open restarts. */
static int fifo_alarm(const char* fifo, int restart) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sa.sa_flags = restart ? SA_RESTART : 0;
  sigaction(SIGALRM, &sa, NULL);
  if (restart) sig_fifo = fifo;
  ualarm(300000, 0);
  int fd = (int)syscall(__NR_open, fifo, O_WRONLY | O_CLOEXEC);
  int e = fd < 0 ? errno : 0;
  printf("open %s handled=%d\n", ename(e), handled);
  return e;
}

/* connect-alarm SOCK intr|restart: a blocking connect to a UNIX listener
 * whose backlog is full, interrupted by SIGALRM. */
static int connect_alarm(const char* path, int restart) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sa.sa_flags = restart ? SA_RESTART : 0;
  sigaction(SIGALRM, &sa, NULL);
  struct sockaddr_un un = {AF_UNIX, {0}};
  strncpy(un.sun_path, path, sizeof un.sun_path - 1);
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  unlink(path);
  if (bind(l, (struct sockaddr*)&un, sizeof un) != 0 || listen(l, 0) != 0) return fail("listen");
  /* Fill the backlog: connects that do not block, until one would. */
  for (int i = 0; i < 8; ++i) {
    int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (connect(c, (struct sockaddr*)&un, sizeof un) != 0) break;
  }
  if (restart) sig_listener = l;
  ualarm(300000, 0);
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  long r = syscall(__NR_connect, c, &un, sizeof un);
  int e = r < 0 ? errno : 0;
  printf("connect %s handled=%d\n", ename(e), handled);
  return e;
}

/* send-alarm intr|restart: a blocking sendmsg on a UNIX datagram socket
 * whose peer's queue is full, interrupted by SIGALRM (with SA_RESTART the
 * handler reads one datagram, so the restarted send goes through). */
static int sig_drain = -1;
static void on_alarm_drain(int sig) {
  (void)sig;
  handled = 1;
  char buf[64];
  if (sig_drain >= 0) (void)recv(sig_drain, buf, sizeof buf, MSG_DONTWAIT);
}
static int send_alarm(int restart) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0) return fail("socketpair");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm_drain;
  sa.sa_flags = restart ? SA_RESTART : 0;
  sigaction(SIGALRM, &sa, NULL);
  if (restart) sig_drain = sv[1];
  char msg[32] = "x";
  struct iovec iov = {msg, sizeof msg};
  struct msghdr mh;
  memset(&mh, 0, sizeof mh);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  for (int i = 0; i < 100000; ++i)
    if (syscall(__NR_sendmsg, sv[0], &mh, MSG_DONTWAIT) < 0) break;
  ualarm(300000, 0);
  long r = syscall(__NR_sendmsg, sv[0], &mh, 0);
  int e = r < 0 ? errno : 0;
  printf("send %s handled=%d\n", ename(e), handled);
  return e;
}

/* fifo-block FIFO: blocks opening FIFO for writing; prints "blocked" on
 * stderr first (the test then signals it). */
static void on_term(int sig) {
  (void)sig;
  handled = 1;
}
static int fifo_block(const char* fifo, int catch_term) {
  if (catch_term) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
  }
  fprintf(stderr, "blocked\n");
  int fd = (int)syscall(__NR_open, fifo, O_WRONLY | O_CLOEXEC);
  int e = fd < 0 ? errno : 0;
  printf("open %s handled=%d\n", ename(e), handled);
  return e;
}

/* fifo-flood FIFO N: N threads each open FIFO for writing (each blocks
 * until a reader appears); prints how many opened. */
static const char* flood_fifo;
static void* flood_open(void* arg) {
  (void)arg;
  long fd = syscall(__NR_open, flood_fifo, O_WRONLY | O_CLOEXEC);
  return (void*)(intptr_t)(fd >= 0);
}
static int fifo_flood(const char* fifo, int n) {
  flood_fifo = fifo;
  pthread_t* t = calloc((size_t)n, sizeof *t);
  pthread_attr_t at;
  pthread_attr_init(&at);
  pthread_attr_setstacksize(&at, 64 << 10);
  int made = 0, opened = 0;
  for (int i = 0; i < n; ++i)
    if (pthread_create(&t[made], &at, flood_open, NULL) == 0) ++made;
  fprintf(stderr, "started %d\n", made);
  for (int i = 0; i < made; ++i) {
    void* ok;
    pthread_join(t[i], &ok);
    opened += ok != NULL;
  }
  printf("opened=%d\n", opened);
  free(t);
  return opened == n ? 0 : 1;
}

/* ---- UNIX sockets ----------------------------------------------------- */

/* bind-name PATH: binds a UNIX socket to PATH (as given, relative or not),
 * prints getsockname(), then connects to it by the same string. */
static int bind_name(const char* path) {
  struct sockaddr_un un = {AF_UNIX, {0}};
  strncpy(un.sun_path, path, sizeof un.sun_path - 1);
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  if (syscall(__NR_bind, s, &un, sizeof un) != 0) return fail("bind");
  struct sockaddr_un got;
  socklen_t gl = sizeof got;
  memset(&got, 0, sizeof got);
  if (getsockname(s, (struct sockaddr*)&got, &gl) != 0) return fail("getsockname");
  listen(s, 1);
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  long r = syscall(__NR_connect, c, &got, gl);
  printf("name=%s connect=%s\n", got.sun_path, ename(r < 0 ? errno : 0));
  return 0;
}

/* bind-race DIR DENIED SECONDS: binds DIR/sub/s.sock over and over while a
 * thread swaps DIR/sub (a directory) with a symlink to DENIED; prints how
 * many binds landed in DENIED. */
static const char* br_dir;
static const char* br_denied;
static void* bind_swapper(void* arg) {
  (void)arg;
  char sub[4096], real[4096];
  snprintf(sub, sizeof sub, "%s/sub", br_dir);
  snprintf(real, sizeof real, "%s/sub.real", br_dir);
  while (!race_stop) {
    if (rename(sub, real) != 0) continue;
    if (symlink(br_denied, sub) == 0) unlink(sub);
    rename(real, sub);
  }
  return NULL;
}
static int bind_race(const char* dir, const char* denied, int seconds) {
  br_dir = dir;
  br_denied = denied;
  char sub[4096], path[4096], in_denied[4096];
  snprintf(sub, sizeof sub, "%s/sub", dir);
  snprintf(path, sizeof path, "%s/sub/s.sock", dir);
  snprintf(in_denied, sizeof in_denied, "%s/s.sock", denied);
  if (mkdir(sub, 0755) != 0) return fail("mkdir");
  pthread_t t;
  pthread_create(&t, NULL, bind_swapper, NULL);
  long tries = 0, bound = 0, landed = 0;
  time_t end = time(NULL) + seconds;
  while (time(NULL) < end) {
    struct sockaddr_un un = {AF_UNIX, {0}};
    memcpy(un.sun_path, path, strnlen(path, sizeof un.sun_path - 1));
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ++tries;
    if (syscall(__NR_bind, s, &un, sizeof un) == 0) {
      ++bound;
      struct stat st;
      if (lstat(in_denied, &st) == 0) {
        ++landed;
        unlink(in_denied);
      }
      unlink(path);
    }
    close(s);
  }
  race_stop = 1;
  pthread_join(t, NULL);
  printf("tries=%ld bound=%ld landed=%ld\n", tries, bound, landed);
  return 0;
}

/* Two processes sharing one fs_struct (clone(CLONE_FS) without
 * CLONE_THREAD): the umask or the root one of them sets is the other's
 * too. The parent creates DIR/before, so the supervisor knows it, then
 * its child changes what they share, then the parent creates again.
 *   shared-fs-umask DIR: the child sets umask 077 (027 if it was 077);
 *     the parent creates DIR/after with mode 0666 (natively 0600) and
 *     prints the mode. (The parent never calls umask itself: that alone
 *     would make the supervisor read its umask afresh every time.)
 *   shared-fs-chroot DIR: the child chroots into DIR (root only); the
 *     parent creates /made, natively DIR/made. */
static int shared_fs(const char* dir, int chroot_it) {
  char path[4096];
  snprintf(path, sizeof path, "%s/before", dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return fail("open before");
  close(fd);
  long pid = syscall(SYS_clone, CLONE_FS | SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) return fail("clone");
  if (pid == 0) {
    if (chroot_it) _exit(chroot(dir) == 0 ? 0 : errno);
    if (umask(077) == 077) umask(027);
    _exit(0);
  }
  int st;
  if (waitpid((pid_t)pid, &st, 0) < 0) return fail("waitpid");
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    printf("child %s\n", WIFEXITED(st) ? ename(WEXITSTATUS(st)) : "killed");
    return 100;
  }
  if (chroot_it) snprintf(path, sizeof path, "/made");
  else snprintf(path, sizeof path, "%s/after", dir);
  fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return fail("open after");
  struct stat sb;
  if (fstat(fd, &sb) != 0) return fail("fstat");
  close(fd);
  printf("%s mode %o\n", chroot_it ? "/made" : "after", (unsigned)(sb.st_mode & 0777));
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: syd-caller CASE ARG...\n");
    return 100;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  const char* c = argv[1];
  const char* a = argc > 2 ? argv[2] : "";
  const char* b = argc > 3 ? argv[3] : "";
#define IS(x) (strcmp(c, x) == 0)
  if (IS("opath")) return opath(a, b);
  if (IS("shared-fs-umask")) return shared_fs(a, 0);
  if (IS("shared-fs-chroot")) return shared_fs(a, 1);
  if (IS("opath-file")) return opath_file(a, 0);
  if (IS("opath-nofollow")) return opath_file(a, 1);
  if (IS("opath-exec")) return opath_exec(a);
  if (IS("opath2")) return opath2(a);
  if (IS("openat2-mode")) return openat2_mode(a);
  if (IS("open-flags")) return open_flags(a, b);
  if (IS("opath-race")) return opath_race(a, b, argc > 4 ? atoi(argv[4]) : 2);
  if (IS("in-pty")) return in_pty(argv + 2);
  if (IS("setsid-tty")) return setsid_tty();
  if (IS("pty-tty")) return pty_tty(strcmp(a, "sctty") == 0);
  if (IS("fifo-alarm")) return fifo_alarm(a, strcmp(b, "restart") == 0);
  if (IS("connect-alarm")) return connect_alarm(a, strcmp(b, "restart") == 0);
  if (IS("send-alarm")) return send_alarm(strcmp(a, "restart") == 0);
  if (IS("fifo-block")) return fifo_block(a, strcmp(b, "catch") == 0);
  if (IS("fifo-flood")) return fifo_flood(a, atoi(b));
  if (IS("bind-name")) return bind_name(a);
  if (IS("bind-race")) return bind_race(a, b, argc > 4 ? atoi(argv[4]) : 2);
  fprintf(stderr, "syd-caller: unknown case %s\n", c);
  return 100;
}
