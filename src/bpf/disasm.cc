// The listing names seccomp_data fields and return actions so a person
// can read what was compiled (`sydbox --export pfc`).
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>

#include <fmt/format.h>

#include "bpf/compile.h"
#include "util/error.h"

namespace syd::bpf {
namespace {

std::string Field(uint32_t k) {
  if (k == offsetof(seccomp_data, nr)) return "nr";
  if (k == offsetof(seccomp_data, arch)) return "arch";
  if (k == offsetof(seccomp_data, instruction_pointer)) return "ip.lo";
  if (k == offsetof(seccomp_data, instruction_pointer) + 4) return "ip.hi";
  if (k >= offsetof(seccomp_data, args) && k < sizeof(seccomp_data)) {
    uint32_t off = k - offsetof(seccomp_data, args);
    return fmt::format("args[{}].{}", off / 8, off % 8 ? "hi" : "lo");
  }
  return fmt::format("[{}]", k);
}

std::string Action(uint32_t k) {
  switch (k & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_KILL_PROCESS: return "KILL_PROCESS";
    case SECCOMP_RET_KILL_THREAD: return "KILL_THREAD";
    case SECCOMP_RET_TRAP: return fmt::format("TRAP({})", k & SECCOMP_RET_DATA);
    case SECCOMP_RET_ERRNO: return fmt::format("ERRNO({})", ErrnoName(k & SECCOMP_RET_DATA));
    case SECCOMP_RET_USER_NOTIF: return "USER_NOTIF";
    case SECCOMP_RET_TRACE: return fmt::format("TRACE({})", k & SECCOMP_RET_DATA);
    case SECCOMP_RET_LOG: return "LOG";
    case SECCOMP_RET_ALLOW: return "ALLOW";
  }
  return fmt::format("0x{:08x}", k);
}

}  // namespace

std::string Disassemble(const std::vector<sock_filter>& prog) {
  std::string out;
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& in = prog[pc];
    std::string text;
    switch (BPF_CLASS(in.code)) {
      case BPF_LD:
        text = BPF_MODE(in.code) == BPF_ABS ? fmt::format("ld  {}", Field(in.k))
                                            : fmt::format("ld  #0x{:x}", in.k);
        break;
      case BPF_JMP: {
        if (BPF_OP(in.code) == BPF_JA) {
          text = fmt::format("jmp {:04}", pc + 1 + in.k);
          break;
        }
        const char* op = BPF_OP(in.code) == BPF_JEQ   ? "jeq"
                         : BPF_OP(in.code) == BPF_JGT ? "jgt"
                         : BPF_OP(in.code) == BPF_JGE ? "jge"
                                                      : "jset";
        std::string k = in.k == AUDIT_ARCH_X86_64 ? "AUDIT_ARCH_X86_64" : fmt::format("0x{:x}", in.k);
        text = fmt::format("{:<4}{} true:{:04} false:{:04}", op, k, pc + 1 + in.jt, pc + 1 + in.jf);
        break;
      }
      case BPF_RET:
        text = BPF_RVAL(in.code) == BPF_K ? fmt::format("ret {}", Action(in.k)) : "ret A";
        break;
      default:
        text = fmt::format("code=0x{:x} jt={} jf={} k=0x{:x}", in.code, in.jt, in.jf, in.k);
    }
    out += fmt::format("{:04}: {}\n", pc, text);
  }
  return out;
}

}  // namespace syd::bpf
