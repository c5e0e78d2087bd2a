// Loadable modules (include/sydbox/module.h): an out-of-tree module built
// here with plain cc and loaded by path, the two examples loaded by name,
// every loading error of load= (exit 2, FILE:LINE:COL, nothing run), load=
// refused at run time, and a module that crashes ending the sandbox.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "harness.h"

namespace syd::test {
namespace {

std::string IncludeDir() { return SYD_SOURCE_DIR "/include"; }


// Builds `source` into DIR/NAME.so with `cc -shared -fPIC` and nothing but
// the public header; an empty string when no C compiler is there.
std::string BuildModule(const TempDir& d, const std::string& name, const std::string& source) {
  const std::string c = d / (name + ".c"), so = d / (name + ".so");
  WriteFile(c, source);
  RunResult r = RunCmd({FindProgram("cc"), "-std=c99", "-Wall", "-Werror", "-shared", "-fPIC", "-I", IncludeDir(), "-o", so, c});
  EXPECT_EQ(r.code, 0) << r.err;
  return r.code == 0 ? so : "";
}

// A module whose hook makes getppid() return 4242 and every other call of
// its rule fail with EXDEV; `abi` and `extra` let tests break it.
std::string ModuleSource(const std::string& abi = "SYDBOX_MODULE_ABI", const std::string& on_call_body = "") {
  return R"(#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <sys/syscall.h>
#include "sydbox/module.h"
static const struct sydbox_host* host;
static int init(const struct sydbox_host* h, const char* const* opts, void** state, char* err, size_t n) {
  host = h;
  *state = 0;
  for (; *opts; ++opts)
    if (strcmp(*opts, "fail") == 0) { snprintf(err, n, "asked to fail"); return 1; }
  return 0;
}
static struct sydbox_answer on_call(void* state, const struct sydbox_call* call) {
  (void)state;
  struct sydbox_answer a = {SYDBOX_FAULT, 0, EXDEV};
  )" + on_call_body + R"(
  if (host->nr(call) == SYS_getppid) { a.kind = SYDBOX_RETURN; a.value = 4242; }
  return a;
}
static const struct sydbox_module m = {sizeof m, )" + abi + R"(, "ppid", init, on_call, 0};
const struct sydbox_module* sydbox_module_entry(void) { return &m; }
)";
}

// The header is all a module author needs: it compiles on its own as C99
// and as C++20, warnings as errors.
TEST(Modules, HeaderCompilesAsCAndCxx) {
  TempDir d;
  WriteFile(d / "h.c", "#include \"sydbox/module.h\"\nint main(void) { return sizeof(struct sydbox_module) == 0; }\n");
  RunResult c = RunCmd({FindProgram("cc"), "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I", IncludeDir(), "-o",
                        d / "h", d / "h.c"});
  EXPECT_EQ(c.code, 0) << c.err;
  WriteFile(d / "h.cc",
            "#include \"sydbox/module.h\"\nstatic_assert(sizeof(sydbox_answer) == 16);\nint main() { return 0; }\n");
  RunResult cxx = RunCmd({FindProgram("c++"), "-std=c++20", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I", IncludeDir(), "-o",
                          d / "hxx", d / "h.cc"});
  EXPECT_EQ(cxx.code, 0) << cxx.err;
}

TEST(Modules, AnOutOfTreeModuleIsLoadedByPathAndDecides) {
  TempDir d;
  const std::string so = BuildModule(d, "ppid", ModuleSource());
  ASSERT_FALSE(so.empty());
  // Natively: the real parent.
  RunResult native = RunCmd({"sh", "-c", "echo $PPID"});
  ASSERT_NE(native.out, "4242\n");
  RunResult r = Sydbox({"-m", "sys/trace+getppid:load=" + so, "--", "sh", "-c", "echo $PPID"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "4242\n");
  // Its fault answer: uname fails with the module's errno.
  RunResult u = Sydbox({"-m", "sys/trace+uname:load=" + so, "--", "uname"});
  EXPECT_NE(u.code, 0);
  EXPECT_NE(u.err.find("Invalid cross-device link"), std::string::npos) << u.err;
}

TEST(Modules, FakeidByName) {
  RunResult r = Sydbox({"-m", "sys/trace+getuid,geteuid,getresuid,getgid,getegid,getresgid:load=fakeid:uid=4242:gid=77",
                        "--", "sh", "-c", "id -u; id -g; id -ru"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "4242\n77\n4242\n");
  // Only reported: as someone else, a file of the real user's is still theirs
  // (the kernel checks the real credentials), and a root-only file stays shut.
  if (geteuid() != 0) {
    RunResult shadow = Sydbox({"-m", "sys/trace+getuid,geteuid:load=fakeid:uid=0", "--", "cat", "/etc/shadow"});
    EXPECT_NE(shadow.code, 0);
  }
  // Selected by command=: only `id` is lied to.
  const std::string me = RunCmd({FindProgram("whoami")}).out;
  RunResult sel = Sydbox({"-m", "sys/trace+getuid,geteuid:command=^id$:load=fakeid:uid=4242", "--", "sh", "-c",
                          "id -u; whoami"});
  EXPECT_EQ(sel.code, 0) << sel.err;
  EXPECT_EQ(sel.out, "4242\n" + me);
}

TEST(Modules, DenyfileByNameAndTheDumpNamesIt) {
  TempDir d;
  WriteFile(d / "secret.key", "s\n");
  WriteFile(d / "public.txt", "p\n");
  const std::string dump = d / "dump.json";
  RunResult r = Sydbox({"-d", dump, "-m",
                        "sys/trace+open,openat,openat2:load=denyfile:path=" + d.path() + "/*.key:errno=ENOENT", "--",
                        "sh", "-c", "cat " + (d / "public.txt") + "; cat " + (d / "secret.key") + " || echo denied"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "p\ndenied\n");
  EXPECT_NE(r.err.find("No such file or directory"), std::string::npos) << r.err;
  EXPECT_EQ(ReadFile(d / "secret.key"), "s\n");
  const std::string lines = ReadFile(dump);
  EXPECT_NE(lines.find("\"module\":\"denyfile\""), std::string::npos) << lines;
  EXPECT_NE(lines.find("\"path\":\"" + (d / "secret.key") + "\""), std::string::npos);
}

// Each loading error: exit 2 with FILE:LINE:COL (here -m:1:COL, the column
// of load=) and the command never runs.
TEST(Modules, LoadingErrorsAreConfigurationErrors) {
  TempDir d;
  const std::string marker = d / "ran";
  const std::vector<std::string> cmd = {"--", "touch", marker};
  const std::string wrong_abi = BuildModule(d, "wrongabi", ModuleSource("99"));
  WriteFile(d / "noentry.c", "int nothing_here(void) { return 0; }\n");
  ASSERT_EQ(RunCmd({FindProgram("cc"), "-shared", "-fPIC", "-o", d / "noentry.so", d / "noentry.c"}).code, 0);
  const std::string good = BuildModule(d, "good", ModuleSource());
  struct Case {
    std::string rule, says;
  } cases[] = {
      {"sys/trace+getppid:load=nosuchmodule", "-m:1:19: module 'nosuchmodule' not found"},
      {"sys/trace+getppid:load=" + d / "missing.so", "-m:1:19: module " + d / "missing.so"},
      {"sys/trace+getppid:load=" + wrong_abi, "built for module ABI 99, this sydbox has ABI 1"},
      {"sys/trace+getppid:load=" + d / "noentry.so", "exports no sydbox_module_entry()"},
      {"sys/trace+getppid:load=" + good + ":fail", "init failed: asked to fail"},
      {"sys/trace+getppid:load=fakeid:uid=root", "bad option 'uid=root'"},
      {"sys/trace+getppid:load=bad/../name", "module bad/../name"},
      {"sys/trace+getppid:load=..", "module name '..'"},
      {"sys/allow+getppid:load=fakeid:uid=0", "-m:1:19: this option does not apply to a allow rule"},
      {"sys/trace+getppid:fault=EPERM:load=fakeid:uid=0", "no other outcome option"},
      {"sys/trace+getppid:load=", "load= needs a module"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"-m", c.rule};
    args.insert(args.end(), cmd.begin(), cmd.end());
    RunResult r = Sydbox(args);
    EXPECT_EQ(r.code, 2) << c.rule << "\n" << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << c.rule << "\n" << r.err;
    EXPECT_FALSE(Exists(marker)) << c.rule;
    // sydbox check says the same of a file.
    WriteFile(d / "conf.syd-3", c.rule + "\n");
    RunResult chk = RunCmd({SydboxBin(), "check", d / "conf.syd-3"});
    EXPECT_EQ(chk.code, 2) << c.rule << "\n" << chk.out << chk.err;
  }
  // A file's error names the file and line.
  WriteFile(d / "conf.syd-3", "core/sandbox/write:off\nsys/trace+getppid:load=nosuchmodule\n");
  RunResult f = Sydbox({"-c", d / "conf.syd-3", "--", "touch", marker});
  EXPECT_EQ(f.code, 2);
  EXPECT_NE(f.err.find(d / "conf.syd-3:2:19: module 'nosuchmodule' not found"), std::string::npos) << f.err;
  EXPECT_FALSE(Exists(marker));
}

// A sandboxed process cannot load a module: load= through magic stat at
// run time is refused, and the call it names is not changed.
TEST(Modules, NeverLoadedAtRunTime) {
  TempDir d;
  WriteFile(d / "a", "a\n");
  WriteFile(d / "b", "b\n");
  // The same kind of rule on the same (notified) call, with a module and
  // without: the first is refused, the second taken.
  const std::string load = "/dev/sydbox/sys/trace+openat:load=denyfile:path=" + d / "a";
  const std::string plain = "/dev/sydbox/sys/fault+openat:arg_=\"" + d / "b" + "\":error=EXDEV";
  RunResult r = Sydbox({"-m", "core/sandbox/write:allow", "--", "sh", "-c",
                        "test -e '" + load + "' && echo loaded || echo refused; cat " + d / "a" + "; " +
                        "test -e '" + plain + "' && echo rule-added; cat " + d / "b" + " || echo b-denied"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "refused\na\nrule-added\nb-denied\n") << r.err;
  EXPECT_NE(r.err.find("load= (a module) is accepted when sydbox starts, not at run time"), std::string::npos)
      << r.err;
}

// A module that crashes in its hook ends the sandbox: sydbox names the
// module and the call, every sandboxed process is killed, sydbox exits 1.
TEST(Modules, ACrashEndsTheSandboxWithAMessage) {
  TempDir d;
  const std::string so =
      BuildModule(d, "crashy", ModuleSource("SYDBOX_MODULE_ABI",
                                            "if (host->nr(call) == SYS_uname) { volatile int* p = 0; *p = 1; }"));
  ASSERT_FALSE(so.empty());
  const std::string pidfile = d / "sleeper";
  RunResult r = Sydbox({"-m", "sys/trace+uname:load=" + so, "--", "sh", "-c",
                        "sleep 60 & echo $! > " + pidfile + "; uname; echo survived"});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("module ppid crashed (signal 11) deciding uname"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("survived"), std::string::npos) << r.out;
  const std::string pid = ReadFile(pidfile);
  ASSERT_FALSE(pid.empty());
  // The background sleeper went with the sandbox.
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = kill(std::stoi(pid), 0) != 0;
    if (!gone) usleep(20000);
  }
  EXPECT_TRUE(gone) << "pid " << pid;
}

}  // namespace
}  // namespace syd::test

namespace syd::test {
namespace {

const char* kMagicCalls = "stat,lstat,newfstatat,statx,access,faccessat,faccessat2";

// magic_stat is a module of the same interface: by default every stat-like
// call goes to it; `load=magic_stat:readonly` answers queries and refuses
// changes with EINVAL.
TEST(MagicStatModule, ReadOnlyAnswersQueriesAndRefusesChanges) {
  TempDir d;
  const std::string f = d / "f";
  const std::string sh = "test -e /dev/sydbox && echo in; test -e '/dev/sydbox/core/sandbox/write?' && echo query; "
                         "test -e /dev/sydbox/allowlist/write+" + d.path() + "/*** && echo changed; "
                         "(echo x > " + f + ") 2>/dev/null || echo denied";
  RunResult plain = Sydbox({"-m", "core/sandbox/write:deny", "-m", "allowlist/write+/dev/null", "--", "sh", "-c", sh});
  EXPECT_EQ(plain.out, "in\nquery\nchanged\n") << plain.err;
  ASSERT_TRUE(Exists(f));
  unlink(f.c_str());
  RunResult ro = Sydbox({"-m", "core/sandbox/write:deny", "-m", "allowlist/write+/dev/null", "-m",
                         std::string("sys/trace+") + kMagicCalls + ":load=magic_stat:readonly", "--", "sh", "-c", sh});
  EXPECT_EQ(ro.code, 0) << ro.err;
  EXPECT_EQ(ro.out, "in\nquery\ndenied\n") << ro.err;
  EXPECT_NE(ro.err.find("magic_stat is read-only"), std::string::npos) << ro.err;
  EXPECT_FALSE(Exists(f));
}

// initonly: changes are taken until the eldest process executes another
// program; the program it executes can only ask.
TEST(MagicStatModule, InitOnlyStopsAtTheNextProgram) {
  TempDir d;
  const std::string before = d / "before", after = d / "after";
  const std::string inner = "test -e /dev/sydbox/allowlist/write+" + after + " && echo added-after; "
                            "test -e '/dev/sydbox/allowlist/write?" + before + "' && echo query; "
                            "echo x > " + before + " && echo wrote-before; (echo x > " + after + ") 2>/dev/null || echo after-denied";
  RunResult r = Sydbox({"-m", "core/sandbox/write:deny", "-m", "allowlist/write+/dev/null", "-m",
                        std::string("sys/trace+") + kMagicCalls + ":load=magic_stat:initonly", "--", "sh", "-c",
                        "test -e /dev/sydbox/allowlist/write+" + before + " && echo added-before; exec sh -c '" +
                            inner + "'"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "added-before\nquery\nwrote-before\nafter-denied\n") << r.err;
  EXPECT_NE(r.err.find("magic_stat is init-only"), std::string::npos) << r.err;
  EXPECT_TRUE(Exists(before));
  EXPECT_FALSE(Exists(after));
}

TEST(MagicStatModule, BadOptionIsAConfigurationError) {
  RunResult r = Sydbox({"-m", std::string("sys/trace+") + kMagicCalls + ":load=magic_stat:readwrite", "--", "true"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("module magic_stat: init failed: unknown option 'readwrite'"), std::string::npos) << r.err;
}

// The dump names the module that answered a magic command.
TEST(MagicStatModule, TheDumpNamesIt) {
  TempDir d;
  RunResult r = Sydbox({"-d", d / "dump", "-m", "core/sandbox/write:deny", "--", "sh", "-c", "test -e /dev/sydbox"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(ReadFile(d / "dump").find("\"module\":\"magic_stat\""), std::string::npos);
}

}  // namespace
}  // namespace syd::test
