// Integration tests: the real sydbox binary running syd-test-helper. Each
// system call of SPEC §2.1 (read, write, exec, stat) is run twice: once in
// deny mode without an allowlist entry (must fail with the category's
// errno and leave the disk unchanged) and once with an allowlist entry for
// the test directory (must reach the kernel and have its effect).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <functional>
#include <regex>

#include "harness.h"

namespace syd::test {
namespace {

using Check = std::function<bool(const std::string& dir)>;

struct SysCase {
  const char* call;
  std::vector<std::string> args;  // "{d}" = test directory, "{fd}" = fd of {d}/f, "{dfd}" = fd of {d}
  const char* category;
  int deny_errno;
  Check unchanged;            // after the denied run
  Check changed;              // after the allowed run (nullptr: only the exit status)
  int allow_errno = 0;        // exit status of the allowed run
};

void PrintTo(const SysCase& c, std::ostream* os) { *os << c.call; }

bool HasXattr(const std::string& p) {
  char buf[8];
  return lgetxattr(p.c_str(), "user.syd", buf, sizeof buf) > 0;
}
mode_t Mode(const std::string& p) {
  struct stat st;
  return lstat(p.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}
time_t Mtime(const std::string& p) {
  struct stat st;
  return lstat(p.c_str(), &st) == 0 ? st.st_mtime : 0;
}

Check Absent(const char* rel) { return [=](const std::string& d) { return !Exists(d + "/" + rel); }; }
Check Present(const char* rel) { return [=](const std::string& d) { return Exists(d + "/" + rel); }; }
Check Content(const char* rel, const char* want) {
  return [=](const std::string& d) { return ReadFile(d + "/" + rel) == want; };
}
Check ModeIs(mode_t m) { return [=](const std::string& d) { return Mode(d + "/f") == m; }; }
Check MtimeIs(bool old) {
  return [=](const std::string& d) { return old ? Mtime(d + "/f") != 1000000 : Mtime(d + "/f") == 1000000; };
}
Check Xattr(bool want, const char* rel = "f") {
  return [=](const std::string& d) { return HasXattr(d + "/" + rel) == want; };
}
Check Always() { return [](const std::string&) { return true; }; }

const std::vector<SysCase>& Cases() {
  static const std::vector<SysCase> kCases = {
      // ---- write ----
      {"open-w", {"{d}/new"}, "write", EPERM, Absent("new"), Present("new")},
      {"openat-w", {"{d}//new"}, "write", EPERM, Absent("new"), Present("new")},
      {"openat2-w", {"{d}//new"}, "write", EPERM, Absent("new"), Present("new")},
      {"creat", {"{d}/new"}, "write", EPERM, Absent("new"), Present("new")},
      {"open-trunc", {"{d}/f"}, "write", EPERM, Content("f", "data"), Content("f", "")},
      {"access-w", {"{d}/f"}, "write", EACCES, Always(), nullptr},
      {"faccessat2-w", {"{d}//f"}, "write", EACCES, Always(), nullptr},
      {"mkdir", {"{d}/nd"}, "write", EPERM, Absent("nd"), Present("nd")},
      {"mkdirat", {"{d}//nd"}, "write", EPERM, Absent("nd"), Present("nd")},
      {"mknod", {"{d}/fifo"}, "write", EPERM, Absent("fifo"), Present("fifo")},
      {"mknodat", {"{d}//fifo"}, "write", EPERM, Absent("fifo"), Present("fifo")},
      {"rmdir", {"{d}/e"}, "write", EPERM, Present("e"), Absent("e")},
      {"unlink", {"{d}/f"}, "write", EPERM, Present("f"), Absent("f")},
      {"unlinkat", {"{d}//f"}, "write", EPERM, Present("f"), Absent("f")},
      {"rename", {"{d}/f", "{d}/g"}, "write", EPERM, Present("f"), Present("g")},
      {"renameat", {"{d}//f", "{d}//g"}, "write", EPERM, Present("f"), Present("g")},
      {"renameat2", {"{d}//f", "{d}//g"}, "write", EPERM, Present("f"), Present("g")},
      {"link", {"{d}/f", "{d}/h"}, "write", EPERM, Absent("h"), Present("h")},
      {"linkat", {"{d}//f", "{d}//h"}, "write", EPERM, Absent("h"), Present("h")},
      {"symlink", {"/etc/passwd", "{d}/sl"}, "write", EPERM, Absent("sl"), Present("sl")},
      {"symlinkat", {"/etc/passwd", "{d}//sl"}, "write", EPERM, Absent("sl"), Present("sl")},
      {"truncate", {"{d}/f"}, "write", EPERM, Content("f", "data"), Content("f", "")},
      {"chmod", {"{d}/f"}, "write", EPERM, ModeIs(0644), ModeIs(0600)},
      {"fchmod", {"{fd}"}, "write", EPERM, ModeIs(0644), ModeIs(0600)},
      {"fchmodat", {"{d}//f"}, "write", EPERM, ModeIs(0644), ModeIs(0600)},
      {"fchmodat2", {"{d}//f"}, "write", EPERM, ModeIs(0644), ModeIs(0600)},
      {"chown", {"{d}/f"}, "write", EPERM, Always(), nullptr},
      {"fchown", {"{fd}"}, "write", EPERM, Always(), nullptr},
      {"lchown", {"{d}/f"}, "write", EPERM, Always(), nullptr},
      {"fchownat", {"{d}//f"}, "write", EPERM, Always(), nullptr},
      {"utime", {"{d}/f"}, "write", EPERM, MtimeIs(true), MtimeIs(false)},
      {"utimes", {"{d}/f"}, "write", EPERM, MtimeIs(true), MtimeIs(false)},
      {"utimensat", {"{d}//f"}, "write", EPERM, MtimeIs(true), MtimeIs(false)},
      {"futimesat", {"{d}//f"}, "write", EPERM, MtimeIs(true), MtimeIs(false)},
      {"setxattr", {"{d}/f"}, "write", EPERM, Xattr(false), Xattr(true)},
      {"lsetxattr", {"{d}/f"}, "write", EPERM, Xattr(false), Xattr(true)},
      {"fsetxattr", {"{fd}"}, "write", EPERM, Xattr(false), Xattr(true)},
      {"setxattrat", {"{d}//f"}, "write", EPERM, Xattr(false), Xattr(true)},
      {"removexattr", {"{d}/x"}, "write", EPERM, Xattr(true, "x"), Xattr(false, "x")},
      {"lremovexattr", {"{d}/x"}, "write", EPERM, Xattr(true, "x"), Xattr(false, "x")},
      {"fremovexattr", {"{xfd}"}, "write", EPERM, Xattr(true, "x"), Xattr(false, "x")},
      {"removexattrat", {"{d}//x"}, "write", EPERM, Xattr(true, "x"), Xattr(false, "x")},
      // ---- read ----
      {"open-r", {"{d}/f"}, "read", EPERM, Always(), nullptr},
      {"openat-r", {"{dfd}//f"}, "read", EPERM, Always(), nullptr},
      {"openat2-r", {"{dfd}//f"}, "read", EPERM, Always(), nullptr},
      {"access-r", {"{d}/f"}, "read", EACCES, Always(), nullptr},
      {"faccessat-r", {"{dfd}//f"}, "read", EACCES, Always(), nullptr},
      {"chdir", {"{d}"}, "read", EPERM, Always(), nullptr},
      {"fchdir", {"{dfd}"}, "read", EPERM, Always(), nullptr},
      {"getxattr", {"{d}/f"}, "read", EPERM, Always(), nullptr, ENODATA},
      {"lgetxattr", {"{d}/f"}, "read", EPERM, Always(), nullptr, ENODATA},
      {"fgetxattr", {"{fd}"}, "read", EPERM, Always(), nullptr, ENODATA},
      {"getxattrat", {"{dfd}//f"}, "read", EPERM, Always(), nullptr, ENODATA},
      {"listxattr", {"{d}/f"}, "read", EPERM, Always(), nullptr},
      {"llistxattr", {"{d}/f"}, "read", EPERM, Always(), nullptr},
      {"flistxattr", {"{fd}"}, "read", EPERM, Always(), nullptr},
      {"listxattrat", {"{dfd}//f"}, "read", EPERM, Always(), nullptr},
      // ---- exec ----
      {"execve", {"{d}/prog"}, "exec", EPERM, Always(), nullptr},
      {"execveat", {"{d}//prog"}, "exec", EPERM, Always(), nullptr},
      // ---- stat ----
      {"stat", {"{d}/f"}, "stat", ENOENT, Always(), nullptr},
      {"lstat", {"{d}/f"}, "stat", ENOENT, Always(), nullptr},
      {"newfstatat", {"{d}//f"}, "stat", ENOENT, Always(), nullptr},
      {"statx", {"{d}//f"}, "stat", ENOENT, Always(), nullptr},
      {"readlink", {"{d}/l"}, "stat", ENOENT, Always(), nullptr},
      {"readlinkat", {"{d}//l"}, "stat", ENOENT, Always(), nullptr},
  };
  return kCases;
}

// Lays out the test directory, opens the descriptors the fd-based calls
// use (inherited by sydbox and the helper), and expands the arguments.
struct Fixture {
  TempDir dir;
  int fd = -1, dfd = -1, xfd = -1;
  Fixture() {
    WriteFile(dir / "f", "data");
    chmod((dir / "f").c_str(), 0644);
    WriteFile(dir / "x", "data");
    setxattr((dir / "x").c_str(), "user.syd", "v", 1, 0);
    mkdir((dir / "e").c_str(), 0755);
    symlink("f", (dir / "l").c_str());
    std::string cp = "cp /bin/true '" + (dir / "prog") + "'";
    EXPECT_EQ(system(cp.c_str()), 0);
    fd = open((dir / "f").c_str(), O_RDONLY);
    dfd = open(dir.path().c_str(), O_RDONLY | O_DIRECTORY);
    xfd = open((dir / "x").c_str(), O_RDONLY);
  }
  ~Fixture() {
    close(fd);
    close(dfd);
    close(xfd);
  }
  std::vector<std::string> Args(const SysCase& c) const {
    std::vector<std::string> out = {HelperBin(), c.call};
    for (std::string a : c.args) {
      a = std::regex_replace(a, std::regex("\\{d\\}"), dir.path());
      a = std::regex_replace(a, std::regex("\\{fd\\}"), "fd:" + std::to_string(fd));
      a = std::regex_replace(a, std::regex("\\{dfd\\}"), "fd:" + std::to_string(dfd));
      a = std::regex_replace(a, std::regex("\\{xfd\\}"), "fd:" + std::to_string(xfd));
      out.push_back(a);
    }
    return out;
  }
};

std::vector<std::string> BaseArgs(const SysCase& c) {
  std::vector<std::string> args = {"-m", std::string("core/sandbox/") + c.category + ":deny"};
  if (std::string(c.category) != "write") {
    auto sys = SystemAllowlist(c.category);
    args.insert(args.end(), sys.begin(), sys.end());
  }
  return args;
}

class SyscallTest : public ::testing::TestWithParam<SysCase> {};

TEST_P(SyscallTest, DenyModeBlocks) {
  const SysCase& c = GetParam();
  Fixture fx;
  std::vector<std::string> args = BaseArgs(c);
  args.push_back("--");
  auto cmd = fx.Args(c);
  args.insert(args.end(), cmd.begin(), cmd.end());
  RunResult r = Sydbox(args);
  EXPECT_EQ(r.code, c.deny_errno) << c.call << " stdout: " << r.out << " stderr: " << r.err;
  EXPECT_TRUE(c.unchanged(fx.dir.path())) << c.call << ": the disk changed although the call was denied";
  EXPECT_EQ(CountLines(r.err, "\"event\":\"violation\""), 1) << c.call << " stderr: " << r.err;
  EXPECT_NE(r.err.find(std::string("\"category\":\"") + c.category + "\""), std::string::npos) << r.err;
}

TEST_P(SyscallTest, AllowlistLetsThrough) {
  const SysCase& c = GetParam();
  Fixture fx;
  std::vector<std::string> args = BaseArgs(c);
  args.push_back("-m");
  args.push_back(std::string("allowlist/") + c.category + "+" + fx.dir.path() + "/***");
  args.push_back("--");
  auto cmd = fx.Args(c);
  args.insert(args.end(), cmd.begin(), cmd.end());
  RunResult r = Sydbox(args);
  EXPECT_EQ(r.code, c.allow_errno) << c.call << " stdout: " << r.out << " stderr: " << r.err;
  if (c.changed) {
    EXPECT_TRUE(c.changed(fx.dir.path())) << c.call << ": the allowed call had no effect";
  }
  EXPECT_EQ(CountLines(r.err, "\"event\":\"violation\""), 0) << c.call << " stderr: " << r.err;
}

INSTANTIATE_TEST_SUITE_P(Calls, SyscallTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<SysCase>& param) {
                           std::string n = param.param.call;
                           for (char& ch : n)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

// ---------------------------------------------------------------------------

TEST(Sydbox, HeadlineScenario) {
  TempDir d;
  RunResult r = Sydbox({"-m", "core/sandbox/write:deny", "-m", "allowlist/write+" + d.path() + "/***", "--",
                        "sh", "-c", "touch " + (d / "ok") + "; touch " + (d / "../syd-nope-file") + "; exit 3"});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_TRUE(Exists(d / "ok"));
  EXPECT_FALSE(Exists("/tmp/syd-nope-file"));
  EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r.err;
  EXPECT_EQ(CountLines(r.err, "\"event\":\"violation\""), 1) << r.err;
  EXPECT_NE(r.err.find("\"rule\":\"default:write\""), std::string::npos) << r.err;
}

TEST(Sydbox, GetdentsHidesDeniedEntries) {
  TempDir d;
  WriteFile(d / "visible", "");
  WriteFile(d / "hidden", "");
  auto args = SystemAllowlist("stat");
  for (std::string a : {d.path(), d / "visible"}) {
    args.push_back("-m");
    args.push_back("allowlist/stat+" + a);
  }
  args.insert(args.begin(), {"-m", "core/sandbox/stat:deny"});
  args.insert(args.end(), {"--", HelperBin(), "getdents64", d.path()});
  RunResult r = Sydbox(args);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("visible"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("hidden"), std::string::npos) << r.out;
}

TEST(Sydbox, FirstMatchWinsAcrossLists) {
  TempDir d;
  mkdir((d / "secret").c_str(), 0755);
  auto run = [&](std::vector<std::string> lists) {
    std::vector<std::string> args = {"-m", "core/sandbox/write:deny"};
    for (auto& l : lists) args.insert(args.end(), {"-m", l});
    args.insert(args.end(), {"--", HelperBin(), "open-w", d / "secret/x"});
    return Sydbox(args);
  };
  RunResult deny_first = run({"denylist/write+" + d / "secret/***", "allowlist/write+" + d.path() + "/***"});
  EXPECT_EQ(deny_first.code, EPERM);
  EXPECT_NE(deny_first.err.find("\"rule\":\"-m:2\""), std::string::npos) << deny_first.err;
  RunResult allow_first = run({"allowlist/write+" + d.path() + "/***", "denylist/write+" + d / "secret/***"});
  EXPECT_EQ(allow_first.code, 0) << allow_first.err;
  unlink((d / "secret/x").c_str());
  RunResult prepended = run({"allowlist/write+" + d.path() + "/***", "denylist/write^" + d / "secret/***"});
  EXPECT_EQ(prepended.code, EPERM);
  EXPECT_FALSE(Exists(d / "secret/x"));
}

TEST(Sydbox, RelativePathsUseTheCallersCwd) {
  TempDir d;
  mkdir((d / "sub").c_str(), 0755);
  RunResult r = Sydbox({"-m", "core/sandbox/write:deny", "-m", "allowlist/write+" + d / "sub/***", "--", "sh",
                        "-c", HelperBin() + " open-w ./a; cd sub && " + HelperBin() + " open-w ../b; " +
                                  HelperBin() + " open-w ./c"},
                       d.path());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(Exists(d / "a"));
  EXPECT_FALSE(Exists(d / "b"));
  EXPECT_TRUE(Exists(d / "sub/c"));
  EXPECT_EQ(CountLines(r.err, "\"event\":\"violation\""), 2) << r.err;
}

TEST(Sydbox, SymlinksAreFollowedWhereTheCallFollows) {
  TempDir d, outside;
  symlink((outside / "target").c_str(), (d / "esc").c_str());
  WriteFile(outside / "kept", "k");
  symlink((outside / "kept").c_str(), (d / "tokept").c_str());
  std::vector<std::string> base = {"-m", "core/sandbox/write:deny", "-m", "allowlist/write+" + d.path() + "/***",
                                   "--", HelperBin()};
  auto with = [&](std::vector<std::string> tail) {
    auto a = base;
    a.insert(a.end(), tail.begin(), tail.end());
    return Sydbox(a);
  };
  // open follows the link out of the allowed tree: denied, nothing created.
  EXPECT_EQ(with({"open-w", d / "esc"}).code, EPERM);
  EXPECT_FALSE(Exists(outside / "target"));
  // unlink does not follow: removing the link in the allowed tree is fine.
  EXPECT_EQ(with({"unlink", d / "tokept"}).code, 0);
  EXPECT_FALSE(Exists(d / "tokept"));
  EXPECT_TRUE(Exists(outside / "kept"));
  // O_CREAT|O_EXCL does not follow a trailing link: EEXIST from the kernel.
  symlink((outside / "t2").c_str(), (d / "esc2").c_str());
  EXPECT_EQ(with({"open-excl", d / "esc2"}).code, EEXIST);
  EXPECT_FALSE(Exists(outside / "t2"));
  // O_NOFOLLOW on a link: ELOOP, as the kernel says.
  EXPECT_EQ(with({"open-nofollow", d / "esc2"}).code, ELOOP);
}

TEST(Sydbox, ADirectorySwappedForASymlinkNeverLetsAnOpenOut) {
  // The check and the open see the same path: a component replaced by a
  // symlink between them makes the open fail (RESOLVE_NO_SYMLINKS) and the
  // call go through the full resolution, never outside.
  TempDir d, outside;
  RunResult r = Sydbox({"-m", "core/sandbox/write:deny", "-m", "allowlist/write+" + d.path() + "/***", "--",
                        HelperBin(), "swap-race", d.path(), outside.path(), "3000"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(Exists(outside / "f"));
  EXPECT_NE(r.out.find("created "), std::string::npos) << r.out;
}

TEST(Sydbox, PathsLongerThanPathMax) {
  TempDir d;
  const std::string comp(250, 'y');
  const std::string h = HelperBin();
  auto run = [&](const std::string& name) {
    return Sydbox({"-m", "core/sandbox/write:deny", "-m", "allowlist/write+" + d.path() + "/***", "--", h,
                   "deep-open-w", "20", comp, name},
                  d.path());
  };
  // 20 levels of 250 bytes: the cwd is ~5000 bytes, beyond PATH_MAX.
  RunResult in = run("deep-file");
  EXPECT_EQ(in.code, 0) << in.err;
  std::string find = "find '" + d.path() + "' -name deep-file | grep -q deep-file";
  EXPECT_EQ(system(find.c_str()), 0);
  // A relative path from that cwd that leaves the allowed tree is still caught.
  std::string up;
  for (int i = 0; i < 21; ++i) up += "../";
  RunResult out = run(up + "syd-deep-escape");
  EXPECT_EQ(out.code, EPERM) << out.err;
  EXPECT_EQ(CountLines(out.err, "\"event\":\"violation\""), 1) << out.err;
  EXPECT_FALSE(Exists("/tmp/syd-deep-escape"));
}

TEST(Sydbox, FifoOpensDoNotBlockTheSupervisor) {
  TempDir d;
  ASSERT_EQ(mkfifo((d / "p").c_str(), 0644), 0);
  // Both ends are opened inside the sandbox; the writer's open is performed
  // by the supervisor and must not hold a worker while it waits.
  RunResult r = Sydbox({"-m", "core/sandbox/write:deny", "-m", "core/sandbox/read:allow", "-m",
                        "allowlist/write+" + d.path() + "/***", "--", "sh", "-c",
                        "cat " + d / "p" + " > " + d / "out" + " & for i in 1 2 3; do " + HelperBin() +
                            " stat /etc/passwd >/dev/null; done; echo hi > " + d / "p" + "; wait"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ReadFile(d / "out"), "hi\n");
  // Both ends checked, so both opens are performed by the supervisor: the
  // reader's waits on a worker while another takes the writer's.
  std::remove((d / "out").c_str());
  RunResult both = Sydbox({"-m", "core/sandbox/write:deny", "-m", "core/sandbox/read:deny", "-m",
                           "allowlist/read+/***", "-m", "allowlist/write+" + d.path() + "/***", "--", "sh", "-c",
                           "cat " + d / "p" + " > " + d / "out" + " & sleep 0.2; echo both > " + d / "p" + "; wait"});
  EXPECT_EQ(both.code, 0) << both.err;
  EXPECT_EQ(ReadFile(d / "out"), "both\n");
}

TEST(Sydbox, SymlinkedDirectoriesAreDecidedByWhereTheyLead) {
  // An open is checked as written when no symlink is on the way; a path
  // through a symlinked directory is decided by the directory it reaches.
  TempDir d, outside;
  ASSERT_EQ(mkdir((d / "allowed").c_str(), 0755), 0);
  ASSERT_EQ(symlink(outside.path().c_str(), (d / "allowed/out").c_str()), 0);
  ASSERT_EQ(symlink((d / "allowed").c_str(), (outside / "in").c_str()), 0);
  std::vector<std::string> base = {"-m", "core/sandbox/write:deny", "-m",
                                   "allowlist/write+" + d.path() + "/allowed/***", "--", HelperBin()};
  auto run = [&](const std::string& path) {
    auto a = base;
    a.insert(a.end(), {"open-w", path});
    return Sydbox(a);
  };
  RunResult esc = run(d / "allowed/out/f");  // written inside, leads outside
  EXPECT_EQ(esc.code, EPERM) << esc.err;
  EXPECT_FALSE(Exists(outside / "f"));
  EXPECT_EQ(CountLines(esc.err, outside.path() + "/f"), 1) << esc.err;  // the report names the real path
  RunResult in = run(outside / "in/g");  // written outside, leads inside
  EXPECT_EQ(in.code, 0) << in.err;
  EXPECT_TRUE(Exists(d / "allowed/g"));
  RunResult plain = run(d / "allowed/h");
  EXPECT_EQ(plain.code, 0) << plain.err;
  EXPECT_TRUE(Exists(d / "allowed/h"));
}

TEST(Sydbox, ThreadsAndForkedChildren) {
  TempDir d;
  WriteFile(d / "f", "x");
  auto args = SystemAllowlist("read");
  args.insert(args.begin(), {"-m", "core/sandbox/read:deny"});
  auto threads = args;
  threads.insert(threads.end(), {"--", HelperBin(), "threads-open", d / "f"});
  RunResult t = Sydbox(threads);
  EXPECT_EQ(t.code, EPERM) << t.err;
  EXPECT_EQ(CountLines(t.err, "\"event\":\"violation\""), 4) << t.err;
  RunResult f = Sydbox({"-m", "core/sandbox/write:deny", "--", HelperBin(), "fork-open-w", d / "child"});
  EXPECT_EQ(f.code, EPERM) << f.err;
  EXPECT_FALSE(Exists(d / "child"));
}

TEST(Sydbox, MagicStat) {
  TempDir d;
  const std::string h = HelperBin();
  std::string script =
      h + " stat /dev/sydbox || exit 10; " + h + " stat /dev/sydbox/3 || exit 11; " + h +
      " stat /dev/sydbox/core/sandbox/write? || exit 12; " + h + " stat /dev/sydbox/core/sandbox/read?; [ $? = 2 ] || exit 13; " +
      h + " open-w " + d / "before" + "; [ $? = 1 ] || exit 14; " + h + " stat '/dev/sydbox/allowlist/write+" + d.path() +
      "/***' || exit 15; " + h + " open-w " + d / "after" + " || exit 16; " + h + " stat /dev/sydbox/bogus:1; [ $? = 22 ] || exit 17; " +
      h + " stat-mode /dev/sydbox/3 | grep -q 'mode=20000 rdev=1:3' || exit 18; " + h +
      " stat /dev/sydbox/core/trace/magic_lock:on || exit 19; true";
  RunResult r = Sydbox({"-m", "core/sandbox/write:deny", "--", "sh", "-c", script});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_FALSE(Exists(d / "before"));
  EXPECT_TRUE(Exists(d / "after"));
}

TEST(Sydbox, MagicLock) {
  const std::string h = HelperBin();
  // -l: no magic at all.
  RunResult locked = Sydbox({"-l", "--", h, "stat", "/dev/sydbox"});
  EXPECT_EQ(locked.code, ENOENT) << locked.err;
  RunResult cfg = Sydbox({"-m", "core/trace/magic_lock:on", "--", h, "stat", "/dev/sydbox/3"});
  EXPECT_EQ(cfg.code, ENOENT) << cfg.err;
  // A process that locks itself: later magic fails, also in its children.
  RunResult self = Sydbox({"--", "sh", "-c",
                           "[ -e /dev/sydbox/core/trace/magic_lock:on ] || exit 10; [ -e /dev/sydbox ] && exit 11; " + h +
                               " stat /dev/sydbox; [ $? = 2 ] || exit 12"});
  EXPECT_EQ(self.code, 0) << self.err;
  // exec: the shell keeps magic, what it executes afterwards does not.
  RunResult exec = Sydbox({"--", "sh", "-c",
                           "[ -e /dev/sydbox/core/trace/magic_lock:exec ] || exit 10; [ -e /dev/sydbox ] || exit 11; " + h +
                               " stat /dev/sydbox; [ $? = 2 ] || exit 12"});
  EXPECT_EQ(exec.code, 0) << exec.err;
  // Unlocked: sanity.
  RunResult open = Sydbox({"--", h, "stat", "/dev/sydbox"});
  EXPECT_EQ(open.code, 0) << open.err;
}

TEST(Sydbox, ExitCodes) {
  const std::string h = HelperBin();
  EXPECT_EQ(Sydbox({"--", h, "exit", "3"}).code, 3);
  EXPECT_EQ(Sydbox({"--", h, "kill-self", "9"}).code, 137);
  EXPECT_EQ(Sydbox({"--", h, "kill-self", "15"}).code, 143);
  RunResult missing = Sydbox({"--", "/nonexistent/program"});
  EXPECT_EQ(missing.code, 127);
  EXPECT_NE(missing.err.find("/nonexistent/program"), std::string::npos) << missing.err;
  EXPECT_EQ(Sydbox({"--", "/etc/passwd"}).code, 126);
}

TEST(Sydbox, BadInputRunsNothing) {
  TempDir d;
  const std::string marker = d / "ran";
  auto runs = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"--", HelperBin(), "open-w", marker});
    return Sydbox(args);
  };
  RunResult bad_cmd = runs({"-m", "core/sandbox/write:deny", "-m", "core/nope:1"});
  EXPECT_EQ(bad_cmd.code, 2);
  EXPECT_NE(bad_cmd.err.find("-m:2: unknown option"), std::string::npos) << bad_cmd.err;
  RunResult bad_pat = runs({"-m", "allowlist/write+/tmp/[x"});
  EXPECT_EQ(bad_pat.code, 2);
  EXPECT_NE(bad_pat.err.find("-m:1: bad pattern"), std::string::npos) << bad_pat.err;
  RunResult unreadable = runs({"-c", d / "missing.syd-3"});
  EXPECT_EQ(unreadable.code, 2);
  EXPECT_NE(unreadable.err.find("missing.syd-3"), std::string::npos) << unreadable.err;
  WriteFile(d / "bad.syd-3", "# ok\ncore/sandbox/write:deny\ncore/sandbox/write:sometimes\n");
  RunResult bad_file = runs({"-c", d / "bad.syd-3"});
  EXPECT_EQ(bad_file.code, 2);
  EXPECT_NE(bad_file.err.find("bad.syd-3:3: bad sandbox mode"), std::string::npos) << bad_file.err;
  WriteFile(d / "inc.syd-3", "include bad.syd-3\n");
  RunResult bad_inc = runs({"-c", d / "inc.syd-3"});
  EXPECT_EQ(bad_inc.code, 2);
  EXPECT_NE(bad_inc.err.find("bad.syd-3:3"), std::string::npos) << bad_inc.err;
  RunResult bad_profile = runs({"-p", "no-such-profile"});
  EXPECT_EQ(bad_profile.code, 2);
  EXPECT_FALSE(Exists(marker));
}

TEST(Sydbox, ConfigFilesIncludesTomlAndEnv) {
  TempDir d;
  WriteFile(d / "base.syd-3", "core/sandbox/write:deny\n");
  WriteFile(d / "main.syd-3", "include base.syd-3\nallowlist/write+" + d / "ok/***\n");
  mkdir((d / "ok").c_str(), 0755);
  RunResult r = Sydbox({"-c", d / "main.syd-3", "--", "sh", "-c",
                        HelperBin() + " open-w " + d / "ok/a" + " && " + HelperBin() + " open-w " + d / "no"});
  EXPECT_EQ(r.code, EPERM) << r.err;
  EXPECT_TRUE(Exists(d / "ok/a"));
  WriteFile(d / "p.toml", "[core.sandbox]\nwrite = \"deny\"\n[allowlist]\nwrite = [\"" + d / "ok/***" + "\"]\n");
  RunResult t = Sydbox({"-c", d / "p.toml", "--", HelperBin(), "open-w", d / "ok/b"});
  EXPECT_EQ(t.code, 0) << t.err;
  setenv("SYDBOX_CONFIG", (d / "base.syd-3").c_str(), 1);
  RunResult e = Sydbox({"--", HelperBin(), "open-w", d / "ok/c"});
  unsetenv("SYDBOX_CONFIG");
  EXPECT_EQ(e.code, EPERM) << e.err;
  // Legacy names in a .syd-1 file.
  WriteFile(d / "old.syd-1", "core/sandbox/write:deny\nwhitelist/write+" + d / "ok/***\ncore/trace/use_seccomp:true\n");
  RunResult old = Sydbox({"-c", d / "old.syd-1", "--", HelperBin(), "open-w", d / "ok/d"});
  EXPECT_EQ(old.code, 0) << old.err;
  EXPECT_NE(old.err.find("ignored"), std::string::npos) << old.err;
}

TEST(Sydbox, Decisions) {
  TempDir d;
  const std::string h = HelperBin();
  // kill: the offending process dies of SIGKILL.
  RunResult kill = Sydbox({"-m", "core/sandbox/write:deny", "-m", "core/violation/decision:kill", "--", h, "open-w", d / "k"});
  EXPECT_EQ(kill.code, 137) << kill.err;
  EXPECT_NE(kill.err.find("\"action\":\"kill\""), std::string::npos) << kill.err;
  // killall with an exit code: every process goes, sydbox exits with it.
  RunResult killall = Sydbox({"-m", "core/sandbox/write:deny", "-m", "core/violation/decision:killall", "-m",
                              "core/violation/exit_code:42", "--", "sh", "-c",
                              "sleep 30 & " + h + " open-w " + d / "k; sleep 30"});
  EXPECT_EQ(killall.code, 42) << killall.err;
  // cont: reported, then allowed.
  RunResult cont = Sydbox({"-m", "core/sandbox/write:deny", "-m", "core/violation/decision:cont", "--", h, "open-w", d / "c"});
  EXPECT_EQ(cont.code, 0) << cont.err;
  EXPECT_TRUE(Exists(d / "c"));
  EXPECT_NE(cont.err.find("\"action\":\"cont\""), std::string::npos) << cont.err;
  // --dry-run behaves like cont.
  RunResult dry = Sydbox({"--dry-run", "-m", "core/sandbox/write:deny", "--", h, "open-w", d / "dry"});
  EXPECT_EQ(dry.code, 0) << dry.err;
  EXPECT_EQ(CountLines(dry.err, "\"event\":\"violation\""), 1) << dry.err;
}

TEST(Sydbox, SafeDenialsFiltersAndRaiseFail) {
  TempDir d;
  mkdir((d / "exists").c_str(), 0755);
  const std::string h = HelperBin();
  RunResult safe = Sydbox({"-m", "core/sandbox/write:deny", "--", h, "mkdir", d / "exists"});
  EXPECT_EQ(safe.code, EEXIST) << safe.err;
  EXPECT_EQ(CountLines(safe.err, "\"event\":\"violation\""), 0) << safe.err;
  RunResult raised = Sydbox({"-m", "core/sandbox/write:deny", "-m", "core/violation/raise_safe:true", "--", h, "mkdir", d / "exists"});
  EXPECT_EQ(raised.code, EEXIST);
  EXPECT_EQ(CountLines(raised.err, "\"event\":\"violation\""), 1) << raised.err;
  RunResult filtered = Sydbox({"-m", "core/sandbox/write:deny", "-m", "filter/write+" + d.path() + "/***", "--", h, "open-w", d / "x"});
  EXPECT_EQ(filtered.code, EPERM);
  EXPECT_EQ(CountLines(filtered.err, "\"event\":\"violation\""), 0) << filtered.err;
  RunResult quiet = Sydbox({"-m", "core/sandbox/write:deny", "--", h, "open-w", d / "missing/x"});
  EXPECT_EQ(quiet.code, ENOENT);
  EXPECT_EQ(CountLines(quiet.err, "\"event\":\"violation\""), 0) << quiet.err;
  RunResult loud = Sydbox({"-m", "core/sandbox/write:deny", "-m", "core/violation/raise_fail:true", "--", h, "open-w", d / "missing/x"});
  EXPECT_EQ(loud.code, ENOENT);
  EXPECT_EQ(CountLines(loud.err, "\"event\":\"violation\""), 1) << loud.err;
}

TEST(Sydbox, ExecControls) {
  TempDir d;
  const std::string h = HelperBin();
  RunResult killed = Sydbox({"-m", "exec/kill_if_match+/bin/true", "-m", "exec/kill_if_match+/usr/bin/true", "--", h,
                             "execve", "/bin/true"});
  EXPECT_EQ(killed.code, 137) << killed.err;
  // A resumed process is no longer checked in user space.
  RunResult resumed = Sydbox({"-m", "core/sandbox/write:deny", "-m", "exec/resume_if_match+" + h, "--", h, "open-w", d / "r"});
  EXPECT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_TRUE(Exists(d / "r"));
}

TEST(Sydbox, ExitWaitAll) {
  TempDir d;
  RunResult wait = Sydbox({"-m", "core/sandbox/write:off", "--", HelperBin(), "orphan-write", d / "late"});
  EXPECT_EQ(wait.code, 0);
  EXPECT_TRUE(Exists(d / "late")) << "sydbox returned before the orphan finished";
  RunResult nowait = Sydbox({"-m", "core/trace/exit_wait_all:false", "--", HelperBin(), "orphan-write", d / "late2"});
  EXPECT_EQ(nowait.code, 0);
  usleep(400000);
  EXPECT_FALSE(Exists(d / "late2")) << "the orphan outlived sydbox";
}

TEST(Sydbox, HumanReportFormat) {
  TempDir d;
  RunResult r = RunCmd({SydboxBin(), "--log-format", "human", "-m", "core/sandbox/write:deny", "--", HelperBin(), "open-w",
                     d / "x"});
  EXPECT_EQ(r.code, EPERM);
  EXPECT_NE(r.err.find("sydbox: deny write path " + d / "x" + " (open, EPERM)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("rule default:write"), std::string::npos) << r.err;
}

TEST(Sydbox, MatchCheckExportHelpVersion) {
  EXPECT_EQ(RunCmd({SydboxBin(), "match", "/tmp/***", "/tmp", "/tmp/a/b"}).code, 0);
  EXPECT_EQ(RunCmd({SydboxBin(), "match", "/tmp/*", "/tmp/a/b"}).code, 1);
  EXPECT_EQ(RunCmd({SydboxBin(), "match", "/tmp/[x", "/tmp"}).code, 2);
  RunResult ex = RunCmd({SydboxBin(), "match", "--explain", "/tmp/*", "/tmp/a/b"});
  EXPECT_NE(ex.out.find("never match '/'"), std::string::npos) << ex.out;
  TempDir d;
  WriteFile(d / "good.syd-3", "core/sandbox/write:deny\nallowlist/write+/tmp/***\ndenylist/write+/tmp/x\n");
  WriteFile(d / "bad.syd-3", "core/sandbox/write:deny\nbogus\ncore/x:1\n");
  RunResult good = RunCmd({SydboxBin(), "check", d / "good.syd-3"});
  EXPECT_EQ(good.code, 0) << good.err;
  EXPECT_NE(good.err.find("good.syd-3:3 (deny /tmp/x) never decides for write"), std::string::npos) << good.err;
  RunResult bad = RunCmd({SydboxBin(), "check", d / "bad.syd-3"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("bad.syd-3:2:"), std::string::npos) << bad.err;
  RunResult pfc = RunCmd({SydboxBin(), "-m", "core/sandbox/write:deny", "--export", "pfc", "noexec"});
  EXPECT_EQ(pfc.code, 0);
  EXPECT_NE(pfc.out.find("USER_NOTIF"), std::string::npos) << pfc.out;
  RunResult raw = RunCmd({SydboxBin(), "--export", "bpf:" + d / "prog.bpf", "noexec"});
  EXPECT_EQ(raw.code, 0);
  struct stat st;
  ASSERT_EQ(stat((d / "prog.bpf").c_str(), &st), 0);
  EXPECT_EQ(st.st_size % 8, 0);
  EXPECT_GT(st.st_size, 0);
  EXPECT_EQ(RunCmd({SydboxBin(), "--help"}).code, 0);
  RunResult v = RunCmd({SydboxBin(), "-V"});
  EXPECT_EQ(v.code, 0);
  EXPECT_NE(v.out.find("sydbox"), std::string::npos);
  EXPECT_EQ(RunCmd({SydboxBin(), "--no-such-option"}).code, 2);
}

}  // namespace
}  // namespace syd::test
