// Threads: the main thread spawns the child, then only waits for signals
// (SIGCHLD to reap, SIGINT/TERM/HUP/QUIT to forward to the eldest). The
// worker pool (worker_pool.h) answers notifications: one worker at a time
// blocks in SECCOMP_IOCTL_NOTIF_RECV, others wait to take over. To stop it
// the main thread sets a flag and signals the workers with kWakeSignal,
// whose handler does nothing and is installed without SA_RESTART, so the
// ioctl returns EINTR.
#include "supervisor/supervisor.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <ctime>

#include "bpf/compile.h"
#include "kernel/landlock.h"
#include "kernel/proc.h"
#include "kernel/uapi.h"
#include "kernel/seccomp.h"
#include "spawn/spawn.h"
#include "supervisor/exec_trace.h"
#include "supervisor/handlers.h"
#include "supervisor/landlock_paths.h"
#include "supervisor/process_table.h"
#include "supervisor/shared_policy.h"
#include "supervisor/blocking.h"
#include "supervisor/modules.h"
#include "supervisor/pid_marks.h"
#include "supervisor/dump.h"
#include "supervisor/state_dump.h"
#include "supervisor/control.h"
#include "supervisor/worker_pool.h"
#include "util/strings.h"

namespace syd::supervisor {
namespace {

const int kWakeSignal = SIGRTMIN + 3;

// /proc/sys/kernel/pid_max (pids are below it); the kernel's most when unreadable.
uint32_t PidMax() {
  constexpr uint32_t kLimit = 4194304;  // PID_MAX_LIMIT on 64 bits
  FILE* f = fopen("/proc/sys/kernel/pid_max", "re");
  if (!f) return kLimit;
  unsigned long v = 0;
  const bool ok = fscanf(f, "%lu", &v) == 1;
  fclose(f);
  return ok && v > 0 && v <= kLimit ? static_cast<uint32_t>(v) : kLimit;
}
// Wakes the main thread to attach a thread about to exec (exec_trace.h).
const int kTraceSignal = SIGRTMIN + 4;
// A module crashed in its hook (modules.h): the main thread ends the sandbox.
const int kModuleSignal = SIGRTMIN + 5;

void NoopHandler(int) {}

// Every process below `root` in the process tree, from /proc.
std::vector<pid_t> Descendants(pid_t root) {
  std::multimap<pid_t, pid_t> children;
  DIR* d = opendir("/proc");
  if (!d) return {};
  while (dirent* e = readdir(d)) {
    auto pid = ParseInt(e->d_name);
    if (!pid) continue;
    pid_t ppid = kernel::ParentOf(static_cast<pid_t>(*pid));
    if (ppid > 0) children.emplace(ppid, static_cast<pid_t>(*pid));
  }
  closedir(d);
  std::vector<pid_t> out, pending{root};
  while (!pending.empty()) {
    pid_t p = pending.back();
    pending.pop_back();
    auto [b, e] = children.equal_range(p);
    for (auto it = b; it != e; ++it) {
      out.push_back(it->second);
      pending.push_back(it->second);
    }
  }
  return out;
}

void KillDescendants() {
  // SIGKILL cannot be blocked; a process forking meanwhile is caught by the
  // next round.
  for (int round = 0; round < 5; ++round) {
    std::vector<pid_t> pids = Descendants(getpid());
    if (pids.empty()) return;
    for (pid_t p : pids) kill(p, SIGKILL);
  }
}

// Moves the environment to the heap and zeroes the strings on the initial
// stack, which is what /proc/PID/environ reads (root inside the sandbox
// may read it even from a non-dumpable process).
void WipeEnvironment() {
  std::vector<std::pair<std::string, std::string>> vars;
  std::vector<char*> originals;
  for (char** e = environ; e && *e; ++e) {
    originals.push_back(*e);
    std::string_view kv(*e);
    size_t eq = kv.find('=');
    if (eq != std::string_view::npos) vars.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  clearenv();
  for (const auto& [k, v] : vars) setenv(k.c_str(), v.c_str(), 1);
  for (char* o : originals) explicit_bzero(o, strlen(o));
}

// The kernel kills with SIGSYS for a sys/ kill rule it decides alone, or
// for a call of a foreign ABI: no report was written, so say which rules
// could have done it.
void SayWhatKillsWithSigsys(const std::string& command, pid_t pid, const policy::Policy& p) {
  std::string kills, traps;
  for (const policy::SysRule& r : p.sys_rules) {
    const lang::RuleAction a = r.rule.action;
    const std::string shown = fmt::format("{} ({})", r.origin.ToString(), Elide(r.Shown()));
    if (a == lang::RuleAction::kTrap) traps += (traps.empty() ? "" : ", ") + shown;
    else if (!r.user_space && (a == lang::RuleAction::kKillProcess || a == lang::RuleAction::kKillThread))
      kills += (kills.empty() ? "" : ", ") + shown;
  }
  std::vector<std::string> causes;
  if (!kills.empty()) causes.push_back("a kill rule the kernel decides: " + kills);
  if (!traps.empty()) causes.push_back("a trap rule whose SIGSYS the program does not handle: " + traps);
  std::string why = causes.empty() ? std::string("a call of a foreign ABI (int 0x80, x32), which the kernel kills")
                                   : causes[0] + (causes.size() > 1 ? "; or " + causes[1] : "") +
                                         " (or a call of a foreign ABI)";
  fmt::print(stderr, "sydbox: {} (pid {}) was killed by SIGSYS: {}\n", command, pid, why);
}

int StatusToCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

namespace {

// --unshare-pid: the command is pid 1 of its namespace, to which the
// kernel delivers no signal it has no handler for (SIGKILL aside), from
// the terminal or from sydbox. What it catches gets through (the
// terminal's already did); what it would die of by default, it dies of
// (SIGKILL: its status says 137); what it ignores, it ignores.
void ForwardToPidOne(pid_t eldest, int sig, bool from_terminal) {
  auto st = kernel::ReadSignals(eldest, eldest);
  if (!st) return;
  const uint64_t bit = uint64_t{1} << (sig - 1);
  if (st->caught & bit) {
    if (!from_terminal) kill(eldest, sig);
  } else if (!(st->ignored & bit)) {
    kill(eldest, SIGKILL);
  }
}

}  // namespace

int Run(const policy::Policy& given, const std::vector<std::string>& argv, const Options& opts) {
  // --dry-run learns what a command does: categories in landlock mode are
  // checked (and reported) in user space there, like deny.
  const policy::Policy dry_policy = opts.dry_run ? LandlockAsDeny(given) : policy::Policy{};
  const policy::Policy& policy = opts.dry_run ? dry_policy : given;
  std::optional<DumpTarget> dump_target;
  if (!opts.dump.empty()) {
    auto t = OpenDumpTarget(opts.dump);
    if (!t) {
      fmt::print(stderr, "sydbox: {}\n", t.error().what);
      return 2;
    }
    if (opts.dump == "tmp") fmt::print(stderr, "sydbox: dumping to {}\n", t->shown);
    dump_target = std::move(*t);
  }
  const bool magic_unlocked = !opts.lock && policy.magic_lock != policy::MagicLock::kOn;
  // What the kernel keeps inside the sandbox by itself (bpf/guards.h): a
  // Landlock domain scopes ptrace-checked access (ABI 1) and, with
  // LANDLOCK_SCOPE_SIGNAL, signals (ABI 6); what it does not, user space
  // checks (reach.h).
  const int abi = opts.landlock == LandlockUse::kOff ? 0 : kernel::LandlockAbi();
  if (opts.landlock == LandlockUse::kBestEffort && abi == 0)
    fmt::print(stderr, "sydbox: note: Landlock is not available here: the sandbox's processes can reach "
                       "processes outside that run as the same user (through /proc/PID/mem, say) unless "
                       "write sandboxing refuses it (--landlock=off silences this)\n");
  if (opts.landlock == LandlockUse::kRequire && abi < 6) {
    fmt::print(stderr, "sydbox: --landlock=require: the kernel offers Landlock ABI {}, sydbox needs 6 "
                       "(signal scoping, Linux 6.12)\n", abi);
    return 2;
  }
  // Landlock rules for read, write and exec paths (landlock_paths.h): the
  // landlock mode, and a backstop under deny mode.
  LandlockChoice landlock_paths =
      ChooseLandlock(policy, opts.landlock, opts.landlock == LandlockUse::kOff ? kernel::LandlockAbi() : abi,
                     opts.dry_run, magic_unlocked);
  if (!landlock_paths.error.empty()) {
    fmt::print(stderr, "sydbox: {}\n", landlock_paths.error);
    return 2;
  }
  bpf::LowerOptions lo;
  lo.magic_unlocked = magic_unlocked;
  // In a pid namespace of its own (--unshare-pid) the sandbox cannot name
  // sydbox: a number equal to sydbox's pid is one of its own processes.
  lo.supervisor_pid = opts.setup.unshare & CLONE_NEWPID ? 0 : getpid();
  lo.ptrace_scoped = abi >= 1;
  lo.signals_scoped = abi >= 6 && policy.restrict_outside_signals;
  lo.categories_may_change = magic_unlocked;  // runtime changes reach every category
  bpf::KernelPolicy kp = bpf::LowerKernel(policy, lo);
  auto prog = bpf::Compile(kp);
  if (!prog) {
    fmt::print(stderr, "sydbox: {}\n", prog.error().what);
    return 2;
  }

  prctl(PR_SET_CHILD_SUBREAPER, 1);
  // A sandboxed process may read from or write to the terminal from a
  // background group of its own making: the kernel would stop that group,
  // sydbox included (SIGTTIN, SIGTTOU). sydbox never reads the terminal and
  // its reports may go there whatever the foreground. (The command starts
  // with default dispositions: spawn.cc resets them.)
  signal(SIGTTIN, SIG_IGN);
  signal(SIGTTOU, SIG_IGN);
  sigset_t handled, old_mask;
  sigemptyset(&handled);
  for (int s : {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) sigaddset(&handled, s);
  sigaddset(&handled, kWakeSignal);
  sigaddset(&handled, kTraceSignal);
  sigaddset(&handled, kModuleSignal);
  pthread_sigmask(SIG_BLOCK, &handled, &old_mask);
  // Magic stat is the built-in module magic_stat: called by the dispatch
  // for every stat-like call, unless a rule loads it (then it runs where
  // that rule stands, with that rule's options).
  std::shared_ptr<LoadedModule> stat_module;
  bool rule_loads_magic = false;
  for (const policy::SysRule& r : policy.sys_rules)
    rule_loads_magic = rule_loads_magic || (r.module && r.module->name() == "magic_stat");
  if (!rule_loads_magic) {
    auto m = LoadModule("magic_stat");
    if (!m) {
      fmt::print(stderr, "sydbox: {}\n", m.error().what);
      return 1;
    }
    stat_module = std::move(*m);
  }
  InstallModuleCrashHandler(static_cast<pid_t>(syscall(SYS_gettid)), kModuleSignal);

  // The control socket exists (close-on-exec) before the sandbox does, so a
  // path that cannot be used stops everything before anything runs.
  std::unique_ptr<ControlSocket> control;
  if (!opts.ipc_path.empty()) {
    auto made = ControlSocket::Listen(opts.ipc_path);
    if (!made) {
      fmt::print(stderr, "sydbox: {}\n", made.error().what);
      return 2;
    }
    control = std::move(*made);
  }

  spawn::SpawnRequest sreq;
  sreq.argv = argv;
  sreq.filter = std::move(*prog);
  sreq.child_sigmask = old_mask;
  sreq.landlock = abi >= 1;
  // A domain needs something to restrict: the signal scope, or else block
  // devices, handled and granted again beneath "/" (nothing changes).
  if (lo.signals_scoped) sreq.domain.scoped = kernel::uapi::kLandlockScopeSignal;
  else sreq.domain.handled_make_block = true;
  sreq.drop_ptrace_capability = abi == 0;
  // Root inside could read and write what the kernel lets root do in the
  // supervisor's /proc entries (its memory map, oom_score_adj, ...): as
  // root, the sandbox gets a /proc that shows only its own processes.
  sreq.private_proc = geteuid() == 0;
  sreq.deny_write_execute = policy.restrict_memory_map;
  spawn::ProcessSetup setup = opts.setup;
  for (const policy::RlimitSetting& r : policy.rlimits)
    setup.rlimits.push_back(spawn::Rlimit{r.resource, r.value, r.name});
  // A core dump is a file the kernel writes in the dying process's working
  // directory (with a relative core_pattern), which chdir() only reads:
  // where writes are checked, or may be, no core is written unless
  // rlimit/core says otherwise (docs/SECURITY.md, "Core dumps").
  const size_t write_sandbox = static_cast<size_t>(policy::Sandbox::kWrite);
  const bool writes_checked = policy.mode(policy::Sandbox::kWrite) != policy::Mode::kOff ||
                              (magic_unlocked && policy.runtime_change[write_sandbox]);
  const bool core_set = std::any_of(policy.rlimits.begin(), policy.rlimits.end(),
                                    [](const policy::RlimitSetting& r) { return r.resource == RLIMIT_CORE; });
  if (writes_checked && !core_set) setup.rlimits.push_back(spawn::Rlimit{RLIMIT_CORE, 0, "core (no core dumps)"});
  auto plan = spawn::PlanSetup(setup, getuid(), getgid());
  if (!plan) {
    fmt::print(stderr, "sydbox: {}\n", plan.error().what);
    return 2;
  }
  sreq.setup = std::move(*plan);
  sreq.landlock_paths = landlock_paths.paths;
  bool setup_failed = false;
  auto child = spawn::Spawn(sreq, &setup_failed);
  if (!child) {
    if (setup_failed) {
      // The user's option failed before the command started: nothing ran.
      fmt::print(stderr, "sydbox: process setup failed, the command did not start: {}\n", child.error().what);
      return 2;
    }
    fmt::print(stderr, "sydbox: cannot start the sandbox: {}\n", child.error().what);
    return 1;
  }
  const pid_t eldest = child->pid();
  if (std::string e = LandlockOutcomeError(landlock_paths, child->landlock_outcome(), opts.landlock); !e.empty()) {
    kill(eldest, SIGKILL);
    waitpid(eldest, nullptr, 0);
    fmt::print(stderr, "sydbox: {}\n", e);
    return 2;
  }
  if (sreq.private_proc && !child->private_proc())
    fmt::print(stderr, "sydbox: note: no /proc of the sandbox's own here (no CAP_SYS_ADMIN over the "
                       "pid namespace): its /proc shows sydbox's entries\n");
  // Out of the sandbox's reach (docs/SECURITY.md): no ptrace-checked access
  // to this process without CAP_SYS_PTRACE, and nothing left in the
  // environment block /proc/PID/environ shows.
  prctl(PR_SET_DUMPABLE, 0);
  WipeEnvironment();

  // The supervisor's own settings, after the fork so the command keeps
  // the caller's: no umask (the caller's is applied per open), and as
  // many descriptors as allowed (one resolution holds a few per worker).
  umask(0);
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }

  kernel::ListenerFd listener(std::move(child->listener()));
  // Hand the CPU straight between the caller and the worker (Linux 6.6):
  // measured 16 -> 11 µs per notified stat and 1.13 -> 1.06 on the
  // googletest build; slightly slower with many threads notifying at once
  // (bench/RESULTS.md). SYDBOX_SYNC_WAKE_UP=0 turns it off; older kernels
  // refuse the ioctl and keep the default wake-up.
  if (const char* e = getenv("SYDBOX_SYNC_WAKE_UP"); !e || std::string_view(e) != "0") {
    uint64_t flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
    (void)ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags);
  }
  SharedPolicy shared(policy, kp, lo);
  ProcessTable procs(opts.lock ? policy::MagicLock::kOn : policy.magic_lock, eldest, !policy.restrict_namespaces);
  Reporter reporter(opts.log_fd, opts.log_format);
  std::atomic<bool> killall{false};

  HandlerEnv env;
  env.nfd = &listener;
  env.policy = &shared;
  env.procs = &procs;
  env.reporter = &reporter;
  env.dry_run = opts.dry_run;
  env.self = ReadSelfIdentity();
  env.stat_module = stat_module.get();
  env.ptrace_scoped = sreq.landlock;
  env.identity_changes_seen = kp.identity_changes_seen;
  env.kill_all = [&killall] {
    killall.store(true);
    KillDescendants();
  };
  // This thread reaps, so it is the one that traces (exec_trace.h).
  ExecTracer exec_tracer(env, kTraceSignal);
  env.exec_tracer = &exec_tracer;
  if (stat("/dev/null", &env.null_stat) != 0) {
    env.null_stat.st_mode = S_IFCHR | 0666;
    env.null_stat.st_rdev = makedev(1, 3);
  }

  // --dump: started before any notification can arrive (none can before
  // the workers run); its writer thread has the signal mask set above.
  std::unique_ptr<Dump> dump;
  if (dump_target) {
    events::DumpInit init;
    init.ts = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    init.pid = getpid();
    init.eldest = eldest;
    init.sydbox = opts.version;
    init.argv = argv;
    init.dry_run = opts.dry_run;
    dump = std::make_unique<Dump>(std::move(*dump_target), init);
    env.dump = dump.get();
  }

  struct sigaction sa{};
  sa.sa_handler = NoopHandler;  // no SA_RESTART: RECV returns EINTR
  sigaction(kWakeSignal, &sa, nullptr);
  // All workers are started before the command runs (below); a handler
  // about to block hands the receiving role to an idle one.
  // Blocking calls (blocking.h): threads ready at the start, and how many
  // may run at once when the sandbox blocks that many.
  constexpr unsigned kBlockingThreads = 32, kMaxBlockingThreads = 4096;
  const unsigned max_workers =
      opts.workers ? opts.workers : std::max(16u, 4 * std::thread::hardware_concurrency());
  WorkerPool pool(
      listener,
      [] {
        // Each worker has its own cwd and umask: UNIX socket calls are made
        // from an fchdir() to the socket's directory. A thread started by a
        // worker would copy that worker's umask (a caller's): back to 0.
        unshare(CLONE_FS);
        ResetThreadUmask();
        sigset_t wake;
        sigemptyset(&wake);
        sigaddset(&wake, kWakeSignal);
        pthread_sigmask(SIG_UNBLOCK, &wake, nullptr);
      },
      [&env, &listener, continue_all = opts.test_continue_all](const seccomp_notif& req) {
        if (continue_all) {
          // Test only (Options::test_continue_all): no check at all, so a
          // test sees what the kernel alone (Landlock) refuses.
          seccomp_notif_resp resp{};
          resp.id = req.id;
          resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
          (void)listener.Respond(resp);
          return;
        }
        // The latency percentiles from one notification in eight per
        // worker: the two clock reads cost as much as a policy check.
        thread_local unsigned nth = 0;
        env.stats.received.fetch_add(1, std::memory_order_relaxed);
        if (nth++ % 8 != 0) return HandleNotification(req, env);
        timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        HandleNotification(req, env);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        env.stats.Record(static_cast<uint64_t>((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000));
      },
      max_workers);
  // Calls that may block (blocking.h): interrupted with the same signal.
  // Their threads, like the workers, all start now; more simultaneous
  // blocking calls than threads wait their turn.
  // More threads start on demand, never with a pid that a checked call
  // named (pid_marks.h).
  PidMarks named_pids(PidMax());
  env.named_pids = &named_pids;
  BlockingCalls blocking(listener, kWakeSignal, [] { unshare(CLONE_FS); ResetThreadUmask(); }, kBlockingThreads, kMaxBlockingThreads,
                         [&named_pids](pid_t tid) { return named_pids.Marked(tid); });
  env.blocking = &blocking;
  env.hand_off = [&pool] { pool.HandOff(); };
  env.hand_off_if_queued = [&pool] { pool.HandOffIfQueued(); };
  // Every worker now, before the command runs: a thread started later would
  // take a new pid, which a call the sandbox had checked on that pid (as
  // not one of ours) could then reach (docs/SECURITY.md).
  pool.Start(max_workers - 1);
  if (control) control->Start(env, !magic_unlocked);

  // Let the command exec without waiting for it here: its exec may need
  // this thread (to be attached for the check after the exec).
  if (auto go = child->Go(); !go) fmt::print(stderr, "sydbox: {}\n", go.error().what);
  if (opts.started_fd >= 0) {
    // --background: the sandbox is set up and the command released.
    (void)!write(opts.started_fd, "S", 1);
    close(opts.started_fd);
  }

  int eldest_status = 0;
  bool eldest_done = false;
  const bool own_pid_namespace = (opts.setup.unshare & CLONE_NEWPID) != 0;
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&handled, &si);
    if (sig < 0) continue;
    if (sig == SIGCHLD) {
      bool no_children = false;
      for (;;) {
        int status;
        pid_t p = waitpid(-1, &status, WNOHANG | __WALL);
        if (p == 0) break;
        if (p < 0) {
          no_children = errno == ECHILD;
          break;
        }
        if (exec_tracer.OnStatus(p, status)) continue;  // a ptrace stop, not an exit
        if (p == eldest) {
          eldest_status = status;
          eldest_done = true;
          if (!shared.Load()->policy().exit_wait_all) KillDescendants();
        }
      }
      if (eldest_done && no_children) break;
    } else if (sig == kTraceSignal) {
      exec_tracer.Serve();
    } else if (sig == kModuleSignal && ModuleCrashed()) {
      // The crashed thread said which module and call (modules.cc); no
      // module code runs again: every sandboxed process goes, then sydbox.
      killall.store(true);
      KillDescendants();
      _exit(1);
    } else if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT) {
      // A signal from the terminal (SI_KERNEL) reached the whole foreground
      // process group already; forward only what was sent to sydbox itself.
      if (!eldest_done && own_pid_namespace) ForwardToPidOne(eldest, sig, si.si_code == SI_KERNEL);
      else if (!eldest_done && si.si_code != SI_KERNEL) kill(eldest, sig);
    } else if (sig == SIGUSR1) {
      // One line per sandboxed process, in the log format, on stderr.
      std::string lines;
      for (const events::ProcessInfo& p : SandboxProcesses(getpid(), procs))
        lines += opts.log_format == LogFormat::kJson ? events::Json(p) : events::Human(p);
      if (lines.empty()) lines = "sydbox: no sandboxed process is running\n";
      fmt::print(stderr, "{}", lines);
      fflush(stderr);
    } else if (sig == SIGUSR2) {
      events::Sydcore core;
      core.ts = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
      core.pid = getpid();
      core.eldest = eldest;
      core.sydbox = opts.version;
      core.argv = argv;
      core.config = DescribeConfig(shared.Load()->policy());
      core.processes = SandboxProcesses(getpid(), procs);
      core.counters = env.stats.Snapshot();
      core.counters.workers = pool.started();
      core.workers = {pool.started(), pool.idle(), max_workers, static_cast<unsigned>(blocking.threads())};
      core.dump = dump ? dump->shown() : "";
      core.dry_run = opts.dry_run;
      core.locked = opts.lock;
      auto path = WriteStateDump(events::Json(core), getpid());
      if (path) fmt::print(stderr, "sydbox: state dump: {}\n", *path);
      else fmt::print(stderr, "sydbox: state dump failed: {}\n", path.error().what);
      fflush(stderr);
    }
  }

