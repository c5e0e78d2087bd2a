// What a handler decided for one notification. Handlers return a Verdict
// and Respond() (call.h) is the one place that answers the kernel, counts
// the answer and will record it: no handler issues the ioctl itself.
#pragma once

#include <cstdint>
#include <utility>

#include "util/unique_fd.h"

namespace syd::supervisor {

class Verdict {
 public:
  enum class Kind : uint8_t {
    kContinue,  // the kernel runs the call with the caller's arguments
    kError,     // the call fails with err()
    kValue,     // the call returns value() (the supervisor performed it)
    kFd,        // the supervisor opened fd(): install it and return its number
    kNone,      // nothing to answer: the caller is gone, or another thread answers
  };

  static Verdict Continue() { return Verdict(Kind::kContinue); }
  static Verdict Error(int e) {
    Verdict v(Kind::kError);
    v.err_ = e;
    return v;
  }
  static Verdict Value(int64_t x) {
    Verdict v(Kind::kValue);
    v.value_ = x;
    return v;
  }
  // From a system call's result: negative is -errno.
  static Verdict Result(long r) { return r < 0 ? Error(static_cast<int>(-r)) : Value(r); }
  static Verdict Fd(UniqueFd fd, bool cloexec) {
    Verdict v(Kind::kFd);
    v.fd_ = std::move(fd);
    v.cloexec_ = cloexec;
    return v;
  }
  static Verdict None() { return Verdict(Kind::kNone); }

  Kind kind() const { return kind_; }
  int err() const { return err_; }
  int64_t value() const { return value_; }
  const UniqueFd& fd() const { return fd_; }
  bool cloexec() const { return cloexec_; }

 private:
  explicit Verdict(Kind k) : kind_(k) {}
  Kind kind_;
  int err_ = 0;
  int64_t value_ = 0;
  UniqueFd fd_;
  bool cloexec_ = false;
};

}  // namespace syd::supervisor
