// The client side of sydbox's control socket (SPEC §3.4, --ipc PATH): one
// magic command per line out, one reply line back (OK, TRUE, FALSE or
// "ERR ERRNO_NAME message"). Used by `sydbox ctl` and by `pandora sandbox`
// when SYDBOX_IPC names the socket.
#pragma once

#include <string>
#include <string_view>

#include "util/error.h"
#include "util/unique_fd.h"

namespace syd::pandora {

class ControlClient {
 public:
  static Result<ControlClient> Connect(const std::string& path);
  // Sends one command and returns the reply line without its newline.
  Result<std::string> Ask(std::string_view command);

 private:
  UniqueFd fd_;
  std::string pending_;  // bytes received after the last reply
};

// What a reply line says.
enum class Reply { kOk, kTrue, kFalse, kErr, kUnknown };
Reply ClassifyReply(std::string_view line);

}  // namespace syd::pandora
