// Differential test of the calls the supervisor performs (issue 10, item
// 2): each row runs one call natively and under sydbox with every
// category in allow mode (so every checked call goes through the
// supervisor), each on a fresh copy of the same fixture of edge cases, and
// compares the exit status (the errno), what the call printed and the
// resulting disk state (a canonical listing: types, modes, owners, sizes,
// link targets, contents of small files, explicitly set times, xattrs).
// As root every row runs a second time as uid 65534 (setpriv), an
// unprivileged caller of a fixture it does not own.
//
// A row is a command line: "@" stands for the fixture's directory and "%"
// for its twin on another file system (/dev/shm, for cross-device cases);
// HELPER, CALLER and SH name syd-test-helper, syd-caller and /bin/sh. Add
// rows for a call by appending to kRows.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <sstream>

#include "harness.h"

namespace syd::test {
namespace {

struct Row {
  const char* name;
  const char* cmd;  // words separated by spaces
};

// clang-format off
const Row kRows[] = {
  // open family (syd-test-helper)
  {"open_r_file", "HELPER open-r @/file"},
  {"open_r_dir", "HELPER open-r @/dir"},
  {"open_r_link", "HELPER open-r @/link"},
  {"open_r_dangling", "HELPER open-r @/dangling"},
  {"open_r_loop", "HELPER open-r @/loop"},
  {"open_r_missing", "HELPER open-r @/missing"},
  {"open_r_noperm", "HELPER open-r @/noperm/f"},
  {"open_r_through_file", "HELPER open-r @/file/x"},
  {"open_w_existing", "HELPER open-w @/file"},
  {"open_w_new", "HELPER open-w @/new"},
  {"open_w_dir", "HELPER open-w @/dir"},
  {"open_w_readonly", "HELPER open-w @/ro"},
  {"open_w_dangling_creates_target", "HELPER open-w @/dangling"},
  {"open_w_noperm_parent", "HELPER open-w @/noperm/new"},
  {"open_w_sticky_other", "HELPER open-w @/sticky/other"},
  {"open_w_acl_dir", "HELPER open-w @/acl/new"},
  {"open_trunc_file", "HELPER open-trunc @/file"},
  {"open_trunc_readonly", "HELPER open-trunc @/ro"},
  {"open_nofollow_link", "HELPER open-nofollow @/link"},
  {"open_nofollow_file", "HELPER open-nofollow @/file"},
  {"open_excl_existing", "HELPER open-excl @/file"},
  {"open_excl_new", "HELPER open-excl @/new"},
  {"open_excl_dangling", "HELPER open-excl @/dangling"},
  {"openat_r_dirfd", "HELPER openat-r @/dir//inner"},
  {"openat_w_dirfd", "HELPER openat-w @/dir//new"},
  {"openat2_r", "HELPER openat2-r @/file"},
  {"openat2_mode_without_creat", "CALLER openat2-mode @/file"},
  {"openat2_w", "HELPER openat2-w @/new"},
  {"creat_new", "HELPER creat @/new"},
  {"creat_existing", "HELPER creat @/file"},
  {"creat_readonly", "HELPER creat @/ro"},
  // open flags and objects (syd-caller)
  {"fifo_nonblock_read", "CALLER open-flags @/fifo rdonly,nonblock"},
  {"fifo_nonblock_write_no_reader", "CALLER open-flags @/fifo wronly,nonblock"},
  {"open_directory_on_file", "CALLER open-flags @/file rdonly,directory"},
  {"open_write_on_dir", "CALLER open-flags @/dir rdwr"},
  {"open_append_creat", "CALLER open-flags @/new wronly,creat,append"},
  {"open_tmpfile", "CALLER open-flags @/dir rdwr,tmpfile"},
  {"open_excl_without_creat", "CALLER open-flags @/file rdonly,excl"},
  {"open_creat_trailing_slash", "CALLER open-flags @/new/ wronly,creat"},
  {"opath_dir", "CALLER opath @/dir inner"},
  // a umask set by a process sharing the caller's fs_struct (CLONE_FS)
  {"shared_fs_umask", "CALLER shared-fs-umask @/dir"},
  {"opath_file", "CALLER opath-file @/file"},
  {"opath_nofollow_link", "CALLER opath-nofollow @/link"},
  {"opath_dangling", "CALLER opath-file @/dangling"},
  {"opath_noperm", "CALLER opath-file @/noperm/f"},
  {"opath_exec", "CALLER opath-exec @/prog"},
  // access, chdir
  {"access_r_file", "HELPER access-r @/file"},
  {"access_w_readonly", "HELPER access-w @/ro"},
  {"access_r_noperm", "HELPER access-r @/noperm/f"},
  {"access_missing", "HELPER access-r @/missing"},
  {"faccessat_r", "HELPER faccessat-r @//file"},
  {"faccessat2_w", "HELPER faccessat2-w @//ro"},
  {"chdir_dir", "HELPER chdir @/dir"},
  {"chdir_file", "HELPER chdir @/file"},
  {"chdir_noperm", "HELPER chdir @/noperm"},
  {"fchdir_file_fd", "SH -c exec\\ 3<@/file;\\ exec\\ HELPER\\ fchdir\\ fd:3"},
  // xattrs, read side
  {"getxattr", "HELPER getxattr @/xattr"},
  {"getxattr_none", "HELPER getxattr @/file"},
  {"lgetxattr_link", "HELPER lgetxattr @/link"},
  {"listxattr", "HELPER listxattr @/xattr"},
  {"llistxattr", "HELPER llistxattr @/link"},
  {"getxattrat", "HELPER getxattrat @//xattr"},
  {"listxattrat", "HELPER listxattrat @//xattr"},
  {"fgetxattr", "SH -c exec\\ 3<@/xattr;\\ exec\\ HELPER\\ fgetxattr\\ fd:3"},
  {"flistxattr", "SH -c exec\\ 3<@/xattr;\\ exec\\ HELPER\\ flistxattr\\ fd:3"},
  // create and remove
  {"mkdir_new", "HELPER mkdir @/newdir"},
  {"mkdir_existing", "HELPER mkdir @/file"},
  {"mkdir_dangling", "HELPER mkdir @/dangling"},
  {"mkdir_noperm", "HELPER mkdir @/noperm/x"},
  {"mkdir_acl_dir", "HELPER mkdir @/acl/d"},
  {"mkdirat", "HELPER mkdirat @//newdir"},
  {"mknod_fifo", "HELPER mknod @/newfifo"},
  {"mknod_existing", "HELPER mknod @/file"},
  {"mknodat_fifo", "HELPER mknodat @//newfifo"},
  {"rmdir_empty", "HELPER rmdir @/empty"},
  {"rmdir_nonempty", "HELPER rmdir @/dir"},
  {"rmdir_file", "HELPER rmdir @/file"},
  {"rmdir_link_to_dir", "HELPER rmdir @/dirlink"},
  {"rmdir_sticky_other", "HELPER rmdir @/sticky/otherdir"},
  {"unlink_file", "HELPER unlink @/file"},
  {"unlink_dir", "HELPER unlink @/dir"},
  {"unlink_link", "HELPER unlink @/link"},
  {"unlink_dangling", "HELPER unlink @/dangling"},
  {"unlink_sticky_other", "HELPER unlink @/sticky/other"},
  {"unlink_noperm", "HELPER unlink @/noperm/f"},
  {"unlinkat", "HELPER unlinkat @//file"},
  // rename, link, symlink
  {"rename_to_new", "HELPER rename @/file @/new"},
  {"rename_over_file", "HELPER rename @/file @/file2"},
  {"rename_file_over_dir", "HELPER rename @/file @/empty"},
  {"rename_dir_over_file", "HELPER rename @/dir @/file"},
  {"rename_dir_over_empty", "HELPER rename @/dir @/empty"},
  {"rename_dir_over_nonempty", "HELPER rename @/empty @/dir"},
  {"rename_cross_device", "HELPER rename @/file %/moved"},
  {"rename_link", "HELPER rename @/link @/link2"},
  {"rename_dangling", "HELPER rename @/dangling @/d2"},
  {"rename_sticky_other", "HELPER rename @/sticky/other @/sticky/mine"},
  {"rename_into_itself", "HELPER rename @/dir @/dir/sub"},
  {"renameat", "HELPER renameat @//file @//new"},
  {"renameat2", "HELPER renameat2 @//file @/dir//new"},
  {"link_new", "HELPER link @/file @/hard"},
  {"link_existing", "HELPER link @/file @/file2"},
  {"link_dir", "HELPER link @/dir @/hard"},
  {"link_symlink_itself", "HELPER link @/link @/hard"},
  {"link_cross_device", "HELPER link @/file %/hard"},
  {"link_noperm", "HELPER link @/noperm/f @/hard"},
  {"linkat", "HELPER linkat @//file @//hard"},
  {"symlink_new", "HELPER symlink target @/sym"},
  {"symlink_existing", "HELPER symlink target @/file"},
  {"symlinkat", "HELPER symlinkat target @//sym"},
  // attributes
  {"truncate_file", "HELPER truncate @/file"},
  {"truncate_readonly", "HELPER truncate @/ro"},
  {"truncate_dir", "HELPER truncate @/dir"},
  {"truncate_link", "HELPER truncate @/link"},
  {"chmod_file", "HELPER chmod @/file"},
  {"chmod_link_follows", "HELPER chmod @/link"},
  {"chmod_dangling", "HELPER chmod @/dangling"},
  {"chmod_sticky_other", "HELPER chmod @/sticky/other"},
  {"fchmodat", "HELPER fchmodat @//file"},
  {"fchmodat2", "HELPER fchmodat2 @//file"},
  {"fchmod", "SH -c exec\\ 3<@/file;\\ exec\\ HELPER\\ fchmod\\ fd:3"},
  {"chown_file", "HELPER chown @/file"},
  {"lchown_link", "HELPER lchown @/link"},
  {"fchownat", "HELPER fchownat @//file"},
  {"fchown", "SH -c exec\\ 3<@/file;\\ exec\\ HELPER\\ fchown\\ fd:3"},
  {"utime", "HELPER utime @/file"},
  {"utimes", "HELPER utimes @/file"},
  {"utimensat", "HELPER utimensat @//file"},
  {"utimensat_readonly", "HELPER utimensat @//ro"},
  {"futimesat", "HELPER futimesat @//file"},
  {"setxattr", "HELPER setxattr @/file"},
  {"setxattr_link_follows", "HELPER setxattr @/link"},
  {"lsetxattr_link", "HELPER lsetxattr @/link"},
  {"setxattr_readonly", "HELPER setxattr @/ro"},
  {"fsetxattr", "SH -c exec\\ 3<@/file;\\ exec\\ HELPER\\ fsetxattr\\ fd:3"},
  {"removexattr", "HELPER removexattr @/xattr"},
  {"removexattr_none", "HELPER removexattr @/file"},
  {"lremovexattr", "HELPER lremovexattr @/xattr"},
  {"fremovexattr", "SH -c exec\\ 3<@/xattr;\\ exec\\ HELPER\\ fremovexattr\\ fd:3"},
  {"setxattrat", "HELPER setxattrat @//file"},
  {"removexattrat", "HELPER removexattrat @//xattr"},
  // exec
  {"execve_prog", "HELPER execve @/prog"},
  {"execve_not_executable", "HELPER execve @/file"},
  {"execve_dir", "HELPER execve @/dir"},
  {"execveat_prog", "HELPER execveat @//prog"},
  // stat family
  {"stat_file", "HELPER stat @/file"},
  {"stat_dangling", "HELPER stat @/dangling"},
  {"stat_loop", "HELPER stat @/loop"},
  {"lstat_dangling", "HELPER lstat @/dangling"},
  {"stat_noperm", "HELPER stat @/noperm/f"},
  {"newfstatat", "HELPER newfstatat @//file"},
  {"newfstatat_nofollow", "HELPER newfstatat-nofollow @//dangling"},
  {"statx", "HELPER statx @//link"},
  {"stat_mode_fifo", "HELPER stat-mode @/fifo"},
  {"readlink_link", "HELPER readlink @/link"},
  {"readlink_file", "HELPER readlink @/file"},
  {"readlinkat", "HELPER readlinkat @//dangling"},
  {"getdents64", "HELPER getdents64 @/dir"},
  // sockets
  {"bind_unix", "HELPER net-bind unix @/s.sock"},
  {"bind_unix_existing", "HELPER net-bind unix @/file"},
  {"bind_unix_noperm", "HELPER net-bind unix @/noperm/s.sock"},
  {"bind_unix_name", "CALLER bind-name @/n.sock"},
};
// clang-format on

// ---- the fixture ----------------------------------------------------------

void Put(const std::string& p, const std::string& data, mode_t mode) {
  WriteFile(p, data);
  chmod(p.c_str(), mode);
}

// Builds the same tree under `root` (which exists) and `other` (on
// another file system). Everything a caller of another uid may touch is
// world-writable; "noperm" and "sticky" are not its own.
void BuildFixture(const std::string& root, const std::string& other) {
  const bool as_root = geteuid() == 0;
  chmod(root.c_str(), 0777);
  chmod(other.c_str(), 0777);
  Put(root + "/file", "data\n", 0666);
  Put(root + "/file2", "other\n", 0666);
  Put(root + "/ro", "ro\n", 0444);
  Put(root + "/xattr", "x\n", 0666);
  setxattr((root + "/xattr").c_str(), "user.syd", "val", 3, 0);
  Put(root + "/prog", "#!/bin/sh\nexit 7\n", 0777);
  mkdir((root + "/dir").c_str(), 0777);
  chmod((root + "/dir").c_str(), 0777);
  Put(root + "/dir/inner", "inner\n", 0666);
  mkdir((root + "/empty").c_str(), 0777);
  chmod((root + "/empty").c_str(), 0777);
  (void)!symlink("file", (root + "/link").c_str());
  (void)!symlink("nowhere", (root + "/dangling").c_str());
  (void)!symlink("loop", (root + "/loop").c_str());
  (void)!symlink("dir", (root + "/dirlink").c_str());
  mkfifo((root + "/fifo").c_str(), 0666);
  chmod((root + "/fifo").c_str(), 0666);
  mkdir((root + "/noperm").c_str(), 0777);
  Put(root + "/noperm/f", "hidden\n", 0666);
  chmod((root + "/noperm").c_str(), 0);
  mkdir((root + "/sticky").c_str(), 0777);
  chmod((root + "/sticky").c_str(), 01777);
  Put(root + "/sticky/other", "theirs\n", 0666);
  mkdir((root + "/sticky/otherdir").c_str(), 0777);
  chmod((root + "/sticky/otherdir").c_str(), 0777);
  if (as_root) {
    // Another user's, in a sticky directory (the run as uid 65534 sees
    // what the sticky bit protects).
    (void)!chown((root + "/sticky/other").c_str(), 1234, 1234);
    (void)!chown((root + "/sticky/otherdir").c_str(), 1234, 1234);
  }
  mkdir((root + "/acl").c_str(), 0777);
  chmod((root + "/acl").c_str(), 0777);
  const uint32_t acl[] = {2, 0x00070001, 0xffffffff, 0x00070004, 0xffffffff, 0x00070020, 0xffffffff};
  setxattr((root + "/acl").c_str(), "system.posix_acl_default", acl, sizeof acl, 0);
}

// One line per entry, sorted: the state the differential compares.
void ListTree(const std::string& base, const std::string& rel, std::vector<std::string>* out) {
  const std::string p = rel.empty() ? base : base + "/" + rel;
  struct stat st;
  if (lstat(p.c_str(), &st) != 0) return;
  std::ostringstream line;
  line << (rel.empty() ? "." : rel) << " mode=" << std::oct << st.st_mode << std::dec << " uid=" << st.st_uid
       << " gid=" << st.st_gid;
  if (S_ISREG(st.st_mode)) {
    line << " size=" << st.st_size << " nlink=" << st.st_nlink;
    if (st.st_size < 64 && (st.st_mode & 0444)) {
      std::string data = ReadFile(p);
      for (char& ch : data)
        if (ch == '\n') ch = '|';
      line << " data=" << data;
    }
  }
  if (S_ISLNK(st.st_mode)) {
    char target[4096];
    ssize_t n = readlink(p.c_str(), target, sizeof target - 1);
    line << " -> " << std::string(target, n > 0 ? static_cast<size_t>(n) : 0);
  }
  if (st.st_mtime < 2000000) line << " mtime=" << st.st_mtime;  // set by a call, not "now"
  char names[4096];
  ssize_t n = llistxattr(p.c_str(), names, sizeof names);
  std::vector<std::string> xs;
  for (ssize_t i = 0; i < n; i += static_cast<ssize_t>(strlen(names + i)) + 1) xs.emplace_back(names + i);
  std::sort(xs.begin(), xs.end());
  for (const std::string& x : xs) {
    char v[256];
    ssize_t vn = lgetxattr(p.c_str(), x.c_str(), v, sizeof v);
    line << " " << x << "=" << (vn >= 0 ? vn : -1);
  }
  out->push_back(line.str());
  if (!S_ISDIR(st.st_mode)) return;
  DIR* d = opendir(p.c_str());
  if (!d) return;
  std::vector<std::string> names_in;
  while (dirent* e = readdir(d))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names_in.emplace_back(e->d_name);
  closedir(d);
  std::sort(names_in.begin(), names_in.end());
  for (const std::string& name : names_in) ListTree(base, rel.empty() ? name : rel + "/" + name, out);
}

std::string Listing(const std::string& root, const std::string& other) {
  // The denied parent is listed too: open it for the walk, then close it again.
  chmod((root).c_str(), 0777);
  struct stat st;
  const bool closed = lstat((root + "/noperm").c_str(), &st) == 0 && (st.st_mode & 07777) == 0;
  if (closed) chmod((root + "/noperm").c_str(), 0700);
  std::vector<std::string> lines;
  ListTree(root, "", &lines);
  ListTree(other, "", &lines);
  if (closed) chmod((root + "/noperm").c_str(), 0);
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

// A fixture pair in /tmp and /dev/shm.
class Fixture {
 public:
  Fixture() {
    char tmpl[] = "/dev/shm/syd-diff-XXXXXX";
    if (mkdtemp(tmpl)) shm_ = tmpl;
    root_ = dir_.path() + "/fx";
    mkdir(root_.c_str(), 0777);
    BuildFixture(root_, shm_);
  }
  ~Fixture() { RunCmd({"/bin/rm", "-rf", shm_}); }
  // The listing as the test's user sees it, with "noperm" opened for it.
  std::string State() { return Listing(root_, shm_); }
  const std::string& root() const { return root_; }
  const std::string& shm() const { return shm_; }

 private:
  TempDir dir_;
  std::string root_, shm_;
};

std::vector<std::string> Words(const Row& row, const Fixture& f) {
  std::vector<std::string> out;
  std::string cur;
  for (const char* p = row.cmd;; ++p) {
    if (*p == '\\' && p[1]) {
      cur += *++p;
      continue;
    }
    if (*p == ' ' || *p == 0) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
      if (*p == 0) break;
      continue;
    }
    cur += *p;
  }
  auto subst = [&](std::string w) {
    auto replace = [&](const std::string& from, const std::string& to) {
      for (size_t at = w.find(from); at != std::string::npos; at = w.find(from, at + to.size()))
        w.replace(at, from.size(), to);
    };
    replace("HELPER", HelperBin());
    replace("CALLER", Helper("syd-caller"));
    replace("@", f.root());
    replace("%", f.shm());
    return w;
  };
  for (std::string& w : out) w = subst(w);
  if (out[0] == "SH") out[0] = "/bin/sh";
  return out;
}

std::string Normalize(std::string s, const Fixture& f) {
  for (const std::string& from : {f.root(), f.shm()})
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at)) s.replace(at, from.size(), "@");
  return s;
}

