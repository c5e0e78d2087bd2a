// What the supervisor remembers per sandboxed process: the magic lock
// state (SPEC §3.2) and whether exec/resume_if_match released it. Entries
// are made lazily, on a process's first notification that needs one, and
// inherit from the parent; each holds a pidfd so a reused pid is noticed,
// and entries of processes that exited are swept away.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "kernel/proc.h"
#include "policy/policy.h"
#include "supervisor/tracee.h"
#include "util/unique_fd.h"

namespace syd::supervisor {

struct ProcState {
  bool locked = false;        // magic commands refused
  bool lock_on_exec = false;  // lock at the next successful exec
  bool resumed = false;       // no longer decided in user space
};

class ProcessTable {
 public:
  // `nested_pid_namespaces`: the sandbox may make pid namespaces
  // (core/restrict/namespaces:false), whose inits adopt orphans.
  ProcessTable(policy::MagicLock initial, pid_t eldest, bool nested_pid_namespaces = false);

  ProcState Get(pid_t tgid);
  // Changes one process's state atomically: `fn(ProcState&)` runs under the
  // table's lock, so two threads of a process cannot undo each other.
  template <class Fn>
  void Update(pid_t tgid, Fn fn) {
    std::lock_guard<std::mutex> lock(mu_);
    ApplyLocked(Lookup(tgid), tgid, fn);
  }
  // Update() for the caller of a notification: `fn` runs only if the
  // notification is still pending once the entry is found (asked under the
  // lock), so the entry is the caller's process's and not that of one that
  // took its pid since the last check. False when the caller is gone.
  template <class Fn>
  bool UpdateCaller(Tracee& t, Fn fn) {
    const pid_t tgid = t.Tgid();
    std::lock_guard<std::mutex> lock(mu_);
    Entry& e = Lookup(tgid);
    if (!t.Recheck()) return false;
    ApplyLocked(e, tgid, fn);
    return true;
  }
  // Called when `tgid` execs: applies a pending exec lock. The eldest's
  // first exec (of COMMAND itself) does not count.
  void OnExec(pid_t tgid);
  pid_t eldest() const { return eldest_; }
  // An exec of an existing executable file by the eldest process, let
  // through: the first starts the command, any later one is its next
  // program (magic_stat's initonly). Seen where execs are notified, which
  // they are while magic is unlocked.
  void OnEldestExec() {
    if (eldest_execs_.fetch_add(1, std::memory_order_acq_rel) >= 1) eldest_reexeced_.store(true, std::memory_order_release);
  }
  bool eldest_reexeced() const { return eldest_reexeced_.load(std::memory_order_acquire); }
  // True once any process may lock itself at its next exec: until then an
  // exec needs no bookkeeping.
  bool any_exec_lock() const { return any_exec_lock_.load(std::memory_order_relaxed); }
  // True once any process is locked or has an exec lock pending (a process
  // of the sandbox that may not configure exists, or may exist after an
  // exec).
  bool any_lock() {
    std::lock_guard<std::mutex> lock(mu_);
    return any_locked_ || any_exec_lock();
  }
  // True once any process was resumed: lets the hot path skip the lookup.
  bool any_resumed() const { return any_resumed_.load(std::memory_order_relaxed); }
  // What an emulated open needs of the caller: its fsuid/fsgid/umask and an
  // O_PATH handle of its root. Cached per process until the process makes
  // one of policy::CredentialSyscalls(); then read afresh every time.
  struct Root {
    UniqueFd fd;         // O_PATH of the caller's "/"
    // Where that is in the supervisor's view ("" when it is the same "/"):
    // a path resolved inside the root is matched and reported as
    // prefix + path, so a chroot cannot make a denied file look allowed.
    std::string prefix;
  };
  struct Caller {
    std::optional<kernel::Creds> creds;  // when asked for
    std::shared_ptr<const Root> root;
  };
  // For the caller of a notification, finding its tgid on the way: a
  // caller whose tid is the pid of a live process with an entry leads that
  // process (a live process holds its pid: no other thread can have that
  // number), so the common case costs one check that the entry's process
  // lives and no tgkill or /proc read.
  Result<Caller> CallerInfo(Tracee& t, bool want_creds);
  Result<kernel::Creds> CallerCreds(Tracee& t);
  void MarkVolatile(pid_t tgid);
  // `tgid` is about to share its umask and root with a child (clone with
  // CLONE_FS and without CLONE_THREAD): neither is cached for it from now
  // on, nor for the children made after this of it and of every ancestor
  // (the sharer is its child, and when its parent exits an ancestor that
  // is a pid namespace's init may adopt it), nor for an orphan whose
  // parent is gone.
  void MarkSharesFs(pid_t tgid);

