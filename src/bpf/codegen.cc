#include "bpf/codegen.h"

namespace syd::bpf {
namespace {
constexpr uint32_t kNoNext = 0xffffffff;
}

CodeGen::Node CodeGen::Emit(sock_filter insn) {
  rev_.push_back(insn);
  return static_cast<Node>(rev_.size() - 1);
}

CodeGen::Node CodeGen::Ret(uint32_t action) {
  auto key = std::make_tuple(uint16_t(BPF_RET | BPF_K), action, kNoNext, kNoNext);
  if (auto it = memo_.find(key); it != memo_.end()) return it->second;
  Node n = Emit(BPF_STMT(BPF_RET | BPF_K, action));
  memo_[key] = n;
  return n;
}

// Never memoised: a trampoline is only useful right where it is emitted
// (within reach of the jump that needs it, or just before the straight-line
// instruction that falls into it).
CodeGen::Node CodeGen::Always(Node target) {
  Node n = static_cast<Node>(rev_.size());
  return Emit(BPF_STMT(BPF_JMP | BPF_JA, n - 1 - target));
}

CodeGen::Node CodeGen::Sequence(sock_filter insn, Node next) {
  auto key = std::make_tuple(insn.code, insn.k, next, kNoNext);
  if (auto it = memo_.find(key); it != memo_.end()) return it->second;
  // A straight-line instruction falls through to the node emitted just
  // before it; anything else needs a JA in between.
  if (rev_.empty() || next != rev_.size() - 1) next = Always(next);
  Node n = Emit(insn);
  memo_[key] = n;
  return n;
}

CodeGen::Node CodeGen::Load(uint32_t offset, Node next) {
  return Sequence(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset), next);
}

CodeGen::Node CodeGen::Jump(uint16_t op, uint32_t k, Node jt, Node jf) {
  if (jt == jf) return jt;  // both ways lead to the same place
  uint16_t code = BPF_JMP | op | BPF_K;
  auto key = std::make_tuple(code, k, jt, jf);
  if (auto it = memo_.find(key); it != memo_.end()) return it->second;
  auto far = [&](Node target) { return rev_.size() - 1 - target > 255; };
  // Inserting one trampoline moves the other target one further away, so
  // reach is checked again after each insertion.
  if (far(jt)) jt = Always(jt);
  if (far(jf)) jf = Always(jf);
  if (far(jt)) jt = Always(jt);
  Node n = static_cast<Node>(rev_.size());
  SYD_CHECK(n - 1 - jt <= 255 && n - 1 - jf <= 255);
  Node jn = Emit(BPF_JUMP(code, k, static_cast<uint8_t>(n - 1 - jt), static_cast<uint8_t>(n - 1 - jf)));
  memo_[key] = jn;
  return jn;
}

Result<std::vector<sock_filter>> CodeGen::Finish(Node entry) {
  if (entry != rev_.size() - 1) entry = Always(entry);
  if (rev_.size() > BPF_MAXINSNS)
    return Failf("compiled seccomp program has {} instructions (limit {})", rev_.size(), BPF_MAXINSNS);
  return std::vector<sock_filter>(rev_.rbegin(), rev_.rend());
}

}  // namespace syd::bpf
