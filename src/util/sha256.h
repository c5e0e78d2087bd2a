// SHA-256 of a file's contents (libsodium's crypto_hash_sha256), for
// exec/verify (SPEC §2.8).
#pragma once

#include <string>
#include <string_view>

#include "util/error.h"

namespace syd {

// Reads `fd` from offset 0 to its end with pread (the file offset is left
// alone) and returns the digest as 64 lowercase hex digits.
Result<std::string> Sha256HexOfFd(int fd);

// The digest of `data`, as 64 lowercase hex digits.
std::string Sha256Hex(std::string_view data);

}  // namespace syd
