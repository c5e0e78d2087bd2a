// core/restrict/general, identity_change, io_control, memory_map and
// shared_memory_writable (bpf/restrict.cc): each refusal in the compiled
// program, what stays allowed next to it, and the same answers whether
// runtime configuration may later send calls to user space or not.
#include <errno.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/shm.h>
#include <sys/syscall.h>

#include "bpf/compile.h"
#include "bpf/interpreter.h"
#include "test_util.h"

namespace syd::bpf {
namespace {

using test::MakePolicy;
using test::Sys;

const uint32_t kEperm = RetErrno(EPERM);
const uint32_t kAllow = SECCOMP_RET_ALLOW;

struct Case {
  const char* name;
  seccomp_data in;
  uint32_t want;
};

void Check(const std::vector<std::string>& lines, const std::vector<Case>& cases) {
  const policy::Policy p = MakePolicy(lines);
  LowerOptions unlocked = test::Scoped(4242);
  unlocked.magic_unlocked = unlocked.categories_may_change = true;
  for (const LowerOptions& o : {test::Scoped(4242), unlocked}) {
    KernelPolicy k = LowerKernel(p, o);
    auto prog = Compile(k);
    ASSERT_TRUE(prog) << prog.error().what;
    for (const Case& c : cases) {
      auto got = Evaluate(*prog, c.in);
      ASSERT_TRUE(got) << c.name;
      // Locked, allowed calls stay in the kernel; unlocked, some go to
      // user space first: only refusals must be the same.
      if (!o.magic_unlocked || c.want != kAllow) {
        EXPECT_EQ(*got, c.want) << c.name << " with " << lines[0];
      }
      EXPECT_EQ(*got, ReferenceEvaluate(k, c.in.arch, c.in.nr, reinterpret_cast<const uint64_t*>(c.in.args)))
          << c.name;
    }
  }
}

TEST(Restrict, NothingByDefault) {
  Check({"core/restrict/general:0"},
        {{"keyctl", Sys(__NR_keyctl, 0), kAllow},
         {"personality(ADDR_NO_RANDOMIZE)", Sys(__NR_personality, ADDR_NO_RANDOMIZE), kAllow},
         {"setuid", Sys(__NR_setuid, 0), kAllow},
         {"ioctl(FIOASYNC)", Sys(__NR_ioctl, 0, FIOASYNC), kAllow},
         {"mmap(RWX)", Sys(__NR_mmap, 0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS), kAllow},
         {"shmat", Sys(__NR_shmat, 1, 0, 0), kAllow}});
}

TEST(Restrict, GeneralLevels) {
  const std::vector<std::pair<int, seccomp_data>> first = {
      {1, Sys(__NR_keyctl, 0)},     {1, Sys(__NR_syslog, 0)},   {1, Sys(__NR_personality, ADDR_NO_RANDOMIZE)},
      {2, Sys(__NR_msgget, 0)},     {2, Sys(__NR_kcmp, 0)},   {3, Sys(__NR_semget, 0)},
      {3, Sys(__NR_io_setup, 1)},   {3, Sys(__NR_mlock, 0)},
  };
  for (int level = 0; level <= 3; ++level) {
    std::vector<Case> cases;
    for (const auto& [n, in] : first) cases.push_back({"a call of its level", in, level >= n ? kEperm : kAllow});
    // A query of the personality, and PER_LINUX, whatever the high bits
    // (the kernel takes an unsigned int).
    cases.push_back({"personality(query)", Sys(__NR_personality, 0xffffffffu), kAllow});
    cases.push_back({"personality(query), high bits", Sys(__NR_personality, ~0ull), kAllow});
    cases.push_back({"personality(PER_LINUX)", Sys(__NR_personality, PER_LINUX), kAllow});
    cases.push_back({"read", Sys(__NR_read, 0), kAllow});
    // Level 1 names them, but they are refused at every level: the kernel
    // opens a path they name (acct, swapon, quotactl), or they reach the
    // kernel and the hardware (modules, port I/O).
    for (int nr : {__NR_acct, __NR_swapon, __NR_swapoff, __NR_quotactl, __NR_quotactl_fd, __NR_init_module,
                   __NR_finit_module, __NR_delete_module, __NR_iopl, __NR_ioperm})
      cases.push_back({"always refused", Sys(nr, 0), kEperm});
    Check({"core/restrict/general:" + std::to_string(level)}, cases);
  }
}

TEST(Restrict, IdentityChange) {
  std::vector<Case> cases;
  for (int nr : {__NR_setuid, __NR_setgid, __NR_setreuid, __NR_setregid, __NR_setresuid, __NR_setresgid,
                 __NR_setfsuid, __NR_setfsgid, __NR_setgroups, __NR_capset})
    cases.push_back({"an identity change", Sys(nr, 0), kEperm});
  cases.push_back({"getuid", Sys(__NR_getuid), kAllow});
  Check({"core/restrict/identity_change:true"}, cases);
}

TEST(Restrict, IoControl) {
  Check({"core/restrict/io_control:true"},
        {{"FIONREAD", Sys(__NR_ioctl, 0, FIONREAD), kAllow},
         {"TCGETS", Sys(__NR_ioctl, 0, TCGETS), kAllow},
         {"TIOCGWINSZ", Sys(__NR_ioctl, 1, TIOCGWINSZ), kAllow},
         {"FIONREAD, high bits (an unsigned int)", Sys(__NR_ioctl, 0, (1ull << 32) | FIONREAD), kAllow},
         {"FIOASYNC", Sys(__NR_ioctl, 0, FIOASYNC), kEperm},
         {"TIOCSTI", Sys(__NR_ioctl, 0, TIOCSTI), kEperm},
         {"FS_IOC_SETFLAGS", Sys(__NR_ioctl, 0, FS_IOC_SETFLAGS), kEperm},
         {"SIOCSIFFLAGS", Sys(__NR_ioctl, 0, SIOCSIFFLAGS), kEperm}});
}

TEST(Restrict, MemoryMap) {
  Check({"core/restrict/memory_map:true"},
        {{"mmap RWX", Sys(__NR_mmap, 0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS), kEperm},
         {"mmap WX", Sys(__NR_mmap, 0, 4096, PROT_WRITE | PROT_EXEC, MAP_PRIVATE), kEperm},
         {"mmap RX file", Sys(__NR_mmap, 0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE), kAllow},
         {"mmap RW private", Sys(__NR_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE), kAllow},
         {"mmap RW shared file", Sys(__NR_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED), kEperm},
         {"mmap RW shared_validate file", Sys(__NR_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE), kEperm},
         {"mmap R shared file", Sys(__NR_mmap, 0, 4096, PROT_READ, MAP_SHARED), kAllow},
         {"mmap RW shared anonymous", Sys(__NR_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS), kAllow},
         {"mprotect RWX", Sys(__NR_mprotect, 0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC), kEperm},
         {"mprotect RX (the kernel's MDWE)", Sys(__NR_mprotect, 0, 4096, PROT_READ | PROT_EXEC), kAllow},
         {"pkey_mprotect WX", Sys(__NR_pkey_mprotect, 0, 4096, PROT_WRITE | PROT_EXEC), kEperm},
         {"shmat SHM_EXEC", Sys(__NR_shmat, 1, 0, SHM_EXEC), kEperm},
         {"shmat", Sys(__NR_shmat, 1, 0, 0), kAllow}});
}

TEST(Restrict, SharedMemoryWritable) {
  Check({"core/restrict/shared_memory_writable:true"},
        {{"mmap RW shared file", Sys(__NR_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED), kEperm},
         {"mmap RW shared anonymous", Sys(__NR_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS), kEperm},
         {"mmap R shared anonymous", Sys(__NR_mmap, 0, 4096, PROT_READ, MAP_SHARED | MAP_ANONYMOUS), kEperm},
         {"mmap R shared file", Sys(__NR_mmap, 0, 4096, PROT_READ, MAP_SHARED), kAllow},
         {"mmap RW private anonymous", Sys(__NR_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS), kAllow},
         {"shmat", Sys(__NR_shmat, 1, 0, 0), kEperm},
         {"shmat SHM_RDONLY", Sys(__NR_shmat, 1, 0, SHM_RDONLY), kAllow}});
}

}  // namespace
}  // namespace syd::bpf
