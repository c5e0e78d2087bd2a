// The calls that create, remove and rename names (mkdir, mknod, rmdir,
// unlink, rename, link, symlink and their *at forms), performed by the
// supervisor on handles of the resolved parents:
//  - attacks: a symlink swapped under the path, the path buffer flipped by
//    a thread, a CLONE_VM child or another process through a MAP_SHARED
//    page; each changes the denied tree natively, and must leave it
//    unchanged, byte for byte, under sydbox;
//  - the kernel's answers kept: each call natively and under sydbox (with
//    the call allowed) on the same fixture, same result, same tree after;
//  - device nodes refused by default (core/restrict/device_nodes).
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "harness.h"

namespace syd::test {
namespace {

std::string Write() { return Helper("syd-write"); }

// Everything under `root` that a change could touch: per entry (sorted)
// its type and mode, owner, link count, size, device, times of change and
// modification (`times`), and the file's bytes or the link's target.
std::string Listing(const std::string& root, bool times = true, const std::string& rel = "") {
  std::string dir = rel.empty() ? root : root + "/" + rel;
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d))
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  std::ostringstream out;
  struct stat st;
  if (rel.empty() && lstat(root.c_str(), &st) == 0 && times)
    out << ". " << std::oct << st.st_mode << std::dec << " " << st.st_nlink << " m" << st.st_mtim.tv_sec << "."
        << st.st_mtim.tv_nsec << " c" << st.st_ctim.tv_sec << "." << st.st_ctim.tv_nsec << "\n";
  for (const std::string& n : names) {
    const std::string r = rel.empty() ? n : rel + "/" + n;
    const std::string p = root + "/" + r;
    if (lstat(p.c_str(), &st) != 0) continue;
    out << r << " " << std::oct << st.st_mode << std::dec << " " << st.st_uid << ":" << st.st_gid << " n"
        << st.st_nlink << " s" << (S_ISDIR(st.st_mode) ? 0 : st.st_size) << " r" << major(st.st_rdev) << ","
        << minor(st.st_rdev);
    if (times)
      out << " m" << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec << " c" << st.st_ctim.tv_sec << "."
          << st.st_ctim.tv_nsec;
    if (S_ISREG(st.st_mode)) out << " [" << ReadFile(p) << "]";
    if (S_ISLNK(st.st_mode)) {
      char t[4096];
      ssize_t k = readlink(p.c_str(), t, sizeof t);
      out << " -> " << std::string(t, k > 0 ? static_cast<size_t>(k) : 0);
    }
    out << "\n";
    if (S_ISDIR(st.st_mode)) out << Listing(root, times, r);
  }
  return out.str();
}

RunResult Under(const std::vector<std::string>& opts, const std::vector<std::string>& cmd,
                const std::string& cwd = "") {
  std::vector<std::string> args = opts;
  args.push_back("--");
  args.insert(args.end(), cmd.begin(), cmd.end());
  return Sydbox(args, cwd);
}

// Write sandboxing with T/A allowed; denials in T/D are not reported
// (thousands of them would only slow the attack down).
std::vector<std::string> AllowA(const std::string& t) {
  return {"-m", "core/sandbox/write:deny", "-m", "allowlist/write+" + t + "/A/***", "-m",
          "filter/write+" + t + "/D/***"};
}

std::vector<std::string> AllowDir(const std::string& d) {
  return {"-m", "core/sandbox/write:deny", "-m", "allowlist/write+" + d + "/***"};
}

double AttackSeconds() {
  const char* e = getenv("SYD_ATTACK_SECONDS");
  return e ? atof(e) : 1.5;
}

struct Attack {
  const char* kind;
  const char* call;
};
void PrintTo(const Attack& a, std::ostream* os) { *os << a.kind << "/" << a.call; }

class WriteAttack : public ::testing::TestWithParam<Attack> {};

struct Tally {
  long attempts = -1, ok = -1, denied = -1, other = -1;
};
Tally Parse(const std::string& out) {
  Tally t;
  size_t at = out.find(" after ");
  if (at != std::string::npos)
    sscanf(out.c_str() + at, " after %ld attempts (%ld succeeded, %ld denied, %ld failed", &t.attempts, &t.ok,
           &t.denied, &t.other);
  return t;
}

