/*
 * fakeid: a sydbox module that reports chosen ids to the processes its
 * rule selects, e.g.
 *
 *   sys/trace+getuid,geteuid,getresuid:command=^make$:load=fakeid:uid=0
 *
 * Options: uid=N (getuid, geteuid, getresuid report N), gid=N (getgid,
 * getegid, getresgid report N). A call whose id was not given is left to
 * the rules after this one. The ids are only reported: the process keeps
 * its real credentials, so the kernel checks every access as before.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "sydbox/module.h"

struct fakeid {
  const struct sydbox_host* host;
  int has_uid, has_gid;
  unsigned uid, gid;
};

static int parse_id(const char* s, unsigned* out) {
  char* end = NULL;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || !*s || *end || v > 0xfffffffeUL) return -1;
  *out = (unsigned)v;
  return 0;
}

static int fakeid_init(const struct sydbox_host* host, const char* const* options, void** state, char* error,
                       size_t error_size) {
  struct fakeid* f = calloc(1, sizeof *f);
  if (!f) {
    snprintf(error, error_size, "out of memory");
    return 1;
  }
  f->host = host;
  for (const char* const* o = options; *o; ++o) {
    if (strncmp(*o, "uid=", 4) == 0 && parse_id(*o + 4, &f->uid) == 0) {
      f->has_uid = 1;
    } else if (strncmp(*o, "gid=", 4) == 0 && parse_id(*o + 4, &f->gid) == 0) {
      f->has_gid = 1;
    } else {
      snprintf(error, error_size, "bad option '%s' (uid=N and gid=N, N a number)", *o);
      free(f);
      return 1;
    }
  }
  if (!f->has_uid && !f->has_gid) {
    snprintf(error, error_size, "give uid=N, gid=N or both");
    free(f);
    return 1;
  }
  *state = f;
  return 0;
}

/* getresuid/getresgid: the three ids written to the caller's pointers. */
static struct sydbox_answer write_three(const struct fakeid* f, const struct sydbox_call* call, unsigned id) {
  struct sydbox_answer a = {SYDBOX_RETURN, 0, 0};
  for (int i = 0; i < 3; ++i) {
    int err = 0;
    if (f->host->write_memory(call, f->host->arg(call, i), &id, sizeof id, &err) < 0) {
      a.kind = SYDBOX_FAULT;
      a.value = err ? err : EFAULT;
      return a;
    }
  }
  return a;
}

static struct sydbox_answer fakeid_on_call(void* state, const struct sydbox_call* call) {
  const struct fakeid* f = state;
  struct sydbox_answer defer = {SYDBOX_DEFER, 0, 0};
  struct sydbox_answer ret = {SYDBOX_RETURN, 0, 0};
  switch (f->host->nr(call)) {
    case SYS_getuid:
    case SYS_geteuid:
      if (!f->has_uid) return defer;
      ret.value = f->uid;
      return ret;
    case SYS_getgid:
    case SYS_getegid:
      if (!f->has_gid) return defer;
      ret.value = f->gid;
      return ret;
    case SYS_getresuid: return f->has_uid ? write_three(f, call, f->uid) : defer;
    case SYS_getresgid: return f->has_gid ? write_three(f, call, f->gid) : defer;
    default: return defer;
  }
}

static void fakeid_fini(void* state) { free(state); }

static const struct sydbox_module fakeid_module = {
    sizeof(struct sydbox_module), SYDBOX_MODULE_ABI, "fakeid", fakeid_init, fakeid_on_call, fakeid_fini,
};

const struct sydbox_module* sydbox_module_entry(void) { return &fakeid_module; }
