#include "supervisor/resolve.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace syd::supervisor {
namespace {

class ResolveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/syd-resolve-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // Resolve canonicalises the temp dir too (it may itself be a symlink).
    char real[PATH_MAX];
    ASSERT_NE(realpath(dir_.c_str(), real), nullptr);
    dir_ = real;
    root_ = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    mkdir((dir_ + "/d").c_str(), 0755);
    mkdir((dir_ + "/d/e").c_str(), 0755);
    close(open((dir_ + "/d/f").c_str(), O_CREAT | O_WRONLY, 0644));
    symlink("d/f", (dir_ + "/lf").c_str());
    symlink((dir_ + "/d").c_str(), (dir_ + "/ld").c_str());
    symlink("missing", (dir_ + "/dangling").c_str());
    symlink("loop2", (dir_ + "/loop1").c_str());
    symlink("loop1", (dir_ + "/loop2").c_str());
  }
  void TearDown() override {
    close(root_);
    std::string cmd = "rm -rf '" + dir_ + "'";
    (void)!system(cmd.c_str());
  }
  Result<Resolved> R(const std::string& path, bool follow = true, bool missing = false,
                     const std::string& start = "") {
    ResolveRequest r;
    r.root_fd = root_;
    r.start = start.empty() ? dir_ : start;
    r.path = path;
    r.follow_last = follow;
    r.may_be_missing = missing;
    r.tgid = 4242;
    r.tid = 4243;
    return Resolve(r);
  }
  std::string dir_;
  int root_ = -1;
};

TEST_F(ResolveTest, AbsoluteAndRelative) {
  EXPECT_EQ(R(dir_ + "/d/f")->path, dir_ + "/d/f");
  EXPECT_EQ(R("d/f")->path, dir_ + "/d/f");
  EXPECT_EQ(R("./d/./e/../f")->path, dir_ + "/d/f");
  EXPECT_EQ(R("f", true, false, dir_ + "/d")->path, dir_ + "/d/f");
  EXPECT_EQ(R("/")->path, "/");
  EXPECT_EQ(R("/../../..")->path, "/");
  EXPECT_EQ(R("//" + dir_.substr(1) + "//d")->path, dir_ + "/d");
}

TEST_F(ResolveTest, Symlinks) {
  EXPECT_EQ(R("lf")->path, dir_ + "/d/f");
  EXPECT_EQ(R("lf", false)->path, dir_ + "/lf");
  EXPECT_EQ(R("ld/f", false)->path, dir_ + "/d/f");  // intermediate links are always followed
  EXPECT_EQ(R("ld/e/..")->path, dir_ + "/d");       // ".." after a link is relative to its target
  EXPECT_EQ(R("ld/", false)->path, dir_ + "/d");     // a trailing slash follows
}

TEST_F(ResolveTest, Errors) {
  EXPECT_EQ(R("nope").error().sys_errno, ENOENT);
  EXPECT_EQ(R("nope/x", true, true).error().sys_errno, ENOENT);
  EXPECT_EQ(R("d/f/x").error().sys_errno, ENOTDIR);
  EXPECT_EQ(R("loop1").error().sys_errno, ELOOP);
  EXPECT_EQ(R("dangling").error().sys_errno, ENOENT);
  EXPECT_EQ(R(std::string(300, 'a')).error().sys_errno, ENAMETOOLONG);
}

TEST_F(ResolveTest, MissingLastComponent) {
  auto r = R("d/new", true, true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->path, dir_ + "/d/new");
  EXPECT_FALSE(r->exists);
  // Creating through a dangling symlink creates its target.
  auto d = R("dangling", true, true);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->path, dir_ + "/missing");
  // Without following, the link itself exists.
  auto l = R("dangling", false, true);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->path, dir_ + "/dangling");
  EXPECT_TRUE(l->exists);
}

// Calls on the name itself (mkdir, unlink, rename...): a trailing slash
// neither follows a final symlink nor is checked here; the kernel answers
// for it when the call is made on (parent, "name/").
TEST_F(ResolveTest, TrailingSlashOnTheNameItself) {
  auto on_name = [&](const std::string& path, bool missing) {
    ResolveRequest r;
    r.root_fd = root_;
    r.start = dir_;
    r.path = path;
    r.follow_last = false;
    r.slash_follows = false;
    r.may_be_missing = missing;
    return Resolve(r);
  };
  auto l = on_name("ld/", false);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->path, dir_ + "/ld");
  EXPECT_EQ(l->type, S_IFLNK);
  auto dl = on_name("dangling/", true);
  ASSERT_TRUE(dl);
  EXPECT_EQ(dl->path, dir_ + "/dangling");
  EXPECT_TRUE(dl->exists);
  auto f = on_name("d/f/", false);  // not ENOTDIR here: mkdir("file/") is EEXIST
  ASSERT_TRUE(f);
  EXPECT_EQ(f->path, dir_ + "/d/f");
  auto n = on_name("d/new/", true);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->path, dir_ + "/d/new");
  EXPECT_FALSE(n->exists);
  EXPECT_EQ(on_name("ld/e/", false)->path, dir_ + "/d/e");  // intermediate links still followed
}

