// sydbox: the command line (SPEC §1.1). The only place exceptions are
// caught (CLI11 reports usage errors by throwing). Exit codes: COMMAND's,
// 2 for any configuration or usage error (nothing runs), 127/126 when the
// command cannot be executed.
#include <fcntl.h>
#include <linux/audit.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "bpf/compile.h"
#include "cli/config_loader.h"
#include "cli/probe_report.h"
#include "cli/private_tmp.h"
#include "cli/setup_options.h"
#include "kernel/probe.h"
#include "pandora/control_client.h"
#include "cli/profiles.h"
#include "policy/pattern_set.h"
#include "policy/syscall_table.h"
#include "supervisor/modules.h"
#include "supervisor/supervisor.h"
#include "util/strings.h"

#ifndef SYD_VERSION
#define SYD_VERSION "0"
#endif

namespace syd::cli {
namespace {

constexpr int kExitConfig = 2;

bool NothingChecked(const policy::Policy& p) {
  for (policy::Mode m : p.modes)
    if (m != policy::Mode::kOff) return false;
  return p.sys_rules.empty() && p.syscall_allowlist.empty() && p.syscall_denylist.empty() &&
         p.exec_kill_if_match.empty() && p.exec_resume_if_match.empty() && p.exec_verify.empty();
}

// CLI11 2.1 derives the usage line from the declared options, which
// cannot say "COMMAND [ARG...]" or "PATH..."; each app states its own.
class UsageFormatter : public CLI::Formatter {
 public:
  explicit UsageFormatter(std::string usage) : usage_(std::move(usage)) {}
  std::string make_usage(const CLI::App*, std::string) const override { return "\nUsage: " + usage_ + "\n"; }

 private:
  std::string usage_;
};

void SetUsage(CLI::App& app, std::string usage) { app.formatter(std::make_shared<UsageFormatter>(std::move(usage))); }

// "unknown option '--lok' (did you mean '--lock'? see sydbox --help)".
std::string UnknownOption(const CLI::App& app, const std::string& word) {
  std::vector<std::string> names;
  for (const CLI::Option* o : app.get_options()) {
    for (const std::string& n : o->get_lnames()) names.push_back("--" + n);
    for (const std::string& n : o->get_snames()) names.push_back("-" + n);
  }
  const std::string flag = word.substr(0, word.find('='));
  auto c = Closest(flag, names);
  return fmt::format("unknown option '{}' ({}see {} --help)", word, c ? "did you mean '" + *c + "'? " : "",
                     app.get_name());
}

// The words after a subcommand's options, as given. (CLI11 would read a
// word written [a,b] as a list; patterns are written like that.) An
// unknown option among them is an error.
Result<std::vector<std::string>> Words(CLI::App& app, std::string_view what) {
  app.allow_extras();
  std::vector<std::string> words;
  for (const std::string& w : app.remaining()) {
    if (w.size() > 1 && w[0] == '-' && w != "--") return Failf("{}", UnknownOption(app, w));
    if (w != "--") words.push_back(w);
  }
  if (words.empty() && !what.empty()) return Failf("give at least one {}", what);
  return words;
}

void PrintWarnings(const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) fmt::print(stderr, "sydbox: warning: {}\n", w);
}

// sydbox match [--explain] [--no-case] [--prefix] PATTERN PATH...
int MatchMain(int argc, char** argv) {
  CLI::App app{"Check whether paths match a sydbox pattern", "sydbox match"};
  SetUsage(app, "sydbox match [OPTIONS] PATTERN PATH...");
  std::string pattern;
  std::vector<std::string> paths;
  bool explain = false, no_case = false, prefix = false;
  app.add_flag("--explain", explain, "Say for each path why it matches or not");
  app.add_flag("--no-case", no_case, "Match case-insensitively (core/match/case_sensitive:false)");
  app.add_flag("--prefix", prefix, "A pattern without wildcards also matches below it (core/match/no_wildcard:prefix)");
  app.add_option("PATTERN", pattern, "rsync-style wildmatch pattern")->required();
  app.footer("PATH...: the paths to test (one or more)");
  app.allow_extras();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitConfig;
  }
  auto words = Words(app, "PATH");
  if (!words) {
    fmt::print(stderr, "sydbox match: {}\n", words.error().what);
    return kExitConfig;
  }
  paths = std::move(*words);
  auto pat = policy::Pattern::Compile(pattern);
  if (!pat) {
    fmt::print(stderr, "sydbox match: {}\n", pat.error().what);
    return kExitConfig;
  }
  policy::MatchOptions opts;
  opts.fold = no_case ? policy::CaseFold::kInsensitive : policy::CaseFold::kSensitive;
  opts.no_wildcard = prefix ? policy::NoWildcard::kPrefix : policy::NoWildcard::kLiteral;
  bool all = true;
  for (const auto& p : paths) {
    bool m = pat->Matches(p, opts);
    all = all && m;
    if (explain) {
      std::string why;
      if (m && pattern.size() >= 4 && pattern.substr(pattern.size() - 4) == "/***")
        why = " (a trailing /*** matches the directory itself and everything below it)";
      else if (m && !policy::HasWildcard(pattern) && prefix)
        why = " (no wildcard: with --prefix it matches itself and everything below)";
      else if (pattern.find("**") == std::string::npos && p.find('/') != std::string::npos && !m)
        why = " ('*' and '?' never match '/'; use '**' to cross directories)";
      fmt::print("{}: {} '{}'{}\n", p, m ? "matches" : "does not match", pattern, why);
    }
  }
  return all ? 0 : 1;
}

