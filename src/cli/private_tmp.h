// -D tmp: a fresh private directory for the command to start in, made
// before the sandbox and removed with everything in it afterwards.
#pragma once

#include <string>

#include "util/error.h"

namespace syd::cli {

class PrivateTmp {
 public:
  PrivateTmp() = default;
  PrivateTmp(const PrivateTmp&) = delete;
  PrivateTmp& operator=(const PrivateTmp&) = delete;
  ~PrivateTmp() { Remove(); }

  // A new directory (mode 0700) in $TMPDIR, else /tmp.
  Status Create();
  const std::string& path() const { return path_; }
  // This process will not remove it (another one owns it now).
  void Forget() { path_.clear(); }
  // Removes the tree without following a symbolic link anywhere in it.
  void Remove();

 private:
  std::string path_;
};

}  // namespace syd::cli
