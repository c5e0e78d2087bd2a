#include "supervisor/process_table.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "kernel/proc.h"
#include "util/strings.h"

namespace syd::supervisor {

ProcessTable::ProcessTable(policy::MagicLock initial, pid_t eldest, bool nested_pid_namespaces)
    : eldest_(eldest), nested_pid_namespaces_(nested_pid_namespaces), self_(getpid()) {
  initial_.locked = initial == policy::MagicLock::kOn;
  initial_.lock_on_exec = initial == policy::MagicLock::kExec;
  any_locked_ = initial_.locked;
  any_exec_lock_.store(initial_.lock_on_exec);
  if (auto fd = kernel::PidfdOpen(eldest)) eldest_pidfd_ = std::move(*fd);  // not reaped yet: the eldest's
}

namespace {

bool Exited(const UniqueFd& pidfd) { return kernel::PidfdExited(pidfd.get()); }

// Whether an exec, which nothing here sees, can change these ids. Every
// sandboxed process has no_new_privs, so an exec never grants ids or
// capabilities (set-id bits and file capabilities are ignored). But a
// process that is not root loses at exec every capability it holds that
// is not ambient: its capabilities are read afresh every time, never kept
// (a child of a process that kept them across setuid and raised them,
// say; rare, so the cost does not matter).
bool ExecMayChange(const kernel::Creds& c) { return c.euid != 0 && (c.cap_eff | c.cap_prm) != 0; }

}  // namespace

void ProcessTable::SweepLocked() {
  for (auto it = procs_.begin(); it != procs_.end();) {
    if (Exited(it->second.pidfd)) it = procs_.erase(it);
    else ++it;
  }
  sweep_at_ = std::max(kMinSweep, 2 * procs_.size());
}

void ProcessTable::NoteLocked(const ProcState& st) {
  if (st.locked) any_locked_ = true;
  if (st.lock_on_exec) any_exec_lock_.store(true, std::memory_order_relaxed);
  if (st.resumed) any_resumed_.store(true, std::memory_order_relaxed);
}

ProcessTable::Entry& ProcessTable::Lookup(pid_t tgid, int depth) {
  auto it = procs_.find(tgid);
  if (it != procs_.end()) {
    if (!Exited(it->second.pidfd)) return it->second;
    procs_.erase(it);  // the process exited: its pid may be reused
  }
  if (procs_.size() >= sweep_at_) SweepLocked();
  Entry e;
  e.serial = next_serial_++;
  if (auto fd = kernel::PidfdOpen(tgid)) e.pidfd = std::move(*fd);
  // Inherit from the parent when it is known; an orphan whose parent is
  // gone inherits the strictest state seen, so a lock cannot be escaped by
  // forking and letting the parent exit.
  pid_t ppid = kernel::ParentOf(tgid);
  auto parent = procs_.find(ppid);
  // An entry under the parent's pid is the parent's only while its process
  // lives: an exited one is another process that had the pid before.
  if (parent != procs_.end() && Exited(parent->second.pidfd)) {
    procs_.erase(parent);
    parent = procs_.end();
  }
  if (parent == procs_.end() && ppid > 1 && ppid != self_ && depth < 64) {
    // A live ancestor that never needed an entry yet: make one for it first.
    Lookup(ppid, depth + 1);
    parent = procs_.find(ppid);
  }
  if (parent != procs_.end()) {
    e.st = parent->second.st;
    e.volatile_ids = parent->second.children_volatile;
    // The init of a pid namespace the sandbox made (core/restrict/
    // namespaces:false) adopts that namespace's orphans: its child need
    // not be its own. The strictest of its state and an orphan's. (Asked
    // only where such namespaces can exist: it is one more /proc read.)
    if (nested_pid_namespaces_ && ppid != self_ && kernel::IsNestedPidNamespaceInit(ppid)) {
      e.st.locked = e.st.locked || any_locked_;
      e.st.lock_on_exec = e.st.lock_on_exec || any_exec_lock();
      e.st.resumed = false;
      e.volatile_ids = e.volatile_ids || any_shared_fs_;
    }
  } else {
    e.st = initial_;
    // The eldest is exempt only while it is the eldest: once it has exited
    // its pid is anybody's.
    if (tgid != eldest_ || Exited(eldest_pidfd_)) {
      if (any_locked_) e.st.locked = true;
      // A pending exec lock is state too: the orphan of a process that
      // asked for magic_lock:exec must lock at its own exec.
      if (any_exec_lock()) e.st.lock_on_exec = true;
    }
    e.volatile_ids = any_shared_fs_;
  }
  return procs_.emplace(tgid, std::move(e)).first->second;
}

ProcState ProcessTable::Get(pid_t tgid) {
  std::lock_guard<std::mutex> lock(mu_);
  return Lookup(tgid).st;
}


void ProcessTable::OnExec(pid_t tgid) {
  if (tgid == eldest_) {
    // The eldest's first exec (of COMMAND) is noted whether or not an exec
    // lock is pending yet: one asked for later (magic_lock:exec at run
    // time) must not take the eldest's next exec for its first. Only while
    // the eldest lives: after, its pid is anybody's.
    std::lock_guard<std::mutex> lock(mu_);
    if (!eldest_exec_seen_) {
      eldest_exec_seen_ = true;
      if (!Exited(eldest_pidfd_)) return;
    }
  }
  if (!any_exec_lock()) return;
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = Lookup(tgid);
  if (e.st.lock_on_exec) {
    e.st.locked = true;
    any_locked_ = true;
  }
}

}  // namespace syd::supervisor