// Without sydbox the attack changes T/D (so the program works, and what
// sydbox must stop is real).
TEST_P(WriteAttack, ChangesTheDeniedTreeNatively) {
  const Attack a = GetParam();
  TempDir t;
  ASSERT_EQ(RunCmd({Write(), "prepare", t.path()}).code, 0);
  const std::string before = Listing(t / "D");
  RunResult r = RunCmd({Write(), "attack", a.kind, a.call, t.path(), "10"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(Listing(t / "D"), before) << r.out;
}

// Under sydbox, T/D is byte for byte what it was, and the race was live:
// some attempts were allowed (acted in T/A) and some denied.
TEST_P(WriteAttack, LeavesTheDeniedTreeUnchangedUnderSydbox) {
  const Attack a = GetParam();
  TempDir t;
  ASSERT_EQ(RunCmd({Write(), "prepare", t.path()}).code, 0);
  const std::string before = Listing(t / "D");
  RunResult r = Under(AllowA(t.path()),
                      {Write(), "attack", a.kind, a.call, t.path(), std::to_string(AttackSeconds())});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_EQ(Listing(t / "D"), before) << r.out;
  Tally n = Parse(r.out);
  EXPECT_GT(n.ok, 0) << r.out;
  EXPECT_GT(n.denied, 0) << r.out;
  std::cout << "    " << r.out;
}

const Attack kAttacks[] = {
    {"dirswap", "mkdir"},   {"dirswap", "mknod"},   {"dirswap", "symlink"}, {"dirswap", "link"},
    {"dirswap", "rename"},  {"dirswap", "exchange"}, {"dirswap", "unlink"}, {"dirswap", "rmdir"},
    {"dirswap", "linkold"}, {"lastswap", "linkfollow"},
    {"thread", "mkdir"},    {"thread", "mknod"},    {"thread", "symlink"},  {"thread", "link"},
    {"thread", "rename"},   {"thread", "exchange"}, {"thread", "unlink"},   {"thread", "rmdir"},
    {"thread", "linkold"},
    {"vmchild", "mkdir"},   {"vmchild", "symlink"}, {"vmchild", "link"},    {"vmchild", "rename"},
    {"vmchild", "unlink"},  {"vmchild", "rmdir"},
    {"shm", "mkdir"},       {"shm", "symlink"},     {"shm", "link"},        {"shm", "rename"},
    {"shm", "unlink"},      {"shm", "mknod"},
};
INSTANTIATE_TEST_SUITE_P(Attacks, WriteAttack, ::testing::ValuesIn(kAttacks),
                         [](const ::testing::TestParamInfo<Attack>& i) {
                           return std::string(i.param.kind) + "_" + i.param.call;
                         });

// The same attacks where a sys/ rule, not an allowlist, allows the calls in
// T/A: the rule looks at the path once, and the call must act on what it
// looked at (an allowed call used to be answered CONTINUE, and the kernel
// read the flipped path again).
class RuleAllowedAttack : public ::testing::TestWithParam<Attack> {};

TEST_P(RuleAllowedAttack, LeavesTheDeniedTreeUnchangedUnderSydbox) {
  const Attack a = GetParam();
  TempDir t;
  ASSERT_EQ(RunCmd({Write(), "prepare", t.path()}).code, 0);
  const std::string before = Listing(t / "D");
  RunResult r = Under({"-m", "core/sandbox/write:deny", "-m", "filter/write+" + t.path() + "/D/***", "-m",
                       "sys/trace+mkdir,mknod,unlink,rmdir,symlink:arg_=*\"" + t.path() + "/A/***\":allow"},
                      {Write(), "attack", a.kind, a.call, t.path(), std::to_string(AttackSeconds())});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_EQ(Listing(t / "D"), before) << r.out;
  Tally n = Parse(r.out);
  EXPECT_GT(n.attempts, 100) << r.out;
  std::cout << "    " << r.out;
}

// The same where a module (load=, include/sydbox/module.h) allows them: it
// is shown the resolved paths and answers SYDBOX_ALLOW for those in T/A;
// the call must be performed on exactly what it was shown.
TEST_P(RuleAllowedAttack, AModuleAllowLeavesTheDeniedTreeUnchanged) {
  const Attack a = GetParam();
  TempDir t, m;
  WriteFile(m / "allowdir.c", R"(#include <string.h>
#include <stdlib.h>
#include "sydbox/module.h"
static const struct sydbox_host* host;
static char prefix[4096];
static int init(const struct sydbox_host* h, const char* const* o, void** st, char* e, size_t n) {
  (void)e; (void)n; host = h; *st = 0;
  if (*o && strncmp(*o, "dir=", 4) == 0) strncpy(prefix, *o + 4, sizeof prefix - 1);
  return prefix[0] ? 0 : 1;
}
static struct sydbox_answer on_call(void* st, const struct sydbox_call* c) {
  (void)st;
  struct sydbox_answer a = {SYDBOX_DEFER, 0, 0};
  const char* p = host->path(c, 0);
  if (p && strncmp(p, prefix, strlen(prefix)) == 0) a.kind = SYDBOX_ALLOW;
  return a;
}
static const struct sydbox_module m = {sizeof m, SYDBOX_MODULE_ABI, "allowdir", init, on_call, 0};
const struct sydbox_module* sydbox_module_entry(void) { return &m; }
)");
  RunResult cc = RunCmd({FindProgram("cc"), "-shared", "-fPIC", "-I", SYD_SOURCE_DIR "/include", "-o",
                         m / "allowdir.so", m / "allowdir.c"});
  ASSERT_EQ(cc.code, 0) << cc.err;
  chmod(m.path().c_str(), 0755);
  ASSERT_EQ(RunCmd({Write(), "prepare", t.path()}).code, 0);
  const std::string before = Listing(t / "D");
  RunResult r = Under({"-m", "core/sandbox/write:deny", "-m", "filter/write+" + t.path() + "/D/***", "-m",
                       "sys/trace+mkdir,mknod,unlink,rmdir,symlink:load=" + m / "allowdir.so" + ":dir=" + t.path() +
                           "/A/"},
                      {Write(), "attack", a.kind, a.call, t.path(), std::to_string(AttackSeconds())});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_EQ(Listing(t / "D"), before) << r.out;
  Tally n = Parse(r.out);
  EXPECT_GT(n.attempts, 100) << r.out;
  std::cout << "    " << r.out;
}

const Attack kRuleAttacks[] = {
    {"thread", "mkdir"}, {"thread", "unlink"}, {"thread", "symlink"}, {"vmchild", "rmdir"},
    {"shm", "mknod"},    {"dirswap", "mkdir"},  {"dirswap", "unlink"},
};
INSTANTIATE_TEST_SUITE_P(Attacks, RuleAllowedAttack, ::testing::ValuesIn(kRuleAttacks),
                         [](const ::testing::TestParamInfo<Attack>& i) {
                           return std::string(i.param.kind) + "_" + i.param.call;
                         });

// ---- the kernel's answers, natively and under sydbox ----

// A fixture with the edge cases: files, an empty and a non-empty
// directory, symlinks to a file, to a directory, dangling and looping, a
// read-only directory.
void MakeFixture(const std::string& d) {
  WriteFile(d + "/f", "file f\n");
  WriteFile(d + "/g", "file g\n");
  mkdir((d + "/e").c_str(), 0755);
  mkdir((d + "/ne").c_str(), 0755);
  WriteFile(d + "/ne/inside", "inside\n");
  mkdir((d + "/ro").c_str(), 0555);
  symlink("f", (d + "/l").c_str());
  symlink("e", (d + "/ld").c_str());
  symlink("missing", (d + "/dl").c_str());
  symlink("loop", (d + "/loop").c_str());
}

struct Diff {
  std::vector<std::string> args;  // syd-write do ARGS, run in the fixture; "{shm}" = a directory on another mount
};
void PrintTo(const Diff& c, std::ostream* os) {
  for (const auto& a : c.args) *os << a << " ";
}

class WriteSameAsKernel : public ::testing::TestWithParam<Diff> {};

TEST_P(WriteSameAsKernel, SameResultSameTree) {
  const Diff& c = GetParam();
  TempDir native, sandboxed;
  char shm_tmpl[] = "/dev/shm/syd-write-XXXXXX";
  ASSERT_NE(mkdtemp(shm_tmpl), nullptr);
  const std::string shm = shm_tmpl;
  chmod(shm.c_str(), 0755);
  MakeFixture(native.path());
  MakeFixture(sandboxed.path());
  auto cmd = [&]() {
    std::vector<std::string> v = {Write(), "do"};
    for (std::string a : c.args) {
      if (size_t p = a.find("{shm}"); p != std::string::npos) a.replace(p, 5, shm);
      v.push_back(a);
    }
    return v;
  };
  RunResult n = RunCmd(cmd(), native.path());
  const std::string native_tree = Listing(native.path(), false);
  const std::string native_shm = Listing(shm, false);
  (void)!system(("rm -rf '" + shm + "'/* 2>/dev/null").c_str());
  // Everything the calls may touch is allowed, "/" too (for its errnos).
  RunResult s = Under({"-m", "core/sandbox/write:deny", "-m", "allowlist/write+" + sandboxed.path() + "/***", "-m",
                       "allowlist/write+" + shm + "/***", "-m", "allowlist/write+/"},
                      cmd(), sandboxed.path());
  EXPECT_EQ(s.out, n.out) << s.err;
  EXPECT_EQ(s.code, n.code);
  EXPECT_EQ(CountLines(s.err, "\"violation\""), 0) << s.err;
  EXPECT_EQ(Listing(sandboxed.path(), false), native_tree);
  EXPECT_EQ(Listing(shm, false), native_shm);
  (void)!system(("rm -rf '" + shm + "'").c_str());
}

const char* kRemoveDir = "0x200";  // AT_REMOVEDIR
const char* kFollow = "0x400";     // AT_SYMLINK_FOLLOW
const char* kEmpty = "0x1000";     // AT_EMPTY_PATH

const Diff kDiffs[] = {
    // mkdir
    {{"mkdir", "new", "0777"}},
    {{"mkdir", "new/", "0700"}},
    {{"mkdir", "f", "0755"}},
    {{"mkdir", "e", "0755"}},
    {{"mkdir", "f/", "0755"}},
    {{"mkdir", "l/", "0755"}},
    {{"mkdir", "dl", "0755"}},
    {{"mkdir", "dl/", "0755"}},
    {{"mkdir", ".", "0755"}},
    {{"mkdir", "e/..", "0755"}},
    {{"mkdir", "/", "0755"}},
    {{"mkdir", "missing/new", "0755"}},
    {{"mkdir", "f/new", "0755"}},
    {{"mkdir", "loop/new", "0755"}},
    {{"mkdir", "ro/new", "0755"}},
    {{"mkdir", "ld/new", "0755"}},
    {{"mkdirat", ".//new", "0750"}},
    {{"mkdirat", "e//new", "0750"}},
    // mknod: FIFOs, sockets and regular files; a directory or no type
    {{"mknod", "p", "fifo", "0666"}},
    {{"mknod", "s", "sock", "0600"}},
    {{"mknod", "r", "reg", "0640"}},
    {{"mknod", "z", "zero", "0644"}},
    {{"mknod", "dir", "dir", "0755"}},
    {{"mknod", "bad", "bad", "0755"}},
    {{"mknod", "f", "fifo", "0644"}},
    {{"mknod", "p/", "fifo", "0644"}},
    {{"mknod", "dl", "fifo", "0644"}},
    {{"mknodat", "e//p", "fifo", "0600"}},
    // rmdir
    {{"rmdir", "e"}},
    {{"rmdir", "e/"}},
    {{"rmdir", "ne"}},
    {{"rmdir", "f"}},
    {{"rmdir", "missing"}},
    {{"rmdir", "e/."}},
    {{"rmdir", "e/.."}},
    {{"rmdir", "ld"}},
    {{"rmdir", "ld/"}},
    {{"rmdir", "/"}},
    {{"rmdir", "."}},
    // unlink, unlinkat
    {{"unlink", "f"}},
    {{"unlink", "e"}},
    {{"unlink", "e/"}},
    {{"unlink", "f/"}},
    {{"unlink", "l"}},
    {{"unlink", "l/"}},
    {{"unlink", "ld/"}},
    {{"unlink", "dl"}},
    {{"unlink", "dl/"}},
    {{"unlink", "missing"}},
    {{"unlink", "."}},
    {{"unlink", "/"}},
    {{"unlink", "ne/inside"}},
    {{"unlinkat", ".//e", kRemoveDir}},
    {{"unlinkat", ".//f", kRemoveDir}},
    {{"unlinkat", ".//ne", kRemoveDir}},
    {{"unlinkat", "ne//inside", "0"}},
    {{"unlinkat", ".//f", "1"}},
    // rename, renameat, renameat2
    {{"rename", "f", "g"}},
    {{"rename", "f", "new"}},
    {{"rename", "f", "e"}},
    {{"rename", "e", "f"}},
    {{"rename", "e", "ne"}},
    {{"rename", "ne", "e"}},
    {{"rename", "e", "e/sub"}},
    {{"rename", "missing", "new"}},
    {{"rename", "f", "missing/new"}},
    {{"rename", "f/", "new"}},
    {{"rename", "e/", "new/"}},
    {{"rename", "f", "new/"}},
    {{"rename", "l", "new"}},
    {{"rename", "ld/", "new"}},
    {{"rename", ".", "new"}},
    {{"rename", "e", "."}},
    {{"rename", "e", "ne/.."}},
    {{"rename", "/", "new"}},
    {{"rename", "f", "f"}},
    {{"rename", "f", "{shm}/x"}},
    {{"renameat", ".//f", "e//new"}},
    {{"renameat2", "f", "g", "1"}},
    {{"renameat2", "f", "new", "1"}},
    {{"renameat2", "f", "g", "2"}},
    {{"renameat2", "e", "f", "2"}},
    {{"renameat2", "f", "missing", "2"}},
    {{"renameat2", "f", "new", "3"}},
    {{"renameat2", "f", "new", "8"}},
    {{"renameat2", "f", "{shm}/x", "2"}},
    {{"renameat2", "f", "new", "4"}},
    // link, linkat
    {{"link", "f", "h"}},
    {{"link", "f", "g"}},
    {{"link", "e", "h"}},
    {{"link", "l", "h"}},
    {{"link", "dl", "h"}},
    {{"link", "missing", "h"}},
    {{"link", "f", "h/"}},
    {{"link", "f/", "h"}},
    {{"link", "f", "{shm}/h"}},
    {{"link", ".", "h"}},
    {{"linkat", ".//l", ".//h", kFollow}},
    {{"linkat", ".//dl", ".//h", kFollow}},
    {{"linkat", ".//ld", ".//h", kFollow}},
    {{"linkat", ".//f", ".//h", "1"}},
    {{"linkat", ".//f", ".//h", kEmpty}},
    {{"openfd-link", "f", "h"}},
    {{"tmpfile-link", ".", "h"}},
    // symlink, symlinkat
    {{"symlink", "target", "new"}},
    {{"symlink", "target", "f"}},
    {{"symlink", "target", "dl"}},
    {{"symlink", "target", "new/"}},
    {{"symlink", "", "new"}},
    {{"symlink", "target", "missing/new"}},
    {{"symlink", "target", "."}},
    {{"symlinkat", "target", "e//new"}},
};
INSTANTIATE_TEST_SUITE_P(Calls, WriteSameAsKernel, ::testing::ValuesIn(kDiffs));

// ---- as the caller ----

// Root runs a caller as uid 1000 (setpriv): the supervisor's privilege must
// not become the caller's. Each case natively and under sydbox (allowed),
// same answer and no violation.
std::vector<std::string> AsUser(uid_t uid, const std::vector<std::string>& cmd) {
  std::vector<std::string> v = {"/usr/bin/setpriv", "--reuid=" + std::to_string(uid),
                                "--regid=" + std::to_string(uid), "--clear-groups"};
  v.insert(v.end(), cmd.begin(), cmd.end());
  return v;
}

void ExpectSameAsNative(const std::string& allowed, const std::vector<std::string>& cmd, const std::string& want) {
  RunResult n = RunCmd(cmd);
  EXPECT_EQ(n.out, want) << n.err;
  RunResult s = Under(AllowDir(allowed), cmd);
  EXPECT_EQ(s.out, n.out) << s.err;
  EXPECT_EQ(s.code, n.code);
  EXPECT_EQ(CountLines(s.err, "\"violation\""), 0) << s.err;
}

// A directory the caller may write, below one it may not search: natively
// EACCES, so the supervisor's walk to the parent is the caller's too.
TEST(WriteAsCaller, SearchPermissionOnTheWay) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (to run the caller as another user)";
  TempDir d;
  ASSERT_EQ(mkdir((d / "secret").c_str(), 0700), 0);
  ASSERT_EQ(mkdir((d / "secret/pub").c_str(), 0777), 0);
  chmod((d / "secret/pub").c_str(), 0777);
  WriteFile(d / "secret/pub/f", "f");
  chmod((d / "secret/pub/f").c_str(), 0666);
  for (const std::vector<std::string>& call :
       {std::vector<std::string>{"mkdir", d / "secret/pub/x", "0755"}, {"unlink", d / "secret/pub/f"},
        {"mknod", d / "secret/pub/p", "fifo", "0644"}, {"symlink", "t", d / "secret/pub/s"},
        {"rename", d / "secret/pub/f", d / "secret/pub/g"}, {"link", d / "secret/pub/f", d / "secret/pub/h"}}) {
    std::vector<std::string> cmd = {Write(), "do"};
    cmd.insert(cmd.end(), call.begin(), call.end());
    ExpectSameAsNative(d.path(), AsUser(1000, cmd), "EACCES\n");
  }
  EXPECT_EQ(Listing(d.path(), false).find("secret/pub/x"), std::string::npos);
  EXPECT_TRUE(Exists(d / "secret/pub/f"));
}

// A sticky directory: only the owner of a file (or of the directory) may
// remove or rename it.
TEST(WriteAsCaller, StickyDirectory) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (to make files of two users)";
  TempDir d;
  ASSERT_EQ(mkdir((d / "tmp").c_str(), 01777), 0);
  chmod((d / "tmp").c_str(), 01777);
  WriteFile(d / "tmp/theirs", "x");
  ASSERT_EQ(chown((d / "tmp/theirs").c_str(), 1234, 1234), 0);
  const std::string w = Write();
  ExpectSameAsNative(d.path(), AsUser(1000, {w, "do", "unlink", d / "tmp/theirs"}), "EPERM\n");
  ExpectSameAsNative(d.path(), AsUser(1000, {w, "do", "rename", d / "tmp/theirs", d / "tmp/mine"}), "EPERM\n");
  // (fs.protected_hardlinks: no hard link to another user's file either)
  ExpectSameAsNative(d.path(), AsUser(1000, {w, "do", "link", d / "tmp/theirs", d / "tmp/mine"}), "EPERM\n");
  EXPECT_TRUE(Exists(d / "tmp/theirs"));
  // The owner may (natively first, then under sydbox on a second file).
  WriteFile(d / "tmp/theirs2", "x");
  ASSERT_EQ(chown((d / "tmp/theirs2").c_str(), 1234, 1234), 0);
  EXPECT_EQ(RunCmd(AsUser(1234, {w, "do", "unlink", d / "tmp/theirs"})).code, 0);
  RunResult s = Under(AllowDir(d.path()), AsUser(1234, {w, "do", "unlink", d / "tmp/theirs2"}));
  EXPECT_EQ(s.code, 0) << s.out << s.err;
  EXPECT_FALSE(Exists(d / "tmp/theirs2"));
}

