#include "pandora/program.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "util/sha256.h"
#include "util/strings.h"
#include "util/unique_fd.h"

namespace syd::pandora {
namespace {

bool IsExecutableFile(const std::string& p) {
  struct stat st{};
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(p.c_str(), X_OK) == 0;
}

std::string Cwd() {
  char buf[4096];
  if (!getcwd(buf, sizeof buf)) return ".";
  return buf;
}

}  // namespace

Result<std::string> ResolveProgram(const std::string& name, const char* path) {
  if (name.empty()) return Failf("empty command name");
  if (name.find('/') != std::string::npos) {
    std::string abs = name[0] == '/' ? name : Cwd() + "/" + name;
    struct stat st{};
    if (stat(abs.c_str(), &st) != 0) return Failf("{}: {}", name, std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return Failf("{}: not a regular file", name);
    if (access(abs.c_str(), X_OK) != 0) return Failf("{}: not executable", name);
    return abs;
  }
  const std::string dirs = path ? path : "/bin:/usr/bin";
  for (std::string_view dir : Split(dirs, ':')) {
    std::string d = dir.empty() ? Cwd() : std::string(dir);
    if (d[0] != '/') d = Cwd() + "/" + d;
    std::string candidate = d + "/" + name;
    if (IsExecutableFile(candidate)) return candidate;
  }
  return Failf("{}: command not found in PATH", name);
}

Result<std::string> Sha256OfFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Failf("{}: {}", path, std::strerror(errno));
  auto hex = Sha256HexOfFd(fd.get());
  if (!hex) return Failf("{}: {}", path, hex.error().what);
  return *hex;
}

Result<std::string> FindSydbox(const std::string& given) {
  if (!given.empty()) {
    if (!IsExecutableFile(given)) return Failf("--sydbox {}: not an executable file", given);
    return given;
  }
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string dir(self, static_cast<size_t>(n));
    dir.resize(dir.rfind('/') + 1);
    if (IsExecutableFile(dir + "sydbox")) return dir + "sydbox";
  }
  auto found = ResolveProgram("sydbox", getenv("PATH"));
  if (!found) return Failf("no sydbox next to pandora or in PATH (give --sydbox BIN)");
  return found;
}

std::string NowRfc3339() {
  time_t now = time(nullptr);
  struct tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace syd::pandora
