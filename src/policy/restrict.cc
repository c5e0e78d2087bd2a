#include "policy/restrict.h"

#include <linux/fs.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include <array>

namespace syd::policy {
namespace {

// 1: administration of the machine and facilities a build never needs
// whose kernel code widens the attack surface: keyrings, accounting,
// swap, the kernel log, quotas, modules, clocks, host names, port I/O,
// the LDT, and calls that are gone (unimplemented or deprecated).
constexpr std::array kLevel1 = {
    __NR_acct,          __NR_add_key,        __NR_keyctl,         __NR_request_key,   __NR_syslog,
    __NR_swapon,        __NR_swapoff,        __NR_quotactl,       __NR_quotactl_fd,   __NR_reboot,
    __NR_init_module,   __NR_finit_module,   __NR_delete_module,  __NR_create_module, __NR_get_kernel_syms,
    __NR_query_module,  __NR_adjtimex,       __NR_clock_adjtime,  __NR_clock_settime, __NR_settimeofday,
    __NR_sethostname,   __NR_setdomainname,  __NR_iopl,           __NR_ioperm,        __NR_modify_ldt,
    __NR_lookup_dcookie, __NR_nfsservctl,    __NR_uselib,         __NR_ustat,         __NR_sysfs,
    __NR__sysctl,       __NR_afs_syscall,    __NR_tuxcall,        __NR_security,      __NR_vserver,
    __NR_putpmsg,       __NR_getpmsg,
};
// 2: reaching into other processes' memory and files, file handles,
// fanotify, POSIX and System V message queues, secret memory, vmsplice.
constexpr std::array kLevel2 = {
    __NR_kcmp,           __NR_process_madvise, __NR_process_mrelease, __NR_migrate_pages, __NR_move_pages,
    __NR_name_to_handle_at, __NR_fanotify_init, __NR_fanotify_mark,   __NR_remap_file_pages,
    __NR_mq_open,        __NR_mq_unlink,       __NR_mq_timedsend,     __NR_mq_timedreceive, __NR_mq_notify,
    __NR_mq_getsetattr,  __NR_msgget,          __NR_msgsnd,           __NR_msgrcv,        __NR_msgctl,
    __NR_memfd_secret,   __NR_vmsplice,
};
// 3: facilities some programs use and a build can do without:
// asynchronous I/O (io_*), memory locking, NUMA policy, real-time
// scheduling, System V semaphores and shared memory, protection keys.
constexpr std::array kLevel3 = {
    __NR_io_setup,     __NR_io_destroy,   __NR_io_submit,          __NR_io_cancel,        __NR_io_getevents,
    __NR_io_pgetevents, __NR_mlock,       __NR_mlock2,             __NR_mlockall,         __NR_munlock,
    __NR_munlockall,   __NR_mbind,        __NR_set_mempolicy,      __NR_set_mempolicy_home_node,
    __NR_sched_setscheduler, __NR_sched_setparam, __NR_sched_setattr,
    __NR_semget,       __NR_semop,        __NR_semtimedop,         __NR_semctl,           __NR_shmget,
    __NR_shmat,        __NR_shmdt,        __NR_shmctl,             __NR_pkey_alloc,       __NR_pkey_free,
    __NR_pkey_mprotect,
};

// TCGETS2 and TCSETS2 need struct termios2 (asm/termbits.h, which
// conflicts with termios.h): their values on x86_64.
constexpr uint32_t kTcgets2 = 0x802c542a;

// What builds and ordinary command-line programs ask of descriptors:
// terminal attributes and size (isatty, line editing, progress bars),
// the foreground group (shells), pseudo-terminals (openpty, test
// harnesses), pending bytes, blocking and close-on-exec flags, file size,
// reflink copies (cp), inode flags (read), interface index and name.
constexpr uint32_t kIoctls[] = {
    TCGETS,     kTcgets2,  TCSETS,      TCSETSW,   TCSETSF,  TIOCGWINSZ,   TIOCGPGRP,   TIOCGSID,
    TIOCGPTN,   TIOCSPTLCK, TIOCGPTPEER, FIONREAD, FIONBIO,  FIOCLEX,      FIONCLEX,    FIOQSIZE,
    FICLONE,    FICLONERANGE, static_cast<uint32_t>(FS_IOC_GETFLAGS), TIOCOUTQ, SIOCGIFINDEX, SIOCGIFNAME,
};

}  // namespace

std::span<const int> GeneralRestrictedAt(int level) {
  switch (level) {
    case 1: return kLevel1;
    case 2: return kLevel2;
    case 3: return kLevel3;
    default: return {};
  }
}

std::vector<int> GeneralRestricted(int level) {
  std::vector<int> out;
  for (int l = 1; l <= level && l <= 3; ++l)
    for (int nr : GeneralRestrictedAt(l)) out.push_back(nr);
  return out;
}

std::span<const uint32_t> IoctlAllowlist() { return kIoctls; }

}  // namespace syd::policy
