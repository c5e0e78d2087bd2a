/* syd-hold.so: LD_PRELOAD into sydbox, for Escape.AnEntryMadeAfterReceive
 * (escape_test.cc). It widens one window the scheduler may open at any
 * time: between a worker's RECV of a notification and its look-up of the
 * caller in the process table. Once $SYD_HOLD_FILE exists (the attack
 * creates it just before the call to hold), the next worker that asks
 * whether more calls are queued (a zero-timeout poll of the seccomp
 * listener) is told yes, so it hands receiving to another worker, and at
 * its second mutex lock after that (the process table's) it sleeps 3 s.
 * Each step is logged to $SYD_HOLD_LOG, so the test can tell a run where
 * the window was never opened from one where it was and held. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static __thread int hold;

static void note(const char* what) {
  const char* log = getenv("SYD_HOLD_LOG");
  if (!log) return;
  int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  dprintf(fd, "%s (tid %ld)\n", what, (long)syscall(SYS_gettid));
  close(fd);
}

int poll(struct pollfd* p, nfds_t n, int timeout) {
  static int (*real)(struct pollfd*, nfds_t, int);
  if (!real) real = (int (*)(struct pollfd*, nfds_t, int))dlsym(RTLD_NEXT, "poll");
  const char* file = getenv("SYD_HOLD_FILE");
  if (file && n == 1 && timeout == 0) {
    char link[64], target[128] = "";
    snprintf(link, sizeof link, "/proc/self/fd/%d", p->fd);
    ssize_t len = readlink(link, target, sizeof target - 1);
    if (len > 0) target[len] = '\0';
    if (strstr(target, "seccomp") && unlink(file) == 0) {
      hold = 1;
      note("listener polled: says queued");
      p->revents = POLLIN;
      return 1;
    }
  }
  return real(p, n, timeout);
}

int pthread_mutex_lock(pthread_mutex_t* m) {
  static int (*real)(pthread_mutex_t*);
  if (!real) real = (int (*)(pthread_mutex_t*))dlsym(RTLD_NEXT, "pthread_mutex_lock");
  /* 1st lock after the poll: the hand-off's; 2nd: the process table's. */
  if (hold && ++hold == 3) {
    hold = 0;
    note("held before the process table");
    sleep(3);
    note("released");
  }
  return real(m);
}
