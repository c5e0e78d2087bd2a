/* syd-hold.so: LD_PRELOAD into sydbox, for two escape tests
 * (escape_test.cc). It widens one of two windows the scheduler may open at
 * any time, chosen by $SYD_HOLD_AT:
 * - unset (Escape.AnEntryMadeAfterReceive...): between a worker's RECV of
 *   a notification and its look-up of the caller in the process table.
 *   Once $SYD_HOLD_FILE exists (the attack creates it just before the call
 *   to hold), the next worker that asks whether more calls are queued (a
 *   zero-timeout poll of the seccomp listener) is told yes, so it hands
 *   receiving to another worker, and at its second mutex lock after that
 *   (the process table's) it sleeps 3 s.
 * - "status:N" (Escape.WhatIsReadOfADeadCaller...): between a worker's
 *   read of a caller's /proc/PID/status and what it does next. Once
 *   $SYD_HOLD_FILE exists, the next worker that opens a /proc/PID/status
 *   counts its own opens of such files and sleeps 3 s when it closes the
 *   Nth (after reading it). Until then a worker that asks whether more
 *   calls are queued is told yes, as above, so receiving goes on while it
 *   is held. (A first look-up reads the status twice: for
 *   the parent's pid when it makes the entry, then for the caller's ids.)
 * Each step is logged to $SYD_HOLD_LOG, so the test can tell a run where
 * the window was never opened from one where it was and held. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static __thread int hold;
static __thread int held_fd = -1;
static __thread int status_opens; /* since the hold file was seen */

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
    /* In status:N mode the hold file stays for the status open to take:
     * the worker only hands receiving on, so it can be held alone. */
    const int by_status = getenv("SYD_HOLD_AT") != NULL;
    if (strstr(target, "seccomp") && (by_status ? access(file, F_OK) == 0 : unlink(file) == 0)) {
      hold = !by_status;
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

/* SYD_HOLD_AT=status:N: the Nth /proc/DIGITS/status opened by the thread
 * that saw the hold file is held at its close. */
static int is_status(const char* path) {
  if (strncmp(path, "/proc/", 6) != 0) return 0;
  const char* p = path + 6;
  if (*p < '0' || *p > '9') return 0;
  while (*p >= '0' && *p <= '9') ++p;
  return strcmp(p, "/status") == 0;
}

static int hold_status_open(const char* path, int fd) {
  const char* at = getenv("SYD_HOLD_AT");
  const char* file = getenv("SYD_HOLD_FILE");
  if (fd < 0 || !at || strncmp(at, "status:", 7) != 0 || !file || !is_status(path)) return fd;
  if (!status_opens && unlink(file) != 0) return fd;
  if (++status_opens == atoi(at + 7)) {
    held_fd = fd;
    char what[96];
    snprintf(what, sizeof what, "caller's status opened: %.64s", path);
    note(what);
  }
  return fd;
}

/* open and open64 are one function on x86-64, under two names. */
static int open_named(const char* name, const char* path, int flags, int mode) {
  int (*real)(const char*, int, ...) = (int (*)(const char*, int, ...))dlsym(RTLD_NEXT, name);
  return hold_status_open(path, real(path, flags, mode));
}

int open(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  int mode = va_arg(ap, int);
  va_end(ap);
  return open_named("open", path, flags, mode);
}

int open64(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  int mode = va_arg(ap, int);
  va_end(ap);
  return open_named("open64", path, flags, mode);
}

int close(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "close");
  if (fd >= 0 && fd == held_fd) {
    held_fd = -1;
    note("held after reading the caller's status");
    sleep(3);
    note("released");
  }
  return real(fd);
}
