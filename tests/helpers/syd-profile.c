/* pandora profile and box (pandora_profile_test.cc): a program with a
 * fixed set of file and socket uses, to learn a profile from and run
 * under it.
 *
 *   syd-profile work DIR [EXTRA]
 *     reads DIR/in, writes DIR/out, stats DIR, binds and connects a UNIX
 *     socket DIR/sock, prints "ok"; with EXTRA also creates the file
 *     EXTRA (a write the profile run did not do) and prints
 *     "extra: ok" or "extra: ERRNONAME".
 *   syd-profile mark FILE   creates FILE (to show something ran)
 *
 * Exit status: 0 when everything it tried worked, 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static const char* Name(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENOENT: return "ENOENT";
    case ENOSYS: return "ENOSYS";
    default: return strerror(e);
  }
}

static int Fail(const char* what) {
  printf("%s: %s\n", what, Name(errno));
  return 1;
}

static int Create(const char* path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  if (write(fd, "x\n", 2) != 2) {
    close(fd);
    return -1;
  }
  return close(fd);
}

static int Work(const char* dir, const char* extra) {
  char in[4096], out[4096], sock[4096];
  snprintf(in, sizeof in, "%s/in", dir);
  snprintf(out, sizeof out, "%s/out", dir);
  snprintf(sock, sizeof sock, "%s/sock", dir);
  char buf[256];
  int fd = open(in, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail("read in");
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  if (n < 0) return Fail("read in");
  if (Create(out) != 0) return Fail("write out");
  struct stat st;
  if (stat(dir, &st) != 0) return Fail("stat dir");

  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
  unlink(sock);
  int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return Fail("socket");
  if (bind(s, (struct sockaddr*)&sa, sizeof sa) != 0) return Fail("bind");
  int c = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (c < 0) return Fail("socket");
  if (connect(c, (struct sockaddr*)&sa, sizeof sa) != 0) return Fail("connect");
  if (send(c, "hi", 2, 0) != 2) return Fail("send");
  if (recv(s, buf, sizeof buf, 0) != 2) return Fail("recv");
  close(c);
  close(s);
  unlink(sock);

  int rc = 0;
  if (extra) {
    if (Create(extra) != 0) {
      printf("extra: %s\n", Name(errno));
      rc = 1;
    } else {
      printf("extra: ok\n");
    }
  }
  printf("ok\n");
  return rc;
}

int main(int argc, char** argv) {
  if (argc >= 3 && strcmp(argv[1], "work") == 0) return Work(argv[2], argc >= 4 ? argv[3] : NULL);
  if (argc == 3 && strcmp(argv[1], "mark") == 0) return Create(argv[2]) == 0 ? 0 : Fail("mark");
  fprintf(stderr, "usage: syd-profile work DIR [EXTRA] | mark FILE\n");
  return 2;
}
