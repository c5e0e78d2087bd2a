// The program a profile is for: found as execvp(3) would find it, and its
// SHA-256; the sydbox pandora runs. These touch the file system.
#pragma once

#include <string>

#include "util/error.h"

namespace syd::pandora {

// NAME as execvp(3) finds it: with a '/' as given (made absolute against
// the working directory), else the first regular, executable file NAME in
// the directories of `path` ($PATH; unset: "/bin:/usr/bin" as glibc; an
// empty entry is the working directory).
Result<std::string> ResolveProgram(const std::string& name, const char* path);

// SHA-256 of the file's contents, 64 lowercase hex digits.
Result<std::string> Sha256OfFile(const std::string& path);

// The sydbox to run: `given` (--sydbox) when not empty, else the sydbox
// next to pandora's own binary (/proc/self/exe), else sydbox in $PATH.
Result<std::string> FindSydbox(const std::string& given);

// The current time as RFC 3339 UTC, to the second: 2026-12-01T07:00:00Z.
std::string NowRfc3339();

}  // namespace syd::pandora
