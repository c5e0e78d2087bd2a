/* syd-rt2: attacks of the second red team on the calls the supervisor
 * performs for the caller (src/supervisor/fs_*.cc, caller.cc). Each mode
 * prints what its calls got, one line each, and exits 0 when every attack
 * was refused (as natively) and 1 when one worked; 2 for a set-up error.
 *
 *   syd-rt2 drop-chmod WARM TARGET   as root: a path call on WARM, then
 *                                    setresuid(65534) and chmod(TARGET, 0666)
 *   syd-rt2 drop-stat WARM TARGET    the same with stat(TARGET)
 *   syd-rt2 bset-exec WARM TARGET    as root: a write open of WARM, every
 *                                    capability dropped from the bounding
 *                                    set, exec; the new image (uid 0, no
 *                                    capabilities) chmods TARGET and opens
 *                                    it for writing
 *   syd-rt2 exists PATH...           as uid 65534 (dropping from root):
 *                                    stat and open each PATH, print errno
 *   syd-rt2 fd-flip FILE             opens FILE read-only; a thread keeps
 *                                    dup2()ing it and a pipe over fd 100
 *                                    while open("/proc/self/fd/100",
 *                                    O_WRONLY) is tried; writes "PWNED" to
 *                                    FILE if it ever gets FILE
 *   syd-rt2 fifo-pool DIR N          N threads block opening FIFOs of their
 *                                    own in DIR for reading; then a reader
 *                                    and a writer meet at DIR/pair: exits 0
 *                                    when both opens return within 5 s
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char* ename(int e) { return e ? (strerrorname_np(e) ? strerrorname_np(e) : "?") : "OK"; }

static int report(const char* what, long r) {
  int e = r < 0 ? errno : 0;
  printf("%s %s\n", what, ename(e));
  fflush(stdout);
  return r < 0 ? 0 : 1;
}

static int drop_to_nobody(void) {
  if (syscall(SYS_setresgid, 65534, 65534, 65534) != 0 || syscall(SYS_setgroups, 0, NULL) != 0 ||
      syscall(SYS_setresuid, 65534, 65534, 65534) != 0) {
    printf("setresuid %s\n", ename(errno));
    return -1;
  }
  return 0;
}

/* A path call that makes the supervisor learn (and keep) the caller's ids. */
static void warm(const char* path) {
  struct stat st;
  (void)!stat(path, &st);
  (void)!chmod(path, 0644);
  int fd = open(path, O_WRONLY | O_CREAT, 0644);
  if (fd >= 0) close(fd);
}

static int drop_chmod(const char* w, const char* target) {
  warm(w);
  if (drop_to_nobody()) return 2;
  return report("chmod", chmod(target, 0666));
}

static int drop_stat(const char* w, const char* target) {
  warm(w);
  if (drop_to_nobody()) return 2;
  struct stat st;
  return report("stat", stat(target, &st));
}

static int bset_stage2(const char* target) {
  int won = report("chmod", chmod(target, 0666));
  int fd = open(target, O_WRONLY | O_APPEND);
  if (fd >= 0) {
    (void)!write(fd, "PWNED\n", 6);
    close(fd);
  }
  won |= report("open-w", fd);
  return won;
}

static int bset_exec(const char* self, const char* w, const char* target) {
  warm(w);
  for (int cap = 0; cap <= 63; ++cap) (void)prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
  execl(self, self, "bset-stage2", target, (char*)NULL);
  printf("exec %s\n", ename(errno));
  return 2;
}

static int exists(int n, char** paths) {
  if (drop_to_nobody()) return 2;
  for (int i = 0; i < n; ++i) {
    struct stat st;
    int r = stat(paths[i], &st);
    int e1 = r < 0 ? errno : 0;
    int fd = open(paths[i], O_RDONLY);
    int e2 = fd < 0 ? errno : 0;
    if (fd >= 0) close(fd);
    printf("%s stat %s open %s\n", paths[i], ename(e1), ename(e2));
  }
  return 0;
}

