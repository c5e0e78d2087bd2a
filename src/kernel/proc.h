// Reaching into a tracee: its memory, its descriptors and /proc. Every
// function here is a thin wrapper; none keeps state.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "util/error.h"
#include "util/unique_fd.h"

namespace syd::kernel {

// Reads a NUL-terminated string of at most `max` bytes (including the NUL)
// from the tracee. ENAMETOOLONG if no NUL within `max`, EFAULT if unreadable.
Result<std::string> ReadString(pid_t pid, uint64_t addr, size_t max);
// Reads up to `len` bytes (fewer if the next page is unmapped); returns
// how many were read, or -1.
ssize_t ReadSome(pid_t pid, uint64_t addr, void* buf, size_t len);
// Reads/writes exactly `len` bytes of tracee memory.
Status ReadMemory(pid_t pid, uint64_t addr, void* buf, size_t len);
Status WriteMemory(pid_t pid, uint64_t addr, const void* buf, size_t len);

Result<UniqueFd> PidfdOpen(pid_t pid);
// A pidfd of one thread (PIDFD_THREAD, Linux 6.9): polls readable when that
// thread exits, leader or not.
Result<UniqueFd> ThreadPidfdOpen(pid_t tid);
Result<UniqueFd> PidfdGetfd(int pidfd, int targetfd);
// A pidfd of the process that connected the UNIX socket `sock`
// (SO_PEERPIDFD, Linux 6.5), taken when it connected.
Result<UniqueFd> PeerPidfd(int sock);
// 0 if the process behind `pidfd` still runs, ESRCH once it is gone.
int PidfdSignal(int pidfd, int sig);
// Whether the process behind `pidfd` has exited (a zombie too): a poll of
// it, cheaper than PidfdSignal(pidfd, 0), which also goes through the
// signal permission checks. An invalid descriptor counts as exited.
bool PidfdExited(int pidfd);

// Thread group id of a thread (Tgid: of /proc/TID/status).
Result<pid_t> TgidOf(pid_t tid);
// Parent pid of a process (PPid:), 0 if unknown.
pid_t ParentOf(pid_t pid);
// The pids of `tgid`'s children now: from /proc/TGID/task/*/children, or,
// where the kernel has no such file (CONFIG_PROC_CHILDREN), from every
// process's parent in /proc.
std::vector<pid_t> ChildrenOf(pid_t tgid);
// The same from every process's parent in /proc alone (slow: the fallback).
std::vector<pid_t> ChildrenByScan(pid_t tgid);
// Whether `pid` is the init (pid 1) of a pid namespace below ours: it
// adopts that namespace's orphans (NSpid in /proc/PID/status).
bool IsNestedPidNamespaceInit(pid_t pid);

// A thread's identity as the kernel checks it: for file system access
// (fsuid/fsgid, groups, capabilities, umask) and for acting on processes
// and as a socket's peer (real and effective ids).
struct Creds {
  uid_t ruid = 0, euid = 0, fsuid = 0;
  gid_t rgid = 0, egid = 0, fsgid = 0;
  std::vector<gid_t> groups;  // supplementary groups
  // Effective capabilities, in the reader's user namespace: 0 when the
  // thread is in another one (its capabilities mean nothing here).
  uint64_t cap_eff = 0;
  mode_t umask = 022;
  // What access(2) checks with besides the real ids: the permitted
  // capabilities when the real uid is 0, none otherwise.
  uint64_t cap_prm = 0;  // permitted capabilities
};
Result<Creds> ReadCreds(pid_t tid);

// Whether thread `tid` is in the reader's user (pid) namespace.
bool SameUserNamespace(pid_t tid);
bool SamePidNamespace(pid_t tid);

// What /proc/TID/status says of a thread's process and credentials.
struct TaskStatus {
  pid_t tgid = 0, ppid = 0;
  uid_t uid[4] = {};  // real, effective, saved, filesystem
  gid_t gid[4] = {};
  std::vector<gid_t> groups;
  uint64_t cap_eff = 0;
  mode_t umask = 022;
  uint64_t cap_prm = 0;
};
Result<TaskStatus> ReadStatus(pid_t tid);

// The process group of a process (getpgid(2)), or -1 with errno.
pid_t GroupOf(pid_t pid);

// /proc/PID/comm without the newline; /proc/PID/cmdline with spaces.
std::string ReadComm(pid_t pid);
std::string ReadCmdline(pid_t pid);

// A thread's signals as /proc/TID/status shows them (bit N-1 = signal N):
// pending for the thread (SigPnd) and for its process (ShdPnd), blocked by
// the thread, ignored and caught by the process.
struct SignalState {
  uint64_t pending = 0, shared = 0, blocked = 0, ignored = 0, caught = 0;
};
Result<SignalState> ReadSignals(pid_t tgid, pid_t tid);

// readlink(2) into a std::string of any length.
Result<std::string> ReadLink(int dirfd, const std::string& path);

}  // namespace syd::kernel
