// The calls core/restrict/* (SPEC §2.9) refuses, each tried for real:
// syd-restrict [--file PATH] TEST... prints "TEST=ok" when the call did
// what it asks (code written to a W|X mapping runs, a shared writable
// mapping takes a store) or "TEST=ERRNAME" when it failed.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/personality.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

static const char* file_path = "syd-restrict.map";

// 0 or an errno.
static int Err(long r) { return r < 0 ? errno : 0; }

// Calls the `ret` written at p: the mapping is executable.
static int RunRet(void* p) {
  __builtin___clear_cache((char*)p, (char*)p + 1);
  ((void (*)(void))p)();
  return 0;
}

static int Personality(void) {
  int old = personality(0xffffffff);
  if (personality(old | ADDR_NO_RANDOMIZE) < 0) return errno;
  personality(old);
  return 0;
}

static int Keyctl(void) {
  // KEYCTL_GET_KEYRING_ID of the thread keyring, creating it.
  return Err(syscall(__NR_keyctl, 0, -1, 1));
}

static int Msgget(void) {
  int id = msgget(IPC_PRIVATE, 0600);
  if (id < 0) return errno;
  msgctl(id, IPC_RMID, NULL);
  return 0;
}

static int Semget(void) {
  int id = semget(IPC_PRIVATE, 1, 0600);
  if (id < 0) return errno;
  semctl(id, 0, IPC_RMID);
  return 0;
}

static int Ioctl(unsigned long req) {
  int p[2];
  if (pipe(p) != 0) return errno;
  int arg = 1;
  int e = Err(ioctl(p[0], req, &arg));
  close(p[0]);
  close(p[1]);
  return e;
}

static int Tcgets(void) {
  int fd = open("/dev/null", O_RDONLY);
  struct termios t;
  int e = Err(ioctl(fd, TCGETS, &t));
  close(fd);
  return e;
}

static int Wx(void) {
  void* p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return errno;
  ((volatile unsigned char*)p)[0] = 0xc3;
  return RunRet(p);
}

static int Mprotect(int prot) {
  void* p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return errno;
  ((volatile unsigned char*)p)[0] = 0xc3;
  if (mprotect(p, 4096, prot) != 0) return errno;
  return RunRet(p);
}

static int MapFile(int flags, int prot) {
  int fd = open(file_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return errno;
  if (ftruncate(fd, 4096) != 0) return errno;
  void* p = mmap(NULL, 4096, prot, flags, fd, 0);
  close(fd);
  if (p == MAP_FAILED) return errno;
  if (prot & PROT_WRITE) ((volatile char*)p)[0] = 'x';
  return 0;
}

static int MapAnon(int prot) {
  void* p = mmap(NULL, 4096, prot, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return errno;
  if (prot & PROT_WRITE) ((volatile char*)p)[0] = 'x';
  return 0;
}

static int Shmat(int flags) {
  int id = shmget(IPC_PRIVATE, 4096, 0600);
  if (id < 0) return errno;
  void* p = shmat(id, NULL, flags);
  int e = p == (void*)-1 ? errno : 0;
  if (!e && !(flags & SHM_RDONLY)) ((volatile char*)p)[0] = 'x';
  shmctl(id, IPC_RMID, NULL);
  return e;
}

static int Run(const char* t) {
  if (!strcmp(t, "personality")) return Personality();
  if (!strcmp(t, "personality_query")) return Err(personality(0xffffffff));
  if (!strcmp(t, "keyctl")) return Keyctl();
  if (!strcmp(t, "msgget")) return Msgget();
  if (!strcmp(t, "semget")) return Semget();
  if (!strcmp(t, "setuid")) return Err(setuid(getuid()));
  if (!strcmp(t, "setgid")) return Err(setgid(getgid()));
  if (!strcmp(t, "setresuid")) return Err(setresuid(-1, -1, -1));
  if (!strcmp(t, "setgroups")) {
    gid_t g = getgid();
    return Err(setgroups(1, &g));
  }
  if (!strcmp(t, "fioasync")) return Ioctl(FIOASYNC);
  if (!strcmp(t, "fionread")) return Ioctl(FIONREAD);
  if (!strcmp(t, "fioclex")) return Ioctl(FIOCLEX);
  if (!strcmp(t, "tcgets")) return Tcgets();
  if (!strcmp(t, "wx")) return Wx();
  if (!strcmp(t, "mprotect_wx")) return Mprotect(PROT_READ | PROT_WRITE | PROT_EXEC);
  if (!strcmp(t, "mprotect_x")) return Mprotect(PROT_READ | PROT_EXEC);
  if (!strcmp(t, "shared_file")) return MapFile(MAP_SHARED, PROT_READ | PROT_WRITE);
  if (!strcmp(t, "shared_file_ro")) return MapFile(MAP_SHARED, PROT_READ);
  if (!strcmp(t, "private_file")) return MapFile(MAP_PRIVATE, PROT_READ | PROT_WRITE);
  if (!strcmp(t, "shared_anon")) return MapAnon(PROT_READ | PROT_WRITE);
  if (!strcmp(t, "shared_anon_ro")) return MapAnon(PROT_READ);
  if (!strcmp(t, "private_anon")) {
    void* p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? errno : 0;
  }
  if (!strcmp(t, "shmat")) return Shmat(0);
  if (!strcmp(t, "shmat_ro")) return Shmat(SHM_RDONLY);
  fprintf(stderr, "syd-restrict: unknown test '%s'\n", t);
  exit(2);
}

int main(int argc, char** argv) {
  int i = 1;
  if (argc > 2 && !strcmp(argv[1], "--file")) {
    file_path = argv[2];
    i = 3;
  }
  if (i >= argc) {
    fprintf(stderr, "usage: syd-restrict [--file PATH] TEST...\n");
    return 2;
  }
  for (; i < argc; ++i) {
    int e = Run(argv[i]);
    printf("%s=%s\n", argv[i], e ? strerrorname_np(e) : "ok");
    fflush(stdout);
  }
  return 0;
}