static int flip_ro, flip_pipe;
static volatile int flip_stop;

static void* flipper(void* arg) {
  (void)arg;
  while (!flip_stop) {
    dup2(flip_ro, 100);
    dup2(flip_pipe, 100);
  }
  return NULL;
}

static int fd_flip(const char* file) {
  flip_ro = open(file, O_RDONLY);
  if (flip_ro < 0) return report("open-ro", -1) + 2;
  int p[2];
  if (pipe(p) != 0) return 2;
  flip_pipe = p[1];
  dup2(flip_pipe, 100);
  pthread_t t;
  pthread_create(&t, NULL, flipper, NULL);
  int won = 0;
  struct timespec t0, now;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; !won; ++i) {
    int fd = open("/proc/self/fd/100", O_WRONLY);
    if (fd >= 0) {
      struct stat st;
      if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        (void)!write(fd, "PWNED\n", 6);
        won = 1;
      }
      close(fd);
    }
    if ((i & 255) == 0) {
      clock_gettime(CLOCK_MONOTONIC, &now);
      if (now.tv_sec - t0.tv_sec >= 3) break;
    }
  }
  flip_stop = 1;
  pthread_join(t, NULL);
  printf("fd-flip %s\n", won ? "won" : "held");
  return won;
}

static const char* pool_dir;

static void* pool_blocker(void* arg) {
  char p[4096];
  snprintf(p, sizeof p, "%s/b%ld", pool_dir, (long)arg);
  if (mkfifo(p, 0600) == 0) (void)!open(p, O_RDONLY);
  return NULL;
}

static void* pool_reader(void* arg) {
  (void)arg;
  char p[4096];
  snprintf(p, sizeof p, "%s/pair", pool_dir);
  int fd = open(p, O_RDONLY);
  printf("reader %s\n", fd >= 0 ? "OK" : ename(errno));
  fflush(stdout);
  return NULL;
}

static void pool_timeout(int sig) {
  (void)sig;
  static const char msg[] = "timed out\n";
  (void)!write(1, msg, sizeof msg - 1);
  _exit(1);
}

static int fifo_pool(const char* dir, int n) {
  pool_dir = dir;
  pthread_t t;
  for (long i = 0; i < n; ++i) pthread_create(&t, NULL, pool_blocker, (void*)i);
  sleep(1);
  char p[4096];
  snprintf(p, sizeof p, "%s/pair", dir);
  if (mkfifo(p, 0600) != 0) return 2;
  signal(SIGALRM, pool_timeout);
  alarm(5);
  pthread_t r;
  pthread_create(&r, NULL, pool_reader, NULL);
  int fd = open(p, O_WRONLY);
  printf("writer %s\n", fd >= 0 ? "OK" : ename(errno));
  fflush(stdout);
  pthread_join(r, NULL);
  _exit(fd >= 0 ? 0 : 1);
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const char* m = argv[1];
  if (!strcmp(m, "drop-chmod") && argc == 4) return drop_chmod(argv[2], argv[3]);
  if (!strcmp(m, "drop-stat") && argc == 4) return drop_stat(argv[2], argv[3]);
  if (!strcmp(m, "bset-exec") && argc == 4) return bset_exec(argv[0], argv[2], argv[3]);
  if (!strcmp(m, "bset-stage2") && argc == 3) return bset_stage2(argv[2]);
  if (!strcmp(m, "exists") && argc >= 3) return exists(argc - 2, argv + 2);
  if (!strcmp(m, "fd-flip") && argc == 3) return fd_flip(argv[2]);
  if (!strcmp(m, "fifo-pool") && argc == 4) return fifo_pool(argv[2], atoi(argv[3]));
  fprintf(stderr, "syd-rt2: bad arguments\n");
  return 2;
}
