// exec cannot be raced: each attack program of tests/helpers/syd-exec.c
// first runs a denied copy of itself natively (it leaves a marker file as
// its first action), then under sydbox with exec sandboxing, where the
// denied program must never run: refused before the exec, or killed after
// it before its first instruction (docs/SECURITY.md, "exec"). The exec
// controls (kill_if_match, verify) decide on the file actually executed.
// And a raced chdir into a read-denied directory gains nothing there.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <regex>

#include "harness.h"

namespace syd::test {
namespace {

// BASE/okdir/prog (allowed) and BASE/nodir/prog (denied): copies of
// syd-exec, same name length so a flipped buffer is always a whole path.
struct Programs {
  TempDir d;
  std::string ok = d / "okdir/prog", no = d / "nodir/prog", marker = d / "ran";
  Programs() {
    mkdir((d / "okdir").c_str(), 0755);
    mkdir((d / "nodir").c_str(), 0755);
    for (const std::string& to : {ok, no}) {
      std::ifstream in(Helper("syd-exec"), std::ios::binary);
      std::ofstream out(to, std::ios::binary);
      out << in.rdbuf();
      out.close();
      chmod(to.c_str(), 0755);
    }
  }
};

void Append(std::vector<std::string>& v, std::initializer_list<std::string> more) {
  v.insert(v.end(), more.begin(), more.end());
}

long Count(const std::string& out, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex(key + "=(\\d+)"))) return -1;
  return std::stol(m[1]);
}

std::vector<std::string> ExecDeny(const Programs& p) {
  return {"-m", "core/sandbox/exec:deny", "-m", "allowlist/exec+" + p.d.path() + "/okdir/***", "-m",
          "allowlist/exec+" + Helper("syd-exec")};
}

struct Attack {
  const char* name;
  bool race;  // the path changes between the check and the exec
};

void PrintTo(const Attack& a, std::ostream* os) { *os << a.name; }

class ExecAttack : public ::testing::TestWithParam<Attack> {};

TEST_P(ExecAttack, DeniedProgramNeverRuns) {
  const Attack& a = GetParam();
  Programs p;
  // Natively the denied program runs: the attack works.
  RunResult native = RunCmd({Helper("syd-exec"), a.name, p.ok, p.no, p.marker, "30"});
  ASSERT_EQ(native.code, 0) << a.name << " did not work natively: " << native.out << native.err;
  ASSERT_TRUE(Exists(p.marker));
  unlink(p.marker.c_str());

  std::vector<std::string> args = ExecDeny(p);
  // Races stop after three kills; the others are refused every time.
  Append(args, {"--", Helper("syd-exec"), a.name, p.ok, p.no, p.marker, a.race ? "15" : "2"});
  RunResult r = Sydbox(args);
  EXPECT_EQ(r.code, 1) << r.out << r.err.substr(0, 2000);
  EXPECT_FALSE(Exists(p.marker)) << "the denied program ran: " << ReadFile(p.marker) << "\n" << r.out;
  EXPECT_EQ(Count(r.out, "ran") + Count(r.out, "killed") + Count(r.out, "refused"), Count(r.out, "attempts"))
      << r.out;
  if (a.race) {
    // The race was won against the check before the exec (the kernel
    // executed the denied file) and lost to the check after it.
    EXPECT_GE(Count(r.out, "killed"), 1) << r.out;
    EXPECT_GE(CountLines(r.err, "\"action\":\"kill\""), Count(r.out, "killed")) << r.err.substr(0, 2000);
    EXPECT_GE(CountLines(r.err, "\"path\":\"" + p.no + "\""), 1);
  } else {
    EXPECT_EQ(Count(r.out, "killed"), 0) << r.out;
    EXPECT_GE(Count(r.out, "refused"), 1) << r.out;
  }
}

