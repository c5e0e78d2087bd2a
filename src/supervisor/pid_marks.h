// Pids a checked call named and the kernel then acted on by itself
// (CONTINUE): the supervisor never gives such a pid to a thread it starts
// later, so a call checked as reaching a process of the sandbox cannot
// reach the supervisor through a reused pid (blocking.h starts threads on
// demand and drops one whose tid is marked). Marks are never cleared: a
// CONTINUEd call may lie in the kernel for as long as its caller is kept
// off the CPU.
//
// The order closes the race: a check marks its pid before it looks at
// the target, and a new thread looks at its own mark after it exists.
// Either the mark comes first (the thread leaves at once, having done
// nothing) or the thread does (the check then finds a supervisor thread
// and refuses the call).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>

namespace syd::supervisor {

class PidMarks {
 public:
  // `pid_max` as /proc/sys/kernel/pid_max says (pids are below it).
  explicit PidMarks(uint32_t pid_max)
      : words_((pid_max + 63) / 64), bits_(std::make_unique<std::atomic<uint64_t>[]>(words_)) {}
  void Mark(pid_t pid) {
    const auto p = static_cast<uint32_t>(pid);
    if (pid > 0 && p / 64 < words_) bits_[p / 64].fetch_or(1ULL << (p % 64), std::memory_order_seq_cst);
  }
  // Pids out of range count as marked: nothing is known of them.
  bool Marked(pid_t pid) const {
    const auto p = static_cast<uint32_t>(pid);
    if (pid <= 0 || p / 64 >= words_) return true;
    return (bits_[p / 64].load(std::memory_order_seq_cst) >> (p % 64)) & 1;
  }

 private:
  uint32_t words_;
  std::unique_ptr<std::atomic<uint64_t>[]> bits_;
};

}  // namespace syd::supervisor
