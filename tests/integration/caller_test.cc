// The supervisor performs calls as the caller (src/supervisor/caller.h):
// each case runs natively and under sydbox with the call allowed, and the
// outcome must be the same — the kernel must check the supervisor's open
// exactly as it would have checked the caller's.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>

#include "harness.h"

namespace syd::test {
namespace {

mode_t ModeOf(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

std::vector<std::string> AllowWrite(const std::string& dir) {
  return {"-m", "core/sandbox/write:deny", "-m", "allowlist/write+" + dir + "/***"};
}

RunResult Under(const std::vector<std::string>& allow, const std::vector<std::string>& cmd) {
  std::vector<std::string> args = allow;
  args.push_back("--");
  args.insert(args.end(), cmd.begin(), cmd.end());
  return Sydbox(args);
}

// A directory with a default ACL: the kernel ignores the umask for files
// created in it (they get the ACL's mode). The supervisor used to apply
// the caller's umask itself (0644 instead of 0666).
TEST(AsCaller, DefaultAclWinsOverTheUmask) {
  TempDir d;
  // USER_OBJ rwx, GROUP_OBJ rwx, OTHER rwx (acl(5) xattr format).
  const uint32_t entries[] = {2, 0x00070001, 0xffffffff, 0x00070004, 0xffffffff, 0x00070020, 0xffffffff};
  if (setxattr(d.path().c_str(), "system.posix_acl_default", entries, sizeof entries, 0) != 0)
    GTEST_SKIP() << "no POSIX ACLs on /tmp: " << strerror(errno);
  // open-w asks for 0644; with umask 077 that is 0600 unless an ACL rules.
  const std::vector<std::string> create = {"/bin/sh", "-c", "umask 077 && exec " + HelperBin() + " open-w \"$0\""};
  auto with = [&](const std::string& f) {
    auto cmd = create;
    cmd.push_back(d / f);
    return cmd;
  };
  ASSERT_EQ(RunCmd(with("native")).code, 0);
  RunResult r = Under(AllowWrite(d.path()), with("sandboxed"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ModeOf(d / "native"), 0644u);
  EXPECT_EQ(ModeOf(d / "sandboxed"), ModeOf(d / "native"));
  // And without an ACL the umask applies as before.
  TempDir plain;
  auto in_plain = create;
  in_plain.push_back(plain / "f");
  ASSERT_EQ(Under(AllowWrite(plain.path()), in_plain).code, 0);
  EXPECT_EQ(ModeOf(plain / "f"), 0600u);
}

// As root, the supervisor opens with the caller's supplementary groups and
// effective capabilities, not its own.
TEST(AsCaller, GroupsAndCapabilitiesAreTheCallers) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (to run the caller with other groups and capabilities)";
  TempDir d;
  mkdir((d / "grp").c_str(), 0770);
  ASSERT_EQ(chown((d / "grp").c_str(), 0, 4242), 0);
  chmod((d / "grp").c_str(), 0770);
  WriteFile(d / "ro", "x");
  ASSERT_EQ(chown((d / "ro").c_str(), 1234, 1234), 0);
  chmod((d / "ro").c_str(), 0444);
  // Group: uid 1000 with supplementary group 4242 may create in grp/.
  const std::vector<std::string> grp = {"/usr/bin/setpriv", "--reuid=1000", "--regid=1000", "--groups=4242",
                                        HelperBin(), "open-w", d / "grp/f"};
  EXPECT_EQ(RunCmd(grp).code, 0);
  RunResult r = Under(AllowWrite(d.path()), grp);
  EXPECT_EQ(r.code, 0) << r.err;
  // Capabilities: root without CAP_DAC_OVERRIDE may not write a 0444 file
  // of another user (the supervisor, with it, could).
  const std::vector<std::string> nocap = {"/usr/bin/setpriv", "--inh-caps=-dac_override",
                                          "--bounding-set=-dac_override", HelperBin(), "open-trunc", d / "ro"};
  EXPECT_EQ(RunCmd(nocap).code, EACCES);
  r = Under(AllowWrite(d.path()), nocap);
  EXPECT_EQ(r.code, EACCES) << r.err;
  EXPECT_EQ(ReadFile(d / "ro"), "x");
}

}  // namespace
}  // namespace syd::test
