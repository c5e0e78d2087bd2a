#include "util/error.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace syd {

Unexpected<Error> Fail(int sys_errno, std::string what) {
  if (sys_errno != 0) what += fmt::format(": {}", std::strerror(sys_errno));
  return Unexpected<Error>(Error{sys_errno, std::move(what)});
}

Unexpected<Error> Fail(int sys_errno, std::string_view call, std::string_view arg) {
  return Fail(sys_errno, fmt::format("{}({})", call, arg));
}

Unexpected<Error> FailAt(uint32_t column, std::string what) {
  Error e{0, std::move(what)};
  e.column = column;
  return Unexpected<Error>(std::move(e));
}

std::string ErrnoName(int e) {
  if (const char* n = strerrorname_np(e)) return n;
  return std::to_string(e);
}

void CheckFailed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "sydbox: internal check failed: %s at %s:%d\n", expr, file, line);
  std::abort();
}

}  // namespace syd
