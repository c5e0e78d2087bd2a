// A strict user-space interpreter for seccomp classic BPF, used by tests to
// check compiled programs against the reference semantics. It rejects what
// the kernel's checker would (bad loads, uninitialised scratch memory,
// jumps past the end, falling off the end, division by zero).
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <span>

#include "util/error.h"

namespace syd::bpf {

Result<uint32_t> Evaluate(std::span<const sock_filter> prog, const seccomp_data& data);

}  // namespace syd::bpf
