/* bench/loops: the micro workloads. loops MODE N [PATH]
 *   open      N x open(PATH, O_RDONLY) + close
 *   stat      N x stat(PATH)
 *   getpid    N x getpid()            (never intercepted)
 *   getuid    N x getuid()            (for rules on it: built in or a module)
 *   creat     N x open(PATH, O_WRONLY|O_CREAT) + close
 *   threads   4 threads, N/4 x open(PATH, O_RDONLY) + close each
 *   forkexec  N x fork + exec /bin/true + wait
 *   chmod     N x chmod(PATH, 0644) (PATH must exist)
 *   mkdir     N calls: mkdir(PATH) and rmdir(PATH) in turn
 *   unlink    N x unlink(PATH.i) of N files made before the clock starts
 *   rename    N calls: rename(PATH, PATH.2) and back in turn (PATH made
 *             before the clock starts)
 * Prints the loop's own wall time in nanoseconds (start-up excluded). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char* path;
static long count;

static void* opener(void* arg) {
  long n = (long)arg;
  for (long i = 0; i < n; ++i) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) close(fd);
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: loops MODE N [PATH]\n");
    return 2;
  }
  const char* mode = argv[1];
  count = atol(argv[2]);
  path = argc > 3 ? argv[3] : "/etc/passwd";
  struct stat st;
  struct timespec t0, t1;
  char other[4096];
  snprintf(other, sizeof other, "%s.2", path);
  if (!strcmp(mode, "unlink")) {
    for (long i = 0; i < count; ++i) {
      snprintf(other, sizeof other, "%s.%ld", path, i);
      int fd = open(other, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) {
        perror(other);
        return 1;
      }
      close(fd);
    }
  } else if (!strcmp(mode, "rename")) {
    unlink(other);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      perror(path);
      return 1;
    }
    close(fd);
  } else if (!strcmp(mode, "mkdir")) {
    rmdir(path);
  }
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (!strcmp(mode, "open")) {
    opener((void*)count);
  } else if (!strcmp(mode, "stat")) {
    for (long i = 0; i < count; ++i) stat(path, &st);
  } else if (!strcmp(mode, "getpid")) {
    for (long i = 0; i < count; ++i) syscall(SYS_getpid);
  } else if (!strcmp(mode, "getuid")) {
    for (long i = 0; i < count; ++i) syscall(SYS_getuid);
  } else if (!strcmp(mode, "creat")) {
    for (long i = 0; i < count; ++i) {
      int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd >= 0) close(fd);
    }
  } else if (!strcmp(mode, "chmod")) {
    for (long i = 0; i < count; ++i) chmod(path, 0644);
  } else if (!strcmp(mode, "threads")) {
    pthread_t t[4];
    for (int i = 0; i < 4; ++i) pthread_create(&t[i], NULL, opener, (void*)(count / 4));
    for (int i = 0; i < 4; ++i) pthread_join(t[i], NULL);
  } else if (!strcmp(mode, "forkexec")) {
    for (long i = 0; i < count; ++i) {
      pid_t p = fork();
      if (p == 0) {
        execl("/bin/true", "true", (char*)NULL);
        _exit(127);
      }
      waitpid(p, NULL, 0);
    }
  } else if (!strcmp(mode, "mkdir")) {
    for (long i = 0; i < count; ++i) {
      if ((i % 2 ? rmdir(path) : mkdir(path, 0755)) != 0) {
        perror(path);
        return 1;
      }
    }
  } else if (!strcmp(mode, "unlink")) {
    char name[4096];
    for (long i = 0; i < count; ++i) {
      snprintf(name, sizeof name, "%s.%ld", path, i);
      if (unlink(name) != 0) {
        perror(name);
        return 1;
      }
    }
  } else if (!strcmp(mode, "rename")) {
    for (long i = 0; i < count; ++i) {
      if ((i % 2 ? rename(other, path) : rename(path, other)) != 0) {
        perror(path);
        return 1;
      }
    }
  } else {
    fprintf(stderr, "loops: unknown mode %s\n", mode);
    return 2;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("%lld\n", (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
  return 0;
}
