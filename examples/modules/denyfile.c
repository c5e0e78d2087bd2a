/*
 * denyfile: a sydbox module that fails the calls of its rule whose path
 * matches a glob, with a chosen errno, e.g.
 *
 *   sys/trace+open,openat,openat2:load=denyfile:path=/etc/ssh/[!.]*:errno=ENOENT
 *
 * Options: path=GLOB (fnmatch(3) with FNM_PATHNAME: '*' stays within one
 * component; repeatable, any match counts), errno=NAME or a number (default
 * EACCES). The path is the one sydbox resolved for the call (absolute,
 * symlinks followed where the call follows them), never re-read from the
 * caller. Paths that do not match are left to the rules after this one.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sydbox/module.h"

#define MAX_GLOBS 32

struct denyfile {
  const struct sydbox_host* host;
  char* globs[MAX_GLOBS];
  int nglobs;
  int err;
};

static const struct {
  const char* name;
  int value;
} errnos[] = {
    {"EPERM", EPERM}, {"ENOENT", ENOENT}, {"EACCES", EACCES}, {"EROFS", EROFS}, {"EIO", EIO},
    {"ENOTDIR", ENOTDIR}, {"EISDIR", EISDIR}, {"EBUSY", EBUSY}, {"ENOSYS", ENOSYS},
};

static int parse_errno(const char* s, int* out) {
  for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; ++i) {
    if (strcmp(s, errnos[i].name) == 0) {
      *out = errnos[i].value;
      return 0;
    }
  }
  char* end = NULL;
  long v = strtol(s, &end, 10);
  if (!*s || *end || v <= 0 || v > 4095) return -1;
  *out = (int)v;
  return 0;
}

static void denyfile_fini(void* state) {
  struct denyfile* d = state;
  if (!d) return;
  for (int i = 0; i < d->nglobs; ++i) free(d->globs[i]);
  free(d);
}

static int denyfile_init(const struct sydbox_host* host, const char* const* options, void** state, char* error,
                         size_t error_size) {
  struct denyfile* d = calloc(1, sizeof *d);
  if (!d) {
    snprintf(error, error_size, "out of memory");
    return 1;
  }
  d->host = host;
  d->err = EACCES;
  for (const char* const* o = options; *o; ++o) {
    if (strncmp(*o, "path=", 5) == 0 && (*o)[5] == '/' && d->nglobs < MAX_GLOBS) {
      d->globs[d->nglobs++] = strdup(*o + 5);
    } else if (strncmp(*o, "errno=", 6) == 0 && parse_errno(*o + 6, &d->err) == 0) {
      continue;
    } else {
      snprintf(error, error_size, "bad option '%s' (path=/GLOB, errno=NAME or number)", *o);
      denyfile_fini(d);
      return 1;
    }
  }
  if (d->nglobs == 0) {
    snprintf(error, error_size, "give at least one path=/GLOB");
    denyfile_fini(d);
    return 1;
  }
  *state = d;
  return 0;
}

static struct sydbox_answer denyfile_on_call(void* state, const struct sydbox_call* call) {
  const struct denyfile* d = state;
  struct sydbox_answer a = {SYDBOX_DEFER, 0, 0};
  for (int i = 0; i < 2; ++i) {
    const char* p = d->host->path(call, i);
    if (!p) break;
    for (int g = 0; g < d->nglobs; ++g) {
      if (fnmatch(d->globs[g], p, FNM_PATHNAME) == 0) {
        a.kind = SYDBOX_FAULT;
        a.value = d->err;
        return a;
      }
    }
  }
  return a;
}

static const struct sydbox_module denyfile_module = {
    sizeof(struct sydbox_module), SYDBOX_MODULE_ABI, "denyfile", denyfile_init, denyfile_on_call, denyfile_fini,
};

const struct sydbox_module* sydbox_module_entry(void) { return &denyfile_module; }