  // Forgets every process that has exited now. (Children are reparented
  // when their parent exits, so no entry is needed after that.)
  void Sweep() {
    std::lock_guard<std::mutex> lock(mu_);
    SweepLocked();
  }
  // Entries held (for tests and state dumps).
  size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return procs_.size();
  }

  // detach_thread: one thread no longer decided in user space, while that
  // thread lives (a pidfd of the thread, confirmed as the caller's). False
  // when none can be had: the thread stays decided here.
  bool DetachThread(Tracee& t);
  bool ThreadDetached(pid_t tid);

 private:
  struct Entry {
    uint64_t serial = 0;  // which entry: a pid's next process gets another
    UniqueFd pidfd;
    ProcState st;
    bool volatile_ids = false;  // made a credential/root call: never cache
    bool children_volatile = false;  // children made from now on: never cache
    std::optional<kernel::Creds> creds;
    std::shared_ptr<const Root> root;
  };
  Entry& Lookup(pid_t tgid, int depth = 0);  // mu_ held
  // Applies `fn` to the state of `e`, the entry of `tgid` (mu_ held). An
  // entry copies its parent's state when it is made, at the process's
  // first notification, not at its fork: before `tgid` is released, its
  // children that exist now get their entries (unreleased), so a child
  // forked earlier is not released with it.
  template <class Fn>
  void ApplyLocked(Entry& e, pid_t tgid, Fn& fn) {
    ProcState next = e.st;
    fn(next);
    if (next.resumed && !e.st.resumed) PinChildrenLocked(tgid);
    e.st = next;
    NoteLocked(e.st);
  }
  void PinChildrenLocked(pid_t tgid);
  // CallerInfo when the entry lacks what is asked: read from /proc, and
  // kept in the entry only when it is known to be the caller's.
  Result<Caller> ReadCallerInfo(Tracee& t, bool want_creds);
  void NoteLocked(const ProcState& st);      // mu_ held: the any_* summaries
  // Forgets processes that have exited (mu_ held). Run when the table has
  // doubled since the last sweep, so its cost is constant per entry made
  // and the table stays within twice the live processes.
  void SweepLocked();

  std::mutex mu_;
  std::unordered_map<pid_t, Entry> procs_;
  uint64_t next_serial_ = 1;
  size_t sweep_at_ = kMinSweep;
  static constexpr size_t kMinSweep = 16;
  ProcState initial_;
  bool any_locked_ = false;
  bool any_shared_fs_ = false;  // an orphan may be a sharer: never cache
  std::atomic<unsigned> eldest_execs_{0};
  std::atomic<bool> eldest_reexeced_{false};
  bool eldest_exec_seen_ = false;
  pid_t eldest_;
  bool nested_pid_namespaces_ = false;
  UniqueFd eldest_pidfd_;
  pid_t self_;
  std::atomic<bool> any_resumed_{false};
  std::atomic<bool> any_exec_lock_{false};
  std::unordered_map<pid_t, UniqueFd> detached_threads_;  // tid -> pidfd of its process
};

// The caller's root as ProcessTable::Root (from /proc/TID/root).
Result<std::shared_ptr<const ProcessTable::Root>> OpenCallerRoot(pid_t tid);

// A path resolved inside the caller's root, as the supervisor sees it.
inline std::string InSupervisorView(const ProcessTable::Root& root, const std::string& path) {
  if (root.prefix.empty()) return path;
  return path == "/" ? root.prefix : root.prefix + path;
}

}  // namespace syd::supervisor
