/* syd-test-helper: performs exactly one system call, named on the command
 * line, with raw syscall(2) so the test knows which call the sandbox saw.
 * Exit status: 0 on success, else the errno (so tests read errno from $?).
 * Output: the result for calls that return data.
 *
 *   syd-test-helper CALL ARG...
 * A path argument "fd:N" means descriptor N (inherited from the test);
 * "DIR//NAME" for *at calls means: open DIR as the dirfd, pass NAME.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif
#ifndef __NR_getxattrat
#define __NR_getxattrat 464
#endif
#ifndef __NR_listxattrat
#define __NR_listxattrat 465
#endif
#ifndef __NR_setxattrat
#define __NR_setxattrat 463
#endif
#ifndef __NR_removexattrat
#define __NR_removexattrat 466
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

struct xattr_args {
  uint64_t value;
  uint32_t size;
  uint32_t flags;
};

static int fd_of(const char* s) { return strncmp(s, "fd:", 3) == 0 ? atoi(s + 3) : -1; }

/* "DIR//NAME" -> dirfd of DIR (O_PATH) and NAME; "fd:N//NAME" -> N and NAME;
 * anything else -> AT_FDCWD and the string itself. */
static int split_at(const char* s, const char** name) {
  const char* sep = strstr(s, "//");
  if (!sep) {
    *name = s;
    return AT_FDCWD;
  }
  *name = sep + 2;
  char dir[4096];
  size_t n = (size_t)(sep - s);
  if (n >= sizeof dir) exit(ENAMETOOLONG);
  memcpy(dir, s, n);
  dir[n] = 0;
  if (fd_of(dir) >= 0) return fd_of(dir);
  int fd = open(dir, O_PATH | O_DIRECTORY);
  if (fd < 0) {
    fprintf(stderr, "helper: cannot open dirfd %s: %s\n", dir, strerror(errno));
    exit(200);
  }
  return fd;
}

static int done(long r) {
  if (r < 0) {
    int e = errno;
    printf("%s\n", strerrorname_np(e) ? strerrorname_np(e) : "?");
    return e;
  }
  printf("OK\n");
  return 0;
}

/* "tcp4|tcp6|udp4|udp6|unix|unixdgram|abstract" + address -> socket and sockaddr */
static int make_addr(const char* kind, const char* addr, const char* port, struct sockaddr_storage* ss,
                     socklen_t* len, int* type, int* domain) {
  memset(ss, 0, sizeof *ss);
  *type = (strncmp(kind, "udp", 3) == 0 || strcmp(kind, "unixdgram") == 0) ? SOCK_DGRAM : SOCK_STREAM;
  if (strcmp(kind, "tcp4") == 0 || strcmp(kind, "udp4") == 0) {
    struct sockaddr_in* in = (struct sockaddr_in*)ss;
    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)atoi(port));
    if (inet_pton(AF_INET, addr, &in->sin_addr) != 1) return -1;
    *len = sizeof *in;
    *domain = AF_INET;
  } else if (strcmp(kind, "tcp6") == 0 || strcmp(kind, "udp6") == 0) {
    struct sockaddr_in6* in6 = (struct sockaddr_in6*)ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)atoi(port));
    if (inet_pton(AF_INET6, addr, &in6->sin6_addr) != 1) return -1;
    *len = sizeof *in6;
    *domain = AF_INET6;
  } else {
    struct sockaddr_un* un = (struct sockaddr_un*)ss;
    un->sun_family = AF_UNIX;
    size_t n = strlen(addr);
    if (strcmp(kind, "abstract") == 0) {
      memcpy(un->sun_path + 1, addr, n);
      *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
    } else {
      memcpy(un->sun_path, addr, n);
      *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    }
    *domain = AF_UNIX;
  }
  return 0;
}