// The caller's umask, applied by the kernel: or a default ACL instead.
TEST(WriteAsCaller, UmaskAndDefaultAcl) {
  TempDir d;
  const std::string w = Write();
  auto with_umask = [&](const std::string& p) {
    return std::vector<std::string>{"/bin/sh", "-c", "umask 027 && \"$0\" do mkdir \"$1\" 0777 && exec \"$0\" do mknod \"$1/p\" fifo 0666", w, p};
  };
  ASSERT_EQ(RunCmd(with_umask(d / "native")).code, 0);
  ASSERT_EQ(Under(AllowDir(d.path()), with_umask(d / "sandboxed")).code, 0);
  struct stat n, s;
  ASSERT_EQ(lstat((d / "native").c_str(), &n), 0);
  ASSERT_EQ(lstat((d / "sandboxed").c_str(), &s), 0);
  EXPECT_EQ(n.st_mode & 07777, 0750u);
  EXPECT_EQ(s.st_mode, n.st_mode);
  ASSERT_EQ(lstat((d / "native/p").c_str(), &n), 0);
  ASSERT_EQ(lstat((d / "sandboxed/p").c_str(), &s), 0);
  EXPECT_EQ(n.st_mode & 07777, 0640u);
  EXPECT_EQ(s.st_mode, n.st_mode);
  // USER_OBJ rwx, GROUP_OBJ rwx, OTHER rwx (acl(5) xattr format).
  const uint32_t entries[] = {2, 0x00070001, 0xffffffff, 0x00070004, 0xffffffff, 0x00070020, 0xffffffff};
  ASSERT_EQ(mkdir((d / "acl").c_str(), 0777), 0);
  if (setxattr((d / "acl").c_str(), "system.posix_acl_default", entries, sizeof entries, 0) != 0)
    GTEST_SKIP() << "no POSIX ACLs on /tmp: " << strerror(errno);
  ASSERT_EQ(RunCmd(with_umask(d / "acl/native")).code, 0);
  ASSERT_EQ(Under(AllowDir(d.path()), with_umask(d / "acl/sandboxed")).code, 0);
  ASSERT_EQ(lstat((d / "acl/native").c_str(), &n), 0);
  ASSERT_EQ(lstat((d / "acl/sandboxed").c_str(), &s), 0);
  EXPECT_EQ(n.st_mode & 07777, 0777u);  // the ACL's, not the umask's
  EXPECT_EQ(s.st_mode, n.st_mode);
}