// sydbox check CONFIG...
int CheckMain(int argc, char** argv) {
  CLI::App app{"Parse and validate sydbox configuration files", "sydbox check"};
  SetUsage(app, "sydbox check CONFIG...");
  std::vector<std::string> files;
  app.footer("CONFIG...: config files or @PROFILE names (one or more)");
  app.allow_extras();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitConfig;
  }
  auto words = Words(app, "CONFIG");
  if (!words) {
    fmt::print(stderr, "sydbox check: {}\n", words.error().what);
    return kExitConfig;
  }
  files = std::move(*words);
  int rc = 0;
  for (const auto& f : files) {
    auto cmds = LoadPathspec(f);
    if (!cmds) {
      fmt::print(stderr, "sydbox check: {}\n", cmds.error().what);
      rc = kExitConfig;
      continue;
    }
    // Report every bad line, not only the first: apply line by line.
    policy::Policy p;
    policy::ApplyEnv env;
    env.services = SystemServices();
    std::vector<std::string> warnings, mistakes;
    env.warnings = &warnings;
    env.mistakes = &mistakes;
    bool ok = true;
    for (const auto& c : *cmds) {
      auto st = policy::Apply(p, c, env);
      if (!st) {
        fmt::print(stderr, "sydbox check: {}\n", policy::FormatError(c.origin, st.error()));
        ok = false;
      }
    }
    // Modules are loaded (and their init run on the options) as a run would.
    if (ok) {
      if (auto st = supervisor::LoadModules(p); !st) {
        fmt::print(stderr, "sydbox check: {}\n", st.error().what);
        ok = false;
      }
    }
    // Valid but almost certainly wrong: a failure here, a warning at run time.
    for (const auto& m : mistakes) fmt::print(stderr, "sydbox check: {}\n", m);
    if (!mistakes.empty()) ok = false;
    for (const auto& e : LandlockModeErrors(p)) {
      fmt::print(stderr, "sydbox check: {}: {}\n", f, e);
      ok = false;
    }
    for (const auto& w : OverlapWarnings(p)) fmt::print(stderr, "sydbox check: {}: warning: {}\n", f, w);
    for (const auto& w : warnings) fmt::print(stderr, "sydbox check: {}: warning: {}\n", f, w);
    if (!ok) rc = kExitConfig;
    else fmt::print("{}: ok ({} command{})\n", f, cmds->size(), cmds->size() == 1 ? "" : "s");
  }
  return rc;
}

