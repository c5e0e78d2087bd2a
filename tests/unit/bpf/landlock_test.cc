// The landlock mode in the filter: the calls Landlock checks for the
// category stay in the kernel, the others (and the other category's
// intent of an open) still reach user space. Checked in the interpreter
// against the compiled program and against the reference semantics.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf/interpreter.h"
#include "test_util.h"

namespace syd::bpf {
namespace {

using test::MakePolicy;
using test::Sys;
using test::Case;

void Check(const std::vector<std::string>& lines, const std::vector<Case>& cases, bool magic_unlocked = false) {
  LowerOptions o = test::Scoped();
  o.magic_unlocked = magic_unlocked;
  o.categories_may_change = magic_unlocked;
  KernelPolicy k = LowerKernel(MakePolicy(lines), o);
  auto prog = Compile(k);
  ASSERT_TRUE(prog) << prog.error().what;
  for (const Case& c : cases) {
    auto got = Evaluate(*prog, c.in);
    ASSERT_TRUE(got) << c.name;
    EXPECT_EQ(*got, c.want) << c.name;
    EXPECT_EQ(ReferenceEvaluate(k, c.in.arch, c.in.nr, reinterpret_cast<const uint64_t*>(c.in.args)), c.want) << c.name;
  }
}

constexpr uint32_t kAllow = SECCOMP_RET_ALLOW, kNotify = SECCOMP_RET_USER_NOTIF;

TEST(LandlockMode, ReadLandlockWriteDeny) {
  Check({"core/sandbox/read:landlock", "allowlist/read+/usr/***", "core/sandbox/write:deny"},
        {{"read-only openat stays in the kernel", Sys(__NR_openat, AT_FDCWD, 0, O_RDONLY), kAllow},
         {"read-only open stays in the kernel", Sys(__NR_open, 0, O_RDONLY | O_CLOEXEC), kAllow},
         {"directory open stays in the kernel", Sys(__NR_openat, AT_FDCWD, 0, O_RDONLY | O_DIRECTORY), kAllow},
         {"write open is checked", Sys(__NR_openat, AT_FDCWD, 0, O_WRONLY | O_CREAT), kNotify},
         {"read-write open is checked", Sys(__NR_openat, AT_FDCWD, 0, O_RDWR), kNotify},
         {"O_PATH open (metadata only)", Sys(__NR_openat, AT_FDCWD, 0, O_PATH), kAllow},
         {"O_PATH with write flags is still O_PATH", Sys(__NR_openat, AT_FDCWD, 0, O_PATH | O_WRONLY), kAllow},
         {"openat2 is checked (flags in memory)", Sys(__NR_openat2), kNotify},
         {"access(R_OK) (a query)", Sys(__NR_access, 0, R_OK), kAllow},
         {"access(W_OK) is write's", Sys(__NR_access, 0, W_OK), kNotify},
         {"chdir (a query)", Sys(__NR_chdir), kAllow},
         {"mkdir is checked", Sys(__NR_mkdir), kNotify}});
}

TEST(LandlockMode, ReadLandlockAlone) {
  Check({"core/sandbox/read:landlock", "allowlist/read+/usr/***"},
        {{"read-only openat", Sys(__NR_openat, AT_FDCWD, 0, O_RDONLY), kAllow},
         {"write open (write off)", Sys(__NR_openat, AT_FDCWD, 0, O_WRONLY), kAllow},
         {"getxattr (a query)", Sys(__NR_getxattr), kAllow},
         {"read(2) is no path call", Sys(__NR_read), kAllow}});
}

TEST(LandlockMode, WriteLandlock) {
  Check({"core/sandbox/write:landlock", "allowlist/write+/tmp/***", "core/sandbox/network:deny"},
        {{"write open", Sys(__NR_openat, AT_FDCWD, 0, O_WRONLY | O_TRUNC), kAllow},
         {"creat", Sys(__NR_creat), kAllow},
         {"mkdir", Sys(__NR_mkdir), kAllow},
         {"unlinkat", Sys(__NR_unlinkat), kAllow},
         {"renameat2", Sys(__NR_renameat2), kAllow},
         {"truncate", Sys(__NR_truncate), kAllow},
         {"chmod is not a Landlock right", Sys(__NR_chmod), kNotify},
         {"utimensat is not a Landlock right", Sys(__NR_utimensat), kNotify},
         {"setxattr is not a Landlock right", Sys(__NR_setxattr), kNotify},
         {"access(W_OK) (a query)", Sys(__NR_access, 0, W_OK), kAllow},
         {"bind: network sandboxing still sees it", Sys(__NR_bind), kNotify}});
  Check({"core/sandbox/write:landlock", "allowlist/write+/tmp/***"},
        {{"bind: MAKE_SOCK is Landlock's", Sys(__NR_bind), kAllow}});
}

TEST(LandlockMode, ExecLandlock) {
  Check({"core/sandbox/exec:landlock", "allowlist/exec+/usr/bin/***"},
        {{"execve", Sys(__NR_execve), kAllow}, {"execveat", Sys(__NR_execveat), kAllow}});
}

TEST(LandlockMode, StaysInTheKernelWhileRuntimeConfigurationIsUnlocked) {
  // Unlocked, every other category is sent up (it may change); the
  // landlock one cannot change, so its calls stay in the kernel.
  Check({"core/sandbox/read:landlock", "allowlist/read+/usr/***"},
        {{"read-only openat", Sys(__NR_openat, AT_FDCWD, 0, O_RDONLY), kAllow},
         {"write open: write may be switched on", Sys(__NR_openat, AT_FDCWD, 0, O_WRONLY), kNotify}},
        true);
}

}  // namespace
}  // namespace syd::bpf