static int net_main(int argc, char** argv) {
  const char* c = argv[1];
  const char* kind = argv[2];
  const char* addr = argv[3];
  const char* port = argc > 4 ? argv[4] : "0";
  struct sockaddr_storage ss;
  socklen_t len;
  int type, domain;
  if (make_addr(kind, addr, port, &ss, &len, &type, &domain) != 0) return 100;
  int fd = socket(domain, type, 0);
  if (fd < 0) return done(-1);
  if (strcmp(c, "net-connect") == 0) return done(syscall(__NR_connect, fd, &ss, len));
  if (strcmp(c, "net-bind") == 0) {
    long r = syscall(__NR_bind, fd, &ss, len);
    if (r < 0) return done(r);
    struct sockaddr_storage got;
    socklen_t gl = sizeof got;
    getsockname(fd, (struct sockaddr*)&got, &gl);
    int p = domain == AF_INET ? ntohs(((struct sockaddr_in*)&got)->sin_port)
            : domain == AF_INET6 ? ntohs(((struct sockaddr_in6*)&got)->sin6_port) : 0;
    printf("OK %d\n", p);
    return 0;
  }
  if (strcmp(c, "net-bind-connect") == 0) {  /* bind port 0, listen, connect to it from a new socket */
    long r = syscall(__NR_bind, fd, &ss, len);
    if (r < 0) return done(r);
    listen(fd, 1);
    struct sockaddr_storage got;
    socklen_t gl = sizeof got;
    getsockname(fd, (struct sockaddr*)&got, &gl);
    int fd2 = socket(domain, type, 0);
    return done(syscall(__NR_connect, fd2, &got, gl));
  }
  const char msg[] = "syd";
  if (strcmp(c, "net-sendto") == 0) return done(syscall(__NR_sendto, fd, msg, 3, 0, &ss, len));
  if (strcmp(c, "net-sendmsg") == 0) {
    struct iovec iov = {(void*)msg, 3};
    struct msghdr mh = {0};
    mh.msg_name = &ss;
    mh.msg_namelen = len;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    return done(syscall(__NR_sendmsg, fd, &mh, 0));
  }
  if (strcmp(c, "net-sendmmsg") == 0) {  /* one message per (ADDR PORT) pair */
    struct mmsghdr mm[8];
    struct sockaddr_storage addrs[8];
    struct iovec iov = {(void*)msg, 3};
    int n = 0;
    for (int i = 3; i + 1 < argc && n < 8; i += 2, ++n) {
      socklen_t l;
      make_addr(kind, argv[i], argv[i + 1], &addrs[n], &l, &type, &domain);
      memset(&mm[n], 0, sizeof mm[n]);
      mm[n].msg_hdr.msg_name = &addrs[n];
      mm[n].msg_hdr.msg_namelen = l;
      mm[n].msg_hdr.msg_iov = &iov;
      mm[n].msg_hdr.msg_iovlen = 1;
    }
    long r = syscall(__NR_sendmmsg, fd, mm, n, 0);
    if (r < 0) return done(r);
    printf("SENT %ld", r);
    for (int i = 0; i < r; ++i) printf(" %u", mm[i].msg_len);
    printf("\n");
    return 0;
  }
  return 100;
}

static volatile sig_atomic_t got_sigsys;
static void on_sigsys(int sig) { (void)sig; got_sigsys = 1; }

/* swap-race: one thread keeps replacing DIR/sub, a directory, by a
 * symlink to OUTSIDE and back while the main thread creates DIR/sub/f. */
static const char* swap_dir;
static const char* swap_outside;
static volatile int swap_stop;
static void* swapper(void* arg) {
  (void)arg;
  char sub[4096], real[4096];
  snprintf(sub, sizeof sub, "%s/sub", swap_dir);
  snprintf(real, sizeof real, "%s/sub.real", swap_dir);
  while (!swap_stop) {
    if (rename(sub, real) != 0) continue;
    if (symlink(swap_outside, sub) == 0) unlink(sub);
    rename(real, sub);
  }
  return NULL;
}

static void* thread_open(void* arg) {
  long r = syscall(__NR_openat, AT_FDCWD, (const char*)arg, O_RDONLY);
  return (void*)(intptr_t)(r < 0 ? errno : 0);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: syd-test-helper CALL ARG...\n");
    return 100;
  }
  const char* c = argv[1];
  const char* a = argc > 2 ? argv[2] : "";
  const char* b = argc > 3 ? argv[3] : "";
  const char *na, *nb;
  char buf[8192];