const std::vector<std::string> kAllowAll = {"-m", "core/sandbox/read:allow",  "-m", "core/sandbox/write:allow",
                                            "-m", "core/sandbox/exec:allow",  "-m", "core/sandbox/stat:allow",
                                            "-m", "core/sandbox/network:allow"};

class Differential : public ::testing::TestWithParam<Row> {};

TEST_P(Differential, SameAsNative) {
  const Row& row = GetParam();
  std::vector<std::vector<std::string>> as_users = {{}};
  if (geteuid() == 0)
    as_users.push_back({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"});
  for (const auto& prefix : as_users) {
    const std::string who = prefix.empty() ? "as this user" : "as uid 65534";
    Fixture native_fx, sandbox_fx;
    std::vector<std::string> cmd = prefix;
    for (const std::string& w : Words(row, native_fx)) cmd.push_back(w);
    RunResult native = RunCmd(cmd, native_fx.root());
    std::vector<std::string> args = kAllowAll;
    args.push_back("--");
    args.insert(args.end(), prefix.begin(), prefix.end());
    for (const std::string& w : Words(row, sandbox_fx)) args.push_back(w);
    RunResult sandboxed = Sydbox(args, sandbox_fx.root());
    EXPECT_EQ(sandboxed.code, native.code) << row.name << " " << who << ": native said " << native.out
                                           << ", sydbox said " << sandboxed.out << sandboxed.err;
    EXPECT_EQ(Normalize(sandboxed.out, sandbox_fx), Normalize(native.out, native_fx)) << row.name << " " << who;
    EXPECT_EQ(Normalize(sandbox_fx.State(), sandbox_fx), Normalize(native_fx.State(), native_fx))
        << row.name << " " << who << ": the disk differs";
  }
}

INSTANTIATE_TEST_SUITE_P(Calls, Differential, ::testing::ValuesIn(kRows),
                         [](const ::testing::TestParamInfo<Row>& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace syd::test