// ---- device nodes ----

// Found: as root, a character device made inside an allowed tree could
// then be opened for writing (makedev(1,3) is /dev/null; a disk or
// /dev/mem would be reached the same way).
TEST(DeviceNodes, RefusedByDefaultEvenToRoot) {
  TempDir d;
  const std::vector<std::string> chr = {Write(), "do", "mknod", d / "null", "chr", "0666", "1", "3"};
  const std::vector<std::string> blk = {Write(), "do", "mknod", d / "loop", "blk", "0600", "7", "0"};
  const std::vector<std::string> chrat = {Write(), "do", "mknodat", d.path() + "//n2", "chr", "0666", "1", "3"};
  for (const auto& opts : {AllowDir(d.path()), std::vector<std::string>{}}) {
    for (const auto& cmd : {chr, blk, chrat}) {
      RunResult r = Under(opts, cmd);
      EXPECT_EQ(r.code, EPERM) << r.out << r.err;
      EXPECT_EQ(r.out, "EPERM\n");
    }
  }
  EXPECT_FALSE(Exists(d / "null") || Exists(d / "loop") || Exists(d / "n2"));
  // Natively root may (and only root): the refusal above is sydbox's; and
  // the node then opens for writing, which is the harm.
  RunResult native = RunCmd(chr);
  EXPECT_EQ(native.code, geteuid() == 0 ? 0 : EPERM) << native.out;
  if (geteuid() == 0) {
    RunResult w = RunCmd({Write(), "do", "open-w", d / "null"});
    EXPECT_EQ(w.out, "OK\n") << w.err;
  }
}

