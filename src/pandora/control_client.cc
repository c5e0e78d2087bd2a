#include "pandora/control_client.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "util/strings.h"

namespace syd::pandora {

Result<ControlClient> ControlClient::Connect(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) return Failf("{}: not a usable socket path", path);
  std::memcpy(addr.sun_path, path.data(), path.size());
  ControlClient c;
  c.fd_ = UniqueFd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!c.fd_.valid()) return Fail(errno, "socket", path);
  if (connect(c.fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return Fail(errno, "connect", path);
  return c;
}

Result<std::string> ControlClient::Ask(std::string_view command) {
  if (command.find('\n') != std::string_view::npos) return Failf("a command is one line: '{}'", command);
  std::string line = std::string(command) + "\n";
  for (size_t done = 0; done < line.size();) {
    ssize_t n = send(fd_.get(), line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    // A refused peer is sent one ERR line and disconnected: read it below.
    if (n < 0) {
      if (errno == EPIPE || errno == ECONNRESET) break;
      return Fail(errno, "send", "the control socket");
    }
    done += static_cast<size_t>(n);
  }
  for (;;) {
    size_t nl = pending_.find('\n');
    if (nl != std::string::npos) {
      std::string reply = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      return reply;
    }
    char buf[4096];
    ssize_t n = recv(fd_.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(errno, "recv", "the control socket");
    if (n == 0) return Failf("the control socket closed the connection without a reply");
    pending_.append(buf, static_cast<size_t>(n));
  }
}

Reply ClassifyReply(std::string_view line) {
  if (line == "OK") return Reply::kOk;
  if (line == "TRUE") return Reply::kTrue;
  if (line == "FALSE") return Reply::kFalse;
  if (StartsWith(line, "ERR ")) return Reply::kErr;
  return Reply::kUnknown;
}

}  // namespace syd::pandora
