// What the process setup left the process it runs in, for the checks
// from inside the command: "pdeathsig=N pid=P ppid=Q".
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(void) {
  int sig = -1;
  if (prctl(PR_GET_PDEATHSIG, &sig) != 0) return 1;
  printf("pdeathsig=%d pid=%d ppid=%d\n", sig, (int)getpid(), (int)getppid());
  return 0;
}
