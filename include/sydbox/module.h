/*
 * sydbox module ABI, version 1.
 *
 * A module is a shared object that decides system calls for sydbox's
 * supervisor. It is named by a trace rule of the configuration:
 *
 *   sys/trace+getuid,geteuid:command=^make$:load=fakeid:uid=0
 *
 * and is built with nothing but a C compiler and this header:
 *
 *   cc -shared -fPIC -o mymod.so mymod.c
 *
 * The module exports one function, sydbox_module_entry(), which returns a
 * pointer to a static descriptor (struct sydbox_module). sydbox checks the
 * descriptor's size and ABI version, then calls init() once for each rule
 * that loads the module, with that rule's KEY=VAL options; init() keeps
 * what it needs in *state. For every call that rule matches, on_call()
 * receives the state and an opaque handle of the call, reads what it
 * needs through the host functions (struct sydbox_host), and answers.
 * fini() is called for each state when sydbox ends.
 *
 * Answers (struct sydbox_answer):
 *   SYDBOX_DEFER   the rules after this one and category sandboxing decide,
 *                  as if the rule had no outcome;
 *   SYDBOX_ALLOW   the call is allowed as by the rule option `allow`:
 *                  category sandboxing is skipped; where sydbox performs
 *                  calls of that family itself (opens, path calls, connect,
 *                  bind), it performs this one on exactly the paths and
 *                  address the module was shown, else the kernel runs it;
 *   SYDBOX_FAULT   the call fails with errno `value` (1..4095);
 *   SYDBOX_RETURN  the call is not run; the caller sees `value` as its
 *                  result (the module emulated it, writing any results
 *                  with write_memory first).
 *
 * Rules a module must keep:
 *   - on_call() runs on several supervisor threads at once, possibly for
 *     the same state: it must be thread-safe (keep the state read-only
 *     after init, or lock it).
 *   - on_call() must not block for long: the caller waits for the answer,
 *     and so do other calls while supervisor threads are busy.
 *   - The caller's memory can change between any two reads (another
 *     thread, a shared mapping). Decide on what you read once; never
 *     answer SYDBOX_ALLOW on the strength of memory the host did not show
 *     you through `path` or `address` (those are what sydbox performs the
 *     call on); a decision taken on memory you read with read_memory is
 *     safe only as SYDBOX_FAULT, SYDBOX_RETURN or SYDBOX_DEFER.
 *   - Never keep the call handle after on_call() returns.
 *   - A module runs inside the supervisor, with its privileges: load only
 *     modules you trust as you trust sydbox. Modules are loaded when sydbox
 *     starts, never at run time (a sandboxed process cannot load one).
 *   - A module that crashes ends the sandbox: sydbox says which module
 *     crashed and in which call, and every sandboxed process is killed.
 *
 * Compatibility: the structures below only grow at their end; sydbox
 * checks `size` and `abi`. A module built against a newer header than the
 * running sydbox knows is refused with a message naming both versions.
 */
#ifndef SYDBOX_MODULE_H
#define SYDBOX_MODULE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SYDBOX_MODULE_ABI 1
#define SYDBOX_MODULE_ENTRY "sydbox_module_entry"

enum sydbox_answer_kind {
  SYDBOX_DEFER = 0,
  SYDBOX_ALLOW = 1,
  SYDBOX_FAULT = 2,
  SYDBOX_RETURN = 3
};

struct sydbox_answer {
  int32_t kind;   /* enum sydbox_answer_kind */
  int32_t pad;    /* zero */
  int64_t value;  /* errno for SYDBOX_FAULT, the result for SYDBOX_RETURN */
};

/* One system call, as sydbox received it. Opaque: read it through the
 * host functions. Valid only during on_call(). */
struct sydbox_call;

/* What sydbox offers a module. */
struct sydbox_host {
  uint32_t size; /* sizeof(struct sydbox_host) as sydbox was built */
  uint32_t abi;  /* SYDBOX_MODULE_ABI of sydbox */
  /* The calling thread's id and its process's id (in sydbox's pid
   * namespace). */
  int32_t (*tid)(const struct sydbox_call* call);
  int32_t (*pid)(const struct sydbox_call* call);
  /* The system call's number (x86_64 numbering) and arguments 0..5. */
  int32_t (*nr)(const struct sydbox_call* call);
  uint64_t (*arg)(const struct sydbox_call* call, int index);
  /* The system call's name ("openat"), or "?" when unknown. */
  const char* (*syscall_name)(const struct sydbox_call* call);
  /* The call's path arguments, resolved as the kernel would (absolute,
   * symlinks followed where the call follows them); index 0 or 1. NULL
   * when the call has no such path or it cannot be resolved. The string
   * lives until on_call() returns. */
  const char* (*path)(const struct sydbox_call* call, int index);
  /* The caller's command name (/proc/PID/comm). The string lives until
   * on_call() returns. */
  const char* (*comm)(const struct sydbox_call* call);
  /* Reads / writes `len` bytes of the caller's memory at `addr`. Returns
   * the number of bytes moved, or -1 with the reason in *err (an errno). */
  int64_t (*read_memory)(const struct sydbox_call* call, uint64_t addr, void* buf, size_t len, int* err);
  int64_t (*write_memory)(const struct sydbox_call* call, uint64_t addr, const void* buf, size_t len, int* err);
  /* A line on sydbox's log (stderr unless --log-file/--log-fd), prefixed
   * with the module's name. */
  void (*log)(const struct sydbox_call* call, const char* message);
};

struct sydbox_module {
  uint32_t size;    /* sizeof(struct sydbox_module) as the module was built */
  uint32_t abi;     /* SYDBOX_MODULE_ABI the module was built against */
  const char* name; /* a short name, for messages and dumps */
  /* Called once per rule that loads the module. `options` is a
   * NULL-terminated array of "KEY=VAL" (or "KEY") strings, as written
   * after the module's name. Return 0, or nonzero with a message in
   * error[0..error_size) (a bad option, say): sydbox then refuses the
   * configuration and runs nothing. May be NULL. */
  int (*init)(const struct sydbox_host* host, const char* const* options, void** state, char* error,
              size_t error_size);
  /* Decides one call; see the answers above. Required. */
  struct sydbox_answer (*on_call)(void* state, const struct sydbox_call* call);
  /* Releases a state. May be NULL. */
  void (*fini)(void* state);
};

/* The one symbol a module exports. */
typedef const struct sydbox_module* (*sydbox_module_entry_fn)(void);
const struct sydbox_module* sydbox_module_entry(void);

#ifdef __cplusplus
}
#endif

#endif /* SYDBOX_MODULE_H */
