// The system calls sydbox checks, and where their path arguments are
// (x86_64). Pure data shared by the BPF compiler (what to notify) and the
// supervisor (how to read and resolve the arguments).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "policy/policy.h"

namespace syd::policy {

// How a path's last component is treated.
enum class Follow : uint8_t {
  kYes,             // follow a trailing symlink
  kNo,              // never (lstat, unlink, rename, ...)
  kUnlessAtFlag,    // follow unless AT_SYMLINK_NOFOLLOW in the flags argument
  kIfAtFlag,        // follow only with AT_SYMLINK_FOLLOW (linkat)
  kOpenFlags,       // follow unless O_NOFOLLOW, or O_CREAT|O_EXCL
  kNever,           // the call acts on the name itself (mkdir, unlink, rename...):
                    // not even a trailing slash follows a final symlink
};

enum class Missing : uint8_t {
  kMustExist,   // ENOENT if the last component is missing
  kMayCreate,   // the call creates it: a missing last component is fine
  kOpenFlags,   // may be missing with O_CREAT
};

struct PathArg {
  int8_t dirfd = -1;   // argument holding the dirfd; -1 = AT_FDCWD
  int8_t path = -1;    // argument holding the path; -1 = the dirfd names the file
  Follow follow = Follow::kYes;
  Missing missing = Missing::kMustExist;
};

// How the category of a call is chosen.
enum class CategoryRule : uint8_t {
  kFixed,       // always `category`
  kOpenFlags,   // write if the flags ask for writing, else read
  kAccessMode,  // write with W_OK, read with R_OK/X_OK, stat with F_OK only
};

// What kind of call it is, beyond its path arguments: the BPF lowering
// and the supervisor's dispatch table (supervisor/dispatch.cc) both read it.
enum class CallKind : uint8_t {
  kPath,      // path arguments only
  kOpen,      // open/openat/creat: flags and mode in registers
  kOpenHow,   // openat2: flags in struct open_how, in memory
  kExec,      // execve/execveat
  kDirList,   // getdents64: entries hidden by stat sandboxing
  kNet,       // bind/connect/sendto/sendmsg/sendmmsg: an address, not a path
  kAttrIoctl, // ioctl: only the requests of AttrIoctls(), on the descriptor's path
};

struct SyscallInfo {
  int nr = -1;
  std::string_view name;
  Category category = Category::kRead;
  CategoryRule rule = CategoryRule::kFixed;
  CallKind kind = CallKind::kPath;
  int8_t flags_arg = -1;   // open flags / access mode / AT_* flags argument
  int8_t at_flags_arg = -1;  // AT_SYMLINK_NOFOLLOW / AT_EMPTY_PATH argument
  uint8_t npaths = 1;
  PathArg paths[2];
  bool magic = false;      // a stat-like call that answers /dev/sydbox queries
};

// Every checked call, ordered by number.
std::span<const SyscallInfo> CheckedSyscalls();
const SyscallInfo* FindSyscall(int nr);
const SyscallInfo* FindSyscall(std::string_view name);

// Which categories a call can be checked for (for the BPF compiler).
bool CanBeCategory(const SyscallInfo& info, Category c);

// Calls that escape any syscall-argument sandbox (SPEC §2.9): always denied.
std::span<const int> AlwaysDeniedSyscalls();

// Calls that change what the supervisor caches per process for emulated
// opens (umask, ids, root, mount namespace). They are sent to user space
// whenever a category the supervisor performs path calls for is on (read,
// write, stat), so the cache is never trusted after one.
std::span<const int> CredentialSyscalls();
// prctl(2) options (its first argument) that change the capabilities the
// next exec leaves: the bounding set, securebits (SECBIT_NOROOT), ambient
// capabilities. Sent to user space with CredentialSyscalls().
std::span<const uint64_t> CredentialPrctls();
// The calls that can make a process sharing the caller's umask and root
// (clone with CLONE_FS and without CLONE_THREAD; clone3 is always ENOSYS).
// Sent to user space with CredentialSyscalls(), by their flags.
std::span<const int> FsSharingSyscalls();

// The ioctl requests that change a file's attributes (inode flags such as
// append-only and immutable, and the fsxattr flags): write-category calls
// on the descriptor's path. Every other request stays in the kernel.
std::span<const uint32_t> AttrIoctls();
// ioctl requests that change a whole file system, or make a file immutable
// or encrypted for good, through any descriptor on it, even one opened
// read-only: refused in the kernel whatever the configuration
// (bpf/guards.cc). Freezing, relabelling, resizing and shutting down the
// file system, swapping ext4's boot inode, fs-verity, fscrypt policies.
std::span<const uint32_t> FileSystemAdminIoctls();

// The open(2) flag bits that mean write intent.
uint64_t OpenWriteFlags();

// Category of an open with these flags, and of an access() mode.
Category CategoryForOpenFlags(uint64_t flags);
Category CategoryForAccessMode(uint64_t mode);

}  // namespace syd::policy
