/* syd-attr: attack programs against the attribute calls, and chattr.
 *
 *   syd-attr attack CALL VECTOR BASE SECONDS [INO]
 *     BASE holds a/ (the sandbox allows it) and d/ (it denies it), each
 *     with a file f. CALL is made again and again on a path that a second
 *     actor keeps switching between a/... and d/..., until d/f was reached
 *     or SECONDS passed. Prints "reached after N calls (S succeeded)" or
 *     "unreached after N calls (S succeeded)".
 *     CALL: chmod, truncate, utimensat, setxattr, fchmod (write: d/f
 *     reached when its metadata or content changed); getxattr (read:
 *     reached when the value of user.secret read is d/f's, "denied");
 *     stat (stat: reached when the inode is INO, d/f's).
 *     VECTOR:
 *       dirswap   the path is a/sub/f; a thread swaps a/sub, a directory,
 *                 for a symlink to d and back
 *       lastswap  the path is a/f; a thread swaps a/f for a symlink to d/f
 *                 and back
 *       thread    the path buffer flips between a/f and d/f, written by a
 *                 thread
 *       clonevm   the same, written by a child sharing the memory
 *                 (CLONE_VM, another process)
 *       shared    the same, the buffer in a MAP_SHARED page written by a
 *                 forked child (another process, another address space)
 *       dupswap   (fchmod) the descriptor number flips between a/f and
 *                 d/f, by dup2 in a thread
 *
 *   syd-attr setflags PATH FLAGS   ioctl(FS_IOC_SETFLAGS) on PATH opened
 *                                  read-only; FLAGS: append, immutable, none
 *   syd-attr fssetxattr PATH FLAGS the same with FS_IOC_FSSETXATTR
 *   syd-attr getflags PATH         prints the inode flags in hex
 *   syd-attr fd-fchmod pipe|memfd  fchmod on a new pipe or memfd
 *   syd-attr access PATH MODE [eaccess]
 *                                  faccessat2(PATH, MODE r|w|x, AT_EACCESS?)
 *                                  after taking the ids of SYD_ATTR_RESUID
 *                                  ("ruid,euid,suid") if set
 *   syd-attr probe-read DIR        the read calls on DIR/f, DIR/l (a
 *                                  symlink to f) and DIR/dir, with edge
 *                                  cases of sizes and flags: one line each
 *   syd-attr probe-write DIR       the same for the calls that change them,
 *                                  then the resulting state
 *     (tests compare the lines printed natively and under sydbox)
 * Exit status 0 unless said otherwise; single calls exit with the errno.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#ifndef AT_EACCESS
#define AT_EACCESS 0x200
#endif

static char base[4096];
static char path_a[4096], path_d[4096], path_sub[4096];

/* Where the flipping actors write, and when they stop. For "shared" it
 * lives in a MAP_SHARED page; otherwise in this process's memory. */
struct flip {
  char path[4096];
  volatile int stop;
  size_t diff; /* the one byte where a/f and d/f differ */
};
static struct flip* fl;

static void flip_loop(void) {
  /* "BASE/a/f" and "BASE/d/f" differ in one byte: one store switches. */
  volatile char* p = fl->path + fl->diff;
  while (!fl->stop) {
    *p = 'd';
    for (volatile int i = 0; i < 50; ++i) {
    }
    *p = 'a';
    for (volatile int i = 0; i < 50; ++i) {
    }
  }
}

static void* flip_thread(void* arg) {
  (void)arg;
  flip_loop();
  return NULL;
}

static int flip_child(void* arg) {
  (void)arg;
  flip_loop();
  return 0;
}

static volatile int swap_stop;
static int fd_a = -1, fd_d = -1, fd_n = -1;

static void* dirswap(void* arg) {
  (void)arg;
  char real[4096], d[4096];
  snprintf(real, sizeof real, "%s/a/sub.real", base);
  snprintf(d, sizeof d, "%s/d", base);
  while (!swap_stop) {
    if (rename(path_sub, real) != 0) continue;
    if (symlink(d, path_sub) == 0) {
      for (volatile int i = 0; i < 200; ++i) {
      }
      unlink(path_sub);
    }
    rename(real, path_sub);
  }
  return NULL;
}

