// ioctl is hot: with write sandboxing on, only the requests that change a
// file's attributes (policy::AttrIoctls: what chattr sends) reach user
// space; every other request stays in the kernel, and nothing changes while
// write sandboxing is off.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>

#include "bpf/interpreter.h"
#include "policy/syscall_table.h"
#include "policy/syscalls.h"
#include "test_util.h"

namespace syd::bpf {
namespace {

using test::MakePolicy;
using test::Sys;
using test::Case;

void Expect(const std::vector<std::string>& config, const std::vector<Case>& cases) {
  for (bool unlocked : {false, true}) {
    LowerOptions o;
    o.magic_unlocked = unlocked;
    KernelPolicy k = LowerKernel(MakePolicy(config), o);
    auto prog = Compile(k);
    ASSERT_TRUE(prog) << prog.error().what;
    for (const Case& c : cases) {
      auto got = Evaluate(*prog, c.in);
      ASSERT_TRUE(got) << c.name << ": " << got.error().what;
      EXPECT_EQ(*got, c.want) << c.name;
      EXPECT_EQ(ReferenceEvaluate(k, c.in.arch, c.in.nr, reinterpret_cast<const uint64_t*>(c.in.args)), c.want)
          << c.name;
    }
  }
}

constexpr uint64_t kSetFlags = FS_IOC_SETFLAGS, kSetFlags32 = FS_IOC32_SETFLAGS, kSetX = FS_IOC_FSSETXATTR;

TEST(AttrIoctl, NotifiedOnlyForAttributeRequestsWithWriteSandboxing) {
  Expect({"core/sandbox/write:deny"},
         {
             {"FS_IOC_SETFLAGS", Sys(__NR_ioctl, 3, kSetFlags), SECCOMP_RET_USER_NOTIF},
             {"FS_IOC32_SETFLAGS", Sys(__NR_ioctl, 3, kSetFlags32), SECCOMP_RET_USER_NOTIF},
             {"FS_IOC_FSSETXATTR", Sys(__NR_ioctl, 3, kSetX), SECCOMP_RET_USER_NOTIF},
             {"FS_IOC_SETVERSION", Sys(__NR_ioctl, 3, FS_IOC_SETVERSION), SECCOMP_RET_USER_NOTIF},
             {"FS_IOC32_SETVERSION", Sys(__NR_ioctl, 3, FS_IOC32_SETVERSION), SECCOMP_RET_USER_NOTIF},
             {"EXT4_IOC_SETVERSION", Sys(__NR_ioctl, 3, _IOW('f', 4, long)), SECCOMP_RET_USER_NOTIF},
             {"FS_IOC_GETVERSION stays in the kernel", Sys(__NR_ioctl, 3, FS_IOC_GETVERSION), SECCOMP_RET_ALLOW},
             {"the request is an int: high bits ignored", Sys(__NR_ioctl, 3, 0xffffffff00000000ull | kSetFlags),
              SECCOMP_RET_USER_NOTIF},
             {"FS_IOC_GETFLAGS stays in the kernel", Sys(__NR_ioctl, 3, FS_IOC_GETFLAGS), SECCOMP_RET_ALLOW},
             {"FS_IOC_FSGETXATTR stays in the kernel", Sys(__NR_ioctl, 3, FS_IOC_FSGETXATTR), SECCOMP_RET_ALLOW},
             {"TCGETS stays in the kernel", Sys(__NR_ioctl, 1, TCGETS), SECCOMP_RET_ALLOW},
             {"FIONREAD stays in the kernel", Sys(__NR_ioctl, 0, FIONREAD), SECCOMP_RET_ALLOW},
             {"TIOCSTI is still refused first", Sys(__NR_ioctl, 0, TIOCSTI), RetErrno(EPERM)},
         });
  Expect({"core/sandbox/write:allow"},
         {{"allow mode notifies too", Sys(__NR_ioctl, 3, kSetFlags), SECCOMP_RET_USER_NOTIF}});
}

// Requests that change a whole file system (or a file for good) through
// any descriptor on it: EPERM in the kernel in every configuration, high
// bits of the request or not (a red-team review froze and relabelled a
// file system through a read-only descriptor).
TEST(AttrIoctl, FileSystemAdminRequestsAreAlwaysRefused) {
  for (const std::vector<std::string>& config : std::vector<std::vector<std::string>>{
           {}, {"core/sandbox/write:deny"}, {"core/sandbox/read:deny"}}) {
    std::vector<Case> cases;
    for (uint32_t cmd : policy::FileSystemAdminIoctls()) {
      cases.push_back({"a file system request", Sys(__NR_ioctl, 3, cmd), RetErrno(EPERM)});
      cases.push_back({"high bits ignored", Sys(__NR_ioctl, 3, 0xffffffff00000000ull | cmd), RetErrno(EPERM)});
    }
    cases.push_back({"FIFREEZE by name", Sys(__NR_ioctl, 3, FIFREEZE), RetErrno(EPERM)});
    cases.push_back({"FS_IOC_SETFSLABEL by name", Sys(__NR_ioctl, 3, FS_IOC_SETFSLABEL), RetErrno(EPERM)});
    cases.push_back({"FS_IOC_GETFSLABEL stays in the kernel", Sys(__NR_ioctl, 3, FS_IOC_GETFSLABEL), SECCOMP_RET_ALLOW});
    Expect(config, cases);
  }
}

TEST(AttrIoctl, KernelOnlyWithoutWriteSandboxing) {
  Expect({"core/sandbox/read:deny", "core/sandbox/stat:deny"},
         {
             {"write off: FS_IOC_SETFLAGS stays in the kernel", Sys(__NR_ioctl, 3, kSetFlags), SECCOMP_RET_ALLOW},
             {"write off: FS_IOC_FSSETXATTR stays in the kernel", Sys(__NR_ioctl, 3, kSetX), SECCOMP_RET_ALLOW},
         });
  Expect({"core/sandbox/write:bpf"},
         {
             {"write bpf: FS_IOC_SETFLAGS is EPERM in the kernel", Sys(__NR_ioctl, 3, kSetFlags), RetErrno(EPERM)},
             {"write bpf: FS_IOC_FSSETXATTR is EPERM in the kernel", Sys(__NR_ioctl, 3, kSetX), RetErrno(EPERM)},
             {"write bpf: TCGETS stays allowed", Sys(__NR_ioctl, 1, TCGETS), SECCOMP_RET_ALLOW},
         });
}

TEST(AttrIoctl, NoIoctlChainWithoutWriteSandboxing) {
  // Nothing at all for ioctl beyond the terminal guards: no extra
  // instructions on the hot path.
  const auto with = LowerKernel(MakePolicy({"core/sandbox/write:deny"}), LowerOptions{false});
  const auto without = LowerKernel(MakePolicy({}), LowerOptions{false});
  auto rules_of = [](const KernelPolicy& k) {
    for (const auto& ch : k.chains)
      if (ch.nr == __NR_ioctl) return ch.rules.size();
    return size_t{0};
  };
  EXPECT_EQ(rules_of(with), rules_of(without) + policy::AttrIoctls().size());
}

TEST(AttrIoctl, NotPartOfTheWriteClass) {
  // SPEC §2.1's %file_wr names calls that always write; ioctl does not.
  auto set = policy::ResolveSyscallSet("%file_wr");
  ASSERT_TRUE(set);
  EXPECT_FALSE(set->count(__NR_ioctl));
  EXPECT_TRUE(set->count(__NR_chmod));
}

}  // namespace
}  // namespace syd::bpf