TEST(DeviceNodes, TheOptionLiftsIt) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (CAP_MKNOD)";
  TempDir d;
  auto opts = AllowDir(d.path());
  opts.insert(opts.end(), {"-m", "core/restrict/device_nodes:false"});
  RunResult r = Under(opts, {Write(), "do", "mknod", d / "null", "chr", "0666", "1", "3"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  struct stat st;
  ASSERT_EQ(lstat((d / "null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  // The caller's capabilities decide: root without CAP_MKNOD is refused.
  RunResult nocap = Under(opts, {"/usr/bin/setpriv", "--inh-caps=-mknod", "--bounding-set=-mknod", Write(), "do",
                                 "mknod", d / "null2", "chr", "0666", "1", "3"});
  EXPECT_EQ(nocap.code, EPERM) << nocap.out << nocap.err;
  EXPECT_FALSE(Exists(d / "null2"));
}

// A whiteout (character device 0:0, what overlayfs and RENAME_WHITEOUT
// make) names no device: the kernel lets anyone make one, and so does the
// restriction.
TEST(DeviceNodes, WhiteoutsAreNotDevices) {
  TempDir d;
  RunResult native = RunCmd({Write(), "do", "mknod", d / "w1", "chr", "0", "0", "0"});
  RunResult r = Under(AllowDir(d.path()), {Write(), "do", "mknod", d / "w2", "chr", "0", "0", "0"});
  EXPECT_EQ(r.code, native.code) << r.out << r.err;
  EXPECT_EQ(Exists(d / "w2"), Exists(d / "w1"));
}

// The restriction lives in the kernel program: it cannot be lifted once
// the sandbox runs.
TEST(DeviceNodes, CannotBeLiftedAtRunTime) {
  TempDir d;
  const std::string w = Write();
  RunResult r = Under(AllowDir(d.path()),
                      {"/bin/sh", "-c",
                       "test -e /dev/sydbox/core/restrict/device_nodes:false && exit 10; " + w + " do mknod " +
                           (d / "null") + " chr 0666 1 3; [ $? = 1 ] || exit 11"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_FALSE(Exists(d / "null"));
}

}  // namespace
}  // namespace syd::test