// sydbox syscall NAME|NUMBER|SET...: one "NUMBER NAME" line per member.
int SyscallMain(int argc, char** argv) {
  CLI::App app{"Resolve system call names, numbers and sets (%class, /regex, !item, ?item)", "sydbox syscall"};
  SetUsage(app, "sydbox syscall SET...");
  std::vector<std::string> sets;
  bool classes = false;
  app.add_flag("--classes", classes, "List the class names a set may use");
  app.footer("SET...: names, numbers and sets, e.g. openat, 257, %file, /^open.*, %net,!bind");
  app.allow_extras();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitConfig;
  }
  auto words = Words(app, "");
  if (!words) {
    fmt::print(stderr, "sydbox syscall: {}\n", words.error().what);
    return kExitConfig;
  }
  sets = std::move(*words);
  if (classes) {
    for (const auto& c : policy::SyscallClasses()) fmt::print("{}\n", c);
    return 0;
  }
  if (sets.empty()) {
    fmt::print(stderr, "sydbox syscall: give a name, number or set\n");
    return kExitConfig;
  }
  int rc = 0;
  for (const auto& text : sets) {
    auto set = policy::ResolveSyscallSet(text);
    if (!set) {
      fmt::print(stderr, "sydbox syscall: {}:{}: {}\n", text, set.error().column, set.error().what);
      rc = kExitConfig;
      continue;
    }
    for (int nr : *set) {
      std::string_view name = policy::SyscallName(nr);
      fmt::print("{} {}\n", nr, name.empty() ? "?" : name);
    }
  }
  return rc;
}

// sydbox --print-profile NAME: the text of a bundled profile as built into
// sydbox (what -p NAME loads unless $SYDBOX_PROFILE_DIR holds one), so it
// can be read, copied and changed.
int PrintProfile(std::string name) {
  if (!name.empty() && name[0] == '@') name.erase(0, 1);
  std::vector<std::string> names;
  std::string known;
  for (const EmbeddedProfile& p : EmbeddedProfiles()) {
    if (p.name == name) {
      fwrite(p.text.data(), 1, p.text.size(), stdout);
      return fflush(stdout) == 0 ? 0 : 1;
    }
    names.emplace_back(p.name);
    known += " " + std::string(p.name);
  }
  fmt::print(stderr, "sydbox: no bundled profile named '{}'{} (bundled:{})\n", name, DidYouMean(name, names), known);
  return kExitConfig;
}

std::string VersionText() {
  return fmt::format(
      "sydbox {}\nbuild: C++20, libseccomp, seccomp user notification with ADDFD\n"
      "enforced: path sandboxing (read, write, exec, stat), network sandboxing, magic stat, exec controls\n"
      "  (kill_if_match, resume_if_match, verify: decided again on the file executed), process setup,\n"
      "  the sandbox's reach (supervisor, outside signals, terminal, namespaces, mounts; Landlock domain)\n"
      "sys/ rules compiled to seccomp-bpf; allowlist/denylist syscall; core/restrict/{{general,\n"
      "  identity_change,io_control,memory_map,shared_memory_writable}} in seccomp-bpf (and PR_SET_MDWE)\n"
      "bundled profiles: @paludis @user @noipv6\n",
      SYD_VERSION);
}

