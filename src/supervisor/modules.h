// Loadable modules (SPEC §4.1, include/sydbox/module.h): loading a rule's
// load=NAME|PATH[:KEY=VAL...] when sydbox starts, and calling the module
// for the calls that rule decides. A module's answer becomes a verdict
// here and goes out through Respond() like any other (call.h), so dumps
// and reports show it, naming the module.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/policy.h"
#include "supervisor/call.h"
#include "util/error.h"

struct sydbox_module;
struct sydbox_call;

namespace syd::supervisor {

// One load= of one rule: the shared object (kept loaded for the life of
// the process) and the state its init() made from the rule's options.
class LoadedModule final : public policy::RuleModule {
 public:
  LoadedModule(std::string name, std::string file, const sydbox_module* desc, void* state)
      : name_(std::move(name)), file_(std::move(file)), desc_(desc), state_(state) {}
  ~LoadedModule() override;
  LoadedModule(const LoadedModule&) = delete;
  LoadedModule& operator=(const LoadedModule&) = delete;
  const std::string& name() const override { return name_; }
  const std::string& file() const { return file_; }
  const sydbox_module* desc() const { return desc_; }
  void* state() const { return state_; }

 private:
  std::string name_, file_;
  const sydbox_module* desc_;
  void* state_;
};

// Where a module NAME is looked for, in order: $SYDBOX_MODULE_DIR, the
// directory "modules" next to the running sydbox (a build tree), and the
// installed module directory.
std::vector<std::string> ModuleDirs();

// Loads one load= value ("fakeid:uid=0", "/path/x.so:a=b"): finds and
// opens the shared object, checks its descriptor (size, ABI version, the
// hooks it must have) and runs its init() with the options. Errors say
// which step failed; columns are the caller's to add.
Result<std::shared_ptr<LoadedModule>> LoadModule(const std::string& spec);

// Loads the module of every rule with load= in `p` (once per rule), or
// fails with FILE:LINE:COL of the first that cannot be loaded.
Status LoadModules(policy::Policy& p);

// What a module may ask of a call beyond its registers, read only when
// asked: the path arguments resolved (null when the call has none or they
// cannot be resolved; the module then decides without them).
class ModuleCallSource {
 public:
  virtual ~ModuleCallSource() = default;
  virtual const std::vector<std::string>* Paths() = 0;
};

// What module `m` answers for the call. nullopt: the module deferred (the
// rules after it and category sandboxing decide); a verdict otherwise,
// with c.rule_allowed set for an allow. `paths_shown` (may be null) gets
// the paths the module asked for, for the dump.
std::optional<Verdict> CallModule(Call& c, const LoadedModule& m, ModuleCallSource* src,
                                  const std::vector<std::string>** paths_shown = nullptr);

// Built-in modules register through the same descriptor (module.h) and are
// found by name before any directory is searched.
const sydbox_module* FindBuiltinModule(std::string_view name);
// The call behind a handle, for built-in modules, which may use
// sydbox's own code.
Call& CallOf(const sydbox_call* k);

// A module that crashes (SIGSEGV, SIGBUS, SIGFPE, SIGILL in its hook) ends
// the sandbox: the signal handler says which module crashed in which call
// and sends `notify_signal` to thread `main_tid`, which kills every
// process of the sandbox and exits; the crashed thread never returns.
// A crash anywhere else keeps its default action.
void InstallModuleCrashHandler(pid_t main_tid, int notify_signal);
// Set by the handler: a module crashed (for the main thread).
bool ModuleCrashed();

}  // namespace syd::supervisor