namespace syd::supervisor {

Result<std::shared_ptr<const ProcessTable::Root>> OpenCallerRoot(pid_t tid) {
  auto root = std::make_shared<ProcessTable::Root>();
  const std::string link = fmt::format("/proc/{}/root", tid);
  root->fd.Reset(open(link.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root->fd.valid()) return Fail(errno, "open", link);
  struct stat theirs, ours;
  if (fstat(root->fd.get(), &theirs) != 0 || stat("/", &ours) != 0) return Fail(errno, "fstat root");
  if (theirs.st_dev != ours.st_dev || theirs.st_ino != ours.st_ino) {
    // A chroot: where its root is for us (in another mount namespace the
    // kernel names it relative to that namespace: docs/SECURITY.md).
    auto where = kernel::ReadLink(AT_FDCWD, link);
    if (!where) return Unexpected<Error>(where.error());
    if (where->size() > 1) root->prefix = std::move(*where);
  }
  return std::shared_ptr<const ProcessTable::Root>(std::move(root));
}

Result<ProcessTable::Caller> ProcessTable::ReadCallerInfo(Tracee& t, bool want_creds) {
  const pid_t tgid = t.Tgid();
  Caller out;
  uint64_t serial;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Entry& e = Lookup(tgid);
    serial = e.serial;
    if (!e.volatile_ids) {
      out.root = e.root;
      if (want_creds) out.creds = e.creds;
    }
  }
  if (out.root && (!want_creds || out.creds)) return out;  // one lookup, no /proc
  if (!out.root) {
    SYD_TRY(root, OpenCallerRoot(t.tid()));
    out.root = std::move(root);
  }
  if (want_creds && !out.creds) {
    SYD_TRY(cr, kernel::ReadCreds(t.tid()));
    out.creds = std::move(cr);
  }
  // Kept only for the process it was read of. The notification still
  // pending means the caller lived from RECV until now: its tid named it
  // during the reads, and the entry found above (its process alive then)
  // was its process's. The same entry again (same serial, alive) is still
  // that process's. Without these, a caller killed after the reads leaves
  // its ids and root to whatever takes its pid next (docs/SECURITY.md).
  if (!t.Recheck()) return Fail(ESRCH, "caller gone");
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = Lookup(tgid);
  if (e.serial == serial && !e.volatile_ids) {
    if (!e.root) e.root = out.root;
    if (out.creds && !e.creds && !ExecMayChange(*out.creds)) e.creds = out.creds;
  }
  return out;
}

Result<ProcessTable::Caller> ProcessTable::CallerInfo(Tracee& t, bool want_creds) {
  if (!t.tgid_known()) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = procs_.find(t.tid());
    // The entry's process lives now, and so does the caller (confirmed by
    // the next Valid(), which KnowTgid asks for): the caller's thread is
    // that process's leader. (An exited one, a zombie too, is looked up
    // afresh below.) Asked before the entry is used, and the notification
    // after the reads: an entry made after RECV may be a newcomer's that
    // took the pid of a caller killed since (docs/SECURITY.md).
    if (it != procs_.end() && !Exited(it->second.pidfd)) {
      t.KnowTgid(t.tid());
      const Entry& e = it->second;
      if (!e.volatile_ids && e.root && (!want_creds || e.creds)) {
        Caller out;
        out.root = e.root;
        if (want_creds) out.creds = e.creds;
        return out;
      }
    }
  }
  return ReadCallerInfo(t, want_creds);
}

Result<kernel::Creds> ProcessTable::CallerCreds(Tracee& t) {
  auto c = CallerInfo(t, true);
  if (!c) return Unexpected<Error>(c.error());
  return std::move(*c->creds);
}

void ProcessTable::MarkVolatile(pid_t tgid) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = Lookup(tgid);
  e.volatile_ids = true;
  e.creds.reset();
  e.root.reset();
}

void ProcessTable::MarkSharesFs(pid_t tgid) {
  std::lock_guard<std::mutex> lock(mu_);
  any_shared_fs_ = true;
  Entry& e = Lookup(tgid);
  e.volatile_ids = true;
  e.children_volatile = true;
  e.creds.reset();
  e.root.reset();
  // Every ancestor's later children too: with CLONE_PARENT the sharer is
  // the parent's child, and a sharer whose parent exits is reparented to
  // the nearest subreaper or pid-namespace init among the ancestors, whose
  // entry would otherwise be copied.
  pid_t p = kernel::ParentOf(tgid);
  for (int depth = 0; p > 1 && p != self_ && depth < 4096; ++depth) {
    Lookup(p).children_volatile = true;
    p = kernel::ParentOf(p);
  }
}

void ProcessTable::PinChildrenLocked(pid_t tgid) {
  for (pid_t k : kernel::ChildrenOf(tgid)) (void)Lookup(k);
}

bool ProcessTable::DetachThread(Tracee& t) {
  // A pidfd of the thread itself (PIDFD_THREAD: a pidfd of a process would
  // not see one of its threads exit, and pidfd_open of a tid that does not
  // lead its process fails without it), confirmed as the caller's after it
  // was opened. No pidfd, no release: the tid could not be told from the
  // next task that gets it.
  auto pidfd = kernel::ThreadPidfdOpen(t.tid());
  if (!pidfd || !t.Recheck()) return false;
  std::lock_guard<std::mutex> lock(mu_);
  detached_threads_[t.tid()] = std::move(*pidfd);
  any_resumed_.store(true, std::memory_order_relaxed);
  return true;
}

bool ProcessTable::ThreadDetached(pid_t tid) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = detached_threads_.find(tid);
  if (it == detached_threads_.end()) return false;
  if (Exited(it->second)) {
    detached_threads_.erase(it);  // gone; the tid may be reused
    return false;
  }
  return true;
}

}  // namespace syd::supervisor
