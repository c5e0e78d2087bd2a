/* Workloads for tests/integration/dump_test.cc: calls whose every
 * occurrence the dump must show, in order per thread.
 *
 *   syd-dump calls DIR N THREADS [DENIED]
 *                                  each thread T makes, for i in 0..N-1:
 *                                  openat(DIR/tT.i, O_WRONLY|O_CREAT), close,
 *                                  renameat(DIR/tT.i, DIR/tT.i.r);
 *                                  then creat(DENIED), which must fail with
 *                                  EPERM; prints "done"
 *   syd-dump busy DIR SECONDS      opens DIR/busy.N (N counting up, kept
 *                                  below 100000) for SECONDS seconds, prints
 *                                  the count made ("opens N")
 *   syd-dump hang DIR              one open of DIR/hang, prints "ready",
 *                                  then sleeps until killed
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char* dir;
static int n;

static void* Thread(void* arg) {
  long t = (long)arg;
  char a[4096], b[4096];
  for (int i = 0; i < n; ++i) {
    snprintf(a, sizeof a, "%s/t%ld.%d", dir, t, i);
    snprintf(b, sizeof b, "%s/t%ld.%d.r", dir, t, i);
    int fd = openat(AT_FDCWD, a, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      fprintf(stderr, "open %s: %s\n", a, strerror(errno));
      exit(3);
    }
    close(fd);
    if (renameat(AT_FDCWD, a, AT_FDCWD, b) != 0) {
      fprintf(stderr, "rename %s: %s\n", a, strerror(errno));
      exit(3);
    }
  }
  return NULL;
}

static double Now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  if (argc >= 5 && strcmp(argv[1], "calls") == 0) {
    dir = argv[2];
    n = atoi(argv[3]);
    int threads = atoi(argv[4]);
    pthread_t th[64];
    if (threads < 1 || threads > 64) return 2;
    for (long t = 0; t < threads; ++t) pthread_create(&th[t], NULL, Thread, (void*)t);
    for (int t = 0; t < threads; ++t) pthread_join(th[t], NULL);
    if (argc >= 6) {
      int fd = creat(argv[5], 0600);
      if (fd >= 0 || errno != EPERM) {
        fprintf(stderr, "creat %s: %d %s\n", argv[5], fd, strerror(errno));
        return 4;
      }
    }
    printf("done\n");
    return 0;
  }
  if (argc >= 4 && strcmp(argv[1], "busy") == 0) {
    double until = Now() + atof(argv[3]);
    char p[4096];
    long count = 0;
    while (Now() < until) {
      snprintf(p, sizeof p, "%s/busy.%ld", argv[2], count % 100000);
      int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
      if (fd < 0) {
        fprintf(stderr, "open %s: %s\n", p, strerror(errno));
        return 3;
      }
      close(fd);
      ++count;
    }
    printf("opens %ld\n", count);
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "hang") == 0) {
    char p[4096];
    snprintf(p, sizeof p, "%s/hang", argv[2]);
    int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return 3;
    printf("ready\n");
    fflush(stdout);
    for (;;) pause();
  }
  fprintf(stderr, "usage: syd-dump calls DIR N THREADS | busy DIR SECONDS | hang DIR\n");
  return 2;
}
