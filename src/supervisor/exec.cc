// execve and execveat: checked like any path call, and looked at for the
// exec controls of SPEC §2.8 and a pending exec lock (§3.2).
#include "supervisor/families.h"

namespace syd::supervisor {

Verdict HandleExec(Call& c, const Intent& in) {
  const policy::Policy& pol = c.policy();
  // An exec needs a look only for exec controls or a pending exec lock.
  const bool controls =
      !pol.exec_kill_if_match.empty() || !pol.exec_resume_if_match.empty() || c.env.procs->any_exec_lock();
  auto r = ResolveAndCheck(c, in, Need{controls, false});
  if (auto* v = std::get_if<Verdict>(&r)) return std::move(*v);
  if (!controls) return Verdict::Continue();
  const std::string& path = std::get<Checked>(r).args[0].seen;
  if (c.decider->ExecKill(path)) {
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
  if (c.decider->ExecResume(path)) c.env.procs->Update(c.Tgid(), [](ProcState& st) { st.resumed = true; });
  c.env.procs->OnExec(c.Tgid());
  return Verdict::Continue();
}

}  // namespace syd::supervisor