static void* lastswap(void* arg) {
  (void)arg;
  char real[4096], tmp[4096];
  snprintf(real, sizeof real, "%s/a/f.real", base);
  snprintf(tmp, sizeof tmp, "%s/a/f.link", base);
  unlink(tmp);
  while (!swap_stop) {
    if (symlink(path_d, tmp) != 0) continue;
    if (rename(path_a, real) != 0) {
      unlink(tmp);
      continue;
    }
    rename(tmp, path_a); /* a/f is now the symlink */
    for (volatile int i = 0; i < 200; ++i) {
    }
    rename(real, path_a); /* and the file again */
  }
  return NULL;
}

static void* dupswap(void* arg) {
  (void)arg;
  while (!swap_stop) {
    dup2(fd_d, fd_n);
    dup2(fd_a, fd_n);
  }
  return NULL;
}

/* What d/f looks like, to tell whether a call reached it. */
struct snap {
  struct stat st;
  char xattr[64];
  ssize_t xlen;
};

static void take(const char* p, struct snap* s) {
  memset(s, 0, sizeof *s);
  lstat(p, &s->st);
  s->xlen = lgetxattr(p, "user.attack", s->xattr, sizeof s->xattr);
}

static int same(const struct snap* a, const struct snap* b) {
  return a->st.st_mode == b->st.st_mode && a->st.st_size == b->st.st_size &&
         a->st.st_mtim.tv_sec == b->st.st_mtim.tv_sec && a->st.st_mtim.tv_nsec == b->st.st_mtim.tv_nsec &&
         a->st.st_ctim.tv_sec == b->st.st_ctim.tv_sec && a->st.st_ctim.tv_nsec == b->st.st_ctim.tv_nsec &&
         a->xlen == b->xlen;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One call on `p`; 1 when it reached the denied object (for the reads). */
static int call(const char* op, const char* p, long* ok, unsigned long ino) {
  long r = -1;
  if (!strcmp(op, "chmod")) {
    r = syscall(SYS_chmod, p, 0600);
  } else if (!strcmp(op, "truncate")) {
    r = syscall(SYS_truncate, p, 0);
  } else if (!strcmp(op, "utimensat")) {
    struct timespec t[2] = {{1000000, 0}, {1000000, 0}};
    r = syscall(SYS_utimensat, AT_FDCWD, p, t, 0);
  } else if (!strcmp(op, "setxattr")) {
    r = syscall(SYS_setxattr, p, "user.attack", "x", 1, 0);
  } else if (!strcmp(op, "fchmod")) {
    r = syscall(SYS_fchmod, fd_n, 0600);
  } else if (!strcmp(op, "getxattr")) {
    char v[64] = {0};
    r = syscall(SYS_getxattr, p, "user.secret", v, sizeof v - 1);
    if (r > 0) {
      ++*ok;
      return strcmp(v, "denied") == 0;
    }
    return 0;
  } else if (!strcmp(op, "stat")) {
    struct stat st;
    r = syscall(SYS_stat, p, &st);
    if (r == 0) {
      ++*ok;
      return st.st_ino == ino;
    }
    return 0;
  } else {
    fprintf(stderr, "syd-attr: unknown call %s\n", op);
    exit(100);
  }
  if (r == 0) ++*ok;
  return 0;
}

static int attack(int argc, char** argv) {
  if (argc < 6) return 100;
  const char* op = argv[2];
  const char* vec = argv[3];
  snprintf(base, sizeof base, "%s", argv[4]);
  const double seconds = atof(argv[5]);
  const unsigned long ino = argc > 6 ? strtoul(argv[6], NULL, 10) : 0;
  const int reads = !strcmp(op, "getxattr") || !strcmp(op, "stat");
  snprintf(path_a, sizeof path_a, "%s/a/f", base);
  snprintf(path_d, sizeof path_d, "%s/d/f", base);
  snprintf(path_sub, sizeof path_sub, "%s/a/sub", base);

  struct flip local;
  memset(&local, 0, sizeof local);
  fl = &local;
  if (!strcmp(vec, "shared")) {
    fl = mmap(NULL, sizeof *fl, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (fl == MAP_FAILED) return 101;
    memset(fl, 0, sizeof *fl);
  }
  snprintf(fl->path, sizeof fl->path, "%s", path_a);
  fl->diff = strlen(base) + 1;

  pthread_t t;
  pid_t child = -1;
  char* stack = NULL;
  const char* target = fl->path;
  if (!strcmp(vec, "dirswap")) {
    char sub_f[4096];
    snprintf(sub_f, sizeof sub_f, "%s/f", path_sub);
    static char fixed[4096];
    snprintf(fixed, sizeof fixed, "%s", sub_f);
    target = fixed;
    pthread_create(&t, NULL, dirswap, NULL);
  } else if (!strcmp(vec, "lastswap")) {
    target = path_a;
    pthread_create(&t, NULL, lastswap, NULL);
  } else if (!strcmp(vec, "thread")) {
    pthread_create(&t, NULL, flip_thread, NULL);
  } else if (!strcmp(vec, "clonevm")) {
    const size_t sz = 1 << 16;
    stack = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) return 101;
    child = clone(flip_child, stack + sz, CLONE_VM | SIGCHLD, NULL);
    if (child < 0) return 102;
  } else if (!strcmp(vec, "shared")) {
    child = fork();
    if (child == 0) {
      flip_loop();
      _exit(0);
    }
  } else if (!strcmp(vec, "dupswap")) {
    fd_a = open(path_a, O_RDONLY | O_CLOEXEC);
    fd_d = open(path_d, O_RDONLY | O_CLOEXEC);
    fd_n = dup(fd_a);
    if (fd_a < 0 || fd_d < 0 || fd_n < 0) return 103;
    pthread_create(&t, NULL, dupswap, NULL);
  } else {
    fprintf(stderr, "syd-attr: unknown vector %s\n", vec);
    return 100;
  }

  struct snap before, after;
  if (!reads) take(path_d, &before);
  long n = 0, ok = 0;
  int reached = 0;
  const double end = now() + seconds;
  while (!reached && n < 2000000) {
    ++n;
    reached = call(op, target, &ok, ino);
    if (!reads) {
      take(path_d, &after);
      reached = !same(&before, &after);
    }
    if ((n & 63) == 0 && now() > end) break;
  }
  swap_stop = 1;
  fl->stop = 1;
  if (child > 0)
    waitpid(child, NULL, 0);
  else
    pthread_join(t, NULL);
  printf("%s after %ld calls (%ld succeeded)\n", reached ? "reached" : "unreached", n, ok);
  return 0;
}

static unsigned long flag_of(const char* s) {
  if (!strcmp(s, "append")) return FS_APPEND_FL;
  if (!strcmp(s, "immutable")) return FS_IMMUTABLE_FL;
  return 0;
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

/* ---- probes: one line per call, "label rc|ERRNAME [data]" ---- */

static char dir_[4096];
static const char* at(const char* rel) {
  static char buf[64][4096];
  static int i;
  i = (i + 1) % 64;
  snprintf(buf[i], sizeof buf[i], "%s/%s", dir_, rel);
  return buf[i];
}

static long show(const char* label, long r) {
  if (r < 0)
    printf("%s %s\n", label, strerrorname_np(errno) ? strerrorname_np(errno) : "?");
  else
    printf("%s %ld\n", label, r);
  return r;
}

struct xargs {
  uint64_t value;
  uint32_t size, flags;
};
struct fattr {
  uint64_t xflags;
  uint32_t extsize, nextents, projid, cowextsize;
};

static void show_stat(const char* label, long r, const struct stat* st) {
  if (r < 0) {
    show(label, r);
    return;
  }
  printf("%s 0 mode=%o size=%lld ino=%llu nlink=%lu uid=%u gid=%u mtime=%lld.%09ld\n", label, st->st_mode,
         (long long)st->st_size, (unsigned long long)st->st_ino, (unsigned long)st->st_nlink, st->st_uid, st->st_gid,
         (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
}

static int probe_read(void) {
  char buf[4096];
  char big[300];
  memset(big, 'a', sizeof big - 1);
  memcpy(big, "user.", 5);
  big[sizeof big - 1] = 0;
  const char *f = at("f"), *l = at("l");
  show("getxattr-size0", syscall(SYS_getxattr, f, "user.secret", NULL, 0));
  show("getxattr-small", syscall(SYS_getxattr, f, "user.secret", buf, 1));
  memset(buf, 0, sizeof buf);
  if (show("getxattr", syscall(SYS_getxattr, f, "user.secret", buf, 64)) > 0) printf("  value=%s\n", buf);
  show("getxattr-huge-size", syscall(SYS_getxattr, f, "user.secret", buf, (size_t)1 << 30));
  show("getxattr-missing", syscall(SYS_getxattr, f, "user.nope", buf, 64));
  show("getxattr-empty-name", syscall(SYS_getxattr, f, "", buf, 64));
  show("getxattr-long-name", syscall(SYS_getxattr, f, big, buf, 64));
  show("getxattr-bad-buffer", syscall(SYS_getxattr, f, "user.secret", (void*)8, 64));
  show("getxattr-dir", syscall(SYS_getxattr, at("dir"), "user.secret", buf, 64));
  show("lgetxattr-symlink", syscall(SYS_lgetxattr, l, "user.secret", buf, 64));
  show("getxattr-through-symlink", syscall(SYS_getxattr, l, "user.secret", buf, 64));
  struct xargs xa = {(uint64_t)(uintptr_t)buf, 64, 0};
  show("getxattrat", syscall(464, AT_FDCWD, f, 0, "user.secret", &xa, sizeof xa));
  show("getxattrat-short-args", syscall(464, AT_FDCWD, f, 0, "user.secret", &xa, 8));
  struct {
    struct xargs a;
    uint64_t tail;
  } ext = {{(uint64_t)(uintptr_t)buf, 64, 0}, 0};
  show("getxattrat-zero-tail", syscall(464, AT_FDCWD, f, 0, "user.secret", &ext, sizeof ext));
  ext.tail = 1;
  show("getxattrat-tail", syscall(464, AT_FDCWD, f, 0, "user.secret", &ext, sizeof ext));
  xa.flags = 1;
  show("getxattrat-flags", syscall(464, AT_FDCWD, f, 0, "user.secret", &xa, sizeof xa));
  xa.flags = 0;
  show("getxattrat-bad-at-flags", syscall(464, AT_FDCWD, f, 0x4, "user.secret", &xa, sizeof xa));
  show("getxattrat-nofollow", syscall(464, AT_FDCWD, l, AT_SYMLINK_NOFOLLOW, "user.secret", &xa, sizeof xa));
  int fd = open(f, O_RDONLY | O_CLOEXEC), pfd = open(f, O_PATH | O_CLOEXEC);
  show("fgetxattr", syscall(SYS_fgetxattr, fd, "user.secret", buf, 64));
  show("fgetxattr-opath", syscall(SYS_fgetxattr, pfd, "user.secret", buf, 64));
  show("getxattrat-fd", syscall(464, fd, "", AT_EMPTY_PATH, "user.secret", &xa, sizeof xa));
  show("getxattrat-fd-null", syscall(464, fd, NULL, AT_EMPTY_PATH, "user.secret", &xa, sizeof xa));
  show("getxattrat-opath", syscall(464, pfd, "", AT_EMPTY_PATH, "user.secret", &xa, sizeof xa));
  show("listxattr-size0", syscall(SYS_listxattr, f, NULL, 0));
  show("listxattr-small", syscall(SYS_listxattr, f, buf, 2));
  long n = show("listxattr", syscall(SYS_listxattr, f, buf, sizeof buf));
  if (n > 0) printf("  first=%s\n", buf);
  show("llistxattr-symlink", syscall(SYS_llistxattr, l, buf, sizeof buf));
  show("flistxattr", syscall(SYS_flistxattr, fd, buf, sizeof buf));
  show("listxattrat", syscall(465, AT_FDCWD, f, 0, buf, sizeof buf));
  show("listxattrat-fd", syscall(465, fd, "", AT_EMPTY_PATH, buf, sizeof buf));
  struct stat st;
  memset(&st, 0, sizeof st);
  show_stat("stat", syscall(SYS_stat, f, &st), &st);
  show_stat("stat-through-symlink", syscall(SYS_stat, l, &st), &st);
  show_stat("lstat", syscall(SYS_lstat, l, &st), &st);
  show_stat("newfstatat-nofollow", syscall(SYS_newfstatat, AT_FDCWD, l, &st, AT_SYMLINK_NOFOLLOW), &st);
  show_stat("newfstatat-fd", syscall(SYS_newfstatat, fd, "", &st, AT_EMPTY_PATH), &st);
  show_stat("newfstatat-fd-null", syscall(SYS_newfstatat, fd, NULL, &st, AT_EMPTY_PATH), &st);
  show_stat("newfstatat-opath", syscall(SYS_newfstatat, pfd, "", &st, AT_EMPTY_PATH), &st);
  show("newfstatat-bad-flags", syscall(SYS_newfstatat, AT_FDCWD, f, &st, 0x1));
  show("stat-missing", syscall(SYS_stat, at("missing"), &st));
  show("stat-bad-buffer", syscall(SYS_stat, f, (void*)8));
  show("stat-notdir", syscall(SYS_stat, at("f/x"), &st));
  struct statx sx;
  memset(&sx, 0, sizeof sx);
  long r = show("statx", syscall(SYS_statx, AT_FDCWD, f, 0, STATX_BASIC_STATS | STATX_BTIME, &sx));
  if (r == 0)
    printf("  mode=%o ino=%llu size=%llu\n", sx.stx_mode, (unsigned long long)sx.stx_ino,
           (unsigned long long)sx.stx_size);
  show("statx-nofollow", syscall(SYS_statx, AT_FDCWD, l, AT_SYMLINK_NOFOLLOW, STATX_TYPE, &sx));
  printf("  mode=%o\n", sx.stx_mode);
  show("statx-fd", syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_INO, &sx));
  show("statx-bad-sync", syscall(SYS_statx, AT_FDCWD, f, 0x6000, STATX_INO, &sx));
  show("statx-bad-flags", syscall(SYS_statx, AT_FDCWD, f, 0x1, STATX_INO, &sx));
  show("statx-fd-bad-flags", syscall(SYS_statx, fd, "", AT_EMPTY_PATH | 0x1, STATX_INO, &sx));
  show("newfstatat-fd-bad-flags", syscall(SYS_newfstatat, fd, "", &st, AT_EMPTY_PATH | 0x1));
  show("statx-reserved-mask", syscall(SYS_statx, AT_FDCWD, f, 0, 0x80000000u, &sx));
  memset(buf, 0, sizeof buf);
  if (show("readlink", syscall(SYS_readlink, l, buf, sizeof buf)) > 0) printf("  target=%s\n", buf);
  memset(buf, 0, sizeof buf);
  if (show("readlink-short", syscall(SYS_readlink, l, buf, 1)) > 0) printf("  target=%s\n", buf);
  show("readlink-zero", syscall(SYS_readlink, l, buf, 0));
  show("readlink-file", syscall(SYS_readlink, f, buf, sizeof buf));
  show("readlinkat-empty", syscall(SYS_readlinkat, fd, "", buf, sizeof buf));
  int lfd = open(l, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  memset(buf, 0, sizeof buf);
  if (show("readlinkat-opath-symlink", syscall(SYS_readlinkat, lfd, "", buf, sizeof buf)) > 0)
    printf("  target=%s\n", buf);
  memset(buf, 0, sizeof buf);
  long k = syscall(SYS_readlink, "/proc/self", buf, sizeof buf);
  printf("readlink-proc-self %s\n", k > 0 && atoi(buf) == getpid() ? "own-pid" : "other");
  struct statfs_buf {
    long f_type, f_bsize;
    char rest[104];
  } sf;
  r = show("statfs", syscall(SYS_statfs, f, &sf));
  if (r == 0) printf("  type=%lx bsize=%ld\n", sf.f_type, sf.f_bsize);
  show("statfs-missing", syscall(SYS_statfs, at("missing"), &sf));
  show("access-r", syscall(SYS_access, f, R_OK));
  show("access-x", syscall(SYS_access, f, X_OK));
  show("access-f", syscall(SYS_access, at("missing"), F_OK));
  show("access-bad-mode", syscall(SYS_access, f, 0x10));
  show("faccessat2-bad-flags", syscall(SYS_faccessat2, AT_FDCWD, f, R_OK, 0x1));
  show("faccessat2-eaccess", syscall(SYS_faccessat2, AT_FDCWD, f, R_OK, AT_EACCESS));
  show("faccessat2-nofollow", syscall(SYS_faccessat2, AT_FDCWD, l, R_OK, AT_SYMLINK_NOFOLLOW));
  show("faccessat2-fd", syscall(SYS_faccessat2, fd, "", R_OK, AT_EMPTY_PATH));
  struct fattr fa;
  memset(&fa, 0, sizeof fa);
  r = show("file_getattr", syscall(468, AT_FDCWD, f, &fa, sizeof fa, 0));
  if (r == 0) printf("  xflags=%llx\n", (unsigned long long)fa.xflags);
  show("file_getattr-small", syscall(468, AT_FDCWD, f, &fa, 8, 0));
  show("file_getattr-symlink", syscall(468, AT_FDCWD, l, &fa, sizeof fa, AT_SYMLINK_NOFOLLOW));
  show("file_getattr-fd", syscall(468, fd, "", &fa, sizeof fa, AT_EMPTY_PATH));
  return 0;
}

static void show_file(const char* rel) {
  struct stat st;
  char v[64] = {0};
  const char* p = at(rel);
  if (lstat(p, &st) != 0) {
    printf("state %s missing\n", rel);
    return;
  }
  long n = lgetxattr(p, "user.secret", v, sizeof v - 1);
  /* Times the probe set are printed; "now" (set by the kernel) is not. */
  char mt[64], atm[64];
  snprintf(mt, sizeof mt, "%lld.%09ld", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  snprintf(atm, sizeof atm, "%lld.%09ld", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec);
  printf("state %s mode=%o size=%lld uid=%u gid=%u mtime=%s atime=%s xattr=%s\n", rel, st.st_mode,
         (long long)st.st_size, st.st_uid, st.st_gid, st.st_mtim.tv_sec < 1000000000 ? mt : "now",
         st.st_atim.tv_sec < 1000000000 ? atm : "now", n >= 0 ? v : "-");
}

static int probe_write(void) {
  const char *f = at("f"), *l = at("l"), *g = at("g");
  char big[70000];
  memset(big, 'v', sizeof big);
  show("chmod", syscall(SYS_chmod, f, 0640));
  show("chmod-through-symlink", syscall(SYS_chmod, l, 0604));
  show("fchmodat2-nofollow-symlink", syscall(452, AT_FDCWD, l, 0600, AT_SYMLINK_NOFOLLOW));
  show("fchmodat2-bad-flags", syscall(452, AT_FDCWD, f, 0600, 0x2));
  int fd = open(g, O_RDWR | O_CLOEXEC), pfd = open(g, O_PATH | O_CLOEXEC);
  show("fchmod", syscall(SYS_fchmod, fd, 0660));
  show("fchmod-opath", syscall(SYS_fchmod, pfd, 0600));
  show("fchmodat2-fd", syscall(452, pfd, "", 0664, AT_EMPTY_PATH));
  show("chmod-missing", syscall(SYS_chmod, at("missing"), 0600));
  show("chown-same", syscall(SYS_chown, f, -1, -1));
  show("lchown-symlink", syscall(SYS_lchown, l, -1, -1));
  show("fchownat-fd", syscall(SYS_fchownat, pfd, "", -1, -1, AT_EMPTY_PATH));
  show("fchownat-bad-flags", syscall(SYS_fchownat, AT_FDCWD, f, -1, -1, 0x2));
  show("fchown-opath", syscall(SYS_fchown, pfd, -1, -1));
  struct timespec ts[2] = {{1000000, 1}, {2000000, 2}};
  show("utimensat", syscall(SYS_utimensat, AT_FDCWD, f, ts, 0));
  struct timespec omit[2] = {{0, UTIME_OMIT}, {3000000, 3}};
  show("utimensat-omit-atime", syscall(SYS_utimensat, AT_FDCWD, g, omit, 0));
  struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
  show("utimensat-bad-nsec", syscall(SYS_utimensat, AT_FDCWD, f, bad, 0));
  show("utimensat-bad-flags", syscall(SYS_utimensat, AT_FDCWD, f, ts, 0x2));
  show("utimensat-fd-null", syscall(SYS_utimensat, fd, NULL, ts, 0));
  show("utimensat-fd-null-flags", syscall(SYS_utimensat, fd, NULL, ts, AT_SYMLINK_NOFOLLOW));
  show("utimensat-opath-null", syscall(SYS_utimensat, pfd, NULL, ts, 0));
  show("utimensat-cwd-null", syscall(SYS_utimensat, AT_FDCWD, NULL, ts, 0));
  struct timespec lts[2] = {{4000000, 0}, {5000000, 0}};
  show("utimensat-symlink-nofollow", syscall(SYS_utimensat, AT_FDCWD, l, lts, AT_SYMLINK_NOFOLLOW));
  struct timeval tv[2] = {{6000000, 6}, {7000000, 7}};
  show("utimes", syscall(SYS_utimes, at("dir"), tv));
  struct timeval badtv[2] = {{0, 1000000}, {0, 0}};
  show("utimes-bad-usec", syscall(SYS_utimes, f, badtv));
  struct {
    long actime, modtime;
  } ub = {8000000, 9000000};
  show("utime", syscall(SYS_utime, g, &ub));
  show("futimesat", syscall(SYS_futimesat, AT_FDCWD, f, tv));
  show("futimesat-fd-null", syscall(SYS_futimesat, fd, NULL, tv));
  show("futimesat-cwd-null", syscall(SYS_futimesat, AT_FDCWD, NULL, tv));
  show("truncate", syscall(SYS_truncate, g, 2));
  show("truncate-negative", syscall(SYS_truncate, g, (long)-1));
  show("truncate-dir", syscall(SYS_truncate, at("dir"), 0));
  show("truncate-through-symlink", syscall(SYS_truncate, l, 3));
  show("setxattr", syscall(SYS_setxattr, g, "user.secret", "written", 7, 0));
  show("setxattr-create-existing", syscall(SYS_setxattr, g, "user.secret", "x", 1, XATTR_CREATE));
  show("setxattr-replace-missing", syscall(SYS_setxattr, g, "user.other", "x", 1, XATTR_REPLACE));
  show("setxattr-bad-flags", syscall(SYS_setxattr, g, "user.other", "x", 1, 0x10));
  show("setxattr-too-big", syscall(SYS_setxattr, g, "user.big", big, sizeof big, 0));
  show("setxattr-empty-name", syscall(SYS_setxattr, g, "", "x", 1, 0));
  show("setxattr-bad-value", syscall(SYS_setxattr, g, "user.other", (void*)8, 4, 0));
  show("setxattr-empty-value", syscall(SYS_setxattr, g, "user.empty", NULL, 0, 0));
  show("lsetxattr-symlink", syscall(SYS_lsetxattr, l, "user.secret", "x", 1, 0));
  show("setxattr-through-symlink", syscall(SYS_setxattr, l, "user.via", "link", 4, 0));
  show("fsetxattr", syscall(SYS_fsetxattr, fd, "user.fd", "1", 1, 0));
  show("fsetxattr-opath", syscall(SYS_fsetxattr, pfd, "user.fd", "1", 1, 0));
  struct xargs xa = {(uint64_t)(uintptr_t) "at", 2, 0};
  show("setxattrat", syscall(463, AT_FDCWD, g, 0, "user.at", &xa, sizeof xa));
  show("setxattrat-fd", syscall(463, fd, "", AT_EMPTY_PATH, "user.atfd", &xa, sizeof xa));
  show("setxattrat-short-args", syscall(463, AT_FDCWD, g, 0, "user.at", &xa, 4));
  xa.flags = XATTR_CREATE;
  show("setxattrat-create-existing", syscall(463, AT_FDCWD, g, 0, "user.at", &xa, sizeof xa));
  show("removexattr", syscall(SYS_removexattr, g, "user.at"));
  show("removexattr-missing", syscall(SYS_removexattr, g, "user.at"));
  show("fremovexattr", syscall(SYS_fremovexattr, fd, "user.fd"));
  show("removexattrat", syscall(466, AT_FDCWD, g, 0, "user.atfd"));
  show("removexattrat-bad-flags", syscall(466, AT_FDCWD, g, 0x4, "user.empty"));
  show("lremovexattr-symlink", syscall(SYS_lremovexattr, l, "user.secret"));
  struct fattr fa;
  memset(&fa, 0, sizeof fa);
  show("file_setattr", syscall(469, AT_FDCWD, g, &fa, sizeof fa, 0));
  show("file_setattr-small", syscall(469, AT_FDCWD, g, &fa, 8, 0));
  show("file_setattr-fd", syscall(469, fd, "", &fa, sizeof fa, AT_EMPTY_PATH));
  fa.xflags = 1ull << 40;
  show("file_setattr-bad-xflags", syscall(469, AT_FDCWD, g, &fa, sizeof fa, 0));
  show_file("f");
  show_file("g");
  show_file("l");
  show_file("dir");
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 3 && (!strcmp(argv[1], "probe-read") || !strcmp(argv[1], "probe-write"))) {
    snprintf(dir_, sizeof dir_, "%s", argv[2]);
    return !strcmp(argv[1], "probe-read") ? probe_read() : probe_write();
  }
  if (argc < 3) {
    fprintf(stderr, "usage: syd-attr attack|setflags|fssetxattr|getflags|access ...\n");
    return 100;
  }
  const char* c = argv[1];
  if (!strcmp(c, "attack")) return attack(argc, argv);
  if (!strcmp(c, "setflags") || !strcmp(c, "fssetxattr") || !strcmp(c, "getflags")) {
    int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
    if (fd < 0) return done(-1);
    if (!strcmp(c, "getflags")) {
      int f = 0;
      if (ioctl(fd, FS_IOC_GETFLAGS, &f) < 0) return done(-1);
      printf("%x\n", f);
      return 0;
    }
    const unsigned long want = argc > 3 ? flag_of(argv[3]) : 0;
    if (!strcmp(c, "setflags")) {
      int f = 0;
      if (ioctl(fd, FS_IOC_GETFLAGS, &f) < 0) return done(-1);
      f = (int)((f & ~(FS_APPEND_FL | FS_IMMUTABLE_FL)) | want);
      return done(ioctl(fd, FS_IOC_SETFLAGS, &f));
    }
    struct fsxattr x;
    if (ioctl(fd, FS_IOC_FSGETXATTR, &x) < 0) return done(-1);
    x.fsx_xflags &= ~(unsigned)(FS_XFLAG_APPEND | FS_XFLAG_IMMUTABLE);
    if (want == FS_APPEND_FL) x.fsx_xflags |= FS_XFLAG_APPEND;
    if (want == FS_IMMUTABLE_FL) x.fsx_xflags |= FS_XFLAG_IMMUTABLE;
    return done(ioctl(fd, FS_IOC_FSSETXATTR, &x));
  }
  if (!strcmp(c, "fd-fchmod")) { /* fchmod on a descriptor without a path (pipe) or a memfd */
    int fd = -1, p[2];
    if (!strcmp(argv[2], "pipe") && pipe2(p, O_CLOEXEC) == 0) fd = p[0];
    if (!strcmp(argv[2], "memfd")) fd = memfd_create("syd-attr", MFD_CLOEXEC);
    if (fd < 0) return done(-1);
    return done(syscall(SYS_fchmod, fd, 0600));
  }
  if (!strcmp(c, "access") && argc > 3) {
    const char* ids = getenv("SYD_ATTR_RESUID");
    if (ids) {
      unsigned r, e, s;
      if (sscanf(ids, "%u,%u,%u", &r, &e, &s) != 3) return 100;
      if (syscall(SYS_setresuid, r, e, s) != 0) {
        perror("setresuid");
        return 101;
      }
    }
    int mode = 0;
    for (const char* m = argv[3]; *m; ++m) mode |= *m == 'r' ? R_OK : *m == 'w' ? W_OK : *m == 'x' ? X_OK : 0;
    const int flags = argc > 4 && !strcmp(argv[4], "eaccess") ? AT_EACCESS : 0;
    return done(syscall(SYS_faccessat2, AT_FDCWD, argv[2], mode, flags));
  }
  fprintf(stderr, "syd-attr: unknown command %s\n", c);
  return 100;
}
