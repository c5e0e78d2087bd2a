// Runtime changes (issue 12): while runtime configuration is unlocked the
// installed program sends up every call a category could check later; the
// program for what the policy needs now decides, from the registers, which
// of them user space answers at once (supervisor/shared_policy.h).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf/compile.h"
#include "bpf/interpreter.h"
#include "test_util.h"

namespace syd::bpf {
namespace {

using test::MakePolicy;
using test::Sys;

uint32_t Eval(const KernelPolicy& k, const seccomp_data& d) {
  uint64_t args[6];
  for (int i = 0; i < 6; ++i) args[i] = d.args[i];
  return ReferenceEvaluate(k, d.arch, d.nr, args);
}

seccomp_data SendTo(uint64_t addr) {
  seccomp_data d = Sys(__NR_sendto, 3);
  d.args[4] = addr;
  return d;
}

LowerOptions Unlocked(bool may_change) {
  LowerOptions o;
  o.magic_unlocked = true;
  o.categories_may_change = may_change;
  return o;
}

// Calls of every category, as a category would check them.
const seccomp_data kCategoryCalls[] = {
    Sys(__NR_openat, AT_FDCWD, 0, O_RDONLY),           // read
    Sys(__NR_open, 0, O_RDONLY),                       // read
    Sys(__NR_getxattr),                                // read
    Sys(__NR_chdir),                                   // read
    Sys(__NR_openat, AT_FDCWD, 0, O_WRONLY | O_CREAT),  // write
    Sys(__NR_mkdir),                                   // write
    Sys(__NR_execve),                                  // exec
    Sys(__NR_newfstatat, 3, 0, 0, 0x1000),             // stat (AT_EMPTY_PATH: fstat)
    Sys(__NR_getdents64),                              // stat (hiding entries)
    Sys(__NR_getdents),                                // stat (ENOSYS while on)
    Sys(__NR_readlink),                                // stat
    Sys(__NR_connect),                                 // network
    Sys(__NR_bind),                                    // network (and write: UNIX paths)
    SendTo(1),                                         // network, with an address
    Sys(__NR_setuid),                                  // cached identity of opens
};

TEST(RuntimeChanges, UnlockedProgramSendsUpEveryCategoryFromOff) {
  const policy::Policy off = MakePolicy({});
  const KernelPolicy k = LowerKernel(off, Unlocked(true));
  for (const seccomp_data& d : kCategoryCalls) {
    EXPECT_EQ(Eval(k, d), SECCOMP_RET_USER_NOTIF) << "syscall " << d.nr;
  }
  // Not a category's: stays in the kernel.
  EXPECT_EQ(Eval(k, Sys(__NR_getpid)), SECCOMP_RET_ALLOW);
  EXPECT_EQ(Eval(k, Sys(__NR_read)), SECCOMP_RET_ALLOW);
  // sendto on a connected socket (no address): nothing to check, ever.
  EXPECT_EQ(Eval(k, SendTo(0)), SECCOMP_RET_ALLOW);
  // And it compiles, and the compiled program says the same.
  auto prog = Compile(k);
  ASSERT_TRUE(prog) << prog.error().what;
  for (const seccomp_data& d : kCategoryCalls) {
    auto got = Evaluate(*prog, d);
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, Eval(k, d)) << "syscall " << d.nr;
  }
}

TEST(RuntimeChanges, LockedProgramIsTheMinimalOne) {
  const policy::Policy p = MakePolicy({"core/sandbox/write:deny"});
  LowerOptions locked;
  locked.magic_unlocked = false;
  const KernelPolicy k = LowerKernel(p, locked);
  EXPECT_EQ(Eval(k, Sys(__NR_openat, AT_FDCWD, 0, O_RDONLY)), SECCOMP_RET_ALLOW);
  EXPECT_EQ(Eval(k, Sys(__NR_execve)), SECCOMP_RET_ALLOW);
  EXPECT_EQ(Eval(k, Sys(__NR_connect)), SECCOMP_RET_ALLOW);
  EXPECT_EQ(Eval(k, Sys(__NR_stat)), SECCOMP_RET_ALLOW);
  EXPECT_EQ(Eval(k, Sys(__NR_mkdir)), SECCOMP_RET_USER_NOTIF);
  // categories_may_change is what makes the difference.
  const KernelPolicy unlocked_min = LowerKernel(p, Unlocked(false));
  EXPECT_EQ(Eval(unlocked_min, Sys(__NR_openat, AT_FDCWD, 0, O_RDONLY)), SECCOMP_RET_ALLOW);
}

// The needed program answers what the installed one sent up: CONTINUE for
// a category still off, an errno for one switched to bpf, notify for one on.
TEST(RuntimeChanges, NeededProgramFollowsTheCurrentModes) {
  const KernelPolicy off = LowerKernel(MakePolicy({}), Unlocked(false));
  EXPECT_EQ(Eval(off, Sys(__NR_openat, AT_FDCWD, 0, O_RDONLY)), SECCOMP_RET_ALLOW);
  EXPECT_EQ(Eval(off, Sys(__NR_getdents)), SECCOMP_RET_ALLOW);
  EXPECT_EQ(Eval(off, Sys(__NR_connect)), SECCOMP_RET_ALLOW);
  // Magic stat and the exec lock still need user space while unlocked.
  EXPECT_EQ(Eval(off, Sys(__NR_stat)), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(Eval(off, Sys(__NR_execve)), SECCOMP_RET_USER_NOTIF);
  const KernelPolicy read_on = LowerKernel(MakePolicy({"core/sandbox/read:deny"}), Unlocked(false));
  EXPECT_EQ(Eval(read_on, Sys(__NR_openat, AT_FDCWD, 0, O_RDONLY)), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(Eval(read_on, Sys(__NR_openat, AT_FDCWD, 0, O_WRONLY)), SECCOMP_RET_ALLOW);
  const KernelPolicy stat_on = LowerKernel(MakePolicy({"core/sandbox/stat:deny"}), Unlocked(false));
  EXPECT_EQ(Eval(stat_on, Sys(__NR_getdents)), RetErrno(ENOSYS));
  const KernelPolicy read_bpf = LowerKernel(MakePolicy({"core/sandbox/read:bpf"}), Unlocked(false));
  EXPECT_EQ(Eval(read_bpf, Sys(__NR_openat, AT_FDCWD, 0, O_RDONLY)), RetErrno(EPERM));
}

TEST(RuntimeChanges, CategoryChangesNeedNoOtherProgram) {
  const KernelPolicy installed = LowerKernel(MakePolicy({}), Unlocked(true));
  for (const char* change : {"core/sandbox/read:deny", "core/sandbox/write:allow", "core/sandbox/exec:deny",
                             "core/sandbox/stat:deny", "core/sandbox/network:deny", "core/sandbox/read:bpf"}) {
    const KernelPolicy wanted = LowerKernel(MakePolicy({change}), Unlocked(true));
    EXPECT_EQ(CannotEnforce(installed, wanted), std::nullopt) << change;
  }
}

TEST(RuntimeChanges, KernelDecisionsCannotBeLifted) {
  // A category in bpf mode is the kernel's: switching it off would need
  // another program.
  const KernelPolicy installed = LowerKernel(MakePolicy({"core/sandbox/write:bpf"}), Unlocked(true));
  const KernelPolicy wanted = LowerKernel(MakePolicy({"core/sandbox/write:deny"}), Unlocked(true));
  EXPECT_NE(CannotEnforce(installed, wanted), std::nullopt);
  // Locked from the start: the program has only what the policy needed.
  LowerOptions locked;
  locked.magic_unlocked = false;
  const KernelPolicy min = LowerKernel(MakePolicy({}), locked);
  EXPECT_NE(CannotEnforce(min, LowerKernel(MakePolicy({"core/sandbox/read:deny"}), locked)), std::nullopt);
  EXPECT_EQ(CannotEnforce(min, LowerKernel(MakePolicy({"allowlist/read+/x/***"}), locked)), std::nullopt);
  // A kernel kill rule added for a call the program lets through.
  const KernelPolicy with_kill = LowerKernel(MakePolicy({"sys/kill_process+getpid"}), Unlocked(true));
  EXPECT_NE(CannotEnforce(LowerKernel(MakePolicy({}), Unlocked(true)), with_kill), std::nullopt);
}

TEST(RuntimeChanges, RuntimeCategoriesLimitsWhatIsSentUp) {
  const policy::Policy p = MakePolicy({"core/trace/runtime_categories:write,exec,network"});
  const KernelPolicy k = LowerKernel(p, Unlocked(true));
  EXPECT_EQ(Eval(k, Sys(__NR_openat, AT_FDCWD, 0, O_RDONLY)), SECCOMP_RET_ALLOW);  // read: left out
  EXPECT_EQ(Eval(k, Sys(__NR_readlink)), SECCOMP_RET_ALLOW);                       // stat: left out
  EXPECT_EQ(Eval(k, Sys(__NR_getdents)), SECCOMP_RET_ALLOW);
  EXPECT_EQ(Eval(k, Sys(__NR_openat, AT_FDCWD, 0, O_WRONLY)), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(Eval(k, Sys(__NR_connect)), SECCOMP_RET_USER_NOTIF);
  // Switching a listed category works; one left out needs another program.
  EXPECT_EQ(CannotEnforce(k, LowerKernel(MakePolicy({"core/trace/runtime_categories:write,exec,network",
                                                     "core/sandbox/write:deny"}),
                                         Unlocked(true))),
            std::nullopt);
  EXPECT_NE(CannotEnforce(k, LowerKernel(MakePolicy({"core/trace/runtime_categories:write,exec,network",
                                                     "core/sandbox/read:deny"}),
                                         Unlocked(true))),
            std::nullopt);
  // none: the program the start-up modes need, magic stat aside.
  const KernelPolicy none = LowerKernel(MakePolicy({"core/trace/runtime_categories:none"}), Unlocked(true));
  const KernelPolicy needed = LowerKernel(MakePolicy({"core/trace/runtime_categories:none"}), Unlocked(false));
  EXPECT_EQ(NotifiedSyscalls(none), NotifiedSyscalls(needed));
}

// Every call the installed program lets through or decides in the kernel is
// decided the same way by the program the current policy needs: the
// superset only ever turns answers into notifications.
TEST(RuntimeChanges, InstalledAgreesWithNeededWhereverItDecides) {
  for (const char* mode : {"off", "allow", "deny", "bpf"}) {
    for (const char* cat : {"read", "write", "exec", "stat", "network"}) {
      const policy::Policy p = MakePolicy({std::string("core/sandbox/") + cat + ":" + mode});
      const KernelPolicy installed = LowerKernel(p, Unlocked(true));
      const KernelPolicy needed = LowerKernel(p, Unlocked(false));
      for (int nr = 0; nr < 460; ++nr) {
        for (uint64_t flags : {0ull, 1ull, 2ull, 0x40ull, 0x1000ull, 0x200000ull}) {
          for (uint64_t a4 : {0ull, 1ull}) {
            seccomp_data d = Sys(nr, 3, flags, flags, flags);
            d.args[4] = a4;
            const uint32_t i = Eval(installed, d);
            if (i == SECCOMP_RET_USER_NOTIF) continue;
            EXPECT_EQ(i, Eval(needed, d)) << cat << ":" << mode << " nr " << nr << " flags " << flags;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace syd::bpf
