// pandora profile, inspect and box. The profile is made by profile_gen
// from a dump; the header is profile_file's; box checks with signature's
// VerifyProfile and hands the checked bytes to sydbox through a sealed
// memfd (read by path /proc/self/fd/N, closed to CMD by --close-fds), with
// exec/verify pinning the program's SHA-256 for the exec itself.
#include "cli/pandora_profile.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/setup_options.h"
#include "lang/config_text.h"
#include "pandora/profile_file.h"
#include "pandora/profile_gen.h"
#include "pandora/program.h"
#include "pandora/settings.h"
#include "pandora/share.h"
#include "pandora/signature.h"
#include "util/strings.h"
#include "util/unique_fd.h"

namespace syd::cli {
namespace {

constexpr int kExitUsage = 2;
constexpr size_t kMaxProfileBytes = 64 << 20;

// Every call sent to sydbox but those sydbox's own child makes between
// installing the filter and sydbox listening (spawn.cc: write, read,
// close, rt_sigprocmask; exit on a failure): those cannot wait for an
// answer. `allowlist/syscall` keeps them anyway (compile.cc).
constexpr const char* kTraceAll = "sys/trace+/.*,!read,!write,!close,!rt_sigprocmask,!exit,!exit_group";

// The words after the options: "--" dropped, an option before it refused.
bool CommandWords(CLI::App& app, std::vector<std::string>* cmd, const char* who) {
  std::vector<std::string> rest = app.remaining();
  if (!rest.empty() && rest[0] == "--") {
    rest.erase(rest.begin());
  } else if (!rest.empty() && rest[0].size() > 1 && rest[0][0] == '-') {
    fmt::print(stderr, "pandora {}: unknown option '{}' (see pandora {} --help)\n", who, rest[0], who);
    return false;
  }
  *cmd = std::move(rest);
  return true;
}

int ParseApp(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }
  return -1;
}

Result<std::string> ReadAll(int fd, const std::string& shown, size_t max) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Failf("{}: {}", shown, std::strerror(errno));
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max) return Failf("{}: larger than {} bytes", shown, max);
  }
  return out;
}

Result<std::string> ReadPath(const std::string& path, size_t max) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) return Failf("{}: {}", path, std::strerror(errno));
  return ReadAll(fd.get(), path, max);
}

// "-" is standard output; a file is created with mode 0644 (replaced).
Status WriteOutput(const std::string& out, const std::string& text) {
  UniqueFd owned;
  int fd = 1;
  if (out != "-") {
    owned = UniqueFd(open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644));
    if (!owned.valid()) return Failf("-o {}: {}", out, std::strerror(errno));
    fd = owned.get();
  }
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Failf("-o {}: {}", out, std::strerror(errno));
    off += static_cast<size_t>(n);
  }
  return {};
}

std::string HomeDir() {
  const char* h = getenv("HOME");
  return h && *h == '/' ? h : "";
}

std::string Progress(const pandora::GenStats& s) {
  return fmt::format("{} calls, {} paths, {} addresses, {} system calls", s.calls, s.paths, s.addresses, s.syscalls);
}

void ReportProblems(const pandora::ProfileBuilder& b, const std::string& dump) {
  for (const auto& p : b.problems()) fmt::print(stderr, "pandora: {}:{}: {}\n", dump, p.line, p.what);
  if (b.stats().problems > b.problems().size())
    fmt::print(stderr, "pandora: {}: and {} more lines that are not a dump's\n", dump,
               b.stats().problems - b.problems().size());
  if (b.stats().lines > 0 && !b.stats().saw_exit)
    fmt::print(stderr, "pandora: {}: no exit line: sydbox did not finish the dump, the profile may miss calls\n",
               dump);
}

// The header for `program` and the whole file.
Result<std::string> ProfileText(const std::string& program, const std::string& body) {
  SYD_TRY(sha, pandora::Sha256OfFile(program));
  pandora::ProfileHeader h;
  h.program = program;
  h.sha256 = sha;
  h.created = pandora::NowRfc3339();
  return pandora::FormatProfile(h, body);
}

