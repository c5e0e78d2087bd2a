#include "cli/setup_options.h"

#include <grp.h>
#include <pwd.h>

#include "util/strings.h"

namespace syd::cli {
namespace {

Result<uid_t> UserId(const std::string& s) {
  if (auto n = ParseInt(s); n && *n >= 0 && *n < 0xffffffffLL) return static_cast<uid_t>(*n);
  if (const passwd* pw = getpwnam(s.c_str())) return pw->pw_uid;
  return Failf("--uid '{}': no such user (give a name or a number)", s);
}

Result<gid_t> GroupId(const std::string& what, const std::string& s) {
  if (auto n = ParseInt(s); n && *n >= 0 && *n < 0xffffffffLL) return static_cast<gid_t>(*n);
  if (const group* gr = getgrnam(s.c_str())) return gr->gr_gid;
  return Failf("{} '{}': no such group (give a name or a number)", what, s);
}

}  // namespace

void AddSetupOptions(CLI::App& app, SetupArgs& a) {
  const char* g = "Process setup (before the command starts)";
  app.add_option("-C,--chroot", a.chroot, "Change the command's root directory to DIR")->group(g);
  app.add_option("-R,--pivot-root", a.pivot_root,
                 "NEW:OLD: make NEW the command's root (in a mount namespace of its own), the old root at OLD "
                 "inside it")
      ->group(g);
  app.add_option("-D,--chdir", a.chdir,
                 "Start the command in DIR (inside the new root); tmp: a fresh private directory, writable "
                 "under write sandboxing, removed afterwards")
      ->group(g);
  app.add_option("-E,--env", a.env, "Set VAR=VAL, or unset VAR, in the command's environment; repeatable")
      ->take_all()
      ->allow_extra_args(false)
      ->group(g);
  app.add_option("-u,--uid", a.uid, "Run the command as this user (name or number); drops every capability")
      ->group(g);
  app.add_option("-g,--gid", a.gid, "Run the command with this group (name or number)")->group(g);
  app.add_option("-G,--add-gid", a.add_gids, "Supplementary group of the command (name or number); repeatable")
      ->take_all()
      ->allow_extra_args(false)
      ->group(g);
  app.add_option("--umask", a.umask, "The command's umask (octal)")->group(g);
  app.add_option_function<int>(
         "--nice", [&a](const int& n) { a.nice = n, a.has_nice = true; }, "The command's nice value (-20..19)")
      ->group(g);
  app.add_option("--ionice", a.ionice, "The command's I/O class and priority: realtime|best-effort|idle[:0-7]")
      ->group(g);
  for (const char* ns : {"user", "mount", "pid", "net", "uts", "ipc", "cgroup", "time"}) {
    const std::string name = ns;
    app.add_flag_callback(
           "--unshare-" + name, [&a, name] { a.unshare.push_back(name); },
           "Run the command in a new " + name + " namespace")
        ->group(g);
  }
  app.add_option("--close-fds", a.close_fds, "Close descriptors A:B (A: to the last) before the command starts")
      ->take_all()
      ->allow_extra_args(false)
      ->group(g);
  app.add_option("--stdout", a.stdout_file, "The command's standard output goes to FILE (created or truncated)")
      ->group(g);
  app.add_option("--stderr", a.stderr_file, "The command's standard error goes to FILE (created or truncated)")
      ->group(g);
  app.add_option("--alias", a.alias, "The command's argv[0]")->group(g);
  app.add_flag("--background", a.background,
               "Return (status 0) once the command has started; sydbox supervises it in the background")
      ->group(g);
  app.add_flag("--allow-daemonize", a.allow_daemonize,
               "The command survives sydbox (no parent-death SIGKILL, the default)")
      ->group(g);
}

Result<spawn::ProcessSetup> BuildSetup(const SetupArgs& a) {
  spawn::ProcessSetup s;
  s.chroot = a.chroot;
  if (!a.pivot_root.empty()) {
    SYD_TRY(pr, spawn::ParsePivotRoot(a.pivot_root));
    s.pivot_new = pr.first;
    s.pivot_old = pr.second;
  }
  s.allow_daemonize = a.allow_daemonize;
  s.chdir = a.chdir;
  for (const std::string& e : a.env) {
    SYD_TRY(kv, spawn::ParseEnv(e));
    s.env.push_back(std::move(kv));
  }
  if (!a.uid.empty()) {
    SYD_TRY(u, UserId(a.uid));
    s.uid = u;
  }
  if (!a.gid.empty()) {
    SYD_TRY(gr, GroupId("--gid", a.gid));
    s.gid = gr;
  }
  for (const std::string& x : a.add_gids) {
    SYD_TRY(gr, GroupId("--add-gid", x));
    s.add_gids.push_back(gr);
  }
  if (!a.umask.empty()) {
    SYD_TRY(m, spawn::ParseUmask(a.umask));
    s.umask = m;
  }
  if (a.has_nice) {
    if (a.nice < -20 || a.nice > 19) return Failf("--nice {}: want -20 to 19", a.nice);
    s.nice = a.nice;
  }
  if (!a.ionice.empty()) {
    SYD_TRY(io, spawn::ParseIonice(a.ionice));
    s.ionice = io;
  }
  for (const std::string& ns : a.unshare) {
    SYD_TRY(flag, spawn::UnshareFlag(ns));
    s.unshare |= flag;
  }
  for (const std::string& r : a.close_fds) {
    SYD_TRY(range, spawn::ParseFdRange(r));
    s.close_fds.push_back(range);
  }
  s.stdout_file = a.stdout_file;
  s.stderr_file = a.stderr_file;
  s.alias = a.alias;
  return s;
}

std::vector<std::string> SetupArgv(const SetupArgs& a) {
  std::vector<std::string> out;
  auto opt = [&out](const char* name, const std::string& v) {
    if (!v.empty()) out.push_back(std::string(name) + "=" + v);
  };
  opt("--chroot", a.chroot);
  opt("--chdir", a.chdir);
  for (const std::string& e : a.env) out.push_back("--env=" + e);
  opt("--uid", a.uid);
  opt("--gid", a.gid);
  for (const std::string& g : a.add_gids) out.push_back("--add-gid=" + g);
  opt("--umask", a.umask);
  if (a.has_nice) out.push_back("--nice=" + std::to_string(a.nice));
  opt("--ionice", a.ionice);
  for (const std::string& ns : a.unshare) out.push_back("--unshare-" + ns);
  for (const std::string& r : a.close_fds) out.push_back("--close-fds=" + r);
  opt("--stdout", a.stdout_file);
  opt("--stderr", a.stderr_file);
  opt("--alias", a.alias);
  return out;
}

}  // namespace syd::cli
