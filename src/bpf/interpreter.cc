#include "bpf/interpreter.h"

#include <cstring>

namespace syd::bpf {

Result<uint32_t> Evaluate(std::span<const sock_filter> prog, const seccomp_data& data) {
  if (prog.empty() || prog.size() > BPF_MAXINSNS) return Failf("bad program length {}", prog.size());
  uint32_t a = 0, x = 0;
  uint32_t mem[BPF_MEMWORDS] = {};
  bool mem_set[BPF_MEMWORDS] = {};
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& in = prog[pc];
    const uint16_t cls = BPF_CLASS(in.code);
    switch (cls) {
      case BPF_LD:
      case BPF_LDX: {
        uint32_t v;
        if (BPF_MODE(in.code) == BPF_ABS && cls == BPF_LD) {
          if (BPF_SIZE(in.code) != BPF_W || in.k % 4 != 0 || in.k + 4 > sizeof(seccomp_data))
            return Failf("pc {}: bad load of offset {}", pc, in.k);
          std::memcpy(&v, reinterpret_cast<const char*>(&data) + in.k, 4);
        } else if (BPF_MODE(in.code) == BPF_IMM) {
          v = in.k;
        } else if (BPF_MODE(in.code) == BPF_MEM) {
          if (in.k >= BPF_MEMWORDS || !mem_set[in.k]) return Failf("pc {}: bad scratch read {}", pc, in.k);
          v = mem[in.k];
        } else if (BPF_MODE(in.code) == BPF_LEN) {
          v = sizeof(seccomp_data);
        } else {
          return Failf("pc {}: unsupported load mode", pc);
        }
        (cls == BPF_LD ? a : x) = v;
        break;
      }
      case BPF_ST:
      case BPF_STX:
        if (in.k >= BPF_MEMWORDS) return Failf("pc {}: bad scratch write {}", pc, in.k);
        mem[in.k] = cls == BPF_ST ? a : x;
        mem_set[in.k] = true;
        break;
      case BPF_ALU: {
        uint32_t src = BPF_SRC(in.code) == BPF_X ? x : in.k;
        switch (BPF_OP(in.code)) {
          case BPF_ADD: a += src; break;
          case BPF_SUB: a -= src; break;
          case BPF_MUL: a *= src; break;
          case BPF_DIV:
            if (src == 0) return Failf("pc {}: division by zero", pc);
            a /= src;
            break;
          case BPF_MOD:
            if (src == 0) return Failf("pc {}: division by zero", pc);
            a %= src;
            break;
          case BPF_OR: a |= src; break;
          case BPF_AND: a &= src; break;
          case BPF_XOR: a ^= src; break;
          case BPF_LSH: a = src >= 32 ? 0 : a << src; break;
          case BPF_RSH: a = src >= 32 ? 0 : a >> src; break;
          case BPF_NEG: a = -a; break;
          default: return Failf("pc {}: bad ALU op", pc);
        }
        break;
      }
      case BPF_JMP: {
        size_t target;
        if (BPF_OP(in.code) == BPF_JA) {
          target = pc + 1 + in.k;
        } else {
          uint32_t src = BPF_SRC(in.code) == BPF_X ? x : in.k;
          bool cond;
          switch (BPF_OP(in.code)) {
            case BPF_JEQ: cond = a == src; break;
            case BPF_JGT: cond = a > src; break;
            case BPF_JGE: cond = a >= src; break;
            case BPF_JSET: cond = (a & src) != 0; break;
            default: return Failf("pc {}: bad jump op", pc);
          }
          target = pc + 1 + (cond ? in.jt : in.jf);
        }
        if (target >= prog.size()) return Failf("pc {}: jump past the end", pc);
        pc = target - 1;
        break;
      }
      case BPF_RET:
        if (BPF_RVAL(in.code) == BPF_K) return in.k;
        if (BPF_RVAL(in.code) == BPF_A) return a;
        return Failf("pc {}: bad return", pc);
      case BPF_MISC:
        if (BPF_MISCOP(in.code) == BPF_TAX) x = a;
        else a = x;
        break;
      default:
        return Failf("pc {}: bad instruction class", pc);
    }
  }
  return Failf("fell off the end of the program");
}

}  // namespace syd::bpf