INSTANTIATE_TEST_SUITE_P(Exec, ExecAttack,
                         ::testing::Values(Attack{"thread", true}, Attack{"thread-exec", true},
                                           Attack{"vfork", true}, Attack{"clone-vm", true}, Attack{"shm", true},
                                           Attack{"dirlink", true}, Attack{"lastlink", true},
                                           Attack{"fdswap", true}, Attack{"memfd", false},
                                           Attack{"opath", false}),
                         [](const auto& i) {
                           std::string n = i.param.name;
                           for (char& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

// exec/kill_if_match decides on the file executed, with exec sandboxing
// off: a flipped buffer does not escape it. (Attempts that name nodir are
// killed at the first check; the race goes on for 3 s whatever the kills.)
TEST(ExecControls, KillIfMatchOnTheFileExecuted) {
  Programs p;
  RunResult r = Sydbox({"-m", "exec/kill_if_match+" + p.d.path() + "/nodir/***", "--", Helper("syd-exec"), "thread",
                        p.ok, p.no, p.marker, "3", "1000000"});
  EXPECT_EQ(r.code, 1) << r.out << r.err.substr(0, 2000);
  EXPECT_FALSE(Exists(p.marker)) << r.out;
  EXPECT_GE(Count(r.out, "killed"), 1) << r.out;
  EXPECT_GE(CountLines(r.err, "\"rule\":\"exec/kill_if_match\""), 1) << r.err.substr(0, 2000);
}

// exec/resume_if_match releases a process from every user-space check: it
// is decided on the file executed, or a raced exec of any program would
// run released. Here the released program could write where write
// sandboxing denies; the denied copy must never be released.
TEST(ExecControls, ResumeIfMatchOnTheFileExecuted) {
  Programs p;
  const std::vector<std::string> deny = {"-m", "core/sandbox/write:deny"};
  // Released, nodir/prog writes its marker although writes are denied.
  std::vector<std::string> direct = deny;
  Append(direct, {"-m", "exec/resume_if_match+" + p.d.path() + "/nodir/***", "--", p.no, "mark", p.ok, p.marker});
  RunResult released = Sydbox(direct);
  EXPECT_EQ(released.code, 0) << released.err;
  ASSERT_TRUE(Exists(p.marker)) << released.err;
  unlink(p.marker.c_str());
  // Not released, it cannot.
  std::vector<std::string> held = deny;
  Append(held, {"--", p.no, "mark", p.ok, p.marker});
  Sydbox(held);
  ASSERT_FALSE(Exists(p.marker));
  // Only okdir/prog is released; a thread flips the path to nodir/prog.
  std::vector<std::string> race = deny;
  Append(race, {"-m", "exec/resume_if_match+" + p.d.path() + "/okdir/***", "--", Helper("syd-exec"), "thread",
                p.ok, p.no, p.marker, "4"});
  RunResult r = Sydbox(race);
  EXPECT_EQ(r.code, 1) << r.out << r.err.substr(0, 2000);
  EXPECT_FALSE(Exists(p.marker)) << "the denied program ran released: " << r.out;
  EXPECT_GE(Count(r.out, "ran"), 1) << r.out;
}

std::string Sha256Of(const std::string& path) {
  RunResult r = RunCmd({"/usr/bin/sha256sum", path});
  return r.out.substr(0, 64);
}

TEST(ExecControls, Verify) {
  Programs p;
  const std::string sum = Sha256Of(p.ok);
  ASSERT_EQ(sum.size(), 64u);
  const std::string wrong(64, '0');
  const std::vector<std::string> run = {"--", p.ok, "mark", p.ok, p.marker};
  auto with = [&](std::vector<std::string> m) {
    m.insert(m.end(), run.begin(), run.end());
    return Sydbox(m);
  };
  // The right digest: runs. A wrong one: killed before it runs, reported.
  RunResult good = with({"-m", "exec/verify+" + sum + ":" + p.ok});
  EXPECT_EQ(good.code, 0) << good.err;
  RunResult bad = with({"-m", "exec/verify+" + wrong + ":" + p.ok});
  EXPECT_EQ(bad.code, 137) << bad.err;
  EXPECT_EQ(CountLines(bad.err, "\"rule\":\"exec/verify:-m:1\""), 1) << bad.err;
  // Entries whose pattern matches name the accepted digests; one is enough.
  RunResult either = with({"-m", "exec/verify+" + wrong + ":" + p.ok, "-m", "exec/verify+" + sum + ":" + p.d.path() + "/***"});
  EXPECT_EQ(either.code, 0) << either.err;
  // Verified on the file executed: through a symlink whose own path no
  // pattern names, and with a digest that matches another file's name.
  ASSERT_EQ(symlink(p.ok.c_str(), (p.d / "link").c_str()), 0);
  RunResult linked = Sydbox({"-m", "exec/verify+" + wrong + ":" + p.ok, "--", p.d / "link", "mark", p.ok, p.marker});
  EXPECT_EQ(linked.code, 137) << linked.err;
  // The digest is of the contents: nodir/prog has okdir/prog's bytes.
  RunResult contents = Sydbox({"-m", "exec/verify+" + sum + ":" + p.no, "--", p.no, "mark", p.ok, p.marker});
  EXPECT_EQ(contents.code, 0) << contents.err;  // same bytes as okdir/prog
  EXPECT_TRUE(Exists(p.marker));
}

// A script runs its interpreter: what executes is the interpreter, and it
// is decided like any program (the script itself is checked before the
// exec, on the path named).
TEST(ExecControls, ScriptInterpreterIsTheFileExecuted) {
  Programs p;
  const std::string script = p.d / "okdir/script";
  WriteFile(script, "#!/bin/sh\n: > '" + p.marker + "'\n");
  chmod(script.c_str(), 0755);
  RunResult denied = Sydbox({"-m", "core/sandbox/exec:deny", "-m", "allowlist/exec+" + p.d.path() + "/okdir/***",
                             "--", script});
  EXPECT_EQ(denied.code, 137) << denied.err;
  EXPECT_FALSE(Exists(p.marker));
  std::vector<std::string> args = SystemAllowlist("exec");
  Append(args, {"-m", "core/sandbox/exec:deny", "-m", "allowlist/exec+" + p.d.path() + "/okdir/***", "--", script});
  RunResult allowed = Sydbox(args);
  EXPECT_EQ(allowed.code, 0) << allowed.err;
  EXPECT_TRUE(Exists(p.marker));
}

// Nothing is attached when exec is not checked (@paludis: exec off): a
// thread whose exec failed is not traced. Under exec sandboxing it is (it
// was attached for the check after the exec, and stays attached until its
// next stop or exec, docs/SECURITY.md).
TEST(ExecControls, NoTracingWhenExecIsNotChecked) {
  RunResult native = RunCmd({Helper("syd-exec"), "traced-after-failed-exec"});
  ASSERT_EQ(native.code, 0) << native.err;
  EXPECT_EQ(native.out, "traced=0\n");
  RunResult off = Sydbox({"-p", "paludis", "--", Helper("syd-exec"), "traced-after-failed-exec"});
  EXPECT_EQ(off.code, 0) << off.err;
  EXPECT_EQ(off.out, "traced=0\n") << off.err;
  RunResult on = Sydbox({"-m", "core/sandbox/exec:deny", "-m", "allowlist/exec+" + Helper("syd-exec"), "-m",
                         "allowlist/exec+/", "--", Helper("syd-exec"),
                         "traced-after-failed-exec"});
  EXPECT_EQ(on.code, 0) << on.err;
  EXPECT_EQ(on.out, "traced=1\n") << on.err;
}

// A caller something outside already traces cannot be attached for the
// check after the exec: its exec is refused and reported (fail closed).
TEST(ExecControls, TracedFromOutsideIsRefused) {
  const std::string strace = "/usr/bin/strace";
  if (!Exists(strace) || RunCmd({strace, "-f", "-qq", "-o", "/dev/null", "/bin/true"}).code != 0)
    GTEST_SKIP() << "no strace that can trace here";
  RunResult r = RunCmd({strace, "-f", "-qq", "-o", "/dev/null", SydboxBin(), "--log-format", "json", "-m",
                        "core/sandbox/exec:deny", "-m", "allowlist/exec+/***", "--", "/bin/true"});
  EXPECT_EQ(r.code, 126) << r.err;
  EXPECT_EQ(CountLines(r.err, "\"rule\":\"exec:cannot-trace:EPERM\""), 1) << r.err;
  // Nothing is attached with exec sandboxing off: it runs.
  EXPECT_EQ(RunCmd({strace, "-f", "-qq", "-o", "/dev/null", SydboxBin(), "--", "/bin/true"}).code, 0);
}

// chdir cannot be performed for the caller and is answered CONTINUE: a
// thread flipping its path lands the process in a read-denied directory
// now and then, and there it gains nothing, because every later call is
// checked on the path it resolves to, from the real working directory.
TEST(Chdir, RacedChdirGainsNothing) {
  TempDir d;
  const std::string ok = d / "okdir", no = d / "nodir";
  mkdir(ok.c_str(), 0755);
  mkdir(no.c_str(), 0755);
  WriteFile(no + "/secret", "secret\n");
  RunResult native = RunCmd({Helper("syd-exec"), "chdir-flip", ok, no, "secret", "30"});
  ASSERT_EQ(native.code, 0) << native.out << native.err;
  std::vector<std::string> args;
  for (const char* cat : {"read", "stat"}) {
    std::vector<std::string> sys = SystemAllowlist(cat);
    args.insert(args.end(), sys.begin(), sys.end());
    args.push_back("-m");
    args.push_back(std::string("core/sandbox/") + cat + ":deny");
    args.push_back("-m");
    args.push_back(std::string("allowlist/") + cat + "+" + ok + "/***");
    args.push_back("-m");
    args.push_back(std::string("allowlist/") + cat + "+" + d.path());
  }
  Append(args, {"--", Helper("syd-exec"), "chdir-flip", ok, no, "secret", "60"});
  RunResult r = Sydbox(args);
  // It landed (the race was won: exit 2 would mean it never did) and read,
  // listed and stat'ed nothing there.
  EXPECT_EQ(r.code, 1) << r.out << r.err.substr(0, 2000);
  EXPECT_NE(r.out.find("landed=1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("read=EPERM list=EPERM stat=ENOENT statdir=ENOENT"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace syd::test
