// Whole-file reads and atomic writes for pandora's key, signature and
// profile files. System calls live here, not in the format code.
#pragma once

#include <sys/types.h>

#include <string>

#include "util/error.h"

namespace syd::pandora {

// Reads a regular file whole (at most `max_bytes`; errors name the path).
Result<std::string> ReadFile(const std::string& path, size_t max_bytes = size_t{64} << 20);

enum class Overwrite { kNo, kYes };

// Writes `data` to a temporary file beside `path` with `mode`, fsyncs it and
// renames it over `path`, so readers see the old file or the new one, never
// a half-written one. With Overwrite::kNo an existing `path` is an error
// (checked by link(2), so two writers cannot both win).
Status WriteFileAtomic(const std::string& path, const std::string& data, mode_t mode, Overwrite overwrite);

// The mode bits (07777) of an existing file, for rewriting it in place.
Result<mode_t> FileMode(const std::string& path);

// `name` resolved as execvp(3) would: as given when it holds a '/', else the
// first executable regular file of that name in `path_env` ($PATH; null or
// empty: "/bin:/usr/bin" as glibc). Errors say it was not found, and where.
Result<std::string> FindExecutable(const std::string& name, const char* path_env);

// SHA-256 (lowercase hex) of the file at `path`.
Result<std::string> FileSha256(const std::string& path);

}  // namespace syd::pandora