#define IS(x) (strcmp(c, x) == 0)
  /* read */
  if (IS("open-r")) return done(syscall(__NR_open, a, O_RDONLY));
  if (IS("open-w")) return done(syscall(__NR_open, a, O_WRONLY | O_CREAT, 0644));
  if (IS("open-trunc")) return done(syscall(__NR_open, a, O_WRONLY | O_TRUNC));
  if (IS("open-nofollow")) return done(syscall(__NR_open, a, O_RDONLY | O_NOFOLLOW));
  if (IS("open-excl")) return done(syscall(__NR_open, a, O_WRONLY | O_CREAT | O_EXCL, 0600));
  if (IS("openat-r")) { int d = split_at(a, &na); return done(syscall(__NR_openat, d, na, O_RDONLY)); }
  if (IS("openat-w")) { int d = split_at(a, &na); return done(syscall(__NR_openat, d, na, O_WRONLY | O_CREAT, 0640)); }
  if (IS("openat2-r") || IS("openat2-w")) {
    int d = split_at(a, &na);
    /* openat2 refuses a mode without O_CREAT (EINVAL). */
    struct { uint64_t flags, mode, resolve; } how = {IS("openat2-r") ? O_RDONLY : (O_WRONLY | O_CREAT), IS("openat2-r") ? 0 : 0600, 0};
    return done(syscall(__NR_openat2, d, na, &how, sizeof how));
  }
  if (IS("creat")) return done(syscall(__NR_creat, a, 0644));
  if (IS("access-r")) return done(syscall(__NR_access, a, R_OK));
  if (IS("access-w")) return done(syscall(__NR_access, a, W_OK));
  if (IS("faccessat-r")) { int d = split_at(a, &na); return done(syscall(__NR_faccessat, d, na, R_OK)); }
  if (IS("faccessat2-w")) { int d = split_at(a, &na); return done(syscall(__NR_faccessat2, d, na, W_OK, 0)); }
  if (IS("chdir")) return done(syscall(__NR_chdir, a));
  if (IS("fchdir")) return done(syscall(__NR_fchdir, fd_of(a)));
  if (IS("getxattr")) return done(syscall(__NR_getxattr, a, "user.syd", buf, sizeof buf));
  if (IS("lgetxattr")) return done(syscall(__NR_lgetxattr, a, "user.syd", buf, sizeof buf));
  if (IS("fgetxattr")) return done(syscall(__NR_fgetxattr, fd_of(a), "user.syd", buf, sizeof buf));
  if (IS("listxattr")) return done(syscall(__NR_listxattr, a, buf, sizeof buf));
  if (IS("llistxattr")) return done(syscall(__NR_llistxattr, a, buf, sizeof buf));
  if (IS("flistxattr")) return done(syscall(__NR_flistxattr, fd_of(a), buf, sizeof buf));
  if (IS("getxattrat")) {
    int d = split_at(a, &na);
    struct xattr_args x = {(uint64_t)(uintptr_t)buf, sizeof buf, 0};
    return done(syscall(__NR_getxattrat, d, na, 0, "user.syd", &x, sizeof x));
  }
  if (IS("listxattrat")) { int d = split_at(a, &na); return done(syscall(__NR_listxattrat, d, na, 0, buf, sizeof buf)); }
  /* write */
  if (IS("mkdir")) return done(syscall(__NR_mkdir, a, 0755));
  if (IS("mkdirat")) { int d = split_at(a, &na); return done(syscall(__NR_mkdirat, d, na, 0755)); }
  if (IS("mknod")) return done(syscall(__NR_mknod, a, S_IFIFO | 0644, 0));
  if (IS("mknodat")) { int d = split_at(a, &na); return done(syscall(__NR_mknodat, d, na, S_IFIFO | 0644, 0)); }
  if (IS("rmdir")) return done(syscall(__NR_rmdir, a));
  if (IS("unlink")) return done(syscall(__NR_unlink, a));
  if (IS("unlinkat")) { int d = split_at(a, &na); return done(syscall(__NR_unlinkat, d, na, 0)); }
  if (IS("rename")) return done(syscall(__NR_rename, a, b));
  if (IS("renameat")) { int d = split_at(a, &na), e = split_at(b, &nb); return done(syscall(__NR_renameat, d, na, e, nb)); }
  if (IS("renameat2")) { int d = split_at(a, &na), e = split_at(b, &nb); return done(syscall(__NR_renameat2, d, na, e, nb, 0)); }
  if (IS("link")) return done(syscall(__NR_link, a, b));
  if (IS("linkat")) { int d = split_at(a, &na), e = split_at(b, &nb); return done(syscall(__NR_linkat, d, na, e, nb, 0)); }
  if (IS("symlink")) return done(syscall(__NR_symlink, a, b));
  if (IS("symlinkat")) { int e = split_at(b, &nb); return done(syscall(__NR_symlinkat, a, e, nb)); }
  if (IS("truncate")) return done(syscall(__NR_truncate, a, 0));
  if (IS("chmod")) return done(syscall(__NR_chmod, a, 0600));
  if (IS("fchmod")) return done(syscall(__NR_fchmod, fd_of(a), 0600));
  if (IS("fchmodat")) { int d = split_at(a, &na); return done(syscall(__NR_fchmodat, d, na, 0600)); }
  if (IS("fchmodat2")) { int d = split_at(a, &na); return done(syscall(__NR_fchmodat2, d, na, 0600, 0)); }
  if (IS("chown")) return done(syscall(__NR_chown, a, -1, -1));
  if (IS("fchown")) return done(syscall(__NR_fchown, fd_of(a), -1, -1));
  if (IS("lchown")) return done(syscall(__NR_lchown, a, -1, -1));
  if (IS("fchownat")) { int d = split_at(a, &na); return done(syscall(__NR_fchownat, d, na, -1, -1, 0)); }
  if (IS("utime")) { struct utimbuf t = {1000000, 1000000}; return done(syscall(__NR_utime, a, &t)); }
  if (IS("utimes")) { struct timeval t[2] = {{1000000, 0}, {1000000, 0}}; return done(syscall(__NR_utimes, a, t)); }
  if (IS("utimensat")) {
    int d = split_at(a, &na);
    struct timespec t[2] = {{1000000, 0}, {1000000, 0}};
    return done(syscall(__NR_utimensat, d, na, t, 0));
  }
  if (IS("futimesat")) {
    int d = split_at(a, &na);
    struct timeval t[2] = {{1000000, 0}, {1000000, 0}};
    return done(syscall(__NR_futimesat, d, na, t));
  }
  if (IS("setxattr")) return done(syscall(__NR_setxattr, a, "user.syd", "v", 1, 0));
  if (IS("lsetxattr")) return done(syscall(__NR_lsetxattr, a, "user.syd", "v", 1, 0));
  if (IS("fsetxattr")) return done(syscall(__NR_fsetxattr, fd_of(a), "user.syd", "v", 1, 0));
  if (IS("removexattr")) return done(syscall(__NR_removexattr, a, "user.syd"));
  if (IS("lremovexattr")) return done(syscall(__NR_lremovexattr, a, "user.syd"));
  if (IS("fremovexattr")) return done(syscall(__NR_fremovexattr, fd_of(a), "user.syd"));
  if (IS("setxattrat")) {
    int d = split_at(a, &na);
    struct xattr_args x = {(uint64_t)(uintptr_t) "v", 1, 0};
    return done(syscall(__NR_setxattrat, d, na, 0, "user.syd", &x, sizeof x));
  }
  if (IS("removexattrat")) { int d = split_at(a, &na); return done(syscall(__NR_removexattrat, d, na, 0, "user.syd")); }
  /* exec */
  if (IS("execve")) {
    char* args[] = {(char*)a, NULL};
    char* env[] = {NULL};
    return done(syscall(__NR_execve, a, args, env));
  }
  if (IS("execveat")) {
    int d = split_at(a, &na);
    char* args[] = {(char*)na, NULL};
    char* env[] = {NULL};
    return done(syscall(__NR_execveat, d, na, args, env, 0));
  }
  /* stat */
  struct stat st;
  if (IS("stat")) return done(syscall(__NR_stat, a, &st));
  if (IS("lstat")) return done(syscall(__NR_lstat, a, &st));
  if (IS("newfstatat")) { int d = split_at(a, &na); return done(syscall(__NR_newfstatat, d, na, &st, 0)); }
  if (IS("newfstatat-nofollow")) { int d = split_at(a, &na); return done(syscall(__NR_newfstatat, d, na, &st, AT_SYMLINK_NOFOLLOW)); }
  if (IS("statx")) { int d = split_at(a, &na); struct statx sx; return done(syscall(__NR_statx, d, na, 0, STATX_BASIC_STATS, &sx)); }
  if (IS("stat-mode")) {  /* prints the file type and rdev of a stat */
    long r = syscall(__NR_stat, a, &st);
    if (r < 0) return done(r);
    printf("mode=%o rdev=%lu:%lu\n", st.st_mode & S_IFMT, (unsigned long)major(st.st_rdev), (unsigned long)minor(st.st_rdev));
    return 0;
  }
  if (IS("readlink")) {
    long r = syscall(__NR_readlink, a, buf, sizeof buf - 1);
    if (r < 0) return done(r);
    buf[r] = 0;
    printf("%s\n", buf);
    return 0;
  }
  if (IS("readlinkat")) {
    int d = split_at(a, &na);
    long r = syscall(__NR_readlinkat, d, na, buf, sizeof buf - 1);
    if (r < 0) return done(r);
    buf[r] = 0;
    printf("%s\n", buf);
    return 0;
  }
  if (IS("getdents64")) {  /* prints the names, one per line, sorted by the kernel's order */
    int fd = open(a, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return done(-1);
    for (;;) {
      long n = syscall(__NR_getdents64, fd, buf, sizeof buf);
      if (n < 0) return done(n);
      if (n == 0) break;
      for (long off = 0; off < n;) {
        struct { uint64_t ino; int64_t off; unsigned short reclen; unsigned char type; char name[]; }* d = (void*)(buf + off);
        if (strcmp(d->name, ".") && strcmp(d->name, "..")) printf("%s\n", d->name);
        off += d->reclen;
      }
    }
    return 0;
  }
  if (strncmp(c, "net-", 4) == 0 && argc >= 4) return net_main(argc, argv);
  /* composite scenarios */
  if (IS("threads-open")) {  /* 4 threads open PATH; exit status = first errno */
    pthread_t t[4];
    for (int i = 0; i < 4; ++i) pthread_create(&t[i], NULL, thread_open, (void*)a);
    int rc = 0;
    for (int i = 0; i < 4; ++i) {
      void* r;
      pthread_join(t[i], &r);
      if (!rc) rc = (int)(intptr_t)r;
    }
    printf("%s\n", rc ? strerrorname_np(rc) : "OK");
    return rc;
  }
  if (IS("swap-race")) { /* DIR OUTSIDE N: N creations of DIR/sub/f while DIR/sub flips */
    swap_dir = a;
    swap_outside = b;
    char sub[4096], f[4096];
    snprintf(sub, sizeof sub, "%s/sub", a);
    snprintf(f, sizeof f, "%s/sub/f", a);
    if (mkdir(sub, 0755) != 0) return done(-1);
    pthread_t t;
    pthread_create(&t, NULL, swapper, NULL);
    int n = argc > 4 ? atoi(argv[4]) : 1000, created = 0;
    for (int i = 0; i < n; ++i) {
      int fd = open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd >= 0) {
        ++created;
        close(fd);
        unlink(f);
      }
    }
    swap_stop = 1;
    pthread_join(t, NULL);
    printf("created %d of %d\n", created, n);
    return 0;
  }
  if (IS("fork-open-w")) {  /* a forked child opens PATH for writing */
    pid_t p = fork();
    if (p == 0) _exit(syscall(__NR_open, a, O_WRONLY | O_CREAT, 0644) < 0 ? errno : 0);
    int st2;
    waitpid(p, &st2, 0);
    int rc = WIFEXITED(st2) ? WEXITSTATUS(st2) : 255;
    printf("%s\n", rc ? strerrorname_np(rc) : "OK");
    return rc;
  }
  if (IS("deep-open-w")) {  /* descends N levels of COMP relatively, then opens NAME there */
    int n = atoi(a);
    const char* comp = b;
    for (int i = 0; i < n; ++i) {
      if (mkdir(comp, 0755) != 0 && errno != EEXIST) return done(-1);
      if (chdir(comp) != 0) return done(-1);
    }
    return done(syscall(__NR_open, argc > 4 ? argv[4] : "deep-file", O_WRONLY | O_CREAT, 0644));
  }
  if (IS("setuid")) return done(syscall(__NR_setuid, atoi(a)));
  if (IS("personality")) return done(syscall(__NR_personality, 0xffffffff));
  if (IS("getppid")) { long r = syscall(__NR_getppid); printf("%ld\n", r); return r > 0 ? 0 : 1; }
  if (IS("trap-getppid")) {  /* catches SIGSYS, reports it and the return value */
    signal(SIGSYS, on_sigsys);
    signal(SIGUSR1, on_sigsys);
    errno = 0;
    long r = syscall(__NR_getppid);
    printf("%s r=%ld errno=%s\n", got_sigsys ? "SIGSYS" : "nosig", r, errno ? strerrorname_np(errno) : "0");
    return 0;
  }
  if (IS("getppid-then-open-w")) {  /* a call a rule may act on, then a write */
    syscall(__NR_getppid);
    return done(syscall(__NR_open, a, O_WRONLY | O_CREAT, 0644));
  }
  if (IS("kill-self")) { kill(getpid(), atoi(a)); return 99; }
  if (IS("exit")) return atoi(a);
  if (IS("orphan-write")) {  /* forks a grandchild that writes PATH after the parent exited */
    pid_t p = fork();
    if (p == 0) {
      if (fork() == 0) {
        usleep(200000);
        int fd = open(a, O_WRONLY | O_CREAT, 0644);
        if (fd >= 0) close(fd);
        _exit(0);
      }
      _exit(0);
    }
    waitpid(p, NULL, 0);
    return 0;
  }
  fprintf(stderr, "syd-test-helper: unknown call %s\n", c);
  return 100;
}