// Calls performed on (parent, name) keep the directory resolution reached,
// by the fast path and by the walk alike.
TEST_F(ResolveTest, ParentHandle) {
  auto with_parent = [&](const std::string& path, bool missing) {
    ResolveRequest r;
    r.root_fd = root_;
    r.start = dir_;
    r.path = path;
    r.follow_last = false;
    r.slash_follows = false;
    r.may_be_missing = missing;
    r.want_parent = true;
    return Resolve(r);
  };
  struct stat want, got;
  ASSERT_EQ(stat((dir_ + "/d").c_str(), &want), 0);
  for (const std::string& p : {dir_ + "/d/f", std::string("d/f"), std::string("ld/f"), dir_ + "/ld/./f",
                               dir_ + "/d/new", std::string("d/e/../new/")}) {
    auto r = with_parent(p, true);
    ASSERT_TRUE(r) << p;
    ASSERT_TRUE(r->parent) << p;
    ASSERT_EQ(fstat(r->parent->get(), &got), 0);
    EXPECT_EQ(got.st_ino, want.st_ino) << p;
    EXPECT_EQ(r->name, p.find("new") != std::string::npos ? "new" : "f") << p;
    EXPECT_EQ(r->path, dir_ + "/d/" + r->name) << p;
  }
  // A symlink as the last component is the name itself.
  auto l = with_parent(dir_ + "/ld", false);
  ASSERT_TRUE(l && l->parent);
  EXPECT_EQ(l->name, "ld");
  EXPECT_EQ(l->type, S_IFLNK);
  // ".", "..": no name to act on.
  EXPECT_FALSE(with_parent("d/.", false)->parent);
  EXPECT_FALSE(with_parent("d/e/..", false)->parent);
}

TEST_F(ResolveTest, ProcSelfIsTheCaller) {
  ResolveRequest r;
  r.root_fd = root_;
  r.path = "/proc/self";
  r.follow_last = false;
  r.tgid = getpid();
  r.tid = getpid();
  auto self = Resolve(r);
  ASSERT_TRUE(self);
  EXPECT_EQ(self->path, "/proc/" + std::to_string(getpid()));
  r.path = "/proc/thread-self/comm";
  auto ts = Resolve(r);
  ASSERT_TRUE(ts) << ts.error().what;
  EXPECT_EQ(ts->path, "/proc/" + std::to_string(getpid()) + "/task/" + std::to_string(getpid()) + "/comm");
}

TEST_F(ResolveTest, LongerThanPathMax) {
  // Build a directory chain deeper than PATH_MAX and resolve relative to it.
  std::string deep = dir_;
  std::string comp(200, 'x');
  int fd = open(dir_.c_str(), O_PATH | O_DIRECTORY);
  for (int i = 0; i < 25; ++i) {
    ASSERT_EQ(mkdirat(fd, comp.c_str(), 0755), 0);
    int next = openat(fd, comp.c_str(), O_PATH | O_DIRECTORY);
    close(fd);
    fd = next;
    deep += "/" + comp;
  }
  close(fd);
  ASSERT_GT(deep.size(), static_cast<size_t>(PATH_MAX));
  auto r = R("new-file", true, true, deep);
  ASSERT_TRUE(r) << r.error().what;
  EXPECT_EQ(r->path, deep + "/new-file");
  auto up = R("../" + comp, true, false, deep);
  ASSERT_TRUE(up) << up.error().what;
  EXPECT_EQ(up->path, deep);
  // And an open of it through OpenResolved.
  auto o = OpenResolved(root_, deep + "/new-file", O_WRONLY | O_CREAT, 0600);
  ASSERT_TRUE(o) << o.error().what;
  // rm -rf cannot remove paths this deep with a single path; chdir-walk it.
  std::string cmd = "cd '" + dir_ + "' && rm -rf " + comp;
  (void)!system(cmd.c_str());
}

TEST_F(ResolveTest, OpenResolvedRefusesSymlinks) {
  auto ok = OpenResolved(root_, dir_ + "/d/f", O_RDONLY, 0);
  EXPECT_TRUE(ok);
  auto via_link = OpenResolved(root_, dir_ + "/ld/f", O_RDONLY, 0);
  ASSERT_FALSE(via_link);
  EXPECT_EQ(via_link.error().sys_errno, ELOOP);
}

TEST_F(ResolveTest, JoinPath) {
  EXPECT_EQ(JoinPath("/", "a"), "/a");
  EXPECT_EQ(JoinPath("/a", "b"), "/a/b");
  EXPECT_EQ(JoinPath("/a", "/b"), "/b");
}

}  // namespace
}  // namespace syd::supervisor
