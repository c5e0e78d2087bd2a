#include "bpf/restrict.h"

#include <errno.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/shm.h>
#include <sys/syscall.h>

#include "policy/restrict.h"

namespace syd::bpf {
namespace {

ArgCond Bits(uint8_t arg, uint64_t v) { return ArgCond{arg, true, CmpOp::kAnyBits, v}; }
ArgCond NoBits(uint8_t arg, uint64_t v) { return ArgCond{arg, true, CmpOp::kNoBits, v}; }
ArgCond Ne32(uint8_t arg, uint64_t v) { return ArgCond{arg, true, CmpOp::kNe, v}; }

// A call denied as a whole; a guard already forcing it keeps its answer.
void Force(Guards* g, int nr, uint32_t action) { g->forced.emplace(nr, action); }

}  // namespace

void AddRestrictions(const policy::Policy& p, Guards* g) {
  const uint32_t eperm = RetErrno(EPERM);
  if (p.restrict_general > 0) {
    for (int nr : policy::GeneralRestricted(p.restrict_general)) Force(g, nr, eperm);
    // personality(0xffffffff) asks and changes nothing; PER_LINUX is the
    // default. Anything else (no address randomisation, READ_IMPLIES_EXEC,
    // other ABIs' personalities) is refused.
    g->first[__NR_personality].push_back({{Ne32(0, 0xffffffffu), Ne32(0, PER_LINUX)}, eperm});
  }
  if (p.restrict_identity_change) {
    for (int nr : {__NR_setuid, __NR_setgid, __NR_setreuid, __NR_setregid, __NR_setresuid, __NR_setresgid,
                   __NR_setfsuid, __NR_setfsgid, __NR_setgroups, __NR_capset})
      Force(g, nr, eperm);
  }
  if (p.restrict_io_control) {
    // Every request but the allowed ones: a conjunction of inequalities.
    // (The request is an unsigned int: its low 32 bits.)
    std::vector<ArgCond> none_of;
    for (uint32_t cmd : policy::IoctlAllowlist()) none_of.push_back(Ne32(1, cmd));
    g->first[__NR_ioctl].push_back({std::move(none_of), eperm});
  }
  if (p.restrict_memory_map) {
    // Writable and executable at once, in a new mapping or a changed one.
    // (Making a mapping executable that is not already is refused by the
    // kernel itself: the child sets PR_SET_MDWE, see spawn.h.)
    for (int nr : {__NR_mmap, __NR_mprotect, __NR_pkey_mprotect})
      g->first[nr].push_back({{Bits(2, PROT_WRITE), Bits(2, PROT_EXEC)}, eperm});
    // A file mapped shared and writable: stores reach the file.
    // (MAP_SHARED_VALIDATE has MAP_SHARED's bit.)
    g->first[__NR_mmap].push_back({{Bits(3, MAP_SHARED), Bits(2, PROT_WRITE), NoBits(3, MAP_ANONYMOUS)}, eperm});
    // System V shared memory attached executable.
    g->first[__NR_shmat].push_back({{Bits(2, SHM_EXEC)}, eperm});
  }
  if (p.restrict_shared_memory_writable) {
    // Shared and writable, whatever backs it; and anonymous shared memory
    // at all (mapped read-only it is only good for an mprotect to write
    // later, which the kernel allows and a filter cannot tell apart).
    g->first[__NR_mmap].push_back({{Bits(3, MAP_SHARED), Bits(2, PROT_WRITE)}, eperm});
    g->first[__NR_mmap].push_back({{Bits(3, MAP_SHARED), Bits(3, MAP_ANONYMOUS)}, eperm});
    // System V segments attached writable (SHM_RDONLY attaches read-only,
    // and the kernel then refuses mprotect to write).
    g->first[__NR_shmat].push_back({{NoBits(2, SHM_RDONLY)}, eperm});
  }
}

}  // namespace syd::bpf
