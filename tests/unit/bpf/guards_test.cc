// The guards of bpf/guards.h: calls naming the supervisor are EPERM in the
// kernel whatever the configuration; calls acting on other processes go to
// user space unless Landlock scopes them or they act on the caller; the
// terminal, namespace, mount and device-node restrictions, lifted by their
// options.
#include <errno.h>
#include <linux/seccomp.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <gtest/gtest.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf/compile.h"
#include "bpf/interpreter.h"
#include "kernel/uapi.h"
#include "test_util.h"

namespace syd::bpf {
namespace {

using test::MakePolicy;
using test::Sys;

constexpr int kSup = 4242;  // the supervisor's pid in these programs
constexpr uint64_t kOther = 77;
const uint32_t kEperm = RetErrno(EPERM);
const uint32_t kNotify = SECCOMP_RET_USER_NOTIF;
const uint32_t kAllow = SECCOMP_RET_ALLOW;

struct Case {
  const char* name;
  seccomp_data in;
  uint32_t scoped;    // with Landlock signal scope and a domain
  uint32_t unscoped;  // without Landlock
};

const std::vector<Case>& Cases() {
  static const std::vector<Case> kCases = {
      {"kill(supervisor)", Sys(__NR_kill, kSup, SIGKILL), kEperm, kEperm},
      {"kill(supervisor), high bits ignored (pid_t)", Sys(__NR_kill, 0xffffffff00000000ull | kSup, SIGKILL), kEperm,
       kEperm},
      {"kill(other)", Sys(__NR_kill, kOther, SIGTERM), kAllow, kNotify},
      {"kill(0): the caller's group", Sys(__NR_kill, 0, SIGTERM), kAllow, kNotify},
      {"kill(-1)", Sys(__NR_kill, static_cast<uint64_t>(-1), SIGTERM), kAllow, kNotify},
      {"tkill(supervisor)", Sys(__NR_tkill, kSup, SIGKILL), kEperm, kEperm},
      {"tgkill(supervisor, any)", Sys(__NR_tgkill, kSup, 1, SIGKILL), kEperm, kEperm},
      {"tgkill(other)", Sys(__NR_tgkill, kOther, kOther, SIGKILL), kAllow, kNotify},
      {"rt_sigqueueinfo(supervisor)", Sys(__NR_rt_sigqueueinfo, kSup, SIGKILL), kEperm, kEperm},
      {"rt_tgsigqueueinfo(supervisor)", Sys(__NR_rt_tgsigqueueinfo, kSup, kSup, SIGKILL), kEperm, kEperm},
      {"pidfd_open(supervisor)", Sys(__NR_pidfd_open, kSup), kEperm, kEperm},
      {"pidfd_open(other)", Sys(__NR_pidfd_open, kOther), kAllow, kNotify},
      {"pidfd_send_signal: a descriptor", Sys(__NR_pidfd_send_signal, 3, SIGKILL), kAllow, kNotify},
      {"process_vm_readv(supervisor)", Sys(__NR_process_vm_readv, kSup), kEperm, kEperm},
      {"process_vm_readv(other)", Sys(__NR_process_vm_readv, kOther), kAllow, kNotify},
      {"kcmp(other, supervisor)", Sys(__NR_kcmp, kOther, kSup), kEperm, kEperm},
      {"move_pages(0): the caller", Sys(__NR_move_pages, 0), kAllow, kAllow},
      {"setpriority(PRIO_PROCESS, 0): the caller", Sys(__NR_setpriority, PRIO_PROCESS, 0, 19), kAllow, kAllow},
      {"setpriority(PRIO_PROCESS, supervisor)", Sys(__NR_setpriority, PRIO_PROCESS, kSup, 19), kEperm, kEperm},
      {"setpriority(PRIO_PROCESS, other)", Sys(__NR_setpriority, PRIO_PROCESS, kOther, 19), kNotify, kNotify},
      {"setpriority(PRIO_PGRP, 0): may hold the supervisor", Sys(__NR_setpriority, PRIO_PGRP, 0, 19), kNotify,
       kNotify},
      {"setpriority(PRIO_USER, 0)", Sys(__NR_setpriority, PRIO_USER, 0, 19), kNotify, kNotify},
      {"sched_setaffinity(0)", Sys(__NR_sched_setaffinity, 0), kAllow, kAllow},
      {"sched_setaffinity(supervisor)", Sys(__NR_sched_setaffinity, kSup), kEperm, kEperm},
      {"sched_setscheduler(other)", Sys(__NR_sched_setscheduler, kOther), kNotify, kNotify},
      {"prlimit64(0, set)", Sys(__NR_prlimit64, 0, RLIMIT_NOFILE, 0x1000), kAllow, kAllow},
      {"prlimit64(other, read only)", Sys(__NR_prlimit64, kOther, RLIMIT_NOFILE, 0, 0x1000), kAllow, kAllow},
      {"prlimit64(other, set)", Sys(__NR_prlimit64, kOther, RLIMIT_NOFILE, 0x1000), kNotify, kNotify},
      {"prlimit64(supervisor, read only)", Sys(__NR_prlimit64, kSup, RLIMIT_NOFILE, 0, 0x1000), kEperm, kEperm},
      {"ioprio_set(PROCESS, 0)", Sys(__NR_ioprio_set, 1, 0), kAllow, kAllow},
      {"ioprio_set(PROCESS, supervisor)", Sys(__NR_ioprio_set, 1, kSup), kEperm, kEperm},
      {"ioprio_set(USER, 0)", Sys(__NR_ioprio_set, 3, 0), kNotify, kNotify},
      {"ioctl TIOCSTI", Sys(__NR_ioctl, 0, kernel::uapi::kTiocsti), kEperm, kEperm},
      {"ioctl TIOCSTI, high bits ignored", Sys(__NR_ioctl, 0, 0xffffffff00000000ull | kernel::uapi::kTiocsti), kEperm,
       kEperm},
      {"ioctl TIOCLINUX", Sys(__NR_ioctl, 0, kernel::uapi::kTioclinux), kEperm, kEperm},
      {"ioctl TIOCCONS", Sys(__NR_ioctl, 0, kernel::uapi::kTioccons), kEperm, kEperm},
      {"ioctl TIOCVHANGUP", Sys(__NR_ioctl, 0, kernel::uapi::kTiocvhangup), kEperm, kEperm},
      {"vhangup", Sys(__NR_vhangup), kEperm, kEperm},
      {"ioctl TCGETS", Sys(__NR_ioctl, 0, TCGETS), kAllow, kAllow},
      {"unshare(CLONE_NEWUSER)", Sys(__NR_unshare, CLONE_NEWUSER), kEperm, kEperm},
      {"unshare(CLONE_NEWTIME)", Sys(__NR_unshare, 0x80), kEperm, kEperm},
      {"unshare(CLONE_FS)", Sys(__NR_unshare, CLONE_FS), kAllow, kAllow},
      {"clone(SIGCHLD)", Sys(__NR_clone, SIGCHLD), kAllow, kAllow},
      {"clone(CLONE_NEWNS)", Sys(__NR_clone, CLONE_NEWNS | SIGCHLD), kEperm, kEperm},
      {"clone3: flags in memory", Sys(__NR_clone3), RetErrno(ENOSYS), RetErrno(ENOSYS)},
      {"clone(CLONE_PARENT): a sibling", Sys(__NR_clone, CLONE_PARENT | SIGCHLD), kEperm, kEperm},
      {"clone(CLONE_PARENT), high bits", Sys(__NR_clone, (1ull << 32) | CLONE_PARENT), kEperm, kEperm},
      {"prctl(PR_SET_CHILD_SUBREAPER, 1)", Sys(__NR_prctl, PR_SET_CHILD_SUBREAPER, 1), kEperm, kEperm},
      {"prctl(PR_SET_CHILD_SUBREAPER, 0): unset", Sys(__NR_prctl, PR_SET_CHILD_SUBREAPER, 0), kAllow, kAllow},
      {"prctl(PR_GET_CHILD_SUBREAPER)", Sys(__NR_prctl, PR_GET_CHILD_SUBREAPER, 0x1000), kAllow, kAllow},
      {"setns", Sys(__NR_setns, 3, 0), kEperm, kEperm},
      {"chroot", Sys(__NR_chroot), kEperm, kEperm},
      {"mount", Sys(__NR_mount), kEperm, kEperm},
      {"umount2", Sys(__NR_umount2), kEperm, kEperm},
      {"pivot_root", Sys(__NR_pivot_root), kEperm, kEperm},
      {"fsopen", Sys(__NR_fsopen), kEperm, kEperm},
      {"mount_setattr", Sys(__NR_mount_setattr), kEperm, kEperm},
      {"open_tree_attr", Sys(kernel::uapi::kNrOpenTreeAttr), kEperm, kEperm},
      {"fcntl(F_SETOWN, supervisor)", Sys(__NR_fcntl, 3, F_SETOWN, kSup), kEperm, kEperm},
      {"fcntl(F_SETOWN, other)", Sys(__NR_fcntl, 3, F_SETOWN, kOther), kAllow, kNotify},
      {"fcntl(F_SETOWN, 0)", Sys(__NR_fcntl, 3, F_SETOWN, 0), kAllow, kAllow},
      {"fcntl(F_SETOWN_EX): the pid is in memory", Sys(__NR_fcntl, 3, F_SETOWN_EX, 0x1000), kAllow, kEperm},
      {"fcntl(F_GETFL)", Sys(__NR_fcntl, 3, F_GETFL), kAllow, kAllow},
      {"fcntl(F_SETFL, supervisor pid as flags)", Sys(__NR_fcntl, 3, F_SETFL, kSup), kAllow, kAllow},
      {"ioctl FIOSETOWN", Sys(__NR_ioctl, 3, FIOSETOWN, 0x1000), kAllow, kEperm},
      {"prlimit64(other, 0x100000000): a pointer, not NULL", Sys(__NR_prlimit64, kOther, RLIMIT_CPU, 0x100000000ull),
       kNotify, kNotify},
      {"seccomp: a listener of its own", Sys(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER),
       kEperm, kEperm},
      {"seccomp: a plain filter", Sys(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0), kAllow, kAllow},
      {"getpid: untouched", Sys(__NR_getpid), kAllow, kAllow},
      {"mknod S_IFCHR 1:3", Sys(__NR_mknod, 0, S_IFCHR | 0666, makedev(1, 3)), kEperm, kEperm},
      {"mknod S_IFBLK 0:0", Sys(__NR_mknod, 0, S_IFBLK | 0600, 0), kEperm, kEperm},
      {"mknod S_IFBLK 7:0", Sys(__NR_mknod, 0, S_IFBLK | 0600, makedev(7, 0)), kEperm, kEperm},
      {"mknod whiteout (S_IFCHR 0:0)", Sys(__NR_mknod, 0, S_IFCHR, 0), kAllow, kAllow},
      {"mknod S_IFIFO", Sys(__NR_mknod, 0, S_IFIFO | 0644, makedev(1, 3)), kAllow, kAllow},
      {"mknod S_IFSOCK", Sys(__NR_mknod, 0, S_IFSOCK | 0644, 0), kAllow, kAllow},
      {"mknod S_IFREG", Sys(__NR_mknod, 0, S_IFREG | 0644, makedev(1, 3)), kAllow, kAllow},
      {"mknod no type bits", Sys(__NR_mknod, 0, 0644, makedev(1, 3)), kAllow, kAllow},
      {"mknod S_IFDIR (the kernel says EPERM)", Sys(__NR_mknod, 0, S_IFDIR | 0755, makedev(1, 3)), kAllow, kAllow},
      {"mknod bad type 0030000 (EINVAL)", Sys(__NR_mknod, 0, 0030000, makedev(1, 3)), kAllow, kAllow},
      {"mknodat S_IFCHR 1:3", Sys(__NR_mknodat, AT_FDCWD, 0, S_IFCHR | 0666, makedev(1, 3)), kEperm, kEperm},
      {"mknodat S_IFBLK", Sys(__NR_mknodat, AT_FDCWD, 0, S_IFBLK, makedev(8, 0)), kEperm, kEperm},
      {"mknodat whiteout", Sys(__NR_mknodat, AT_FDCWD, 0, S_IFCHR, 0), kAllow, kAllow},
      {"mknodat S_IFCHR, high bits above umode_t", Sys(__NR_mknodat, AT_FDCWD, 0, 0x10000 | S_IFCHR, 0x103), kEperm,
       kEperm},
      {"mknodat S_IFCHR 0:0 in the low 32 bits of dev", Sys(__NR_mknodat, AT_FDCWD, 0, S_IFCHR, 1ull << 32), kAllow,
       kAllow},
  };
  return kCases;
}

LowerOptions Unscoped(int sup) {
  LowerOptions o = test::Scoped(sup);
  o.signals_scoped = o.ptrace_scoped = false;
  return o;
}

uint32_t Decide(const std::vector<sock_filter>& prog, const seccomp_data& d) {
  auto got = Evaluate(prog, d);
  EXPECT_TRUE(got) << got.error().what;
  return got ? *got : 0;
}

TEST(Guards, DefaultPolicy) {
  const policy::Policy p = MakePolicy({});
  auto scoped = Compile(LowerKernel(p, test::Scoped(kSup)));
  auto unscoped = Compile(LowerKernel(p, Unscoped(kSup)));
  ASSERT_TRUE(scoped && unscoped);
  for (const Case& c : Cases()) {
    EXPECT_EQ(Decide(*scoped, c.in), c.scoped) << c.name << " (scoped)";
    EXPECT_EQ(Decide(*unscoped, c.in), c.unscoped) << c.name << " (unscoped)";
  }
}

TEST(Guards, RulesCannotLiftThem) {
  const policy::Policy p = MakePolicy({"sys/allow+kill,tgkill,pidfd_open,setpriority,mount,chroot,clone3,ioctl",
                                       "allowlist/syscall+.*"});
  auto prog = Compile(LowerKernel(p, test::Scoped(kSup)));
  ASSERT_TRUE(prog);
  EXPECT_EQ(Decide(*prog, Sys(__NR_kill, kSup, SIGKILL)), kEperm);
  EXPECT_EQ(Decide(*prog, Sys(__NR_tgkill, kSup, kSup, SIGKILL)), kEperm);
  EXPECT_EQ(Decide(*prog, Sys(__NR_pidfd_open, kSup)), kEperm);
  EXPECT_EQ(Decide(*prog, Sys(__NR_setpriority, PRIO_PROCESS, kSup)), kEperm);
  EXPECT_EQ(Decide(*prog, Sys(__NR_setpriority, PRIO_PROCESS, kOther)), kNotify);
  EXPECT_EQ(Decide(*prog, Sys(__NR_mount)), kEperm);
  EXPECT_EQ(Decide(*prog, Sys(__NR_chroot)), kEperm);
  EXPECT_EQ(Decide(*prog, Sys(__NR_clone3)), RetErrno(ENOSYS));
  EXPECT_EQ(Decide(*prog, Sys(__NR_ioctl, 0, kernel::uapi::kTiocsti)), kEperm);
  EXPECT_EQ(Decide(*prog, Sys(__NR_kill, kOther, SIGKILL)), kAllow);
}

TEST(Guards, OptionsLiftTheRestrictions) {
  const policy::Policy p = MakePolicy({"core/restrict/terminal:false", "core/restrict/namespaces:false",
                                       "core/restrict/mounts:false", "core/restrict/outside_signals:false",
                                       "core/restrict/device_nodes:false"});
  auto prog = Compile(LowerKernel(p, test::Scoped(kSup)));
  ASSERT_TRUE(prog);
  for (const seccomp_data& d :
       {Sys(__NR_ioctl, 0, kernel::uapi::kTiocsti), Sys(__NR_unshare, CLONE_NEWUSER), Sys(__NR_clone, CLONE_NEWNS),
        Sys(__NR_setns), Sys(__NR_chroot), Sys(__NR_mount), Sys(__NR_fsopen),
        Sys(__NR_mknod, 0, S_IFCHR | 0666, makedev(1, 3)), Sys(__NR_mknodat, AT_FDCWD, 0, S_IFBLK, makedev(8, 0))})
    EXPECT_EQ(Decide(*prog, d), kAllow) << d.nr;
  // The supervisor stays out of reach; clone3's flags stay out of sight.
  EXPECT_EQ(Decide(*prog, Sys(__NR_kill, kSup, SIGKILL)), kEperm);
  EXPECT_EQ(Decide(*prog, Sys(__NR_clone3)), RetErrno(ENOSYS));
}

// Where the supervisor performs path calls with a cached umask and root,
// a clone that makes a process sharing them (CLONE_FS without
// CLONE_THREAD) goes to user space; forks, threads and vforks do not.
// clone3, whose flags are in memory, is ENOSYS whatever the options (glibc
// falls back to clone).
TEST(Guards, AProcessSharingTheCallersUmaskAndRootIsSeen) {
  const uint64_t kThread = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
  for (bool ns : {false, true}) {
    std::vector<std::string> lines = {"core/sandbox/write:deny"};
    if (ns) lines.push_back("core/restrict/namespaces:false");
    KernelPolicy k = LowerKernel(MakePolicy(lines), test::Scoped(kSup));
    auto prog = Compile(k);
    ASSERT_TRUE(prog);
    EXPECT_EQ(Decide(*prog, Sys(__NR_clone, SIGCHLD)), kAllow);
    EXPECT_EQ(Decide(*prog, Sys(__NR_clone, CLONE_VM | CLONE_VFORK | SIGCHLD)), kAllow);
    EXPECT_EQ(Decide(*prog, Sys(__NR_clone, kThread)), kAllow);
    EXPECT_EQ(Decide(*prog, Sys(__NR_clone, CLONE_FS | SIGCHLD)), kNotify);
    EXPECT_EQ(Decide(*prog, Sys(__NR_clone, CLONE_FS | CLONE_VM | CLONE_PARENT)), kEperm);  // never (below)
    EXPECT_EQ(Decide(*prog, Sys(__NR_clone, CLONE_NEWNS | CLONE_FS)), ns ? kNotify : kEperm);
    EXPECT_EQ(Decide(*prog, Sys(__NR_clone3, 0x1000, 88)), RetErrno(ENOSYS));
    for (const auto& d : {Sys(__NR_clone, CLONE_FS | SIGCHLD), Sys(__NR_clone, kThread), Sys(__NR_clone3)})
      EXPECT_EQ(Decide(*prog, d), ReferenceEvaluate(k, d.arch, d.nr, reinterpret_cast<const uint64_t*>(d.args)));
  }
  // Nothing performed, nothing cached: not seen.
  auto off = Compile(LowerKernel(MakePolicy({"core/restrict/namespaces:false"}), test::Scoped(kSup)));
  ASSERT_TRUE(off);
  EXPECT_EQ(Decide(*off, Sys(__NR_clone, CLONE_FS | SIGCHLD)), kAllow);
  EXPECT_EQ(Decide(*off, Sys(__NR_clone3)), RetErrno(ENOSYS));
}

// A rule that decides in the kernel keeps deciding there; where the call
// acts on the caller the chain is unchanged.
TEST(Guards, NotifyKeepsKernelDecisions) {
  const policy::Policy p = MakePolicy({"sys/fault+setpriority:arg2=5:error=EACCES"});
  auto prog = Compile(LowerKernel(p, test::Scoped(kSup)));
  ASSERT_TRUE(prog);
  EXPECT_EQ(Decide(*prog, Sys(__NR_setpriority, PRIO_PROCESS, 0, 5)), RetErrno(EACCES));
  EXPECT_EQ(Decide(*prog, Sys(__NR_setpriority, PRIO_PROCESS, 0, 3)), kAllow);
  EXPECT_EQ(Decide(*prog, Sys(__NR_setpriority, PRIO_PROCESS, kOther, 5)), RetErrno(EACCES));
  EXPECT_EQ(Decide(*prog, Sys(__NR_setpriority, PRIO_PROCESS, kOther, 3)), kNotify);
}

// The compiled program agrees with the KernelPolicy it came from.
TEST(Guards, CompiledMatchesReference) {
  const policy::Policy p = MakePolicy({"sys/fault+setpriority:arg2=5:error=EACCES", "sys/log+kill"});
  for (const LowerOptions& o : {test::Scoped(kSup), Unscoped(kSup)}) {
    KernelPolicy k = LowerKernel(p, o);
    auto prog = Compile(k);
    ASSERT_TRUE(prog);
    for (const Case& c : Cases())
      EXPECT_EQ(Decide(*prog, c.in), ReferenceEvaluate(k, c.in.arch, c.in.nr, reinterpret_cast<const uint64_t*>(c.in.args)))
          << c.name;
  }
}

// The refusals, in the kernel: each in a forked child under the program.
TEST(Guards, InTheKernel) {
  auto prog = Compile(LowerKernel(MakePolicy({}), test::Scoped(getpid())));
  ASSERT_TRUE(prog);
  struct K {
    const char* name;
    long nr;
    long a0, a1;
    int want;
  };
  const K kCalls[] = {
      {"unshare(CLONE_NEWUSER)", __NR_unshare, CLONE_NEWUSER, 0, EPERM},
      {"clone3", __NR_clone3, 0, 0, ENOSYS},
      {"chroot", __NR_chroot, 0, 0, EPERM},
      {"clone(CLONE_PARENT)", __NR_clone, CLONE_PARENT | SIGCHLD, 0, EPERM},
      {"prctl(PR_SET_CHILD_SUBREAPER, 1)", __NR_prctl, PR_SET_CHILD_SUBREAPER, 1, EPERM},
      {"ioctl TIOCSTI", __NR_ioctl, 0, kernel::uapi::kTiocsti, EPERM},
      {"kill(supervisor, 0)", __NR_kill, getpid(), 0, EPERM},
      {"pidfd_open(supervisor)", __NR_pidfd_open, getpid(), 0, EPERM},
      {"mknod of a block device (else EFAULT)", __NR_mknod, 0, S_IFBLK | 0600, EPERM},
      {"mknod of a FIFO: the kernel's EFAULT", __NR_mknod, 0, S_IFIFO | 0600, EFAULT},
  };
  for (const K& k : kCalls) {
    int pipefd[2];
    ASSERT_EQ(pipe(pipefd), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(pipefd[0]);
      if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(100);
      sock_fprog fp{static_cast<unsigned short>(prog->size()), prog->data()};
      if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) != 0) _exit(101);
      errno = 0;
      long r = syscall(k.nr, k.a0, k.a1, 0, 0);
      int e = r == -1 ? errno : 0;
      (void)!write(pipefd[1], &e, sizeof e);
      _exit(0);
    }
    close(pipefd[1]);
    int e = -1;
    EXPECT_EQ(read(pipefd[0], &e, sizeof e), static_cast<ssize_t>(sizeof e)) << k.name;
    close(pipefd[0]);
    waitpid(pid, nullptr, 0);
    EXPECT_EQ(e, k.want) << k.name;
  }
}

}  // namespace
}  // namespace syd::bpf
