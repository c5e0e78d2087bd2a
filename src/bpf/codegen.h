// Builds classic BPF programs back to front. Every node is an instruction
// whose successors already exist, so all jumps point forward; nodes are
// memoised on (instruction, successors) and shared. Jumps farther than a
// conditional jump's 8-bit offset go through an inserted JA.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include "util/error.h"

namespace syd::bpf {

class CodeGen {
 public:
  using Node = uint32_t;  // index into the reversed program

  Node Ret(uint32_t action);
  // A = seccomp_data word at `offset`, then continue at `next`.
  Node Load(uint32_t offset, Node next);
  // if (A <op> k) goto jt else goto jf; op is BPF_JEQ, BPF_JGT, BPF_JGE or BPF_JSET.
  Node Jump(uint16_t op, uint32_t k, Node jt, Node jf);
  // Reverses into execution order with `entry` first; fails past BPF_MAXINSNS.
  Result<std::vector<sock_filter>> Finish(Node entry);

 private:
  Node Emit(sock_filter insn);
  Node Always(Node target);  // JA
  Node Sequence(sock_filter insn, Node next);

  std::vector<sock_filter> rev_;
  std::map<std::tuple<uint16_t, uint32_t, uint32_t, uint32_t>, Node> memo_;
};

}  // namespace syd::bpf