// sydbox ctl PATH [CMD...]: sends each CMD (or each line of stdin) to the
// control socket of a running sydbox and prints each reply line. Exit 0
// when every reply is OK or TRUE, 1 after a FALSE, or at the first ERR
// (nothing after it is sent), 2 when the socket cannot be used.
int CtlMain(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help") {
    fmt::print(args.empty() ? stderr : stdout,
               "Usage: sydbox ctl PATH [CMD...]\n"
               "Sends magic commands to the control socket of a sydbox started with --ipc PATH, one per\n"
               "argument (or one per line of stdin when none is given), and prints each reply: OK, TRUE,\n"
               "FALSE or ERR ERRNO message. Exit status: 0 every reply OK or TRUE, 1 a FALSE or an ERR\n"
               "(commands after an ERR are not sent), 2 the socket cannot be used.\n");
    return args.empty() ? kExitConfig : 0;
  }
  auto client = pandora::ControlClient::Connect(args[0]);
  if (!client) {
    fmt::print(stderr, "sydbox ctl: {}\n", client.error().what);
    return kExitConfig;
  }
  std::vector<std::string> cmds(args.begin() + 1, args.end());
  const bool from_stdin = cmds.empty();
  int code = 0;
  std::string line;
  for (size_t i = 0;; ++i) {
    if (from_stdin) {
      if (!std::getline(std::cin, line)) break;
    } else {
      if (i >= cmds.size()) break;
      line = cmds[i];
    }
    auto reply = client->Ask(line);
    if (!reply) {
      fmt::print(stderr, "sydbox ctl: {}\n", reply.error().what);
      return kExitConfig;
    }
    fmt::print("{}\n", *reply);
    std::fflush(stdout);
    switch (pandora::ClassifyReply(*reply)) {
      case pandora::Reply::kOk:
      case pandora::Reply::kTrue: break;
      case pandora::Reply::kFalse: code = 1; break;
      case pandora::Reply::kErr: return 1;
      case pandora::Reply::kUnknown:
        fmt::print(stderr, "sydbox ctl: unexpected reply '{}'\n", *reply);
        return kExitConfig;
    }
  }
  return code;
}

