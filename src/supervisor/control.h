// The control socket (SPEC §3.4, --ipc PATH): a UNIX stream socket on which
// each line is a magic command and each reply a line: OK, TRUE, FALSE or
// "ERR ERRNO_NAME message". Commands are applied by the code path magic
// stat uses (magic.h).
//
// Who is served: peers with the uid sydbox runs as (SO_PEERCRED); others
// get one ERR line, are disconnected and logged. A peer that is itself a
// sandboxed process is served only while its own runtime configuration is
// unlocked, as magic stat would serve it. core/trace/magic_lock:on (from
// here, or -l / a locking config from the start) closes the door: every
// later line, queries included, is answered "ERR EPERM ...", and magic
// stat answers as locked for every process.
//
// Threads: one thread of its own polls the listening socket and the
// clients (non-blocking, replies buffered), so a slow or silent client
// never holds up notifications or other clients. The socket is created
// close-on-exec before the sandbox starts; its thread starts before the
// command runs (a thread started later would take a pid of the sandbox's
// choosing, docs/SECURITY.md).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <thread>

#include "lang/lines.h"
#include "supervisor/handlers.h"
#include "util/error.h"
#include "util/unique_fd.h"

namespace syd::supervisor {

using lang::LineReader;

class ControlSocket {
 public:
  // Creates PATH as a listening socket, mode 0600: a stale socket there is
  // replaced; a live one (another sydbox listens), or anything that is not
  // a socket (a file, a directory, a symlink) is refused.
  static Result<std::unique_ptr<ControlSocket>> Listen(const std::string& path);
  ~ControlSocket();  // Stop(), then removes PATH if it is still this socket

  // Serves on a thread of its own until Stop(). `locked`: runtime
  // configuration is locked from the start (the door is closed).
  void Start(HandlerEnv& env, bool locked);
  void Stop();

 private:
  ControlSocket() = default;
  void Serve(HandlerEnv* env);

  std::string path_;
  UniqueFd listen_;
  UniqueFd wake_;  // eventfd: Stop()
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  bool locked_ = false;
  std::thread thread_;
};

}  // namespace syd::supervisor
