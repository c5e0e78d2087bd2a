// Errors as values: library code returns Result<T> and never throws.
#pragma once

#include <fmt/format.h>

#include <string>

#include "util/expected.h"

namespace syd {

struct Error {
  int sys_errno = 0;    // 0 when the error is not a system error
  std::string what;     // human-readable, already with its location if any
  uint32_t column = 0;  // 1-based column within the command text, 0 = none
};

template <class T>
using Result = Expected<T, Error>;
using Status = Result<void>;

// Fail(errno, "openat", path) -> "openat(path): strerror"; Fail(0, "msg").
Unexpected<Error> Fail(int sys_errno, std::string what);
Unexpected<Error> Fail(int sys_errno, std::string_view call, std::string_view arg);

// An error located at a 1-based column of the text being parsed.
Unexpected<Error> FailAt(uint32_t column, std::string what);

template <class... Args>
Unexpected<Error> Failf(fmt::format_string<Args...> f, Args&&... args) {
  return Unexpected<Error>(Error{0, fmt::format(f, std::forward<Args>(args)...)});
}

// Name of an errno value ("EPERM"), or its number as text.
std::string ErrnoName(int e);

// Aborts the process: a broken invariant must fail closed.
[[noreturn]] void CheckFailed(const char* expr, const char* file, int line);

}  // namespace syd

#define SYD_CHECK(cond) \
  do { if (!(cond)) ::syd::CheckFailed(#cond, __FILE__, __LINE__); } while (0)

#define SYD_CONCAT_INNER(a, b) a##b
#define SYD_CONCAT(a, b) SYD_CONCAT_INNER(a, b)
// SYD_TRY(x, Expr()) declares x = *Expr() or returns the error upward.
#define SYD_TRY(var, expr)                                              \
  auto SYD_CONCAT(syd_try_, __LINE__) = (expr);                         \
  if (!SYD_CONCAT(syd_try_, __LINE__))                                  \
    return ::syd::Unexpected<::syd::Error>(                             \
        std::move(SYD_CONCAT(syd_try_, __LINE__)).error());             \
  auto var = std::move(*SYD_CONCAT(syd_try_, __LINE__))
// SYD_TRY_STATUS(Expr()) for Status-returning expressions.
#define SYD_TRY_STATUS(expr)                                            \
  do {                                                                  \
    auto syd_try_s = (expr);                                            \
    if (!syd_try_s)                                                     \
      return ::syd::Unexpected<::syd::Error>(std::move(syd_try_s).error()); \
  } while (0)