int SydboxMain(int argc, char** argv) {
  CLI::App app{"sydbox: run a command under seccomp path sandboxing", "sydbox"};
  SetUsage(app, "sydbox [OPTIONS] [--] COMMAND [ARG...]\n       sydbox match|check|syscall|ctl ...");
  app.set_version_flag("-V,--version", VersionText());
  std::vector<std::string> configs, magics, profiles;
  bool lock = false, dry_run = false;
  std::string export_spec, dump_spec, log_format, log_file;
  int log_fd = -1;
  // Each takes exactly one value per occurrence: the first word after
  // them that is not an option starts COMMAND (sydbox -m X touch f runs
  // touch f), as sydbox-1 and sydbox-2 did.
  CLI::Option* config_opt =
      app.add_option("-c,--config", configs, "Load a config file (@NAME: bundled profile); repeatable")
          ->take_all()
          ->allow_extra_args(false);
  app.add_option("-m,--magic", magics, "Apply a magic command; repeatable")->take_all()->allow_extra_args(false);
  CLI::Option* profile_opt =
      app.add_option("-p,--profile", profiles, "Same as -c @NAME")->take_all()->allow_extra_args(false);
  app.add_flag("-l,--lock", lock, "Lock runtime configuration once the sandbox starts");
  app.add_flag("--dry-run", dry_run,
               "Learning mode: allow everything, report what would be denied and the magic command that would "
               "allow it, and summarise at exit");
  bool stats = false;
  app.add_flag("--stats", stats, "At exit, counters on stderr (notifications, answers, latency p50/p99) in the log format");
  app.add_option("-e,--export", export_spec, "Write the seccomp program: bpf|pfc[:FILE]");
  app.add_option("-d,--dump", dump_spec,
                 "Write every intercepted call as JSON lines to fd:N, PATH (created 0600) or tmp (a new file in "
                 "$TMPDIR, named on stderr)");
  app.add_option("--log-format", log_format, "json or human")->check(CLI::IsMember({"json", "human"}));
  app.add_option("--log-fd", log_fd, "Write violation reports to this descriptor");
  app.add_option("--log-file", log_file, "Append violation reports to this file");
  std::string ipc_path;
  app.add_option("--ipc", ipc_path,
                 "Listen on this UNIX socket for magic commands, one per line (sydbox ctl PATH CMD...)");
  std::string landlock = "best-effort";
  app.add_option("--landlock", landlock,
                 "Landlock for the sandbox's domain and as a backstop under read/write/exec deny mode: off, "
                 "best-effort (default) or require (ABI 6; a backstop the policy allows must be installed)")
      ->check(CLI::IsMember({"off", "best-effort", "require"}));
  // Tests only, hidden (docs/REFERENCE.md "Test-only options"): answer every
  // notification CONTINUE unchecked, to show what the kernel alone refuses.
  bool test_continue_all = false;
  app.add_flag("--test-continue-all", test_continue_all, "")->group("");
  std::string print_profile;
  app.add_option("--print-profile", print_profile,
                 "Print the text of a bundled profile (NAME or @NAME, as built in) and exit");
  bool test = false;
  app.add_flag("-t,--test", test,
               "Check the kernel features sydbox uses, one line each (ok or missing, required or optional); "
               "exit 1 if a required one is missing");
  SetupArgs setup_args;
  AddSetupOptions(app, setup_args);
  std::vector<std::string> command;
  // Everything from the first non-option (or after "--") is COMMAND.
  app.prefix_command();
  app.footer(
      "Helper subcommands: sydbox match PATTERN PATH..., sydbox check CONFIG..., sydbox syscall SET...\n"
      "Exit status: COMMAND's (128+N for signal N), 2 for a bad configuration, 127 if COMMAND is missing.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitConfig;
  }
  if (test) {
    // Before anything else: the probes fork, and need no configuration.
    ProbeReport report = FormatProbeReport(kernel::ProbeKernel());
    fmt::print("{}", report.out);
    fmt::print(stderr, "{}", report.err);
    return report.exit_code;
  }
  if (app.count("--print-profile")) return PrintProfile(print_profile);
  for (const auto& r : app.remaining()) command.push_back(r);
  if (!command.empty() && command[0] == "--") {
    command.erase(command.begin());
  } else if (!command.empty() && command[0].size() > 1 && command[0][0] == '-') {
    // CLI11 passes unknown options through with COMMAND; before "--" they are errors.
    fmt::print(stderr, "sydbox: {}\n", UnknownOption(app, command[0]));
    return kExitConfig;
  }

  // -D tmp: the directory exists before the configuration is read, and is
  // added to the write allowlist after it (below).
  PrivateTmp private_tmp;
  if (ChdirIsTmp(setup_args) && !command.empty() && !(command.size() == 1 && command[0] == "noexec")) {
    if (!setup_args.chroot.empty() || !setup_args.pivot_root.empty()) {
      fmt::print(stderr, "sydbox: -D tmp cannot be used with --chroot or --pivot-root (the directory is made "
                         "outside the new root): give a directory inside it\n");
      return kExitConfig;
    }
    if (auto made = private_tmp.Create(); !made) {
      fmt::print(stderr, "sydbox: {}\n", made.error().what);
      return kExitConfig;
    }
    setup_args.chdir = private_tmp.path();
  }

  // Configuration, in the documented order: SYDBOX_CONFIG, -c/-p, -m.
  std::vector<lang::Command> cmds;
  std::vector<std::string> specs;
  if (const char* env = getenv("SYDBOX_CONFIG"); env && *env) specs.emplace_back(env);
  // -c and -p in the order given (a later file's entries come after).
  size_t next_config = 0, next_profile = 0;
  for (const CLI::Option* o : app.parse_order()) {
    if (o == config_opt && next_config < configs.size()) specs.push_back(configs[next_config++]);
    if (o == profile_opt && next_profile < profiles.size()) {
      const std::string& p = profiles[next_profile++];
      specs.push_back(StartsWith(p, "@") ? p : "@" + p);
    }
  }
  for (const auto& s : specs) {
    auto loaded = LoadPathspec(s);
    if (!loaded) {
      fmt::print(stderr, "sydbox: {}\n", loaded.error().what);
      return kExitConfig;
    }
    cmds.insert(cmds.end(), loaded->begin(), loaded->end());
  }
  for (size_t i = 0; i < magics.size(); ++i) {
    lang::Origin origin{"-m", static_cast<uint32_t>(i + 1)};
    auto c = lang::ParseCommand(magics[i], origin);
    if (!c) {
      fmt::print(stderr, "sydbox: {}: {}\n", origin.ToString(), c.error().what);
      return kExitConfig;
    }
    cmds.push_back(std::move(*c));
  }
  std::vector<std::string> warnings;
  auto policy = BuildPolicy(cmds, &warnings);
  if (!policy) {
    fmt::print(stderr, "sydbox: {}\n", policy.error().what);
    return kExitConfig;
  }
  if (!private_tmp.path().empty()) {
    // Whatever the write mode (it may be switched on at run time), with
    // no warning of an entry nobody wrote.
    auto entry = lang::ParseCommand("allowlist/write+" + private_tmp.path() + "/***", {"-D tmp", 1});
    auto with = entry ? policy::ApplyAll(*policy, {*entry}, policy::ApplyEnv{})
                      : Result<policy::Policy>(Unexpected<Error>(entry.error()));
    if (!with) {
      fmt::print(stderr, "sydbox: -D tmp: {}\n", with.error().what);
      return kExitConfig;
    }
    policy = std::move(with);
  }
  // load= rules: each module is loaded and initialised now, before anything
  // runs; one that cannot be is a configuration error.
  if (auto st = supervisor::LoadModules(*policy); !st) {
    fmt::print(stderr, "sydbox: {}\n", st.error().what);
    return kExitConfig;
  }
  const bool export_only = command.empty() || (command.size() == 1 && command[0] == "noexec");
  if (command.empty() && export_spec.empty()) {
    fmt::print(stderr, "sydbox: no command given (see sydbox --help)\n");
    return kExitConfig;
  }
  if (NothingChecked(*policy) && !(export_only && !export_spec.empty()))
    warnings.push_back("no category is on and no sys/ rule is given: nothing the command does is checked "
                       "(only sydbox's own restrictions apply); turn a category on, e.g. -m core/sandbox/write:deny");
  PrintWarnings(warnings);

  if (!export_spec.empty()) {
    std::string kind = export_spec.substr(0, export_spec.find(':'));
    std::string file = export_spec.find(':') == std::string::npos ? "" : export_spec.substr(export_spec.find(':') + 1);
    if (kind != "bpf" && kind != "pfc") {
      fmt::print(stderr, "sydbox: --export wants bpf or pfc, not '{}'\n", kind);
      return kExitConfig;
    }
    bpf::LowerOptions lo;
    lo.magic_unlocked = !lock && policy->magic_lock != policy::MagicLock::kOn;
    lo.categories_may_change = lo.magic_unlocked;
    auto prog = bpf::Compile(bpf::LowerKernel(*policy, lo));
    if (!prog) {
      fmt::print(stderr, "sydbox: {}\n", prog.error().what);
      return kExitConfig;
    }
    std::string data = kind == "pfc" ? bpf::Disassemble(*prog)
                                     : std::string(reinterpret_cast<const char*>(prog->data()),
                                                   prog->size() * sizeof(sock_filter));
    if (file.empty()) {
      fwrite(data.data(), 1, data.size(), stdout);
      fflush(stdout);
    } else {
      std::ofstream out(file, std::ios::binary);
      out << data;
      if (!out) {
        fmt::print(stderr, "sydbox: cannot write {}\n", file);
        return 1;
      }
    }
    if (export_only) return 0;
  }

  supervisor::Options opts;
  auto setup = BuildSetup(setup_args);
  if (!setup) {
    fmt::print(stderr, "sydbox: {}\n", setup.error().what);
    return kExitConfig;
  }
  opts.setup = std::move(*setup);
  // The private directory belongs to the command's user.
  if (!private_tmp.path().empty() && (opts.setup.uid || opts.setup.gid) && !(opts.setup.unshare & CLONE_NEWUSER) &&
      chown(private_tmp.path().c_str(), opts.setup.uid.value_or(static_cast<uid_t>(-1)),
            opts.setup.gid.value_or(static_cast<gid_t>(-1))) != 0) {
    fmt::print(stderr, "sydbox: -D tmp: chown {}: {}\n", private_tmp.path(), strerror(errno));
    return kExitConfig;
  }
  opts.ipc_path = ipc_path;
  opts.lock = lock;
  opts.stats = stats;
  opts.dry_run = dry_run;
  opts.test_continue_all = test_continue_all;
  opts.version = SYD_VERSION;
  if (app.count("--dump")) {
    if (dump_spec.empty()) {
      fmt::print(stderr, "sydbox: --dump wants fd:N, PATH or tmp\n");
      return kExitConfig;
    }
    opts.dump = dump_spec;
  }
  opts.landlock = landlock == "off"       ? supervisor::LandlockUse::kOff
                  : landlock == "require" ? supervisor::LandlockUse::kRequire
                                          : supervisor::LandlockUse::kBestEffort;
  opts.log_fd = STDERR_FILENO;
  if (log_fd >= 0) {
    if (fcntl(log_fd, F_GETFD) < 0) {
      fmt::print(stderr, "sydbox: --log-fd {}: not an open descriptor\n", log_fd);
      return kExitConfig;
    }
    opts.log_fd = log_fd;
  }
  if (!log_file.empty()) {
    int fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
      fmt::print(stderr, "sydbox: --log-file {}: {}\n", log_file, strerror(errno));
      return kExitConfig;
    }
    opts.log_fd = fd;
  }
  if (log_format.empty()) {
    opts.log_format = isatty(opts.log_fd) ? supervisor::LogFormat::kHuman : supervisor::LogFormat::kJson;
  } else {
    opts.log_format = log_format == "json" ? supervisor::LogFormat::kJson : supervisor::LogFormat::kHuman;
  }
  if (setup_args.background) {
    // --background: this process returns once the command has started;
    // a child of its own (in a session of its own) is the supervisor and
    // removes the -D tmp directory. A failure before the command started
    // is that child's exit status.
    int pp[2];
    if (pipe2(pp, O_CLOEXEC) != 0) {
      fmt::print(stderr, "sydbox: --background: pipe: {}\n", strerror(errno));
      return 1;
    }
    fflush(stdout);
    fflush(stderr);
    const pid_t bg = fork();
    if (bg < 0) {
      fmt::print(stderr, "sydbox: --background: fork: {}\n", strerror(errno));
      return 1;
    }
    if (bg > 0) {
      private_tmp.Forget();
      close(pp[1]);
      char c;
      ssize_t n;
      do n = read(pp[0], &c, 1);
      while (n < 0 && errno == EINTR);
      close(pp[0]);
      if (n == 1) return 0;
      int status = 0;
      while (waitpid(bg, &status, 0) < 0 && errno == EINTR) {
      }
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    close(pp[0]);
    setsid();
    opts.started_fd = pp[1];
  }
  return supervisor::Run(*policy, command, opts);
}

}  // namespace
}  // namespace syd::cli

int main(int argc, char** argv) {
  try {
    if (argc >= 2) {
      std::string_view sub = argv[1];
      if (sub == "match") return syd::cli::MatchMain(argc - 1, argv + 1);
      if (sub == "check") return syd::cli::CheckMain(argc - 1, argv + 1);
      if (sub == "syscall") return syd::cli::SyscallMain(argc - 1, argv + 1);
      if (sub == "ctl") return syd::cli::CtlMain(argc - 1, argv + 1);
    }
    return syd::cli::SydboxMain(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "sydbox: {}\n", e.what());
    return 1;
  }
}
