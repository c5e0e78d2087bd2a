// Modules: loading (dlopen, the descriptor's checks, init with options),
// the host functions a module reads a call through, and the crash
// handler. See include/sydbox/module.h for the contract modules keep.
#include "supervisor/modules.h"

#include <dlfcn.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "kernel/proc.h"
#include "policy/apply.h"
#include "policy/syscall_table.h"
#include "sydbox/module.h"
#include "util/strings.h"

#ifndef SYD_MODULE_DIR
#define SYD_MODULE_DIR "/usr/local/lib/sydbox/modules"
#endif
#ifndef SYD_MODULE_RELDIR
#define SYD_MODULE_RELDIR "lib/sydbox/modules"
#endif

struct sydbox_call {
  syd::supervisor::Call* call;
  syd::supervisor::ModuleCallSource* src;  // null: no paths to show
  const char* module;                      // for log()
  const std::vector<std::string>* paths = nullptr;  // asked for once
  bool paths_asked = false;
  std::string comm;     // read when asked
  std::string syscall;  // the name, when asked
};

namespace syd::supervisor {
namespace {

// --- the host functions ----------------------------------------------------

int32_t HostTid(const sydbox_call* k) { return k->call->tid(); }
int32_t HostPid(const sydbox_call* k) { return k->call->Tgid(); }
int32_t HostNr(const sydbox_call* k) { return k->call->nr(); }
uint64_t HostArg(const sydbox_call* k, int i) { return i >= 0 && i < 6 ? k->call->arg(i) : 0; }
const char* HostSyscallName(const sydbox_call* k) {
  auto* m = const_cast<sydbox_call*>(k);
  if (m->syscall.empty()) {
    m->syscall = std::string(policy::SyscallName(k->call->nr()));
    if (m->syscall.empty()) m->syscall = "?";
  }
  return m->syscall.c_str();
}
const char* HostPath(const sydbox_call* k, int i) {
  auto* m = const_cast<sydbox_call*>(k);
  if (!m->paths_asked) {
    m->paths_asked = true;
    m->paths = m->src ? m->src->Paths() : nullptr;
  }
  if (!m->paths || i < 0 || static_cast<size_t>(i) >= m->paths->size()) return nullptr;
  return (*m->paths)[static_cast<size_t>(i)].c_str();
}
const char* HostComm(const sydbox_call* k) {
  auto* m = const_cast<sydbox_call*>(k);
  if (m->comm.empty()) m->comm = kernel::ReadComm(k->call->tid());
  return m->comm.c_str();
}
int64_t HostRead(const sydbox_call* k, uint64_t addr, void* buf, size_t len, int* err) {
  Status s = k->call->tracee.ReadMemory(addr, buf, len);
  if (!s) {
    if (err) *err = s.error().sys_errno ? s.error().sys_errno : EFAULT;
    return -1;
  }
  return static_cast<int64_t>(len);
}
int64_t HostWrite(const sydbox_call* k, uint64_t addr, const void* buf, size_t len, int* err) {
  Status s = k->call->tracee.WriteMemory(addr, buf, len);
  if (!s) {
    if (err) *err = s.error().sys_errno ? s.error().sys_errno : EFAULT;
    return -1;
  }
  return static_cast<int64_t>(len);
}
void HostLog(const sydbox_call* k, const char* message) {
  k->call->env.reporter->Line(fmt::format("sydbox: module {}: {}", k->module, message ? message : ""));
}

const sydbox_host kHost = {
    sizeof(sydbox_host), SYDBOX_MODULE_ABI, HostTid, HostPid, HostNr, HostArg, HostSyscallName,
    HostPath,            HostComm,          HostRead, HostWrite, HostLog,
};

// --- crashes ---------------------------------------------------------------

// The module a thread is in, and for which call (read by the handler).
struct InModule {
  const char* module = nullptr;
  int nr = -1;
  pid_t tid = 0;
};
thread_local InModule t_in;

std::atomic<bool> g_crashed{false};
pid_t g_main_tid = 0;
int g_notify = 0;

// Appends text to a fixed buffer (async-signal-safe formatting).
struct Buf {
  char b[512];
  size_t n = 0;
  void Add(const char* s) {
    while (s && *s && n + 1 < sizeof b) b[n++] = *s++;
  }
  void Add(std::string_view s) {
    for (char ch : s)
      if (n + 1 < sizeof b) b[n++] = ch;
  }
  void Num(long v) {
    char d[24];
    int i = 0;
    bool neg = v < 0;
    unsigned long u = neg ? static_cast<unsigned long>(-v) : static_cast<unsigned long>(v);
    do d[i++] = static_cast<char>('0' + u % 10); while ((u /= 10) && i < 23);
    if (neg) d[i++] = '-';
    while (i > 0 && n + 1 < sizeof b) b[n++] = d[--i];
  }
};

void OnCrash(int sig, siginfo_t*, void*) {
  if (!t_in.module) {
    // Not a module's fault: the default action, as if no handler were here.
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  if (!g_crashed.exchange(true)) {
    Buf m;
    m.Add("sydbox: module ");
    m.Add(t_in.module);
    m.Add(" crashed (signal ");
    m.Num(sig);
    m.Add(") deciding ");
    const std::string_view name = policy::SyscallName(t_in.nr);  // a static table: no allocation
    if (name.empty()) {
      m.Add("system call ");
      m.Num(t_in.nr);
    } else {
      m.Add(name);
    }
    m.Add(" of thread ");
    m.Num(t_in.tid);
    m.Add(": the sandbox ends\n");
    (void)!write(STDERR_FILENO, m.b, m.n);
    syscall(SYS_tgkill, getpid(), g_main_tid, g_notify);
  }
  // Never back into the module: this thread waits for the end.
  sigset_t none;
  sigfillset(&none);
  sigdelset(&none, SIGKILL);
  for (;;) sigsuspend(&none);
}

bool ValidName(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  for (char ch : n)
    if (!(isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-')) return false;
  return true;
}

// The file a module NAME or PATH names.
Result<std::string> FindModule(const std::string& what) {
  if (what.find('/') != std::string::npos) {
    struct stat st;
    if (stat(what.c_str(), &st) != 0) return Fail(errno, fmt::format("module {}", what));
    if (!S_ISREG(st.st_mode)) return Failf("module {}: not a regular file", what);
    return what;
  }
  if (!ValidName(what))
    return Failf("module name '{}': letters, digits, '_' and '-' only (or a path with a '/')", what);
  std::string tried;
  for (const std::string& dir : ModuleDirs()) {
    const std::string file = dir + "/" + what + ".so";
    if (access(file.c_str(), R_OK) == 0) return file;
    tried += (tried.empty() ? "" : ", ") + dir;
  }
  return Failf("module '{}' not found (looked in {})", what, tried.empty() ? "no directory" : tried);
}

}  // namespace

extern const sydbox_module kMagicStatModule;  // magic.cc

const sydbox_module* FindBuiltinModule(std::string_view name) {
  if (name == "magic_stat") return &kMagicStatModule;
  return nullptr;
}

LoadedModule::~LoadedModule() {
  if (desc_ && desc_->fini) desc_->fini(state_);
  // The shared object stays mapped: nothing may still run its code here,
  // but unloading at exit buys nothing.
}

std::vector<std::string> ModuleDirs() {
  std::vector<std::string> dirs;
  if (const char* e = getenv("SYDBOX_MODULE_DIR"); e && *e) dirs.emplace_back(e);
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    std::string self(exe, static_cast<size_t>(n));
    const size_t slash = self.rfind('/');
    if (slash != std::string::npos) {
      const std::string bin = self.substr(0, slash);
      dirs.push_back(bin + "/modules");                   // a build tree
      dirs.push_back(bin + "/../" SYD_MODULE_RELDIR);     // an installation, wherever its prefix went
    }
  }
  dirs.emplace_back(SYD_MODULE_DIR);
  return dirs;
}

Result<std::shared_ptr<LoadedModule>> LoadModule(const std::string& spec) {
  std::vector<std::string> parts;
  for (std::string_view part : Split(spec, ':')) parts.emplace_back(part);
  const std::string what = parts.empty() ? std::string() : parts[0];
  if (what.empty()) return Failf("load= needs a module");
  const sydbox_module* builtin = what.find('/') == std::string::npos ? FindBuiltinModule(what) : nullptr;
  std::string file = "built in";
  void* h = nullptr;
  if (!builtin) {
    SYD_TRY(found, FindModule(what));
    file = std::move(found);
    h = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char* e = dlerror();
      return Failf("module {}: cannot load {}: {}", what, file, e ? e : "?");
    }
  }
  sydbox_module_entry_fn entry =
      h ? reinterpret_cast<sydbox_module_entry_fn>(dlsym(h, SYDBOX_MODULE_ENTRY)) : nullptr;
  if (h && !entry) {
    dlclose(h);
    return Failf("module {}: {} exports no {}() (see include/sydbox/module.h)", what, file, SYDBOX_MODULE_ENTRY);
  }
  const sydbox_module* d = builtin ? builtin : entry();
  auto refuse = [&](std::string why) {
    if (h) dlclose(h);
    return Failf("module {}: {}", what, why);
  };
  if (!d) return refuse(fmt::format("{}() returned no descriptor", SYDBOX_MODULE_ENTRY));
  if (d->abi != SYDBOX_MODULE_ABI)
    return refuse(fmt::format("built for module ABI {}, this sydbox has ABI {}", d->abi, SYDBOX_MODULE_ABI));
  if (d->size < sizeof(sydbox_module))
    return refuse(fmt::format("descriptor of {} bytes, ABI {} needs {}", d->size, SYDBOX_MODULE_ABI,
                              sizeof(sydbox_module)));
  if (!d->on_call) return refuse("no on_call hook");
  if (!d->name || !*d->name) return refuse("no name");
  std::vector<std::string> opts(parts.begin() + 1, parts.end());
  std::vector<const char*> argv;
  for (const std::string& o : opts) {
    if (o.empty()) return refuse("an empty option");
    argv.push_back(o.c_str());
  }
  argv.push_back(nullptr);
  void* state = nullptr;
  if (d->init) {
    char err[512] = {0};
    if (d->init(&kHost, argv.data(), &state, err, sizeof err) != 0) {
      err[sizeof err - 1] = 0;
      return refuse(fmt::format("init failed: {}", err[0] ? err : "(no message)"));
    }
  }
  return std::make_shared<LoadedModule>(d->name, file, d, state);
}

Status LoadModules(policy::Policy& p) {
  for (policy::SysRule& r : p.sys_rules) {
    const lang::RuleOption* load = r.Option(lang::OptKind::kLoad);
    if (!load || r.module) continue;
    auto m = LoadModule(load->text);
    if (!m) return Failf("{}", policy::FormatError(r.origin, Error{0, m.error().what, load->column}));
    r.module = std::move(*m);
  }
  return {};
}

std::optional<Verdict> CallModule(Call& c, const LoadedModule& m, ModuleCallSource* src,
                                  const std::vector<std::string>** paths_shown) {
  sydbox_call k{&c, src, m.name().c_str(), nullptr, false, {}, {}};
  t_in = InModule{m.name().c_str(), c.nr(), c.tid()};
  const sydbox_answer a = m.desc()->on_call(m.state(), &k);
  t_in = InModule{};
  if (paths_shown) *paths_shown = k.paths;
  switch (a.kind) {
    case SYDBOX_DEFER: return std::nullopt;
    case SYDBOX_ALLOW: c.rule_allowed = true; return std::nullopt;
    case SYDBOX_FAULT:
      if (a.value <= 0 || a.value > 4095) break;
      return Verdict::Error(static_cast<int>(a.value));
    case SYDBOX_RETURN: return Verdict::Value(a.value);
    default: break;
  }
  // A malformed answer: the call fails rather than pass unchecked.
  c.env.reporter->Line(fmt::format("sydbox: module {} gave an invalid answer (kind {}, value {}) for {}: EPERM",
                                   m.name(), a.kind, a.value, HostSyscallName(&k)));
  return Verdict::Error(EPERM);
}

Call& CallOf(const sydbox_call* k) { return *k->call; }

void InstallModuleCrashHandler(pid_t main_tid, int notify_signal) {
  g_main_tid = main_tid;
  g_notify = notify_signal;
  struct sigaction sa{};
  sa.sa_sigaction = OnCrash;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL}) sigaction(s, &sa, nullptr);
}

bool ModuleCrashed() { return g_crashed.load(); }

}  // namespace syd::supervisor
