// File helpers. WriteFileAtomic uses a temporary name in the target's own
// directory (rename(2) is atomic only within one file system) and removes
// it on every failure path.
#include "pandora/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>

#include "util/sha256.h"
#include "util/unique_fd.h"

namespace syd::pandora {

Result<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) return Fail(errno, "open", path);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return Fail(errno, "fstat", path);
  if (S_ISDIR(st.st_mode)) return Fail(EISDIR, "read", path);
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(errno, "read", path);
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) return Failf("{}: larger than {} bytes", path, max_bytes);
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Result<mode_t> FileMode(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return Fail(errno, "stat", path);
  return static_cast<mode_t>(st.st_mode & 07777);
}

Status WriteFileAtomic(const std::string& path, const std::string& data, mode_t mode, Overwrite overwrite) {
  std::random_device rd;
  std::string tmp;
  UniqueFd fd;
  for (int attempt = 0; attempt < 16 && !fd.valid(); ++attempt) {
    tmp = fmt::format("{}.tmp-{:08x}", path, rd());
    fd.Reset(open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
    if (!fd.valid() && errno != EEXIST) return Fail(errno, "open", tmp);
  }
  if (!fd.valid()) return Fail(EEXIST, "open", tmp);
  auto fail = [&](int err, std::string_view call) {
    unlink(tmp.c_str());
    return Fail(err, call, path);
  };
  // The umask may have narrowed `mode`; the caller asked for exactly it.
  if (fchmod(fd.get(), mode) != 0) return fail(errno, "fchmod");
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd.get(), data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(errno, "write");
    off += static_cast<size_t>(n);
  }
  if (fsync(fd.get()) != 0) return fail(errno, "fsync");
  fd.Reset();
  if (overwrite == Overwrite::kNo) {
    if (link(tmp.c_str(), path.c_str()) != 0) {
      int err = errno;
      unlink(tmp.c_str());
      if (err == EEXIST) return Failf("{} already exists (use -f to overwrite it)", path);
      return Fail(err, "link", path);
    }
    unlink(tmp.c_str());
    return {};
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) return fail(errno, "rename");
  return {};
}

Result<std::string> FindExecutable(const std::string& name, const char* path_env) {
  if (name.empty()) return Failf("empty program name");
  struct stat st;
  if (name.find('/') != std::string::npos) {
    if (stat(name.c_str(), &st) != 0) return Fail(errno, "stat", name);
    if (!S_ISREG(st.st_mode)) return Failf("{}: not a regular file", name);
    return name;
  }
  const std::string path = path_env && *path_env ? path_env : "/bin:/usr/bin";
  size_t start = 0;
  for (;;) {
    size_t colon = path.find(':', start);
    std::string dir = path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    // An empty entry is the current directory, as for execvp.
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(candidate.c_str(), X_OK) == 0)
      return candidate;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return Failf("{}: not found in PATH ({})", name, path);
}

Result<std::string> FileSha256(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) return Fail(errno, "open", path);
  return Sha256HexOfFd(fd.get());
}

}  // namespace syd::pandora
