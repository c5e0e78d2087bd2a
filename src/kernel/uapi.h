// Kernel ABI constants newer than the Debian 12 (Linux 6.1) headers, in one
// place. Values are from the kernel's x86_64 tables and uapi headers.
#pragma once

#include <sys/syscall.h>

#include <cstddef>
#include <cstdint>

namespace syd::kernel::uapi {

// System calls added after 6.1 (x86_64 numbers).
inline constexpr int kNrFchmodat2 = 452;
inline constexpr int kNrSetxattrat = 463;
inline constexpr int kNrGetxattrat = 464;
inline constexpr int kNrListxattrat = 465;
inline constexpr int kNrRemovexattrat = 466;
inline constexpr int kNrOpenTreeAttr = 467;
inline constexpr int kNrFileGetattr = 468;
inline constexpr int kNrFileSetattr = 469;

// Landlock (linux/landlock.h): the ruleset attribute grew `handled_access_net`
// (ABI 4) and `scoped` (ABI 6).
struct LandlockRulesetAttr {
  uint64_t handled_access_fs = 0;
  uint64_t handled_access_net = 0;
  uint64_t scoped = 0;
};
inline constexpr uint32_t kLandlockCreateRulesetVersion = 1u << 0;
inline constexpr uint64_t kLandlockScopeAbstractUnixSocket = 1ull << 0;
inline constexpr uint64_t kLandlockScopeSignal = 1ull << 1;
inline constexpr uint64_t kLandlockAccessFsMakeBlock = 1ull << 11;
inline constexpr int kLandlockRulePathBeneath = 1;
struct __attribute__((packed)) LandlockPathBeneathAttr {
  uint64_t allowed_access;
  int32_t parent_fd;
};

// pidfd_open(2) flag for a thread's pidfd (6.9).
inline constexpr unsigned kPidfdThread = 0x80;  // O_EXCL

// Terminal ioctls that inject input or redirect the console.
inline constexpr uint32_t kTiocsti = 0x5412;
inline constexpr uint32_t kTioclinux = 0x541C;
inline constexpr uint32_t kTioccons = 0x541D;
inline constexpr uint32_t kTiocvhangup = 0x5437;

// mount_setattr(2) (5.12).
struct MountAttr {
  uint64_t attr_set = 0;
  uint64_t attr_clr = 0;
  uint64_t propagation = 0;
  uint64_t userns_fd = 0;
};
inline constexpr uint64_t kMountAttrRdonly = 0x1;
inline constexpr unsigned kAtRecursive = 0x8000;

// xattr calls on (dirfd, path) (6.13): struct xattr_args, read with
// copy_struct_from_user (a larger struct is fine when its tail is zero).
struct XattrArgs {
  uint64_t value = 0;
  uint32_t size = 0;
  uint32_t flags = 0;
};
inline constexpr size_t kXattrArgsSizeVer0 = 16;
// file_getattr/file_setattr (6.17): struct file_attr, the same way.
struct FileAttr {
  uint64_t fa_xflags = 0;
  uint32_t fa_extsize = 0;
  uint32_t fa_nextents = 0;
  uint32_t fa_projid = 0;
  uint32_t fa_cowextsize = 0;
};
inline constexpr size_t kFileAttrSizeVer0 = 24;
// Limits of the xattr calls (linux/limits.h): a name of at most 255 bytes,
// a value and a list of at most 64 KiB.
inline constexpr size_t kXattrNameMax = 255;
inline constexpr size_t kXattrSizeMax = 65536;
inline constexpr size_t kXattrListMax = 65536;

// prctl(PR_SET_MDWE) (6.3): memory-deny-write-execute, inherited across
// fork and exec and never cleared: no mapping that is writable and
// executable, and none becomes executable that was not.
inline constexpr int kPrSetMdwe = 65;
inline constexpr unsigned long kPrMdweRefuseExecGain = 1;
// LANDLOCK_ACCESS_FS_REFER (ABI 2): every ruleset denies moving or linking
// a file to another directory unless a rule grants it.
inline constexpr uint64_t kLandlockAccessFsRefer = 1ull << 13;

}  // namespace syd::kernel::uapi