// Where descriptors 0, 1 and 2 point, when that is a path.
std::vector<std::string> StdTargets() {
  std::vector<std::string> out;
  for (int fd = 0; fd <= 2; ++fd) {
    char buf[4096];
    ssize_t n = readlink(fmt::format("/proc/self/fd/{}", fd).c_str(), buf, sizeof buf - 1);
    if (n > 0 && buf[0] == '/') out.emplace_back(buf, static_cast<size_t>(n));
  }
  return out;
}

// pandora.toml (pandora/settings.h); an error there stops everything.
Result<pandora::Settings> Settings() { return pandora::LoadSettings(); }

// --sydbox, else the settings' sydbox, else next to pandora, else PATH.
Result<std::string> Sydbox(const std::string& given, const pandora::Settings& s) {
  return pandora::FindSydbox(!given.empty() ? given : s.sydbox);
}

std::string Basename(const std::string& p) {
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

}  // namespace

int ProfileMain(int argc, char** argv) {
  CLI::App app{"pandora profile: run CMD under sydbox --dry-run and write the profile of what it did",
               "pandora profile"};
  std::string out, sydbox_given;
  int limit = 0;
  app.add_option("-o,--output", out, "Write the profile here (- for standard output; default: ./PROGRAM.syd-3)");
  app.add_option("--limit", limit, "Trim paths to N components and /*** (0: none; secret places stay literal)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--sydbox", sydbox_given, "The sydbox to run (default: next to pandora, else in PATH)");
  app.prefix_command();
  if (int code = ParseApp(app, argc, argv); code >= 0) return code;
  auto settings = Settings();
  if (!settings) {
    fmt::print(stderr, "pandora profile: {}\n", settings.error().what);
    return kExitUsage;
  }
  if (!app.count("--limit") && settings->limit) limit = static_cast<int>(*settings->limit);
  std::vector<std::string> cmd;
  if (!CommandWords(app, &cmd, "profile")) return kExitUsage;
  if (cmd.empty()) {
    fmt::print(stderr, "pandora profile: no command (pandora profile [OPTIONS] -- CMD [ARG...])\n");
    return kExitUsage;
  }
  auto program = pandora::ResolveProgram(cmd[0], getenv("PATH"));
  if (!program) {
    fmt::print(stderr, "pandora profile: {}\n", program.error().what);
    return kExitUsage;
  }
  auto sha = pandora::Sha256OfFile(*program);
  if (!sha) {
    fmt::print(stderr, "pandora profile: {}\n", sha.error().what);
    return kExitUsage;
  }
  auto sydbox = Sydbox(sydbox_given, *settings);
  if (!sydbox) {
    fmt::print(stderr, "pandora profile: {}\n", sydbox.error().what);
    return kExitUsage;
  }
  if (out.empty()) out = Basename(*program) + ".syd-3";

  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    fmt::print(stderr, "pandora profile: pipe: {}\n", std::strerror(errno));
    return kExitUsage;
  }
  UniqueFd rd(p[0]), wr(p[1]);
  // The dump's descriptor keeps its number in sydbox (which closes it to CMD).
  std::vector<std::string> args = {*sydbox, "--dry-run", "--log-file", "/dev/null", "--dump",
                                   fmt::format("fd:{}", wr.get())};
  for (const char* c : {"read", "write", "exec", "stat", "network"}) {
    args.push_back("-m");
    args.push_back(fmt::format("core/sandbox/{}:deny", c));
  }
  args.insert(args.end(), {"-m", kTraceAll, "--alias", cmd[0], "--", *program});
  args.insert(args.end(), cmd.begin() + 1, cmd.end());
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);

  // Like system(3): ^C and ^\ go to sydbox (which ends the dump cleanly),
  // and pandora writes the profile of what ran.
  struct sigaction ign{}, old_int{}, old_quit{};
  ign.sa_handler = SIG_IGN;
  sigaction(SIGINT, &ign, &old_int);
  sigaction(SIGQUIT, &ign, &old_quit);
  pid_t pid = fork();
  if (pid < 0) {
    fmt::print(stderr, "pandora profile: fork: {}\n", std::strerror(errno));
    return kExitUsage;
  }
  if (pid == 0) {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGQUIT, &old_quit, nullptr);
    fcntl(wr.get(), F_SETFD, 0);
    execv(cargs[0], cargs.data());
    fmt::print(stderr, "pandora profile: {}: {}\n", cargs[0], std::strerror(errno));
    _exit(127);
  }
  wr.Reset();

  pandora::GenOptions opts;
  opts.limit = limit;
  opts.home = HomeDir();
  opts.ignore_stat = StdTargets();
  pandora::ProfileBuilder builder(opts);
  // The progress line, on a terminal only, from 100 ms on (a short run
  // shows the summary alone) and ten times a second at most.
  const bool tty = isatty(2) == 1;
  timespec last{};
  clock_gettime(CLOCK_MONOTONIC, &last);
  bool shown = false;
  char buf[65536];
  for (;;) {
    pollfd pfd{rd.get(), POLLIN, 0};
    int r = poll(&pfd, 1, tty ? 100 : -1);
    if (r < 0 && errno != EINTR) break;
    if (r > 0) {
      ssize_t n = read(rd.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      builder.Feed(std::string_view(buf, static_cast<size_t>(n)));
    }
    if (tty) {
      timespec now{};
      clock_gettime(CLOCK_MONOTONIC, &now);
      if ((now.tv_sec - last.tv_sec) * 1000 + (now.tv_nsec - last.tv_nsec) / 1000000 >= 100) {
        fmt::print(stderr, "\r\033[Kpandora: {}", Progress(builder.stats()));
        last = now;
        shown = true;
      }
    }
  }
  if (shown) fmt::print(stderr, "\r\033[K");
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGQUIT, &old_quit, nullptr);
  builder.Finish();
  ReportProblems(builder, "dump");
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (builder.stats().calls == 0) {
    fmt::print(stderr, "pandora profile: sydbox ({}) exited with status {} and dumped no calls: no profile written\n",
               *sydbox, code);
    return kExitUsage;
  }
  pandora::ProfileHeader h;
  h.program = *program;
  h.sha256 = *sha;
  h.created = pandora::NowRfc3339();
  const std::string text = pandora::FormatProfile(h, builder.Body());
  if (auto st = WriteOutput(out, text); !st) {
    fmt::print(stderr, "pandora profile: {}\n", st.error().what);
    return kExitUsage;
  }
  fmt::print(stderr, "pandora: {} exited with status {}; {}; profile written to {}\n", cmd[0],
             builder.stats().exit_code >= 0 ? builder.stats().exit_code : code, Progress(builder.stats()),
             out == "-" ? "standard output" : out);
  return builder.stats().problems > 0 ? 1 : 0;
}