  exec_tracer.Close();
  const int exec_err = child->ExecError();
  if (exec_err != 0) {
    // execve says EACCES for a directory; say what a shell says.
    struct stat st{};
    const bool dir = exec_err == EACCES && argv[0].find('/') != std::string::npos && stat(argv[0].c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    fmt::print(stderr, "sydbox: {}: {}\n", argv[0], dir ? "Is a directory" : std::strerror(exec_err));
  }
  pool.Stop(kWakeSignal);
  control.reset();  // stops serving, removes the socket file
  // Every caller is gone: their blocked calls are cancelled. One stuck
  // in the kernel beyond the grace period is left behind (below).
  const bool blocking_ended = blocking.Stop(std::chrono::seconds(2));
  env.stats.workers.store(pool.started());

  if (opts.dry_run) reporter.WriteDryRunSummary();
  if (opts.stats) {
    const events::Stats st = env.stats.Snapshot();
    fmt::print(stderr, "{}", opts.log_format == LogFormat::kJson ? events::Json(st) : events::Human(st));
    // After the counters (which stay the first line): what Landlock enforces
    // of read, write and exec, or why not.
    for (const std::string& note : landlock_paths.notes)
      if (!note.empty()) fmt::print(stderr, "sydbox: landlock: {}\n", note);
  }
  int code = StatusToCode(eldest_status);
  if (exec_err != 0) code = exec_err == ENOENT ? 127 : 126;
  const policy::Policy& final_policy = shared.Load()->policy();
  if (killall.load() && final_policy.exit_code != 0) code = final_policy.exit_code;
  if (exec_err == 0 && WIFSIGNALED(eldest_status) && WTERMSIG(eldest_status) == SIGSYS)
    SayWhatKillsWithSigsys(argv[0], eldest, final_policy);
  // Every worker has stopped: the dump is complete.
  if (dump) dump->Finish(code, exec_err == 0 && WIFSIGNALED(eldest_status) ? WTERMSIG(eldest_status) : 0);
  if (!blocking_ended) {
    // A blocking call that would not end may still run on a thread that
    // refers to this frame: leave without unwinding it.
    fflush(stdout);
    fflush(stderr);
    _exit(code);
  }
  return code;
}

}  // namespace syd::supervisor
