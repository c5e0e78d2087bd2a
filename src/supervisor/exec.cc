// execve and execveat, decided twice (docs/SECURITY.md, "exec"):
//  - before the exec, in the notification: the path named is resolved and
//    checked like any path call, so a denied exec fails with EPERM and is
//    reported, and exec/kill_if_match kills on the path named; then, when
//    anything is to be decided on what runs, the calling thread is
//    attached (exec_trace.h) and the call continues;
//  - after the exec, before the new image runs one instruction
//    (PTRACE_EVENT_EXEC): the file actually executed — whatever the path
//    became, whichever symlink or descriptor the kernel followed — is
//    decided by the exec category, exec/kill_if_match, exec/verify and
//    exec/resume_if_match; a denied one is killed there.
// The kernel reads the path again after the first check, so the first
// check alone cannot be trusted; the second is what makes it safe to let
// the kernel perform the call.
#include <fcntl.h>
#include <sys/stat.h>

#include "policy/suggest.h"
#include "supervisor/exec_trace.h"
#include "supervisor/families.h"
#include "util/sha256.h"

namespace syd::supervisor {
namespace {

using policy::Category;
using policy::Mode;

// What runs must be decided after the exec: the exec category is decided
// in user space, or an exec control applies to the file executed.
bool CheckAfterExec(const policy::Policy& pol) {
  const Mode m = pol.mode(Category::kExec);
  return m == Mode::kAllow || m == Mode::kDeny || !pol.exec_kill_if_match.empty() ||
         !pol.exec_resume_if_match.empty() || !pol.exec_verify.empty();
}

// The identity of the file found at the checked path, for the check
// after the exec.
void IdentityOf(const Checked& ch, ExecArm* arm) {
  const Resolved& r = ch.args[0].resolved;
  if (!r.exists || r.magic_link || !r.handle || !r.handle->valid()) return;
  struct stat st;
  if (fstat(r.handle->get(), &st) != 0) return;
  arm->have_id = true;
  arm->dev = st.st_dev;
  arm->ino = st.st_ino;
}

// Whether execve names an existing executable file, as the caller sees it
// (an execvp-style search tries names that do not exist first: those are
// not programs executed). execveat counts always.
bool NamesAnExecutable(Call& c) {
  if (c.nr() != __NR_execve) return true;
  auto path = c.tracee.ReadString(c.arg(0), PATH_MAX);
  if (!path || path->empty()) return false;
  const std::string full = fmt::format("/proc/{}/{}{}", c.tid(), (*path)[0] == '/' ? "root" : "cwd/", *path);
  struct stat st;
  return stat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

// An exec let through: the process table's exec locks, and the eldest's
// programs (magic_stat:initonly).
void NoteExec(Call& c) {
  if (c.Tgid() == c.env.procs->eldest() && NamesAnExecutable(c)) c.env.procs->OnEldestExec();
  c.env.procs->OnExec(c.Tgid());
}

}  // namespace

Verdict HandleExec(Call& c, const Intent& in) {
  const policy::Policy& pol = c.policy();
  const bool after = c.env.exec_tracer && CheckAfterExec(pol);
  const bool lock = c.env.procs->any_exec_lock();
  const bool kill_named = !pol.exec_kill_if_match.empty();
  // Resolved only if something looks at the path: the category (done by
  // ResolveAndCheck), the check after the exec, an exec control or a
  // pending exec lock.
  const bool look = after || kill_named || !pol.exec_resume_if_match.empty() || lock;
  auto r = ResolveAndCheck(c, in, Need{.always = look, .handle = after});
  if (auto* v = std::get_if<Verdict>(&r)) {
    // With Need.always a verdict here is a refusal or the caller gone,
    // never CONTINUE; were it one, the check after the exec still stands.
    if (v->kind() != Verdict::Kind::kContinue || !after) {
      if (v->kind() == Verdict::Kind::kContinue) NoteExec(c);
      return std::move(*v);
    }
  }
  if (!look) {
    NoteExec(c);
    return Verdict::Continue();
  }
  const Checked* ch = std::get_if<Checked>(&r);
  static const std::string kUnresolved;
  const std::string& path = ch ? ch->args[0].seen() : kUnresolved;
  if (ch && kill_named && c.decider->ExecKill(path)) {
    Violation rep = MakeViolation(c, "exec", path, false, c.env.dry_run ? "cont" : "kill", 0, "exec/kill_if_match");
    if (c.env.dry_run) {
      rep.would = "kill";
      rep.allow = "exec/kill_if_match-PATTERN (the entry matching this path)";
    }
    c.MayBlock();
    c.env.reporter->Report(rep);
    if (!c.env.dry_run) {
      KillProcess(c);
      return Verdict::Error(EPERM);
    }
  }
  if (after) {
    ExecArm arm;
    arm.nr = c.nr();
    if (ch) {
      arm.decided = ch->checked || c.rule_allowed;
      IdentityOf(*ch, &arm);
    }
    // The tracer (the main thread) may be busy deciding another exec.
    c.MayBlock();
    // Attached only while the notification is valid: then the tid is the
    // caller's (its thread cannot exit while it waits here).
    if (!c.tracee.Recheck()) return Verdict::None();
    if (int e = c.env.exec_tracer->Arm(c.tid(), arm)) {
      // Not attached, so it could not be checked after the exec: refused.
      // (PTRACE_SEIZE fails if something else traces the caller, or if the
      // caller is not dumpable and sydbox has no CAP_SYS_PTRACE.)
      Report(c, "exec", path, false, "deny", EPERM, fmt::format("exec:cannot-trace:{}", ErrnoName(e)));
      return Verdict::Error(EPERM);
    }
    if (!c.tracee.Recheck()) {
      // Gone meanwhile: its tid may name another task by now.
      c.env.exec_tracer->Disarm(c.tid());
      return Verdict::None();
    }
  } else if (ch && c.decider->ExecResume(path)) {
    if (!c.env.procs->UpdateCaller(c.tracee, [](ProcState& st) { st.resumed = true; })) return Verdict::None();
  }
  NoteExec(c);
  return Verdict::Continue();
}

bool CheckExecuted(HandlerEnv& env, pid_t pid, const ExecArm& arm) {
  std::shared_ptr<const policy::Decider> decider = env.policy->Load();
  const policy::Policy& pol = decider->policy();
  Violation rep;
  rep.pid = pid;
  rep.tgid = pid;
  rep.syscall = arm.nr == __NR_execveat ? "execveat" : "execve";
  rep.category = "exec";
  // Reports one refusal; under --dry-run, as what would have been done,
  // and lets it run.
  auto refuse = [&](const std::string& what, const char* action, std::string rule, bool report,
                    std::optional<std::string> allow = std::nullopt) {
    if (!env.dry_run) env.stats.denied.fetch_add(1, std::memory_order_relaxed);
    if (report) {
      rep.path = what;
      rep.action = env.dry_run ? "cont" : action;
      if (env.dry_run) {
        rep.would = action;
        rep.allow = allow.value_or("");
      }
      rep.rule = std::move(rule);
      env.reporter->Report(rep);
    }
    return env.dry_run;
  };

  // The file the kernel mapped, through the magic link: its path and its
  // contents are those of the very file that runs, not of a path looked
  // up again.
  const std::string link = fmt::format("/proc/{}/exe", pid);
  UniqueFd exe(open(link.c_str(), O_PATH | O_CLOEXEC));
  if (!exe.valid()) return refuse(link, "kill", fmt::format("exec:unreadable:{}", ErrnoName(errno)), true);
  const std::string self = fmt::format("/proc/self/fd/{}", exe.get());
  auto path = kernel::ReadLink(AT_FDCWD, self);
  struct stat st;
  if (!path || fstat(exe.get(), &st) != 0) return refuse(link, "kill", "exec:unreadable", true);

  // The exec category, unless the file is the one decided before the exec.
  const Mode mode = pol.mode(Category::kExec);
  const bool same = arm.decided && arm.have_id && st.st_dev == arm.dev && st.st_ino == arm.ino;
  if ((mode == Mode::kAllow || mode == Mode::kDeny) && !same) {
    policy::PathVerdict v = decider->CheckPath(Category::kExec, *path, pid);
    if (!v.allow) {
      std::string rule = v.rule ? v.rule->ToString() : policy::DefaultRuleName(Category::kExec);
      switch (pol.decision) {
        case policy::Decision::kCont:
          if (!v.filtered) {
            rep.path = *path;
            rep.action = "cont";
            rep.rule = rule;
            env.reporter->Report(rep);
          }
          break;
        case policy::Decision::kKillAll:
          if (refuse(*path, "killall", rule, !v.filtered, policy::AllowingCommand(Category::kExec, *path, v.rule)))
            break;
          if (env.kill_all) env.kill_all();
          return false;
        case policy::Decision::kDeny:  // too late for an errno: the old image is gone
        case policy::Decision::kKill:
          if (refuse(*path, "kill", rule, !v.filtered, policy::AllowingCommand(Category::kExec, *path, v.rule)))
            break;
          return false;
      }
    }
  }
  if (decider->ExecKill(*path) &&
      !refuse(*path, "kill", "exec/kill_if_match", true, "exec/kill_if_match-PATTERN (the entry matching this path)"))
    return false;

  // exec/verify: every entry whose pattern matches names an accepted
  // digest; the file must have one of them. The digest is of the contents
  // read through the descriptor of the file executed.
  const policy::ExecVerify* first = nullptr;
  std::optional<std::string> digest;
  for (const policy::ExecVerify& ev : pol.exec_verify) {
    if (!ev.pattern.Matches(*path, pol.match)) continue;
    if (!first) first = &ev;
    if (!digest) {
      UniqueFd rd(open(self.c_str(), O_RDONLY | O_CLOEXEC));
      auto h = rd.valid() ? Sha256HexOfFd(rd.get()) : Result<std::string>(Fail(errno, "open"));
      digest = h ? *h : std::string();
    }
    if (*digest == ev.sha256_hex) {
      first = nullptr;
      break;
    }
  }
  if (first && !refuse(*path, "kill", fmt::format("exec/verify:{}", first->origin.ToString()), true)) return false;

  if (decider->ExecResume(*path)) env.procs->Update(pid, [](ProcState& s) { s.resumed = true; });
  return true;
}

}  // namespace syd::supervisor