int InspectMain(int argc, char** argv) {
  CLI::App app{"pandora inspect: write the profile of what a sydbox dump shows", "pandora inspect"};
  std::string in, out = "-", program_given;
  int limit = 0;
  app.add_option("-i,--input", in, "The dump (JSON lines of sydbox --dump; - for standard input)")->required();
  app.add_option("-o,--output", out, "Write the profile here (default: standard output)");
  app.add_option("--limit", limit, "Trim paths to N components and /*** (0: none; secret places stay literal)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--program", program_given,
                 "The program the profile is for (default: the first program the dump executed)");
  if (int code = ParseApp(app, argc, argv); code >= 0) return code;
  auto settings = Settings();
  if (!settings) {
    fmt::print(stderr, "pandora inspect: {}\n", settings.error().what);
    return kExitUsage;
  }
  if (!app.count("--limit") && settings->limit) limit = static_cast<int>(*settings->limit);

  UniqueFd owned;
  int fd = 0;
  if (in != "-") {
    owned = UniqueFd(open(in.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!owned.valid()) {
      fmt::print(stderr, "pandora inspect: -i {}: {}\n", in, std::strerror(errno));
      return kExitUsage;
    }
    fd = owned.get();
  }
  pandora::GenOptions opts;
  opts.limit = limit;
  opts.home = HomeDir();
  pandora::ProfileBuilder builder(opts);
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      fmt::print(stderr, "pandora inspect: -i {}: {}\n", in, std::strerror(errno));
      return kExitUsage;
    }
    if (n == 0) break;
    builder.Feed(std::string_view(buf, static_cast<size_t>(n)));
  }
  builder.Finish();
  ReportProblems(builder, in);
  if (builder.stats().calls == 0) {
    fmt::print(stderr, "pandora inspect: {}: no call lines: no profile written\n", in);
    return kExitUsage;
  }
  std::string program = program_given;
  if (program.empty()) program = builder.first_exec();
  if (program.empty() && !builder.argv().empty()) program = builder.argv()[0];
  if (program.empty()) {
    fmt::print(stderr, "pandora inspect: {}: the dump names no program: give --program PATH\n", in);
    return kExitUsage;
  }
  auto resolved = pandora::ResolveProgram(program, getenv("PATH"));
  if (!resolved) {
    fmt::print(stderr, "pandora inspect: the program of the dump: {} (give --program PATH)\n",
               resolved.error().what);
    return kExitUsage;
  }
  auto text = ProfileText(*resolved, builder.Body());
  if (!text) {
    fmt::print(stderr, "pandora inspect: {}\n", text.error().what);
    return kExitUsage;
  }
  if (auto st = WriteOutput(out, *text); !st) {
    fmt::print(stderr, "pandora inspect: {}\n", st.error().what);
    return kExitUsage;
  }
  if (out != "-") fmt::print(stderr, "pandora: {}; profile written to {}\n", Progress(builder.stats()), out);
  return builder.stats().problems > 0 ? 1 : 0;
}

