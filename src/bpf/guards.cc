// Four kinds of guard, all decided on registers:
//  - calls that name the supervisor's pid are EPERM, whatever the options;
//  - calls that act on another process and that no Landlock scope keeps
//    inside go to user space, which checks the target (supervisor/reach.cc),
//    except where their arguments say they act on the caller itself;
//  - a process may not choose who adopts its children (CLONE_PARENT,
//    PR_SET_CHILD_SUBREAPER): the supervisor's per-process state follows
//    the parent chain;
//  - terminal injection, namespace and mount calls and device nodes are
//    EPERM unless the configuration lifts them. clone3 is ENOSYS, always:
//    its flags are in memory, and glibc falls back to clone(2), whose
//    flags are a register.
#include "bpf/guards.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <linux/filter.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <linux/sockios.h>
#include <sys/syscall.h>

#include "bpf/restrict.h"
#include "kernel/uapi.h"
#include "policy/reach.h"
#include "policy/syscalls.h"

namespace syd::bpf {
namespace {

namespace uapi = kernel::uapi;

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
// CLONE_NEWTIME shares its bit with the exit signal of clone(2): only
// unshare(2) and clone3 take it.
constexpr uint64_t kCloneNamespaces =
    CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;

ArgCond Eq(int8_t arg, uint64_t v) { return ArgCond{static_cast<uint8_t>(arg), true, CmpOp::kEq, v}; }
ArgCond Test(const policy::ArgTest& t) {
  return ArgCond{static_cast<uint8_t>(t.arg), !t.wide, t.differs ? CmpOp::kNe : CmpOp::kEq, t.value};
}
ArgCond AnyBits(int8_t arg, uint64_t v) { return ArgCond{static_cast<uint8_t>(arg), true, CmpOp::kAnyBits, v}; }
ArgCond NoBits(int8_t arg, uint64_t v) { return ArgCond{static_cast<uint8_t>(arg), true, CmpOp::kNoBits, v}; }
ArgCond Ne(int8_t arg, uint64_t v) { return ArgCond{static_cast<uint8_t>(arg), true, CmpOp::kNe, v}; }

// mknod(at)'s mode (umode_t, so only the low 16 bits count) names a
// character device (S_IFCHR, 0020000) or a block device (S_IFBLK,
// 0060000): of the file type bits (0170000), 0020000 is set and 0110000
// (regular, FIFO) are clear; a block device has 0040000 too.
constexpr uint64_t kIfChrBit = 0020000, kIfDirBit = 0040000, kIfRegOrFifo = 0110000;
void AddDeviceNodeGuards(int nr, int8_t mode_arg, int8_t dev_arg, Guards* g) {
  const uint32_t eperm = RetErrno(EPERM);
  auto& first = g->first[nr];
  // A block device, whatever its number.
  first.push_back({{AnyBits(mode_arg, kIfChrBit), AnyBits(mode_arg, kIfDirBit), NoBits(mode_arg, kIfRegOrFifo)}, eperm});
  // A character device other than 0:0 (a whiteout, which names no device).
  first.push_back({{AnyBits(mode_arg, kIfChrBit), NoBits(mode_arg, kIfRegOrFifo), Ne(dev_arg, 0)}, eperm});
}

void AddSupervisorGuards(const policy::ReachCall& rc, int sup, Guards* g) {
  if (sup <= 0) return;
  const uint32_t eperm = RetErrno(EPERM);
  auto& first = g->first[rc.nr];
  switch (rc.target) {
    case policy::Target::kOwner:
      first.push_back({{Test(rc.when), Eq(rc.pid_arg, static_cast<uint64_t>(sup))}, eperm});
      break;
    case policy::Target::kPid:
    case policy::Target::kKill:
      first.push_back({{Eq(rc.pid_arg, static_cast<uint64_t>(sup))}, eperm});
      if (rc.pid_arg2 >= 0) first.push_back({{Eq(rc.pid_arg2, static_cast<uint64_t>(sup))}, eperm});
      break;
    case policy::Target::kWhich:
      first.push_back({{Eq(rc.which_arg, static_cast<uint64_t>(rc.which_process)),
                        Eq(rc.pid_arg, static_cast<uint64_t>(sup))},
                       eperm});
      break;
    case policy::Target::kPidfd:
      break;  // a descriptor, not a number: Landlock or user space
  }
}

std::vector<std::vector<ArgCond>> Exemptions(const policy::ReachCall& rc) {
  std::vector<std::vector<ArgCond>> out;
  for (const auto& alt : rc.self) {
    std::vector<ArgCond> conj;
    for (const policy::ArgTest& e : alt)
      if (e.arg >= 0) conj.push_back(Test(e));
    if (!conj.empty()) out.push_back(std::move(conj));
  }
  return out;
}

}  // namespace

Guards LowerGuards(const policy::Policy& p, const LowerOptions& opts) {
  Guards g;
  for (const policy::ReachCall& rc : policy::ReachCalls()) {
    AddSupervisorGuards(rc, opts.supervisor_pid, &g);
    const bool scoped = rc.family == policy::ReachFamily::kSignal   ? opts.signals_scoped
                        : rc.family == policy::ReachFamily::kPtrace ? opts.ptrace_scoped
                                                                    : false;
    if (!scoped) g.notify_unless[rc.nr] = Exemptions(rc);
  }
  const uint32_t eperm = RetErrno(EPERM);
  // A listener of the sandbox's own: while the supervisor lives the kernel
  // refuses it (EBUSY), but were the supervisor killed, a process with its
  // own listener would answer every notified call itself. Never.
  g.first[__NR_seccomp].push_back({{Eq(0, SECCOMP_SET_MODE_FILTER), AnyBits(1, SECCOMP_FILTER_FLAG_NEW_LISTENER)}, eperm});
  // The supervisor's entry for a process copies the state (magic lock,
  // release) of the parent /proc names at the process's first
  // notification: that must be the process that made it, or sydbox. A
  // sibling made with CLONE_PARENT would copy its maker's parent, and an
  // orphan adopted by a child subreaper of the sandbox would copy that
  // subreaper: a locked process could make an unlocked one, an unreleased
  // one a released one (docs/SECURITY.md). Never; orphans go to sydbox.
  g.first[__NR_clone].push_back({{AnyBits(0, CLONE_PARENT)}, eperm});
  g.first[__NR_prctl].push_back({{Eq(0, PR_SET_CHILD_SUBREAPER), Ne(1, 0)}, eperm});
  // clone3 carries its flags in memory, where no register check sees
  // CLONE_PARENT or the namespaces, and where a check in user space could
  // be raced: ENOSYS, always, and glibc falls back to clone(2).
  g.forced[__NR_clone3] = RetErrno(ENOSYS);
  if (!opts.signals_scoped) {
    // Setting who receives SIGIO with the pid in memory, where user space
    // could check it but not stop it changing afterwards: refused. (Under
    // Landlock's signal scope the kernel checks the signal when it is sent.)
    g.first[__NR_fcntl].push_back({{Eq(1, F_SETOWN_EX)}, eperm});
    for (uint32_t cmd : {static_cast<uint32_t>(FIOSETOWN), static_cast<uint32_t>(SIOCSPGRP)})
      g.first[__NR_ioctl].push_back({{Eq(1, cmd)}, eperm});
  }
  // Requests that change a whole file system, or a file for good, through
  // any descriptor on it (a read-only one too): never (policy/syscalls.h).
  for (uint32_t cmd : policy::FileSystemAdminIoctls()) g.first[__NR_ioctl].push_back({{Eq(1, cmd)}, eperm});
  if (p.restrict_terminal) {
    // Injecting input, the console, and hanging up the terminal (which
    // sends SIGHUP to the session leader: the user's shell, outside).
    for (uint32_t cmd : {uapi::kTiocsti, uapi::kTioclinux, uapi::kTioccons, uapi::kTiocvhangup})
      g.first[__NR_ioctl].push_back({{Eq(1, cmd)}, eperm});
    g.forced[__NR_vhangup] = eperm;
  }
  if (p.restrict_namespaces) {
    g.first[__NR_unshare].push_back({{AnyBits(0, kCloneNamespaces | CLONE_NEWTIME)}, eperm});
    g.first[__NR_clone].push_back({{AnyBits(0, kCloneNamespaces)}, eperm});
    g.forced[__NR_setns] = eperm;
    g.forced[__NR_chroot] = eperm;
  }
  if (p.restrict_device_nodes) {
    AddDeviceNodeGuards(__NR_mknod, 1, 2, &g);
    AddDeviceNodeGuards(__NR_mknodat, 2, 3, &g);
  }
  if (p.restrict_mounts) {
    for (int nr : {__NR_mount, __NR_umount2, __NR_pivot_root, __NR_move_mount, __NR_open_tree, __NR_fsopen,
                   __NR_fsconfig, __NR_fsmount, __NR_fspick, __NR_mount_setattr, uapi::kNrOpenTreeAttr})
      g.forced[nr] = eperm;
  }
  AddRestrictions(p, &g);
  return g;
}

void NotifyUnless(SyscallChain& ch, size_t kept, const std::vector<std::vector<ArgCond>>& unless) {
  std::vector<ChainRule> out(ch.rules.begin(), ch.rules.begin() + static_cast<long>(kept));
  const std::vector<ChainRule> rest(ch.rules.begin() + static_cast<long>(kept), ch.rules.end());
  // Where an exemption holds, the chain decides as it did ...
  for (const auto& when : unless) {
    for (const ChainRule& r : rest) {
      ChainRule c = r;
      c.conds.insert(c.conds.begin(), when.begin(), when.end());
      out.push_back(std::move(c));
    }
    out.push_back({when, ch.fallback});
  }
  // ... elsewhere what it would let through goes to user space first.
  for (const ChainRule& r : rest) {
    ChainRule c = r;
    if (!c.log_mark) c.action = Stronger(c.action, SECCOMP_RET_USER_NOTIF);
    out.push_back(std::move(c));
  }
  ch.rules = std::move(out);
  ch.fallback = Stronger(ch.fallback, SECCOMP_RET_USER_NOTIF);
}

}  // namespace syd::bpf
