#include "cli/private_tmp.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace syd::cli {
namespace {

// Empties the directory open at `dirfd` (closing it): every entry is
// reached through its parent's descriptor, and directories are opened
// with O_NOFOLLOW, so a link the sandbox left (or swaps in) is removed,
// never followed.
void EmptyDir(int dirfd) {
  DIR* d = fdopendir(dirfd);
  if (!d) {
    close(dirfd);
    return;
  }
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  for (const std::string& n : names) {
    if (unlinkat(dirfd, n.c_str(), 0) == 0) continue;
    const int sub = openat(dirfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) continue;
    (void)fchmod(sub, 0700);  // a directory the command made read-only
    EmptyDir(sub);
    unlinkat(dirfd, n.c_str(), AT_REMOVEDIR);
  }
  closedir(d);
}

}  // namespace

Status PrivateTmp::Create() {
  const char* base = getenv("TMPDIR");
  if (!base || !*base) base = "/tmp";
  char real[PATH_MAX];
  if (!realpath(base, real)) return Fail(errno, fmt::format("-D tmp: {}", base));
  std::string templ = std::string(real) + "/sydbox-tmp.XXXXXX";
  if (!mkdtemp(templ.data())) return Fail(errno, fmt::format("-D tmp: cannot make a directory in {}", real));
  path_ = templ;
  return {};
}

void PrivateTmp::Remove() {
  if (path_.empty()) return;
  const int fd = open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) EmptyDir(fd);
  rmdir(path_.c_str());
  path_.clear();
}

}  // namespace syd::cli