int BoxMain(int argc, char** argv) {
  CLI::App app{"pandora box: check a profile against CMD, then run CMD under sydbox with it", "pandora box"};
  std::string profile_path, fetch_url, sydbox_given;
  std::vector<std::string> keys;
  app.add_option("-c,--config", profile_path, "The profile (pandora profile's output)");
  app.add_option("--fetch", fetch_url, "Download the profile for CMD's SHA-256 from this base URL");
  app.add_option("--key", keys, "Trusted public key (minisign format); repeatable. With a key, the profile must be "
                                "signed by one of them; without, a signed profile is checked against the keyring")
      ->take_all()
      ->allow_extra_args(false);
  app.add_option("--sydbox", sydbox_given, "The sydbox to run (default: next to pandora, else in PATH)");
  SetupArgs setup_args;
  AddSetupOptions(app, setup_args);
  app.prefix_command();
  if (int code = ParseApp(app, argc, argv); code >= 0) return code;
  std::vector<std::string> cmd;
  if (!CommandWords(app, &cmd, "box")) return kExitUsage;
  auto refuse = [](const std::string& what) {
    fmt::print(stderr, "pandora box: {}: refused, nothing run\n", what);
    return kExitUsage;
  };
  if (cmd.empty()) return refuse("no command (pandora box -c PROFILE [OPTIONS] -- CMD [ARG...])");
  if (profile_path.empty() == fetch_url.empty()) return refuse("give one of -c PROFILE and --fetch URL");
  auto settings = Settings();
  if (!settings) return refuse(settings.error().what);

  auto program = pandora::ResolveProgram(cmd[0], getenv("PATH"));
  if (!program) return refuse(program.error().what);
  auto sha = pandora::Sha256OfFile(*program);
  if (!sha) return refuse(sha.error().what);
  // Keys named here make a signature mandatory; the keyring's keys check
  // the profiles that are signed.
  std::vector<pandora::PublicKey> trusted;
  for (const std::string& k : keys) {
    auto kt = ReadPath(k, 1 << 16);
    if (!kt) return refuse(fmt::format("--key {}", kt.error().what));
    auto pk = pandora::ParsePublicKey(*kt);
    if (!pk) return refuse(fmt::format("--key {}: {}", k, pk.error().what));
    trusted.push_back(*pk);
  }
  const bool require_signature = !keys.empty();
  if (keys.empty()) {
    auto ring = pandora::LoadTrustedKeys(*settings);
    if (!ring) return refuse(ring.error().what);
    trusted = std::move(*ring);
  }

  // What the checks pass is what sydbox gets: these bytes, not the file again.
  Result<std::string> text = std::string();
  std::string shown = profile_path;
  if (!fetch_url.empty()) {
    pandora::FetchChecks checks;
    checks.program_sha256 = *sha;
    checks.trusted = trusted;
    checks.require_signature = require_signature;
    text = pandora::FetchProfile(fetch_url, checks, pandora::HttpOptionsFrom(*settings));
    if (!text) return refuse(fmt::format("--fetch {}: {}", fetch_url, text.error().what));
    shown = "fetched.syd-3";
  } else {
    text = ReadPath(profile_path, kMaxProfileBytes);
    if (!text) return refuse(text.error().what);
  }
  auto file = pandora::ParseProfile(*text);
  if (!file) return refuse(fmt::format("{}: {}", shown, file.error().what));
  if (auto v = pandora::VerifyProfile(*file, trusted, require_signature); !v)
    return refuse(fmt::format("{}: {}", shown, v.error().what));
  if (*sha != file->header.sha256)
    return refuse(fmt::format("program checksum: the SHA-256 of {} is {}, the profile is for {} ({})", *program,
                              *sha, file->header.sha256, file->header.program));
  auto items = lang::ParseConfigText(file->body, shown, lang::ConfigFormat::kSyd);
  if (!items) return refuse(items.error().what);
  for (const auto& item : *items) {
    if (const auto* inc = std::get_if<lang::Include>(&item))
      return refuse(fmt::format("{}: includes {}, which its checksums do not cover", inc->origin.ToString(),
                                inc->path));
  }
  if (auto setup = BuildSetup(setup_args); !setup) return refuse(setup.error().what);
  auto sydbox = Sydbox(sydbox_given, *settings);
  if (!sydbox) return refuse(sydbox.error().what);

  // The checked text in a sealed memfd that sydbox reads by path; closed
  // to CMD by --close-fds.
  UniqueFd mem(memfd_create(Basename(shown).c_str(), MFD_ALLOW_SEALING));
  if (!mem.valid()) return refuse(fmt::format("memfd_create: {}", std::strerror(errno)));
  for (size_t off = 0; off < text->size();) {
    ssize_t n = write(mem.get(), text->data() + off, text->size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return refuse(fmt::format("memfd: {}", std::strerror(errno)));
    off += static_cast<size_t>(n);
  }
  if (fcntl(mem.get(), F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) != 0)
    return refuse(fmt::format("memfd seals: {}", std::strerror(errno)));
  const int n = mem.get();
  std::vector<std::string> args = {*sydbox, "-c", fmt::format("/proc/self/fd/{}", n), "-m",
                                   fmt::format("exec/verify+{}:{}", *sha, pandora::PathPattern(*program, 0, "", {}))};
  // fstat of CMD's standard descriptors is a stat of where they point.
  std::vector<std::string> std_paths = StdTargets();
  for (const std::string* f : {&setup_args.stdout_file, &setup_args.stderr_file})
    if (!f->empty() && (*f)[0] == '/') std_paths.push_back(*f);
  for (const std::string& p : std_paths)
    args.insert(args.end(), {"-m", "allowlist/stat+" + pandora::PathPattern(p, 0, "", {})});
  for (std::string& a : SetupArgv(setup_args)) args.push_back(std::move(a));
  args.push_back(fmt::format("--close-fds={}:{}", n, n));
  if (setup_args.alias.empty()) args.insert(args.end(), {"--alias", cmd[0]});
  args.insert(args.end(), {"--", *program});
  args.insert(args.end(), cmd.begin() + 1, cmd.end());
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  (void)mem.Release();  // sydbox's from here
  execv(cargs[0], cargs.data());
  fmt::print(stderr, "pandora box: {}: {}\n", cargs[0], std::strerror(errno));
  return 127;
}

}  // namespace syd::cli
