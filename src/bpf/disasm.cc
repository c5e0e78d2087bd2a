// The listing names seccomp_data fields and return actions so a person
// can read what was compiled (`sydbox --export pfc`), and, like
// libseccomp's PFC output, the system call a comparison of the syscall
// number tests ("jge 0x101 ...  # openat"). Which instructions compare the
// number is worked out from the program, not assumed from its shape: the
// accumulator holds `nr` of the native architecture at an instruction when
// every path to it loaded `nr` last and passed the arch check (jumps only
// go forward, so one pass in order sees every path).
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>

#include <fmt/format.h>

#include "bpf/compile.h"
#include "policy/syscall_table.h"
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

// What is known at an instruction, over every path that reaches it.
struct State {
  bool reached = false;
  enum class A : uint8_t { kOther, kArch, kNr } a = A::kOther;  // what the accumulator holds
  bool native = false;  // seccomp_data.arch was found to be the native one

  // Joins the state of another path into this one.
  void Join(const State& o) {
    if (!reached) {
      *this = o;
      return;
    }
    if (a != o.a) a = A::kOther;
    native = native && o.native;
  }
};

// For each instruction, whether it compares the native syscall number.
std::vector<bool> ComparesNr(const std::vector<sock_filter>& prog) {
  std::vector<State> st(prog.size());
  std::vector<bool> out(prog.size(), false);
  if (!prog.empty()) st[0].reached = true;
  auto flow = [&](size_t to, const State& s) {
    if (to < st.size()) st[to].Join(s);
  };
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    if (!st[pc].reached) continue;
    const sock_filter& in = prog[pc];
    State s = st[pc];
    switch (BPF_CLASS(in.code)) {
      case BPF_LD:
        s.a = BPF_MODE(in.code) == BPF_ABS && in.k == offsetof(seccomp_data, nr)     ? State::A::kNr
              : BPF_MODE(in.code) == BPF_ABS && in.k == offsetof(seccomp_data, arch) ? State::A::kArch
                                                                                      : State::A::kOther;
        flow(pc + 1, s);
        break;
      case BPF_JMP: {
        if (BPF_OP(in.code) == BPF_JA) {
          flow(pc + 1 + in.k, s);
          break;
        }
        out[pc] = s.a == State::A::kNr && s.native && BPF_SRC(in.code) == BPF_K && BPF_OP(in.code) != BPF_JSET;
        State t = s;
        if (s.a == State::A::kArch && BPF_OP(in.code) == BPF_JEQ && BPF_SRC(in.code) == BPF_K &&
            in.k == AUDIT_ARCH_X86_64)
          t.native = true;
        flow(pc + 1 + in.jt, t);
        flow(pc + 1 + in.jf, s);
        break;
      }
      case BPF_RET: break;
      default:
        // ALU, index register, scratch memory: not followed (a call is then
        // left unnamed, never misnamed).
        s.a = State::A::kOther;
        flow(pc + 1, s);
    }
  }
  return out;
}

}  // namespace

std::string Disassemble(const std::vector<sock_filter>& prog) {
  std::string out;
  const std::vector<bool> compares_nr = ComparesNr(prog);
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
        text = fmt::format("{:<3} {} true:{:04} false:{:04}", op, k, pc + 1 + in.jt, pc + 1 + in.jf);
        if (compares_nr[pc]) {
          const std::string_view name = policy::SyscallName(static_cast<int>(in.k));
          if (!name.empty()) text += fmt::format("  # {}", name);
        }
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
