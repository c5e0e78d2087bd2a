#include "policy/syscalls.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <linux/fscrypt.h>
#include <linux/fsverity.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>

namespace syd::policy {
namespace {

#ifndef O_TMPFILE
#define O_TMPFILE (020000000 | O_DIRECTORY)
#endif
constexpr uint64_t kTmpfileBit = 020000000;  // __O_TMPFILE without O_DIRECTORY

// Newer than the 6.1 headers of Debian 12; numbers from the x86_64 table.
constexpr int kNrFchmodat2 = 452;
constexpr int kNrSetxattrat = 463;
constexpr int kNrGetxattrat = 464;
constexpr int kNrListxattrat = 465;
constexpr int kNrRemovexattrat = 466;
constexpr int kNrFileGetattr = 468;
constexpr int kNrFileSetattr = 469;

using C = Category;
using F = Follow;
using M = Missing;
using H = CallKind;
using R = CategoryRule;

constexpr PathArg P(int8_t dirfd, int8_t path, F f = F::kYes, M m = M::kMustExist) {
  return PathArg{dirfd, path, f, m};
}
constexpr PathArg Fd(int8_t fd) { return PathArg{fd, -1, F::kYes, M::kMustExist}; }

SyscallInfo S(int nr, std::string_view name, C cat, PathArg p) {
  SyscallInfo s;
  s.nr = nr;
  s.name = name;
  s.category = cat;
  s.paths[0] = p;
  return s;
}
SyscallInfo At(int nr, std::string_view name, C cat, PathArg p, int8_t at_flags) {
  SyscallInfo s = S(nr, name, cat, p);
  s.at_flags_arg = at_flags;
  return s;
}
SyscallInfo Two(int nr, std::string_view name, PathArg a, PathArg b, int8_t at_flags = -1) {
  SyscallInfo s = S(nr, name, C::kWrite, a);
  s.npaths = 2;
  s.paths[0] = a;
  s.paths[1] = b;
  s.at_flags_arg = at_flags;
  return s;
}
SyscallInfo Open(int nr, std::string_view name, PathArg p, int8_t flags_arg, H h = H::kOpen) {
  SyscallInfo s = S(nr, name, C::kRead, p);
  s.rule = R::kOpenFlags;
  s.kind = h;
  s.flags_arg = flags_arg;
  return s;
}
SyscallInfo Access(int nr, std::string_view name, PathArg p, int8_t mode_arg, int8_t at_flags) {
  SyscallInfo s = S(nr, name, C::kRead, p);
  s.rule = R::kAccessMode;
  s.flags_arg = mode_arg;
  s.at_flags_arg = at_flags;
  s.magic = true;
  return s;
}
SyscallInfo Magic(SyscallInfo s) {
  s.magic = true;
  return s;
}
SyscallInfo Net(int nr, std::string_view name, C cat) {
  SyscallInfo s;
  s.nr = nr;
  s.name = name;
  s.category = cat;
  s.kind = H::kNet;
  s.npaths = 0;
  return s;
}
SyscallInfo With(SyscallInfo s, H h) {
  s.kind = h;
  return s;
}

std::vector<SyscallInfo> BuildTable() {
  const F no = F::kNo, at = F::kUnlessAtFlag, nv = F::kNever;
  const M mk = M::kMayCreate;
  std::vector<SyscallInfo> t = {
      // read
      Open(__NR_open, "open", P(-1, 0, F::kOpenFlags, M::kOpenFlags), 1),
      Open(__NR_openat, "openat", P(0, 1, F::kOpenFlags, M::kOpenFlags), 2),
      Open(__NR_openat2, "openat2", P(0, 1, F::kOpenFlags, M::kOpenFlags), -1, H::kOpenHow),
      With(S(__NR_creat, "creat", C::kWrite, P(-1, 0, F::kOpenFlags, mk)), H::kOpen),
      Access(__NR_access, "access", P(-1, 0), 1, -1),
      Access(__NR_faccessat, "faccessat", P(0, 1), 2, -1),
      Access(__NR_faccessat2, "faccessat2", P(0, 1, at), 2, 3),
      S(__NR_chdir, "chdir", C::kRead, P(-1, 0)),
      S(__NR_fchdir, "fchdir", C::kRead, Fd(0)),
      S(__NR_getxattr, "getxattr", C::kRead, P(-1, 0)),
      S(__NR_lgetxattr, "lgetxattr", C::kRead, P(-1, 0, no)),
      S(__NR_fgetxattr, "fgetxattr", C::kRead, Fd(0)),
      S(__NR_listxattr, "listxattr", C::kRead, P(-1, 0)),
      S(__NR_llistxattr, "llistxattr", C::kRead, P(-1, 0, no)),
      S(__NR_flistxattr, "flistxattr", C::kRead, Fd(0)),
      At(kNrGetxattrat, "getxattrat", C::kRead, P(0, 1, at), 2),
      At(kNrListxattrat, "listxattrat", C::kRead, P(0, 1, at), 2),
      // write
      S(__NR_mkdir, "mkdir", C::kWrite, P(-1, 0, nv, mk)),
      S(__NR_mkdirat, "mkdirat", C::kWrite, P(0, 1, nv, mk)),
      S(__NR_mknod, "mknod", C::kWrite, P(-1, 0, nv, mk)),
      S(__NR_mknodat, "mknodat", C::kWrite, P(0, 1, nv, mk)),
      S(__NR_rmdir, "rmdir", C::kWrite, P(-1, 0, nv)),
      S(__NR_unlink, "unlink", C::kWrite, P(-1, 0, nv)),
      S(__NR_unlinkat, "unlinkat", C::kWrite, P(0, 1, nv)),
      Two(__NR_rename, "rename", P(-1, 0, nv), P(-1, 1, nv, mk)),
      Two(__NR_renameat, "renameat", P(0, 1, nv), P(2, 3, nv, mk)),
      Two(__NR_renameat2, "renameat2", P(0, 1, nv), P(2, 3, nv, mk)),
      Two(__NR_link, "link", P(-1, 0, no), P(-1, 1, nv, mk)),
      Two(__NR_linkat, "linkat", P(0, 1, F::kIfAtFlag), P(2, 3, nv, mk), 4),
      S(__NR_symlink, "symlink", C::kWrite, P(-1, 1, nv, mk)),
      S(__NR_symlinkat, "symlinkat", C::kWrite, P(1, 2, nv, mk)),
      S(__NR_truncate, "truncate", C::kWrite, P(-1, 0)),
      S(__NR_chmod, "chmod", C::kWrite, P(-1, 0)),
      S(__NR_fchmod, "fchmod", C::kWrite, Fd(0)),
      S(__NR_fchmodat, "fchmodat", C::kWrite, P(0, 1)),
      At(kNrFchmodat2, "fchmodat2", C::kWrite, P(0, 1, at), 3),
      S(__NR_chown, "chown", C::kWrite, P(-1, 0)),
      S(__NR_fchown, "fchown", C::kWrite, Fd(0)),
      S(__NR_lchown, "lchown", C::kWrite, P(-1, 0, no)),
      At(__NR_fchownat, "fchownat", C::kWrite, P(0, 1, at), 4),
      S(__NR_utime, "utime", C::kWrite, P(-1, 0)),
      S(__NR_utimes, "utimes", C::kWrite, P(-1, 0)),
      At(__NR_utimensat, "utimensat", C::kWrite, P(0, 1, at), 3),
      S(__NR_futimesat, "futimesat", C::kWrite, P(0, 1)),
      S(__NR_setxattr, "setxattr", C::kWrite, P(-1, 0)),
      S(__NR_lsetxattr, "lsetxattr", C::kWrite, P(-1, 0, no)),
      S(__NR_fsetxattr, "fsetxattr", C::kWrite, Fd(0)),
      S(__NR_removexattr, "removexattr", C::kWrite, P(-1, 0)),
      S(__NR_lremovexattr, "lremovexattr", C::kWrite, P(-1, 0, no)),
      S(__NR_fremovexattr, "fremovexattr", C::kWrite, Fd(0)),
      At(kNrSetxattrat, "setxattrat", C::kWrite, P(0, 1, at), 2),
      At(kNrRemovexattrat, "removexattrat", C::kWrite, P(0, 1, at), 2),
      At(kNrFileSetattr, "file_setattr", C::kWrite, P(0, 1, at), 4),
      // exec
      With(S(__NR_execve, "execve", C::kExec, P(-1, 0)), H::kExec),
      With(At(__NR_execveat, "execveat", C::kExec, P(0, 1, at), 4), H::kExec),
      // stat
      Magic(S(__NR_stat, "stat", C::kStat, P(-1, 0))),
      Magic(S(__NR_lstat, "lstat", C::kStat, P(-1, 0, no))),
      Magic(At(__NR_newfstatat, "newfstatat", C::kStat, P(0, 1, at), 3)),
      Magic(At(__NR_statx, "statx", C::kStat, P(0, 1, at), 2)),
      S(__NR_readlink, "readlink", C::kStat, P(-1, 0, no)),
      S(__NR_readlinkat, "readlinkat", C::kStat, P(0, 1, no)),
      At(kNrFileGetattr, "file_getattr", C::kStat, P(0, 1, at), 4),
      With(S(__NR_getdents64, "getdents64", C::kStat, Fd(0)), H::kDirList),
      S(__NR_statfs, "statfs", C::kStat, P(-1, 0)),
      // write, on a descriptor: chattr's requests (AttrIoctls)
      With(S(__NR_ioctl, "ioctl", C::kWrite, Fd(0)), H::kAttrIoctl),
      // network: the address is the argument, not a path
      Net(__NR_bind, "bind", C::kNetBind),
      Net(__NR_connect, "connect", C::kNetConnect),
      Net(__NR_sendto, "sendto", C::kNetConnect),
      Net(__NR_sendmsg, "sendmsg", C::kNetConnect),
      Net(__NR_sendmmsg, "sendmmsg", C::kNetConnect),
  };
  std::sort(t.begin(), t.end(), [](const SyscallInfo& a, const SyscallInfo& b) { return a.nr < b.nr; });
  return t;
}

const std::vector<SyscallInfo>& Table() {
  static const std::vector<SyscallInfo> kTable = BuildTable();
  return kTable;
}

}  // namespace

std::span<const SyscallInfo> CheckedSyscalls() { return Table(); }

const SyscallInfo* FindSyscall(int nr) {
  const auto& t = Table();
  auto it = std::lower_bound(t.begin(), t.end(), nr,
                             [](const SyscallInfo& s, int n) { return s.nr < n; });
  return it != t.end() && it->nr == nr ? &*it : nullptr;
}

const SyscallInfo* FindSyscall(std::string_view name) {
  for (const SyscallInfo& s : Table())
    if (s.name == name) return &s;
  return nullptr;
}

bool CanBeCategory(const SyscallInfo& info, Category c) {
  switch (info.rule) {
    case CategoryRule::kFixed: return info.category == c;
    case CategoryRule::kOpenFlags: return c == Category::kRead || c == Category::kWrite;
    case CategoryRule::kAccessMode:
      return c == Category::kRead || c == Category::kWrite || c == Category::kStat;
  }
  return false;
}

std::span<const int> AlwaysDeniedSyscalls() {
  // fanotify: root's listener gets descriptors the kernel opens itself,
  // with the listener's flags (O_RDWR for a file only read), of files any
  // process opens, inside the sandbox or out: open_by_handle_at again.
  // acct, swapon/swapoff, quotactl: root names a file the kernel opens and
  // writes itself, no path checked. Modules and port I/O: root's way into
  // the kernel and the hardware, as kexec is.
  static const std::array<int, 24> kDenied = {
      __NR_io_uring_setup, __NR_io_uring_enter,   __NR_io_uring_register,
      __NR_open_by_handle_at, __NR_ptrace,        __NR_process_vm_writev,
      __NR_kexec_load,     __NR_kexec_file_load,  __NR_bpf,
      __NR_userfaultfd,    __NR_perf_event_open,  __NR_fanotify_init,
      __NR_fanotify_mark,  __NR_acct,             __NR_swapon,
      __NR_swapoff,        __NR_quotactl,         __NR_quotactl_fd,
      __NR_init_module,    __NR_finit_module,     __NR_delete_module,
      __NR_iopl,           __NR_ioperm,           __NR_create_module,
  };
  return kDenied;
}

std::span<const int> CredentialSyscalls() {
  static const std::array<int, 15> kCalls = {
      __NR_umask,    __NR_setuid,   __NR_setgid,    __NR_setreuid, __NR_setregid,
      __NR_setresuid, __NR_setresgid, __NR_setfsuid, __NR_setfsgid, __NR_capset,
      __NR_chroot,   __NR_pivot_root, __NR_setns,   __NR_unshare,  __NR_setgroups,
  };
  return kCalls;
}

std::span<const uint64_t> CredentialPrctls() {
  static const std::array<uint64_t, 3> kOptions = {PR_CAPBSET_DROP, PR_SET_SECUREBITS, PR_CAP_AMBIENT};
  return kOptions;
}

std::span<const int> FsSharingSyscalls() {
  static const std::array<int, 1> kCalls = {__NR_clone};
  return kCalls;
}

namespace {
// ext4's own requests (fs/ext4/ext4.h, uapi/linux/ext4.h: newer than the
// installed headers), sized by the structures they carry.
struct Ext4NewGroupInput {
  uint32_t group;
  uint64_t block_bitmap, inode_bitmap, inode_table;
  uint32_t blocks_count;
  uint16_t reserved_blocks, unused;
};
struct Ext4Fsuuid {
  uint32_t fsu_len, fsu_flags;
};
static_assert(sizeof(Ext4NewGroupInput) == 40 && sizeof(Ext4Fsuuid) == 8);
constexpr uint32_t kExt4SetVersion = _IOW('f', 4, long);
constexpr uint32_t kExt4SetVersion32 = _IOW('f', 4, int);
constexpr uint32_t kExt4GroupExtend = _IOW('f', 7, unsigned long);
constexpr uint32_t kExt4GroupAdd = _IOW('f', 8, Ext4NewGroupInput);
constexpr uint32_t kExt4ResizeFs = _IOW('f', 16, uint64_t);
constexpr uint32_t kExt4SwapBoot = _IO('f', 17);
constexpr uint32_t kExt4Checkpoint = _IOW('f', 43, uint32_t);
constexpr uint32_t kExt4SetFsuuid = _IOW('f', 44, Ext4Fsuuid);
constexpr uint32_t kExt4Shutdown = _IOR('X', 125, uint32_t);
}  // namespace

std::span<const uint32_t> AttrIoctls() {
  // FS_IOC32_SETFLAGS is the same request with an int-sized argument (what
  // 32-bit programs send): no file system answers it from a 64-bit caller
  // today, but if one ever does it must be seen too. The inode generation
  // (FS_IOC_SETVERSION, ext4's own request for it) is an int too.
  static const std::array<uint32_t, 7> kRequests = {
      static_cast<uint32_t>(FS_IOC_SETFLAGS),   static_cast<uint32_t>(FS_IOC32_SETFLAGS),
      static_cast<uint32_t>(FS_IOC_FSSETXATTR), static_cast<uint32_t>(FS_IOC_SETVERSION),
      static_cast<uint32_t>(FS_IOC32_SETVERSION), kExt4SetVersion, kExt4SetVersion32,
  };
  return kRequests;
}

std::span<const uint32_t> FileSystemAdminIoctls() {
  static const std::array<uint32_t, 12> kRequests = {
      static_cast<uint32_t>(FIFREEZE),
      static_cast<uint32_t>(FITHAW),
      static_cast<uint32_t>(FS_IOC_SETFSLABEL),
      static_cast<uint32_t>(FS_IOC_ENABLE_VERITY),
      static_cast<uint32_t>(FS_IOC_SET_ENCRYPTION_POLICY),
      kExt4GroupExtend,
      kExt4GroupAdd,
      kExt4ResizeFs,
      kExt4SwapBoot,
      kExt4Checkpoint,
      kExt4SetFsuuid,
      kExt4Shutdown,  // also XFS_IOC_GOINGDOWN and F2FS_IOC_SHUTDOWN: the same number
  };
  return kRequests;
}

uint64_t OpenWriteFlags() {
  return O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | kTmpfileBit;
}

Category CategoryForOpenFlags(uint64_t flags) {
  // open(2) with O_PATH ignores every flag but O_DIRECTORY|O_NOFOLLOW|
  // O_CLOEXEC: no write intent, whatever else is set.
  if (flags & O_PATH) return Category::kRead;
  return (flags & OpenWriteFlags()) ? Category::kWrite : Category::kRead;
}

Category CategoryForAccessMode(uint64_t mode) {
  if (mode & W_OK) return Category::kWrite;
  if (mode & (R_OK | X_OK)) return Category::kRead;
  return Category::kStat;
}

}  // namespace syd::policy
